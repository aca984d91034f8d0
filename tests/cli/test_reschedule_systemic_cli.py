"""`lmsched reschedule --course sys-...`, `lmsched diff` and `lmsched reconcile` with systemic
courses, as a user runs them: the T-DXd example and a HER2CLIMB plan."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from scheduler.plan import plan_from_json

from ..conftest import EXAMPLES
from .test_reschedule import one_error_line

HER2 = str(EXAMPLES / "patient-her2.toml")
NOW = "2026-12-01T09:00:00-05:00"
LATER = "2027-01-20T09:00:00-05:00"
CLIMB = ("--systemic", "sys-her2climb", "--systemic-start", "2027-01-05", "--cycles", "3")
BODY = ("--weight-kg", "72", "--height-cm", "170", "--weight-date", "2026-12-28")


@pytest.fixture
def tdxd(run, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    """The HER2 example: T-DXd q3w (8 cycles from 2027-01-05) with IT methotrexate and focal RT."""
    path = tmp_path / "her2.json"
    result = run("plan", HER2, "--now", NOW, "--json", str(path), "-q")
    assert result.code == 0, result.err
    return path


@pytest.fixture
def climb(run, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    """The HER2 example with a HER2CLIMB course added (tucatinib, capecitabine, trastuzumab)."""
    path = tmp_path / "climb.json"
    result = run("plan", HER2, "--now", NOW, *CLIMB, *BODY, "--json", str(path), "-q")
    assert result.code == 0, result.err
    return path


def infusions(path: Path, course: str) -> list[dict[str, Any]]:
    return [
        e
        for e in json.loads(path.read_text())["events"]
        if e["course"] == course and e["kind"] == "infusion" and e["status"] != "cancelled"
    ]


def test_dose_level_change_from_the_command_line(run, tdxd: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "r1.json"
    result = run(
        "reschedule",
        str(tdxd),
        "--course",
        "sys-tdxd-q3w",
        "--dose-level",
        "-1",
        "--from",
        "2027-02-01",
        "--reason",
        "Grade 2 ILD resolved",
        "--now",
        LATER,
        "--json",
        str(out),
        "-q",
    )
    assert result.code == 0, result.err
    assert "dose level -1 for sys-tdxd-q3w" in result.out
    assert (
        "2027-02-16 -> same day  trastuzumab deruxtecan 369 mg IV, cycle 3 day 1 (dose 369 -> 301 mg)"
        in result.out
    )
    doses = [e["dose_mg"] for e in infusions(out, "sys-tdxd-q3w")]
    assert doses == [369, 369] + [301] * 6
    plan = plan_from_json(out.read_bytes())
    change = plan.changes[-1]
    assert (change.action, change.reason, change.dose_level, change.from_cycle) == (
        "dose-level",
        "Grade 2 ILD resolved",
        -1,
        3,
    )
    # the diff shows the dose changes, labelled by event_name
    diff = run("diff", str(tdxd), str(out))
    assert diff.code == 1
    assert "dose-changed  trastuzumab deruxtecan 369 mg IV, cycle 3 day 1  369 -> 301 mg" in diff.out
    assert "6 differences: 6 dose-changed" in diff.out


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (
            ("--course", "sys-nope", "--delay", "2027-01-26", "--days", "3"),
            ["course:", "sys-nope", "sys-tdxd-q3w"],
        ),
        (
            ("--course", "sys-tdxd-q3w", "--dose-level", "-3", "--from", "2027-02-01", "--reason", "x"),
            ["dose_level", "valid: 0, -1, -2"],
        ),
        (("--course", "sys-tdxd-q3w", "--dose-level", "-1", "--from", "2027-02-01"), ["reason", "--reason"]),
        (("--dose-level", "-1", "--from", "2027-02-01", "--reason", "x"), ["--course"]),
        (("--course", "sys-tdxd-q3w", "--dose-level", "-1", "--reason", "x"), ["--dose-level and --from"]),
        (
            ("--course", "it-mtx-intensive", "--dose-level", "-1", "--from", "2027-02-01", "--reason", "x"),
            ["not a systemic course", "valid: sys-tdxd-q3w"],
        ),
        (
            ("--course", "sys-tdxd-q3w", "--delay", "2027-01-27", "--days", "3"),
            ["not the day 1 of a cycle", "2027-01-26"],
        ),
        (
            ("--course", "sys-tdxd-q3w", "--dose-level", "-1", "--from", "2027-09-01", "--reason", "x"),
            ["no cycle of sys-tdxd-q3w starts on or after 2027-09-01"],
        ),
    ],
)
def test_bad_systemic_reschedules_exit_2_with_one_line(  # type: ignore[no-untyped-def]
    run, tdxd: Path, tmp_path: Path, args: tuple[str, ...], words: list[str]
) -> None:
    out = tmp_path / "r1.json"
    result = run("reschedule", str(tdxd), *args, "--now", LATER, "--json", str(out))
    one_error_line(result, *words)
    assert not out.exists()


def test_a_template_without_dose_levels_is_refused_naming_the_field(run, climb: Path) -> None:  # type: ignore[no-untyped-def]
    result = run(
        "reschedule", str(climb), "--course", "sys-her2climb", "--dose-level", "-1", "--from", "2027-01-20",
        "--reason", "diarrhoea", "--now", LATER,
    )  # fmt: skip
    one_error_line(result, "dose_level", "sys-her2climb has no dose levels", "valid: 0")


def test_delay_of_a_her2climb_cycle_reloads_trastuzumab_and_stretches_tucatinib(  # type: ignore[no-untyped-def]
    run, climb: Path, tmp_path: Path
) -> None:
    out = tmp_path / "r1.json"
    result = run(
        "reschedule", str(climb), "--course", "sys-her2climb", "--delay", "2027-01-26", "--days", "9",
        "--reason", "ANC 0.8", "--now", LATER, "--json", str(out), "-q",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert "2027-01-26 -> 2027-02-04  trastuzumab 432 mg IV, cycle 2 day 1 (dose 432 -> 576 mg)" in result.out
    assert "tucatinib 300 mg morning, cycle 1 (daily for 21 days) (daily for 21 -> 30 days)" in result.out
    c2 = infusions(out, "sys-her2climb")[1]
    assert c2["date"] == "2027-02-04" and c2["dose_mg"] == 576 and c2["duration_min"] == 90
    assert any("loading dose is given again" in n and "S22" in n for n in c2["notes"])
    # the other courses did not move
    before = {e["uid"]: e for e in json.loads(climb.read_text())["events"]}
    for e in json.loads(out.read_text())["events"]:
        if e["course"] != "sys-her2climb" and e["kind"] != "check":  # the course's checks follow it
            assert e == before[e["uid"]]
    # a stop of the course from a date: the runs crossing it are shortened
    stopped = tmp_path / "r2.json"
    result = run(
        "reschedule", str(out), "--course", "sys-her2climb", "--stop-from", "2027-02-10",
        "--reason", "Progression on MRI 2027-02-08", "--now", LATER, "--json", str(stopped), "-q",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert "(daily for 14 -> 6 days)" in result.out and "cancelled" in result.out
    diff = run("diff", str(out), str(stopped))
    assert diff.code == 1 and "cancelled" in diff.out and "daily for 21 -> 6" in diff.out


def test_reconcile_with_infusions_from_the_command_line(run, tdxd: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    given = tmp_path / "given.csv"
    given.write_text(
        "date,drug,dose_mg,route,initials\n"
        "2027-01-05,trastuzumab deruxtecan,369,iv,AB\n"
        "2027-01-26,Trastuzumab deruxtecan,360,IV,AB\n"
        "2027-01-11,methotrexate,15,ommaya,CD\n"
    )
    report = tmp_path / "report.csv"
    result = run("reconcile", str(tdxd), str(given), "--as-of", "2027-01-27", "--csv", str(report))
    assert result.code == 1, result.err  # one wrong dose, missed IT doses
    line = next(x for x in result.out.splitlines() if x.startswith("2027-01-26"))
    assert "C2 D1" in line and "wrong dose: given 360 mg, planned 369 mg" in line
    assert any(x.startswith("2027-01-11  1/18") for x in result.out.splitlines())
    rows = list(csv.DictReader(io.StringIO(report.read_text())))
    tdxd_rows = [r for r in rows if r["drug"] == "trastuzumab deruxtecan"]
    assert [r["outcome"] for r in tdxd_rows[:3]] == ["given", "wrong-dose", "due"]
    assert tdxd_rows[1]["planned_route"] == "iv" and tdxd_rows[1]["given_mg"] == "360"
    assert len(tdxd_rows) == 8
    oral = tmp_path / "oral.csv"
    oral.write_text("date,drug,dose_mg,route\n2027-01-05,capecitabine,1800,oral\n")
    one_error_line(run("reconcile", str(tdxd), str(oral)), "tablets are taken at home and not reconciled")
