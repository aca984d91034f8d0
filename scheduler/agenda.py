"""The infusion centre's agenda: every patient's chair sessions, and where they exceed the chairs.

A batch plans many patients in parallel workers; each worker turns its plan into a few `Session`
records (small, picklable) and drops the plan, so memory grows with the sessions, not the plans.
The capacity check is a pure function of the sessions and a `chairs(day)` lookup: it sorts its
input first, so the order in which workers report never changes the result.

A session holds a chair from its start for `duration_min` minutes, as a half-open interval: one
that ends at 10:00 has freed its chair for one that starts at 10:00. A session that runs past
midnight counts against the next day's chairs for the part after midnight.

Two kinds of visit take a chair: an intrathecal dose (its `duration_min`, the clinic's session
length) and a systemic IV infusion, which holds the chair for the clinic's preparation minutes
before the infusion, the infusion itself (90 minutes for a first T-DXd or a trastuzumab loading
dose, then 30: the event's `duration_min`) and the observation minutes after it. The session's
`time` and `duration_min` are the whole chair time, so the sweep counts every kind alike; its
`prep_min` and `observation_min` say how that time divides. Tablets and memantine (taken at
home) are not on the agenda. RT fractions are given in their own department and never take a
chair, but they are clinic visits: each is a row (`kind == "rt-fraction"`, `chair` False) with its
time and minutes, so the centre sees who is in the building for RT that day (an IT dose after
the fraction, a blood count before it), counted on its day (`DaySummary.rt`), never against the
chairs.

Checks (issue 17) that are clinic visits are on the agenda too, with their time and duration: a
blood count before an IT dose, liver tests on tucatinib. They are rows with `kind == "check"`
and `chair` False: listed, never counted against the chairs, unless their template says
`chair = true` (then they book a chair like any session, for their own minutes, with no prep or
observation). A check of 0 minutes taken at a session (CSF cytology, drawn at the IT dose) is no
row of its own: its name is on that session's row (`with_checks`). Checks done elsewhere (MRI,
the echocardiogram, the CSF flow study: `where == "external"`) are not clinic visits and are left
off: each patient's own calendar and staff sheet carry them. A cancelled check is left off and a
tentative one says "(tentative)", as for doses.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

from .labels import cycle_text, dose_text, event_label, event_name, route_words
from .plan import Event, Plan

if TYPE_CHECKING:
    from .models import Clinic

__all__ = [
    "AT_SESSION",
    "CHAIR_KINDS",
    "AgendaDay",
    "ChairCount",
    "Chairs",
    "DaySummary",
    "Overload",
    "Session",
    "at_session_text",
    "check_capacity",
    "clock",
    "end_text",
    "given_text",
    "in_overload",
    "in_use_at_start",
    "is_clinic_check",
    "ordered",
    "over_capacity",
    "overloaded_dates",
    "render_overload_lines",
    "sessions_of",
    "stream_days",
]

DAY_MIN = 24 * 60
PATIENTS_SHOWN = 6  # per terminal line; the CSV and the PDF list every patient

Chairs = Callable[[dt.date], "int | None"]
"""Chairs on a day (`Clinic.chairs_on`, or a constant from --chairs); None: unknown, nothing flagged."""


@dataclass(frozen=True)
class ChairCount:
    """A `Chairs`: `chairs` on every day (--chairs), else the clinic file's for the day, else
    unknown. A value, not a closure, so a batch worker is sent it with its task."""

    chairs: int | None = None
    clinic: Clinic | None = None

    def __call__(self, day: dt.date) -> int | None:
        if self.chairs is not None:
            return self.chairs
        return self.clinic.chairs_on(day) if self.clinic is not None else None


_CLOCK_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass(frozen=True, slots=True)
class Session:
    """One row of the agenda, what a batch keeps of a patient's plan (the plan itself is dropped):
    a chair booking, or a clinic check or RT fraction that takes no chair (`chair` False: listed
    with its time and minutes, never counted against the chairs)."""

    date: dt.date
    time: str  # "HH:MM", wall clock at the centre
    duration_min: int
    patient: str  # the patient's safe id (the batch's folder name)
    name: str | None
    event: str  # e.g. "IT methotrexate 3/18"
    dose: str  # e.g. "12 mg"
    route: str  # e.g. "Ommaya"
    uid: str
    kind: str = "it-dose"  # the plan event's kind: "it-dose" or "infusion"
    cycle: str = ""  # "C3 D1" for an infusion
    prep_min: int = 0  # chair minutes before the dose is given (infusions: the clinic's prep_min)
    observation_min: int = 0  # chair minutes after it (infusions: the clinic's observation_min)
    chair: bool = True  # books a chair (every dose; a check only when its template says so)
    with_checks: tuple[str, ...] = ()  # checks taken at this session: ("CSF cytology",)

    def __post_init__(self) -> None:
        if not _CLOCK_RE.match(self.time):
            raise ValueError(f"session {self.uid}: time '{self.time}' is not HH:MM from 00:00 to 23:59")
        if not self.chair and self.kind not in LISTED_KINDS:
            raise ValueError(f"session {self.uid}: a {self.kind} always books a chair")
        if self.chair and self.kind == "rt-fraction":
            raise ValueError(f"session {self.uid}: an RT fraction never books a chair")
        if self.duration_min < (1 if self.chair else 0):
            least = "at least 1" if self.chair else "0 or more"
            raise ValueError(f"session {self.uid}: duration_min must be {least}, not {self.duration_min}")
        if self.kind in LISTED_KINDS and (self.prep_min or self.observation_min):
            raise ValueError(f"session {self.uid}: a {self.kind} has no prep or observation minutes")
        if not self.chair:
            return
        if self.prep_min < 0 or self.observation_min < 0 or self.given_min < 1:
            raise ValueError(
                f"session {self.uid}: prep {self.prep_min} and observation {self.observation_min} "
                f"minutes leave no time for the dose in {self.duration_min} chair minutes"
            )

    @property
    def given_min(self) -> int:
        """Minutes of the dose itself (the infusion), between preparation and observation."""
        return self.duration_min - self.prep_min - self.observation_min

    @property
    def start_min(self) -> int:
        """Minutes after midnight of `date` at which the chair is taken."""
        return int(self.time[:2]) * 60 + int(self.time[3:])

    @property
    def end_min(self) -> int:
        """Minutes after midnight of `date` at which the chair is free (may pass 1440)."""
        return self.start_min + self.duration_min

    def sort_key(
        self,
    ) -> tuple[dt.date, str, str, str, int, str, str, str, str, str, str, int, int, bool, tuple[str, ...]]:
        """A total order on every field: sorting by it makes results independent of input order."""
        return (
            self.date,
            self.time,
            self.patient,
            self.uid,
            self.duration_min,
            self.event,
            self.dose,
            self.route,
            self.name or "",
            self.kind,
            self.cycle,
            self.prep_min,
            self.observation_min,
            self.chair,
            self.with_checks,
        )


@dataclass(frozen=True, slots=True)
class Overload:
    """A maximal time range of one day in which more sessions overlap than there are chairs."""

    date: dt.date
    start: str  # "HH:MM"
    end: str  # "HH:MM"; "24:00" when the range runs to midnight
    booked: int  # the most sessions at once within the range
    chairs: int
    patients: tuple[str, ...]  # every patient with a session in the range, sorted


@dataclass(frozen=True, slots=True)
class DaySummary:
    """One day of the agenda: sessions starting that day, the most at once, the chairs, and the
    clinic checks that take no chair."""

    date: dt.date
    sessions: int  # chair sessions that start on this day
    peak: int  # the most sessions at once (including any continuing from the day before)
    chairs: int | None
    over: bool
    checks: int = 0  # clinic checks on this day that take no chair (not in `peak`)
    rt: int = 0  # RT fractions on this day (never a chair, not in `peak`)


# --- sessions from a plan -----------------------------------------------------------------------


# Days read either side of a range of the agenda (a volume, `lmsched agenda --from --to`), so the
# sessions running past midnight into it or out of it are counted and flagged as in the whole.
SPILL_DAYS = 2

CHAIR_KINDS = ("it-dose", "infusion")
LISTED_KINDS = ("check", "rt-fraction")  # rows that may take no chair
AGENDA_KINDS = (*CHAIR_KINDS, *LISTED_KINDS)  # the plan events an agenda row can come from
AT_SESSION = {"it-dose": "at the IT dose"}  # how a check taken at a session is said; else "at this session"


def is_clinic_check(event: Event) -> bool:
    """A check that is a clinic visit, so on the agenda (cancelled or not): `where == "clinic"`."""
    return event.kind == "check" and event.where == "clinic"


def sessions_of(plan: Plan, patient: str) -> list[Session]:
    """The plan's rows on the agenda: its intrathecal doses and IV infusions that are not
    cancelled (each books a chair), and its clinic checks and RT fractions that are not cancelled.

    Radiotherapy is given in its own department, so an RT fraction is listed and takes no chair;
    tablets and memantine are taken at home and are not on the agenda. An infusion holds its
    chair from the clinic's `prep_min` before the infusion starts to `observation_min` after it
    ends (the clinic file's values, kept in the plan's inputs): a prep that starts before midnight
    books the day before. Tentative doses (a phase or course
    that continues until progression, or IT doses waiting for a CSF flow study) do book a chair;
    their event text says "(tentative)" so the centre knows the booking may lapse.

    A clinic check is a row of its own (its name and what it guards, "Blood count before IT
    dose 5 of 18") that books a chair only when its template says `chair = true`. One of 0
    minutes taken at an event on the agenda (CSF cytology at the IT dose) is named on that
    event's row instead. Checks done elsewhere are left off (see the module's docstring).
    """
    clinic = plan.inputs.clinic
    by_uid = {e.uid: e for e in plan.events}
    rows: list[Session] = []
    at: dict[str, list[str]] = {}  # event uid -> checks taken at it
    for e in plan.events:
        if e.status == "cancelled":
            continue
        if is_clinic_check(e) and e.duration_min == 0:
            session_of = next(
                (
                    g
                    for uid in e.guards
                    if (g := by_uid.get(uid)) is not None
                    and g.kind in CHAIR_KINDS
                    and g.status != "cancelled"
                    and (g.date, g.time) == (e.date, e.time)
                ),
                None,
            )
            if session_of is not None:
                tentative = e.status == "tentative" and session_of.status != "tentative"
                at.setdefault(session_of.uid, []).append(
                    event_label(e) + (" (tentative)" if tentative else "")
                )
                continue
        if is_clinic_check(e):
            rows.append(_check_row(e, plan, patient))
            continue
        if e.kind == "rt-fraction":
            rows.append(_rt_row(e, plan, patient))
            continue
        if e.kind not in CHAIR_KINDS:
            continue
        label = event_label(e) + (" (tentative)" if e.status == "tentative" else "")
        prep, observation = (clinic.prep_min, clinic.observation_min) if e.kind == "infusion" else (0, 0)
        start = dt.datetime.combine(e.date, dt.time.fromisoformat(e.time)) - dt.timedelta(minutes=prep)
        rows.append(
            Session(
                date=start.date(),
                time=start.strftime("%H:%M"),
                duration_min=prep + e.duration_min + observation,
                patient=patient,
                name=plan.patient.name,
                event=label,
                dose=dose_text(e),
                route=route_words(e.route),
                uid=e.uid,
                kind=e.kind,
                cycle=cycle_text(e),
                prep_min=prep,
                observation_min=observation,
            )
        )
    return [dataclasses.replace(r, with_checks=tuple(sorted(at[r.uid]))) if r.uid in at else r for r in rows]


def _check_row(e: Event, plan: Plan, patient: str) -> Session:
    """A clinic check as an agenda row: a chair only when its template books one (and it has
    minutes to book)."""
    return _listed(e, plan, patient, event_name(e), "", "", chair=bool(e.chair) and e.duration_min > 0)


def _rt_row(e: Event, plan: Plan, patient: str) -> Session:
    """An RT fraction as an agenda row: listed with its time and minutes, never a chair."""
    return _listed(e, plan, patient, event_label(e), dose_text(e), route_words(e.route), chair=False)


def _listed(e: Event, plan: Plan, patient: str, event: str, dose: str, route: str, *, chair: bool) -> Session:
    """A row of the agenda at the event's own time and minutes (a check, an RT fraction)."""
    return Session(
        date=e.date,
        time=e.time,
        duration_min=e.duration_min,
        patient=patient,
        name=plan.patient.name,
        event=event + (" (tentative)" if e.status == "tentative" else ""),
        dose=dose,
        route=route,
        uid=e.uid,
        kind="check" if e.kind == "check" else "rt-fraction",
        chair=chair,
    )


def at_session_text(session: Session) -> str:
    """The checks taken at a session, for its row: 'CSF cytology (at the IT dose)' ('' if none)."""
    if not session.with_checks:
        return ""
    where = AT_SESSION.get(session.kind, "at this session")
    tentative = " (tentative)"
    return "; ".join(
        f"{name.removesuffix(tentative)} ({where}, tentative)"
        if name.endswith(tentative)
        else f"{name} ({where})"
        for name in session.with_checks
    )


def given_text(session: Session) -> str:
    """When the dose itself is given, for an infusion with preparation or observation time:
    'infusion 10:30-12:00' ('' when the whole chair time is the dose)."""
    if session.kind != "infusion" or not (session.prep_min or session.observation_min):
        return ""
    start = session.start_min + session.prep_min
    return f"infusion {_at(start)}-{_at(start + session.given_min, end=True)}"


# --- capacity ---------------------------------------------------------------------------------------


def clock(minutes: int) -> str:
    """'09:30' for 570; '24:00' for the end of the day."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _minutes(text: str) -> int:
    return int(text[:2]) * 60 + int(text[3:])


def _at(minutes: int, end: bool = False) -> str:
    """Minutes after the session day's midnight as a clock: '10:00', '01:00 +1d'; an `end` at
    midnight is '24:00' of the day before."""
    days, rest = divmod(minutes, DAY_MIN)
    if end and days and rest == 0:  # ends exactly at midnight
        return "24:00" if days == 1 else f"24:00 +{days - 1}d"
    return clock(rest) + (f" +{days}d" if days else "")


def end_text(session: Session) -> str:
    """When the chair is free: '10:00', or '01:00 +1d' for a session that runs past midnight."""
    return _at(session.end_min, end=True)


def _pieces(session: Session) -> Iterable[tuple[dt.date, int, int]]:
    """The session as (day, start, end) minute intervals, cut at midnight."""
    day, start, end = session.date, session.start_min, session.end_min
    while end > DAY_MIN:
        yield day, start, DAY_MIN
        day, start, end = day + dt.timedelta(days=1), 0, end - DAY_MIN
    yield day, start, end


@dataclass(frozen=True, slots=True)
class _Piece:
    start: int
    end: int
    session: Session


def _by_day(sessions: Iterable[Session]) -> dict[dt.date, list[_Piece]]:
    """Each day's pieces of the chair sessions (a check that takes no chair has none), in input
    order: nothing computed from them depends on that order."""
    days: dict[dt.date, list[_Piece]] = defaultdict(list)
    for s in sessions:
        if not s.chair:
            continue
        for day, start, end in _pieces(s):
            days[day].append(_Piece(start, end, s))
    return days


def _segments(pieces: Sequence[_Piece]) -> list[tuple[int, int, int]]:
    """(start, end, sessions at once) for each stretch of the day with a constant count > 0."""
    changes: dict[int, int] = defaultdict(int)
    for p in pieces:
        changes[p.start] += 1
        changes[p.end] -= 1
    out: list[tuple[int, int, int]] = []
    count = 0
    times = sorted(changes)
    for t, nxt in pairwise(times):
        count += changes[t]
        if count > 0:
            out.append((t, nxt, count))
    return out


def check_capacity(sessions: Iterable[Session], chairs: Chairs) -> tuple[list[DaySummary], list[Overload]]:
    """Every day with sessions, and every maximal range in which they exceed that day's chairs.

    Both lists are sorted by date and time and do not depend on the order of `sessions`.
    `chairs` is asked once per day; a day without a chair count (None) is never over capacity.
    Checks that take no chair are counted on their day (`DaySummary.checks`), RT fractions too
    (`DaySummary.rt`), never in its peak: a day with only such rows is a day of the agenda with no
    session.
    """
    sessions = list(sessions)
    by_day = _by_day(sessions)
    visits: dict[dt.date, int] = defaultdict(int)
    rt: dict[dt.date, int] = defaultdict(int)
    for s in sessions:
        if not s.chair:
            (rt if s.kind == "rt-fraction" else visits)[s.date] += 1
    days: list[DaySummary] = []
    overloads: list[Overload] = []
    for day in sorted(by_day.keys() | visits.keys() | rt.keys()):
        pieces = by_day.get(day, [])
        segments = _segments(pieces)
        n_chairs = chairs(day)
        ranges: list[list[int]] = []  # [start, end, booked]
        if n_chairs is not None:
            for start, end, count in segments:
                if count <= n_chairs:
                    continue
                if ranges and ranges[-1][1] == start:
                    ranges[-1][1] = end
                    ranges[-1][2] = max(ranges[-1][2], count)
                else:
                    ranges.append([start, end, count])
        for start, end, booked in ranges:
            assert n_chairs is not None
            patients = sorted({p.session.patient for p in pieces if p.start < end and start < p.end})
            overloads.append(Overload(day, clock(start), clock(end), booked, n_chairs, tuple(patients)))
        starting = sum(1 for p in pieces if p.session.date == day)
        peak = max((count for _, _, count in segments), default=0)
        days.append(
            DaySummary(day, starting, peak, n_chairs, bool(ranges), visits.get(day, 0), rt.get(day, 0))
        )
    return days, overloads


def ordered(sessions: Iterable[Session]) -> list[Session]:
    """The sessions in one total order (date, time, patient, ...), whatever order they came in."""
    return sorted(sessions, key=Session.sort_key)


def in_overload(session: Session, overloads: Iterable[Overload]) -> bool:
    """Whether any minute of the session falls in an over-capacity range (a linear scan: for
    many sessions use `over_capacity` or `overloaded_dates`)."""
    return bool(over_capacity([session], overloads))


def over_capacity(sessions: Iterable[Session], overloads: Iterable[Overload]) -> set[Session]:
    """The chair sessions with at least one minute in an over-capacity range: exactly those
    counted in its `booked` (every minute of a range is over capacity)."""
    ranges: dict[dt.date, list[tuple[int, int]]] = defaultdict(list)
    for o in overloads:
        ranges[o.date].append((_minutes(o.start), _minutes(o.end)))
    return {
        s
        for s in sessions
        if s.chair
        and any(s0 < e1 and s1 < e0 for day, s0, e0 in _pieces(s) for s1, e1 in ranges.get(day, ()))
    }


def overloaded_dates(
    sessions: Iterable[Session], overloads: Iterable[Overload]
) -> dict[str, tuple[dt.date, ...]]:
    """For each patient with a session in an over-capacity range, those sessions' dates (sorted):
    what a batch's per-patient summary flags."""
    found: dict[str, set[dt.date]] = defaultdict(set)
    for s in over_capacity(sessions, overloads):
        found[s.patient].add(s.date)
    return {patient: tuple(sorted(dates)) for patient, dates in sorted(found.items())}


def in_use_at_start(sessions: Iterable[Session]) -> dict[Session, int]:
    """For each chair session, the sessions holding a chair at its start, itself included (one
    that ends at that minute does not count; one continuing from the day before does). A check
    that takes no chair has no entry."""
    out: dict[Session, int] = {}
    for day, pieces in _by_day(sessions).items():
        starts = sorted(p.start for p in pieces)
        ends = sorted(p.end for p in pieces)
        for p in pieces:
            if p.session.date == day:  # the piece that starts the session
                out[p.session] = bisect_right(starts, p.start) - bisect_right(ends, p.start)
    return out


def render_overload_lines(overloads: Sequence[Overload]) -> list[str]:
    """Lines for the terminal, one per over-capacity range and a count; none when there are none.

    '2026-12-01 09:00-10:00: 5 sessions at once, 4 chairs (A-001, A-002, ... and 3 more)'
    """
    if not overloads:
        return []
    lines: list[str] = []
    for o in overloads:
        shown = ", ".join(o.patients[:PATIENTS_SHOWN])
        if len(o.patients) > PATIENTS_SHOWN:
            shown += f", ... and {len(o.patients) - PATIENTS_SHOWN} more"
        chairs = f"{o.chairs} chair" + ("" if o.chairs == 1 else "s")
        lines.append(f"{o.date} {o.start}-{o.end}: {o.booked} sessions at once, {chairs} ({shown})")
    n, days = len(overloads), len({o.date for o in overloads})
    lines.append(
        f"Over capacity: {n} time range{'' if n == 1 else 's'} on {days} day{'' if days == 1 else 's'}."
    )
    return lines


# --- the agenda day by day (streamed) -----------------------------------------------------------


@dataclass(frozen=True)
class AgendaDay:
    """One day of the agenda with everything its rows print: made by `stream_days` from sessions
    read in day order, so an agenda of any length is written while holding two days at a time."""

    summary: DaySummary
    sessions: tuple[Session, ...]  # those starting this day, in `Session.sort_key` order
    overloads: tuple[Overload, ...]  # this day's over-capacity ranges
    in_use: dict[Session, int]  # chairs in use at each chair session's start
    over: frozenset[Session]  # the sessions with a minute in an over-capacity range (any day)


def stream_days(sessions: Iterable[Session], chairs: Chairs) -> Iterator[AgendaDay]:
    """The agenda day by day from `sessions` given in day order (a workspace's or a spool's
    `ORDER BY day`): the same summaries, ranges, chairs in use and over-capacity rows as
    `check_capacity` over all of them, one day at a time. A session running past midnight counts
    on the next day (and is flagged if it is over capacity there), so a day is given out once
    every day its sessions reach has been counted."""
    running: list[Session] = []  # sessions of earlier days that run into later ones
    held: list[tuple[DaySummary, list[Session], list[Overload], dict[Session, int], dt.date]] = []
    ranges: dict[dt.date, list[Overload]] = {}
    for day, own in _days(sessions, running):
        reaching = [s for s in running if reach(s) >= day]
        window = [*reaching, *own]
        summaries, overloads = check_capacity(window, chairs)
        ranges[day] = [o for o in overloads if o.date == day]
        summary = next(d for d in summaries if d.date == day)
        use = in_use_at_start(window)
        mine = ordered(own)
        furthest = max(map(reach, mine), default=day)
        held.append((summary, mine, ranges[day], {s: use[s] for s in mine if s in use}, furthest))
        running[:] = [*reaching, *(s for s in own if reach(s) > day)]  # read by `_days`
        while held and held[0][4] <= day:
            yield _released(held.pop(0), ranges)
        keep = held[0][0].date if held else day
        for old in [d for d in ranges if d < keep]:
            del ranges[old]
    while held:
        yield _released(held.pop(0), ranges)


def read_range(first: dt.date, last: dt.date, spills: Mapping[dt.date, dt.date]) -> tuple[dt.date, dt.date]:
    """The days to read so that the agenda of `first` to `last` says what the whole agenda says
    of those days: `SPILL_DAYS` before them when a session runs past midnight into them, after
    them when one of theirs runs out of them, else only their own. `spills`: each day on which a
    session runs past midnight, with the last day such a session reaches (`reach`)."""
    margin = dt.timedelta(days=SPILL_DAYS)
    into = any(first - margin <= day < first <= end for day, end in spills.items())
    out_of = any(day <= last < end for day, end in spills.items())
    return (first - margin if into else first, last + margin if out_of else last)


def reach(session: Session) -> dt.date:
    """The last day on which `session` holds a chair (its own, or a later one past midnight); a
    check that takes no chair counts on its own day only."""
    if not session.chair:
        return session.date
    return session.date + dt.timedelta(days=max(0, session.end_min - 1) // DAY_MIN)


def _days(sessions: Iterable[Session], running: list[Session]) -> Iterator[tuple[dt.date, list[Session]]]:
    """Each day of the agenda with the sessions that start on it, in order: the days with a
    session of their own, and those a session from an earlier day runs into (`running`, as
    `stream_days` keeps it, read when the next day is asked for)."""
    current: dt.date | None = None
    own: list[Session] = []
    for s in sessions:
        if current is not None and s.date < current:
            raise ValueError(
                f"session {s.uid} on {s.date} came after {current}: sessions must come in day order"
            )
        if s.date != current:
            if current is not None:
                yield current, own
                yield from _spill_days(current, s.date, running)
            current, own = s.date, []
        own.append(s)
    if current is not None:
        yield current, own
        yield from _spill_days(current, None, running)


def _spill_days(
    after: dt.date, before: dt.date | None, running: list[Session]
) -> Iterator[tuple[dt.date, list[Session]]]:
    """The days after `after` (and before `before`) that only sessions from earlier days reach."""
    last = max((reach(s) for s in running), default=after)
    day = after + dt.timedelta(days=1)
    while day <= last and (before is None or day < before):
        yield day, []
        day += dt.timedelta(days=1)


def _released(
    entry: tuple[DaySummary, list[Session], list[Overload], dict[Session, int], dt.date],
    ranges: dict[dt.date, list[Overload]],
) -> AgendaDay:
    summary, own, overloads, use, reach = entry
    near = [o for d, found in ranges.items() if summary.date <= d <= reach for o in found]
    return AgendaDay(summary, tuple(own), tuple(overloads), use, frozenset(over_capacity(own, near)))
