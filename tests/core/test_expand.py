"""Expansion before closures: phase windows, twice weekly, and monthly doses from one anchor."""

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
    assert offsets(start, [s.planned for s in slots[:12]]) == [0, 3, 7, 10, 14, 17, 21, 24, 28, 35, 42, 49]
    # maintenance starts at week 9 and then falls on the same day of each month
    assert [s.planned for s in slots[12:]] == [
        D(2027, 2, 1),
        D(2027, 3, 1),
        D(2027, 4, 1),
        D(2027, 5, 1),
        D(2027, 6, 1),
        D(2027, 7, 1),
    ]
    assert [s.number for s in slots] == list(range(1, 19))


@pytest.mark.parametrize("count", [0, 1, 6, 24])
def test_maintenance_count(registry: Registry, count: int) -> None:
    slots = expand_regimen(registry.regimen("it-mtx-intensive"), D(2026, 12, 7), count)
    assert sum(s.phase.name == "maintenance" for s in slots) == count


def test_monthly_anchor_clamps_to_month_end_and_never_drifts(registry: Registry) -> None:
    # Maintenance anchored on 31 January: Feb 28, Mar 31, Apr 30 ... never "Feb 28 -> Mar 28".
    start = D(2026, 12, 6)  # 8 weeks before 2027-01-31
    slots = expand_regimen(registry.regimen("it-mtx-intensive"), start, 13)
    monthly = [s.planned for s in slots if s.phase.name == "maintenance"]
    assert monthly[:5] == [D(2027, 1, 31), D(2027, 2, 28), D(2027, 3, 31), D(2027, 4, 30), D(2027, 5, 31)]
    assert monthly[-1] == D(2028, 1, 31)
    months = [(d.year, d.month) for d in monthly]
    assert len(set(months)) == 13  # no month skipped, none doubled


def test_leap_year_anchor(registry: Registry) -> None:
    start = D(2027, 12, 5)  # maintenance anchor 2028-01-30
    monthly = [
        s.planned
        for s in expand_regimen(registry.regimen("it-mtx-intensive"), start, 3)
        if s.phase.name == "maintenance"
    ]
    assert monthly == [D(2028, 1, 30), D(2028, 2, 29), D(2028, 3, 30)]


def test_phase_boundary_uses_the_smaller_minimum(registry: Registry) -> None:
    slots = expand_regimen(registry.regimen("it-mtx-intensive"), D(2026, 12, 7))
    first_consolidation = slots[8]
    assert first_consolidation.phase.name == "consolidation"
    assert first_consolidation.min_gap == 3
    assert slots[9].min_gap == 6
    assert slots[12].min_gap == 6 and slots[13].min_gap == 21


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
