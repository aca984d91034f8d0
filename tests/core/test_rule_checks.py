"""Each safety rule's check called directly on plans built through the public API: where it fires
and what its messages say, the closest cases where it stays quiet, cancelled events, timing, and
how `check_plan` applies overrides and a site policy. (tests/cli/test_rules_cli.py covers the CLI.)"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler import InputError, PlanRequest, build_plan, load_registry
from scheduler.calendar import build_calendar
from scheduler.rules import RULES, Hit, OverrideRequest, Policy, check_plan, load_families

if TYPE_CHECKING:
    from scheduler import Plan

load_families()
REGISTRY = load_registry()
NOW = dt.datetime(2026, 11, 23, 9, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
REASON = "Discussed at tumour board 2026-11-20"
# Words a patient would not know; rule ids and template ids are checked as well.
JARGON = re.compile(r"\b(KPS|CrCl|CSF|WBRT|CSI|RT|IT|mL/min|intrathecal|intraventricular|Ommaya|S\d+)\b")
Build = Callable[[], "Plan"]


def make_plan(**fields: Any) -> Plan:
    """The plan for a 45-year-old starting 2026-12-01 by Ommaya, with `fields` of the patient file."""
    request = PlanRequest.model_validate({"start": "2026-12-01", "age": "45", "route": "ommaya", **fields})
    return build_plan(request, REGISTRY, NOW, build_calendar(request.clinic))


def edit(plan: Plan, where: Callable[[Any], bool], part: str = "events", **update: Any) -> Plan:
    """The plan with `update` applied to the events (or templates) `where` selects: a hand edit."""
    items = tuple(x.model_copy(update=update) if where(x) else x for x in getattr(plan, part))
    return plan.model_copy(update={part: items})


def cancel(plan: Plan, where: Callable[[Any], bool] = lambda e: True) -> Plan:
    return edit(plan, where, status="cancelled")


def is_it(event: Any) -> bool:
    return bool(event.kind == "it-dose")


def check(rule_id: str, plan: Plan) -> list[Hit]:
    return RULES[rule_id].check(plan)


def lazy(**fields: Any) -> Build:
    return lambda: make_plan(**fields)


def standard(**fields: Any) -> Build:
    """The plan with its templates marked standard, as no bundled regimen is."""
    return lambda: edit(make_plan(**fields), lambda t: True, "templates", status="standard")


def cancelled(where: Callable[[Any], bool], **fields: Any) -> Build:
    return lambda: cancel(make_plan(**fields), where)


def third_dose(mg: float) -> Build:
    """A hand-edited plan: the third IT dose changed without an order."""
    return lambda: edit(make_plan(), lambda e: is_it(e) and e.number == 3, dose_mg=mg)


def rt(template: str, start: str) -> dict[str, str]:
    return {"rt": template, "rt_start": start}


class Case(NamedTuple):
    rule: str
    named: int  # how many events its findings name (0: a fact of the patient or the template)
    fire: Build
    quiet: list[Build]  # the closest plans where the rule finds nothing
    fact: str  # what the staff message must say, with its dates and doses


THIOTEPA = {"regimen": "it-thiotepa"}
WBRT_BEFORE = rt("wbrt-30gy-10fx", "2026-11-16")  # ends on 2026-11-30, before the first IT dose
WBRT_DURING = rt("wbrt-30gy-10fx", "2026-11-30")
CSI_TO_IT = rt("csi-photon-36gy-20fx", "2026-11-02")  # its last fraction on the first IT day
CSI_PROTON = {**THIOTEPA, **rt("csi-proton-30gy-10fx", "2026-11-02")}
CSI_BEFORE_IT = rt("csi-photon-36gy-20fx", "2026-10-26")  # ends 2026-11-23
FOCAL = rt("focal-30gy-10fx", "2026-11-16")
EVERY_DOSE = "2026-12-01 to 2027-07-26"
BODY = {"weight_kg": 72, "height_cm": 170, "weight_date": "2026-11-25"}


def course(template: str, start: str = "2026-12-01", **fields: Any) -> dict[str, Any]:
    """A systemic course (with the body measurements its doses need)."""
    return {**BODY, "systemic": [{"template": template, "start": start, **fields}]}


BRAF = course("sys-dabrafenib-trametinib", cycles=2)
NO_LVEF = {"monitoring": {"mon-lvef-trastuzumab": {"off": True}}}  # a centre that turned LVEF checks off
HER2CLIMB = course("sys-her2climb", cycles=1)
LATE = {**course("sys-her2climb", cycles=2), "clinic": {"closed": ["2026-12-22..2026-12-30"]}}  # 9 days late


def vinca_on_an_it_day(day: int = 0) -> Build:
    """A T-DXd plan whose first infusion is edited into vincristine by vein and moved to the first
    IT day (+ `day` days): no shipped template has a vinca alkaloid."""

    def build() -> Plan:
        plan = make_plan(**course("sys-tdxd-q3w", cycles=2))
        return edit(
            plan,
            lambda e: e.kind == "infusion" and e.cycle == 1,
            drug="vincristine",
            date=dt.date(2026, 12, 1) + dt.timedelta(day),
        )

    return build


def late_at_maintenance_dose() -> Plan:
    """Trastuzumab 9 days late but planned at 6 mg/kg (a hand edit): the label's loading dose is due."""
    return edit(make_plan(**LATE), lambda e: e.kind == "infusion" and e.cycle == 2, dose_mg=432)


# fmt: off
CASES = [
    Case("vinca-intrathecal", 8, lambda: edit(make_plan(**THIOTEPA), is_it, drug="Vincristine sulfate"),
         [lazy(**THIOTEPA)],
         "Vincristine sulfate is planned by the ommaya route on 2026-12-01, 2026-12-04, 2026-12-08, "
         "2026-12-11, 2026-12-15, 2026-12-18 and 2 more"),
    Case("preserved-formulation-intrathecal", 18, lazy(formulation="preserved"), [lazy()],
         f"18 doses ({EVERY_DOSE})"),
    Case("withdrawn-product", 0, lazy(regimen="it-liposomal-cytarabine"), [lazy(**THIOTEPA)],
         "it-liposomal-cytarabine (Liposomal cytarabine (DepoCyt): withdrawn, cannot be planned) is a "
         "withdrawn product: manufacture stopped in 2017"),
    Case("dose-above-age-band", 18, lazy(dose=15.5), [lazy(dose=15)],
         f"ordered methotrexate 15.5 mg is above the adult (18+) dose of 15 mg on 18 dates ({EVERY_DOSE})"),
    Case("dose-above-age-band", 1, third_dose(16), [third_dose(15)],
         "it-mtx-intensive gives methotrexate 16 mg, above the adult (18+) dose of 15 mg on 1 date "
         "(2026-12-08)"),
    # 3 on the day of the last dose; quiet: 3 the day after, a dose lowered by hand, an order below both bands
    Case("age-band-dose-change", 1, lazy(age=None, dob="2024-07-26"),
         [lazy(age=None, dob="2024-07-27"), third_dose(12), lazy(age=None, dob="2024-07-26", dose=10)],
         "from 10 mg to 12 mg on 2027-07-26: age band 3 to under 18 years (age 3 from 2027-07-26)"),
    Case("memantine-renal", 7, lazy(**WBRT_BEFORE, crcl=29.9), [lazy(**WBRT_BEFORE, crcl=30)],
         "CrCl 29.9 mL/min is below 30: memantine target capped at 5 mg twice daily (every dose at most "
         "5 mg) from 2026-11-16"),
    Case("investigational-template", 18, lazy(regimen="it-trastuzumab"), [standard(regimen="it-trastuzumab")],
         "it-trastuzumab is investigational: give it only within a protocol, with consent"),
    Case("investigational-template", 18, lazy(), [standard()],
         "it-mtx-intensive is off-label in solid-tumour leptomeningeal disease"),
    Case("csf-flow-unknown", 19, lazy(), [lazy(csf_flow="normal"), lazy(csf_flow="obstructed")],
         "a CSF flow study is planned on 2026-11-27, before the first IT dose on 2026-12-01"),
    Case("csf-flow-obstructed", 18, lazy(csf_flow="obstructed"), [lazy(csf_flow="normal")],
         "CSF flow is obstructed and IT therapy starts on 2026-12-01"),
    Case("shunt-without-valve", 18, lazy(shunt="unvalved"),
         [lazy(shunt="valved"), lazy(shunt="unvalved", route="lumbar")],
         "intraventricular (Ommaya) therapy from 2026-12-01 with a ventriculoperitoneal shunt"),
    Case("low-performance-status", 0, lazy(kps=69), [lazy(kps=70)], "KPS 69 is below 70"),
    Case("parenchymal-metastases", 28, lazy(parenchymal_mets=True, **FOCAL), [lazy(parenchymal_mets=True)],
         "brain parenchymal metastases with IT therapy + RT"),
    Case("parenchymal-metastases", 8, lazy(parenchymal_mets=True, systemic_mtx=True, **THIOTEPA),
         [lazy(parenchymal_mets=False, systemic_mtx=True, **THIOTEPA)],
         "brain parenchymal metastases with IT therapy + systemic methotrexate"),
    # quiet: by Ommaya, or a single lumbar dose (not continuing therapy)
    Case("lumbar-route-continuing", 18, lazy(route="lumbar"),
         [lazy(route="ommaya"), cancelled(lambda e: is_it(e) and e.number > 1, route="lumbar")],
         "18 doses by lumbar puncture"),
    Case("csi-with-methotrexate", 38, lazy(**CSI_TO_IT), [lazy(**rt("focal-30gy-10fx", "2026-11-02"))],
         "craniospinal RT csi-photon-36gy-20fx 2026-11-02 to 2026-12-01 is in the same plan as IT "
         f"methotrexate (18 doses, {EVERY_DOSE})"),
    Case("csi-with-methotrexate", 10, lazy(**CSI_PROTON, systemic_mtx=True), [lazy(**CSI_PROTON)],
         "csi-proton-30gy-10fx 2026-11-02 to 2026-11-16 is in the same plan as systemic methotrexate"),
    Case("it-methotrexate-during-csi", 21, lazy(**CSI_TO_IT), [lazy(**CSI_BEFORE_IT)],
         "IT methotrexate on 2026-12-01 falls inside the craniospinal RT course 2026-11-02 to 2026-12-01"),
    Case("wbrt-overlap-it-methotrexate", 4, lazy(**WBRT_DURING), [lazy(**WBRT_BEFORE)],
         "IT methotrexate on 2026-12-01, 2026-12-04, 2026-12-08, 2026-12-11 fall inside the WBRT course "
         "2026-11-30 to 2026-12-11"),
    # systemic therapy (issue 16)
    Case("braf-mek-around-rt", 7, lazy(**BRAF, **rt("focal-30gy-10fx", "2026-12-14")),
         [lazy(**BRAF, **rt("focal-30gy-10fx", "2026-12-14"), hold_around_rt=True),
          lazy(**BRAF, **rt("focal-30gy-10fx", "2027-03-01"))],
         "dabrafenib and trametinib planned on 21 days (2026-12-11, 2026-12-12, 2026-12-13 and 18 more) "
         "from 3 days before the first to 3 days after the last RT fraction (2026-12-11 to 2026-12-31)"),
    Case("trastuzumab-late-loading", 2, late_at_maintenance_dose, [lazy(**course("sys-her2climb", cycles=2))],
         "trastuzumab on 2026-12-31 is 9 days late against its cycle but planned at 432 mg"),
    Case("capecitabine-renal", 2, lazy(**HER2CLIMB, crcl=25), [lazy(**HER2CLIMB, crcl=50)],
         "with CrCl 25 mL/min: capecitabine is contraindicated below 30 mL/min"),
    Case("tucatinib-creatinine", 4, lazy(**HER2CLIMB, crcl=40), [lazy(**HER2CLIMB, crcl=50)],
         "CrCl 40 mL/min sets the capecitabine renal dose while tucatinib is planned"),
    Case("adult-only-systemic", 1, lazy(**course("sys-tdxd-q3w", cycles=1), age="16"),
         [lazy(**course("sys-tdxd-q3w", cycles=1), age="18")],
         "sys-tdxd-q3w is for adults and the patient is 16 years old on 2026-12-01"),
    Case("weight-outdated", 1, lazy(**{**course("sys-tdxd-q3w", cycles=1), "weight_date": "2026-10-01"}),
         [lazy(**course("sys-tdxd-q3w", cycles=1))],
         "measured on 2026-10-01, 61 days before the first body-size dose on 2026-12-01"),
    Case("trastuzumab-lvef", 2, lazy(**course("sys-tdxd-q3w", cycles=2), clinic=NO_LVEF),
         [lazy(**course("sys-osimertinib-80", cycles=2)), lazy(**course("sys-tdxd-q3w", cycles=2))],
         "trastuzumab deruxtecan from 2026-12-01 with no LVEF assessment on the calendar"),
    Case("vinca-same-day-as-it", 2, vinca_on_an_it_day(), [vinca_on_an_it_day(1)],
         "vincristine by vein is planned on 2026-12-01, the same day as an IT dose"),
    Case("systemic-cycle-lengthened", 2,
         lazy(**course("sys-tdxd-q3w", cycles=2), clinic={"closed": ["2026-12-22..2026-12-25"]}),
         [lazy(**course("sys-tdxd-q3w", cycles=2), clinic={"closed": ["2026-12-22..2026-12-23"]})],
         "cycle 1 is lengthened by 6 days"),
]
# fmt: on
IDS = [f"{c.rule}-{i}" for i, c in enumerate(CASES)]
QUIET = [
    pytest.param(c.rule, q, id=f"{c.rule}-{i}-{j}")
    for i, c in enumerate(CASES)
    for j, q in enumerate(c.quiet)
]


def test_every_rule_has_unit_cases() -> None:
    assert {c.rule for c in CASES} == set(RULES)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_rule_fires_and_names_the_facts(case: Case) -> None:
    plan = case.fire()
    hits = check(case.rule, plan)
    assert case.fact in " ".join(h.message for h in hits)
    planned = {e.uid for e in plan.events}
    ids = [*RULES, *(t.id for t in plan.templates)]
    for hit in hits:
        assert hit.severity is None  # the rule's default; timing is tested below
        assert hit.patient_message and hit.patient_message != hit.message
        assert not JARGON.search(hit.patient_message), hit.patient_message
        assert not [i for i in ids if i in hit.patient_message]
        assert set(hit.event_uids) <= planned
    assert len({uid for hit in hits for uid in hit.event_uids}) == case.named


@pytest.mark.parametrize(("rule_id", "quiet"), QUIET)
def test_rule_stays_quiet_in_the_closest_cases(rule_id: str, quiet: Build) -> None:
    assert check(rule_id, quiet()) == []


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_cancelled_events_concern_no_rule(case: Case) -> None:
    plan = case.fire()
    found = check(case.rule, plan)
    named = {uid for hit in found for uid in hit.event_uids}
    if not case.named:  # no event made it fire: cancelling them all changes nothing
        assert check(case.rule, cancel(plan)) == found
    else:
        assert check(case.rule, cancel(plan, lambda e: e.uid in named)) == []


RT_FIRST = {"csf_flow": "obstructed", **rt("focal-30gy-10fx", "2026-11-09")}  # RT ends 2026-11-23
RE_CHECK = "RT focal-30gy-10fx ends on 2026-11-23, before the first IT dose on"


@pytest.mark.parametrize(
    ("plan", "severity", "fact"),
    [  # RT to restore flow that ends before the first IT dose lowers the stop to a re-check (warn)
        (lazy(**RT_FIRST), "warn", f"{RE_CHECK} 2026-12-01: the repeat flow study on 2026-11-24 must show"),
        (cancelled(lambda e: is_it(e) and e.number == 1, **RT_FIRST), "warn", f"{RE_CHECK} 2026-12-04"),
        (cancelled(lambda e: e.kind == "rt-fraction", **RT_FIRST), "stop", "restore flow (e.g. RT)"),
        (lazy(csf_flow="obstructed", **rt("focal-30gy-10fx", "2026-11-17")), "stop", "starts on 2026-12-01"),
    ],
    ids=["rt-first", "first-it-cancelled", "rt-cancelled", "rt-ends-on-the-first-it-day"],
)
def test_csf_obstruction_is_a_warning_when_rt_comes_first(plan: Build, severity: str, fact: str) -> None:
    result = check_plan(plan())
    [finding] = [f for f in result.plan.findings if f.rule == "csf-flow-obstructed"]
    assert finding.severity == severity and fact in finding.message
    assert (finding in result.blocking) == (severity == "stop")


@pytest.mark.parametrize("reason", ["Board said", "Valve placement   declined;  neurosurgery agreed"])
def test_stop_is_lifted_by_a_reasoned_override(reason: str) -> None:
    plan = make_plan(shunt="unvalved")
    assert [f.rule for f in check_plan(plan).blocking] == ["shunt-without-valve"]
    at = NOW + dt.timedelta(hours=1)
    result = check_plan(plan, overrides=[OverrideRequest("shunt-without-valve", reason)], by="Dr Ruiz", at=at)
    assert result.blocking == () and result.unused_overrides == ()
    [finding] = [f for f in result.plan.findings if f.rule == "shunt-without-valve"]
    assert finding.overridden and finding.severity == "stop"
    [override] = result.plan.overrides
    assert (override.rule, override.by, override.at) == ("shunt-without-valve", "Dr Ruiz", at)
    assert override.reason == " ".join(reason.split())
    assert result.plan.fingerprint not in ("", plan.fingerprint, check_plan(plan).plan.fingerprint)


@pytest.mark.parametrize(
    ("rule_id", "reason", "field"),
    [
        ("shunt-without-valve", "ok fine", "reason"),  # under 10 characters
        ("shunt-without-valve", "1234567890!", "reason"),  # no words
        ("shunt-without-valve", "Discussed.", "reason"),  # one word
        ("shunt-without-valve", "Agreed at\nthe tumour board", "reason"),  # two lines
        ("no-such-rule", REASON, "override"),
    ],
    ids=["short", "no-words", "one-word", "line-break", "unknown-rule"],
)
def test_bad_overrides_are_input_errors(rule_id: str, reason: str, field: str) -> None:
    with pytest.raises(InputError) as caught:
        check_plan(make_plan(shunt="unvalved"), overrides=[OverrideRequest(rule_id, reason)])
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("fields", "rule_id", "blocks"),
    [
        ({"formulation": "preserved"}, "preserved-formulation-intrathecal", True),
        ({}, "shunt-without-valve", False),
    ],
    ids=["block-cannot-be-lifted", "nothing-to-lift"],
)
def test_overrides_that_lift_nothing_are_unused(fields: dict[str, str], rule_id: str, blocks: bool) -> None:
    result = check_plan(make_plan(**fields), overrides=[OverrideRequest(rule_id, REASON)])
    assert result.unused_overrides == (rule_id,) and result.plan.overrides == ()
    expected = [(rule_id, "block", False)] if blocks else []
    assert [(f.rule, f.severity, f.overridden) for f in result.blocking] == expected


def test_carried_overrides_lift_and_expired_ones_are_reported() -> None:
    override = OverrideRequest("shunt-without-valve", REASON)
    carried = check_plan(make_plan(shunt="unvalved"), overrides=[override], by="Dr Ruiz").plan.overrides
    still = check_plan(make_plan(shunt="unvalved", start="2026-12-03"), carried=carried, by="Dr Lee")
    assert still.blocking == () and still.plan.overrides == carried  # who decided, and when, kept
    assert still.expired_overrides == ()
    new = OverrideRequest("shunt-without-valve", "Valve fitted later")
    renewed = check_plan(make_plan(shunt="unvalved"), overrides=[new], carried=carried, by="Dr Lee")
    assert [(o.reason, o.by) for o in renewed.plan.overrides] == [("Valve fitted later", "Dr Lee")]
    gone = check_plan(make_plan(shunt="valved"), carried=carried)
    assert gone.expired_overrides == ("shunt-without-valve",) and gone.plan.overrides == ()


POLICY_CASES = [  # rule, what the policy asks, severity without the policy, severity with it
    ("wbrt-overlap-it-methotrexate", "stop", "warn", "stop"),
    ("lumbar-route-continuing", "warn", "info", "warn"),
    ("low-performance-status", "info", "warn", "info"),
    ("csf-flow-obstructed", "warn", "stop", "stop"),
    ("preserved-formulation-intrathecal", "info", "block", "block"),
]


def test_policy_raises_any_rule_lowers_warn_to_info_and_never_lowers_block_or_stop() -> None:
    policy = Policy("Riverside 2026", "ab" * 32, {rule_id: wanted for rule_id, wanted, _, _ in POLICY_CASES})
    plan = make_plan(**WBRT_DURING, kps=50, formulation="preserved", csf_flow="obstructed", route="lumbar")
    without, with_policy = check_plan(plan), check_plan(plan, policy)
    found = [{f.rule: f.severity for f in r.plan.findings} for r in (without, with_policy)]
    assert [(rule_id, found[0][rule_id], found[1][rule_id]) for rule_id, *_ in POLICY_CASES] == [
        (rule_id, before, after) for rule_id, _, before, after in POLICY_CASES
    ]
    assert {f.rule for f in with_policy.blocking} == {
        r for r, _, _, after in POLICY_CASES if after in ("stop", "block")
    }
    assert with_policy.plan.policy is not None and without.plan.policy is None
    assert (with_policy.plan.policy.name, with_policy.plan.policy.sha256) == ("Riverside 2026", "ab" * 32)


@given(st.integers(0, 100))
@settings(max_examples=30, deadline=None)
def test_low_performance_status_fires_exactly_below_70(kps: int) -> None:
    hits = check("low-performance-status", make_plan(kps=kps))
    assert bool(hits) == (kps < 70)
    assert all(f"KPS {kps} is below 70" in h.message for h in hits)


BAND_LIMITS = {"8m": 6, "1": 8, "2": 10, "5": 12, "17": 12, "18": 15, "45": 15}  # the reference's age table


@given(st.sampled_from(sorted(BAND_LIMITS)), st.integers(1, 60).map(lambda n: n / 2))
@settings(max_examples=30, deadline=None)
def test_dose_above_age_band_fires_exactly_above_the_band(age: str, dose: float) -> None:
    hits = check("dose-above-age-band", make_plan(age=age, dose=dose))
    limit = BAND_LIMITS[age]
    assert bool(hits) == (dose > limit)
    assert all(f"ordered methotrexate {dose:g} mg is above" in h.message for h in hits)
    assert all(f"dose of {limit} mg" in h.message for h in hits)
