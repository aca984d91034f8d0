"""The clinic workspace at work (issue 19): reschedule and reconcile by patient id with --save,
export and publish by patient id, batch --save, the agenda across patients after reschedules,
void and erase. Every test runs the real CLI on a real SQLite file."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
from pathlib import Path

import icalendar
import pytest
from pypdf import PdfReader

from ..conftest import NOW
from ..radicale_server import RadicaleServer as Radicale
from .test_publish import server_events

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
KEY = EXAMPLES / "demo-site-key"
LATER = "2026-12-16T15:00:00-05:00"


@pytest.fixture
def ws(run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:  # type: ignore[no-untyped-def]
    path = tmp_path / "clinic.lmsched"
    assert run("workspace", "init", str(path), "--site-key", str(KEY), "--now", NOW).code == 0
    monkeypatch.setenv("LMSCHED_WORKSPACE", str(path))
    monkeypatch.delenv("LMSCHED_SITE_KEY_FILE", raising=False)
    return path


def _plan(run, name: str = "adult", *extra: str):  # type: ignore[no-untyped-def]
    result = run("plan", str(EXAMPLES / f"patient-{name}.toml"), "--now", NOW, "--save", "-q", *extra)
    assert result.code == 0, result.err
    return result


def _delay(run, patient: str, day: str, *extra: str):  # type: ignore[no-untyped-def]
    return run(
        "reschedule",
        patient,
        "--delay",
        day,
        "--days",
        "7",
        "--reason",
        "Platelets 45",
        "--decided-by",
        "Dr Rivera",
        "--now",
        LATER,
        "-q",
        *extra,
    )


def _saved_week(run, out: Path) -> None:  # type: ignore[no-untyped-def]
    """The batch example's seven patients, planned into the workspace."""
    batch = run(
        "batch", str(EXAMPLES / "week.csv"), "--out", str(out), "--formats", "json", "--now", NOW, "--save"
    )
    assert batch.code == 0, batch.out


def _one_line(result, code: int, *words: str) -> None:  # type: ignore[no-untyped-def]
    assert result.code == code, (result.out, result.err)
    assert result.err.count("\n") == 1 and "Traceback" not in result.err, result.err
    for word in words:
        assert word in result.err, result.err


def test_reschedule_by_patient_id_saves_the_next_revision(run, ws: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _plan(run)
    by_file = tmp_path / "r1.json"
    result = _delay(run, "RCC-000123", "2026-12-17", "--save", "--json", str(by_file))
    assert result.code == 0, result.err
    assert "saved revision 1 of RCC-000123" in result.err
    history = run("history", "RCC-000123")
    lines = history.out.splitlines()
    assert (
        len(lines) == 3 and " delay " in lines[2] and "Dr Rivera" in lines[2] and "Platelets 45" in lines[2]
    )
    # the stored revision is byte for byte what reschedule wrote
    out = tmp_path / "out"
    assert run("workspace", "export", str(out)).code == 0
    assert (out / "RCC-000123.json").read_bytes() == by_file.read_bytes()
    diff = run("history", "RCC-000123", "--diff", "0", "1")
    assert diff.code == 1 and "2026-12-17" in diff.out and "differences" in diff.out
    assert run("history", "RCC-000123", "--diff", "1", "1").code == 0
    assert run("show", "RCC-000123", "--revision", "0").code == 0
    assert run("workspace", "verify").code == 0


def test_a_revision_made_from_a_stale_plan_is_refused(run, ws: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _plan(run)
    read = tmp_path / "read.json"  # what a second scheduler read: revision 0
    assert run("export", "RCC-000123", "--json", str(read)).code == 0
    assert _delay(run, "RCC-000123", "2026-12-17", "--save").code == 0
    stale = _delay(run, str(read), "2026-12-21", "--save", "--json", str(tmp_path / "mine.json"))
    _one_line(
        stale,
        5,
        "revision 1 of RCC-000123 was saved by Dr Rivera at 2026-12-16 15:00 after you read revision 0",
        "run again on the current plan",
    )
    assert not (tmp_path / "mine.json").exists()
    assert len(run("history", "RCC-000123").out.splitlines()) == 3


def test_the_agenda_follows_reschedules_across_patients(run, ws: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The batch example's over-capacity day 2026-12-04 (5 IT sessions at 09:00, 3 chairs) is no
    longer over capacity once two of its patients are delayed; their sessions move to the days
    the delay chose."""
    _saved_week(run, tmp_path / "week")
    week = ("--from", "2026-11-30", "--to", "2026-12-06", "--chairs", "3", "--now", NOW)
    before = run("agenda", *week, "--csv", str(tmp_path / "before.csv"))
    assert before.code == 1 and "2026-12-04 09:00-10:00: 5 sessions at once, 3 chairs" in before.out
    for patient in ("RCC-000201", "RCC-000202"):
        assert _delay(run, patient, "2026-12-04", "--course", "it-mtx-intensive", "--save").code == 0
    after = run("agenda", *week, "--csv", str(tmp_path / "after.csv"), "--pdf", str(tmp_path / "a.pdf"))
    assert "2026-12-04 09:00-10:00" not in after.out, after.out
    rows = list(csv.DictReader(io.StringIO((tmp_path / "after.csv").read_text())))
    on_4th = {r["patient"] for r in rows if r["date"] == "2026-12-04" and r["kind"] == "it-dose"}
    assert on_4th and not on_4th & {"RCC-000201", "RCC-000202"}
    later = tmp_path / "later.csv"
    run("agenda", "--from", "2026-12-07", "--to", "2026-12-13", "--chairs", "3", "--csv", str(later))
    moved = list(csv.DictReader(io.StringIO(later.read_text())))
    assert {r["date"] for r in moved if r["patient"] == "RCC-000201" and r["kind"] == "it-dose"} >= {
        "2026-12-11"
    }  # the dose of the 4th, a week later
    text = "".join(page.extract_text() for page in PdfReader(tmp_path / "a.pdf").pages)
    assert "RCC-000203" in text and "2026" in text
    ics = tmp_path / "clinic.ics"
    assert run("agenda", *week, "--ics", str(ics)).code in (0, 1)
    cal = icalendar.Calendar.from_ical(ics.read_bytes())
    days = {e.decoded("DTSTART").date().isoformat() for e in cal.walk("VEVENT")}
    assert days and all("2026-11-30" <= d <= "2026-12-06" for d in days)


def test_a_long_workspace_agenda_is_in_volumes(run, ws: Path, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from scheduler.export.pdf import agenda as agenda_pdf

    _saved_week(run, tmp_path / "w")
    month = ("--from", "2026-11-23", "--to", "2026-12-31", "--chairs", "3", "--now", NOW)
    whole = run("agenda", *month, "--pdf", str(tmp_path / "whole.pdf"), "--csv", str(tmp_path / "whole.csv"))
    monkeypatch.setattr(agenda_pdf, "VOLUME_ROWS", 40)
    cut = run("agenda", *month, "--pdf", str(tmp_path / "month.pdf"), "--csv", str(tmp_path / "month.csv"))
    assert cut.code == whole.code == 1, cut.err
    files = sorted(tmp_path.glob("month*.pdf"), key=lambda p: int(p.stem.partition("-")[2] or 1))
    assert len(files) >= 3 and all(f"wrote {p}" in cut.err for p in files)
    assert (tmp_path / "month.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()
    texts = ["".join(page.extract_text() for page in PdfReader(p).pages) for p in files]
    whole_text = "".join(page.extract_text() for page in PdfReader(tmp_path / "whole.pdf").pages)
    assert "This agenda is in" in texts[0] and "month-2.pdf" in texts[0] and "(volume 1 of" in texts[0]
    count = sum(t.count("IT methotrexate") for t in texts)
    assert count == whole_text.count("IT methotrexate") > 0


def test_agenda_bad_input(run, ws: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _one_line(run("agenda", "--from", "2026-12-07", "--to", "2026-12-01"), 2, "to:", "before --from")
    _one_line(run("agenda", "--from", "2026-01-01", "--to", "2028-01-01"), 2, "more than a year")
    _one_line(run("agenda", "--from", "2026-13-01", "--to", "2026-12-01"), 2, "from")
    _one_line(
        run("agenda", "--from", "2026-12-01", "--to", "2026-12-07", "--workspace", str(tmp_path / "none")),
        2,
        "does not exist",
    )
    empty = run("agenda", "--from", "2026-12-01", "--to", "2026-12-07")
    assert empty.code == 0 and "no sessions" in empty.out


def test_void_leaves_the_agenda_and_the_active_list_and_stays_in_history(run, ws: Path) -> None:  # type: ignore[no-untyped-def]
    _plan(run, "child")
    week = ("--from", "2026-11-30", "--to", "2026-12-13", "--now", NOW)
    assert "no sessions" not in run("agenda", *week).out
    voided = run("void", "RCC-000456", "--reason", "Wrong patient selected", "--now", NOW)
    assert voided.code == 0, voided.err
    assert "no sessions" in run("agenda", *week).out
    assert "RCC-000456" not in run("patients", "--active").out
    listed = run("patients").out
    assert "RCC-000456" in listed and "entered in error" in listed
    history = run("history", "RCC-000456").out
    assert " void " in history and "Wrong patient selected" in history
    _one_line(run("void", "RCC-000456", "--reason", "again"), 2, "already void")
    _one_line(run("reschedule", "RCC-000456", "--delay", "2026-12-04", "--days", "7", "--save"), 2, "void")
    _one_line(run("export", "RCC-000456", "--json", "-"), 2, "entered in error")
    # the patient can be planned again (the right plan this time), and verify accepts the chain
    _plan(run, "her2")
    assert "active" in run("patients", "--active").out
    assert run("workspace", "verify").code == 0


def test_void_of_a_revision_no_longer_current_is_a_conflict(run, ws: Path) -> None:  # type: ignore[no-untyped-def]
    _plan(run)
    assert _delay(run, "RCC-000123", "2026-12-17", "--save").code == 0
    _one_line(
        run("void", "RCC-000123", "--reason", "Wrong", "--revision", "0"), 5, "after you read revision 0"
    )


def test_erase_leaves_nothing_of_the_patient_but_the_tombstone(run, ws: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _plan(run)
    _plan(run, "child")
    assert _delay(run, "RCC-000123", "2026-12-17", "--save").code == 0
    given = tmp_path / "given.csv"
    given.write_text("date,drug,dose_mg,route,lot,initials\n2026-12-14,methotrexate,15,ommaya,LOT-77,ZQ\n")
    assert run("reconcile", "RCC-000123", str(given), "--save", "--as-of", "2026-12-15").code in (0, 1)
    _one_line(run("workspace", "erase", "RCC-000123", "--reason", "Erasure request 114"), 2, "--yes")
    erased = run(
        "workspace", "erase", "RCC-000123", "--reason", "Erasure request 114", "--yes", "--decided-by", "DPO"
    )
    assert erased.code == 0, erased.err
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("clinic.lmsched*"))
    for trace in (b"RCC-000123", "O'Neil-Søndergaard".encode(), b"LOT-77"):
        assert trace not in raw
    assert b"RCC-000456" in raw  # the other patient is untouched
    db = sqlite3.connect(ws)
    [(digest, by, _at, reason)] = db.execute("SELECT * FROM tombstones").fetchall()
    db.close()
    assert digest.startswith("hmac-sha256:") and by == "DPO" and reason == "Erasure request 114"
    _one_line(run("show", "RCC-000123"), 2, "not in the workspace")
    _one_line(
        run("workspace", "erase", "RCC-000123", "--reason", "again", "--yes"), 2, "not in the workspace"
    )
    assert run("workspace", "verify").code == 0
    assert "RCC-000123" not in run("patients").out


def test_reconcile_save_keeps_records_once_and_reconciles_them_all(run, ws: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _plan(run)
    plan = json.loads(run("export", "RCC-000123", "--json", "-").out)
    doses = [e for e in plan["events"] if e["kind"] == "it-dose"][:2]
    header = "date,drug,dose_mg,route,time,initials\n"
    first, second = tmp_path / "day1.csv", tmp_path / "day2.csv"
    first.write_text(header + f"{doses[0]['date']},methotrexate,{doses[0]['dose_mg']},ommaya,09:05,AB\n")
    second.write_text(header + f"{doses[1]['date']},methotrexate,{doses[1]['dose_mg']},ommaya,09:10,AB\n")
    as_of = ("--as-of", doses[1]["date"])
    one = run("reconcile", "RCC-000123", str(second), "--save", *as_of)
    assert one.code == 1, one.out  # dose 1 is not recorded yet: missed
    both = run("reconcile", "RCC-000123", str(first), "--save", *as_of, "--json", str(tmp_path / "r.json"))
    assert both.code == 0, both.out
    again = run("reconcile", "RCC-000123", str(first), "--save", *as_of, "--json", str(tmp_path / "r2.json"))
    assert again.code == 0
    assert (tmp_path / "r.json").read_bytes() == (tmp_path / "r2.json").read_bytes()  # kept once
    # without --save nothing is kept: the file alone is reconciled
    assert run("reconcile", "RCC-000123", str(second), *as_of).code == 1
    _one_line(
        run("reconcile", str(tmp_path / "nofile.json"), str(first), "--save"), 2, "not in the workspace"
    )


def test_export_by_patient_id_keys_the_patient_calendar_with_the_workspace_key(
    run, ws: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    made = tmp_path / "made.ics"
    _plan(run, "adult", "--ics", str(made))
    again = tmp_path / "again.ics"
    assert run("export", "RCC-000123", "--ics", str(again)).code == 0
    assert made.read_bytes() == again.read_bytes()
    other = tmp_path / "other-key"
    assert run("site-key", "init", str(other)).code == 0
    refused = run("export", "RCC-000123", "--ics", str(tmp_path / "x.ics"), "--site-key", str(other))
    _one_line(refused, 2, "site_key:", "holds another key")
    _one_line(
        run("export", "RCC-999", "--json", str(tmp_path / "y.json")), 2, "'RCC-999' is not in the workspace"
    )


def test_publish_by_patient_id(run, ws: Path, radicale: Radicale) -> None:  # type: ignore[no-untyped-def]
    _plan(run)
    name = radicale.fresh_name()
    os.environ["LMSCHED_CALDAV_PASSWORD"] = radicale.users["alice"]
    try:
        args = ("publish", "RCC-000123", "--caldav", radicale.url, "--username", "alice", "--calendar", name)
        first = run(*args, "--create")
        assert first.code == 0, first.err
        assert _delay(run, "RCC-000123", "2026-12-17", "--save").code == 0
        second = run(*args)
        assert second.code == 0 and "created 0" in second.out and "updated" in second.out, second.out
    finally:
        del os.environ["LMSCHED_CALDAV_PASSWORD"]
    events = server_events(radicale, name)
    assert events and all("RCC-000123" not in str(e.to_ical()) for e in events.values())


def test_batch_save_stores_every_row_and_reports_conflicts(run, ws: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    args = ("batch", str(EXAMPLES / "week.csv"), "--formats", "json", "--now", NOW, "--save")
    first = run(*args, "--out", str(tmp_path / "a"))
    assert first.code == 0, first.out
    out = tmp_path / "exported"
    assert run("workspace", "export", str(out)).code == 0
    for row in (tmp_path / "a").iterdir():
        if row.is_dir():
            assert (out / f"{row.name}.json").read_bytes() == (row / "plan.json").read_bytes()
    second = run(*args, "--out", str(tmp_path / "b"))
    assert second.code == 1 and "7 conflict" in second.out
    assert not any((tmp_path / "b").glob("*/plan.json"))
