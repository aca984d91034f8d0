"""Expansion before closures: where each phase begins, twice weekly, and monthly doses from one anchor."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from scheduler.expand import expand_regimen
from scheduler.templates import Registry

D = dt.date


def offsets(start: dt.date, days: list[dt.date]) -> list[int]:
    return [(d - start).days for d in days]


def test_intensive_methotrexate_days(registry: Registry) -> None:
    start = D(2026, 12, 7)  # a Monday
    slots = expand_regimen(registry.regimen("it-mtx-intensive"), start)
    assert [s.phase.name for s in slots] == ["induction"] * 8 + ["consolidation"] * 4 + ["maintenance"] * 6
    # 8 twice-weekly doses; the first weekly dose 7 days after the last of them (day 24 -> 31)
    assert offsets(start, [s.planned for s in slots[:12]]) == [0, 3, 7, 10, 14, 17, 21, 24, 31, 38, 45, 52]
    # the first monthly dose a month after the last weekly one (2027-01-28), then the same day
    assert [s.planned for s in slots[12:]] == [
        D(2027, 2, 28),
        D(2027, 3, 28),
        D(2027, 4, 28),
        D(2027, 5, 28),
        D(2027, 6, 28),
        D(2027, 7, 28),
    ]
    assert [s.number for s in slots] == list(range(1, 19))


def test_issue_example_before_closures(registry: Registry) -> None:
    """`--start 2027-04-05`: four weekly doses after induction, not five (issue 14)."""
    slots = expand_regimen(registry.regimen("it-mtx-intensive"), D(2027, 4, 5))
    weekly = [s.planned for s in slots if s.phase.name == "consolidation"]
    assert weekly == [D(2027, 5, 6), D(2027, 5, 13), D(2027, 5, 20), D(2027, 5, 27)]
    monthly = [s.planned for s in slots if s.phase.name == "maintenance"]
    assert monthly[0] == D(2027, 6, 27) and monthly[-1] == D(2027, 11, 27)


def test_window_reading_is_the_template_setting(registry: Registry) -> None:
    """phase_start = "window": each phase starts where the previous phase's weeks end (week 5,
    week 9), and the first dose of a phase keeps the smaller of the two minimums."""
    mtx = registry.regimen("it-mtx-intensive")
    assert mtx.phase_start == "after-last-dose"
    window = mtx.model_copy(update={"phase_start": "window"})
    start = D(2026, 12, 7)
    slots = expand_regimen(window, start)
    assert offsets(start, [s.planned for s in slots[:12]]) == [0, 3, 7, 10, 14, 17, 21, 24, 28, 35, 42, 49]
    assert slots[12].planned == D(2027, 2, 1)  # week 9
    assert [s.min_gap for s in slots[7:10]] == [3, 3, 6]
    assert [s.min_gap for s in slots[11:14]] == [6, 6, 21]


def test_every_dose_keeps_its_own_phase_minimum(registry: Registry) -> None:
    slots = expand_regimen(registry.regimen("it-mtx-intensive"), D(2026, 12, 7))
    assert [s.min_gap for s in slots] == [3] * 8 + [6] * 4 + [21] * 6


@pytest.mark.parametrize("count", [0, 1, 6, 24])
def test_maintenance_count(registry: Registry, count: int) -> None:
    slots = expand_regimen(registry.regimen("it-mtx-intensive"), D(2026, 12, 7), count)
    assert sum(s.phase.name == "maintenance" for s in slots) == count


def test_monthly_anchor_clamps_to_month_end_and_never_drifts(registry: Registry) -> None:
    # The last weekly dose on 31 December: Jan 31, Feb 28, Mar 31, Apr 30 ... never "Feb 28 -> Mar 28".
    start = D(2026, 11, 9)  # the last weekly dose 52 days later: 2026-12-31
    slots = expand_regimen(registry.regimen("it-mtx-intensive"), start, 13)
    assert [s.planned for s in slots if s.phase.name == "consolidation"][-1] == D(2026, 12, 31)
    monthly = [s.planned for s in slots if s.phase.name == "maintenance"]
    assert monthly[:5] == [D(2027, 1, 31), D(2027, 2, 28), D(2027, 3, 31), D(2027, 4, 30), D(2027, 5, 31)]
    assert monthly[-1] == D(2028, 1, 31)
    months = [(d.year, d.month) for d in monthly]
    assert len(set(months)) == 13  # no month skipped, none doubled


def test_leap_year_anchor(registry: Registry) -> None:
    start = D(2027, 11, 8)  # the last weekly dose 2027-12-30
    monthly = [
        s.planned
        for s in expand_regimen(registry.regimen("it-mtx-intensive"), start, 3)
        if s.phase.name == "maintenance"
    ]
    assert monthly == [D(2028, 1, 30), D(2028, 2, 29), D(2028, 3, 30)]


def test_trastuzumab_every_two_weeks(registry: Registry) -> None:
    start = D(2026, 12, 7)
    slots = expand_regimen(registry.regimen("it-trastuzumab"), start, 3)
    assert offsets(start, [s.planned for s in slots]) == [
        0,
        3,
        7,
        10,
        14,
        17,
        21,
        24,
        28,
        35,
        42,
        49,
        56,
        70,
        84,
    ]


def test_sixteen_dose_twice_weekly(registry: Registry) -> None:
    start = D(2026, 12, 8)
    slots = expand_regimen(registry.regimen("it-mtx-10mg-twice-weekly"), start)
    days = offsets(start, [s.planned for s in slots])
    assert len(days) == 16 and days[-1] == 7 * 7 + 3
    assert all(b - a in (3, 4) for a, b in itertools.pairwise(days))
