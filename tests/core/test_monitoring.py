"""Checks on the calendar (issue 17): the monitoring templates match the clinical reference, every
check lands on an open day on or before what it guards, follows it through delays, holds and
stops, the CSF flow study leads the first IT dose and keeps the IT doses tentative until flow is
recorded, and a centre can change or turn off each interval in its clinic file.

The oracles count open days with their own day-by-day walk over the clinic calendar, not with
scheduler.monitoring."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.calendar import ClinicCalendar, build_calendar
from scheduler.errors import InputError, TemplateError
from scheduler.models import Monitoring
from scheduler.monitoring import FLOW_PENDING_NOTE
from scheduler.plan import Event, Plan, plan_from_json, plan_to_json
from scheduler.reschedule import Delay, FlowResult, Hold, Stop, reschedule
from scheduler.rules import check_plan
from scheduler.templates import Registry, load_registry

from ..conftest import NOW_DT, ROOT, make_plan

REGISTRY: Registry = load_registry()
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LATER = dt.datetime(2027, 1, 20, 9, 0, tzinfo=dt.UTC)
BODY = {"weight_kg": 72, "height_cm": 170, "weight_date": "2026-12-28"}


def checks(plan: Plan, course: str | None = None, *, cancelled: bool = False) -> list[Event]:
    return [
        e
        for e in plan.events
        if e.kind == "check"
        and (course is None or e.course == course)
        and (cancelled or e.status != "cancelled")
    ]


def active(plan: Plan, kind: str) -> list[Event]:
    return [e for e in plan.events if e.kind == kind and e.status != "cancelled"]


def open_days_between(calendar: ClinicCalendar, first: dt.date, last: dt.date) -> int:
    """Open days strictly after `first` and strictly before `last`, counted one by one."""
    n, day = 0, first + dt.timedelta(1)
    while day < last:
        n += calendar.closed_reason(day) is None
        day += dt.timedelta(1)
    return n


def calendar_of(plan: Plan) -> ClinicCalendar:
    return build_calendar(plan.inputs.clinic)


# --- the templates ------------------------------------------------------------------------------


EXPECTED = {
    # id: (category, where, anchor, guards, evidence, sources, interval)
    "mon-blood-count-it": ("lab", "clinic", "each", "it-dose", "convention", (), {"open_days_before": 0}),
    "mon-csf-flow-study": (
        "imaging", "external", "first", "it-dose", "convention", ("S24", "S25"), {"open_days_before": 2}
    ),
    "mon-csf-flow-repeat": (
        "imaging", "external", "after-last", "rt-fraction", "convention", ("S1", "S24"), {"open_days_after": 1}
    ),
    "mon-csf-cytology": ("csf", "clinic", "first-of-month", "it-dose", "convention", ("S25", "S26"), {}),
    "mon-mri-neuraxis": ("imaging", "external", "every", "it-dose", "convention", ("S25",), {"every_weeks": 8}),
    "mon-lvef-trastuzumab": (
        "cardiac", "external", "every", "infusion", "convention", ("S16", "S22"), {"every_weeks": 12}
    ),
    "mon-lvef-trametinib": (
        "cardiac", "external", "every", "tablet", "convention", ("S20",), {"every_weeks": 12, "at_days": (28,)}
    ),
    "mon-liver-tucatinib": ("lab", "clinic", "every", "tablet", "label", ("S17",), {"every_weeks": 3}),
}  # fmt: skip


def test_every_check_of_the_clinical_reference_is_a_template() -> None:
    found = {t.id: t for t in REGISTRY.monitoring()}
    assert sorted(found) == sorted(EXPECTED)
    for tid, (category, where, anchor, guards, evidence, sources, interval) in EXPECTED.items():
        tpl = found[tid]
        assert (tpl.category, tpl.where, tpl.when.anchor, tpl.when.events) == (
            category,
            where,
            anchor,
            guards,
        )
        assert (tpl.evidence, tpl.sources) == (evidence, sources), tid
        for key, value in interval.items():
            assert getattr(tpl.when, key) == value, (tid, key)
        assert tpl.evidence != "convention" or tpl.convention, tid
    assert found["mon-csf-flow-study"].when.csf_flow == ("unknown",)
    assert found["mon-csf-flow-repeat"].when.csf_flow == ("obstructed",)
    cytology = found["mon-csf-cytology"]
    assert (
        cytology.when.at_event and "at least 5 mL" in cytology.detail and "more than 10 mL" in cytology.detail
    )
    assert set(found["mon-lvef-trastuzumab"].when.drugs) == {"trastuzumab", "trastuzumab deruxtecan"}
    assert found["mon-lvef-trametinib"].when.baseline and found["mon-liver-tucatinib"].when.baseline


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sources": [], "evidence": "label"}, "cites its source"),
        ({"convention": ""}, "convention"),
        ({"when": {"anchor": "each", "events": "it-dose", "every_weeks": 4}}, "every_weeks"),
        ({"when": {"anchor": "first", "events": "it-dose", "at_event": True}}, "at_event"),
        (
            {"when": {"anchor": "every", "events": "it-dose", "every_weeks": 4, "at_days": [30, 10]}},
            "at_days",
        ),
        ({"category": "blood"}, "category"),
    ],
)
def test_a_bad_check_template_is_refused(tmp_path: Any, change: dict[str, Any], message: str) -> None:
    import tomllib

    data = tomllib.loads((ROOT / "templates/monitoring/mon-blood-count-it.toml").read_text())
    data |= change | {"id": "mon-local"}
    folder = tmp_path / "monitoring"
    folder.mkdir()
    (folder / "mon-local.toml").write_text(_toml(data))
    with pytest.raises(TemplateError, match=message):
        load_registry([ROOT / "templates", tmp_path])


def _toml(data: dict[str, Any]) -> str:
    lines, tables = [], []
    for key, value in data.items():
        if isinstance(value, dict):
            tables.append((key, value))
        else:
            lines.append(f"{key} = {_value(value)}")
    for name, table in tables:
        lines.append(f"[{name}]")
        lines += [f"{k} = {_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


def _value(value: Any) -> str:
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


def test_a_centres_own_check_is_one_file(tmp_path: Any) -> None:
    folder = tmp_path / "monitoring"
    folder.mkdir()
    (folder / "mon-local-urea.toml").write_text(
        'id = "mon-local-urea"\nversion = "1.0.0"\ntitle = "Urea before each infusion"\n'
        'evidence = "convention"\nstatus = "standard"\nconvention = "urea the open day before each infusion"\n'
        'category = "lab"\nname = "Urea"\npatient_name = "Blood test"\npatient_text = "Blood test"\n'
        'where = "clinic"\nduration_min = 10\n[when]\nanchor = "each"\nevents = "infusion"\nopen_days_before = 1\n'
    )
    registry = load_registry([ROOT / "templates", tmp_path])
    plan = make_plan(
        registry, start="2027-01-11", systemic=[{"template": "sys-tdxd-q3w", "start": "2027-01-05"}], **BODY
    )
    urea = checks(plan, "mon-local-urea")
    infusions = active(plan, "infusion")
    assert len(urea) == len(infusions) == 6
    cal = calendar_of(plan)
    for check, infusion in zip(urea, infusions, strict=True):
        assert check.date < infusion.date and open_days_between(cal, check.date, infusion.date) == 0
        assert check.guards == (infusion.uid,)


# --- expansion ----------------------------------------------------------------------------------


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    start = draw(st.dates(dt.date(2026, 1, 1), dt.date(2030, 12, 31)))
    closed = draw(st.lists(st.dates(start - dt.timedelta(20), start + dt.timedelta(200)), max_size=8))
    fields: dict[str, Any] = {
        "start": start.isoformat(),
        "route": draw(st.sampled_from(["ommaya", "lumbar"])),
        "maintenance": draw(st.integers(0, 8)),
        "csf_flow": draw(st.sampled_from(["unknown", "normal", "obstructed"])),
        "clinic": {
            "shift": draw(st.sampled_from(["next", "previous"])),
            "closed": [d.isoformat() for d in closed],
            "open_days": draw(st.sampled_from([["mon", "tue", "wed", "thu", "fri"], ["mon", "wed", "fri"]])),
            "session_time": draw(st.sampled_from(["00:10", "09:00", "13:45"])),
        },
    }
    lead = draw(st.sampled_from([None, 0, 1, 3]))
    if lead is not None:
        fields["clinic"]["monitoring"] = {"mon-blood-count-it": {"open_days_before": lead}}
    if draw(st.booleans()):
        fields |= {
            "rt": "focal-30gy-10fx",
            "rt_start": (start - dt.timedelta(draw(st.integers(0, 30)))).isoformat(),
        }
    return fields


def assert_blood_counts(plan: Plan) -> None:
    """Every active IT dose has exactly one active blood count, on an open day, on or before its
    day, the centre's number of open days before it (0: the same day, ending as the dose starts)."""
    cal = calendar_of(plan)
    setting = plan.inputs.clinic.monitoring.get("mon-blood-count-it")
    lead = setting.open_days_before if setting and setting.open_days_before is not None else 0
    counts = checks(plan, "mon-blood-count-it")
    by_guard: dict[str, list[Event]] = {}
    for c in counts:
        assert len(c.guards) == 1
        by_guard.setdefault(c.guards[0], []).append(c)
    doses = active(plan, "it-dose")
    assert sorted(by_guard) == sorted(e.uid for e in doses)
    for dose in doses:
        [count] = by_guard[dose.uid]
        assert cal.closed_reason(count.date) is None, count
        assert count.date <= dose.date
        if lead == 0:
            assert count.date == dose.date and count.time <= dose.time
        else:
            assert count.date < dose.date and open_days_between(cal, count.date, dose.date) == lead - 1
        assert count.status == ("tentative" if dose.status == "tentative" else "confirmed")
        assert f"IT dose {dose.number} of {dose.of}" in (count.guard_label or "")


@SETTINGS
@given(requests())
def test_every_it_dose_has_its_blood_count_on_an_open_day_on_or_before_it(fields: dict[str, Any]) -> None:
    plan = make_plan(REGISTRY, **fields)
    assert_blood_counts(plan)
    cal = calendar_of(plan)
    doses = active(plan, "it-dose")
    for check in checks(plan):
        assert cal.closed_reason(check.date) is None
        assert check.shifted_from is None or check.shift_reason
    flow = checks(plan, "mon-csf-flow-study")
    if fields["csf_flow"] == "unknown":
        [study] = flow
        assert study.date < doses[0].date
        assert open_days_between(cal, study.date, doses[0].date) == 1  # the 2nd open day before
        assert all(e.status == "tentative" and FLOW_PENDING_NOTE in e.notes for e in doses)
    else:
        assert not flow
        assert all(FLOW_PENDING_NOTE not in e.notes for e in doses)
        assert all((e.status == "tentative") == (e.phase == "maintenance") for e in doses)
    repeat = checks(plan, "mon-csf-flow-repeat")
    rt = active(plan, "rt-fraction")
    if fields["csf_flow"] == "obstructed" and rt:
        [again] = repeat
        assert again.date > rt[-1].date and open_days_between(cal, rt[-1].date, again.date) == 0
    else:
        assert not repeat
    # cytology: with the first IT dose of each month, at its time
    months = {(e.date.year, e.date.month): e for e in reversed(doses)}
    cytology = checks(plan, "mon-csf-cytology")
    assert [(c.date, c.time, c.guards) for c in cytology] == [
        (e.date, e.time, (e.uid,)) for e in sorted(months.values(), key=lambda e: e.date)
    ]
    # MRI every 8 weeks from the first IT dose while the course lasts, earlier on a closed day
    mri = checks(plan, "mon-mri-neuraxis")
    due = [doses[0].date + dt.timedelta(56 * k) for k in range(1, 200)]
    due = [d for d in due if d <= doses[-1].date]
    assert len(mri) == len(due)
    for scan, day in zip(mri, due, strict=True):
        assert scan.date <= day and open_days_between(cal, scan.date, day) == 0
    uids = [e.uid for e in plan.events]
    assert len(uids) == len(set(uids))


@SETTINGS
@given(requests(), st.data())
def test_checks_follow_delays_holds_and_stops(fields: dict[str, Any], data: st.DataObject) -> None:
    plan = make_plan(REGISTRY, **fields)
    doses = active(plan, "it-dose")
    pick = data.draw(st.sampled_from(doses))
    action = data.draw(
        st.sampled_from(
            [
                Delay(pick.date, data.draw(st.integers(1, 30)), "it-mtx-intensive"),
                Hold(pick.date, pick.date + dt.timedelta(data.draw(st.integers(1, 40))), "it-mtx-intensive"),
                Stop(pick.date, "it-mtx-intensive", reason="Progression on MRI"),
            ]
        )
    )
    before = {e.uid: e for e in plan.events}
    revised = reschedule(plan, action, REGISTRY, calendar_of(plan), NOW_DT)
    assert_blood_counts(revised)
    for e in revised.events:
        if e.kind != "check":
            continue
        old = before.get(e.uid)
        if old is None:
            assert e.sequence == 0
        elif (old.date, old.time, old.status) != (e.date, e.time, e.status):
            assert e.sequence == old.sequence + 1
    # a cancelled IT dose's blood count is cancelled with it, and kept so calendars remove it
    for dose in revised.events:
        if dose.kind == "it-dose" and dose.status == "cancelled":
            count = [c for c in checks(revised, "mon-blood-count-it", cancelled=True) if dose.uid in c.guards]
            assert count and all(c.status == "cancelled" for c in count)
    logged = {m.uid for m in revised.changes[-1].moves}
    changed = {e.uid for e in revised.events if before.get(e.uid) != e}
    assert changed <= logged


def test_a_delay_moves_each_blood_count_with_its_dose() -> None:
    plan = make_plan(REGISTRY, start="2027-01-11", csf_flow="normal")
    second = active(plan, "it-dose")[1]
    revised = reschedule(plan, Delay(second.date, 7), REGISTRY, calendar_of(plan), NOW_DT)
    moved = {e.uid: e for e in revised.events}[second.uid]
    [count] = [c for c in checks(revised, "mon-blood-count-it") if c.guards == (second.uid,)]
    assert (count.date, count.time) == (moved.date, "08:45")
    lines = [m.describe() for m in revised.changes[-1].moves]
    assert f"{second.date} -> {moved.date}  Blood count before IT dose 2 of 18" in lines
    assert revised.changes[-1].summary.startswith("delay it-mtx-intensive ")  # checks are not courses


def test_a_check_is_never_moved_on_its_own() -> None:
    plan = make_plan(REGISTRY, start="2027-01-11", csf_flow="normal")
    mri = checks(plan, "mon-mri-neuraxis")[0]
    with pytest.raises(InputError) as caught:
        reschedule(plan, Delay(mri.date, 3, "mon-mri-neuraxis"), REGISTRY, calendar_of(plan), NOW_DT)
    assert caught.value.field == "course" and "mon-mri-neuraxis" not in (caught.value.choices or ())


# --- CSF flow -------------------------------------------------------------------------------------


def test_flow_unknown_plans_a_flow_study_and_tentative_doses_until_recorded() -> None:
    plan = check_plan(make_plan(REGISTRY, start="2027-01-11")).plan
    [study] = checks(plan, "mon-csf-flow-study")
    assert (study.date, study.time, study.where) == (dt.date(2027, 1, 7), "08:30", "external")
    assert "before the first IT dose (2027-01-11)" in (study.guard_label or "")
    [finding] = [f for f in plan.findings if f.rule == "csf-flow-unknown"]
    assert finding.severity == "info" and "2027-01-07" in finding.message and "tentative" in finding.message
    assert finding.sources == ("S24", "S25")
    # the result recorded: a new revision, the doses confirmed (maintenance stays tentative)
    after = reschedule(
        plan, FlowResult("normal", reason="Flow study normal"), REGISTRY, calendar_of(plan), LATER
    )
    after = check_plan(after).plan
    assert after.inputs.csf_flow == "normal" and after.revision == 1
    assert after.changes[-1].action == "csf-flow"
    doses = active(after, "it-dose")
    assert all((e.status == "tentative") == (e.phase == "maintenance") for e in doses)
    assert all(FLOW_PENDING_NOTE not in e.notes for e in doses)
    assert [c.uid for c in checks(after, "mon-csf-flow-study")] == [study.uid]  # done: kept, not cancelled
    assert not [f for f in after.findings if f.rule == "csf-flow-unknown"]
    assert "(tentative -> confirmed)" in after.changes[-1].moves[1].describe() or any(
        "(tentative -> confirmed)" in m.describe() for m in after.changes[-1].moves
    )
    assert plan_from_json(plan_to_json(after)) == after
    with pytest.raises(InputError, match="already records CSF flow as normal"):
        reschedule(after, FlowResult("normal"), REGISTRY, calendar_of(after), LATER)


def test_flow_obstructed_plans_a_repeat_study_after_rt_and_the_rule_names_it() -> None:
    plan = check_plan(
        make_plan(
            REGISTRY, start="2027-01-25", csf_flow="obstructed", rt="focal-30gy-10fx", rt_start="2027-01-04"
        )
    ).plan
    rt = active(plan, "rt-fraction")
    [again] = checks(plan, "mon-csf-flow-repeat")
    assert again.date == dt.date(2027, 1, 19)  # the open day after the last fraction (MLK Day on the 18th)
    assert again.guards == (rt[-1].uid,)
    [finding] = [f for f in plan.findings if f.rule == "csf-flow-obstructed"]
    assert finding.severity == "warn" and "repeat flow study on 2027-01-19" in finding.message


def test_flow_study_turned_off_by_the_centre_is_a_warning() -> None:
    plan = check_plan(
        make_plan(REGISTRY, start="2027-01-11", clinic={"monitoring": {"mon-csf-flow-study": {"off": True}}})
    ).plan
    assert not checks(plan, "mon-csf-flow-study")
    assert all(e.status == "confirmed" or e.phase == "maintenance" for e in active(plan, "it-dose"))
    [finding] = [f for f in plan.findings if f.rule == "csf-flow-unknown"]
    assert finding.severity == "warn" and "no CSF flow study is planned" in finding.message


# --- systemic checks ------------------------------------------------------------------------------


def test_lvef_before_and_every_12_weeks_on_tdxd() -> None:
    plan = make_plan(
        REGISTRY,
        start="2027-01-11",
        csf_flow="normal",
        systemic=[{"template": "sys-tdxd-q3w", "start": "2027-01-05", "cycles": 8}],
        **BODY,
    )
    lvef = checks(plan, "mon-lvef-trastuzumab")
    first = active(plan, "infusion")[0]
    cal = calendar_of(plan)
    assert lvef[0].date < first.date and open_days_between(cal, lvef[0].date, first.date) == 1
    assert lvef[0].shift_reason and "New Year's Day" in lvef[0].shift_reason
    assert [c.date for c in lvef[1:]] == [dt.date(2027, 3, 30)]  # week 12; week 24 is after cycle 8
    assert all(c.check == "Echocardiogram (LVEF)" and c.check_kind == "cardiac" for c in lvef)
    assert not [f for f in check_plan(plan).plan.findings if f.rule == "trastuzumab-lvef"]
    off = make_plan(
        REGISTRY,
        start="2027-01-11",
        systemic=[{"template": "sys-tdxd-q3w", "start": "2027-01-05"}],
        clinic={"monitoring": {"mon-lvef-trastuzumab": {"off": True}}},
        **BODY,
    )
    assert [f.rule for f in check_plan(off).plan.findings if f.rule == "trastuzumab-lvef"] == [
        "trastuzumab-lvef"
    ]


def test_tucatinib_liver_tests_and_trametinib_lvef() -> None:
    climb = make_plan(
        REGISTRY,
        start="2027-01-11",
        systemic=[{"template": "sys-her2climb", "start": "2027-01-05", "cycles": 4}],
        **BODY,
    )
    liver = checks(climb, "mon-liver-tucatinib")
    assert [c.date for c in liver] == [dt.date(2027, 1, 5) + dt.timedelta(21 * k) for k in range(4)]
    assert liver[0].evidence == "label" and liver[0].notes[0] == "interval: label (S17)"
    assert checks(climb, "mon-lvef-trastuzumab")  # trastuzumab is part of HER2CLIMB
    braf = make_plan(
        REGISTRY,
        start="2027-01-11",
        systemic=[{"template": "sys-dabrafenib-trametinib", "start": "2027-01-06", "cycles": 6}],
        **BODY,
    )
    lvef = checks(braf, "mon-lvef-trametinib")
    first = dt.date(2027, 1, 6)
    assert [c.date for c in lvef] == [
        dt.date(2027, 1, 4),
        first + dt.timedelta(28),
        first + dt.timedelta(28 + 84),
    ]
    assert not checks(braf, "mon-lvef-trastuzumab")
    osimertinib = make_plan(
        REGISTRY, start="2027-01-11", systemic=[{"template": "sys-osimertinib-80", "start": "2027-01-05"}]
    )
    assert {c.course for c in checks(osimertinib)} <= {
        "mon-blood-count-it", "mon-csf-flow-study", "mon-csf-cytology", "mon-mri-neuraxis"
    }  # fmt: skip


# --- the centre's settings ------------------------------------------------------------------------


def test_a_centre_changes_an_interval_in_its_clinic_file() -> None:
    plan = make_plan(
        REGISTRY,
        start="2027-01-11",
        csf_flow="normal",
        clinic={"monitoring": {"mon-mri-neuraxis": {"every_weeks": 6}}},
    )
    first = active(plan, "it-dose")[0].date
    assert checks(plan, "mon-mri-neuraxis")[0].date == first + dt.timedelta(42)
    assert any("[monitoring]" in n for n in plan.notes)
    off = make_plan(
        REGISTRY,
        start="2027-01-11",
        clinic={"monitoring": {t.id: {"off": True} for t in REGISTRY.monitoring()}},
    )
    assert not checks(off) and not [t for t in off.templates if t.kind == "monitoring"]


@pytest.mark.parametrize(
    ("setting", "field", "text"),
    [
        ({"mon-mri": {"every_weeks": 6}}, "monitoring", "'mon-mri' is not a check template"),
        ({"mon-blood-count-it": {"every_weeks": 6}}, "monitoring.mon-blood-count-it", "every_weeks"),
    ],
)
def test_a_bad_setting_names_the_check(setting: dict[str, Any], field: str, text: str) -> None:
    with pytest.raises(InputError) as caught:
        make_plan(REGISTRY, start="2027-01-11", clinic={"monitoring": setting})
    assert caught.value.field == field and text in str(caught.value)
    if field == "monitoring":
        assert "mon-mri-neuraxis" in (caught.value.choices or ())


def test_a_plan_made_before_checks_gains_none_when_rescheduled() -> None:
    plan = make_plan(REGISTRY, start="2027-01-11", csf_flow="normal")
    old = plan.model_copy(
        update={
            "events": tuple(e for e in plan.events if e.kind != "check"),
            "templates": tuple(t for t in plan.templates if t.kind != "monitoring"),
        }
    )
    revised = reschedule(old, Delay(active(old, "it-dose")[1].date, 3), REGISTRY, calendar_of(old), NOW_DT)
    assert not checks(revised, cancelled=True)


def test_checks_are_deterministic_and_their_uids_derive_from_the_plan() -> None:
    one = make_plan(REGISTRY, start="2027-01-11", patient_id="RCC-1")
    two = make_plan(REGISTRY, start="2027-01-11", patient_id="RCC-1")
    other = make_plan(REGISTRY, start="2027-01-11", patient_id="RCC-2")
    assert plan_to_json(one) == plan_to_json(two)
    assert {c.uid for c in checks(one)}.isdisjoint(c.uid for c in checks(other))
    assert all("RCC" not in c.uid for c in checks(one))


def test_monitoring_templates_are_checks() -> None:
    assert all(isinstance(t, Monitoring) for t in REGISTRY.monitoring())


def test_lvef_follows_a_delayed_and_a_stopped_systemic_course() -> None:
    plan = make_plan(
        REGISTRY,
        start="2027-01-11",
        csf_flow="normal",
        systemic=[{"template": "sys-tdxd-q3w", "start": "2027-01-05", "cycles": 8}],
        **BODY,
    )
    cal = calendar_of(plan)
    delayed = reschedule(plan, Delay(dt.date(2027, 1, 5), 14, "sys-tdxd-q3w"), REGISTRY, cal, NOW_DT)
    first = active(delayed, "infusion")[0]
    lvef = checks(delayed, "mon-lvef-trastuzumab")
    assert first.date == dt.date(2027, 1, 19)
    assert lvef[0].date < first.date and open_days_between(cal, lvef[0].date, first.date) == 1
    assert lvef[0].sequence == 1 and lvef[1].date == first.date + dt.timedelta(84)
    stopped = reschedule(
        delayed, Stop(dt.date(2027, 3, 1), "sys-tdxd-q3w", reason="Progression on MRI"), REGISTRY, cal, NOW_DT
    )
    assert [c.date for c in checks(stopped, "mon-lvef-trastuzumab")] == [lvef[0].date]
    [gone] = [c for c in checks(stopped, "mon-lvef-trastuzumab", cancelled=True) if c.status == "cancelled"]
    assert gone.uid == lvef[1].uid and gone.sequence == lvef[1].sequence + 1
    # the IT course and its checks are not touched by the systemic course's revisions
    it_checks = {c.uid: c for c in checks(plan) if c.course != "mon-lvef-trastuzumab"}
    assert all(it_checks[c.uid] == c for c in checks(stopped, cancelled=True) if c.uid in it_checks)
