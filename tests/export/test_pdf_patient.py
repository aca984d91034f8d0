"""The patient calendar PDF, read back with pypdf."""

from __future__ import annotations

import calendar
import datetime as dt
import io
from collections import Counter
from pathlib import Path

import pypdf
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from scheduler.export.pdf.common import MONTHS
from scheduler.export.pdf.patient import month_pages, render
from scheduler.plan import Plan

from ..conftest import make_plan, plan_fields


def pages_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def font_sizes(data: bytes) -> Counter[float]:
    sizes: Counter[float] = Counter()
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:

        def visit(text: str, cm: object, tm: list[float], font: object, size: float) -> None:
            if text.strip():
                sizes[round(size * abs(tm[3] or 1), 1)] += 1

        page.extract_text(visitor_text=visit)
    return sizes


def month_page(plan: Plan, texts: list[str], day: dt.date) -> str:
    index = month_pages(plan).index((day.year, day.month))
    return texts[1 + index]


@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_every_dose_is_on_its_month_page_with_the_footer(adult: Plan, paper: str) -> None:
    data = render(adult, paper)  # type: ignore[arg-type]
    texts = pages_text(data)
    months = month_pages(adult)
    assert len(texts) == 1 + len(months) == 15  # cover + Nov 2026 .. Dec 2027
    for n, text in enumerate(texts, start=1):
        assert f"Page {n} of {len(texts)}" in text
        assert "Generated schedule: verify against the signed order before use." in text
    for i, (year, month) in enumerate(months):
        text = texts[1 + i]
        assert f"{MONTHS[month - 1]} {year}" in text
        its = [
            e for e in adult.events if e.kind == "it-dose" and (e.date.year, e.date.month) == (year, month)
        ]
        label = Counter(f"IT {e.dose_mg:g} mg {e.time}" for e in its)
        for line, count in label.items():
            assert text.count(line) == count, (year, month, line)
        rts = [
            e
            for e in adult.events
            if e.kind == "rt-fraction" and (e.date.year, e.date.month) == (year, month)
        ]
        for e in rts:
            assert f"RT {e.number}/{e.of}" in text
    page = month_page(adult, texts, dt.date(2026, 12, 14))
    assert "10 mg AM" in page and "5 mg PM" in page and "10 mg AM + PM" in page


def test_cover_page_has_the_legend_titration_clinic_and_plain_warnings(adult: Plan) -> None:
    cover = pages_text(render(adult))[0]
    assert "Treatment calendar for Maria" in cover
    assert "Monday 14 December 2026 at 09:00" in cover and "Monday 30 November 2026 at 13:00" in cover
    for text in ("IT = intrathecal treatment", "RT = radiotherapy", "Memantine tablets", "Weeks 4-24"):
        assert text in cover
    assert "Ask your care team" in cover  # the plain-language finding
    assert "off-label" not in cover  # not the staff wording


def test_no_record_number_or_birth_date(adult: Plan) -> None:
    everything = "\n".join(pages_text(render(adult)))
    for secret in ("RCC-000123", "000123", "1968", "14 May"):
        assert secret not in everything, secret
    # issue 18: without a given or preferred name the whole name as written, never its first word
    # (tests/export/test_pdf_patient_i18n.py: a given name keeps the surname off the calendar)
    assert "Treatment calendar for Maria O'Neil-Søndergaard" in everything


def test_body_text_is_at_least_12_points(adult: Plan) -> None:
    sizes = font_sizes(render(adult))
    assert sizes and min(sizes) >= 12, sizes


def test_a_hostile_name_prints_literally(registry) -> None:  # type: ignore[no-untyped-def]
    plan = make_plan(registry, patient_name="<b>Bob</b> & \"Al\" 'x'")
    texts = pages_text(render(plan))
    assert all("Treatment calendar for <b>Bob</b>" in t for t in texts)


def test_same_plan_same_bytes_and_metadata(adult: Plan) -> None:
    first, second = render(adult), render(adult)
    assert first == second
    meta = pypdf.PdfReader(io.BytesIO(first)).metadata
    assert meta is not None and meta.title == "Treatment calendar" and meta.author == "lmsched"
    assert "verify against the signed order" in (meta.subject or "")


def test_the_childs_dose_change_shows_on_the_birthday_month(registry) -> None:  # type: ignore[no-untyped-def]
    plan = make_plan(registry, start="2026-12-01", dob="2024-01-08", age=None, route="ommaya", maintenance=3)
    texts = pages_text(render(plan))
    january = month_page(plan, texts, dt.date(2027, 1, 1))
    assert "IT 10 mg 09:00" in january and "IT 12 mg 09:00" in january
    assert "10 to 12 mg (see each day)" in texts[0]


def test_no_tablets_no_titration_table(registry) -> None:  # type: ignore[no-untyped-def]
    plan = make_plan(registry, start="2026-12-01", age="45", route="lumbar")
    cover = pages_text(render(plan))[0]
    assert "week by week" not in cover and "lumbar puncture" in cover


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=plan_fields(), paper=st.sampled_from(["letter", "a4"]))
@example(  # a two-page cover that names May 2026 in a date, before the April page (a seed found it)
    fields={
        "start": "2026-04-11",
        "route": "ommaya",
        "maintenance": 1,
        "clinic": {"session_time": "07:30"},
        "rt": "wbrt-30gy-10fx",
        "rt_start": "2026-04-11",
        "systemic": [{"template": "sys-her2climb", "start": "2026-04-11", "cycles": 1}],
        "weight_kg": 48.5,
        "height_cm": 151,
        "weight_date": "2026-04-08",
        "hold_around_rt": True,
    },
    paper="letter",
)
def test_every_plan_lays_out_without_overflow(registry, fields: dict[str, object], paper: str) -> None:  # type: ignore[no-untyped-def]
    """The renderer refuses (LayoutError) rather than crop or overlap; no plan may trigger it."""
    plan = make_plan(registry, **fields)
    data = render(plan, paper)  # type: ignore[arg-type]
    pages = pages_text(data)
    # the cover (one page, or more with a systemic course's tablets), then each month in order, a
    # crowded month continued on a page of its own ("part 2 of 2")
    months = [calendar.month_name[m] + f" {y}" for y, m in month_pages(plan)]
    # a month page starts with its title ("April 2026", or "April 2026, part 1 of 2"); the cover
    # may name the same month inside a date ("Mon 11 May 2026")
    titles = [page.lstrip().split("\n", 1)[0].strip() for page in pages]
    firsts = [
        next(i for i, t in enumerate(titles) if t == month or t.startswith(f"{month}, part"))
        for month in months
    ]
    assert firsts == sorted(firsts) and firsts[0] >= 1
    assert len(pages) >= 1 + len(months)
    if not plan.inputs.systemic:
        assert len(pages) == 1 + len(months)


def test_cli_writes_the_pdf_and_refuses_bad_paper(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from ..conftest import EXAMPLES, NOW

    pdf = tmp_path / "calendar.pdf"
    result = run("plan", str(EXAMPLES / "patient-adult.toml"), "--now", NOW, "--pdf", str(pdf), "-q")
    assert result.code == 0 and pdf.read_bytes().startswith(b"%PDF")
    bad = run(
        "plan",
        str(EXAMPLES / "patient-adult.toml"),
        "--now",
        NOW,
        "--pdf",
        str(tmp_path / "x.pdf"),
        "--paper",
        "A5",
    )
    assert bad.code == 2 and "--paper" in bad.err and not (tmp_path / "x.pdf").exists()


def test_a_crowded_day_in_a_six_week_month_fits(registry) -> None:  # type: ignore[no-untyped-def]
    """Found by hypothesis: on A4, Monday 3 January 2028 has an IT dose, the last RT fraction and
    two different memantine doses in a six-week month. The tablets' name line gives way to the
    triangle on the first dose line, instead of the page refusing to lay out."""
    plan = make_plan(
        registry,
        start="2027-12-17",
        rt="wbrt-30gy-10fx",
        rt_start="2027-12-17",
        maintenance=0,
        clinic={"session_time": "07:30"},
    )
    data = render(plan, "a4")
    pages = pypdf.PdfReader(io.BytesIO(data)).pages
    january = next(p.extract_text() for p in pages if "January 2028" in p.extract_text())
    assert "IT 15 mg 07:30" in january and "RT 10/10" in january and "10 mg AM" in january
