"""Start-up and one-plan timings for this machine, as medians of fresh processes.

Run with `make bench`. Each command runs in a new interpreter (that is what a user pays), a few
times to warm the disk cache first, then REPEAT times; the median and the spread are reported
beside the bare Python start-up and `import click`, the floor the CLI is measured against.

lmsched's modules are compiled to bytecode first, as an installed package's are.

Results go to benchmarks/results/cli.json (machine-readable) and cli.md (the table the README
quotes). Targets (issue 3): `lmsched --help` under 2x `python -c "import click"`; one
`lmsched plan ... --json --csv` under 150 ms. Issue 20: that plan at most 3.5x `import click`
(with the cost of pydantic and of the project's models in isolation beside it, which bound what
is reachable), and one `plan --ics --pdf --audience staff` at most 1.3x the minimal floor
(benchmarks/floor_batch.py) for one patient.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
PY = sys.executable
REPEAT = int(os.environ.get("BENCH_REPEAT", "21"))
WARMUP = 3
NOW = "2026-11-23T09:00:00-05:00"
PLAN = "lmsched plan (adult example, --json --csv)"
PLAN_NO_CACHE = "same plan, holiday cache off"
PLAN_ICS = "same plan, with --ics (12 months, 80 events)"
PLAN_PDF = "same plan, with --pdf and --staff-pdf"
EXPORT_ICS = "lmsched export (saved plan, --ics)"
EXPORT_FHIR = "lmsched export (saved plan, --fhir)"
RESCHEDULE = "lmsched reschedule (--delay, --json)"
DIFF = "lmsched diff (plan, its revision)"
RECONCILE = "lmsched reconcile (5 doses given)"


PLAN_STAFF = "lmsched plan --ics --pdf --audience staff"
FLOOR_ONE = "minimal floor, one patient (ics + one-table pdf)"
PYDANTIC = "python -c 'import pydantic'"
PYDANTIC_FLOOR = "from pydantic import BaseModel\nclass M(BaseModel):\n    x: int\nM(x=1)\n"
MODELS = "python: import the project's models (scheduler.models, .plan)"


def measure(argv: list[str], cwd: Path, cache: str) -> list[float]:
    """Wall times in ms; exit codes 0 and 1 (diff found differences) are both a finished run."""
    # The demo-only site key (unless one is set), so a benchmark never creates a key in the home.
    demo_key = str(Path(__file__).resolve().parent.parent / "examples" / "demo-site-key")
    env = {"LMSCHED_SITE_KEY_FILE": demo_key, **os.environ, "LMSCHED_CACHE_DIR": cache}

    def once() -> None:
        done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False)
        if done.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.decode()}")

    for _ in range(WARMUP):
        once()
    times = []
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        once()
        times.append((time.perf_counter() - t0) * 1000)
    return times


def main() -> int:
    # What an installed lmsched runs: its modules' bytecode written (pip compiles a package when it
    # installs it). A checkout run with PYTHONDONTWRITEBYTECODE set (as CI and this project's
    # machines do) would otherwise compile every module of lmsched in every run: about 80 ms here.
    import compileall

    compileall.compile_dir(str(ROOT / "scheduler"), quiet=1)
    lmsched = [str(Path(PY).parent / "lmsched")]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        plan = [
            *lmsched,
            "plan",
            str(ROOT / "examples" / "patient-adult.toml"),
            "--now",
            NOW,
            "--json",
            str(out / "plan.json"),
            "--csv",
            str(out / "plan.csv"),
            "-q",
        ]
        # (name, argv, holiday cache): "warm" is a cache filled by the warm-up runs (the usual
        # case after a clinic's first plan), "off" computes the holidays every time.
        warm = str(out / "cache")
        cases = [
            ("python -c pass", [PY, "-c", "pass"], "off"),
            ("python -c 'import click'", [PY, "-c", "import click"], "off"),
            (PYDANTIC, [PY, "-c", "import pydantic"], "off"),
            ("python: import pydantic, build one model", [PY, "-c", PYDANTIC_FLOOR], "off"),
            (MODELS, [PY, "-c", "import scheduler.models, scheduler.plan"], "off"),
            ("lmsched --help", [*lmsched, "--help"], "off"),
            (PLAN, plan, warm),
            (PLAN_NO_CACHE, plan, "off"),
            (PLAN_ICS, [*plan, "--ics", str(out / "plan.ics")], warm),
            (
                PLAN_PDF,
                [*plan, "--pdf", str(out / "calendar.pdf"), "--staff-pdf", str(out / "staff.pdf")],
                warm,
            ),
        ]
        # Issue 20: the staff outputs of one patient against the minimal floor's for one patient.
        staff = [*plan[:-5], "--ics", str(out / "s.ics"), "--pdf", str(out / "s.pdf"), "--audience", "staff"]
        one = out / "one.csv"
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from synthetic import write_patients

        write_patients(one, 1)
        floor = [PY, str(ROOT / "benchmarks" / "floor_batch.py"), str(one), "--out", str(out / "floor")]
        floor += ["--now", NOW]
        cases += [(PLAN_STAFF, [*staff, "-q"], warm), (FLOOR_ONE, floor, "off")]
        # The saved-plan commands (issue 7) work from a plan file written once here.
        saved, revised, given = out / "saved.json", out / "revised.json", out / "given.csv"
        subprocess.run([*plan[:-5], "--json", str(saved), "-q"], check=True, capture_output=True)
        delay = [
            *lmsched,
            "reschedule",
            str(saved),
            "--delay",
            "2026-12-17",
            "--days",
            "7",
            "--now",
            NOW,
            "-q",
        ]
        subprocess.run([*delay, "--json", str(revised)], check=True, capture_output=True)
        doses = [e for e in json.loads(saved.read_text())["events"] if e["kind"] == "it-dose"][:5]
        given.write_text(
            "date,drug,dose_mg,route\n"
            + "".join(f"{e['date']},{e['drug']},{e['dose_mg']},{e['route']}\n" for e in doses)
        )
        cases += [
            (EXPORT_ICS, [*lmsched, "export", str(saved), "--ics", str(out / "export.ics")], warm),
            (EXPORT_FHIR, [*lmsched, "export", str(saved), "--fhir", str(out / "bundle.json")], warm),
            (RESCHEDULE, [*delay, "--json", str(out / "r.json")], warm),
            (DIFF, [*lmsched, "diff", str(saved), str(revised)], warm),
            (RECONCILE, [*lmsched, "reconcile", str(saved), str(given), "--as-of", "2026-12-31"], warm),
        ]
        rows = {}
        for name, argv, cache in cases:
            times = measure(argv, ROOT, cache)
            rows[name] = {
                "median_ms": round(statistics.median(times), 1),
                "min_ms": round(min(times), 1),
                "max_ms": round(max(times), 1),
                "runs": len(times),
            }
            print(f"{name:42s} median {rows[name]['median_ms']:7.1f} ms  (min {rows[name]['min_ms']:.1f})")

    click_ms = rows["python -c 'import click'"]["median_ms"]
    help_ms = rows["lmsched --help"]["median_ms"]
    plan_ms = rows[PLAN]["median_ms"]
    ics_ms = round(rows[PLAN_ICS]["median_ms"] - plan_ms, 1)
    pdf_ms = round(rows[PLAN_PDF]["median_ms"] - plan_ms, 1)
    staff_ratio = round(rows[PLAN_STAFF]["median_ms"] / rows[FLOOR_ONE]["median_ms"], 2)
    targets = {
        "help_under_2x_import_click": {"value": round(help_ms / click_ms, 2), "limit": 2.0},
        "plan_at_most_3_5x_import_click": {"value": round(plan_ms / click_ms, 2), "limit": 3.5},
        "staff_plan_at_most_1_3x_floor": {"value": staff_ratio, "limit": 1.3},
        "plan_under_150_ms": {"value": plan_ms, "limit": 150.0},
        "ics_adds_under_50_ms": {"value": ics_ms, "limit": 50.0},
        "two_pdfs_add_under_150_ms": {"value": pdf_ms, "limit": 150.0},
    }
    ok = all(
        t["value"] <= t["limit"] if "at_most" in n else t["value"] < t["limit"] for n, t in targets.items()
    )
    machine = {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "system": f"{platform.system()} {platform.release()}",
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "cli.json").write_text(
        json.dumps({"machine": machine, "results": rows, "targets": targets, "met": ok}, indent=2) + "\n"
    )
    lines = [
        f"Python {machine['python']} on {machine['system']} ({machine['machine']}, {machine['cpus']} CPUs); "
        f"median of {REPEAT} fresh processes each.",
        "",
        "| command | median | min |",
        "|---|---:|---:|",
        *(f"| `{n}` | {r['median_ms']:.0f} ms | {r['min_ms']:.0f} ms |" for n, r in rows.items()),
        "",
        f"- `lmsched --help` / `import click`: {help_ms / click_ms:.2f}x (target < 2x)",
        f"- one plan: {plan_ms:.0f} ms (target < 150 ms); of which importing pydantic and building one "
        f"model: {rows['python: import pydantic, build one model']['median_ms']:.0f} ms, Python itself: "
        f"{rows['python -c pass']['median_ms']:.0f} ms",
        f"- one plan / `import click` (issue 20): {plan_ms / click_ms:.2f}x (target <= 3.5x); bare "
        f"`import pydantic` {rows[PYDANTIC]['median_ms']:.0f} ms, the project's models imported (and "
        f"built) in isolation {rows[MODELS]['median_ms']:.0f} ms: that alone is "
        f"{rows[MODELS]['median_ms'] / click_ms:.2f}x `import click`",
        f"- `plan --ics --pdf --audience staff` / the minimal floor for one patient (issue 20): "
        f"{staff_ratio:.2f}x ({rows[PLAN_STAFF]['median_ms']:.0f} ms vs "
        f"{rows[FLOOR_ONE]['median_ms']:.0f} ms; target <= 1.3x)",
        f"- --ics adds {ics_ms:.0f} ms to that plan (target < 50 ms)",
        f"- the patient calendar and the staff sheet together add {pdf_ms:.0f} ms (target < 150 ms)",
        f"- the same plan with the holiday cache off (a clinic's first plan): "
        f"{rows[PLAN_NO_CACHE]['median_ms']:.0f} ms",
        f"- from a saved plan (no target): export --ics {rows[EXPORT_ICS]['median_ms']:.0f} ms, "
        f"export --fhir {rows[EXPORT_FHIR]['median_ms']:.0f} ms, reschedule "
        f"{rows[RESCHEDULE]['median_ms']:.0f} ms, diff {rows[DIFF]['median_ms']:.0f} ms, reconcile "
        f"{rows[RECONCILE]['median_ms']:.0f} ms",
    ]
    (RESULTS / "cli.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines[-9:]))
    print(f"targets {'met' if ok else 'NOT met'}; wrote {RESULTS / 'cli.json'} and {RESULTS / 'cli.md'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
