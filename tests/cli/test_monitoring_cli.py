"""Checks from the command line: the flow result recorded with `reschedule --csf-flow`, a
centre's [monitoring] settings in its clinic file, and bad settings refused (exit 2, one line,
nothing written)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler.plan import plan_from_json

from ..conftest import NOW

BASE = ("plan", "--start", "2027-01-11", "--age", "45", "--route", "ommaya", "--now", NOW)


def test_recording_flow_as_normal_confirms_the_doses(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first, second = tmp_path / "p0.json", tmp_path / "p1.json"
    made = run(*BASE, "--json", str(first))
    assert made.code == 0, made.err
    assert "csf-flow-unknown" in made.out and "CSF flow study (111In-DTPA)" in made.out
    revised = run(
        "reschedule", str(first), "--csf-flow", "normal", "--reason", "Flow study 2027-01-07 normal",
        "--now", "2027-01-08T10:00:00-05:00", "--json", str(second),
    )  # fmt: skip
    assert revised.code == 0, revised.err
    assert "CSF flow recorded as normal" in revised.out
    assert (
        "2027-01-11 -> same day  IT methotrexate 15 mg, dose 1 of 18 (induction) (tentative -> confirmed)"
        in (revised.out)
    )
    plan = plan_from_json(second.read_bytes())
    assert plan.inputs.csf_flow == "normal" and plan.changes[-1].reason == "Flow study 2027-01-07 normal"
    again = run("reschedule", str(second), "--csf-flow", "normal", "--json", str(tmp_path / "p2.json"))
    assert (
        again.code == 2 and again.err.count("\n") == 1 and "already records CSF flow as normal" in again.err
    )
    assert not (tmp_path / "p2.json").exists()


@pytest.mark.parametrize(
    ("table", "words"),
    [
        (
            "[monitoring.mon-mri]\nevery_weeks = 6\n",
            "'mon-mri' is not a check template (valid: mon-blood-count-it",
        ),
        (
            "[monitoring.mon-mri-neuraxis]\nevery_week = 6\n",
            "is not a known key (valid: at_days, every_weeks, off",
        ),
        ("[monitoring.mon-mri-neuraxis]\nevery_weeks = 0\n", "every_weeks"),
        ("[monitoring.mon-blood-count-it]\nevery_weeks = 2\n", "every_weeks goes with anchor = 'every'"),
        ("monitoring = 3\n", "monitoring"),
    ],
)
def test_a_bad_monitoring_setting_is_one_line_and_exit_2(run, tmp_path: Path, table: str, words: str) -> None:  # type: ignore[no-untyped-def]
    clinic = tmp_path / "clinic.toml"
    clinic.write_text('name = "Test clinic"\n' + table)
    out = tmp_path / "plan.json"
    result = run(*BASE, "--clinic", str(clinic), "--json", str(out))
    assert result.code == 2
    assert result.err.count("\n") == 1 and words in result.err and "Traceback" not in result.err
    assert not out.exists()


def test_a_centre_moves_the_blood_count_to_the_day_before(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    clinic = tmp_path / "clinic.toml"
    clinic.write_text('name = "Test clinic"\n[monitoring.mon-blood-count-it]\nopen_days_before = 1\n')
    out = tmp_path / "plan.json"
    result = run(*BASE, "--csf-flow", "normal", "--clinic", str(clinic), "--json", str(out))
    assert result.code == 0, result.err
    plan = plan_from_json(out.read_bytes())
    counts = [e for e in plan.events if e.course == "mon-blood-count-it"]
    assert [str(c.date) for c in counts[:3]] == ["2027-01-08", "2027-01-13", "2027-01-15"]  # MLK Day 01-18
    assert plan.inputs.clinic.monitoring["mon-blood-count-it"].open_days_before == 1


def test_templates_show_a_check(run) -> None:  # type: ignore[no-untyped-def]
    result = run("templates", "show", "mon-csf-cytology")
    assert result.code == 0, result.err
    assert "when:     at the first IT dose of each month" in result.out
    assert "at least 5 mL, ideally more than 10 mL" in result.out
    assert "interval: local convention" in result.out and "S26:" in result.out
