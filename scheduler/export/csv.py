"""One row per event, for spreadsheets. Cells that a spreadsheet would run as a formula are
neutralised with a leading apostrophe (OWASP CSV injection guidance)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from ..plan import Event, Plan

__all__ = ["COLUMNS", "neutralise", "render", "render_rows"]

COLUMNS = (
    "date",
    "time",
    "kind",
    "drug",
    "dose_mg",
    "route",
    "formulation",
    "phase",
    "sequence",
    "shifted_from",
    "notes",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: object) -> str:
    text = "" if cell is None else str(cell)
    return "'" + text if text.startswith(_FORMULA_START) else text


def render_rows(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise(c) for c in row])
    return buffer.getvalue().encode("utf-8")


def _notes(event: Event) -> str:
    if event.kind == "rt-fraction":
        lead = f"fraction {event.number} of {event.of}, {event.dose_gy:g} Gy"
    elif event.kind == "it-dose":
        lead = f"dose {event.number} of {event.of}"
    else:
        lead = f"daily for {event.repeat_days} days"
    return "; ".join((lead, *event.notes))


def render(plan: Plan) -> bytes:
    return render_rows(
        COLUMNS,
        (
            (
                e.date.isoformat(),
                e.time,
                e.kind,
                e.drug or "",
                "" if e.dose_mg is None else f"{e.dose_mg:g}",
                e.route or "",
                e.formulation or "",
                e.phase,
                e.sequence,
                e.shifted_from.isoformat() if e.shifted_from else "",
                _notes(e),
            )
            for e in plan.events
        ),
    )
