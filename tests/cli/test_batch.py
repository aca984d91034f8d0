"""`lmsched batch` through the real CLI: rows, hostile ids, the summary, the agenda and parallel runs."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from pathlib import Path

import icalendar
import pytest

from scheduler.batch import prepare_rows, safe_id

from ..conftest import EXAMPLES, NOW

HEADER = "patient_id,patient_name,start,age,route,formulation,rt,rt_start"
GOOD = [
    "A-001,Ada One,2026-12-01,45,ommaya,,,",
    "A-002,Bo Two,2026-12-01,60,lumbar,,wbrt-30gy-10fx,2026-11-23",
    "A-003,,2026-12-02,8,ommaya,,,",
]


def write_csv(path: Path, *lines: str, header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *lines]) + "\n")
    return path


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def summary(out: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((out / "summary.csv").read_text())))


def test_good_bad_blocked_and_hostile_rows(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    patients = write_csv(
        tmp_path / "patients.csv",
        *GOOD,
        "A-004,Bad Age,2026-12-01,200,ommaya,,,",  # invalid: age
        "A-005,Preserved,2026-12-01,45,ommaya,preserved,,",  # blocked: preserved formulation
        "../escape,Dot Dot,2026-12-01,45,ommaya,,,",
        "/etc/passwd,Root,2026-12-01,45,ommaya,,,",
        "CON,Device,2026-12-01,45,ommaya,,,",
        ",No Id,2026-12-01,45,ommaya,,,",
        "A-001,Duplicate,2026-12-01,45,ommaya,,,",
        '=HYPERLINK("http://x"),Formula,2026-12-01,45,ommaya,,,',
        "summary.csv,Reserved,2026-12-01,45,ommaya,,,",
        "abc,Lower,2026-12-01,45,ommaya,,,",
        "ABC,Upper,2026-12-01,45,ommaya,,,",
    )
    out = tmp_path / "out"
    before = tree(tmp_path)
    result = run(
        "batch", str(patients), "--out", str(out), "--formats", "json,ics,pdf", "--now", NOW, "--jobs", "1"
    )
    assert result.code == 1, result.err
    # Nothing outside DIR: the only new paths are under out/.
    assert {p for p in tree(tmp_path) - before if not p.startswith("out")} == set()
    rows = {r["row"]: r for r in summary(out)}
    assert len(rows) == 14
    outcomes = {r["patient_id"] or r["where"]: r["outcome"] for r in rows.values()}
    assert outcomes["A-004"] == "invalid" and "age" in rows["4"]["reason"]
    assert outcomes["A-005"] == "blocked" and "preserved-formulation-intrathecal" in rows["5"]["reason"]
    dup = [r for r in rows.values() if r["patient_id"] == "A-001" and r["outcome"] != "ok"]
    assert dup and "also on line 2" in dup[0]["reason"]
    folders = {r["patient_id"]: r["folder"] for r in rows.values() if r["outcome"] == "ok"}
    assert folders["../escape"] == "escape" and folders["/etc/passwd"] == "etc_passwd"
    assert folders["CON"] == "_CON" and folders["summary.csv"] == "_summary.csv"
    assert folders[""] == "row-9" and folders["abc"] == "abc" and folders["ABC"] == "ABC-2"
    assert folders['\'=HYPERLINK("http://x")'] == "HYPERLINK_http_x"
    for folder in folders.values():
        assert {p.name for p in (out / folder).iterdir()} == {"plan.json", "plan.ics", "plan.pdf"}
    # The summary never hands a spreadsheet a formula.
    cells = [cell for row in csv.reader(io.StringIO((out / "summary.csv").read_text())) for cell in row]
    assert '\'=HYPERLINK("http://x")' in cells and not [c for c in cells if c.startswith("=")]
    # Each failed row is named on the terminal with its line, id and reason.
    assert "line 5 (A-004): invalid: age" in result.out
    assert "line 6 (A-005): blocked: preserved-formulation-intrathecal" in result.out
    assert "14 patients: 11 ok, 2 invalid, 1 blocked" in result.out
    assert "Planning" not in result.err  # no progress bar when not on a terminal


def test_all_good_rows_exit_0_and_clinic_calendar(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    patients = write_csv(tmp_path / "p.csv", *GOOD)
    out = tmp_path / "out"
    result = run(
        "batch", str(patients), "--out", str(out), "--formats", "ics", "--audience", "staff", "--now", NOW
    )
    assert result.code == 0, result.err
    plans = {}
    for row in summary(out):
        assert row["outcome"] == "ok"
        plans[row["folder"]] = (out / row["folder"] / "plan.ics").read_bytes()
    calendar = icalendar.Calendar.from_ical((out / "clinic.ics").read_bytes())
    events = calendar.walk("VEVENT")
    uids = [str(e["UID"]) for e in events]
    assert len(uids) == len(set(uids))
    it_counts = sum(
        1
        for ics in plans.values()
        for e in icalendar.Calendar.from_ical(ics).walk("VEVENT")
        if "INTRATHECAL" in str(e.get("CATEGORIES").to_ical()).upper()
        or str(e["SUMMARY"]).split(": ", 1)[-1].startswith("Intrathecal")
    )
    agenda = list(csv.DictReader(io.StringIO((out / "agenda.csv").read_text())))
    # clinic.ics is what the agenda shows: its IT sessions, its clinic checks (blood counts), the
    # RT fractions (no chair) and the CSF cytology drawn at an IT dose (a row's checks_at_session,
    # its own VEVENT there)
    assert sum(r["kind"] == "it-dose" for r in agenda) == it_counts > 0
    at_session = sum(bool(r["checks_at_session"]) for r in agenda)
    assert {r["kind"] for r in agenda} == {"it-dose", "check", "rt-fraction"} and at_session > 0
    assert all(
        r["books_chair"] == "no" and not r["chairs_in_use"] for r in agenda if r["kind"] == "rt-fraction"
    )
    assert len(events) == len(agenda) + at_session
    assert calendar.walk("VTIMEZONE") and all(not e.walk("VALARM") for e in events)
    # each VEVENT is the patient's own (staff) one; checks done elsewhere stay in the patient's
    patient_uids = {
        str(e["UID"]) for ics in plans.values() for e in icalendar.Calendar.from_ical(ics).walk("VEVENT")
    }
    assert set(uids) < patient_uids
    summaries = " ".join(str(e["SUMMARY"]) for e in events)
    assert "Blood count" in summaries and "CSF cytology" in summaries
    assert "MRI" not in summaries and "flow study" not in summaries


def test_an_over_full_day_is_flagged_everywhere(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = [f"C-{n},,2026-12-01,45,ommaya,,," for n in range(5)]
    patients = write_csv(tmp_path / "p.csv", *rows)
    out = tmp_path / "out"
    result = run(
        "batch", str(patients), "--out", str(out), "--formats", "json", "--chairs", "4", "--now", NOW
    )
    assert result.code == 0, result.err
    assert "2026-12-01 09:00-10:00" in result.out and "5" in result.out and "4 chairs" in result.out
    agenda = list(csv.DictReader(io.StringIO((out / "agenda.csv").read_text())))
    first_day = [r for r in agenda if r["date"] == "2026-12-01" and r["kind"] == "it-dose"]
    assert len(first_day) == 5 and all(r["over_capacity"] == "yes" for r in first_day)
    # each IT dose's blood count (08:45-09:00) is on the agenda too, without a chair: never over
    counts = [r for r in agenda if r["date"] == "2026-12-01" and r["kind"] == "check"]
    assert [(r["time"], r["end"], r["minutes"], r["books_chair"]) for r in counts] == [
        ("08:45", "09:00", "15", "no")
    ] * 5
    assert all(r["over_capacity"] == r["chairs_in_use"] == "" and r["chair_min"] == "0" for r in counts)
    assert all("2026-12-01" in r["over_capacity"] for r in summary(out))
    roomy = run(
        "batch",
        str(patients),
        "--out",
        str(tmp_path / "roomy"),
        "--formats",
        "json",
        "--chairs",
        "5",
        "--now",
        NOW,
    )
    assert roomy.code == 0 and "over capacity" not in roomy.out.lower()


def test_chairs_from_the_clinic_file(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    clinic = tmp_path / "clinic.toml"
    clinic.write_text("chairs = { tue = 2 }\n" + (EXAMPLES / "clinic.toml").read_text())
    shutil.copy(EXAMPLES / "demo-site-key", tmp_path / "demo-site-key")  # named by clinic.toml
    patients = write_csv(tmp_path / "p.csv", *[f"D-{n},,2026-12-01,45,ommaya,,," for n in range(3)])
    out = tmp_path / "out"
    result = run(
        "batch", str(patients), "--out", str(out), "--clinic", str(clinic), "--formats", "json", "--now", NOW
    )
    assert result.code == 0, result.err
    assert "2026-12-01 09:00-10:00" in result.out  # Tuesday: 3 at once, 2 chairs
    assert "2026-12-04" not in result.out  # Friday: no chairs given, nothing flagged


def test_jobs_1_and_2_give_identical_outputs(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = [*GOOD, *[f"E-{n},,2026-12-0{1 + n % 3},{20 + n},ommaya,,," for n in range(9)]]
    patients = write_csv(tmp_path / "p.csv", *rows, "E-bad,,2026-12-01,x,ommaya,,,")
    outputs = {}
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}"
        result = run(
            "batch",
            str(patients),
            "--out",
            str(out),
            "--formats",
            "json,csv,ics,pdf",
            "--jobs",
            jobs,
            "--chairs",
            "3",
            "--now",
            NOW,
        )
        assert result.code == 1
        outputs[jobs] = {p: (out / p).read_bytes() for p in tree(out) if (out / p).is_file()}
    assert outputs["1"].keys() == outputs["2"].keys() and len(outputs["1"]) == 12 * 4 + 4
    for name in outputs["1"]:
        assert outputs["1"][name] == outputs["2"][name], name


def test_a_folder_of_patient_files(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "patients"
    folder.mkdir()
    for name in ("patient-adult.toml", "patient-child.toml", "clinic.toml", "demo-site-key"):
        (folder / name).write_text((EXAMPLES / name).read_text())
    out = tmp_path / "out"
    result = run("batch", str(folder), "--out", str(out), "--formats", "json", "--now", NOW)
    # clinic.toml is not a patient: its row is invalid, the two patients are planned.
    rows = {r["where"]: r for r in summary(out)}
    assert (
        rows["patient-adult.toml"]["folder"] == "RCC-000123" and rows["patient-adult.toml"]["outcome"] == "ok"
    )
    assert rows["patient-child.toml"]["outcome"] == "ok" and rows["clinic.toml"]["outcome"] == "invalid"
    assert result.code == 1
    plan = json.loads((out / "RCC-000123" / "plan.json").read_text())
    assert plan["inputs"]["clinic"]["name"].startswith("Riverside")


@pytest.mark.parametrize(
    ("content", "args", "words"),
    [
        (
            "patient_id,start,age,route,colour\nX,2026-12-01,45,ommaya,red\n",
            (),
            ["PATIENTS:", "unknown column 'colour'"],
        ),
        ("", (), ["PATIENTS:", "no header"]),
        (HEADER + "\n", (), ["PATIENTS:", "no patients"]),
        (
            HEADER + "\n" + GOOD[0] + "\n",
            ("--formats", "ics,docx"),
            ["formats:", "'docx'", "valid: json, csv, ics, pdf"],
        ),
        (HEADER + "\n" + GOOD[0] + "\n", ("--now", "yesterday"), ["now:"]),
        (HEADER + "\n" + GOOD[0] + "\n", ("--jobs", "0"), ["--jobs"]),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(  # type: ignore[no-untyped-def]
    run, tmp_path: Path, content: str, args: tuple[str, ...], words: list[str]
) -> None:
    patients = tmp_path / "p.csv"
    patients.write_text(content)
    out = tmp_path / "out"
    result = run("batch", str(patients), "--out", str(out), *args)
    assert result.code == 2, (result.out, result.err)
    assert result.err.count("\n") == 1 and "Traceback" not in result.err
    for word in words:
        assert word in result.err
    assert not out.exists()


def test_out_must_be_a_folder_and_patients_must_exist(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    patients = write_csv(tmp_path / "p.csv", *GOOD)
    a_file = tmp_path / "file"
    a_file.write_text("x")
    result = run("batch", str(patients), "--out", str(a_file))
    assert result.code == 2 and "is a file" in result.err and a_file.read_text() == "x"
    missing = run("batch", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "o"))
    assert missing.code == 2 and "does not exist" in missing.err
    own = write_csv(tmp_path / "summary.csv", *GOOD)
    clobber = run("batch", str(own), "--out", str(tmp_path))
    assert clobber.code == 2 and "PATIENTS: " in clobber.err and "would be overwritten" in clobber.err
    assert own.read_text().startswith(HEADER)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../x", "x"),
        ("/etc/passwd", "etc_passwd"),
        ("..", "row-7"),
        ("", "row-7"),
        ("CON", "_CON"),
        ("lpt1.txt", "_lpt1.txt"),
        ("agenda.pdf", "_agenda.pdf"),
        ("Agenda-12.pdf", "_Agenda-12.pdf"),  # a long agenda's volume 12
        ("agenda-x.pdf", "agenda-x.pdf"),
        ("Søren Ø", "S_ren"),
        ("José", "Jose"),
        ("a" * 100, "a" * 64),
        ("-rf", "rf"),
        ("x\\..\\y", "x_.._y"),
    ],
)
def test_safe_id(given: str, expected: str) -> None:
    folder = safe_id(given, 7)
    assert folder == expected
    assert "/" not in folder and "\\" not in folder and folder not in ("", ".", "..")
    assert (Path("/out") / folder).resolve().parent == Path("/out")


def test_prepared_rows_never_share_a_folder() -> None:
    from scheduler.batch import Row

    ids = ["a", "A", "a", "../a", "a-2", ""]
    rows = list(
        prepare_rows(Row(n, f"line {n + 1}", {"patient_id": i} if i else {}) for n, i in enumerate(ids, 1))
    )
    folders = [r.folder.lower() for r in rows]
    assert len(folders) == len(set(folders))
    assert rows[2].problem and "also on line 2" in rows[2].problem
    assert os.path.sep not in "".join(folders)


def test_a_progress_bar_only_on_a_terminal(tmp_path: Path) -> None:
    """With stderr on a terminal (a real pseudo-terminal here) the batch shows its progress."""
    import pty
    import subprocess
    import sys

    patients = write_csv(tmp_path / "p.csv", *GOOD)
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "scheduler",
            "batch",
            str(patients),
            "--out",
            str(tmp_path / "out"),
            "--formats",
            "json",
            "--now",
            NOW,
        ],
        stdout=subprocess.PIPE,
        stderr=secondary,
    )
    os.close(secondary)
    out, _ = proc.communicate(timeout=120)
    shown = b""
    while True:
        try:
            chunk = os.read(primary, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(primary)
    assert proc.returncode == 0
    assert b"Planning" in shown and b"100%" in shown
    assert b"Planning" not in out


def test_patient_rows_are_read_again_for_each_pass_and_a_changed_file_is_refused(tmp_path: Path) -> None:
    from scheduler.batch import PatientRows
    from scheduler.errors import InputError

    patients = write_csv(tmp_path / "p.csv", "A-1,,2026-12-01,45,ommaya,,,", "A-2,,2026-12-02,50,lumbar,,,")
    rows = PatientRows(patients)
    assert len(rows) == 2
    first = [(r.number, r.folder, r.fields) for r in rows]
    assert first == [(r.number, r.folder, r.fields) for r in rows]  # the same rows, pass after pass
    assert first[1][1] == "A-2"
    with patients.open("a", encoding="utf-8") as fh:
        fh.write("A-3,,2026-12-03,60,ommaya,,,\n")
    with pytest.raises(InputError, match="changed while the batch was reading it"):
        iter(rows)
    # a pipe cannot be read twice: its bytes are kept
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    import threading

    writer = threading.Thread(target=lambda: fifo.write_bytes(patients.read_bytes()))
    writer.start()
    piped = PatientRows(fifo)
    writer.join()
    assert len(piped) == 3 and [r.folder for r in piped] == ["A-1", "A-2", "A-3"] == [r.folder for r in piped]
