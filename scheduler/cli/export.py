"""`lmsched export`: the files of a saved plan, exactly as planned."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .options import ACCEPT_EDITED, PLAN_ARGUMENT, calendar_options, output_options, outputs
from .present import revised_calendar_hint, say_written


@click.command()
@PLAN_ARGUMENT
@output_options
@calendar_options
@ACCEPT_EDITED
@click.pass_context
def export(ctx: click.Context, /, plan_file: Path, accept_edited: bool, **_: Any) -> None:
    """Write outputs from a saved plan, exactly as planned (nothing is re-expanded).

    The plan's recorded findings and overrides are kept. A plan that was edited by hand is refused
    (exit 2) unless --accept-edited is given; its safety rules are then run again on what it now
    says, and every output marks it as edited. Example:

        lmsched export plan.json --ics calendar.ics --pdf calendar.pdf --fhir bundle.json
    """
    from ..service import export_plan

    wanted = outputs(ctx)
    result = export_plan(plan_file, wanted, accept_edited)
    if result.plan.edited:
        click.echo(f"lmsched: warning: {plan_file} was edited by hand; the outputs say so", err=True)
    say_written(result.written)
    revised_calendar_hint(result.plan, wanted.targets)


COMMANDS = (export,)
