"""Systemic therapy on the two printed documents, read back with pypdf: infusion visits and tablets
on the patient calendar (shapes, words, legend, a crowded day that never crops), and the staff
sheet's order elements (calculation, tablets, weight, height, BSA, NOT RECORDED)."""

from __future__ import annotations

import datetime as dt
import io

import pypdf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.dosing import bsa_mosteller
from scheduler.export.pdf.patient import render
from scheduler.export.pdf.staff import render as staff
from scheduler.plan import Event, Plan

from ..conftest import make_plan
from .test_pdf_layout import Page, layout_problems, read_pages

HER2 = {  # examples/patient-her2.toml: T-DXd + IT methotrexate by Ommaya + focal RT
    "start": "2027-01-11",
    "dob": "1971-03-02",
    "age": None,
    "route": "ommaya",
    "patient_id": "RCC-000456",
    "patient_name": "Aisha Rahman-Ito",
    "maintenance": 6,
    "rt": "focal-30gy-10fx",
    "rt_start": "2026-12-28",
    "systemic": [{"template": "sys-tdxd-q3w", "start": "2027-01-05", "cycles": 8}],
    "weight_kg": 68.4,
    "height_cm": 164,
    "weight_date": "2026-12-21",
}
CLIMB = {  # the adult example (WBRT with memantine, IT MTX) with HER2CLIMB: a busy January
    "start": "2026-12-14",
    "age": "58",
    "route": "ommaya",
    "patient_id": "RCC-000123",
    "patient_name": "Maria O'Neil",
    "rt": "wbrt-30gy-10fx",
    "rt_start": "2026-11-30",
    "maintenance": 10,
    "systemic": [{"template": "sys-her2climb", "start": "2027-01-05"}],
    "weight_kg": 72,
    "height_cm": 170,
    "weight_date": "2026-12-28",
}


@pytest.fixture(scope="module")
def her2(registry) -> Plan:  # type: ignore[no-untyped-def]
    return make_plan(registry, **HER2)


@pytest.fixture(scope="module")
def climb(registry) -> Plan:  # type: ignore[no-untyped-def]
    return make_plan(registry, **CLIMB)


def read(data: bytes) -> list[Page]:
    """`read_pages`, with every day cell however short: a week with nothing to show gets a row
    under 40 pt when its neighbours need the room, and `read_pages` keeps only larger rectangles."""
    from pypdf.generic import ContentStream

    reader = pypdf.PdfReader(io.BytesIO(data))
    pages = []
    for page, read_back in zip(reader.pages, read_pages(data), strict=True):
        rects = []
        for operands, op in ContentStream(page.get_contents(), reader).operations:
            if op == b"re":
                x, y, w, h = (float(v) for v in operands)
                if w > 40 and h > 12:  # a day cell, never a symbol (8 pt)
                    rects.append((x, y, x + w, y + h))
        pages.append(Page(read_back.width, read_back.height, read_back.strings, rects))
    return pages


def squash(text: str) -> str:
    return "".join(text.split())


def month_of(pages: list[Page], year: int, month: int) -> list[Page]:
    """The page or pages (a month too full for one continues: "part 2 of 2") of one month."""
    from scheduler.export.pdf.common import MONTHS

    title = f"{MONTHS[month - 1]} {year}"
    found = [
        p for p in pages if any(s.text == title or s.text.startswith(f"{title}, part") for s in p.strings)
    ]
    assert found, title
    return found


def cells(page: Page) -> dict[int, str]:
    """Each day's cell on a month page: its day number and everything else it prints, in order."""
    numbers = [s for s in page.strings if s.size == 14 and s.text.isdigit()]
    out = {}
    for n in numbers:
        (rect,) = [r for r in page.rects if r[0] <= n.x < r[2] and r[1] <= n.y < r[3]]
        inside = [
            s for s in page.strings if rect[0] <= s.x < rect[2] and rect[1] <= s.y < rect[3] and s is not n
        ]
        out[int(n.text)] = "".join(s.text for s in inside)
    return out


def day_cells(pages: list[Page], day: dt.date) -> str:
    texts = [cells(p).get(day.day) for p in month_of(pages, day.year, day.month)]
    (text,) = [t for t in texts if t is not None]  # on exactly one page of its month
    return text


def cover(pages: list[Page]) -> str:
    from scheduler.export.pdf.common import MONTHS

    month_titles = {f"{m} {y}" for m in MONTHS for y in range(2020, 2040)}
    return squash(
        "".join(
            s.text
            for p in pages
            if not any(s.text in month_titles or ", part " in s.text for s in p.strings)
            for s in p.strings
        )
    )


# --- the patient calendar -----------------------------------------------------------------------


@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_every_infusion_visit_has_its_drop_words_and_time(her2: Plan, paper: str) -> None:
    pages = read(render(her2, paper))  # type: ignore[arg-type]
    for n, page in enumerate(pages, start=1):
        assert layout_problems(page) == [], (paper, n)
    infusions = [e for e in her2.events if e.kind == "infusion"]
    assert len(infusions) == 8
    for e in infusions:
        text = day_cells(pages, e.date)
        assert f"Infusion {e.time}" in text and "Trastuzumabderuxtecan" in squash(text), (e.date, text)
    # no infusion words on a day without one
    days = {e.date for e in infusions}
    other = next(e.date for e in her2.events if e.kind == "it-dose" and e.date not in days)
    assert "Infusion" not in day_cells(pages, other)


def test_the_cover_explains_the_drop_and_the_first_visit(her2: Plan) -> None:
    text = cover(read(render(her2)))
    assert squash("First infusion visit: Tuesday 5 January 2027 at 10:30.") in text
    assert (
        squash("Drop = infusion visit at the clinic: trastuzumab deruxtecan given through a drip into a vein")
        in text
    )
    assert squash("about every 3 weeks") in text
    assert squash("The first drip takes about 90 minutes, later ones about 30 minutes.") in text
    assert "Capsule" not in text  # no tablets in this plan: no capsule in the legend


def test_the_chair_minutes_around_an_infusion_are_said(registry) -> None:  # type: ignore[no-untyped-def]
    plan = make_plan(registry, **HER2, clinic={"prep_min": 15, "observation_min": 30})
    assert squash("Plan to be at the clinic about 45 minutes longer") in cover(read(render(plan)))
    plain = make_plan(registry, **HER2)
    assert "longer" not in cover(read(render(plain)))


@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_tablets_are_on_every_day_of_each_run_and_only_then(climb: Plan, paper: str) -> None:
    pages = read(render(climb, paper))  # type: ignore[arg-type]
    for n, page in enumerate(pages, start=1):
        assert layout_problems(page) == [], (paper, n)
    taken: dict[str, set[dt.date]] = {}
    for e in climb.events:
        if e.kind == "tablet":
            days = {e.date + dt.timedelta(days=i) for i in range(e.repeat_days)}
            taken.setdefault((e.drug or "").capitalize(), set()).update(days)
    assert set(taken) == {"Capecitabine", "Tucatinib"}
    first = min(min(d) for d in taken.values())
    last = max(max(d) for d in taken.values())
    day = first - dt.timedelta(days=3)
    while day <= last + dt.timedelta(days=3):
        text = day_cells(pages, day)
        for drug, days in taken.items():
            assert (drug in text) == (day in days), (paper, day, drug, text)
        assert ("TabletsAM+PM" in squash(text)) == any(day in d for d in taken.values()), (day, text)
        day += dt.timedelta(days=1)
    # capecitabine is on days 1-14 of 21: day 15 of cycle 1 has tucatinib alone
    assert "Capecitabine" not in day_cells(pages, dt.date(2027, 1, 19))
    assert "Tucatinib" in day_cells(pages, dt.date(2027, 1, 19))
    # the busiest day: IT, the trastuzumab infusion, two tablet courses and memantine in one cell
    busy = day_cells(pages, dt.date(2027, 1, 26))
    for text in (
        "Infusion 10:30",
        "Trastuzumab",
        "Tablets AM+PM",
        "Capecitabine",
        "Tucatinib",
        "10 mg AM + PM",
    ):
        assert text in busy, (paper, busy)


def test_the_cover_explains_the_capsule_and_the_tablets_to_take(climb: Plan) -> None:
    text = cover(read(render(climb)))
    for said in (
        "Tablets at home start Tuesday 5 January 2027 (capecitabine, tucatinib).",
        "Capsule = tablets you take at home by mouth, not at the clinic.",
        "AM+PM = morning (08:00) and evening (20:00)",
        "on a day without it, take none.",
        "Your tablets at home",
        "Capecitabine: 1800 mg (3 x 500 mg + 2 x 150 mg) each time, morning (08:00) and evening (20:00), "
        "on days 1 to 14 of each 21-day cycle, then 7 days without",
        "Tucatinib: 300 mg each time, morning (08:00) and evening (20:00), every day from Tue 5 Jan 2027",
        "Drop = infusion visit at the clinic: trastuzumab given through a drip",
        "then 7 days without (Tue 5 Jan 2027 to Mon 3 May 2027). Take within 30 minutes after a meal.",
    ):
        assert squash(said) in text, said
    assert text.count(squash("Take within 30 minutes after a meal.")) == 1  # capecitabine only


def test_no_record_number_on_the_patient_calendar(her2: Plan, climb: Plan) -> None:
    for plan in (her2, climb):
        data = render(plan)
        text = squash(" ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages))
        assert plan.patient.id and plan.patient.id not in text
        assert plan.patient.id.encode() not in data
        # no given name in these plans: the whole name as written (issue 18), never only its first word
        assert plan.patient.name and squash(plan.patient.name) in text


def test_a_once_daily_tablet_and_a_hold_around_rt(registry) -> None:  # type: ignore[no-untyped-def]
    """Dabrafenib twice a day and trametinib once a day, held around WBRT: two capsule lines in a
    cell, none on the held days, and the cover says the days are the ones the calendar marks."""
    plan = make_plan(
        registry,
        start="2027-03-15",
        age="50",
        rt="wbrt-30gy-10fx",
        rt_start="2027-02-15",
        systemic=[{"template": "sys-dabrafenib-trametinib", "start": "2027-01-05"}],
        hold_around_rt=True,
        weight_kg=70,
        weight_date="2027-01-01",
    )
    pages = read(render(plan))
    for page in pages:
        assert layout_problems(page) == []
    held = day_cells(pages, dt.date(2027, 2, 17))
    assert "Dabrafenib" not in held and "Trametinib" not in held and "RT" in held
    assert "Dabrafenib" in day_cells(pages, dt.date(2027, 1, 6))
    both = squash(day_cells(pages, dt.date(2027, 3, 10)))
    assert "TabletsAM+PMDabrafenib" in both and "TabletsdailyTrametinib" in both
    text = cover(pages)
    assert squash("daily = once a day (08:00)") in text
    assert squash("on the days the calendar marks") in text


# --- a crowded day never crops ------------------------------------------------------------------

NAME = st.lists(
    st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz"), min_size=4, max_size=13), min_size=1, max_size=2
).map(" ".join)
TIMES = st.sampled_from(
    [("morning", "evening"), ("daily",), ("morning",), ("evening",), ("time1", "time2", "time3")]
)
CLOCKS = {
    "morning": "08:00",
    "evening": "20:00",
    "daily": "09:00",
    "time1": "07:00",
    "time2": "13:00",
    "time3": "19:00",
}


def _tablet(plan: Plan, n: int, drug: str, when: str, start: dt.date, days: int) -> Event:
    return Event(
        uid=f"test-tablet-{n}-{when}@lmsched",
        kind="tablet",
        course="sys-test",
        date=start,
        time=CLOCKS[when],
        tz=plan.inputs.clinic.tz,
        duration_min=5,
        phase=f"cycle-1-{when}",
        number=0,
        of=0,
        drug=drug,
        dose_mg=100,
        dose_basis="fixed dose",
        route="oral",
        repeat_days=days,
        cycle=1,
        cycle_day=1,
        dose_calc="100 mg",
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    start=st.dates(dt.date(2026, 1, 1), dt.date(2030, 12, 31)),
    memantine=st.booleans(),
    courses=st.lists(st.tuples(NAME, TIMES), min_size=1, max_size=4, unique_by=lambda c: c[0]),
    infusion=NAME,
    span=st.integers(1, 70),
    paper=st.sampled_from(["letter", "a4"]),
)
def test_up_to_four_daily_courses_an_it_session_and_an_infusion_never_crop(  # type: ignore[no-untyped-def]
    registry,
    start: dt.date,
    memantine: bool,
    courses: list[tuple[str, tuple[str, ...]]],
    infusion: str,
    span: int,
    paper: str,
) -> None:
    """Up to four daily tablet courses on the same days (random drug names of realistic length,
    any times of day), with memantine or not, on top of IT sessions and an infusion on the first
    IT day: every string inside the page and its cell, nothing under 12 pt, nothing over other
    text, and on the crowded day every drug's name and the IT session in its own cell."""
    fields: dict[str, object] = {"start": start.isoformat(), "maintenance": 2}
    if memantine:
        fields |= {"rt": "wbrt-30gy-10fx", "rt_start": (start - dt.timedelta(days=7)).isoformat()}
    plan = make_plan(registry, **fields)
    it = next(e for e in plan.events if e.kind == "it-dose")
    events = list(plan.events)
    for n, (drug, whens) in enumerate(courses):
        events += [
            _tablet(plan, n, drug, when, it.date - dt.timedelta(days=span // 2), span) for when in whens
        ]
    events.append(
        it.model_copy(
            update={
                "uid": "test-infusion@lmsched",
                "kind": "infusion",
                "time": "10:30",
                "drug": infusion,
                "route": "iv",
                "duration_min": 90,
                "phase": "cycle-1",
                "cycle": 1,
                "cycle_day": 1,
            }
        )
    )
    plan = plan.model_copy(update={"events": tuple(events)})
    pages = read(render(plan, paper))  # type: ignore[arg-type]
    for n, page in enumerate(pages, start=1):
        assert layout_problems(page) == [], (paper, n)
    cell = squash(day_cells(pages, it.date))
    for drug, _ in courses:
        assert squash(drug.capitalize()) in cell, (drug, cell)
    assert squash(infusion.capitalize()) in cell and "Infusion10:30" in cell
    assert squash(f"IT {it.dose_mg:g} mg {it.time}") in cell
    # every day of every course's run has the capsule's line in its cell
    first = it.date - dt.timedelta(days=span // 2)
    for i in range(0, span, max(1, span // 5)):
        assert "Tablets" in day_cells(pages, first + dt.timedelta(days=i))


def test_a_month_too_full_for_one_page_continues_on_a_second(registry) -> None:  # type: ignore[no-untyped-def]
    """Four courses at four different times of day every day of a six-week month, memantine, IT
    twice a week and an infusion: the month takes two pages ("part 1 of 2"), every day once."""
    plan = make_plan(registry, start="2027-01-04", rt="wbrt-30gy-10fx", rt_start="2026-12-21", maintenance=0)
    events = list(plan.events)
    whens = ["morning", "evening", "daily", "time1"]
    for n, when in enumerate(whens):
        events.append(_tablet(plan, n, f"longdrugname{n}", when, dt.date(2026, 12, 20), 60))
    it = next(e for e in plan.events if e.kind == "it-dose" and e.date.month == 1)
    events.append(
        it.model_copy(update={"uid": "inf@lmsched", "kind": "infusion", "drug": "trastuzumab deruxtecan"})
    )
    plan = plan.model_copy(update={"events": tuple(events)})
    assert dt.date(2027, 1, 1).weekday() == 4  # January 2027 spans five weeks; May 2027 six
    pages = read(render(plan, "a4"))
    for page in pages:
        assert layout_problems(page) == []
    january = month_of(pages, 2027, 1)
    assert len(january) >= 2
    titles = [s.text for p in january for s in p.strings if s.text.startswith("January 2027")]
    assert titles == [f"January 2027, part {n} of {len(january)}" for n in range(1, len(january) + 1)]
    numbers = sorted(d for p in january for d in cells(p))
    assert numbers == list(range(1, 32))
    for day in range(1, 32):
        text = day_cells(pages, dt.date(2027, 1, day))
        for n in range(4):
            assert f"Longdrugname{n}" in text


def test_plans_without_systemic_therapy_show_none_of_it(adult: Plan) -> None:
    text = squash(" ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(render(adult))).pages))
    for word in ("Infusion", "Capsule", "Tabletsathome", "Drop=", ", part "):
        assert squash(word) not in text


# --- the staff sheet ----------------------------------------------------------------------------


def unrecorded_orders(text: str) -> str:
    """A squashed staff sheet's text without the header's prescriber, indication and allergies
    (NOT RECORDED on a plan that lacks them: test_pdf_admin_record.py)."""
    for key in ("Prescriber", "Indication", "Allergies"):
        text = text.replace(f"{key}:NOTRECORDED", "")
    return text


def staff_text(plan: Plan, paper: str = "letter") -> list[str]:
    return [squash(p.extract_text()) for p in pypdf.PdfReader(io.BytesIO(staff(plan, paper))).pages]  # type: ignore[arg-type]


@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_staff_rows_show_drug_route_cycle_dose_and_calculation(her2: Plan, paper: str) -> None:
    pages = staff_text(her2, paper)
    text = "".join(pages)
    for e in (e for e in her2.events if e.kind == "infusion"):
        assert squash(f"Trastuzumab deruxtecan IV C{e.cycle} D1") in text
    assert text.count(squash("Calculation: 5.4 mg/kg x 68.4 kg = 369 mg (369.36 rounded to 1 mg)")) == 8
    assert text.count(squash("Basis: 5.4 mg/kg (actual weight 68.4 kg)")) == 8
    assert squash("Infusion: 90 min") in text and text.count(squash("Infusion: 30 min")) == 7
    for page in pages:  # the body-size block is in every page's header
        for said in (
            "Weight: 68.4 kg (measured 2026-12-21)",
            "Height: 164 cm",
            "Systemic: sys-tdxd-q3w v1.0.0",
        ):
            assert squash(said) in page
        assert squash(f"BSA: {bsa_mosteller(164, 68.4):.2f} m2 (Mosteller)") in page
    assert f"{bsa_mosteller(164, 68.4):.2f}" == "1.77"
    assert squash("trastuzumab deruxtecan (systemic) IV 8 infusions 2952 mg (cycles 1-8)") in text
    # (the header's order elements this plan lacks are NOT RECORDED: the rows have every element)
    assert "NOTRECORDED" not in unrecorded_orders(text)


def test_tablet_rows_are_one_per_event_with_their_tablets(climb: Plan) -> None:
    text = "".join(staff_text(climb))
    tablets = [e for e in climb.events if e.kind == "tablet"]
    cape = [e for e in tablets if e.drug == "capecitabine"]
    assert text.count(squash("Tablets: 3 x 500 mg + 2 x 150 mg")) == len(cape)
    assert text.count(squash("Calculation: 1000 mg/m2 x 1.84 m2 = 1840 mg -> 1800 mg")) == len(cape)
    assert text.count("dailyx14days") == len(cape)
    tuca = [e for e in tablets if e.drug == "tucatinib"]
    assert text.count(squash("Tablets: NOT RECORDED")) == len(tuca)  # a combination the plan lacks
    assert text.count("CapecitabineAMC") == len(cape) // 2 and text.count("TucatinibPMC") == len(tuca) // 2
    assert squash("Trastuzumab IV C1 D1") in text and squash("Calculation: 8 mg/kg x 72 kg = 576 mg") in text
    assert (
        squash("Weight: 72 kg (measured 2026-12-28)") in text and squash("BSA: 1.84 m2 (Mosteller)") in text
    )
    assert squash("capecitabine (systemic) oral") in text
    assert "notgiven" not in text.lower()


def test_a_missing_weight_date_height_or_calculation_prints_not_recorded(her2: Plan) -> None:
    """A plan edited by hand (or written before these fields): missing order elements print NOT
    RECORDED, never blank and never 'not given'."""
    inputs = her2.inputs.model_copy(update={"weight_date": None, "height_cm": None})
    gaps = {"dose_calc": None, "dose_basis": None, "formulation": None, "dose_mg": None}
    events = tuple(
        e.model_copy(update=gaps) if e.kind == "infusion" and e.cycle == 2 else e for e in her2.events
    )
    plan = her2.model_copy(update={"inputs": inputs, "events": events})
    pages = staff_text(plan)
    for page in pages:
        assert squash("Weight: 68.4 kg (measured NOT RECORDED)") in page
        assert squash("Height: NOT RECORDED") in page and squash("BSA: NOT RECORDED") in page
    text = "".join(pages)
    assert text.count(squash("Calculation: NOT RECORDED")) == 1
    assert text.count(squash("Basis: NOT RECORDED")) == 1
    assert squash("Trastuzumab deruxtecan IV C2 D1") in text
    row = text[text.index("TrastuzumabderuxtecanIVC2D1") - 40 :][:400]
    assert row.count("NOTRECORDED") == 4, row  # basis, calculation, dose, formulation
    assert "notgiven" not in text.lower()


def test_fixed_doses_need_no_body_size_block(registry) -> None:  # type: ignore[no-untyped-def]
    plan = make_plan(
        registry, start="2027-01-11", systemic=[{"template": "sys-osimertinib-80", "start": "2027-01-05"}]
    )
    text = "".join(staff_text(plan))
    assert "Weight:" not in text and "BSA:" not in text
    assert squash("Osimertinib daily C1 D1 x28d") in text and squash("Basis: fixed dose") in text
    assert "Systemic:sys-osimertinib-80" in text


def test_plans_without_systemic_therapy_keep_their_staff_header(adult: Plan) -> None:
    text = "".join(staff_text(adult))
    for word in ("Systemic:", "Weight:", "BSA:", "Calculation:"):
        assert word not in text
    assert "NOTRECORDED" not in unrecorded_orders(text)


@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_memantine_keeps_its_name_under_systemic_tablets(registry, paper: str) -> None:  # type: ignore[no-untyped-def]
    """A crowded day may drop memantine's name line (its triangle marks the dose), but never under
    a list of systemic tablets, where "10 mg AM" would read as the last tablet's dose."""
    plan = make_plan(
        registry,
        start="2026-12-14",
        age="58",
        route="ommaya",
        rt="wbrt-30gy-10fx",
        rt_start="2026-11-30",
        maintenance=10,
        systemic=[{"template": "sys-her2climb", "start": "2026-12-15", "cycles": 2}],
        weight_kg=72,
        height_cm=170,
        weight_date="2026-12-10",
    )
    pages = read(render(plan, paper))
    checked = 0
    for day in (dt.date(2026, 12, 15) + dt.timedelta(n) for n in range(40)):
        text = day_cells(pages, day)
        if "Tablets" in text and "mgAM" in squash(text):
            assert "Memantine" in text, (day, text)
            checked += 1
    assert checked >= 30
