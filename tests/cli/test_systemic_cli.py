"""`lmsched plan` with systemic courses, as a user types them: course flags bind to the course
named before them, the patient file's [[systemic]] tables, and every bad input is one line, exit
2, with nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ..conftest import EXAMPLES, NOW

BASE = ("plan", "--start", "2027-01-04", "--age", "55", "--route", "ommaya", "--now", NOW, "-q")
BODY = ("--weight-kg", "72", "--height-cm", "170", "--weight-date", "2026-12-28")


def systemic_courses(path: Path) -> list[dict[str, object]]:
    return json.loads(path.read_text())["inputs"]["systemic"]


def test_two_courses_each_with_its_own_options(run, tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    result = run(
        *BASE,
        *BODY,
        "--systemic", "sys-tdxd-q3w", "--systemic-start", "2027-01-05", "--dose-level", "-1",
        "--systemic", "sys-osimertinib-80", "--cycles", "2", "--systemic-start", "2027-02-01",
        "--json", str(out),
    )  # fmt: skip
    assert result.code == 0, result.err
    assert systemic_courses(out) == [
        {"template": "sys-tdxd-q3w", "start": "2027-01-05", "cycles": None, "dose_level": -1},
        {"template": "sys-osimertinib-80", "start": "2027-02-01", "cycles": 2, "dose_level": 0},
    ]
    events = json.loads(out.read_text())["events"]
    tdxd = [e for e in events if e["kind"] == "infusion"]
    assert len(tdxd) == 6 and tdxd[0]["dose_mg"] == 317  # 4.4 mg/kg x 72 kg
    assert tdxd[0]["cycle"] == 1 and tdxd[0]["cycle_day"] == 1 and "4.4 mg/kg x 72 kg" in tdxd[0]["dose_calc"]


def test_the_patient_file_courses_and_flags_replace_them(run, tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    assert run("plan", str(EXAMPLES / "patient-her2.toml"), "--now", NOW, "-q", "--json", str(out)).code == 0
    assert [c["template"] for c in systemic_courses(out)] == ["sys-tdxd-q3w"]
    assert systemic_courses(out)[0]["cycles"] == 8
    result = run(
        "plan", str(EXAMPLES / "patient-her2.toml"), "--now", NOW, "-q", "--json", str(out),
        "--systemic", "sys-her2climb", "--systemic-start", "2027-01-05",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert [c["template"] for c in systemic_courses(out)] == ["sys-her2climb"]


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (("--cycles", "3", "--systemic", "sys-tdxd-q3w", "--systemic-start", "2027-01-05"), ("--cycles", "--systemic")),
        (("--systemic", "sys-tdxd-q3w"), ("--systemic-start",)),
        (("--systemic", "nope", "--systemic-start", "2027-01-05"), ("sys-tdxd-q3w", "sys-her2climb")),
        (("--systemic", "sys-tdxd-q3w", "--systemic-start", "2027-01-05", "--dose-level", "-3"), ("dose_level", "-2")),
        (("--systemic", "sys-tdxd-q3w", "--systemic-start", "2027-01-05", "--dose-level", "1"), ("dose_level",)),
        (("--systemic", "sys-tdxd-q3w", "--systemic-start", "2027-01-05", "--cycles", "0"), ("cycles",)),
        (("--systemic", "sys-tdxd-q3w", "--systemic-start", "2027-01-05", "--cycles", "1", "--cycles", "2"), ("twice",)),
        (
            ("--systemic", "sys-tdxd-q3w", "--systemic-start", "2027-01-05", "--systemic", "sys-tdxd-q3w",
             "--systemic-start", "2027-02-05"),
            ("given twice",),
        ),
        (("--systemic", "sys-tdxd-q3w", "--systemic-start", "2027-02-30"), ("--systemic-start", "2027-02-30")),
        (("--systemic", "sys-tdxd-q3w", "--systemic-start", "2027-01-05", "--weight-kg", "500"), ("--weight-kg", "300")),
        (("--systemic", "sys-tdxd-q3w", "--systemic-start", "2027-01-05", "--weight-kg", "7O"), ("--weight-kg",)),
        (("--systemic", "sys-her2climb", "--systemic-start", "2027-01-05", "--height-cm", "99"), ("--height-cm", "120")),
        (("--weight-date", "2026-12-01"), ("weight_date", "--weight-kg")),
    ],
)  # fmt: skip
def test_bad_course_input_is_one_line_exit_2_nothing_written(run, tmp_path: Path, args, names) -> None:
    out = tmp_path / "plan.json"
    body = list(BODY)
    if any(a in args for a in ("--weight-kg", "--height-cm", "--weight-date")):
        body = []  # the case sets its own
    result = run(*BASE, *body, *args, "--json", str(out))
    assert result.code == 2, (result.code, result.err)
    line = result.err.strip()
    assert "\n" not in line and "Traceback" not in line
    for name in names:
        assert name in line, (name, line)
    assert not out.exists()


def test_missing_weight_for_a_body_size_template(run, tmp_path: Path) -> None:
    result = run(*BASE, "--systemic", "sys-tdxd-q3w", "--systemic-start", "2027-01-05")
    assert result.code == 2 and "weight_kg" in result.err and "--weight-kg" in result.err
    result = run(*BASE, "--systemic", "sys-tdxd-q3w", "--systemic-start", "2027-01-05", "--weight-kg", "70")
    assert result.code == 2 and "--weight-date" in result.err


def test_fixed_dose_tablets_need_no_weight(run) -> None:
    result = run(*BASE, "--systemic", "sys-osimertinib-80", "--systemic-start", "2027-01-05")
    assert result.code == 0, result.err


def test_braf_mek_with_rt_stops_until_the_hold_is_inserted(run, tmp_path: Path) -> None:
    course = ("--systemic", "sys-dabrafenib-trametinib", "--systemic-start", "2027-01-04")
    rt = ("--rt", "focal-30gy-10fx", "--rt-start", "2027-01-18")
    out = tmp_path / "plan.json"
    blocked = run(*BASE, *course, *rt, "--json", str(out))
    assert blocked.code == 3 and "braf-mek-around-rt" in blocked.err and not out.exists()
    held = run(*BASE, *course, *rt, "--hold-around-rt", "--json", str(out))
    assert held.code == 0, held.err
    plan = json.loads(out.read_text())
    assert plan["inputs"]["hold_around_rt"] is True
    assert any("held" in n and "S21" in n for n in plan["notes"])


def test_help_lists_the_course_options(run) -> None:
    result = run("plan", "--help")
    for flag in ("--systemic", "--systemic-start", "--cycles", "--dose-level", "--weight-kg", "--height-cm",
                 "--weight-date", "--hold-around-rt"):  # fmt: skip
        assert flag in result.out


def test_patient_file_course_errors_name_the_key(run, tmp_path: Path) -> None:
    patient = tmp_path / "p.toml"
    patient.write_text(
        'start = 2027-01-04\nage = 50\nroute = "ommaya"\nweight_kg = 70\nweight_date = 2027-01-01\n'
        '[[systemic]]\ntemplate = "sys-tdxd-q3w"\nstart = 2027-01-05\ncycles = "many"\n'
    )
    result = run("plan", str(patient), "--now", NOW, "-q")
    assert result.code == 2 and "systemic.cycles" in result.err and "--cycles" in result.err
    patient.write_text(
        'start = 2027-01-04\nage = 50\nroute = "ommaya"\n[[systemic]]\ntemplate = "sys-osimertinib-80"\n'
        'start = 2027-01-05\nwhen = "now"\n'
    )
    result = run("plan", str(patient), "--now", NOW, "-q")
    assert result.code == 2 and "when" in result.err


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("--systemic", "", "--systemic-start", "2027-01-05"), "--systemic"),
        (("--systemic", "SYS TDXD", "--systemic-start", "2027-01-05"), "--systemic"),
        (("--rt", "WBRT", "--rt-start", "2027-01-05"), "--rt"),
        (("--regimen", "It Mtx"), "--regimen"),
    ],
)
def test_a_malformed_template_id_says_what_an_id_is(run, args: tuple[str, ...], field: str) -> None:
    result = run(*BASE, *args)
    assert result.code == 2 and field in result.err
    assert "is not a template id" in result.err and "lmsched templates" in result.err
    assert "pattern" not in result.err
