"""The site key through the real CLI: `site-key init`, the default key made once and reused, where
the key comes from (--site-key, the clinic file, LMSCHED_SITE_KEY_FILE), bad key files (exit 2, one
line, nothing written), and patient calendars that never carry a reschedule reason."""

from __future__ import annotations

import io
import json
import os
import stat
from pathlib import Path

import pypdf
import pytest

from scheduler.export import ics
from scheduler.plan import Plan, plan_from_json
from scheduler.sitekey import key_id, read_key

from ..conftest import EXAMPLES, NOW, demo_key
from ..ical_readers import with_icalendar

ADULT = str(EXAMPLES / "patient-adult.toml")
FLAGS = ("--start", "2027-04-05", "--age", "60", "--route", "ommaya", "--patient-id", "RCC-000123")
REASON = "RCC-000123 platelets 45"


def one_error_line(result, *words: str) -> None:  # type: ignore[no-untyped-def]
    assert result.code == 2, (result.out, result.err)
    assert result.err.count("\n") == 1 and result.err.startswith("lmsched: error: "), result.err
    assert "Traceback" not in result.err
    for word in words:
        assert word in result.err, (word, result.err)


def unfolded(data: bytes) -> str:
    return data.replace(b"\r\n ", b"").decode("utf-8")


def uids(data: bytes) -> set[str]:
    return set(with_icalendar(data))


def keyed_uids(plan: Plan, key: bytes) -> set[str]:
    return {ics.ics_uid(e, "patient", key) for e in plan.events}


@pytest.fixture
def no_key_configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No LMSCHED_SITE_KEY_FILE, and a private configuration folder: where the default key goes."""
    monkeypatch.delenv("LMSCHED_SITE_KEY_FILE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config" / "lmsched" / "site-key"


# --- site-key init ----------------------------------------------------------------------------------


def test_init_makes_a_0600_key_and_refuses_to_overwrite(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "shared" / "site-key"
    made = run("site-key", "init", str(path))
    assert made.code == 0, made.err
    assert made.err.count("\n") == 1 and str(path) in made.err and "back it up" in made.err
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = read_key(path, "x").key
    again = run("site-key", "init", str(path))
    one_error_line(again, str(path), "already exists")
    assert read_key(path, "x").key == key
    folder = run("site-key", "init", str(tmp_path))
    assert folder.code == 2 and "Traceback" not in folder.err
    assert "site-key" in run("--help").out and "init" in run("site-key", "--help").out


# --- the default key --------------------------------------------------------------------------------


def test_the_default_key_is_made_once_with_one_line_and_reused(
    run, tmp_path: Path, no_key_configured: Path
) -> None:  # type: ignore[no-untyped-def]
    json_only = run("plan", *FLAGS, "--now", NOW, "-q", "--json", str(tmp_path / "p.json"))
    assert json_only.code == 0 and not no_key_configured.exists()  # no calendar, no key
    staff = run("plan", *FLAGS, "--now", NOW, "-q", "--audience", "staff", "--ics", str(tmp_path / "s.ics"))
    assert staff.code == 0 and not no_key_configured.exists()  # staff calendars are not keyed
    first = run("plan", *FLAGS, "--now", NOW, "-q", "--ics", str(tmp_path / "a.ics"))
    assert first.code == 0, first.err
    notes = [line for line in first.err.splitlines() if "site key" in line]
    assert len(notes) == 1 and str(no_key_configured) in notes[0] and "every scheduler" in notes[0]
    assert stat.S_IMODE(no_key_configured.stat().st_mode) == 0o600
    key = read_key(no_key_configured, "x").key
    second = run("plan", *FLAGS, "--now", NOW, "-q", "--ics", str(tmp_path / "b.ics"))
    assert second.code == 0 and "site key" not in second.err
    assert read_key(no_key_configured, "x").key == key
    data = (tmp_path / "a.ics").read_bytes()
    assert data == (tmp_path / "b.ics").read_bytes()
    plan = plan_from_json((tmp_path / "p.json").read_bytes())
    assert uids(data) == keyed_uids(plan, key)


def test_a_batch_makes_the_default_key_once_for_every_row(
    run, tmp_path: Path, no_key_configured: Path
) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "week"
    result = run(
        "batch", str(EXAMPLES / "week.csv"), "--out", str(out), "--formats", "json,ics", "--jobs", "2"
    )
    assert result.code in (0, 1), result.err
    assert result.err.count("created a new site key") == 1
    key = read_key(no_key_configured, "x").key
    folders = [p.parent for p in out.glob("*/plan.ics")]
    assert len(folders) >= 2
    for folder in folders:
        plan = plan_from_json((folder / "plan.json").read_bytes())
        data = (folder / "plan.ics").read_bytes()
        assert uids(data) == keyed_uids(plan, key)
        assert plan.inputs.patient_id and plan.inputs.patient_id not in unfolded(data)


# --- where the key comes from -----------------------------------------------------------------------


def test_the_clinic_files_key_is_relative_to_it_and_not_in_the_plan(
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    site = tmp_path / "site"
    site.mkdir()
    assert run("site-key", "init", str(site / "key")).code == 0
    (site / "clinic.toml").write_text('name = "Site clinic"\nsite_key = "key"\n', encoding="utf-8")
    (site / "plain.toml").write_text('name = "Site clinic"\n', encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the path is relative to the clinic file, not to the folder run in
    with_key = run("plan", *FLAGS, "--clinic", str(site / "clinic.toml"), "--now", NOW, "-q",
                   "--json", "a.json", "--ics", "a.ics")  # fmt: skip
    assert with_key.code == 0, with_key.err
    # The tests' LMSCHED_SITE_KEY_FILE (the demo key) is another key: the saved-plan commands would
    # use that one, and the run says so in one line.
    assert with_key.err.count("lmsched: note: the clinic file's site key") == 1
    plan = plan_from_json(Path("a.json").read_bytes())
    assert uids(Path("a.ics").read_bytes()) == keyed_uids(plan, read_key(site / "key", "x").key)
    without = run(
        "plan", *FLAGS, "--clinic", str(site / "plain.toml"), "--now", NOW, "-q", "--json", "b.json"
    )
    assert without.code == 0
    # the plan records which key (an id that reveals nothing of it), never the file or the key
    recorded = json.loads(Path("a.json").read_text())["inputs"]["clinic"].pop("site_key_id")
    assert recorded == key_id(read_key(site / "key", "x").key)
    assert "site_key" not in Path("b.json").read_text() and str(site) not in Path("a.json").read_text()
    assert read_key(site / "key", "x").key.hex() not in Path("a.json").read_text()
    # a saved plan's patient calendar with another key (the tests' demo key) is refused, not made
    # with other UIDs that would duplicate every event on the patient's phone
    other = run("export", "a.json", "--ics", "other.ics")
    one_error_line(other, "site_key:", f"key id {recorded}", "--site-key")
    assert not Path("other.ics").exists()
    assert run("export", "a.json", "--audience", "staff", "--ics", "staff.ics").code == 0  # not keyed
    # the same key in LMSCHED_SITE_KEY_FILE: no note, and export makes the same calendar
    monkeypatch.setenv("LMSCHED_SITE_KEY_FILE", str(site / "key"))
    quiet = run("plan", *FLAGS, "--clinic", str(site / "clinic.toml"), "--now", NOW, "-q", "--ics", "c.ics")
    assert quiet.code == 0 and "note" not in quiet.err
    again = run("export", "a.json", "--ics", "again.ics")
    assert again.code == 0 and Path("again.ics").read_bytes() == Path("a.ics").read_bytes()
    # no key configured at all: refused, and no default key is made for a plan that names its key
    monkeypatch.delenv("LMSCHED_SITE_KEY_FILE")
    nothing = run("export", "a.json", "--ics", "none.ics")
    one_error_line(nothing, f"key id {recorded}", "no key here")
    assert not list(Path(os.environ["XDG_CONFIG_HOME"]).glob("lmsched/site-key"))


def test_a_clinic_file_cannot_set_the_key_id(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "clinic.toml").write_text('site_key_id = "0123456789abcdef"\n', encoding="utf-8")
    result = run(
        "plan", *FLAGS, "--clinic", str(tmp_path / "clinic.toml"), "--json", str(tmp_path / "p.json")
    )
    one_error_line(result, "site_key_id:", "not set by hand")
    assert not (tmp_path / "p.json").exists()


def test_plans_saved_before_the_key_id_keep_their_fingerprint(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A plan without site_key_id (every plan made before it, and plans whose clinic names no key)
    loads unchanged: the field is left out of its JSON and fingerprint while unset."""
    made = run("plan", *FLAGS, "--now", NOW, "-q", "--json", str(tmp_path / "p.json"))
    assert made.code == 0
    text = (tmp_path / "p.json").read_text()
    assert "site_key_id" not in text
    assert run("export", str(tmp_path / "p.json"), "--json", str(tmp_path / "q.json")).code == 0
    assert (tmp_path / "q.json").read_text() == text


def test_site_key_option_beats_the_environment(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert run("site-key", "init", str(tmp_path / "k")).code == 0
    saved = tmp_path / "p.json"
    # a plan whose clinic names no key (a clinic that does is tested above)
    made = run("plan", *FLAGS, "--now", NOW, "-q", "--json", str(saved), "--ics", str(tmp_path / "demo.ics"))
    assert made.code == 0, made.err
    exported = run("export", str(saved), "--ics", str(tmp_path / "k.ics"), "--site-key", str(tmp_path / "k"))
    assert exported.code == 0, exported.err
    plan = plan_from_json(saved.read_bytes())
    assert uids((tmp_path / "k.ics").read_bytes()) == keyed_uids(plan, read_key(tmp_path / "k", "x").key)
    assert uids((tmp_path / "demo.ics").read_bytes()) == keyed_uids(plan, demo_key())


def _bad_key_files(tmp_path: Path) -> dict[str, Path]:
    files = {"missing": tmp_path / "missing-key", "short": tmp_path / "short", "wrong": tmp_path / "wrong"}
    files["short"].write_text("lmsched-site-key-v1 abcdef\n")
    files["wrong"].write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    return files


@pytest.mark.parametrize(
    ("which", "words"),
    [("missing", "does not exist"), ("short", "too short"), ("wrong", "not an lmsched site key")],
)
def test_a_bad_key_file_is_exit_2_one_line_and_nothing_written(
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, which: str, words: str
) -> None:  # type: ignore[no-untyped-def]
    bad = _bad_key_files(tmp_path)[which]
    out = tmp_path / "out"
    # --site-key
    one_error_line(run("plan", *FLAGS, "--now", NOW, "--ics", str(out / "a.ics"), "--json", str(out / "a.json"),
                       "--site-key", str(bad)), str(bad), words, "site-key")  # fmt: skip
    # the clinic file's site_key
    clinic = tmp_path / "clinic.toml"
    clinic.write_text(f'site_key = "{bad.name}"\n')
    one_error_line(run("plan", *FLAGS, "--clinic", str(clinic), "--now", NOW, "--ics", str(out / "b.ics")),
                   str(bad), words, "site_key")  # fmt: skip
    # LMSCHED_SITE_KEY_FILE, for a saved plan
    saved = tmp_path / "p.json"
    assert run("plan", *FLAGS, "--now", NOW, "-q", "--json", str(saved)).code == 0
    monkeypatch.setenv("LMSCHED_SITE_KEY_FILE", str(bad))
    one_error_line(run("export", str(saved), "--ics", str(out / "c.ics"), "--pdf", str(out / "c.pdf")),
                   str(bad), words, "LMSCHED_SITE_KEY_FILE")  # fmt: skip
    one_error_line(run("batch", str(EXAMPLES / "week.csv"), "--out", str(out / "week"), "--formats", "ics"),
                   str(bad), words)  # fmt: skip
    assert not out.exists()
    # what needs no key still works with a bad one named
    assert run("export", str(saved), "--json", str(tmp_path / "again.json")).code == 0
    assert run("export", str(saved), "--audience", "staff", "--ics", str(tmp_path / "staff.ics")).code == 0


# --- reasons never reach the patient -----------------------------------------------------------------


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(p.extract_text() or "" for p in pypdf.PdfReader(io.BytesIO(data)).pages).split())


def test_a_reschedule_reason_never_reaches_the_patient(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    saved, r1 = tmp_path / "p.json", tmp_path / "r1.json"
    assert (
        run("plan", ADULT, "--now", NOW, "-q", "--json", str(saved), "--ics", str(tmp_path / "p.ics")).code
        == 0
    )
    result = run(
        "reschedule", str(saved), "--delay", "2026-12-17", "--days", "7", "--reason", REASON,
        "--decided-by", "Dr Rivera", "--now", "2026-12-16T15:00:00-05:00", "-q",
        "--json", str(r1), "--ics", str(tmp_path / "r1.ics"), "--pdf", str(tmp_path / "r1.pdf"),
    )  # fmt: skip
    assert result.code == 0, result.err
    revised = plan_from_json(r1.read_bytes())
    assert any(REASON in (e.shift_reason or "") for e in revised.events)  # the plan records it
    patient = unfolded((tmp_path / "r1.ics").read_bytes())
    for secret in ("RCC-000123", "RCC000123", "000123", "platelets", "Platelets", "Rivera", "revision 1"):
        assert secret not in patient, secret
    moved = [e for e in revised.events if e.sequence > 0 and e.shifted_from is not None]
    assert moved and patient.count("This visit was moved by your care team from ") == len(moved)
    # the revision's events replace the first calendar's: same UIDs (same key), higher SEQUENCE
    assert uids((tmp_path / "r1.ics").read_bytes()) == uids((tmp_path / "p.ics").read_bytes())
    text = pdf_text((tmp_path / "r1.pdf").read_bytes())
    assert "moved by your care team" in text
    for secret in ("RCC-000123", "platelets", "Rivera"):
        assert secret not in text, secret
    # staff outputs keep the reason
    staff = run("export", str(r1), "--audience", "staff", "--ics", str(tmp_path / "staff.ics"))
    assert staff.code == 0
    assert REASON in unfolded((tmp_path / "staff.ics").read_bytes())


def test_an_output_never_overwrites_the_site_key(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    key = tmp_path / "site-key"
    assert run("site-key", "init", str(key)).code == 0
    before = key.read_bytes()
    for outputs in (("--ics", str(key), "--json", str(tmp_path / "a.json")),
                    ("--ics", str(tmp_path / "a.ics"), "--pdf", str(key))):  # fmt: skip
        result = run("plan", *FLAGS, "--now", NOW, *outputs, "--site-key", str(key))
        one_error_line(result, str(key), "is the site key file")
    assert key.read_bytes() == before
    assert not (tmp_path / "a.ics").exists() and not (tmp_path / "a.json").exists()


@pytest.mark.parametrize(
    "action",
    [
        ("--stop-from", "2027-01-10", "--course", "memantine-wbrt"),  # "stopped after 20 days in ..."
        ("--delay", "2026-12-14", "--days", "2", "--course", "memantine-wbrt"),  # "continued for ..."
        ("--delay", "2026-11-30", "--days", "3", "--course", "wbrt-30gy-10fx"),  # tablets follow RT
    ],
)
def test_a_tablet_change_keeps_its_reason_from_the_patient(
    run, tmp_path: Path, action: tuple[str, ...]
) -> None:  # type: ignore[no-untyped-def]
    saved, revised = tmp_path / "p.json", tmp_path / "r1.json"
    assert run("plan", ADULT, "--now", NOW, "-q", "--json", str(saved)).code == 0
    result = run("reschedule", str(saved), *action, "--reason", REASON, "--now", "2026-11-20T09:00:00-05:00",
                 "-q", "--json", str(revised), "--ics", str(tmp_path / "r1.ics"))  # fmt: skip
    assert result.code == 0, result.err
    plan = plan_from_json(revised.read_bytes())
    assert any(REASON in n for e in plan.events for n in (*e.notes, e.shift_reason or ""))  # recorded
    patient = unfolded((tmp_path / "r1.ics").read_bytes())
    assert "RCC-000123" not in patient and "platelets" not in patient and "revision 1" not in patient
    assert "by your care team" in patient
    staff = run("export", str(revised), "--audience", "staff", "--ics", str(tmp_path / "staff.ics"))
    assert staff.code == 0 and REASON in unfolded((tmp_path / "staff.ics").read_bytes())
