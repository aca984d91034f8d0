"""The plan document: loads back into the same model, stable UIDs, fingerprint, wall-clock times."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

from scheduler.plan import Plan, fingerprint, plan_from_json, plan_to_json
from scheduler.templates import Registry

from ..conftest import NOW_DT, make_plan

WBRT = {"rt": "wbrt-30gy-10fx", "rt_start": "2026-11-23"}


def test_round_trip_and_required_fields(registry: Registry) -> None:
    plan = make_plan(registry, **WBRT, patient_id="P1", patient_name='Ann, "Nan"; O\'Hara Smith')
    data = plan_to_json(plan)
    assert plan_from_json(data) == plan
    doc = json.loads(data)
    assert doc["schema_version"] == 1 and doc["generator"]["name"] == "lmsched"
    assert doc["created"] == "2026-11-23T09:00:00-05:00"
    assert [t["id"] for t in doc["templates"]] == [
        "it-mtx-intensive", "wbrt-30gy-10fx", "memantine-wbrt",
        "mon-blood-count-it", "mon-csf-cytology", "mon-csf-flow-study", "mon-mri-neuraxis",
    ]  # fmt: skip
    assert doc["findings"] == []
    required = {
        "uid",
        "kind",
        "date",
        "time",
        "tz",
        "phase",
        "sequence",
        "drug",
        "dose_mg",
        "route",
        "formulation",
        "shifted_from",
        "notes",
    }
    for event in doc["events"]:
        assert required <= set(event)
        assert event["kind"] in {"it-dose", "rt-fraction", "medication", "check"}
        if event["kind"] == "check":  # what it checks, and the events it guards
            assert {"check", "check_kind", "where", "guards", "guard_label", "patient_text"} <= set(event)
        dt.date.fromisoformat(event["date"])
        assert len(event["time"]) == 5 and event["sequence"] == 0


def test_same_inputs_same_bytes(registry: Registry) -> None:
    assert plan_to_json(make_plan(registry, **WBRT)) == plan_to_json(make_plan(registry, **WBRT))


def test_uids_are_stable_unique_and_carry_no_identifiers(registry: Registry) -> None:
    a = make_plan(registry, **WBRT, patient_id="MRN-12345", patient_name="Jane Doe")
    b = make_plan(registry, **WBRT, patient_id="MRN-12345", patient_name="Jane Doe", kps=60)
    assert [e.uid for e in a.events] == [e.uid for e in b.events]
    assert len({e.uid for e in a.events}) == len(a.events)
    assert all("12345" not in e.uid and "Jane" not in e.uid for e in a.events)
    other = make_plan(registry, **WBRT, patient_id="MRN-99999")
    assert not {e.uid for e in a.events} & {e.uid for e in other.events}
    # two anonymous patients never share UIDs
    anon1 = make_plan(registry, patient_name="A")
    anon2 = make_plan(registry, patient_name="B")
    assert not {e.uid for e in anon1.events} & {e.uid for e in anon2.events}


def test_maintenance_count_does_not_renumber_uids(registry: Registry) -> None:
    six = make_plan(registry, patient_id="P", maintenance=6)
    nine = make_plan(registry, patient_id="P", maintenance=9)
    assert {e.uid for e in six.events} < {e.uid for e in nine.events}


def test_fingerprint_covers_content_not_creation_time(registry: Registry) -> None:
    plan = make_plan(registry)
    assert plan.fingerprint == fingerprint(plan)
    later = plan.model_copy(update={"created": NOW_DT + dt.timedelta(days=1)})
    assert fingerprint(later) == plan.fingerprint
    edited = plan.model_copy(update={"events": plan.events[:-1]})
    assert fingerprint(edited) != plan.fingerprint


def test_statuses_and_notes(registry: Registry) -> None:
    plan = make_plan(registry, csf_flow="normal")  # unknown: every IT dose waits for the flow study
    it = [e for e in plan.events if e.kind == "it-dose"]
    assert {e.status for e in it if e.phase == "maintenance"} == {"tentative"}
    assert {e.status for e in it if e.phase != "maintenance"} == {"confirmed"}
    assert any("continues until progression" in n for n in plan.notes)
    assert {e.formulation for e in it} == {"preservative-free"}


def test_memantine_starts_on_the_first_wbrt_day(registry: Registry) -> None:
    plan = make_plan(registry, rt="wbrt-30gy-10fx", rt_start="2026-11-21")  # a Saturday
    first_rt = min(e.date for e in plan.events if e.kind == "rt-fraction")
    meds = [e for e in plan.events if e.kind == "medication"]
    assert first_rt == dt.date(2026, 11, 23)
    assert min(e.date for e in meds) == first_rt
    assert {e.time for e in meds if e.phase.endswith("morning")} == {"08:00"}
    assert {e.time for e in meds if e.phase.endswith("evening")} == {"20:00"}
    assert sum(e.repeat_days for e in meds if e.phase.endswith("morning")) == 168


def test_memantine_only_with_whole_brain_rt(registry: Registry) -> None:
    assert not [
        e
        for e in make_plan(registry, rt="focal-30gy-10fx", rt_start="2026-11-23").events
        if e.kind == "medication"
    ]
    assert not [e for e in make_plan(registry, **WBRT, memantine=False).events if e.kind == "medication"]


def test_times_are_wall_clock_across_daylight_saving(registry: Registry) -> None:
    plan = make_plan(registry, start="2027-03-01", clinic={"country": "NL", "tz": "Europe/Amsterdam"})
    it = [e for e in plan.events if e.kind == "it-dose"]
    assert {e.time for e in it} == {"09:00"} and {e.tz for e in it} == {"Europe/Amsterdam"}
    offsets = {dt.datetime.combine(e.date, dt.time(9), ZoneInfo(e.tz)).utcoffset() for e in it}
    assert offsets == {dt.timedelta(hours=1), dt.timedelta(hours=2)}


def test_plan_model_refuses_unknown_fields(registry: Registry) -> None:
    doc = json.loads(plan_to_json(make_plan(registry)))
    doc["surprise"] = 1
    try:
        Plan.model_validate(doc)
    except Exception as exc:
        assert "surprise" in str(exc)
    else:
        raise AssertionError("unknown field accepted")
