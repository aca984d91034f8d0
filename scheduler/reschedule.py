"""Rescheduling a saved plan into its next revision: delay, hold or stop.

Pure, like `build_plan`: plan + action + registry + clinic calendar + now -> new plan. The saved
plan is the source of truth; nothing is re-expanded from the templates, which are read only for
each phase's minimum spacing and the age-band dose on a moved IT dose's new day.

Three actions, each checked when it is built (`Action.choose` takes a front end's options and
says which one was meant):
- Delay: the event on a day and every later event of the same course move by at least N days,
  onto open clinic days, keeping each phase's minimum spacing after the previous dose.
- Hold: nothing of a clinic course (IT doses, RT fractions) between two days; each course resumes
  on the first open day from the resume day and its later events keep their spacing.
- Stop (progression): every event from a day on is cancelled, not deleted, so calendar clients
  remove it; a daily tablet step running over that day is shortened to end the day before.
- Dose level (systemic courses only): from the first cycle whose day 1 is on or after a day, the
  course's doses are recomputed at a reduced (or restored) level; recorded with its reason.

A systemic course (infusions and tablets) changes only when it is named with `course` (or, for a
delay, when it is the only course on the day): a hold or stop of the clinic courses leaves it
alone. Its cycles keep their length: a delayed or held cycle's day 1 moves later (to an open day
when the course has infusions), each later cycle starts at least `cycle_days` after the previous
actual day 1, the tablets stay anchored to their cycle's actual day 1 (continuous tablets run up
to the next day 1: no gap, no overlap), and an infusion with a loading dose that ends up more than
`reload_late_days` late against its cycle is the loading dose again (trastuzumab, S22).

Moved and cancelled events keep their UID and get SEQUENCE + 1 (RFC 5545 3.8.7.4), so calendars
update in place. The new plan has revision + 1, the parent's fingerprint and a change-log entry;
its safety findings are computed again by the caller (`rules.check_plan`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from .calendar import ClinicCalendar
from .dosing import it_dose, number
from .errors import InputError
from .labels import event_name
from .models import Systemic, SystemicComponent, check_line
from .plan import Change, Event, Move, Plan, fingerprint
from .systemic import cycle_dose
from .templates import Registry
from .zones import ZONE_NOTE_PREFIX, clock_notes_for_days, resolve_clock

__all__ = [
    "CLINIC_KINDS",
    "MAX_DELAY_DAYS",
    "SYSTEMIC_KINDS",
    "Action",
    "AnyAction",
    "Delay",
    "DoseLevel",
    "FlowResult",
    "Hold",
    "Stop",
    "course_level",
    "reschedule",
]

CLINIC_KINDS = ("it-dose", "rt-fraction")  # given at the clinic: they need an open day
SYSTEMIC_KINDS = ("infusion", "tablet")  # a systemic course: infusion visits and tablets at home
MAX_DELAY_DAYS = 366
_Gap = Callable[[Event, Event], int]  # least days from the previous event to this one


@dataclass(frozen=True)
class Action:
    """What a revision does, with the reason recorded in the change log."""

    reason: str | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        if self.reason is not None:
            try:
                check_line(self.reason)
            except ValueError as exc:
                raise InputError(str(exc), field="reason") from None

    @staticmethod
    def choose(
        *,
        delay: dt.date | None = None,
        days: int | None = None,
        hold_from: dt.date | None = None,
        resume: dt.date | None = None,
        stop_from: dt.date | None = None,
        reason: str | None = None,
        course: str | None = None,
        dose_level: int | None = None,
        from_day: dt.date | None = None,
        csf_flow: str | None = None,
    ) -> Delay | Hold | Stop | DoseLevel | FlowResult:
        """The one action the options describe: exactly one of delay, hold_from, stop_from,
        dose_level and csf_flow, each with the option that goes with it."""
        starts = (
            ("delay", delay),
            ("hold_from", hold_from),
            ("stop_from", stop_from),
            ("dose_level", dose_level),
            ("csf_flow", csf_flow),
        )
        given = [name for name, value in starts if value is not None]
        if len(given) != 1:
            got = f" (got {' and '.join('{' + name + '}' for name in given)})" if given else ""
            raise InputError(
                "",
                field="action",
                hint=f"give exactly one change{got}",
                options=[
                    "{delay} DATE {days} N",
                    "{hold_from} DATE {resume} DATE",
                    "{stop_from} DATE {reason} TEXT",
                    "{course} ID {dose_level} N {from} DATE {reason} TEXT",
                    "{csf_flow} normal|obstructed",
                ],
            )
        if csf_flow is not None:
            return FlowResult(csf_flow, reason=reason)
        if (dose_level is None) != (from_day is None):
            raise InputError("", field="from", hint="{dose_level} and {from} go together")
        if dose_level is not None and from_day is not None:
            return DoseLevel(from_day, dose_level, course, reason=reason)
        if (delay is None) != (days is None):
            raise InputError("", field="days", hint="{delay} and {days} go together")
        if (hold_from is None) != (resume is None):
            raise InputError("", field="resume", hint="{hold_from} and {resume} go together")
        if delay is not None and days is not None:
            return Delay(delay, days, course, reason=reason)
        if hold_from is not None and resume is not None:
            return Hold(hold_from, resume, course, reason=reason)
        assert stop_from is not None
        return Stop(stop_from, course, reason=reason)


def _reason_required(reason: str | None, example: str) -> None:
    if not (reason and reason.strip()):
        raise InputError("", field="reason", hint=f"say why, e.g. {{reason}} {example}")


@dataclass(frozen=True)
class Delay(Action):
    day: dt.date
    days: int
    course: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 1 <= self.days <= MAX_DELAY_DAYS:
            raise InputError(f"{self.days} is not a delay; give 1 to {MAX_DELAY_DAYS} days", field="days")


@dataclass(frozen=True)
class Hold(Action):
    start: dt.date
    resume: dt.date
    course: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.resume <= self.start:
            raise InputError(
                f"resume day {self.resume} must be after the hold's first day {self.start}", field="resume"
            )


@dataclass(frozen=True)
class Stop(Action):
    day: dt.date
    course: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if not (self.reason and self.reason.strip()):
            raise InputError(
                "",
                field="reason",
                hint='say why the plan stops, e.g. {reason} "Progression on MRI 2027-02-01"',
            )


@dataclass(frozen=True)
class DoseLevel(Action):
    """A systemic course's dose level (0 the starting dose, -1 the first reduction, ...) from the
    first cycle whose day 1 is on or after `day`; the reason is required (it is a prescribing
    decision)."""

    day: dt.date
    level: int
    course: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.course is None:
            raise InputError(
                "", field="course", hint="name the systemic course whose dose changes with {course}"
            )
        _reason_required(self.reason, '"Grade 2 pneumonitis resolved"')


@dataclass(frozen=True)
class FlowResult(Action):
    """The CSF flow study's result recorded on a plan made with flow unknown: normal confirms the
    IT doses that waited for it; obstructed keeps them tentative (the csf-flow-obstructed rule
    stops the plan until RT restores flow and a repeat study shows it)."""

    result: str

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.result not in ("normal", "obstructed"):
            raise InputError(
                f"'{self.result}' is not a flow result", field="csf_flow", choices=["normal", "obstructed"]
            )


AnyAction = Delay | Hold | Stop | DoseLevel | FlowResult


def reschedule(
    plan: Plan,
    action: AnyAction,
    registry: Registry,
    calendar: ClinicCalendar,
    now: dt.datetime,
    by: str | None = None,
) -> Plan:
    """The next revision of `plan` after `action`, without findings (the caller checks it)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    events = {e.uid: e for e in plan.events}
    revision = plan.revision + 1
    reason = action.reason
    course = getattr(action, "course", None)
    note = f"revision {revision}: " + (reason or _describe(action, [course] if course else []))
    if isinstance(action, Delay):
        changed = _delay(plan, action, registry, calendar, note)
    elif isinstance(action, Hold):
        _check_course(plan, action.course)
        if action.course in _systemic_ids(plan):
            changed = _hold_systemic(plan, action, registry, calendar, note)
        else:
            changed = _hold(plan, action, registry, calendar, note)
    elif isinstance(action, Stop):
        changed = _stop(plan, action, note)
    elif isinstance(action, FlowResult):
        changed = _flow_result(plan, action, revision, note)
        plan = plan.model_copy(update={"inputs": plan.inputs.model_copy(update={"csf_flow": action.result})})
    else:
        changed, first_cycle = _dose_level(plan, action, registry, note)
    if isinstance(action, (Delay, Hold)):
        changed.update(_tablets_follow_rt(plan, changed, note))
    changed = {uid: e for uid, e in changed.items() if events[uid].kind != "check"}
    changed.update(_checks_follow(plan, changed, registry, calendar, note, now.date()))
    moves = tuple(
        _move(events.get(uid), new)
        for uid, new in sorted(
            changed.items(),
            key=lambda kv: (events.get(kv[0], kv[1]).date, events.get(kv[0], kv[1]).time, kv[0]),
        )
    )
    moved = sorted({events[uid].course for uid in changed if uid in events and events[uid].kind != "check"})
    level: dict[str, object] = {}
    if isinstance(action, DoseLevel):
        level = {"course": action.course, "dose_level": action.level, "from_cycle": first_cycle}
    change = Change(
        revision=revision,
        at=now,
        action=_ACTIONS[type(action)],
        summary=_describe(action, moved),
        reason=reason,
        by=by,
        parent=plan.fingerprint,
        moves=moves,
        **level,
    )
    updated = [changed.get(e.uid, e) for e in plan.events]
    updated += [e for uid, e in changed.items() if uid not in events]
    updated.sort(key=lambda e: (e.date, e.time, e.kind, e.number))
    revised = plan.model_copy(
        update={
            "created": now,
            "revision": revision,
            "parent": plan.fingerprint,
            "events": tuple(updated),
            "findings": (),
            "changes": (*plan.changes, change),
        }
    )
    return revised.model_copy(update={"fingerprint": fingerprint(revised)})


def _move(old: Event | None, new: Event) -> Move:
    """One line of the change log: an event moved, cancelled, re-dosed or re-timed, or (`old`
    None) a check this revision added."""
    if old is None:
        return Move(uid=new.uid, label=event_name(new), old=None, new=new.date)
    status = old.status != new.status and new.status != "cancelled"
    return Move(
        uid=new.uid,
        # a check is named by what it guards now (the first dose of a month may be another one)
        label=event_name(new if new.kind == "check" and new.status != "cancelled" else old),
        old=old.date,
        new=None if new.status == "cancelled" else new.date,
        old_mg=old.dose_mg,
        new_mg=new.dose_mg,
        old_days=old.repeat_days if new.repeat_days != old.repeat_days else None,
        new_days=new.repeat_days if new.repeat_days != old.repeat_days else None,
        old_status=old.status if status else None,
        new_status=new.status if status else None,
    )


def _checks_follow(
    plan: Plan,
    changed: dict[str, Event],
    registry: Registry,
    calendar: ClinicCalendar,
    note: str,
    today: dt.date,
) -> dict[str, Event]:
    """The checks computed again from the revised treatment (the plan's own check templates only:
    a plan made before them gains none), as changes against the plan's checks."""
    from .monitoring import check_events, follow
    from .plan import identity

    used = {t.id for t in plan.templates if t.kind == "monitoring"}
    checks = [t for t in registry.monitoring() if t.id in used]
    if not checks:
        return {}
    treatment = [changed.get(e.uid, e) for e in plan.events if e.kind != "check"]
    fresh = check_events(treatment, plan.inputs, checks, calendar, identity(plan.inputs))
    followed = follow(plan.events, fresh, note, today, treatment)
    before = {e.uid: e for e in plan.events}
    return {uid: e for uid, e in followed.items() if before.get(uid) != e}


_ACTIONS = {Delay: "delay", Hold: "hold", Stop: "stop", DoseLevel: "dose-level", FlowResult: "csf-flow"}


def _flow_result(plan: Plan, action: FlowResult, revision: int, note: str) -> dict[str, Event]:
    from .monitoring import FLOW_PENDING_NOTE, until_progression, waits_for_flow

    if plan.inputs.csf_flow != "unknown":
        raise InputError(
            f"this plan already records CSF flow as {plan.inputs.csf_flow}; make a new plan to change it",
            field="csf_flow",
        )
    changed: dict[str, Event] = {}
    for e in plan.events:
        if e.kind != "it-dose" or e.status == "cancelled" or not waits_for_flow(e):
            continue
        kept = tuple(n for n in e.notes if n != FLOW_PENDING_NOTE)
        if action.result == "normal":
            status = "tentative" if until_progression(e) else "confirmed"
            why = f"CSF flow recorded as normal in {note}"
        else:
            status = "tentative"
            why = f"CSF flow recorded as obstructed in {note}: not given until flow is restored"
        changed[e.uid] = e.model_copy(
            update={"status": status, "sequence": e.sequence + 1, "notes": (*kept, why)}
        )
    return changed


def _describe(action: AnyAction, courses: Sequence[str]) -> str:
    if isinstance(action, FlowResult):
        return f"CSF flow recorded as {action.result}"
    course = f"{' and '.join(courses)} " if courses else ""
    if isinstance(action, DoseLevel):
        return f"dose level {action.level} for {action.course} from the first cycle on or after {action.day}"
    if isinstance(action, Delay):
        unit = "day" if action.days == 1 else "days"
        return f"delay {course}from {action.day} by at least {action.days} {unit}"
    if isinstance(action, Hold):
        return f"hold {course}from {action.start}, resume on the first open day from {action.resume}"
    return f"stop {course}from {action.day}"


# --- the three actions ---------------------------------------------------------------------------


def _active(plan: Plan, course: str | None = None, kinds: Iterable[str] | None = None) -> list[Event]:
    wanted = set(kinds) if kinds is not None else None
    return [
        e
        for e in plan.events
        if e.status != "cancelled"
        and e.kind != "check"  # a check follows what it guards (_checks_follow)
        and (course is None or e.course == course)
        and (wanted is None or e.kind in wanted)
    ]


def _check_course(plan: Plan, course: str | None) -> None:
    # A check follows what it guards: it is never moved on its own.
    courses = sorted({e.course for e in plan.events if e.kind != "check"})
    if course is not None and course not in courses:
        raise InputError(f"'{course}' is not a course of this plan", field="course", choices=courses)


def _delay(
    plan: Plan, action: Delay, registry: Registry, calendar: ClinicCalendar, note: str
) -> dict[str, Event]:
    _check_course(plan, action.course)
    if action.course in _systemic_ids(plan):  # a cycle's day 1, even when nothing is taken that day
        return _delay_cycles(plan, action.course, action.day, action.days, registry, calendar, note)
    on_day = [e for e in _active(plan, action.course) if e.date == action.day]
    if not on_day:
        nearby = sorted(
            {e.date.isoformat() for e in _active(plan, action.course)},
            key=lambda d: abs((dt.date.fromisoformat(d) - action.day).days),
        )[:3]
        hint = f"; the nearest planned days are {', '.join(sorted(nearby))}" if nearby else ""
        raise InputError(f"nothing is planned on {action.day}{hint}", field="delay")
    courses = sorted({e.course for e in on_day})
    # An infusion is a clinic visit too: a day with an IT dose and an infusion needs {course}.
    clinic = sorted({e.course for e in on_day if e.kind in (*CLINIC_KINDS, "infusion")})
    if clinic:  # the visit is what a scheduler delays; a tablet step starting that day is not
        courses = clinic
    if len(courses) > 1:
        raise InputError(
            f"{action.day} has events of {len(courses)} courses",
            field="course",
            choices=courses,
            hint="say which with {course}",
        )
    if courses[0] in _systemic_ids(plan):
        return _delay_cycles(plan, courses[0], action.day, action.days, registry, calendar, note)
    return _move_course(plan, courses[0], action.day, action.days, registry, calendar, note)


def _hold(
    plan: Plan, action: Hold, registry: Registry, calendar: ClinicCalendar, note: str
) -> dict[str, Event]:
    _check_course(plan, action.course)
    # A hold stops clinic treatment; a home tablet goes on unless its course is named.
    kinds = None if action.course else CLINIC_KINDS
    first_open = calendar.next_open(action.resume)
    changed: dict[str, Event] = {}
    courses = sorted({e.course for e in _active(plan, action.course, kinds)})
    for course in courses:
        held = [e for e in _active(plan, course) if action.start <= e.date < action.resume]
        if not held:
            continue
        first = held[0]
        target = first_open if first.kind in CLINIC_KINDS else action.resume
        days = (target - first.date).days
        changed.update(_move_course(plan, course, first.date, days, registry, calendar, note))
    if not changed:
        raise InputError(
            f"nothing {'of ' + action.course + ' ' if action.course else ''}is planned from "
            f"{action.start} to {action.resume - dt.timedelta(1)}; nothing to hold",
            field="hold-from",
        )
    return changed


def _stop(plan: Plan, action: Stop, note: str) -> dict[str, Event]:
    _check_course(plan, action.course)
    changed: dict[str, Event] = {}
    # Progression stops clinic treatment; a home tablet (memantine) is stopped only when named.
    for e in _active(plan, action.course, None if action.course else CLINIC_KINDS):
        if e.date >= action.day:
            changed[e.uid] = e.model_copy(
                update={
                    "status": "cancelled",
                    "sequence": e.sequence + 1,
                    "notes": (*e.notes, f"cancelled in {note}"),
                }
            )
        elif e.kind in ("medication", "tablet") and e.date + dt.timedelta(e.repeat_days) > action.day:
            days = (action.day - e.date).days
            changed[e.uid] = _retimed(
                e,
                {
                    "repeat_days": days,
                    "sequence": e.sequence + 1,
                    "notes": (*e.notes, f"stopped after {days} days in {note}"),
                },
            )
    if not changed:
        raise InputError(
            f"nothing {'of ' + action.course + ' ' if action.course else ''}is planned on or after "
            f"{action.day}; nothing to stop",
            field="stop-from",
        )
    return changed


# --- moving one course --------------------------------------------------------------------------


def _move_course(
    plan: Plan,
    course: str,
    day: dt.date,
    days: int,
    registry: Registry,
    calendar: ClinicCalendar,
    note: str,
) -> dict[str, Event]:
    """Move the course's event on `day` and every later one by at least `days`."""
    events = _active(plan, course)
    start = next(i for i, e in enumerate(events) if e.date == day)
    if events[start].kind == "medication":
        return _move_tablets(events, day, days, note)
    gap = _spacing(plan, course, registry)
    changed: dict[str, Event] = {}
    previous = events[start - 1] if start else None
    previous_day = previous.date if previous else None
    for e in events[start:]:
        target = e.date + dt.timedelta(days)
        reasons = [note]
        if previous is not None and previous_day is not None:
            earliest = previous_day + dt.timedelta(gap(previous, e))
            if target < earliest:
                reasons.append(f"kept {gap(previous, e)} days after the previous dose ({previous_day})")
                target = earliest
        new_day = calendar.next_open(target)
        if new_day != target:
            reasons.append(f"closed {target}: {calendar.closed_reason(target)}")
            reasons += [f"closed {c}" for c in calendar.named_closures(target + dt.timedelta(1), new_day)]
        changed[e.uid] = _moved(plan, e, new_day, "; ".join(reasons), registry)
        previous, previous_day = e, new_day
    return changed


def _spacing(plan: Plan, course: str, registry: Registry) -> _Gap:
    """The least number of days between two events of a course: the phase's `min_days` for IT
    doses (the smaller of the two phases' at a phase change, as in expansion), one for RT."""
    kind = next(e.kind for e in plan.events if e.course == course)
    if kind != "it-dose":
        return lambda _previous, _event: 1
    regimen = registry.regimen(course)
    minimum = {p.name: p.min_days for p in regimen.phases}

    def gap(previous: Event, event: Event) -> int:
        here = minimum.get(event.phase)
        if here is None:
            raise InputError(
                f"phase '{event.phase}' is not in template {course} {regimen.version}; the plan was made "
                "with another version of it",
                field="PLAN",
            )
        if previous.phase != event.phase:
            return min(here, minimum.get(previous.phase, here))
        return here

    return gap


def _moved(plan: Plan, e: Event, new_day: dt.date, reason: str, registry: Registry) -> Event:
    """`e` on its new day: SEQUENCE + 1, the move recorded, and an IT dose's age band re-read for
    the new day (a birthday may fall between the old day and the new one)."""
    clinic = plan.inputs.clinic
    clock = resolve_clock(new_day, clinic.session_time if e.kind == "it-dose" else clinic.rt_time, e.tz)
    kept = tuple(n for n in e.notes if not n.startswith(("moved from ", ZONE_NOTE_PREFIX)))
    update: dict[str, object] = {
        "date": new_day,
        "time": clock.time,  # the clinic's time, read again for the new day (a clock change)
        "sequence": e.sequence + 1,
        "shifted_from": e.date,
        "shift_reason": reason,
        "notes": (*kept, clock.note) if clock.note else kept,
    }
    if e.kind == "it-dose" and e.dose_mg is not None:
        regimen = registry.regimen(e.course)
        decision = it_dose(regimen, registry, plan.inputs, new_day)
        if decision is not None and (decision.mg != e.dose_mg or decision.limit_mg != e.max_mg):
            assert regimen.dose is not None
            mg, limit = number(decision.mg), number(decision.limit_mg)
            update.update({"dose_mg": mg, "max_mg": limit, "dose_basis": decision.basis})
            notes = update["notes"]
            assert isinstance(notes, tuple)
            update["notes"] = (
                *notes,
                f"dose {e.dose_mg:g} -> {mg:g} mg on the new day: {decision.basis} "
                f"({', '.join(regimen.dose.sources)})",
            )
    return e.model_copy(update=update)


_LAST_DAY = re.compile(r"(daily [A-Za-z0-9]+ to )\d{4}-\d{2}-\d{2}")  # "daily AM to", "daily evening to"


def _retimed(e: Event, update: dict[str, object]) -> Event:
    """`e` with `update`, its "daily AM to DATE" (memantine) or "daily morning to DATE" (systemic
    tablets) note following its new first day and length."""
    changed = e.model_copy(update=update)
    last = changed.date + dt.timedelta(changed.repeat_days - 1)
    notes = tuple(
        _LAST_DAY.sub(lambda m: f"{m.group(1)}{last}", n)
        for n in changed.notes
        if not n.startswith(ZONE_NOTE_PREFIX)
    )
    # the clock changes within the new days (a step moved onto or off a spring-forward day)
    notes += tuple(clock_notes_for_days(changed.date, changed.repeat_days, changed.time, changed.tz))
    return changed.model_copy(update={"notes": notes})


def _tablets_follow_rt(plan: Plan, changed: dict[str, Event], note: str) -> dict[str, Event]:
    """A titration that starts with an RT course (memantine with the first WBRT fraction) starts
    again with it when that first fraction moves."""
    follow: dict[str, Event] = {}
    for course in sorted({e.course for e in plan.events if e.kind == "rt-fraction"}):
        fractions = _active(plan, course)
        first = fractions[0] if fractions else None
        if first is None or first.uid not in changed:
            continue
        days = (changed[first.uid].date - first.date).days
        for tablets in sorted({e.course for e in plan.events if e.kind == "medication"}):
            events = _active(plan, tablets)
            if events and events[0].date == first.date and events[0].uid not in changed:
                follow.update(_move_tablets(events, first.date, days, note))
    return follow


def _move_tablets(events: Sequence[Event], day: dt.date, days: int, note: str) -> dict[str, Event]:
    """Tablets are taken at home, every day: the steps from `day` start `days` later (exactly), and
    the step before goes on for `days` more, so the titration pauses instead of leaving a gap."""
    changed: dict[str, Event] = {}
    for e in events:
        if e.date >= day:
            changed[e.uid] = _retimed(
                e,
                {
                    "date": e.date + dt.timedelta(days),
                    "sequence": e.sequence + 1,
                    "shifted_from": e.date,
                    "shift_reason": note,
                },
            )
        elif e.date + dt.timedelta(e.repeat_days) == day:
            longer = e.repeat_days + days
            changed[e.uid] = _retimed(
                e,
                {
                    "repeat_days": longer,
                    "sequence": e.sequence + 1,
                    "notes": (*e.notes, f"continued for {days} more days in {note}"),
                },
            )
    return changed


# --- systemic courses: cycles, infusions, tablets ------------------------------------------------


def _systemic_ids(plan: Plan) -> set[str]:
    return {t.id for t in plan.templates if t.kind == "systemic"}


def _systemic_template(plan: Plan, course: str, registry: Registry) -> tuple[Systemic, int]:
    """The course's template and cycle length (the plan's, as recorded in its template list). A
    plan made with another version of the template is refused: its doses would be recomputed
    from rules the plan was not made with."""
    tpl = registry.systemic(course)
    ref = next(t for t in plan.templates if t.id == course)
    if ref.version != tpl.version:
        raise InputError(
            f"the plan was made with {course} {ref.version}; this lmsched has {tpl.version}", field="PLAN"
        )
    return tpl, ref.cycle_days or tpl.cycle_days


def course_level(plan: Plan, course: str, cycle: int) -> int:
    """The dose level of a systemic course's cycle: the level it was planned with, or the last
    dose-level change recorded for the course from that cycle or an earlier one."""
    level = next((c.dose_level for c in plan.inputs.systemic if c.template == course), 0)
    for change in plan.changes:
        if (
            change.action == "dose-level"
            and change.course == course
            and change.dose_level is not None
            and change.from_cycle is not None
            and change.from_cycle <= cycle
        ):
            level = change.dose_level
    return level


def _day_ones(events: Iterable[Event]) -> dict[int, dt.date]:
    """Each cycle's actual day 1, read back from its events (date less cycle day - 1; an infusion
    moved off a closed day falls later than that, so the earliest is day 1)."""
    ones: dict[int, dt.date] = {}
    for e in events:
        if e.cycle is None or e.cycle_day is None:
            continue
        day = e.date - dt.timedelta(e.cycle_day - 1)
        ones[e.cycle] = min(day, ones.get(e.cycle, day))
    return dict(sorted(ones.items()))


def _component(tpl: Systemic, e: Event) -> SystemicComponent:
    for part in tpl.components:
        if part.drug == e.drug:
            return part
    raise InputError(f"{e.drug} is not a component of {tpl.id} {tpl.version}", field="PLAN")


def _cycle_of_day(course: str, day: dt.date, ones: dict[int, dt.date], field: str) -> int:
    for k, first in ones.items():
        if first == day:
            return k
    near = sorted(ones.values(), key=lambda d: abs((d - day).days))[:3]
    hint = f"; the nearest are {', '.join(str(d) for d in sorted(near))}" if near else ""
    raise InputError(f"{day} is not the day 1 of a cycle of {course}{hint}", field=field)


_DOSE_NOTES = ("dose level ", "reduced to ", "more than ", "cycle ", "moved from ", ZONE_NOTE_PREFIX)


def _dose_update(
    plan: Plan,
    tpl: Systemic,
    e: Event,
    day_one: dt.date,
    due: dt.date | None,
    level: int,
) -> tuple[dict[str, object], list[str]]:
    """The dose fields of an infusion or tablet on its (new) cycle day 1 at `level`, and the notes
    that explain them: the loading dose for cycle 1 and, for a dose with `reload_late_days`, again
    when day 1 is more than that many days after it was due (S22 for trastuzumab)."""
    part = _component(tpl, e)
    dose = part.dose
    assert e.cycle is not None
    # a tablet is never late against its cycle: it moves with day 1
    late = (day_one - due).days if due is not None and e.kind == "infusion" else 0
    decision, reload, notes = cycle_dose(dose, plan.inputs, level, e.cycle, late, due)
    update: dict[str, object] = {
        "dose_mg": number(decision.mg),
        "dose_basis": decision.basis,
        "dose_calc": decision.calc,
    }
    if e.kind == "tablet":
        update["tablets"] = decision.tablets
    elif e.cycle_day == part.days[0]:
        first = e.cycle == 1 or reload
        update["duration_min"] = part.first_minutes if first else part.infusion_min or 0
    return update, notes


def _kept_notes(e: Event, drop: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(n for n in e.notes if not n.startswith(drop))


def _delay_cycles(
    plan: Plan,
    course: str,
    day: dt.date,
    days: int,
    registry: Registry,
    calendar: ClinicCalendar,
    note: str,
    pause: dt.date | None = None,
) -> dict[str, Event]:
    """Move the cycle whose day 1 is `day` and every later cycle of a systemic course by at least
    `days`, never closer than `cycle_days` to the previous actual day 1, onto open days when the
    course has infusions. Tablets follow their cycle's day 1; a continuous run that reached the old
    next day 1 reaches the new one (no gap, no overlap). With `pause` (a hold from that day) the
    earlier cycles' tablets stop the day before it instead, and nothing of them is left in the
    held days."""
    tpl, cycle_days = _systemic_template(plan, course, registry)
    events = _active(plan, course)
    old = _day_ones(events)
    k0 = _cycle_of_day(course, day, old, "delay" if pause is None else "hold_from")
    new = dict(old)
    closed: dict[int, list[str]] = {}
    for k in (k for k in old if k >= k0):
        target = old[k] + dt.timedelta(days)
        if k - 1 in new:
            target = max(target, new[k - 1] + dt.timedelta(cycle_days))
        land = calendar.next_open(target) if tpl.has_infusion else target
        if land != target:
            closed[k] = [f"closed {target}: {calendar.closed_reason(target)}"]
            closed[k] += [f"closed {c}" for c in calendar.named_closures(target + dt.timedelta(1), land)]
        new[k] = land

    def next_one(k: int, table: dict[int, dt.date]) -> dt.date:
        return table[k + 1] if k + 1 in table else table[k] + dt.timedelta(cycle_days)

    changed: dict[str, Event] = {}
    clinic = plan.inputs.clinic
    for e in events:
        if e.cycle is None or e.cycle_day is None or e.cycle < k0 - 1:
            continue
        k = e.cycle
        if k < k0:  # the cycle before: only its tablets' end changes
            if e.kind != "tablet":
                if pause is not None and e.date >= pause:
                    changed[e.uid] = _cancel(e, f"not given: held in {note}")
                continue
            end = e.date + dt.timedelta(e.repeat_days - 1)
            if pause is not None:
                if e.date >= pause:
                    changed[e.uid] = _cancel(e, f"not taken: held in {note}")
                elif end >= pause:
                    length = (pause - e.date).days
                    changed[e.uid] = _retimed(
                        e,
                        {
                            "repeat_days": length,
                            "sequence": e.sequence + 1,
                            "notes": (*e.notes, f"stopped after {length} days: held in {note}"),
                        },
                    )
            elif end == old[k0] - dt.timedelta(1) and _component(tpl, e).on_days is None:
                length = (new[k0] - e.date).days
                changed[e.uid] = _retimed(
                    e,
                    {
                        "repeat_days": length,
                        "sequence": e.sequence + 1,
                        "notes": (*e.notes, f"continued for {length - e.repeat_days} more days in {note}"),
                    },
                )
            continue
        reasons = [note, *closed.get(k, [])]
        due = new[k - 1] + dt.timedelta(cycle_days) if k - 1 in new else None
        if e.kind == "infusion":
            planned = new[k] + dt.timedelta(e.cycle_day - 1)
            land = calendar.next_open(planned)
            if land != planned:
                reasons.append(f"closed {planned}: {calendar.closed_reason(planned)}")
            update, dose_notes = _dose_update(plan, tpl, e, new[k], due, course_level(plan, course, k))
            clock = resolve_clock(land, clinic.infusion_time, e.tz)
            late = (new[k] - due).days if due is not None else 0
            extra = [clock.note] if clock.note else []
            if e.cycle_day == 1 and late > tpl.window_days:
                extra.append(f"cycle {k} starts {late} days late: cycle {k - 1} is lengthened by {late} days")
            if update["dose_mg"] != e.dose_mg:
                extra.append(f"dose {e.dose_mg:g} -> {update['dose_mg']:g} mg on the new day")
            update.update(
                {
                    "date": land,
                    "time": clock.time,
                    "sequence": e.sequence + 1,
                    "shifted_from": e.date,
                    "shift_reason": "; ".join(reasons),
                    "notes": (*_kept_notes(e, _DOSE_NOTES), *dose_notes, *extra),
                }
            )
            changed[e.uid] = e.model_copy(update=update)
            continue
        moved = _moved_tablets(tpl, e, old[k], new[k], next_one(k, old), next_one(k, new))
        if moved is None:
            changed[e.uid] = _cancel(e, f"not taken: its days moved into a hold in {note}")
        elif moved != (e.date, e.repeat_days):
            first, length = moved
            update = {
                "date": first,
                "repeat_days": length,
                "cycle_day": (first - new[k]).days + 1,
                "sequence": e.sequence + 1,
                "shifted_from": e.date if first != e.date else e.shifted_from,
                "shift_reason": "; ".join(reasons) if first != e.date else e.shift_reason,
            }
            changed[e.uid] = _retimed(e, update)
    return changed


def _moved_tablets(
    tpl: Systemic, e: Event, old_one: dt.date, new_one: dt.date, old_next: dt.date, new_next: dt.date
) -> tuple[dt.date, int] | None:
    """A tablet run's first day and length once its cycle's day 1 moves from `old_one` to `new_one`
    (and the next day 1 from `old_next` to `new_next`); None when nothing of it is left.

    A run that started on its on-days' first day (day 1 for continuous tablets) starts as many
    days later as day 1; one that started later (after an RT hold, S21) keeps its first day unless
    the on-days now start after it. A run that reached the end of its on-days (the next day 1 for
    continuous tablets) reaches the new end; one that ended early (before an RT hold) keeps its
    last day."""
    part = _component(tpl, e)
    on_first, on_last = part.on_days or (1, tpl.cycle_days)
    shift = new_one - old_one
    start_old = old_one + dt.timedelta(on_first - 1)
    start_new = new_one + dt.timedelta(on_first - 1)
    first = e.date + shift if e.date == start_old else max(e.date, start_new)
    last = e.date + dt.timedelta(e.repeat_days - 1)
    if part.on_days is None:
        full_old, full_new = old_next - dt.timedelta(1), new_next - dt.timedelta(1)
    else:
        full_old = min(old_one + dt.timedelta(on_last - 1), old_next - dt.timedelta(1))
        full_new = min(new_one + dt.timedelta(on_last - 1), new_next - dt.timedelta(1))
    end = full_new if last == full_old else min(last, full_new)
    if end < first:
        return None
    return first, (end - first).days + 1


def _cancel(e: Event, why: str) -> Event:
    return e.model_copy(update={"status": "cancelled", "sequence": e.sequence + 1, "notes": (*e.notes, why)})


def _hold_systemic(
    plan: Plan, action: Hold, registry: Registry, calendar: ClinicCalendar, note: str
) -> dict[str, Event]:
    """Nothing of the course from the hold's first day until it resumes: the first cycle whose day
    1 falls in the hold starts on the first open day from the resume day (the resume day itself for
    tablets only), later cycles keep their length, and the tablets of the cycle before stop the
    day before the hold."""
    assert action.course is not None
    tpl, _ = _systemic_template(plan, action.course, registry)
    ones = _day_ones(_active(plan, action.course))
    held = [k for k, d in ones.items() if action.start <= d < action.resume]
    if not held:
        raise InputError(
            f"no cycle of {action.course} starts from {action.start} to {action.resume - dt.timedelta(1)}: "
            "a hold of a systemic course moves a cycle's day 1",
            field="hold_from",
            hint="give {hold_from} on or before the day 1 to hold (tablets within a cycle: {stop_from})",
        )
    first = ones[held[0]]
    target = calendar.next_open(action.resume) if tpl.has_infusion else action.resume
    return _delay_cycles(
        plan, action.course, first, (target - first).days, registry, calendar, note, pause=action.start
    )


def _dose_level(plan: Plan, action: DoseLevel, registry: Registry, note: str) -> tuple[dict[str, Event], int]:
    """The course's doses from the first cycle whose day 1 is on or after the day, at the new
    level (each cycle's loading or reload decision kept as it is on the calendar)."""
    assert action.course is not None
    systemic = sorted(_systemic_ids(plan))
    if action.course not in systemic:
        raise InputError(
            f"'{action.course}' is not a systemic course of this plan (only those have dose levels)",
            field="course",
            choices=systemic,
        )
    tpl, cycle_days = _systemic_template(plan, action.course, registry)
    valid = [str(-n) for n in range(tpl.levels)]
    if str(action.level) not in valid:
        what = "has no dose levels" if tpl.levels == 1 else f"has {tpl.levels} dose levels"
        raise InputError(f"{action.course} {what}", field="dose_level", choices=valid)
    events = _active(plan, action.course)
    ones = _day_ones(events)
    later = [k for k, d in ones.items() if d >= action.day]
    if not later:
        raise InputError(f"no cycle of {action.course} starts on or after {action.day}", field="from")
    k0 = later[0]
    if course_level(plan, action.course, k0) == action.level:
        raise InputError(
            f"cycle {k0} of {action.course} is already at dose level {action.level}",
            field="dose_level",
            choices=valid,
        )
    changed: dict[str, Event] = {}
    for e in events:
        if e.cycle is None or e.cycle < k0:
            continue
        due = ones[e.cycle - 1] + dt.timedelta(cycle_days) if e.cycle - 1 in ones else None
        update, dose_notes = _dose_update(plan, tpl, e, ones[e.cycle], due, action.level)
        if update["dose_mg"] == e.dose_mg:
            continue
        update.pop("duration_min", None)  # the infusion time stays as planned
        kept = _kept_notes(e, ("dose level ", "reduced to ", "more than "))
        update["sequence"] = e.sequence + 1
        update["notes"] = (
            *kept,
            *dose_notes,
            f"dose {e.dose_mg:g} -> {update['dose_mg']:g} mg from cycle {k0}: "
            f"dose level {action.level} in {note}",
        )
        changed[e.uid] = e.model_copy(update=update)
    if not changed:
        raise InputError(f"dose level {action.level} changes no dose of {action.course}", field="dose_level")
    return changed, k0
