"""What the two printed documents share: paper sizes, escaping, metadata, "Page X of Y".

ReportLab is imported only inside these functions, so `lmsched --help` and plans without
`--pdf` never pay for it. Fonts are the PDF standard Helvetica family (nothing to embed, the
same bytes everywhere); they cover Latin-1 text, so names in other scripts print as boxes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from ...models import Paper
from ...plan import Plan

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
]

PAPERS: tuple[Paper, ...] = ("letter", "a4")
DISCLAIMER = "Generated schedule: verify against the signed order before use."


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
    """Keyword arguments for a ReportLab document: metadata set, and `invariant` so the same plan
    gives the same bytes (ReportLab then writes a fixed creation date and document id)."""
    return {
        "title": title,
        "author": "lmsched",
        "subject": subject,
        "creator": "lmsched",
        "producer": "lmsched (ReportLab)",
        "keywords": ["lmsched", plan.fingerprint],
        "invariant": 1,
    }


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
    return f"{_DAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]} {day.year}"


_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
MONTHS = _MONTHS
DAYS = _DAYS


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
