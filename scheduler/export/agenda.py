"""The infusion centre's agenda as a spreadsheet (the printed agenda is `export.pdf.agenda`).

A pure function of the sessions and the capacity check (`scheduler.agenda`): the same inputs give
the same bytes, whatever order the batch's workers reported the sessions in.

`time` to `end` is the whole chair time (`chair_min` minutes): for an infusion that is the clinic's
`prep_min`, the infusion (`given_min`) and `observation_min`; for an IT session its duration.

A clinic check (kind `check`: "Blood count before IT dose 5 of 18") is a row with its time, `end`
and `minutes`; `books_chair` says whether it takes a chair (only when its template says so): one
that does not has `chair_min` 0 and blank `chairs_in_use` and `over_capacity`, and its prep,
given and observation cells are blank (they describe a dose). `minutes` is every row's length
(for a dose, its chair time). A check taken at a session (CSF cytology at the IT dose) is named in
that session's `checks_at_session`. An RT fraction (kind `rt-fraction`) is such a row too, given
in the radiotherapy department: never a chair. The three columns come last, so the earlier ones
keep their places.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence

from ..agenda import (
    LISTED_KINDS,
    AgendaDay,
    DaySummary,
    Overload,
    Session,
    at_session_text,
    end_text,
    in_use_at_start,
    ordered,
    over_capacity,
)
from ..labels import WEEKDAY
from .csv import render_lines, render_rows

__all__ = ["CSV_COLUMNS", "csv_chunks", "csv_day", "csv_header", "render_csv"]

CSV_COLUMNS = (
    "date",
    "weekday",
    "time",
    "end",
    "chair_min",
    "patient",
    "name",
    "kind",
    "event",
    "cycle",
    "dose",
    "route",
    "prep_min",
    "given_min",
    "observation_min",
    "chairs_in_use",
    "chairs",
    "over_capacity",
    "minutes",
    "books_chair",
    "checks_at_session",
)


# --- CSV ------------------------------------------------------------------------------------------


def render_csv(
    sessions: Iterable[Session], overloads: Sequence[Overload], days: Iterable[DaySummary]
) -> bytes:
    """One row per session, by date, time and patient. Cells a spreadsheet would run as a formula
    (patient ids and names come from input) are neutralised by `render_rows`. `days` (from
    `check_capacity`) gives the chairs column; a day without a chair count leaves it blank."""
    sessions = ordered(sessions)
    chairs = {d.date: d.chairs for d in days}
    in_use = in_use_at_start(sessions)
    over = over_capacity(sessions, overloads)
    return render_rows(CSV_COLUMNS, (_row(s, in_use, chairs, over) for s in sessions))


def _row(
    s: Session, in_use: dict[Session, int], chairs: dict[dt.date, int | None], over: set[Session]
) -> tuple[object, ...]:
    dose_parts: tuple[object, ...] = (
        ("", "", "") if s.kind in LISTED_KINDS else (s.prep_min, s.given_min, s.observation_min)
    )
    return (
        s.date.isoformat(),
        WEEKDAY[s.date.weekday()],
        s.time,
        end_text(s),
        s.duration_min if s.chair else 0,
        s.patient,
        s.name or "",
        s.kind,
        s.event,
        s.cycle,
        s.dose,
        s.route,
        *dose_parts,
        in_use.get(s, ""),
        "" if chairs.get(s.date) is None else chairs[s.date],
        "yes" if s in over else "",
        s.duration_min,
        "yes" if s.chair else "no",
        at_session_text(s),
    )


def csv_chunks(days: Iterable[AgendaDay]) -> Iterator[bytes]:
    """The same CSV as `render_csv`, written a day at a time from `agenda.stream_days` (an agenda
    of any length, read from a workspace or a batch's spool)."""
    yield csv_header()
    for day in days:
        yield csv_day(day)


def csv_header() -> bytes:
    """The agenda CSV's header line."""
    return render_rows(CSV_COLUMNS, ())


def csv_day(day: AgendaDay) -> bytes:
    """One day's lines of the agenda CSV (`csv_chunks`)."""
    chairs = {day.summary.date: day.summary.chairs}
    over = set(day.over)
    return render_lines(_row(s, day.in_use, chairs, over) for s in day.sessions)
