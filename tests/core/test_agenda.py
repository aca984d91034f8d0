"""The infusion agenda: chair sessions from plans, the capacity sweep, and its CSV and PDF."""

from __future__ import annotations

import csv
import datetime as dt
import io
import pickle
import random
from collections.abc import Callable, Sequence

import pypdf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.agenda import (
    DaySummary,
    Overload,
    Session,
    check_capacity,
    clock,
    in_overload,
    in_use_at_start,
    over_capacity,
    overloaded_dates,
    render_overload_lines,
    sessions_of,
)
from scheduler.export.agenda import CSV_COLUMNS, render_csv
from scheduler.export.pdf.agenda import DISCLAIMER, render_pdf
from scheduler.export.pdf.fonts import BOLD, REGULAR
from scheduler.models import Clinic
from scheduler.templates import Registry

from ..conftest import NOW_DT, make_plan
from ..export.test_pdf_fonts import registered

TUE = dt.date(2026, 12, 1)  # a Tuesday
WED, THU = TUE + dt.timedelta(days=1), TUE + dt.timedelta(days=2)
HOSTILE = "<b>&\"'"
LONG_HOSTILE = " ".join(f"<b>Bob{i}</b> & \"Al\" 'x' <br/>" for i in range(30))


def session(
    patient: str,
    time: str,
    duration: int = 60,
    day: dt.date = TUE,
    name: str | None = None,
    n: int = 1,
) -> Session:
    return Session(
        date=day,
        time=time,
        duration_min=duration,
        patient=patient,
        name=name,
        event=f"IT methotrexate {n}/18",
        dose="12 mg",
        route="Ommaya",
        uid=f"{patient}-{day}-{time}@lmsched",
    )


def crowded_tuesday() -> list[Session]:
    """Five patients at 09:00 for four chairs (one stays until 10:30), then two who fit."""
    return [
        session("A-001", "09:00", name="Maria O'Neil"),
        session("A-002", "09:00", name=HOSTILE),
        session("A-003", "09:00"),
        session("A-004", "09:00"),
        session("A-005", "09:00", 90),
        session("A-006", "10:00"),
        session("A-007", "13:00"),
    ]


def four(_: dt.date) -> int:
    return 4


# --- the capacity sweep: named cases -----------------------------------------------------------


def test_five_at_once_with_four_chairs_is_flagged_with_its_range_and_patients() -> None:
    days, overloads = check_capacity(crowded_tuesday(), four)
    assert overloads == [Overload(TUE, "09:00", "10:00", 5, 4, ("A-001", "A-002", "A-003", "A-004", "A-005"))]
    # 10:00-10:30: only
    assert days == [DaySummary(TUE, sessions=7, peak=5, chairs=4, over=True)]


def test_back_to_back_sessions_do_not_overlap() -> None:
    pair = [session("A-001", "09:00"), session("A-002", "10:00")]
    days, overloads = check_capacity(pair, lambda _: 1)
    assert overloads == []
    assert days == [DaySummary(TUE, sessions=2, peak=1, chairs=1, over=False)]
    assert set(in_use_at_start(pair).values()) == {1}
    # one minute more and they overlap for that minute
    longer = [session("A-001", "09:00", 61), session("A-002", "10:00")]
    assert check_capacity(longer, lambda _: 1)[1] == [
        Overload(TUE, "10:00", "10:01", 2, 1, ("A-001", "A-002"))
    ]


def test_chairs_per_weekday_and_days_without_a_count() -> None:
    clinic = Clinic(chairs={"tue": 4, "wed": 1})
    sessions = [
        *crowded_tuesday(),
        session("B-001", "09:00", day=WED),
        session("B-002", "09:30", day=WED),
        *(session(f"C-{i:03d}", "09:00", day=THU) for i in range(10)),  # Thursday: no count
    ]
    days, overloads = check_capacity(sessions, clinic.chairs_on)
    assert [(o.date, o.start, o.end, o.booked, o.chairs) for o in overloads] == [
        (TUE, "09:00", "10:00", 5, 4),
        (WED, "09:30", "10:00", 2, 1),
    ]
    assert days[1:] == [
        DaySummary(WED, sessions=2, peak=2, chairs=1, over=True),
        DaySummary(THU, sessions=10, peak=10, chairs=None, over=False),
    ]


def test_a_constant_chair_count_applies_to_every_day() -> None:
    sessions = [session(f"C-{i}", "09:00", day=THU) for i in range(3)]
    assert check_capacity(sessions, lambda _: 2)[1] == [
        Overload(THU, "09:00", "10:00", 3, 2, ("C-0", "C-1", "C-2"))
    ]
    assert check_capacity(sessions, lambda _: None)[1] == []


def test_ranges_are_maximal_and_booked_is_their_peak() -> None:
    """08:30-09:00 has 2 at once and 09:00-09:30 has 3 (both over 1 chair): one range, peak 3."""
    sessions = [session("A", "08:30"), session("B", "08:30"), session("C", "09:00", 30)]
    assert check_capacity(sessions, lambda _: 1)[1] == [
        Overload(TUE, "08:30", "09:30", 3, 1, ("A", "B", "C"))
    ]


def test_a_session_past_midnight_counts_against_the_next_days_chairs() -> None:
    late = session("N-1", "23:30", 60, day=TUE)
    early = session("N-2", "00:00", 60, day=WED)
    days, overloads = check_capacity([early, late], lambda d: 1)
    assert overloads == [Overload(WED, "00:00", "00:30", 2, 1, ("N-1", "N-2"))]
    assert days == [
        DaySummary(TUE, sessions=1, peak=1, chairs=1, over=False),
        DaySummary(WED, sessions=1, peak=2, chairs=1, over=True),
    ]
    assert in_use_at_start([late, early]) == {late: 1, early: 2}
    assert in_overload(late, overloads) and in_overload(early, overloads)


def test_a_range_to_midnight_ends_at_24_00() -> None:
    sessions = [session("A", "23:00"), session("B", "23:00")]
    assert check_capacity(sessions, lambda _: 1)[1] == [Overload(TUE, "23:00", "24:00", 2, 1, ("A", "B"))]


def test_zero_chairs_flag_every_session() -> None:
    assert check_capacity([session("A", "09:00")], lambda _: 0)[1] == [
        Overload(TUE, "09:00", "10:00", 1, 0, ("A",))
    ]


def test_which_sessions_and_patients_are_over_capacity() -> None:
    sessions = crowded_tuesday()
    _, overloads = check_capacity(sessions, four)
    flagged = {s.patient for s in sessions if in_overload(s, overloads)}
    assert flagged == {"A-001", "A-002", "A-003", "A-004", "A-005"}
    assert {s.patient for s in over_capacity(sessions, overloads)} == flagged
    assert overloaded_dates(sessions, overloads) == {p: (TUE,) for p in sorted(flagged)}
    counts = {s.patient: n for s, n in in_use_at_start(sessions).items()}
    assert counts == {"A-001": 5, "A-002": 5, "A-003": 5, "A-004": 5, "A-005": 5, "A-006": 2, "A-007": 1}


def test_session_rejects_an_impossible_time_or_duration() -> None:
    with pytest.raises(ValueError, match="HH:MM"):
        session("A", "9:00")
    with pytest.raises(ValueError, match="HH:MM"):
        session("A", "24:00")
    with pytest.raises(ValueError, match="at least 1"):
        session("A", "09:00", 0)


def test_session_crosses_process_boundaries() -> None:
    s = session("A-001", "09:00", name=HOSTILE)
    assert pickle.loads(pickle.dumps(s)) == s


# --- the capacity sweep: properties against a minute-by-minute count ---------------------------

BASE = dt.date(2026, 12, 7)
N_DAYS = 3


@st.composite
def agendas(draw: st.DrawFn) -> tuple[list[Session], dict[dt.date, int | None]]:
    """Up to 30 sessions over three days, any start minute, up to five hours long (some run past
    midnight), patients that may repeat; and a chair count per day, sometimes none."""
    n = draw(st.integers(0, 30))
    sessions = []
    for i in range(n):
        day = BASE + dt.timedelta(days=draw(st.integers(0, N_DAYS - 1)))
        start = draw(st.integers(0, 24 * 60 - 1))
        sessions.append(
            Session(
                date=day,
                time=clock(start),
                duration_min=draw(st.integers(1, 300)),
                patient=draw(st.sampled_from(["P1", "P2", "P3", "P4", "P5", "P6"])),
                name=None,
                event="IT cytarabine 1/4",
                dose="50 mg",
                route="lumbar",
                uid=f"{i}@lmsched",
            )
        )
    chairs = {BASE + dt.timedelta(days=d): draw(st.none() | st.integers(0, 4)) for d in range(N_DAYS + 1)}
    return sessions, chairs


def _span(s: Session) -> tuple[int, int]:
    """The session in minutes from BASE 00:00: [start, end)."""
    start = (s.date - BASE).days * 1440 + int(s.time[:2]) * 60 + int(s.time[3:])
    return start, start + s.duration_min


def brute_force(
    sessions: Sequence[Session], chairs: Callable[[dt.date], int | None]
) -> tuple[list[DaySummary], list[Overload], list[int]]:
    """Count every minute of every day; ranges are runs of over-capacity minutes within a day."""
    minutes = (N_DAYS + 1) * 1440
    count = [0] * minutes
    for s in sessions:
        start, end = _span(s)
        for m in range(start, end):
            count[m] += 1
    days: list[DaySummary] = []
    overloads: list[Overload] = []
    for d in range(N_DAYS + 1):
        day = BASE + dt.timedelta(days=d)
        cap = chairs(day)
        day_counts = count[d * 1440 : (d + 1) * 1440]
        if not any(day_counts):
            continue
        over = [cap is not None and c > cap for c in day_counts]
        m = 0
        while m < 1440:
            if not over[m]:
                m += 1
                continue
            end = m
            while end < 1440 and over[end]:
                end += 1
            lo, hi = d * 1440 + m, d * 1440 + end
            patients = sorted({s.patient for s in sessions if _span(s)[0] < hi and lo < _span(s)[1]})
            assert cap is not None
            overloads.append(
                Overload(day, clock(m), clock(end), max(day_counts[m:end]), cap, tuple(patients))
            )
            m = end
        starting = sum(1 for s in sessions if s.date == day)
        days.append(DaySummary(day, starting, max(day_counts), cap, any(over)))
    return days, overloads, count


@settings(max_examples=150, deadline=None)
@given(agendas(), st.randoms(use_true_random=False))
def test_capacity_matches_a_minute_by_minute_count_in_any_order(
    agenda: tuple[list[Session], dict[dt.date, int | None]], rng: random.Random
) -> None:
    sessions, table = agenda
    chairs = table.get
    days, overloads = check_capacity(sessions, chairs)

    for o in overloads:  # what the brief promises, said plainly
        assert o.booked > o.chairs
    expected_days, expected_overloads, count = brute_force(sessions, chairs)
    for m, c in enumerate(count):  # no minute outside the ranges exceeds its day's chairs
        day = BASE + dt.timedelta(days=m // 1440)
        cap = chairs(day)
        inside = any(o.date == day and o.start <= clock(m % 1440) < o.end for o in overloads)
        assert inside == (cap is not None and c > cap), (day, clock(m % 1440), c, cap)
    assert overloads == expected_overloads
    assert days == expected_days

    # per session: who is counted at its start, and who is over capacity
    starts = in_use_at_start(sessions)
    for s in sessions:
        assert starts[s] == count[_span(s)[0]]
    over_minutes = {
        m
        for m, c in enumerate(count)
        if (cap := chairs(BASE + dt.timedelta(days=m // 1440))) is not None and c > cap
    }
    expected_over = {s for s in sessions if over_minutes.intersection(range(*_span(s)))}
    assert over_capacity(sessions, overloads) == expected_over
    assert {s for s in sessions if in_overload(s, overloads)} == expected_over

    shuffled = list(sessions)
    rng.shuffle(shuffled)
    assert check_capacity(shuffled, chairs) == (days, overloads)
    assert render_csv(shuffled, overloads, days) == render_csv(sessions, overloads, days)


# --- sessions from a plan --------------------------------------------------------------------------


def test_sessions_of_takes_the_it_doses_that_are_not_cancelled(registry: Registry) -> None:
    # CSF flow normal: the IT doses are confirmed but for maintenance (tentative: until progression);
    # with flow unknown every one is tentative (tests/core/test_agenda_checks.py)
    plan = make_plan(
        registry,
        rt="wbrt-30gy-10fx",
        rt_start="2026-11-30",
        patient_name="Ann Lee",
        patient_id="RCC-1",
        csf_flow="normal",
    )
    kinds = {e.kind for e in plan.events}
    # memantine to leave out; RT fractions listed without a chair; checks
    # (tests/core/test_agenda_checks.py) beside the doses
    assert kinds == {"it-dose", "rt-fraction", "medication", "check"}
    its = [e for e in plan.events if e.kind == "it-dose"]
    cancelled = its[2]
    events = tuple(e.model_copy(update={"status": "cancelled"}) if e is cancelled else e for e in plan.events)
    plan = plan.model_copy(update={"events": events})

    rows = sessions_of(plan, "rcc-1")
    sessions = [s for s in rows if s.kind == "it-dose"]
    assert all(s.chair for s in sessions) and not any(s.chair for s in rows if s.kind != "it-dose")
    rt = [e for e in plan.events if e.kind == "rt-fraction"]
    listed = [s for s in rows if s.kind == "rt-fraction"]
    assert [s.uid for s in listed] == [e.uid for e in rt] and len(rt) == 10
    assert (listed[0].date, listed[0].time, listed[0].duration_min) == (
        rt[0].date,
        rt[0].time,
        rt[0].duration_min,
    )
    assert listed[0].event.startswith("RT 1/10") and listed[0].dose == "3 Gy"
    assert {s.kind for s in rows} == {"it-dose", "rt-fraction", "check"}  # memantine is taken at home
    assert [s.uid for s in sessions] == [e.uid for e in its if e is not cancelled]
    first = sessions[0]
    assert (first.date, first.time, first.duration_min) == (its[0].date, its[0].time, its[0].duration_min)
    assert (first.patient, first.name, first.route) == ("rcc-1", "Ann Lee", "Ommaya")
    assert first.event == f"IT methotrexate 1/{its[0].of}"
    assert first.dose == f"{its[0].dose_mg:g} mg"
    tentative = [
        s
        for s, e in zip(sessions, [e for e in its if e is not cancelled], strict=True)
        if e.status == "tentative"
    ]
    assert tentative and all(s.event.endswith("(tentative)") for s in tentative)
    assert not any(s.event.endswith("(tentative)") for s in sessions if s not in tentative)


# --- terminal lines ---------------------------------------------------------------------------------


def test_overload_lines_name_the_range_the_count_and_the_patients() -> None:
    _, overloads = check_capacity(crowded_tuesday(), four)
    assert render_overload_lines(overloads) == [
        "2026-12-01 09:00-10:00: 5 sessions at once, 4 chairs (A-001, A-002, A-003, A-004, A-005)",
        "Over capacity: 1 time range on 1 day.",
    ]
    assert render_overload_lines([]) == []


def test_overload_lines_shorten_a_long_patient_list() -> None:
    crowd = [session(f"P-{i:02d}", "09:00") for i in range(9)]
    crowd += [session(f"Q-{i:02d}", "14:00", day=WED) for i in range(3)]
    lines = render_overload_lines(check_capacity(crowd, lambda _: 1)[1])
    assert lines == [
        "2026-12-01 09:00-10:00: 9 sessions at once, 1 chair "
        "(P-00, P-01, P-02, P-03, P-04, P-05, ... and 3 more)",
        "2026-12-02 14:00-15:00: 3 sessions at once, 1 chair (Q-00, Q-01, Q-02)",
        "Over capacity: 2 time ranges on 2 days.",
    ]


# --- CSV ---------------------------------------------------------------------------------------------


def test_csv_one_row_per_session_sorted_with_capacity_columns() -> None:
    sessions = crowded_tuesday()
    sessions.reverse()
    days, overloads = check_capacity(sessions, four)
    rows = list(csv.reader(io.StringIO(render_csv(sessions, overloads, days).decode())))
    assert tuple(rows[0]) == CSV_COLUMNS
    patient = CSV_COLUMNS.index("patient")
    assert [r[patient] for r in rows[1:]] == [f"A-00{i}" for i in range(1, 8)]
    by = {r[patient]: dict(zip(CSV_COLUMNS, r, strict=True)) for r in rows[1:]}
    assert by["A-005"] == {
        "date": "2026-12-01",
        "weekday": "Tue",
        "time": "09:00",
        "end": "10:30",
        "chair_min": "90",
        "patient": "A-005",
        "name": "",
        "kind": "it-dose",
        "event": "IT methotrexate 1/18",
        "cycle": "",
        "dose": "12 mg",
        "route": "Ommaya",
        "prep_min": "0",
        "given_min": "90",
        "observation_min": "0",
        "chairs_in_use": "5",
        "chairs": "4",
        "over_capacity": "yes",
        "minutes": "90",
        "books_chair": "yes",
        "checks_at_session": "",
    }
    assert (by["A-006"]["chairs_in_use"], by["A-006"]["over_capacity"]) == ("2", "")
    assert by["A-002"]["name"] == HOSTILE


def test_csv_neutralises_formulas_in_patient_ids_and_names() -> None:
    evil = session('=HYPERLINK("http://x")', "09:00", name="+SUM(A1)")
    days, overloads = check_capacity([evil], lambda _: None)
    rows = list(csv.DictReader(io.StringIO(render_csv([evil], overloads, days).decode())))
    assert rows[0]["patient"] == '\'=HYPERLINK("http://x")'
    assert rows[0]["name"] == "'+SUM(A1)"
    assert rows[0]["chairs"] == ""  # no chair count: blank, not "None"


# --- PDF ---------------------------------------------------------------------------------------------

GENERATED = NOW_DT


def pages_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def text_runs(data: bytes) -> list[tuple[str, str, float]]:
    """Every piece of text with its font name and size in points."""
    runs: list[tuple[str, str, float]] = []
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:

        def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
            if text.strip():
                name = registered(str(font.get("/BaseFont", ""))) if isinstance(font, dict) else ""
                runs.append((text.strip(), name, round(size * abs(tm[3] or 1), 1)))

        page.extract_text(visitor_text=visit)
    return runs


@pytest.fixture(scope="module")
def agenda() -> tuple[list[Session], list[DaySummary], list[Overload]]:
    """The crowded Tuesday, a Wednesday long enough to run over a page, a Thursday unchecked."""
    clinic = Clinic(chairs={"tue": 4, "wed": 30})
    sessions = crowded_tuesday()
    sessions += [session(f"W-{i:03d}", "08:00" if i % 2 else "12:00", day=WED) for i in range(60)]
    sessions.append(session("T-001", "09:00", day=THU, name="Ng"))
    sessions.append(session("T-002", "10:00", day=THU, name=LONG_HOSTILE))  # wraps: a paragraph
    days, overloads = check_capacity(sessions, clinic.chairs_on)
    return sessions, days, overloads


def test_pdf_shows_every_day_patient_and_the_overload(
    agenda: tuple[list[Session], list[DaySummary], list[Overload]],
) -> None:
    sessions, days, overloads = agenda
    data = render_pdf(sessions, days, overloads, "Riverside <Centre> & Co", generated=GENERATED)
    pages = pages_text(data)
    text = "\n".join(pages)
    n = len(pages)
    assert n >= 3
    assert pages[0].count("Infusion agenda: Riverside <Centre> & Co") == 2  # running header and title
    for heading in (
        "Tuesday 1 December 2026: 7 sessions, 4 chairs, peak 5 at once: OVER CAPACITY 09:00-10:00",
        "Wednesday 2 December 2026: 60 sessions, 30 chairs, peak 30 at once",
        "Thursday 3 December 2026: 2 sessions, chairs not set, peak 1 at once",
    ):
        assert heading in text
    assert "Wednesday 2 December 2026: 60 sessions, 30 chairs, peak 30 at once: OVER" not in text
    for s in sessions:
        assert s.patient in text
    assert HOSTILE in text and "Maria O'Neil" in text
    flat = " ".join(text.split())
    assert " ".join(LONG_HOSTILE.split()) in flat  # wrapped over lines, every character as typed
    assert text.count("5 of 4: OVER CAPACITY") == 5  # the five rows, in words
    assert "2 of 4\n" in text or "2 of 4 " in text  # A-006 fits
    for i, page in enumerate(pages, start=1):
        assert f"Page {i} of {n}" in " ".join(page.split())  # the count is a form, read after "of"
        assert DISCLAIMER in page
    # the Wednesday runs onto a later page: its heading and the column headings come again
    assert text.count("Wednesday 2 December 2026: 60 sessions") >= 2
    runs = text_runs(data)
    assert min(size for _, _, size in runs) >= 9
    # a row's cells are one line of text to a reader (one text object per page): by word
    fonts = {word: font for text, font, _ in runs for word in text.split()}
    assert [fonts[f"A-00{i}"] for i in range(1, 8)] == [BOLD] * 5 + [REGULAR] * 2


def test_pdf_is_byte_identical_for_the_same_inputs_in_any_order(
    agenda: tuple[list[Session], list[DaySummary], list[Overload]],
) -> None:
    sessions, days, overloads = agenda
    first = render_pdf(sessions, days, overloads, "Riverside", "a4", generated=GENERATED)
    again = render_pdf(list(reversed(sessions)), days, overloads, "Riverside", "a4", generated=GENERATED)
    assert first == again
    later = render_pdf(
        sessions, days, overloads, "Riverside", "a4", generated=GENERATED + dt.timedelta(hours=1)
    )
    assert later != first  # `generated` is printed, not read from the clock
    width, height = pypdf.PdfReader(io.BytesIO(first)).pages[0].mediabox.upper_right
    assert float(width) > float(height)  # landscape


def test_pdf_of_an_empty_agenda_says_so() -> None:
    data = render_pdf([], [], [], "", generated=GENERATED)
    text = "\n".join(pages_text(data))
    assert "No chair sessions are planned." in text
    assert "Page 1 of 1" in " ".join(text.split())
