"""The infusion centre's agenda as a spreadsheet (the printed agenda is `export.pdf.agenda`).

A pure function of the sessions and the capacity check (`scheduler.agenda`): the same inputs give
the same bytes, whatever order the batch's workers reported the sessions in.

`time` to `end` is the whole chair time (`chair_min` minutes): for an infusion that is the clinic's
`prep_min`, the infusion (`given_min`) and `observation_min`; for an IT session its duration.
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
                s.duration_min,
                s.patient,
                s.name or "",
                s.kind,
                s.event,
                s.cycle,
                s.dose,
                s.route,
                s.prep_min,
                s.given_min,
                s.observation_min,
                in_use[s],
                "" if chairs.get(s.date) is None else chairs[s.date],
                "yes" if s in over else "",
            )
            for s in sessions
        ),
    )
