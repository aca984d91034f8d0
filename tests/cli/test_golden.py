"""Golden plan files for the examples, through the real CLI. Regenerate with `make golden` and
review the diff: a change here is a change in what schedulers and pharmacists receive."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ..conftest import EXAMPLES, NOW, ROOT

GOLDEN = ROOT / "tests" / "golden"
CASES = ["adult", "child", "her2"]


def match_golden(produced: dict[str, bytes]) -> None:
    """Each output equals its golden file (or, with UPDATE_GOLDEN=1, becomes it)."""
    for name, data in produced.items():
        golden = GOLDEN / name
        if os.environ.get("UPDATE_GOLDEN"):
            golden.write_bytes(data)
        assert golden.exists(), f"{golden} missing: run `make golden`"
        assert data == golden.read_bytes(), (
            f"{name} differs from the golden file: run `make golden` and review"
        )


@pytest.mark.parametrize("case", CASES)
def test_example_plans_match_golden_files(run, tmp_path: Path, case: str) -> None:  # type: ignore[no-untyped-def]
    result = run(
        "plan",
        str(EXAMPLES / f"patient-{case}.toml"),
        "--now",
        NOW,
        "--json",
        str(tmp_path / "plan.json"),
        "--csv",
        str(tmp_path / "plan.csv"),
        "--ics",
        str(tmp_path / "plan.ics"),
    )
    assert result.code == 0, result.err
    produced = {
        f"plan-{case}.json": (tmp_path / "plan.json").read_bytes(),
        f"plan-{case}.csv": (tmp_path / "plan.csv").read_bytes(),
        f"plan-{case}.txt": result.out.encode(),
        f"plan-{case}.ics": (tmp_path / "plan.ics").read_bytes(),
    }
    match_golden(produced)


def test_rescheduled_example_matches_golden_files(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The lifecycle example of the README: the adult plan, a delay, then a stop, and the diff."""
    plan, delayed, stopped = (tmp_path / f"{n}.json" for n in ("plan", "r1", "r2"))
    assert (
        run("plan", str(EXAMPLES / "patient-adult.toml"), "--now", NOW, "--json", str(plan), "-q").code == 0
    )
    first = run(
        "reschedule",
        str(plan),
        "--delay",
        "2026-12-17",
        "--days",
        "7",
        "--reason",
        "Platelets 45 on 2026-12-16",
        "--now",
        "2026-12-16T15:00:00-05:00",
        "--json",
        str(delayed),
        "-q",
    )
    assert first.code == 0, first.err
    second = run(
        "reschedule",
        str(delayed),
        "--stop-from",
        "2027-04-01",
        "--reason",
        "Progression on MRI 2027-03-20",
        "--now",
        "2027-03-22T10:00:00-04:00",
        "--json",
        str(stopped),
        "--ics",
        str(tmp_path / "r2.ics"),
        "-q",
    )
    assert second.code == 0, second.err
    diff = run("diff", str(plan), str(stopped))
    assert diff.code == 1
    produced = {
        "reschedule-adult.txt": (first.out + second.out).replace(str(tmp_path), "out").encode(),
        "reschedule-adult-r2.json": stopped.read_bytes(),
        "reschedule-adult-r2.ics": (tmp_path / "r2.ics").read_bytes(),
        "reschedule-adult-diff.txt": diff.out.replace(str(tmp_path), "out").encode(),
    }
    match_golden(produced)


def test_flow_study_example_matches_golden_files(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """CSF flow not yet known: the adult example with a flow study before the first IT dose and
    tentative doses, then the result recorded (`reschedule --csf-flow normal`), as `make demo` runs it."""
    plan, recorded = tmp_path / "plan.json", tmp_path / "r1.json"
    made = run(
        "plan", str(EXAMPLES / "patient-adult.toml"), "--csf-flow", "unknown", "--now", NOW,
        "--json", str(plan), "--ics", str(tmp_path / "plan.ics"),
    )  # fmt: skip
    assert made.code == 0, made.err
    result = run(
        "reschedule", str(plan), "--csf-flow", "normal", "--reason", "Flow study 2026-12-10: normal flow",
        "--now", "2026-12-11T15:00:00-05:00", "--json", str(recorded), "-q",
    )  # fmt: skip
    assert result.code == 0, result.err
    match_golden(
        {
            "flow-adult.txt": made.out.encode(),
            "flow-adult.ics": (tmp_path / "plan.ics").read_bytes(),
            "flow-adult-r1.txt": result.out.replace(str(tmp_path), "out").encode(),
            "flow-adult-r1.json": recorded.read_bytes(),
        }
    )
