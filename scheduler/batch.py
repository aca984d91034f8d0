"""Many patients at once (the batch use case, run by `service.run_batch`): each row of a
spreadsheet (or each patient TOML file of a folder) becomes that patient's plan and files, and
together their chair sessions and clinic checks become the centre's agenda.

The edge of the batch command. Rows are read and given their folders in order by the parent; the
work for each row (plan, rules, rendering, writing the patient's files) runs in `jobs` worker
processes; the results come back in row order, small (outcome, agenda rows, the patient's
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
import itertools
import os
import pickle
import re
import stat
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from .errors import InputError, SchedulerError, WriteError
from .inputs import PATIENT_KEYS
from .models import Audience, Clinic, Paper

__all__ = [
    "RESERVED",
    "BatchInterrupted",
    "Job",
    "Row",
    "RowResult",
    "prepare_rows",
    "read_rows",
    "run_row",
    "safe_id",
    "sweep_temporaries",
]

# The batch's own files at the top of DIR: no patient folder may take their names.
RESERVED = frozenset({"summary.csv", "agenda.csv", "agenda.pdf", "clinic.ics"})
_VOLUMES = re.compile(r"^agenda-[0-9]+\.pdf$", re.IGNORECASE)  # a long agenda's later volumes
_DEVICES = re.compile(r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$", re.IGNORECASE)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_ID = 64
TERMINAL_OVERLOADS = 20  # over-capacity ranges listed on the terminal; all are in the agenda

# A CSV row holds at most one systemic course: `systemic` (the template id) with these columns,
# each the key of a patient file's `[[systemic]]` table. (A patient with two courses is a folder
# of patient TOML files: a second row with the same patient id is refused, as always.)
COURSE_COLUMNS = {
    "systemic": "template",
    "systemic_start": "start",
    "cycles": "cycles",
    "dose_level": "dose_level",
}
CSV_COLUMNS = (*PATIENT_KEYS, *(c for c in COURSE_COLUMNS if c not in PATIENT_KEYS))
_COLUMN_OF = {f"systemic.{key}": column for column, key in COURSE_COLUMNS.items()}


@dataclass(frozen=True)
class Row:
    """One patient to plan: where it came from (for messages) and its patient-file fields."""

    number: int  # 1-based position among the patients
    where: str  # "line 3" of the CSV, or the TOML file's name
    fields: dict[str, Any]
    folder: str = ""  # safe id, set by `prepare_rows`
    problem: str | None = None  # found before any work (a duplicate patient id)
    from_csv: bool = False  # errors name the CSV's columns (`systemic_start`, not `systemic.start`)

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
    clock: dt.datetime  # without --now: SOURCE_DATE_EPOCH, else the clock, read once by the service
    paper: Paper = "letter"
    cache: Path | None = None
    key: bytes | None = field(default=None, repr=False)  # the site key, resolved once by the parent
    site_key: Path | None = None  # --site-key FILE: beats each row's clinic file's site_key
    allow_unreviewed: bool = False  # rows in a language whose catalog has no reviewer
    large_print: bool = False
    fonts: tuple[Path, ...] = ()  # --font: fallback fonts after each row's clinic file's
    allow_missing_glyphs: bool = False
    save: Path | None = None  # --save: the workspace each row's plan is stored in (by the worker)
    decided_by: str | None = None


@dataclass(frozen=True)
class RowResult:
    number: int
    where: str
    patient_id: str
    folder: str
    outcome: str  # ok | invalid | blocked | conflict (--save: already in the workspace) | error
    reason: str = ""
    events: int = 0
    files: tuple[str, ...] = ()
    tz: str = ""
    sessions: tuple[Any, ...] = ()  # agenda.Session records: chair sessions and clinic checks
    vevents: tuple[bytes, ...] = ()  # the same visits as staff VEVENTs, for clinic.ics
    findings: tuple[str, ...] = field(default=())  # "severity rule" of each finding written


Progress = Callable[[Iterator[RowResult], int], AbstractContextManager[Iterable[RowResult]]]
"""How a front end shows a batch's progress: wraps the results as they come (given their count)."""


# --- reading ---------------------------------------------------------------------------------------


def read_rows(path: Path) -> Iterator[Row]:
    """The patients of a CSV file (header: patient-file keys) or of a folder of patient TOML files.

    The header (or each file's keys) is checked before anything is planned: an unknown column is an
    input error for the whole batch. Empty cells are not given. A CSV row's `systemic`,
    `systemic_start`, `cycles` and `dose_level` cells are its one systemic course (see
    `_course`)."""
    if path.is_dir():
        yield from _toml_rows(path)
        return
    from .inputs import read_input

    yield from _csv_rows(path, io.BytesIO(_utf8(path, read_input(path, "PATIENTS", "CSV file"))))


def _utf8(path: Path, data: bytes) -> bytes:
    """`data`, refused unless it is UTF-8 text (checked whole, before any row is read)."""
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path} is not UTF-8 text", field="PATIENTS") from None
    return data


class PatientRows:
    """The batch's rows, given out again for each pass (the checks before anything is written,
    then the run) without holding them all, so the parent's memory (and the forked workers',
    which share its pages) does not grow with the patients: a CSV that is a regular file is read
    whole once (checked: UTF-8, its header, every row), then read again from the file for each
    pass, refused if it changed in between; a pipe's bytes are kept. A folder of patient files
    is read once into its rows."""

    def __init__(self, path: Path) -> None:
        from .inputs import read_input

        self.path = path
        self._rows: list[Row] | None = None
        self._data: bytes | None = None
        self._signature: tuple[int, ...] = ()
        if path.is_dir():
            self._rows = list(prepare_rows(read_rows(path)))
            self._count = len(self._rows)
            return
        data = _utf8(path, read_input(path, "PATIENTS", "CSV file"))
        self._count = sum(1 for _ in prepare_rows(_csv_rows(path, io.BytesIO(data))))  # every row checked
        info = os.stat(path)
        if stat.S_ISREG(info.st_mode) and info.st_size == len(data):
            self._signature = _signature(info)  # read again from the file for each pass
        else:
            self._data = data

    def __iter__(self) -> Iterator[Row]:
        if self._rows is not None:
            return iter(self._rows)
        if self._data is not None:
            return prepare_rows(_csv_rows(self.path, io.BytesIO(self._data)))
        try:
            fh = self.path.open("rb")
        except OSError as exc:
            raise InputError(f"cannot read {self.path} again ({exc.strerror})", field="PATIENTS") from None
        if _signature(os.fstat(fh.fileno())) != self._signature:
            fh.close()
            raise InputError(
                f"{self.path} changed while the batch was reading it", field="PATIENTS", hint="run it again"
            )
        return prepare_rows(_closing_rows(self.path, fh))

    def __len__(self) -> int:
        return self._count


def _signature(info: os.stat_result) -> tuple[int, ...]:
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def _closing_rows(path: Path, fh: BinaryIO) -> Iterator[Row]:
    with fh:
        yield from _csv_rows(path, fh)


def _csv_rows(path: Path, data: BinaryIO) -> Iterator[Row]:
    """The rows of the CSV in `data` (UTF-8, checked), decoded as they are read."""
    stream = io.TextIOWrapper(data, encoding="utf-8-sig", newline="")
    reader = _CsvRows(path, csv.reader(stream))
    header = next(reader, None)
    if not header or not any(h.strip() for h in header):
        raise InputError(f"{path} has no header row (patient-file keys)", field="PATIENTS")
    names = [h.strip().lower() for h in header]
    unknown = [n for n in names if n not in CSV_COLUMNS]
    if unknown:
        raise InputError(f"{path}: unknown column '{unknown[0]}'", field="PATIENTS", choices=CSV_COLUMNS)
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
        try:
            _course(fields)
        except InputError as exc:
            yield Row(number, where, fields, problem=exc.render(), from_csv=True)  # keeps its id
            continue
        yield Row(number, where, fields, from_csv=True)
    if number == 0:
        raise InputError(f"{path} has a header but no patients", field="PATIENTS")


def _course(fields: dict[str, Any]) -> None:
    """A row's course cells as its one `[[systemic]]` course, in place: `systemic` (the template
    id) with `systemic_start`, `cycles` and `dose_level` (each empty: unset, so the model's
    default or its "required" applies). A course cell without `systemic` is an error naming it."""
    course = {key: fields.pop(column) for column, key in COURSE_COLUMNS.items() if column in fields}
    if not course:
        return
    if "template" not in course:
        stray = next(c for c, key in COURSE_COLUMNS.items() if key in course)
        raise InputError(
            "applies to a systemic course: give the template id in the 'systemic' column", field=stray
        )
    fields["systemic"] = [course]


def _column_error(exc: SchedulerError) -> SchedulerError:
    """`exc` naming the CSV column: 'systemic.start (--systemic-start)' is 'systemic_start'."""
    field = (exc.field or "").split(" (", 1)[0]
    column = _COLUMN_OF.get(field)
    if column is None:
        return exc
    detail = exc.detail
    if detail.startswith("is required"):
        detail = "is required with a systemic course: fill this column"
    return InputError(detail, field=column, choices=exc.choices, hint=exc.hint, options=exc.options)


class _CsvRows:
    """A csv reader whose errors (a cell longer than the csv module's limit of 131072 characters,
    a NUL byte) are one input error naming the file and line, not an internal error."""

    def __init__(self, path: Path, reader: Any) -> None:
        self.path, self.reader = path, reader

    @property
    def line_num(self) -> int:
        return int(self.reader.line_num)

    def __iter__(self) -> _CsvRows:
        return self

    def __next__(self) -> list[str]:
        try:
            return list(next(self.reader))
        except csv.Error as exc:
            where = f"{self.path}: line {self.reader.line_num}"
            raise InputError(f"{where}: not a CSV row lmsched reads ({exc})", field="PATIENTS") from None


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
    if _DEVICES.match(text) or text.lower() in RESERVED or _VOLUMES.match(text):
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
        yield Row(row.number, row.where, row.fields, folder, problem, row.from_csv)


# --- the work for one row (in a worker process) -----------------------------------------------------


_REGISTRY: Any = None


def run_row(row: Row, job: Job) -> RowResult:
    """Plan one patient, check it, write its files under DIR/<folder>/; never raises."""
    if row.problem:
        return _outcome(row, "invalid", row.problem)
    from .errors import ConflictError

    try:
        return _plan_row(row, job)
    except ConflictError as exc:  # --save: the patient already has a plan in the workspace
        return _outcome(row, "conflict", exc.render())
    except WriteError as exc:  # the disk is full, an I/O error: not the row's fault
        return _outcome(row, "error", exc.render())
    except SchedulerError as exc:
        return _outcome(row, "invalid", (_column_error(exc) if row.from_csv else exc).render())
    except Exception as exc:  # a bug: report it on the row, the batch goes on
        return _outcome(row, "error", f"internal error: {type(exc).__name__}: {exc}")


def _outcome(row: Row, outcome: str, reason: str = "", **details: Any) -> RowResult:
    from .errors import escape_unsafe

    # A refused row's id may hold what the models refuse (an unterminated U+202E reverses the rest
    # of its summary line): shown escaped, as an error line shows it.
    shown = escape_unsafe(row.patient_id) if outcome == "invalid" else row.patient_id
    return RowResult(row.number, row.where, shown, row.folder, outcome, reason, **details)


def _plan_row(row: Row, job: Job) -> RowResult:
    global _REGISTRY
    from . import agenda
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
    rendered, vevents = clinic_vevents(plan, "ics" in job.formats and job.audience == "staff")
    if job.save is not None:
        _saved(plan, job, now, vevents)  # before any file of the row is written: a conflict writes nothing
    folder = patient_folder(job.out, row.folder)
    targets = {name: folder / f"plan.{name}" for name in job.formats}
    write_outputs(
        result,
        Outputs(
            targets,
            job.audience,
            paper=job.paper,
            site_key=job.site_key,
            key=job.key,
            within=job.out,
            allow_unreviewed=job.allow_unreviewed,
            large_print=job.large_print,
            fonts=job.fonts,
            allow_missing_glyphs=job.allow_missing_glyphs,
            rendered=rendered,
        ),
    )
    return _outcome(
        row,
        "ok",
        events=len(plan.events),
        files=tuple(f"{row.folder}/plan.{name}" for name in job.formats),
        tz=tz,
        sessions=tuple(agenda.sessions_of(plan, row.folder)),
        vevents=tuple(text for _day, text in vevents),
        findings=findings,
    )


_WORKSPACE: Any = None  # the workspace a worker saves into, opened once per process


def _saved(plan: Any, job: Job, now: dt.datetime, vevents: list[tuple[dt.date, bytes]]) -> None:
    global _WORKSPACE
    from .records import open_workspace, save_plan

    if _WORKSPACE is None:
        assert job.save is not None
        _WORKSPACE = open_workspace(job.save)
    save_plan(
        _WORKSPACE, plan, action="plan", parent=None, by=job.decided_by, reason=None, now=now, vevents=vevents
    )


def clinic_vevents(
    plan: Any, with_calendar: bool = False
) -> tuple[dict[str, bytes], list[tuple[dt.date, bytes]]]:
    """The plan's staff VEVENTs for clinic.ics, each with its day: what the agenda shows, its
    chair sessions and its clinic checks, not the checks done elsewhere (MRI, echocardiogram, CSF
    flow study). CSF cytology, drawn at the IT dose, is a VEVENT of its own there, at the dose's
    time, as in the patient's staff calendar. Each VEVENT is the one the patient's staff calendar
    has, without its reminders. Built once, for clinic.ics and the workspace; `with_calendar`:
    with the patient's staff calendar (the "ics" format) made from the same VEVENTs, returned
    as {"ics": bytes} for `Outputs.rendered` (else {})."""
    from .agenda import AGENDA_KINDS, is_clinic_check
    from .export import ics

    kinds = AGENDA_KINDS
    events = ics.listed_events(plan, kinds)  # the events the texts below are of, in order
    rendered: dict[str, bytes] = {}
    if with_calendar:
        rendered["ics"], texts = ics.render_with_vevents(plan, "staff", ics.DEFAULT_ALARMS, kinds=kinds)
    else:
        texts = ics.vevent_texts(plan, "staff", (), kinds=kinds)
    chosen = [
        (e.date, text)
        for e, text in zip(events, texts, strict=True)
        if e.kind != "check" or is_clinic_check(e)
    ]
    return rendered, chosen


def patient_folder(out: Path, folder: str) -> Path:
    """DIR/<folder>, made here without following a link: a symbolic link (or a file) already at
    that name is refused for this row, so a planted link never sends a patient's files outside DIR."""
    path = out / folder
    try:
        os.mkdir(path)
    except FileExistsError:
        mode = os.lstat(path).st_mode
        if stat.S_ISLNK(mode):
            raise InputError(
                f"{path} is a symbolic link; lmsched never follows links inside the output folder",
                field="out",
            ) from None
        if not stat.S_ISDIR(mode):
            raise InputError(f"{path} is not a folder", field="out") from None
    except OSError as exc:
        raise InputError(f"cannot create {path}: {exc.strerror}", field="out") from None
    return path


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


def summary_rows(results: Iterable[RowResult], over: Mapping[str, Sequence[dt.date]]) -> list[list[object]]:
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


# --- the workers: row order, clean interrupts, no orphans ------------------------------------------

STOP_GRACE = 5.0  # seconds a stopped worker may take to finish its row before it is killed
_WATCH_SECONDS = 0.5  # how often a worker checks that its parent is alive (where prctl is not)


class BatchInterrupted(SchedulerError):
    """Ctrl-C or SIGTERM during a batch: the workers are stopped, temporary files removed, and
    the message says how many patients were done. Exit code 130 (SIGINT) or 143 (SIGTERM)."""

    def __init__(self, message: str, *, exit_code: int, hint: str) -> None:
        self.exit_code = exit_code
        super().__init__(message, hint=hint)


def sweep_temporaries(out: Path) -> int:
    """Remove the writer's own temporary files (`writer.is_temp_name`: `.NAME.XXXXXXXX.tmp`,
    regular files only) from DIR and its patient folders, where a batch writes (never through a
    symbolic link, never deeper): what an interrupted or killed run left. Nothing else is
    removed. Returns how many were removed."""
    from .writer import is_temp_name

    removed = 0
    folders = [out]
    try:
        with os.scandir(out) as entries:
            folders += [Path(e.path) for e in entries if e.is_dir(follow_symlinks=False)]
    except OSError:
        return 0
    for folder in folders:
        try:
            with os.scandir(folder) as entries:
                names = [e.path for e in entries if is_temp_name(e.name)]
        except OSError:
            continue
        for name in names:
            try:
                if stat.S_ISREG(os.lstat(name).st_mode):
                    os.unlink(name)
                    removed += 1
            except OSError:
                pass
    return removed


class _Stop(BaseException):
    """Raised in a worker by SIGTERM while it waits for a row: it leaves quietly."""


def _worker_main(conn: Any, job: Job, parent: int, inherited: Sequence[int]) -> None:
    """A worker: plan the rows the parent sends, one at a time, until told to stop.

    SIGINT is ignored (Ctrl-C reaches the whole process group; the parent decides). SIGTERM (the
    parent stopping the batch, or the parent's death) lets the row in hand finish, so a patient's
    files are written whole or not at all, then the worker leaves without a traceback. It leaves
    too when the parent dies (PR_SET_PDEATHSIG on Linux; elsewhere a watch on os.getppid())."""
    import signal

    # SIGTERM raises only while the worker waits for a row (and only once): anywhere else (a row
    # in hand, or already leaving) it just asks the loop to end, so no traceback can escape.
    state = {"waiting": False, "stopping": False}

    def on_term(_signum: int, _frame: Any) -> None:
        state["stopping"] = True
        if state["waiting"]:
            state["waiting"] = False
            raise _Stop

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, on_term)
    for fd in inherited:  # the parent's pipe ends (fork): so the parent's death is an EOF here
        with suppress(OSError):
            os.close(fd)
    try:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
        _die_with_parent(parent)
        while not state["stopping"]:
            state["waiting"] = True
            if state["stopping"]:  # a SIGTERM just before: leave now
                break
            task = conn.recv()
            state["waiting"] = False
            if task is None:
                break
            index, row = task
            if isinstance(row, Row):
                result: Any = run_row(row, job)
            else:  # a piece of the batch's own files (`_Run.farm`): nothing of a patient's is
                state["waiting"] = True  # in hand, so SIGTERM may end it at once
                if state["stopping"]:  # one that came since the task was read
                    break
                try:
                    result = row.run()
                except Exception:  # the parent does it again itself, and reports what it says
                    result = None
                conn.send((index, result))
                state["waiting"] = False
                continue
            conn.send((index, result))
    except (_Stop, EOFError, OSError):  # stopped, or the parent is gone (EOF, broken pipe)
        pass
    finally:
        state["waiting"] = False


def _die_with_parent(parent: int) -> None:
    """SIGTERM to this worker when its parent dies: at once through prctl(PR_SET_PDEATHSIG) on
    Linux, and on every system through a thread that watches os.getppid() (a dead parent's
    children are adopted by another process), which also ends a worker that ignores it."""
    import signal
    import threading
    import time

    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGTERM), 0, 0, 0)  # PR_SET_PDEATHSIG; not on macOS: AttributeError
    except (OSError, AttributeError):
        pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(_WATCH_SECONDS)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(STOP_GRACE)
        os._exit(1)

    threading.Thread(target=watch, name="lmsched-parent-watch", daemon=True).start()
    if os.getppid() != parent:  # the parent died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)


@contextmanager
def _signals_held() -> Iterator[None]:
    """Ctrl-C and SIGTERM wait until the block is done. Blocking the signals is not enough: one
    that arrived just before has already tripped its Python handler, which would then run (and
    raise) inside the block, after a result was read from its pipe and before it was counted.
    So the handlers are swapped too, for ones that only note the signal; it is raised again at
    the end of the block, where the real handler runs. (In the main thread only: elsewhere no
    handler runs anyway.)"""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    noted: list[int] = []

    def note(signum: int, _frame: Any) -> None:
        noted.append(signum)

    kinds = (signal.SIGINT, signal.SIGTERM)
    previous = {kind: signal.signal(kind, note) for kind in kinds}
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, set(kinds))
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        for kind, handler in previous.items():
            if handler is not None:  # None: a handler set outside Python, which stays
                signal.signal(kind, handler)
        for signum in dict.fromkeys(noted):
            signal.raise_signal(signum)


@dataclass
class _Worker:
    process: Any
    conn: Any
    task: int | None = None  # the index of the row it is planning
    row: Row | None = None  # ... and that row (the parent holds only the rows in hand)


class _Run:
    """The rows' results, in row order, from `jobs` worker processes (or this one); on leaving
    with an exception (Ctrl-C, SIGTERM, a bug) the workers are stopped, each allowed to finish
    the row in hand, none left behind, and DIR's temporary files removed. An interrupt then
    becomes BatchInterrupted, saying how many patients were done."""

    def __init__(self, rows: PatientRows | Sequence[Row], job: Job, jobs: int) -> None:
        self.rows = rows  # iterated once; its len() is the number of rows
        self.job = job
        self.jobs = min(jobs, len(rows))
        self.workers: list[_Worker] = []
        self.done: dict[int, RowResult] = {}  # results that came before an earlier row's
        self.finished = 0  # rows whose result came back (yielded or waiting in `done`)
        self.written = 0  # of which ok: the patient's files are written
        self.context: Any = None

    def __enter__(self) -> _Run:
        return self

    def results(self) -> Iterator[RowResult]:
        if self.jobs <= 1:
            for row in self.rows:
                result = run_row(row, self.job)
                self._count(result)
                yield result
            return
        import multiprocessing
        from multiprocessing.connection import wait

        _warm_imports()  # forked workers start with everything imported
        methods = multiprocessing.get_all_start_methods()
        self.context = multiprocessing.get_context("fork" if "fork" in methods else None)
        queue = enumerate(self.rows)
        for _ in range(self.jobs):
            self._start(queue)
        for index in range(len(self.rows)):
            while index not in self.done:
                busy = [w for w in self.workers if w.task is not None]
                ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy]))
                for worker in busy:
                    if worker.conn in ready or worker.process.sentinel in ready:
                        self._collect(worker, queue)
            yield self.done.pop(index)
        # the rows are done: one worker leaves, and this process takes its place for the batch's
        # own files (`farm`), so the process tree is no bigger than while the rows ran
        if self.workers:
            self._retire(self.workers[-1])

    def farm(self, tasks: Iterator[Any]) -> Iterator[tuple[int, Any]]:
        """Once every row is done: `tasks` (objects with a `run()` method, taken one at a time,
        so only those in hand exist) done by this process and the workers still there (all but
        one: `results` lets the last leave once the rows are done, and this process takes its
        place, so the process tree is no bigger than while the rows ran, for as many tasks at
        once). (number, answer) as each comes; the answer is None when the task failed or its
        worker died (the caller then does it again itself, which reports what went wrong).
        Ctrl-C or SIGTERM stops the workers as during the rows (`__exit__`)."""
        from multiprocessing.connection import wait

        numbered = enumerate(tasks)
        busy: dict[int, tuple[_Worker, int]] = {}  # id(worker): the worker and its task's number

        def give(worker: _Worker) -> None:
            number, task = next(numbered, (None, None))
            if number is not None:
                with _signals_held():
                    worker.conn.send((number, task))
                    busy[id(worker)] = (worker, number)

        for worker in list(self.workers):
            give(worker)
        while True:
            number, task = next(numbered, (None, None))  # this process's own share
            if number is not None:
                try:
                    answer = task.run()  # type: ignore[union-attr]
                except Exception:  # done again when its file is written, which reports it
                    answer = None
                yield number, answer
            elif not busy:
                return
            if not busy:
                continue
            # while tasks are left, only the workers done by now: this process takes another
            handles = [h for w, _ in busy.values() for h in (w.conn, w.process.sentinel)]
            ready = set(wait(handles, timeout=0 if number is not None else None))
            for worker, held in [b for b in busy.values() if {b[0].conn, b[0].process.sentinel} & ready]:
                del busy[id(worker)]
                try:
                    with _signals_held():
                        _number, answer = worker.conn.recv()
                except (EOFError, OSError):  # it died: gone from the pool, its task not done
                    worker.process.join()
                    worker.conn.close()
                    self.workers.remove(worker)
                    yield held, None
                    continue
                give(worker)
                yield held, answer

    def _retire(self, worker: _Worker) -> None:
        """An idle worker told to leave, and waited for."""
        with suppress(OSError):
            worker.conn.send(None)
        worker.process.join(STOP_GRACE)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
        worker.conn.close()
        self.workers.remove(worker)

    def _count(self, result: RowResult) -> None:
        self.finished += 1
        self.written += result.outcome == "ok"

    def _start(self, queue: Iterator[tuple[int, Row]]) -> None:
        """One more worker, given the next row. Signals are blocked while it is forked, so it
        never sees a Ctrl-C before it has set itself to ignore it."""
        import signal

        parent, child = self.context.Pipe()
        # Under fork the child holds copies of the parent's pipe ends, its own and earlier
        # workers': it closes them, so that only the parent can keep its pipe open.
        fork = self.context.get_start_method() == "fork"
        inherited = [w.conn.fileno() for w in self.workers] + [parent.fileno()] if fork else []
        process = self.context.Process(
            target=_worker_main,
            args=(child, self.job, os.getpid(), inherited),
            name="lmsched-batch-worker",
            daemon=True,
        )
        mask = {signal.SIGINT, signal.SIGTERM}
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, mask)
        try:
            process.start()
            child.close()
            worker = _Worker(process, parent)
            self.workers.append(worker)  # before a pending signal is let in: it is then stopped too
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        self._give(worker, queue)

    def _give(self, worker: _Worker, queue: Iterator[tuple[int, Row]]) -> None:
        index, row = next(queue, (None, None))
        worker.task, worker.row = index, row
        if index is not None:
            worker.conn.send((index, row))

    def _collect(self, worker: _Worker, queue: Iterator[tuple[int, Row]] | None) -> None:
        """The result `worker` sent (then its next row, unless `queue` is None), or, when it
        died, its row as an error and a new worker in its place. Ctrl-C and SIGTERM wait while a
        result is read and counted (a message read in half, or read and not counted, would make
        the count of patients done wrong)."""
        index: int | None = None
        with _signals_held():
            try:
                index, result = worker.conn.recv()
                self.done[index] = result
                self._count(result)
                # done with that row, in the same held block: an interrupt raised after it must
                # never find the row still in hand (it would be counted again, as lost)
                worker.task = worker.row = None
            except (EOFError, OSError):
                index = None
        if index is None:
            self._lost(worker, queue)
            return
        if queue is not None:
            self._give(worker, queue)

    def _lost(self, worker: _Worker, queue: Iterator[tuple[int, Row]] | None) -> None:
        worker.process.join()
        worker.conn.close()
        self.workers.remove(worker)
        index, row = worker.task, worker.row
        worker.task = worker.row = None
        if index is None or queue is None:
            # stopping (queue None): a worker that leaves without a result did not do its row,
            # which is then simply not done (it is counted neither as done nor as an error)
            return
        code = worker.process.exitcode
        how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        assert row is not None
        self.done[index] = _outcome(row, "error", f"its worker process died ({how})")
        self._count(self.done[index])
        if queue is not None:
            self._start(queue)

    def _close(self) -> None:
        """The normal end: every worker told to leave, and waited for."""
        for worker in self.workers:
            with suppress(OSError):
                worker.conn.send(None)
        for worker in self.workers:
            worker.process.join(STOP_GRACE)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.conn.close()
        self.workers = []

    def _stop(self) -> None:
        """Stop every worker: SIGTERM, the row in hand finished (its result counted), and after
        STOP_GRACE seconds a worker still there is killed."""
        import time
        from multiprocessing.connection import wait

        for worker in self.workers:
            if worker.process.is_alive():
                worker.process.terminate()
        deadline = time.monotonic() + STOP_GRACE
        while self.workers and time.monotonic() < deadline:
            ready = set(
                wait(
                    [w.conn for w in self.workers if w.task is not None]
                    + [w.process.sentinel for w in self.workers],
                    timeout=max(0.0, deadline - time.monotonic()),
                )
            )
            for worker in list(self.workers):
                if worker.task is not None and worker.conn in ready:
                    self._collect(worker, None)
                elif worker.process.sentinel in ready and worker in self.workers:
                    worker.process.join()
                    worker.conn.close()
                    self.workers.remove(worker)
        for worker in self.workers:
            worker.process.kill()
            worker.process.join()
            worker.conn.close()
        self.workers = []

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, _tb: Any) -> None:
        if exc is None:
            self._close()
            return
        import signal
        import threading

        from .errors import EXIT_INTERRUPTED, EXIT_TERMINATED, Terminated

        # A second Ctrl-C (or SIGTERM) would only stop the clean-up: it is ignored until done.
        main = threading.current_thread() is threading.main_thread()
        signals = (signal.SIGINT, signal.SIGTERM) if main else ()
        previous = {s: signal.signal(s, signal.SIG_IGN) for s in signals}
        try:
            self._stop()
            sweep_temporaries(self.job.out)
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
        if not isinstance(exc, KeyboardInterrupt):
            return
        terminated = isinstance(exc, Terminated)
        total = len(self.rows)
        raise BatchInterrupted(
            f"{'terminated (SIGTERM)' if terminated else 'interrupted (Ctrl-C)'}: {self.finished} of {total} "
            f"patients done, {self.written} with their files in {self.job.out}/<patient>/; "
            "summary.csv, agenda.csv, agenda.pdf and clinic.ics were not written",
            exit_code=EXIT_TERMINATED if terminated else EXIT_INTERRUPTED,
            hint="run the same batch again to finish",
        ) from None


def _warm_imports() -> None:
    from . import agenda  # noqa: F401
    from .export import ics  # noqa: F401
    from .export.pdf import patient, staff  # noqa: F401
    from .export.pdf.fonts import register_embedded
    from .rules import load_families

    load_families()
    register_embedded()  # Noto Sans parsed once, in the parent: each worker inherits it
    import icalendar  # noqa: F401
    import reportlab.platypus  # noqa: F401


@contextmanager
def _quiet(results: Iterator[RowResult], _count: int) -> Iterator[Iterable[RowResult]]:
    yield results


def run_batch(
    rows: PatientRows | Sequence[Row],
    job: Job,
    jobs: int,
    centre: Clinic | None,
    chairs: int | None,
    progress: Progress | None = None,
) -> BatchReport:
    """Plan every row, stream each patient's sessions into clinic.ics, then write the summary and
    the agenda. Returns the lines for the terminal. `progress` (a front end's progress bar) wraps
    the results as they come."""
    import gc
    import shutil
    import tempfile

    from . import agenda
    from .export import agenda as agenda_export
    from .export.ics import calendar_frame
    from .export.pdf import agenda as agenda_pdf
    from .inputs import resolve_now
    from .workspace import Spool
    from .writer import write_all

    today = (resolve_now(job.now, "UTC") if job.now else job.clock).date()  # clinic.ics with no sessions
    sweep_temporaries(job.out)  # what an interrupted or killed run left behind
    tally = _Tally()  # counts and the rows that failed; each row's summary waits on disk
    days_seen: set[dt.date] = set()
    tz = centre.tz if centre is not None else None
    # The agenda rows wait on disk until every row is done (the agenda needs all of them), so
    # the parent does not grow with the number of patients while the workers run; so do the
    # VEVENTs of clinic.ics until its time zone range is known.
    # An interrupt anywhere in the block (workers running, or the batch's own files being
    # written) leaves through `_Run`: workers stopped, temporary files removed, BatchInterrupted.
    with (
        _Run(rows, job, jobs) as run,
        Spool(job.out) as spool,
        tempfile.TemporaryFile(dir=job.out) as body,
        tempfile.TemporaryFile(dir=job.out) as kept,
        tempfile.TemporaryFile(dir=job.out) as sheet,
        tempfile.TemporaryFile(dir=job.out) as pages,
        (progress or _quiet)(run.results(), len(rows)) as stream,
    ):
        for result in stream:
            body.writelines(result.vevents)
            spool.add(
                (x.date.isoformat(), x.time, pickle.dumps(x, protocol=pickle.HIGHEST_PROTOCOL))
                for x in result.sessions
            )
            days_seen.update(x.date for x in result.sessions)
            tz = tz or result.tz or None
            tally.add(result)
            pickle.dump(_slim(result), kept, protocol=pickle.HIGHEST_PROTOCOL)
        tz = tz or "UTC"
        site_name = " - " + centre.name if centre is not None and centre.name else ""
        head, tail = calendar_frame(
            f"lmsched: clinic sessions and checks{site_name}",
            tz,
            min(days_seen, default=today),
            max(days_seen, default=today),
        )

        capacity = agenda.ChairCount(chairs, centre)

        def agenda_days() -> Iterator[agenda.AgendaDay]:
            """The agenda a day at a time, from the spool (nothing of it is kept, so the parent's
            memory does not grow with the patients)."""
            return agenda.stream_days((pickle.loads(row) for row in spool.rows()), capacity)

        def clinic_ics(out: BinaryIO) -> None:
            body.seek(0)
            out.write(head)
            shutil.copyfileobj(body, out)
            out.write(tail)

        flagged: dict[str, set[dt.date]] = defaultdict(set)
        spills: dict[dt.date, dt.date] = {}  # a day whose sessions run past midnight: the last day reached

        def flagging(days: Iterator[agenda.AgendaDay]) -> Iterator[agenda.AgendaDay]:
            """The days as the survey reads them, each flagging its patients' dates and writing
            its lines of agenda.csv on the way (one pass of the spool for both)."""
            sheet.write(agenda_export.csv_header())
            for day in days:
                for x in day.over:
                    flagged[x.patient].add(x.date)
                for x in day.sessions:
                    end = agenda.reach(x)
                    if end > x.date:  # past midnight: the volumes either side read each other's days
                        spills[x.date] = max(end, spills.get(x.date, end))
                sheet.write(agenda_export.csv_day(day))
                yield day

        site = centre.name if centre is not None and centre.name else "lmsched batch"
        generated = resolve_now(job.now, tz) if job.now else job.clock
        fonts = _agenda_fonts(centre, job)
        # one pass for the ranges, the patients' over-capacity dates, agenda.csv and the PDF's totals
        surveyed = agenda_pdf.survey(flagging(agenda_days()), site, fonts)
        gc.collect()  # what the pass left (each day's sessions) goes back before the volumes
        _trim()
        overloads = surveyed[2]
        over = {patient: tuple(sorted(dates)) for patient, dates in sorted(flagged.items())}

        def agenda_csv(out: BinaryIO) -> None:
            sheet.seek(0)
            shutil.copyfileobj(sheet, out)

        volumes = agenda_pdf.volumes(surveyed[1])
        many = len(volumes) > 1  # a long agenda: agenda.pdf, agenda-2.pdf, ... (memory stays flat)
        names = [agenda_pdf.volume_name("agenda.pdf", v.number) for v in volumes] if many else ["agenda.pdf"]
        # what a later volume needs of the survey: the column widths (the summary is volume 1's)
        later: Any = (agenda_pdf.Totals(widths=list(surveyed[0].widths)), [], [])

        def volume_task(i: int) -> _AgendaVolume:
            """Volume i's PDF as a task: its days' rows of the spool (`agenda.read_range`)."""
            v = volumes[i] if many else None
            if v is None:
                rows = tuple(spool.rows())
            else:
                # the days either side only when a session runs past midnight into the volume or
                # out of it (else they change nothing in it: at 20,000 patients they would be a
                # third more rows)
                first, last = agenda.read_range(v.first, v.last, spills)
                rows = tuple(spool.rows(first.isoformat(), last.isoformat()))
            return _AgendaVolume(
                rows,
                capacity,
                site,
                job.paper,
                generated,
                fonts,
                surveyed if v is None or v.number == 1 else later,
                v,
                tuple(volumes) if many else (),
                tuple(names) if many else (),
            )

        # The volumes are rendered by this process and the workers left (`_Run.farm`), a volume
        # each at a time, into `pages`; one that failed is rendered again when it is written.
        done: dict[int, tuple[int, int]] = {}  # volume index: its bytes' offset and length in pages
        for i, answer in run.farm(volume_task(i) for i in range(len(names))):
            if answer is not None:
                done[i] = (pages.tell(), len(answer))
                pages.write(answer)

        def volume_file(i: int) -> Callable[[BinaryIO], None]:
            def write(out: BinaryIO) -> None:
                if i not in done:
                    volume_task(i).write(out)
                    return
                offset, length = done[i]
                pages.seek(offset)
                while length > 0:
                    chunk = pages.read(min(length, 1 << 20))
                    if not chunk:
                        raise OSError(f"{job.out}: a rendered agenda volume was cut short")
                    out.write(chunk)
                    length -= len(chunk)

            return write

        pdfs = {job.out / name: volume_file(i) for i, name in enumerate(names)}

        # all of them are rendered (the agenda and clinic.ics streamed from disk) before any of
        # them is replaced
        write_all(
            {
                job.out / "summary.csv": lambda out: _summary_csv(out, kept, over),
                job.out / "agenda.csv": agenda_csv,
                **pdfs,
                job.out / "clinic.ics": clinic_ics,
            },
            within=job.out,
        )
    return BatchReport(
        tuple(_report_lines(tally, overloads, job, len(volumes))), tally.counts["ok"] == tally.total
    )


@dataclass(frozen=True)
class _AgendaVolume:
    """One PDF of the batch's agenda (`export.pdf.agenda.write_pdf`), made from its days' rows of
    the spool (pickled `agenda.Session`s, in day order): a task a worker can do (`_Run.farm`)
    with what it is sent, or the parent itself. Either gives the same bytes."""

    rows: tuple[bytes, ...]
    capacity: Any  # agenda.ChairCount
    site: str
    paper: Paper
    generated: dt.datetime
    fonts: Any
    surveyed: Any  # the survey of the whole agenda (later volumes: only its column widths)
    volume: Any  # export.pdf.agenda.Volume, or None: the agenda whole
    volumes: tuple[Any, ...]
    names: tuple[str, ...]

    def days(self) -> Iterator[Any]:
        from . import agenda

        streamed = agenda.stream_days((pickle.loads(row) for row in self.rows), self.capacity)
        if self.volume is None:
            return streamed
        first, last = self.volume.first, self.volume.last
        return (day for day in streamed if first <= day.summary.date <= last)

    def write(self, out: BinaryIO) -> None:
        from .export.pdf import agenda as agenda_pdf

        agenda_pdf.write_pdf(
            out,
            self.days,
            self.site,
            paper=self.paper,
            generated=self.generated,
            fonts=self.fonts,
            surveyed=self.surveyed,
            volume=self.volume,
            volumes=self.volumes,
            names=self.names,
        )

    def run(self) -> bytes:
        import gc

        buffer = io.BytesIO()
        self.write(buffer)
        # a ReportLab document is a web of cycles: its pages (some 10 MB) would wait for the
        # collector while the next volume is made; what is freed goes back to the system
        gc.collect()
        _trim()
        return buffer.getvalue()


def _trim() -> None:
    """Give the C heap's free memory back to the system (glibc's malloc_trim; elsewhere nothing)."""
    try:
        import ctypes

        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _agenda_fonts(centre: Clinic | None, job: Job) -> Any:
    """The agenda PDF's fallback fonts: the --clinic file's, then --font's."""
    from .export.pdf.fonts import Fonts

    paths = (*(centre.fonts if centre is not None else ()), *(str(p) for p in job.fonts))
    return Fonts(fallbacks=tuple(dict.fromkeys(paths)), allow_missing=job.allow_missing_glyphs)


def _slim(result: RowResult) -> RowResult:
    """What the summary needs of a row, once its sessions and VEVENTs are used."""
    return dataclasses.replace(result, sessions=(), vevents=())


class _Tally:
    """What the terminal report needs of the rows: the count of each outcome and the rows that
    did not succeed (the others' summaries wait on disk)."""

    def __init__(self) -> None:
        self.counts = dict.fromkeys(("ok", "invalid", "blocked", "conflict", "error"), 0)
        self.failed: list[RowResult] = []
        self.total = 0

    def add(self, result: RowResult) -> None:
        self.total += 1
        self.counts[result.outcome] = self.counts.get(result.outcome, 0) + 1
        if result.outcome != "ok":
            self.failed.append(_slim(result))


def _summary_csv(out: BinaryIO, kept: BinaryIO, over: Mapping[str, Sequence[dt.date]]) -> None:
    """summary.csv, from the rows' results kept on disk (pickled in row order), in chunks."""
    from .export.csv import render_lines, render_rows

    def stored() -> Iterator[RowResult]:
        kept.seek(0)
        while True:
            try:
                yield pickle.load(kept)
            except EOFError:
                return

    out.write(render_rows(SUMMARY_COLUMNS, ()))
    for chunk in _batched(stored()):
        out.write(render_lines(summary_rows(chunk, over)))


def _batched(items: Iterator[RowResult], n: int = 1000) -> Iterator[list[RowResult]]:
    while chunk := list(itertools.islice(items, n)):
        yield chunk


def _report_lines(tally: _Tally, overloads: Sequence[Any], job: Job, volumes: int = 1) -> Iterator[str]:
    from . import agenda

    for r in tally.failed:
        who = f" ({r.patient_id})" if r.patient_id else ""
        yield f"{r.where}{who}: {r.outcome}: {r.reason}"
    counts = tally.counts
    yield (
        f"{tally.total} patients: "
        + ", ".join(f"{n} {k}" for k, n in counts.items() if n or k == "ok")
        + f"; outputs in {job.out}/"
    )
    lines = agenda.render_overload_lines(overloads)
    if len(lines) > TERMINAL_OVERLOADS + 1:  # the rest are in agenda.pdf, agenda.csv and summary.csv
        hidden = len(lines) - 1 - TERMINAL_OVERLOADS
        lines = [*lines[:TERMINAL_OVERLOADS], f"... and {hidden} more (see agenda.pdf)", lines[-1]]
    yield from lines
    if volumes > 1:
        pdfs = f"agenda.pdf to agenda-{volumes}.pdf (the agenda in {volumes} volumes)"
        yield f"wrote {job.out}/summary.csv, agenda.csv, {pdfs} and clinic.ics"
    else:
        yield f"wrote {job.out}/summary.csv, agenda.csv, agenda.pdf and clinic.ics"
