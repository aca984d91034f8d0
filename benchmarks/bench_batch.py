"""`lmsched batch` for 100 and 1,000 synthetic patients, against the floor (issue 8).

Run with `.venv/bin/python benchmarks/bench_batch.py` (about 2-5 minutes on 2 cores). The patients
come from benchmarks/synthetic.py (fixed seed; every row plans without a blocking finding). Each
case runs as a fresh process tree, the way a user runs it:

- `lmsched batch PATIENTS.csv --out DIR --formats ics,pdf --audience staff --now ...` with the
  default --jobs (the machine's cores) and a holiday cache warmed by an untimed run first;
- the floor, benchmarks/floor_batch.py: one process, the same regimen expanded with dateutil, an
  `icalendar` file and a one-table ReportLab PDF per patient, no validation or rules;
- the rendering floor (issue 20), benchmarks/floor_render.py: one process that reads the plan JSON
  lmsched wrote for the same 1,000 patients (an untimed `batch --formats json`) and writes each
  staff sheet with platypus (the same columns, totals, findings and sign-off) and each calendar
  with icalendar (the same alarms, a VTIMEZONE): lmsched's event mix, rendered the obvious way.

Measured per case: wall time (median of BENCH_BATCH_REPEAT runs, default 3), and the peak memory
of the whole process tree (the parent and its worker processes): a thread samples VmRSS of every
process in the tree every 20 ms and keeps the largest sum. Forked workers share pages that RSS
counts once per process, so the sum overstates real use; PSS (shared pages split between the
processes) is sampled beside it for that reason, and ru_maxrss from wait4 (the largest single
process) as a cross-check. The PDF pages written per patient are counted to give time per page.

Targets: lmsched wall / floor wall <= 2.5 at 1,000 patients (issue 20; issue 8 asked for 1.0), and
<= 0.6 of the rendering floor's (issue 20); peak RSS (tree sum) under
250 MB at 100 and at 1,000 patients, and at 1,000 no more than 10% above 100. Results go to
benchmarks/results/batch.json and batch.md; the exit code is 1 when a target is missed.
"""

from __future__ import annotations

import csv
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import write_patients  # a sibling script, not a package

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
PY = sys.executable
LMSCHED = str(Path(PY).parent / "lmsched")
FLOOR = str(ROOT / "benchmarks" / "floor_batch.py")
RENDER_FLOOR = str(ROOT / "benchmarks" / "floor_render.py")
NOW = "2026-11-23T09:00:00-05:00"
SIZES = (100, 1000)
REPEAT = int(os.environ.get("BENCH_BATCH_REPEAT", "3"))
SAMPLE_S = 0.020  # one sample costs about 0.6 ms of CPU (a /proc walk)
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")  # a page, not the /Pages tree node
MB = 1024 * 1024
TARGET_RATIO, TARGET_RSS_MB, TARGET_GROWTH = 2.5, 250.0, 0.10  # issue 20: <= 2.5x the minimal floor
TARGET_RENDER_RATIO = 0.6  # issue 20: lmsched's wall against the rendering floor's, at 1,000 patients
Row = dict[str, Any]  # one case's (or target's) figures, as written to batch.json


@dataclass
class Run:
    """One measured process tree."""

    wall_s: float
    peak_rss_mb: float  # largest sum of VmRSS over the tree (the measure)
    peak_pss_mb: float  # largest sum of PSS over the tree (shared pages counted once)
    max_single_rss_mb: float  # ru_maxrss from wait4: the largest single process in the tree
    max_processes: int
    cpu_s: float = 0.0  # user + system CPU of the whole tree (wait4: the child and its waited-for children)


def _children_map() -> dict[int, list[int]]:
    """ppid -> pids, from /proc/*/stat (the command name may hold spaces and parentheses)."""
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                ppid = int(fh.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # the process ended while we looked
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def process_tree(root: int) -> list[int]:
    tree, found, todo = _children_map(), [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(tree.get(pid, ()))
    return found


def _rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return 0


def _pss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    return 0


class TreeSampler(threading.Thread):
    """Samples the memory of a process and all its descendants until stopped; keeps the peaks."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root, self.done = root, threading.Event()
        self.peak_rss = self.peak_pss = self.max_processes = 0

    def run(self) -> None:
        while not self.done.is_set():
            pids = process_tree(self.root)
            self.peak_rss = max(self.peak_rss, sum(_rss_bytes(p) for p in pids))
            self.peak_pss = max(self.peak_pss, sum(_pss_bytes(p) for p in pids))
            self.max_processes = max(self.max_processes, len(pids))
            self.done.wait(SAMPLE_S)


def run_tree(argv: list[str], env: dict[str, str], log: Path) -> Run:
    """Run `argv` to the end, measuring wall time and memory; stop the benchmark if it fails."""
    with log.open("wb") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)  # the rusage of this child and its waited-for children
        wall = time.perf_counter() - t0
        sampler.done.set()
        sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:]
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}; the batch must succeed:\n{tail}")
    return Run(
        wall_s=round(wall, 3),
        peak_rss_mb=round(sampler.peak_rss / MB, 1),
        peak_pss_mb=round(sampler.peak_pss / MB, 1),
        max_single_rss_mb=round(usage.ru_maxrss / 1024, 1),  # ru_maxrss is in KiB on Linux
        max_processes=sampler.max_processes,
        cpu_s=round(usage.ru_utime + usage.ru_stime, 3),
    )


def count_pages(out: Path) -> int:
    """PDF pages in the patients' files, DIR/<patient>/*.pdf (the agenda is counted apart)."""
    return sum(len(PAGE_OBJECT.findall(pdf.read_bytes())) for pdf in out.glob("*/*.pdf"))


def check_outputs(out: Path, n: int, summary: bool) -> None:
    """Every patient has an ICS and a PDF (and, for lmsched, a summary row); else the run is void."""
    folders = [d for d in out.iterdir() if d.is_dir()]
    complete = sum((d / "plan.ics").is_file() and (d / "plan.pdf").is_file() for d in folders)
    if complete != n:
        raise SystemExit(f"{out}: {complete} of {n} patients have plan.ics and plan.pdf")
    if summary:
        with (out / "summary.csv").open(newline="", encoding="utf-8") as fh:
            outcomes = [row["outcome"] for row in csv.DictReader(fh)]
        if outcomes.count("ok") != n:
            raise SystemExit(f"{out / 'summary.csv'}: {outcomes.count('ok')} of {n} rows ok")


def measure(name: str, argv: list[str], out: Path, env: dict[str, str], n: int) -> Row:
    """REPEAT fresh runs into an emptied DIR: median wall, the largest peaks, pages of the last run."""
    runs = []
    for _ in range(REPEAT):
        shutil.rmtree(out, ignore_errors=True)
        runs.append(run_tree([*argv, "--out", str(out)], env, out.parent / f"{out.name}.log"))
    is_lmsched = argv[0] == LMSCHED
    check_outputs(out, n, summary=is_lmsched)
    wall = statistics.median(r.wall_s for r in runs)
    pages = count_pages(out)
    agenda = out / "agenda.pdf"
    row = {
        "patients": n,
        "wall_s": round(wall, 2),
        "per_patient_ms": round(wall * 1000 / n, 1),
        "cpu_per_patient_ms": round(statistics.median(r.cpu_s for r in runs) * 1000 / n, 1),
        "peak_rss_mb": max(r.peak_rss_mb for r in runs),
        "peak_pss_mb": max(r.peak_pss_mb for r in runs),
        "max_single_rss_mb": max(r.max_single_rss_mb for r in runs),
        "max_processes": max(r.max_processes for r in runs),
        "patient_pdf_pages": pages,
        "per_page_ms": round(wall * 1000 / pages, 2),
        "agenda_pdf_pages": len(PAGE_OBJECT.findall(agenda.read_bytes())) if agenda.is_file() else None,
        "runs": [asdict(r) for r in runs],
    }
    print(
        f"{name:24s} {row['wall_s']:7.2f} s  {row['per_patient_ms']:6.1f} ms/patient  "
        f"peak RSS {row['peak_rss_mb']:6.1f} MB (PSS {row['peak_pss_mb']:.1f})  {pages} pages",
        flush=True,
    )
    return row


def machine_info() -> dict[str, object]:
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "system": f"{platform.system()} {platform.release()}",
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
    }


def run_all(tmp: Path) -> dict[str, Row]:
    """Write the patients, warm up untimed, then measure lmsched at each size and the floor."""
    env = {**os.environ, "LMSCHED_CACHE_DIR": str(tmp / "cache")}
    csvs = {n: write_patients(tmp / f"patients-{n}.csv", n) for n in SIZES}
    lmsched = [LMSCHED, "batch", "--formats", "ics,pdf", "--audience", "staff", "--now", NOW]
    floor = [PY, FLOOR, "--now", NOW]
    # Untimed: fills the holiday cache and the disk cache, compiles nothing later.
    run_tree([*lmsched, str(csvs[SIZES[0]]), "--out", str(tmp / "warm")], env, tmp / "warm.log")
    run_tree([*floor, str(csvs[SIZES[0]]), "--out", str(tmp / "warm-floor")], env, tmp / "warm-floor.log")
    rows = {}
    for n in SIZES:
        rows[f"lmsched batch, {n:,}"] = measure(
            f"lmsched batch, {n:,}", [*lmsched, str(csvs[n])], tmp / f"out-{n}", env, n
        )
    for n in SIZES:
        rows[f"floor, {n:,}"] = measure(f"floor, {n:,}", [*floor, str(csvs[n])], tmp / f"floor-{n}", env, n)
    # the rendering floor (issue 20) reads the plans lmsched made of the same patients (untimed)
    n = SIZES[1]
    plans = tmp / f"plans-{n}"
    run_tree(
        [LMSCHED, "batch", str(csvs[n]), "--formats", "json", "--now", NOW, "--out", str(plans)],
        env,
        tmp / "plans.log",
    )
    rows[f"rendering floor, {n:,}"] = measure(
        f"rendering floor, {n:,}", [PY, RENDER_FLOOR, str(plans)], tmp / f"render-{n}", env, n
    )
    return rows


def targets(rows: dict[str, Row]) -> dict[str, Row]:
    small, large = rows[f"lmsched batch, {SIZES[0]:,}"], rows[f"lmsched batch, {SIZES[1]:,}"]
    ratio = large["wall_s"] / rows[f"floor, {SIZES[1]:,}"]["wall_s"]
    growth = large["peak_rss_mb"] / small["peak_rss_mb"] - 1
    render = large["wall_s"] / rows[f"rendering floor, {SIZES[1]:,}"]["wall_s"]
    found = {
        "ratio_to_floor_at_1000": (round(ratio, 2), TARGET_RATIO, ratio <= TARGET_RATIO),
        "ratio_to_rendering_floor_at_1000": (
            round(render, 2),
            TARGET_RENDER_RATIO,
            render <= TARGET_RENDER_RATIO,
        ),
        "peak_rss_mb_at_100": (small["peak_rss_mb"], TARGET_RSS_MB, small["peak_rss_mb"] < TARGET_RSS_MB),
        "peak_rss_mb_at_1000": (large["peak_rss_mb"], TARGET_RSS_MB, large["peak_rss_mb"] < TARGET_RSS_MB),
        "rss_growth_100_to_1000": (round(growth, 3), TARGET_GROWTH, growth <= TARGET_GROWTH),
    }
    return {key: {"value": v, "limit": limit, "met": met} for key, (v, limit, met) in found.items()}


def render_md(machine: dict[str, object], rows: dict[str, Row], found: dict[str, Row]) -> list[str]:
    def verdict(key: str) -> str:
        return "met" if found[key]["met"] else "**NOT met**"

    lmsched, floor = rows[f"lmsched batch, {SIZES[1]:,}"], rows[f"floor, {SIZES[1]:,}"]
    return [
        f"Python {machine['python']} on {machine['system']} ({machine['machine']}, {machine['cpus']} CPUs); "
        f"`lmsched batch --formats ics,pdf --audience staff`, default --jobs ({machine['cpus_usable']}), "
        f"warm holiday cache; median of {REPEAT} run(s) each; peak memory of the whole process tree.",
        "",
        "| case | wall | per patient | CPU per patient | peak RSS (sum) | peak PSS (sum) | largest process "
        "| patient PDF pages | per page |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        *(
            f"| {name} | {r['wall_s']:.2f} s | {r['per_patient_ms']:.1f} ms "
            f"| {r['cpu_per_patient_ms']:.1f} ms | {r['peak_rss_mb']:.0f} MB "
            f"| {r['peak_pss_mb']:.0f} MB | {r['max_single_rss_mb']:.0f} MB | {r['patient_pdf_pages']:,} "
            f"| {r['per_page_ms']:.2f} ms |"
            for name, r in rows.items()
        ),
        "",
        f"- lmsched / floor at {SIZES[1]:,} patients: {found['ratio_to_floor_at_1000']['value']:.2f}x "
        f"({lmsched['wall_s']:.1f} s vs {floor['wall_s']:.1f} s; target <= {TARGET_RATIO:.1f}): "
        f"{verdict('ratio_to_floor_at_1000')}",
        f"- lmsched / rendering floor at {SIZES[1]:,} patients: "
        f"{found['ratio_to_rendering_floor_at_1000']['value']:.2f}x ({lmsched['wall_s']:.1f} s vs "
        f"{rows[f'rendering floor, {SIZES[1]:,}']['wall_s']:.1f} s; target <= {TARGET_RENDER_RATIO:.1f}): "
        f"{verdict('ratio_to_rendering_floor_at_1000')}",
        f"- peak RSS at {SIZES[0]:,} patients: {found['peak_rss_mb_at_100']['value']:.0f} MB "
        f"(target < {TARGET_RSS_MB:.0f} MB): {verdict('peak_rss_mb_at_100')}",
        f"- peak RSS at {SIZES[1]:,} patients: {found['peak_rss_mb_at_1000']['value']:.0f} MB "
        f"(target < {TARGET_RSS_MB:.0f} MB): {verdict('peak_rss_mb_at_1000')}",
        f"- growth from {SIZES[0]:,} to {SIZES[1]:,} patients: "
        f"{found['rss_growth_100_to_1000']['value']:+.1%} (target <= +{TARGET_GROWTH:.0%}): "
        f"{verdict('rss_growth_100_to_1000')}",
        f"- time per patient PDF page (no target): lmsched {lmsched['per_page_ms']:.2f} ms "
        f"({lmsched['patient_pdf_pages']:,} pages), floor {floor['per_page_ms']:.2f} ms "
        f"({floor['patient_pdf_pages']:,} pages, one table each); lmsched's agenda.pdf adds "
        f"{lmsched['agenda_pdf_pages']:,} pages, not counted",
    ]


def main() -> int:
    machine = machine_info()
    with tempfile.TemporaryDirectory(prefix="lmsched-bench-batch-") as tmp:
        rows = run_all(Path(tmp))
    found = targets(rows)
    ok = all(t["met"] for t in found.values())
    RESULTS.mkdir(parents=True, exist_ok=True)
    document = {"machine": machine, "repeat": REPEAT, "results": rows, "targets": found, "met": ok}
    (RESULTS / "batch.json").write_text(json.dumps(document, indent=2) + "\n")
    lines = render_md(machine, rows, found)
    (RESULTS / "batch.md").write_text("\n".join(lines) + "\n")
    print("\n" + "\n".join(lines))
    print(f"targets {'met' if ok else 'NOT met'}; wrote {RESULTS / 'batch.json'} and {RESULTS / 'batch.md'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
