"""Checks on the agenda (issue 17): clinic checks are rows with their time and minutes, take no
chair unless their template says `chair = true`, CSF cytology is named on its IT dose's row, and
checks done elsewhere are left off. The plans are real (`build_plan` with the shipped templates)."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from pathlib import Path
from typing import Any

import pypdf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.agenda import (
    Session,
    at_session_text,
    check_capacity,
    clock,
    in_use_at_start,
    over_capacity,
    overloaded_dates,
    sessions_of,
)
from scheduler.export.agenda import CSV_COLUMNS, render_csv
from scheduler.export.pdf.agenda import NO_CHAIR, NO_CHAIR_RT, day_heading, render_pdf
from scheduler.export.pdf.fonts import ITALIC
from scheduler.labels import event_name
from scheduler.plan import Event, Plan
from scheduler.templates import Registry, default_template_dirs, load_registry

from ..conftest import NOW_DT, make_plan
from ..export.test_pdf_fonts import registered

ROOT = Path(__file__).resolve().parents[2]
TDXD = {"template": "sys-tdxd-q3w", "start": "2026-12-01", "cycles": 3}
BODY = {"weight_kg": "70", "weight_date": "2026-11-25"}
CHAIR_COUNT = "mon-test-chair-count"


def her2_plan(registry: Registry, patient: str = "A", **fields: Any) -> Plan:
    """IT methotrexate from Tuesday 1 December 2026 with T-DXd: blood counts and cytology at the
    clinic; MRI, LVEF and (flow unknown, the default) a CSF flow study elsewhere."""
    return make_plan(registry, patient_id=patient, systemic=[TDXD], **{**BODY, **fields})


def checks(plan: Plan, where: str | None = None) -> list[Event]:
    return [e for e in plan.events if e.kind == "check" and (where is None or e.where == where)]


def rows_of(sessions: list[Session], uid_of: set[str]) -> list[Session]:
    return [s for s in sessions if s.uid in uid_of]


@pytest.fixture(scope="module")
def plan(registry: Registry) -> Plan:
    return her2_plan(registry, csf_flow="normal")


@pytest.fixture(scope="module")
def unknown_flow(registry: Registry) -> Plan:
    return her2_plan(registry, "B")


# --- clinic checks on the agenda ----------------------------------------------------------------


def test_clinic_checks_are_rows_with_their_time_and_minutes_and_no_chair(plan: Plan) -> None:
    sessions = sessions_of(plan, "a")
    clinic = [e for e in checks(plan, "clinic") if e.duration_min > 0 and e.status != "cancelled"]
    assert {e.check for e in clinic} == {"Blood count"} and len(clinic) == 18
    by_uid = {s.uid: s for s in sessions}
    for e in clinic:
        row = by_uid[e.uid]
        assert (row.date, row.time, row.duration_min) == (e.date, e.time, e.duration_min)
        assert (row.kind, row.chair, row.dose, row.route) == ("check", False, "", "")
        assert row.event.removesuffix(" (tentative)") == event_name(e)  # "Blood count before IT dose 5 of 18"
        assert row.event.endswith("(tentative)") == (e.status == "tentative")
    first = by_uid[clinic[0].uid]
    assert (first.time, first.duration_min, first.event) == (
        "08:45",
        15,
        "Blood count before IT dose 1 of 18",
    )


def test_cytology_is_named_on_its_it_dose_row_not_a_row_of_its_own(plan: Plan) -> None:
    sessions = sessions_of(plan, "a")
    cytology = [e for e in checks(plan) if e.check == "CSF cytology"]
    assert cytology and all(e.duration_min == 0 for e in cytology)
    assert not rows_of(sessions, {e.uid for e in cytology})
    with_cytology = {s.uid for s in sessions if s.with_checks}
    assert with_cytology == {e.guards[0] for e in cytology}
    it = next(s for s in sessions if s.with_checks)
    assert it.kind == "it-dose" and it.with_checks == ("CSF cytology",)
    assert at_session_text(it) == "CSF cytology (at the IT dose)"
    assert at_session_text(next(s for s in sessions if s.kind == "check")) == ""


def test_checks_done_elsewhere_are_not_on_the_agenda(unknown_flow: Plan) -> None:
    external = checks(unknown_flow, "external")
    names = {e.check for e in external}
    assert {"CSF flow study (111In-DTPA)", "MRI brain and whole spine", "Echocardiogram (LVEF)"} <= names
    sessions = sessions_of(unknown_flow, "b")
    assert not rows_of(sessions, {e.uid for e in external})
    assert not any("MRI" in s.event or "flow study" in s.event or "LVEF" in s.event for s in sessions)


# --- chair capacity ---------------------------------------------------------------------------------


def test_chair_sessions_are_unchanged_by_the_checks(plan: Plan) -> None:
    """The plan's chair sessions are those of the same plan without its checks (bar the cytology
    named on a row), minute for minute, and the capacity check gives the same ranges."""
    without = plan.model_copy(update={"events": tuple(e for e in plan.events if e.kind != "check")})
    rows = sessions_of(plan, "a")
    chair = [dataclasses.replace(s, with_checks=()) for s in rows if s.chair]
    assert chair == sessions_of(without, "a")
    assert all(s.kind != "check" for s in chair)
    for wanted in (lambda _: 1, lambda _: 0, lambda _: None):
        days, overloads = check_capacity(rows, wanted)
        bare_days, bare_overloads = check_capacity(chair, wanted)
        assert overloads == bare_overloads
        assert [dataclasses.replace(d, checks=0) for d in days] == bare_days
    in_use = in_use_at_start(rows)
    assert {s.uid for s in in_use} == {s.uid for s in rows if s.chair}


def test_a_day_with_only_checks_is_on_the_agenda_with_no_session(registry: Registry) -> None:
    """Blood counts the open day before (the clinic file's [monitoring] table): that day has
    checks and no chair session."""
    monitoring = {"mon-blood-count-it": {"open_days_before": 1}}
    plan = her2_plan(registry, csf_flow="normal", clinic={"monitoring": monitoring})
    rows = sessions_of(plan, "a")
    first = min(s.date for s in rows if s.kind == "it-dose")
    before = [s for s in rows if s.date < first]
    assert before and all(s.kind == "check" and not s.chair for s in before)
    days, overloads = check_capacity(rows, lambda _: 0)  # no chair at all: every session is over
    day = next(d for d in days if d.date == before[0].date)
    assert (day.sessions, day.peak, day.checks, day.over) == (0, 0, len(before), False)
    assert not any(o.date == day.date for o in overloads)
    assert len(before) == 1  # the first IT dose's count, on Monday 30 November
    assert day_heading(day, overloads).endswith(
        ": 0 sessions, 0 chairs, peak 0 at once, 1 check without a chair"
    )


def chair_registry(tmp: Path) -> Registry:
    """The shipped templates and a test-only blood count that books a chair (no shipped one does)."""
    text = (ROOT / "templates" / "monitoring" / "mon-blood-count-it.toml").read_text()
    assert text.count('id = "mon-blood-count-it"') == 1 and "chair" not in text
    text = text.replace('id = "mon-blood-count-it"', f'id = "{CHAIR_COUNT}"')
    text = text.replace('name = "Blood count"', 'name = "Blood count in a chair"')
    text = text.replace('where = "clinic"', 'where = "clinic"\nchair = true')
    (tmp / "monitoring").mkdir()
    (tmp / "monitoring" / f"{CHAIR_COUNT}.toml").write_text(text)
    return load_registry([*default_template_dirs(), tmp])


def test_a_chair_true_template_books_chairs(tmp_path: Path) -> None:
    registry = chair_registry(tmp_path)
    plans = [her2_plan(registry, p, csf_flow="normal") for p in ("A", "B")]
    rows = [s for plan, p in zip(plans, ("a", "b"), strict=True) for s in sessions_of(plan, p)]
    booked = {e.uid for plan in plans for e in plan.events if e.course == CHAIR_COUNT}
    plain = {e.uid for plan in plans for e in plan.events if e.course == "mon-blood-count-it"}
    assert booked and plain
    assert all(s.chair and s.duration_min == 15 and s.kind == "check" for s in rows_of(rows, booked))
    assert not any(s.chair for s in rows_of(rows, plain))
    # two patients, one chair: their chair blood counts at 08:45 overlap (the shipped ones do not)
    days, overloads = check_capacity(rows, lambda _: 1)
    first = dt.date(2026, 12, 1)
    # 08:45-09:00 the chair counts, 09:00-10:00 the IT doses (one range), 10:30 the infusions
    assert [(o.start, o.end, o.booked) for o in overloads if o.date == first] == [
        ("08:45", "10:00", 2),
        ("10:30", "12:00", 2),
    ]
    shipped = [s for s in rows if s.uid not in booked]
    assert [(o.start, o.end) for o in check_capacity(shipped, lambda _: 1)[1] if o.date == first] == [
        ("09:00", "10:00"),
        ("10:30", "12:00"),
    ]
    day = next(d for d in days if d.date == first)
    assert (day.sessions, day.checks) == (2 + 2 + 2, 2)  # 2 IT, 2 infusions, 2 chair counts; 2 plain
    over = over_capacity(rows, overloads)
    assert rows_of(list(over), booked) and not rows_of(list(over), plain)
    assert first in overloaded_dates(rows, overloads)["a"]
    table = {r["event"]: r for r in csv.DictReader(io.StringIO(render_csv(rows, overloads, days).decode()))}
    chair_row = table["Blood count in a chair before IT dose 1 of 18"]
    assert (chair_row["books_chair"], chair_row["chair_min"], chair_row["minutes"]) == ("yes", "15", "15")
    assert chair_row["chairs_in_use"] == "2" and chair_row["over_capacity"] == "yes"
    # the IT session after it keeps its own 60 chair minutes
    it_row = next(r for r in table.values() if r["kind"] == "it-dose")
    assert (it_row["chair_min"], it_row["minutes"]) == ("60", "60")


# --- tentative and cancelled --------------------------------------------------------------------------


def test_tentative_checks_say_so_and_cancelled_ones_are_left_off(unknown_flow: Plan) -> None:
    """Flow unknown: every IT dose and its blood count is tentative (waiting for the flow study)."""
    rows = sessions_of(unknown_flow, "b")
    counts = [s for s in rows if s.kind == "check"]
    assert counts and all(s.event.endswith("(tentative)") for s in counts)
    it = [e for e in unknown_flow.events if e.kind == "it-dose"]
    gone = it[1]
    count = next(e for e in checks(unknown_flow) if gone.uid in e.guards and e.check == "Blood count")
    cancelled = {gone.uid, count.uid}
    events = tuple(
        e.model_copy(update={"status": "cancelled"}) if e.uid in cancelled else e for e in unknown_flow.events
    )
    rows = sessions_of(unknown_flow.model_copy(update={"events": events}), "b")
    assert not rows_of(rows, cancelled)
    assert len(rows) == len(sessions_of(unknown_flow, "b")) - 2


def test_a_cytology_tentative_beside_a_confirmed_dose_and_one_left_alone(plan: Plan) -> None:
    cytology = next(e for e in checks(plan) if e.check == "CSF cytology" and e.status == "confirmed")
    dose = next(e for e in plan.events if e.uid == cytology.guards[0])
    assert dose.status == "confirmed"
    tentative = plan.model_copy(
        update={
            "events": tuple(
                e.model_copy(update={"status": "tentative"}) if e.uid == cytology.uid else e
                for e in plan.events
            )
        }
    )
    row = next(s for s in sessions_of(tentative, "a") if s.uid == dose.uid)
    assert row.with_checks == ("CSF cytology (tentative)",)
    assert at_session_text(row) == "CSF cytology (at the IT dose, tentative)"
    # its IT dose cancelled by hand and the cytology not: the cytology is not lost, it is a row
    # of its own (0 minutes, at the dose's time, no chair)
    alone = plan.model_copy(
        update={
            "events": tuple(
                e.model_copy(update={"status": "cancelled"}) if e.uid == dose.uid else e for e in plan.events
            )
        }
    )
    rows = sessions_of(alone, "a")
    own = next(s for s in rows if s.uid == cytology.uid)
    assert (own.kind, own.chair, own.duration_min, own.time) == ("check", False, 0, dose.time)
    assert dose.uid not in {s.uid for s in rows}
    days, overloads = check_capacity(rows, lambda _: 1)
    assert render_csv(rows, overloads, days)  # a 0-minute row renders
    render_pdf(rows, days, overloads, "Riverside", generated=NOW_DT)


def test_a_session_that_is_not_a_check_always_books_a_chair() -> None:
    base = {
        "date": dt.date(2026, 12, 1),
        "time": "09:00",
        "patient": "A",
        "name": None,
        "dose": "",
        "route": "",
    }
    with pytest.raises(ValueError, match="always books a chair"):
        Session(**base, duration_min=60, event="IT", uid="u1", chair=False)
    with pytest.raises(ValueError, match="no prep or observation"):
        Session(**base, duration_min=60, event="Blood count", uid="u2", kind="check", prep_min=5)
    with pytest.raises(ValueError, match="at least 1"):
        Session(**base, duration_min=0, event="Blood count", uid="u3", kind="check")
    assert Session(**base, duration_min=0, event="CSF cytology", uid="u4", kind="check", chair=False)


# --- the outputs ---------------------------------------------------------------------------------------


def test_the_csv_shows_check_rows_distinctly(plan: Plan) -> None:
    rows = sessions_of(plan, "a")
    days, overloads = check_capacity(rows, lambda _: 1)
    table = list(csv.DictReader(io.StringIO(render_csv(rows, overloads, days).decode())))
    assert tuple(table[0].keys()) == CSV_COLUMNS
    count = next(r for r in table if r["kind"] == "check")
    assert {k: count[k] for k in ("date", "time", "end", "chair_min", "minutes", "books_chair")} == {
        "date": "2026-12-01",
        "time": "08:45",
        "end": "09:00",
        "chair_min": "0",
        "minutes": "15",
        "books_chair": "no",
    }
    assert count["event"] == "Blood count before IT dose 1 of 18"
    assert all(count[k] == "" for k in ("dose", "route", "prep_min", "given_min", "observation_min"))
    assert count["chairs_in_use"] == count["over_capacity"] == "" and count["chairs"] == "1"
    it = next(r for r in table if r["kind"] == "it-dose")
    assert (it["checks_at_session"], it["books_chair"], it["minutes"]) == (
        "CSF cytology (at the IT dose)",
        "yes",
        it["chair_min"],
    )


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def test_the_pdf_shows_check_rows_read_back_with_pypdf(plan: Plan, unknown_flow: Plan) -> None:
    rows = sessions_of(plan, "a") + sessions_of(unknown_flow, "b")
    days, overloads = check_capacity(rows, lambda _: 1)
    data = render_pdf(rows, days, overloads, "Riverside", generated=NOW_DT)
    text = pdf_text(data)
    flat = " ".join(text.split())
    assert "Blood count before IT dose 1 of 18" in text
    assert "Blood count before IT dose 1 of 18 (tentative)" in flat  # B: waiting for the flow study
    assert text.count(NO_CHAIR) >= sum(1 for s in rows if not s.chair)
    assert "+ CSF cytology (at the IT dose)" in text
    heading = "Tuesday 1 December 2026: 4 sessions, 1 chair, peak 2 at once, 2 checks without a chair"
    assert heading in flat
    assert "Checks done elsewhere (MRI, echocardiogram, CSF flow study) are not on this agenda" in flat
    chair = sum(1 for s in rows if s.chair)
    assert f"{chair} sessions and {len(rows) - chair} checks without a chair for 2 patients" in flat
    assert "MRI brain" not in text and "Echocardiogram" not in text and "111In" not in text
    # the check rows are in italics (a row over capacity is bold, whatever it is)
    fonts: dict[str, set[str]] = {}
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:

        def visit(t: str, cm: object, tm: object, font: object, size: float) -> None:
            if t.strip() and isinstance(font, dict):
                fonts.setdefault(t.strip(), set()).add(registered(str(font.get("/BaseFont", ""))))

        page.extract_text(visitor_text=visit)
    # a row's cells read as one line (one text object per page)
    row = next(t for t in fonts if "Blood count before IT dose 1 of 18" in t and t.endswith(NO_CHAIR))
    assert fonts[row] == {ITALIC}


def test_rt_fractions_are_listed_in_the_pdf_without_a_chair(registry: Registry) -> None:
    rt = make_plan(registry, rt="wbrt-30gy-10fx", rt_start="2026-11-30", csf_flow="normal")
    rows = sessions_of(rt, "a")
    days, overloads = check_capacity(rows, lambda _: 1)
    text = pdf_text(render_pdf(rows, days, overloads, "Riverside", generated=NOW_DT))
    flat = " ".join(text.split())
    assert "RT 1/10 whole brain 3 Gy" in flat
    assert text.count(NO_CHAIR_RT) == 10 + 1 and "10 RT fractions" in flat  # each row, and the key
    assert "RT fractions are given in the radiotherapy department" in flat
    monday = next(d for d in days if d.date == dt.date(2026, 11, 30))
    assert monday.rt == 1 and "peak 0 at once, 1 RT fraction" in day_heading(monday, overloads)


def test_the_pdf_of_checks_only_and_its_order(plan: Plan) -> None:
    only = [s for s in sessions_of(plan, "a") if s.kind == "check"]
    days, overloads = check_capacity(only, lambda _: 2)
    first = render_pdf(only, days, overloads, "R", generated=NOW_DT)
    assert first == render_pdf(list(reversed(only)), days, overloads, "R", generated=NOW_DT)
    text = " ".join(pdf_text(first).split())
    assert f"0 sessions and {len(only)} checks without a chair" in text and "No day is over capacity." in text


# --- property: checks and RT fractions (no chair) never change the capacity -------------------------

BASE = dt.date(2026, 12, 7)


@st.composite
def mixed(draw: st.DrawFn) -> tuple[list[Session], list[Session]]:
    """Chair sessions, and checks and RT fractions without a chair (0 to 120 minutes), over three
    days."""

    def one(i: int, chair: bool) -> Session:
        day = BASE + dt.timedelta(days=draw(st.integers(0, 2)))
        kind = "it-dose" if chair else draw(st.sampled_from(["check", "rt-fraction"]))
        return Session(
            date=day,
            time=clock(draw(st.integers(0, 24 * 60 - 1))),
            duration_min=draw(st.integers(1, 240) if chair else st.integers(0, 120)),
            patient=draw(st.sampled_from(["P1", "P2", "P3", "P4"])),
            name=None,
            event="IT cytarabine 1/4" if chair else "Blood count before IT dose 1 of 4",
            dose="50 mg" if chair else "",
            route="lumbar" if chair else "",
            uid=f"{i}-{chair}@lmsched",
            kind=kind,
            chair=chair,
        )

    sessions = [one(i, True) for i in range(draw(st.integers(0, 15)))]
    visits = [one(i, False) for i in range(draw(st.integers(0, 15)))]
    return sessions, visits


@settings(max_examples=100, deadline=None)
@given(mixed(), st.integers(0, 3))
def test_checks_without_a_chair_never_change_capacity(
    agenda: tuple[list[Session], list[Session]], n: int
) -> None:
    sessions, visits = agenda
    days, overloads = check_capacity(sessions + visits, lambda _: n)
    bare_days, bare_overloads = check_capacity(sessions, lambda _: n)
    assert overloads == bare_overloads
    assert [d for d in days if d.sessions or d.peak] == [
        dataclasses.replace(
            d,
            checks=sum(1 for v in visits if v.date == d.date and v.kind == "check"),
            rt=sum(1 for v in visits if v.date == d.date and v.kind == "rt-fraction"),
        )
        for d in bare_days
    ]
    assert sum(d.checks + d.rt for d in days) == len(visits)
    assert sum(d.rt for d in days) == sum(1 for v in visits if v.kind == "rt-fraction")
    assert in_use_at_start(sessions + visits) == in_use_at_start(sessions)
    assert over_capacity(sessions + visits, overloads) == over_capacity(sessions, overloads)
    rows = list(csv.DictReader(io.StringIO(render_csv(visits + sessions, overloads, days).decode())))
    assert len(rows) == len(sessions) + len(visits)
    assert {r["books_chair"] for r in rows if r["kind"] in ("check", "rt-fraction")} <= {"no"}
