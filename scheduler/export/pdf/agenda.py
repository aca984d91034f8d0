"""The infusion centre's agenda as a printed document for staff.

A pure function of the sessions and the capacity check (`scheduler.agenda`): the same inputs give
the same bytes, whatever order the batch's workers reported the sessions in.

The PDF is landscape, black and white, 9 pt text or larger: a title page summary with the
over-capacity ranges, then one table per day whose first two rows (the day's heading and the
column headings) repeat on every page the day continues onto. Rows over capacity are bold and
say "OVER CAPACITY" in words. ReportLab is imported inside `write_pdf` only. `write_pdf` reads the days
twice from a source (a survey for the totals and column widths, then the layout), so an agenda
from a workspace or a batch's on-disk spool never holds every session at once.

Each row shows the patient's whole chair time (start-end and minutes): for an infusion the
preparation, the infusion and the observation minutes, with the infusion's own times and the
three parts on a second line, so staff see when the drug runs and when the chair is free.

Clinic checks (a blood count before an IT dose, liver tests) are rows too, in italics, with their
time and minutes; one that takes no chair says "no chair (check)" in the Chairs in use column and
is never counted against the chairs. A check taken at a session (CSF cytology at the IT dose) is
named on that session's row. Checks done elsewhere are not on the agenda (`scheduler.agenda`).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ... import agenda
from ...agenda import (
    LISTED_KINDS,
    AgendaDay,
    DaySummary,
    Overload,
    Session,
    at_session_text,
    end_text,
    given_text,
)
from ...models import Paper
from .common import cell_padding, landscape_size, long_date, stamped
from .fonts import BOLD as _BOLD
from .fonts import DEFAULT_FONTS, REGULAR, Fonts, check, is_plain, markup, register, width
from .fonts import ITALIC as _ITALIC
from .table import paged_rows

__all__ = [
    "DISCLAIMER",
    "PDF_COLUMNS",
    "VOLUME_ROWS",
    "Survey",
    "Totals",
    "Volume",
    "day_heading",
    "render_pdf",
    "survey",
    "volume_name",
    "volumes",
    "write_pdf",
]

PDF_COLUMNS = ("Chair time", "Minutes", "Patient", "Name", "Event", "Dose", "Route", "Chairs in use")
DISCLAIMER = "A scheduling aid: verify against the signed order."
OVER = "OVER CAPACITY"
NO_CHAIR = "no chair (check)"
NO_CHAIR_RT = "no chair (RT)"

FONT, BOLD, ITALIC = REGULAR, _BOLD, _ITALIC
BODY = 9.0  # the smallest text anywhere in the document
LEADING = 11.0
MARGIN = 24.0
HEADER_H = 16.0  # the running header above the frame: one line and a rule
FOOTER_H = 16.0
FRAME_PAD = 6.0  # what SimpleDocTemplate's frame pads on every side
PAD_X, PAD_Y = 3.0, 3.0
_PATIENT, _NAME, _EVENT = 2, 3, 4
_MIN_NAME = 120.0  # the name takes what the other columns leave, at least this
_SHARE = 0.22  # the most Patient or Event may take of the page while the name is short of room
_OVERVIEW_PATIENTS = 12  # patients named per range in the overview; the day tables show all
_CACHED = 5000  # cell texts whose fit is kept (most repeat; a large centre's ids and names do not)


def _s(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


# --- PDF content (pure: no ReportLab) -------------------------------------------------------------


def day_heading(day: DaySummary, overloads: Iterable[Overload]) -> str:
    """'Tuesday 1 December 2026: 6 sessions, 4 chairs, peak 5 at once, 2 checks without a chair:
    OVER CAPACITY 09:00-10:00' (the checks only when there are some)."""
    chairs = "chairs not set" if day.chairs is None else _s(day.chairs, "chair")
    text = f"{long_date(day.date)}: {_s(day.sessions, 'session')}, {chairs}, peak {day.peak} at once"
    if day.checks:
        text += f", {_s(day.checks, 'check')} without a chair"
    if day.rt:
        text += f", {_s(day.rt, 'RT fraction')}"
    ranges = [f"{o.start}-{o.end}" for o in overloads if o.date == day.date]
    if ranges:
        text += f": {OVER} " + ", ".join(ranges)
    return text


@dataclass
class Totals:
    """What the agenda's opening sentences and column widths need of every row: gathered in one
    pass over the days (`survey`) before the pages are laid out in a second."""

    patients: set[str] = field(default_factory=set)
    chair: int = 0
    checks: int = 0
    rt: int = 0
    infusions: bool = False
    with_checks: bool = False
    widths: list[float] = field(default_factory=list)  # widest line per column (bold), padded

    def add(self, session: Session) -> None:
        self.patients.add(session.patient)
        if session.chair:
            self.chair += 1
        elif session.kind == "rt-fraction":
            self.rt += 1
        else:
            self.checks += 1
        self.infusions = self.infusions or session.kind == "infusion"
        self.with_checks = self.with_checks or session.kind == "check" or bool(session.with_checks)


Survey = tuple[Totals, list[DaySummary], list[Overload]]  # what `survey` gathers of a whole agenda

# An agenda longer than this many rows is printed in volumes, each a PDF of whole days: ReportLab
# keeps every page of a document in memory until it is saved, so one document of a 20,000-patient
# batch's whole horizon (some 740,000 rows) would take about 1 GB. A volume of 10,000 rows is
# about 450 pages and 15 MB while it is made, whatever the size of the agenda.
VOLUME_ROWS = 10_000


@dataclass(frozen=True)
class Volume:
    """One PDF of a long agenda: volume `number` of `of`, the days `first` to `last`."""

    number: int
    of: int
    first: dt.date
    last: dt.date
    rows: int


def day_rows(day: DaySummary) -> int:
    """The rows a day prints: every session, check and RT fraction starting on it (a day of none
    prints one line saying so)."""
    return max(1, day.sessions + day.checks + day.rt)


def volumes(days: Sequence[DaySummary], limit: int | None = None) -> list[Volume]:
    """The agenda's days in volumes of consecutive whole days of at most `limit` rows
    (`VOLUME_ROWS`; a day of more rows is a volume of its own). One volume, or none for an empty
    agenda: print it whole."""
    limit = VOLUME_ROWS if limit is None else limit
    groups: list[list[DaySummary]] = []
    rows = 0
    for day in days:
        n = day_rows(day)
        if not groups or rows + n > limit:
            groups.append([])
            rows = 0
        groups[-1].append(day)
        rows += n
    return [
        Volume(i, len(groups), group[0].date, group[-1].date, sum(map(day_rows, group)))
        for i, group in enumerate(groups, 1)
    ]


def volume_name(name: str, number: int) -> str:
    """Volume `number`'s file name: the agenda's own name for the first ('agenda.pdf'), then
    'agenda-2.pdf', 'agenda-3.pdf', ..."""
    if number == 1:
        return name
    stem, dot, suffix = name.rpartition(".")
    return f"{stem}-{number}.{suffix}" if dot and stem else f"{name}-{number}"


def _volume_lines(this: Volume | None, all_: Sequence[Volume], names: Sequence[str]) -> list[str]:
    """What the first volume says of the others, and what every later one says of itself."""
    if this is None or not all_:
        return []
    where = [
        f"{name} ({v.first.isoformat()} to {v.last.isoformat()})" for v, name in zip(all_, names, strict=True)
    ]
    if this.number == 1:
        return [
            f"This agenda is in {len(all_)} volumes of whole days, at most {VOLUME_ROWS:,} rows each: "
            + ", ".join(where)
            + ". Each volume's pages are numbered on their own."
        ]
    return [
        f"Volume {this.number} of {this.of}: {long_date(this.first)} to {long_date(this.last)}, "
        f"{_s(this.rows, 'row')}. The summary and every over-capacity range are in volume 1 ({names[0]})."
    ]


def _summary(totals: Totals, days: Sequence[DaySummary], overloads: Sequence[Overload]) -> list[str]:
    """The sentences under the title: what the agenda covers and where it is over capacity."""
    patients = len(totals.patients)
    chair = totals.chair
    checks = totals.checks
    lines = []
    if days:
        others = [f"{_s(checks, 'check')} without a chair"] if checks else []
        others += [_s(totals.rt, "RT fraction")] if totals.rt else []
        what = _s(chair, "session") + "".join(
            f"{', ' if i < len(others) - 1 else ' and '}{o}" for i, o in enumerate(others)
        )
        lines.append(
            f"{what} for {_s(patients, 'patient')} on {_s(len(days), 'day')}, "
            f"{days[0].date.isoformat()} to {days[-1].date.isoformat()}. Times are the centre's wall clock."
        )
    else:
        lines.append("No chair sessions are planned.")
    over_days = sorted({o.date for o in overloads})
    if overloads:
        lines.append(
            f"{OVER} on {_s(len(over_days), 'day')} ({_s(len(overloads), 'time range')}): "
            "those rows are printed in bold and say so in the Chairs in use column."
        )
    elif days:
        lines.append("No day is over capacity.")
    unchecked = sum(1 for d in days if d.chairs is None)
    if unchecked:
        lines.append(f"{_s(unchecked, 'day')} without a chair count: not checked against capacity.")
    if totals.infusions:
        lines.append(
            "Chair time: an IT session's length; for an infusion, preparation + infusion + observation "
            "minutes (the clinic file's prep_min and observation_min), with the infusion's own times "
            "under it. Capacity counts the whole chair time."
        )
    if totals.with_checks:
        lines.append(
            "Checks at the clinic (blood counts, liver tests) are in italics with their times and "
            f'minutes; they take no chair ("{NO_CHAIR}") unless their template books one. A sample '
            "taken during a session (CSF cytology at the IT dose) is named on that session's row. "
            "Checks done elsewhere (MRI, echocardiogram, CSF flow study) are not on this agenda: "
            "each patient's staff sheet lists them."
        )
    if totals.rt:
        lines.append(
            "RT fractions are given in the radiotherapy department: they are listed, in italics "
            f'with their times and minutes ("{NO_CHAIR_RT}"), so the centre sees who is also in '
            "the building that day, and never count against the chairs."
        )
    lines.append(
        "Chairs in use: the sessions holding a chair when the row's session starts, itself included."
    )
    return lines


def _row(session: Session, in_use: int | None, chairs: int | None, over: bool) -> tuple[str, ...]:
    # in_use None: a check or an RT fraction, which takes no chair
    no_chair = NO_CHAIR_RT if session.kind == "rt-fraction" else NO_CHAIR
    use = no_chair if in_use is None else str(in_use) if chairs is None else f"{in_use} of {chairs}"
    if over:
        use += f": {OVER}"
    when = f"{session.time}-{end_text(session)}"
    minutes = str(session.duration_min)
    given = given_text(session)
    if given:
        when += f"\n{given}"
        parts = [session.prep_min, session.given_min, session.observation_min]
        minutes += "\n" + " + ".join(str(n) for n in parts)
    event = session.event
    also = at_session_text(session)
    if also:
        event += f"\n+ {also}"
    return (
        when,
        minutes,
        session.patient,
        session.name or "",
        event,
        session.dose,
        session.route,
        use,
    )


# --- PDF layout -----------------------------------------------------------------------------------


def _widths(available: float, measured: list[float]) -> list[float]:
    """Each column as wide as its widest line (measured bold, as over-capacity rows print). The
    Name column takes what is left; when that is too little, Patient and Event give up room down
    to a share of the page each, then every column shrinks in proportion (text then wraps)."""
    widths = list(measured)
    for i in (_PATIENT, _EVENT):
        if available - (sum(widths) - widths[_NAME]) < _MIN_NAME:
            widths[i] = min(widths[i], available * _SHARE)
    widths[_NAME] = max(_MIN_NAME, available - (sum(widths) - widths[_NAME]))
    total = sum(widths)
    if total > available:  # only on a page far narrower than landscape letter
        widths = [w * available / total for w in widths]
    return widths


def _day_rows(day: AgendaDay) -> Iterator[tuple[Session, tuple[str, ...]]]:
    for s in day.sessions:
        yield s, _row(s, day.in_use.get(s), day.summary.chairs, s in day.over)


def survey(
    days: Iterable[AgendaDay], site_name: str, fonts: Fonts
) -> tuple[Totals, list[DaySummary], list[Overload]]:
    """The first pass over the agenda's days: the totals, every day's summary and every range,
    and each printed text checked against the fonts (refused in one line naming the field)."""
    totals = Totals(widths=[width(h, BOLD, BODY) + 2 * PAD_X + 1.0 for h in PDF_COLUMNS])
    summaries: list[DaySummary] = []
    overloads: list[Overload] = []
    check([("site_name", site_name)], fonts)
    fields = [column.lower().replace(" ", "_") for column in PDF_COLUMNS]
    widest = totals.widths
    pad = 2 * PAD_X + 1.0
    # each column's texts measured and checked already: most cells repeat (bounded: a large
    # centre's names and ids would grow it)
    seen: list[set[str]] = [set() for _ in PDF_COLUMNS]
    n = 0
    for day in days:
        summaries.append(day.summary)
        overloads.extend(day.overloads)
        for s, row in _day_rows(day):
            totals.add(s)
            for i, text in enumerate(row):
                known = seen[i]
                if text in known:
                    continue
                if len(known) > 50_000:
                    known.clear()
                known.add(text)
                if not text.isascii():  # an ASCII text always prints (`fonts.check`)
                    check([(f"sessions[{n}].{fields[i]}", text)], fonts)
                for line in text.split("\n") if text else ():
                    w = width(line, BOLD, BODY) + pad  # measured bold, as over-capacity rows print
                    if w > widest[i]:
                        widest[i] = w
            n += 1
    return totals, summaries, overloads


def render_pdf(
    sessions: Iterable[Session],
    days: Sequence[DaySummary],
    overloads: Sequence[Overload],
    site_name: str,
    paper: Paper = "letter",
    *,
    generated: dt.datetime,
    fonts: Fonts = DEFAULT_FONTS,
) -> bytes:
    """The agenda as PDF bytes for the centre's staff (same inputs, same bytes: no clock is read,
    `generated` is printed as given), in the embedded font and `fonts`' fallbacks; refused
    (InputError) when a text it prints would not print right (`fonts.check`). `days` and
    `overloads` are `check_capacity`'s answer for `sessions`."""
    by_date = agenda.ordered(sessions)
    chairs = {d.date: d.chairs for d in days}
    streamed = list(agenda.stream_days(by_date, chairs.get))
    buffer = io.BytesIO()
    write_pdf(buffer, lambda: iter(streamed), site_name, paper, generated=generated, fonts=fonts)
    return buffer.getvalue()


def write_pdf(
    out: Any,
    days: Callable[[], Iterator[AgendaDay]],
    site_name: str,
    paper: Paper = "letter",
    *,
    generated: dt.datetime,
    fonts: Fonts = DEFAULT_FONTS,
    surveyed: Survey | None = None,
    volume: Volume | None = None,
    volumes: Sequence[Volume] = (),
    names: Sequence[str] = (),
) -> None:
    """The agenda PDF written to the binary file `out`, from `days()` (called twice: a survey,
    then the layout, each reading the days as they come: a workspace or a batch's spool streams
    them, so no list of every session is ever held).

    A long agenda is written in `volumes` (see `volumes`), one call each: `surveyed` is the
    survey of the whole agenda (its totals and column widths, so every volume reads alike),
    `days()` gives this `volume`'s days only, `names` every volume's file name. The first volume
    has the summary and the over-capacity ranges and lists the others."""
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    register(fonts)
    totals, summaries, overloads = surveyed if surveyed is not None else survey(days(), site_name, fonts)
    front = volume is None or volume.number == 1  # the summary and the ranges

    page_w, height = landscape_size(paper)
    available = page_w - 2 * MARGIN
    body = ParagraphStyle("body", fontName=FONT, fontSize=BODY, leading=LEADING, bulletFontName=FONT)
    bold = ParagraphStyle("bold", parent=body, fontName=BOLD)
    italic = ParagraphStyle("italic", parent=body, fontName=ITALIC)
    title = ParagraphStyle("title", parent=body, fontName=BOLD, fontSize=14, leading=18, spaceAfter=4)
    summary = ParagraphStyle("summary", parent=body, fontSize=10, leading=13, spaceAfter=2)
    h2 = ParagraphStyle("h2", parent=body, fontName=BOLD, fontSize=11, leading=14)
    section = ParagraphStyle("section", parent=h2, spaceBefore=10, spaceAfter=4, keepWithNext=1)
    widths = _widths(available, totals.widths)

    plain: dict[tuple[str, float, str], bool] = {}  # most cells repeat: decided once each

    def cell(text: str, room: float, strong: bool, slanted: bool = False) -> Any:
        """A plain string where every line fits in the embedded font (drawn as is, far quicker),
        else a paragraph; either way input text is never parsed as markup."""
        font = BOLD if strong else ITALIC if slanted else FONT
        key = (text, room, font)
        fits = plain.get(key)
        if fits is None:
            if len(plain) > _CACHED:  # a large centre's ids and names: bounded
                plain.clear()
            fits = plain[key] = all(
                is_plain(line, font) and width(line, font, BODY) <= room - 2 * PAD_X
                for line in text.split("\n")
            )
        if fits:
            return text
        style = bold if strong else italic if slanted else body
        return Paragraph(markup(text).replace("\n", "<br/>"), style)

    def table(data: list[list[Any]], col_widths: Sequence[float], heads: int, extra: list[Any]) -> Any:
        style: list[Any] = [
            *cell_padding(FONT, BODY, LEADING, PAD_X, PAD_Y, PAD_Y + 1),
            ("GRID", (0, heads - 1), (-1, -1), 0.5, colors.grey),
            ("BOX", (0, 0), (-1, -1), 0.75, colors.black),
            ("FONT", (0, heads - 1), (-1, heads - 1), BOLD, BODY, LEADING),
            ("LINEBELOW", (0, heads - 1), (-1, heads - 1), 1.5, colors.black),
            *extra,
        ]
        return Table(
            data, colWidths=list(col_widths), style=TableStyle(style), hAlign="LEFT", repeatRows=heads
        )

    site = site_name.strip()
    heading = f"Infusion agenda: {site}" if site else "Infusion agenda"
    if volume is not None:
        heading += f" (volume {volume.number} of {volume.of})"
    stamp = generated.strftime("%Y-%m-%d %H:%M %Z").strip()
    made = f"Generated {stamp}" if stamp else ""
    running = heading  # the running header: shortened if a long site name would meet the stamp
    room = available - width(made, FONT, BODY) - 12
    while width(running, BOLD, BODY) > room and len(running) > 20:
        running = running[: len(running) - 4] + "..."
    story: list[Any] = [Paragraph(markup(heading), title)]
    if front:
        story += [Paragraph(markup(line), summary) for line in _summary(totals, summaries, overloads)]
    story += [Paragraph(markup(line), summary) for line in _volume_lines(volume, volumes, names)]

    if overloads and front:
        ov_widths = [available * f for f in (0.2, 0.1, 0.09, 0.07)]
        ov_widths.append(available - sum(ov_widths))
        data: list[list[Any]] = [[OVER + ": time ranges"] + [""] * 4]
        data.append(["Date", "Time", "At once", "Chairs", "Patients"])
        for o in overloads:
            names = ", ".join(o.patients[:_OVERVIEW_PATIENTS])
            if len(o.patients) > _OVERVIEW_PATIENTS:
                names += f" and {len(o.patients) - _OVERVIEW_PATIENTS} more (see the day)"
            data.append(
                [
                    long_date(o.date),
                    f"{o.start}-{o.end}",
                    str(o.booked),
                    str(o.chairs),
                    cell(names, ov_widths[4], False),
                ]
            )
        data[0][0] = Paragraph(markup(data[0][0]), h2)
        story.append(table(data, ov_widths, 2, [("SPAN", (0, 0), (-1, 0))]))

    story.append(Paragraph("Sessions by day", section))

    def day_tables() -> Iterator[Any]:
        """One table per day, made only when the layout reaches it (see `_LazyStory`)."""
        for number, agenda_day in enumerate(days(), 1):
            data: list[list[Any]] = [
                [Paragraph(markup(day_heading(agenda_day.summary, agenda_day.overloads)), h2)]
                + [""] * (len(PDF_COLUMNS) - 1),
                list(PDF_COLUMNS),
            ]
            extra: list[Any] = [("SPAN", (0, 0), (-1, 0)), ("LINEBELOW", (0, 0), (-1, 0), 0.75, colors.black)]
            fonts: list[str] = []  # each row's font, set below for each run of rows alike
            for s, texts in _day_rows(agenda_day):
                strong = s in agenda_day.over
                slanted = s.kind in LISTED_KINDS and not strong
                fonts.append(BOLD if strong else ITALIC if slanted else FONT)
                data.append([cell(t, w, strong, slanted) for t, w in zip(texts, widths, strict=True)])
            if len(data) == 2:
                data.append(
                    ["No session starts on this day; sessions from the day before continue"]
                    + [""] * (len(PDF_COLUMNS) - 1)
                )
                extra.append(("SPAN", (0, 2), (-1, 2)))
                yield table(data, widths, 2, extra)
            else:
                heads = table(data[:2], widths, 2, extra)
                yield paged_rows(
                    heads,
                    data[2:],
                    fonts,
                    widths,
                    f"lmschedDay{number}",
                    size=BODY,
                    leading=LEADING,
                    pad_x=PAD_X,
                    pad_top=PAD_Y,
                    pad_bottom=PAD_Y + 1,
                )
            yield Spacer(1, 10)

    def on_page(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFillColor(colors.black)
        canvas.setFont(BOLD, BODY)
        y = height - MARGIN - BODY
        canvas.drawString(MARGIN, y, running)
        canvas.setFont(FONT, BODY)
        canvas.drawRightString(page_w - MARGIN, y, made)
        canvas.setLineWidth(0.75)
        canvas.line(MARGIN, y - 4, page_w - MARGIN, y - 4)
        canvas.drawString(MARGIN, MARGIN, DISCLAIMER)
        # "Page X of Y": Y is a form drawn once at the end (`_PageCountCanvas`), so no page has
        # to be kept in memory until the count is known.
        of = f"Page {canvas.getPageNumber()} of "
        canvas.drawString(page_w - MARGIN - COUNT_W - width(of, FONT, BODY), MARGIN, of)
        canvas.translate(page_w - MARGIN - COUNT_W, MARGIN)
        canvas.doForm(_PAGE_COUNT)
        canvas.restoreState()

    doc = SimpleDocTemplate(
        out,
        pagesize=(page_w, height),
        leftMargin=MARGIN - FRAME_PAD,
        rightMargin=MARGIN - FRAME_PAD,
        topMargin=MARGIN + HEADER_H - FRAME_PAD,
        bottomMargin=MARGIN + FOOTER_H - FRAME_PAD,
        pageCompression=1,
        title=heading,
        author="lmsched",
        subject=f"Infusion centre agenda with chair capacity ({DISCLAIMER})",
        creator="lmsched",
        producer="lmsched (ReportLab)",
        keywords=["lmsched", "agenda"],
        invariant=1,  # no comments; the dates and document id are `generated`'s (`stamped`)
    )
    doc.build(
        _LazyStory(story, day_tables()),
        onFirstPage=on_page,
        onLaterPages=on_page,
        canvasmaker=stamped(_page_count_canvas(), generated),
    )


_PAGE_COUNT = "lmschedPageCount"
COUNT_W = 24.0  # room for the page count after "Page X of " (up to 4 digits at 9 pt)


def _page_count_canvas() -> Any:
    """A canvas that draws the page count into the form every footer shows, once, at the end."""
    from reportlab.pdfgen.canvas import Canvas

    class _PageCountCanvas(Canvas):
        def save(self) -> None:
            pages = self.getPageNumber() - 1  # the last page has been shown
            self.beginForm(_PAGE_COUNT)
            self.setFont(FONT, BODY)
            self.drawString(0, 0, str(pages))
            self.endForm()
            super().save()

    return _PageCountCanvas


class _LazyStory(list[Any]):
    """The platypus story, filled from `rest` as the layout consumes it: only the next few
    flowables exist at any time, so a long agenda does not hold every day's table in memory.

    `BaseDocTemplate.build` asks `len(story)` before each flowable and reads a few ahead (keep
    with next); the story is topped up there."""

    AHEAD = 4

    def __init__(self, first: Iterable[Any], rest: Iterator[Any]) -> None:
        super().__init__(first)
        self._rest = rest

    def __len__(self) -> int:
        while super().__len__() < self.AHEAD:
            item = next(self._rest, None)
            if item is None:
                break
            self.append(item)
        return super().__len__()
