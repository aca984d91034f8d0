"""Golden plan files for the examples, through the real CLI. Regenerate with `make golden` and
review the diff: a change here is a change in what schedulers and pharmacists receive."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .conftest import EXAMPLES, NOW, ROOT

GOLDEN = ROOT / "tests" / "golden"
CASES = ["adult", "child"]


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
    for name, data in produced.items():
        golden = GOLDEN / name
        if os.environ.get("UPDATE_GOLDEN"):
            golden.write_bytes(data)
        assert golden.exists(), f"{golden} missing: run `make golden`"
        assert data == golden.read_bytes(), (
            f"{name} differs from the golden file: run `make golden` and review"
        )
