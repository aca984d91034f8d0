"""FHIR export: every Bundle is read back and validated by fhir.resources (R4B classes)."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.servicerequest import ServiceRequest
from hypothesis import HealthCheck, given, settings

from scheduler.export.fhir import DISCLAIMER, EVENT_SYSTEM, PLAN_SYSTEM, render
from scheduler.monitoring import FLOW_PENDING_NOTE
from scheduler.plan import Event, Finding, Override, Plan, plan_to_json
from scheduler.templates import Registry

from ..conftest import NOW_DT, ROOT, make_plan, plan_fields

CLASSES: dict[str, type[Any]] = {
    "Patient": Patient,
    "CarePlan": CarePlan,
    "MedicationRequest": MedicationRequest,
    "ServiceRequest": ServiceRequest,
}
UUID_URL = re.compile(r"^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
HOSTILE_NAME = "Zoë \"Bobby\" O'Brien <script>alert(1)</script> =cmd|' /C calc'!A0 李小龍 Ωμέγα عربي"
HOSTILE_ID = '=HYPERLINK("http://x")<b>&amp;'


def read(data: bytes) -> dict[str, Any]:
    """The rendered bytes as JSON, after checking the package reads them back as an R4B Bundle
    and each entry's resource validates with its own class."""
    assert data.endswith(b"}\n")
    bundle = Bundle.model_validate_json(data)
    assert bundle.type == "collection"
    doc: dict[str, Any] = json.loads(data.decode("utf-8"))
    for entry, parsed in zip(doc["entry"], bundle.entry or [], strict=True):
        kind = entry["resource"]["resourceType"]
        assert type(parsed.resource) is CLASSES[kind]
        CLASSES[kind].model_validate(entry["resource"])
    return doc


def resources(doc: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in doc["entry"] if e["resource"]["resourceType"] == kind]


def one(doc: dict[str, Any], kind: str) -> dict[str, Any]:
    (found,) = resources(doc, kind)
    return found


def full_url(doc: dict[str, Any], kind: str) -> str:
    (url,) = [e["fullUrl"] for e in doc["entry"] if e["resource"]["resourceType"] == kind]
    return str(url)


def by_uid(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each MedicationRequest by the event UID it carries."""
    out = {}
    for r in resources(doc, "MedicationRequest"):
        (ident,) = r["identifier"]
        assert ident["system"] == EVENT_SYSTEM
        out[ident["value"]] = r
    return out


def rt_request(doc: dict[str, Any]) -> dict[str, Any]:
    """The one ServiceRequest of the RT course (the others are checks: one per check event)."""
    (found,) = [r for r in resources(doc, "ServiceRequest") if r["code"]["text"].startswith("Radiotherapy")]
    return found


def it_doses(plan: Plan) -> list[Event]:
    return [e for e in plan.events if e.kind == "it-dose"]


def local(event: Event) -> str:
    when = dt.datetime.combine(event.date, dt.time.fromisoformat(event.time), tzinfo=ZoneInfo(event.tz))
    return when.isoformat()


def _last_day(event: Event) -> dt.date:
    return event.date + dt.timedelta(days=event.repeat_days - 1)


def with_status(plan: Plan, status: str, pick: Any) -> Plan:
    events = tuple(e.model_copy(update={"status": status}) if pick(e) else e for e in plan.events)
    return plan.model_copy(update={"events": events})


def empties(value: Any) -> int:
    """How many nulls, empty lists and empty objects the JSON holds (FHIR allows none)."""
    if value is None or value == [] or value == {}:
        return 1
    if isinstance(value, dict):
        return sum(empties(v) for v in value.values())
    if isinstance(value, list):
        return sum(empties(v) for v in value)
    return 0


# --- the Bundle -----------------------------------------------------------------------------------


def test_bundle_holds_one_resource_per_dose_step_and_course(adult: Plan) -> None:
    doc = read(render(adult))
    kinds = [e["resource"]["resourceType"] for e in doc["entry"]]
    doses = it_doses(adult)
    steps = [e for e in adult.events if e.kind == "medication"]
    checks = [e for e in adult.events if e.kind == "check"]
    # 22 blood counts, 13 CSF cytologies, 6 MRIs and the CSF flow study (flow unknown)
    assert (len(doses), len(steps), len(checks)) == (22, 7, 42)
    assert kinds[:2] == ["Patient", "CarePlan"]
    assert kinds.count("MedicationRequest") == 22 + 7
    assert kinds.count("ServiceRequest") == 1 + 42  # the RT course and one per check
    assert len(kinds) == 2 + 29 + 1 + 42
    assert doc["resourceType"] == "Bundle"
    assert doc["type"] == "collection"
    assert doc["timestamp"] == "2026-11-23T09:00:00-05:00" == adult.created.isoformat()
    assert doc["identifier"] == {"system": PLAN_SYSTEM, "value": adult.fingerprint}
    assert empties(doc) == 0


def test_json_is_utf8_indented_by_two_with_camel_case_names(adult: Plan) -> None:
    data = render(adult)
    text = data.decode("utf-8")
    assert text.startswith('{\n  "resourceType": "Bundle",\n  "identifier": {\n    "system"')
    assert text.endswith("\n}\n")
    assert '"Maria O\'Neil-Søndergaard"' in text  # not \u-escaped
    for key in (
        "fullUrl",
        "medicationCodeableConcept",
        "dosageInstruction",
        "doseQuantity",
        "groupIdentifier",
    ):
        assert f'"{key}"' in text
    assert "_" not in "".join(re.findall(r'"([A-Za-z_]+)":', text))


def test_full_urls_are_unique_name_based_uuids(adult: Plan) -> None:
    doc = read(render(adult))
    urls = [e["fullUrl"] for e in doc["entry"]]
    assert len(set(urls)) == len(urls) == 32 + 42  # and one per check
    assert all(UUID_URL.match(u) for u in urls), urls


def test_every_reference_resolves_inside_the_bundle(adult: Plan) -> None:
    doc = read(render(adult))
    patient, careplan = full_url(doc, "Patient"), full_url(doc, "CarePlan")
    request_urls = [
        e["fullUrl"]
        for e in doc["entry"]
        if e["resource"]["resourceType"] in ("MedicationRequest", "ServiceRequest")
    ]
    plan = one(doc, "CarePlan")
    assert [a["reference"]["reference"] for a in plan["activity"]] == request_urls
    assert plan["subject"] == {"reference": patient}
    for r in resources(doc, "MedicationRequest") + resources(doc, "ServiceRequest"):
        assert r["subject"] == {"reference": patient}
        assert r["basedOn"] == [{"reference": careplan}]
        assert r["intent"] == "plan"


# --- Patient --------------------------------------------------------------------------------------


def test_patient_without_id_name_or_birth_date_is_empty(registry: Registry) -> None:
    plan = make_plan(registry)
    assert (plan.patient.id, plan.patient.name, plan.patient.dob) == (None, None, None)
    assert one(read(render(plan)), "Patient") == {"resourceType": "Patient"}


def test_patient_has_what_the_plan_has(registry: Registry) -> None:
    plan = make_plan(registry, dob="1980-05-01", age=None, patient_id="MRN-1", patient_name="Ada Lovelace")
    assert one(read(render(plan)), "Patient") == {
        "resourceType": "Patient",
        "identifier": [
            {"type": {"text": "record number"}, "system": "urn:lmsched:patient-id", "value": "MRN-1"}
        ],
        "name": [{"text": "Ada Lovelace"}],
        "birthDate": "1980-05-01",
    }


def test_record_number_appears_only_in_the_patient(adult: Plan) -> None:
    data = render(adult)
    assert data.count(b"RCC-000123") == 1
    doc = read(data)
    assert one(doc, "Patient")["identifier"][0]["value"] == "RCC-000123"
    assert "RCC-000123" not in json.dumps([e for e in doc["entry"][1:]])


# --- CarePlan -------------------------------------------------------------------------------------


def test_care_plan_summarises_the_plan(adult: Plan) -> None:
    plan = one(read(render(adult)), "CarePlan")
    assert plan["status"] == "active"
    assert plan["intent"] == "plan"
    assert plan["title"] == adult.templates[0].title
    assert plan["title"].startswith("Intensive intrathecal methotrexate")
    assert plan["created"] == adult.created.isoformat()
    assert plan["period"] == {"start": "2026-11-30", "end": "2027-12-06"}  # WBRT's first day
    assert plan["identifier"] == [{"system": PLAN_SYSTEM, "value": adult.fingerprint}]
    assert plan["description"].endswith(DISCLAIMER)
    notes = [n["text"] for n in plan["note"]]
    assert DISCLAIMER == "A scheduling aid: verify every date and dose against the signed order."
    assert notes[0] == DISCLAIMER
    assert notes[1] == f"lmsched 0.1.0 plan, revision 0 ({adult.fingerprint})"
    assert (
        "INFO investigational-template: it-mtx-intensive is off-label in solid-tumour leptomeningeal "
        "disease [S1, S2, S3, S4, S5]" in notes
    )
    assert all(n in notes for n in adult.notes)


def test_care_plan_period_runs_to_the_last_daily_tablet(registry: Registry) -> None:
    """The memantine course (24 weeks) outlasts 16 IT doses: the period ends on its last day."""
    plan = make_plan(registry, regimen="it-mtx-10mg-twice-weekly", rt="wbrt-30gy-10fx", rt_start="2026-12-02")
    last_tablet = max(e.date + dt.timedelta(e.repeat_days - 1) for e in plan.events if e.kind == "medication")
    last_dose = max(e.date for e in plan.events if e.kind == "it-dose")
    assert last_tablet > last_dose
    period = one(read(render(plan)), "CarePlan")["period"]
    # it starts with the CSF flow study (flow unknown), before the first IT dose on 2026-12-01
    flow_study = min(e.date for e in plan.events if e.course == "mon-csf-flow-study")
    assert flow_study < dt.date(2026, 12, 1)
    assert period == {"start": flow_study.isoformat(), "end": last_tablet.isoformat()}


def test_findings_and_overrides_are_noted(adult: Plan) -> None:
    dose = [e for e in adult.events if e.kind == "it-dose"][2]
    finding = Finding(
        rule="dose-ceiling",
        severity="stop",
        message="dose 3 is above the band",
        patient_message="ask your team",
        sources=("S1", "S2"),
        event_uids=(dose.uid,),
        overridden=True,
    )
    override = Override(
        rule="dose-ceiling",
        reason='tumour board 12 Dec; "agreed" <script>',
        by="Dr =cmd|' Ng",
        at=dt.datetime(2026, 11, 24, 10, 30, tzinfo=dt.UTC),
    )
    plan = adult.model_copy(update={"findings": (finding,), "overrides": (override,)})
    doc = read(render(plan))
    notes = [n["text"] for n in one(doc, "CarePlan")["note"]]
    assert notes[-1] == (
        "STOP dose-ceiling: dose 3 is above the band [S1, S2] Overridden by Dr =cmd|' Ng at "
        '2026-11-24T10:30:00+00:00: tumour board 12 Dec; "agreed" <script>'
    )
    concerned = by_uid(doc)[dose.uid]
    assert "Safety finding STOP dose-ceiling (overridden)" in [n["text"] for n in concerned["note"]]
    others = [r for uid, r in by_uid(doc).items() if uid != dose.uid]
    assert not any("dose-ceiling" in json.dumps(r) for r in others)


def test_revision_and_parent_are_noted(adult: Plan) -> None:
    parent = "sha256:" + "a" * 64
    plan = adult.model_copy(update={"revision": 3, "parent": parent})
    notes = [n["text"] for n in one(read(render(plan)), "CarePlan")["note"]]
    assert notes[1] == f"lmsched 0.1.0 plan, revision 3 ({adult.fingerprint}), revised from {parent}"


# --- IT doses -------------------------------------------------------------------------------------


def test_one_medication_request_per_it_dose(adult: Plan) -> None:
    requests = by_uid(read(render(adult)))
    doses = it_doses(adult)
    for e in doses:
        r = requests[e.uid]
        assert r["status"] == {"confirmed": "active", "tentative": "draft"}[e.status]
        assert r["medicationCodeableConcept"] == {"text": "methotrexate (preservative-free)"}
        assert r["groupIdentifier"] == {"system": PLAN_SYSTEM, "value": adult.fingerprint}
        (dosage,) = r["dosageInstruction"]
        assert dosage["text"] == (
            f"methotrexate 15 mg intraventricular via Ommaya, dose {e.number} of 22 ({e.phase})"
        )
        assert dosage["route"] == {"text": "Intraventricular (Ommaya reservoir)"}
        assert dosage["doseAndRate"] == [
            {"doseQuantity": {"value": 15, "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg"}}
        ]
        assert e.dose_mg == 15
        assert dosage["timing"] == {"event": [local(e)]}
        notes = [n["text"] for n in r["note"]]
        assert notes[: len(e.notes)] == list(e.notes)
        assert notes[-1] == DISCLAIMER
    first = requests[doses[0].uid]
    assert first["dosageInstruction"][0]["timing"]["event"] == ["2026-12-14T09:00:00-05:00"]
    moved = requests[doses[18].uid]  # dose 19: Labor Day weekend
    assert moved["note"][0]["text"] == "moved from 2027-09-04: closed: Saturday; 2027-09-06: Labor Day"
    assert moved["dosageInstruction"][0]["timing"]["event"] == ["2027-09-07T09:00:00-04:00"]
    assert [n["text"] for n in requests[doses[0].uid]["note"]] == [
        FLOW_PENDING_NOTE,
        "Age-band / regimen maximum for this dose: 15 mg; basis: adult (18+)",
        "Safety finding INFO csf-flow-unknown",
        "Safety finding INFO investigational-template",
        DISCLAIMER,
    ]
    # CSF flow unknown: every IT dose waits for the flow study (and 10 are maintenance anyway)
    assert sum(r["status"] == "draft" for r in requests.values()) == 22
    assert sum(e.phase == "maintenance" for e in doses) == 10


def test_maintenance_alone_is_draft(registry: Registry) -> None:
    """With CSF flow normal only the maintenance doses (until progression) are tentative: draft."""
    plan = make_plan(registry, csf_flow="normal", maintenance=10)
    requests = by_uid(read(render(plan)))
    statuses = {e.phase: requests[e.uid]["status"] for e in it_doses(plan)}
    assert statuses == {"induction": "active", "consolidation": "active", "maintenance": "draft"}


def test_lumbar_route_and_dose_text(registry: Registry) -> None:
    plan = make_plan(registry, route="lumbar", regimen="it-mtx-10mg-twice-weekly")
    requests = by_uid(read(render(plan)))
    assert len(requests) == 16
    dose = it_doses(plan)[2]
    third = requests[dose.uid]["dosageInstruction"][0]
    assert third["route"] == {"text": "Intrathecal (lumbar puncture)"}
    assert third["text"] == f"methotrexate 10 mg intrathecal via lumbar puncture, dose 3 of 16 ({dose.phase})"
    assert third["doseAndRate"][0]["doseQuantity"]["value"] == 10


def test_cancelled_and_tentative_statuses(registry: Registry) -> None:
    plan = make_plan(registry, regimen="it-mtx-10mg-twice-weekly", csf_flow="normal")
    target = it_doses(plan)[4].uid
    cancelled = with_status(plan, "cancelled", lambda e: e.uid == target)
    requests = by_uid(read(render(cancelled)))
    assert requests[target]["status"] == "cancelled"
    assert [r["status"] for uid, r in requests.items() if uid != target] == ["active"] * 15
    assert one(read(render(cancelled)), "CarePlan")["status"] == "active"

    tentative = with_status(plan, "tentative", lambda e: e.uid == target)
    assert by_uid(read(render(tentative)))[target]["status"] == "draft"


def test_every_event_cancelled_revokes_the_care_plan(registry: Registry) -> None:
    plan = make_plan(registry, rt="wbrt-30gy-10fx", rt_start="2026-12-02")
    doc = read(render(with_status(plan, "cancelled", lambda e: True)))
    careplan = one(doc, "CarePlan")
    assert careplan["status"] == "revoked"
    assert "period" not in careplan
    assert {r["status"] for r in resources(doc, "MedicationRequest")} == {"cancelled"}
    assert {r["status"] for r in resources(doc, "ServiceRequest")} == {"revoked"}  # the checks too
    rt = rt_request(doc)
    assert rt["status"] == "revoked"
    assert "occurrenceTiming" not in rt and "quantityQuantity" not in rt
    assert "10 of 10 fractions cancelled" in [n["text"] for n in rt["note"]]


def test_stopped_tablet_course_revision(registry: Registry) -> None:
    """`reschedule --stop-from DAY --course memantine-wbrt`: the running step ends the day before."""
    from scheduler.calendar import build_calendar
    from scheduler.reschedule import Stop, reschedule

    plan = make_plan(registry, rt="wbrt-30gy-10fx", rt_start="2026-12-02")
    last_step = [e for e in plan.events if e.kind == "medication"][-1]
    stop = last_step.date + dt.timedelta(4)
    revised = reschedule(
        plan,
        Stop(stop, last_step.course, reason="Progression on MRI"),
        registry,
        build_calendar(plan.inputs.clinic),
        NOW_DT,
    )
    doc = read(render(revised))
    requests = by_uid(doc)
    shortened = [
        e
        for e in revised.events
        if e.kind == "medication" and e.date < stop <= _last_day(e) + dt.timedelta(1)
    ]
    assert [e.repeat_days for e in shortened] == [4, 4]  # the AM and PM doses of weeks 4-24
    for e in revised.events:
        if e.kind == "medication":
            r = requests[e.uid]
            assert r["status"] == "active"
            bounds = r["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]
            assert bounds == {"start": e.date.isoformat(), "end": _last_day(e).isoformat()}
    for e in shortened:
        assert _last_day(e) == stop - dt.timedelta(1)
        assert requests[e.uid]["note"][-2]["text"].startswith("stopped after 4 days in revision 1")
    careplan = one(doc, "CarePlan")
    notes = [n["text"] for n in careplan["note"]]
    assert (
        notes[1] == f"lmsched 0.1.0 plan, revision 1 ({revised.fingerprint}), revised from {plan.fingerprint}"
    )
    assert any(n.startswith("Revision 1 (2026-11-23T09:00:00-05:00): stop") for n in notes), notes


# --- radiotherapy ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rt", "text", "per_fraction"),
    [
        ("wbrt-30gy-10fx", "Radiotherapy, whole brain: 30 Gy in 10 fractions", "3 Gy per fraction"),
        ("wbrt-20gy-5fx", "Radiotherapy, whole brain: 20 Gy in 5 fractions", "4 Gy per fraction"),
        ("csi-photon-36gy-20fx", "Radiotherapy, craniospinal: 36 Gy in 20 fractions", "1.8 Gy per fraction"),
        ("focal-36gy-12fx", "Radiotherapy, focal: 36 Gy in 12 fractions", "3 Gy per fraction"),
    ],
)
def test_one_service_request_per_rt_course(registry: Registry, rt: str, text: str, per_fraction: str) -> None:
    plan = make_plan(registry, rt=rt, rt_start="2026-12-02")
    fractions = [e for e in plan.events if e.kind == "rt-fraction"]
    doc = read(render(plan))
    request = rt_request(doc)
    assert request["status"] == "active"
    assert request["intent"] == "plan"
    assert request["code"] == {"text": text}
    assert request["quantityQuantity"] == {"value": len(fractions), "unit": "fractions"}
    assert request["occurrenceTiming"] == {
        "event": [local(f) for f in fractions],
        "repeat": {"count": len(fractions)},
    }
    assert request["identifier"] == [{"system": EVENT_SYSTEM, "value": f.uid} for f in fractions]
    assert request["requisition"] == {"system": PLAN_SYSTEM, "value": plan.fingerprint}
    notes = [n["text"] for n in request["note"]]
    assert per_fraction in notes
    assert notes[0].endswith(f"(template {rt} 1.0.0)")
    memantine = [r for r in resources(doc, "MedicationRequest") if "memantine" in json.dumps(r)]
    assert len(memantine) == (7 if rt.startswith("wbrt") else 0)


def test_cancelled_fractions_leave_the_timing(registry: Registry) -> None:
    plan = make_plan(registry, rt="wbrt-30gy-10fx", rt_start="2026-12-02")
    fractions = [e for e in plan.events if e.kind == "rt-fraction"]
    gone = {f.uid for f in fractions[7:]}
    request = rt_request(read(render(with_status(plan, "cancelled", lambda e: e.uid in gone))))
    assert request["status"] == "active"
    assert request["code"] == {"text": "Radiotherapy, whole brain: 30 Gy in 10 fractions"}
    assert request["occurrenceTiming"]["event"] == [local(f) for f in fractions[:7]]
    assert request["occurrenceTiming"]["repeat"] == {"count": 7}
    assert request["quantityQuantity"]["value"] == 7
    assert len(request["identifier"]) == 10  # a cancelled fraction keeps its UID here
    assert "3 of 10 fractions cancelled" in [n["text"] for n in request["note"]]


def test_moved_fraction_is_noted(adult: Plan) -> None:
    """A fraction moved by a closure carries its note; the adult plan's fractions were not moved."""
    fractions = [e for e in adult.events if e.kind == "rt-fraction"]
    moved = fractions[2].model_copy(update={"notes": ("moved from 2026-12-01: closed: storm",)})
    plan = adult.model_copy(
        update={"events": tuple(moved if e.uid == moved.uid else e for e in adult.events)}
    )
    notes = [n["text"] for n in rt_request(read(render(plan)))["note"]]
    assert "Fraction 3 of 10: moved from 2026-12-01: closed: storm" in notes
    assert not any(n.startswith("Fraction") for n in notes if "storm" not in n)


# --- memantine ------------------------------------------------------------------------------------


def test_memantine_steps_repeat_daily_within_their_bounds(adult: Plan) -> None:
    requests = by_uid(read(render(adult)))
    steps = [e for e in adult.events if e.kind == "medication"]
    assert len(steps) == 7
    for e in steps:
        r = requests[e.uid]
        assert r["status"] == "active"
        assert r["medicationCodeableConcept"] == {"text": "memantine (tablet)"}
        (dosage,) = r["dosageInstruction"]
        last = e.date + dt.timedelta(days=e.repeat_days - 1)
        assert dosage["timing"] == {
            "repeat": {
                "boundsPeriod": {"start": e.date.isoformat(), "end": last.isoformat()},
                "frequency": 1,
                "period": 1,
                "periodUnit": "d",
                "timeOfDay": [f"{e.time}:00"],
            }
        }
        assert dosage["route"] == {"text": "oral"}
        assert dosage["doseAndRate"][0]["doseQuantity"]["value"] == e.dose_mg
        assert dosage["text"] == (
            f"memantine {e.dose_mg:g} mg by mouth once daily at {e.time} for {e.repeat_days} days, "
            f"{e.date} to {last}"
        )
    first = requests[steps[0].uid]["dosageInstruction"][0]["timing"]["repeat"]
    assert first["boundsPeriod"] == {"start": "2026-11-30", "end": "2026-12-06"}
    assert first["timeOfDay"] == ["08:00:00"]
    longest = requests[steps[-1].uid]["dosageInstruction"][0]["timing"]["repeat"]
    assert longest["boundsPeriod"] == {"start": "2026-12-21", "end": "2027-05-16"}
    assert longest["timeOfDay"] == ["20:00:00"]


# --- time zones -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "clinic", "offset"),
    [
        ("2027-07-06", {}, "-04:00"),
        ("2027-01-05", {}, "-05:00"),
        ("2027-07-06", {"tz": "Australia/Sydney", "country": "AU"}, "+10:00"),
        ("2027-01-05", {"tz": "Australia/Sydney", "country": "AU"}, "+11:00"),
    ],
)
def test_times_carry_the_offset_of_their_day(
    registry: Registry, start: str, clinic: dict[str, str], offset: str
) -> None:
    plan = make_plan(registry, start=start, regimen="it-mtx-10mg-twice-weekly", clinic=clinic)
    first = it_doses(plan)[0]
    assert first.date.isoformat() == start
    timing = by_uid(read(render(plan)))[first.uid]["dosageInstruction"][0]["timing"]
    assert timing == {"event": [f"{start}T09:00:00{offset}"]}


def test_offset_changes_within_a_course(adult: Plan) -> None:
    """The adult course runs from December 2026 into December 2027: 09:00 stays 09:00 local."""
    requests = by_uid(read(render(adult)))
    offsets = {
        e.date.isoformat(): requests[e.uid]["dosageInstruction"][0]["timing"]["event"][0][-6:]
        for e in adult.events
        if e.kind == "it-dose"
    }
    assert offsets["2027-03-04"] == "-05:00"  # before 14 March 2027
    assert offsets["2027-04-05"] == "-04:00"
    assert offsets["2027-11-04"] == "-04:00"  # before 7 November 2027
    assert offsets["2027-12-06"] == "-05:00"


# --- determinism and text -------------------------------------------------------------------------


def test_same_plan_gives_the_same_bytes(adult: Plan, registry: Registry) -> None:
    assert render(adult) == render(adult)
    again = make_plan(registry, rt="wbrt-30gy-10fx", rt_start="2026-12-02")
    assert render(again) == render(make_plan(registry, rt="wbrt-30gy-10fx", rt_start="2026-12-02"))


def test_created_changes_only_the_timestamps(adult: Plan) -> None:
    later = adult.model_copy(update={"created": dt.datetime(2027, 1, 2, 3, 4, 5, tzinfo=dt.UTC)})
    before, after = render(adult).decode().splitlines(), render(later).decode().splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert changed == [
        ('  "timestamp": "2026-11-23T09:00:00-05:00",', '  "timestamp": "2027-01-02T03:04:05Z",'),
        ('        "created": "2026-11-23T09:00:00-05:00",', '        "created": "2027-01-02T03:04:05Z",'),
    ]


def test_revision_keeps_resource_urls(adult: Plan) -> None:
    """A new revision (new fingerprint) is a new version of the same resources."""
    doc = read(render(adult))
    revised = adult.model_copy(update={"revision": 1, "fingerprint": "sha256:" + "b" * 64})
    doc2 = read(render(revised))
    assert [e["fullUrl"] for e in doc["entry"]] == [e["fullUrl"] for e in doc2["entry"]]
    assert doc2["identifier"]["value"] == "sha256:" + "b" * 64


def test_other_patient_gets_other_urls(registry: Registry) -> None:
    a = read(render(make_plan(registry, patient_id="MRN-1")))
    b = read(render(make_plan(registry, patient_id="MRN-2")))
    assert not {e["fullUrl"] for e in a["entry"]} & {e["fullUrl"] for e in b["entry"]}


def test_hostile_text_round_trips(registry: Registry) -> None:
    plan = make_plan(registry, patient_name=HOSTILE_NAME, patient_id=HOSTILE_ID)
    data = render(plan)
    assert HOSTILE_NAME.encode("utf-8").replace(b'"', b'\\"') in data
    patient = one(read(data), "Patient")
    assert patient["name"] == [{"text": HOSTILE_NAME}]
    assert patient["identifier"][0]["value"] == HOSTILE_ID
    parsed = Bundle.model_validate_json(data).entry
    assert parsed is not None
    resource = parsed[0].resource
    assert isinstance(resource, Patient) and resource.name is not None
    assert resource.name[0].text == HOSTILE_NAME


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=plan_fields())
def test_varied_plans_validate(registry: Registry, fields: dict[str, object]) -> None:
    plan = make_plan(registry, **fields)
    doc = read(render(plan))
    medication = [e for e in plan.events if e.kind not in ("rt-fraction", "check")]
    checks = [e for e in plan.events if e.kind == "check"]
    assert len(resources(doc, "MedicationRequest")) == len(medication)
    assert len(resources(doc, "ServiceRequest")) == (1 if fields.get("rt") else 0) + len(checks)
    assert len(one(doc, "CarePlan")["activity"]) == len(doc["entry"]) - 2


# --- the optional package -------------------------------------------------------------------------


def run_python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_missing_package_is_an_input_error(adult: Plan, tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_bytes(plan_to_json(adult))
    code = """
import sys
sys.modules["fhir"] = None  # import fhir... now raises ImportError, as if not installed
from scheduler.errors import InputError
from scheduler.export.fhir import render
from scheduler.plan import plan_from_json
try:
    render(plan_from_json(open(sys.argv[1], "rb").read()))
except InputError as exc:
    print(exc.field)
    print(exc)
    sys.exit(0)
print("rendered without fhir.resources")
sys.exit(1)
"""
    result = run_python(code, str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        "fhir",
        "fhir: the FHIR export (fhir) needs the optional fhir.resources package: pip install 'lmsched[fhir]'",
    ]


def test_fhir_resources_is_imported_only_to_render() -> None:
    code = """
import sys
import scheduler.export.fhir
from scheduler.cli import main
try:
    main(["--help"])
except SystemExit:
    pass
print(sorted(m for m in sys.modules if m.split(".")[0] in ("fhir", "fhir_core")))
"""
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[]"
