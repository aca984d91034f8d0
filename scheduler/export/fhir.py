"""The plan as an HL7 FHIR R4 Bundle (JSON), built and validated with `fhir.resources`.

One Bundle of type "collection", for exchange with clinical systems (a staff format):
- Patient: only what the plan holds: the record number (identifier), the name (HumanName.text)
  and the birth date, each only when given. The record number appears nowhere else.
- CarePlan (intent "plan"): the regimen's title, the period from the first to the last planned
  day, the templates, plan notes, change log and every safety finding (with any override) as
  notes, the disclaimer, and one activity referring to each request below.
- MedicationRequest: one per IT dose (timing.event: the local date and time with its UTC offset)
  and one per memantine step (taken daily: timing.repeat with boundsPeriod and timeOfDay).
  Systemic therapy the same way, one request per planned administration: one per infusion
  (timing.event, with the infusion minutes as repeat.duration and "day 1 of a 21-day cycle" as
  timing.code text) and one per tablet event, i.e. one cycle's doses at one time of day (taken
  daily: boundsPeriod from the event's first to its last day, timeOfDay; capecitabine's days 1-14
  are the bounds, so the off days hold no dose). Per administration rather than one request per
  course: each cycle's dose is checked and released on its own (a cycle-1 loading dose, a
  reduction from a cycle on, a reload after a late cycle all change one cycle's dose), the
  event's UID links the request to the calendar, the plan and a reconciliation, and a revision
  replaces exactly the cycles it changed. The dose is doseAndRate.doseQuantity in mg, typed
  "calculated" (text) when it comes from body size; the dose basis and the calculation
  ("5.4 mg/kg x 68.4 kg = 369 mg") are in the dosage text and the request's notes.
  Status: confirmed -> active, tentative (maintenance until progression) -> draft, cancelled ->
  cancelled. Each carries the event's UID as identifier and the plan fingerprint as groupIdentifier.
- ServiceRequest: one per RT course, its fractions as occurrenceTiming events and its fraction
  UIDs as identifiers; "revoked" once every fraction is cancelled.
- ServiceRequest: one per check (kind "check": a blood count, CSF cytology, an MRI, an LVEF
  scan), identified by its event UID: category the check's kind, code the check's name,
  occurrencePeriod from its time for its minutes (occurrenceDateTime for a check taken at
  another event, duration 0: CSF cytology at the IT session), locationCode "clinic" or
  "external", supportingInfo the requests of the events it guards (a blood count's IT dose), and
  notes with what it guards, the staff detail (the CSF sample volume) and the interval's evidence
  ("local convention": no verified source, set per centre). Status: confirmed -> active,
  tentative -> draft, cancelled -> revoked (ServiceRequest has no "cancelled").

Nothing is coded: lmsched has no verified source for RxNorm, SNOMED CT or route codes, so every
CodeableConcept carries `.text` only; only the units are UCUM (mg). Requests have intent "plan":
a schedule to check against the signed order, not an order.

R4 and R4B: since version 7, fhir.resources models R5 at its top level and ships FHIR R4B (4.3.0),
not R4, as a sub-package. Patient, CarePlan, MedicationRequest, ServiceRequest, Bundle and the
datatypes used here are the same in R4 and R4B, so the R4B classes build and validate R4 JSON.

Deterministic: no clock and no randomness. Bundle.timestamp and CarePlan.created are the plan's
`created`; every fullUrl is a name-based UUID (uuid5): the Patient's and the CarePlan's from the
plan's identity (the same for every revision), each request's from its event UID, so a revision
is a new version of the same resources and the Bundle's identifier (the fingerprint) tells them
apart. fhir.resources is imported only when rendering: it is slow to import.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from ..errors import InputError
from ..labels import event_name, route_words, site_name
from ..plan import Event, Finding, Plan, identity

if TYPE_CHECKING:
    from fhir.resources.R4B.annotation import Annotation
    from fhir.resources.R4B.careplan import CarePlan
    from fhir.resources.R4B.codeableconcept import CodeableConcept
    from fhir.resources.R4B.dosage import Dosage, DosageDoseAndRate
    from fhir.resources.R4B.identifier import Identifier
    from fhir.resources.R4B.medicationrequest import MedicationRequest
    from fhir.resources.R4B.patient import Patient
    from fhir.resources.R4B.quantity import Quantity
    from fhir.resources.R4B.servicerequest import ServiceRequest

__all__ = [
    "DISCLAIMER",
    "EVENT_SYSTEM",
    "MISSING_PACKAGE",
    "NAMESPACE",
    "PATIENT_SYSTEM",
    "PLAN_SYSTEM",
    "render",
]

DISCLAIMER = "A scheduling aid: verify every date and dose against the signed order."
MISSING_PACKAGE = (
    "the FHIR export ({fhir}) needs the optional fhir.resources package: pip install 'lmsched[fhir]'"
)
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:lmsched:fhir")  # for the uuid5 of every fullUrl
PLAN_SYSTEM = "urn:lmsched:plan"
EVENT_SYSTEM = "urn:lmsched:event-uid"
PATIENT_SYSTEM = "urn:lmsched:patient-id"
UCUM = "http://unitsofmeasure.org"
_STATUS = {"confirmed": "active", "tentative": "draft", "cancelled": "cancelled"}
_SERVICE_STATUS = {"confirmed": "active", "tentative": "draft", "cancelled": "revoked"}
_CHECK_KINDS = {
    "lab": "Laboratory test",
    "imaging": "Imaging",
    "csf": "CSF test",
    "cardiac": "Cardiac imaging",
}
_FHIR_PACKAGES = ("fhir", "fhir_core")

Request = tuple[str, "MedicationRequest | ServiceRequest"]  # (fullUrl, resource)


def render(plan: Plan) -> bytes:
    """The plan as one FHIR R4 Bundle, UTF-8 JSON indented by 2, ending in a newline."""
    try:
        from fhir.resources.R4B.bundle import Bundle, BundleEntry
    except ImportError as exc:
        if (exc.name or "").split(".")[0] not in _FHIR_PACKAGES:
            raise
        raise InputError("", field="fhir", hint=MISSING_PACKAGE) from None

    patient_url = _full_url("patient", identity(plan.inputs))
    careplan_url = _full_url("careplan", identity(plan.inputs), plan.inputs.regimen, plan.inputs.start)
    requests = _requests(plan, patient_url, careplan_url)
    entries = [
        BundleEntry(fullUrl=patient_url, resource=_patient(plan)),
        BundleEntry(fullUrl=careplan_url, resource=_care_plan(plan, patient_url, [u for u, _ in requests])),
        *(BundleEntry(fullUrl=url, resource=resource) for url, resource in requests),
    ]
    bundle = Bundle(
        identifier=_plan_identifier(plan),
        type="collection",
        timestamp=plan.created,
        entry=entries,
    )
    return (bundle.model_dump_json(indent=2) + "\n").encode("utf-8")


# --- identity -------------------------------------------------------------------------------------


def _full_url(*key: object) -> str:
    """A name-based UUID (uuid5) of the key's parts, as a URN."""
    name = "\x1f".join(str(k) for k in key)
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, name)}"


def _plan_identifier(plan: Plan) -> Identifier | None:
    from fhir.resources.R4B.identifier import Identifier

    return Identifier(system=PLAN_SYSTEM, value=plan.fingerprint) if plan.fingerprint else None


def _event_identifier(event: Event) -> Identifier:
    from fhir.resources.R4B.identifier import Identifier

    return Identifier(system=EVENT_SYSTEM, value=event.uid)


# --- Patient and CarePlan -------------------------------------------------------------------------


def _patient(plan: Plan) -> Patient:
    from fhir.resources.R4B.codeableconcept import CodeableConcept
    from fhir.resources.R4B.humanname import HumanName
    from fhir.resources.R4B.identifier import Identifier
    from fhir.resources.R4B.patient import Patient

    who = plan.patient
    record = Identifier(system=PATIENT_SYSTEM, value=who.id, type=CodeableConcept(text="record number"))
    return Patient(
        identifier=[record] if who.id else None,
        name=[HumanName(text=who.name)] if who.name else None,
        birthDate=who.dob,
    )


def _care_plan(plan: Plan, patient_url: str, request_urls: Sequence[str]) -> CarePlan:
    from fhir.resources.R4B.careplan import CarePlan, CarePlanActivity
    from fhir.resources.R4B.period import Period
    from fhir.resources.R4B.reference import Reference

    live = [e for e in plan.events if e.status != "cancelled"]
    regimen = next((t for t in plan.templates if t.kind == "regimen"), None)
    period = None
    if live:
        period = Period(start=min(e.date for e in live), end=max(_last_day(e) for e in live))
    titles = "; ".join(t.title for t in plan.templates)
    plan_id = _plan_identifier(plan)
    return CarePlan(
        identifier=[plan_id] if plan_id else None,
        status="revoked" if plan.events and not live else "active",
        intent="plan",
        title=regimen.title if regimen else None,
        description=f"{titles}. {DISCLAIMER}" if titles else DISCLAIMER,
        subject=Reference(reference=patient_url),
        period=period,
        created=plan.created,
        activity=[CarePlanActivity(reference=Reference(reference=url)) for url in request_urls] or None,
        note=_annotations(_care_plan_notes(plan)),
    )


def _care_plan_notes(plan: Plan) -> list[str]:
    revision = f"lmsched {plan.generator.version} plan, revision {plan.revision}"
    if plan.fingerprint:
        revision += f" ({plan.fingerprint})"
    if plan.parent:
        revision += f", revised from {plan.parent}"
    notes = [DISCLAIMER, revision]
    notes += [
        f"Template {t.id} {t.version}: {t.title} ({t.status}; evidence: {t.evidence}; "
        f"sources: {', '.join(t.sources)})"
        for t in plan.templates
    ]
    notes += plan.notes
    for c in plan.changes:
        text = f"Revision {c.revision} ({c.at.isoformat()}): {c.summary}"
        text += f"; by {c.by}" if c.by else ""
        text += f"; reason: {c.reason}" if c.reason else ""
        notes.append(text)
    if plan.edited:
        notes.append(f"Hand-edited plan accepted: {plan.edited}")
    notes += [_finding_text(plan, f) for f in plan.findings]
    if plan.policy:
        notes.append(f"Site policy: {plan.policy.name} (sha256 {plan.policy.sha256})")
    return notes


def _finding_text(plan: Plan, finding: Finding) -> str:
    text = f"{finding.severity.upper()} {finding.rule}: {finding.message}"
    if finding.sources:
        text += f" [{', '.join(finding.sources)}]"
    if finding.overridden:
        override = next((o for o in plan.overrides if o.rule == finding.rule), None)
        if override is None:
            text += " Overridden."
        else:
            by = f" by {override.by}" if override.by else ""
            text += f" Overridden{by} at {override.at.isoformat()}: {override.reason}"
    return text


# --- requests -------------------------------------------------------------------------------------


def _requests(plan: Plan, patient_url: str, careplan_url: str) -> list[Request]:
    """One request per IT dose, memantine step, infusion, tablet event and check, one per RT
    course, in order of first event."""
    cycle_days = {t.id: t.cycle_days for t in plan.templates if t.cycle_days}
    courses: dict[str, list[Event]] = {}
    order: list[Event | str] = []  # an event, or the id of an RT course at its first fraction
    urls: dict[str, str] = {}  # event UID -> the fullUrl of its request
    for event in plan.events:
        if event.kind != "rt-fraction":
            order.append(event)
            urls[event.uid] = _full_url("check" if event.kind == "check" else "request", event.uid)
        elif event.course not in courses:
            order.append(event.course)
        courses.setdefault(event.course, []).append(event)
        if event.kind == "rt-fraction":
            urls[event.uid] = _full_url("rt-course", courses[event.course][0].uid)
    link = _Links(patient_url, careplan_url, _plan_identifier(plan), _concerns(plan), cycle_days, urls)
    by_uid = {e.uid: e for e in plan.events}
    out: list[Request] = []
    for item in order:
        if isinstance(item, str):
            out.append(_rt_request(plan, courses[item], link))
        elif item.kind == "check":
            out.append(_check_request(plan, item, link, by_uid))
        else:
            out.append(_medication_request(item, link))
    return out


@dataclass(frozen=True)
class _Links:
    """What every request points to: the patient, the care plan, the plan and its findings."""

    patient: str
    care_plan: str
    group: Identifier | None
    concerns: dict[str, list[str]]
    cycle_days: dict[str, int]  # systemic template id -> its cycle length in days
    urls: dict[str, str]  # event UID -> the fullUrl of the request it belongs to


def _medication_request(event: Event, link: _Links) -> Request:
    from fhir.resources.R4B.codeableconcept import CodeableConcept
    from fhir.resources.R4B.medicationrequest import MedicationRequest
    from fhir.resources.R4B.reference import Reference

    resource = MedicationRequest(
        identifier=[_event_identifier(event)],
        status=_STATUS[event.status],
        intent="plan",
        medicationCodeableConcept=CodeableConcept(text=_medication_text(event)),
        subject=Reference(reference=link.patient),
        basedOn=[Reference(reference=link.care_plan)],
        groupIdentifier=link.group,
        note=_annotations(_request_notes(event, link)),
        dosageInstruction=[_dosage(event, link)],
    )
    return _full_url("request", event.uid), resource


def _medication_text(event: Event) -> str:
    """'methotrexate (preservative-free)'; the course's template id if the event names no drug."""
    drug = event.drug or event.course
    form = event.formulation
    return f"{drug} ({form})" if form and form not in drug else drug


def _dosage(event: Event, link: _Links) -> Dosage:
    if event.kind == "it-dose":
        return _it_dosage(event)
    if event.kind == "infusion":
        return _infusion_dosage(event, link)
    return _daily_dosage(event, link)


def _cycle_words(event: Event, link: _Links) -> str:
    """'cycle 3 day 1 of a 21-day cycle' ('' for an event outside a systemic course)."""
    if event.cycle is None:
        return ""
    days = link.cycle_days.get(event.course)
    length = f" of a {days}-day cycle" if days else ""
    return f"cycle {event.cycle} day {event.cycle_day}{length}"


def _calculation_text(event: Event) -> str:
    """'; dose basis: 5.4 mg/kg (actual weight 68.4 kg); calculation: 5.4 mg/kg x 68.4 kg = 369 mg'."""
    text = f"; dose basis: {event.dose_basis}" if event.dose_basis else ""
    return text + (f"; calculation: {event.dose_calc}" if event.dose_calc else "")


def _infusion_dosage(event: Event, link: _Links) -> Dosage:
    """One IV dose of a systemic course: at its local time, for its infusion minutes, on day N
    of its cycle (repeating every cycle's length: the next cycle is its own request)."""
    from fhir.resources.R4B.dosage import Dosage
    from fhir.resources.R4B.timing import Timing, TimingRepeat

    dose = f" {event.dose_mg:g} mg" if event.dose_mg is not None else ""
    cycle = _cycle_words(event, link)
    days = link.cycle_days.get(event.course)
    text = (
        f"{event.drug or event.course}{dose} {route_words(event.route, 'dosage')} over {event.duration_min} "
        f"minutes, {cycle}{_calculation_text(event)}"
    )
    timing = Timing(
        event=[_local(event)],
        repeat=TimingRepeat(count=1, duration=Decimal(event.duration_min), durationUnit="min"),
        code=_text_concept(f"day {event.cycle_day} of a {days}-day cycle" if days else None),
    )
    return Dosage(
        text=text,
        timing=timing,
        route=_text_concept(route_words(event.route, "clinical")),
        doseAndRate=_dose_and_rate(event),
    )


def _it_dosage(event: Event) -> Dosage:
    from fhir.resources.R4B.dosage import Dosage
    from fhir.resources.R4B.timing import Timing

    route = event.route or ""
    dose = f" {event.dose_mg:g} mg" if event.dose_mg is not None else ""
    how = f" {route_words(route, 'dosage')}" if route else ""
    text = f"{event.drug or event.course}{dose}{how}, dose {event.number} of {event.of} ({event.phase})"
    return Dosage(
        text=text,
        timing=Timing(event=[_local(event)]),
        route=_text_concept(route_words(route, "clinical")),
        doseAndRate=_dose_and_rate(event),
    )


def _daily_dosage(event: Event, link: _Links) -> Dosage:
    """A tablet taken once a day at one time for `repeat_days` days (a memantine step, or one
    cycle's doses of a systemic tablet at one time of day: with the tablets to take, the cycle,
    the dose basis and calculation)."""
    from fhir.resources.R4B.dosage import Dosage
    from fhir.resources.R4B.period import Period
    from fhir.resources.R4B.timing import Timing, TimingRepeat

    last = _last_day(event)
    dose = f" {event.dose_mg:g} mg" if event.dose_mg is not None else ""
    route = f" {route_words(event.route, 'dosage')}" if event.route else ""
    days = f"{event.repeat_days} day{'s' if event.repeat_days != 1 else ''}"
    repeat = TimingRepeat(
        boundsPeriod=Period(start=event.date, end=last),
        frequency=1,
        period=Decimal(1),
        periodUnit="d",
        timeOfDay=[dt.time.fromisoformat(event.time)],
    )
    tablets = f" ({event.tablets})" if event.tablets else ""
    cycle = _cycle_words(event, link)
    systemic = f", {cycle}{_calculation_text(event)}" if cycle else ""
    return Dosage(
        text=f"{event.drug or event.course}{dose}{tablets}{route} once daily at {event.time} for {days}, "
        f"{event.date} to {last}{systemic}",
        timing=Timing(repeat=repeat),
        route=_text_concept(route_words(event.route, "clinical") if cycle else event.route),
        doseAndRate=_dose_and_rate(event),
    )


def _dose_and_rate(event: Event) -> list[DosageDoseAndRate] | None:
    from fhir.resources.R4B.dosage import DosageDoseAndRate

    if event.dose_mg is None:
        return None
    # A dose from body size is "calculated" (HL7 dose-rate-type; as text, like every concept here).
    body_size = event.cycle is not None and event.dose_basis is not None and event.dose_basis != "fixed dose"
    kind = _text_concept("calculated") if body_size else None
    return [DosageDoseAndRate(type=kind, doseQuantity=_mg(event.dose_mg))]


def _mg(value: float) -> Quantity:
    from fhir.resources.R4B.quantity import Quantity

    return Quantity(value=Decimal(str(value)), unit="mg", system=UCUM, code="mg")


def _request_notes(event: Event, link: _Links) -> list[str]:
    notes = list(event.notes)
    if event.cycle is not None:
        notes.append(f"Systemic course {event.course}: {_cycle_words(event, link)}")
        if event.dose_basis:
            notes.append(f"Dose basis: {event.dose_basis}")
        if event.dose_calc:
            notes.append(f"Dose calculation: {event.dose_calc}")
        if event.tablets:
            notes.append(f"Tablets per dose: {event.tablets}")
    if event.max_mg is not None:
        basis = f"; basis: {event.dose_basis}" if event.dose_basis else ""
        notes.append(f"Age-band / regimen maximum for this dose: {event.max_mg:g} mg{basis}")
    notes += link.concerns.get(event.uid, [])
    return [*notes, DISCLAIMER]


def _rt_request(plan: Plan, fractions: Sequence[Event], link: _Links) -> Request:
    """One ServiceRequest for a radiotherapy course: its fractions are the occurrences."""
    from fhir.resources.R4B.quantity import Quantity
    from fhir.resources.R4B.reference import Reference
    from fhir.resources.R4B.servicerequest import ServiceRequest
    from fhir.resources.R4B.timing import Timing, TimingRepeat

    fractions = sorted(fractions, key=lambda e: e.number)
    live = [f for f in fractions if f.status != "cancelled"]
    first = fractions[0]
    total = sum(f.dose_gy or 0 for f in fractions)
    timing = None
    if live:
        timing = Timing(event=[_local(f) for f in live], repeat=TimingRepeat(count=len(live)))
    resource = ServiceRequest(
        identifier=[_event_identifier(f) for f in fractions],
        requisition=link.group,
        status="active" if live else "revoked",
        intent="plan",
        code=_text_concept(f"Radiotherapy, {site_name(first)}: {total:g} Gy in {first.of} fractions"),
        quantityQuantity=Quantity(value=Decimal(len(live)), unit="fractions") if live else None,
        subject=Reference(reference=link.patient),
        basedOn=[Reference(reference=link.care_plan)],
        occurrenceTiming=timing,
        note=_annotations(_rt_notes(plan, fractions, link)),
    )
    return _full_url("rt-course", first.uid), resource


def _check_request(plan: Plan, event: Event, link: _Links, by_uid: dict[str, Event]) -> Request:
    """One ServiceRequest for a check: when, where, what it guards, its detail and evidence."""
    from fhir.resources.R4B.period import Period
    from fhir.resources.R4B.reference import Reference
    from fhir.resources.R4B.servicerequest import ServiceRequest

    start = _local(event)
    period = None
    if event.duration_min:
        end = (start.astimezone(dt.UTC) + dt.timedelta(minutes=event.duration_min)).astimezone(start.tzinfo)
        period = Period(start=start, end=end)
    guarded = [by_uid[uid] for uid in event.guards if uid in by_uid]
    supporting = [
        Reference(reference=link.urls[e.uid], display=f"guards {event_name(e)}")
        for e in guarded
        if e.uid in link.urls
    ]
    clinic = plan.inputs.clinic
    where = (
        "external: confirm the place with the care team"
        if event.where == "external"
        else f"clinic: {clinic.location or clinic.name}"
        if clinic.location or clinic.name
        else "clinic"
    )
    resource = ServiceRequest(
        identifier=[_event_identifier(event)],
        requisition=link.group,
        status=_SERVICE_STATUS[event.status],
        intent="plan",
        category=[_concept(_CHECK_KINDS.get(event.check_kind or "", event.check_kind or "Check"))],
        code=_text_concept(event.check or event.course),
        subject=Reference(reference=link.patient),
        basedOn=[Reference(reference=link.care_plan)],
        occurrencePeriod=period,
        occurrenceDateTime=None if period is not None else start,
        locationCode=[_concept(where)],
        supportingInfo=supporting or None,
        note=_annotations(_check_notes(event, guarded, link)),
    )
    return link.urls[event.uid], resource


def _check_notes(event: Event, guarded: Sequence[Event], link: _Links) -> list[str]:
    notes = [f"Check: {event_name(event)}"]
    if event.detail:
        notes.append(f"Detail: {event.detail}")
    notes += [f"Guards: {event_name(e)} on {e.date} {e.time} ({e.status})" for e in guarded]
    if not event.duration_min and guarded:
        notes.append("Taken at the session it guards (no time of its own)")
    if event.evidence == "convention":
        notes.append(
            "Interval: local convention (no verified source; set per centre in the clinic file, "
            f"[monitoring.{event.course}])"
        )
    notes += [n for n in event.notes if not (event.evidence == "convention" and n.startswith("interval:"))]
    notes += link.concerns.get(event.uid, [])
    return [*notes, DISCLAIMER]


def _rt_notes(plan: Plan, fractions: Sequence[Event], link: _Links) -> list[str]:
    first = fractions[0]
    template = next((t for t in plan.templates if t.id == first.course), None)
    notes = [f"{template.title} (template {template.id} {template.version})"] if template else []
    per_fraction = sorted({f.dose_gy for f in fractions if f.dose_gy is not None})
    if per_fraction:
        notes.append(f"{' / '.join(f'{gy:g}' for gy in per_fraction)} Gy per fraction")
    cancelled = sum(f.status == "cancelled" for f in fractions)
    if cancelled:
        notes.append(f"{cancelled} of {len(fractions)} fractions cancelled")
    notes += [f"Fraction {f.number} of {f.of}: {note}" for f in fractions for note in f.notes]
    notes += _unique(c for f in fractions for c in link.concerns.get(f.uid, []))
    return [*notes, DISCLAIMER]


# --- small pieces ---------------------------------------------------------------------------------


def _concerns(plan: Plan) -> dict[str, list[str]]:
    """For each event, the findings about it, named (their text is in the CarePlan's notes)."""
    found: dict[str, list[str]] = {}
    for f in plan.findings:
        text = f"Safety finding {f.severity.upper()} {f.rule}{' (overridden)' if f.overridden else ''}"
        for uid in f.event_uids:
            found.setdefault(uid, []).append(text)
    return found


def _local(event: Event) -> dt.datetime:
    """The event's wall-clock time in its zone: serialised with that day's UTC offset."""
    return dt.datetime.combine(event.date, dt.time.fromisoformat(event.time), tzinfo=ZoneInfo(event.tz))


def _last_day(event: Event) -> dt.date:
    return event.date + dt.timedelta(days=max(event.repeat_days, 1) - 1)


def _concept(text: str) -> CodeableConcept:
    from fhir.resources.R4B.codeableconcept import CodeableConcept

    return CodeableConcept(text=text)


def _text_concept(text: str | None) -> CodeableConcept | None:
    from fhir.resources.R4B.codeableconcept import CodeableConcept

    return CodeableConcept(text=text) if text else None


def _annotations(texts: Iterable[str]) -> list[Annotation] | None:
    from fhir.resources.R4B.annotation import Annotation

    return [Annotation(text=t) for t in texts] or None


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
