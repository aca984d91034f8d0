"""Doses by age on the day of each dose, lower orders, and the ceilings that block a plan."""

from __future__ import annotations

import datetime as dt

import pytest

from scheduler.dosing import age_in_months, birthday
from scheduler.plan import Plan
from scheduler.rules import check_plan
from scheduler.templates import Registry

from ..conftest import make_plan

D = dt.date


def it_doses(plan: Plan) -> list[tuple[str, float]]:
    return [(e.date.isoformat(), e.dose_mg or 0) for e in plan.events if e.kind == "it-dose"]


@pytest.mark.parametrize(
    ("age", "mg"),
    [
        ("0", 6),
        ("11m", 6),
        ("12m", 8),
        ("1", 8),
        ("23m", 8),
        ("2", 10),
        ("3", 12),
        ("17", 12),
        ("18", 15),
        ("45", 15),
        ("120", 15),
    ],
)
def test_age_bands(registry: Registry, age: str, mg: int) -> None:
    plan = make_plan(registry, age=age)
    assert {dose for _, dose in it_doses(plan)} == {mg}
    assert {e.max_mg for e in plan.events if e.kind == "it-dose"} == {mg}
    assert any("age given for the start date" in n for n in plan.notes)


def test_child_turning_three_mid_plan(registry: Registry) -> None:
    plan = make_plan(registry, age=None, dob="2024-01-08", start="2026-12-01", clinic={"country": None})
    doses = it_doses(plan)
    assert all(mg == 10 for day, mg in doses if day < "2027-01-08")
    assert all(mg == 12 for day, mg in doses if day >= "2027-01-08")
    changed = [e for e in plan.events if any("10 -> 12 mg" in n for n in e.notes)]
    assert len(changed) == 1 and changed[0].date == D(2027, 1, 8)
    info = [f for f in check_plan(plan).plan.findings if f.rule == "age-band-dose-change"]
    assert [f.message for f in info] == [
        "methotrexate dose changes from 10 mg to 12 mg on 2027-01-08: age band 3 to under 18 years "
        "(age 3 from 2027-01-08)"
    ]
    assert info[0].event_uids == (changed[0].uid,)


def test_turning_eighteen(registry: Registry) -> None:
    plan = make_plan(registry, age=None, dob="2009-01-05", start="2026-12-01", clinic={"country": None})
    doses = it_doses(plan)
    assert {mg for day, mg in doses if day < "2027-01-05"} == {12}
    assert {mg for day, mg in doses if day >= "2027-01-05"} == {15}


def test_leap_day_birthday() -> None:
    assert age_in_months(D(2020, 2, 29), D(2021, 2, 28)) == 11
    assert age_in_months(D(2020, 2, 29), D(2021, 3, 1)) == 12
    assert birthday(D(2020, 2, 29), 1) == D(2021, 3, 1)
    assert birthday(D(2020, 2, 29), 4) == D(2024, 2, 29)


def test_lower_adult_order(registry: Registry) -> None:
    plan = make_plan(registry, dose=10)
    assert {mg for _, mg in it_doses(plan)} == {10}
    assert all("ordered 10 mg; adult (18+) dose 15 mg" in e.notes for e in plan.events if e.kind == "it-dose")
    assert not check_plan(plan).blocking


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        (
            {"dose": 20},
            "ordered methotrexate 20 mg is above the adult (18+) dose of 15 mg on 18 dates "
            "(2026-12-01 to 2027-07-26); no order may exceed it",
        ),
        ({"age": "2", "dose": 12}, "ordered methotrexate 12 mg is above the 2 years dose of 10 mg"),
        (
            {"age": None, "dob": "2026-03-01", "dose": 8},
            "ordered methotrexate 8 mg is above the under 1 year dose of 6 mg on 13 dates (2026-12-01 to 2027-02-25)",
        ),
        (
            {"regimen": "it-mtx-10mg-twice-weekly", "age": "1"},
            "it-mtx-10mg-twice-weekly gives methotrexate 10 mg, above the 1 year dose of 8 mg on 16 dates",
        ),
        ({"regimen": "it-thiotepa", "dose": 11}, "ordered thiotepa 11 mg is above the regimen dose of 10 mg"),
    ],
    ids=["adult-20", "child-2y-12", "infant-8", "template-10mg-at-1y", "thiotepa-11"],
)
def test_doses_above_the_ceiling_block(registry: Registry, fields: dict[str, object], text: str) -> None:
    plan = make_plan(registry, **fields)
    result = check_plan(plan)
    found = [f for f in result.plan.findings if f.rule == "dose-above-age-band"]
    assert len(found) == 1 and found[0].severity == "block"
    assert text in found[0].message
    assert found[0] in result.blocking
    if "dose" in fields:  # the order is kept as written, never silently lowered
        assert fields["dose"] in {e.dose_mg for e in plan.events if e.kind == "it-dose"}


@pytest.mark.parametrize(
    "fields",
    [
        {"dose": 15},
        {"dose": 10},
        {"age": "2", "dose": 10},
        {"regimen": "it-mtx-10mg-twice-weekly", "age": "2"},
        {"regimen": "it-thiotepa", "dose": 10},
    ],
)
def test_doses_at_or_below_the_ceiling_do_not_block(registry: Registry, fields: dict[str, object]) -> None:
    findings = check_plan(make_plan(registry, **fields)).plan.findings
    assert not [f for f in findings if f.rule == "dose-above-age-band"]


def test_fixed_dose_regimens(registry: Registry) -> None:
    assert {mg for _, mg in it_doses(make_plan(registry, regimen="it-thiotepa"))} == {10}
    assert {mg for _, mg in it_doses(make_plan(registry, regimen="it-trastuzumab"))} == {80}
    assert {mg for _, mg in it_doses(make_plan(registry, regimen="it-mtx-10mg-twice-weekly", age="2"))} == {
        10
    }


def test_withdrawn_regimen_is_blocked(registry: Registry) -> None:
    plan = make_plan(registry, regimen="it-liposomal-cytarabine")
    assert not plan.events
    result = check_plan(plan)
    assert [f.rule for f in result.blocking] == ["withdrawn-product"]
    assert result.blocking[0].sources == ("S13",)


def test_memantine_renal_cap(registry: Registry) -> None:
    common = {"rt": "wbrt-30gy-10fx", "rt_start": "2026-11-23"}
    normal = [e for e in make_plan(registry, **common).events if e.kind == "medication"]
    capped = [e for e in make_plan(registry, crcl=25, **common).events if e.kind == "medication"]
    assert [e.dose_mg for e in normal] == [5, 5, 5, 10, 5, 10, 10]
    assert [e.dose_mg for e in capped] == [5, 5, 5, 5, 5, 5, 5]
    assert any("CrCl 25 mL/min" in n for e in capped for n in e.notes)
