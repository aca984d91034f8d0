"""The clinic workspace: `lmsched workspace init|import|export|backup|verify|info`, and
`lmsched patients`, `show` and `history` over it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from .options import DATE, output_option
from .present import echo_lines

F = TypeVar("F", bound=Callable[..., Any])


def workspace_option(func: F) -> F:
    return click.option(
        "--workspace",
        "workspace_path",
        metavar="PATH",
        type=click.Path(dir_okay=False, path_type=Path),
        help="The clinic workspace (default: LMSCHED_WORKSPACE).",
    )(func)


def site_key_option(help_text: str) -> Callable[[F], F]:
    return click.option(
        "--site-key",
        "site_key_file",
        metavar="FILE",
        type=click.Path(dir_okay=False, path_type=Path),
        help=help_text,
    )


def now_option(func: F) -> F:
    return click.option(
        "--now",
        "now_text",
        metavar="ISO_DATETIME",
        help="When this happens (default SOURCE_DATE_EPOCH, else the clock).",
    )(func)


def _moment(now_text: str | None) -> dt.datetime:
    from ..inputs import resolve_now

    return resolve_now(now_text, "UTC")


def required(workspace_path: Path | None) -> Path:
    """The workspace named by --workspace or LMSCHED_WORKSPACE (one is required here)."""
    from ..errors import InputError
    from ..records import workspace_path as resolve

    path = resolve(workspace_path)
    if path is None:
        raise InputError(
            "no workspace", field="workspace", hint="give {workspace} PATH or set LMSCHED_WORKSPACE"
        )
    return path


def opened(workspace_path: Path | None) -> Any:
    """The workspace named by --workspace or LMSCHED_WORKSPACE, open."""
    from ..records import open_workspace

    return open_workspace(required(workspace_path))


PLAN_OR_PATIENT = click.argument("plan_file", metavar="PLAN.json|PATIENT_ID")


def plan_source(given: str, workspace_path: Path | None) -> Any:
    """A plan file, or (with a workspace named and no file of that name) the patient's current
    plan in the workspace."""
    from ..records import InWorkspace
    from ..records import workspace_path as resolve

    path = Path(given)
    found = resolve(workspace_path)
    if found is None or path.exists() or path.is_symlink():
        return path
    return InWorkspace(found, given)


def save_target(save: bool, workspace_path: Path | None) -> Path | None:
    """The workspace `--save` stores into (--workspace, else LMSCHED_WORKSPACE)."""
    from ..errors import InputError
    from ..records import workspace_path as resolve

    if not save:
        return None
    path = resolve(workspace_path)
    if path is None:
        raise InputError("", field="save", hint="say where with {workspace} PATH or LMSCHED_WORKSPACE")
    return path


@click.group("workspace")
def workspace() -> None:
    """The clinic workspace: every patient's plan and its history in one file (SQLite).

    Commands find it with --workspace PATH or LMSCHED_WORKSPACE; without one, lmsched works on
    plan files as before. Keep the file on a local disk (not a network share).
    """


@workspace.command("init")
@click.argument("path", metavar="PATH", type=click.Path(dir_okay=False, path_type=Path))
@site_key_option("The site key it serves (default: the one lmsched finds, created on first use).")
@now_option
def init(path: Path, site_key_file: Path | None, now_text: str | None) -> None:
    """Create a new workspace at PATH (mode 0600; 0660 in a group-shared folder).

    \b
    Example:
        lmsched workspace init /srv/lmsched/clinic.lmsched --site-key /srv/lmsched/site-key
    """
    from ..records import init_workspace

    made, key = init_workspace(path, site_key_file, _moment(now_text))
    version = made.schema_version()
    made.close()
    click.echo(f"created workspace {path} (schema {version}); it serves the site key {key}", err=True)


@workspace.command("import")
@click.argument(
    "plans", metavar="PLAN.json...", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path)
)
@workspace_option
@click.option("--decided-by", metavar="NAME", help="Who imports (default: the operating-system user).")
@now_option
def import_(
    plans: tuple[Path, ...], workspace_path: Path | None, decided_by: str | None, now_text: str | None
) -> None:
    """Store saved plan files in the workspace (each checked; an edited plan is refused).

    \b
    Example:
        lmsched workspace import examples/out/plan-adult.json --workspace clinic.lmsched
    """
    from ..records import import_plans

    with opened(workspace_path) as ws:
        done = import_plans(ws, plans, by=decided_by, now=_moment(now_text))
    for item in done:
        click.echo(f"{item.path}: {item.patient_id} revision {item.revision}: {item.outcome}")


@workspace.command("export")
@click.argument("folder", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
@workspace_option
def export(folder: Path, workspace_path: Path | None) -> None:
    """Write every patient's current plan into DIR as plan JSON files (PATIENT_ID.json)."""
    from ..records import export_workspace

    with opened(workspace_path) as ws:
        written = export_workspace(ws, folder)
    click.echo(f"wrote {len(written)} plan file(s) into {folder}", err=True)


@workspace.command("backup")
@click.argument("target", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@workspace_option
def backup(target: Path, workspace_path: Path | None) -> None:
    """Copy the workspace, consistently, to FILE (mode 0600), while others may go on working."""
    from ..records import backup_workspace

    with opened(workspace_path) as ws:
        backup_workspace(ws, target)
    click.echo(f"wrote {target}", err=True)


@workspace.command("verify")
@workspace_option
def verify(workspace_path: Path | None) -> int:
    """Check every stored revision against its fingerprint and its parent; exit 1 on a problem."""
    from ..records import verify_workspace

    with opened(workspace_path) as ws:
        problems = verify_workspace(ws)
        count = sum(len(ws.history(p)) for p in ws.patient_ids())
    echo_lines(problems)
    click.echo(f"{count} revision(s) checked: {len(problems) or 'no'} problem(s)", err=True)
    return 1 if problems else 0


@workspace.command("info")
@workspace_option
def info(workspace_path: Path | None) -> None:
    """Where the workspace is, its schema, the site key it serves and how many patients it holds."""
    with opened(workspace_path) as ws:
        lines = [
            f"workspace: {ws.path}",
            f"schema: {ws.schema_version()}",
            f"site key: {ws.meta('site_key_id')} ({ws.meta('site_key_path') or 'path not recorded'})",
            f"patients: {len(ws.patient_ids())}",
        ]
    echo_lines(lines)


@click.command("patients")
@click.option(
    "--active", is_flag=True, help="Only plans active or on hold (not stopped or entered in error)."
)
@workspace_option
@now_option
def patients(workspace_path: Path | None, now_text: str | None, active: bool) -> None:
    """List the workspace's patients: id, name, regimen, current revision, next visit, status.

    \b
    Example:
        lmsched patients --workspace clinic.lmsched --active
    """
    from ..records import next_visit

    today = _moment(now_text).date()
    with opened(workspace_path) as ws:
        rows = ws.patients()
        lines = [f"{'patient':<16} {'name':<28} {'regimen':<22} {'rev':>3}  {'next visit':<10}  status"]
        for row in rows:
            if active and row.current.status not in ("active", "on hold"):
                continue
            upcoming = next_visit(row.current.visits, today)
            lines.append(
                f"{row.patient_id:<16} {row.name[:28]:<28} {row.current.regimen[:22]:<22} "
                f"{row.current.revision:>3}  {upcoming or '-':<10}  {row.current.status}"
            )
    echo_lines(lines)


@click.command("show")
@click.argument("patient_id", metavar="PATIENT_ID")
@click.option(
    "--revision", type=click.IntRange(min=0), help="An earlier revision (default: the current one)."
)
@workspace_option
def show(patient_id: str, revision: int | None, workspace_path: Path | None) -> None:
    """Print a patient's current plan (or an earlier revision): findings and events."""
    from ..export.table import render_lines
    from ..records import current_plan
    from .present import findings_lines

    with opened(workspace_path) as ws:
        plan = current_plan(ws, patient_id, revision)
    echo_lines((*findings_lines(plan), "", *render_lines(plan)))


@click.command("history")
@click.argument("patient_id", metavar="PATIENT_ID")
@click.option(
    "--diff",
    "diff_pair",
    nargs=2,
    type=click.IntRange(min=0),
    metavar="N M",
    help="What changed from revision N to revision M.",
)
@workspace_option
def history(patient_id: str, diff_pair: tuple[int, int] | None, workspace_path: Path | None) -> int:
    """A patient's revisions: action, reason, who, when (--diff N M: what changed)."""
    from ..errors import InputError, quote

    with opened(workspace_path) as ws:
        rows = ws.history(patient_id)
        if not rows:
            raise InputError(f"{quote(patient_id)} is not in the workspace", field="PATIENT_ID")
        if diff_pair is not None:
            from ..diff import diff_plans
            from ..records import current_plan

            before = current_plan(ws, patient_id, diff_pair[0])
            after = current_plan(ws, patient_id, diff_pair[1])
            differences = diff_plans(before, after)
            click.echo(f"{patient_id}: revision {before.revision} -> revision {after.revision}")
            if not differences:
                click.echo("no differences in the events")
                return 0
            for d in differences:
                click.echo(f"  {d.line()}")
            click.echo(f"{len(differences)} differences")
            return 1
    lines = [f"{'rev':>3}  {'action':<10} {'saved':<25} {'by':<20} reason"]
    for row in rows:
        lines.append(
            f"{row.revision:>3}  {row.action:<10} {row.saved_at:<25} {row.decided_by[:20]:<20} "
            f"{row.reason or ''}"
        )
    echo_lines(lines)
    return 0


@workspace.command("erase")
@click.argument("patient_id", metavar="PATIENT_ID")
@click.option(
    "--reason", required=True, metavar="TEXT", help="Why (the erasure request); kept in the tombstone."
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (required without a terminal).")
@click.option("--decided-by", metavar="NAME", help="Who erases (default: the operating-system user).")
@site_key_option("The workspace's site key, which keys the tombstone (default: the file it recorded).")
@workspace_option
@now_option
def erase(
    patient_id: str,
    reason: str,
    yes: bool,
    decided_by: str | None,
    site_key_file: Path | None,
    workspace_path: Path | None,
    now_text: str | None,
) -> None:
    """Remove every row of a patient (a legal erasure request), leaving only a tombstone: a keyed
    digest of the id, who, when and why. Backups taken before still hold the patient.

    \b
    Example:
        lmsched workspace erase RCC-000123 --reason "Erasure request 2026-114" --yes
    """
    import sys

    from ..errors import InputError
    from ..records import erase_patient

    path = required(workspace_path)
    if not yes:
        if not sys.stdin.isatty():
            raise InputError("erasing cannot be undone: confirm with --yes", field="yes")
        click.confirm(
            f"Erase every revision of {patient_id} from {path}? This cannot be undone", abort=True, err=True
        )
    removed = erase_patient(
        path, patient_id, reason=reason, by=decided_by, now=_moment(now_text), site_key_file=site_key_file
    )
    click.echo(
        f"erased {patient_id}: {removed} revision(s) and every record of the patient; a tombstone is kept",
        err=True,
    )


@click.command("void")
@click.argument("patient_id", metavar="PATIENT_ID")
@click.option("--reason", required=True, metavar="TEXT", help="Why the plan was entered in error.")
@click.option(
    "--revision",
    "read",
    type=click.IntRange(min=0),
    help="The revision you looked at (refused when a newer one was saved since).",
)
@click.option("--decided-by", metavar="NAME", help="Who voids it (default: the operating-system user).")
@workspace_option
@now_option
def void(
    patient_id: str,
    reason: str,
    read: int | None,
    decided_by: str | None,
    workspace_path: Path | None,
    now_text: str | None,
) -> None:
    """Close a plan entered in error: it leaves the agenda and the active list, and stays in the
    history. The patient can then be planned again (plan --save).

    \b
    Example:
        lmsched void RCC-000123 --reason "Wrong patient selected" --workspace clinic.lmsched
    """
    from ..records import void_plan

    path = required(workspace_path)
    stored = void_plan(path, patient_id, reason=reason, by=decided_by, now=_moment(now_text), read=read)
    click.echo(f"{patient_id}: revision {stored.revision} is void (entered in error)", err=True)


@click.command("agenda")
@click.option("--from", "first", required=True, type=DATE, metavar="DATE", help="First day.")
@click.option("--to", "last", required=True, type=DATE, metavar="DATE", help="Last day.")
@click.option(
    "--chairs", type=click.IntRange(min=1), metavar="N", help="Chairs every day (default: the clinic file's)."
)
@click.option(
    "--clinic",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="The clinic file: its chairs per weekday, name, zone and fonts.",
)
@output_option("--csv", "csv_path", "The agenda, one row per session (CSV).")
@output_option("--pdf", "pdf_path", "The agenda for printing (PDF).")
@output_option("--ics", "ics_path", "The clinic calendar of those days (staff iCalendar).")
@click.option(
    "--paper",
    type=click.Choice(["letter", "a4"]),
    default="letter",
    show_default=True,
    help="Paper size of the PDF.",
)
@workspace_option
@now_option
def agenda(
    first: dt.date,
    last: dt.date,
    chairs: int | None,
    clinic: Path | None,
    csv_path: Path | None,
    pdf_path: Path | None,
    ics_path: Path | None,
    paper: str,
    workspace_path: Path | None,
    now_text: str | None,
) -> int:
    """The infusion centre's agenda from the workspace: every current plan's chair sessions (IT
    doses, IV infusions) and clinic checks from --from to --to, with the chairs in use and the
    over-capacity ranges (plans entered in error are left out). Exit 1 when a day is over capacity.

    \b
    Example:
        lmsched agenda --from 2026-12-14 --to 2026-12-20 --chairs 3 --pdf agenda.pdf
    """
    from ..agenda import render_overload_lines
    from ..records import workspace_agenda

    path = required(workspace_path)
    targets = {k: v for k, v in (("csv", csv_path), ("pdf", pdf_path), ("ics", ics_path)) if v is not None}
    result = workspace_agenda(
        path, first, last, chairs=chairs, clinic=clinic, targets=targets, now=now_text, paper=paper
    )
    lines = []
    for day in result.days:
        of = f" of {day.chairs} chairs" if day.chairs is not None else ""
        flag = "  OVER CAPACITY" if day.over else ""
        others = "".join(
            f", {n} {one if n == 1 else many}"
            for n, one, many in (
                (day.checks, "check without a chair", "checks without a chair"),
                (day.rt, "RT fraction", "RT fractions"),
            )
            if n
        )
        plural = "" if day.sessions == 1 else "s"
        lines.append(
            f"{day.date:%a %Y-%m-%d}: {day.sessions} chair session{plural}, at most {day.peak} at once{of}"
            f"{others}{flag}"
        )
    if not result.sessions:
        lines.append(f"no sessions from {first} to {last}")
    lines.extend(render_overload_lines(list(result.overloads)))
    if chairs is None and clinic is None:
        lines.append("chairs unknown (give --chairs N or --clinic FILE): nothing is flagged")
    echo_lines(lines, err=any(str(p) == "-" for p in targets.values()))
    for written in result.written:
        click.echo(f"wrote {written}", err=True)
    return 1 if result.overloads else 0


COMMANDS = (workspace, patients, show, history, void, agenda)
