"""The events of a plan, built from its parts: the regimen's slots (expand) placed on the clinic
calendar (calendar) with the dose on each day (dosing), the RT fractions on open days, and the
memantine titration from the first WBRT fraction.

`build_plan` is the pure core: request + registry + now + calendar -> Plan. It never reads the
clock, files or the terminal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from .calendar import ClinicCalendar, Placement, build_calendar, nth_open_days, place_course
from .dosing import age_in_months, it_dose, medication_dose, number
from .errors import InputError
from .expand import Slot, expand_regimen, phase_counts
from .models import Medication, Monitoring, PlanRequest, Radiotherapy, Regimen, Systemic
from .monitoring import (
    FLOW_PENDING_NOTE,
    UNTIL_PROGRESSION_NOTE,
    check_events,
    check_unknown_settings,
    flow_study_pending,
)
from .plan import Event, Patient, Plan, TemplateRef, digest, fingerprint, identity
from .templates import Registry
from .zones import clock_notes_for_days, resolve_clock

__all__ = ["build_plan", "make_uid"]


def make_uid(identity: str, template_id: str, course_start: dt.date, key: str) -> str:
    """An event's UID: from whom, which course and which event, never from the clock."""
    return f"{digest(identity, template_id, course_start, key)[:32]}@lmsched"


def _age_at(request: PlanRequest) -> Any:
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
    templates: list[Regimen | Radiotherapy | Medication | Systemic | Monitoring] = [regimen]
    courses = [registry.systemic(c.template) for c in request.systemic]

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
    if courses:
        from .systemic import systemic_events

        for course, tpl in zip(request.systemic, courses, strict=True):
            events += systemic_events(course, tpl, request, calendar, who, notes, [e.date for e in rt_events])
            templates.append(tpl)
        _body_note(request, courses, notes)

    events += _checks(request, registry, calendar, who, events, templates, notes)

    if request.age is not None:
        notes.append(
            f"Doses use the age given for the start date ({request.age.describe()}) for "
            "every dose; give a birth date to follow birthdays."
        )
    events.sort(key=lambda e: (e.date, e.time, e.kind, e.number))
    plan = Plan(
        created=now,
        patient=Patient(
            id=request.patient_id,
            name=request.full_name,
            given_name=request.given_name,
            family_name=request.family_name,
            preferred_name=request.preferred_name,
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
                cycle_days=t.cycle_days if isinstance(t, Systemic) else None,
                window_days=t.window_days if isinstance(t, Systemic) else None,
                adult_only=t.adult_only if isinstance(t, Systemic) else None,
            )
            for t in templates
        ),
        notes=tuple(notes),
        events=tuple(events),
    )
    return plan.model_copy(update={"fingerprint": fingerprint(plan)})


def _checks(
    request: PlanRequest,
    registry: Registry,
    calendar: ClinicCalendar,
    who: str,
    events: list[Event],
    templates: list[Regimen | Radiotherapy | Medication | Systemic | Monitoring],
    notes: list[str],
) -> list[Event]:
    """The checks that guard the treatment (monitoring templates). With CSF flow unknown and a flow
    study planned, the IT doses are tentative until flow is recorded as normal."""
    checks = registry.monitoring()
    check_unknown_settings(request, checks)
    if flow_study_pending(request, checks, events):
        events[:] = [
            e.model_copy(update={"status": "tentative", "notes": (*e.notes, FLOW_PENDING_NOTE)})
            if e.kind == "it-dose"
            else e
            for e in events
        ]
    found = check_events(events, request, checks, calendar, who)
    used = {e.course for e in found}
    conventions = []
    for check in checks:
        if check.id in used:
            templates.append(check)
            if check.evidence == "convention":
                conventions.append(f"{check.name}: {check.convention}")
    if conventions:
        notes.append(
            "Check intervals with no verified source are local conventions ("
            + "; ".join(conventions)
            + "): confirm them locally; the clinic file's [monitoring] table sets them per centre."
        )
    return found


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
    placed: list[Placement] = []

    def settle(batch: Sequence[Slot]) -> list[dt.date]:
        """One phase onto the clinic calendar, after the doses already placed."""
        where = place_course(
            [(s.planned, s.min_gap) for s in batch],
            calendar,
            request.clinic.shift,
            not_before=request.start,
            previous=placed[-1].day if placed else None,
        )
        placed.extend(where)
        return [p.day for p in where]

    slots = expand_regimen(regimen, request.start, request.maintenance, settle)
    open_phase = regimen.open_phase
    if open_phase is not None:
        count = phase_counts(regimen, request.maintenance)[regimen.phases.index(open_phase)]
        notes.append(
            f"The {open_phase.name} phase continues until progression; {count} doses are "
            "planned here (the maintenance count sets how many)."
        )
    events: list[Event] = []
    previous_mg: float | None = None
    for slot, where in zip(slots, placed, strict=True):
        decision = it_dose(regimen, registry, request, where.day)
        assert decision is not None
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
            event_notes.append(UNTIL_PROGRESSION_NOTE)
        clock = resolve_clock(where.day, request.clinic.session_time, request.clinic.tz)
        if clock.note:
            event_notes.append(clock.note)
        previous_mg = decision.mg
        mg = decision.mg
        events.append(
            Event(
                uid=make_uid(identity, regimen.id, request.start, f"{slot.phase.name}:{slot.index}"),
                kind="it-dose",
                course=regimen.id,
                date=where.day,
                time=clock.time,
                tz=request.clinic.tz,
                duration_min=request.clinic.duration_min,
                phase=slot.phase.name,
                number=slot.number,
                of=len(slots),
                status="tentative" if slot.phase.until_progression else "confirmed",
                drug=regimen.drug,
                dose_mg=number(mg),
                max_mg=number(decision.limit_mg),
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
        clock = resolve_clock(where.day, request.clinic.rt_time, request.clinic.tz)
        moved = f"moved from {where.shifted_from}: {where.reason}" if where.reason else None
        notes = tuple(n for n in (moved, clock.note) if n)
        events.append(
            Event(
                uid=make_uid(identity, rt.id, request.rt_start, f"fraction:{n}"),
                kind="rt-fraction",
                course=rt.id,
                date=where.day,
                time=clock.time,
                tz=request.clinic.tz,
                duration_min=request.clinic.rt_duration_min,
                phase=rt.site,
                number=n,
                of=rt.fractions,
                dose_gy=number(gy),
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
        event_notes += clock_notes_for_days(start, days, clock, request.clinic.tz)
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
                dose_mg=number(dose),
                route=med.route,
                formulation=med.formulation,
                repeat_days=days,
                notes=tuple(event_notes),
            )
        )
    return events


def _step_text(am: float, pm: float) -> str:
    if pm == 0:
        return f"{am:g} mg AM"
    return f"{am:g} mg twice daily" if am == pm else f"{am:g} mg AM + {pm:g} mg PM"


def _body_note(request: PlanRequest, courses: Sequence[Systemic], notes: list[str]) -> None:
    """What body-size doses were computed from: weight (and when measured), height and BSA."""
    from .dosing import bsa_mosteller

    bases = {c.dose.basis for t in courses for c in t.components}
    if request.weight_kg is None or not bases & {"mg/kg", "mg/m2"}:
        return
    measured = f" measured {request.weight_date}" if request.weight_date else " (date measured NOT RECORDED)"
    text = f"Body-size doses use weight {request.weight_kg:g} kg{measured}"
    if request.height_cm is not None:
        area = bsa_mosteller(request.height_cm, request.weight_kg)
        text += f", height {request.height_cm:g} cm, BSA {area:g} m2 (Mosteller, S23)"
    notes.append(text + "; mg/kg doses use actual weight.")
