"""The plan: dated events, findings and the inputs they came from, as one document.

`build_plan` is the pure core: request + registry + now -> Plan. It never reads the clock, files
or the terminal. The plan loads back into the same model and carries a fingerprint of its content.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any, Literal

from pydantic import Field

from ._version import __version__
from .calendar import ClinicCalendar, build_calendar, nth_open_days, place_course
from .dosing import dose_for, medication_dose
from .errors import InputError
from .expand import expand_regimen, phase_counts
from .models import (
    AgeField,
    Clock,
    Day,
    Frozen,
    Line,
    Medication,
    PlanRequest,
    Radiotherapy,
    Regimen,
    SourceId,
)
from .templates import Registry

__all__ = [
    "SCHEMA_VERSION",
    "Change",
    "Event",
    "Finding",
    "Move",
    "Override",
    "Plan",
    "PolicyRef",
    "build_plan",
    "fingerprint",
    "identity",
    "plan_from_json",
    "plan_to_json",
]

SCHEMA_VERSION = 1
ROUTE_NAMES = {"ommaya": "Ommaya (intraventricular)", "lumbar": "lumbar puncture (intrathecal)"}


class Event(Frozen):
    uid: str
    kind: Literal["it-dose", "rt-fraction", "medication"]
    course: str  # template id
    date: Day
    time: Clock
    tz: str
    duration_min: int
    phase: str
    number: int  # 1-based within its course
    of: int  # events planned in its course
    sequence: int = 0  # revision counter for calendar clients (RFC 5545 SEQUENCE)
    status: Literal["confirmed", "tentative", "cancelled"] = "confirmed"
    drug: str | None = None
    dose_mg: int | float | None = None
    max_mg: int | float | None = None  # IT: the most any order may give that day (age band / regimen)
    dose_basis: str | None = None  # IT: what sets max_mg, e.g. "adult (18+)" or "regimen dose"
    dose_gy: int | float | None = None
    route: str | None = None
    formulation: str | None = None
    repeat_days: int = 1  # medication: taken daily for this many days from `date`
    shifted_from: Day | None = None
    shift_reason: str | None = None
    notes: tuple[str, ...] = ()


class Finding(Frozen):
    rule: str
    severity: Literal["block", "stop", "warn", "info"]
    message: str  # for staff
    patient_message: str  # plain language, for patient-facing outputs
    sources: tuple[SourceId, ...] = ()
    event_uids: tuple[str, ...] = ()
    overridden: bool = False


class Override(Frozen):
    """A named, reasoned decision to go ahead despite a `stop` finding; printed on every output."""

    rule: str
    reason: Line
    by: Line | None = None
    at: dt.datetime


class PolicyRef(Frozen):
    name: str
    sha256: str


class TemplateRef(Frozen):
    id: str
    title: str
    version: str
    kind: str
    evidence: str
    status: str
    sources: tuple[str, ...]


class Patient(Frozen):
    id: str | None
    name: str | None
    dob: Day | None
    age_at_start: AgeField
    age_basis: Literal["dob", "age"]


class Generator(Frozen):
    name: Literal["lmsched"] = "lmsched"
    version: str = __version__


class Move(Frozen):
    """What one revision did to one event: moved it (old -> new date), cancelled it, or shortened
    a daily tablet step (`repeat_days`)."""

    uid: str
    label: str  # e.g. "IT methotrexate 12 mg, dose 5 of 16"
    old: Day
    new: Day | None  # None: cancelled
    old_mg: int | float | None = None
    new_mg: int | float | None = None
    old_days: int | None = None  # medication: days the step lasted, when that changed
    new_days: int | None = None

    def describe(self) -> str:
        """'2026-12-08 -> 2026-12-11  IT methotrexate 12 mg, dose 5 of 16' and the like."""
        target = "cancelled" if self.new is None else self.new.isoformat()
        text = f"{self.old} -> {target}  {self.label}"
        if self.old_mg != self.new_mg:
            text += f" (dose {self.old_mg:g} -> {self.new_mg:g} mg)"
        if self.old_days != self.new_days:
            text += f" (daily for {self.old_days} -> {self.new_days} days)"
        return text


class Change(Frozen):
    """One entry of a plan's change log: which revision, made when and why, from which parent."""

    revision: int
    at: dt.datetime
    action: Literal["delay", "hold", "stop"]
    summary: str  # e.g. "delay it-mtx-intensive from 2026-12-08 by at least 3 days"
    reason: Line | None = None
    by: Line | None = None
    parent: str  # the fingerprint of the plan this revision was made from
    moves: tuple[Move, ...] = ()


class Plan(Frozen):
    schema_version: int = SCHEMA_VERSION
    generator: Generator = Generator()
    created: dt.datetime
    revision: int = 0
    parent: str | None = None
    patient: Patient
    inputs: PlanRequest
    templates: tuple[TemplateRef, ...]
    notes: tuple[str, ...] = ()
    events: tuple[Event, ...]
    findings: tuple[Finding, ...] = ()
    overrides: tuple[Override, ...] = ()
    policy: PolicyRef | None = None
    changes: tuple[Change, ...] = ()  # the change log, oldest first (reschedule)
    edited: str | None = None  # set when a hand-edited plan was accepted (--accept-edited): what was seen
    fingerprint: str = Field(default="", pattern=r"^(sha256:[0-9a-f]{64})?$")


# --- building ------------------------------------------------------------------------------------


def _digest(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()


def identity(request: PlanRequest) -> str:
    """Whom the UIDs belong to: the patient id, or (without one) a digest of who and when, so two
    anonymous patients never share UIDs and no name or record number appears in a UID."""
    if request.patient_id:
        return f"id:{request.patient_id}"
    return "anon:" + _digest(request.patient_name, request.dob, request.age, request.start)[:16]


def make_uid(identity: str, template_id: str, course_start: dt.date, key: str) -> str:
    return f"{_digest(identity, template_id, course_start, key)[:32]}@lmsched"


def _age_at(request: PlanRequest) -> Any:
    from .dosing import age_in_months

    if request.dob is not None:
        return {"months": age_in_months(request.dob, request.start)}
    return request.age


def build_plan(
    request: PlanRequest, registry: Registry, now: dt.datetime, calendar: ClinicCalendar | None = None
) -> Plan:
    """Expand the request's templates onto the clinic calendar and return the dated plan."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    regimen = registry.regimen(request.regimen)
    if request.route not in regimen.routes:
        raise InputError(
            f"'{request.route}' is not a route for {regimen.id}", field="route", choices=regimen.routes
        )
    rt = registry.radiotherapy(request.rt) if request.rt else None
    if request.maintenance is not None and regimen.open_phase is None:
        raise InputError(f"{regimen.id} has no phase that continues until progression", field="maintenance")
    calendar = calendar or build_calendar(request.clinic)
    who = identity(request)
    notes: list[str] = []
    events: list[Event] = []
    templates: list[Regimen | Radiotherapy | Medication] = [regimen]

    rt_events: list[Event] = []
    if rt is not None:
        assert request.rt_start is not None
        rt_events = _radiotherapy_events(rt, request, calendar, who)
        templates.append(rt)
    events += _it_events(regimen, registry, request, calendar, who, notes)
    events += rt_events
    if rt is not None and rt.site == "wbrt" and request.memantine and rt_events:
        med = registry.medication_for("wbrt")
        if med is not None:
            events += _medication_events(med, request, rt_events[0].date, who, notes)
            templates.append(med)

    if request.age is not None:
        notes.append(
            f"Doses use the age given for the start date ({request.age.describe()}) for "
            "every dose; give a birth date (--dob) to follow birthdays."
        )
    events.sort(key=lambda e: (e.date, e.time, e.kind, e.number))
    plan = Plan(
        created=now,
        patient=Patient(
            id=request.patient_id,
            name=request.patient_name,
            dob=request.dob,
            age_at_start=_age_at(request),
            age_basis="dob" if request.dob is not None else "age",
        ),
        inputs=request,
        templates=tuple(
            TemplateRef(
                id=t.id,
                title=t.title,
                version=t.version,
                kind=t.kind,
                evidence=t.evidence,
                status=t.status,
                sources=t.sources,
            )
            for t in templates
        ),
        notes=tuple(notes),
        events=tuple(events),
    )
    return plan.model_copy(update={"fingerprint": fingerprint(plan)})


def _it_events(
    regimen: Regimen,
    registry: Registry,
    request: PlanRequest,
    calendar: ClinicCalendar,
    identity: str,
    notes: list[str],
) -> list[Event]:
    if regimen.dose is None:  # a withdrawn product: nothing to plan; the withdrawn-product rule blocks
        return []
    slots = expand_regimen(regimen, request.start, request.maintenance)
    placed = place_course(
        [(s.planned, s.min_gap) for s in slots], calendar, request.clinic.shift, not_before=request.start
    )
    ceiling = None
    if regimen.dose.ceiling_from:
        ceiling = registry.regimen(regimen.dose.ceiling_from).dose
    open_phase = regimen.open_phase
    if open_phase is not None:
        count = phase_counts(regimen, request.maintenance)[regimen.phases.index(open_phase)]
        notes.append(
            f"The {open_phase.name} phase continues until progression; {count} doses are "
            "planned here (change with --maintenance N)."
        )
    events: list[Event] = []
    previous_mg: float | None = None
    for slot, where in zip(slots, placed, strict=True):
        decision = dose_for(regimen.dose, ceiling, request, where.day)
        event_notes: list[str] = []
        if previous_mg is not None and decision.mg != previous_mg and decision.band is not None:
            # only an age band moves the dose within a course
            event_notes.append(
                f"dose {previous_mg:g} -> {decision.mg:g} mg: age band "
                f"{decision.band.label} from this dose ({', '.join(regimen.dose.sources)})"
            )
        if request.dose is not None and decision.mg < decision.limit_mg:
            event_notes.append(f"ordered {decision.mg:g} mg; {decision.basis} dose {decision.limit_mg:g} mg")
        if where.reason:
            event_notes.append(f"moved from {where.shifted_from}: {where.reason}")
        if slot.phase.until_progression:
            event_notes.append("continues until progression")
        previous_mg = decision.mg
        mg = decision.mg
        events.append(
            Event(
                uid=make_uid(identity, regimen.id, request.start, f"{slot.phase.name}:{slot.index}"),
                kind="it-dose",
                course=regimen.id,
                date=where.day,
                time=request.clinic.session_time,
                tz=request.clinic.tz,
                duration_min=request.clinic.duration_min,
                phase=slot.phase.name,
                number=slot.number,
                of=len(slots),
                status="tentative" if slot.phase.until_progression else "confirmed",
                drug=regimen.drug,
                dose_mg=_number(mg),
                max_mg=_number(decision.limit_mg),
                dose_basis=decision.basis,
                route=request.route,
                formulation=request.formulation if regimen.drug == "methotrexate" else regimen.formulation,
                shifted_from=where.shifted_from,
                shift_reason=where.reason,
                notes=tuple(event_notes),
            )
        )
    return events


def _radiotherapy_events(
    rt: Radiotherapy, request: PlanRequest, calendar: ClinicCalendar, identity: str
) -> list[Event]:
    assert request.rt_start is not None
    gy = rt.gy_per_fraction
    events = []
    for n, where in enumerate(nth_open_days(calendar, request.rt_start, rt.fractions), start=1):
        notes = (f"moved from {where.shifted_from}: {where.reason}",) if where.reason else ()
        events.append(
            Event(
                uid=make_uid(identity, rt.id, request.rt_start, f"fraction:{n}"),
                kind="rt-fraction",
                course=rt.id,
                date=where.day,
                time=request.clinic.rt_time,
                tz=request.clinic.tz,
                duration_min=request.clinic.rt_duration_min,
                phase=rt.site,
                number=n,
                of=rt.fractions,
                dose_gy=int(gy) if float(gy).is_integer() else gy,
                route="external beam",
                shifted_from=where.shifted_from,
                shift_reason=where.reason,
                notes=notes,
            )
        )
    return events


def _medication_events(
    med: Medication, request: PlanRequest, first_day: dt.date, identity: str, notes: list[str]
) -> list[Event]:
    """One event per titration step and time of day, repeated daily for the step's days."""
    rows: list[tuple[int, str, str, float, dt.date, int]] = []
    day = first_day
    for i, step in enumerate(med.steps, start=1):
        for when, clock, mg in (
            ("morning", med.morning, step.morning_mg),
            ("evening", med.evening, step.evening_mg),
        ):
            if mg > 0:
                rows.append((i, when, clock, mg, day, step.days))
        day += dt.timedelta(step.days)
    total_days = (day - first_day).days
    steps = ", ".join(f"{s.name} {_step_text(s.morning_mg, s.evening_mg)}" for s in med.steps)
    notes.append(
        f"{med.drug.capitalize()} {steps}: {total_days} days from the first WBRT fraction "
        f"on {first_day} ({', '.join(med.sources)})."
    )
    events = []
    for n, (i, when, clock, mg, start, days) in enumerate(rows, start=1):
        dose, cap_note = medication_dose(med, mg, request.crcl)
        step = med.steps[i - 1]
        last = start + dt.timedelta(days - 1)
        event_notes = [f"{step.name}: daily {'AM' if when == 'morning' else 'PM'} to {last}"]
        if cap_note:
            event_notes.append(cap_note)
        events.append(
            Event(
                uid=make_uid(identity, med.id, first_day, f"step{i}:{when}"),
                kind="medication",
                course=med.id,
                date=start,
                time=clock,
                tz=request.clinic.tz,
                duration_min=5,
                phase=f"step-{i}-{when}",
                number=n,
                of=len(rows),
                drug=med.drug,
                dose_mg=int(dose) if float(dose).is_integer() else dose,
                route=med.route,
                formulation=med.formulation,
                repeat_days=days,
                notes=tuple(event_notes),
            )
        )
    return events


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _step_text(am: float, pm: float) -> str:
    if pm == 0:
        return f"{am:g} mg AM"
    return f"{am:g} mg twice daily" if am == pm else f"{am:g} mg AM + {pm:g} mg PM"


# --- fingerprint and (de)serialisation ------------------------------------------------------------


def _canonical(plan: Plan) -> bytes:
    # Fields added after schema 1 was first written are left out while empty, so the fingerprints
    # of plans written before them still match.
    empty = {name for name in ("changes", "edited") if not getattr(plan, name)}
    data = plan.model_dump(mode="json", exclude={"created", "fingerprint", *empty})
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def fingerprint(plan: Plan) -> str:
    """A digest of what the plan says (not when it was made), so an edited plan can be told."""
    return "sha256:" + hashlib.sha256(_canonical(plan)).hexdigest()


def plan_to_json(plan: Plan) -> bytes:
    empty = {name for name in ("changes", "edited") if not getattr(plan, name)}
    text = json.dumps(plan.model_dump(mode="json", exclude=empty), indent=2, ensure_ascii=False)
    return (text + "\n").encode("utf-8")


def plan_from_json(data: bytes | str) -> Plan:
    return Plan.model_validate_json(data)
