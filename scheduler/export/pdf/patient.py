"""The patient calendar: a cover page, then one month grid per month the plan covers.

Made for the fridge and for people who are unwell or see poorly: landscape pages, 12 pt text or
larger, black on white, every kind of event marked by a shape *and* words (never colour alone).
A check (a blood test, a scan) is a test tube and a short word with its time ("Blood test 08:45");
CSF cytology, drawn at the IT dose, is one line under the dose's ("Fluid sample", no time).
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

from ...labels import EDITED_PATIENT, event_title, site_name, time_of_day
from ...models import Paper
from ...monitoring import until_progression, waits_for_flow
from ...plan import Event, Plan
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
    # "it", "it-tentative", "rt", "med" (memantine), "infusion", "tablet" (systemic tablets),
    # "check" (a test or scan) or None (a continuation line)
    symbol: str | None = None
    bold: bool = False


@dataclass
class Day:
    lines: list[Line] = field(default_factory=list)


def _compact(day: Day) -> Day:
    """A day too full for its row (an IT dose, an RT fraction and two different tablet doses in a
    six-week month): the tablets' name line goes, and their triangle marks the first dose line
    instead (the legend says what the triangle is)."""
    lines = day.lines
    if any(line.symbol == "tablet" for line in lines):
        # under a list of systemic tablets, "10 mg AM" without its name would read as the last
        # tablet's dose: the row grows (or the month continues on a second page) instead
        return day
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


def _drug(event: Event) -> str:
    return (event.drug or "treatment").capitalize()


def _tablet_days(plan: Plan) -> dict[dt.date, dict[str, set[str]]]:
    """Systemic tablets per day: {drug: {"morning", "evening"}}, every day of each tablet event's
    daily run (date .. date + repeat_days - 1), drugs in the order the plan first gives them."""
    days: dict[dt.date, dict[str, set[str]]] = {}
    for e in plan.events:
        if e.kind != "tablet":
            continue
        for i in range(e.repeat_days):
            days.setdefault(e.date + dt.timedelta(days=i), {}).setdefault(_drug(e), set()).add(time_of_day(e))
    return days


def _times(whens: set[str]) -> str:
    """'AM+PM', 'AM', 'PM', 'daily' (once a day), '3x a day': the legend says which hours."""
    if whens == {"morning", "evening"}:
        return "AM+PM"
    if all(when.startswith("time") for when in whens):  # three or more times a day
        return f"{len(whens)}x a day" if len(whens) > 1 else "1x"
    words = {"morning": "AM", "evening": "PM", "daily": "daily"}
    order = [*words, *sorted(whens - set(words))]
    return "+".join(words.get(when, when) for when in sorted(whens, key=order.index))


def _tablet_lines(drugs: dict[str, set[str]]) -> list[Line]:
    """The capsule's line says when ("Tablets AM+PM", short enough for a letter-size cell), the
    lines under it which tablets, one drug a line: drugs taken at the same times share it (four
    courses twice a day take five lines, not eight)."""
    groups: dict[str, list[str]] = {}
    for drug, whens in drugs.items():
        groups.setdefault(_times(whens), []).append(drug)
    lines: list[Line] = []
    for times, names in groups.items():
        lines.append(Line(f"Tablets {times}", "tablet"))
        lines += [Line(name) for name in names]
    return lines


def check_word(e: Event) -> str:
    """A check's word in a day's cell, short enough for a letter-size cell with its time: the
    template's patient name when the event carries it, else one by the check's kind ("Blood test",
    "Fluid sample", "MRI scan", "Heart scan", "Flow scan"). The legend gives the full words
    (`event_title`)."""
    given = e.patient_name
    if given:
        return given
    name = (e.check or "").lower()
    if e.check_kind == "lab":
        return "Blood test"
    if e.check_kind == "csf":
        return "Fluid sample"
    if e.check_kind == "cardiac":
        return "Heart scan"
    if e.check_kind == "imaging":
        return "MRI scan" if "mri" in name else "Flow scan" if "flow" in name else "Scan"
    return "Test"


def _taken_at(e: Event, by_uid: dict[str, Event]) -> Event | None:
    """The event a check is taken at (CSF cytology: no time of its own, drawn at the IT dose, the
    same day and time), or None for a check that is a visit of its own."""
    if e.kind != "check" or e.duration_min:
        return None
    for uid in e.guards:
        guarded = by_uid.get(uid)
        if (
            guarded is not None
            and guarded.kind != "check"
            and (guarded.date, guarded.time) == (e.date, e.time)
        ):
            return guarded
    return None


def _day_lines(plan: Plan) -> dict[dt.date, Day]:
    days: dict[dt.date, Day] = {}
    by_uid = {e.uid: e for e in plan.events}
    # a check taken at a dose (cytology at the IT dose) is one short line under the dose's own,
    # without a time (the dose's): it reads as part of that visit and never crowds the cell
    taken_at: dict[str, list[Event]] = {}
    for e in plan.events:
        if (at := _taken_at(e, by_uid)) is not None:
            taken_at.setdefault(at.uid, []).append(e)
    for e in plan.events:
        lines: list[Line] = []
        if e.kind == "it-dose":
            symbol = "it-tentative" if e.status == "tentative" else "it"
            lines.append(Line(f"IT {_mg(e.dose_mg or 0)} {e.time}", symbol))
        elif e.kind == "rt-fraction":
            lines.append(Line(f"RT {e.number}/{e.of}", "rt"))
        elif e.kind == "infusion":
            lines += [Line(f"Infusion {e.time}", "infusion"), Line(_drug(e))]
        elif e.kind == "check" and _taken_at(e, by_uid) is None:
            lines.append(Line(f"{check_word(e)} {e.time}", "check"))
        lines += [Line(check_word(check), "check") for check in taken_at.get(e.uid, [])]
        if lines:  # tablets and memantine come below, day by day
            days.setdefault(e.date, Day()).lines += lines
    for day, drugs in sorted(_tablet_days(plan).items()):
        days.setdefault(day, Day()).lines += _tablet_lines(drugs)
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
    """The months that get a page, in order (the cover page comes first). A month too full for
    one page (see `_month_layout`) gets two or more, titled "part 1 of 2"; plans without systemic
    tablets never need that."""
    return _months(plan)


# --- drawing -------------------------------------------------------------------------------------


def _symbol(c: Any, kind: str, x: float, y: float, size: float = SYMBOL) -> None:
    """Shapes that survive photocopying: filled circle (IT), hollow circle (IT to be confirmed),
    filled square (radiotherapy), filled triangle (memantine tablets), a filled drop pointing up
    (an infusion visit: a drip), a capsule half filled (systemic tablets at home), a test tube
    standing up, open at the top, its lower half filled (a test or scan). (x, y) is the text
    baseline."""
    cy = y + size * 0.4
    if kind == "check":
        # a test tube: narrower and taller than any other mark, open at the top with a rim
        w = size * 0.56
        r = w / 2
        x0 = x + (size - w) / 2
        top, bottom = cy + size / 2 + 1.5, cy - size / 2 - 0.5
        mid = bottom + (top - bottom) * 0.45
        c.setLineWidth(1.0)
        outline = c.beginPath()
        outline.moveTo(x0, top)
        outline.lineTo(x0, bottom + r)
        outline.arcTo(x0, bottom, x0 + w, bottom + w, 180, 180)
        outline.lineTo(x0 + w, top)
        c.drawPath(outline, stroke=1, fill=0)
        c.line(x0 - 1.2, top, x0 + w + 1.2, top)
        liquid = c.beginPath()
        liquid.moveTo(x0, mid)
        liquid.lineTo(x0, bottom + r)
        liquid.arcTo(x0, bottom, x0 + w, bottom + w, 180, 180)
        liquid.lineTo(x0 + w, mid)
        liquid.close()
        c.drawPath(liquid, stroke=1, fill=1)
        c.setLineWidth(0.75)
        return
    if kind == "infusion":
        # a drop: a circle's lower part under a point, taller than the IT circle so the two differ
        r = size * 0.36
        bottom = cy - size / 2 - 0.5
        ccx, ccy = x + size / 2, bottom + r
        tip = cy + size / 2 + 1.5
        k = 0.5523 * r
        path = c.beginPath()
        path.moveTo(ccx, tip)
        path.curveTo(ccx + r * 0.35, tip - (tip - ccy) * 0.45, ccx + r, ccy + k, ccx + r, ccy)
        path.curveTo(ccx + r, ccy - k, ccx + k, ccy - r, ccx, ccy - r)
        path.curveTo(ccx - k, ccy - r, ccx - r, ccy - k, ccx - r, ccy)
        path.curveTo(ccx - r, ccy + k, ccx - r * 0.35, tip - (tip - ccy) * 0.45, ccx, tip)
        path.close()
        c.drawPath(path, stroke=1, fill=1)
        return
    if kind == "tablet":
        # a capsule lying down, its left half filled: unlike every other mark, it is wider than tall
        h = size * 0.62
        r = h / 2
        bottom = cy - r
        c.setLineWidth(1.0)
        c.roundRect(x, bottom, size + 1, h, r, stroke=1, fill=0)
        path = c.beginPath()
        path.moveTo(x + (size + 1) / 2, bottom)
        path.lineTo(x + r, bottom)
        path.arcTo(x, bottom, x + 2 * r, bottom + h, -90, -180)
        path.lineTo(x + (size + 1) / 2, bottom + h)
        path.close()
        c.drawPath(path, stroke=1, fill=1)
        c.setLineWidth(0.75)
        return
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


def _tall(text: str, width: float) -> float:
    """How tall `_paragraph` draws `text` in body type: what a heading keeps on its page."""
    return BODY * 1.25 * max(1, len(wrap(text, FONT, BODY, width)))


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
        tentative = [e for e in its if e.status == "tentative"]
        if tentative:
            rows.append(("it-tentative", _tentative_words(tentative)))
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
    rows += _systemic_legend(plan)
    rows += _check_legend(plan)
    return rows


def _tentative_words(tentative: Sequence[Event]) -> str:
    """Why a hollow circle is still to be confirmed, in plain words: it waits for the CSF flow
    study (note FLOW_PENDING_NOTE: S24, S25), or it is a maintenance dose that continues while it
    helps (until progression), or both."""
    flow = any(waits_for_flow(e) for e in tentative)
    later = any(not waits_for_flow(e) or until_progression(e) for e in tentative)
    if flow and later:
        return (
            "A hollow circle is a planned date your team will confirm: first a scan checks that the "
            "fluid around your brain and spine flows freely, and the later treatments continue while "
            "they help you."
        )
    if flow:
        return (
            "A hollow circle is a planned date your team will confirm after a scan shows that the fluid "
            "around your brain and spine flows freely."
        )
    return (
        "A hollow circle is a planned date your team will confirm: these treatments continue while "
        "they help you."
    )


def _lower_first(text: str) -> str:
    """'Blood test ...' -> 'blood test ...', 'A sample ...' -> 'a sample ...'; 'MRI scan ...' stays."""
    first = text.split(" ", 1)[0]
    return text[:1].lower() + text[1:] if len(first) == 1 or first[1:].islower() else text


def _check_legend(plan: Plan) -> list[tuple[str, str]]:
    """The test tube, and what each word on the days means, in the patient's words
    (`event_title`), where it is and how long it takes."""
    words: dict[str, list[Event]] = {}
    for e in plan.events:
        if e.kind == "check":
            words.setdefault(check_word(e), []).append(e)
    if not words:
        return []
    parts = []
    for word, events in words.items():
        titles = list(dict.fromkeys(event_title(e) for e in events))
        if len(titles) == 1 and titles[0].lower().startswith(word.lower()):
            text = titles[0]
        else:
            text = f"{word}: {'; '.join(_lower_first(t) for t in titles)}"
        if all(e.duration_min == 0 for e in events):
            parts.append(f"{text}.")
            continue
        where = {e.where for e in events}
        if where == {"clinic"}:
            text += ", at the clinic"
        elif where == {"external"}:
            text += ", not at the clinic: your care team will tell you where"
        minutes = sorted({e.duration_min for e in events if e.duration_min})
        if minutes:
            text += f" (about {' to '.join(_minutes(m) for m in minutes)})"
        parts.append(f"{text}.")
    return [
        (
            "check",
            "Test tube = a test or scan; the word on the day says which (the time is next to it). "
            + " ".join(parts),
        )
    ]


def _cycle_days(plan: Plan, course: str) -> int | None:
    return next((t.cycle_days for t in plan.templates if t.id == course), None)


def _minutes(n: int) -> str:
    return f"{n} minutes" if n % 60 else f"{n // 60} hour{'s' if n != 60 else ''}"


def _systemic_legend(plan: Plan) -> list[tuple[str, str]]:
    """The drop (an infusion visit) and the capsule (tablets at home), in plain words."""
    rows = []
    infusions: dict[str, list[Event]] = {}
    for e in plan.events:
        if e.kind == "infusion":
            infusions.setdefault(_drug(e), []).append(e)
    clinic = plan.inputs.clinic
    for drug, events in infusions.items():
        every = _cycle_days(plan, events[0].course)
        often = f", about every {every // 7} weeks" if every and every % 7 == 0 else ""
        first, later = events[0].duration_min, {e.duration_min for e in events[1:]}
        if not later or later == {first}:
            takes = f"The drip takes about {_minutes(first)}."
        else:
            takes = (
                f"The first drip takes about {_minutes(first)}, later ones about "
                f"{' to '.join(_minutes(m) for m in sorted(later))}."
            )
        extra = clinic.prep_min + clinic.observation_min
        stay = (
            f" Plan to be at the clinic about {_minutes(extra)} longer: the nurses get you ready and "
            "watch how you are afterwards."
            if extra
            else ""
        )
        rows.append(
            (
                "infusion",
                f"Drop = infusion visit at the clinic: {drug.lower()} given through a drip into a "
                f"vein{often}. The time on the day is when your visit starts. {takes}{stay}",
            )
        )
    tablets = [e for e in plan.events if e.kind == "tablet"]
    if tablets:
        hours: dict[str, str] = {}
        for e in tablets:
            hours.setdefault(time_of_day(e), e.time)
        words = {
            "morning": f"morning ({hours.get('morning')})",
            "evening": f"evening ({hours.get('evening')})",
        }
        words["daily"] = f"once a day ({hours.get('daily')})"
        said: dict[str, str] = {}  # each time word a cell prints, and what it means
        for drugs in _tablet_days(plan).values():
            for whens in drugs.values():
                times = _times(whens)
                if all(w.startswith("time") for w in whens):
                    clocks = sorted(hours[w] for w in whens)
                    said.setdefault(times, f"{len(clocks)} times a day ({_and(clocks)})")
                else:
                    said.setdefault(
                        times, _and([words.get(w, w) for w in ("morning", "evening", "daily") if w in whens])
                    )
        rows.append(
            (
                "tablet",
                "Capsule = tablets you take at home by mouth, not at the clinic. The capsule's line "
                f"says when ({_and([f'{k} = {v}' for k, v in said.items()])}); the lines under it name "
                "the tablets to take. The "
                "capsule is on every day you take them: on a day without it, take none. How many "
                "tablets: see below.",
            )
        )
    return rows


def _and(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return " and ".join(items) if len(items) < 3 else f"{', '.join(items[:-1])} and {items[-1]}"


def _tablet_courses(plan: Plan) -> list[str]:
    """One plain sentence per systemic tablet: dose (and which tablets make it up), times, days."""
    by_drug: dict[str, list[Event]] = {}
    for e in plan.events:
        if e.kind == "tablet":
            by_drug.setdefault(_drug(e), []).append(e)
    out = []
    for drug, events in by_drug.items():
        changes: list[tuple[str, dt.date]] = []  # each dose (with its tablets) and when it starts
        for e in sorted(events, key=lambda e: e.date):
            dose = _mg(float(e.dose_mg or 0)) + (f" ({e.tablets})" if e.tablets else "")
            if not changes or changes[-1][0] != dose:
                changes.append((dose, e.date))
        doses = [dose if len(changes) == 1 else f"{dose} from {_short(day)}" for dose, day in changes]
        whens = {time_of_day(e) for e in events}
        times = [
            f"{word} ({next(e.time for e in events if time_of_day(e) == when)})"
            for when, word in (("morning", "morning"), ("evening", "evening"), ("daily", "once a day"))
            if when in whens
        ]
        clocks = sorted({e.time for e in events if time_of_day(e).startswith("time")})
        if clocks:
            times.append(f"{len(clocks)} times a day ({_and(clocks)})")
        taken = sorted({e.date + dt.timedelta(days=i) for e in events for i in range(e.repeat_days)})
        first, last = taken[0], taken[-1]
        cycle = _cycle_days(plan, events[0].course)
        runs = {e.repeat_days for e in events}
        if len(taken) == (last - first).days + 1:
            days = f"every day from {_short(first)} to {_short(last)}"
        elif cycle and len(runs) == 1 and all(e.cycle_day == 1 for e in events):
            (n,) = runs
            days = (
                f"on days 1 to {n} of each {cycle}-day cycle, then {cycle - n} days without "
                f"({_short(first)} to {_short(last)})"
            )
        else:
            days = f"on the days the calendar marks, from {_short(first)} to {_short(last)}"
        how = sorted({e.instructions for e in events if e.instructions})
        advice = "".join(f" {text[:1].upper()}{text[1:]}." for text in how)
        out.append(f"{drug}: {'; '.join(doses)} each time, {_and(times)}, {days}.{advice}")
    return out


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
    dated: list[tuple[dt.date, str]] = []
    if rts:
        dated.append((rts[0].date, f"Radiotherapy starts {long_date(rts[0].date)} at {rts[0].time}."))
    if its:
        dated.append(
            (its[0].date, f"First intrathecal treatment: {long_date(its[0].date)} at {its[0].time}.")
        )
    if meds:
        first = min(e.date for e in meds)
        dated.append((first, f"{_drug_name(plan)} tablets start {long_date(first)}."))
    infusions = [e for e in plan.events if e.kind == "infusion"]
    tablets = [e for e in plan.events if e.kind == "tablet"]
    if infusions:
        first = infusions[0].date
        dated.append((first, f"First infusion visit: {long_date(first)} at {infusions[0].time}."))
    if tablets:
        first = min(e.date for e in tablets)
        names = ", ".join(dict.fromkeys(_drug(e).lower() for e in tablets))
        dated.append((first, f"Tablets at home start {long_date(first)} ({names})."))
    checks = [e for e in plan.events if e.kind == "check"]
    if checks:
        first_check = min(checks, key=lambda e: (e.date, e.time))
        dated.append(
            (
                first_check.date,
                f"First test: {long_date(first_check.date)} at {first_check.time}, "
                f"{_lower_first(event_title(first_check))}.",
            )
        )
    if infusions or tablets or checks:  # in the order they begin (stable for ties)
        dated.sort(key=lambda fact: fact[0])
    facts = [text for _, text in dated]
    if not plan.events:
        facts.append("No treatment visits are planned in this calendar.")
    for fact in facts:
        _paragraph(flow, fact, x, right - x, size=16, font=BOLD)
    flow.skip(8)
    legend = _legend_rows(plan)
    if legend:
        _heading(
            flow,
            "What the signs on the calendar mean",
            x,
            right - x,
            then=_tall(legend[0][1], right - x - 20),
        )
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
    courses = _tablet_courses(plan)
    if courses:
        flow.skip(6)
        _heading(flow, "Your tablets at home", x, right - x, then=_tall(courses[0], right - x - 20))
        for text in courses:
            _paragraph(flow, text, x + 20, right - x - 20, symbol="tablet")
            flow.skip(4)
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
        _heading(flow, "Please note", x, right - x, then=_tall(messages[0], right - x))
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


@dataclass
class _MonthPage:
    """One page of a month: its title, the weeks it shows, their rows and each day's lines."""

    title: str
    month: int
    header: list[str]
    header_size: float
    grid_top: float
    weeks: list[list[dt.date]]
    heights: list[float]
    leading: float
    cells: dict[dt.date, list[Line]]


def _month_layout(
    plan: Plan, year: int, month: int, days: dict[dt.date, Day], width: float, height: float
) -> list[_MonthPage]:
    """A month's page, or pages: a month whose weeks need more lines than one page holds even
    with rows sized to them (four daily tablet courses, an IT session and an infusion in a
    six-week month) continues on a second page, its weeks shared out in order ("part 1 of 2"),
    so that nothing is squeezed below 12 pt text with 12.5 pt spacing and nothing is cropped."""
    name = f"{MONTHS[month - 1]} {year}"
    weeks = cal_module.Calendar(firstweekday=0).monthdatescalendar(year, month)
    col_w = (width - 2 * MARGIN) / 7
    text_w = col_w - 2 * PAD - SYMBOL - GAP
    for parts in range(1, len(weeks) + 1):
        size = -(-len(weeks) // parts)  # weeks per page, the last page taking what is left
        chunks = [weeks[i : i + size] for i in range(0, len(weeks), size)]
        pages = []
        for n, chunk in enumerate(chunks, start=1):
            title = name if len(chunks) == 1 else f"{name}, part {n} of {len(chunks)}"
            page = _fit(plan, title, month, chunk, days, text_w, width, height)
            if page is None:
                break
            pages.append(page)
        else:
            return pages
    raise LayoutError(f"{name}: one week's days do not fit a page")


def _fit(
    plan: Plan,
    title: str,
    month: int,
    weeks: list[list[dt.date]],
    days: dict[dt.date, Day],
    text_w: float,
    width: float,
    height: float,
) -> _MonthPage | None:
    """`weeks` laid out on one page, or None when their days need more lines than it holds."""
    size, header = _month_header(_first_name(plan), _width(title, BOLD, 22), width)
    grid_top = height - MARGIN - max(TITLE_H, 30 + (len(header) - 1) * (size + 2.5))
    room = grid_top - WEEKDAY_H - (MARGIN + FOOTER_H)
    # a day too full for an even row gives up its tablets' name line (never 12 pt text with less
    # than 12.5 pt leading); a week still too full gets a taller row (see _rows)
    fits = int((room / len(weeks) - 2 * PAD) // MIN_LEADING)
    cells: dict[dt.date, list[Line]] = {}
    for week in weeks:
        for d in week:
            if d.month != month or d not in days:
                continue
            lines = _cell_lines(days[d], text_w)
            cells[d] = lines if 1 + len(lines) <= fits else _cell_lines(_compact(days[d]), text_w)
    counts = [max((1 + len(cells.get(d, [])) for d in w if d.month == month), default=1) for w in weeks]
    heights, leading = _rows(counts, room)
    if leading < MIN_LEADING:
        return None
    return _MonthPage(title, month, header, size, grid_top, weeks, heights, leading, cells)


def _month(c: Any, page: _MonthPage, width: float, height: float) -> None:
    c.setFont(BOLD, 22)
    c.drawString(MARGIN, height - MARGIN - 20, page.title)
    c.setFont(FONT, page.header_size)
    for n, line in enumerate(page.header):
        c.drawRightString(width - MARGIN, height - MARGIN - 20 - n * (page.header_size + 2.5), line)
    col_w = (width - 2 * MARGIN) / 7
    c.setLineWidth(0.75)
    c.setFont(BOLD, BODY)
    for i, day_name in enumerate(DAYS):
        c.drawCentredString(MARGIN + col_w * (i + 0.5), page.grid_top - WEEKDAY_H + 5, day_name)
    top = page.grid_top - WEEKDAY_H
    for week, row_h in zip(page.weeks, page.heights, strict=True):
        for col, day in enumerate(week):
            left = MARGIN + col * col_w
            c.rect(left, top - row_h, col_w, row_h, stroke=1, fill=0)
            if day.month != page.month:
                continue
            y = top - PAD - BODY * 0.85
            c.setFont(BOLD, BODY + 2)
            c.drawString(left + PAD, y, str(day.day))
            for cell in page.cells.get(day, []):
                y -= page.leading
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
    cover = _cover(plan, width, height)
    days = _day_lines(plan)
    months = [page for y, m in _months(plan) for page in _month_layout(plan, y, m, days, width, height)]
    pages = len(cover) + len(months)
    for n, ops in enumerate(cover, start=1):
        c.setLineWidth(0.75)
        for op in ops:
            op(c)
        _footer(c, plan, n, pages, width)
        c.showPage()
    for n, month in enumerate(months, start=len(cover) + 1):
        c.setLineWidth(0.75)
        _month(c, month, width, height)
        _footer(c, plan, n, pages, width)
        c.showPage()
    c.save()
    return buffer.getvalue()
