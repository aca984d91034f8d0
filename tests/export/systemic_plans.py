"""Plans with systemic therapy for the exporter tests, built in the test (no examples/out).

- `tdxd_plan`: T-DXd every 3 weeks (8 cycles from 2027-01-05) with intensive IT methotrexate by
  Ommaya, a closure that moves cycle 2's day 1 (2027-01-26 -> 2027-01-27), and the US change to
  daylight saving time (2027-03-14) inside the course; chair time 15 + infusion + 30 minutes.
- `her2climb_plan`: HER2CLIMB (tucatinib twice daily, capecitabine twice daily on days 1-14,
  trastuzumab IV on day 1: 8 mg/kg loading, then 6 mg/kg) for 3 cycles from 2027-02-23, across
  the same clock change, with IT methotrexate.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from scheduler.models import PlanRequest
from scheduler.plan import Event, Plan
from scheduler.schedule import build_plan
from scheduler.templates import Registry

from ..conftest import NOW_DT

PATIENT_ID = "RCC-000456"
PATIENT_NAME = "Aisha Rahman-Ito"
CLINIC: dict[str, Any] = {
    "prep_min": 15,
    "observation_min": 30,
    "location": "Infusion centre, level 2",
    "closed": [{"date": "2027-01-26", "reason": "staff training"}],
}
SYSTEMIC_KINDS = ("infusion", "tablet")
# Any adult body size and either body-size template, for the exporters' property tests.
BODY_SIZES = {
    "weight": st.floats(40, 150).map(lambda w: round(w, 1)),
    "height": st.floats(140, 200).map(lambda h: round(h, 0)),
    "template": st.sampled_from(["sys-tdxd-q3w", "sys-her2climb"]),
}


def request(template: str, start: str, cycles: int, **fields: Any) -> PlanRequest:
    data: dict[str, Any] = {
        "start": "2027-01-11",
        "dob": "1971-03-02",
        "patient_id": PATIENT_ID,
        "patient_name": PATIENT_NAME,
        "route": "ommaya",
        "regimen": "it-mtx-intensive",
        "maintenance": 2,
        "weight_kg": 68.4,
        "height_cm": 164,
        "weight_date": "2026-12-21",
        "clinic": CLINIC,
        "systemic": [{"template": template, "start": start, "cycles": cycles}],
    }
    data.update(fields)
    return PlanRequest.model_validate(data)


def tdxd_plan(registry: Registry, **fields: Any) -> Plan:
    return build_plan(request("sys-tdxd-q3w", "2027-01-05", 8, **fields), registry, NOW_DT)


def her2climb_plan(registry: Registry, **fields: Any) -> Plan:
    return build_plan(request("sys-her2climb", "2027-02-23", 3, **fields), registry, NOW_DT)


def systemic(plan: Plan) -> list[Event]:
    return [e for e in plan.events if e.kind in SYSTEMIC_KINDS]


def days_of(event: Event) -> list[dt.date]:
    """The days a tablet event's doses are taken (one for any other event)."""
    return [event.date + dt.timedelta(days=i) for i in range(event.repeat_days)]
