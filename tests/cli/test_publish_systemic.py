"""`lmsched publish` of a plan with systemic therapy against a real Radicale server: each
infusion and each tablet event is one resource, read back with the caldav client as written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from scheduler.plan import plan_from_json

from ..radicale_server import RadicaleServer as Radicale
from .test_publish import calendar_uids, publish, server_events

HER2CLIMB = (
    *("--start", "2027-01-11", "--age", "50", "--route", "ommaya"),
    *("--systemic", "sys-her2climb", "--systemic-start", "2027-01-05", "--cycles", "2"),
    *("--weight-kg", "72", "--height-cm", "170", "--weight-date", "2026-12-28"),
    *("--now", "2026-12-30T09:00:00-05:00"),
)


def test_systemic_events_are_published_once_each_as_rendered(run, radicale: Radicale, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "plan.json"
    made = run("plan", *HER2CLIMB, "--json", str(path), "-q")
    assert made.code == 0, made.err
    plan = plan_from_json(path.read_bytes())
    tablets = [e for e in plan.events if e.kind == "tablet"]
    infusions = [e for e in plan.events if e.kind == "infusion"]
    assert len(tablets) == 8 and len(infusions) == 2
    first = publish(run, radicale, path, "--calendar", "Systemic", "--create")
    assert first.code == 0, first.err
    assert f"created {len(plan.events)}, updated 0, unchanged 0, removed 0" in first.out
    again = publish(run, radicale, path, "--calendar", "Systemic")
    assert f"created 0, updated 0, unchanged {len(plan.events)}, removed 0" in again.out
    stored = server_events(radicale, "Systemic")
    uids = calendar_uids(path)
    assert set(stored) == set(uids.values())
    zone = ZoneInfo("America/New_York")
    for event in tablets:
        vevent = stored[uids[event.uid]]
        assert vevent["RRULE"]["COUNT"] == [event.repeat_days]
        cal = icalendar.Calendar()
        cal.add_component(vevent)
        days = [
            o["DTSTART"].dt for o in recurring_ical_events.of(cal).between(event.date, dt.date(2027, 6, 1))
        ]
        assert days == [
            dt.datetime.combine(
                event.date + dt.timedelta(days=i), dt.time.fromisoformat(event.time), tzinfo=zone
            )
            for i in range(event.repeat_days)
        ]
    for event in infusions:
        vevent = stored[uids[event.uid]]
        start = dt.datetime.combine(event.date, dt.time.fromisoformat(event.time), tzinfo=zone)
        assert vevent["DTSTART"].dt == start  # no preparation minutes in the default clinic
        assert vevent["DTEND"].dt - vevent["DTSTART"].dt == dt.timedelta(minutes=event.duration_min)
        assert len(vevent.walk("VALARM")) == 2
