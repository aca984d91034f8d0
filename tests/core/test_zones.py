"""Time zones that cannot drift: region names only, session times on clock-change days, and the
zone data read as zoneinfo reads it."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.calendar import build_calendar
from scheduler.reschedule import Delay, reschedule
from scheduler.templates import Registry
from scheduler.zones import (
    ZONE_NOTE_PREFIX,
    clock_notes_for_days,
    parse_posix,
    region_zones,
    resolve_clock,
    session_end,
    suggestions,
    zone_data,
    zone_problem,
)

from ..conftest import NOW_DT, make_plan

EVERY_DAY = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
ZONES = ("America/New_York", "Europe/Berlin", "Australia/Sydney", "America/Santiago", "Asia/Kathmandu")


# --- which names are places ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "tz", [*ZONES, "Europe/Oslo", "Asia/Kolkata", "America/Phoenix", "Pacific/Chatham", "Africa/Casablanca"]
)
def test_region_zones_are_accepted(tz: str) -> None:
    assert tz in region_zones()
    assert zone_problem(tz) is None


@pytest.mark.parametrize(
    ("tz", "words", "first"),
    [
        ("EST", ("fixed UTC-05:00", "no daylight saving"), "America/New_York"),
        ("MST", ("fixed UTC-07:00",), "America/Denver"),
        ("HST", ("fixed UTC-10:00",), "Pacific/Honolulu"),
        ("MET", ("not a place",), "Europe/Berlin"),
        ("Etc/GMT+5", ("fixed UTC-05:00",), "America/New_York"),
        ("Etc/GMT-1", ("fixed UTC+01:00",), None),
        ("UTC", ("fixed UTC+00:00",), "Europe/London"),
        ("GMT", ("fixed UTC+00:00",), "Europe/London"),
        ("EST5EDT", ("not a place",), "America/New_York"),
        ("MST7MDT", ("not a place",), "America/Denver"),
        ("CET", ("not a place",), "Europe/Berlin"),
        ("US/Eastern", ("old alias of America/New_York",), "America/New_York"),
        ("Asia/Calcutta", ("old alias of Asia/Kolkata",), "Asia/Kolkata"),
    ],
)
def test_fixed_and_legacy_names_are_refused_with_region_suggestions(
    tz: str, words: tuple[str, ...], first: str | None
) -> None:
    ZoneInfo(tz)  # a zone zoneinfo accepts: saved plans with it still load
    problem = zone_problem(tz)
    assert problem is not None and problem.startswith(f"{tz} is ")
    for word in words:
        assert word in problem
    offered = suggestions(tz)
    assert offered and all(name in region_zones() for name in offered)
    assert "\n" not in problem and all(name in problem for name in offered)
    if first is not None:
        assert offered[0] == first


def test_suggestions_for_a_fixed_offset_prefer_places_with_daylight_saving() -> None:
    assert suggestions("EST")[:2] == ["America/New_York", "America/Toronto"]
    for name in suggestions("Etc/GMT+5"):
        assert parse_posix("EST5EDT").std_offset == zone_data(name).rule.std_offset  # type: ignore[union-attr]


# --- POSIX rules and the TZif data ----------------------------------------------------------------


def test_posix_strings_of_the_five_zones() -> None:
    ny = parse_posix("EST5EDT,M3.2.0,M11.1.0")
    assert (ny.std_name, ny.std_offset, ny.dst_name, ny.dst_offset) == ("EST", -18000, "EDT", -14400)
    assert ny.dst_start is not None and ny.dst_start.date(2027) == dt.date(2027, 3, 14)
    santiago = parse_posix("<-04>4<-03>,M9.1.6/24,M4.1.6/24")
    assert santiago.std_name == "-04" and santiago.dst_start is not None
    assert santiago.dst_start.local(2027) == dt.datetime(2027, 9, 5, 0, 0)  # Saturday 24:00
    kathmandu = parse_posix("<+0545>-5:45")
    assert kathmandu.std_offset == 5 * 3600 + 45 * 60 and kathmandu.dst_start is None
    julian = parse_posix("XXX3YYY,J60/2,J300/-1")
    assert julian.dst_start is not None and julian.dst_start.date(2028) == dt.date(2028, 3, 1)
    assert julian.dst_end is not None and julian.dst_end.local(2027) == dt.datetime(2027, 10, 26, 23, 0)
    zero_based = parse_posix("XXX3YYY,59,300")
    assert zero_based.dst_start is not None and zero_based.dst_start.date(2028) == dt.date(2028, 2, 29)


@settings(max_examples=300, deadline=None)
@given(
    tz=st.sampled_from(
        [*ZONES, "Europe/Dublin", "Africa/Casablanca", "Australia/Lord_Howe", "Pacific/Chatham", "Asia/Gaza"]
    ),
    instant=st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2060, 12, 31)),
)
def test_transitions_read_from_tzif_give_zoneinfos_offsets(tz: str, instant: dt.datetime) -> None:
    moment = instant.replace(tzinfo=dt.UTC)
    at = int(moment.timestamp())
    data = zone_data(tz)
    before = [t for t in data.transitions(moment.year + 1) if t.at <= at]
    offset = before[-1].offset_after if before else data.first_offset
    assert dt.timedelta(seconds=offset) == moment.astimezone(ZoneInfo(tz)).utcoffset()


# --- session times on a day of a clock change -----------------------------------------------------


def test_a_time_in_the_spring_forward_gap_moves_to_the_end_of_the_gap() -> None:
    got = resolve_clock(dt.date(2027, 3, 14), "02:30", "America/New_York")
    assert got.time == "03:00"
    assert got.note is not None and got.note.startswith(f"{ZONE_NOTE_PREFIX}2027-03-14")
    assert "02:00 to 03:00" in got.note and "02:30 does not exist" in got.note
    santiago = resolve_clock(dt.date(2027, 9, 5), "00:30", "America/Santiago")  # gap at midnight
    assert santiago.time == "01:00" and santiago.note is not None
    lord_howe = resolve_clock(dt.date(2027, 10, 3), "02:10", "Australia/Lord_Howe")  # a 30-minute gap
    assert lord_howe.time == "02:30"


def test_a_repeated_fall_back_time_is_its_first_occurrence_stated() -> None:
    got = resolve_clock(dt.date(2027, 11, 7), "01:30", "America/New_York")
    assert got.time == "01:30"
    assert got.note is not None and "happens twice" in got.note and "first 01:30 (EDT, UTC-04:00)" in got.note


def test_other_times_and_days_are_unchanged_and_silent() -> None:
    for day, clock in (
        (dt.date(2027, 3, 14), "03:00"),
        (dt.date(2027, 3, 14), "01:59"),
        (dt.date(2027, 3, 15), "02:30"),
    ):
        assert resolve_clock(day, clock, "America/New_York").note is None
    assert resolve_clock(dt.date(2027, 11, 7), "02:00", "America/New_York").note is None


@settings(max_examples=300, deadline=None)
@given(
    tz=st.sampled_from([*ZONES, "Australia/Lord_Howe", "America/Havana", "Europe/Dublin", "EST"]),
    day=st.dates(min_value=dt.date(2027, 1, 1), max_value=dt.date(2031, 12, 31)),
    minute=st.integers(0, 24 * 60 - 1),
)
def test_the_resolved_time_always_exists_and_is_never_earlier(tz: str, day: dt.date, minute: int) -> None:
    clock = f"{minute // 60:02d}:{minute % 60:02d}"
    got = resolve_clock(day, clock, tz)
    zone = ZoneInfo(tz)
    wall = dt.datetime.combine(day, dt.time.fromisoformat(got.time))
    assert wall.replace(tzinfo=zone).astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) == wall
    assert got.time >= clock
    assert (got.time != clock) <= (got.note is not None)  # a moved time always says so


def test_daily_tablets_over_a_clock_change_say_what_the_phone_shows() -> None:
    notes = clock_notes_for_days(dt.date(2027, 3, 10), 7, "02:30", "America/New_York")
    assert len(notes) == 1 and notes[0].startswith(f"{ZONE_NOTE_PREFIX}2027-03-14")
    assert "03:30" in notes[0] and "03:00" in notes[0]
    back = clock_notes_for_days(dt.date(2027, 11, 1), 10, "01:15", "America/New_York")
    assert len(back) == 1 and "first 01:15" in back[0]
    assert clock_notes_for_days(dt.date(2027, 3, 10), 7, "08:00", "America/New_York") == []


# --- where events get their times -----------------------------------------------------------------


def test_plan_sessions_in_a_gap_get_a_real_time_and_a_note(registry: Registry) -> None:
    clinic = {"open_days": EVERY_DAY, "session_time": "02:30", "rt_time": "02:45", "country": None}
    plan = make_plan(registry, start="2027-03-14", rt="wbrt-30gy-10fx", rt_start="2027-03-14", clinic=clinic)
    it_first = next(e for e in plan.events if e.kind == "it-dose")
    rt_first = next(e for e in plan.events if e.kind == "rt-fraction")
    for event in (it_first, rt_first):
        assert event.date == dt.date(2027, 3, 14) and event.time == "03:00"
        assert any(n.startswith(f"{ZONE_NOTE_PREFIX}2027-03-14") for n in event.notes)
    later = [e for e in plan.events if e.kind in ("it-dose", "rt-fraction") and e.date > dt.date(2027, 3, 14)]
    assert later and all(e.time in ("02:30", "02:45") for e in later)
    assert not any(n.startswith(ZONE_NOTE_PREFIX) for e in later for n in e.notes)
    # the blood count ends as the 03:00 session starts: 15 real minutes before, 01:45 EST
    count = next(e for e in plan.events if e.course == "mon-blood-count-it" and e.guards == (it_first.uid,))
    assert (count.date, count.time) == (dt.date(2027, 3, 14), "01:45")


def test_plan_sessions_at_a_repeated_time_say_which(registry: Registry) -> None:
    clinic = {"open_days": EVERY_DAY, "session_time": "01:30", "country": None}
    plan = make_plan(registry, start="2027-11-07", clinic=clinic)
    first = next(e for e in plan.events if e.kind == "it-dose")
    assert first.time == "01:30" and any("happens twice" in n for n in first.notes)


def test_tablet_steps_over_a_gap_carry_the_note(registry: Registry) -> None:
    med = registry.medication_for("wbrt")
    assert med is not None
    early = dataclasses.replace(
        registry, templates={**registry.templates, med.id: med.model_copy(update={"morning": "02:30"})}
    )
    clinic = {"open_days": EVERY_DAY, "country": None}
    plan = make_plan(early, start="2027-03-10", rt="wbrt-30gy-10fx", rt_start="2027-03-10", clinic=clinic)
    step = next(e for e in plan.events if e.kind == "medication" and e.time == "02:30")
    assert step.date <= dt.date(2027, 3, 14) < step.date + dt.timedelta(step.repeat_days)
    assert any(n.startswith(f"{ZONE_NOTE_PREFIX}2027-03-14") for n in step.notes)


def test_a_moved_session_takes_the_clinics_time_read_for_its_new_day(registry: Registry) -> None:
    clinic = {"open_days": EVERY_DAY, "session_time": "02:30", "country": None}
    plan = make_plan(registry, start="2027-03-13", clinic=clinic)
    calendar = build_calendar(plan.inputs.clinic)
    first = next(e for e in plan.events if e.kind == "it-dose")
    assert (first.date, first.time) == (dt.date(2027, 3, 13), "02:30")
    onto = reschedule(plan, Delay(dt.date(2027, 3, 13), 1), registry, calendar, NOW_DT)
    moved = next(e for e in onto.events if e.uid == first.uid)
    assert (moved.date, moved.time) == (dt.date(2027, 3, 14), "03:00")
    assert sum(n.startswith(ZONE_NOTE_PREFIX) for n in moved.notes) == 1
    off = reschedule(onto, Delay(dt.date(2027, 3, 14), 1), registry, calendar, NOW_DT)
    again = next(e for e in off.events if e.uid == first.uid)
    assert (again.date, again.time) == (dt.date(2027, 3, 15), "02:30")
    assert not any(n.startswith(ZONE_NOTE_PREFIX) for n in again.notes)


def test_a_session_end_is_a_real_time_in_elapsed_minutes() -> None:
    ny = ZoneInfo("America/New_York")
    spring = session_end(dt.datetime(2027, 3, 14, 1, 30, tzinfo=ny), 60)
    assert spring.replace(tzinfo=None) == dt.datetime(2027, 3, 14, 3, 30)
    assert spring.astimezone(dt.UTC) - dt.datetime(2027, 3, 14, 1, 30, tzinfo=ny).astimezone(
        dt.UTC
    ) == dt.timedelta(hours=1)
    start = dt.datetime(2027, 11, 7, 1, 30, tzinfo=ny)  # first 01:30 (EDT): +60 is the second 01:30
    assert session_end(start, 60).replace(tzinfo=None) == dt.datetime(2027, 11, 7, 2, 30)
    assert session_end(start, 15).replace(tzinfo=None) == dt.datetime(2027, 11, 7, 1, 45)
    plain = dt.datetime(2027, 6, 1, 9, 0, tzinfo=ny)
    assert session_end(plain, 60) == plain + dt.timedelta(hours=1)
