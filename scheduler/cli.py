"""The command line: parse, call the core, render, and map errors to exit codes in one place.

Only click is imported at start-up; everything else is imported inside the command that needs it,
so `lmsched --help` costs little more than Python and click.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

import click

from ._version import __version__
from .options import CALENDAR_PARAMS, calendar_options, plan_options, safety_options

__all__ = ["cli", "main"]

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_DISCREPANCY, EXIT_INPUT, EXIT_BLOCKED, EXIT_INTERNAL = 0, 1, 2, 3, 70


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="lmsched")
def cli() -> None:
    """Dated, checked schedules for leptomeningeal-metastasis treatment.

    A scheduling aid: verify every date and dose against the signed order.
    """


def _output_option(flag: str, dest: str, help_text: str) -> Callable[[F], F]:
    """An output file flag: a path (never a directory), written atomically after every check."""
    return click.option(
        flag, dest, type=click.Path(dir_okay=False, path_type=Path), metavar="PATH", help=help_text
    )


# The outputs every command that writes a plan offers: (flag, parameter, help).
_OUTPUTS = (
    ("--json", "json_path", "Write the plan document (JSON)."),
    ("--csv", "csv_path", "Write one row per event (CSV)."),
    ("--ics", "ics_path", "Write an iCalendar file (RFC 5545) for calendar apps; see --audience."),
    (
        "--pdf",
        "pdf_path",
        "Write a printable PDF: the patient calendar, or with --audience staff the staff sheet.",
    ),
    (
        "--staff-pdf",
        "staff_pdf_path",
        "Also write the staff sheet PDF (whatever --audience says), e.g. beside the patient calendar.",
    ),
    ("--fhir", "fhir_path", "Write an HL7 FHIR R4 Bundle (JSON); needs: pip install 'lmsched[fhir]'."),
)
OUTPUT_PARAMS = {param for _, param, _ in _OUTPUTS} | {"paper"}


def output_options(func: F) -> F:
    """--json, --csv, --ics, --pdf, --staff-pdf, --fhir and --paper, the same on every command."""
    func = click.option(
        "--paper",
        type=click.Choice(["letter", "a4"]),
        default="letter",
        show_default=True,
        help="Paper size of the PDF.",
    )(func)
    for flag, param, help_text in reversed(_OUTPUTS):
        func = _output_option(flag, param, help_text)(func)
    return func


def _targets(ctx: click.Context) -> dict[str, Path]:
    """The output files asked for, by name (json, csv, ics, pdf, staff-pdf, fhir)."""
    return {
        flag.removeprefix("--"): ctx.params[param] for flag, param, _ in _OUTPUTS if ctx.params.get(param)
    }


def _render_outputs(ctx: click.Context, plan: Any, targets: dict[str, Path]) -> dict[Path, bytes]:
    """Every asked-for output of `plan`, rendered in memory (nothing is written here)."""
    from .export.outputs import renderers

    audience, alarms = _calendar_choices(ctx)
    render = renderers(audience, alarms, cast(Any, ctx.params.get("paper", "letter")))
    return {path: render[name](plan) for name, path in targets.items()}


@cli.command()
@plan_options
@safety_options
@output_options
@calendar_options
@click.option("-q", "--quiet", is_flag=True, help="Do not print the findings and event table.")
@click.pass_context
def plan(ctx: click.Context, /, quiet: bool, **_: Any) -> None:
    """Expand a regimen (and RT, memantine) into dated events on the clinic calendar.

    PATIENT_FILE is an optional TOML file with the same fields as the flags (snake_case);
    flags override it. Every safety rule runs first: a `block` or un-overridden `stop` finding
    means nothing is written (exit code 3). Example:

        lmsched plan --start 2026-12-01 --age 45 --route ommaya --json plan.json
    """
    from .output import write_all

    targets = _targets(ctx)
    _calendar_choices(ctx)  # bad calendar options are refused before any plan is built
    result = _checked_plan(ctx, exclude={*OUTPUT_PARAMS, "quiet", *CALENDAR_PARAMS}, targets=targets)
    outputs = {} if result.blocking else _render_outputs(ctx, result.plan, targets)
    write_all(outputs)
    if not quiet:
        _print_plan(result.plan)
    _refuse_if_blocked(result)
    _say_written(outputs)


def _print_plan(plan: Any) -> None:
    from .export.findings import render_findings
    from .export.table import render_lines

    for line in (*render_findings(plan), "", *render_lines(plan)):
        click.echo(line)


def _say_written(outputs: dict[Path, bytes]) -> None:
    for path in outputs:
        click.echo(f"wrote {path}", err=True)


_PLAN_ARGUMENT = click.argument(
    "plan_file", metavar="PLAN.json", type=click.Path(dir_okay=False, path_type=Path)
)
_ACCEPT_EDITED = click.option(
    "--accept-edited",
    is_flag=True,
    help="Use a plan that was changed by hand after lmsched wrote it; every output then says so.",
)


@cli.command()
@_PLAN_ARGUMENT
@output_options
@calendar_options
@_ACCEPT_EDITED
@click.pass_context
def export(ctx: click.Context, /, plan_file: Path, accept_edited: bool, **_: Any) -> None:
    """Write outputs from a saved plan, exactly as planned (nothing is re-expanded).

    The plan's recorded findings and overrides are kept. A plan that was edited by hand is refused
    (exit 2) unless --accept-edited is given; its safety rules are then run again on what it now
    says, and every output marks it as edited. Example:

        lmsched export plan.json --ics calendar.ics --pdf calendar.pdf --fhir bundle.json
    """
    from .errors import InputError
    from .output import check_targets, write_all
    from .planfile import load_plan

    targets = _targets(ctx)
    if not targets:
        raise InputError(
            "give at least one output", field="output", choices=[flag for flag, _, _ in _OUTPUTS]
        )
    check_targets(targets, [plan_file])
    _calendar_choices(ctx)
    plan = load_plan(plan_file, accept_edited=accept_edited)
    if plan.edited:
        plan = _recheck_edited(plan)
    _refuse_if_blocked_plan(plan, "written")
    outputs = _render_outputs(ctx, plan, targets)
    write_all(outputs)
    if plan.edited:
        click.echo(f"lmsched: warning: {plan_file} was edited by hand; the outputs say so", err=True)
    _say_written(outputs)


def _day(value: str | None, field: str) -> Any:
    from .errors import InputError
    from .models import parse_date

    if value is None:
        return None
    try:
        return parse_date(value)
    except ValueError as exc:
        raise InputError(str(exc), field=field) from None


@cli.command()
@_PLAN_ARGUMENT
@click.option(
    "--delay", "delay_day", metavar="DATE", help="Delay the event on DATE and every later one of its course."
)
@click.option(
    "--by", "delay_days", type=int, metavar="DAYS", help="With --delay: by at least this many days."
)
@click.option("--hold-from", "hold_day", metavar="DATE", help="Hold clinic treatment from DATE ...")
@click.option(
    "--resume", "resume_day", metavar="DATE", help="... and resume on the first open day from DATE."
)
@click.option(
    "--stop-from", "stop_day", metavar="DATE", help="Cancel every clinic event from DATE (progression)."
)
@click.option("--reason", metavar="TEXT", help="Why (required with --stop-from); recorded in the change log.")
@click.option("--course", metavar="ID", help="Only this course (template id), e.g. it-mtx-intensive.")
@click.option(
    "--override",
    "overrides",
    multiple=True,
    metavar="RULE_ID",
    help="Go ahead despite a new `stop` finding (repeatable; each needs an --override-reason).",
)
@click.option(
    "--override-reason",
    "override_reasons",
    multiple=True,
    metavar="TEXT",
    help="Why, as a sentence (one per --override, in order).",
)
@click.option("--decided-by", metavar="NAME", help="Who made the change (recorded with it and any override).")
@click.option(
    "--policy",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Site policy TOML (required when the plan was checked with one).",
)
@click.option(
    "--now", "now_text", metavar="ISO_DATETIME", help="When the change is made (default: the clock)."
)
@output_options
@calendar_options
@_ACCEPT_EDITED
@click.option("-q", "--quiet", is_flag=True, help="Print only the changes, not the findings.")
@click.pass_context
def reschedule(
    ctx: click.Context,
    /,
    plan_file: Path,
    delay_day: str | None,
    delay_days: int | None,
    hold_day: str | None,
    resume_day: str | None,
    stop_day: str | None,
    reason: str | None,
    course: str | None,
    overrides: tuple[str, ...],
    override_reasons: tuple[str, ...],
    decided_by: str | None,
    policy: str | None,
    now_text: str | None,
    accept_edited: bool,
    quiet: bool,
    **_: Any,
) -> None:
    """Make the next revision of a saved plan: delay, hold or stop, then check it again.

    \b
      --delay DATE --by DAYS        the event on DATE and every later event of its course move
                                    by at least DAYS, onto open days, keeping each phase's spacing
      --hold-from DATE --resume DATE  nothing of the clinic courses in between; each resumes on
                                    the first open day from the resume date
      --stop-from DATE --reason TEXT  cancel every clinic event from DATE (kept as cancelled,
                                    so calendars remove them); --course ID for one course only

    Moved events keep their UID and get SEQUENCE + 1; the new plan has revision + 1, the parent's
    fingerprint and a change-log entry. Every safety rule runs again (a stop finding the parent
    overrode stays overridden; a new one needs --override RULE --override-reason TEXT); exit 3 and
    nothing written when one blocks. Prints every change as "old date -> new date". Without an
    output option it is a dry run.

    \b
    Example:
        lmsched reschedule plan.json --delay 2026-12-08 --by 7
            --reason "Platelets 40" --json plan-r1.json
    """
    import os

    from .calendar import build_calendar
    from .errors import InputError
    from .holiday_cache import cache_dir, cached_source
    from .inputs import resolve_now
    from .lifecycle import Delay, Hold, Stop
    from .lifecycle import reschedule as revise
    from .models import check_line
    from .output import check_targets, write_all
    from .planfile import load_plan
    from .rules import OverrideRequest, check_plan
    from .rules.policy import load_policy
    from .templates import load_registry

    given = [
        name
        for name, value in (("--delay", delay_day), ("--hold-from", hold_day), ("--stop-from", stop_day))
        if value
    ]
    if len(given) != 1:
        raise InputError(
            "give exactly one change" + (f" (got {' and '.join(given)})" if given else ""),
            field="action",
            choices=[
                "--delay DATE --by DAYS",
                "--hold-from DATE --resume DATE",
                "--stop-from DATE --reason TEXT",
            ],
        )
    if (delay_day is None) != (delay_days is None):
        raise InputError("--delay and --by go together", field="by")
    if (hold_day is None) != (resume_day is None):
        raise InputError("--hold-from and --resume go together", field="resume")
    if stop_day and not (reason and reason.strip()):
        raise InputError(
            'say why the plan stops, e.g. --reason "Progression on MRI 2027-02-01"', field="reason"
        )
    for text, field in ((reason, "reason"), (decided_by, "decided-by")):
        if text is not None:
            try:
                check_line(text)
            except ValueError as exc:
                raise InputError(str(exc), field=field) from None
    if len(overrides) != len(override_reasons):
        raise InputError(
            f"give one --override-reason for each --override ({len(overrides)} override(s), "
            f"{len(override_reasons)} reason(s))",
            field="override-reason",
        )
    targets = _targets(ctx)
    policy_path = Path(policy) if policy else None
    check_targets(targets, [plan_file, *([policy_path] if policy_path else [])])
    _calendar_choices(ctx)
    parent = load_plan(plan_file, accept_edited=accept_edited)
    action: Delay | Hold | Stop
    if delay_day is not None:
        assert delay_days is not None
        action = Delay(_day(delay_day, "delay"), delay_days, course)
    elif hold_day is not None:
        action = Hold(_day(hold_day, "hold-from"), _day(resume_day, "resume"), course)
    else:
        action = Stop(_day(stop_day, "stop-from"), course)
    site_policy = load_policy(policy_path) if policy_path else None
    if parent.policy is not None and site_policy is None:
        raise InputError(
            f"the plan was checked with site policy '{parent.policy.name}'; give it again with --policy FILE",
            field="policy",
        )
    clinic = parent.inputs.clinic
    now = resolve_now(now_text, clinic.tz)
    calendar = build_calendar(clinic, cached_source(cache_dir(os.environ)))
    revised = revise(parent, action, load_registry(), calendar, now, reason=reason, by=decided_by)
    result = check_plan(
        revised,
        site_policy,
        [OverrideRequest(r, t) for r, t in zip(overrides, override_reasons, strict=True)],
        by=decided_by,
        at=now,
        carried=parent.overrides,
    )
    outputs = {} if result.blocking else _render_outputs(ctx, result.plan, targets)
    write_all(outputs)
    change = result.plan.changes[-1]
    click.echo(f"revision {result.plan.revision} of {plan_file}: {change.summary}")
    for move in change.moves:
        click.echo(f"  {move.describe()}")
    if not quiet:
        from .export.findings import render_findings

        click.echo("")
        for line in render_findings(result.plan):
            click.echo(line)
    for rule_id in result.expired_overrides:
        click.echo(f"lmsched: note: the override of {rule_id} is no longer needed; not carried", err=True)
    _refuse_if_blocked(result)
    _say_written(outputs)


@cli.command()
@click.argument("old_file", metavar="OLD.json", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("new_file", metavar="NEW.json", type=click.Path(dir_okay=False, path_type=Path))
@_ACCEPT_EDITED
def diff(old_file: Path, new_file: Path, accept_edited: bool) -> int:
    """What changed between two versions of a plan: added, moved, cancelled and dose-changed events.

    Events are matched by UID and listed in date order. Exit code 0 when the events are the same,
    1 when they differ. Example:

        lmsched diff plan.json plan-r1.json
    """
    from .errors import InputError
    from .lifecycle import diff_plans
    from .plan import identity
    from .planfile import load_plan

    old = load_plan(old_file, field="OLD", accept_edited=accept_edited)
    new = load_plan(new_file, field="NEW", accept_edited=accept_edited)
    if identity(old.inputs) != identity(new.inputs):
        raise InputError(f"{old_file} and {new_file} are plans for different patients", field="NEW")
    differences = diff_plans(old, new)
    click.echo(f"{old_file} (revision {old.revision}) -> {new_file} (revision {new.revision})")
    if not differences:
        click.echo("no differences in the events")
        return EXIT_OK
    for d in differences:
        click.echo(f"  {d.line()}")
    counts: dict[str, int] = {}
    for d in differences:
        counts[d.kind] = counts.get(d.kind, 0) + 1
    click.echo(f"{len(differences)} differences: " + ", ".join(f"{n} {k}" for k, n in counts.items()))
    return EXIT_DISCREPANCY


@cli.command()
@_PLAN_ARGUMENT
@click.argument("given_file", metavar="GIVEN.csv", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--window",
    type=int,
    default=2,
    show_default=True,
    metavar="DAYS",
    help="How far from its planned day a record may be and still count for that dose (0-30).",
)
@click.option(
    "--as-of",
    "as_of",
    metavar="DATE",
    help="Doses due by this day count as missed when not given (default: today in the clinic's zone).",
)
@_output_option("--csv", "csv_path", "Write the report, one row per planned dose and unplanned record (CSV).")
@_output_option("--json", "json_path", "Write the report (JSON).")
@_ACCEPT_EDITED
def reconcile(
    plan_file: Path,
    given_file: Path,
    window: int,
    as_of: str | None,
    csv_path: Path | None,
    json_path: Path | None,
    accept_edited: bool,
) -> int:
    """Set the doses given (GIVEN.csv) against the planned IT doses, dose by dose.

    GIVEN.csv has a header with the columns date, drug, dose_mg, route (ommaya or lumbar) and
    optionally time, lot, initials. Each planned dose is reported as given, late or early (with
    days), wrong dose, wrong route, missed or still due; records that match no planned dose are
    reported too, and total planned and given mg per drug. Exit code 0 when everything matches,
    1 when there are discrepancies, 2 when a row is malformed (each is named with its line).
    Example:

        lmsched reconcile plan.json given.csv --as-of 2027-01-15 --csv report.csv
    """
    from zoneinfo import ZoneInfo

    from .export.reconcile import render_csv, render_json, render_lines
    from .inputs import read_input, resolve_now
    from .output import check_targets, write_all
    from .planfile import load_plan
    from .reconcile import parse_given
    from .reconcile import reconcile as compare

    targets = {name: path for name, path in (("csv", csv_path), ("json", json_path)) if path}
    check_targets(targets, [plan_file, given_file])
    plan = load_plan(plan_file, accept_edited=accept_edited)
    given = parse_given(read_input(given_file, "GIVEN", "CSV file"), source=str(given_file))
    tz = plan.inputs.clinic.tz
    day = _day(as_of, "as-of") or resolve_now(None, tz).astimezone(ZoneInfo(tz)).date()
    report = compare(plan, given, window, as_of=day)
    renderers = {"csv": render_csv, "json": render_json}
    outputs = {path: renderers[name](report) for name, path in targets.items()}
    write_all(outputs)
    for line in render_lines(report):
        click.echo(line)
    _say_written(outputs)
    return EXIT_OK if report.matches else EXIT_DISCREPANCY


@cli.command()
@click.argument("patients", metavar="PATIENTS", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Folder for the outputs: DIR/<patient>/plan.*, summary.csv, agenda.csv, agenda.pdf, clinic.ics.",
)
@click.option(
    "--clinic",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Clinic TOML for every row.",
)
@click.option(
    "--formats",
    default="json,ics,pdf",
    show_default=True,
    metavar="LIST",
    help="Which files each patient gets: any of json, csv, ics, pdf (comma-separated).",
)
@click.option(
    "--audience",
    type=click.Choice(["patient", "staff"]),
    default="patient",
    show_default=True,
    help="Who each patient's ICS and PDF are for.",
)
@click.option(
    "--jobs", type=click.IntRange(1, 64), metavar="N", help="Worker processes (default: the machine's cores)."
)
@click.option(
    "--chairs",
    type=click.IntRange(0, 500),
    metavar="N",
    help="Infusion chairs (overrides the clinic file's chairs).",
)
@click.option(
    "--paper", type=click.Choice(["letter", "a4"]), default="letter", show_default=True, help="Paper size."
)
@click.option(
    "--now", "now_text", metavar="ISO_DATETIME", help="The plans' creation time (default: the clock)."
)
def batch(
    patients: Path,
    out_dir: Path,
    clinic: Path | None,
    formats: str,
    audience: str,
    jobs: int | None,
    chairs: int | None,
    paper: str,
    now_text: str | None,
) -> int:
    """Plan every patient of a spreadsheet (or folder of patient files) and the centre's agenda.

    PATIENTS is a CSV whose header names patient-file keys (start, age or dob, route, rt, rt_start,
    patient_id, patient_name, ...; an empty cell is not given), or a folder of patient TOML files.
    Each patient's files go to DIR/<safe patient id>/; a row that is invalid or blocked by a safety
    rule is reported with its line and the others go on. DIR/summary.csv lists every row's outcome;
    DIR/agenda.csv, DIR/agenda.pdf and DIR/clinic.ics hold every IT session, with the days and
    times over chair capacity flagged (--chairs, or `chairs` in the clinic file). Exit code 0 when
    every row succeeded, 1 when any failed or was blocked. Example:

        lmsched batch week.csv --out week/ --clinic clinic.toml --chairs 4
    """
    import datetime as dt

    from .batch import FORMATS, RESERVED, Job, default_jobs, prepare_rows, read_rows, run_batch
    from .errors import InputError
    from .holiday_cache import cache_dir
    from .inputs import resolve_now

    wanted = tuple(f.strip() for f in formats.split(",") if f.strip())
    bad = [f for f in wanted if f not in FORMATS]
    if bad or not wanted:
        raise InputError(f"'{bad[0] if bad else formats}' is not a format", field="formats", choices=FORMATS)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"'{out_dir}' is a file; give a folder", field="out")
    if now_text:
        resolve_now(now_text, "UTC")  # refused here, before any work, when it is not a date-time
    for given, what in ((patients, "PATIENTS"), (clinic, "clinic")):
        if given is not None and given.resolve() in {(out_dir / name).resolve() for name in RESERVED}:
            raise InputError(f"'{given}' would be overwritten by the batch's own {given.name}", field=what)
    centre = _read_clinic(clinic) if clinic else None
    rows = list(prepare_rows(read_rows(patients)))
    job = Job(
        out=out_dir,
        clinic=clinic,
        formats=tuple(dict.fromkeys(wanted)),
        audience=audience,
        now=now_text,
        clock=dt.datetime.now(dt.UTC).replace(microsecond=0),
        paper=cast(Any, paper),
        cache=cache_dir(os.environ),
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    report = run_batch(rows, job, jobs or default_jobs(), centre, chairs, progress=sys.stderr.isatty())
    for line in report.lines:
        click.echo(line)
    return EXIT_OK if report.all_ok else EXIT_DISCREPANCY


def _read_clinic(path: Path) -> Any:
    from pydantic import ValidationError

    from .inputs import read_toml, translate
    from .models import Clinic

    data = read_toml(path, "clinic")
    try:
        return Clinic.model_validate(data)
    except ValidationError as exc:
        raise translate(exc, path, frozenset(data)) from None


def _recheck_edited(plan: Any) -> Any:
    """A hand-edited plan's findings describe what it said before the edit: run the rules again
    on what it says now, keeping the overrides it records."""
    from .rules import check_plan

    result = check_plan(plan.model_copy(update={"findings": ()}), carried=plan.overrides)
    return result.plan


@cli.command()
@plan_options
@safety_options
@click.pass_context
def check(ctx: click.Context, /, **_: Any) -> None:
    """Run the safety rules on a plan's inputs and print the findings; write nothing.

    Takes the same inputs as `lmsched plan`. Exit code 0 when nothing blocks, 3 when a `block`
    or un-overridden `stop` finding does.
    """
    from .export.findings import render_findings

    result = _checked_plan(ctx, exclude=set())
    for line in render_findings(result.plan):
        click.echo(line)
    _refuse_if_blocked(result)


@cli.command()
@_PLAN_ARGUMENT
@click.option("--caldav", "url", required=True, metavar="URL", help="CalDAV server (or calendar) URL.")
@click.option(
    "--calendar",
    "calendar_name",
    metavar="NAME",
    help="Calendar display name under the user's principal (default: URL is the calendar itself).",
)
@click.option("--create", is_flag=True, help="Create the --calendar if it does not exist.")
@click.option(
    "--username",
    metavar="USER",
    help="Login name; the password comes from LMSCHED_CALDAV_PASSWORD or a prompt, never a flag.",
)
@click.option("--timeout", type=click.FloatRange(1, 600), default=30.0, show_default=True, help="Seconds.")
@calendar_options
@click.pass_context
def publish(
    ctx: click.Context,
    /,
    plan_file: Path,
    url: str,
    calendar_name: str | None,
    create: bool,
    username: str | None,
    timeout: float,
    **_: Any,
) -> None:
    """Put a plan's events on a CalDAV calendar; publishing again updates it in place.

    Same plan twice: nothing changes. A revised plan: changed events are updated (same UID, higher
    SEQUENCE) and events the plan no longer has are removed. Only this patient's lmsched events
    are ever touched. Exit code 4 when the server cannot be reached, refuses the login or fails.

    \b
    Example:
        LMSCHED_CALDAV_PASSWORD=... lmsched publish plan.json
            --caldav http://127.0.0.1:5232/ --username alice --calendar Treatment --create
    """
    import os
    from urllib.parse import urlsplit

    from .errors import InputError
    from .planfile import load_plan
    from .publish import Connection
    from .publish import publish as publish_plan

    audience, alarms = _calendar_choices(ctx)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(f"'{url}' is not an http(s) URL", field="caldav", choices=["http://", "https://"])
    if parts.username or parts.password:
        raise InputError(
            "put the user in --username and the password in LMSCHED_CALDAV_PASSWORD", field="caldav"
        )
    plan = load_plan(plan_file)
    _refuse_if_blocked_plan(plan)
    password = None
    if username:
        password = os.environ.get("LMSCHED_CALDAV_PASSWORD")
        if password is None:
            if not sys.stdin.isatty():
                raise InputError(
                    "set LMSCHED_CALDAV_PASSWORD (there is no terminal to ask for the password on)",
                    field="password",
                )
            password = click.prompt(f"CalDAV password for {username}", hide_input=True, err=True)
    conn = Connection(url, calendar_name, create, username, password, timeout)
    report = publish_plan(plan, conn, audience, alarms)
    click.echo(f"published {len(plan.events)} events to {report.calendar_url}: {report.counts()}")


def _refuse_if_blocked_plan(plan: Any, done: str = "published") -> None:
    """A plan document with an unlifted block or stop finding is never published or exported."""
    from .errors import BlockedError

    blocking = [
        f for f in plan.findings if f.severity == "block" or (f.severity == "stop" and not f.overridden)
    ]
    if blocking:
        first = blocking[0]
        raise BlockedError(f"{first.message}; nothing was {done}", rule=first.rule, sources=first.sources)


@cli.command()
def rules() -> None:
    """List every safety rule: id, default severity, sources and summary."""
    from .rules import RULES, SEVERITIES, _load_families

    _load_families()
    ordered = sorted(RULES.values(), key=lambda r: SEVERITIES.index(r.severity))
    rows = [(r.id, r.severity, ",".join(r.sources), r.summary) for r in ordered]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(("rule", "severity", "sources"))]
    for row in (("rule", "severity", "sources", "summary"), *rows):
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[-1])


def _calendar_choices(ctx: click.Context) -> tuple[Any, tuple[Any, ...]]:
    """(audience, alarms) from the calendar options given, checked before any plan is built."""
    from .errors import InputError
    from .export import ics

    params = ctx.params
    if params.get("no_alarms") and params.get("alarms"):
        raise InputError("give --alarm or --no-alarms, not both", field="alarm")
    alarms: tuple[ics.Alarm, ...] = (
        ()
        if params.get("no_alarms")
        else tuple(ics.parse_alarm(a) for a in params["alarms"])
        if params.get("alarms")
        else ics.DEFAULT_ALARMS
    )
    return params.get("audience", "patient"), alarms


def _checked_plan(ctx: click.Context, exclude: set[str], targets: dict[str, Path] | None = None) -> Any:
    """Inputs -> request -> plan -> safety rules, shared by every command that builds a plan.

    Output targets are checked once the inputs are read (so the clinic file named inside the
    patient file is protected too) and before any plan is computed.
    """
    import os

    from .calendar import build_calendar
    from .errors import InputError
    from .holiday_cache import cache_dir, cached_source
    from .inputs import build_request, resolve_now
    from .options import NON_INPUT_PARAMS
    from .output import check_targets
    from .plan import build_plan
    from .rules import OverrideRequest, check_plan
    from .rules.policy import load_policy
    from .templates import load_registry

    params = ctx.params
    patient_file = params.get("patient_file")
    request, files = build_request(
        _given(ctx, exclude=exclude | NON_INPUT_PARAMS), Path(patient_file) if patient_file else None
    )
    policy_path = Path(params["policy"]) if params.get("policy") else None
    check_targets(targets or {}, [*files, *([policy_path] if policy_path else [])])
    overrides, reasons = params.get("overrides", ()), params.get("reasons", ())
    if len(overrides) != len(reasons):
        raise InputError(
            f"give one --reason for each --override ({len(overrides)} override(s), {len(reasons)} reason(s))",
            field="reason",
        )
    policy = load_policy(policy_path) if policy_path else None
    now = resolve_now(params.get("now_text"), request.clinic.tz)
    calendar = build_calendar(request.clinic, cached_source(cache_dir(os.environ)))
    plan = build_plan(request, load_registry(), now, calendar)
    return check_plan(
        plan,
        policy,
        [OverrideRequest(r, t) for r, t in zip(overrides, reasons, strict=True)],
        by=params.get("by"),
        at=now,
    )


def _refuse_if_blocked(result: Any) -> None:
    from .errors import BlockedError

    for rule_id in result.unused_overrides:
        click.echo(f"lmsched: note: --override {rule_id} had no stop finding to lift; not recorded", err=True)
    if result.blocking:
        first = result.blocking[0]
        others = f" and {len(result.blocking) - 1} more" if len(result.blocking) > 1 else ""
        raise BlockedError(
            f"{first.message}{others}; nothing was written", rule=first.rule, sources=first.sources
        )


@cli.group(invoke_without_command=True)
@click.pass_context
def templates(ctx: click.Context) -> None:
    """List the regimen, radiotherapy and medication templates."""
    if ctx.invoked_subcommand is not None:
        return
    from .templates import load_registry

    registry = load_registry()
    rows = [(t.id, t.kind, t.evidence, t.status, t.title) for t in registry]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for row in (("id", "kind", "evidence", "status", "title"), *rows):
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[-1])


@templates.command("show")
@click.argument("template_id", metavar="ID")
def templates_show(template_id: str) -> None:
    """Print one template: schedule, dose rule, evidence and sources."""
    from .errors import TemplateError
    from .export.template_text import describe
    from .templates import load_registry

    registry = load_registry()
    if template_id not in registry.templates:
        raise TemplateError(f"unknown template '{template_id}'", field="ID", choices=registry.ids())
    for line in describe(registry.templates[template_id], registry.sources):
        click.echo(line)


def _given(ctx: click.Context, exclude: set[str]) -> dict[str, Any]:
    """The flags the user actually typed (not click's defaults), so they override the files."""
    from click.core import ParameterSource

    given = {}
    for name, value in ctx.params.items():
        if name in exclude:
            continue
        if ctx.get_parameter_source(name) in (ParameterSource.DEFAULT, None) or value in (None, ()):
            continue
        given[name] = value
    return given


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; every error becomes one line on stderr and its exit code."""
    from .errors import SchedulerError

    try:
        result = cli.main(args=argv, prog_name="lmsched", standalone_mode=False)
    except SchedulerError as exc:
        click.echo(f"lmsched: error: {exc.render()}", err=True)
        return exc.exit_code
    except click.exceptions.UsageError as exc:
        message = " ".join(exc.format_message().split())
        where = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx else ""
        click.echo(f"lmsched: error: {message}{where}", err=True)
        return EXIT_INPUT
    except click.exceptions.Abort:
        click.echo("lmsched: aborted", err=True)
        return EXIT_INPUT
    except click.ClickException as exc:
        click.echo(f"lmsched: error: {' '.join(exc.format_message().split())}", err=True)
        return exc.exit_code
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away; outputs were already written. Silence the
        # interpreter's own flush of the dead pipe at exit.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # a bug: say so in one line, keep the traceback for developers
        import os

        if os.environ.get("LMSCHED_DEBUG"):
            raise
        click.echo(
            f"lmsched: internal error: {type(exc).__name__}: {exc} "
            "(please report it; set LMSCHED_DEBUG=1 for the traceback)",
            err=True,
        )
        return EXIT_INTERNAL
    return result if isinstance(result, int) else EXIT_OK


def entry() -> None:
    sys.exit(main())
