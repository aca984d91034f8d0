"""Systemic therapy: templates match the clinical reference, and every template expands to the
right dates and doses for any weight, height, start and closures. The oracles are written out
independently of scheduler.systemic and scheduler.dosing (Mosteller's formula, the label doses,
a brute-force tablet search, day-by-day calendars)."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.dosing import bsa_mosteller, tablet_combination
from scheduler.errors import InputError
from scheduler.models import WEEKDAYS, PlanRequest, Systemic
from scheduler.plan import Event, Plan
from scheduler.schedule import build_plan
from scheduler.templates import Registry, load_registry

from ..conftest import NOW_DT

REGISTRY: Registry = load_registry()
SYSTEMIC = REGISTRY.ids("systemic")
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def plan_for(template: str, **fields: Any) -> Plan:
    course = {"template": template, "start": fields.pop("course_start", "2027-01-05")}
    for key in ("cycles", "dose_level"):
        if key in fields:
            course[key] = fields.pop(key)
    data: dict[str, Any] = {
        "start": "2027-01-04",
        "age": 55,
        "route": "ommaya",
        "weight_kg": 72,
        "height_cm": 170,
        "weight_date": "2026-12-28",
        "systemic": [course],
        "clinic": {"country": "US"},
    }
    data.update(fields)
    return build_plan(PlanRequest.model_validate(data), REGISTRY, NOW_DT)


def course_events(plan: Plan, kind: str | None = None, drug: str | None = None) -> list[Event]:
    return [
        e
        for e in plan.events
        if e.kind in ("infusion", "tablet")
        and (kind is None or e.kind == kind)
        and (drug is None or e.drug == drug)
    ]


# --- templates match the reference ---------------------------------------------------------------


def test_every_reference_template_is_there() -> None:
    assert SYSTEMIC == [
        "sys-dabrafenib-trametinib",
        "sys-her2climb",
        "sys-osimertinib-160",
        "sys-osimertinib-80",
        "sys-tdxd-q3w",
    ]


def test_tdxd_matches_the_label() -> None:
    tpl = REGISTRY.systemic("sys-tdxd-q3w")
    (part,) = tpl.components
    assert tpl.cycle_days == 21 and part.route == "iv" and part.days == (1,)
    assert part.dose.basis == "mg/kg" and part.dose.amount == 5.4
    assert part.dose.levels == (5.4, 4.4, 3.2)
    assert (part.infusion_min_first, part.infusion_min) == (90, 30)
    assert tpl.sources == ("S16",) and tpl.evidence == "label"


def test_her2climb_matches_the_trial() -> None:
    tpl = REGISTRY.systemic("sys-her2climb")
    parts = {c.drug: c for c in tpl.components}
    assert tpl.cycle_days == 21
    tuca, cape, tras = parts["tucatinib"], parts["capecitabine"], parts["trastuzumab"]
    assert tuca.route == "oral" and len(tuca.times) == 2 and tuca.on_days is None and tuca.dose.amount == 300
    assert cape.on_days == (1, 14) and len(cape.times) == 2
    assert cape.dose.basis == "mg/m2" and cape.dose.amount == 1000 and cape.dose.tablets_mg == (150, 500)
    assert cape.dose.renal is not None and (cape.dose.renal.reduce_below, cape.dose.renal.percent) == (50, 75)
    assert cape.dose.renal.contraindicated_below == 30
    assert tras.route == "iv" and (tras.dose.loading, tras.dose.amount) == (8, 6)
    assert tras.dose.reload_late_days == 7


def test_oral_templates_match_their_labels() -> None:
    assert REGISTRY.systemic("sys-osimertinib-80").components[0].dose.amount == 80
    high = REGISTRY.systemic("sys-osimertinib-160")
    assert high.components[0].dose.amount == 160 and high.status == "off-label" and high.evidence == "trial"
    parts = {c.drug: c for c in REGISTRY.systemic("sys-dabrafenib-trametinib").components}
    assert parts["dabrafenib"].dose.amount == 150 and len(parts["dabrafenib"].times) == 2
    assert parts["trametinib"].dose.amount == 2 and len(parts["trametinib"].times) == 1


def test_every_systemic_template_is_adult_only_and_sourced() -> None:
    for tid in SYSTEMIC:
        tpl = REGISTRY.systemic(tid)
        assert tpl.adult_only
        for part in tpl.components:
            assert set(part.dose.sources) <= set(REGISTRY.sources)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"cycle_days": 3}, "greater than or equal to 7"),
        ({"components": []}, "at least 1"),
    ],
)
def test_a_bad_systemic_template_is_refused(change: dict[str, Any], message: str) -> None:
    data = REGISTRY.systemic("sys-tdxd-q3w").model_dump()
    data.update(change)
    with pytest.raises(ValueError, match=message):
        Systemic.model_validate(data)


def test_component_checks() -> None:
    data = REGISTRY.systemic("sys-her2climb").model_dump()
    data["components"][1]["on_days"] = (10, 30)  # beyond the 21-day cycle
    with pytest.raises(ValueError, match="beyond the 21-day cycle"):
        Systemic.model_validate(data)
    data = REGISTRY.systemic("sys-tdxd-q3w").model_dump()
    data["components"][0]["dose"]["levels"] = (5.4, 6.0)
    with pytest.raises(ValueError, match="decrease"):
        Systemic.model_validate(data)


# --- dosing oracles ----------------------------------------------------------------------------


def mosteller(height: float, weight: float) -> float:
    return round(math.sqrt(height * weight / 3600), 2)


def brute_tablets(target: float, strengths: tuple[float, ...], band: float = 5) -> tuple[float, int]:
    """Every combination of up to 40 tablets, in whole hundredths of a mg (no float ties): the
    fewest tablets within the band (then nearest, then lower), else the nearest total (then
    lower)."""
    goal = round(target * 100)
    sizes = [round(s * 100) for s in strengths]
    options = []
    for counts in itertools.product(*(range(41) for _ in strengths)):
        n = sum(counts)
        if 0 < n <= 40:
            options.append((sum(c * s for c, s in zip(counts, sizes, strict=True)), n))
    close = [o for o in options if abs(o[0] - goal) * 100 <= goal * band]
    if close:
        best = min(close, key=lambda o: (o[1], abs(o[0] - goal), o[0]))
    else:
        best = min(options, key=lambda o: (abs(o[0] - goal), o[0], o[1]))
    return best[0] / 100, best[1]


@given(st.floats(300, 4000, allow_nan=False).map(lambda v: round(v, 2)))
@settings(max_examples=60, deadline=None)
def test_tablet_combination_is_the_best_one(target: float) -> None:
    total, counts = tablet_combination(target, (150, 500))
    assert sum(mg * n for mg, n in counts.items()) == total
    want_total, want_n = brute_tablets(target, (150, 500))
    assert total == want_total
    assert sum(counts.values()) == want_n


def test_tablet_example_from_the_issue() -> None:
    assert tablet_combination(1830, (150, 500)) == (1800, {500: 3, 150: 2})


def test_bsa_is_mosteller() -> None:
    assert bsa_mosteller(170, 72) == 1.84
    assert bsa_mosteller(164, 68.4) == 1.77


# --- expansion properties ------------------------------------------------------------------------


@st.composite
def systemic_requests(draw: st.DrawFn) -> dict[str, Any]:
    start = draw(st.dates(dt.date(2026, 1, 1), dt.date(2090, 12, 31)))
    course_start = start + dt.timedelta(days=draw(st.integers(-20, 40)))
    template = draw(st.sampled_from(SYSTEMIC))
    levels = REGISTRY.systemic(template).levels
    closed = draw(st.lists(st.integers(-5, 400), max_size=60, unique=True))
    open_days = draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=7, unique=True))
    return {
        "start": start,
        "age": 60,
        "route": "ommaya",
        "weight_kg": draw(st.floats(30, 300).map(lambda v: round(v, 1))),
        "height_cm": draw(st.floats(120, 230).map(lambda v: round(v, 1))),
        "weight_date": course_start - dt.timedelta(days=draw(st.integers(0, 20))),
        "crcl": draw(st.none() | st.floats(30, 150).map(lambda v: round(v, 1))),
        "systemic": [
            {
                "template": template,
                "start": course_start,
                "cycles": draw(st.integers(1, 12)),
                "dose_level": -draw(st.integers(0, levels - 1)),
            }
        ],
        "clinic": {
            "country": None,
            "open_days": open_days,
            "closed": [course_start + dt.timedelta(days=n) for n in closed],
        },
    }


def expected_mg(part: Any, request: PlanRequest, level: int, loading: bool) -> float:
    """The dose rule written out: amount (or level, or loading), renal %, basis, rounding."""
    dose = part.dose
    per = dose.levels[-level] if dose.levels and level else dose.amount
    if loading and dose.loading:
        per = dose.loading
    if dose.renal and request.crcl is not None and request.crcl < dose.renal.reduce_below:
        per = round(per * dose.renal.percent / 100, 2)
    if dose.basis == "mg/kg":
        raw = round(per * request.weight_kg, 2)
    elif dose.basis == "mg/m2":
        raw = round(per * mosteller(request.height_cm, request.weight_kg), 2)
    else:
        raw = per
    if dose.tablets_mg:
        return brute_tablets(raw, dose.tablets_mg)[0]
    if dose.round_mg:
        return round(round(raw / dose.round_mg) * dose.round_mg, 2)
    return raw


@given(systemic_requests())
@SETTINGS
def test_systemic_expansion_properties(data: dict[str, Any]) -> None:
    request = PlanRequest.model_validate(data)
    course = request.systemic[0]
    tpl = REGISTRY.systemic(course.template)
    plan = build_plan(request, REGISTRY, NOW_DT)
    closed = set(request.clinic.closed[0].days()) if request.clinic.closed else set()
    closed = {d for c in request.clinic.closed for d in c.days()}
    open_weekdays = {WEEKDAYS.index(d) for d in request.clinic.open_days}
    cycles = course.cycles
    events = course_events(plan)
    day_ones = sorted({(e.cycle, e.date) for e in events if e.kind == "infusion" and e.cycle_day == 1})
    if tpl.has_infusion:
        assert [c for c, _ in day_ones] == list(range(1, cycles + 1))
        starts = [d for _, d in day_ones]
        # never before the start, never shorter than the cycle, always on an open day
        assert starts[0] >= course.start
        for a, b in itertools.pairwise(starts):
            assert (b - a).days >= tpl.cycle_days
        for e in events:
            if e.kind == "infusion":
                assert e.date.weekday() in open_weekdays and e.date not in closed
    else:
        starts = [course.start + dt.timedelta(days=k * tpl.cycle_days) for k in range(cycles)]
    by_cycle = dict(enumerate(starts, start=1))
    for part in tpl.components:
        mine = [e for e in events if e.drug == part.drug]
        for e in mine:
            loading = e.cycle == 1 or any("loading dose" in n and "again" in n for n in e.notes)
            assert e.dose_mg == expected_mg(part, request, course.dose_level, loading)
            if e.tablets:
                parts = [chunk.split(" x ") for chunk in e.tablets.split(" + ")]
                assert sum(int(n) * float(mg.removesuffix(" mg")) for n, mg in parts) == e.dose_mg
        if part.route == "oral":
            # tablets: never shifted; taken exactly on their days, once per time of day
            for clock in part.times:
                taken = Counter(
                    e.date + dt.timedelta(n) for e in mine if e.time == clock for n in range(e.repeat_days)
                )
                assert all(n == 1 for n in taken.values()), "a day is covered twice"
                want: set[dt.date] = set()
                for k, day1 in by_cycle.items():
                    end = by_cycle.get(k + 1, day1 + dt.timedelta(tpl.cycle_days))
                    if part.on_days:
                        first = day1 + dt.timedelta(part.on_days[0] - 1)
                        last = min(day1 + dt.timedelta(part.on_days[1] - 1), end - dt.timedelta(1))
                    else:
                        first, last = day1, end - dt.timedelta(1)
                    want |= {first + dt.timedelta(n) for n in range((last - first).days + 1)}
                assert set(taken) == want
            assert all(e.shifted_from is None for e in mine)


def test_tdxd_dates_doses_and_minutes() -> None:
    plan = plan_for("sys-tdxd-q3w", weight_kg=72, cycles=4, clinic={"country": "US"})
    infusions = course_events(plan, "infusion")
    # 2027-01-05, +21 = 01-26, 02-16, 03-09: all open Tuesdays
    assert [e.date.isoformat() for e in infusions] == ["2027-01-05", "2027-01-26", "2027-02-16", "2027-03-09"]
    assert [e.dose_mg for e in infusions] == [389] * 4
    assert infusions[0].dose_calc == "5.4 mg/kg x 72 kg = 389 mg (388.8 rounded to 1 mg)"
    assert [e.duration_min for e in infusions] == [90, 30, 30, 30]
    assert [(e.cycle, e.cycle_day) for e in infusions] == [(1, 1), (2, 1), (3, 1), (4, 1)]
    assert all(e.route == "iv" and e.time == "10:30" for e in infusions)


def test_tdxd_dose_levels() -> None:
    for level, mg in ((0, 389), (-1, 317), (-2, 230)):
        plan = plan_for("sys-tdxd-q3w", weight_kg=72, cycles=1, dose_level=level)
        assert course_events(plan)[0].dose_mg == mg  # 5.4, 4.4, 3.2 mg/kg x 72 kg


def test_a_closed_day_one_moves_forward_only_and_the_next_cycle_counts_from_it() -> None:
    # 2027-01-26 closed: cycle 2 moves to 01-27 (never back to 01-25), cycle 3 is 21 days after it
    plan = plan_for(
        "sys-tdxd-q3w", cycles=3, clinic={"country": "US", "shift": "previous", "closed": ["2027-01-26"]}
    )
    days = [e.date.isoformat() for e in course_events(plan, "infusion")]
    assert days == ["2027-01-05", "2027-01-27", "2027-02-17"]
    moved = course_events(plan, "infusion")[1]
    assert moved.shifted_from == dt.date(2027, 1, 26)


def test_her2climb_tablets_follow_the_actual_day_one() -> None:
    plan = plan_for("sys-her2climb", cycles=2, clinic={"country": "US", "closed": ["2027-01-26..2027-01-29"]})
    tras = course_events(plan, "infusion")
    assert [e.date.isoformat() for e in tras] == ["2027-01-05", "2027-02-01"]  # moved 6 days
    assert [e.dose_mg for e in tras] == [576, 432]  # 8 then 6 mg/kg x 72 kg
    assert [e.duration_min for e in tras] == [90, 30]
    cape = [e for e in course_events(plan, "tablet", "capecitabine") if e.time == "08:00"]
    assert [(e.date.isoformat(), e.repeat_days) for e in cape] == [("2027-01-05", 14), ("2027-02-01", 14)]
    assert cape[0].dose_mg == 1800 and cape[0].tablets == "3 x 500 mg + 2 x 150 mg"
    tuca = [e for e in course_events(plan, "tablet", "tucatinib") if e.time == "20:00"]
    # continuous: cycle 1 runs up to the day before the moved day 1 (27 days), cycle 2 for 21
    assert [(e.date.isoformat(), e.repeat_days) for e in tuca] == [("2027-01-05", 27), ("2027-02-01", 21)]


def test_trastuzumab_loading_dose_again_when_more_than_a_week_late() -> None:
    plan = plan_for("sys-her2climb", cycles=3, clinic={"country": "US", "closed": ["2027-01-26..2027-02-03"]})
    tras = course_events(plan, "infusion")
    assert tras[1].date == dt.date(2027, 2, 4)  # 9 days late
    assert tras[1].dose_mg == 576 and tras[1].duration_min == 90
    assert any("loading dose is given again" in n and "S22" in n for n in tras[1].notes)
    assert tras[2].dose_mg == 432


def test_capecitabine_renal_reduction() -> None:
    plan = plan_for("sys-her2climb", cycles=1, crcl=40)
    cape = course_events(plan, "tablet", "capecitabine")[0]
    # 75% of 1000 mg/m2 x 1.84 m2 = 1380 mg -> 1400 mg
    assert cape.dose_mg == 1400
    assert cape.dose_calc is not None and cape.dose_calc.startswith("75% of 1000 mg/m2")


def test_hold_around_rt_splits_braf_mek_tablets() -> None:
    plan = plan_for(
        "sys-dabrafenib-trametinib",
        cycles=2,
        course_start="2027-01-04",
        rt="focal-30gy-10fx",
        rt_start="2027-01-18",
        hold_around_rt=True,
    )
    rt = [e.date for e in plan.events if e.kind == "rt-fraction"]
    first, last = min(rt) - dt.timedelta(3), max(rt) + dt.timedelta(3)
    for e in course_events(plan, "tablet"):
        days = [e.date + dt.timedelta(n) for n in range(e.repeat_days)]
        assert not any(first <= d <= last for d in days)
    assert any("held" in n and "S21" in n for n in plan.notes)


def test_continuous_tablets_are_never_endless() -> None:
    plan = plan_for("sys-osimertinib-80", weight_kg=None, height_cm=None, weight_date=None)
    tabs = course_events(plan, "tablet")
    assert len(tabs) == 6 and sum(e.repeat_days for e in tabs) == 6 * 28


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"weight_kg": None, "weight_date": None}, "weight_kg"),
        ({"weight_date": None}, "weight_date"),
        ({"height_cm": None}, "height_cm"),
    ],
)
def test_missing_body_size_names_the_field(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as caught:
        plan_for("sys-her2climb", **fields)
    assert caught.value.field == field


def test_a_dose_level_the_template_lacks() -> None:
    with pytest.raises(InputError) as caught:
        plan_for("sys-osimertinib-80", dose_level=-1)
    assert caught.value.field == "dose_level" and caught.value.choices == ["0"]
    with pytest.raises(InputError) as caught:
        plan_for("sys-tdxd-q3w", dose_level=-3)
    assert caught.value.choices == ["0", "-1", "-2"]


def test_old_plans_keep_their_json() -> None:
    """A plan without systemic therapy writes none of the new keys (so older plans load and keep
    their fingerprints)."""
    from scheduler.plan import plan_to_json

    plan = build_plan(
        PlanRequest.model_validate({"start": "2027-01-04", "age": 55, "route": "ommaya"}), REGISTRY, NOW_DT
    )
    text = plan_to_json(plan).decode()
    for key in ("systemic", "weight_kg", "cycle_day", "dose_calc", "infusion_time", "prep_min", "cycle_days"):
        assert f'"{key}"' not in text
