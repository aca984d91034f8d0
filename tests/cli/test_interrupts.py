"""Interrupting `lmsched batch` in a real subprocess: Ctrl-C (SIGINT to the process group, as a
terminal sends it), SIGTERM (to the parent alone, and to the group as a service manager does) and
SIGKILL of the parent. The workers stop quietly, no temporary file is left, one line says how
many patients were done, the exit code is documented, and a rerun finishes and sweeps what an
earlier run left."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scheduler.batch import sweep_temporaries
from scheduler.errors import EXIT_INTERRUPTED, EXIT_TERMINATED

from ..conftest import NOW, ROOT

ROWS = 200
JOBS = 3
pytestmark = pytest.mark.skipif(not hasattr(os, "killpg"), reason="POSIX signals and process groups")


def patients(path: Path, rows: int = ROWS) -> Path:
    lines = ["patient_id,patient_name,start,age,route"]
    lines += [f"P-{n:04d},Patient {n},2026-12-01,45,ommaya" for n in range(rows)]
    path.write_text("\n".join(lines) + "\n")
    return path


def batch_args(csv: Path, out: Path) -> list[str]:
    return ["batch", str(csv), "--out", str(out), "--now", NOW, "--jobs", str(JOBS)]


def start(csv: Path, out: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "scheduler", *batch_args(csv, out)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def planned(out: Path) -> int:
    """Patient folders whose files are all written (plan.json, plan.ics, plan.pdf)."""
    if not out.is_dir():
        return 0
    return sum(1 for d in out.iterdir() if d.is_dir() and len(list(d.glob("plan.*"))) == 3)


def mid_run(proc: subprocess.Popen[str], out: Path) -> list[int]:
    """Wait until some patients are written but the batch is far from done; the worker pids."""
    deadline = time.monotonic() + 60
    while planned(out) < 10:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the batch did not start"
        time.sleep(0.02)
    assert planned(out) < ROWS // 2, "too fast to interrupt mid-run: raise ROWS"
    return children(proc.pid)


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    if path.exists():
        return [int(p) for p in path.read_text().split()]
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False)
    return [int(p) for p in found.stdout.split()]


def alive(pid: int) -> bool:
    """Running (a zombie waiting for a reaper that is not ours counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():
        try:
            return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except (OSError, IndexError):
            return False
    state = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True, check=False)
    return bool(state.stdout.strip()) and not state.stdout.strip().startswith("Z")


def temporaries(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if p.name.endswith(".tmp")]


SUMMARY = re.compile(
    r"^lmsched: error: (interrupted \(Ctrl-C\)|terminated \(SIGTERM\)): (\d+) of 200 patients done, "
    r"(\d+) with their files in .+/<patient>/; summary.csv, agenda.csv, agenda.pdf and clinic.ics were "
    r"not written; run the same batch again to finish$"
)


@pytest.mark.parametrize(
    ("sig", "group", "code"),
    [
        (signal.SIGINT, True, EXIT_INTERRUPTED),  # Ctrl-C: the terminal signals the whole group
        (signal.SIGTERM, False, EXIT_TERMINATED),  # kill PID
        (signal.SIGTERM, True, EXIT_TERMINATED),  # a service manager stopping the unit
    ],
    ids=["sigint-group", "sigterm-parent", "sigterm-group"],
)
def test_interrupted_batch_stops_cleanly_and_a_rerun_finishes(
    tmp_path: Path, sig: signal.Signals, group: bool, code: int
) -> None:
    csv, out = patients(tmp_path / "p.csv"), tmp_path / "out"
    proc = start(csv, out)
    workers = mid_run(proc, out)
    assert len(workers) == JOBS
    (os.killpg if group else os.kill)(proc.pid, sig)
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == code, stderr
    assert "Traceback" not in stderr and "Error" not in stderr.replace("error:", ""), stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    match = SUMMARY.match(lines[0])
    assert match, lines[0]
    done, written = int(match[2]), int(match[3])
    assert ("SIGTERM" in lines[0]) == (sig == signal.SIGTERM)
    # The count is what is on disk: each patient written whole (the row in hand was finished).
    folders = {d.name: sorted(p.name for p in d.iterdir()) for d in out.iterdir() if d.is_dir()}
    assert 10 <= done == written == planned(out) < ROWS, (
        len(folders),
        {name: files for name, files in folders.items() if len(files) != 3},
    )
    assert not [d for d in out.iterdir() if d.is_dir() and len(list(d.iterdir())) not in (0, 3)]
    assert stdout == ""
    assert temporaries(out) == []
    assert not (out / "summary.csv").exists()
    assert not [pid for pid in workers if alive(pid)]
    # What a killed run could leave: planted, then swept by the rerun; nothing else is touched.
    first = sorted(d for d in out.iterdir() if d.is_dir())[0]
    stale = [out / ".agenda.pdf.k3j_9xq2.tmp", first / ".plan.json.a1b2c3d4.tmp"]
    kept = [out / "notes.tmp", first / ".plan.json.tmp", out / ".keep.txt", first / "mine.a1b2c3d4.tmp"]
    for path in stale + kept:
        path.write_text("x")
    link = out / ".clinic.ics.zzzzzzzz.tmp"
    link.symlink_to(tmp_path / "p.csv")  # a link with the name: never followed nor removed
    rerun = subprocess.run(
        [sys.executable, "-m", "scheduler", *batch_args(csv, out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert "200 patients: 200 ok" in rerun.stdout
    assert planned(out) == ROWS and (out / "summary.csv").exists()
    assert not [p for p in stale if p.exists()]
    assert all(p.read_text() == "x" for p in kept)
    assert link.is_symlink() and (tmp_path / "p.csv").exists()
    assert sorted(temporaries(out)) == sorted([link, *(p for p in kept if p.name.endswith(".tmp"))])


def test_killed_parent_leaves_no_workers(tmp_path: Path) -> None:
    """SIGKILL gives the parent no chance to stop anything: the workers notice and leave within
    seconds (PR_SET_PDEATHSIG on Linux, the getppid watch elsewhere), printing nothing."""
    csv, out = patients(tmp_path / "p.csv"), tmp_path / "out"
    proc = start(csv, out)
    workers = mid_run(proc, out)
    assert workers and all(alive(pid) for pid in workers)
    os.kill(proc.pid, signal.SIGKILL)
    _stdout, stderr = proc.communicate(timeout=30)  # returns once no worker holds stderr open
    deadline = time.monotonic() + 10
    while [pid for pid in workers if alive(pid)] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in workers if alive(pid)]
    assert stderr == ""


def test_sweep_takes_only_lmsched_temporaries_and_stays_in_the_tree(tmp_path: Path) -> None:
    out, outside = tmp_path / "out", tmp_path / "outside"
    (out / "P-1" / "deeper").mkdir(parents=True)
    outside.mkdir()
    (outside / ".plan.json.abcdefgh.tmp").write_text("not ours to remove")
    (out / "elsewhere").symlink_to(outside, target_is_directory=True)
    ours = [out / ".summary.csv.0123abcd.tmp", out / "P-1" / ".plan.pdf.zz_zz_zz.tmp"]
    theirs = [out / "P-1" / "deeper" / ".plan.json.abcdefgh.tmp", out / "P-1" / "plan.json"]
    for path in ours + theirs:
        path.write_text("x")
    assert sweep_temporaries(out) == 2
    assert not [p for p in ours if p.exists()]
    assert all(p.exists() for p in theirs)  # only DIR and DIR/<patient>/ hold lmsched's files
    assert (outside / ".plan.json.abcdefgh.tmp").exists()
    assert sweep_temporaries(tmp_path / "missing") == 0


def test_ctrl_c_outside_batch_is_one_line_and_130(tmp_path: Path) -> None:
    """Any other command stopped by Ctrl-C (or SIGTERM) says so in one line: no traceback and
    not click's 'Aborted!' (exit 2, which means bad input)."""
    script = (
        "import os, signal, sys\n"
        "from scheduler.cli import main\n"
        "import scheduler.service as s\n"
        "def slow(*a, **k):\n"
        "    os.kill(os.getpid(), getattr(signal, sys.argv[1]))\n"
        "    raise AssertionError('not interrupted')\n"
        "s.make_plan = slow\n"
        "sys.exit(main(['plan', '--start', '2026-12-01', '--age', '45', '--route', 'ommaya',"
        " '--json', sys.argv[2]]))\n"
    )
    for name, code, word in (
        ("SIGINT", EXIT_INTERRUPTED, "interrupted"),
        ("SIGTERM", EXIT_TERMINATED, "terminated"),
    ):
        target = tmp_path / f"{name}.json"
        proc = subprocess.run(
            [sys.executable, "-c", script, name, str(target)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert proc.returncode == code, proc.stderr
        assert [line for line in proc.stderr.splitlines() if line.strip()] == [
            f"lmsched: {word}" + (" (SIGTERM)" if name == "SIGTERM" else "")
        ]
        assert not target.exists()
