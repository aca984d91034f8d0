"""One row per event, for spreadsheets. Cells that a spreadsheet would run as a formula are
neutralised with a leading apostrophe (OWASP CSV injection guidance).

A plan with systemic therapy (infusion or tablet events) has `SYSTEMIC_COLUMNS` after the
others: the cycle and cycle day, the dose basis and calculation, the tablets to take. They come
last so that a reader that takes columns by position keeps working, and only for such plans, so
that every plan without systemic therapy gives the same bytes as before they existed.

A plan with checks (kind "check": a blood count, CSF cytology, an MRI, an LVEF scan) has
`CHECK_COLUMNS` after those, in the same way and for the same reasons: what is checked, its
kind, where (clinic or external), what it guards ("before IT dose 5 of 18") and the staff detail
(the CSF sample volume). The interval's evidence is in the notes ("interval: local
convention")."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from ..labels import EDITED_STAFF
from ..plan import Event, Plan

__all__ = ["CHECK_COLUMNS", "COLUMNS", "SYSTEMIC_COLUMNS", "neutralise", "render", "render_rows"]

COLUMNS = (
    "date",
    "time",
    "kind",
    "drug",
    "dose_mg",
    "route",
    "formulation",
    "phase",
    "status",
    "sequence",
    "shifted_from",
    "uid",
    "notes",
)
SYSTEMIC_COLUMNS = ("cycle", "cycle_day", "dose_basis", "dose_calc", "tablets")
CHECK_COLUMNS = ("check", "check_kind", "where", "guard_label", "detail")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: object) -> str:
    text = "" if cell is None else str(cell)
    return "'" + text if text.startswith(_FORMULA_START) else text


def render_rows(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """A CSV: the header line, then `rows` (`render_lines`)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(header)
    return buffer.getvalue().encode("utf-8") + render_lines(rows)


def render_lines(rows: Iterable[Sequence[object]]) -> bytes:
    """CSV lines without a header, each cell neutralised: a CSV written a part at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow([neutralise(c) for c in row])
    return buffer.getvalue().encode("utf-8")


def _notes(event: Event, concerns: dict[str, list[str]]) -> str:
    if event.kind == "rt-fraction":
        lead = f"fraction {event.number} of {event.of}, {event.dose_gy:g} Gy"
    elif event.kind == "it-dose":
        lead = f"dose {event.number} of {event.of}"
    elif event.kind == "infusion":
        lead = f"cycle {event.cycle} day {event.cycle_day}, {event.duration_min} min infusion"
    elif event.kind == "check":
        length = f"{event.duration_min} min" if event.duration_min else "taken at the session it guards"
        lead = f"check {event.number} of {event.of}, {length}"
    else:
        lead = f"daily for {event.repeat_days} days"
    return "; ".join((lead, *event.notes, *concerns.get(event.uid, ())))


def _systemic_cells(event: Event) -> tuple[str, ...]:
    return (
        "" if event.cycle is None else str(event.cycle),
        "" if event.cycle_day is None else str(event.cycle_day),
        event.dose_basis or "",
        event.dose_calc or "",
        event.tablets or "",
    )


def _check_cells(event: Event) -> tuple[str, ...]:
    return (
        event.check or "",
        event.check_kind or "",
        event.where or "",
        event.guard_label or "",
        event.detail or "",
    )


def findings_by_event(plan: Plan) -> dict[str, list[str]]:
    """For each event, the findings that concern it and any override that lifted one."""
    overrides = {o.rule: o for o in plan.overrides}
    concerns: dict[str, list[str]] = {}
    for f in plan.findings:
        text = f"{f.severity} {f.rule}"
        if f.overridden and f.rule in overrides:
            o = overrides[f.rule]
            text += f" (overridden{' by ' + o.by if o.by else ''}: {o.reason})"
        for uid in f.event_uids:
            concerns.setdefault(uid, []).append(text)
    return concerns


def render(plan: Plan) -> bytes:
    concerns = findings_by_event(plan)
    if plan.edited:
        for e in plan.events:
            concerns.setdefault(e.uid, []).insert(0, EDITED_STAFF)
    systemic = any(e.kind in ("infusion", "tablet") for e in plan.events)
    checks = any(e.kind == "check" for e in plan.events)
    return render_rows(
        (*COLUMNS, *(SYSTEMIC_COLUMNS if systemic else ()), *(CHECK_COLUMNS if checks else ())),
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
                e.status,
                e.sequence,
                e.shifted_from.isoformat() if e.shifted_from else "",
                e.uid,
                _notes(e, concerns),
                *(_systemic_cells(e) if systemic else ()),
                *(_check_cells(e) if checks else ()),
            )
            for e in plan.events
        ),
    )
