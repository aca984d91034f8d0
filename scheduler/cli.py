"""The command line: parse, call the core, render, and map errors to exit codes in one place.

Only click is imported at start-up; everything else is imported inside the command that needs it,
so `lmsched --help` costs little more than Python and click.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from ._version import __version__
from .options import plan_options

__all__ = ["cli", "main"]

EXIT_OK, EXIT_DISCREPANCY, EXIT_INPUT, EXIT_BLOCKED, EXIT_INTERNAL = 0, 1, 2, 3, 70


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="lmsched")
def cli() -> None:
    """Dated, checked schedules for leptomeningeal-metastasis treatment.

    A scheduling aid: verify every date and dose against the signed order.
    """


@cli.command()
@plan_options
@click.option(
    "--now",
    "now_text",
    metavar="ISO_DATETIME",
    help="The plan's creation time (default SOURCE_DATE_EPOCH, else the clock).",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PATH",
    help="Write the plan document (JSON).",
)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PATH",
    help="Write one row per event (CSV).",
)
@click.option("-q", "--quiet", is_flag=True, help="Do not print the event table.")
@click.pass_context
def plan(
    ctx: click.Context,
    /,
    patient_file: str | None,
    now_text: str | None,
    json_path: Path | None,
    csv_path: Path | None,
    quiet: bool,
    **_: Any,
) -> None:
    """Expand a regimen (and RT, memantine) into dated events on the clinic calendar.

    PATIENT_FILE is an optional TOML file with the same fields as the flags (snake_case);
    flags override it. Example:

        lmsched plan --start 2026-12-01 --age 45 --route ommaya --json plan.json
    """
    from .export import csv as csv_export
    from .export import json as json_export
    from .export.table import render_lines
    from .inputs import build_request, resolve_now
    from .output import check_targets, write_all
    from .plan import build_plan
    from .templates import load_registry

    targets = {name: path for name, path in (("json", json_path), ("csv", csv_path)) if path}
    inputs = [Path(patient_file)] if patient_file else []
    check_targets(targets, inputs)
    request = build_request(
        _given(ctx, exclude={"patient_file", "now_text", "json_path", "csv_path", "quiet"}),
        Path(patient_file) if patient_file else None,
    )
    now = resolve_now(now_text, request.clinic.tz)
    result = build_plan(request, load_registry(), now)
    renderers = {"json": json_export.render, "csv": csv_export.render}
    outputs = {path: renderers[name](result) for name, path in targets.items()}
    write_all(outputs)
    if not quiet:
        for line in render_lines(result):
            click.echo(line)
    for path in outputs:
        click.echo(f"wrote {path}", err=True)


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
