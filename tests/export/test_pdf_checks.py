"""Checks (kind "check") on the two printed documents, read back with pypdf: the patient calendar
puts each one on its day with a test tube and a word (cytology as a line under its IT dose), its
legend says what the words mean; the staff sheet lists each check as a CHECK row in the table, with
what it guards, where, its detail (the CSF sample volume) and "local convention", and no boxes of
the administration record."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import Counter

import pypdf
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pypdf.generic import ContentStream

from scheduler.export.pdf.common import MONTHS, long_date
from scheduler.export.pdf.patient import check_word
from scheduler.export.pdf.patient import render as patient
from scheduler.export.pdf.staff import CHECK_MARK, IT_BANNER, check_counts, totals
from scheduler.export.pdf.staff import render as staff
from scheduler.labels import event_label, event_title
from scheduler.monitoring import FLOW_PENDING_NOTE
from scheduler.plan import Event, Plan

from ..conftest import make_plan, plan_fields
from .test_pdf_admin_record import flat, rows
from .test_pdf_layout import layout_problems, read_pages
from .test_pdf_staff import assert_on_page

SAMPLE = "at least 5 mL, ideally more than 10 mL"
TITLE = re.compile(
    r"^(January|February|March|April|May|June|July|August|September|October|November|December) (\d{4})"
)
MONTH_NUMBER = {name: n for n, name in enumerate(MONTHS, start=1)}


@pytest.fixture(scope="module")
def her2(registry) -> Plan:  # type: ignore[no-untyped-def]
    """The README's HER2 example (examples/patient-her2.toml) without its clinic file: T-DXd with
    LVEF scans, focal RT, Ommaya methotrexate with blood counts, monthly cytology and MRI; CSF flow
    normal, so only the maintenance doses are tentative."""
    return make_plan(
        registry,
        patient_id="RCC-000456",
        patient_name="Aisha Rahman-Ito",
        dob="1971-03-02",
        age=None,
        start="2027-01-11",
        route="ommaya",
        maintenance=6,
        rt="focal-30gy-10fx",
        rt_start="2026-12-28",
        csf_flow="normal",
        weight_kg=68.4,
        height_cm=164,
        weight_date="2026-12-21",
        systemic=[{"template": "sys-tdxd-q3w", "start": "2027-01-05", "cycles": 8}],
    )


@pytest.fixture(scope="module")
def unknown(registry) -> Plan:  # type: ignore[no-untyped-def]
    """CSF flow unknown: a flow study before the first IT dose, and every IT dose tentative."""
    return make_plan(
        registry, patient_id="RCC-000789", patient_name="Ana Lima", start="2027-01-11", maintenance=2
    )


def checks(plan: Plan) -> list[Event]:
    return [e for e in plan.events if e.kind == "check" and e.status != "cancelled"]


# --- the staff sheet ------------------------------------------------------------------------------


def test_every_check_is_a_check_row_with_what_it_guards_and_where(her2: Plan) -> None:
    data = staff(her2)
    table = rows(data)
    assert len(table) == len(her2.events)
    number = {e.uid: n for n, e in enumerate(her2.events, start=1)}
    seen = Counter()
    for row, e in zip(table, her2.events, strict=True):
        if e.kind != "check":
            assert CHECK_MARK not in row.split(), row
            continue
        seen[e.course] += 1
        assert row.startswith(f"{number[e.uid]} {e.date.isoformat()} ")
        assert f"{CHECK_MARK} {event_label(e)}" in row, row
        assert e.guard_label and f"For: {' '.join(e.guard_label.split())}" in row, row
        assert f"Where: {e.where}" in row, row
        guarded = sorted(number[u] for u in e.guards)
        assert guarded and all(f"row {n}" in row for n in guarded), row
        # nothing of the administration record: no tick boxes, no dose, no banner
        assert not re.search(r"\[\s*\]", row) and IT_BANNER not in row and " mg" not in row, row
        assert ("Interval: local convention" in row) == (e.evidence == "convention"), row
    assert set(seen) == {"mon-blood-count-it", "mon-csf-cytology", "mon-mri-neuraxis", "mon-lvef-trastuzumab"}
    assert_on_page(data, "letter")


def test_cytology_rows_say_the_sample_volume_and_where_it_is_recorded(her2: Plan) -> None:
    table = rows(staff(her2))
    number = {e.uid: n for n, e in enumerate(her2.events, start=1)}
    cytology = [(row, e) for row, e in zip(table, her2.events, strict=True) if e.course == "mon-csf-cytology"]
    assert len(cytology) == len({(e.date.year, e.date.month) for e in her2.events if e.kind == "it-dose"})
    for row, e in cytology:
        assert e.detail and SAMPLE in e.detail
        assert f"Detail: {e.detail}" in row, row
        (it,) = e.guards
        assert f"record CSF out and Sample sent on row {number[it]}" in row, row
        assert "Where: clinic at the dose" in row  # no time of its own: drawn at the IT dose
    # the IT rows keep their record: banner, time-out and sample-sent boxes, CSF out
    its = [row for row, e in zip(table, her2.events, strict=True) if e.kind == "it-dose"]
    assert all(row.count(IT_BANNER) == 1 and len(re.findall(r"\[\s*\]", row)) == 2 for row in its)


def test_the_checks_summary_counts_each_check_and_says_local_convention(her2: Plan) -> None:
    text = flat(staff(her2))
    summary = {c.check: c for c in check_counts(her2)}
    for course in {e.course for e in checks(her2)}:
        events = [e for e in checks(her2) if e.course == course]
        row = summary[f"{event_label(events[0])} ({course})"]
        tentative = sum(e.status == "tentative" for e in events)
        assert row.count == f"{len(events)}" + (f" ({tentative} tentative)" if tentative else "")
        assert row.interval == "local convention"  # every shipped interval is one
        assert f"{row.check} {row.where} {row.count} {row.dates} {row.interval}" in text
    assert "Checks planned" in text


def test_checks_are_not_in_the_dose_totals_and_the_tentative_summary_is_right(
    her2: Plan, unknown: Plan
) -> None:
    for plan in (her2, unknown):
        # a check has no dose: before, each check template was totalled as an RT course of 0 Gy
        courses = {e.course for e in checks(plan)}
        assert courses and not any(course in t.what for t in totals(plan) for course in courses)
        assert not any(t.total == "0 Gy total" for t in totals(plan))
    mtx = totals(her2)[0]
    assert mtx.total == "270 mg (of which 6 tentative doses, 90 mg)"  # 6 maintenance doses
    its = [e for e in unknown.events if e.kind == "it-dose"]
    assert all(e.status == "tentative" and FLOW_PENDING_NOTE in e.notes for e in its)
    n = len(its)
    assert totals(unknown)[0].total == (
        f"{15 * n} mg (of which {n} tentative doses, {15 * n} mg; {n} until a CSF flow study shows normal flow)"
    )
    text = flat(staff(unknown))
    assert totals(unknown)[0].total in text
    flow = next(e for e in unknown.events if e.course == "mon-csf-flow-study")
    assert (
        "CHECK CSF flow study (111In-DTPA)" in text and flow.where == "external" and "Where: external" in text
    )


def test_a_cancelled_check_says_so(registry) -> None:  # type: ignore[no-untyped-def]
    plan = make_plan(registry, maintenance=1, csf_flow="normal")
    events = list(plan.events)
    first = next(i for i, e in enumerate(events) if e.kind == "check")
    events[first] = events[first].model_copy(update={"status": "cancelled"})
    plan = plan.model_copy(update={"events": tuple(events)})
    text = flat(staff(plan))
    assert f"CANCELLED {CHECK_MARK} {event_label(events[first])}" in text
    assert sum(int(c.count.split()[0]) for c in check_counts(plan)) == len(checks(plan))


# --- the patient calendar -------------------------------------------------------------------------


def grid_cells(data: bytes) -> list[list[tuple[float, float, float, float]]]:
    """The day cells each page strokes (x0, y0, x1, y1): every rectangle wider than 40 pt, however
    low (a week with one line in a crowded six-week month may be lower than 40 pt)."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    out = []
    for page in reader.pages:
        found = []
        for operands, op in ContentStream(page.get_contents(), reader).operations:
            if op == b"re":
                x, y, w, h = (float(v) for v in operands)
                if w > 40:
                    found.append((x, y, x + w, y + h))
        out.append(found)
    return out


def cells(data: bytes) -> dict[dt.date, str]:
    """Each day's cell on the month pages, as the lines drawn in it, top to bottom: found by its day
    number (14 pt) in its rectangle, under the page's month title (22 pt)."""
    out: dict[dt.date, str] = {}
    for page, rects in zip(read_pages(data), grid_cells(data), strict=True):
        title = next((s.text for s in page.strings if s.size == 22 and TITLE.match(s.text)), None)
        if title is None:
            continue
        found = TITLE.match(title)
        assert found is not None
        year, month = int(found.group(2)), MONTH_NUMBER[found.group(1)]
        for number in (s for s in page.strings if s.size == 14 and s.text.isdigit()):
            rect = next(r for r in rects if r[0] <= number.x < r[2] and r[1] <= number.y < r[3])
            inside = [
                s
                for s in page.strings
                if rect[0] <= s.x < rect[2] and rect[1] <= s.y < rect[3] and s is not number
            ]
            inside.sort(key=lambda s: (-s.y, s.x))
            out[dt.date(year, month, int(number.text))] = "\n".join(s.text for s in inside)
    return out


def assert_every_check_on_its_day(plan: Plan, data: bytes) -> None:
    days = cells(data)
    for day, events in _by_day(checks(plan)).items():
        cell = "".join(days[day].split())
        for word, count in Counter(check_word(e) for e in events).items():
            assert cell.count("".join(word.split())) >= count, (day, word, days[day])


def _by_day(events: list[Event]) -> dict[dt.date, list[Event]]:
    out: dict[dt.date, list[Event]] = {}
    for e in events:
        out.setdefault(e.date, []).append(e)
    return out


@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_every_check_is_on_its_day_with_its_time(her2: Plan, paper: str) -> None:
    data = patient(her2, paper)  # type: ignore[arg-type]
    assert_every_check_on_its_day(her2, data)
    days = cells(data)
    for e in checks(her2):
        cell = "".join(days[e.date].split())
        if e.duration_min:
            assert f"{check_word(e)}{e.time}".replace(" ", "") in cell, (e.date, days[e.date])
    for n, page in enumerate(read_pages(data), start=1):
        assert layout_problems(page) == [], n


def test_cytology_is_a_line_under_its_it_dose_without_a_time(her2: Plan) -> None:
    days = cells(patient(her2))
    cytology = [e for e in checks(her2) if e.course == "mon-csf-cytology"]
    assert cytology
    for e in cytology:
        lines = days[e.date].split("\n")
        it = next(i for i, line in enumerate(lines) if line.startswith("IT "))
        assert lines[it + 1] == "Fluid sample", lines  # the next line, no time of its own


def test_a_day_with_a_blood_test_an_it_dose_cytology_and_rt_fits(registry) -> None:  # type: ignore[no-untyped-def]
    """The crowded day: the first IT dose of a month with its blood test and cytology, an RT
    fraction and memantine, in a five-week month (January 2027) and a six-week one (May 2027)."""
    for start, rt_start in (("2027-01-11", "2027-01-04"), ("2027-05-03", "2027-04-26")):
        plan = make_plan(registry, start=start, rt="wbrt-30gy-10fx", rt_start=rt_start, csf_flow="unknown")
        day = dt.date.fromisoformat(start)
        kinds = Counter(e.kind for e in plan.events if e.date == day)
        assert kinds["check"] == 2 and kinds["it-dose"] == 1 and kinds["rt-fraction"] == 1, kinds
        for paper in ("letter", "a4"):
            data = patient(plan, paper)  # type: ignore[arg-type]
            pages = read_pages(data)
            for n, page in enumerate(pages, start=1):
                assert layout_problems(page) == [], (paper, n)
            cell = cells(data)[day].split("\n")
            # in Noto Sans "Blood test 08:45" is 2 pt wider than a letter cell: its time may go on
            # the next line, never a word broken
            if cell[:2] == ["Blood test", "08:45"]:
                cell = ["Blood test 08:45", *cell[2:]]
            assert cell[:2] == ["Blood test 08:45", "IT 15 mg 09:00"] and cell[2] == "Fluid sample", cell
            # the RT fraction, and memantine (its name line may give way to its first dose: _compact)
            assert any(line.startswith("RT ") for line in cell) and any(" mg AM" in line for line in cell), (
                cell
            )


def cover(data: bytes) -> str:
    return " ".join(pypdf.PdfReader(io.BytesIO(data)).pages[0].extract_text().split())


def test_the_legend_names_the_test_tube_and_each_word_in_the_patients_words(her2: Plan) -> None:
    text = cover(patient(her2))
    assert "Test tube = a test or scan; the word on the day says which (the time is next to it)." in text
    assert "Blood test before your treatment, at the clinic (about 15 minutes)." in text
    assert "Fluid sample: a sample of the fluid is taken during your treatment." in text
    assert "MRI scan of your brain and spine, not at the clinic: your care team will tell you where" in text
    assert "Heart scan (echocardiogram), not at the clinic" in text
    for e in checks(her2):
        assert check_word(e) in text
    first = min(checks(her2), key=lambda e: (e.date, e.time))
    assert f"First test: {long_date(first.date)} at {first.time}, heart scan (echocardiogram)." in text
    assert event_title(first) == "Heart scan (echocardiogram)"


def test_the_hollow_circle_explains_both_reasons_in_plain_words(registry, her2: Plan, unknown: Plan) -> None:  # type: ignore[no-untyped-def]
    maintenance = cover(patient(her2))
    assert (
        "these treatments continue while they help you" in maintenance and "flows freely" not in maintenance
    )
    both = cover(patient(unknown))  # flow unknown, and 2 maintenance doses
    assert (
        "A hollow circle is a planned date your team will confirm: first a scan checks that the fluid around "
        "your brain and spine flows freely, and the later treatments continue while they help you."
    ) in both
    flow_only = cover(patient(make_plan(registry, start="2027-01-11", maintenance=0)))
    assert (
        "A hollow circle is a planned date your team will confirm after a scan shows that the fluid around your "
        "brain and spine flows freely."
    ) in flow_only
    for text in (maintenance, both, flow_only):
        assert "S24" not in text and "progression" not in text and "tentative" not in text  # no staff words


def test_no_record_number_in_the_patient_calendar(her2: Plan, unknown: Plan) -> None:
    for plan, secret in ((her2, "RCC-000456"), (unknown, "RCC-000789")):
        everything = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(patient(plan))).pages)
        # the whole name is printed when the plan has no given name (issue 18: never the first word)
        for hidden in (secret, secret.split("-")[1], "1971"):
            assert hidden not in everything, hidden
        assert "local convention" not in everything and "guard" not in everything


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=plan_fields(), paper=st.sampled_from(["letter", "a4"]))
@example(fields={"start": "2027-05-03", "rt": "wbrt-30gy-10fx", "rt_start": "2027-04-26"}, paper="a4")
def test_every_check_of_any_plan_is_on_its_day(registry, fields: dict[str, object], paper: str) -> None:  # type: ignore[no-untyped-def]
    plan = make_plan(registry, **fields)
    assert checks(plan)  # every plan with IT doses has its blood counts
    data = patient(plan, paper)  # type: ignore[arg-type]
    assert_every_check_on_its_day(plan, data)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=plan_fields())
def test_every_check_of_any_plan_is_a_check_row_on_the_staff_sheet(
    registry, fields: dict[str, object]
) -> None:  # type: ignore[no-untyped-def]
    plan = make_plan(registry, **fields)
    table = rows(staff(plan))
    assert len(table) == len(plan.events)
    for row, e in zip(table, plan.events, strict=True):
        assert (f"{CHECK_MARK} {event_label(e)}" in row) == (e.kind == "check"), row
        if e.kind == "check":
            assert e.guard_label and f"For: {' '.join(e.guard_label.split())}" in row, row
            assert not re.search(r"\[\s*\]", row), row
            if e.course == "mon-csf-cytology":
                assert SAMPLE in row, row
