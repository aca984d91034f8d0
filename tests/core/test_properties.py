"""Properties of the date engine for any start date 2000-2100, any age or birth date and any set of
closed days. The checks use independent oracles (weekday and closure sets, the reference's age
table), not the code under test."""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from scheduler.calendar import build_calendar
from scheduler.expand import expand_regimen
from scheduler.models import WEEKDAYS, Clinic, PlanRequest
from scheduler.rules import check_plan
from scheduler.schedule import build_plan
from scheduler.templates import Registry, load_registry

from ..conftest import NOW_DT

REGISTRY: Registry = load_registry()
MTX = REGISTRY.regimen("it-mtx-intensive")
US_NY = build_calendar(Clinic(country="US", subdiv="NY"))
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def reference_band_mg(age_years: int) -> int:
    """The clinical reference's age table (S1, S2), written out independently of the template."""
    if age_years < 1:
        return 6
    if age_years < 2:
        return 8
    if age_years < 3:
        return 10
    if age_years < 18:
        return 12
    return 15


def age_years(dob: dt.date, day: dt.date) -> int:
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


def age_of(request: PlanRequest, day: dt.date) -> int:
    return age_years(request.dob, day) if request.dob else request.age.years  # type: ignore[union-attr]


@st.composite
def requests(draw: st.DrawFn, rt: bool = True) -> dict[str, Any]:
    start = draw(st.dates(dt.date(2000, 1, 1), dt.date(2100, 12, 31)))
    data: dict[str, Any] = {
        "start": start,
        "route": draw(st.sampled_from(["ommaya", "lumbar"])),
        "maintenance": draw(st.integers(0, 24)),
    }
    if draw(st.booleans()):
        data["dob"] = start - dt.timedelta(days=draw(st.integers(0, 120 * 365)))
    else:
        months = draw(st.integers(0, 120 * 12))
        data["age"] = f"{months}m" if draw(st.booleans()) else str(months // 12)
    open_days = draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=7, unique=True))
    closed = draw(st.lists(st.integers(-5, 800), max_size=80, unique=True))
    data["clinic"] = {
        "country": None,
        "open_days": open_days,
        "closed": [start + dt.timedelta(days=n) for n in closed],
        "shift": draw(st.sampled_from(["next", "previous"])),
    }
    if rt and draw(st.booleans()):
        data["rt"] = draw(st.sampled_from(REGISTRY.ids("radiotherapy")))
        # Starts are accepted 1900-2100 (the input limit), so the RT start stays inside it too.
        rt_start = start + dt.timedelta(days=draw(st.integers(-40, 60)))
        data["rt_start"] = min(rt_start, dt.date(2100, 12, 31))
    return data


def closed_oracle(data: dict[str, Any]) -> tuple[set[dt.date], set[int]]:
    return set(data["clinic"]["closed"]), {WEEKDAYS.index(d) for d in data["clinic"]["open_days"]}


@given(requests())
@SETTINGS
def test_plan_properties(data: dict[str, Any]) -> None:
    request = PlanRequest.model_validate(data)
    if request.dob is not None:
        assume(age_years(request.dob, request.start) <= 120)
    plan = build_plan(request, REGISTRY, NOW_DT)
    closures, open_weekdays = closed_oracle(data)
    it = [e for e in plan.events if e.kind == "it-dose"]

    # phase dose counts
    counts = {p.name: p.count for p in MTX.phases}
    counts["maintenance"] = data["maintenance"]
    for name, count in counts.items():
        assert sum(e.phase == name for e in it) == count

    # strictly increasing dates, minimum spacing, never before the start
    slots = expand_regimen(MTX, request.start, request.maintenance)
    assert it[0].date >= request.start if it else True
    for previous, event, slot in zip(it, it[1:], slots[1:], strict=False):
        assert event.date > previous.date
        assert (event.date - previous.date).days >= slot.min_gap

    # no IT dose or RT fraction on a closed day
    for event in plan.events:
        if event.kind in ("it-dose", "rt-fraction"):
            assert event.date not in closures
            assert event.date.weekday() in open_weekdays

    # shifted events say where from and why; the others do not (the planned days themselves are
    # checked against an oracle in test_phase_properties.py)
    assert len(it) == len(slots)
    for event in it:
        assert event.shifted_from != event.date
        assert (event.shift_reason is None) == (event.shifted_from is None)

    # dose never above the age band's dose on that day
    for event in it:
        age = age_years(request.dob, event.date) if request.dob else request.age.years  # type: ignore[union-attr]
        assert event.dose_mg is not None and 0 < event.dose_mg <= reference_band_mg(age)
        assert event.dose_mg == reference_band_mg(age)

    # RT: as many fractions as the template says, on consecutive open days
    if request.rt:
        rt = [e for e in plan.events if e.kind == "rt-fraction"]
        assert len(rt) == REGISTRY.radiotherapy(request.rt).fractions
        for previous, event in itertools.pairwise(rt):
            gap = [previous.date + dt.timedelta(n) for n in range(1, (event.date - previous.date).days)]
            assert all(d in closures or d.weekday() not in open_weekdays for d in gap)

    # UIDs are unique and the same inputs give the same plan
    assert len({e.uid for e in plan.events}) == len(plan.events)
    assert build_plan(request, REGISTRY, NOW_DT) == plan


@given(requests(rt=False), st.sampled_from(["it-mtx-10mg-twice-weekly", "it-thiotepa", "it-trastuzumab"]))
@SETTINGS
def test_other_regimens_keep_counts_spacing_and_ceiling(data: dict[str, Any], regimen: str) -> None:
    data = {**data, "regimen": regimen, "route": "ommaya"}
    template = REGISTRY.regimen(regimen)
    if template.open_phase is None:
        data.pop("maintenance")
    request = PlanRequest.model_validate(data)
    plan = build_plan(request, REGISTRY, NOW_DT)
    blocked = {f.rule for f in check_plan(plan).blocking}
    over_band = [
        e
        for e in plan.events
        if e.kind == "it-dose"
        and e.drug == "methotrexate"
        and (e.dose_mg or 0) > reference_band_mg(age_of(request, e.date))
    ]
    # only the age ceiling can block these plans (10 mg for a child under 2), and it always does
    assert blocked == ({"dose-above-age-band"} if over_band else set())
    slots = expand_regimen(template, request.start, request.maintenance)
    it = [e for e in plan.events if e.kind == "it-dose"]
    assert len(it) == len(slots)
    closures, open_weekdays = closed_oracle(data)
    for previous, event, slot in zip(it, it[1:], slots[1:], strict=False):
        assert (event.date - previous.date).days >= slot.min_gap
    assert all(e.date not in closures and e.date.weekday() in open_weekdays for e in it)


@given(st.dates(dt.date(2000, 1, 1), dt.date(2100, 12, 31)), st.integers(1, 36))
@settings(max_examples=300, deadline=None)
def test_monthly_doses_never_skip_or_drift(start: dt.date, count: int) -> None:
    slots = expand_regimen(MTX, start, count)
    monthly = [s.planned for s in slots if s.phase.name == "maintenance"]
    anchor = [s.planned for s in slots if s.phase.name == "consolidation"][-1]  # the last weekly dose
    for k, day in enumerate(monthly, start=1):
        year, month0 = divmod(anchor.year * 12 + anchor.month - 1 + k, 12)
        last_day = calendar.monthrange(year, month0 + 1)[1]
        assert day == dt.date(year, month0 + 1, min(anchor.day, last_day))


@given(
    st.dates(dt.date(2000, 1, 1), dt.date(2100, 12, 31)),
    st.sampled_from(["next", "previous"]),
    st.integers(0, 12),
)
@settings(max_examples=150, deadline=None)
def test_real_holidays_never_hold_a_dose(start: dt.date, shift: str, maintenance: int) -> None:
    request = PlanRequest.model_validate(
        {
            "start": start,
            "age": "50",
            "route": "ommaya",
            "maintenance": maintenance,
            "rt": "wbrt-30gy-10fx",
            "rt_start": start,
            "clinic": {"subdiv": "NY", "shift": shift},
        }
    )
    plan = build_plan(request, REGISTRY, NOW_DT, calendar=US_NY)
    for event in plan.events:
        if event.kind != "medication":
            assert US_NY.is_open(event.date), (event.date, US_NY.closed_reason(event.date))
