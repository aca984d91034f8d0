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
from .models import check_line
from .plan import Change, Event, Move, Plan, fingerprint
from .templates import Registry
from .zones import ZONE_NOTE_PREFIX, clock_notes_for_days, resolve_clock

__all__ = ["CLINIC_KINDS", "MAX_DELAY_DAYS", "Action", "Delay", "Hold", "Stop", "reschedule"]

CLINIC_KINDS = ("it-dose", "rt-fraction")  # given at the clinic: they need an open day
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
    ) -> Delay | Hold | Stop:
        """The one action the options describe: exactly one of delay, hold_from and stop_from,
        each with the option that goes with it."""
        starts = (("delay", delay), ("hold_from", hold_from), ("stop_from", stop_from))
        given = [name for name, value in starts if value]
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
                ],
            )
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


def reschedule(
    plan: Plan,
    action: Delay | Hold | Stop,
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
    note = f"revision {revision}: " + (reason or _describe(action, [action.course] if action.course else []))
    if isinstance(action, Delay):
        changed = _delay(plan, action, registry, calendar, note)
    elif isinstance(action, Hold):
        changed = _hold(plan, action, registry, calendar, note)
    else:
        changed = _stop(plan, action, note)
    if not isinstance(action, Stop):
        changed.update(_tablets_follow_rt(plan, changed, note))
    moves = tuple(
        Move(
            uid=uid,
            label=event_name(events[uid]),
            old=events[uid].date,
            new=None if new.status == "cancelled" else new.date,
            old_mg=events[uid].dose_mg,
            new_mg=new.dose_mg,
            old_days=events[uid].repeat_days if new.repeat_days != events[uid].repeat_days else None,
            new_days=new.repeat_days if new.repeat_days != events[uid].repeat_days else None,
        )
        for uid, new in sorted(
            changed.items(), key=lambda kv: (events[kv[0]].date, events[kv[0]].time, kv[0])
        )
    )
    moved = sorted({events[uid].course for uid in changed})
    change = Change(
        revision=revision,
        at=now,
        action="delay" if isinstance(action, Delay) else "hold" if isinstance(action, Hold) else "stop",
        summary=_describe(action, moved),
        reason=reason,
        by=by,
        parent=plan.fingerprint,
        moves=moves,
    )
    updated = [changed.get(e.uid, e) for e in plan.events]
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


def _describe(action: Delay | Hold | Stop, courses: Sequence[str]) -> str:
    course = f"{' and '.join(courses)} " if courses else ""
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
        and (course is None or e.course == course)
        and (wanted is None or e.kind in wanted)
    ]


def _check_course(plan: Plan, course: str | None) -> None:
    courses = sorted({e.course for e in plan.events})
    if course is not None and course not in courses:
        raise InputError(f"'{course}' is not a course of this plan", field="course", choices=courses)


def _delay(
    plan: Plan, action: Delay, registry: Registry, calendar: ClinicCalendar, note: str
) -> dict[str, Event]:
    _check_course(plan, action.course)
    on_day = [e for e in _active(plan, action.course) if e.date == action.day]
    if not on_day:
        nearby = sorted(
            {e.date.isoformat() for e in _active(plan, action.course)},
            key=lambda d: abs((dt.date.fromisoformat(d) - action.day).days),
        )[:3]
        hint = f"; the nearest planned days are {', '.join(sorted(nearby))}" if nearby else ""
        raise InputError(f"nothing is planned on {action.day}{hint}", field="delay")
    courses = sorted({e.course for e in on_day})
    clinic = sorted({e.course for e in on_day if e.kind in CLINIC_KINDS})
    if clinic:  # the visit is what a scheduler delays; a tablet step starting that day is not
        courses = clinic
    if len(courses) > 1:
        raise InputError(
            f"{action.day} has events of {len(courses)} courses",
            field="course",
            choices=courses,
            hint="say which with {course}",
        )
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
        elif e.kind == "medication" and e.date + dt.timedelta(e.repeat_days) > action.day:
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


_LAST_DAY = re.compile(r"(daily (?:AM|PM) to )\d{4}-\d{2}-\d{2}")


def _retimed(e: Event, update: dict[str, object]) -> Event:
    """`e` with `update`, its "daily AM to DATE" note following its new first day and length."""
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
