"""The plan as a terminal table: a pure line generator, so tests and --quiet need no terminal.

A plan with systemic therapy has `SYSTEMIC_HEADER` columns before the notes (which stay last,
unpadded): the cycle and day ("C3 D1"), the tablets to take, the dose basis and the calculation,
each only when some event has one (no tablets column for an infusion-only course). A plan
without systemic therapy prints exactly as before."""

from __future__ import annotations

from collections.abc import Iterator

from ..labels import WEEKDAY, cycle_text, dose_text, event_label, route_words
from ..plan import Event, Plan

__all__ = ["DISCLAIMER", "HEADER", "SYSTEMIC_HEADER", "render_lines"]

DISCLAIMER = "Generated schedule: verify against the signed order before use."
HEADER = ("date", "day", "time", "event", "phase", "dose", "route", "notes")
SYSTEMIC_HEADER = ("cycle", "tablets", "basis", "calculation")


def _summary(plan: Plan) -> Iterator[str]:
    req = plan.inputs
    who = plan.patient.name or plan.patient.id or "patient"
    born = f"born {plan.patient.dob}, " if plan.patient.dob else ""
    age = f"{born}age {(plan.inputs.age or plan.patient.age_at_start).describe()} at start"
    yield f"lmsched plan for {who} ({age}); starts {req.start}; route {req.route}"
    for ref in plan.templates:
        sources = ", ".join(ref.sources) or "no source: local convention"
        yield (
            f"  {ref.kind:<12} {ref.id} {ref.version}  evidence: {ref.evidence}  "
            f"status: {ref.status}  [{sources}]"
        )
    clinic = req.clinic
    holidays = (
        f"{clinic.country}{'-' + clinic.subdiv if clinic.subdiv else ''} public holidays"
        if clinic.country
        else "no public holidays"
    )
    yield (
        f"  calendar: open {','.join(clinic.open_days)}; {holidays}; {len(clinic.closed)} extra closure(s); "
        f"shift {clinic.shift}; times in {clinic.tz}"
    )
    for note in plan.notes:
        yield f"  note: {note}"


def _systemic_cells(event: Event) -> tuple[str, str, str, str]:
    """Blank for IT, RT and memantine rows: their dose basis is the age band that caps an IT
    dose, which the `basis` column of a systemic dose would misname."""
    if event.kind not in ("infusion", "tablet"):
        return ("", "", "", "")
    return (cycle_text(event), event.tablets or "", event.dose_basis or "", event.dose_calc or "")


def _notes(e: Event) -> tuple[str, ...]:
    """A check's row says what it guards, where it is done and its detail before its notes."""
    notes = e.notes
    if e.kind == "check":
        where = "external" if e.where == "external" else ""
        notes = tuple(n for n in (e.guard_label, where, e.detail) if n) + notes
    return ("CANCELLED", *notes) if e.status == "cancelled" else notes


def render_lines(plan: Plan) -> Iterator[str]:
    yield from _summary(plan)
    yield ""
    cells = [_systemic_cells(e) for e in plan.events]
    used = [i for i in range(len(SYSTEMIC_HEADER)) if any(c[i] for c in cells)]
    header = (*HEADER[:-1], *(SYSTEMIC_HEADER[i] for i in used), HEADER[-1])
    rows = [
        (
            e.date.isoformat(),
            WEEKDAY[e.date.weekday()],
            e.time,
            event_label(e),
            e.phase,
            dose_text(e),
            route_words(e.route),
            *(extra[i] for i in used),
            "; ".join(_notes(e)),
        )
        for e, extra in zip(plan.events, cells, strict=True)
    ]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    for row in (header, tuple("-" * w for w in widths), *rows):
        yield "  ".join(c.ljust(w) for c, w in zip(row[:-1], widths, strict=False)) + "  " + row[-1]
    yield ""
    cancelled = sum(e.status == "cancelled" for e in plan.events)
    count = f"{len(plan.events)} events" + (f" ({cancelled} cancelled)" if cancelled else "")
    yield f"{count}. {DISCLAIMER}"
