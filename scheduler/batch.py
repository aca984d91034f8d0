"""Many patients at once (the batch use case, run by `service.run_batch`): each row of a
spreadsheet (or each patient TOML file of a folder) becomes that patient's plan and files, and
together their chair sessions become the centre's agenda.

The edge of the batch command. Rows are read and given their folders in order by the parent; the
work for each row (plan, rules, rendering, writing the patient's files) runs in `jobs` worker
processes; the results come back in row order, small (outcome, chair sessions, the patient's
VEVENTs as text), and are streamed to disk, so memory does not grow with the number of patients.
A row that is invalid or blocked by a safety rule is reported and the others go on.

Folder names (`safe_id`) come from the patient id but can never leave DIR, name a device
(`CON`), hide (`.x`), collide with the batch's own files or with another patient's folder.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import os
import pickle
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError, SchedulerError
from .inputs import PATIENT_KEYS
from .models import Audience, Clinic, Paper

__all__ = [
    "RESERVED",
    "Job",
    "Row",
    "RowResult",
    "prepare_rows",
    "read_rows",
    "run_row",
    "safe_id",
]

# The batch's own files at the top of DIR: no patient folder may take their names.
RESERVED = frozenset({"summary.csv", "agenda.csv", "agenda.pdf", "clinic.ics"})
_DEVICES = re.compile(r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$", re.IGNORECASE)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_ID = 64
TERMINAL_OVERLOADS = 20  # over-capacity ranges listed on the terminal; all are in the agenda


@dataclass(frozen=True)
class Row:
    """One patient to plan: where it came from (for messages) and its patient-file fields."""

    number: int  # 1-based position among the patients
    where: str  # "line 3" of the CSV, or the TOML file's name
    fields: dict[str, Any]
    folder: str = ""  # safe id, set by `prepare_rows`
    problem: str | None = None  # found before any work (a duplicate patient id)

    @property
    def patient_id(self) -> str:
        value = self.fields.get("patient_id")
        return "" if value is None else str(value)


@dataclass(frozen=True)
class Job:
    """What every row shares (sent once to each worker process)."""

    out: Path
    clinic: Path | None
    formats: tuple[str, ...]
    audience: Audience
    now: str | None  # --now as given (ISO), resolved in each row's clinic time zone
    clock: dt.datetime  # the parent's clock, read once, when --now is not given
    paper: Paper = "letter"
    cache: Path | None = None
    key: bytes | None = field(default=None, repr=False)  # the site key, resolved once by the parent
    site_key: Path | None = None  # --site-key FILE: beats each row's clinic file's site_key


@dataclass(frozen=True)
class RowResult:
    number: int
    where: str
    patient_id: str
    folder: str
    outcome: str  # ok | invalid | blocked | error
    reason: str = ""
    events: int = 0
    files: tuple[str, ...] = ()
    tz: str = ""
    sessions: tuple[Any, ...] = ()  # agenda.Session records of the patient's chair sessions
    vevents: tuple[bytes, ...] = ()  # the chair sessions as staff VEVENTs, for clinic.ics
    findings: tuple[str, ...] = field(default=())  # "severity rule" of each finding written


Progress = Callable[[Iterator[RowResult], int], AbstractContextManager[Iterable[RowResult]]]
"""How a front end shows a batch's progress: wraps the results as they come (given their count)."""


# --- reading ---------------------------------------------------------------------------------------


def read_rows(path: Path) -> Iterator[Row]:
    """The patients of a CSV file (header: patient-file keys) or of a folder of patient TOML files.

    The header (or each file's keys) is checked before anything is planned: an unknown column is an
    input error for the whole batch. Empty cells are not given."""
    if path.is_dir():
        yield from _toml_rows(path)
        return
    from .inputs import read_input

    try:
        text = read_input(path, "PATIENTS", "CSV file").decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path} is not UTF-8 text", field="PATIENTS") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header or not any(h.strip() for h in header):
        raise InputError(f"{path} has no header row (patient-file keys)", field="PATIENTS")
    names = [h.strip().lower() for h in header]
    unknown = [n for n in names if n not in PATIENT_KEYS]
    if unknown:
        raise InputError(f"{path}: unknown column '{unknown[0]}'", field="PATIENTS", choices=PATIENT_KEYS)
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InputError(f"{path}: column '{repeated[0]}' appears twice", field="PATIENTS")
    number = 0
    start = reader.line_num + 1
    for cells in reader:
        where = f"line {start}"
        start = reader.line_num + 1
        if not any(c.strip() for c in cells):
            continue
        number += 1
        if len(cells) != len(names):
            yield Row(number, where, {}, problem=f"has {len(cells)} cells; the header has {len(names)}")
            continue
        fields: dict[str, Any] = {}
        for name, cell in zip(names, cells, strict=True):
            value = cell.strip()
            if value:
                fields[name] = (
                    [d.strip() for d in value.split(";") if d.strip()] if name == "closed" else value
                )
        yield Row(number, where, fields)
    if number == 0:
        raise InputError(f"{path} has a header but no patients", field="PATIENTS")


def _toml_rows(folder: Path) -> Iterator[Row]:
    from .inputs import read_toml

    files = sorted(p for p in folder.iterdir() if p.suffix == ".toml" and p.is_file())
    if not files:
        raise InputError(f"{folder} has no patient files (*.toml)", field="PATIENTS")
    for number, path in enumerate(files, start=1):
        try:
            data = read_toml(path, "patient file")
        except InputError as exc:
            yield Row(number, path.name, {}, problem=exc.detail)
            continue
        if isinstance(data.get("clinic"), str):
            data["clinic"] = str(path.parent / data["clinic"])
        yield Row(number, path.name, data)


def safe_id(patient_id: str, number: int) -> str:
    """A folder name for a patient id that stays inside DIR on every file system: letters, digits,
    '.', '_' and '-' only (others become '_'), not hidden, not a device name, at most 64
    characters; no id at all gives 'row-N'."""
    text = unicodedata.normalize("NFKD", patient_id)
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")  # é -> e; ø stays, then _
    text = _UNSAFE.sub("_", text).strip("._-")[:MAX_ID].rstrip("._-")
    if not text:
        return f"row-{number}"
    if _DEVICES.match(text) or text.lower() in RESERVED:
        text = f"_{text}"
    return text


def prepare_rows(rows: Iterator[Row]) -> Iterator[Row]:
    """Give each row its folder: two rows never share one (compared without case, as on macOS and
    Windows), and a patient id given twice is a problem of the later row, not a second folder."""
    seen_ids: dict[str, str] = {}
    taken: set[str] = set()
    for row in rows:
        base = safe_id(row.patient_id, row.number)
        folder, n = base, 1
        while folder.lower() in taken:
            n += 1
            folder = f"{base}-{n}"
        taken.add(folder.lower())
        problem = row.problem
        if row.patient_id and problem is None:
            if row.patient_id in seen_ids:
                problem = f"patient id {row.patient_id!r} is also on {seen_ids[row.patient_id]}"
            else:
                seen_ids[row.patient_id] = row.where
        yield Row(row.number, row.where, row.fields, folder, problem)


# --- the work for one row (in a worker process) -----------------------------------------------------


_REGISTRY: Any = None


def run_row(row: Row, job: Job) -> RowResult:
    """Plan one patient, check it, write its files under DIR/<folder>/; never raises."""
    if row.problem:
        return _outcome(row, "invalid", row.problem)
    try:
        return _plan_row(row, job)
    except SchedulerError as exc:
        return _outcome(row, "invalid", exc.render())
    except Exception as exc:  # a bug: report it on the row, the batch goes on
        return _outcome(row, "error", f"internal error: {type(exc).__name__}: {exc}")


def _outcome(row: Row, outcome: str, reason: str = "", **details: Any) -> RowResult:
    return RowResult(row.number, row.where, row.patient_id, row.folder, outcome, reason, **details)


def _plan_row(row: Row, job: Job) -> RowResult:
    global _REGISTRY
    from . import agenda
    from .export import ics
    from .inputs import build_request, resolve_now
    from .rules import refusal
    from .service import Outputs, checked_plan, clinic_calendar, write_outputs
    from .templates import load_registry

    fields = dict(row.fields)
    if job.clinic is not None and "clinic" not in fields:
        fields["clinic"] = str(job.clinic)
    request, _files = build_request(fields, None)
    if _REGISTRY is None:
        _REGISTRY = load_registry()
    tz = request.clinic.tz
    now = resolve_now(job.now, tz) if job.now else job.clock
    calendar = clinic_calendar(request.clinic, job.cache)
    result = checked_plan(request, now, registry=_REGISTRY, calendar=calendar)
    plan = result.plan
    findings = tuple(f"{f.severity} {f.rule}" for f in plan.findings)
    if result.blocking:
        blocked = refusal(result.blocking, done=None)
        return _outcome(row, "blocked", f"{blocked.rule}: {blocked.detail}", findings=findings, tz=tz)
    folder = job.out / row.folder
    targets = {name: folder / f"plan.{name}" for name in job.formats}
    write_outputs(result, Outputs(targets, job.audience, paper=job.paper, site_key=job.site_key, key=job.key))
    return _outcome(
        row,
        "ok",
        events=len(plan.events),
        files=tuple(f"{row.folder}/plan.{name}" for name in job.formats),
        tz=tz,
        sessions=tuple(agenda.sessions_of(plan, row.folder)),
        vevents=tuple(ics.vevent_texts(plan, "staff", (), kinds=("it-dose",))),
        findings=findings,
    )


# --- summary ------------------------------------------------------------------------------------------

SUMMARY_COLUMNS = (
    "row",
    "where",
    "patient_id",
    "folder",
    "outcome",
    "reason",
    "events",
    "files",
    "findings",
    "over_capacity",
)


def summary_rows(results: Sequence[RowResult], over: Mapping[str, Sequence[dt.date]]) -> list[list[object]]:
    return [
        [
            r.number,
            r.where,
            r.patient_id,
            r.folder if r.outcome == "ok" else "",
            r.outcome,
            r.reason,
            r.events,
            " ".join(r.files),
            "; ".join(r.findings),
            " ".join(d.isoformat() for d in over.get(r.folder, [])) if r.outcome == "ok" else "",
        ]
        for r in results
    ]


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


# --- the run: workers, streaming, the batch's own files --------------------------------------------


@dataclass(frozen=True)
class BatchReport:
    lines: tuple[str, ...]
    all_ok: bool


_JOB: Job | None = None


def _init_worker(job: Job) -> None:
    global _JOB
    _JOB = job


def _run_in_worker(row: Row) -> RowResult:
    assert _JOB is not None
    return run_row(row, _JOB)


def _results(rows: Sequence[Row], job: Job, jobs: int) -> Iterator[RowResult]:
    """Each row's result, in row order; in `jobs` worker processes when there is more than one."""
    if jobs == 1 or len(rows) == 1:
        for row in rows:
            yield run_row(row, job)
        return
    import multiprocessing

    _warm_imports()  # forked workers start with everything imported
    context = multiprocessing.get_context(
        "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    )
    with context.Pool(jobs, initializer=_init_worker, initargs=(job,)) as pool:
        yield from pool.imap(_run_in_worker, rows, chunksize=max(1, min(8, len(rows) // (jobs * 8))))


def _warm_imports() -> None:
    from . import agenda  # noqa: F401
    from .export import ics  # noqa: F401
    from .export.pdf import patient, staff  # noqa: F401
    from .rules import load_families

    load_families()
    import icalendar  # noqa: F401
    import reportlab.platypus  # noqa: F401


@contextmanager
def _quiet(results: Iterator[RowResult], _count: int) -> Iterator[Iterable[RowResult]]:
    yield results


def run_batch(
    rows: Sequence[Row],
    job: Job,
    jobs: int,
    centre: Clinic | None,
    chairs: int | None,
    progress: Progress | None = None,
) -> BatchReport:
    """Plan every row, stream each patient's sessions into clinic.ics, then write the summary and
    the agenda. Returns the lines for the terminal. `progress` (a front end's progress bar) wraps
    the results as they come."""
    import shutil
    import tempfile

    from . import agenda
    from .export import agenda as agenda_export
    from .export.csv import render_rows
    from .export.ics import calendar_frame
    from .export.pdf import agenda as agenda_pdf
    from .inputs import resolve_now
    from .writer import atomic, write_all

    results: list[RowResult] = []
    days_seen: set[dt.date] = set()
    tz = centre.tz if centre is not None else None
    # The chair sessions wait on disk until every row is done (the agenda needs all of them), so
    # the parent does not grow with the number of patients while the workers run; so do the
    # VEVENTs of clinic.ics until its time zone range is known.
    with (
        tempfile.TemporaryFile(dir=job.out) as spill,
        tempfile.TemporaryFile(dir=job.out) as body,
        (progress or _quiet)(_results(rows, job, jobs), len(rows)) as stream,
    ):
        for result in stream:
            body.writelines(result.vevents)
            pickle.dump(result.sessions, spill, protocol=pickle.HIGHEST_PROTOCOL)
            days_seen.update(x.date for x in result.sessions)
            tz = tz or result.tz or None
            results.append(_slim(result))
        tz = tz or "UTC"
        head, tail = calendar_frame(
            f"lmsched: infusion sessions{' - ' + centre.name if centre is not None and centre.name else ''}",
            tz,
            min(days_seen, default=job.clock.date()),
            max(days_seen, default=job.clock.date()),
        )
        body.seek(0)
        with atomic(job.out / "clinic.ics") as out:
            out.write(head)
            shutil.copyfileobj(body, out)
            out.write(tail)
        sessions = _unspill(spill)

    def capacity(day: dt.date) -> int | None:
        if chairs is not None:
            return chairs
        return centre.chairs_on(day) if centre is not None else None

    days, overloads = agenda.check_capacity(sessions, capacity)
    over = agenda.overloaded_dates(sessions, overloads)
    site = centre.name if centre is not None and centre.name else "lmsched batch"
    generated = resolve_now(job.now, tz) if job.now else job.clock
    write_all(
        {
            job.out / "summary.csv": render_rows(SUMMARY_COLUMNS, summary_rows(results, over)),
            job.out / "agenda.csv": agenda_export.render_csv(sessions, overloads, days),
            job.out / "agenda.pdf": agenda_pdf.render_pdf(
                sessions,
                days,
                overloads,
                site,
                paper=job.paper,
                generated=generated,
            ),
        }
    )
    return BatchReport(tuple(_report_lines(results, overloads, job)), all(r.outcome == "ok" for r in results))


def _unspill(spill: Any) -> list[Any]:
    """Every session `run_batch` put on disk, in the order it came."""
    spill.seek(0)
    sessions: list[Any] = []
    while True:
        try:
            sessions.extend(pickle.load(spill))
        except EOFError:
            return sessions


def _slim(result: RowResult) -> RowResult:
    """What the summary needs of a row, once its sessions and VEVENTs are used."""
    return dataclasses.replace(result, sessions=(), vevents=())


def _report_lines(results: Sequence[RowResult], overloads: Sequence[Any], job: Job) -> Iterator[str]:
    from . import agenda

    for r in results:
        if r.outcome != "ok":
            who = f" ({r.patient_id})" if r.patient_id else ""
            yield f"{r.where}{who}: {r.outcome}: {r.reason}"
    counts = {k: sum(r.outcome == k for r in results) for k in ("ok", "invalid", "blocked", "error")}
    yield (
        f"{len(results)} patients: "
        + ", ".join(f"{n} {k}" for k, n in counts.items() if n or k == "ok")
        + f"; outputs in {job.out}/"
    )
    lines = agenda.render_overload_lines(overloads)
    if len(lines) > TERMINAL_OVERLOADS + 1:  # the rest are in agenda.pdf, agenda.csv and summary.csv
        hidden = len(lines) - 1 - TERMINAL_OVERLOADS
        lines = [*lines[:TERMINAL_OVERLOADS], f"... and {hidden} more (see agenda.pdf)", lines[-1]]
    yield from lines
    yield f"wrote {job.out}/summary.csv, agenda.csv, agenda.pdf and clinic.ics"
