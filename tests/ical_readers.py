"""Three independent readers of our iCalendar output, normalised to the same shape for comparison.

- `icalendar` (the library that wrote it: the round trip),
- `vobject` (a separate parser that builds its time zones from our VTIMEZONE),
- `recurring-ical-events` (expands each RRULE into occurrences).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import icalendar
import recurring_ical_events
import vobject


@dataclass(frozen=True)
class Read:
    uid: str
    start: dt.datetime  # aware
    end: dt.datetime
    summary: str
    description: str
    location: str | None
    status: str
    sequence: int
    count: int  # occurrences: RRULE COUNT, 1 without an RRULE
    categories: tuple[str, ...]
    alarm_triggers: tuple[str, ...]  # normalised: "-PT2H" style durations or UTC instants


def _trigger(value: Any) -> str:
    if isinstance(value, dt.timedelta):
        return f"{int(value.total_seconds())}s"
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def with_icalendar(data: bytes) -> dict[str, Read]:
    cal = icalendar.Calendar.from_ical(data)
    out = {}
    for ev in cal.walk("VEVENT"):
        rrule = ev.get("RRULE")
        cats = ev.get("CATEGORIES")
        cat_list = cats if isinstance(cats, list) else [cats] if cats else []
        out[str(ev["UID"])] = Read(
            uid=str(ev["UID"]),
            start=ev["DTSTART"].dt,
            end=ev["DTEND"].dt,
            summary=str(ev["SUMMARY"]),
            description=str(ev["DESCRIPTION"]),
            location=str(ev["LOCATION"]) if "LOCATION" in ev else None,
            status=str(ev["STATUS"]),
            sequence=int(ev["SEQUENCE"]),
            count=int(rrule["COUNT"][0]) if rrule else 1,
            categories=tuple(str(c) for v in cat_list for c in v.cats),
            alarm_triggers=tuple(_trigger(a["TRIGGER"].dt) for a in ev.walk("VALARM")),
        )
    return out


def with_vobject(data: bytes) -> dict[str, Read]:
    cal = vobject.readOne(data.decode("utf-8"))
    out = {}
    for ev in cal.vevent_list:
        rrule = getattr(ev, "rrule", None)
        count = 1
        if rrule is not None:
            parts = dict(p.split("=", 1) for p in rrule.value.split(";"))
            count = int(parts["COUNT"])
        out[ev.uid.value] = Read(
            uid=ev.uid.value,
            start=ev.dtstart.value,
            end=ev.dtend.value,
            summary=ev.summary.value,
            description=ev.description.value,
            location=ev.location.value if hasattr(ev, "location") else None,
            status=ev.status.value,
            sequence=int(ev.sequence.value),
            count=count,
            categories=tuple(c for line in ev.contents.get("categories", []) for c in line.value),
            alarm_triggers=tuple(_trigger(a.trigger.value) for a in getattr(ev, "valarm_list", [])),
        )
    return out


def occurrences(data: bytes, first: dt.date, last: dt.date) -> dict[str, list[dt.datetime]]:
    """Every occurrence between first and last (inclusive), by UID, via recurring-ical-events."""
    cal = icalendar.Calendar.from_ical(data)
    found: dict[str, list[dt.datetime]] = {}
    for occ in recurring_ical_events.of(cal).between(first, last + dt.timedelta(days=1)):
        found.setdefault(str(occ["UID"]), []).append(occ["DTSTART"].dt)
    return {uid: sorted(starts) for uid, starts in found.items()}
