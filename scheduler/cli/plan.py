"""`lmsched plan` and `lmsched check`: a patient's inputs -> a checked plan (and its files)."""

from __future__ import annotations

from typing import Any

import click

from .options import (
    PlanCommand,
    calendar_options,
    output_options,
    outputs,
    plan_inputs,
    plan_options,
    safety_options,
    to_stderr,
)
from .present import echo_lines, findings_lines, refuse_if_blocked, say_written
from .workspace import save_target, workspace_option


def _make(ctx: click.Context, with_outputs: bool) -> Any:
    from ..service import make_plan, overrides_from

    params = ctx.params
    return make_plan(
        plan_inputs(ctx),
        params["patient_file"],
        overrides=overrides_from(params["overrides"], params["override_reasons"]),
        decided_by=params["decided_by"],
        policy=params["policy"],
        now=params["now_text"],
        outputs=outputs(ctx) if with_outputs else None,
        save=_save_target(params) if with_outputs else None,
    )


def _save_target(params: dict[str, Any]) -> Any:
    """The workspace `--save` stores the plan in (--workspace, else LMSCHED_WORKSPACE)."""
    return save_target(bool(params.get("save")), params.get("workspace_path"))


@click.command(cls=PlanCommand)
@plan_options
@safety_options
@output_options
@calendar_options
@click.option("-q", "--quiet", is_flag=True, help="Do not print the findings and event table.")
@click.option("--save", is_flag=True, help="Store the plan in the workspace as the patient's first plan.")
@workspace_option
@click.pass_context
def plan(ctx: click.Context, /, quiet: bool, **_: Any) -> None:
    """Expand a regimen (and RT, memantine, systemic therapy and their checks) into dated events on
    the clinic calendar.

    PATIENT_FILE is an optional TOML file with the same fields as the flags (snake_case);
    flags override it. Every safety rule runs first: a `block` or un-overridden `stop` finding
    means nothing is written (exit code 3). Example:

        lmsched plan --start 2026-12-01 --age 45 --route ommaya --json plan.json
    """
    from ..export.table import render_lines

    wanted = outputs(ctx)
    result = _make(ctx, with_outputs=True)
    if not quiet:  # on stderr when an output goes to stdout (`--json -`)
        lines = (*findings_lines(result.plan), "", *render_lines(result.plan))
        echo_lines(lines, err=to_stderr(wanted.targets))
    refuse_if_blocked(result)
    say_written(result.written)


@click.command(cls=PlanCommand)
@plan_options
@safety_options
@click.pass_context
def check(ctx: click.Context, /, **_: Any) -> None:
    """Run the safety rules on a plan's inputs and print the findings; write nothing.

    Takes the same inputs as `lmsched plan`. Exit code 0 when nothing blocks, 3 when a `block`
    or un-overridden `stop` finding does.
    """
    result = _make(ctx, with_outputs=False)
    echo_lines(findings_lines(result.plan))
    refuse_if_blocked(result)


COMMANDS = (plan, check)
