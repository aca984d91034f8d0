"""The large-print patient calendar (`--large-print`, issue 18): body text at least 18 pt, the
day numbers and the cover's dates at least 24 pt, footers at least 12 pt, every page a complete
week grid, nothing outside its page or its cell. Sizes are read back from the content stream
(the `Tf` operator in force for each string: tests/export/test_pdf_layout.py's reader)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import HealthCheck, given, settings

from scheduler.export.pdf.common import DISCLAIMER
from scheduler.export.pdf.patient import render
from scheduler.i18n import UNREVIEWED_NOTICE, Language
from scheduler.plan import Plan

from ..conftest import checked, make_plan, plan_fields
from .test_pdf_layout import ALLOWED, Page, layout_problems, read_pages
from .test_pdf_patient_i18n import SPANISH, pages_text

FOOTER = re.compile(r"^(Revision|Revisión) \d+ · |Page \d+ of \d+|Página \d+ de \d+")


def footer_texts(lang: Language) -> list[str]:
    return [lang.gettext(DISCLAIMER), lang.unreviewed_notice() if lang.notice else UNREVIEWED_NOTICE]


def is_footer(text: str, lang: Language) -> bool:
    return bool(FOOTER.search(text)) or any(text and text in f for f in footer_texts(lang))


def sizes_problems(pages: list[Page], lang: Language, covers: int) -> list[str]:
    """Every string's size against its floor: footer lines 12 pt, the month pages' day numbers
    24 pt (a string that is only the day's digits), everything else 18 pt."""
    problems = []
    for n, page in enumerate(pages, start=1):
        for s in page.strings:
            if not s.text.strip():
                continue
            if is_footer(s.text, lang):
                floor = 12.0
            elif n > covers and s.text.isdigit():
                floor = 24.0
            else:
                floor = 18.0
            if s.size < floor - 1e-6:
                problems.append(f"page {n}: {s.text!r} at {s.size} pt (at least {floor})")
    return problems


def month_titles(texts: list[str], covers: int) -> list[str]:
    return [text.splitlines()[0] for text in texts[covers:]]


def covers_of(texts: list[str]) -> int:
    return next(n for n, text in enumerate(texts) if re.match(r"^\S+ (de )?\d{4}", text.splitlines()[0]))


@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_large_print_sizes_and_layout(adult: Plan, paper: str) -> None:
    data = render(adult, paper, large_print=True)  # type: ignore[arg-type]
    pages, texts = read_pages(data), pages_text(data)
    covers = covers_of(texts)
    assert covers >= 1
    assert sizes_problems(pages, Language(), covers) == []
    for n, page in enumerate(pages, start=1):
        assert layout_problems(page) == [], n
    # the day numbers really are drawn at 24 pt: every day of every month page
    days = [s for page in pages[covers:] for s in page.strings if s.text.isdigit()]
    assert days and min(s.size for s in days) >= 24
    # the cover's dates are 24 pt: the first IT dose's fact
    fact = [s for s in pages[0].strings if "Monday 14 December 2026" in s.text]
    assert fact and all(s.size >= 24 for s in fact)
    # a normal-print calendar is still 12 pt text and 14 pt day numbers
    normal = read_pages(render(adult, paper))  # type: ignore[arg-type]
    assert min(s.size for page in normal for s in page.strings if s.text.strip()) == 12
    assert max(s.size for page in normal[1:] for s in page.strings if s.text.isdigit()) == 14


def test_a_month_that_does_not_fit_continues_in_whole_weeks(adult: Plan) -> None:
    data = render(adult, large_print=True)
    texts = pages_text(data)
    covers = covers_of(texts)
    titles = month_titles(texts, covers)
    assert "December 2026" in titles and "December 2026 (continued)" in titles
    # every day of each month once, in order, across its pages; each page whole weeks (7 cells a row)
    pages = read_pages(data)[covers:]
    by_month: dict[str, list[int]] = {}
    for title, page in zip(titles, pages, strict=True):
        month = title.removesuffix(" (continued)")
        by_month.setdefault(month, []).extend(
            int(s.text) for s in sorted(page.strings, key=lambda s: (-s.y, s.x)) if s.text.isdigit()
        )
        cells = [r for r in page.rects]
        assert cells and len(cells) % 7 == 0, title
    for month, numbers in by_month.items():
        year, name = int(month.split()[-1]), month.split()[0]
        number = dt.datetime.strptime(name, "%B").month
        last = (dt.date(year + number // 12, number % 12 + 1, 1) - dt.timedelta(1)).day
        assert numbers == list(range(1, last + 1)), month


def test_a_spanish_unreviewed_large_print_calendar(registry) -> None:  # type: ignore[no-untyped-def]
    lang = Language(code="es", messages=SPANISH, reviewed_by=None)
    plan = checked(
        make_plan(
            registry,
            start="2026-12-14",
            given_name="María",
            family_name="Pérez",
            rt="wbrt-30gy-10fx",
            rt_start="2026-11-30",
            maintenance=2,
            clinic={"country": "ES", "tz": "Europe/Madrid"},
        )
    )
    data = render(plan, lang=lang, large_print=True)
    pages, texts = read_pages(data), pages_text(data)
    covers = covers_of(texts)
    assert sizes_problems(pages, lang, covers) == []
    for n, page in enumerate(pages, start=1):
        assert layout_problems(page) == [], n
        notice = [s for s in page.strings if s.text and s.text in lang.unreviewed_notice()]
        assert notice and min(s.size for s in notice) >= 12, n
    titles = month_titles(texts, covers)
    assert "Diciembre de 2026" in titles and "Diciembre de 2026 (continued)" in titles
    assert "lunes" in texts[covers + titles.index("Diciembre de 2026")]


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(fields=plan_fields())
def test_any_plan_in_large_print_fits_its_pages(registry, fields: dict[str, object]) -> None:  # type: ignore[no-untyped-def]
    plan = make_plan(registry, **fields)
    data = render(plan, large_print=True, fonts=ALLOWED)
    pages, texts = read_pages(data), pages_text(data)
    covers = covers_of(texts) if len(texts) > 1 else len(texts)
    assert sizes_problems(pages, Language(), covers) == []
    for n, page in enumerate(pages, start=1):
        assert layout_problems(page) == [], n


def test_same_plan_same_bytes_in_every_language_and_print(adult: Plan) -> None:
    lang = Language(code="es", messages=SPANISH, reviewed_by=None)
    for options in ({}, {"large_print": True}, {"lang": lang}, {"lang": lang, "large_print": True}):
        assert render(adult, **options) == render(adult, **options)  # type: ignore[arg-type]
    assert render(adult, large_print=True) != render(adult)
