"""Systemic CNS-active therapy on the clinic calendar: cycles, infusion visits and tablets at home.

Pure core, like `schedule`: a course (template, start, cycles, dose level) and the request's
weight, height and CrCl become events.
- Each cycle's day 1 is the day the IV doses are given. A day 1 due on a closed day moves to the
  next open day, never earlier (the label's interval must not shorten), and the next cycle counts
  from the actual day 1. A template without an IV component is never moved (tablets are taken at
  home).
- IV doses are clinic visits (`infusion`) with their infusion minutes (the first infusion, and a
  loading dose given again, take the longer time).
- Oral doses are home events (`tablet`) repeated daily, one per time of day and cycle: on their
  on-days (capecitabine days 1-14 of 21) anchored to the actual day 1, or every day up to the next
  cycle's day 1 (continuous), never shifted. With `hold_around_rt`, BRAF/MEK inhibitor tablets are
  left out from 3 days before the first through 3 days after the last RT fraction (S21).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from .calendar import ClinicCalendar, place_course
from .dosing import SystemicDecision, number, systemic_dose
from .errors import InputError
from .interactions import RT_HOLD_DAYS, hold_window, is_braf_mek
from .models import PlanRequest, Systemic, SystemicComponent, SystemicCourse, SystemicDose
from .plan import Event, digest
from .zones import clock_notes_for_days, resolve_clock

__all__ = ["CycleStart", "check_course", "cycle_dose", "cycle_starts", "systemic_events", "when_names"]


@dataclass(frozen=True)
class CycleStart:
    cycle: int  # 1-based
    due: dt.date  # the day 1 the cycle length gives (the course start for cycle 1)
    day: dt.date  # where day 1 falls on the clinic calendar
    reason: str | None  # why it moved


def check_course(course: SystemicCourse, tpl: Systemic, request: PlanRequest) -> None:
    """The inputs a course needs: a dose level the template has, and the weight and height its
    dose rules use (exit 2 naming the field)."""
    if -course.dose_level >= tpl.levels:
        choices = [str(-n) for n in range(tpl.levels)]
        raise InputError(
            f"{tpl.id} has {'no dose reductions' if tpl.levels == 1 else f'{tpl.levels} dose levels'}",
            field="dose_level",
            choices=choices,
        )
    bases = {c.dose.basis for c in tpl.components}
    if bases & {"mg/kg", "mg/m2"} and request.weight_kg is None:
        raise InputError(
            f"{tpl.id} doses by body size", field="weight_kg", hint="give {weight_kg} and {weight_date}"
        )
    if bases & {"mg/kg", "mg/m2"} and request.weight_date is None:
        raise InputError(
            f"{tpl.id} doses by body size: when was the weight measured?",
            field="weight_date",
            hint="give {weight_date} (YYYY-MM-DD)",
        )
    if "mg/m2" in bases and request.height_cm is None:
        raise InputError(f"{tpl.id} doses by body-surface area", field="height_cm", hint="give {height_cm}")


def cycle_starts(tpl: Systemic, start: dt.date, cycles: int, calendar: ClinicCalendar) -> list[CycleStart]:
    """Each cycle's day 1: `cycle_days` after the previous actual day 1, moved forward only to an
    open day when the course has infusions."""
    starts: list[CycleStart] = []
    due = start
    for k in range(1, cycles + 1):
        if tpl.has_infusion:
            where = place_course([(due, 1)], calendar, "next", not_before=due)[0]
            starts.append(CycleStart(k, due, where.day, where.reason))
        else:
            starts.append(CycleStart(k, due, due, None))
        due = starts[-1].day + dt.timedelta(tpl.cycle_days)
    return starts


def when_names(times: tuple[str, ...]) -> tuple[str, ...]:
    """How a patient calls each time of day: one time 'daily'; two 'morning' and 'evening'."""
    if len(times) == 1:
        return ("daily",)
    if len(times) == 2:
        return ("morning", "evening")
    return tuple(f"time{i}" for i in range(1, len(times) + 1))


def _uid(who: str, tpl: Systemic, course: SystemicCourse, part: str) -> str:
    return f"{digest(who, tpl.id, course.start, part)[:32]}@lmsched"


def _shared(
    tpl: Systemic,
    part: SystemicComponent,
    request: PlanRequest,
    start: CycleStart,
    decision: SystemicDecision,
) -> dict[str, Any]:
    """What an infusion and a tablet event of one component and cycle have in common (numbered
    once the course's events are sorted)."""
    return {
        "course": tpl.id,
        "tz": request.clinic.tz,
        "number": 0,
        "of": 0,
        "drug": part.drug,
        "dose_mg": number(decision.mg),
        "dose_basis": decision.basis,
        "route": part.route,
        "formulation": part.formulation,
        "cycle": start.cycle,
        "dose_calc": decision.calc,
    }


def _segments(
    first: dt.date, last: dt.date, held: tuple[dt.date, dt.date] | None
) -> list[tuple[dt.date, dt.date]]:
    """first..last (inclusive), less the held days."""
    if held is None or held[1] < first or held[0] > last:
        return [(first, last)]
    parts = []
    if held[0] > first:
        parts.append((first, held[0] - dt.timedelta(1)))
    if held[1] < last:
        parts.append((held[1] + dt.timedelta(1), last))
    return parts


def systemic_events(
    course: SystemicCourse,
    tpl: Systemic,
    request: PlanRequest,
    calendar: ClinicCalendar,
    who: str,
    notes: list[str],
    rt_days: list[dt.date],
) -> list[Event]:
    """The course's infusion visits and tablet events, numbered in date order."""
    check_course(course, tpl, request)
    cycles = course.cycles or tpl.default_cycles
    starts = cycle_starts(tpl, course.start, cycles, calendar)
    window = hold_window(rt_days) if request.hold_around_rt else None
    held_drugs: list[str] = []
    events: list[Event] = []
    for part in tpl.components:
        if part.route == "iv":
            events += _infusions(course, tpl, part, request, calendar, who, starts)
        else:
            held = window if is_braf_mek(part.drug) else None
            events += _tablets(course, tpl, part, request, who, starts, held)
            if held is not None:
                held_drugs.append(part.drug)
    events.sort(key=lambda e: (e.date, e.time, e.drug or "", e.phase))
    events = [e.model_copy(update={"number": n, "of": len(events)}) for n, e in enumerate(events, start=1)]
    planned = "(the default) " if not course.cycles else ""
    level = f" at dose level {course.dose_level}" if course.dose_level else ""
    notes.append(
        f"{tpl.title} ({', '.join(tpl.sources)}) from {course.start}{level}: continues until "
        f"progression; {cycles} cycles of {tpl.cycle_days} days are planned here {planned}(the cycles "
        "count sets how many)."
    )
    if held_drugs and window is not None:
        notes.append(
            f"{' and '.join(held_drugs).capitalize()} held from {window[0]} to {window[1]}: "
            f"{RT_HOLD_DAYS} days before the first to {RT_HOLD_DAYS} days after the last radiotherapy "
            "fraction (S21)."
        )
    return events


def cycle_dose(
    dose: SystemicDose, request: PlanRequest, level: int, cycle: int, late: int, due: dt.date | None
) -> tuple[SystemicDecision, bool, list[str]]:
    """One cycle's dose of a component, the one rule the expansion and a reschedule share: the
    loading dose in cycle 1 and, for a dose with `reload_late_days`, again when day 1 is more than
    that many days after it was due (`late`; S22 for trastuzumab). Returns the decision, whether
    the loading dose is given again, and the notes that explain it."""
    reload = cycle > 1 and dose.reload_late_days is not None and late > dose.reload_late_days
    decision = systemic_dose(dose, request, level, loading=cycle == 1 or reload)
    notes = list(decision.notes)
    if reload:
        notes.append(
            f"more than {dose.reload_late_days} days late against its cycle (due {due}): the "
            f"{dose.loading:g} {dose.unit} loading dose is given again ({', '.join(dose.sources)})"
        )
    return decision, reload, notes


def _infusions(
    course: SystemicCourse,
    tpl: Systemic,
    part: SystemicComponent,
    request: PlanRequest,
    calendar: ClinicCalendar,
    who: str,
    starts: list[CycleStart],
) -> list[Event]:
    events = []
    dose = part.dose
    for start in starts:
        late = (start.day - start.due).days
        decision, reload, dose_notes = cycle_dose(
            dose, request, course.dose_level, start.cycle, late, start.due
        )
        loading_note = (
            [f"loading dose {dose.loading:g} {dose.unit} (cycle 1; {', '.join(dose.sources)})"]
            if start.cycle == 1 and dose.loading is not None
            else []
        )
        for d in part.days:
            planned = start.day + dt.timedelta(d - 1)
            day, shifted, reason = start.day, start.due, start.reason
            if d > 1:
                where = place_course([(planned, 1)], calendar, "next", not_before=planned)[0]
                day, shifted, reason = where.day, planned, where.reason
            event_notes = [*loading_note, *decision.notes]
            reload_notes = dose_notes[len(decision.notes) :]
            if reason:
                event_notes.append(f"moved from {shifted}: {reason}")
            if d == 1 and start.cycle > 1 and late > tpl.window_days:
                event_notes.append(
                    f"cycle {start.cycle} starts {late} days late: cycle {start.cycle - 1} is lengthened "
                    f"by {late} days"
                )
            event_notes += reload_notes
            first = start.cycle == 1 and d == part.days[0]
            minutes = part.first_minutes if first or reload else part.infusion_min or 0
            clock = resolve_clock(day, request.clinic.infusion_time, request.clinic.tz)
            if clock.note:
                event_notes.append(clock.note)
            events.append(
                Event(
                    uid=_uid(who, tpl, course, f"{part.drug}:c{start.cycle}:d{d}"),
                    kind="infusion",
                    date=day,
                    time=clock.time,
                    duration_min=minutes,
                    phase=f"cycle-{start.cycle}",
                    shifted_from=shifted if day != shifted else None,
                    shift_reason=reason if day != shifted else None,
                    notes=tuple(event_notes),
                    cycle_day=d,
                    **_shared(tpl, part, request, start, decision),
                )
            )
    return events


def _tablets(
    course: SystemicCourse,
    tpl: Systemic,
    part: SystemicComponent,
    request: PlanRequest,
    who: str,
    starts: list[CycleStart],
    held: tuple[dt.date, dt.date] | None,
) -> list[Event]:
    events = []
    for k, start in enumerate(starts):
        following = starts[k + 1].day if k + 1 < len(starts) else start.day + dt.timedelta(tpl.cycle_days)
        end = following - dt.timedelta(1)  # continuous: up to the next day 1
        if part.on_days is not None:
            first = start.day + dt.timedelta(part.on_days[0] - 1)
            last = min(start.day + dt.timedelta(part.on_days[1] - 1), end)
        else:
            first, last = start.day, end
        decision = systemic_dose(part.dose, request, course.dose_level, loading=start.cycle == 1)
        pieces = _segments(first, last, held)
        touched = held is not None and not (held[1] < first or held[0] > last)
        for when, clock in zip(when_names(part.times), part.times, strict=True):
            for s, (seg_first, seg_last) in enumerate(pieces, start=1):
                days = (seg_last - seg_first).days + 1
                every = "daily" if when == "daily" else f"daily {when}"
                event_notes = [f"cycle {start.cycle}: {every} to {seg_last}", *decision.notes]
                if part.instructions:
                    event_notes.append(part.instructions)
                if touched and held is not None:
                    event_notes.append(f"held {held[0]} to {held[1]} around radiotherapy (S21)")
                event_notes += clock_notes_for_days(seg_first, days, clock, request.clinic.tz)
                events.append(
                    Event(
                        uid=_uid(who, tpl, course, f"{part.drug}:c{start.cycle}:{clock}:s{s}"),
                        kind="tablet",
                        date=seg_first,
                        time=clock,
                        duration_min=5,
                        phase=f"cycle-{start.cycle}-{when}",
                        repeat_days=days,
                        notes=tuple(event_notes),
                        cycle_day=(seg_first - start.day).days + 1,
                        tablets=decision.tablets,
                        instructions=part.instructions or None,
                        **_shared(tpl, part, request, start, decision),
                    )
                )
    return events
