"""Checks on the calendar: the tests that guard a plan's treatment (a blood count before each IT
dose, a CSF flow study before the first, cytology with the first IT dose of each month, MRI every 8
weeks, LVEF on trastuzumab, liver tests on tucatinib), from the monitoring templates.

Pure, like `build_plan`: the plan's treatment events + its request + the check templates + the
clinic calendar -> check events. Checks are derived, never edited: `build_plan` computes them from
the events it expanded, and `reschedule` computes them again from the revised events, so that a
blood count follows its IT dose when the dose moves, is cancelled when it is, and keeps its UID
(the UID comes from the guarded event's UID or the series' position, never from a date).

Every check falls on an open clinic day. A check before an event goes back `open_days_before` open
days from it (0: the same day, ending as the event starts); one that falls on a closed day moves
earlier, never later than what it guards, and says which closure moved it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import ValidationError

from .calendar import ClinicCalendar
from .errors import InputError
from .i18n import ENGLISH_MONTHS
from .models import Monitoring, MonitoringWhen, PlanRequest
from .plan import Event, digest
from .zones import resolve_clock

__all__ = [
    "FLOW_PENDING_NOTE",
    "UNTIL_PROGRESSION_NOTE",
    "applicable",
    "check_events",
    "flow_study_pending",
    "follow",
    "guard_name",
    "settings_for",
    "until_progression",
    "waits_for_flow",
]

FLOW_PENDING_NOTE = "tentative until a CSF flow study shows normal flow (S24, S25)"
# The note of a dose in the phase that continues until progression (schedule._it_events).
UNTIL_PROGRESSION_NOTE = "continues until progression"
_SEARCH = 400  # days a check may move for closures before the calendar is called closed


def settings_for(check: Monitoring, request: PlanRequest) -> MonitoringWhen | None:
    """The check's timing with the centre's own settings (clinic file [monitoring.ID]) applied;
    None when the centre turned it off."""
    setting = request.clinic.monitoring.get(check.id)
    if setting is None:
        return check.when
    if setting.off:
        return None
    update = {
        name: value
        for name in ("open_days_before", "open_days_after", "every_weeks", "at_days")
        if (value := getattr(setting, name)) is not None
    }
    try:
        return MonitoringWhen.model_validate({**check.when.model_dump(), **update})
    except ValidationError as exc:
        message = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
        raise InputError(
            f"{check.id} does not take that setting ({message})", field=f"monitoring.{check.id}"
        ) from None


def check_unknown_settings(request: PlanRequest, checks: Sequence[Monitoring]) -> None:
    """A [monitoring.ID] table for a check lmsched does not know is a typo: exit 2 naming them."""
    known = {c.id for c in checks}
    for name in sorted(request.clinic.monitoring):
        if name not in known:
            raise InputError(f"'{name}' is not a check template", field="monitoring", choices=sorted(known))


def applicable(check: Monitoring, when: MonitoringWhen, request: PlanRequest) -> bool:
    return not when.csf_flow or request.csf_flow in when.csf_flow


def guarded_events(when: MonitoringWhen, events: Iterable[Event]) -> list[Event]:
    """The active events a check guards, in time order."""
    found = [
        e
        for e in events
        if e.kind == when.events and e.status != "cancelled" and (not when.drugs or e.drug in when.drugs)
    ]
    found.sort(key=lambda e: (e.date, e.time, e.uid))
    return found


def flow_study_pending(request: PlanRequest, checks: Sequence[Monitoring], events: Iterable[Event]) -> bool:
    """Whether the plan has CSF flow unknown and a flow study (a check planned only while flow is
    unknown) guards its IT doses: those doses are then tentative until flow is recorded."""
    if request.csf_flow != "unknown":
        return False
    it = [e for e in events if e.kind == "it-dose" and e.status != "cancelled"]
    for check in checks:
        when = settings_for(check, request)
        if when is not None and "unknown" in when.csf_flow and when.events == "it-dose" and it:
            return True
    return False


def waits_for_flow(e: Event) -> bool:
    """An IT dose that is tentative until the CSF flow study shows normal flow."""
    return FLOW_PENDING_NOTE in e.notes


def until_progression(e: Event) -> bool:
    """A dose of the phase that continues until progression (tentative for that reason)."""
    return UNTIL_PROGRESSION_NOTE in e.notes


def guard_name(e: Event) -> str:
    """How a check names what it guards: 'IT dose 5 of 18', 'trastuzumab deruxtecan cycle 3'."""
    if e.kind == "it-dose":
        return f"IT dose {e.number} of {e.of}"
    if e.kind == "rt-fraction":
        return f"RT fraction {e.number} of {e.of}"
    if e.cycle is not None:
        return f"{e.drug} cycle {e.cycle}"
    return f"{e.drug or e.course} {e.number} of {e.of}"


@dataclass(frozen=True)
class _Due:
    key: str  # what the UID is derived from
    day: dt.date  # the day it is wanted (before closures)
    guards: tuple[Event, ...]
    label: str
    direction: int  # -1: a closed day moves it earlier; +1: later
    at_event: bool = False  # taken at the guarded event (its time), not before it


def _open_days_back(calendar: ClinicCalendar, day: dt.date, n: int) -> dt.date:
    """The n-th open day before `day` (n = 0: `day` itself if open, else the open day before)."""
    found = day
    for step in range(n + 1):
        start = found if step == 0 else found - dt.timedelta(1)
        back = calendar.previous_open(start, start - dt.timedelta(_SEARCH))
        if back is None:
            raise InputError(
                f"the clinic has no open day within {_SEARCH} days before {start}", field="closed"
            )
        found = back
    return found


def _weekdays_back(calendar: ClinicCalendar, day: dt.date, n: int) -> dt.date:
    """As `_open_days_back`, counting open weekdays only (closures ignored): the planned day."""
    found = day
    while found.weekday() not in calendar.open_weekdays:
        found -= dt.timedelta(1)
    for _ in range(n):
        found -= dt.timedelta(1)
        while found.weekday() not in calendar.open_weekdays:
            found -= dt.timedelta(1)
    return found


def _open_days_forward(calendar: ClinicCalendar, day: dt.date, n: int) -> dt.date:
    found = day
    for _ in range(n):
        found = calendar.next_open(found + dt.timedelta(1))
    return found


def _weekdays_forward(calendar: ClinicCalendar, day: dt.date, n: int) -> dt.date:
    found = day
    for _ in range(n):
        found += dt.timedelta(1)
        while found.weekday() not in calendar.open_weekdays:
            found += dt.timedelta(1)
    return found


def _last_day(e: Event) -> dt.date:
    return e.date + dt.timedelta(max(e.repeat_days, 1) - 1)


def _dues(
    check: Monitoring, when: MonitoringWhen, guarded: list[Event], calendar: ClinicCalendar
) -> list[_Due]:
    what = {"it-dose": "IT dose", "rt-fraction": "RT fraction"}.get(when.events, "")
    if when.anchor in ("each", "first-of-month"):
        chosen = guarded
        if when.anchor == "first-of-month":
            seen: set[tuple[int, int]] = set()
            chosen = []
            for e in guarded:
                if (e.date.year, e.date.month) not in seen:
                    seen.add((e.date.year, e.date.month))
                    chosen.append(e)
        word = "at" if when.at_event else "before"
        dues = []
        for n, e in enumerate(chosen, start=1):
            label = f"{word} {guard_name(e)}"
            # each: follows its own event; monthly: the n-th month's sample, whichever dose it is
            key = f"guard:{e.uid}"
            if when.anchor == "first-of-month":
                label += f" (the first in {ENGLISH_MONTHS[e.date.month - 1]} {e.date.year})"
                key = f"month:{n}"
            dues.append(_Due(key, e.date, (e,), label, -1, when.at_event))
        return dues
    first = guarded[0]
    name = what or (first.drug or first.course)
    on = f"IT {first.drug}" if when.events == "it-dose" else (first.drug or name)
    if when.anchor == "first":
        return [_Due("first", first.date, (first,), f"before the first {name} ({first.date})", -1)]
    if when.anchor == "after-last":
        last = guarded[-1]
        return [_Due("after-last", _last_day(last), (last,), f"after the last {name} ({_last_day(last)})", 1)]
    # every: a baseline, then at_days, then every N weeks while the course lasts
    assert when.every_weeks is not None
    end = max(_last_day(e) for e in guarded)
    dues = []
    if when.baseline:
        dues.append(_Due("baseline", first.date, (first,), f"baseline, before {guard_name(first)}", -1))
    offsets = list(when.at_days)
    step = 7 * when.every_weeks
    offset = (offsets[-1] if offsets else 0) + step
    while first.date + dt.timedelta(offset) <= end and len(offsets) < 500:
        offsets.append(offset)
        offset += step
    for n, days in enumerate(offsets, start=1):
        day = first.date + dt.timedelta(days)
        if day > end:
            break
        # what it guards: the next guarded event on or after the day (else the last one)
        nxt = next((e for e in guarded if e.date >= day), guarded[-1])
        weeks = f"week {days // 7}" if days % 7 == 0 else f"day {days}"
        label = f"every {when.every_weeks} weeks on {on} ({weeks}), before {guard_name(nxt)}"
        if days in when.at_days:
            label = f"{weeks} on {on}, before {guard_name(nxt)}"
        dues.append(_Due(f"every:{n}", day, (nxt,), label, -1))
    return dues


def _place(
    due: _Due, when: MonitoringWhen, calendar: ClinicCalendar
) -> tuple[dt.date, dt.date | None, str | None]:
    """The day a check falls on, the day it was planned for when a closure moved it, and why."""
    if due.direction > 0:
        planned = _weekdays_forward(calendar, due.day, when.open_days_after)
        actual = _open_days_forward(calendar, due.day, when.open_days_after)
    elif due.key.startswith("every:"):
        planned = due.day
        actual = calendar.previous_open(due.day, due.day - dt.timedelta(_SEARCH)) or calendar.next_open(
            due.day
        )
    else:
        lead = 0 if due.at_event else when.open_days_before
        planned = _weekdays_back(calendar, due.day, lead) if lead else due.day
        actual = _open_days_back(calendar, due.day, lead)
    if actual == planned:
        return actual, None, None
    low, high = min(actual, planned), max(actual, planned)
    between = calendar.named_closures(
        low + dt.timedelta(1) if actual < planned else low,
        high + dt.timedelta(1) if actual < planned else high,
    )
    closed = calendar.closed_reason(planned)
    # one closure: "closed: New Year's Day"; several: each with its date
    reason = "closed " + "; ".join(between) if len(between) > 1 or not closed else f"closed: {closed}"
    return actual, planned, reason


def _clock(check: Monitoring, due: _Due, day: dt.date, session: str) -> str:
    guarded = due.guards[0]
    if due.at_event and day == guarded.date:
        return guarded.time
    if check.time is not None:
        return check.time
    if day == guarded.date and due.direction < 0:
        # ends as the guarded session starts, in real (UTC) time: across a clock change too
        from zoneinfo import ZoneInfo

        zone = ZoneInfo(guarded.tz)
        start = dt.datetime.combine(day, dt.time.fromisoformat(guarded.time), tzinfo=zone)
        begin = (start.astimezone(dt.UTC) - dt.timedelta(minutes=check.duration_min)).astimezone(zone)
        if begin.date() < day:
            return "00:00"
        return begin.strftime("%H:%M")
    return session


def check_events(
    events: Sequence[Event],
    request: PlanRequest,
    checks: Sequence[Monitoring],
    calendar: ClinicCalendar,
    who: str,
) -> list[Event]:
    """Every check the plan's treatment events call for, on the clinic calendar."""
    treatment = [e for e in events if e.kind != "check"]
    out: list[Event] = []
    for check in checks:
        when = settings_for(check, request)
        if when is None or not applicable(check, when, request):
            continue
        guarded = guarded_events(when, treatment)
        if not guarded:
            continue
        dues = _dues(check, when, guarded, calendar)
        convention = (
            "interval: local convention"
            if check.evidence == "convention"
            else f"interval: {check.evidence} ({', '.join(check.sources)})"
        )
        for n, due in enumerate(dues, start=1):
            day, shifted_from, reason = _place(due, when, calendar)
            clock = resolve_clock(
                day, _clock(check, due, day, request.clinic.session_time), request.clinic.tz
            )
            notes = [convention]
            if reason:
                notes.append(f"moved from {shifted_from}: {reason}")
            if clock.note:
                notes.append(clock.note)
            tentative = not when.csf_flow and all(g.status == "tentative" for g in due.guards)
            out.append(
                Event(
                    uid=f"{digest(who, check.id, due.key)[:32]}@lmsched",
                    kind="check",
                    course=check.id,
                    date=day,
                    time=clock.time,
                    tz=request.clinic.tz,
                    duration_min=check.duration_min,
                    phase=check.category,
                    number=n,
                    of=len(dues),
                    status="tentative" if tentative else "confirmed",
                    shifted_from=shifted_from,
                    shift_reason=reason,
                    notes=tuple(notes),
                    check=check.name,
                    check_kind=check.category,
                    where=check.where,
                    guards=tuple(g.uid for g in due.guards),
                    guard_label=due.label[:120],
                    patient_text=check.patient_text,
                    patient_name=check.patient_name,
                    detail=check.detail or None,
                    evidence=check.evidence,
                    chair=True if check.chair else None,
                )
            )
    return out


def follow(
    old: Sequence[Event], new: Sequence[Event], note: str, today: dt.date, treatment: Iterable[Event] = ()
) -> dict[str, Event]:
    """The revised checks against the previous revision's: a check whose day, time or status
    changed gets SEQUENCE + 1; one no longer called for is cancelled (kept, so calendars remove
    it) unless its day is before `today` and what it guards is still planned in `treatment` (it
    has been done: a flow study once flow is recorded); a new one starts at SEQUENCE 0. Returns
    every check of the new revision by UID."""
    planned = {e.uid for e in treatment if e.status != "cancelled"}
    before = {e.uid: e for e in old if e.kind == "check"}
    result: dict[str, Event] = {}
    for e in new:
        prior = before.get(e.uid)
        if prior is None:
            result[e.uid] = e
            continue
        same = (prior.date, prior.time, prior.status, prior.guards) == (e.date, e.time, e.status, e.guards)
        if same:
            result[e.uid] = prior
        else:
            moved = f"moved in {note}" if prior.date != e.date else f"changed in {note}"
            result[e.uid] = e.model_copy(update={"sequence": prior.sequence + 1, "notes": (*e.notes, moved)})
    for uid, prior in before.items():
        if uid not in result:
            if prior.status == "cancelled" or (prior.date < today and planned.intersection(prior.guards)):
                result[uid] = prior
            else:
                result[uid] = prior.model_copy(
                    update={
                        "status": "cancelled",
                        "sequence": prior.sequence + 1,
                        "notes": (*prior.notes, f"cancelled in {note}: what it checked is no longer planned"),
                    }
                )
    return result
