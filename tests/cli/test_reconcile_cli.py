"""`lmsched reconcile` through the real CLI: exit codes, report files and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ..conftest import EXAMPLES, NOW

ADULT = str(EXAMPLES / "patient-adult.toml")
AS_OF = "2027-01-06"


@pytest.fixture
def plan_file(run, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    path = tmp_path / "plan.json"
    assert run("plan", ADULT, "--now", NOW, "--json", str(path), "-q").code == 0
    return path


def given_exactly(plan_file: Path, until: str = AS_OF) -> str:
    """A record of every IT dose due by `until`, given as planned."""
    rows = ["date,time,drug,dose_mg,route,lot,initials"]
    for e in json.loads(plan_file.read_text())["events"]:
        if e["kind"] == "it-dose" and e["date"] <= until:
            rows.append(f"{e['date']},{e['time']},{e['drug']},{e['dose_mg']},{e['route']},L1,AB")
    return "\n".join(rows) + "\n"


def test_a_record_that_matches_the_plan_exits_0(run, plan_file: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    given = tmp_path / "given.csv"
    given.write_text(given_exactly(plan_file))
    report_csv, report_json = tmp_path / "r.csv", tmp_path / "r.json"
    result = run(
        "reconcile",
        str(plan_file),
        str(given),
        "--as-of",
        AS_OF,
        "--csv",
        str(report_csv),
        "--json",
        str(report_json),
    )
    assert result.code == 0, result.err
    assert "all doses match" in result.out
    doc = json.loads(report_json.read_text())
    assert doc["discrepancies"] == 0 and doc["as_of"] == AS_OF
    outcomes = [line.split(",")[5] for line in report_csv.read_text().splitlines()[1:]]
    assert set(outcomes) == {"given", "due"} and outcomes.count("given") == 5
    again = tmp_path / "again.json"
    run("reconcile", str(plan_file), str(given), "--as-of", AS_OF, "--json", str(again))
    assert again.read_bytes() == report_json.read_bytes()


def test_discrepancies_exit_1_and_are_listed(run, plan_file: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lines = given_exactly(plan_file).splitlines()
    lines[2] = lines[2].replace(",15,", ",12,")  # dose 2: wrong dose
    del lines[3]  # dose 3: missed
    lines.append("2027-01-02,10:00,cytarabine,50,ommaya,X1,EF")  # not in the plan
    given = tmp_path / "given.csv"
    given.write_text("\n".join(lines) + "\n")
    result = run("reconcile", str(plan_file), str(given), "--as-of", AS_OF)
    assert result.code == 1, result.err
    assert "wrong dose: given 12 mg, planned 15 mg" in result.out
    assert "missed" in result.out and "no planned dose of cytarabine" in result.out
    assert "3 discrepancies" in result.out


def test_the_window_decides_late_or_missed(run, plan_file: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first = next(e for e in json.loads(plan_file.read_text())["events"] if e["kind"] == "it-dose")
    given = tmp_path / "given.csv"
    given.write_text("date,drug,dose_mg,route\n2026-12-12,methotrexate,15,ommaya\n")
    assert first["date"] == "2026-12-14"
    wide = run("reconcile", str(plan_file), str(given), "--as-of", "2026-12-16", "--window", "2")
    assert wide.code == 1 and "early 2 days (given 2026-12-12)" in wide.out and "missed" not in wide.out
    narrow = run("reconcile", str(plan_file), str(given), "--as-of", "2026-12-16", "--window", "1")
    assert narrow.code == 1 and "missed" in narrow.out and "unplanned" in narrow.out


@pytest.mark.parametrize(
    ("content", "args", "words"),
    [
        (
            "date,drug,dose_mg,route\n2026-12-14,methotrexate,ten,ommaya\n\n2026-12-17,methotrexate,15,sc\n",
            (),
            ["2 malformed rows", "line 2: dose_mg", "line 4: route", "valid: ommaya, lumbar, iv"],
        ),
        ("", (), ["has no administrations"]),
        ("date,drug,dose_mg,route\n", (), ["has no administrations"]),
        ("date,drug,dose,route\n2026-12-14,methotrexate,15,ommaya\n", (), ["dose"]),
        ("date,drug,dose_mg,route\n2026-12-14,methotrexate,15,ommaya\n", ("--window", "31"), ["window:"]),
        ("date,drug,dose_mg,route\n2026-12-14,methotrexate,15,ommaya\n", ("--as-of", "soon"), ["as-of:"]),
    ],
)
def test_bad_input_exits_2_and_writes_no_report(  # type: ignore[no-untyped-def]
    run, plan_file: Path, tmp_path: Path, content: str, args: tuple[str, ...], words: list[str]
) -> None:
    given, report = tmp_path / "given.csv", tmp_path / "report.csv"
    given.write_text(content)
    result = run("reconcile", str(plan_file), str(given), "--as-of", AS_OF, *args, "--csv", str(report))
    assert result.code == 2, (result.out, result.err)
    assert result.err.count("\n") == 1 and "Traceback" not in result.err
    for word in words:
        assert word in result.err
    assert not report.exists() and result.out == ""


def test_missing_files_and_clobbering_inputs(run, plan_file: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    missing = run("reconcile", str(plan_file), str(tmp_path / "nope.csv"), "--as-of", AS_OF)
    assert missing.code == 2 and "GIVEN: " in missing.err and "does not exist" in missing.err
    given = tmp_path / "given.csv"
    given.write_text(given_exactly(plan_file))
    clobber = run("reconcile", str(plan_file), str(given), "--csv", str(given))
    assert clobber.code == 2 and "is an input file" in clobber.err
    assert given.read_text() == given_exactly(plan_file)
