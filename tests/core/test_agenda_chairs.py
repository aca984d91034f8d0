"""Chair time on the agenda: IV infusions (prep + infusion + observation) beside IT sessions.

The infusions come from real plans (systemic templates expanded by the scheduler), so the chair
minutes are the template's infusion minutes (first T-DXd 90, later 30; trastuzumab 90 loading,
then 30) plus the clinic's `prep_min` and `observation_min`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from typing import Any

import pypdf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.agenda import (
    Session,
    check_capacity,
    clock,
    given_text,
    in_use_at_start,
    over_capacity,
    sessions_of,
)
from scheduler.export.agenda import render_csv
from scheduler.export.pdf.agenda import render_pdf
from scheduler.plan import Plan
from scheduler.templates import Registry

from ..conftest import NOW_DT, make_plan

TUE = dt.date(2026, 12, 1)  # a Tuesday, open
PREP, OBSERVE = 15, 30
TDXD = {"template": "sys-tdxd-q3w", "start": "2026-12-01", "cycles": 3}
BODY = {"weight_kg": "70", "weight_date": "2026-11-25"}


def infusion_plan(registry: Registry, patient: str, template: dict[str, Any] = TDXD, **fields: Any) -> Plan:
    clinic = {"prep_min": PREP, "observation_min": OBSERVE, **fields.pop("clinic", {})}
    return make_plan(registry, patient_id=patient, systemic=[template], clinic=clinic, **{**BODY, **fields})


def kind(sessions: list[Session], wanted: str) -> list[Session]:
    return [s for s in sessions if s.kind == wanted]


@pytest.fixture(scope="module")
def tdxd(registry: Registry) -> Plan:
    return infusion_plan(registry, "A")


# --- sessions from plans ---------------------------------------------------------------------------


def test_a_tdxd_infusion_holds_a_chair_for_prep_infusion_and_observation(tdxd: Plan) -> None:
    infusions = [e for e in tdxd.events if e.kind == "infusion"]
    assert [e.duration_min for e in infusions] == [90, 30, 30]  # the template: first 90, then 30
    sessions = kind(sessions_of(tdxd, "a"), "infusion")
    assert [s.uid for s in sessions] == [e.uid for e in infusions]
    first, second = sessions[0], sessions[1]
    assert (first.date, first.time, first.duration_min) == (TUE, "10:15", 15 + 90 + 30)
    assert (first.prep_min, first.given_min, first.observation_min) == (15, 90, 30)
    assert (second.time, second.duration_min, second.given_min) == ("10:15", 75, 30)
    assert (first.event, first.cycle, first.route) == ("Trastuzumab deruxtecan IV C1 D1", "C1 D1", "IV")
    assert first.dose == f"{infusions[0].dose_mg:g} mg"
    assert given_text(first) == "infusion 10:30-12:00"
    # the IT sessions keep their own duration and take no prep or observation
    its = kind(sessions_of(tdxd, "a"), "it-dose")
    assert its and all(
        (s.time, s.duration_min, s.prep_min, s.observation_min) == ("09:00", 60, 0, 0) for s in its
    )
    assert given_text(its[0]) == ""


def test_trastuzumab_loading_dose_takes_90_minutes_then_30(registry: Registry) -> None:
    plan = infusion_plan(
        registry,
        "H",
        {"template": "sys-her2climb", "start": "2026-12-01", "cycles": 3},
        height_cm="170",
    )
    sessions = kind(sessions_of(plan, "h"), "infusion")
    assert [s.given_min for s in sessions] == [90, 30, 30]
    assert [s.duration_min for s in sessions] == [135, 75, 75]
    assert all(s.event.startswith("Trastuzumab IV C") for s in sessions)


def test_tablets_and_memantine_are_never_on_the_agenda_and_rt_never_takes_a_chair(registry: Registry) -> None:
    plan = infusion_plan(
        registry,
        "H",
        {"template": "sys-her2climb", "start": "2026-12-01", "cycles": 2},
        height_cm="170",
        rt="wbrt-30gy-10fx",
        rt_start="2026-11-30",
    )
    kinds = {e.kind for e in plan.events}
    assert kinds == {"it-dose", "infusion", "tablet", "rt-fraction", "medication", "check"}  # all to sort
    chair = {e.uid for e in plan.events if e.kind in {"it-dose", "infusion"}}
    sessions = sessions_of(plan, "h")
    assert {s.uid for s in sessions if s.chair} == chair
    assert {s.kind for s in sessions if s.chair} == {"it-dose", "infusion"}
    # the rest are clinic checks (a blood count, liver tests on tucatinib) and the RT fractions
    # (given in their own department), none with a chair; tablets and memantine are taken at home
    assert {s.kind for s in sessions if not s.chair} == {"check", "rt-fraction"}
    rt = {e.uid for e in plan.events if e.kind == "rt-fraction"}
    assert {s.uid for s in sessions if s.kind == "rt-fraction"} == rt
    at_home = {e.uid for e in plan.events if e.kind in {"tablet", "medication"}}
    assert not at_home & {s.uid for s in sessions}


def test_a_cancelled_infusion_frees_its_chair(tdxd: Plan) -> None:
    cancelled = next(e for e in tdxd.events if e.kind == "infusion")
    events = tuple(e.model_copy(update={"status": "cancelled"}) if e is cancelled else e for e in tdxd.events)
    sessions = sessions_of(tdxd.model_copy(update={"events": events}), "a")
    assert cancelled.uid not in {s.uid for s in sessions}


def test_prep_before_midnight_books_the_day_before(registry: Registry) -> None:
    plan = infusion_plan(registry, "A", clinic={"infusion_time": "00:10"})
    first = kind(sessions_of(plan, "a"), "infusion")[0]
    assert (first.date, first.time, first.duration_min) == (TUE - dt.timedelta(days=1), "23:55", 135)
    assert given_text(first) == "infusion 00:10 +1d-01:40 +1d"
    days, _ = check_capacity([first], lambda _: 1)
    assert [(d.date, d.sessions, d.peak) for d in days] == [(TUE - dt.timedelta(days=1), 1, 1), (TUE, 0, 1)]


def test_without_prep_or_observation_the_chair_time_is_the_infusion(registry: Registry) -> None:
    plan = infusion_plan(registry, "A", clinic={"prep_min": 0, "observation_min": 0})
    first = kind(sessions_of(plan, "a"), "infusion")[0]
    assert (first.time, first.duration_min) == ("10:30", 90)
    assert (first.prep_min, first.given_min, first.observation_min) == (0, 90, 0)
    assert given_text(first) == ""


# --- capacity: two first T-DXd infusions at 10:30 and IT sessions at 09:00 and 10:00 --------------


@pytest.fixture(scope="module")
def boundary_day(registry: Registry) -> list[Session]:
    """Patients A and B: first T-DXd infusions at 10:30 (chair 10:15-12:30); C: an IT session
    09:00-10:00; D: an IT session 10:00-11:00 (the clinic's session time 10:00)."""
    a = kind(sessions_of(infusion_plan(registry, "A"), "a"), "infusion")
    b = kind(sessions_of(infusion_plan(registry, "B"), "b"), "infusion")
    c = kind(sessions_of(make_plan(registry, patient_id="C"), "c"), "it-dose")
    d = kind(
        sessions_of(make_plan(registry, patient_id="D", clinic={"session_time": "10:00"}), "d"), "it-dose"
    )
    day = [s for s in (*a, *b, *c, *d) if s.date == TUE]
    assert sorted((s.patient, s.time, s.duration_min) for s in day) == [
        ("a", "10:15", 135),
        ("b", "10:15", 135),
        ("c", "09:00", 60),
        ("d", "10:00", 60),
    ]
    return day


def at(sessions: list[Session], minute: int) -> int:
    """Sessions holding a chair at `minute` of the day: [start, end), counted by hand."""
    return sum(1 for s in sessions if s.start_min <= minute < s.end_min)


def h(text: str) -> int:
    """'10:15' as minutes after midnight."""
    return int(text[:2]) * 60 + int(text[3:])


def test_peak_counts_at_the_boundaries_are_half_open(boundary_day: list[Session]) -> None:
    assert [
        at(boundary_day, h(t)) for t in ("09:00", "09:59", "10:00", "10:14", "10:15", "10:59", "11:00")
    ] == [
        1,
        1,
        1,  # C has left at 10:00 when D sits down
        1,
        3,  # A and B from 10:15 (prep), with D
        3,
        2,  # D has left at 11:00
    ]
    assert at(boundary_day, h("12:29")) == 2 and at(boundary_day, h("12:30")) == 0
    starts = in_use_at_start(boundary_day)
    assert {s.patient: starts[s] for s in boundary_day} == {"c": 1, "d": 1, "a": 3, "b": 3}

    days, overloads = check_capacity(boundary_day, lambda _: 3)
    assert [(d.sessions, d.peak, d.chairs, d.over) for d in days] == [(4, 3, 3, False)]
    assert overloads == []

    days, overloads = check_capacity(boundary_day, lambda _: 2)
    assert [(d.peak, d.over) for d in days] == [(3, True)]
    assert [(o.start, o.end, o.booked, o.chairs, o.patients) for o in overloads] == [
        ("10:15", "11:00", 3, 2, ("a", "b", "d"))
    ]
    assert {s.patient for s in over_capacity(boundary_day, overloads)} == {"a", "b", "d"}


def test_without_prep_and_observation_the_same_day_would_look_lighter(registry: Registry) -> None:
    """What the chair time changes: counted as bare 90-minute infusions (10:30-12:00), the day
    peaks at 3 only from 10:30; with prep it is 3 from 10:15 and the chairs stay taken to 12:30."""
    bare = [
        kind(
            sessions_of(infusion_plan(registry, p, clinic={"prep_min": 0, "observation_min": 0}), p),
            "infusion",
        )[0]
        for p in ("a", "b")
    ]
    d = kind(
        sessions_of(make_plan(registry, patient_id="D", clinic={"session_time": "10:00"}), "d"), "it-dose"
    )[0]
    _, overloads = check_capacity([*bare, d], lambda _: 2)
    assert [(o.start, o.end) for o in overloads] == [("10:30", "11:00")]


# --- the agenda's CSV and PDF show the chair time -----------------------------------------------------


def test_csv_shows_chair_time_and_what_is_given(boundary_day: list[Session]) -> None:
    days, overloads = check_capacity(boundary_day, lambda _: 2)
    rows = {
        r["patient"]: r
        for r in csv.DictReader(io.StringIO(render_csv(boundary_day, overloads, days).decode()))
    }
    a = rows["a"]
    assert {k: a[k] for k in ("time", "end", "chair_min", "prep_min", "given_min", "observation_min")} == {
        "time": "10:15",
        "end": "12:30",
        "chair_min": "135",
        "prep_min": "15",
        "given_min": "90",
        "observation_min": "30",
    }
    assert (a["kind"], a["event"], a["cycle"], a["route"]) == (
        "infusion",
        "Trastuzumab deruxtecan IV C1 D1",
        "C1 D1",
        "IV",
    )
    assert a["dose"].endswith(" mg") and (a["chairs_in_use"], a["chairs"], a["over_capacity"]) == (
        "3",
        "2",
        "yes",
    )
    c = rows["c"]
    assert (c["kind"], c["time"], c["end"], c["chair_min"], c["cycle"], c["over_capacity"]) == (
        "it-dose",
        "09:00",
        "10:00",
        "60",
        "",
        "",
    )


def test_pdf_shows_chair_time_and_the_infusion_times(boundary_day: list[Session]) -> None:
    days, overloads = check_capacity(boundary_day, lambda _: 2)
    data = render_pdf(boundary_day, days, overloads, "Riverside", generated=NOW_DT)
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)
    flat = " ".join(text.split())
    assert "Chair time" in text and "Minutes" in text
    assert flat.count("10:15-12:30") == 2 and flat.count("infusion 10:30-12:00") == 2
    assert flat.count("15 + 90 + 30") == 2
    assert "09:00-10:00" in flat and "10:00-11:00" in flat
    assert "preparation + infusion + observation" in flat  # the summary explains the minutes
    assert "Trastuzumab deruxtecan IV C1 D1" in flat
    assert flat.count("3 of 2: OVER CAPACITY") == 2  # A and B: three chairs taken when they sit down
    assert flat.count("1 of 2: OVER CAPACITY") == 1  # D sits down alone and is then crowded


def test_pdf_without_infusions_does_not_explain_them(registry: Registry) -> None:
    its = sessions_of(make_plan(registry, patient_id="C"), "c")
    days, overloads = check_capacity(its, lambda _: 2)
    text = " ".join(
        p.extract_text()
        for p in pypdf.PdfReader(io.BytesIO(render_pdf(its, days, overloads, "", generated=NOW_DT))).pages
    )
    assert "preparation + infusion" not in " ".join(text.split())


def test_a_session_without_time_for_the_dose_is_refused() -> None:
    with pytest.raises(ValueError, match="no time for the dose"):
        Session(
            TUE,
            "10:15",
            45,
            "a",
            None,
            "x",
            "1 mg",
            "IV",
            "u",
            kind="infusion",
            prep_min=15,
            observation_min=30,
        )


# --- property: peak counts from plan events against a brute-force minute count ----------------------

BASE = TUE
N_DAYS = 3


@st.composite
def visits(draw: st.DrawFn) -> tuple[list[tuple[str, int, int, str]], int, int]:
    """Up to 20 chair visits over three days: (kind, start minute of the dose from BASE 00:00,
    minutes of the dose, patient), and the clinic's prep and observation minutes."""
    n = draw(st.integers(0, 20))
    out = []
    for _ in range(n):
        what = draw(st.sampled_from(["it-dose", "infusion"]))
        minutes = (
            draw(st.sampled_from([30, 90]) | st.integers(5, 300))
            if what == "infusion"
            else draw(st.integers(5, 120))
        )
        out.append((what, draw(st.integers(0, N_DAYS * 1440 - 1)), minutes, draw(st.sampled_from("pqrs"))))
    return out, draw(st.integers(0, 240)), draw(st.integers(0, 240))


@pytest.fixture(scope="module")
def templates(tdxd: Plan) -> dict[str, Any]:
    """One real IT event and one real infusion event, to be copied to random times."""
    return {k: next(e for e in tdxd.events if e.kind == k) for k in ("it-dose", "infusion")}


@settings(max_examples=150, deadline=None)
@given(visits(), st.integers(0, 3))
def test_peak_counts_match_a_minute_by_minute_count(
    tdxd: Plan,
    templates: dict[str, Any],
    drawn: tuple[list[tuple[str, int, int, str]], int, int],
    cap: int,
) -> None:
    spec, prep, observe = drawn
    clinic = tdxd.inputs.clinic.model_copy(update={"prep_min": prep, "observation_min": observe})
    inputs = tdxd.inputs.model_copy(update={"clinic": clinic})
    by_patient: dict[str, list[Any]] = defaultdict(list)
    for i, (what, start, minutes, patient) in enumerate(spec):
        day = BASE + dt.timedelta(days=start // 1440)
        by_patient[patient].append(
            templates[what].model_copy(
                update={"date": day, "time": clock(start % 1440), "duration_min": minutes, "uid": f"{i}@x"}
            )
        )
    sessions: list[Session] = []
    for patient, events in sorted(by_patient.items()):
        plan = tdxd.model_copy(update={"events": tuple(events), "inputs": inputs})
        sessions += sessions_of(plan, patient)
    assert len(sessions) == len(spec)

    # the brute force: every minute from one day before BASE, from the events alone
    offset = 1440  # an infusion's prep may start the day before BASE
    count = [0] * ((N_DAYS + 2) * 1440 + offset)
    for what, start, minutes, _ in spec:
        lo = start - (prep if what == "infusion" else 0) + offset
        hi = start + minutes + (observe if what == "infusion" else 0) + offset
        for m in range(lo, hi):
            count[m] += 1
    days, overloads = check_capacity(sessions, lambda _: cap)
    expected: dict[dt.date, int] = {}
    for d in range(len(count) // 1440):
        day_counts = count[d * 1440 : (d + 1) * 1440]
        if any(day_counts):
            expected[BASE + dt.timedelta(days=d - 1)] = max(day_counts)
    assert {x.date: x.peak for x in days} == expected
    assert {x.date for x in days if x.over} == {day for day, peak in expected.items() if peak > cap}
    over_minutes = sum(1 for c in count if c > cap)
    counted = sum(
        int(o.end[:2]) * 60 + int(o.end[3:]) - (int(o.start[:2]) * 60 + int(o.start[3:])) for o in overloads
    )
    assert counted == over_minutes
