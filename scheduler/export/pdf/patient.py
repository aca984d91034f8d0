"""The patient calendar: a cover page, then one month grid per month the plan covers.

Made for the fridge and for people who are unwell or see poorly: landscape pages, 12 pt text or
larger, black on white, every kind of event marked by a shape *and* words (never colour alone).
Only what the patient needs: first name, dates, times, doses, the clinic's name and phone, and
the safety rules' plain-language messages. No record number, no staff wording.

Drawn on a ReportLab canvas (not platypus): a month page is a fixed grid, and the canvas module
imports in a third of platypus's time.
"""

from __future__ import annotations

import calendar as cal_module
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ...labels import EDITED_PATIENT, site_name
from ...models import Paper
from ...plan import Plan
from .common import (
    DAYS,
    DISCLAIMER,
    MONTHS,
    document_info,
    landscape_size,
    long_date,
)

__all__ = ["LayoutError", "month_pages", "render"]

FONT, BOLD = "Helvetica", "Helvetica-Bold"
BODY = 12.0  # the smallest text anywhere on the page
MARGIN = 24.0
FOOTER_H = 18.0
TITLE_H = 30.0
WEEKDAY_H = 18.0
PAD = 3.0
MIN_LEADING = 12.5  # 12 pt text never gets less line spacing than this
SYMBOL = 8.0  # side of a symbol, drawn as a shape
GAP = 4.0  # between symbol and text


class LayoutError(RuntimeError):
    """A cell's text does not fit its box: a bug in the layout, never silently cropped."""


@dataclass
class Line:
    text: str
    symbol: str | None = None  # "it", "it-tentative", "rt", "med" or None (continuation line)
    bold: bool = False


@dataclass
class Day:
    lines: list[Line] = field(default_factory=list)


def _compact(day: Day) -> Day:
    """A day too full for its row (an IT dose, an RT fraction and two different tablet doses in a
    six-week month): the tablets' name line goes, and their triangle marks the first dose line
    instead (the legend says what the triangle is)."""
    lines = day.lines
    at = next((i for i, line in enumerate(lines) if line.symbol == "med"), None)
    if at is None or at + 1 >= len(lines) or lines[at + 1].symbol is not None:
        return day
    first_dose = lines[at + 1]
    return Day(lines=[*lines[:at], Line(first_dose.text, "med", first_dose.bold), *lines[at + 2 :]])


def _first_name(plan: Plan) -> str | None:
    name = (plan.patient.name or "").strip()
    return name.split()[0] if name else None


def _med_doses(plan: Plan) -> dict[dt.date, dict[str, float]]:
    """Memantine per day: {'AM': mg, 'PM': mg}, expanded from the repeating step events."""
    days: dict[dt.date, dict[str, float]] = {}
    for e in plan.events:
        if e.kind != "medication" or e.dose_mg is None:
            continue
        when = "AM" if e.phase.endswith("morning") else "PM"
        for i in range(e.repeat_days):
            days.setdefault(e.date + dt.timedelta(days=i), {})[when] = float(e.dose_mg)
    return days


def _mg(value: float) -> str:
    return f"{value:g} mg"


def _day_lines(plan: Plan) -> dict[dt.date, Day]:
    days: dict[dt.date, Day] = {}
    for e in plan.events:
        if e.kind == "it-dose":
            symbol = "it-tentative" if e.status == "tentative" else "it"
            days.setdefault(e.date, Day()).lines.append(Line(f"IT {_mg(e.dose_mg or 0)} {e.time}", symbol))
        elif e.kind == "rt-fraction":
            days.setdefault(e.date, Day()).lines.append(Line(f"RT {e.number}/{e.of}", "rt"))
    for day, doses in sorted(_med_doses(plan).items()):
        lines = days.setdefault(day, Day()).lines
        am, pm = doses.get("AM"), doses.get("PM")
        lines.append(Line(_drug_name(plan), "med"))
        if am is not None and pm is not None and am == pm:
            lines.append(Line(f"{_mg(am)} AM + PM"))
        else:
            lines += [Line(f"{_mg(v)} {k}") for k, v in (("AM", am), ("PM", pm)) if v is not None]
    return days


def _drug_name(plan: Plan) -> str:
    drugs = sorted({(e.drug or "").capitalize() for e in plan.events if e.kind == "medication"})
    return drugs[0] if len(drugs) == 1 else "Tablets"


def _months(plan: Plan) -> list[tuple[int, int]]:
    """Every (year, month) from the first event to the last day of treatment, none skipped."""
    if not plan.events:
        return []
    first = min(e.date for e in plan.events)
    last = max(e.date + dt.timedelta(days=e.repeat_days - 1) for e in plan.events)
    months, (y, m) = [], (first.year, first.month)
    while (y, m) <= (last.year, last.month):
        months.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


def month_pages(plan: Plan) -> list[tuple[int, int]]:
    """The months that get a page, in order (the cover page comes first)."""
    return _months(plan)


# --- drawing -------------------------------------------------------------------------------------


def _symbol(c: Any, kind: str, x: float, y: float, size: float = SYMBOL) -> None:
    """Shapes that survive photocopying: filled circle (IT), hollow circle (IT to be confirmed),
    filled square (radiotherapy), filled triangle (tablets). (x, y) is the text baseline."""
    cy = y + size * 0.4
    if kind == "it":
        c.circle(x + size / 2, cy, size / 2, stroke=1, fill=1)
    elif kind == "it-tentative":
        c.setLineWidth(1.2)
        c.circle(x + size / 2, cy, size / 2 - 0.6, stroke=1, fill=0)
        c.setLineWidth(0.75)
    elif kind == "rt":
        c.rect(x, cy - size / 2, size, size, stroke=1, fill=1)
    elif kind == "med":
        path = c.beginPath()
        path.moveTo(x, cy - size / 2)
        path.lineTo(x + size, cy - size / 2)
        path.lineTo(x + size / 2, cy + size / 2)
        path.close()
        c.drawPath(path, stroke=1, fill=1)


def _fits(c: Any, text: str, font: str, size: float, width: float) -> bool:
    return bool(c.stringWidth(text, font, size) <= width + 0.01)


def _footer(c: Any, plan: Plan, page: int, pages: int, width: float) -> None:
    c.setFont(FONT, BODY)
    c.drawString(MARGIN, MARGIN - 6, DISCLAIMER)
    c.drawRightString(width - MARGIN, MARGIN - 6, f"Page {page} of {pages}")


def _wrap(c: Any, text: str, font: str, size: float, width: float) -> list[str]:
    from reportlab.lib.utils import simpleSplit

    return list(simpleSplit(text, font, size, width)) or [""]


def _paragraph(
    c: Any, text: str, x: float, y: float, width: float, size: float = BODY, font: str = FONT
) -> float:
    """Wrapped text from the top line's baseline y; returns the baseline after the last line."""
    leading = size * 1.25
    c.setFont(font, size)
    for line in _wrap(c, text, font, size, width):
        c.drawString(x, y, line)
        y -= leading
    return y


def _legend_rows(plan: Plan) -> list[tuple[str, str]]:
    rows = []
    its = [e for e in plan.events if e.kind == "it-dose"]
    if its:
        drug = its[0].drug or "treatment"
        doses = sorted({float(e.dose_mg or 0) for e in its})
        dose = _mg(doses[0]) if len(doses) == 1 else f"{doses[0]:g} to {doses[-1]:g} mg (see each day)"
        where = (
            "into your Ommaya reservoir"
            if its[0].route == "ommaya"
            else "by lumbar puncture (a needle in the lower back)"
        )
        rows.append(
            (
                "it",
                f"IT = intrathecal treatment: {drug} {dose}, given {where} at the clinic. "
                f"The time is on each day. It takes about {its[0].duration_min} minutes.",
            )
        )
        if any(e.status == "tentative" for e in its):
            rows.append(
                (
                    "it-tentative",
                    "A hollow circle is a planned date your team will confirm: these treatments "
                    "continue while they help you.",
                )
            )
    rts = [e for e in plan.events if e.kind == "rt-fraction"]
    if rts:
        rows.append(
            (
                "rt",
                f"RT = radiotherapy ({site_name(rts[0])}) at {rts[0].time}: {len(rts)} sessions. "
                f"RT 3/{len(rts)} is the 3rd of {len(rts)}.",
            )
        )
    meds = [e for e in plan.events if e.kind == "medication"]
    if meds:
        am = next((e.time for e in meds if e.phase.endswith("morning")), "08:00")
        pm = next((e.time for e in meds if e.phase.endswith("evening")), "20:00")
        rows.append(
            (
                "med",
                f"{_drug_name(plan)} tablets by mouth at home: AM = morning ({am}), "
                f"PM = evening ({pm}). The dose goes up week by week; see the table.",
            )
        )
    return rows


def _titration(plan: Plan) -> list[tuple[str, str, str, str]]:
    """Rows of (weeks, dates, morning, evening): consecutive days with the same doses."""
    doses = _med_doses(plan)
    if not doses:
        return []
    days = sorted(doses)
    rows: list[tuple[str, str, str, str]] = []
    group: list[dt.date] = []
    for day in days:
        if group and (doses[day] != doses[group[0]] or day != group[-1] + dt.timedelta(1)):
            rows.append(_titration_row(days[0], group, doses[group[0]]))
            group = []
        group.append(day)
    rows.append(_titration_row(days[0], group, doses[group[0]]))
    return rows


def _titration_row(
    first: dt.date, group: Sequence[dt.date], dose: dict[str, float]
) -> tuple[str, str, str, str]:
    w1 = (group[0] - first).days // 7 + 1
    w2 = (group[-1] - first).days // 7 + 1
    weeks = f"Week {w1}" if w1 == w2 else f"Weeks {w1}-{w2}"
    dates = f"{_short(group[0])} to {_short(group[-1])}"
    return (
        weeks,
        dates,
        _mg(dose["AM"]) if "AM" in dose else "none",
        _mg(dose["PM"]) if "PM" in dose else "none",
    )


def _short(day: dt.date) -> str:
    return f"{DAYS[day.weekday()][:3]} {day.day} {MONTHS[day.month - 1][:3]} {day.year}"


def _cover(c: Any, plan: Plan, width: float, height: float) -> None:
    name = _first_name(plan)
    x, right = MARGIN + 12, width - MARGIN - 12
    y = height - MARGIN - 26
    c.setFont(BOLD, 26)
    c.drawString(x, y, f"Treatment calendar for {name}" if name else "Your treatment calendar")
    y -= 30
    its = [e for e in plan.events if e.kind == "it-dose"]
    rts = [e for e in plan.events if e.kind == "rt-fraction"]
    meds = [e for e in plan.events if e.kind == "medication"]
    facts = []
    if rts:
        facts.append(f"Radiotherapy starts {long_date(rts[0].date)} at {rts[0].time}.")
    if its:
        facts.append(f"First intrathecal treatment: {long_date(its[0].date)} at {its[0].time}.")
    if meds:
        facts.append(f"{_drug_name(plan)} tablets start {long_date(min(e.date for e in meds))}.")
    if not plan.events:
        facts.append("No treatment visits are planned in this calendar.")
    for fact in facts:
        y = _paragraph(c, fact, x, y, right - x, size=16, font=BOLD)
    y -= 8
    legend = _legend_rows(plan)
    if legend:
        c.setFont(BOLD, 14)
        c.drawString(x, y, "What the signs on the calendar mean")
        y -= 20
    for kind, text in legend:
        c.setLineWidth(0.75)
        _symbol(c, kind, x, y, size=11)
        y = _paragraph(c, text, x + 20, y, right - x - 20) - 4
    rows = _titration(plan)
    if rows:
        y -= 6
        c.setFont(BOLD, 14)
        c.drawString(x, y, f"{_drug_name(plan)} tablets, week by week")
        y -= 20
        cols = [x, x + 110, x + 390, x + 510]
        c.setFont(BOLD, BODY)
        for col, head in zip(cols, ("Weeks", "Dates", "Morning", "Evening"), strict=True):
            c.drawString(col, y, head)
        c.setLineWidth(0.75)
        c.line(x, y - 4, x + 620, y - 4)
        y -= 18
        c.setFont(FONT, BODY)
        for row in rows:
            for col, cell in zip(cols, row, strict=True):
                c.drawString(col, y, cell)
            y -= 16
    messages = list(dict.fromkeys(f.patient_message for f in plan.findings))
    # Visits a revision moved: said in the care team's name, never with the revision's reason
    # (free text for staff, which may hold a record number or a diagnosis). Moves the clinic
    # calendar made when the plan was made (closures, holidays) need no word: the grid shows the day.
    moved = [e for e in plan.events if e.shifted_from and e.sequence > 0 and e.status != "cancelled"]
    if moved:
        visits = "1 visit was" if len(moved) == 1 else f"{len(moved)} visits were"
        messages.insert(0, f"{visits} moved by your care team; this calendar shows the new dates.")
    if plan.revision:
        messages.insert(0, f"This is update {plan.revision} of your calendar: it replaces any earlier one.")
    if plan.edited:
        messages.insert(0, EDITED_PATIENT)
    if messages:
        y -= 6
        c.setFont(BOLD, 14)
        c.drawString(x, y, "Please note")
        y -= 20
        for message in messages:
            y = _paragraph(c, message, x, y, right - x) - 2
    clinic = plan.inputs.clinic
    y -= 6
    contact = [p for p in (clinic.name, clinic.location.replace("\n", ", ") if clinic.location else "") if p]
    if clinic.phone:
        contact.append(f"Phone: {clinic.phone}")
    if contact:
        c.setFont(BOLD, 14)
        c.drawString(x, y, "Your clinic")
        y -= 20
        for item in contact:
            y = _paragraph(c, item, x, y, right - x)
    if y < MARGIN + FOOTER_H:
        raise LayoutError(f"the cover page runs {MARGIN + FOOTER_H - y:.0f} pt past its bottom margin")


def _month(
    c: Any, plan: Plan, year: int, month: int, days: dict[dt.date, Day], width: float, height: float
) -> None:
    name = _first_name(plan)
    title = f"{MONTHS[month - 1]} {year}"
    c.setFont(BOLD, 22)
    c.drawString(MARGIN, height - MARGIN - 20, title)
    if name:
        c.setFont(FONT, 14)
        c.drawRightString(width - MARGIN, height - MARGIN - 20, f"Treatment calendar for {name}")
    weeks = cal_module.Calendar(firstweekday=0).monthdatescalendar(year, month)
    grid_top = height - MARGIN - TITLE_H
    grid_bottom = MARGIN + FOOTER_H
    col_w = (width - 2 * MARGIN) / 7
    row_h = (grid_top - WEEKDAY_H - grid_bottom) / len(weeks)
    c.setLineWidth(0.75)
    c.setFont(BOLD, BODY)
    for i, day_name in enumerate(DAYS):
        c.drawCentredString(MARGIN + col_w * (i + 0.5), grid_top - WEEKDAY_H + 5, day_name)
    # how tight the lines must be this month (never below 12 pt text with 12.5 pt leading)
    fits = int((row_h - 2 * PAD) // MIN_LEADING)
    days = {d: _compact(day) if 1 + len(day.lines) > fits else day for d, day in days.items()}
    needed = max(
        (1 + len(days[d].lines) for w in weeks for d in w if d.month == month and d in days), default=1
    )
    leading = min(14.0, (row_h - 2 * PAD) / needed)
    if leading < MIN_LEADING:
        raise LayoutError(f"{title}: {needed} lines do not fit a {row_h:.0f} pt row")
    text_w = col_w - 2 * PAD
    for r, week in enumerate(weeks):
        top = grid_top - WEEKDAY_H - r * row_h
        for col, day in enumerate(week):
            left = MARGIN + col * col_w
            c.rect(left, top - row_h, col_w, row_h, stroke=1, fill=0)
            if day.month != month:
                continue
            y = top - PAD - BODY * 0.85
            c.setFont(BOLD, BODY + 2)
            c.drawString(left + PAD, y, str(day.day))
            for line in days.get(day, Day()).lines:
                y -= leading
                indent = SYMBOL + GAP
                if line.symbol:
                    _symbol(c, line.symbol, left + PAD, y)
                font = BOLD if line.bold else FONT
                if not _fits(c, line.text, font, BODY, text_w - indent):
                    raise LayoutError(f"{day}: '{line.text}' is wider than its cell")
                c.setFont(font, BODY)
                c.drawString(left + PAD + indent, y, line.text)


def render(plan: Plan, paper: Paper = "letter") -> bytes:
    """The patient calendar as PDF bytes (same plan, same bytes). Cancelled events are left out."""
    from reportlab.pdfgen.canvas import Canvas

    plan = plan.model_copy(update={"events": tuple(e for e in plan.events if e.status != "cancelled")})
    width, height = landscape_size(paper)
    buffer = io.BytesIO()
    info = document_info(
        plan,
        title="Treatment calendar",
        subject="Treatment calendar (a scheduling aid: verify against the signed order)",
    )
    c = Canvas(buffer, pagesize=(width, height), invariant=info["invariant"], pageCompression=1)
    c.setTitle(info["title"])
    c.setAuthor(info["author"])
    c.setSubject(info["subject"])
    c.setCreator(info["creator"])
    c.setProducer(info["producer"])
    c.setKeywords(" ".join(info["keywords"]))
    months = _months(plan)
    pages = 1 + len(months)
    c.setLineWidth(0.75)
    _cover(c, plan, width, height)
    _footer(c, plan, 1, pages, width)
    c.showPage()
    days = _day_lines(plan)
    for n, (year, month) in enumerate(months, start=2):
        c.setLineWidth(0.75)
        _month(c, plan, year, month, days, width, height)
        _footer(c, plan, n, pages, width)
        c.showPage()
    c.save()
    return buffer.getvalue()
