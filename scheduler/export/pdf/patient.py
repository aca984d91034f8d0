"""The patient calendar: a cover page, then one month grid per month the plan covers.

Made for the fridge and for people who are unwell or see poorly: landscape pages, 12 pt text or
larger (large print: 18 pt text, 24 pt dates), black on white, every kind of event marked by a
shape *and* words (never colour alone). A check (a blood test, a scan) is a test tube and a short
word with its time ("Blood test 08:45"); CSF cytology, drawn at the IT dose, is one line under
the dose's ("Fluid sample", no time). Only what the patient needs: the name they go by, dates,
times, doses, the clinic's name and phone, the days the clinic is closed and why, and the safety
rules' plain-language messages. No record number, no staff wording.

Every word goes through the patient's `Language` (msgids are the English text with named
placeholders; dates, month and weekday names come from its CLDR data). With an unreviewed
catalog every page says so in its footer, in bold.

Drawn on a ReportLab canvas (not platypus): a month page is a fixed grid, and the canvas module
imports in a third of platypus's time.

Nothing is cropped, for any input up to the models' limits (name and clinic name 200 characters,
location 300, phone 60): text wraps, breaking a word only when it is wider than its line; the
cover's title shrinks from 26 to 18 pt before it wraps; the cover runs onto a second page when it
must; a week whose days need more lines gets a taller row, and a month whose weeks do not fit
one page continues on the next (whole weeks on each). Nothing is ever smaller than 12 pt.
tests/export/test_pdf_layout.py reads the PDF back and checks every string against its page and
its cell.
"""

from __future__ import annotations

import calendar as cal_module
import datetime as dt
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...calendar import LocalHolidaySource
from ...closures import closed_days
from ...i18n import ENGLISH, Language
from ...labels import EDITED_PATIENT, event_title, site_name, time_of_day
from ...models import Paper
from ...monitoring import until_progression, waits_for_flow
from ...plan import Event, Plan
from .common import (
    DISCLAIMER,
    document_info,
    landscape_size,
    stamped,
    wrap,
)

if TYPE_CHECKING:
    from .fonts import Fonts

__all__ = ["LayoutError", "check_word", "month_pages", "render"]

FONT, BOLD = "LmSans", "LmSans-Bold"  # fonts.REGULAR and fonts.BOLD: the embedded Noto Sans
BODY = 12.0  # the smallest text anywhere on the page
LARGE_BODY = 18.0  # large print: body text
LARGE_DAY = 24.0  # large print: the day numbers and the cover's dates
FOOTER = 12.0  # revision, print date, page, disclaimer and review notice, in both prints
FOOTER_LEADING = 14.5
MARGIN = 24.0
FOOTER_H = 18.0
TITLE_H = 30.0
WEEKDAY_H = 18.0
PAD = 3.0
MIN_LEADING = 12.5  # 12 pt text never gets less line spacing than this
SYMBOL = 8.0  # side of a symbol, drawn as a shape
GAP = 3.5  # between symbol and text (Noto Sans is wider than Helvetica: "10 mg AM + PM" fits a letter cell)


class LayoutError(RuntimeError):
    """A month's days need more lines than its page holds even with rows sized to them: a bug in
    the layout (the inputs' limits keep every plan well inside), never silently cropped."""


@dataclass(frozen=True)
class _Look:
    """One calendar's words and sizes: the patient's language, and normal print (12 pt body,
    14 pt day numbers) or large print (18 pt body, 24 pt day numbers and cover dates, symbols
    and spacing scaled with the text). Footers are 12 pt in both."""

    lang: Language = ENGLISH
    large: bool = False

    @property
    def body(self) -> float:
        return LARGE_BODY if self.large else BODY

    @property
    def scale(self) -> float:
        return self.body / BODY

    @property
    def day(self) -> float:
        """The day numbers in the grid."""
        return LARGE_DAY if self.large else BODY + 2

    @property
    def day_extra(self) -> float:
        """Room a cell gives its day number above the first line, more than a body line's."""
        return self.day - self.body if self.large else 0.0

    @property
    def symbol(self) -> float:
        return SYMBOL * self.scale

    @property
    def gap(self) -> float:
        return GAP * self.scale

    @property
    def min_leading(self) -> float:
        return MIN_LEADING * self.scale

    @property
    def max_leading(self) -> float:
        return 14.0 * self.scale

    @property
    def title(self) -> float:
        """A month page's title."""
        return 28.0 if self.large else 22.0

    @property
    def title_h(self) -> float:
        return 38.0 if self.large else TITLE_H

    @property
    def title_drop(self) -> float:
        """From the top margin to the title's baseline."""
        return 26.0 if self.large else 20.0

    @property
    def weekday_h(self) -> float:
        return WEEKDAY_H * self.scale

    @property
    def heading(self) -> float:
        return 21.0 if self.large else 14.0

    @property
    def fact(self) -> float:
        """The cover's dated facts ("First intrathecal treatment: ..."), bold."""
        return LARGE_DAY if self.large else 16.0

    @property
    def titles(self) -> tuple[float, ...]:
        """The cover title's sizes, largest first; it wraps at the last."""
        return (36.0, 30.0, 26.0) if self.large else (26.0, 22.0, 18.0)

    @property
    def indent(self) -> float:
        """A legend row's text right of its symbol."""
        return 20.0 * self.scale


@dataclass
class Line:
    text: str
    # "it", "it-tentative", "rt", "med" (memantine), "infusion", "tablet" (systemic tablets),
    # "check" (a test or scan) or None (a continuation line, or the clinic-closed line)
    symbol: str | None = None
    bold: bool = False
    wide: bool = False  # no symbol and none to line up with: the cell's whole width (clinic closed)


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


def _greeting(plan: Plan) -> str | None:
    """The name the cover and the month pages call the patient: the preferred name, else the
    given name, else the whole name as written (issue 18: never "the first word", which in
    "Nguyễn Thị Minh" is the family name)."""
    patient = plan.patient
    for name in (
        getattr(patient, "preferred_name", None),
        getattr(patient, "given_name", None),
        patient.name,
    ):
        if name and name.strip():
            return " ".join(name.split())
    return None


def _labelled(function: Callable[..., str], event: Event, lang: Language) -> str:
    """A `labels` wording in the patient's language: the function's own `lang` when it takes one
    (helper "ics" is adding it), else the English wording looked up in the catalog."""
    import inspect

    if "lang" in inspect.signature(function).parameters:
        return function(event, lang=lang)
    return lang.gettext(function(event))


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


def _drug(event: Event, lang: Language = ENGLISH) -> str:
    """The drug's name as the template writes it, capitalised (international names: a catalog
    may still give the patient's spelling)."""
    if not event.drug:
        return lang.gettext("Treatment")
    return lang.gettext(event.drug.capitalize())


def _tablet_days(plan: Plan, lang: Language = ENGLISH) -> dict[dt.date, dict[str, set[str]]]:
    """Systemic tablets per day: {drug: {"morning", "evening"}}, every day of each tablet event's
    daily run (date .. date + repeat_days - 1), drugs in the order the plan first gives them."""
    days: dict[dt.date, dict[str, set[str]]] = {}
    for e in plan.events:
        if e.kind != "tablet":
            continue
        for i in range(e.repeat_days):
            days.setdefault(e.date + dt.timedelta(days=i), {}).setdefault(_drug(e, lang), set()).add(
                time_of_day(e)
            )
    return days


def _times(whens: set[str], lang: Language) -> str:
    """'AM+PM', 'AM', 'PM', 'daily' (once a day), '3x a day': the legend says which hours."""
    if whens == {"morning", "evening"}:
        return lang.gettext("AM+PM")
    if all(when.startswith("time") for when in whens):  # three or more times a day
        n = len(whens)
        return lang.ngettext("{n}x a day", "{n}x a day", n).format(n=n) if n > 1 else lang.gettext("1x")
    words = {"morning": lang.gettext("AM"), "evening": lang.gettext("PM"), "daily": lang.gettext("daily")}
    order = [*words, *sorted(whens - set(words))]
    return "+".join(words.get(when, when) for when in sorted(whens, key=order.index))


def _tablet_lines(drugs: dict[str, set[str]], lang: Language) -> list[Line]:
    """The capsule's line says when ("Tablets AM+PM", short enough for a letter-size cell), the
    lines under it which tablets, one drug a line: drugs taken at the same times share it (four
    courses twice a day take five lines, not eight)."""
    groups: dict[str, list[str]] = {}
    for drug, whens in drugs.items():
        groups.setdefault(_times(whens, lang), []).append(drug)
    lines: list[Line] = []
    for times, names in groups.items():
        lines.append(Line(lang.gettext("Tablets {times}").format(times=times), "tablet"))
        lines += [Line(name) for name in names]
    return lines


def check_word(e: Event, lang: Language = ENGLISH) -> str:
    """A check's word in a day's cell, short enough for a letter-size cell with its time: the
    template's patient name when the event carries it, else one by the check's kind ("Blood test",
    "Fluid sample", "MRI scan", "Heart scan", "Flow scan"). The legend gives the full words
    (`event_title`)."""
    given = e.patient_name
    if given:
        return lang.gettext(given)
    name = (e.check or "").lower()
    if e.check_kind == "lab":
        return lang.gettext("Blood test")
    if e.check_kind == "csf":
        return lang.gettext("Fluid sample")
    if e.check_kind == "cardiac":
        return lang.gettext("Heart scan")
    if e.check_kind == "imaging":
        if "mri" in name:
            return lang.gettext("MRI scan")
        return lang.gettext("Flow scan") if "flow" in name else lang.gettext("Scan")
    return lang.gettext("Test")


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


def _day_lines(
    plan: Plan, lang: Language = ENGLISH, closed: dict[dt.date, str] | None = None
) -> dict[dt.date, Day]:
    days: dict[dt.date, Day] = {}
    # a weekday the clinic normally works but not this one says why, first in its cell
    for day, reason in sorted((closed or {}).items()):
        text = lang.gettext("Clinic closed: {reason}").format(reason=lang.gettext(reason))
        days.setdefault(day, Day()).lines.append(Line(text, None, wide=True))
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
            text = lang.gettext("IT {dose} {time}").format(dose=_mg(e.dose_mg or 0), time=e.time)
            lines.append(Line(text, symbol))
        elif e.kind == "rt-fraction":
            lines.append(Line(lang.gettext("RT {number}/{total}").format(number=e.number, total=e.of), "rt"))
        elif e.kind == "infusion":
            lines += [
                Line(lang.gettext("Infusion {time}").format(time=e.time), "infusion"),
                Line(_drug(e, lang)),
            ]
        elif e.kind == "check" and _taken_at(e, by_uid) is None:
            lines.append(Line(f"{check_word(e, lang)} {e.time}", "check"))
        lines += [Line(check_word(check, lang), "check") for check in taken_at.get(e.uid, [])]
        if lines:  # tablets and memantine come below, day by day
            days.setdefault(e.date, Day()).lines += lines
    for day, drugs in sorted(_tablet_days(plan, lang).items()):
        days.setdefault(day, Day()).lines += _tablet_lines(drugs, lang)
    for day, doses in sorted(_med_doses(plan).items()):
        lines = days.setdefault(day, Day()).lines
        am, pm = doses.get("AM"), doses.get("PM")
        lines.append(Line(_drug_name(plan, lang), "med"))
        if am is not None and pm is not None and am == pm:
            lines.append(Line(lang.gettext("{dose} AM + PM").format(dose=_mg(am))))
        else:
            if am is not None:
                lines.append(Line(lang.gettext("{dose} AM").format(dose=_mg(am))))
            if pm is not None:
                lines.append(Line(lang.gettext("{dose} PM").format(dose=_mg(pm))))
    return days


def _drug_name(plan: Plan, lang: Language = ENGLISH) -> str:
    drugs = sorted({(e.drug or "").capitalize() for e in plan.events if e.kind == "medication"})
    return lang.gettext(drugs[0]) if len(drugs) == 1 else lang.gettext("Tablets")


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
    one page (see `_month_layout`) gets two or more, titled "part 1 of 2" (large print: "(continued)");
    plans without systemic tablets never need that in normal print."""
    return _months(plan)


def _closed(plan: Plan, lang: Language, holidays: LocalHolidaySource | None = None) -> dict[dt.date, str]:
    """The clinic's closed open-weekdays inside the months shown, with their reasons."""
    months = _months(plan)
    if not months:
        return {}
    (y1, m1), (y2, m2) = months[0], months[-1]
    last = dt.date(y2, m2, cal_module.monthrange(y2, m2)[1])
    first = dt.date(y1, m1, 1)
    if holidays is None:
        return closed_days(plan.inputs.clinic, first, last, lang.code)
    return closed_days(plan.inputs.clinic, first, last, lang.code, holidays)


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
    from .fonts import width

    return width(text, font, size)


def _printed(plan: Plan, lang: Language) -> str:
    """The day the calendar was printed: the plan's `created`, in the clinic's zone (a PDF made
    with --now is the same every time)."""
    from zoneinfo import ZoneInfo

    return lang.long_date(plan.created.astimezone(ZoneInfo(plan.inputs.clinic.tz)).date())


def _status(plan: Plan, lang: Language, page: int, pages: int) -> str:
    return lang.gettext("Revision {revision} · printed {date} · Page {page} of {pages}").format(
        revision=plan.revision, date=_printed(plan, lang), page=page, pages=pages
    )


def _footer_lines(plan: Plan, look: _Look, page: int, pages: int, width: float) -> list[tuple[str, str, str]]:
    """The footer's lines, bottom up, as (text, font, "left" or "right"): the disclaimer with the
    revision, print date and page number right of it (above it when both do not fit one line),
    and, with an unreviewed catalog, the review notice above them in bold. All 12 pt."""
    lang = look.lang
    room = width - 2 * MARGIN
    disclaimer = wrap(lang.gettext(DISCLAIMER), FONT, FOOTER, room)
    status = _status(plan, lang, page, pages)
    together = len(disclaimer) == 1 and (
        _width(disclaimer[0], FONT, FOOTER) + 24 + _width(status, FONT, FOOTER) <= room
    )
    lines = [(text, FONT, "left") for text in reversed(disclaimer)]
    if together:
        lines.insert(0, (status, FONT, "right"))
    else:
        lines += [(text, FONT, "right") for text in reversed(wrap(status, FONT, FOOTER, room))]
    if lang.notice:
        lines += [
            (text, BOLD, "left") for text in reversed(wrap(lang.unreviewed_notice(), BOLD, FOOTER, room))
        ]
    return lines


def _footer_h(plan: Plan, look: _Look, width: float) -> float:
    """How tall the footer is (the same on every page: measured with a two-digit page count)."""
    lines = _footer_lines(plan, look, 88, 88, width)
    rows = _footer_rows(lines)
    return FOOTER_H + (rows - 1) * FOOTER_LEADING


def _footer_rows(lines: list[tuple[str, str, str]]) -> int:
    """Lines on distinct baselines: the status shares the disclaimer's when it fits beside it."""
    return (
        len(lines) - 1 if len(lines) > 1 and lines[0][2] == "right" and lines[1][2] == "left" else len(lines)
    )


def _footer(c: Any, plan: Plan, look: _Look, page: int, pages: int, width: float) -> None:
    """The footer's lines, drawn top down (a reader that extracts the text reads them in order)."""
    lines = _footer_lines(plan, look, page, pages, width)
    shared = _footer_rows(lines) < len(lines)
    placed: list[tuple[float, str, str, str]] = []
    y = MARGIN - 6
    for n, (text, font, align) in enumerate(lines):
        placed.append((y, text, font, align))
        if not (shared and n == 0):
            y += FOOTER_LEADING
    for y, text, font, align in sorted(placed, key=lambda line: (-line[0], line[3] != "left")):
        x = MARGIN if align == "left" else width - MARGIN - _width(text, font, FOOTER)
        _text(text, x, y, font, FOOTER)(c)


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
    from .fonts import draw

    def op(c: Any) -> None:
        draw(c, x, y, text, font, size)

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


def _para(
    flow: _Flow,
    look: _Look,
    text: str,
    x: float,
    width: float,
    size: float | None = None,
    font: str = FONT,
    symbol: str = "",
) -> None:
    """`_paragraph` in the look's body size; in large print a symbol is drawn scaled with the
    text (`_paragraph` draws it at the normal size)."""
    size = look.body if size is None else size
    if not (look.large and symbol):
        _paragraph(flow, text, x, width, size=size, font=font, symbol=symbol)
        return
    leading = size * 1.25
    lines = wrap(text, font, size, width)
    flow.need(min(leading * len(lines), flow.top - flow.bottom))
    for n, line in enumerate(lines):
        baseline = flow.line(line, x, font, size, leading)
        if n == 0:
            flow.draw(_scaled_symbol(symbol, x - look.indent, baseline, 11 * look.scale))


def _scaled_symbol(kind: str, x: float, y: float, size: float) -> Callable[[Any], None]:
    def op(c: Any) -> None:
        c.setLineWidth(0.75 * size / 11)
        _symbol(c, kind, x, y, size=size)
        c.setLineWidth(0.75)

    return op


def _tall(text: str, width: float, size: float = BODY) -> float:
    """How tall `_paragraph` draws `text` at `size`: what a heading keeps on its page."""
    return size * 1.25 * max(1, len(wrap(text, FONT, size, width)))


def _heading(flow: _Flow, text: str, x: float, width: float, then: float, size: float = 14.0) -> None:
    """A heading (14 pt, large print 21 pt), kept on the same page as the first `then` points below it."""
    leading = size * 20 / 14
    lines = wrap(text, BOLD, size, width)
    flow.need(leading * len(lines) + 4.5 + then)
    for line in lines:
        flow.line(line, x, BOLD, size, leading)
    flow.skip(4.5)


def _title(text: str, width: float, sizes: Sequence[float] = (26.0, 22.0, 18.0)) -> tuple[float, list[str]]:
    """The cover title: 26 pt on one line, smaller for a long name, wrapped at 18 pt if need be
    (large print: 36, 30, then 26 pt)."""
    for size in sizes:
        if _width(text, BOLD, size) <= width:
            return size, [text]
    return sizes[-1], wrap(text, BOLD, sizes[-1], width)


def _legend_rows(plan: Plan, lang: Language = ENGLISH) -> list[tuple[str, str]]:
    rows = []
    its = [e for e in plan.events if e.kind == "it-dose"]
    if its:
        drug = lang.gettext(its[0].drug) if its[0].drug else lang.gettext("treatment")
        doses = sorted({float(e.dose_mg or 0) for e in its})
        dose = (
            _mg(doses[0])
            if len(doses) == 1
            else lang.gettext("{low} to {high} mg (see each day)").format(
                low=f"{doses[0]:g}", high=f"{doses[-1]:g}"
            )
        )
        if its[0].route == "ommaya":
            text = lang.gettext(
                "IT = intrathecal treatment: {drug} {dose}, given into your Ommaya reservoir at the clinic. "
                "The time is on each day. It takes about {minutes} minutes."
            )
        else:
            text = lang.gettext(
                "IT = intrathecal treatment: {drug} {dose}, given by lumbar puncture (a needle in the lower "
                "back) at the clinic. The time is on each day. It takes about {minutes} minutes."
            )
        rows.append(("it", text.format(drug=drug, dose=dose, minutes=its[0].duration_min)))
        tentative = [e for e in its if e.status == "tentative"]
        if tentative:
            rows.append(("it-tentative", _tentative_words(tentative, lang)))
    rts = [e for e in plan.events if e.kind == "rt-fraction"]
    if rts:
        n = len(rts)
        text = lang.ngettext(
            "RT = radiotherapy ({site}) at {time}: {n} session. RT 3/{n} is the 3rd of {n}.",
            "RT = radiotherapy ({site}) at {time}: {n} sessions. RT 3/{n} is the 3rd of {n}.",
            n,
        )
        rows.append(("rt", text.format(site=_labelled(site_name, rts[0], lang), time=rts[0].time, n=n)))
    meds = [e for e in plan.events if e.kind == "medication"]
    if meds:
        am = next((e.time for e in meds if e.phase.endswith("morning")), "08:00")
        pm = next((e.time for e in meds if e.phase.endswith("evening")), "20:00")
        text = lang.gettext(
            "{drug} tablets by mouth at home: AM = morning ({am}), PM = evening ({pm}). "
            "The dose goes up week by week; see the table."
        )
        rows.append(("med", text.format(drug=_drug_name(plan, lang), am=am, pm=pm)))
    rows += _systemic_legend(plan, lang)
    rows += _check_legend(plan, lang)
    return rows


def _tentative_words(tentative: Sequence[Event], lang: Language = ENGLISH) -> str:
    """Why a hollow circle is still to be confirmed, in plain words: it waits for the CSF flow
    study (note FLOW_PENDING_NOTE: S24, S25), or it is a maintenance dose that continues while it
    helps (until progression), or both."""
    flow = any(waits_for_flow(e) for e in tentative)
    later = any(not waits_for_flow(e) or until_progression(e) for e in tentative)
    if flow and later:
        return lang.gettext(
            "A hollow circle is a planned date your team will confirm: first a scan checks that the "
            "fluid around your brain and spine flows freely, and the later treatments continue while "
            "they help you."
        )
    if flow:
        return lang.gettext(
            "A hollow circle is a planned date your team will confirm after a scan shows that the fluid "
            "around your brain and spine flows freely."
        )
    return lang.gettext(
        "A hollow circle is a planned date your team will confirm: these treatments continue while "
        "they help you."
    )


def _lower_first(text: str) -> str:
    """'Blood test ...' -> 'blood test ...', 'A sample ...' -> 'a sample ...'; 'MRI scan ...' stays."""
    first = text.split(" ", 1)[0]
    return text[:1].lower() + text[1:] if len(first) == 1 or first[1:].islower() else text


def _check_legend(plan: Plan, lang: Language = ENGLISH) -> list[tuple[str, str]]:
    """The test tube, and what each word on the days means, in the patient's words
    (`event_title`), where it is and how long it takes."""
    words: dict[str, list[Event]] = {}
    for e in plan.events:
        if e.kind == "check":
            words.setdefault(check_word(e, lang), []).append(e)
    if not words:
        return []
    parts = []
    for word, events in words.items():
        titles = list(dict.fromkeys(_labelled(event_title, e, lang) for e in events))
        if len(titles) == 1 and titles[0].lower().startswith(word.lower()):
            text = titles[0]
        else:
            text = lang.gettext("{word}: {titles}").format(
                word=word, titles="; ".join(_lower_first(t) for t in titles)
            )
        if all(e.duration_min == 0 for e in events):
            parts.append(lang.gettext("{text}.").format(text=text))
            continue
        where = {e.where for e in events}
        if where == {"clinic"}:
            text = lang.gettext("{text}, at the clinic").format(text=text)
        elif where == {"external"}:
            text = lang.gettext("{text}, not at the clinic: your care team will tell you where").format(
                text=text
            )
        minutes = sorted({e.duration_min for e in events if e.duration_min})
        if minutes:
            text = lang.gettext("{text} (about {duration})").format(
                text=text, duration=_range([_minutes(m, lang) for m in minutes], lang)
            )
        parts.append(lang.gettext("{text}.").format(text=text))
    intro = lang.gettext(
        "Test tube = a test or scan; the word on the day says which (the time is next to it)."
    )
    return [("check", " ".join([intro, *parts]))]


def _cycle_days(plan: Plan, course: str) -> int | None:
    return next((t.cycle_days for t in plan.templates if t.id == course), None)


def _minutes(n: int, lang: Language = ENGLISH) -> str:
    if n % 60:
        return lang.ngettext("{n} minute", "{n} minutes", n).format(n=n)
    return lang.ngettext("{n} hour", "{n} hours", n // 60).format(n=n // 60)


def _range(items: Sequence[str], lang: Language) -> str:
    """'30 minutes', '30 minutes to 1 hour', '30 minutes to 1 hour to 2 hours' (as listed)."""
    out = items[0]
    for item in items[1:]:
        out = lang.gettext("{low} to {high}").format(low=out, high=item)
    return out


def _systemic_legend(plan: Plan, lang: Language = ENGLISH) -> list[tuple[str, str]]:
    """The drop (an infusion visit) and the capsule (tablets at home), in plain words."""
    rows = []
    infusions: dict[str, list[Event]] = {}
    for e in plan.events:
        if e.kind == "infusion":
            infusions.setdefault(_drug(e, lang), []).append(e)
    clinic = plan.inputs.clinic
    for drug, events in infusions.items():
        every = _cycle_days(plan, events[0].course)
        if every and every % 7 == 0:
            what = lang.ngettext(
                "Drop = infusion visit at the clinic: {drug} given through a drip into a vein, about every "
                "{weeks} week. The time on the day is when your visit starts.",
                "Drop = infusion visit at the clinic: {drug} given through a drip into a vein, about every "
                "{weeks} weeks. The time on the day is when your visit starts.",
                every // 7,
            ).format(drug=drug.lower(), weeks=every // 7)
        else:
            what = lang.gettext(
                "Drop = infusion visit at the clinic: {drug} given through a drip into a vein. "
                "The time on the day is when your visit starts."
            ).format(drug=drug.lower())
        first, later = events[0].duration_min, {e.duration_min for e in events[1:]}
        if not later or later == {first}:
            takes = lang.gettext("The drip takes about {duration}.").format(duration=_minutes(first, lang))
        else:
            takes = lang.gettext("The first drip takes about {first}, later ones about {later}.").format(
                first=_minutes(first, lang), later=_range([_minutes(m, lang) for m in sorted(later)], lang)
            )
        sentences = [what, takes]
        extra = clinic.prep_min + clinic.observation_min
        if extra:
            sentences.append(
                lang.gettext(
                    "Plan to be at the clinic about {duration} longer: the nurses get you ready and "
                    "watch how you are afterwards."
                ).format(duration=_minutes(extra, lang))
            )
        rows.append(("infusion", " ".join(sentences)))
    tablets = [e for e in plan.events if e.kind == "tablet"]
    if tablets:
        hours: dict[str, str] = {}
        for e in tablets:
            hours.setdefault(time_of_day(e), e.time)
        words = {
            "morning": lang.gettext("morning ({time})").format(time=hours.get("morning")),
            "evening": lang.gettext("evening ({time})").format(time=hours.get("evening")),
            "daily": lang.gettext("once a day ({time})").format(time=hours.get("daily")),
        }
        said: dict[str, str] = {}  # each time word a cell prints, and what it means
        for drugs in _tablet_days(plan, lang).values():
            for whens in drugs.values():
                times = _times(whens, lang)
                if all(w.startswith("time") for w in whens):
                    clocks = sorted(hours[w] for w in whens)
                    said.setdefault(
                        times,
                        lang.ngettext(
                            "{n} time a day ({times})", "{n} times a day ({times})", len(clocks)
                        ).format(n=len(clocks), times=_and(clocks, lang)),
                    )
                else:
                    said.setdefault(
                        times,
                        _and([words.get(w, w) for w in ("morning", "evening", "daily") if w in whens], lang),
                    )
        meaning = _and(
            [lang.gettext("{word} = {meaning}").format(word=k, meaning=v) for k, v in said.items()], lang
        )
        rows.append(
            (
                "tablet",
                lang.gettext(
                    "Capsule = tablets you take at home by mouth, not at the clinic. The capsule's line "
                    "says when ({when}); the lines under it name the tablets to take. The capsule is on "
                    "every day you take them: on a day without it, take none. How many tablets: see below."
                ).format(when=meaning),
            )
        )
    return rows


def _and(items: Sequence[str], lang: Language = ENGLISH) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(items) < 2:
        return "".join(items)
    return lang.gettext("{items} and {last}").format(items=", ".join(items[:-1]), last=items[-1])


def _tablet_courses(plan: Plan, lang: Language = ENGLISH) -> list[str]:
    """One plain sentence per systemic tablet: dose (and which tablets make it up), times, days."""
    by_drug: dict[str, list[Event]] = {}
    for e in plan.events:
        if e.kind == "tablet":
            by_drug.setdefault(_drug(e, lang), []).append(e)
    out = []
    for drug, events in by_drug.items():
        changes: list[tuple[str, dt.date]] = []  # each dose (with its tablets) and when it starts
        for e in sorted(events, key=lambda e: e.date):
            dose = _mg(float(e.dose_mg or 0))
            if e.tablets:
                dose = lang.gettext("{dose} ({tablets})").format(dose=dose, tablets=lang.gettext(e.tablets))
            if not changes or changes[-1][0] != dose:
                changes.append((dose, e.date))
        doses = [
            dose
            if len(changes) == 1
            else lang.gettext("{dose} from {date}").format(dose=dose, date=_short(day, lang))
            for dose, day in changes
        ]
        whens = {time_of_day(e) for e in events}
        said = {
            "morning": lang.gettext("morning ({time})"),
            "evening": lang.gettext("evening ({time})"),
            "daily": lang.gettext("once a day ({time})"),
        }
        times = [
            said[when].format(time=next(e.time for e in events if time_of_day(e) == when))
            for when in ("morning", "evening", "daily")
            if when in whens
        ]
        clocks = sorted({e.time for e in events if time_of_day(e).startswith("time")})
        if clocks:
            times.append(
                lang.ngettext("{n} time a day ({times})", "{n} times a day ({times})", len(clocks)).format(
                    n=len(clocks), times=_and(clocks, lang)
                )
            )
        taken = sorted({e.date + dt.timedelta(days=i) for e in events for i in range(e.repeat_days)})
        first, last = _short(taken[0], lang), _short(taken[-1], lang)
        cycle = _cycle_days(plan, events[0].course)
        runs = {e.repeat_days for e in events}
        if len(taken) == (taken[-1] - taken[0]).days + 1:
            days = lang.gettext("every day from {first} to {last}").format(first=first, last=last)
        elif cycle and len(runs) == 1 and all(e.cycle_day == 1 for e in events):
            (n,) = runs
            days = lang.gettext(
                "on days 1 to {n} of each {cycle}-day cycle, then {off} days without ({first} to {last})"
            ).format(n=n, cycle=cycle, off=cycle - n, first=first, last=last)
        else:
            days = lang.gettext("on the days the calendar marks, from {first} to {last}").format(
                first=first, last=last
            )
        how = sorted({lang.gettext(e.instructions) for e in events if e.instructions})
        advice = "".join(f" {text[:1].upper()}{text[1:]}." for text in how)
        sentence = lang.gettext("{drug}: {doses} each time, {times}, {days}.").format(
            drug=drug, doses="; ".join(doses), times=_and(times, lang), days=days
        )
        out.append(sentence + advice)
    return out


def _titration(plan: Plan, lang: Language = ENGLISH) -> list[tuple[str, str, str, str]]:
    """Rows of (weeks, dates, morning, evening): consecutive days with the same doses."""
    doses = _med_doses(plan)
    if not doses:
        return []
    days = sorted(doses)
    rows: list[tuple[str, str, str, str]] = []
    group: list[dt.date] = []
    for day in days:
        if group and (doses[day] != doses[group[0]] or day != group[-1] + dt.timedelta(1)):
            rows.append(_titration_row(days[0], group, doses[group[0]], lang))
            group = []
        group.append(day)
    rows.append(_titration_row(days[0], group, doses[group[0]], lang))
    return rows


def _titration_row(
    first: dt.date, group: Sequence[dt.date], dose: dict[str, float], lang: Language = ENGLISH
) -> tuple[str, str, str, str]:
    w1 = (group[0] - first).days // 7 + 1
    w2 = (group[-1] - first).days // 7 + 1
    if w1 == w2:
        weeks = lang.gettext("Week {n}").format(n=w1)
    else:
        weeks = lang.gettext("Weeks {first}-{last}").format(first=w1, last=w2)
    dates = lang.gettext("{first} to {last}").format(
        first=_short(group[0], lang), last=_short(group[-1], lang)
    )
    none = lang.gettext("none")
    return (
        weeks,
        dates,
        _mg(dose["AM"]) if "AM" in dose else none,
        _mg(dose["PM"]) if "PM" in dose else none,
    )


def _short(day: dt.date, lang: Language = ENGLISH) -> str:
    """'Mon 14 Dec 2026'; 'lun, 14 dic 2026' (the language's short date and the year)."""
    return lang.gettext("{date} {year}").format(date=lang.short_date(day), year=day.year)


def _cover(
    plan: Plan, width: float, height: float, look: _Look = _Look()
) -> list[list[Callable[[Any], None]]]:
    """The cover's drawing, page by page (usually one page)."""
    lang, body = look.lang, look.body
    name = _greeting(plan)
    x, right = MARGIN + 12, width - MARGIN - 12
    flow = _Flow(top=height - MARGIN, bottom=MARGIN + _footer_h(plan, look, width))
    heading = (
        lang.gettext("Treatment calendar for {name}").format(name=name)
        if name
        else lang.gettext("Your treatment calendar")
    )
    size, title = _title(heading, right - x, look.titles)
    for line in title:
        flow.line(line, x, BOLD, size, size + 4)
    flow.skip(7.5 * look.scale)
    its = [e for e in plan.events if e.kind == "it-dose"]
    rts = [e for e in plan.events if e.kind == "rt-fraction"]
    meds = [e for e in plan.events if e.kind == "medication"]
    dated: list[tuple[dt.date, str]] = []
    if rts:
        text = lang.gettext("Radiotherapy starts {date} at {time}.")
        dated.append((rts[0].date, text.format(date=lang.long_date(rts[0].date), time=rts[0].time)))
    if its:
        text = lang.gettext("First intrathecal treatment: {date} at {time}.")
        dated.append((its[0].date, text.format(date=lang.long_date(its[0].date), time=its[0].time)))
    if meds:
        first = min(e.date for e in meds)
        text = lang.gettext("{drug} tablets start {date}.")
        dated.append((first, text.format(drug=_drug_name(plan, lang), date=lang.long_date(first))))
    infusions = [e for e in plan.events if e.kind == "infusion"]
    tablets = [e for e in plan.events if e.kind == "tablet"]
    if infusions:
        first = infusions[0].date
        text = lang.gettext("First infusion visit: {date} at {time}.")
        dated.append((first, text.format(date=lang.long_date(first), time=infusions[0].time)))
    if tablets:
        first = min(e.date for e in tablets)
        names = ", ".join(dict.fromkeys(_drug(e, lang).lower() for e in tablets))
        text = lang.gettext("Tablets at home start {date} ({names}).")
        dated.append((first, text.format(date=lang.long_date(first), names=names)))
    checks = [e for e in plan.events if e.kind == "check"]
    if checks:
        first_check = min(checks, key=lambda e: (e.date, e.time))
        text = lang.gettext("First test: {date} at {time}, {test}.")
        dated.append(
            (
                first_check.date,
                text.format(
                    date=lang.long_date(first_check.date),
                    time=first_check.time,
                    test=_lower_first(_labelled(event_title, first_check, lang)),
                ),
            )
        )
    if infusions or tablets or checks:  # in the order they begin (stable for ties)
        dated.sort(key=lambda fact: fact[0])
    facts = [text for _, text in dated]
    if not plan.events:
        facts.append(lang.gettext("No treatment visits are planned in this calendar."))
    for fact in facts:
        _para(flow, look, fact, x, right - x, size=look.fact, font=BOLD)
    flow.skip(8 * look.scale)
    legend = _legend_rows(plan, lang)
    indent = look.indent
    if legend:
        _heading(
            flow,
            lang.gettext("What the signs on the calendar mean"),
            x,
            right - x,
            then=_tall(legend[0][1], right - x - indent, body),
            size=look.heading,
        )
    for kind, text in legend:
        _para(flow, look, text, x + indent, right - x - indent, symbol=kind)
        flow.skip(4 * look.scale)
    rows = _titration(plan, lang)
    if rows:
        flow.skip(6 * look.scale)
        weekly = lang.gettext("{drug} tablets, week by week").format(drug=_drug_name(plan, lang))
        heads = (
            lang.gettext("Weeks"),
            lang.gettext("Dates"),
            lang.gettext("Morning"),
            lang.gettext("Evening"),
        )
        cols = _table_columns(rows, heads, x, right - x, body)
        if cols is None:  # too wide at this size (large print): one line of words per row
            _heading(flow, weekly, x, right - x, then=_tall(rows[0][0], right - x, body), size=look.heading)
            for weeks, dates, am, pm in rows:
                text = lang.gettext("{weeks}, {dates}: morning {morning}, evening {evening}").format(
                    weeks=weeks, dates=dates, morning=am, evening=pm
                )
                _para(flow, look, text, x, right - x)
        else:
            _heading(flow, weekly, x, right - x, then=(17 + 16 * len(rows)) * look.scale, size=look.heading)
            baseline = flow.line("", x, BOLD, body, 15 * look.scale)
            for col, head in zip(cols, heads, strict=True):
                flow.draw(_text(head, col, baseline, BOLD, body))
            flow.draw(_rule(x, baseline - 4, max(x + 620, cols[-1] + 110)))
            for n, row in enumerate(rows):
                baseline = flow.line("", x, FONT, body, (18 if n == 0 else 16) * look.scale)
                for col, cell in zip(cols, row, strict=True):
                    flow.draw(_text(cell, col, baseline, FONT, body))
    courses = _tablet_courses(plan, lang)
    if courses:
        flow.skip(6 * look.scale)
        _heading(
            flow,
            lang.gettext("Your tablets at home"),
            x,
            right - x,
            then=_tall(courses[0], right - x - indent, body),
            size=look.heading,
        )
        for text in courses:
            _para(flow, look, text, x + indent, right - x - indent, symbol="tablet")
            flow.skip(4 * look.scale)
    messages = list(dict.fromkeys(lang.gettext(f.patient_message) for f in plan.findings))
    # Visits a revision moved: said in the care team's name, never with the revision's reason
    # (free text for staff, which may hold a record number or a diagnosis). Moves the clinic
    # calendar made when the plan was made (closures, holidays) need no word: the grid shows the day.
    moved = [e for e in plan.events if e.shifted_from and e.sequence > 0 and e.status != "cancelled"]
    if moved:
        messages.insert(
            0,
            lang.ngettext(
                "{n} visit was moved by your care team; this calendar shows the new dates.",
                "{n} visits were moved by your care team; this calendar shows the new dates.",
                len(moved),
            ).format(n=len(moved)),
        )
    if plan.revision:
        messages.insert(
            0,
            lang.gettext("This is update {revision} of your calendar: it replaces any earlier one.").format(
                revision=plan.revision
            ),
        )
    if plan.edited:
        messages.insert(0, lang.gettext(EDITED_PATIENT))
    if messages:
        flow.skip(6 * look.scale)
        _heading(
            flow,
            lang.gettext("Please note"),
            x,
            right - x,
            then=_tall(messages[0], right - x, body),
            size=look.heading,
        )
        for message in messages:
            _para(flow, look, message, x, right - x)
            flow.skip(2 * look.scale)
    clinic = plan.inputs.clinic
    contact = [p for p in (clinic.name, clinic.location.replace("\n", ", ") if clinic.location else "") if p]
    if clinic.phone:
        contact.append(lang.gettext("Phone: {phone}").format(phone=clinic.phone))
    if contact:
        flow.skip(6 * look.scale)
        _heading(flow, lang.gettext("Your clinic"), x, right - x, then=15 * look.scale, size=look.heading)
        for item in contact:
            _para(flow, look, item, x, right - x)
    return flow.pages


def _table_columns(
    rows: Sequence[Sequence[str]], heads: Sequence[str], x: float, room: float, size: float
) -> list[float] | None:
    """The titration table's column starts: today's (110, 280, 120 points wide) when every cell
    fits them, else as wide as the widest cell of each, or None when even that is wider than the
    page (large print: the rows become sentences)."""
    cells = [heads, *rows]
    need = [
        max(_width(row[i], FONT if row is not heads else BOLD, size) for row in cells) + 12 for i in range(4)
    ]
    usual = [110.0, 280.0, 120.0, 110.0]
    if all(n <= u for n, u in zip(need, usual, strict=True)):
        widths = usual
    elif sum(need) <= room:
        widths = need
    else:
        return None
    out, at = [], x
    for w in widths:
        out.append(at)
        at += w
    return out


def _rule(x1: float, y: float, x2: float) -> Callable[[Any], None]:
    def op(c: Any) -> None:
        c.setLineWidth(0.75)
        c.line(x1, y, x2, y)

    return op


def _month_header(
    name: str | None, title_w: float, width: float, look: _Look = _Look()
) -> tuple[float, list[str]]:
    """The patient's name right of the month's title: 14 pt on one line (large print 21), else
    wrapped at the body size in the room the title leaves (the title bar grows, the grid gives way)."""
    if not name:
        return look.heading, []
    text = look.lang.gettext("Treatment calendar for {name}").format(name=name)
    room = width - 2 * MARGIN - title_w - 24
    if _width(text, FONT, look.heading) <= room:
        return look.heading, [text]
    return look.body, wrap(text, FONT, look.body, room)


def _cell_lines(day: Day, width: float, size: float = BODY, wide: float | None = None) -> list[Line]:
    """A day's lines wrapped to its cell (a 999.5 mg dose, a long drug name): the symbol stays on
    the first piece, the rest are continuation lines. A wide line (the clinic closed) takes the
    room of the symbol column too (`wide` points)."""
    lines: list[Line] = []
    for line in day.lines:
        font = BOLD if line.bold else FONT
        room = wide if line.wide and wide is not None else width
        first = line.text.split(" ", 1)[0]
        if (
            line.symbol is not None
            and wide is not None
            and _width(first, font, size) > room
            and _width(first, font, size) <= wide
        ):
            # a word wider than the text column (large print: "Memantine" at 18 pt) but not than
            # the cell: the symbol on a line of its own, the words below it, across the cell,
            # rather than the word broken ("Memanti-ne")
            lines.append(Line("", line.symbol, line.bold, False))
            lines += [Line(piece, None, line.bold, True) for piece in wrap(line.text, font, size, wide)]
            continue
        for n, piece in enumerate(wrap(line.text, font, size, room) or [""]):
            lines.append(
                Line(piece, line.symbol if n == 0 else None, line.bold, line.wide and wide is not None)
            )
    return lines


def _rows(counts: Sequence[int], room: float, look: _Look = _Look()) -> tuple[list[float], float]:
    """Row heights and line spacing for weeks needing `counts` lines: equal rows when the fullest
    week fits one (the usual case), else each row as tall as its week needs (a long name's header
    and a crowded week in a six-week month), so a day's text is never squeezed below 12.5 pt
    spacing (large print: 18.75). A leading below the minimum means the weeks do not fit."""
    fixed = 2 * PAD + look.day_extra
    even = room / len(counts)
    if max(counts) * look.min_leading + fixed <= even:
        return [even] * len(counts), min(look.max_leading, (even - fixed) / max(counts))
    leading = min(look.max_leading, (room - fixed * len(counts)) / sum(counts))
    heights = [n * leading + fixed for n in counts]
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


def _part_title(name: str, n: int, parts: int, look: _Look) -> str:
    """A month's page title: "December 2026"; a month on several pages: "December 2026, part 1 of
    2" (large print: "December 2026", then "December 2026 (continued)")."""
    if parts == 1 or (look.large and n == 1):
        return name
    if look.large:
        return look.lang.gettext("{month} (continued)").format(month=name)
    return look.lang.gettext("{month}, part {part} of {parts}").format(month=name, part=n, parts=parts)


def _month_layout(
    plan: Plan,
    year: int,
    month: int,
    days: dict[dt.date, Day],
    width: float,
    height: float,
    look: _Look = _Look(),
) -> list[_MonthPage]:
    """A month's page, or pages: a month whose weeks need more lines than one page holds even
    with rows sized to them (four daily tablet courses, an IT session and an infusion in a
    six-week month; most months in large print) continues on a second page, its weeks shared
    out in order, whole weeks on each, so that nothing is squeezed below the body size's
    spacing and nothing is cropped."""
    name = look.lang.month_year(year, month)
    name = name[:1].upper() + name[1:]  # a heading: "Diciembre de 2026"
    weeks = cal_module.Calendar(firstweekday=0).monthdatescalendar(year, month)
    col_w = (width - 2 * MARGIN) / 7
    text_w = col_w - 2 * PAD - look.symbol - look.gap
    if look.large:
        return _packed(plan, name, month, weeks, days, text_w, width, height, look)
    for parts in range(1, len(weeks) + 1):
        size = -(-len(weeks) // parts)  # weeks per page, the last page taking what is left
        chunks = [weeks[i : i + size] for i in range(0, len(weeks), size)]
        pages = []
        for n, chunk in enumerate(chunks, start=1):
            title = _part_title(name, n, len(chunks), look)
            page = _fit(plan, title, month, chunk, days, text_w, width, height, look)
            if page is None:
                break
            pages.append(page)
        else:
            return pages
    raise LayoutError(f"{name}: one week's days do not fit a page")


def _packed(
    plan: Plan,
    name: str,
    month: int,
    weeks: list[list[dt.date]],
    days: dict[dt.date, Day],
    text_w: float,
    width: float,
    height: float,
    look: _Look,
) -> list[_MonthPage]:
    """Large print: as many whole weeks on each page as fit, in order (a crowded week does not
    send its quiet neighbours to pages of their own), the first page titled with the month, the
    others "(continued)"."""
    widest = _part_title(name, 2, 2, look)  # weeks that fit under it fit under the month's name
    chunks: list[list[list[dt.date]]] = []
    at = 0
    while at < len(weeks):
        end = at + 1
        if _fit(plan, widest, month, weeks[at:end], days, text_w, width, height, look) is None:
            raise LayoutError(f"{name}: one week's days do not fit a page")
        while end < len(weeks) and _fit(
            plan, widest, month, weeks[at : end + 1], days, text_w, width, height, look
        ):
            end += 1
        chunks.append(weeks[at:end])
        at = end
    pages = []
    for n, chunk in enumerate(chunks, start=1):
        # laid out under the widest title (the header beside it only gets more room)
        page = _fit(plan, widest, month, chunk, days, text_w, width, height, look)
        if page is None:  # it fitted a moment ago: a bug
            raise LayoutError(f"{name}: weeks that fitted no longer fit")
        page.title = _part_title(name, n, len(chunks), look)
        pages.append(page)
    return pages


def _fit(
    plan: Plan,
    title: str,
    month: int,
    weeks: list[list[dt.date]],
    days: dict[dt.date, Day],
    text_w: float,
    width: float,
    height: float,
    look: _Look = _Look(),
) -> _MonthPage | None:
    """`weeks` laid out on one page, or None when their days need more lines than it holds."""
    size, header = _month_header(_greeting(plan), _width(title, BOLD, look.title), width, look)
    grid_top = height - MARGIN - max(look.title_h, look.title_h + (len(header) - 1) * (size + 2.5))
    room = grid_top - look.weekday_h - (MARGIN + _footer_h(plan, look, width))
    # a day too full for an even row gives up its tablets' name line (never 12 pt text with less
    # than 12.5 pt leading); a week still too full gets a taller row (see _rows)
    fits = int((room / len(weeks) - 2 * PAD - look.day_extra) // look.min_leading)
    cells: dict[dt.date, list[Line]] = {}
    for week in weeks:
        for d in week:
            if d.month != month or d not in days:
                continue
            wide = text_w + look.symbol + look.gap
            lines = _cell_lines(days[d], text_w, look.body, wide)
            if 1 + len(lines) > fits:
                lines = _cell_lines(_compact(days[d]), text_w, look.body, wide)
            cells[d] = lines
    counts = [max((1 + len(cells.get(d, [])) for d in w if d.month == month), default=1) for w in weeks]
    heights, leading = _rows(counts, room, look)
    if leading < look.min_leading - 1e-9:
        return None
    return _MonthPage(title, month, header, size, grid_top, weeks, heights, leading, cells)


def _weekday_names(look: _Look, col_w: float) -> list[str]:
    """The grid's weekday headings: whole names ("Monday", "miércoles"), abbreviated when one is
    wider than its column (large print)."""
    wide = [look.lang.weekday_name(i, "wide") for i in range(7)]
    if all(_width(name, BOLD, look.body) <= col_w - 2 * PAD for name in wide):
        return wide
    return [look.lang.weekday_name(i, "abbreviated") for i in range(7)]


def _month(c: Any, page: _MonthPage, width: float, height: float, look: _Look = _Look()) -> None:
    body = look.body
    baseline = height - MARGIN - look.title_drop
    _text(page.title, MARGIN, baseline, BOLD, look.title)(c)
    for n, line in enumerate(page.header):
        y = baseline - n * (page.header_size + 2.5)
        _text(line, width - MARGIN - _width(line, FONT, page.header_size), y, FONT, page.header_size)(c)
    col_w = (width - 2 * MARGIN) / 7
    c.setLineWidth(0.75 * look.scale)
    for i, day_name in enumerate(_weekday_names(look, col_w)):
        x = MARGIN + col_w * (i + 0.5) - _width(day_name, BOLD, body) / 2
        _text(day_name, x, page.grid_top - look.weekday_h + 5 * look.scale, BOLD, body)(c)
    top = page.grid_top - look.weekday_h
    for week, row_h in zip(page.weeks, page.heights, strict=True):
        for col, day in enumerate(week):
            left = MARGIN + col * col_w
            c.rect(left, top - row_h, col_w, row_h, stroke=1, fill=0)
            if day.month != page.month:
                continue
            y = top - PAD - body * 0.85 - look.day_extra
            _text(str(day.day), left + PAD, y, BOLD, look.day)(c)
            for cell in page.cells.get(day, []):
                y -= page.leading
                if cell.symbol:
                    _symbol(c, cell.symbol, left + PAD, y, size=look.symbol)
                x = left + PAD if cell.wide else left + PAD + look.symbol + look.gap
                _text(cell.text, x, y, BOLD if cell.bold else FONT, body)(c)
        top -= row_h
    c.setLineWidth(0.75)


def render(
    plan: Plan,
    paper: Paper = "letter",
    lang: Language = ENGLISH,
    large_print: bool = False,
    fonts: Fonts | None = None,
    holidays: LocalHolidaySource | None = None,
) -> bytes:
    """The patient calendar as PDF bytes (same plan, same bytes), in the patient's language and,
    with `large_print`, at 18 pt with 24 pt dates. Cancelled events are left out."""
    from reportlab.pdfgen.canvas import Canvas

    from . import fonts as typeset

    typeset.register(fonts or typeset.DEFAULT_FONTS)
    typeset.check(typeset.plan_texts(plan), fonts or typeset.DEFAULT_FONTS)
    # the words of the patient's language too: a catalog in a script no font has never prints boxes
    typeset.check(
        ((f"language ({lang.source})", m) for m in lang.messages.values()), fonts or typeset.DEFAULT_FONTS
    )

    look = _Look(lang=lang, large=large_print)
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
    c.setTitle(lang.gettext("Treatment calendar"))
    c.setAuthor(info["author"])
    c.setSubject(info["subject"])
    c.setCreator(info["creator"])
    c.setProducer(info["producer"])
    c.setKeywords(" ".join(info["keywords"]))
    cover = _cover(plan, width, height, look)
    days = _day_lines(plan, lang, _closed(plan, lang, holidays))
    months = [page for y, m in _months(plan) for page in _month_layout(plan, y, m, days, width, height, look)]
    pages = len(cover) + len(months)
    for n, ops in enumerate(cover, start=1):
        c.setLineWidth(0.75)
        for op in ops:
            op(c)
        _footer(c, plan, look, n, pages, width)
        c.showPage()
    for n, month in enumerate(months, start=len(cover) + 1):
        c.setLineWidth(0.75)
        _month(c, month, width, height, look)
        _footer(c, plan, look, n, pages, width)
        c.showPage()
    c.save()
    return buffer.getvalue()
