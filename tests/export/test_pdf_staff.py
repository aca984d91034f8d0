"""The staff sheet PDF, read back with pypdf."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pypdf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.export.pdf.common import DISCLAIMER, generated, landscape_size
from scheduler.export.pdf.fonts import REGULAR
from scheduler.export.pdf.staff import MARGIN, render, totals
from scheduler.labels import dose_text
from scheduler.plan import Finding, Override, Plan

from ..conftest import ROOT, make_plan, plan_fields
from .test_pdf_fonts import registered

HOSTILE = "<b>Bob</b> & \"Al\" 'x'"


def pages_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


@dataclass
class Fragment:
    text: str
    x: float
    y: float
    size: float
    font: str


def fragments(data: bytes) -> list[list[Fragment]]:
    """Every piece of text on every page, with where it starts (page coordinates), its font and
    size. pypdf reports a line's start for each piece of it: the pieces after the first are
    placed by the widths of those before."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    out: list[list[Fragment]] = []
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        found: list[Fragment] = []
        last: list[tuple[float, float, float]] = []  # (line start x, y, where the next piece starts)

        def visit(
            text: str,
            cm: list[float],
            tm: list[float],
            font: object,
            size: float,
            found: list[Fragment] = found,
            last: list[tuple[float, float, float]] = last,
        ) -> None:
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            name = registered(str(font.get("/BaseFont", ""))) if isinstance(font, dict) else ""
            size = round(size * abs(tm[3] or 1), 1)
            start = last[0][2] if last and last[0][:2] == (x, y) else x
            piece = text.rstrip("\n")
            last[:] = [(x, y, start + stringWidth(piece, name or REGULAR, size))]
            if text.strip():
                found.append(Fragment(piece, start, y, size, name))

        page.extract_text(visitor_text=visit)
        out.append(found)
    return out


def assert_on_page(data: bytes, paper: str) -> None:
    """All text at least 9 pt and, like every rule drawn, inside the page margins."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    width, height = landscape_size(paper)  # type: ignore[arg-type]
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx((width, height))
    for page in fragments(data):
        for f in page:
            assert f.size >= 9, f
            right = f.x + stringWidth(f.text.rstrip(), f.font or REGULAR, f.size)  # a space is no ink
            assert f.x >= MARGIN - 0.5 and right <= width - MARGIN + 0.5, f
            assert MARGIN - 0.5 <= f.y <= height - MARGIN, f
    for points in drawn_points(data):  # table rules and the header's rule
        assert points
        for x, y in points:
            assert MARGIN - 0.5 <= x <= width - MARGIN + 0.5 and MARGIN - 0.5 <= y <= height - MARGIN, (x, y)


def _times(m: list[float], n: list[float]) -> list[float]:
    a, b, c, d, e, f = m
    return [
        a * n[0] + b * n[2],
        a * n[1] + b * n[3],
        c * n[0] + d * n[2],
        c * n[1] + d * n[3],
        e * n[0] + f * n[2] + n[4],
        e * n[1] + f * n[3] + n[5],
    ]


def drawn_points(data: bytes) -> list[list[tuple[float, float]]]:
    """The end points of every line and rectangle drawn on each page, in page coordinates."""
    out: list[list[tuple[float, float]]] = []
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        contents = page.get_contents()
        assert contents is not None
        ctm, stack, points = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0], [], []

        def at(x: float, y: float, m: list[float]) -> tuple[float, float]:
            return (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])

        for operands, op in pypdf.generic.ContentStream(contents, page.pdf).operations:
            args = [float(v) for v in operands if isinstance(v, int | float)]
            if op == b"q":
                stack.append(ctm)
            elif op == b"Q":
                ctm = stack.pop()
            elif op == b"cm":
                ctm = _times(args, ctm)
            elif op in (b"m", b"l"):
                points.append(at(args[0], args[1], ctm))
            elif op == b"re":
                x, y, w, h = args
                points += [at(x, y, ctm), at(x + w, y + h, ctm)]
        out.append(points)
    return out


@pytest.fixture(scope="module")
def adult_pdf(adult: Plan) -> bytes:
    return render(adult)


@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_every_event_date_and_dose_is_in_the_table(adult: Plan, paper: str) -> None:
    text = "\n".join(pages_text(render(adult, paper)))  # type: ignore[arg-type]
    dates = Counter(e.date.isoformat() for e in adult.events)
    for day, count in dates.items():
        assert text.count(day) >= count, day
    assert text.count("15 mg") >= sum(e.kind == "it-dose" for e in adult.events) == 22
    assert text.count("3 Gy") == sum(e.kind == "rt-fraction" for e in adult.events) == 10
    for e in adult.events:
        assert dose_text(e) in text
    meds = [e for e in adult.events if e.kind == "medication"]
    assert len(meds) == 7
    flat = " ".join(text.split())  # cells wrap
    assert flat.count("daily x 7 days") == 5 and flat.count("daily x 147 days") == 2
    # rows are numbered 1..N in plan order, each with its weekday and time
    assert "RT 1/10 whole brain" in flat and "IT methotrexate 22/22" in flat
    assert "preservative-free" in text and "Ommaya" in text


def test_moved_events_show_the_date_and_reason(adult: Plan, adult_pdf: bytes) -> None:
    text = "\n".join(pages_text(adult_pdf))
    flat = " ".join(text.split())
    moved = [e for e in adult.events if e.shifted_from is not None]
    assert moved
    for e in moved:
        assert e.shifted_from is not None and e.shift_reason is not None
        assert e.shifted_from.isoformat() in text
        assert " ".join(e.shift_reason.split()) in flat


def test_header_and_footer_are_on_every_page(adult: Plan, adult_pdf: bytes) -> None:
    texts = pages_text(adult_pdf)
    assert len(texts) > 1
    prefix = adult.fingerprint[: len("sha256:") + 16]
    for n, text in enumerate(texts, start=1):
        assert f"Page {n} of {len(texts)}" in text
        assert DISCLAIMER in text
        assert "Patient ID: RCC-000123" in text
        assert "Maria O'Neil-Søndergaard" in text
        assert "Date of birth: 1968-05-14" in text
        assert "Route: Ommaya (intraventricular)" in text
        assert "Regimen: it-mtx-intensive v2.0.0" in text
        assert prefix in text
        assert f"Revision: {adult.revision}" in text
        assert f"Generated: {generated(adult)}" in text
    assert adult.fingerprint in "\n".join(texts)  # the full fingerprint once, after the table


def test_age_instead_of_birth_date(registry) -> None:  # type: ignore[no-untyped-def]
    texts = pages_text(render(make_plan(registry, age="45")))
    assert all("Age at start: 45 years" in t and "Patient ID: NOT RECORDED" in t for t in texts)


def test_the_table_splits_with_its_header_row_on_every_page(adult: Plan, adult_pdf: bytes) -> None:
    from scheduler.labels import event_label

    texts = [" ".join(t.split()) for t in pages_text(adult_pdf)]
    # the page of each IT dose and RT fraction, by its unique label ("IT methotrexate 5/22"; a
    # check's label, "Blood count", is on many rows)
    labels = [event_label(e) for e in adult.events if e.kind not in ("medication", "check")]
    pages = [next(i for i, t in enumerate(texts) if f" {label} " in t) for label in labels]
    assert pages == sorted(pages)  # in plan order
    table = range(pages[0], pages[-1] + 1)
    assert pages[0] == 0 and len(table) >= 3  # 39 events take several pages
    for i in table:
        assert texts[i].count("Given (date/time)") == 1, i
        assert "Initials" in texts[i] and "Lot" in texts[i]
    for text in texts[pages[-1] + 1 :]:
        assert "Given (date/time)" not in text
    assert "Total planned dose" in "".join(texts[pages[-1] :])


@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_rows_are_tall_enough_to_write_in_and_text_stays_on_the_page(adult: Plan, paper: str) -> None:
    data = render(adult, paper)  # type: ignore[arg-type]
    assert_on_page(data, paper)
    for page in fragments(data):
        # the row numbers sit in the first column: consecutive rows are at least 18 pt apart
        rows = sorted(
            (f.y for f in page if f.text.strip().isdigit() and f.x < MARGIN + 12 and f.font == REGULAR),
            reverse=True,
        )
        assert all(a - b >= 18 for a, b in itertools.pairwise(rows)), rows


@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_long_input_wraps_inside_the_page(registry, paper: str) -> None:  # type: ignore[no-untyped-def]
    plan = make_plan(
        registry,
        patient_name="W" * 200,
        patient_id="X" * 64,
        maintenance=12,
        rt="csi-photon-36gy-20fx",
        rt_start="2026-11-30",
        clinic={
            "name": "Clinic " * 28,
            "closed": [{"date": "2026-12-04", "reason": "Z" * 150}],
        },
    )
    plan = plan.model_copy(
        update={
            "notes": ("N" * 300, "word " * 100),
            "overrides": (
                Override(
                    rule="r" * 60, reason="R" * 200, by="B" * 200, at=dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
                ),
            ),
        }
    )
    data = render(plan, paper)  # type: ignore[arg-type]
    assert_on_page(data, paper)
    flat = " ".join("".join(pages_text(data)).split()).replace(" ", "")
    assert "W" * 200 in flat and "X" * 64 in flat and "Z" * 150 in flat and "R" * 200 in flat


def test_a_hostile_name_and_hostile_input_print_literally(registry) -> None:  # type: ignore[no-untyped-def]
    plan = make_plan(
        registry,
        patient_name=HOSTILE,
        patient_id="<i>&1",
        clinic={
            "name": "<font size='40'>Clinic</font>",
            "phone": "& 555",
            "closed": [{"date": "2026-12-04", "reason": "<b>Staff</b> & 'training'"}],
        },
    )
    plan = plan.model_copy(
        update={
            "notes": ("Note <br/> & 'quoted' \"text\"",),
            "findings": (
                Finding(
                    rule="shunt",
                    severity="stop",
                    message="<u>message</u> & more",
                    patient_message="plain",
                    sources=("S1",),
                    overridden=True,
                ),
            ),
            "overrides": (
                Override(
                    rule="shunt",
                    reason="Discussed at <board> & agreed",
                    by="Dr <Who>",
                    at=dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC),
                ),
            ),
        }
    )
    texts = pages_text(render(plan))
    assert all(f"Patient: {HOSTILE}" in t and "Patient ID: <i>&1" in t for t in texts)
    everything = "\n".join(texts)
    flat = " ".join(everything.split())
    for literal in (
        "<font size='40'>Clinic</font>",
        "& 555",
        "<b>Staff</b> & 'training'",
        "Note <br/> & 'quoted' \"text\"",
        "<u>message</u> & more",
        "Discussed at <board> & agreed",
        "Dr <Who>",
        "2026-11-20 10:00 EST",
    ):
        assert literal in flat, literal


def test_totals_per_drug_and_course(registry, adult: Plan, adult_pdf: bytes) -> None:  # type: ignore[no-untyped-def]
    rows = {t.what: t for t in totals(adult)}
    mtx = rows["methotrexate (intrathecal)"]
    assert mtx.count == "22 doses" and mtx.total.startswith("330 mg")  # 22 x 15 mg
    # CSF flow unknown: every dose waits for the flow study (the 10 maintenance doses also continue
    # until progression); with flow normal only the maintenance doses are tentative
    assert (
        mtx.total
        == "330 mg (of which 22 tentative doses, 330 mg; 22 until a CSF flow study shows normal flow)"
    )
    normal = make_plan(
        registry,
        start="2026-12-14",
        route="ommaya",
        rt="wbrt-30gy-10fx",
        rt_start="2026-11-30",
        maintenance=10,
        csf_flow="normal",
    )
    assert totals(normal)[0].total == "330 mg (of which 10 tentative doses, 150 mg)"
    assert not any(t.what.startswith(("Blood count", "CSF", "MRI")) for t in totals(adult))  # no dose
    # memantine: 5x7 + (5+5)x7 + (10+5)x7 + (10+10)x147
    assert rows["memantine"].total.startswith("3150 mg over 168 days")
    rt = next(t for t in rows.values() if "wbrt-30gy-10fx" in t.what)
    assert (rt.count, rt.total) == ("10 fractions", "30 Gy total")
    text = " ".join("\n".join(pages_text(adult_pdf)).split())
    for t in rows.values():
        assert t.total in text and t.count in text


def test_findings_overrides_and_notes(adult: Plan, adult_pdf: bytes) -> None:
    text = " ".join("\n".join(pages_text(adult_pdf)).split())
    assert "Safety findings" in text and "investigational-template" in text and "INFO" in text
    for f in adult.findings:
        assert " ".join(f.message.split()) in text
    assert "Overrides none" in text
    for note in adult.notes:
        assert " ".join(note.split()) in text
    assert "Pharmacist verification" in text and "Nurse check" in text


def test_empty_sections_say_none(registry) -> None:  # type: ignore[no-untyped-def]
    plan = make_plan(registry).model_copy(update={"notes": ()})
    text = " ".join("\n".join(pages_text(render(plan))).split())
    assert "Safety findings none" in text and "Overrides none" in text and "Notes none" in text


def test_a_plan_without_events_still_prints(registry) -> None:  # type: ignore[no-untyped-def]
    plan = make_plan(registry, regimen="it-liposomal-cytarabine", route="lumbar")
    assert plan.events == ()
    text = pages_text(render(plan))[0]
    assert "No events are planned." in text and "Page 1 of 1" in text


def test_same_plan_same_bytes_and_metadata(adult: Plan, adult_pdf: bytes) -> None:
    assert render(adult) == adult_pdf
    assert render(adult, "a4") == render(adult, "a4")
    meta = pypdf.PdfReader(io.BytesIO(adult_pdf)).metadata
    assert meta is not None and meta.title == "Staff sheet" and meta.author == "lmsched"
    assert "verify against the signed order" in (meta.subject or "")


@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_letter_and_a4_are_landscape(adult: Plan, paper: str) -> None:
    page = pypdf.PdfReader(io.BytesIO(render(adult, paper))).pages[0]  # type: ignore[arg-type]
    assert float(page.mediabox.width) > float(page.mediabox.height)
    assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(
        landscape_size(paper)  # type: ignore[arg-type]
    )


def test_the_pdf_module_dispatches_to_the_staff_sheet(adult: Plan, adult_pdf: bytes) -> None:
    from scheduler.export import pdf

    assert pdf.render(adult, audience="staff") == adult_pdf


def test_importing_does_not_import_reportlab() -> None:
    code = (
        "import sys, scheduler.export.pdf.staff; print(any(m.startswith('reportlab') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=plan_fields(), paper=st.sampled_from(["letter", "a4"]))
def test_every_plan_prints_every_event_with_header_and_footer(
    registry, fields: dict[str, object], paper: str
) -> None:  # type: ignore[no-untyped-def]
    plan = make_plan(registry, **fields)
    data = render(plan, paper)
    texts = pages_text(data)
    everything = "\n".join(texts)
    for n, text in enumerate(texts, start=1):
        assert f"Page {n} of {len(texts)}" in text and DISCLAIMER in text
        assert plan.fingerprint[:23] in text
    for day, count in Counter(e.date.isoformat() for e in plan.events).items():
        assert everything.count(day) >= count
    assert_on_page(data, paper)


def test_cli_writes_the_staff_sheet(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from ..conftest import EXAMPLES, NOW

    pdf = tmp_path / "staff.pdf"
    result = run("plan", str(EXAMPLES / "patient-adult.toml"), "--now", NOW, "--staff-pdf", str(pdf), "-q")
    assert result.code == 0, result.err
    texts = pages_text(pdf.read_bytes())
    # (the heading may wrap in its column: Noto Sans is wider than Helvetica was)
    assert all("Given (date/time)" in " ".join(t.split()) for t in texts[:2]) and "RCC-000123" in texts[0]


def test_a_cancelled_event_says_so_and_leaves_the_totals(registry) -> None:  # type: ignore[no-untyped-def]
    plan = make_plan(registry, maintenance=2)
    events = list(plan.events)
    fourth = [i for i, e in enumerate(events) if e.kind == "it-dose"][3]
    events[fourth] = events[fourth].model_copy(update={"status": "cancelled"})
    plan = plan.model_copy(update={"events": tuple(events)})
    text = " ".join("\n".join(pages_text(render(plan))).split())
    assert "CANCELLED FOR INTRATHECAL USE ONLY IT methotrexate 4/14" in text
    assert totals(plan)[0].count == "13 doses" and totals(plan)[0].total.startswith("195 mg")
