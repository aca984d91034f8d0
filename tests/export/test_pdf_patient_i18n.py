"""The patient calendar in the patient's language, with their name, revision, print date and the
clinic's closed days, read back with pypdf (issue 18)."""

from __future__ import annotations

import datetime as dt
import io

import pypdf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.calendar import build_calendar
from scheduler.calendar import holiday_language as _tag
from scheduler.closures import closed_days
from scheduler.export.pdf.common import DISCLAIMER
from scheduler.export.pdf.patient import month_pages, render
from scheduler.i18n import UNREVIEWED_NOTICE, Language
from scheduler.models import Clinic
from scheduler.plan import Plan

from ..conftest import checked, make_plan


def holiday_language(country: str, code: str) -> str | None:
    import holidays

    return _tag(holidays.country_holidays(country), code)


FINDING = "This treatment is used outside its usual licence or within a study. Ask your care team if you have questions."
SPANISH = {
    "Treatment calendar for {name}": "Calendario de tratamiento de {name}",
    "Clinic closed: {reason}": "Clínica cerrada: {reason}",
    FINDING: "Este tratamiento se usa fuera de su licencia habitual o en un estudio. Pregunte a su equipo.",
    "Revision {revision} · printed {date} · Page {page} of {pages}": (
        "Revisión {revision} · impreso el {date} · Página {page} de {pages}"
    ),
    DISCLAIMER: "Calendario generado: compruébelo con la orden firmada antes de usarlo.",
    UNREVIEWED_NOTICE: "Traducción aún no revisada por un intérprete médico cualificado",
}


def spanish(reviewed: bool = True) -> Language:
    return Language(code="es", messages=SPANISH, reviewed_by="Test" if reviewed else None)


def pages_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def squash(text: str) -> str:
    return "".join(text.split())


@pytest.fixture(scope="module")
def madrid(registry) -> Plan:  # type: ignore[no-untyped-def]
    """WBRT and Ommaya methotrexate over December 2026 in a Madrid clinic, for a Spanish speaker."""
    return checked(
        make_plan(
            registry,
            start="2026-12-14",
            dob="1968-05-14",
            age=None,
            patient_id="RCC-000321",
            patient_name="María Pérez",
            given_name="María",
            family_name="Pérez",
            rt="wbrt-30gy-10fx",
            rt_start="2026-11-30",
            maintenance=2,
            language="es",
            clinic={
                "country": "ES",
                "subdiv": "MD",
                "tz": "Europe/Madrid",
                "closed": [{"date": "2026-12-28", "reason": "Staff training"}],
            },
        )
    )


def test_a_spanish_calendar_has_spanish_months_weekdays_dates_and_messages(madrid: Plan) -> None:
    texts = pages_text(render(madrid, lang=spanish()))
    covers = len(texts) - len(month_pages(madrid))
    cover, months = "".join(texts[:covers]), texts[covers:]
    assert "Calendario de tratamiento de María" in cover
    assert "Pérez" not in "".join(texts)  # the given name, not the family name
    assert squash(SPANISH[FINDING]) in squash(cover) and "Ask your care team" not in cover
    assert "lunes, 14 de diciembre de 2026" in cover  # the first IT dose, a CLDR long date
    december = months[month_pages(madrid).index((2026, 12))]
    assert "Diciembre de 2026" in december  # a heading: capitalised
    for weekday in ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"):
        assert weekday in december, weekday
    assert "Monday" not in december and "December" not in december
    # holidays in Spanish (the holidays package has Spain's names in Spanish), clinic closures as written
    assert squash("Clínica cerrada: Natividad del Señor") in squash(december)
    assert squash("Clínica cerrada: Staff training") in squash(december)
    assert "Clinic closed" not in december
    for n, text in enumerate(texts, start=1):
        assert squash(SPANISH[DISCLAIMER]) in squash(text)
        assert f"Página {n} de {len(texts)}" in text
    assert UNREVIEWED_NOTICE not in "".join(texts)  # reviewed catalog: no notice


def test_an_unreviewed_catalog_prints_the_notice_on_every_page_in_bold(madrid: Plan) -> None:
    lang = spanish(reviewed=False)
    assert lang.notice
    data = render(madrid, lang=lang)
    texts = pages_text(data)
    assert len(texts) >= 3
    for n, text in enumerate(texts, start=1):
        assert squash(lang.unreviewed_notice()) in squash(text), n
    from .test_pdf_layout import layout_problems, read_pages

    for n, page in enumerate(read_pages(data), start=1):
        notice = [s for s in page.strings if s.text and s.text in lang.unreviewed_notice()]
        assert notice and all(s.size >= 12 for s in notice), n
        assert layout_problems(page) == [], n
    bold = set()
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:

        def visit(text: str, cm: object, tm: object, font: object, size: float) -> None:
            if text.strip() and text.strip() in lang.unreviewed_notice():
                bold.add(str(font.get("/BaseFont")) if hasattr(font, "get") else str(font))  # type: ignore[attr-defined]

        page.extract_text(visitor_text=visit)
    assert bold and all("Bold" in name for name in bold), bold


def test_english_plans_get_no_notice(adult: Plan) -> None:
    assert UNREVIEWED_NOTICE not in "".join(pages_text(render(adult)))


@pytest.mark.parametrize(
    ("names", "greeting", "hidden"),
    [
        ({"patient_name": "Nguyễn Thị Minh"}, "Nguyễn Thị Minh", None),  # never "the first word"
        ({"given_name": "Minh", "family_name": "Nguyễn"}, "Minh", "Nguyễn"),
        ({"given_name": "Robert", "family_name": "Jones", "preferred_name": "Bob"}, "Bob", "Robert"),
        ({"patient_name": "Jiří Dvořák", "given_name": "Jiří"}, "Jiří", "Dvořák"),
    ],
)
def test_the_cover_greets_the_preferred_then_given_then_whole_name(
    registry,  # type: ignore[no-untyped-def]
    names: dict[str, str],
    greeting: str,
    hidden: str | None,
) -> None:
    plan = make_plan(registry, maintenance=0, **names)
    texts = pages_text(render(plan))
    assert f"Treatment calendar for {greeting}" in texts[0]
    assert all(f"Treatment calendar for {greeting}" in text for text in texts[1:])  # month headers
    if hidden:
        assert hidden not in "".join(texts)


def test_every_page_shows_the_revision_and_the_print_date(madrid: Plan, adult: Plan) -> None:
    revised = adult.model_copy(update={"revision": 2})
    texts = pages_text(render(revised))
    printed = "printed Monday 23 November 2026"  # the plan's created (tests' --now), clinic time
    for n, text in enumerate(texts, start=1):
        assert f"Revision 2 · {printed} · Page {n} of {len(texts)}" in text, n
    spanish_texts = pages_text(render(madrid, lang=spanish()))
    for n, text in enumerate(spanish_texts, start=1):
        assert squash(
            f"Revisión 0 · impreso el lunes, 23 de noviembre de 2026 · Página {n} de {len(spanish_texts)}"
        ) in squash(text)


def test_a_us_plan_over_christmas_says_why_the_clinic_is_closed(registry) -> None:  # type: ignore[no-untyped-def]
    plan = make_plan(
        registry,
        start="2026-12-14",
        maintenance=2,
        clinic={"closed": [{"date": "2026-12-31", "reason": "Inventory day"}]},
    )
    texts = pages_text(render(plan))
    december = squash(texts[1 + month_pages(plan).index((2026, 12))])
    assert squash("Clinic closed: Christmas Day") in december
    assert squash("Clinic closed: Inventory day") in december
    january = squash(texts[1 + month_pages(plan).index((2027, 1))])
    assert squash("Clinic closed: New Year's Day") in january
    assert december.count(squash("Clinic closed:")) == 2  # weekends are not marked
    # Spanish words, but the US holidays only have English names in the holidays package
    lang = Language(code="es", messages=SPANISH, reviewed_by="Test")
    december_es = squash(pages_text(render(plan, lang=lang))[1 + month_pages(plan).index((2026, 12))])
    assert squash("Clínica cerrada: Christmas Day") in december_es


def test_holidays_come_in_the_patients_language_where_the_package_has_it() -> None:
    assert holiday_language("ES", "es") == "es"
    assert holiday_language("US", "es") is None  # falls back to the clinic's (default) names
    assert holiday_language("ES", "en") == "en_US"
    assert holiday_language("US", "en") == "en_US"
    spain = Clinic(country="ES")
    first, last = dt.date(2026, 12, 1), dt.date(2027, 1, 31)
    assert closed_days(spain, first, last, "es")[dt.date(2026, 12, 25)] == "Natividad del Señor"
    assert closed_days(spain, first, last, "en")[dt.date(2026, 12, 25)] == "Christmas Day"
    us = closed_days(Clinic(country="US"), first, last, "es")
    assert us[dt.date(2026, 12, 25)] == "Christmas Day"
    assert dt.date(2026, 12, 26) not in us and dt.date(2026, 12, 27) not in us  # a weekend
    worked = closed_days(Clinic(country="US", open_holidays=("New Year's Day",)), first, last, "en")
    assert dt.date(2027, 1, 1) not in worked and dt.date(2026, 12, 25) in worked


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    year=st.integers(2025, 2032),
    country=st.sampled_from(["US", "ES", "GB", "DE", None]),
    language=st.sampled_from(["en", "es", "de"]),
    closures=st.lists(
        st.tuples(
            st.integers(0, 364), st.integers(0, 6), st.sampled_from(["Staff training", "Move", "Flood"])
        ),
        max_size=4,
    ),
    weekdays=st.sampled_from(
        [
            ("mon", "tue", "wed", "thu", "fri"),
            ("mon", "tue", "wed", "thu"),
            ("tue", "wed", "thu", "fri", "sat"),
        ]
    ),
)
def test_every_closed_open_weekday_gets_a_reason_and_no_open_day_does(
    year: int,
    country: str | None,
    language: str,
    closures: list[tuple[int, int, str]],
    weekdays: tuple[str, ...],
) -> None:
    start = dt.date(year, 1, 1)
    closed = [
        {
            "date": (start + dt.timedelta(offset)).isoformat(),
            "until": (start + dt.timedelta(offset + length)).isoformat(),
            "reason": reason,
        }
        for offset, length, reason in closures
    ]
    clinic = Clinic.model_validate({"country": country, "closed": closed, "open_days": weekdays})
    first, last = start, dt.date(year, 12, 31)
    reasons = closed_days(clinic, first, last, language)
    calendar = build_calendar(clinic)
    day = first
    while day <= last:
        shown = reasons.get(day)
        if day.weekday() in calendar.open_weekdays and not calendar.is_open(day):
            assert shown, day
            for when in (c for c in clinic.closed if day in c.days()):
                assert when.reason in shown
        else:
            assert shown is None, (day, shown)
        day += dt.timedelta(1)
