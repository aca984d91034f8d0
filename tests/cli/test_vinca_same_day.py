"""A vinca alkaloid by vein on the day of an IT dose (ISMP, S11): a stop, through a centre's own
template (no shipped template has a vinca alkaloid), lifted only by a reasoned override."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ..conftest import NOW, run_subprocess

VINCA = """
id = "sys-test-vincristine"
version = "0.1.0"
title = "Test-only vincristine IV every 3 weeks"
evidence = "convention"
status = "investigational"
sources = ["S11"]
indication = "test only: not a regimen"
cycle_days = 21

[[components]]
drug = "vincristine"
route = "iv"
formulation = "injection, diluted in a minibag"
infusion_min = 15

[components.dose]
basis = "fixed"
amount = 2
sources = ["S11"]
"""
PLAN = ("plan", "--start", "2027-01-04", "--age", "50", "--route", "ommaya", "--now", NOW, "-q")


@pytest.fixture
def centre(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "systemic").mkdir()
    (tmp_path / "systemic" / "sys-test-vincristine.toml").write_text(VINCA)
    return {"LMSCHED_TEMPLATE_PATH": str(tmp_path)}


def test_vinca_on_an_it_day_stops_and_nothing_is_written(centre: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    course = ("--systemic", "sys-test-vincristine", "--systemic-start", "2027-01-04")
    result = run_subprocess(*PLAN, *course, "--json", str(out), env=centre)
    assert result.code == 3, result.err
    assert "vinca-same-day-as-it" in result.err and "same place or session" in result.err
    assert not out.exists()


def test_a_reasoned_override_lifts_it_and_is_recorded(centre: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    course = ("--systemic", "sys-test-vincristine", "--systemic-start", "2027-01-04")
    reason = "Vincristine in the day unit at 14:00, IT in the procedure room at 09:00"
    result = run_subprocess(
        *PLAN, *course, "--override", "vinca-same-day-as-it", "--override-reason", reason, "--json", str(out),
        env=centre,
    )  # fmt: skip
    assert result.code == 0, result.err
    plan = json.loads(out.read_text())
    assert [o["rule"] for o in plan["overrides"]] == ["vinca-same-day-as-it"]
    assert plan["overrides"][0]["reason"] == reason


def test_on_another_day_there_is_nothing_to_lift(centre: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    course = ("--systemic", "sys-test-vincristine", "--systemic-start", "2027-01-05")  # no IT that day
    result = run_subprocess(*PLAN, *course, "--json", str(out), env=centre)
    assert result.code == 0, result.err
    assert "vinca-same-day-as-it" not in out.read_text()
