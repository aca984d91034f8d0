"""The infusion centre's agenda as a spreadsheet (the printed agenda is `export.pdf.agenda`).

A pure function of the sessions and the capacity check (`scheduler.agenda`): the same inputs give
the same bytes, whatever order the batch's workers reported the sessions in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..agenda import DaySummary, Overload, Session, end_text, in_use_at_start, ordered, over_capacity
from ..labels import WEEKDAY
from .csv import render_rows

__all__ = ["CSV_COLUMNS", "render_csv"]

CSV_COLUMNS = (
    "date",
    "weekday",
    "time",
    "end",
    "patient",
    "name",
    "event",
    "dose",
    "route",
    "chairs_in_use",
    "chairs",
    "over_capacity",
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
    return render_rows(
        CSV_COLUMNS,
        (
            (
                s.date.isoformat(),
                WEEKDAY[s.date.weekday()],
                s.time,
                end_text(s),
                s.patient,
                s.name or "",
                s.event,
                s.dose,
                s.route,
                in_use[s],
                "" if chairs.get(s.date) is None else chairs[s.date],
                "yes" if s in over else "",
            )
            for s in sessions
        ),
    )
