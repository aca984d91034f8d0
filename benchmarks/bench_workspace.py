"""The clinic workspace (one SQLite file): building it with `lmsched batch --save`, then reading it.

Run with `.venv/bin/python benchmarks/bench_workspace.py` (`make bench`: 1,000 patients, 1-2
minutes on 2 cores) or with `--large` (`make bench-large`: 1,000 and then 20,000 patients, about
10 minutes on 2 cores, most of it the 20,000-patient batch; never in CI). The
patients come from benchmarks/synthetic.py (fixed seed; every row plans without a blocking
finding, starts spread over 2027). Subprocesses get LMSCHED_SITE_KEY_FILE=examples/demo-site-key
and a holiday cache in a temporary folder, warmed (with the disk cache) by an untimed
100-patient `batch --save` first. `--patients N` changes the default size (to try the script).

Measured for each size N:

1. The build. `lmsched workspace init` makes a fresh workspace, then
   `lmsched batch PATIENTS.csv --out DIR --formats json --now ... --save --workspace PATH` (default
   --jobs) runs as a fresh process tree, measured by bench_batch.run_tree: wall time, peak memory
   of the tree (sum of VmRSS, sampled every 20 ms; PSS beside it, since forked workers share
   pages that the RSS sum counts once per process), ru_maxrss (the largest single process).
   The agenda phase (what the parent does once every row is done: summary.csv, agenda.csv,
   agenda.pdf and clinic.ics over the whole batch, then exit) is found without changing lmsched:
   a second thread polls DIR every 50 ms for the patients' DIR/<patient>/plan.json files (each
   written by its worker, atomically, as the last step of its row; checked in row order, so a
   poll costs a few stat calls, not N) and notes when the last one appears; the agenda phase is
   from then to the process's exit, and its share is that over the batch's wall time (resolution
   about 50 ms). The same thread notes when summary.csv appears (the batch's own files are
   renamed into place together) and the tree's RSS sum in each phase, which says which phase
   makes the peak (50 ms samples: the 20 ms peak above is the figure the targets use). Reading
   PSS costs the sampler about 9 ms of system time per sample of an 800 MB process, so at 20,000
   patients the samplers take a good part of one core: the walls there are somewhat pessimistic.
   BENCH_WORKSPACE_REPEAT builds (default 1), each on a fresh workspace: median wall, largest
   peaks and agenda share.
2. One week's agenda from the workspace, AGENDA_FROM to AGENDA_TO (mid-2027, in the middle of the
   synthetic starts), with --chairs 40: in-process `records.workspace_agenda` (median of 7 runs
   after 1 warm-up) without outputs and with CSV and PDF targets in a temporary folder; the
   sessions it returns (chair sessions and clinic checks) and the time per returned session;
   `lmsched agenda --from --to --chairs 40 --workspace PATH` as a fresh process (median of 5 after
   1 warm-up; its exit code 1, a day over capacity, is a finished run).
3. `lmsched patients --workspace PATH --now ...` as a fresh process (median of 5 after 1 warm-up)
   and in-process `open_workspace(path).patients()` (opening included; median of 7 after 1).

Targets: at 20,000 patients the `batch --save` peak RSS (tree sum) under 250 MB and no more than
10% above the 1,000-patient figure; the agenda phase under 15% of the batch's wall time (at every
size measured); the time per returned session of the in-process agenda at 20,000 patients at
most 1.5x the 1,000-patient figure (reading a week must cost what the week holds, not what the
workspace holds). Without --large the 20,000-patient targets are "not measured", not missed.
Results go to benchmarks/results/workspace.json and workspace.md; the exit code is 1 when a
measured target is missed.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_batch import (  # a sibling script, not a package; importing it runs nothing
    LMSCHED,
    MB,
    NOW,
    RESULTS,
    ROOT,
    _rss_bytes,
    machine_info,
    process_tree,
    run_tree,
)
from synthetic import write_patients

SMALL, LARGE = 1000, 20000
WARM_PATIENTS = 100
REPEAT = int(os.environ.get("BENCH_WORKSPACE_REPEAT", "1"))
IN_PROCESS_RUNS, CLI_RUNS = 7, 5  # each after one untimed warm-up
AGENDA_FROM, AGENDA_TO = dt.date(2027, 6, 7), dt.date(2027, 6, 13)  # Monday to Sunday
CHAIRS = 40
POLL_S = 0.050
WINDOW = 64  # plan.json files looked for past the first missing one (rows finish nearly in order)
SITE_KEY = ROOT / "examples" / "demo-site-key"
TARGET_RSS_MB, TARGET_GROWTH, TARGET_AGENDA_SHARE, TARGET_PER_SESSION = 250.0, 0.10, 0.15, 1.5
NOT_MEASURED = "not measured (make bench-large)"
Row = dict[str, Any]  # one size's (or one target's) figures, as written to workspace.json


class BuildWatcher(threading.Thread):
    """Polls a batch's DIR while it runs: when the last patient's plan.json appears, when
    summary.csv appears, and the RSS sum of this process's children in each phase."""

    def __init__(self, out: Path, folders: Sequence[str]) -> None:
        super().__init__(daemon=True)
        self.out, self.pending, self.n = out, list(folders), len(folders)
        self.done = threading.Event()
        self.rows_done: float | None = None  # time.perf_counter() when every plan.json was there
        self.own_files: float | None = None  # ... and when summary.csv was
        self.rss_rows = self.rss_agenda = 0  # peak RSS sums (bytes) before and after rows_done

    def run(self) -> None:
        me = os.getpid()
        while not self.done.is_set():
            # the memory first: a sample taken before the last plan.json is seen is the rows'
            rss = sum(_rss_bytes(p) for p in process_tree(me) if p != me)
            if self.rows_done is None:
                self.rss_rows = max(self.rss_rows, rss)
            else:
                self.rss_agenda = max(self.rss_agenda, rss)
            now = time.perf_counter()
            if self.rows_done is None:
                self._scan()
                if not self.pending:
                    self.rows_done = now
            if self.own_files is None and (self.out / "summary.csv").exists():
                self.own_files = now
            self.done.wait(POLL_S)

    def _scan(self) -> None:
        """Drop the folders whose plan.json is written, in row order, looking at most WINDOW
        folders past the first one that is not done yet."""
        left: list[str] = []
        for i, folder in enumerate(self.pending):
            if len(left) > WINDOW:
                left.extend(self.pending[i:])
                break
            if not (self.out / folder / "plan.json").exists():
                left.append(folder)
        self.pending = left


def folders_of(patients: Path) -> list[str]:
    """The patients' folders: their ids (the synthetic ids P-00001... are safe folder names)."""
    with patients.open(newline="", encoding="utf-8") as fh:
        return [row["patient_id"] for row in csv.DictReader(fh)]


def check_summary(out: Path, n: int) -> None:
    with (out / "summary.csv").open(newline="", encoding="utf-8") as fh:
        outcomes = [row["outcome"] for row in csv.DictReader(fh)]
    if outcomes.count("ok") != n:
        raise SystemExit(f"{out / 'summary.csv'}: {outcomes.count('ok')} of {n} rows ok")


def init_workspace(path: Path, env: dict[str, str]) -> None:
    argv = [LMSCHED, "workspace", "init", str(path), "--site-key", str(SITE_KEY), "--now", NOW]
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}:\n{done.stderr.decode()}")


def batch_argv(patients: Path, out: Path, workspace: Path) -> list[str]:
    return [
        LMSCHED, "batch", str(patients), "--out", str(out), "--formats", "json", "--now", NOW,
        "--save", "--workspace", str(workspace),
    ]  # fmt: skip


def build_once(patients: Path, folders: Sequence[str], work: Path, env: dict[str, str]) -> Row:
    """One fresh workspace, filled by one `batch --save` (a fresh process tree)."""
    workspace, out = work / "clinic.lmsched", work / "out"
    work.mkdir()
    init_workspace(workspace, env)
    watcher = BuildWatcher(out, folders)
    watcher.start()
    t0 = time.perf_counter()
    run = run_tree(batch_argv(patients, out, workspace), env, work / "batch.log")
    ended = time.perf_counter()  # the exit, plus the 20 ms sampler's last sample and join
    watcher.done.set()
    watcher.join()
    check_summary(out, len(folders))
    if watcher.rows_done is None:
        raise SystemExit(f"{out}: {len(watcher.pending)} patients have no plan.json after the batch")
    agenda_s = ended - watcher.rows_done
    files = sum(
        Path(f"{workspace}{s}").stat().st_size for s in ("", "-wal") if Path(f"{workspace}{s}").exists()
    )
    return {
        **asdict(run),
        "rows_done_s": round(watcher.rows_done - t0, 2),
        "agenda_phase_s": round(agenda_s, 2),
        "agenda_share": round(agenda_s / run.wall_s, 3),
        "own_files_s": None if watcher.own_files is None else round(watcher.own_files - t0, 2),
        "rss_rows_mb": round(watcher.rss_rows / MB, 1),
        "rss_agenda_mb": round(watcher.rss_agenda / MB, 1),
        "workspace_mb": round(files / MB, 1),
    }


def build(n: int, patients: Path, tmp: Path, env: dict[str, str]) -> tuple[Row, Path]:
    """REPEAT builds of an N-patient workspace; the figures, and the last workspace to read."""
    folders = folders_of(patients)
    runs = [build_once(patients, folders, tmp / f"build-{n}-{i}", env) for i in range(REPEAT)]
    middle = sorted(runs, key=lambda r: r["wall_s"])[(len(runs) - 1) // 2]  # the median run's phases
    row = {
        "patients": n,
        "wall_s": round(statistics.median(r["wall_s"] for r in runs), 2),
        "per_patient_ms": round(middle["wall_s"] * 1000 / n, 1),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        "peak_pss_mb": max(r["peak_pss_mb"] for r in runs),
        "max_single_rss_mb": max(r["max_single_rss_mb"] for r in runs),
        "max_processes": max(r["max_processes"] for r in runs),
        "rows_done_s": middle["rows_done_s"],
        "agenda_phase_s": middle["agenda_phase_s"],
        "agenda_share": max(r["agenda_share"] for r in runs),
        "own_files_s": middle["own_files_s"],
        "rss_rows_mb": middle["rss_rows_mb"],
        "rss_agenda_mb": middle["rss_agenda_mb"],
        "workspace_mb": middle["workspace_mb"],
        "runs": runs,
    }
    print(
        f"build {n:>6,}: {row['wall_s']:7.1f} s ({row['per_patient_ms']:.1f} ms/patient), rows done at "
        f"{row['rows_done_s']:.1f} s, agenda phase {row['agenda_phase_s']:.1f} s "
        f"({row['agenda_share']:.1%}); peak RSS {row['peak_rss_mb']:.0f} MB (PSS {row['peak_pss_mb']:.0f}); "
        f"workspace {row['workspace_mb']:.0f} MB",
        flush=True,
    )
    return row, tmp / f"build-{n}-{REPEAT - 1}" / "clinic.lmsched"


def median_s(call: Callable[[], object], runs: int) -> float:
    """Median seconds of `runs` calls after one untimed warm-up."""
    call()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def cli_s(argv: list[str], env: dict[str, str], ok: tuple[int, ...] = (0,)) -> float:
    """Median wall seconds of CLI_RUNS fresh processes (after one), output thrown away."""

    def once() -> None:
        done = subprocess.run(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if done.returncode not in ok:
            raise SystemExit(f"{' '.join(argv)} exited {done.returncode}:\n{done.stderr.decode()}")

    return median_s(once, CLI_RUNS)


def reads(n: int, workspace: Path, tmp: Path, env: dict[str, str]) -> Row:
    """The week's agenda and the patient list from an N-patient workspace."""
    from scheduler.records import open_workspace, workspace_agenda

    def agenda(targets: dict[str, Path] | None = None) -> Any:
        return workspace_agenda(workspace, AGENDA_FROM, AGENDA_TO, chairs=CHAIRS, targets=targets, now=NOW)

    def patients() -> list[Any]:
        with open_workspace(workspace) as ws:
            return ws.patients()

    result = agenda()
    # `.sessions` is the rows returned: a tuple of them, or (since the agenda streams) their count
    sessions = result.sessions if isinstance(result.sessions, int) else len(result.sessions)
    if sessions < n // 10:
        raise SystemExit(f"{AGENDA_FROM} to {AGENDA_TO}: only {sessions} sessions for {n} patients")
    listed = len(patients())
    if listed != n:
        raise SystemExit(f"{workspace}: patients() lists {listed} of {n}")
    files = tmp / f"agenda-{n}"
    files.mkdir()
    targets = {"csv": files / "agenda.csv", "pdf": files / "agenda.pdf"}
    plain = median_s(agenda, IN_PROCESS_RUNS)
    written = median_s(lambda: agenda(targets), IN_PROCESS_RUNS)
    week = ["--from", AGENDA_FROM.isoformat(), "--to", AGENDA_TO.isoformat(), "--chairs", str(CHAIRS)]
    cli_agenda = cli_s([LMSCHED, "agenda", *week, "--workspace", str(workspace)], env, ok=(0, 1))
    cli_patients = cli_s([LMSCHED, "patients", "--workspace", str(workspace), "--now", NOW], env)
    listing = median_s(patients, IN_PROCESS_RUNS)
    row = {
        "patients": n,
        "agenda_sessions": sessions,
        "agenda_days": len(result.days),
        "agenda_overloads": len(result.overloads),
        "agenda_ms": round(plain * 1000, 1),
        "agenda_per_session_us": round(plain * 1e6 / sessions, 1),
        "agenda_csv_pdf_ms": round(written * 1000, 1),
        "agenda_csv_pdf_per_session_us": round(written * 1e6 / sessions, 1),
        "agenda_cli_ms": round(cli_agenda * 1000, 1),
        "patients_cli_ms": round(cli_patients * 1000, 1),
        "patients_in_process_ms": round(listing * 1000, 1),
    }
    print(
        f"reads {n:>6,}: agenda {sessions:,} sessions in {row['agenda_ms']:.1f} ms "
        f"({row['agenda_per_session_us']:.0f} us/session; with CSV+PDF {row['agenda_csv_pdf_ms']:.0f} ms), "
        f"`lmsched agenda` {row['agenda_cli_ms']:.0f} ms; `lmsched patients` "
        f"{row['patients_cli_ms']:.0f} ms, patients() {row['patients_in_process_ms']:.1f} ms",
        flush=True,
    )
    return row


def run_all(tmp: Path, sizes: Sequence[int]) -> dict[int, Row]:
    env = {
        **{k: v for k, v in os.environ.items() if k != "LMSCHED_WORKSPACE"},
        "LMSCHED_SITE_KEY_FILE": str(SITE_KEY),
        "LMSCHED_CACHE_DIR": str(tmp / "cache"),
    }
    warm = write_patients(tmp / f"patients-{WARM_PATIENTS}.csv", WARM_PATIENTS)
    (tmp / "warm").mkdir()
    init_workspace(tmp / "warm" / "clinic.lmsched", env)  # untimed: the holiday and disk caches
    run_tree(batch_argv(warm, tmp / "warm" / "out", tmp / "warm" / "clinic.lmsched"), env, tmp / "warm.log")
    rows = {}
    for n in sizes:
        patients = write_patients(tmp / f"patients-{n}.csv", n)
        built, workspace = build(n, patients, tmp, env)
        rows[n] = {"build": built, "reads": reads(n, workspace, tmp, env)}
    return rows


def targets(rows: dict[int, Row], small: int, large: int) -> dict[str, Row]:
    def target(value: float | None, limit: float, met: Callable[[float], bool]) -> Row:
        if value is None:
            return {"value": None, "limit": limit, "met": None, "note": NOT_MEASURED}
        return {"value": value, "limit": limit, "met": met(value)}

    big = rows.get(large)
    rss = big["build"]["peak_rss_mb"] if big else None
    growth = round(rss / rows[small]["build"]["peak_rss_mb"] - 1, 3) if rss is not None else None
    per_session = (
        round(big["reads"]["agenda_per_session_us"] / rows[small]["reads"]["agenda_per_session_us"], 2)
        if big
        else None
    )
    share_large = big["build"]["agenda_share"] if big else None
    return {
        f"peak_rss_mb_at_{large}": target(rss, TARGET_RSS_MB, lambda v: v < TARGET_RSS_MB),
        f"rss_growth_{small}_to_{large}": target(growth, TARGET_GROWTH, lambda v: v <= TARGET_GROWTH),
        f"agenda_share_at_{small}": target(
            rows[small]["build"]["agenda_share"], TARGET_AGENDA_SHARE, lambda v: v < TARGET_AGENDA_SHARE
        ),
        f"agenda_share_at_{large}": target(
            share_large, TARGET_AGENDA_SHARE, lambda v: v < TARGET_AGENDA_SHARE
        ),
        f"per_session_ratio_{large}_to_{small}": target(
            per_session, TARGET_PER_SESSION, lambda v: v <= TARGET_PER_SESSION
        ),
    }


def render_md(
    machine: dict[str, object], rows: dict[int, Row], found: dict[str, Row], small: int, large: int
) -> list[str]:
    def bullet(key: str, what: str, fmt: str, limit: str) -> str:
        value, met = found[key]["value"], found[key]["met"]
        verdict = NOT_MEASURED if met is None else "met" if met else "**NOT met**"
        return f"- {what}: {'-' if value is None else format(value, fmt)} (target {limit}): {verdict}"

    def build_row(b: Row) -> str:
        return (
            f"| {b['patients']:,} | {b['wall_s']:.1f} s | {b['per_patient_ms']:.1f} ms "
            f"| {b['peak_rss_mb']:.0f} MB | {b['peak_pss_mb']:.0f} MB | {b['max_single_rss_mb']:.0f} MB "
            f"| {b['rows_done_s']:.1f} s | {b['agenda_phase_s']:.1f} s | {b['agenda_share']:.1%} "
            f"| {b['rss_rows_mb']:.0f} / {b['rss_agenda_mb']:.0f} MB | {b['workspace_mb']:,.0f} MB |"
        )

    def read_row(r: Row) -> str:
        return (
            f"| {r['patients']:,} | {r['agenda_sessions']:,} | {r['agenda_ms']:.1f} ms "
            f"| {r['agenda_per_session_us']:.0f} us | {r['agenda_csv_pdf_ms']:.0f} ms "
            f"| {r['agenda_cli_ms']:.0f} ms | {r['patients_cli_ms']:.0f} ms "
            f"| {r['patients_in_process_ms']:.1f} ms |"
        )

    share = f"< {TARGET_AGENDA_SHARE:.0%}"
    return [
        f"Python {machine['python']} on {machine['system']} ({machine['machine']}, {machine['cpus']} CPUs); "
        f"`lmsched batch --formats json --save` into a fresh workspace, default --jobs "
        f"({machine['cpus_usable']}), warm holiday cache, {REPEAT} build(s) per size; peak memory of the "
        "whole process tree; agenda phase: from the last patient's plan.json to the exit (50 ms polls).",
        "",
        "| patients | build wall | per patient | peak RSS (sum) | peak PSS (sum) | largest process "
        "| rows done at | agenda phase | share | RSS rows / agenda phase | workspace file |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *(build_row(r["build"]) for r in rows.values()),
        "",
        f"One week ({AGENDA_FROM} to {AGENDA_TO}, --chairs {CHAIRS}) and the patient list; in-process: "
        f"median of {IN_PROCESS_RUNS} after 1 warm-up; CLI: fresh processes, median of {CLI_RUNS} after 1.",
        "",
        "| patients | week's sessions | `workspace_agenda` | per session | with CSV + PDF | `lmsched agenda` "
        "| `lmsched patients` | `patients()` |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
        *(read_row(r["reads"]) for r in rows.values()),
        "",
        bullet(
            f"peak_rss_mb_at_{large}",
            f"peak RSS of `batch --save` at {large:,} patients, MB",
            ".0f",
            f"< {TARGET_RSS_MB:.0f}",
        ),
        bullet(
            f"rss_growth_{small}_to_{large}",
            f"its growth from {small:,} to {large:,} patients",
            "+.1%",
            f"<= +{TARGET_GROWTH:.0%}",
        ),
        bullet(f"agenda_share_at_{small}", f"agenda phase at {small:,} patients, of the batch", ".1%", share),
        bullet(f"agenda_share_at_{large}", f"agenda phase at {large:,} patients, of the batch", ".1%", share),
        bullet(
            f"per_session_ratio_{large}_to_{small}",
            f"time per returned session of the week's agenda, {large:,} / {small:,} patients",
            ".2f",
            f"<= {TARGET_PER_SESSION:.1f}",
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--large", action="store_true", help=f"also {LARGE:,} patients (make bench-large)")
    parser.add_argument(
        "--patients", type=int, default=SMALL, metavar="N", help="the default size (to try the script)"
    )
    args = parser.parse_args()
    small = args.patients
    sizes = (small, LARGE) if args.large else (small,)
    machine = machine_info()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="lmsched-bench-workspace-") as tmp:
        rows = run_all(Path(tmp), sizes)
    found = targets(rows, small, LARGE)
    ok = all(t["met"] is not False for t in found.values())
    document = {
        "machine": machine,
        "repeat": REPEAT,
        "agenda_week": [AGENDA_FROM.isoformat(), AGENDA_TO.isoformat()],
        "chairs": CHAIRS,
        "results": {str(n): r for n, r in rows.items()},
        "targets": found,
        "met": ok,
        "elapsed_s": round(time.perf_counter() - started, 1),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "workspace.json").write_text(json.dumps(document, indent=2) + "\n")
    lines = render_md(machine, rows, found, small, LARGE)
    (RESULTS / "workspace.md").write_text("\n".join(lines) + "\n")
    print("\n" + "\n".join(lines))
    print(
        f"measured targets {'met' if ok else 'NOT met'} ({document['elapsed_s']:.0f} s); "
        f"wrote {RESULTS / 'workspace.json'} and {RESULTS / 'workspace.md'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
