"""Doses by age on the day of each dose, lower orders, and the ceilings that refuse an order."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from scheduler.dosing import age_in_months
from scheduler.errors import BlockedError
from scheduler.templates import Registry

from .conftest import make_plan

D = dt.date


def it_doses(plan) -> list[tuple[str, float]]:  # type: ignore[no-untyped-def]
    return [(e.date.isoformat(), e.dose_mg) for e in plan.events if e.kind == "it-dose"]


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
    assert any("age given for the start date" in n for n in plan.notes)


def test_child_turning_three_mid_plan(registry: Registry) -> None:
    plan = make_plan(registry, age=None, dob="2024-01-08", start="2026-12-01", clinic={"country": None})
    doses = it_doses(plan)
    assert all(mg == 10 for day, mg in doses if day < "2027-01-08")
    assert all(mg == 12 for day, mg in doses if day >= "2027-01-08")
    changed = [e for e in plan.events if any("10 -> 12 mg" in n for n in e.notes)]
    assert len(changed) == 1 and changed[0].date == D(2027, 1, 12)


def test_turning_eighteen(registry: Registry) -> None:
    plan = make_plan(registry, age=None, dob="2009-01-05", start="2026-12-01", clinic={"country": None})
    doses = it_doses(plan)
    assert {mg for day, mg in doses if day < "2027-01-05"} == {12}
    assert {mg for day, mg in doses if day >= "2027-01-05"} == {15}


def test_leap_day_birthday() -> None:
    assert age_in_months(D(2020, 2, 29), D(2021, 2, 28)) == 11
    assert age_in_months(D(2020, 2, 29), D(2021, 3, 1)) == 12


def test_lower_adult_order(registry: Registry) -> None:
    plan = make_plan(registry, dose=10)
    assert {mg for _, mg in it_doses(plan)} == {10}
    assert all("ordered 10 mg (age band dose 15 mg)" in e.notes for e in plan.events)


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({"dose": 20}, "ordered methotrexate 20 mg on 2026-12-01 is above the adult (18+) dose of 15 mg"),
        ({"age": "2", "dose": 12}, "above the 2 years dose of 10 mg"),
        ({"age": None, "dob": "2026-03-01", "dose": 8}, "above the under 1 year dose of 6 mg"),
        (
            {"regimen": "it-mtx-10mg-twice-weekly", "age": "1"},
            "methotrexate 10 mg on 2026-12-01 is above the 1 year dose of 8 mg",
        ),
        ({"regimen": "it-thiotepa", "dose": 11}, "above the regimen's dose of 10 mg"),
    ],
)
def test_orders_above_the_ceiling_are_refused(
    registry: Registry, fields: dict[str, object], text: str
) -> None:
    with pytest.raises(BlockedError, match=re.escape(text)) as info:
        make_plan(registry, **fields)
    assert info.value.rule == "dose-above-age-band" and info.value.exit_code == 3


def test_fixed_dose_regimens(registry: Registry) -> None:
    assert {mg for _, mg in it_doses(make_plan(registry, regimen="it-thiotepa"))} == {10}
    assert {mg for _, mg in it_doses(make_plan(registry, regimen="it-trastuzumab"))} == {80}
    assert {mg for _, mg in it_doses(make_plan(registry, regimen="it-mtx-10mg-twice-weekly", age="2"))} == {
        10
    }


def test_withdrawn_regimen_is_refused(registry: Registry) -> None:
    with pytest.raises(BlockedError, match="withdrawn") as info:
        make_plan(registry, regimen="it-liposomal-cytarabine")
    assert info.value.sources == ["S13"]


def test_memantine_renal_cap(registry: Registry) -> None:
    common = {"rt": "wbrt-30gy-10fx", "rt_start": "2026-11-23"}
    normal = [e for e in make_plan(registry, **common).events if e.kind == "medication"]
    capped = [e for e in make_plan(registry, crcl=25, **common).events if e.kind == "medication"]
    assert [e.dose_mg for e in normal] == [5, 5, 5, 10, 5, 10, 10]
    assert [e.dose_mg for e in capped] == [5, 5, 5, 5, 5, 5, 5]
    assert any("CrCl 25 mL/min" in n for e in capped for n in e.notes)
