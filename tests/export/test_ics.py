"""iCalendar export: every calendar is read back by three independent readers."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from scheduler.export import ics
from scheduler.export.ics import render
from scheduler.plan import Event, Plan, plan_from_json

from ..conftest import EXAMPLES, NOW, demo_key, make_plan
from ..ical_readers import Read, occurrences, with_icalendar, with_vobject

ADULT = str(EXAMPLES / "patient-adult.toml")


def export(run, tmp_path: Path, *args: str, name: str = "plan") -> tuple[Plan, bytes]:  # type: ignore[no-untyped-def]
    json_path, ics_path = tmp_path / f"{name}.json", tmp_path / f"{name}.ics"
    argv = ["plan", *args, "--json", str(json_path), "--ics", str(ics_path), "-q"]
    if "--now" not in args:
        argv += ["--now", NOW]
    result = run(*argv)
    assert result.code == 0, result.err
    return plan_from_json(json_path.read_bytes()), ics_path.read_bytes()


def local_start(event: Event) -> dt.datetime:
    return dt.datetime.combine(event.date, dt.time.fromisoformat(event.time), tzinfo=ZoneInfo(event.tz))


def ics_uid(event: Event, audience: str = "patient") -> str:
    """The UID the CLI gives `event` for `audience` (patient calendars: keyed with the demo site
    key, which the tests' LMSCHED_SITE_KEY_FILE names)."""
    return ics.ics_uid(event, "staff" if audience == "staff" else "patient", demo_key())


def assert_readers_agree_with_plan(plan: Plan, data: bytes, audience: str) -> dict[str, Read]:
    by_icalendar, by_vobject = with_icalendar(data), with_vobject(data)
    expected = {ics_uid(e, audience): e for e in plan.events}
    assert set(by_icalendar) == set(by_vobject) == set(expected)
    first = min(e.date for e in plan.events)
    last = max(e.date + dt.timedelta(days=e.repeat_days) for e in plan.events)
    expanded = occurrences(data, first, last)
    for uid, event in expected.items():
        a, b = by_icalendar[uid], by_vobject[uid]
        assert a == b, f"icalendar and vobject disagree on {uid}:\n{a}\n{b}"
        start = local_start(event)
        assert a.start == start and a.start.utcoffset() == start.utcoffset()
        assert a.start.astimezone(ZoneInfo(event.tz)).strftime("%H:%M") == event.time
        # a check taken at another event (CSF cytology: 0 minutes) spans that event's session
        minutes = event.duration_min or ics.calendar_minutes(plan, event)
        assert event.kind == "check" or minutes == event.duration_min
        assert a.end - a.start == dt.timedelta(minutes=minutes)
        assert a.count == event.repeat_days
        assert a.status == event.status.upper()
        assert a.sequence == event.sequence
        # recurring-ical-events: one occurrence per planned day, each at the planned local time
        planned = [
            dt.datetime.combine(event.date + dt.timedelta(days=i), start.time(), tzinfo=ZoneInfo(event.tz))
            for i in range(event.repeat_days)
        ]
        assert expanded[uid] == planned
        assert all(o.astimezone(ZoneInfo(event.tz)).time() == start.time() for o in expanded[uid])
    return by_icalendar


@pytest.mark.parametrize("audience", ["patient", "staff"])
def test_three_readers_agree_on_every_event_and_time(run, tmp_path: Path, audience: str) -> None:  # type: ignore[no-untyped-def]
    plan, data = export(run, tmp_path, ADULT, "--audience", audience)
    read = assert_readers_agree_with_plan(plan, data, audience)
    memantine = [e for e in plan.events if e.kind == "medication"]
    doses = occurrences(data, dt.date(2026, 1, 1), dt.date(2028, 1, 1))
    assert (
        sum(len(doses[ics_uid(e, audience)]) for e in memantine)
        == sum(e.repeat_days for e in memantine)
        == 329
    )
    # 7 (week 1, AM) + 14 + 14 (weeks 2-3, AM and PM) + 2 x 147 (weeks 4-24)
    it = [e for e in plan.events if e.kind == "it-dose"]
    assert read[ics_uid(it[0], audience)].summary.endswith("Intrathecal methotrexate 15 mg (Ommaya)")
    rt = [e for e in plan.events if e.kind == "rt-fraction"]
    assert read[ics_uid(rt[2], audience)].summary.endswith("Radiotherapy 3 of 10 (whole brain)")


def test_calendar_structure(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    plan, data = export(run, tmp_path, ADULT)
    cal = icalendar.Calendar.from_ical(data)
    assert str(cal["VERSION"]) == "2.0" and str(cal["PRODID"]).startswith("-//lmsched//")
    assert cal.get_missing_tzids() == set()
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["America/New_York"]
    assert data.endswith(b"\r\n") and b"\n" not in data.replace(b"\r\n", b"")
    assert max(len(line) for line in data.split(b"\r\n")) <= 75  # folded per RFC 5545 3.1
    stamp = plan.created.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    read = with_icalendar(data)
    for ev in cal.walk("VEVENT"):
        assert ev["DTSTAMP"].to_ical().decode() == stamp
        assert "verify against the signed order" in str(ev["DESCRIPTION"])
    for event in plan.events:
        r = read[ics_uid(event)]
        if event.kind == "it-dose":
            assert r.categories == ("Chemotherapy", "Intrathecal")
            assert "Formulation: preservative-free." in r.description
            assert f"Phase: {event.phase}." in r.description
            assert r.status == ("TENTATIVE" if event.phase == "maintenance" else "CONFIRMED")
            assert r.location == plan.inputs.clinic.location
        elif event.kind == "medication":
            assert r.location is None and r.categories == ("Medication",)


def test_daylight_saving_keeps_local_times(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # New York springs forward on 2027-03-14: IT doses and memantine doses straddle it.
    plan, data = export(
        run,
        tmp_path,
        *("--start", "2027-02-22", "--age", "50", "--route", "ommaya", "--maintenance", "9"),
        *("--rt", "wbrt-20gy-5fx", "--rt-start", "2027-03-01", "--country", "US"),
    )
    read = assert_readers_agree_with_plan(plan, data, "patient")
    offsets = {r.start.utcoffset() for r in read.values()}
    assert offsets == {dt.timedelta(hours=-5), dt.timedelta(hours=-4)}
    it = [read[ics_uid(e)] for e in plan.events if e.kind == "it-dose"]
    assert {r.start.astimezone(ZoneInfo("America/New_York")).strftime("%H:%M") for r in it} == {"09:00"}
    # the autumn change (2027-11-07) is inside the plan too
    assert any(r.start.date() > dt.date(2027, 11, 7) for r in it)
    doses = occurrences(data, dt.date(2027, 3, 1), dt.date(2027, 9, 1))
    morning = [o for e in plan.events if e.phase.endswith("morning") for o in doses[ics_uid(e)]]
    assert {o.strftime("%H:%M") for o in morning} == {"08:00"}
    assert {o.utcoffset() for o in morning} == {dt.timedelta(hours=-5), dt.timedelta(hours=-4)}


def test_daylight_saving_in_another_zone(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    plan, data = export(
        run,
        tmp_path,
        *("--start", "2027-10-04", "--age", "50", "--route", "lumbar"),
        *("--tz", "Europe/Berlin", "--country", "DE", "--time", "08:30"),
    )
    read = assert_readers_agree_with_plan(plan, data, "patient")
    assert {r.start.utcoffset() for r in read.values()} == {dt.timedelta(hours=2), dt.timedelta(hours=1)}
    assert [str(tz["TZID"]) for tz in icalendar.Calendar.from_ical(data).walk("VTIMEZONE")] == [
        "Europe/Berlin"
    ]


def test_reexport_gives_identical_bytes_and_the_same_uids(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, first = export(run, tmp_path, ADULT, name="a")
    _, second = export(run, tmp_path, ADULT, name="b")
    assert first == second
    _, later = export(run, tmp_path, ADULT, "--now", "2026-12-20T10:00:00-05:00", name="c")
    assert later != first
    assert set(with_icalendar(later)) == set(with_icalendar(first))


HOSTILE_NAME = 'Zoë "Zed" O\'Brien; Smith, Jr. \\ Ünal'
HOSTILE_LOCATION = 'Clinic B; wing 2, room "7"\\annex\nsecond line: Ærø, ñ, 東京'
HOSTILE_REASON = 'Staff day; "all hands", back\\slash'


def test_hostile_text_survives_a_round_trip(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    clinic = tmp_path / "clinic.toml"
    location = HOSTILE_LOCATION.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    reason = HOSTILE_REASON.replace("\\", "\\\\").replace('"', '\\"')
    clinic.write_text(
        f'location = "{location}"\n[[closed]]\ndate = 2026-12-04\nreason = "{reason}"\n', encoding="utf-8"
    )
    plan, data = export(
        run,
        tmp_path,
        *("--start", "2026-12-01", "--age", "45", "--route", "ommaya", "--clinic", str(clinic)),
        *("--patient-name", HOSTILE_NAME, "--patient-id", "X;1,2", "--audience", "staff"),
    )
    moved = next(e for e in plan.events if e.shifted_from is not None)
    for read in (with_icalendar(data), with_vobject(data)):
        for event in plan.events:
            r = read[ics_uid(event, "staff")]
            assert r.summary.startswith(f"{HOSTILE_NAME} (X;1,2): ")
            # an external check (MRI, CSF flow study) is not at the clinic's location
            assert r.location == (ics.EXTERNAL_PLACE if event.where == "external" else HOSTILE_LOCATION)
            assert f"Patient: {HOSTILE_NAME}, X;1,2" in r.description
        assert HOSTILE_REASON in read[ics_uid(moved, "staff")].description


def test_patient_audience_carries_no_identity(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    plan, patient = export(run, tmp_path, ADULT, name="patient")
    _, staff = export(run, tmp_path, ADULT, "--audience", "staff", name="staff")
    unfolded = patient.replace(b"\r\n ", b"").decode("utf-8").casefold()
    secrets = ["RCC-000123", "RCC000123", "000123", "Maria", "Søndergaard", "Neil", "1968", "19680514"]
    for secret in secrets:
        assert secret.casefold() not in unfolded, secret
    staff_text = staff.replace(b"\r\n ", b"").decode("utf-8")
    assert "RCC-000123" in staff_text and "Maria O'Neil-Søndergaard" in staff_text
    patient_uids, staff_uids = set(with_icalendar(patient)), set(with_icalendar(staff))
    assert len(patient_uids) == len(staff_uids) == len(plan.events) and not patient_uids & staff_uids
    # no staff-only detail either: age-band limits, staff wording of findings, sources
    assert "age-band" not in unfolded and "[s14]" not in unfolded and "off-label" not in unfolded
    assert "ask your care team" in unfolded  # the plain-language finding is there instead


def test_default_alarms_and_choices(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    plan, data = export(run, tmp_path, ADULT)
    read = with_icalendar(data)
    ny = ZoneInfo("America/New_York")
    for event in plan.events:
        triggers = read[ics_uid(event)].alarm_triggers
        if event.kind == "medication":
            assert triggers == ("0s",)
            continue
        evening = dt.datetime.combine(event.date - dt.timedelta(days=1), dt.time(18), tzinfo=ny)
        if ics.taken_at(plan, event) is not None:  # CSF cytology: the IT session reminds of the hour
            assert triggers == (evening.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ"),)
            continue
        assert triggers == (evening.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ"), "-7200s")
    _, none = export(run, tmp_path, ADULT, "--no-alarms", name="none")
    assert b"BEGIN:VALARM" not in none
    _, chosen = export(run, tmp_path, ADULT, "--alarm", "30m", "--alarm", "2d@19:30", name="chosen")
    first_it = next(e for e in plan.events if e.kind == "it-dose")
    at = dt.datetime.combine(first_it.date - dt.timedelta(days=2), dt.time(19, 30), tzinfo=ny)
    assert with_icalendar(chosen)[ics_uid(first_it)].alarm_triggers == (
        "-1800s",
        at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ"),
    )
    assert re.search(rb"TRIGGER;VALUE=DATE-TIME:\d{8}T\d{6}Z", chosen)


def test_staff_calendar_has_no_medication_reminders(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    plan, data = export(run, tmp_path, ADULT, "--audience", "staff")
    read = with_icalendar(data)
    for event in plan.events:
        # a check taken at the IT session (CSF cytology) has only the day-before reminder
        expected = 0 if event.kind == "medication" else 1 if ics.taken_at(plan, event) else 2
        assert len(read[ics_uid(event, "staff")].alarm_triggers) == expected


def test_a_blocked_plan_writes_no_calendar(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ics_path = tmp_path / "plan.ics"
    result = run(
        "plan",
        *("--start", "2026-12-01", "--age", "45", "--route", "ommaya", "--formulation", "preserved"),
        *("--ics", str(ics_path), "--now", NOW, "-q"),
    )
    assert result.code == 3 and "preserved" in result.err
    assert not ics_path.exists()


# Plain text as the models accept it: no control, format (Cf: bidirectional controls, zero-width
# spaces) or separator characters, but the joiners ZWJ and ZWNJ that names need.
_PLAIN = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cf", "Zl", "Zp"))
ONE_LINE = st.text(st.one_of(_PLAIN, st.sampled_from(",;:\\\"'\t\u200c\u200d")), min_size=1, max_size=40)
SEVERAL_LINES = st.text(st.one_of(_PLAIN, st.sampled_from(",;:\\\"'\n\u200c\u200d")), max_size=80)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=ONE_LINE, location=SEVERAL_LINES)
# a backslash before N: icalendar 7 alone reads it as a line break ("C:\New" -> "C:", "ew")
@example(name="Ann \\N\\n Lee", location="C:\\New building\n2nd floor\\N")
def test_any_plain_text_survives_a_round_trip(registry, name: str, location: str) -> None:  # type: ignore[no-untyped-def]
    plan = make_plan(registry, patient_name=name, patient_id=name[:64], clinic={"location": location})
    data = render(plan, "staff")
    for read in (with_icalendar(data), with_vobject(data)):
        for event in plan.events:
            r = read[ics_uid(event, "staff")]
            assert r.summary.startswith(f"{name} ({name[:64]}): ")
            assert r.location == (ics.EXTERNAL_PLACE if event.where == "external" else location or None)
