"""Every input that used to end in an internal error (exit 70) or that could deceive, run through
the real CLI: exit 2, one line that names the field, no traceback, nothing written, and an error
line that never echoes a huge input or a terminal escape back.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ..conftest import NOW, ROOT
from .test_cli import assert_one_error_line, snapshot, tmp_leftovers

GOLDEN_PLAN = ROOT / "tests" / "golden" / "plan-adult.json"  # the example adult plan, as make demo writes it

BASE = ("--start", "2026-12-01", "--age", "45", "--route", "ommaya")
GOOD_PATIENT = 'start = 2026-12-01\nage = "45"\nroute = "ommaya"\n'
DEEP_ARRAY = "x = " + "[" * 1000 + "]" * 1000 + "\n"
DEEP_TABLE = "x = " + "{a = " * 1000 + "1" + "}" * 1000 + "\n"
ESCAPE = "\x1b[2J\x1b]0;owned\x07"
HUGE = "A" * 5_000_000
PATIENTS_HEADER = "patient_id,start,age,route\n"
GIVEN_HEADER = "date,time,drug,dose_mg,route,lot,initials\n"
OBSTRUCTED = ("--csf-flow", "obstructed", "--override", "csf-flow-obstructed")


@dataclass
class Case:
    id: str
    args: tuple[str, ...]
    names: tuple[str, ...]  # each must appear in the error line
    files: dict[str, str | bytes] = field(default_factory=dict)
    command: str = "plan"

    def param(self) -> object:
        return pytest.param(self, id=self.id)


def plan(*extra: str, start: str = "2026-12-01") -> tuple[str, ...]:
    return ("--start", start, "--age", "45", "--route", "ommaya", *extra)


def _plan_text() -> str:
    return (GOLDEN_PLAN).read_text(encoding="utf-8")


CASES = [
    # dates beyond the supported range: refused up front, with the range
    Case("start-2199-12-31", plan(start="2199-12-31"), ("start", "1900-01-01", "2100-12-31")),
    Case("start-9999-12-31", plan(start="9999-12-31"), ("start", "2100-12-31")),
    Case("start-1850", plan(start="1850-01-01"), ("start", "1900-01-01")),
    Case(
        "rt-start-2199",
        plan("--rt", "wbrt-30gy-10fx", "--rt-start", "2199-12-30"),
        ("rt-start", "2100-12-31"),
    ),
    Case(
        "dob-year-1000",
        ("--start", "2026-12-01", "--dob", "1000-01-01", "--route", "ommaya"),
        ("dob", "1850"),
    ),
    Case("closed-beyond-2199", plan("--closed", "2199-12-31..2200-01-05"), ("closed", "2199-12-31")),
    Case("now-year-1-east-of-utc", plan("--now", "0001-01-01T00:00:00+14:00"), ("now", "supported range")),
    Case("now-year-9999-west-of-utc", plan("--now", "9999-12-31T23:59:59-14:00"), ("now", "supported range")),
    # zones (fixed by the lead in models.parse_zone: confirmed here)
    Case("tz-folder", plan("--tz", "America"), ("tz",)),
    Case("tz-300-characters", plan("--tz", "A" * 300), ("tz",)),
    Case("tz-with-escapes", plan("--tz", ESCAPE * 100), ("tz",)),
    # nesting and size
    Case("patient-toml-1000-deep", ("{tmp}/p.toml",), ("patient file", "20 levels"), {"p.toml": DEEP_ARRAY}),
    Case("patient-toml-1000-deep-tables", ("{tmp}/p.toml",), ("patient file",), {"p.toml": DEEP_TABLE}),
    Case(
        "clinic-toml-1000-deep",
        plan("--clinic", "{tmp}/c.toml"),
        ("clinic", "20 levels"),
        {"c.toml": DEEP_ARRAY},
    ),
    Case("policy-toml-1000-deep", plan("--policy", "{tmp}/pol.toml"), ("policy",), {"pol.toml": DEEP_TABLE}),
    Case(
        "patient-toml-over-1-mb",
        ("{tmp}/p.toml",),
        ("patient file", "1 MB"),
        {"p.toml": GOOD_PATIENT + "# " + "x" * 1_100_000 + "\n"},
    ),
    Case(
        "clinic-toml-5-mb-name",
        plan("--clinic", "{tmp}/c.toml"),
        ("clinic", "1 MB"),
        {"c.toml": f'name = "{HUGE}"\n'},
    ),
    Case(
        "clinic-toml-long-name",
        plan("--clinic", "{tmp}/c.toml"),
        ("name",),
        {"c.toml": f'name = "{"A" * 500_000}"\n'},
    ),
    # numbers
    Case("age-arabic-indic-digits", (*plan()[:2], "--age", "٤٥", "--route", "ommaya"), ("age",)),
    Case("kps-arabic-indic-digits", plan("--kps", "\u0664\u0665"), ("kps", "digits 0-9")),
    Case("maintenance-full-width", plan("--maintenance", "\uff14"), ("maintenance", "digits 0-9")),
    Case("crcl-nan", plan("--crcl", "nan"), ("crcl",)),
    Case("crcl-inf", plan("--crcl", "inf"), ("crcl",)),
    Case("dose-1e400", plan("--dose", "1e400"), ("dose",)),
    Case("duration-underscore", plan("--duration", "6_0"), ("duration",)),
    Case("maintenance-huge", plan("--maintenance", "9" * 5000), ("maintenance",)),
    Case(
        "kps-in-toml-arabic", ("{tmp}/p.toml",), ("kps",), {"p.toml": GOOD_PATIENT + 'kps = "\u0664\u0665"\n'}
    ),
    Case(
        "crcl-in-toml-nan", ("{tmp}/p.toml",), ("crcl", "finite"), {"p.toml": GOOD_PATIENT + "crcl = nan\n"}
    ),
    Case("dose-in-toml-inf", ("{tmp}/p.toml",), ("dose",), {"p.toml": GOOD_PATIENT + "dose = inf\n"}),
    Case("time-arabic-digits", plan("--time", "\u0660\u0669:\u0660\u0660"), ("time",)),
    # text that deceives
    Case("name-right-to-left-override", plan("--patient-name", "Ann \u202eevil"), ("patient-name", "U+202E")),
    Case("id-isolate", plan("--patient-id", "RCC\u2066123"), ("patient-id", "U+2066")),
    Case("id-zero-width-joiner", plan("--patient-id", "RCC\u200d123"), ("patient-id",)),
    Case("clinic-name-bidi", plan("--clinic", "{tmp}/c.toml"), ("name",), {"c.toml": 'name = "A\\u202eB"\n'}),
    Case(
        "reason-zero-width-padding",
        plan(*OBSTRUCTED, "--override-reason", "a" + "\u200d" * 8 + " b"),
        ("reason", "visible"),
    ),
    Case(
        "reason-bidi", plan(*OBSTRUCTED, "--override-reason", "Discussed \u202eat tumour board"), ("reason",)
    ),
    Case(
        "decided-by-bidi",
        plan(*OBSTRUCTED, "--override-reason", "Discussed at board", "--decided-by", "Dr \u202eX"),
        ("decided",),
    ),
    Case(
        "policy-name-bidi",
        plan("--policy", "{tmp}/pol.toml"),
        ("policy.name", "U+202E"),
        {"pol.toml": 'name = "Site \\u202e A"\n'},
    ),
    Case("name-undecodable-byte", plan("--patient-name", "Ann\udcff"), ("patient-name", "UTF-8")),
    # huge inputs and escapes echoed
    Case("age-5-mb", (*plan()[:2], "--age", HUGE, "--route", "ommaya"), ("age",)),
    Case("start-escapes", ("--start", ESCAPE * 50, "--age", "45", "--route", "ommaya"), ("start",)),
    Case("route-escapes", ("--start", "2026-12-01", "--age", "45", "--route", ESCAPE * 50), ("route",)),
    Case("maintenance-escapes", plan("--maintenance", ESCAPE * 50), ("maintenance",)),
    Case("override-5-mb", plan("--override", HUGE, "--override-reason", "Discussed at board"), ("override",)),
    Case("name-5-mb-with-escape", plan("--patient-name", HUGE + ESCAPE), ("patient-name",)),
    Case("now-escapes", plan("--now", "2026-11-23T09:00:00" + ESCAPE * 50), ("now",)),
]


def _setup(tmp_path: Path, case: Case) -> list[str]:
    for name, text in case.files.items():
        path = tmp_path / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    (tmp_path / "out").mkdir()
    args = [a.replace("{tmp}", str(tmp_path)) for a in case.args]
    args += ["--json", str(tmp_path / "out" / "plan.json"), "--csv", str(tmp_path / "out" / "plan.csv")]
    if "--now" not in args:
        args += ["--now", NOW]
    return [case.command, *args]


def assert_safe_refusal(result, names: tuple[str, ...]) -> str:  # type: ignore[no-untyped-def]
    line = assert_one_error_line(result.err)
    assert result.code == 2, f"exit {result.code}: {line[:300]}"
    assert "internal error" not in line
    # the longest honest line lists every rule id (about 700 characters): far below any echo
    assert len(line) < 1000, f"an error line of {len(line)} characters echoes the input"
    assert not any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in line), f"raw control character: {line!r}"
    assert not any(0x202A <= ord(c) <= 0x202E or 0x2066 <= ord(c) <= 0x2069 for c in line), line
    for name in names:
        assert name in line, f"error does not name {name!r}: {line}"
    return line


@pytest.mark.parametrize("case", [c.param() for c in CASES])
def test_hostile_input_exits_2_with_one_safe_line_and_writes_nothing(run, tmp_path: Path, case: Case) -> None:  # type: ignore[no-untyped-def]
    argv = _setup(tmp_path, case)
    before = snapshot(tmp_path)
    result = run(*argv)
    assert_safe_refusal(result, case.names)
    assert snapshot(tmp_path) == before, "a refused run created or changed a file"
    assert not tmp_leftovers(tmp_path, tmp_path / "out")


def test_a_quoted_input_is_cut_to_about_sixty_characters(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = run("plan", "--start", "2026-12-01", "--age", "x" * 5000, "--route", "ommaya", "--now", NOW)
    line = assert_safe_refusal(result, ("age", "5000 characters"))
    assert "x" * 61 not in line and "x" * 50 in line


# --- plan files ----------------------------------------------------------------------------------------

PLAN_CASES = [
    pytest.param(lambda t: "[" * 100_000 + "]" * 100_000, ("PLAN", "20 levels"), id="nested-100000-deep"),
    pytest.param(
        lambda t: t.replace('"revision": 0', '"revision": ' + "9" * 5000, 1),
        ("PLAN", "digits"),
        id="5000-digit-integer",
    ),
    pytest.param(
        lambda t: t.replace('"dose_mg": 15,', '"dose_mg": 150, "dose_mg": 15,', 1),
        ("PLAN", "'dose_mg' appears twice"),
        id="duplicate-dose-key",
    ),
    pytest.param(
        lambda t: t.replace('"schema_version": 1', '"schema_version": true', 1),
        ("schema_version", "true", "valid: 1"),
        id="schema-version-true",
    ),
    pytest.param(
        lambda t: t.replace('"schema_version": 1', '"schema_version": 1.0', 1),
        ("schema_version", "1.0"),
        id="schema-version-float",
    ),
    pytest.param(
        lambda t: t.replace('"schema_version": 1', '"schema_version": "1"', 1),
        ("schema_version",),
        id="schema-version-string",
    ),
    pytest.param(lambda t: t.replace('"revision": 0', '"revision": NaN', 1), ("PLAN", "NaN"), id="nan"),
    pytest.param(lambda t: t + " " * 21_000_000, ("PLAN", "20 MB"), id="over-20-mb"),
    pytest.param(
        lambda t: t.replace('"uid": "766d51ddb386862031f3d90cb4637106@lmsched"', '"uid": ""', 1),
        ("PLAN",),
        id="event-with-an-empty-uid",
    ),
    pytest.param(
        lambda t: t.replace(
            '"tz": "America/New_York",\n      "duration_min"', '"tz": "America",\n      "duration_min"', 1
        ),
        ("PLAN",),
        id="event-with-a-folder-as-zone",
    ),
]


@pytest.mark.parametrize(("edit", "names"), PLAN_CASES)
@pytest.mark.parametrize("accept_edited", [False, True], ids=["strict", "accept-edited"])
def test_a_plan_file_that_breaks_the_parser_or_hides_an_edit_is_refused(
    run, tmp_path: Path, edit, names, accept_edited: bool
) -> None:  # type: ignore[no-untyped-def]
    text = _plan_text()
    assert '"dose_mg": 15,' in text and '"revision": 0' in text and '"schema_version": 1' in text
    plan_path = tmp_path / "plan.json"
    plan_path.write_text(edit(text), encoding="utf-8")
    before = snapshot(tmp_path)
    extra = ["--accept-edited"] if accept_edited else []
    result = run("export", str(plan_path), "--csv", str(tmp_path / "out.csv"), *extra)
    assert_safe_refusal(result, names)
    assert snapshot(tmp_path) == before


def test_the_unedited_example_plan_still_exports(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    plan_path = tmp_path / "plan.json"
    shutil.copy(GOLDEN_PLAN, plan_path)
    result = run("export", str(plan_path), "--csv", str(tmp_path / "out.csv"))
    assert result.code == 0, result.err
    assert json.loads(plan_path.read_text())["schema_version"] == 1


# --- reschedule, reconcile and batch ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (("--hold-from", "2026-12-08", "--resume", "2199-12-30"), ("resume", "2100-12-31")),
        (("--delay", "2026-12-08", "--days", "\u0667"), ("--days", "digits 0-9")),
        (("--delay", "2026-12-08", "--days", "7", "--now", "0001-01-01T00:00:00+14:00"), ("now",)),
    ],
)
def test_reschedule_hostile_inputs(run, tmp_path: Path, args, names) -> None:  # type: ignore[no-untyped-def]
    plan_path = tmp_path / "plan.json"
    shutil.copy(GOLDEN_PLAN, plan_path)
    before = snapshot(tmp_path)
    result = run("reschedule", str(plan_path), *args, "--json", str(tmp_path / "r.json"))
    assert_safe_refusal(result, names)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("row", "names"),
    [
        ("2026-12-01,09:00,methotrexate,\u0661\u0662,ommaya,L1,AB", ("dose_mg",)),
        ("\uff12026-12-01,09:00,methotrexate,12,ommaya,L1,AB", ("date",)),
        ("2299-12-01,09:00,methotrexate,12,ommaya,L1,AB", ("date", "2199-12-31")),
        ("2026-12-01,09:00,methotrexate,12,ommaya,L1," + HUGE, ("GIVEN",)),
        ("2026-12-01,09:00,methotrexate,1\x002,ommaya,L1,AB", ("dose_mg",)),
        ("2026-12-01,09:00,methotrexate,nan,ommaya,L1,AB", ("dose_mg",)),
    ],
    ids=["arabic-dose", "full-width-date", "date-2299", "5-mb-cell", "nul-byte", "nan-dose"],
)
def test_reconcile_hostile_records(run, tmp_path: Path, row: str, names) -> None:  # type: ignore[no-untyped-def]
    plan_path = tmp_path / "plan.json"
    shutil.copy(GOLDEN_PLAN, plan_path)
    given = tmp_path / "given.csv"
    given.write_text(GIVEN_HEADER + row + "\n", encoding="utf-8")
    before = snapshot(tmp_path)
    result = run(
        "reconcile", str(plan_path), str(given), "--as-of", "2026-12-31", "--json", str(tmp_path / "r.json")
    )
    assert_safe_refusal(result, names)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    "text",
    [
        PATIENTS_HEADER + "P1,2026-12-01,45," + HUGE + "\n",
        "x" * 200_000 + "\n",
    ],
    ids=["5-mb-cell", "huge-header"],
)
def test_batch_csv_with_a_cell_beyond_the_csv_limit_is_refused(run, tmp_path: Path, text: str) -> None:  # type: ignore[no-untyped-def]
    patients = tmp_path / "week.csv"
    patients.write_text(text, encoding="utf-8")
    before = snapshot(tmp_path)
    result = run("batch", str(patients), "--out", str(tmp_path / "out"), "--now", NOW)
    assert_safe_refusal(result, ("PATIENTS",))
    assert snapshot(tmp_path) == before


def test_batch_rows_with_deceptive_or_foreign_digit_values_are_invalid_rows(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    patients = tmp_path / "week.csv"
    patients.write_text(
        "\ufeff"
        + PATIENTS_HEADER
        + "P1,2026-12-01,\u0664\u0665,ommaya\nP\u202e2,2026-12-01,45,ommaya\nP3,2026-12-01,45,ommaya\n",
        encoding="utf-8",
    )
    result = run("batch", str(patients), "--out", str(tmp_path / "out"), "--now", NOW)
    assert result.code == 1, result.err  # two invalid rows, one planned
    summary = (tmp_path / "out" / "summary.csv").read_text(encoding="utf-8")
    assert "not an age" in summary and "U+202E" in summary
    assert "\u202e" not in summary and "P\\u202e2" in summary  # the refused id is shown escaped
    assert (tmp_path / "out" / "P3").is_dir()


def test_a_batch_folder_with_a_deeply_nested_patient_file_reports_that_row(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "patients"
    folder.mkdir()
    (folder / "a.toml").write_text(DEEP_ARRAY, encoding="utf-8")
    (folder / "b.toml").write_text(GOOD_PATIENT + 'patient_id = "B"\n', encoding="utf-8")
    result = run("batch", str(folder), "--out", str(tmp_path / "out"), "--now", NOW)
    assert result.code == 1, result.err
    assert "20 levels" in (tmp_path / "out" / "summary.csv").read_text(encoding="utf-8")


def test_persian_and_indic_names_with_joiners_are_planned(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for name in (
        "\u0646\u0633\u0631\u06cc\u0646 \u0645\u06cc\u200c\u062e\u0648\u0627\u0647",
        "\u0915\u094d\u200d\u0937\u093f\u0924\u093f",
    ):
        result = run("plan", *BASE, "--patient-name", name, "--json", str(tmp_path / "p.json"), "--now", NOW)
        assert result.code == 0, result.err
        assert json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))["patient"]["name"] == name
