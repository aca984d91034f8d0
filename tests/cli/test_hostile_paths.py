"""Hostile and clumsy output paths through the real CLI (issue 15, part 1): `-` and /dev/stdout,
devices and FIFOs written in place, inputs inside the output tree, a symbolic link planted in a
batch's DIR, the umask and an existing file's mode, long names, a full disk, and `--out` where no
folder can be. Each failure is one line naming the file, an exit code that is not 70, and nothing
written or left behind."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import stat
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from scheduler.writer import is_temp_name

from ..conftest import NOW, run_subprocess
from ..core.test_writer import umask
from .test_batch import GOOD, write_csv

PLAN = ("plan", "--start", "2026-12-01", "--age", "45", "--route", "ommaya", "--now", NOW)
LINUX_OR_MAC = sys.platform.startswith("linux") or sys.platform == "darwin"
ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
needs_unix = pytest.mark.skipif(not LINUX_OR_MAC, reason="lmsched supports Linux and macOS")


def snapshot(root: Path) -> dict[str, object]:
    """Every path under root: a link's target, a file's bytes and mode, None for a folder."""

    def what(p: Path) -> object:
        if p.is_symlink():
            return f"-> {os.readlink(p)}"
        return None if p.is_dir() else (p.read_bytes(), stat.S_IMODE(p.stat().st_mode))

    return {str(p.relative_to(root)): what(p) for p in sorted(root.rglob("*"))}


def temps(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if is_temp_name(p.name)]


def one_line(err: str) -> str:
    assert err.count("\n") == 1 and err.startswith("lmsched: error: "), err
    assert "Traceback" not in err and "internal error" not in err
    return err


def batch(run, patients: Path, out: Path, *extra: str):  # type: ignore[no-untyped-def]
    return run("batch", str(patients), "--out", str(out), "--now", NOW, "--jobs", "1", *extra)


# --- `-` and the standard output --------------------------------------------------------------------


def test_dash_is_standard_output_and_the_table_goes_to_stderr() -> None:
    result = run_subprocess(*PLAN, "--json", "-")
    assert result.code == 0, result.err
    doc = json.loads(result.out)  # stdout is the plan and nothing else
    doses = [e for e in doc["events"] if e["kind"] != "check"]  # and the checks that guard them
    assert doc["schema_version"] == 1 and len(doses) == 18 and len(doc["events"]) > 18
    assert "IT methotrexate 1/18" in result.err and "wrote -" in result.err
    assert not Path("-").exists()


def test_dev_stdout_takes_a_calendar() -> None:
    result = run_subprocess(*PLAN, "--ics", "/dev/stdout", "--audience", "staff")
    assert result.code == 0, result.err
    assert result.out.startswith("BEGIN:VCALENDAR") and result.out.rstrip().endswith("END:VCALENDAR")
    assert "date        day" in result.err  # the table, on stderr


def test_dash_for_reconcile_and_reschedule(tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    assert run_subprocess(*PLAN, "-q", "--json", str(plan)).code == 0
    given = tmp_path / "given.csv"
    given.write_text("date,drug,dose_mg,route\n2026-12-01,methotrexate,15,ommaya\n")
    rec = run_subprocess("reconcile", str(plan), str(given), "--as-of", "2026-12-02", "--csv", "-")
    assert rec.code in (0, 1), rec.err
    rows = list(csv.DictReader(io.StringIO(rec.out)))
    assert rows, rec.err
    res = run_subprocess(
        "reschedule", str(plan), "--delay", "2026-12-04", "--days", "7", "--now", NOW, "--json", "-"
    )
    assert res.code == 0, res.err
    assert json.loads(res.out)["revision"] == 1 and "revision 1 of" in res.err


@needs_unix
def test_dev_fd_n_is_written_through_the_descriptor(tmp_path: Path) -> None:
    """`--csv /dev/fd/3 3>>log` appends to log (the descriptor is used, not a new file)."""
    import subprocess

    log = tmp_path / "log.csv"
    log.write_text("earlier line\n")
    with open(log, "ab") as fh:
        fd = fh.fileno()
        proc = subprocess.run(
            [sys.executable, "-m", "scheduler", *PLAN, "-q", "--csv", f"/dev/fd/{fd}"],
            pass_fds=(fd,),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert proc.returncode == 0, proc.stderr
    lines = log.read_text().splitlines()
    assert lines[0] == "earlier line" and lines[1].startswith("date,time,kind") and len(lines) > 10


def test_two_outputs_to_dash_are_refused(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    before = snapshot(tmp_path)
    result = run(*PLAN, "--json", "-", "--csv", "-", "--pdf", str(tmp_path / "plan.pdf"))
    assert result.code == 2 and "standard output" in one_line(result.err) and result.out == ""
    assert snapshot(tmp_path) == before


# --- devices and FIFOs, written in place ------------------------------------------------------------


@needs_unix
def test_dev_null_stays_a_device(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = run(*PLAN, "-q", "--json", "/dev/null", "--csv", "/dev/null", "--pdf", str(tmp_path / "p.pdf"))
    assert result.code == 0, result.err
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode) and (tmp_path / "p.pdf").exists()


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="/dev/full is Linux only")
def test_dev_full_names_the_file_and_the_cause(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    kept = tmp_path / "plan.csv"
    kept.write_text("before\n")
    result = run(*PLAN, "-q", "--json", "/dev/full", "--csv", str(kept))
    line = one_line(result.err)
    assert result.code == 74 and "/dev/full" in line and "No space left on device" in line
    assert kept.read_text() == "before\n" and temps(tmp_path) == []
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


@needs_unix
def test_a_fifo_gets_the_plan(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fifo = tmp_path / "plan.fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = run(*PLAN, "-q", "--json", str(fifo))
    reader.join(20)
    assert result.code == 0, result.err
    assert json.loads(got[0])["schema_version"] == 1
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


# --- modes ------------------------------------------------------------------------------------------


@needs_unix
def test_umask_077_and_an_existing_0600_file(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    kept = tmp_path / "kept.json"
    kept.write_text("{}")
    os.chmod(kept, 0o600)
    with umask(0o022):
        assert run(*PLAN, "-q", "--json", str(kept), "--csv", str(tmp_path / "new.csv")).code == 0
    assert stat.S_IMODE(os.stat(kept).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "new.csv").st_mode) == 0o644
    with umask(0o077):
        assert run(*PLAN, "-q", "--pdf", str(tmp_path / "private" / "plan.pdf")).code == 0
        patients = write_csv(tmp_path / "p.csv", *GOOD)
        assert batch(run, patients, tmp_path / "out", "--formats", "json,ics").code == 0
    assert stat.S_IMODE(os.stat(tmp_path / "private" / "plan.pdf").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "private").st_mode) == 0o700
    made = [p for p in (tmp_path / "out").rglob("*")]
    assert made and {stat.S_IMODE(os.stat(p).st_mode) for p in made if p.is_file()} == {0o600}
    assert {stat.S_IMODE(os.stat(p).st_mode) for p in made if p.is_dir()} == {0o700}


# --- names and folders ------------------------------------------------------------------------------


def test_a_245_character_output_name(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / ("p" * 240 + ".json")
    result = run(*PLAN, "-q", "--json", str(target))
    assert result.code == 0, result.err
    assert json.loads(target.read_text())["schema_version"] == 1 and temps(tmp_path) == []
    too_long = run(*PLAN, "-q", "--json", str(tmp_path / ("p" * 256)))
    assert too_long.code == 2 and "longer than 255 bytes" in one_line(too_long.err)


@pytest.mark.parametrize(
    ("out", "words"),
    [
        ("file/sub", "is a file, not a folder"),
        ("file", "is a file"),  # click's own check of --out
        ("dangling", "which does not exist"),
        ("dangling/sub", "which does not exist"),
    ],
)
def test_out_where_no_folder_can_be(run, tmp_path: Path, out: str, words: str) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "file").write_text("x")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    patients = write_csv(tmp_path / "p.csv", *GOOD)
    before = snapshot(tmp_path)
    result = batch(run, patients, tmp_path / out)
    line = one_line(result.err)
    assert result.code == 2 and "out" in line and str(tmp_path / out.split("/")[0]) in line and words in line
    assert snapshot(tmp_path) == before and not (tmp_path / "nowhere").exists()


def test_an_output_under_a_file_or_a_dangling_link(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "file").write_text("x")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    for target, words in (("file/plan.json", "is a file"), ("dangling/plan.json", "does not exist")):
        before = snapshot(tmp_path)
        result = run(*PLAN, "-q", "--json", str(tmp_path / target))
        assert result.code == 2 and words in one_line(result.err) and "json: " in result.err
        assert snapshot(tmp_path) == before


# --- inputs inside the output tree ------------------------------------------------------------------


def test_plan_refuses_an_input_by_inode(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    patient = tmp_path / "patient.toml"
    patient.write_text('start = "2026-12-01"\nage = "45"\nroute = "ommaya"\n')
    out = tmp_path / "out"
    out.mkdir()
    os.link(patient, out / "plan.json")  # the same file under the output's name
    before = snapshot(tmp_path)
    result = run("plan", str(patient), "--now", NOW, "--json", str(out / "plan.json"))
    assert result.code == 2 and "is an input file" in one_line(result.err)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("where", ["patients", "clinic"])
def test_batch_refuses_an_input_inside_its_output_tree(run, tmp_path: Path, where: str) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    (out / "A-001").mkdir(parents=True)
    clinic = tmp_path / "clinic.toml"
    clinic.write_text('name = "Clinic"\ntz = "America/New_York"\n')
    if where == "patients":
        patients = write_csv(out / "A-001" / "plan.csv", *GOOD)
        args: tuple[str, ...] = ("--formats", "json,csv")
    else:
        patients = write_csv(tmp_path / "p.csv", *GOOD)
        os.replace(clinic, out / "A-001" / "plan.json")
        clinic = out / "A-001" / "plan.json"
        args = ("--clinic", str(clinic))
    before = snapshot(tmp_path)
    result = batch(run, patients, out, *args)
    line = one_line(result.err)
    assert result.code == 2 and "would be overwritten" in line and "A-001" in line
    assert snapshot(tmp_path) == before


# --- a planted symbolic link in batch ---------------------------------------------------------------


def test_batch_refuses_a_planted_patient_folder_link(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "A-002").symlink_to(elsewhere)
    patients = write_csv(tmp_path / "p.csv", *GOOD)
    before = snapshot(tmp_path)
    result = batch(run, patients, out)
    line = one_line(result.err)
    assert result.code == 2 and "symbolic link" in line and "A-002" in line
    assert snapshot(tmp_path) == before and list(elsewhere.iterdir()) == []


def test_batch_refuses_a_planted_file_link_for_that_row(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out, victim = tmp_path / "out", tmp_path / "victim.json"
    (out / "A-002").mkdir(parents=True)
    victim.write_text("theirs")
    (out / "A-002" / "plan.json").symlink_to(victim)
    patients = write_csv(tmp_path / "p.csv", *GOOD)
    result = batch(run, patients, out)
    assert result.code == 1, result.err
    rows = {r["patient_id"]: r for r in csv.DictReader(io.StringIO((out / "summary.csv").read_text()))}
    assert rows["A-002"]["outcome"] == "invalid" and "leads outside" in rows["A-002"]["reason"]
    assert rows["A-001"]["outcome"] == rows["A-003"]["outcome"] == "ok"
    assert victim.read_text() == "theirs" and temps(tmp_path) == []


def test_batch_files_are_checked_before_any_row(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    (out / "agenda.pdf").mkdir(parents=True)
    (out / "summary.csv").write_text("old summary\n")
    (out / "agenda.csv").write_text("old agenda\n")
    patients = write_csv(tmp_path / "p.csv", *GOOD)
    before = snapshot(tmp_path)
    result = batch(run, patients, out)
    line = one_line(result.err)
    assert result.code == 2 and "agenda.pdf" in line and "directory" in line
    assert snapshot(tmp_path) == before  # summary.csv and agenda.csv untouched, no patient folder


def test_batch_files_are_all_staged_before_any_is_replaced(tmp_path: Path) -> None:
    """Below the CLI's up-front check: the four batch files are written as one write_all, so a
    folder appearing at agenda.pdf mid-run still leaves summary.csv and agenda.csv as they were."""
    from scheduler.errors import InputError
    from scheduler.writer import write_all

    out = tmp_path / "out"
    (out / "agenda.pdf").mkdir(parents=True)
    (out / "summary.csv").write_text("old\n")
    with pytest.raises(InputError, match="directory"):
        write_all(
            {
                out / "summary.csv": b"new",
                out / "clinic.ics": lambda fh: fh.write(b"x"),
                out / "agenda.pdf": b"%PDF",
            },
            within=out,
        )
    assert (out / "summary.csv").read_text() == "old\n" and not (out / "clinic.ics").exists()
    assert temps(tmp_path) == []


# --- a full file system (a 16 KiB tmpfs, where this machine lets the tests mount one) --------------


@contextlib.contextmanager
def small_tmpfs(tmp_path: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` mounted at tmp_path/small (skipped where it cannot be mounted)."""
    import subprocess

    small = tmp_path / "small"
    small.mkdir()
    if not (sys.platform.startswith("linux") and ROOT):
        pytest.skip("mounting a tmpfs needs root on Linux")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(small)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield small
    finally:
        subprocess.run(["umount", str(small)], check=False)


def test_a_full_disk_in_batch_and_plan(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with small_tmpfs(tmp_path, "16k") as small:
        result = run(*PLAN, "-q", "--pdf", str(small / "plan.pdf"), "--json", str(small / "plan.json"))
        line = one_line(result.err)
        assert result.code == 74 and "No space left on device" in line and str(small) in line
        assert list(small.iterdir()) == []


def test_a_full_disk_in_batch(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with small_tmpfs(tmp_path, "48k") as small:
        patients = write_csv(tmp_path / "p.csv", *GOOD)
        result = batch(run, patients, small / "out")
        # each row that does not fit is an `error` naming its file (exit 1), or the batch's own
        # files do not fit either (exit 74); never an internal error, never a temporary file left
        assert result.code in (1, 74), result.err
        assert "No space left on device" in result.out + result.err
        assert "internal error" not in result.out + result.err and "Traceback" not in result.err
        if result.code == 1:  # a row's own file named on its line
            assert "plan." in result.out
        else:  # the batch's own files (written last, after the rows) named in the one error line
            assert any(
                name in one_line(result.err) for name in ("summary.csv", "agenda", "clinic.ics", "working")
            )
        assert temps(small) == []


@pytest.mark.skipif(not (ROOT and LINUX_OR_MAC), reason="drops to the user nobody, which needs root")
def test_permission_denied_as_an_ordinary_user() -> None:
    """EACCES needs an ordinary user (root writes anywhere): lmsched runs as `nobody` into a
    folder it may not write, and says so in one line, exit 2, leaving nothing."""
    import shutil
    import subprocess
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="lmsched-eacces-", dir="/tmp"))
    try:
        os.chmod(base, 0o777)
        locked = base / "locked"
        locked.mkdir(mode=0o755)
        cache = base / "cache"
        cache.mkdir(mode=0o777)
        env = {**os.environ, "LMSCHED_CACHE_DIR": str(cache), "HOME": str(base), "XDG_CONFIG_HOME": str(base)}
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "scheduler", *PLAN, "-q", "--json", str(locked / "plan.json")],
                cwd=Path(__file__).resolve().parents[2],
                env=env,
                user=65534,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        except PermissionError as exc:  # the interpreter lives where nobody may not go (/root)
            pytest.skip(f"the user nobody cannot start {sys.executable}: {exc.strerror}")
        if "Permission denied" in proc.stderr and "plan.json" not in proc.stderr:
            pytest.skip(f"the user nobody cannot run lmsched from here: {proc.stderr.strip()[:200]}")
        assert proc.returncode == 2, proc.stderr
        line = one_line(proc.stderr)
        assert str(locked) in line and "permission denied" in line
        assert list(locked.iterdir()) == []
    finally:
        shutil.rmtree(base)
