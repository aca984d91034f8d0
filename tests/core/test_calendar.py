"""The clinic calendar: holidays, closures, open weekdays, and shifting with minimum spacing."""

from __future__ import annotations

import datetime as dt

import pytest

from scheduler.calendar import ClinicCalendar, build_calendar, nth_open_days, place_course
from scheduler.errors import InputError
from scheduler.models import Clinic

D = dt.date
WEEKDAYS = frozenset(range(5))


def cal(*closed: dt.date, open_weekdays: frozenset[int] = WEEKDAYS) -> ClinicCalendar:
    return ClinicCalendar(open_weekdays=open_weekdays, closures={d: "closure" for d in closed})


def test_us_ny_holidays_are_named() -> None:
    calendar = build_calendar(Clinic(country="US", subdiv="NY"))
    assert calendar.closed_reason(D(2026, 12, 25)) == "Christmas Day"
    assert calendar.closed_reason(D(2027, 1, 18)) == "Martin Luther King Jr. Day"
    assert calendar.closed_reason(D(2026, 12, 26)) == "Saturday"
    assert calendar.closed_reason(D(2026, 12, 28)) is None


def test_other_countries_and_observed_days() -> None:
    nl = build_calendar(Clinic(country="NL", tz="Europe/Amsterdam"))
    assert nl.closed_reason(D(2027, 4, 27)) is not None  # King's Day
    gb = build_calendar(Clinic(country="GB", subdiv="ENG"))
    assert "Boxing Day" in (gb.closed_reason(D(2026, 12, 28)) or "")  # observed on Monday


def test_closure_ranges_and_reasons() -> None:
    calendar = build_calendar(
        Clinic(country=None, closed=("2026-12-21..2026-12-23", {"date": "2026-12-29", "reason": "Snow"}))
    )
    assert [calendar.is_open(D(2026, 12, d)) for d in (20, 21, 22, 23, 24)] == [
        False,
        False,
        False,
        False,
        True,
    ]
    assert calendar.closed_reason(D(2026, 12, 29)) == "Snow"


def test_unknown_country_and_subdivision() -> None:
    with pytest.raises(InputError, match=r"country: 'XX'.*valid: .*US"):
        build_calendar(Clinic(country="XX"))
    with pytest.raises(InputError, match=r"subdiv: 'ZZ' is not a subdivision of US.*NY"):
        build_calendar(Clinic(country="US", subdiv="ZZ"))


def test_closed_day_moves_to_next_open_day() -> None:
    placed = place_course([(D(2026, 12, 25), 3)], build_calendar(Clinic()), "next", D(2026, 12, 1))
    assert placed[0].day == D(2026, 12, 28)
    assert placed[0].shifted_from == D(2026, 12, 25)
    assert placed[0].reason == "closed: Christmas Day"


def test_shift_previous_and_its_fallback() -> None:
    calendar = cal(D(2026, 12, 10))  # a Thursday
    # Mon 7 and Thu 10: Thu is closed; Wed 9 keeps 2 days only (< 3) so it falls forward to Fri 11.
    placed = place_course([(D(2026, 12, 7), 3), (D(2026, 12, 10), 3)], calendar, "previous", D(2026, 12, 7))
    assert [p.day for p in placed] == [D(2026, 12, 7), D(2026, 12, 11)]
    # With a 1-day minimum the day before is fine.
    placed = place_course([(D(2026, 12, 7), 1), (D(2026, 12, 10), 1)], calendar, "previous", D(2026, 12, 7))
    assert [p.day for p in placed] == [D(2026, 12, 7), D(2026, 12, 9)]
    # Never before the start date.
    placed = place_course([(D(2026, 12, 10), 3)], calendar, "previous", D(2026, 12, 10))
    assert placed[0].day == D(2026, 12, 11)


def test_spacing_pushes_later_doses() -> None:
    calendar = cal(D(2026, 12, 7), D(2026, 12, 8))  # Mon, Tue closed
    planned = [(D(2026, 12, 7), 3), (D(2026, 12, 10), 3), (D(2026, 12, 14), 3)]
    placed = place_course(planned, calendar, "next", D(2026, 12, 7))
    assert [p.day for p in placed] == [D(2026, 12, 9), D(2026, 12, 14), D(2026, 12, 17)]
    assert (
        placed[1].reason is not None
        and "kept 3 days after the previous dose (2026-12-09)" in placed[1].reason
    )
    assert placed[2].shifted_from == D(2026, 12, 14)


def test_unchanged_doses_carry_no_shift() -> None:
    placed = place_course([(D(2026, 12, 7), 3), (D(2026, 12, 10), 3)], cal(), "next", D(2026, 12, 7))
    assert all(p.shifted_from is None and p.reason is None for p in placed)


def test_radiotherapy_skips_closures_and_records_them() -> None:
    calendar = build_calendar(Clinic(country="US"))
    placed = nth_open_days(calendar, D(2026, 12, 21), 10)
    days = [p.day for p in placed]
    assert D(2026, 12, 25) not in days and D(2027, 1, 1) not in days
    assert days[0] == D(2026, 12, 21) and days[-1] == D(2027, 1, 5)
    assert placed[3].shifted_from is None
    assert placed[4].shifted_from == D(2026, 12, 25) and placed[4].reason == "closed: Christmas Day"
    assert placed[5].reason == "closed 2026-12-25: Christmas Day"
    assert placed[8].day == D(2027, 1, 4) and placed[8].reason == "closed 2027-01-01: New Year's Day"


def test_radiotherapy_start_on_a_weekend() -> None:
    placed = nth_open_days(cal(), D(2026, 12, 5), 2)  # a Saturday
    assert [p.day for p in placed] == [D(2026, 12, 7), D(2026, 12, 8)]
    assert placed[0].shifted_from == D(2026, 12, 5) and placed[0].reason == "closed: Saturday"


def test_a_clinic_closed_for_a_long_time_is_an_input_error() -> None:
    calendar = cal(*(D(2027, 1, 1) + dt.timedelta(n) for n in range(500)))
    with pytest.raises(InputError, match="no open day within"):
        calendar.next_open(D(2027, 1, 1))


def test_weekend_clinic() -> None:
    calendar = cal(open_weekdays=frozenset({5, 6}))
    assert calendar.next_open(D(2026, 12, 7)) == D(2026, 12, 12)


def test_holidays_the_clinic_works_on() -> None:
    closed = build_calendar(Clinic(country="US", subdiv="NY"))
    assert closed.closed_reason(D(2027, 2, 15)) == "Susan B. Anthony Day / Washington's Birthday"
    worked = build_calendar(Clinic(country="US", subdiv="NY", open_holidays=("susan b. anthony day",)))
    assert worked.closed_reason(D(2027, 2, 15)) == "Washington's Birthday"
    columbus = build_calendar(Clinic(country="US", open_holidays=("Columbus Day",)))
    assert columbus.is_open(D(2026, 10, 12))
