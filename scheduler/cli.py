"""The command line: parse, call the core, render, and map errors to exit codes in one place.

Only click is imported at start-up; everything else is imported inside the command that needs it,
so `lmsched --help` costs little more than Python and click.
"""

from __future__ import annotations

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


@cli.command()
@plan_options
@safety_options
@_output_option("--json", "json_path", "Write the plan document (JSON).")
@_output_option("--csv", "csv_path", "Write one row per event (CSV).")
@_output_option("--ics", "ics_path", "Write an iCalendar file (RFC 5545) for calendar apps; see --audience.")
@_output_option(
    "--pdf",
    "pdf_path",
    "Write a printable PDF: the patient calendar, or with --audience staff the staff sheet.",
)
@_output_option(
    "--staff-pdf",
    "staff_pdf_path",
    "Also write the staff sheet PDF (whatever --audience says), e.g. beside the patient calendar.",
)
@click.option(
    "--paper",
    type=click.Choice(["letter", "a4"]),
    default="letter",
    show_default=True,
    help="Paper size of the PDF.",
)
@calendar_options
@click.option("-q", "--quiet", is_flag=True, help="Do not print the findings and event table.")
@click.pass_context
def plan(
    ctx: click.Context,
    /,
    json_path: Path | None,
    csv_path: Path | None,
    ics_path: Path | None,
    pdf_path: Path | None,
    staff_pdf_path: Path | None,
    paper: str,
    quiet: bool,
    **_: Any,
) -> None:
    """Expand a regimen (and RT, memantine) into dated events on the clinic calendar.

    PATIENT_FILE is an optional TOML file with the same fields as the flags (snake_case);
    flags override it. Every safety rule runs first: a `block` or un-overridden `stop` finding
    means nothing is written (exit code 3). Example:

        lmsched plan --start 2026-12-01 --age 45 --route ommaya --json plan.json
    """
    from functools import partial

    from .export import csv as csv_export
    from .export import json as json_export
    from .export import pdf as pdf_export
    from .output import write_all

    named = (
        ("json", json_path),
        ("csv", csv_path),
        ("ics", ics_path),
        ("pdf", pdf_path),
        ("staff-pdf", staff_pdf_path),
    )
    targets = {name: path for name, path in named if path}
    render_ics = _calendar_renderer(ctx)
    result = _checked_plan(
        ctx,
        exclude={
            "json_path",
            "csv_path",
            "ics_path",
            "pdf_path",
            "staff_pdf_path",
            "paper",
            "quiet",
            *CALENDAR_PARAMS,
        },
        targets=targets,
    )
    renderers = {
        "json": json_export.render,
        "csv": csv_export.render,
        "ics": render_ics,
        "pdf": partial(pdf_export.render, audience=render_ics.keywords["audience"], paper=cast(Any, paper)),
        "staff-pdf": partial(pdf_export.render, audience="staff", paper=cast(Any, paper)),
    }
    outputs = {} if result.blocking else {p: renderers[n](result.plan) for n, p in targets.items()}
    write_all(outputs)
    if not quiet:
        from .export.findings import render_findings
        from .export.table import render_lines

        for line in (*render_findings(result.plan), "", *render_lines(result.plan)):
            click.echo(line)
    _refuse_if_blocked(result)
    for path in outputs:
        click.echo(f"wrote {path}", err=True)


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
@click.argument("plan_file", metavar="PLAN.json", type=click.Path(dir_okay=False, path_type=Path))
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

    render = _calendar_renderer(ctx)
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
    report = publish_plan(plan, conn, render.keywords["audience"], render.keywords["alarms"])
    click.echo(f"published {len(plan.events)} events to {report.calendar_url}: {report.counts()}")


def _refuse_if_blocked_plan(plan: Any) -> None:
    """A plan document with an unlifted block or stop finding is never published."""
    from .errors import BlockedError

    blocking = [
        f for f in plan.findings if f.severity == "block" or (f.severity == "stop" and not f.overridden)
    ]
    if blocking:
        first = blocking[0]
        raise BlockedError(f"{first.message}; nothing was published", rule=first.rule, sources=first.sources)


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


def _calendar_renderer(ctx: click.Context) -> Any:
    """The ICS renderer for the calendar options given, checked before any plan is built."""
    from functools import partial

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
    return partial(ics.render, audience=params.get("audience", "patient"), alarms=alarms)


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
