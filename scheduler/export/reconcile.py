"""A reconciliation report as terminal lines, CSV or JSON: pure renderers, byte-identical for the
same report. The sentences (wrong dose, late, unplanned ...) come from the core's issues, so every
output says the same thing."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..labels import cycle_text
from ..plan import Event
from ..reconcile import Administration, Report, ReportRow, mg_text
from .csv import render_rows

__all__ = ["CSV_COLUMNS", "outcome_text", "render_csv", "render_json", "render_lines"]

CSV_COLUMNS = (
    "planned_date",
    "number",
    "drug",
    "planned_mg",
    "planned_route",
    "outcome",
    "issues",
    "days_off",
    "given_date",
    "given_time",
    "given_mg",
    "given_route",
    "lot",
    "initials",
    "line",
    "uid",
)
_HEADER = ("planned", "dose", "drug", "mg", "route", "record", "outcome")


def _given_text(admin: Administration) -> str:
    when = f"{admin.date} {admin.time}" if admin.time else f"{admin.date}"
    return f"given {when}, {mg_text(admin.dose_mg)} mg, {admin.route}"


def outcome_text(row: ReportRow) -> str:
    """'given', 'due', 'missed', 'late 1 day (given 2026-12-09)', 'wrong dose: ...; late ...',
    'unplanned: given 2026-12-09, 15 mg, lumbar; no planned dose of cytarabine'."""
    if row.outcome == "unplanned":
        assert row.given is not None
        return f"unplanned: {_given_text(row.given)}; {'; '.join(i.text for i in row.issues)}"
    if row.issues:
        return "; ".join(i.text for i in row.issues)
    return row.outcome


def _dose_text(event: Event | None) -> str:
    """Which dose: '3/18' for an IT dose, 'C2 D1' for an infusion (its course also numbers its
    tablets, so a count would mislead)."""
    if event is None:
        return "-"
    return cycle_text(event) or f"{event.number}/{event.of}"


def _record(admin: Administration | None) -> str:
    """Where the administration is in the file and who gave it: 'line 4, lot A12, JS'."""
    if admin is None:
        return ""
    parts = [f"line {admin.line}"]
    if admin.lot:
        parts.append(f"lot {admin.lot}")
    if admin.initials:
        parts.append(admin.initials)
    return ", ".join(parts)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "") -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    return [
        indent + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in (header, ["-" * w for w in widths], *rows)
    ]


def render_lines(report: Report) -> list[str]:
    """The report as a plain-text table: a header line, one line per row, totals per drug, and a
    last line saying how many discrepancies there are (or that all doses match)."""
    lines = [
        f"Reconciliation against plan revision {report.revision} "
        f"({report.fingerprint[:19] or 'no fingerprint'}) as of {report.as_of}; "
        f"window {_plural(report.window, 'day')}"
    ]
    rows = []
    for row in report.rows:
        event = row.planned
        rows.append(
            (
                event.date.isoformat() if event else "-",
                _dose_text(event),
                row.drug,
                mg_text(event.dose_mg) if event else "-",
                (event.route or "") if event else "-",
                _record(row.given),
                outcome_text(row),
            )
        )
    lines += _table(_HEADER, rows)
    lines += ["", f"Totals (mg; planned to {report.as_of} inclusive):"]
    lines += _table(
        ("drug", "planned to date", "whole plan", "given", "given - planned"),
        [
            (
                t.drug,
                mg_text(t.planned_due_mg),
                mg_text(t.planned_total_mg),
                mg_text(t.given_mg),
                f"{'+' if t.difference_mg > 0 else ''}{mg_text(t.difference_mg)}",
            )
            for t in report.totals
        ],
        indent="  ",
    )
    n = report.discrepancies
    lines.append("all doses match" if n == 0 else "1 discrepancy" if n == 1 else f"{n} discrepancies")
    return lines


def render_csv(report: Report) -> bytes:
    """One row per report row; cells a spreadsheet would run as a formula are neutralised."""
    return render_rows(CSV_COLUMNS, (_csv_row(row) for row in report.rows))


def _csv_row(row: ReportRow) -> tuple[object, ...]:
    event, admin = row.planned, row.given
    return (
        event.date.isoformat() if event else "",
        event.number if event else "",
        row.drug,
        mg_text(event.dose_mg) if event else "",
        (event.route or "") if event else "",
        row.outcome,
        "; ".join(i.text for i in row.issues),
        "" if row.days_off is None else row.days_off,
        admin.date.isoformat() if admin else "",
        (admin.time or "") if admin else "",
        mg_text(admin.dose_mg) if admin else "",
        admin.route if admin else "",
        (admin.lot or "") if admin else "",
        (admin.initials or "") if admin else "",
        admin.line if admin else "",
        event.uid if event else "",
    )


def _number(value: float | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() and abs(value) < 1e15 else float(value)


def _json_row(row: ReportRow) -> dict[str, Any]:
    event, admin = row.planned, row.given
    return {
        "outcome": row.outcome,
        "text": outcome_text(row),
        "issues": [{"code": i.code, "text": i.text} for i in row.issues],
        "days_off": row.days_off,
        "planned": None
        if event is None
        else {
            "uid": event.uid,
            "date": event.date.isoformat(),
            "time": event.time,
            "number": event.number,
            "of": event.of,
            "phase": event.phase,
            "status": event.status,
            "drug": event.drug,
            "dose_mg": _number(event.dose_mg),
            "route": event.route,
            "formulation": event.formulation,
            **({"cycle": event.cycle, "cycle_day": event.cycle_day} if event.cycle is not None else {}),
        },
        "given": None
        if admin is None
        else {
            "line": admin.line,
            "date": admin.date.isoformat(),
            "time": admin.time,
            "drug": admin.drug,
            "drug_text": admin.drug_text,
            "dose_mg": _number(admin.dose_mg),
            "route": admin.route,
            "lot": admin.lot,
            "initials": admin.initials,
        },
    }


def render_json(report: Report) -> bytes:
    """Everything in the report, keys sorted, indent 2, with a trailing newline."""
    doc = {
        "plan": {"fingerprint": report.fingerprint, "revision": report.revision},
        "as_of": report.as_of.isoformat(),
        "window": report.window,
        "discrepancies": report.discrepancies,
        "matches": report.matches,
        "rows": [_json_row(row) for row in report.rows],
        "totals": [
            {
                "drug": t.drug,
                "planned_due_mg": _number(t.planned_due_mg),
                "planned_total_mg": _number(t.planned_total_mg),
                "given_mg": _number(t.given_mg),
                "given_minus_planned_due_mg": _number(t.difference_mg),
            }
            for t in report.totals
        ],
    }
    return (json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
