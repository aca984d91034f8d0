"""What the two printed documents share: paper sizes, escaping, metadata, "Page X of Y".

ReportLab is imported only inside these functions, so `lmsched --help` and plans without
`--pdf` never pay for it. Fonts are the embedded Noto Sans family and the clinic's fallback
fonts (`fonts.py`): text is measured and drawn run by run, each run in the font that has it,
and no character prints as a box unless the user allowed it (`fonts.check`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from ...i18n import ENGLISH, ENGLISH_DAYS, ENGLISH_MONTHS, N_
from ...models import Paper
from ...plan import Plan
from .fonts import REGULAR, register_embedded, runs
from .fonts import width as measure

__all__ = [
    "DAYS",
    "DISCLAIMER",
    "MONTHS",
    "PAPERS",
    "document_info",
    "escape",
    "generated",
    "landscape_size",
    "long_date",
    "numbered_canvas",
    "portrait_size",
    "stamped",
    "wrap",
]

PAPERS: tuple[Paper, ...] = ("letter", "a4")
DISCLAIMER = N_("Generated schedule: verify against the signed order before use.")


def escape(text: object) -> str:
    """Text from input, safe inside ReportLab paragraph markup: `<b>`, `&` and quotes print as typed."""
    from xml.sax.saxutils import escape as xml_escape  # lazily: it pulls in urllib (~10 ms)

    return xml_escape("" if text is None else str(text), {'"': "&quot;", "'": "&#39;"})


def portrait_size(paper: Paper) -> tuple[float, float]:
    from reportlab.lib.pagesizes import A4, LETTER

    return tuple(A4 if paper == "a4" else LETTER)  # type: ignore[return-value]


def landscape_size(paper: Paper) -> tuple[float, float]:
    width, height = portrait_size(paper)
    return (height, width)


def document_info(plan: Plan, title: str, subject: str) -> dict[str, Any]:
    """Keyword arguments for a ReportLab document: metadata set, and `invariant` (no comments or
    clock-dependent content). The dates and document id are the plan's: see `stamped`."""
    return {
        "title": title,
        "author": "lmsched",
        "subject": subject,
        "creator": "lmsched",
        "producer": "lmsched (ReportLab)",
        "keywords": ["lmsched", plan.fingerprint],
        "invariant": 1,
    }


def stamped(canvas_class: type[Any], moment: dt.datetime) -> Any:
    """`canvas_class` whose document's CreationDate, ModDate and /ID come from `moment` (the
    plan's `created`, or the agenda's generation time) and from nothing else.

    ReportLab takes the document's time stamp, which the dates print and the /ID digest is seeded
    with, from SOURCE_DATE_EPOCH when that is set (else, with `invariant`, a fixed 2000-01-01):
    so a PDF made with --now would still change with the environment while the JSON, CSV, ICS
    and FHIR do not. Here the stamp is replaced as soon as the document exists, before anything
    is drawn or added to the digest. ReportLab has no public setting for this (`setDateFormatter`
    only formats the date it has): `_doc._timeStamp` and `_doc.signature` are its internals of
    ReportLab 4 and 5, checked by tests/export/test_pdf_now.py.

    The canvas also starts in the embedded font (no Helvetica in any page's resources) and
    draws the text given to `drawString`, `drawRightString` and `drawCentredString` run by run
    in the fonts that have its characters (`fonts.runs`), so no code that draws on it can print
    a character the clinic's fonts have as a box."""
    from hashlib import md5

    from reportlab.lib.utils import TimeStamp

    utc = moment.astimezone(dt.UTC)
    seconds = int(utc.timestamp())

    class Stamped(canvas_class):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            # the canvas starts in the embedded font: ReportLab's default (Helvetica) would be
            # put in every page's resources though nothing is drawn with it
            register_embedded()
            kwargs["initialFontName"] = kwargs.get("initialFontName") or REGULAR
            super().__init__(*args, **kwargs)
            stamp = TimeStamp.__new__(TimeStamp)  # its __init__ would read the environment
            stamp.t = seconds
            stamp.lt = utc.timetuple()
            stamp.YMDhms = tuple(stamp.lt)[:6]
            stamp.dhh = stamp.dmm = 0
            stamp.tzname = "UTC"
            doc = self._doc
            doc._timeStamp = stamp
            # The digest as PDFDocument starts it, seeded with this stamp instead of its own.
            doc.signature = md5(usedforsecurity=False)
            doc.signature.update(b"a reportlab document")
            doc.signature.update(ascii(seconds).encode("ascii"))

        # Text drawn straight on the canvas (a table's plain cells, page headers and footers)
        # goes run by run like `fonts.draw`: a character the current font lacks is drawn by
        # the fallback font that has it, never as a box.
        def drawString(self, x: float, y: float, text: str, *args: Any, **kwargs: Any) -> None:
            font = self._fontname
            parts = None if text.isascii() or args or kwargs else runs(text, font)
            if parts is None:
                super().drawString(x, y, text, *args, **kwargs)
                return
            size, leading = self._fontsize, self._leading
            for name, chunk in parts:
                if name != self._fontname:
                    self.setFont(name, size, leading)
                super().drawString(x, y, chunk)
                x += measure(chunk, name, size)
            if self._fontname != font:
                self.setFont(font, size, leading)

        def drawRightString(self, x: float, y: float, text: str, *args: Any, **kwargs: Any) -> None:
            if text.isascii() or args or kwargs:
                super().drawRightString(x, y, text, *args, **kwargs)
            else:
                self.drawString(x - measure(text, self._fontname, self._fontsize), y, text)

        def drawCentredString(self, x: float, y: float, text: str, *args: Any, **kwargs: Any) -> None:
            if text.isascii() or args or kwargs:
                super().drawCentredString(x, y, text, *args, **kwargs)
            else:
                self.drawString(x - measure(text, self._fontname, self._fontsize) / 2, y, text)

        def stringWidth(self, text: str, fontName: str | None = None, fontSize: float | None = None) -> float:
            return measure(text, fontName or self._fontname, self._fontsize if fontSize is None else fontSize)

    Stamped.__name__ = Stamped.__qualname__ = f"Stamped{canvas_class.__name__}"
    return Stamped


def numbered_canvas(
    footer: Callable[[Any, int, int], None],
) -> type[Any]:
    """A canvas class that knows the page count when each page is finished, so every page's
    footer can say "Page X of Y". `footer(canvas, page, pages)` draws it."""
    from reportlab.pdfgen.canvas import Canvas

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._saved: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._saved.append(dict(self.__dict__))
            self._startPage()  # type: ignore[attr-defined]

        def save(self) -> None:
            pages = len(self._saved)
            for number, state in enumerate(self._saved, start=1):
                self.__dict__.update(state)
                footer(self, number, pages)
                super().showPage()
            super().save()

    return NumberedCanvas


def generated(plan: Plan) -> str:
    """The plan's creation time as printed: local to the clinic, to the minute."""
    from zoneinfo import ZoneInfo

    moment = plan.created.astimezone(ZoneInfo(plan.inputs.clinic.tz))
    return moment.strftime("%Y-%m-%d %H:%M %Z")


def long_date(day: dt.date) -> str:
    """'Monday 14 December 2026' (English, independent of the machine's locale)."""
    return ENGLISH.long_date(day)


MONTHS = ENGLISH_MONTHS
DAYS = ENGLISH_DAYS


def cell_padding(
    font: str, size: float, leading: float, pad_x: float, pad_top: float, pad_bottom: float
) -> list[Any]:
    """The TableStyle commands every staff table starts with: its font, top-aligned cells and
    their padding (grid and box lines follow, table by table)."""
    return [
        ("FONT", (0, 0), (-1, -1), font, size, leading),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), pad_x),
        ("RIGHTPADDING", (0, 0), (-1, -1), pad_x),
        ("TOPPADDING", (0, 0), (-1, -1), pad_top),
        ("BOTTOMPADDING", (0, 0), (-1, -1), pad_bottom),
    ]


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """`text` as lines no wider than `width` at `size` points, so nothing is ever cropped: broken
    at spaces, and inside a word only when the word alone is wider than the line (a 200-character
    name, an address without spaces). A run of spaces, tabs or line breaks counts as one space
    (no-break spaces stay); an empty text has no lines."""
    import re

    def fits(line: str) -> bool:
        return measure(line, font, size) <= width + 0.01

    lines: list[str] = []
    current = ""
    for word in re.split(r"[ \t\n]+", text):
        if not word:
            continue
        joined = f"{current} {word}" if current else word
        if fits(joined):
            current = joined
            continue
        if current:
            lines.append(current)
        current = word
        while not fits(current):
            cut = _cut(current, fits)
            lines.append(current[:cut])
            current = current[cut:]
    if current:
        lines.append(current)
    return lines


def _cut(word: str, fits: Callable[[str], bool]) -> int:
    """How many characters of a too-wide word go on this line: as many as fit (at least one, so
    the wrap always ends), never separating a combining mark, ZWJ or ZWNJ from the letter before
    (a letter with its marks wider than the whole line, at a few points' width, goes on alone)."""
    import unicodedata

    lo, hi = 1, len(word) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(word[:mid]):
            lo = mid
        else:
            hi = mid - 1

    def joins(ch: str) -> bool:
        return unicodedata.category(ch)[0] == "M" or ch in "\u200c\u200d"

    cut = lo
    while cut > 1 and joins(word[cut]):
        cut -= 1
    while cut < len(word) and joins(word[cut]):  # one letter and its marks, wider than the line
        cut += 1
    return cut
