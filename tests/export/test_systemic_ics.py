"""iCalendar export of systemic therapy: infusions as clinic visits for their chair time, tablets
as daily repeats, read back by the three independent readers (tests/ical_readers.py)."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings

from scheduler.export import ics
from scheduler.plan import Event, Plan
from scheduler.templates import Registry

from ..conftest import demo_key
from ..ical_readers import Read, occurrences, with_icalendar, with_vobject
from .systemic_plans import (
    BODY_SIZES,
    CLINIC,
    PATIENT_ID,
    PATIENT_NAME,
    days_of,
    her2climb_plan,
    systemic,
    tdxd_plan,
)

AUDIENCES = ("patient", "staff")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture(scope="module")
def tdxd(registry: Registry) -> Plan:
    return tdxd_plan(registry)


@pytest.fixture(scope="module")
def climb(registry: Registry) -> Plan:
    return her2climb_plan(registry)


def render(plan: Plan, audience: str, alarms: tuple[ics.Alarm, ...] = ics.DEFAULT_ALARMS) -> bytes:
    return ics.render(plan, audience, alarms, key=demo_key() if audience == "patient" else None)  # type: ignore[arg-type]


def uid(event: Event, audience: str) -> str:
    return ics.ics_uid(event, audience, demo_key() if audience == "patient" else None)  # type: ignore[arg-type]


def local(event: Event) -> dt.datetime:
    return dt.datetime.combine(event.date, dt.time.fromisoformat(event.time), tzinfo=ZoneInfo(event.tz))


def read_both(data: bytes) -> dict[str, Read]:
    """Each VEVENT as icalendar reads it, after checking vobject reads exactly the same."""
    by_icalendar, by_vobject = with_icalendar(data), with_vobject(data)
    assert by_icalendar == by_vobject
    return by_icalendar


def assert_systemic_events_agree(plan: Plan, data: bytes, audience: str, alarms: int) -> dict[str, Read]:
    """The three readers agree with the plan on every systemic event: the visit from the clinic's
    preparation minutes before the infusion to its observation minutes after it, each tablet
    event's daily doses at their local time on exactly the planned days, and the reminders."""
    read = read_both(data)
    assert set(read) == {uid(e, audience) for e in plan.events}
    clinic = plan.inputs.clinic
    first = min(e.date for e in plan.events) - dt.timedelta(days=1)
    last = max(e.date + dt.timedelta(days=e.repeat_days) for e in plan.events)
    expanded = occurrences(data, first, last)
    for event in systemic(plan):
        got = read[uid(event, audience)]
        start = local(event)
        if event.kind == "infusion":
            visit = (start.astimezone(dt.UTC) - dt.timedelta(minutes=clinic.prep_min)).astimezone(NEW_YORK)
            chair = clinic.prep_min + event.duration_min + clinic.observation_min
            assert got.start == visit and got.start.utcoffset() == visit.utcoffset()
            assert got.end - got.start == dt.timedelta(minutes=chair)
            assert got.location == CLINIC["location"]
            assert got.categories == ("Systemic therapy", "Infusion")
            assert got.count == 1
            assert len(got.alarm_triggers) == alarms
            assert expanded[got.uid] == [visit]
        else:
            assert got.start == start and got.start.utcoffset() == start.utcoffset()
            assert got.end - got.start == dt.timedelta(minutes=event.duration_min)
            assert got.location is None
            assert got.categories == ("Medication", "Systemic therapy")
            assert got.count == event.repeat_days
            # patients: a reminder at the time of each dose; staff calendars: none
            assert got.alarm_triggers == (("0s",) if audience == "patient" and alarms else ())
            planned = [dt.datetime.combine(d, start.time(), tzinfo=NEW_YORK) for d in days_of(event)]
            assert expanded[got.uid] == planned
            assert all(o.astimezone(NEW_YORK).strftime("%H:%M") == event.time for o in expanded[got.uid])
        assert got.status == event.status.upper()
    return read


@pytest.mark.parametrize("audience", AUDIENCES)
def test_tdxd_infusions_are_visits_for_the_chair_time(tdxd: Plan, audience: str) -> None:
    data = render(tdxd, audience)
    read = assert_systemic_events_agree(tdxd, data, audience, alarms=2)
    infusions = [e for e in tdxd.events if e.kind == "infusion"]
    assert len(infusions) == 8
    first = read[uid(infusions[0], audience)]
    # 10:30 infusion, 15 minutes' preparation before it: the visit runs 10:15 to 12:30 (90 + 30)
    assert first.start == dt.datetime(2027, 1, 5, 10, 15, tzinfo=NEW_YORK)
    assert first.end == dt.datetime(2027, 1, 5, 12, 30, tzinfo=NEW_YORK)
    later = read[uid(infusions[4], audience)]  # cycle 5, after the clock change: 30-minute infusion
    assert later.start == dt.datetime(2027, 3, 31, 10, 15, tzinfo=NEW_YORK)
    assert later.start.utcoffset() == dt.timedelta(hours=-4)
    assert later.end - later.start == dt.timedelta(minutes=75)
    # the day-before reminder at 18:00 local and two hours before the visit
    assert first.alarm_triggers == ("20270104T230000Z", f"{-2 * 3600}s")
    # the closure moved cycle 2's day 1: the calendar says so
    moved = read[uid(infusions[1], audience)]
    assert moved.start.date() == dt.date(2027, 1, 27)
    assert "Moved from 2027-01-26" in moved.description


@pytest.mark.parametrize("audience", AUDIENCES)
def test_her2climb_tablets_repeat_daily_at_their_local_time(climb: Plan, audience: str) -> None:
    data = render(climb, audience)
    assert_systemic_events_agree(climb, data, audience, alarms=2)
    tablets = [e for e in climb.events if e.kind == "tablet"]
    assert {(e.drug, e.repeat_days) for e in tablets} == {("capecitabine", 14), ("tucatinib", 21)}
    expanded = occurrences(data, dt.date(2027, 2, 1), dt.date(2027, 6, 1))
    # Every planned dose once, and none on a day the plan has no dose of that drug at that time
    # (capecitabine's days 15-21 of each cycle are off).
    for drug, clock in (("capecitabine", "08:00"), ("capecitabine", "20:00"), ("tucatinib", "20:00")):
        mine = [e for e in tablets if e.drug == drug and e.time == clock]
        planned = Counter(d for e in mine for d in days_of(e))
        taken = Counter(o.date() for e in mine for o in expanded[uid(e, audience)])
        assert taken == planned and max(planned.values()) == 1
    cape = sorted({o.date() for e in tablets if e.drug == "capecitabine" for o in expanded[uid(e, audience)]})
    assert dt.date(2027, 3, 8) in cape  # day 14 of cycle 1
    assert not {dt.date(2027, 3, 9) + dt.timedelta(days=i) for i in range(7)} & set(cape)  # days 15-21
    assert dt.date(2027, 3, 16) in cape  # cycle 2 day 1
    # tucatinib runs through the change to daylight saving time at 08:00 local on both sides
    morning = next(e for e in tablets if e.drug == "tucatinib" and e.time == "08:00" and e.cycle == 1)
    across = expanded[uid(morning, audience)]
    assert {o.utcoffset() for o in across} == {dt.timedelta(hours=-5), dt.timedelta(hours=-4)}
    assert {o.strftime("%H:%M") for o in across} == {"08:00"}


def test_no_alarm_specs_give_no_reminders(climb: Plan) -> None:
    assert_systemic_events_agree(climb, render(climb, "patient", ()), "patient", alarms=0)


def test_patient_calendar_speaks_plainly_and_carries_no_identity(climb: Plan, tdxd: Plan) -> None:
    for plan in (climb, tdxd):
        data = render(plan, "patient")
        unfolded = data.replace(b"\r\n ", b"").decode()
        assert PATIENT_ID not in unfolded and "RCC" not in unfolded
        assert PATIENT_NAME not in unfolded and "Aisha" not in unfolded
        for event in systemic(plan):
            assert event.dose_calc is not None and event.dose_basis is not None
        for text in ("mg/kg", "mg/m2", "Mosteller", "BSA", "actual weight", "rounded", "(S2", "C1 D1"):
            assert text not in unfolded, text
    read = read_both(render(climb, "patient"))
    cape = next(e for e in climb.events if e.drug == "capecitabine" and e.time == "20:00")
    description = read[uid(cape, "patient")].description
    assert description.splitlines()[:2] == [
        "Dose: capecitabine 1800 mg by mouth, as 3 x 500 mg + 2 x 150 mg tablets.",
        "Take it every evening at 20:00 for 14 days: 2027-02-23 to 2027-03-08 (cycle 1).",
    ]
    assert "Take within 30 minutes after a meal." in description.splitlines()
    assert read[uid(cape, "patient")].summary == "Capecitabine 1800 mg (evening)"
    trastuzumab = next(e for e in climb.events if e.kind == "infusion")
    visit = read[uid(trastuzumab, "patient")].description.splitlines()
    assert visit[:4] == [
        "Dose: trastuzumab 547 mg by intravenous infusion (a drip into a vein), cycle 1.",
        "Please arrive at 10:15: 15 minutes to get ready before the infusion starts at 10:30.",
        "The infusion takes about 90 minutes, then 30 minutes of observation before you go home.",
        "The whole visit takes about 2 hours 15 minutes.",
    ]
    unfolded = render(climb, "patient").replace(b"\r\n ", b"")
    assert b"\r\nDESCRIPTION:Take capecitabine 1800 mg (3 x 500 mg + 2 x 150 mg)\r\n" in unfolded


def test_staff_calendar_adds_cycle_basis_and_calculation(climb: Plan) -> None:
    read = read_both(render(climb, "staff"))
    for event in systemic(climb):
        got = read[uid(event, "staff")]
        lines = got.description.splitlines()
        assert lines[0] == f"Patient: {PATIENT_NAME}, {PATIENT_ID}"
        assert f"Cycle: C{event.cycle} D{event.cycle_day} of a 21-day cycle." in lines
        assert f"Dose basis: {event.dose_basis}." in lines
        assert f"Calculation: {event.dose_calc}." in lines
        assert got.summary.startswith(f"{PATIENT_NAME} ({PATIENT_ID}): ")
        if event.kind == "infusion":
            chair = 15 + event.duration_min + 30
            assert (
                f"Chair time: {chair} min (15 preparation + {event.duration_min} infusion + 30 observation)."
                in lines
            )
    loading = read[uid(next(e for e in climb.events if e.kind == "infusion"), "staff")].description
    assert "Calculation: 8 mg/kg x 68.4 kg = 547 mg (547.2 rounded to 1 mg)." in loading
    assert "Note: loading dose 8 mg/kg (cycle 1; S22, S17)" in loading


def test_held_tablets_tell_the_patient_the_break_without_sources(registry: Registry) -> None:
    from scheduler.models import PlanRequest
    from scheduler.schedule import build_plan

    from ..conftest import NOW_DT

    request = PlanRequest.model_validate(
        {
            "start": "2027-03-01",
            "age": "50",
            "route": "ommaya",
            "rt": "focal-30gy-10fx",
            "rt_start": "2027-03-15",
            "hold_around_rt": True,
            "systemic": [{"template": "sys-dabrafenib-trametinib", "start": "2027-03-07", "cycles": 2}],
        }
    )
    plan = build_plan(request, registry, NOW_DT)
    held = [e for e in plan.events if e.kind == "tablet" and any("around radiotherapy" in n for n in e.notes)]
    assert held
    patient = read_both(render(plan, "patient"))
    staff = read_both(render(plan, "staff"))
    assert_systemic_events_agree(plan, render(plan, "patient"), "patient", alarms=2)
    for event in held:
        assert re.search(
            r"No doses from \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d: a break around radiotherapy\.",
            patient[uid(event, "patient")].description,
        )
        assert "(S21)" not in patient[uid(event, "patient")].description
        assert "around radiotherapy (S21)." in staff[uid(event, "staff")].description
    # no dose of dabrafenib on a day of the hold
    expanded = occurrences(render(plan, "patient"), dt.date(2027, 3, 1), dt.date(2027, 6, 1))
    taken = {o.date() for e in plan.events if e.drug == "dabrafenib" for o in expanded[uid(e, "patient")]}
    rt_days = {e.date for e in plan.events if e.kind == "rt-fraction"}
    assert rt_days and not taken & rt_days


def test_every_event_alone_for_caldav_matches_the_whole_calendar(climb: Plan) -> None:
    """publish puts each event in its own VCALENDAR (event_calendars): the same VEVENT, with the
    VTIMEZONE it needs."""
    whole = read_both(render(climb, "patient"))
    for event_uid, digest, cal in ics.event_calendars(climb, "patient", key=demo_key()):
        data = cal.to_ical()
        alone = read_both(data)
        assert alone == {event_uid: whole[event_uid]}
        assert b"BEGIN:VTIMEZONE" in data and b"TZID:America/New_York" in data
        assert re.fullmatch(r"[0-9a-f]{32}", digest)


def test_the_same_plan_gives_the_same_bytes(registry: Registry, climb: Plan) -> None:
    again = her2climb_plan(registry)
    assert render(again, "patient") == render(climb, "patient")
    assert render(again, "staff") == render(climb, "staff")


def test_hostile_clinic_and_patient_text_is_escaped(registry: Registry) -> None:
    """Commas, semicolons, quotes, backslashes and a would-be property in the clinic's location
    (a multi-line text) and the patient's name come back as written, inside their own property."""
    name = "Zoë \"Bobby\" O'Brien; Jr., =cmd|' /C calc'!A0 back\\slash 李小龍"
    location = 'Room 3; floor 2, "east"\nBEGIN:VEVENT\nUID:evil\\n'
    plan = her2climb_plan(registry, patient_name=name, clinic={**CLINIC, "location": location})
    for audience in AUDIENCES:
        data = render(plan, audience)
        read = read_both(data)
        assert data.count(b"\r\nBEGIN:VEVENT\r\n") == len(plan.events)
        assert b"\r\nUID:evil" not in data
        for event in systemic(plan):
            got = read[uid(event, audience)]
            assert got.location == (location if event.kind == "infusion" else None)
            if audience == "staff":
                assert got.summary.startswith(f"{name} (")
                assert got.description.splitlines()[0] == f"Patient: {name}, {PATIENT_ID}"
            else:
                assert name not in got.summary and name not in got.description


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(**BODY_SIZES)
def test_the_calendar_dose_is_the_event_dose(
    registry: Registry, weight: float, height: float, template: str
) -> None:
    """For any body size, each systemic event's calendar title, description and reminder give the
    event's dose (and the tablets to take), and the staff description its calculation."""
    build = tdxd_plan if template == "sys-tdxd-q3w" else her2climb_plan
    plan = build(registry, weight_kg=weight, height_cm=height)
    patient, staff = read_both(render(plan, "patient")), read_both(render(plan, "staff"))
    for event in systemic(plan):
        assert event.dose_mg is not None
        mine = patient[uid(event, "patient")]
        dose = f"{event.drug} {event.dose_mg:g} mg"
        assert f"{event.dose_mg:g} mg" in mine.summary
        assert mine.description.splitlines()[0].startswith(f"Dose: {dose} ")
        if event.tablets:
            assert f"as {event.tablets} tablets." in mine.description
            counts = re.findall(r"(\d+) x (\d+) mg", event.tablets)
            assert sum(int(n) * int(mg) for n, mg in counts) == event.dose_mg
        assert f"Calculation: {event.dose_calc}." in staff[uid(event, "staff")].description
        # the calculation ends in the event's dose: "... = 369 mg (...)", "... -> 1800 mg (...)", "300 mg"
        results = re.findall(r"(?:^|= |-> )([\d.]+) mg", event.dose_calc or "")
        assert results and results[-1] == f"{event.dose_mg:g}"


def test_cancelled_systemic_events_have_no_reminders(climb: Plan) -> None:
    cancelled = {e.uid for e in systemic(climb) if e.cycle == 3}
    events = tuple(
        e.model_copy(update={"status": "cancelled"}) if e.uid in cancelled else e for e in climb.events
    )
    plan = climb.model_copy(update={"events": events})
    read = read_both(render(plan, "patient"))
    for event in plan.events:
        got = read[uid(event, "patient")]
        if event.uid not in cancelled:
            continue
        assert got.status == "CANCELLED" and got.alarm_triggers == ()
        first = (
            "Cancelled: do not take these doses."
            if event.kind == "tablet"
            else "Cancelled: this visit will not take place."
        )
        assert got.description.splitlines()[0] == first
        assert got.summary.startswith("Cancelled: ")
