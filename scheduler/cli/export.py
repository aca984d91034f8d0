"""`lmsched export`: the files of a saved plan, exactly as planned."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .options import ACCEPT_EDITED, calendar_options, output_options, outputs
from .present import revised_calendar_hint, say_written
from .workspace import PLAN_OR_PATIENT, plan_source, workspace_option


@click.command()
@PLAN_OR_PATIENT
@output_options
@calendar_options
@ACCEPT_EDITED
@workspace_option
@click.pass_context
def export(
    ctx: click.Context, /, plan_file: str, accept_edited: bool, workspace_path: Path | None, **_: Any
) -> None:
    """Write outputs from a saved plan, exactly as planned (nothing is re-expanded).

    The plan's recorded findings and overrides are kept. A plan that was edited by hand is refused
    (exit 2) unless --accept-edited is given; its safety rules are then run again on what it now
    says, and every output marks it as edited. Example:

        lmsched export plan.json --ics calendar.ics --pdf calendar.pdf --fhir bundle.json

    PLAN.json may be a patient id: the patient's current plan in the workspace (--workspace PATH
    or LMSCHED_WORKSPACE), e.g. `lmsched export RCC-000123 --pdf calendar.pdf`.
    """
    from ..service import export_plan

    wanted = outputs(ctx)
    result = export_plan(plan_source(plan_file, workspace_path), wanted, accept_edited)
    if result.plan.edited:
        click.echo(f"lmsched: warning: {plan_file} was edited by hand; the outputs say so", err=True)
    say_written(result.written)
    revised_calendar_hint(result.plan, wanted.targets)


COMMANDS = (export,)
