"""CSV, terminal table and JSON of plans with systemic therapy: the new columns come last (CSV)
or before the notes (table) and only for such plans; hostile text is neutralised."""

from __future__ import annotations

import csv
import io
import json

import pytest

from scheduler.export import csv as csv_export
from scheduler.export.table import HEADER, SYSTEMIC_HEADER, render_lines
from scheduler.plan import Plan, plan_from_json, plan_to_json
from scheduler.templates import Registry

from ..conftest import make_plan
from .systemic_plans import her2climb_plan, systemic, tdxd_plan


@pytest.fixture(scope="module")
def climb(registry: Registry) -> Plan:
    return her2climb_plan(registry)


def rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def test_csv_adds_the_systemic_columns_at_the_end(climb: Plan) -> None:
    data = csv_export.render(climb)
    header = data.decode().splitlines()[0].split(",")
    # the plan has checks (liver tests on tucatinib, blood counts): their columns come last
    assert tuple(header) == (*csv_export.COLUMNS, *csv_export.SYSTEMIC_COLUMNS, *csv_export.CHECK_COLUMNS)
    assert csv_export.SYSTEMIC_COLUMNS == ("cycle", "cycle_day", "dose_basis", "dose_calc", "tablets")
    read = rows(data)
    assert len(read) == len(climb.events)
    for row, event in zip(read, climb.events, strict=True):
        assert row["uid"] == event.uid and row["kind"] == event.kind
        if event.kind in ("infusion", "tablet"):
            assert row["cycle"] == str(event.cycle) and row["cycle_day"] == str(event.cycle_day)
            assert row["dose_basis"] == event.dose_basis
            assert row["dose_calc"] == event.dose_calc
            assert row["tablets"] == (event.tablets or "")
            assert row["dose_mg"] == f"{event.dose_mg:g}"
        else:
            assert row["cycle"] == row["cycle_day"] == row["dose_calc"] == row["tablets"] == ""
        if event.kind == "infusion":
            assert row["notes"].startswith(f"cycle {event.cycle} day 1, {event.duration_min} min infusion")
        if event.kind == "tablet":
            assert row["notes"].startswith(f"daily for {event.repeat_days} days")
    cape = next(r for r in read if r["drug"] == "capecitabine")
    assert cape["tablets"] == "3 x 500 mg + 2 x 150 mg"
    assert cape["dose_basis"] == "1000 mg/m2 (BSA 1.77 m2, Mosteller)"


def test_a_plan_without_systemic_therapy_keeps_the_old_columns(registry: Registry) -> None:
    plan = make_plan(registry, rt="wbrt-30gy-10fx", rt_start="2026-11-30")
    assert not systemic(plan)
    # the plan has checks (blood counts, cytology, MRI): their columns, and no systemic ones
    header = csv_export.render(plan).decode().splitlines()[0]
    assert header == ",".join((*csv_export.COLUMNS, *csv_export.CHECK_COLUMNS))
    # with every check turned off in the clinic file the columns are the old ones
    off = {c: {"off": True} for c in registry.templates if c.startswith("mon-")}
    bare = make_plan(registry, rt="wbrt-30gy-10fx", rt_start="2026-11-30", clinic={"monitoring": off})
    assert not any(e.kind == "check" for e in bare.events)
    assert csv_export.render(bare).decode().splitlines()[0] == ",".join(csv_export.COLUMNS)
    lines = list(render_lines(plan))
    header = next(line for line in lines if line.startswith("date "))
    assert header.split() == list(HEADER)


def test_hostile_systemic_text_is_neutralised(climb: Plan) -> None:
    """A hand-edited plan (accepted with --accept-edited) may carry anything in these fields: a
    cell a spreadsheet would run as a formula gets a leading apostrophe."""
    hostile = {
        "dose_basis": '=HYPERLINK("http://x","y")',
        "dose_calc": "+cmd|' /C calc'!A0",
        "tablets": "@SUM(1+1)",
    }
    events = tuple(e.model_copy(update=hostile) if e.kind == "tablet" else e for e in climb.events)
    data = csv_export.render(climb.model_copy(update={"events": events}))
    for row in rows(data):
        if row["kind"] == "tablet":
            assert row["dose_basis"] == "'" + hostile["dose_basis"]
            assert row["dose_calc"] == "'" + hostile["dose_calc"]
            assert row["tablets"] == "'" + hostile["tablets"]
    # a comma, a quote and a newline stay inside their cell
    odd = tuple(
        e.model_copy(update={"dose_basis": 'a, "b"\nc'}) if e.kind == "infusion" else e for e in climb.events
    )
    read = rows(csv_export.render(climb.model_copy(update={"events": odd})))
    assert len(read) == len(climb.events)
    assert {r["dose_basis"] for r in read if r["kind"] == "infusion"} == {'a, "b"\nc'}


def test_terminal_table_shows_cycle_tablets_basis_and_calculation(registry: Registry, climb: Plan) -> None:
    lines = list(render_lines(climb))
    header = next(line for line in lines if line.startswith("date "))
    assert header.split() == [*HEADER[:-1], *SYSTEMIC_HEADER, HEADER[-1]]
    cape = next(line for line in lines if "Capecitabine AM C1 D1" in line)
    assert "3 x 500 mg + 2 x 150 mg" in cape
    assert "1000 mg/m2 (BSA 1.77 m2, Mosteller)" in cape
    assert "1000 mg/m2 x 1.77 m2 = 1770 mg -> 1800 mg" in cape
    it_dose = next(line for line in lines if "IT methotrexate 1/" in line)
    assert "adult (18+)" not in it_dose  # an IT dose's age band is not a systemic dose basis
    # an infusion-only course has no tablets column
    tdxd_lines = list(render_lines(tdxd_plan(registry)))
    tdxd_header = next(line for line in tdxd_lines if line.startswith("date "))
    assert tdxd_header.split() == [*HEADER[:-1], "cycle", "basis", "calculation", HEADER[-1]]
    # the columns line up: each row's calculation starts where the header's does
    at = tdxd_header.index("calculation")
    for line in tdxd_lines:
        if "Trastuzumab deruxtecan IV" in line:
            assert line[at:].startswith("5.4 mg/kg x 68.4 kg = 369 mg")


def test_json_carries_the_systemic_fields_and_loads_back(climb: Plan) -> None:
    data = plan_to_json(climb)
    doc = json.loads(data)
    by_uid = {e["uid"]: e for e in doc["events"]}
    for event in systemic(climb):
        got = by_uid[event.uid]
        assert got["cycle"] == event.cycle and got["cycle_day"] == event.cycle_day
        assert got["dose_calc"] == event.dose_calc and got["dose_basis"] == event.dose_basis
        assert got.get("tablets") == event.tablets
    it_dose = next(e for e in doc["events"] if e["kind"] == "it-dose")
    assert not {"cycle", "cycle_day", "dose_calc", "tablets"} & set(it_dose)
    again = plan_from_json(data)
    assert again.events == climb.events and plan_to_json(again) == data
