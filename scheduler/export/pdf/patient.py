"""The patient calendar: a cover page, then one month grid per month the plan covers.

Made for the fridge and for people who are unwell or see poorly: landscape pages, 12 pt text or
larger, black on white, every kind of event marked by a shape *and* words (never colour alone).
Only what the patient needs: first name, dates, times, doses, the clinic's name and phone, and
the safety rules' plain-language messages. No record number, no staff wording.

Drawn on a ReportLab canvas (not platypus): a month page is a fixed grid, and the canvas module
imports in a third of platypus's time.

Nothing is cropped, for any input up to the models' limits (name and clinic name 200 characters,
location 300, phone 60): text wraps, breaking a word only when it is wider than its line; the
cover's title shrinks from 26 to 18 pt before it wraps; the cover runs onto a second page when it
must; a week whose days need more lines gets a taller row. Nothing is ever smaller than 12 pt.
tests/export/test_pdf_layout.py reads the PDF back and checks every string against its page and
its cell.
"""

from __future__ import annotations

import calendar as cal_module
import datetime as dt
import io
from collections.abc import Callable, Sequence
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
    stamped,
    wrap,
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
    """A month's days need more lines than its page holds even with rows sized to them: a bug in
    the layout (the inputs' limits keep every plan well inside), never silently cropped."""


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


def _width(text: str, font: str, size: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth as width

    return float(width(text, font, size))


def _footer(c: Any, plan: Plan, page: int, pages: int, width: float) -> None:
    c.setFont(FONT, BODY)
    c.drawString(MARGIN, MARGIN - 6, DISCLAIMER)
    c.drawRightString(width - MARGIN, MARGIN - 6, f"Page {page} of {pages}")


class _Flow:
    """The cover's text laid out top to bottom onto as many pages as it needs (a 200-character
    clinic name and a 300-character address under a long legend overflow one page). Drawing waits
    in `pages` until the page count is known, for the footer's "Page X of Y"."""

    def __init__(self, top: float, bottom: float) -> None:
        self.top, self.bottom = top, bottom
        self.pages: list[list[Callable[[Any], None]]] = [[]]
        self.y = top  # the top of the space left on the current page

    def need(self, height: float) -> None:
        """A new page unless `height` points fit above the bottom margin (a page's first block
        always stays on it, so a block taller than a page cannot loop)."""
        if self.y - height < self.bottom - 0.01 and self.pages[-1]:
            self.pages.append([])
            self.y = self.top

    def skip(self, height: float) -> None:
        """Space between blocks, dropped at the top of a page."""
        if self.pages[-1]:
            self.y -= height

    def line(self, text: str, x: float, font: str, size: float, leading: float) -> float:
        """One line of text in a box `leading` tall; returns its baseline."""
        self.need(leading)
        baseline = self.y - leading + size * 0.25
        self.draw(_text(text, x, baseline, font, size))
        self.y -= leading
        return baseline

    def draw(self, op: Callable[[Any], None]) -> None:
        self.pages[-1].append(op)


def _text(text: str, x: float, y: float, font: str, size: float) -> Callable[[Any], None]:
    def op(c: Any) -> None:
        c.setFont(font, size)
        c.drawString(x, y, text)

    return op


def _paragraph(
    flow: _Flow, text: str, x: float, width: float, size: float = BODY, font: str = FONT, symbol: str = ""
) -> None:
    """Wrapped text (long words broken, nothing cropped); `symbol` is drawn left of its first line."""
    leading = size * 1.25
    lines = wrap(text, font, size, width)
    flow.need(min(leading * len(lines), flow.top - flow.bottom))  # together when it fits a page
    for n, line in enumerate(lines):
        baseline = flow.line(line, x, font, size, leading)
        if n == 0 and symbol:
            flow.draw(_symbol_op(symbol, x - 20, baseline))


def _symbol_op(kind: str, x: float, y: float) -> Callable[[Any], None]:
    def op(c: Any) -> None:
        c.setLineWidth(0.75)
        _symbol(c, kind, x, y, size=11)

    return op


def _heading(flow: _Flow, text: str, x: float, width: float, then: float) -> None:
    """A 14 pt heading, kept on the same page as the first `then` points below it."""
    lines = wrap(text, BOLD, 14, width)
    flow.need(20 * len(lines) + 4.5 + then)
    for line in lines:
        flow.line(line, x, BOLD, 14, 20)
    flow.skip(4.5)


def _title(text: str, width: float) -> tuple[float, list[str]]:
    """The cover title: 26 pt on one line, smaller for a long name, wrapped at 18 pt if need be."""
    for size in (26.0, 22.0, 18.0):
        if _width(text, BOLD, size) <= width:
            return size, [text]
    return 18.0, wrap(text, BOLD, 18, width)


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


def _cover(plan: Plan, width: float, height: float) -> list[list[Callable[[Any], None]]]:
    """The cover's drawing, page by page (usually one page)."""
    name = _first_name(plan)
    x, right = MARGIN + 12, width - MARGIN - 12
    flow = _Flow(top=height - MARGIN, bottom=MARGIN + FOOTER_H)
    size, title = _title(f"Treatment calendar for {name}" if name else "Your treatment calendar", right - x)
    for line in title:
        flow.line(line, x, BOLD, size, size + 4)
    flow.skip(7.5)
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
        _paragraph(flow, fact, x, right - x, size=16, font=BOLD)
    flow.skip(8)
    legend = _legend_rows(plan)
    if legend:
        _heading(flow, "What the signs on the calendar mean", x, right - x, then=15)
    for kind, text in legend:
        _paragraph(flow, text, x + 20, right - x - 20, symbol=kind)
        flow.skip(4)
    rows = _titration(plan)
    if rows:
        flow.skip(6)
        _heading(flow, f"{_drug_name(plan)} tablets, week by week", x, right - x, then=17 + 16 * len(rows))
        cols = [x, x + 110, x + 390, x + 510]
        baseline = flow.line("", x, BOLD, BODY, 15)
        for col, head in zip(cols, ("Weeks", "Dates", "Morning", "Evening"), strict=True):
            flow.draw(_text(head, col, baseline, BOLD, BODY))
        flow.draw(_rule(x, baseline - 4, x + 620))
        for n, row in enumerate(rows):
            baseline = flow.line("", x, FONT, BODY, 18 if n == 0 else 16)
            for col, cell in zip(cols, row, strict=True):
                flow.draw(_text(cell, col, baseline, FONT, BODY))
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
        flow.skip(6)
        _heading(flow, "Please note", x, right - x, then=15)
        for message in messages:
            _paragraph(flow, message, x, right - x)
            flow.skip(2)
    clinic = plan.inputs.clinic
    contact = [p for p in (clinic.name, clinic.location.replace("\n", ", ") if clinic.location else "") if p]
    if clinic.phone:
        contact.append(f"Phone: {clinic.phone}")
    if contact:
        flow.skip(6)
        _heading(flow, "Your clinic", x, right - x, then=15)
        for item in contact:
            _paragraph(flow, item, x, right - x)
    return flow.pages


def _rule(x1: float, y: float, x2: float) -> Callable[[Any], None]:
    def op(c: Any) -> None:
        c.setLineWidth(0.75)
        c.line(x1, y, x2, y)

    return op


def _month_header(name: str | None, title_w: float, width: float) -> tuple[float, list[str]]:
    """The patient's name right of the month's title: 14 pt on one line, else wrapped at 12 pt
    in the room the title leaves (the title bar grows, the grid gives way)."""
    if not name:
        return 14.0, []
    text = f"Treatment calendar for {name}"
    room = width - 2 * MARGIN - title_w - 24
    if _width(text, FONT, 14) <= room:
        return 14.0, [text]
    return BODY, wrap(text, FONT, BODY, room)


def _cell_lines(day: Day, width: float) -> list[Line]:
    """A day's lines wrapped to its cell (a 999.5 mg dose, a long drug name): the symbol stays on
    the first piece, the rest are continuation lines."""
    lines: list[Line] = []
    for line in day.lines:
        font = BOLD if line.bold else FONT
        for n, piece in enumerate(wrap(line.text, font, BODY, width) or [""]):
            lines.append(Line(piece, line.symbol if n == 0 else None, line.bold))
    return lines


def _rows(counts: Sequence[int], room: float) -> tuple[list[float], float]:
    """Row heights and line spacing for weeks needing `counts` lines: equal rows when the fullest
    week fits one (the usual case), else each row as tall as its week needs (a long name's header
    and a crowded week in a six-week month), so a day's text is never squeezed below 12.5 pt
    spacing. A leading below MIN_LEADING means the month cannot be laid out."""
    even = room / len(counts)
    if max(counts) * MIN_LEADING + 2 * PAD <= even:
        return [even] * len(counts), min(14.0, (even - 2 * PAD) / max(counts))
    leading = min(14.0, (room - 2 * PAD * len(counts)) / sum(counts))
    heights = [n * leading + 2 * PAD for n in counts]
    extra = (room - sum(heights)) / len(counts)
    return [h + extra for h in heights], leading


def _month(
    c: Any, plan: Plan, year: int, month: int, days: dict[dt.date, Day], width: float, height: float
) -> None:
    title = f"{MONTHS[month - 1]} {year}"
    c.setFont(BOLD, 22)
    c.drawString(MARGIN, height - MARGIN - 20, title)
    size, header = _month_header(_first_name(plan), _width(title, BOLD, 22), width)
    c.setFont(FONT, size)
    for n, line in enumerate(header):
        c.drawRightString(width - MARGIN, height - MARGIN - 20 - n * (size + 2.5), line)
    weeks = cal_module.Calendar(firstweekday=0).monthdatescalendar(year, month)
    grid_top = height - MARGIN - max(TITLE_H, 30 + (len(header) - 1) * (size + 2.5))
    grid_bottom = MARGIN + FOOTER_H
    col_w = (width - 2 * MARGIN) / 7
    row_h = (grid_top - WEEKDAY_H - grid_bottom) / len(weeks)
    c.setLineWidth(0.75)
    c.setFont(BOLD, BODY)
    for i, day_name in enumerate(DAYS):
        c.drawCentredString(MARGIN + col_w * (i + 0.5), grid_top - WEEKDAY_H + 5, day_name)
    # a day too full for an even row gives up its tablets' name line (never 12 pt text with less
    # than 12.5 pt leading); a week still too full gets a taller row (see _rows)
    fits = int((row_h - 2 * PAD) // MIN_LEADING)
    text_w = col_w - 2 * PAD - SYMBOL - GAP
    cells: dict[dt.date, list[Line]] = {}
    for d, entry in days.items():
        lines = _cell_lines(entry, text_w)
        cells[d] = lines if 1 + len(lines) <= fits else _cell_lines(_compact(entry), text_w)
    counts = [max((1 + len(cells.get(d, [])) for d in w if d.month == month), default=1) for w in weeks]
    heights, leading = _rows(counts, grid_top - WEEKDAY_H - grid_bottom)
    if leading < MIN_LEADING:
        raise LayoutError(f"{title}: {sum(counts)} lines do not fit {len(weeks)} rows")
    top = grid_top - WEEKDAY_H
    for week, row_h in zip(weeks, heights, strict=True):
        for col, day in enumerate(week):
            left = MARGIN + col * col_w
            c.rect(left, top - row_h, col_w, row_h, stroke=1, fill=0)
            if day.month != month:
                continue
            y = top - PAD - BODY * 0.85
            c.setFont(BOLD, BODY + 2)
            c.drawString(left + PAD, y, str(day.day))
            for cell in cells.get(day, []):
                y -= leading
                if cell.symbol:
                    _symbol(c, cell.symbol, left + PAD, y)
                c.setFont(BOLD if cell.bold else FONT, BODY)
                c.drawString(left + PAD + SYMBOL + GAP, y, cell.text)
        top -= row_h


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
    c = stamped(Canvas, plan.created)(
        buffer, pagesize=(width, height), invariant=info["invariant"], pageCompression=1
    )
    c.setTitle(info["title"])
    c.setAuthor(info["author"])
    c.setSubject(info["subject"])
    c.setCreator(info["creator"])
    c.setProducer(info["producer"])
    c.setKeywords(" ".join(info["keywords"]))
    months = _months(plan)
    cover = _cover(plan, width, height)
    pages = len(cover) + len(months)
    for n, ops in enumerate(cover, start=1):
        c.setLineWidth(0.75)
        for op in ops:
            op(c)
        _footer(c, plan, n, pages, width)
        c.showPage()
    days = _day_lines(plan)
    for n, (year, month) in enumerate(months, start=len(cover) + 1):
        c.setLineWidth(0.75)
        _month(c, plan, year, month, days, width, height)
        _footer(c, plan, n, pages, width)
        c.showPage()
    c.save()
    return buffer.getvalue()
