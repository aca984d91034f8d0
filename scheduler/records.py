"""Use cases over the clinic workspace: create it, save plans into it, import and export plan
files, back it up, verify it, list patients and their histories.

The front ends call these; the storage itself (and that it is SQLite) is `workspace`'s."""

from __future__ import annotations

import dataclasses
import datetime as dt
import getpass
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from .errors import ConflictError, InputError, quote

if TYPE_CHECKING:
    from .agenda import DaySummary, Overload, Session
    from .models import Clinic
    from .plan import Plan
    from .reconcile import Administration
    from .service import Outputs
    from .workspace import Stored, Workspace

ENV = "LMSCHED_WORKSPACE"


def workspace_path(given: Path | None, environ: Mapping[str, str] | None = None) -> Path | None:
    """`--workspace PATH`, else LMSCHED_WORKSPACE, else None (commands work on files)."""
    if given is not None:
        return given
    named = (os.environ if environ is None else environ).get(ENV, "")
    return Path(named) if named else None


def _backup_before_migration(workspace: Workspace, version: int) -> Path:
    target = workspace.path.with_name(f"{workspace.path.name}.schema-{version}.bak")
    n = 1
    while target.exists():
        n += 1
        target = workspace.path.with_name(f"{workspace.path.name}.schema-{version}.{n}.bak")
    backup_workspace(workspace, target)
    return target


def open_workspace(path: Path) -> Workspace:
    """The workspace at `path`, migrated (after a backup beside it) when it is older."""
    from .workspace import Workspace

    return Workspace.open(path, backup=_backup_before_migration)


def init_workspace(path: Path, site_key_file: Path | None, now: dt.datetime) -> tuple[Workspace, Path]:
    """`lmsched workspace init PATH`: a new workspace holding the id of the site key it serves
    (`site_key_file`, else the key lmsched finds as everywhere else, created on first use)."""
    from .sitekey import key_id, resolve
    from .workspace import Workspace

    key = resolve(explicit=site_key_file)
    workspace = Workspace.create(
        path, site_key_id=key_id(key.key), site_key_path=str(key.path.resolve()), now=now
    )
    return workspace, key.path


def keyed_outputs(workspace: Workspace, outputs: Outputs, clinic: Clinic | None) -> Outputs:
    """`outputs` keyed with the workspace's site key: the one a patient calendar is made with must
    be the key the workspace serves (else its UIDs differ from every other scheduler's and each
    event shows twice). With no key named anywhere (no --site-key, no clinic key, no
    LMSCHED_SITE_KEY_FILE), the workspace's own key file is used."""

    from .service import site_key
    from .sitekey import ENV, key_id

    if not outputs.needs_key:
        return outputs
    recorded = workspace.meta("site_key_id") or ""
    path = workspace.meta("site_key_path") or ""
    named = outputs.site_key is not None or bool(clinic and clinic.site_key) or bool(os.environ.get(ENV))
    if not named and outputs.key is None and path:
        return dataclasses.replace(outputs, site_key=Path(path))
    key = site_key(clinic, explicit=outputs.site_key, fallback=outputs.key, protect=outputs.targets)
    if recorded and key_id(key) != recorded:
        raise InputError(
            f"the patient calendar would be keyed with site key {key_id(key)}; the workspace serves "
            f"site key {recorded} ({path})",
            field="site_key",
            hint=f"give {{site_key}} {path} or set {ENV} to it",
        )
    return dataclasses.replace(outputs, key=key, site_key=None)


def decider(given: str | None) -> str:
    """Who saves: `--decided-by`, else the operating-system user."""
    if given:
        return given
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"


def _status(plan: Plan) -> str:
    """active; on hold (the latest change is a hold); stopped (the latest change is a stop and
    nothing from its day on is still planned)."""
    last = plan.changes[-1] if plan.changes else None
    if last is None:
        return "active"
    if last.action == "hold":
        return "on hold"
    if last.action == "stop":
        moved = [m.old for m in last.moves if m.old is not None] or [last.at.date()]
        since = min(moved)
        if not any(e.date >= since and e.status != "cancelled" for e in plan.events):
            return "stopped"
    return "active"


def _regimen(plan: Plan) -> str:
    for ref in plan.templates:
        if ref.kind == "regimen":
            return ref.id
    return plan.templates[0].id if plan.templates else ""


def _action(plan: Plan, first: str) -> str:
    return plan.changes[-1].action if plan.changes and plan.revision > 0 else first


def save_plan(
    workspace: Workspace,
    plan: Plan,
    *,
    action: str,
    parent: str | None,
    by: str | None,
    reason: str | None,
    now: dt.datetime,
    vevents: Sequence[tuple[dt.date, bytes]] | None = None,
) -> Stored:
    """Store `plan` (its JSON exactly as `plan --json` writes it) as the patient's next revision.
    `vevents`: the plan's `clinic_vevents` when the caller has them already (a batch row)."""
    from .batch import clinic_vevents
    from .plan import plan_to_json
    from .workspace import NewRevision

    if not plan.inputs.patient_id:
        raise InputError("a plan saved in a workspace needs a patient id", field="patient_id")
    recorded = workspace.meta("site_key_id")
    used = plan.inputs.clinic.site_key_id
    if used is not None and recorded and used != recorded:
        raise InputError(
            f"the plan was made with site key {used}, the workspace serves site key {recorded}",
            field="site_key",
            hint="make it again with the workspace's key (its path: `lmsched workspace info`)",
        )
    events = plan.events
    return workspace.save(
        NewRevision(
            sessions=tuple(_index(plan)),
            vevents=tuple(
                (day.isoformat(), text)
                for day, text in (clinic_vevents(plan)[1] if vevents is None else vevents)
            ),
            zone=plan.inputs.clinic.tz,
            patient_id=plan.inputs.patient_id,
            name=plan.inputs.full_name or "",
            revision=plan.revision,
            action=action,
            fingerprint=plan.fingerprint,
            parent=parent,
            reason=reason,
            decided_by=decider(by),
            saved_at=now.isoformat(timespec="seconds"),
            regimen=_regimen(plan),
            status=_status(plan),
            visits=",".join(sorted({e.date.isoformat() for e in events if e.status != "cancelled"})),
            document=plan_to_json(plan),
        )
    )


def session_row(session: Session) -> str:
    """An agenda row as the workspace keeps it (JSON text)."""
    fields = dataclasses.asdict(session)
    fields["date"] = session.date.isoformat()
    return json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def session_from_row(text: str) -> Session:
    from .agenda import Session

    fields = json.loads(text)
    fields["date"] = dt.date.fromisoformat(fields["date"])
    fields["with_checks"] = tuple(fields["with_checks"])
    return Session(**fields)


def _index(plan: Plan) -> Iterable[tuple[str, str, str]]:
    """The agenda rows of `plan` for the workspace's day index."""
    from .agenda import sessions_of

    for session in sessions_of(plan, plan.inputs.patient_id or ""):
        yield (
            session.date.isoformat(),
            f"{session.time}\x1f{session.patient}\x1f{session.uid}",
            session_row(session),
        )


# -- import, export ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Imported:
    path: Path
    patient_id: str
    revision: int
    outcome: str  # "added", "revision", "already stored"


def import_plans(
    workspace: Workspace, paths: Iterable[Path], *, by: str | None, now: dt.datetime
) -> list[Imported]:
    """Plan files into the workspace, each checked as any saved plan is (an edited one refused).
    A plan is added as a new patient, as the next revision of the patient's latest (its parent
    is the latest), or skipped when the workspace already holds it; anything else is a conflict."""
    from .service import load_saved

    plans = [(path, load_saved(path, field="PLAN")) for path in paths]
    done = []
    for path, plan in plans:
        patient_id = plan.inputs.patient_id
        if not patient_id:
            raise InputError(f"{path} has no patient id; a workspace keeps plans by patient id", field="PLAN")
        latest = workspace.latest(patient_id)
        if latest is not None and latest.fingerprint == plan.fingerprint:
            done.append(Imported(path, patient_id, plan.revision, "already stored"))
            continue
        if latest is not None and latest.status != "entered in error" and plan.parent != latest.fingerprint:
            raise ConflictError(
                f"{path}: {patient_id} is in the workspace at revision {latest.revision}, and this plan "
                f"(revision {plan.revision}) was not made from it",
                hint="reschedule the workspace's plan by its id instead",
            )
        parent = latest.fingerprint if latest is not None and plan.parent == latest.fingerprint else None
        reason = plan.changes[-1].reason if plan.changes and plan.revision > 0 else None
        stored = save_plan(
            workspace, plan, action=_action(plan, "import"), parent=parent, by=by, reason=reason, now=now
        )
        done.append(Imported(path, patient_id, stored.revision, "revision" if parent else "added"))
    return done


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def file_name(patient_id: str) -> str:
    """A file name for a patient's plan: the id when it is plain, else its plain letters and a
    digest (so two ids never share a file)."""
    plain = _UNSAFE.sub("_", patient_id).strip("._") or "patient"
    if plain != patient_id:
        plain = f"{plain[:40]}-{hashlib.sha256(patient_id.encode()).hexdigest()[:10]}"
    return f"{plain}.json"


def export_workspace(workspace: Workspace, folder: Path) -> list[Path]:
    """Every patient's current revision as a plan file in `folder`, byte-identical to what
    `plan`/`reschedule` wrote (patients whose plan was voided are left out)."""
    from .writer import check_folder, write_all

    check_folder(folder, "DIR")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create {folder}: {exc.strerror}", field="DIR") from None
    outputs: dict[Path, bytes] = {}
    for row in workspace.patients():
        if row.current.status == "entered in error":
            continue
        stored = workspace.latest(row.patient_id, document=True)
        assert stored is not None and stored.document is not None
        outputs[folder / file_name(row.patient_id)] = stored.document
    write_all(outputs, within=folder)
    return sorted(outputs)


def backup_workspace(workspace: Workspace, target: Path) -> None:
    """A consistent copy of the workspace at `target` (mode 0600), through the one writer."""
    from .writer import check_targets, write_all

    check_targets({"backup": target}, [workspace.path])
    folder = tempfile.mkdtemp(prefix="lmsched-backup-")
    try:
        staged = Path(folder) / "copy.sqlite"
        workspace.backup_to(staged)

        def stream(fh: object) -> None:
            with open(staged, "rb") as src:
                while chunk := src.read(1 << 20):
                    fh.write(chunk)  # type: ignore[attr-defined]

        write_all({target: stream}, mode=0o600)
    finally:
        for name in os.listdir(folder):
            os.unlink(os.path.join(folder, name))
        os.rmdir(folder)


# -- verify ------------------------------------------------------------------------------------


def verify_workspace(workspace: Workspace) -> list[str]:
    """Every problem found: SQLite's integrity check, each stored document against its recorded
    fingerprint (and its own), each revision's parent against the revision before it."""
    from .plan import fingerprint, plan_from_json

    problems = [f"integrity: {line}" for line in workspace.integrity()]
    before: dict[str, Stored] = {}
    for stored in workspace.every_revision():
        where = f"{stored.patient_id} revision {stored.revision} (#{stored.seq})"
        try:
            plan = plan_from_json(stored.document or b"")
        except ValueError as exc:
            problems.append(f"{where}: the stored plan does not read ({str(exc).splitlines()[0]})")
            before[stored.patient_id] = stored
            continue
        actual = fingerprint(plan)
        if actual != stored.fingerprint or plan.fingerprint != stored.fingerprint:
            problems.append(f"{where}: the stored plan does not match its fingerprint (changed after saving)")
        if plan.inputs.patient_id != stored.patient_id:
            problems.append(f"{where}: the stored plan is for patient {quote(plan.inputs.patient_id)}")
        previous = before.get(stored.patient_id)
        if stored.action == "void":
            if (
                previous is None
                or stored.parent != previous.fingerprint
                or stored.fingerprint != stored.parent
            ):
                problems.append(f"{where}: a void that does not close the revision stored before it")
        elif stored.parent is not None:
            if previous is None or previous.fingerprint != stored.parent:
                problems.append(f"{where}: its parent is not the revision stored before it")
            if plan.parent != stored.parent:
                problems.append(f"{where}: the plan names another parent than the one recorded")
        elif previous is not None and previous.status != "entered in error":
            problems.append(f"{where}: no parent, but the patient had a current plan")
        before[stored.patient_id] = stored
    return problems


# -- looking -----------------------------------------------------------------------------------


def next_visit(visits: str, today: dt.date) -> str | None:
    """The first day of a plan's events (`Stored.visits`) on or after `today`."""
    from bisect import bisect_left

    days = visits.split(",") if visits else []
    at = bisect_left(days, today.isoformat())
    return days[at] if at < len(days) else None


def current_plan(workspace: Workspace, patient_id: str, revision: int | None = None) -> Plan:
    """A patient's current plan (or plan revision `revision`), checked against its fingerprint."""
    from .plan import fingerprint, plan_from_json

    stored = (
        workspace.latest(patient_id, document=True)
        if revision is None
        else workspace.revision(patient_id, revision)
    )
    if stored is None:
        known = workspace.patient_ids()
        if patient_id not in known:
            raise InputError(f"{quote(patient_id)} is not in the workspace", field="PATIENT_ID")
        revisions = sorted({s.revision for s in workspace.history(patient_id)})
        raise InputError(
            f"{patient_id} has no revision {revision}", field="revision", choices=[str(r) for r in revisions]
        )
    plan = plan_from_json(stored.document or b"")
    if fingerprint(plan) != stored.fingerprint:
        raise InputError(
            f"{patient_id} revision {stored.revision} in the workspace does not match its fingerprint "
            "(changed after saving)",
            field="workspace",
            hint="run `lmsched workspace verify`",
        )
    return plan


# -- a patient's plan named in place of a plan file ----------------------------------------------


@dataclass(frozen=True)
class InWorkspace:
    """A patient's current plan (or revision `revision`) in the workspace at `workspace`, named by
    the patient id where a command takes a plan file."""

    workspace: Path
    patient_id: str
    revision: int | None = None

    def __str__(self) -> str:
        return self.patient_id


def load_current(source: InWorkspace) -> Plan:
    """The plan `source` names, checked against its fingerprint."""
    with open_workspace(source.workspace) as workspace:
        if source.revision is None:
            latest = workspace.latest(source.patient_id)
            if latest is not None and latest.status == "entered in error":
                raise InputError(
                    f"{source.patient_id}'s plan was entered in error (void, revision {latest.revision})",
                    field="PATIENT_ID",
                    hint="plan the patient again with `lmsched plan ... --save`",
                )
        return current_plan(workspace, source.patient_id, source.revision)


def save_revision(
    workspace: Workspace,
    plan: Plan,
    *,
    parent: Plan,
    by: str | None,
    now: dt.datetime,
) -> Stored:
    """Store a revision made by reschedule from `parent`: saved only while `parent` is still the
    patient's current plan (else ConflictError)."""
    change = plan.changes[-1]
    return save_plan(
        workspace,
        plan,
        action=change.action,
        parent=parent.fingerprint,
        by=by,
        reason=change.reason,
        now=now,
    )


# -- void and erase --------------------------------------------------------------------------------


def void_plan(
    path: Path, patient_id: str, *, reason: str, by: str | None, now: dt.datetime, read: int | None = None
) -> Stored:
    """Close a plan entered in error: a `void` revision (the same plan, status "entered in error")
    that takes it off the agenda and the active list; it stays in the history. `read`: the
    revision the user saw (a newer one saved since is a conflict)."""
    from .workspace import NewRevision

    _check_text(reason, "reason")
    with open_workspace(path) as workspace:
        latest = workspace.latest(patient_id, document=True)
        if latest is None:
            raise InputError(f"{quote(patient_id)} is not in the workspace", field="PATIENT_ID")
        if latest.status == "entered in error":
            raise InputError(f"{patient_id}'s plan is already void (entered in error)", field="PATIENT_ID")
        if read is not None and read != latest.revision:
            raise ConflictError(
                f"revision {latest.revision} of {patient_id} was saved by {latest.decided_by} after you "
                f"read revision {read}; look at the current plan first"
            )
        assert latest.document is not None
        names = [r.name for r in workspace.patients() if r.patient_id == patient_id]
        return workspace.save(
            NewRevision(
                patient_id=patient_id,
                name=names[0] if names else "",
                revision=latest.revision,
                action="void",
                fingerprint=latest.fingerprint,
                parent=latest.fingerprint,
                reason=reason,
                decided_by=decider(by),
                saved_at=now.isoformat(timespec="seconds"),
                regimen=latest.regimen,
                status="entered in error",
                visits="",
                document=latest.document,
            )
        )


def _check_text(text: str, field: str) -> None:
    from .models import check_line

    if not text.strip():
        raise InputError("give the reason as a sentence", field=field)
    try:
        check_line(text)
    except ValueError as exc:
        raise InputError(str(exc), field=field) from None


def tombstone_digest(key: bytes, patient_id: str) -> str:
    """What an erased patient leaves: an HMAC of the id with the site key (it tells whether a
    given id was erased, and nothing else: without the key no id can be tried)."""
    import hmac

    return (
        "hmac-sha256:" + hmac.new(key, b"lmsched-erase\x1f" + patient_id.encode(), hashlib.sha256).hexdigest()
    )


def erase_patient(
    path: Path, patient_id: str, *, reason: str, by: str | None, now: dt.datetime, site_key_file: Path | None
) -> int:
    """`workspace erase`: every row of the patient deleted in one transaction, a tombstone left.
    Backups taken before keep the patient: the README says so."""
    from .sitekey import key_id, resolve

    _check_text(reason, "reason")
    with open_workspace(path) as workspace:
        recorded = workspace.meta("site_key_id") or ""
        named = site_key_file or Path(workspace.meta("site_key_path") or "")
        key = resolve(explicit=named).key
        if recorded and key_id(key) != recorded:
            raise InputError(
                f"{named} holds site key {key_id(key)}; the workspace serves site key {recorded}",
                field="site_key",
            )
        return workspace.erase(
            patient_id,
            digest=tombstone_digest(key, patient_id),
            by=decider(by),
            at=now.isoformat(timespec="seconds"),
            reason=reason,
        )


# -- administrations --------------------------------------------------------------------------------


def given_text(record: Administration) -> str:
    """An administration as the workspace keeps it (JSON text; the line number is not kept)."""
    fields = dataclasses.asdict(record)
    del fields["line"]
    fields["date"] = record.date.isoformat()
    return json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def given_from_text(text: str, line: int) -> Administration:
    from .reconcile import Administration

    fields = json.loads(text)
    fields["date"] = dt.date.fromisoformat(fields["date"])
    return Administration(line=line, **fields)


def keep_given(
    path: Path,
    patient_id: str,
    records: Iterable[Administration],
    *,
    source: str,
    by: str | None,
    now: dt.datetime,
) -> tuple[Plan, tuple[Administration, ...], int]:
    """Keep `records` with the patient (one already kept is not kept twice) and return the current
    plan with every administration kept for it, in the order recorded, and how many were new."""
    from .workspace import Given

    who = decider(by)
    at = now.isoformat(timespec="seconds")
    with open_workspace(path) as workspace:
        plan = current_plan(workspace, patient_id)
        added = workspace.record_given(patient_id, [Given(given_text(r), who, at, source) for r in records])
        kept = tuple(given_from_text(g.record, n) for n, g in enumerate(workspace.given(patient_id), start=1))
    return plan, kept, added


# -- the agenda -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgendaResult:
    days: tuple[DaySummary, ...]
    overloads: tuple[Overload, ...]
    sessions: int  # rows of the agenda (chair sessions and clinic checks)
    written: tuple[Path, ...]


def workspace_agenda(
    path: Path,
    first: dt.date,
    last: dt.date,
    *,
    chairs: int | None = None,
    clinic: Path | None = None,
    targets: Mapping[str, Path] | None = None,
    now: str | None = None,
    paper: str = "letter",
) -> AgendaResult:
    """`lmsched agenda`: the chair sessions and clinic checks of every current plan from `first`
    to `last`, with the chairs (`chairs`, else the clinic file's per day) and the over-capacity
    ranges; `targets`: csv, pdf and ics (the clinic calendar) files. Read a day at a time through
    the workspace's day index (`agenda.stream_days`), as the batch reads its spool: the cost
    follows the rows returned, not the size of the workspace."""
    from . import agenda
    from .inputs import read_clinic, resolve_now
    from .writer import check_targets, write_all

    if last < first:
        raise InputError(f"--to {last} is before --from {first}", field="to")
    if (last - first).days > 366:
        raise InputError(
            f"{first} to {last} is more than a year", field="to", hint="ask for at most 366 days"
        )
    targets = dict(targets or {})
    check_targets(targets, [path, *([clinic] if clinic else [])])
    centre = read_clinic(clinic) if clinic else None

    capacity = agenda.ChairCount(chairs, centre)

    tz = centre.tz if centre is not None else "UTC"
    generated = resolve_now(now, tz)
    site = centre.name if centre is not None and centre.name else "lmsched workspace"
    with open_workspace(path) as workspace:

        def days(a: dt.date = first, b: dt.date = last) -> Iterator[agenda.AgendaDay]:
            for day in agenda.stream_days(agenda_sessions(workspace, a, b), capacity):
                if a <= day.summary.date <= b:
                    yield day

        rendered: dict[Path, Any] = {}
        if "pdf" in targets:
            from .export.pdf import agenda as agenda_pdf
            from .export.pdf.fonts import Fonts

            fonts = Fonts(fallbacks=tuple(centre.fonts) if centre is not None else ())
            surveyed = agenda_pdf.survey(days(), site, fonts)
            totals, summaries, overloads = surveyed
            rows = totals.chair + totals.checks + totals.rt
            # a long agenda in volumes: FILE.pdf, FILE-2.pdf, ... (standard output gets it whole)
            volumes = agenda_pdf.volumes(summaries) if str(targets["pdf"]) != "-" else []
            names = [agenda_pdf.volume_name(targets["pdf"].name, v.number) for v in volumes]
            for v, name in zip(volumes, names, strict=True) if len(volumes) > 1 else ():
                rendered[targets["pdf"].with_name(name)] = _agenda_volume(
                    days, v, volumes, names, site, paper, generated, fonts, surveyed
                )
            more = {f"pdf volume {n}": p for n, p in enumerate(list(rendered)[1:], 2)}
            check_targets({**targets, **more}, [path, *([clinic] if clinic else [])])
            if len(volumes) <= 1:

                def whole(out: BinaryIO) -> None:
                    agenda_pdf.write_pdf(
                        out,
                        days,
                        site,
                        paper=paper,  # type: ignore[arg-type]
                        generated=generated,
                        fonts=fonts,
                        surveyed=surveyed,
                    )

                rendered[targets["pdf"]] = whole
        else:
            summaries, overloads, rows = [], [], 0
            for day in days():
                summaries.append(day.summary)
                overloads.extend(day.overloads)
                rows += len(day.sessions)
        if "csv" in targets:
            from .export import agenda as agenda_csv

            def spreadsheet(out: BinaryIO) -> None:
                out.writelines(agenda_csv.csv_chunks(days()))

            rendered[targets["csv"]] = spreadsheet
        if "ics" in targets:
            rendered[targets["ics"]] = _clinic_calendar(
                workspace, first, last, site, centre.tz if centre else None
            )
        write_all(rendered)  # each rendered (the agenda streamed) before any file is replaced
    return AgendaResult(tuple(summaries), tuple(overloads), rows, tuple(rendered))


def agenda_sessions(workspace: Workspace, first: dt.date, last: dt.date) -> Iterator[Session]:
    """Every agenda row of the current plans (not those entered in error) from `first` to
    `last`, with `agenda.SPILL_DAYS` either side (a session may run past midnight into the range
    or out of it), in day order, read through the day index."""
    from .agenda import SPILL_DAYS

    margin = dt.timedelta(days=SPILL_DAYS)
    for text in workspace.agenda_rows((first - margin).isoformat(), (last + margin).isoformat()):
        yield session_from_row(text)


def _agenda_volume(
    days: Any,
    volume: Any,
    volumes: Sequence[Any],
    names: Sequence[str],
    site: str,
    paper: str,
    generated: dt.datetime,
    fonts: Any,
    surveyed: Any,
) -> Any:
    """A writer of one volume of a long agenda PDF (`export.pdf.agenda.volumes`)."""
    from .export.pdf import agenda as agenda_pdf

    def write(out: BinaryIO) -> None:
        agenda_pdf.write_pdf(
            out,
            lambda: days(volume.first, volume.last),
            site,
            paper=paper,  # type: ignore[arg-type]
            generated=generated,
            fonts=fonts,
            surveyed=surveyed,
            volume=volume,
            volumes=volumes,
            names=names,
        )

    return write


def _clinic_calendar(workspace: Workspace, first: dt.date, last: dt.date, site: str, tz: str | None) -> bytes:
    """The clinic calendar (the batch's clinic.ics) of the days asked for: each event as the
    patient's staff calendar has it, with a VTIMEZONE for each zone they use."""
    from .export.ics import calendar_frame
    from .export.vtimezone import vtimezone

    events = list(workspace.clinic_events(first.isoformat(), last.isoformat()))
    zones = sorted({zone for zone, _ in events} - {"UTC"})
    main = tz or (zones[0] if zones else "UTC")
    head, tail = calendar_frame(f"lmsched: clinic sessions and checks - {site}", main, first, last)
    extra = b"".join(vtimezone(z, first, last).to_ical() for z in zones if z != main)
    return head + extra + b"".join(vevent for _, vevent in events) + tail
