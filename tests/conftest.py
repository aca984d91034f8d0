"""Shared test helpers: run the real CLI in-process or as a subprocess, and the fixed clock."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import strategies as st

from scheduler.cli import main
from scheduler.models import PlanRequest
from scheduler.plan import Plan
from scheduler.schedule import build_plan
from scheduler.templates import Registry, load_registry

from .radicale_server import radicale, unreachable_url  # noqa: F401 (fixtures for the CalDAV tests)
from .xandikos_server import xandikos  # noqa: F401 (a second CalDAV server)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
NOW = "2026-11-23T09:00:00-05:00"
# a plan from flags alone (no patient file, so no clinic and no site key of its own)
FLAG_PLAN = (
    "plan",
    "--start",
    "2026-12-14",
    "--age",
    "45",
    "--route",
    "ommaya",
    "--csf-flow",
    "normal",
    "--now",
    NOW,
)
NOW_DT = dt.datetime.fromisoformat(NOW)


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture(autouse=True, scope="session")
def _private_holiday_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep the holiday cache of every CLI run in the tests out of the user's home."""
    os.environ["LMSCHED_CACHE_DIR"] = str(tmp_path_factory.mktemp("holiday-cache"))


@pytest.fixture(autouse=True, scope="session")
def _demo_site_key(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every run in the tests uses the demo site key shipped in examples/ (as `make demo` does),
    and any configuration folder lmsched would create a key in is a private temporary one."""
    os.environ["LMSCHED_SITE_KEY_FILE"] = str(EXAMPLES / "demo-site-key")
    os.environ["XDG_CONFIG_HOME"] = str(tmp_path_factory.mktemp("xdg-config"))


def demo_key() -> bytes:
    """The demo site key's bytes (examples/demo-site-key), for tests that render patient calendars
    directly (`ics.render(plan, key=demo_key())`), as the CLI does with the same file."""
    from scheduler.sitekey import read_key

    return read_key(EXAMPLES / "demo-site-key", "site_key").key


@pytest.fixture(scope="session")
def registry() -> Registry:
    return load_registry()


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]):
    """Call the real CLI entry point in-process: exit code, stdout and stderr."""

    def _run(*args: str) -> Result:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return _run


def run_subprocess(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, input: str | None = None
) -> Result:
    proc = subprocess.run(
        [sys.executable, "-m", "scheduler", *args],
        input=input,
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env={**os.environ, **(env or {})},
        timeout=60,
        check=False,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def window_reading(registry: Registry) -> Registry:
    """The registry with it-mtx-intensive in the "window" reading (each phase starts where the
    previous phase's weeks end: the dates of template 1.0.0). For tests about something other than
    the date engine (matching given doses, say) whose cases were written against those dates."""
    import dataclasses

    mtx = registry.regimen("it-mtx-intensive").model_copy(update={"phase_start": "window"})
    return dataclasses.replace(registry, templates={**registry.templates, mtx.id: mtx})


def make_plan(registry: Registry, **fields: object) -> Plan:
    data: dict[str, object] = {"start": "2026-12-01", "age": "45", "route": "ommaya"}
    data.update(fields)
    return build_plan(PlanRequest.model_validate(data), registry, NOW_DT)


def checked(plan: Plan) -> Plan:
    """The plan with its safety findings, as `lmsched plan` writes it."""
    from scheduler.rules import check_plan

    return check_plan(plan).plan


@pytest.fixture(scope="session")
def adult(registry: Registry) -> Plan:
    """The adult example (WBRT with memantine, then 22 Ommaya methotrexate doses), checked."""
    return checked(
        make_plan(
            registry,
            start="2026-12-14",
            dob="1968-05-14",
            age=None,
            route="ommaya",
            patient_id="RCC-000123",
            patient_name="Maria O'Neil-Søndergaard",
            rt="wbrt-30gy-10fx",
            rt_start="2026-11-30",
            maintenance=10,
        )
    )


@st.composite
def plan_fields(draw: st.DrawFn) -> dict[str, object]:
    """make_plan fields for the varied plans the exporters must lay out: any start 2026-2030,
    with or without an RT course near it, any maintenance length, either route, several times,
    with or without a systemic course (infusions, tablets) near the start, and the checks each
    CSF flow result calls for."""
    start = draw(st.dates(dt.date(2026, 1, 1), dt.date(2030, 12, 31)))
    fields: dict[str, object] = {
        "start": start.isoformat(),
        "route": draw(st.sampled_from(["ommaya", "lumbar"])),
        "maintenance": draw(st.integers(0, 12)),
        "clinic": {"session_time": draw(st.sampled_from(["07:30", "09:00", "13:45"]))},
        # flow unknown: a flow study and tentative IT doses; obstructed with RT: a repeat study
        "csf_flow": draw(st.sampled_from(["unknown", "normal", "obstructed"])),
    }
    rt = draw(
        st.sampled_from([None, "wbrt-30gy-10fx", "wbrt-20gy-5fx", "csi-photon-36gy-20fx", "focal-30gy-10fx"])
    )
    if rt:
        offset = draw(st.integers(-14, 14))
        fields |= {"rt": rt, "rt_start": (start + dt.timedelta(days=offset)).isoformat()}
    systemic = draw(
        st.sampled_from(
            [None, "sys-tdxd-q3w", "sys-her2climb", "sys-osimertinib-80", "sys-dabrafenib-trametinib"]
        )
    )
    if systemic:  # a systemic course near the start (a BRAF/MEK course holds its tablets around RT)
        course_start = start + dt.timedelta(days=draw(st.integers(-7, 21)))
        fields |= {
            "systemic": [
                {"template": systemic, "start": course_start.isoformat(), "cycles": draw(st.integers(1, 4))}
            ],
            "weight_kg": draw(st.sampled_from([48.5, 72, 131.2])),
            "height_cm": draw(st.sampled_from([151, 170, 198])),
            "weight_date": (course_start - dt.timedelta(days=3)).isoformat(),
            "hold_around_rt": True,
        }
    return fields
