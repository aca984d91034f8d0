"""The staff sheet: every event of the plan as one row that a pharmacist or nurse signs off.

Landscape pages, 9 pt text or larger, black and white (grey rules only). Every page carries the
patient, the regimen and the plan's fingerprint in its header and "Page X of Y" with the
disclaimer in its footer; the table's header row repeats on every page it continues onto, and
each row leaves empty columns for the time given, initials and lot number. A check (a blood count,
CSF cytology, a scan: kind "check") is a row of the same table, in time order with the doses it
guards, marked CHECK: where it is and how long it takes across the dose and route columns, and
across the administration record's columns (nothing to sign for a check) what it guards with those
rows' numbers, its detail (the CSF sample volume) and "local convention" for an interval with no
verified source. After the table: the total planned dose per drug (checks have none), the checks
planned, the safety findings, the overrides, the plan's notes and a sign-off block.

Built with ReportLab platypus, imported inside `render` only (start-up time matters); the events
table is drawn on the canvas a page at a time (`table.paged_rows`). Every piece
of text that came from input goes through `markup` before it reaches paragraph markup (escaped,
with its runs in a clinic's fallback font marked); every text is measured and drawn run by run
in the embedded Noto Sans or the font that has it (`fonts`).
"""

from __future__ import annotations

import datetime as dt
import functools
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ...labels import WEEKDAY, dose_text, event_label, route_words, site_name
from ...models import Paper
from ...monitoring import waits_for_flow
from ...plan import Event, Plan
from .common import (
    DISCLAIMER,
    cell_padding,
    document_info,
    generated,
    landscape_size,
    numbered_canvas,
    stamped,
)
from .fonts import BOLD as _BOLD
from .fonts import DEFAULT_FONTS, REGULAR, Fonts, check, draw, is_plain, markup, plan_texts, register, width
from .fonts import ITALIC as _ITALIC
from .table import cell_widths, paged_rows, rich

__all__ = ["COLUMNS", "CheckCount", "LayoutError", "Total", "check_counts", "render", "totals"]

FONT, BOLD = REGULAR, _BOLD
FACES = {(False, False): FONT, (True, False): BOLD, (False, True): _ITALIC}  # <b>, <i> (not both)
BODY = 9.0  # the smallest text anywhere on the sheet
LEADING = 11.0
MARGIN = 24.0
FOOTER_H = 20.0  # from the bottom margin up to the frame
HEADER_GAP = 8.0  # between the page header's rule and the frame
PAD_X, PAD_TOP, PAD_BOTTOM = 3.0, 5.0, 6.0  # a one-line row is 5 + 11 + 6 = 22 pt: room to write
FRAME_PAD = 6.0  # what SimpleDocTemplate's frame pads on every side
MIN_FLEX = 56.0  # the narrowest the Event and Moved-from columns may become

COLUMNS = (
    "#",
    "Date, time",
    "Event",
    "Dose (mg)",
    "Route, formulation",
    "Moved from",
    "Given (date/time)",
    "Initials",
    "Lot",
    # the administration record's checks (S27: an independent second check; S11: a bedside time-out)
    # and, for an IT dose, the CSF withdrawn and whether a sample went to the laboratory
    "2nd check initials",
    "Time out",
    "CSF out (mL)",
    "Sample sent",
)
# the columns sized to their content, the two that share what is left, and the write-in columns
# (the day and time share a cell, as do the route and formulation, and the phase is a line of the
# event: room for the check columns)
_COMPACT = (0, 1, 3, 4)
_EVENT, _MOVED = 2, 5  # share what is left: Event as wide as its longest label, within limits
_DOSE, _RECORD = 3, 6  # a check's row spans dose and route, and the record's columns (6 to the end)
_EVENT_SHARE = (0.35, 0.75)
# write-in minimum widths: headings wrap onto a second line at their words
_WRITE_IN = {6: 80.0, 7: 36.0, 8: 44.0, 9: 40.0, 10: 36.0, 11: 36.0, 12: 36.0}
IT_BANNER = "FOR INTRATHECAL USE ONLY"  # on every IT row (S11)
_PAGE_HEADER = "lmschedPageHeader"  # the page header's form
TICK_BOX = "[  ]"  # a box to tick by hand


class LayoutError(RuntimeError):
    """The page is too narrow for the table: a bug in the layout, never silently cropped."""


@dataclass(frozen=True)
class Total:
    """One line of the totals: what, how it is given, how many events, the total."""

    what: str
    route: str
    count: str
    total: str


# --- content (pure: no ReportLab) -----------------------------------------------------------------


def _g(value: float) -> str:
    return f"{round(value, 4):g}"


def totals(plan: Plan) -> list[Total]:
    """Total planned dose per drug (IT and tablets) and per radiotherapy course, in plan order."""
    rows: list[Total] = []
    its: dict[str, list[Event]] = {}
    meds: dict[str, list[Event]] = {}
    rts: dict[str, list[Event]] = {}
    infusions: dict[str, list[Event]] = {}
    tablets: dict[str, list[Event]] = {}
    for e in plan.events:
        if e.status == "cancelled":
            continue
        if e.kind == "it-dose":
            its.setdefault(e.drug or e.course, []).append(e)
        elif e.kind == "medication":
            meds.setdefault(e.drug or e.course, []).append(e)
        elif e.kind == "infusion":
            infusions.setdefault(e.drug or e.course, []).append(e)
        elif e.kind == "tablet":
            tablets.setdefault(e.drug or e.course, []).append(e)
        elif e.kind == "rt-fraction":
            rts.setdefault(e.course, []).append(e)
        # checks have no dose: they are counted under "Checks", see `check_counts`
    for drug, events in its.items():
        total = sum(float(e.dose_mg or 0) for e in events)
        tentative = [e for e in events if e.status == "tentative"]
        text = f"{_g(total)} mg"
        if tentative:
            # tentative: waiting for the CSF flow study, or maintenance continuing until progression
            waiting = sum(waits_for_flow(e) for e in tentative)
            why = f"; {waiting} until a CSF flow study shows normal flow" if waiting else ""
            text += (
                f" (of which {len(tentative)} tentative dose{'s' if len(tentative) != 1 else ''}, "
                f"{_g(sum(float(e.dose_mg or 0) for e in tentative))} mg{why})"
            )
        routes = ", ".join(dict.fromkeys(route_words(e.route) for e in events))
        rows.append(Total(f"{drug} (intrathecal)", routes, f"{len(events)} doses", text))
    for drug, events in meds.items():
        total = sum(float(e.dose_mg or 0) * e.repeat_days for e in events)
        first = min(e.date for e in events)
        last = max(e.date + dt.timedelta(days=e.repeat_days - 1) for e in events)
        days = (last - first).days + 1
        routes = ", ".join(dict.fromkeys(route_words(e.route) for e in events))
        rows.append(
            Total(
                drug,
                routes,
                f"{len(events)} titration rows",
                f"{_g(total)} mg over {days} days ({first} to {last})",
            )
        )
    for drug, events in infusions.items():
        total = sum(float(e.dose_mg or 0) for e in events)
        cycles = _ranges([e.cycle for e in events if e.cycle is not None])
        rows.append(
            Total(
                f"{drug} (systemic)",
                route_words("iv"),
                f"{len(events)} infusion{'s' if len(events) != 1 else ''}",
                f"{_g(total)} mg" + (f" (cycles {cycles})" if cycles else ""),
            )
        )
    for drug, events in tablets.items():
        total = sum(float(e.dose_mg or 0) * e.repeat_days for e in events)
        taken = {e.date + dt.timedelta(days=i) for e in events for i in range(e.repeat_days)}
        doses = sum(e.repeat_days for e in events)
        rows.append(
            Total(
                f"{drug} (systemic)",
                route_words("oral"),
                f"{len(events)} tablet rows, {doses} doses",
                f"{_g(total)} mg over {len(taken)} days ({min(taken)} to {max(taken)})",
            )
        )
    titles = {t.id: t.title for t in plan.templates}
    for course, events in rts.items():
        gy = sum(float(e.dose_gy or 0) for e in events)
        what = f"{titles.get(course, course)} ({course})"
        rows.append(
            Total(what, f"RT, {site_name(events[0])}", f"{len(events)} fractions", f"{_g(gy)} Gy total")
        )
    return rows


@dataclass(frozen=True)
class CheckCount:
    """One line of the checks' summary: which check, where, how many, from when to when, and the
    evidence for its interval ("local convention" when no verified source sets it)."""

    check: str
    where: str
    count: str
    dates: str
    interval: str


def check_counts(plan: Plan) -> list[CheckCount]:
    """The planned (not cancelled) checks per check template, in plan order."""
    by_course: dict[str, list[Event]] = {}
    for e in plan.events:
        if e.kind == "check" and e.status != "cancelled":
            by_course.setdefault(e.course, []).append(e)
    rows = []
    for course, events in by_course.items():
        days = sorted(e.date for e in events)
        tentative = sum(e.status == "tentative" for e in events)
        count = f"{len(events)}" + (f" ({tentative} tentative)" if tentative else "")
        rows.append(
            CheckCount(
                f"{event_label(events[0])} ({course})",
                ", ".join(dict.fromkeys(_where(e) for e in events)),
                count,
                str(days[0]) if len(days) == 1 else f"{days[0]} to {days[-1]}",
                _interval(events[0]),
            )
        )
    return rows


def _where(e: Event) -> str:
    return e.where or NOT_RECORDED  # "clinic" (a visit here) or "external" (imaging elsewhere)


def _interval(e: Event) -> str:
    """'local convention' (evidence "convention": no verified source for the interval), else the
    evidence and its sources as the check's first note says ('label (S17)')."""
    if e.evidence == "convention":
        return "local convention"
    note = next((n for n in e.notes if n.startswith("interval: ")), None)
    return note.removeprefix("interval: ") if note else e.evidence or NOT_RECORDED


def _ranges(numbers: Sequence[int]) -> str:
    """'1-3, 5, 7-9' for [1, 2, 3, 5, 7, 8, 9]."""
    parts: list[str] = []
    start = prev = None
    for n in sorted(numbers):
        if prev is not None and n == prev + 1:
            prev = n
            continue
        if start is not None:
            parts.append(str(start) if start == prev else f"{start}-{prev}")
        start = prev = n
    if start is not None:
        parts.append(str(start) if start == prev else f"{start}-{prev}")
    return ", ".join(parts)


def _local(moment: dt.datetime, tz: str) -> str:
    """A time as printed: local to the clinic, to the minute (as `generated`)."""
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M %Z")


def _patient_age(plan: Plan) -> tuple[str, str]:
    p = plan.patient
    if p.dob is not None:
        return "Date of birth", f"{p.dob.isoformat()} ({p.age_at_start.describe()} at start)"
    return "Age at start", p.age_at_start.describe()


def _regimen(plan: Plan) -> str:
    regimens = [t for t in plan.templates if t.kind == "regimen"]
    return "; ".join(f"{t.id} v{t.version}" for t in regimens) or "none"


def _systemic(plan: Plan) -> list[tuple[str, str]]:
    courses = [t for t in plan.templates if t.kind == "systemic"]
    return [("Systemic", "; ".join(f"{t.id} v{t.version}" for t in courses))] if courses else []


def _body_size(plan: Plan) -> list[tuple[str, str]]:
    """Weight (with the day it was measured), height and Mosteller BSA for the page header, when a
    dose is by body size (mg/kg, mg/m2); NOT RECORDED for each one the plan lacks."""
    sized = any(
        e.kind in ("infusion", "tablet") and e.dose_basis and ("/kg" in e.dose_basis or "/m2" in e.dose_basis)
        for e in plan.events
    )
    if not sized:
        return []
    from ...dosing import bsa_mosteller

    inputs = plan.inputs
    weight = NOT_RECORDED
    if inputs.weight_kg is not None:
        measured = inputs.weight_date.isoformat() if inputs.weight_date else NOT_RECORDED
        weight = f"{_g(inputs.weight_kg)} kg (measured {measured})"
    height = f"{_g(inputs.height_cm)} cm" if inputs.height_cm is not None else NOT_RECORDED
    bsa = NOT_RECORDED
    if inputs.weight_kg is not None and inputs.height_cm is not None:
        bsa = f"{bsa_mosteller(inputs.height_cm, inputs.weight_kg):.2f} m2 (Mosteller)"
    return [("Weight", weight), ("Height", height), ("BSA", bsa)]


def _short_fingerprint(plan: Plan) -> str:
    digest = plan.fingerprint.removeprefix("sha256:")
    return f"sha256:{digest[:16]}..." if digest else "none"


NOT_RECORDED = "NOT RECORDED"  # a missing order element (administration records: never blank)
_ORDER_KEYS = ("Basis: ", "Calculation: ", "Tablets: ", "Infusion: ")


def _order_lines(e: Event) -> list[tuple[str, str]]:
    """A systemic dose's order elements under its label, each printed, NOT RECORDED when the plan
    lacks it: the dose basis, the calculation, the tablets that make up an oral dose, and an
    infusion's minutes (cycle and day are in the label: "C3 D1")."""
    if e.kind == "it-dose":
        basis = e.dose_basis or NOT_RECORDED
        if e.dose_basis and e.dose_basis != "regimen":
            basis = f"age band {e.dose_basis}"
        elif e.dose_basis == "regimen":
            basis = "regimen dose"
        return [("Basis", basis)]
    if e.kind not in ("infusion", "tablet"):
        return []
    lines = [
        ("Basis", e.dose_basis or NOT_RECORDED),
        ("Calculation", e.dose_calc or NOT_RECORDED),
    ]
    if e.kind == "tablet":
        lines.append(("Tablets", e.tablets or NOT_RECORDED))
    else:
        lines.append(("Infusion", f"{e.duration_min} min" if e.duration_min else NOT_RECORDED))
    return lines


def _bold_missing(marked: str) -> str:
    """NOT RECORDED in bold wherever it stands in (escaped) markup."""
    return marked.replace(NOT_RECORDED, f"<b>{NOT_RECORDED}</b>")


def _order_facts(plan: Plan) -> list[tuple[str, str]]:
    """The order elements that are not in the events (S27): prescriber, indication, allergies;
    NOT RECORDED when the plan lacks one."""
    inputs = plan.inputs
    return [
        ("Prescriber", inputs.prescriber or NOT_RECORDED),
        ("Indication", inputs.indication or NOT_RECORDED),
        ("Allergies", inputs.allergies or NOT_RECORDED),
    ]


CHECK_MARK = "CHECK"  # the first line of a check's row: a test, not a dose


def _check_cells(e: Event, number: int, rows_of: dict[str, int]) -> list[tuple[str | None, str]]:
    """A check's row: number, day and time, CHECK and its name; where it is and how long it takes
    across the dose and route columns; moved from; and across the administration record's columns
    (nothing to sign for a check) what it guards with the guarded rows' numbers, its detail (the
    CSF sample volume) and the evidence for its interval."""
    moved_note = f"moved from {e.shifted_from}: {e.shift_reason}" if e.shifted_from else None
    label = event_label(e)
    notes = [n for n in e.notes if n != moved_note and not n.startswith("interval: ")]
    tentative = " <i>(tentative)</i>" if e.status == "tentative" else ""
    event = "<br/>".join(
        [f"<b>{CHECK_MARK}</b>", markup(label) + tentative, *(f"<i>{markup(n)}</i>" for n in notes)]
    )
    if e.status == "cancelled":
        event = f"<b>CANCELLED</b> <strike>{event}</strike>"
    rows = sorted(rows_of[u] for u in e.guards if u in rows_of)
    at_dose = not e.duration_min
    where = _where(e)
    place = f"<b>Where:</b> {markup(where)}" + (
        "<br/>at the dose" if at_dose else f"<br/>{e.duration_min} min"
    )
    guards = markup(e.guard_label or NOT_RECORDED)
    if at_dose and e.check_kind == "csf" and rows:  # drawn at the IT dose: recorded on its row
        guards += f": record CSF out and Sample sent on row {_ranges(rows)}"
    elif rows:
        guards += f" (row{'s' if len(rows) > 1 else ''} {_ranges(rows)})"
    facts = [f"<b>For:</b> {_bold_missing(guards)}"]
    if e.detail:
        facts.append(f"<b>Detail:</b> {markup(e.detail)}")
    interval = _interval(e)
    facts.append(
        f"<b>Interval:</b> {'<i>local convention</i>' if e.evidence == 'convention' else markup(interval)}"
    )
    plain_event = "\n".join([CHECK_MARK, label, *notes])
    plain = [
        str(number),
        f"{e.date.isoformat()}\n{WEEKDAY[e.date.weekday()]} {e.time}",
        plain_event,
        "",  # dose and route: spanned by `place`
        "",
        f"{e.shifted_from} {e.shift_reason or ''}" if e.shifted_from else "",
        *[""] * (len(COLUMNS) - 6),  # the record's columns: spanned by the facts
    ]
    marks: list[str | None] = [None] * len(plain)
    marks[_EVENT] = event
    marks[_DOSE] = place
    marks[_MOVED] = _moved(e)
    marks[_RECORD] = "<br/>".join(facts)
    return list(zip(marks, plain, strict=True))


def _moved(e: Event) -> str | None:
    if e.shifted_from is None:
        return None
    moved = f"<b>{markup(e.shifted_from.isoformat())}</b>"
    if e.shift_reason:
        moved += f"<br/>{markup(e.shift_reason)}"
    return moved


def _event_cells(e: Event, number: int) -> list[tuple[str | None, str]]:
    """(markup, plain text) per column. Markup is None where the cell has no formatting: it may
    then print as a plain string (no markup parsing at all) when it fits on its lines."""
    moved_note = f"moved from {e.shifted_from}: {e.shift_reason}" if e.shifted_from else None
    label = event_label(e)
    notes = [n for n in e.notes if n != moved_note]
    order = _order_lines(e)
    it = e.kind == "it-dose"
    banner = [f"<b>{IT_BANNER}</b>"] if it else []
    event: str | None = None
    if e.status == "tentative" or notes or order or it:
        head = markup(label) + (" <i>(tentative)</i>" if e.status == "tentative" else "")
        event = "<br/>".join(
            [
                *banner,
                head,
                f"Phase: {markup(e.phase)}",
                *(f"<b>{markup(k)}:</b> {_bold_missing(markup(v))}" for k, v in order),
                *(f"<i>{markup(n)}</i>" for n in notes),
            ]
        )
    if e.status == "cancelled":
        struck = event or f"{markup(label)}<br/>Phase: {markup(e.phase)}"
        event = f"<b>CANCELLED</b> <strike>{struck}</strike>"
    systemic = e.kind in ("infusion", "tablet")
    dose = dose_text(e) or (NOT_RECORDED if systemic else "")
    if e.kind in ("medication", "tablet"):
        dose += f"\ndaily x {e.repeat_days} day{'s' if e.repeat_days != 1 else ''}"
    # route over formulation in one cell; IT, RT and memantine rows leave out a missing one
    given = [v or NOT_RECORDED for v in (route_words(e.route), e.formulation) if v or systemic]
    moved = _moved(e)
    plain = (
        str(number),
        f"{e.date.isoformat()}\n{WEEKDAY[e.date.weekday()]} {e.time}",
        "\n".join(
            [
                *([IT_BANNER] if it else []),
                label,
                f"Phase: {e.phase}",
                *(f"{k}: {v}" for k, v in order),
                *notes,
            ]
        ),
        dose,
        "\n".join(given) or "n/a",
        f"{e.shifted_from} {e.shift_reason or ''}" if e.shifted_from else "",
        "",
        "",
        "",
        "",
        TICK_BOX if it else "n/a",
        "" if it else "n/a",
        TICK_BOX if it else "n/a",
    )
    marks: list[str | None] = [None] * len(plain)
    marks[_EVENT], marks[_MOVED] = event, moved
    return list(zip(marks, plain, strict=True))


# --- layout ---------------------------------------------------------------------------------------


def _widths(
    available: float, rows: Iterable[Sequence[str]], measure: Callable[[str, str, float], float]
) -> list[float]:
    """Compact columns as wide as their longest word (or heading); write-in columns fixed; the
    Event and Moved-from columns share the rest, Event as wide as its longest label if it can."""
    pad = 2 * PAD_X + 1.0
    widths = [0.0] * len(COLUMNS)
    for i in _COMPACT:  # the two-part headings wrap at their words
        words = COLUMNS[i].split() if "," in COLUMNS[i] else [COLUMNS[i]]
        widths[i] = max(measure(word, BOLD, BODY) + pad for word in words)
    label = 0.0
    for row in rows:
        for i in _COMPACT:
            for word in row[i].split():
                widths[i] = max(widths[i], measure(word, FONT, BODY) + pad)
        # the label and a systemic dose's order lines ("Calculation: ...") ask for room; notes wrap
        lines = row[_EVENT].split("\n")
        if lines[0] in (IT_BANNER, CHECK_MARK):  # the banner (or CHECK) on one line, in bold
            label = max(label, measure(lines[0], BOLD, BODY) + pad)
            lines = lines[1:]
        first, *more = lines
        for line in [first, *(line for line in more if line.startswith(_ORDER_KEYS))]:
            label = max(label, measure(line, FONT, BODY) + pad)
    for i, minimum in _WRITE_IN.items():
        widths[i] = max([minimum, *(measure(w, BOLD, BODY) + pad for w in COLUMNS[i].split())])
    rest = available - sum(widths)
    if rest < 2 * MIN_FLEX:
        # squeeze the compact columns (their long words then break) rather than overflow the page
        compact = sum(widths[i] for i in _COMPACT)
        spare = available - sum(widths[i] for i in _WRITE_IN) - 2 * MIN_FLEX
        if spare < 20.0 * len(_COMPACT):
            raise LayoutError(f"a {available:.0f} pt wide page cannot hold the staff table")
        for i in _COMPACT:
            widths[i] *= spare / compact
        rest = 2 * MIN_FLEX
    low, high = (max(MIN_FLEX, rest * share) for share in _EVENT_SHARE)
    widths[_EVENT] = min(max(label, low), min(high, rest - MIN_FLEX))
    widths[_MOVED] = rest - widths[_EVENT]
    return widths


def render(plan: Plan, paper: Paper = "letter", fonts: Fonts = DEFAULT_FONTS) -> bytes:
    """The staff sheet as PDF bytes (same plan, same bytes), in the embedded font and `fonts`'
    fallbacks; refused (InputError) when a text would not print right (`fonts.check`)."""
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    register(fonts)
    check(plan_texts(plan), fonts)
    page_w, height = landscape_size(paper)
    available = page_w - 2 * MARGIN
    body = ParagraphStyle("body", fontName=FONT, fontSize=BODY, leading=LEADING, bulletFontName=FONT)
    head = ParagraphStyle("head", parent=body, fontName=BOLD)
    # the title's 13 pt bold runs into 9 pt text: reportlab fills such a line up to about a space
    # past its width (2 points in Noto Sans for a 200-character clinic name), hence the indent
    title = ParagraphStyle("title", parent=body, fontName=BOLD, fontSize=13, leading=16, rightIndent=6)
    h2 = ParagraphStyle(
        "h2",
        parent=body,
        fontName=BOLD,
        fontSize=11,
        leading=14,
        spaceBefore=10,
        spaceAfter=4,
        keepWithNext=1,
    )
    # 6 points kept free on the right: reportlab sets a bulleted line up to about a space and a
    # bullet wider than its frame (a long plan note ran 3 points past the right margin).
    bullet = ParagraphStyle("bullet", parent=body, leftIndent=10, bulletIndent=0, rightIndent=6, spaceAfter=2)

    def para(marked: str, style: Any = body) -> Any:
        return Paragraph(marked, style)

    def grid(
        rows: list[list[Any]],
        widths: Sequence[float],
        header: bool = True,
        extra: Sequence[Any] = (),
        **kw: Any,
    ) -> Any:
        style: list[Any] = [
            *cell_padding(FONT, BODY, LEADING, PAD_X, PAD_TOP, PAD_BOTTOM),
            ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
            ("BOX", (0, 0), (-1, -1), 0.75, colors.black),
        ]
        if header:
            style.append(("FONT", (0, 0), (-1, 0), BOLD, BODY, LEADING))
            style.append(("LINEBELOW", (0, 0), (-1, 0), 1.5, colors.black))
        style += extra
        return Table(rows, colWidths=list(widths), style=TableStyle(style), hAlign="LEFT", **kw)

    # --- the page header: drawn by every page's onPage, its height sets the top margin ---------
    age_label, age_value = _patient_age(plan)
    clinic = plan.inputs.clinic
    facts = [
        # two patient identifiers are order elements (S27): a missing one is NOT RECORDED, never
        # "not given" (on an administration record: a dose that was not given)
        ("Patient", plan.patient.name or NOT_RECORDED),
        ("Patient ID", plan.patient.id or NOT_RECORDED),
        (age_label, age_value),
        *_order_facts(plan),
        ("Route", route_words(plan.inputs.route, "staff")),
        ("Regimen", _regimen(plan)),
        *_systemic(plan),
        ("Plan", _short_fingerprint(plan)),
        ("Revision", str(plan.revision)),
        ("Generated", generated(plan)),
        *_body_size(plan),
    ]

    def fact_grid(columns: int) -> Any:
        cells = [para(f"<b>{markup(k)}:</b> {_bold_missing(markup(v))}") for k, v in facts]
        return Table(
            [cells[i : i + columns] for i in range(0, len(cells), columns)],
            colWidths=[available / columns] * columns,
            style=TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), FONT, BODY, LEADING),  # else a cell sets Helvetica
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 6),
                    ("TOPPADDING", (0, 0), (-1, -1), 1),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                ]
            ),
        )

    # Four facts a row; two when a long name or id (up to 200 and 64 characters) would make the
    # four narrow columns taller than two wide ones.
    grids = [fact_grid(n) for n in (4, 2)]
    header_grid = min(grids, key=lambda grid: grid.wrap(available, height)[1])
    where = markup(clinic.name) + ", " if clinic.name else ""
    header_title = para(
        f"Staff sheet: administration record <font name='{FONT}' size='{BODY}'>"
        f"({where}times are {markup(clinic.tz)})</font>",
        title,
    )
    _, title_h = header_title.wrap(available, height)
    _, grid_h = header_grid.wrap(available, height)
    header_h = title_h + 3 + grid_h + 3
    top_margin = MARGIN + header_h + HEADER_GAP
    if top_margin > height / 2:  # at the input limits it is about a third of the page
        raise LayoutError(f"the page header is {header_h:.0f} pt tall")

    def on_page(canvas: Any, doc: Any) -> None:
        # the header's text is the same on every page: drawn once, in page coordinates, as a
        # form each page shows; its rule on the page itself
        y = height - MARGIN
        if not header_formed:
            canvas.beginForm(_PAGE_HEADER)
            header_title.drawOn(canvas, MARGIN, y - title_h)
            header_grid.drawOn(canvas, MARGIN, y - title_h - 3 - grid_h)
            canvas.endForm()
            header_formed.append(True)
        canvas.doForm(_PAGE_HEADER)
        y -= title_h + 3 + grid_h + 3
        canvas.saveState()
        canvas.setStrokeColor(colors.black)
        canvas.setLineWidth(1)
        canvas.line(MARGIN, y, page_w - MARGIN, y)
        canvas.restoreState()

    header_formed: list[bool] = []

    def footer(canvas: Any, page: int, pages: int) -> None:
        canvas.saveState()
        canvas.setFillColor(colors.black)
        canvas.setFont(FONT, BODY)
        y = MARGIN
        canvas.drawString(MARGIN, y, DISCLAIMER)
        canvas.drawRightString(page_w - MARGIN, y, f"Page {page} of {pages}")
        mid = f"{plan.patient.id or plan.patient.name or ''}  {_short_fingerprint(plan)}".strip()
        left_end = MARGIN + width(DISCLAIMER, FONT, BODY) + 12
        right_start = page_w - MARGIN - width(f"Page {pages} of {pages}", FONT, BODY) - 12
        if width(mid, FONT, BODY) <= right_start - left_end:
            draw(canvas, (left_end + right_start) / 2, y, mid, FONT, BODY, align="centre")
        canvas.restoreState()

    # --- the events ---------------------------------------------------------------------------------
    story: list[Any] = []
    if clinic.criteria_to_treat:
        # the clinic's own criteria (no verified default): printed as given, above the table
        story.append(para(f"<b>Criteria to treat (clinic):</b> {markup(clinic.criteria_to_treat)}"))
        story.append(Spacer(1, 4))
    measured = functools.lru_cache(maxsize=4096)(width)  # a sheet's words repeat

    def cell(marked: str | None, plain: str, room: float, bold: bool = False) -> Any:
        """A plain string where the text has no markup, fits its lines and the embedded
        font draws all of it (drawn as is). Else, in the body, a `Rich` cell: its markup
        (bold labels, italic notes) wrapped to the cell as a paragraph wraps it, drawn as
        runs. Else (the heading row, a struck-through cancelled row, characters a fallback
        font or shaping draws, a word wider than the cell) a paragraph."""
        room -= 2 * PAD_X
        font = BOLD if bold else FONT
        if marked is None and all(
            is_plain(line, font) and measured(line, font, BODY) <= room for line in plain.split("\n")
        ):
            return plain
        source = marked or markup(plain).replace("\n", "<br/>")
        if not bold:
            runs = rich(source, room, BODY, FACES, is_plain, measured)
            if runs is not None:
                return runs
        return para(source, head if bold else body)

    def listing(headings: Sequence[str], body: list[list[str]], fractions: Sequence[float]) -> Any:
        """A short table of markup cells under a bold heading row, on the canvas as the events are."""
        w = [available * f for f in fractions]
        heads = grid([[cell(None, h, x, bold=True) for h, x in zip(headings, w, strict=True)]], w)
        cells = [[cell(m, "", x) for m, x in zip(row, w, strict=True)] for row in body]
        return paged_rows(
            heads,
            cells,
            [FONT] * len(cells),
            w,
            None,
            size=BODY,
            leading=LEADING,
            pad_x=PAD_X,
            pad_top=PAD_TOP,
            pad_bottom=PAD_BOTTOM,
            cell_objects=True,
        )

    rows_of = {e.uid: n for n, e in enumerate(plan.events, start=1)}
    events = [
        _check_cells(e, n, rows_of) if e.kind == "check" else _event_cells(e, n)
        for n, e in enumerate(plan.events, start=1)
    ]
    # a check's row spans the dose and route columns, and the administration record's
    spans = {
        i: ((_DOSE, _DOSE + 1), (_RECORD, len(COLUMNS) - 1))
        for i, e in enumerate(plan.events)
        if e.kind == "check"
    }
    if events:
        widths = _widths(available, ([p for _, p in row] for row in events), width)

        heading = [[cell(None, c, w, bold=True) for c, w in zip(COLUMNS, widths, strict=True)]]

        def room(i: int) -> list[float]:
            """Row i's width for each column's cell: a spanned cell as wide as its columns, as
            the table draws it (the columns it covers hold empty text)."""
            wide = dict(cell_widths(widths, spans.get(i, ())))
            return [wide.get(j, w) for j, w in enumerate(widths)]

        rows = [
            [cell(m, p, w) for (m, p), w in zip(row, room(i), strict=True)] for i, row in enumerate(events)
        ]
        # drawn on the canvas a page at a time, the heading row repeated (`table.paged_rows`)
        story.append(
            paged_rows(
                grid(heading, widths),
                rows,
                [FONT] * len(rows),
                widths,
                None,  # the heading row drawn on each page (its places are tested)
                size=BODY,
                leading=LEADING,
                pad_x=PAD_X,
                pad_top=PAD_TOP,
                pad_bottom=PAD_BOTTOM,
                spans=spans,
                cell_objects=True,  # read back cell by cell, as the table was
            )
        )
    else:
        story.append(para("No events are planned."))

    # --- totals, findings, overrides, notes ---------------------------------------------------------
    story.append(para("Total planned dose", h2))
    total_rows = totals(plan)
    if total_rows:
        story.append(
            listing(
                ("Drug or course", "Route", "Events", "Total planned"),
                [[markup(c) for c in (t.what, t.route, t.count, t.total)] for t in total_rows],
                (0.42, 0.16, 0.14, 0.28),
            )
        )
    else:
        story.append(para("none"))

    checks = check_counts(plan)
    if checks:
        story.append(para("Checks planned", h2))
        story.append(
            listing(
                ("Check", "Where", "How many", "Dates", "Interval"),
                [[markup(c) for c in (k.check, k.where, k.count, k.dates, k.interval)] for k in checks],
                (0.42, 0.12, 0.12, 0.2, 0.14),
            )
        )

    story.append(para("Safety findings", h2))
    if plan.findings:
        found = []
        for f in plan.findings:
            severity = f"<b>{markup(f.severity.upper())}</b>"
            if f.overridden:
                severity += "<br/>overridden (see Overrides)"
            numbers = [rows_of[u] for u in f.event_uids if u in rows_of]
            found.append(
                [
                    severity,
                    markup(f.rule),
                    markup(f.message),
                    markup(", ".join(f.sources)) or "none",
                    _ranges(numbers) if numbers else "none" if f.event_uids else "whole plan",
                ]
            )
        story.append(
            listing(
                ("Severity", "Rule", "Message (staff)", "Sources", "Rows"),
                found,
                (0.09, 0.17, 0.46, 0.08, 0.2),
            )
        )
    else:
        story.append(para("none"))

    story.append(para("Overrides", h2))
    if plan.overrides:
        story.append(
            listing(
                ("Rule", "Reason", "By", "At"),
                [
                    [
                        markup(o.rule),
                        markup(o.reason),
                        markup(o.by) if o.by else "not recorded",
                        markup(_local(o.at, clinic.tz)),
                    ]
                    for o in plan.overrides
                ],
                (0.17, 0.5, 0.15, 0.18),
            )
        )
    else:
        story.append(para("none"))

    story.append(para("Notes", h2))
    if plan.notes:
        story += [Paragraph(markup(n), bullet, bulletText="-") for n in plan.notes]
    else:
        story.append(para("none"))

    story.append(para("Plan", h2))
    story.append(para(f"<b>Fingerprint:</b> {markup(plan.fingerprint or 'none')}"))
    if plan.parent:
        story.append(para(f"<b>Revises:</b> {markup(plan.parent)}"))
    for t in plan.templates:
        story.append(
            Paragraph(
                f"<b>{markup(t.id)}</b> v{markup(t.version)} ({markup(t.kind)}, {markup(t.status)}, "
                f"evidence: {markup(t.evidence)}): {markup(t.title)}",
                bullet,
                bulletText="-",
            )
        )
    if plan.policy:
        story.append(
            para(f"<b>Site policy:</b> {markup(plan.policy.name)} (sha256 {markup(plan.policy.sha256[:12])})")
        )
    contact = ", ".join(p for p in (clinic.name, " ".join(clinic.location.split()), clinic.phone) if p)
    if contact:
        story.append(para(f"<b>Clinic:</b> {markup(contact)}"))

    sign = [[para(h, head) for h in ("Sign-off", "Name", "Signature", "Date/time")]]
    sign += [[r, "", "", ""] for r in ("Pharmacist verification", "Nurse check")]
    story.append(
        KeepTogether(
            [
                para("Sign-off", h2),
                grid(sign, [available * f for f in (0.25, 0.3, 0.25, 0.2)], rowHeights=[None, 30, 30]),
            ]
        )
    )
    story.append(Spacer(1, 1))

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=(page_w, height),
        # the frame pads its content by FRAME_PAD: the table's edges then meet the page margins
        leftMargin=MARGIN - FRAME_PAD,
        rightMargin=MARGIN - FRAME_PAD,
        topMargin=top_margin - FRAME_PAD,
        bottomMargin=MARGIN + FOOTER_H - FRAME_PAD,
        pageCompression=1,
        **document_info(
            plan,
            title="Staff sheet",
            subject="Staff administration sheet (a scheduling aid: verify against the signed order)",
        ),
    )
    canvasmaker: Any = stamped(numbered_canvas(footer), plan.created)
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page, canvasmaker=canvasmaker)
    return buffer.getvalue()
