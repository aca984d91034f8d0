"""The systemic-therapy rules, each shown to fire and not to fire on real plans."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from scheduler.plan import Finding, Plan
from scheduler.rules import check_plan, evaluate
from scheduler.rules.systemic import taken_on

from .test_systemic import course_events, plan_for


def found(plan: Plan, rule: str) -> list[Finding]:
    return [f for f in evaluate(plan) if f.rule == rule]


def braf(**fields: Any) -> Plan:
    data: dict[str, Any] = {
        "weight_kg": None,
        "height_cm": None,
        "weight_date": None,
        "course_start": "2027-01-04",
        "cycles": 2,
    }
    return plan_for("sys-dabrafenib-trametinib", **{**data, **fields})


def test_braf_mek_inside_the_rt_window_stops() -> None:
    plan = braf(rt="focal-30gy-10fx", rt_start="2027-01-18")
    (hit,) = found(plan, "braf-mek-around-rt")
    assert hit.severity == "stop" and hit.sources == ("S21",)
    assert "dabrafenib and trametinib" in hit.message and "--hold-around-rt" in hit.message
    result = check_plan(plan)
    assert any(f.rule == "braf-mek-around-rt" for f in result.blocking)


def test_braf_mek_held_over_the_window_passes() -> None:
    assert (
        found(braf(rt="focal-30gy-10fx", rt_start="2027-01-18", hold_around_rt=True), "braf-mek-around-rt")
        == []
    )


def test_braf_mek_3_days_after_rt_still_stops_4_days_does_not() -> None:
    # RT ends on its 10th fraction; tablets start 3 days later (inside) or 4 days later (outside)
    base = braf(rt="focal-30gy-10fx", rt_start="2026-12-01")
    last = max(e.date for e in base.events if e.kind == "rt-fraction")
    inside = braf(rt="focal-30gy-10fx", rt_start="2026-12-01", course_start=str(last + dt.timedelta(3)))
    outside = braf(rt="focal-30gy-10fx", rt_start="2026-12-01", course_start=str(last + dt.timedelta(4)))
    assert found(inside, "braf-mek-around-rt") and not found(outside, "braf-mek-around-rt")


def test_no_rt_no_braf_finding() -> None:
    assert found(braf(), "braf-mek-around-rt") == []


def test_other_tablets_around_rt_are_not_braf_mek() -> None:
    plan = plan_for("sys-osimertinib-80", rt="focal-30gy-10fx", rt_start="2027-01-18")
    assert found(plan, "braf-mek-around-rt") == []


def test_trastuzumab_late_loading_info_and_warn() -> None:
    late = plan_for("sys-her2climb", cycles=3, clinic={"country": "US", "closed": ["2027-01-26..2027-02-03"]})
    (hit,) = found(late, "trastuzumab-late-loading")
    assert hit.severity == "info" and "loading dose 576 mg" in hit.message
    # the same lateness with the maintenance dose (e.g. a hand edit) is a warning
    tras = course_events(late, "infusion")[1]
    edited = late.model_copy(
        update={
            "events": tuple(
                e.model_copy(update={"dose_mg": 432}) if e.uid == tras.uid else e for e in late.events
            )
        }
    )
    (hit,) = found(edited, "trastuzumab-late-loading")
    assert hit.severity == "warn"
    on_time = plan_for("sys-her2climb", cycles=3)
    assert found(on_time, "trastuzumab-late-loading") == []


@pytest.mark.parametrize(("crcl", "severity"), [(25, "block"), (29.9, "block"), (30, "info"), (49, "info")])
def test_capecitabine_renal(crcl: float, severity: str) -> None:
    (hit,) = found(plan_for("sys-her2climb", crcl=crcl, cycles=1), "capecitabine-renal")
    assert hit.severity == severity and hit.sources == ("S28",)


@pytest.mark.parametrize("crcl", [50, 90, None])
def test_capecitabine_renal_quiet(crcl: float | None) -> None:
    assert found(plan_for("sys-her2climb", crcl=crcl, cycles=1), "capecitabine-renal") == []


def test_tucatinib_creatinine_with_a_memantine_cap() -> None:
    plan = plan_for("sys-her2climb", crcl=25.0, cycles=1, rt="wbrt-30gy-10fx", rt_start="2026-12-14")
    (hit,) = found(plan, "tucatinib-creatinine")
    assert "memantine" in hit.message and hit.severity == "info" and hit.sources == ("S18", "S8")


def test_tucatinib_creatinine_with_a_capecitabine_reduction() -> None:
    (hit,) = found(plan_for("sys-her2climb", crcl=40, cycles=1), "tucatinib-creatinine")
    assert "capecitabine" in hit.message


def test_tucatinib_creatinine_quiet_without_a_crcl_decision() -> None:
    assert found(plan_for("sys-her2climb", crcl=90, cycles=1), "tucatinib-creatinine") == []
    assert found(plan_for("sys-tdxd-q3w", crcl=25, cycles=1), "tucatinib-creatinine") == []


def test_adult_only_template_for_a_child_stops() -> None:
    child = plan_for("sys-tdxd-q3w", age=16, cycles=1)
    (hit,) = found(child, "adult-only-systemic")
    assert hit.severity == "stop" and "16 years old" in hit.message
    assert found(plan_for("sys-tdxd-q3w", age=18, cycles=1), "adult-only-systemic") == []
    # turning 18 before the course starts
    born = plan_for("sys-tdxd-q3w", age=None, dob="2009-01-01", cycles=1)
    assert found(born, "adult-only-systemic") == []
    young = plan_for("sys-tdxd-q3w", age=None, dob="2009-01-06", cycles=1)
    assert found(young, "adult-only-systemic")


def test_adult_only_override_with_a_reason_lifts_it() -> None:
    from scheduler.rules import OverrideRequest

    result = check_plan(
        plan_for("sys-tdxd-q3w", age=16, cycles=1),
        overrides=[OverrideRequest("adult-only-systemic", "Tumour board 2026-11-20 approved adult dosing")],
    )
    assert not [f for f in result.blocking if f.rule == "adult-only-systemic"]


@pytest.mark.parametrize(
    ("measured", "fires"), [("2026-12-05", True), ("2026-12-06", False), ("2027-01-06", True)]
)
def test_weight_outdated(measured: str, fires: bool) -> None:
    # first dose 2027-01-05: 31 days after 12-05 (fires), 30 after 12-06 (not), after the dose (fires)
    plan = plan_for("sys-tdxd-q3w", weight_date=measured, cycles=1)
    assert bool(found(plan, "weight-outdated")) == fires


def test_weight_outdated_follows_the_clinic_setting() -> None:
    plan = plan_for(
        "sys-tdxd-q3w", weight_date="2026-12-20", cycles=1, clinic={"country": "US", "weight_valid_days": 7}
    )
    assert found(plan, "weight-outdated")


def test_weight_outdated_ignores_fixed_doses() -> None:
    plan = plan_for("sys-osimertinib-80", weight_date="2025-01-01", cycles=1)
    assert found(plan, "weight-outdated") == []


def test_trastuzumab_without_lvef_warns() -> None:
    off = {"country": "US", "monitoring": {"mon-lvef-trastuzumab": {"off": True}}}
    assert [
        f.severity for f in found(plan_for("sys-tdxd-q3w", cycles=1, clinic=off), "trastuzumab-lvef")
    ] == ["warn"]
    assert found(plan_for("sys-her2climb", cycles=1, clinic=off), "trastuzumab-lvef")
    assert found(plan_for("sys-osimertinib-80", cycles=1), "trastuzumab-lvef") == []
    assert found(plan_for("sys-tdxd-q3w", cycles=1), "trastuzumab-lvef") == []  # the LVEF check is planned


def test_cycle_lengthened_beyond_the_window_warns() -> None:
    four = plan_for("sys-tdxd-q3w", cycles=2, clinic={"country": "US", "closed": ["2027-01-26..2027-01-29"]})
    (hit,) = found(four, "systemic-cycle-lengthened")
    assert "lengthened by 6 days" in hit.message  # 01-26 .. 01-29 closed, then the weekend
    three = plan_for("sys-tdxd-q3w", cycles=2, clinic={"country": "US", "closed": ["2027-01-26..2027-01-28"]})
    assert found(three, "systemic-cycle-lengthened") == []  # 3 days: inside the window


def test_systemic_methotrexate_from_a_template_counts_for_csi(tmp_path: Any) -> None:
    """A centre's own systemic template with methotrexate meets the CSI rule without --systemic-mtx."""
    import tomllib

    from scheduler.models import PlanRequest
    from scheduler.schedule import build_plan
    from scheduler.templates import load_registry

    from ..conftest import NOW_DT, ROOT

    folder = tmp_path / "systemic"
    folder.mkdir()
    (folder / "sys-hd-mtx.toml").write_text(
        'id = "sys-hd-mtx"\nversion = "1.0.0"\ntitle = "Test methotrexate IV"\nevidence = "convention"\n'
        'status = "investigational"\nsources = ["S1"]\nindication = "test only"\ncycle_days = 14\n'
        '[[components]]\ndrug = "methotrexate"\nroute = "iv"\nformulation = "injection"\ninfusion_min = 240\n'
        '[components.dose]\nbasis = "mg/m2"\namount = 3000\nround_mg = 10\nsources = ["S1"]\n'
    )
    registry = load_registry([ROOT / "templates", tmp_path])
    assert tomllib.loads((folder / "sys-hd-mtx.toml").read_text())["id"] == "sys-hd-mtx"
    request = PlanRequest.model_validate(
        {
            "start": "2027-01-04",
            "age": 50,
            "route": "ommaya",
            "rt": "csi-proton-30gy-10fx",
            "rt_start": "2027-03-01",
            "weight_kg": 70,
            "height_cm": 170,
            "weight_date": "2027-01-01",
            "systemic": [{"template": "sys-hd-mtx", "start": "2027-01-05", "cycles": 2}],
        }
    )
    plan = build_plan(request, registry, NOW_DT)
    (hit,) = found(plan, "csi-with-methotrexate")
    assert "systemic methotrexate" in hit.message


def test_taken_on_covers_every_tablet_day() -> None:
    plan = plan_for("sys-osimertinib-80", cycles=1)
    (tab,) = course_events(plan, "tablet")
    assert len(taken_on(tab)) == 28 and taken_on(tab)[-1] == tab.date + dt.timedelta(27)


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@given(rt_offset=st.integers(-60, 90), cycles=st.integers(1, 3), hold=st.booleans())
@settings(max_examples=60, deadline=None)
def test_braf_mek_rule_matches_a_day_by_day_oracle(rt_offset: int, cycles: int, hold: bool) -> None:
    rt_start = dt.date(2027, 1, 4) + dt.timedelta(rt_offset)
    plan = braf(rt="focal-30gy-10fx", rt_start=str(rt_start), cycles=cycles, hold_around_rt=hold)
    fractions = sorted(e.date for e in plan.events if e.kind == "rt-fraction")
    first, last = fractions[0] - dt.timedelta(3), fractions[-1] + dt.timedelta(3)
    tablet_days = {d for e in course_events(plan, "tablet") for d in taken_on(e)}
    inside = any(first <= d <= last for d in tablet_days)
    assert bool(found(plan, "braf-mek-around-rt")) == inside
    if hold:
        assert not inside
        unheld = braf(rt="focal-30gy-10fx", rt_start=str(rt_start), cycles=cycles)
        every = {(e.drug, e.time, d) for e in course_events(unheld, "tablet") for d in taken_on(e)}
        kept = {(e.drug, e.time, d) for e in course_events(plan, "tablet") for d in taken_on(e)}
        assert kept == {x for x in every if not first <= x[2] <= last}


def test_only_the_lengthened_cycle_is_flagged_after_a_delay() -> None:
    """Cycles 2 and 3 both 9 days later (a delay of cycle 2): only cycle 1 was lengthened."""
    plan = plan_for("sys-tdxd-q3w", cycles=3)
    later = tuple(
        e.model_copy(update={"date": e.date + dt.timedelta(9), "shifted_from": e.date})
        if e.kind == "infusion" and (e.cycle or 0) >= 2
        else e
        for e in plan.events
    )
    (hit,) = found(plan.model_copy(update={"events": later}), "systemic-cycle-lengthened")
    assert "cycle 2 day 1" in hit.message and "cycle 1 is lengthened by 9 days" in hit.message
