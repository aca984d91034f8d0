"""Phase boundaries for every regimen template (issue 14): over any start, closures, open days,
shift direction and age, the gap between consecutive IT doses of a course keeps the later dose's
phase `min_days`, and is at most the planned interval plus the closed days that forced a move
(whose reason names the closure). The planned intervals are written out here from the templates'
phase definitions and a calendar oracle, not taken from the code under test."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.models import WEEKDAYS, Phase, PlanRequest, Regimen
from scheduler.plan import Event
from scheduler.schedule import build_plan
from scheduler.templates import Registry, load_registry

from ..conftest import NOW_DT

REGISTRY: Registry = load_registry()
PLANNABLE = [
    r for r in (REGISTRY.regimen(i) for i in REGISTRY.ids("regimen")) if r.status != "withdrawn" and r.phases
]
SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def same_day_months_later(anchor: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months after `anchor`, clamped to the month's last day."""
    year, month0 = divmod(anchor.year * 12 + anchor.month - 1 + months, 12)
    return dt.date(year, month0 + 1, min(anchor.day, calendar.monthrange(year, month0 + 1)[1]))


def planned_days(
    regimen: Regimen, start: dt.date, counts: list[int], actual: list[dt.date]
) -> list[tuple[Phase, dt.date]]:
    """Each dose's phase and planned day, from the phase definitions (oracle). A phase after the
    first follows the day the previous phase's last dose actually fell on (`actual`)."""
    out: list[tuple[Phase, dt.date]] = []
    week_start = start  # window reading: where the phase's weeks begin
    for phase, count in zip(regimen.phases, counts, strict=True):
        prior = actual[len(out) - 1] if out else None
        for k in range(count):
            if phase.cycle_days is not None:
                cycle, slot = divmod(k, len(phase.offsets))
                if regimen.phase_start == "window" or prior is None:
                    first = week_start
                else:  # the gap that closes the cycle, after the previous phase's last dose
                    first = prior + dt.timedelta(phase.cycle_days - phase.offsets[-1])
                day = first + dt.timedelta(cycle * phase.cycle_days + phase.offsets[slot])
            else:
                months = phase.months or 1
                if regimen.phase_start == "window" or prior is None:
                    day = same_day_months_later(week_start, months * k)
                else:
                    day = same_day_months_later(prior, months * (k + 1))
            out.append((phase, day))
        if phase.cycle_days is not None:
            per = len(phase.offsets)
            week_start += dt.timedelta(-(-count // per) * phase.cycle_days)
        else:
            week_start = same_day_months_later(week_start, (phase.months or 1) * count)
    return out


@st.composite
def cases(draw: st.DrawFn) -> tuple[Regimen, dict[str, Any]]:
    regimen = draw(st.sampled_from(PLANNABLE))
    start = draw(st.dates(dt.date(2000, 1, 1), dt.date(2100, 12, 31)))
    data: dict[str, Any] = {
        "regimen": regimen.id,
        "start": start,
        "route": draw(st.sampled_from(regimen.routes)),
        "age": str(draw(st.integers(18, 95))),  # adults: every regimen's fixed dose is allowed
    }
    if regimen.open_phase is not None:
        data["maintenance"] = draw(st.integers(0, 14))
    closed = draw(st.lists(st.integers(-3, 500), max_size=60, unique=True))
    data["clinic"] = {
        "country": None,
        "open_days": draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=7, unique=True)),
        "closed": [start + dt.timedelta(days=n) for n in closed],
        "shift": draw(st.sampled_from(["next", "previous"])),
    }
    return regimen, data


def is_closed(day: dt.date, data: dict[str, Any]) -> bool:
    open_weekdays = {WEEKDAYS.index(d) for d in data["clinic"]["open_days"]}
    return day in set(data["clinic"]["closed"]) or day.weekday() not in open_weekdays


@given(cases())
@SETTINGS
def test_every_gap_keeps_its_phase_minimum_and_only_closures_stretch_it(
    case: tuple[Regimen, dict[str, Any]],
) -> None:
    regimen, data = case
    request = PlanRequest.model_validate(data)
    plan = build_plan(request, REGISTRY, NOW_DT)
    it: list[Event] = [e for e in plan.events if e.kind == "it-dose"]
    counts = [
        request.maintenance if p.until_progression and request.maintenance is not None else p.count
        for p in regimen.phases
    ]
    oracle = planned_days(regimen, request.start, counts, [e.date for e in it])
    assert [(e.phase, e.shifted_from or e.date) for e in it] == [(p.name, d) for p, d in oracle]
    for (prev_phase, prev_planned), (phase, planned), before, event in zip(
        oracle, oracle[1:], it, it[1:], strict=False
    ):
        gap = (event.date - before.date).days
        minimum = phase.min_days
        if regimen.phase_start == "window" and phase is not prev_phase:
            minimum = min(minimum, prev_phase.min_days)
        assert gap >= minimum, (before.date, event.date)
        boundary = phase is not prev_phase and regimen.phase_start != "window"
        reference = before.date if boundary else prev_planned  # a new phase follows the real last dose
        interval = (planned - reference).days
        if phase.months is not None and boundary:
            assert 28 <= interval <= 31  # a month after the previous phase's last dose
            if event.shifted_from is None:
                assert 28 <= gap <= 31
        later = (event.date - planned).days  # days this dose was moved later
        earlier = max(0, (reference - before.date).days)  # days the previous one came forward
        assert gap <= interval + max(0, later) + earlier
        if later > 0:
            # moved later: by closed days (named in its reason) or to keep the minimum after a
            # previous dose that a closure had moved
            floor = max(planned, before.date + dt.timedelta(minimum))
            assert all(is_closed(floor + dt.timedelta(n), data) for n in range((event.date - floor).days))
            assert event.shift_reason is not None
            assert "closed" in event.shift_reason or "kept" in event.shift_reason
        if event.shifted_from is None and (boundary or before.shifted_from is None):
            assert gap == interval  # nothing moved: exactly the planned interval


def test_the_issue_example_gives_exactly_these_dates(registry: Registry) -> None:
    request = PlanRequest.model_validate(
        {"start": "2027-04-05", "age": "60", "route": "ommaya", "clinic": {"country": "US"}}
    )
    days = [
        e.date.isoformat()[5:] for e in build_plan(request, registry, NOW_DT).events if e.kind == "it-dose"
    ]
    assert days == [
        *("04-05", "04-08", "04-12", "04-15", "04-19", "04-22", "04-26", "04-29"),
        *("05-06", "05-13", "05-20", "05-27"),
        *("06-28", "07-27", "08-27", "09-27", "10-27", "11-29"),
    ]
