"""FHIR export of systemic therapy: one MedicationRequest per infusion and per tablet event, each
validated by fhir.resources, with its timing, dose in mg, route, basis and calculation."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings

from scheduler.export.fhir import DISCLAIMER, render
from scheduler.plan import Event, Plan
from scheduler.templates import Registry

from .systemic_plans import BODY_SIZES, PATIENT_ID, days_of, her2climb_plan, systemic, tdxd_plan
from .test_fhir import by_uid, one, read, resources

UCUM_MG = {"unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg"}


@pytest.fixture(scope="module")
def tdxd(registry: Registry) -> Plan:
    return tdxd_plan(registry)


@pytest.fixture(scope="module")
def climb(registry: Registry) -> Plan:
    return her2climb_plan(registry)


def local(event: Event) -> str:
    when = dt.datetime.combine(event.date, dt.time.fromisoformat(event.time), tzinfo=ZoneInfo(event.tz))
    return when.isoformat()


def dose_quantity(event: Event) -> dict[str, Any]:
    return {"value": event.dose_mg, **UCUM_MG}


def test_one_request_per_infusion_with_its_time_minutes_and_cycle(tdxd: Plan) -> None:
    doc = read(render(tdxd))
    requests = by_uid(doc)
    infusions = [e for e in tdxd.events if e.kind == "infusion"]
    assert len(infusions) == 8
    for e in infusions:
        r = requests[e.uid]
        assert r["status"] == "active" and r["intent"] == "plan"
        assert r["medicationCodeableConcept"] == {
            "text": "trastuzumab deruxtecan (powder for IV infusion (reconstituted and diluted))"
        }
        (dosage,) = r["dosageInstruction"]
        assert dosage["timing"] == {
            "event": [local(e)],
            "repeat": {"count": 1, "duration": e.duration_min, "durationUnit": "min"},
            "code": {"text": "day 1 of a 21-day cycle"},
        }
        assert dosage["route"] == {"text": "Intravenous"}
        assert dosage["doseAndRate"] == [{"type": {"text": "calculated"}, "doseQuantity": dose_quantity(e)}]
        assert dosage["text"] == (
            f"trastuzumab deruxtecan {e.dose_mg:g} mg by intravenous infusion over {e.duration_min} minutes, "
            f"cycle {e.cycle} day 1 of a 21-day cycle; dose basis: 5.4 mg/kg (actual weight 68.4 kg); "
            "calculation: 5.4 mg/kg x 68.4 kg = 369 mg (369.36 rounded to 1 mg)"
        )
        notes = [n["text"] for n in r["note"]]
        assert f"Systemic course sys-tdxd-q3w: cycle {e.cycle} day 1 of a 21-day cycle" in notes
        assert "Dose basis: 5.4 mg/kg (actual weight 68.4 kg)" in notes
        assert "Dose calculation: 5.4 mg/kg x 68.4 kg = 369 mg (369.36 rounded to 1 mg)" in notes
        assert notes[-1] == DISCLAIMER
    first, second = (requests[e.uid]["dosageInstruction"][0]["timing"] for e in infusions[:2])
    assert first["event"] == ["2027-01-05T10:30:00-05:00"] and first["repeat"]["duration"] == 90
    assert second["event"] == ["2027-01-27T10:30:00-05:00"] and second["repeat"]["duration"] == 30
    moved = [n["text"] for n in requests[infusions[1].uid]["note"]]
    assert any(n.startswith("moved from 2027-01-26") for n in moved)
    after_clock_change = requests[infusions[4].uid]["dosageInstruction"][0]["timing"]["event"]
    assert after_clock_change == ["2027-03-31T10:30:00-04:00"]


def test_tablets_repeat_daily_within_their_cycle_days(climb: Plan) -> None:
    requests = by_uid(read(render(climb)))
    tablets = [e for e in climb.events if e.kind == "tablet"]
    assert len(tablets) == 12
    for e in tablets:
        r = requests[e.uid]
        (dosage,) = r["dosageInstruction"]
        days = days_of(e)
        assert dosage["timing"] == {
            "repeat": {
                "boundsPeriod": {"start": days[0].isoformat(), "end": days[-1].isoformat()},
                "frequency": 1,
                "period": 1,
                "periodUnit": "d",
                "timeOfDay": [f"{e.time}:00"],
            }
        }
        assert dosage["route"] == {"text": "oral"}
        assert dosage["doseAndRate"][0]["doseQuantity"] == dose_quantity(e)
        assert f"cycle {e.cycle} day 1 of a 21-day cycle" in dosage["text"]
        assert f"dose basis: {e.dose_basis}; calculation: {e.dose_calc}" in dosage["text"]
        if e.drug == "capecitabine":
            assert len(days) == 14  # days 1-14: the off days 15-21 are outside the bounds
            assert dosage["doseAndRate"][0]["type"] == {"text": "calculated"}
            assert dosage["text"].startswith(
                f"capecitabine 1800 mg (3 x 500 mg + 2 x 150 mg) by mouth once daily at {e.time} for 14 days"
            )
            assert "Tablets per dose: 3 x 500 mg + 2 x 150 mg" in [n["text"] for n in r["note"]]
            assert "take within 30 minutes after a meal" in [n["text"] for n in r["note"]]
        else:
            assert e.drug == "tucatinib" and len(days) == 21
            assert "type" not in dosage["doseAndRate"][0]  # a fixed dose is not calculated
            assert dosage["text"].startswith(f"tucatinib 300 mg by mouth once daily at {e.time} for 21 days")
    loading, maintenance = (e for e in climb.events if e.kind == "infusion" and e.cycle in (1, 2))
    assert requests[loading.uid]["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] == 547
    assert requests[maintenance.uid]["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] == 410


def test_every_systemic_event_is_a_care_plan_activity(climb: Plan) -> None:
    doc = read(render(climb))
    care_plan = one(doc, "CarePlan")
    activities = {a["reference"]["reference"] for a in care_plan["activity"]}
    urls = {e["fullUrl"] for e in doc["entry"] if e["resource"]["resourceType"] == "MedicationRequest"}
    assert urls <= activities
    assert len(resources(doc, "MedicationRequest")) == len(
        [e for e in climb.events if e.kind not in ("rt-fraction", "check")]
    )
    # each check (liver tests every 3 weeks on tucatinib, blood counts, ...) is a ServiceRequest
    checks = [e for e in climb.events if e.kind == "check"]
    assert any(e.course == "mon-liver-tucatinib" for e in checks)
    assert len(resources(doc, "ServiceRequest")) == len(checks)
    assert {
        e["fullUrl"] for e in doc["entry"] if e["resource"]["resourceType"] == "ServiceRequest"
    } <= activities
    # the period covers the last day of the last tablet event (tucatinib, cycle 3 day 21)
    last = max(days_of(e)[-1] for e in systemic(climb))
    assert last == dt.date(2027, 4, 26)
    assert care_plan["period"]["end"] == max(last, *(days_of(e)[-1] for e in climb.events)).isoformat()
    notes = [n["text"] for n in care_plan["note"]]
    assert any(n.startswith("Template sys-her2climb ") for n in notes)
    # the record number is in the Patient only
    text = render(climb).decode()
    assert text.count(PATIENT_ID) == 1


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(**BODY_SIZES)
def test_any_body_size_validates_and_carries_the_event_dose(
    registry: Registry, weight: float, height: float, template: str
) -> None:
    plan = (tdxd_plan if template == "sys-tdxd-q3w" else her2climb_plan)(
        registry, weight_kg=weight, height_cm=height
    )
    requests = by_uid(read(render(plan)))
    for e in systemic(plan):
        (dosage,) = requests[e.uid]["dosageInstruction"]
        assert dosage["doseAndRate"][0]["doseQuantity"] == dose_quantity(e)
        assert f"calculation: {e.dose_calc}" in dosage["text"]
