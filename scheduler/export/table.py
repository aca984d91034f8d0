"""The plan as a terminal table: a pure line generator, so tests and --quiet need no terminal."""

from __future__ import annotations

from collections.abc import Iterator

from ..labels import WEEKDAY, dose_text, event_label, route_words
from ..plan import Plan

__all__ = ["DISCLAIMER", "render_lines"]

DISCLAIMER = "Generated schedule: verify against the signed order before use."
HEADER = ("date", "day", "time", "event", "phase", "dose", "route", "notes")


def _summary(plan: Plan) -> Iterator[str]:
    req = plan.inputs
    who = plan.patient.name or plan.patient.id or "patient"
    born = f"born {plan.patient.dob}, " if plan.patient.dob else ""
    age = f"{born}age {(plan.inputs.age or plan.patient.age_at_start).describe()} at start"
    yield f"lmsched plan for {who} ({age}); starts {req.start}; route {req.route}"
    for ref in plan.templates:
        sources = ", ".join(ref.sources)
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


def render_lines(plan: Plan) -> Iterator[str]:
    yield from _summary(plan)
    yield ""
    rows = [
        (
            e.date.isoformat(),
            WEEKDAY[e.date.weekday()],
            e.time,
            event_label(e),
            e.phase,
            dose_text(e),
            route_words(e.route),
            "; ".join(("CANCELLED", *e.notes) if e.status == "cancelled" else e.notes),
        )
        for e in plan.events
    ]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(HEADER)]
    for row in (HEADER, tuple("-" * w for w in widths), *rows):
        yield "  ".join(c.ljust(w) for c, w in zip(row[:-1], widths, strict=False)) + "  " + row[-1]
    yield ""
    cancelled = sum(e.status == "cancelled" for e in plan.events)
    count = f"{len(plan.events)} events" + (f" ({cancelled} cancelled)" if cancelled else "")
    yield f"{count}. {DISCLAIMER}"
