"""The clinic workspace from the command line (issue 19, first part): `workspace init`, `plan
--save`, `workspace import|export|backup|verify|info`, `patients`, `show`, `history`, and their
bad inputs (one line, exit 2, nothing created or changed) and conflicts (exit 5)."""

from __future__ import annotations

import json
import sqlite3
import zlib
from pathlib import Path

import pytest

from ..conftest import FLAG_PLAN, NOW

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
KEY = EXAMPLES / "demo-site-key"
BARE = FLAG_PLAN  # no patient file, so no clinic and no site key of its own


def _one_line(result, code: int, *words: str) -> None:  # type: ignore[no-untyped-def]
    assert result.code == code, (result.out, result.err)
    assert result.err.count("\n") == 1 and "Traceback" not in result.err, result.err
    for word in words:
        assert word in result.err, result.err


@pytest.fixture
def ws(run, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    path = tmp_path / "clinic.lmsched"
    result = run("workspace", "init", str(path), "--site-key", str(KEY), "--now", NOW)
    assert result.code == 0, result.err
    return path


def test_plan_save_then_export_is_byte_identical(run, ws: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    written = tmp_path / "plan.json"
    result = run(
        "plan",
        str(EXAMPLES / "patient-adult.toml"),
        "--now",
        NOW,
        "--save",
        "--workspace",
        str(ws),
        "--json",
        str(written),
        "-q",
    )
    assert result.code == 0, result.err
    out = tmp_path / "out"
    assert run("workspace", "export", str(out), "--workspace", str(ws)).code == 0
    assert (out / "RCC-000123.json").read_bytes() == written.read_bytes()
    listed = run("patients", "--workspace", str(ws), "--now", NOW)
    assert listed.code == 0
    row = listed.out.splitlines()[1]
    for word in ("RCC-000123", "it-mtx-intensive", "2026-11-30", "active"):
        assert word in row
    shown = run("show", "RCC-000123", "--workspace", str(ws))
    assert shown.code == 0 and "RCC-000123" not in shown.err and "starts 2026-12-14" in shown.out
    history = run("history", "RCC-000123", "--workspace", str(ws))
    assert history.code == 0 and " plan " in history.out.splitlines()[1]
    verified = run("workspace", "verify", "--workspace", str(ws))
    assert verified.code == 0 and "1 revision(s) checked: no problem(s)" in verified.err


def test_a_second_first_plan_is_a_conflict_and_writes_nothing(run, ws: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    args = ("plan", str(EXAMPLES / "patient-adult.toml"), "--now", NOW, "--save", "-q")
    assert run(*args, "--workspace", str(ws)).code == 0
    again = run(*args, "--workspace", str(ws), "--json", str(tmp_path / "again.json"))
    _one_line(again, 5, "RCC-000123 already has a plan in the workspace (revision 0")
    assert not (tmp_path / "again.json").exists()


def test_the_workspace_comes_from_the_environment(run, ws: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LMSCHED_WORKSPACE", str(ws))
    assert run("plan", str(EXAMPLES / "patient-her2.toml"), "--now", NOW, "--save", "-q").code == 0
    info = run("workspace", "info")
    assert info.code == 0 and "patients: 1" in info.out and "7ffd97eef8a62052" in info.out


def test_import_checks_each_plan(run, ws: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    plan = tmp_path / "p.json"
    assert (
        run("plan", str(EXAMPLES / "patient-adult.toml"), "--now", NOW, "--json", str(plan), "-q").code == 0
    )
    first = run("workspace", "import", str(plan), "--workspace", str(ws), "--decided-by", "Ana")
    assert first.code == 0 and "RCC-000123 revision 0: added" in first.out
    again = run("workspace", "import", str(plan), "--workspace", str(ws))
    assert again.code == 0 and "already stored" in again.out
    edited = tmp_path / "edited.json"
    document = json.loads(plan.read_text())
    document["events"][0]["dose_mg"] = 99
    document["inputs"]["patient_id"] = "RCC-000999"
    edited.write_text(json.dumps(document))
    _one_line(run("workspace", "import", str(edited), "--workspace", str(ws)), 2, "fingerprint mismatch")
    listed = run("patients", "--workspace", str(ws), "--now", NOW)
    assert "RCC-000999" not in listed.out and len(listed.out.splitlines()) == 2


def test_backup_and_a_tampered_row(run, ws: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert (
        run(
            "plan", str(EXAMPLES / "patient-adult.toml"), "--now", NOW, "--save", "--workspace", str(ws), "-q"
        ).code
        == 0
    )
    copy = tmp_path / "backup.lmsched"
    assert run("workspace", "backup", str(copy), "--workspace", str(ws)).code == 0
    assert (copy.stat().st_mode & 0o777) == 0o600
    db = sqlite3.connect(copy)
    db.execute("DROP TRIGGER revisions_kept")
    [(blob,)] = db.execute("SELECT document FROM revisions").fetchall()
    edited = zlib.compress(zlib.decompress(blob).replace(b'"ommaya"', b'"lumbar"'))
    assert edited != blob
    db.execute("UPDATE revisions SET document = ?", (edited,))
    db.commit()
    db.close()
    tampered = run("workspace", "verify", "--workspace", str(copy))
    assert tampered.code == 1 and "does not match its fingerprint" in tampered.out
    assert run("workspace", "verify", "--workspace", str(ws)).code == 0


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("patients",), ("workspace: no workspace", "--workspace PATH")),
        (("patients", "--workspace", "{tmp}/missing"), ("does not exist", "workspace init")),
        (("show", "RCC-1", "--workspace", "{ws}"), ("PATIENT_ID: 'RCC-1' is not in the workspace",)),
        (("history", "RCC-1", "--workspace", "{ws}"), ("PATIENT_ID: 'RCC-1' is not in the workspace",)),
        (("workspace", "init", "{ws}"), ("already exists",)),
        (("workspace", "init", "{tmp}/no/such/folder/w"), ("is not a folder",)),
        (("workspace", "backup", "{ws}", "--workspace", "{ws}"), ("backup",)),
        (
            (*BARE, "--save", "--workspace", "{ws}"),
            ("patient_id: a plan saved in a workspace needs a patient id",),
        ),
        (
            (*BARE, "--patient-id", "X1", "--save"),
            ("save:", "--workspace PATH"),
        ),
    ],
)
def test_bad_inputs_say_one_line_and_change_nothing(run, ws: Path, tmp_path: Path, args, words) -> None:  # type: ignore[no-untyped-def]
    given = [a.replace("{ws}", str(ws)).replace("{tmp}", str(tmp_path)) for a in args]
    before = sorted(p.name for p in tmp_path.iterdir())
    _one_line(run(*given), 2, *words)
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_plan_made_with_another_site_key_is_refused(run, ws: Path, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    other = tmp_path / "other-key"
    assert run("site-key", "init", str(other)).code == 0
    monkeypatch.setenv("LMSCHED_SITE_KEY_FILE", str(other))
    result = run(
        *BARE,
        "--patient-id",
        "X1",
        "--save",
        "--workspace",
        str(ws),
        "--ics",
        str(tmp_path / "p.ics"),
    )
    _one_line(result, 2, "site_key: the patient calendar would be keyed with site key", str(KEY))
    assert not (tmp_path / "p.ics").exists()
    assert run("patients", "--workspace", str(ws)).out.count("X1") == 0
