"""`lmsched reschedule`: the next revision of a saved plan (delay, hold, stop or a systemic course's
dose level), checked again."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from .options import (
    ACCEPT_EDITED,
    DATE,
    Alias,
    ascii_int,
    calendar_options,
    deprecated_aliases,
    output_options,
    outputs,
    to_stderr,
)
from .present import echo_lines, findings_lines, refuse_if_blocked, revised_calendar_hint, say_written
from .workspace import PLAN_OR_PATIENT, plan_source, save_target, workspace_option


@click.command()
@deprecated_aliases(Alias("--by", "days", "--days", type=ascii_int()))
@PLAN_OR_PATIENT
@click.option(
    "--delay", type=DATE, metavar="DATE", help="Delay the event on DATE and every later one of its course."
)
@click.option("--days", type=ascii_int(), metavar="N", help="With --delay: by at least this many days.")
@click.option("--hold-from", type=DATE, metavar="DATE", help="Hold clinic treatment from DATE ...")
@click.option("--resume", type=DATE, metavar="DATE", help="... and resume on the first open day from DATE.")
@click.option(
    "--stop-from", type=DATE, metavar="DATE", help="Cancel every clinic event from DATE (progression)."
)
@click.option(
    "--dose-level",
    type=ascii_int(),
    metavar="N",
    help="With --course (a systemic course) and --from: its dose level (0, -1, -2) from DATE.",
)
@click.option(
    "--from",
    "from_day",
    type=DATE,
    metavar="DATE",
    help="With --dose-level: from the first cycle on or after DATE.",
)
@click.option(
    "--csf-flow",
    "csf_flow",
    type=click.Choice(["normal", "obstructed"]),
    help="Record the CSF flow study's result on a plan made with flow unknown: normal confirms "
    "the IT doses that waited for it.",
)
@click.option(
    "--reason",
    metavar="TEXT",
    help="Why the change (required with --stop-from and --dose-level); recorded in the change log.",
)
@click.option(
    "--course",
    metavar="ID",
    help="Only this course (template id), e.g. it-mtx-intensive or sys-tdxd-q3w (a systemic course "
    "changes only when named, or with --delay when it is the only course that day).",
)
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
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Site policy TOML (required when the plan was checked with one).",
)
@click.option(
    "--now", "now_text", metavar="ISO_DATETIME", help="When the change is made (default: the clock)."
)
@output_options
@calendar_options
@ACCEPT_EDITED
@click.option("-q", "--quiet", is_flag=True, help="Print only the changes, not the findings.")
@click.option(
    "--save",
    is_flag=True,
    help="Store the revision in the workspace (only while the plan it was made from is the current one).",
)
@workspace_option
@click.pass_context
def reschedule(
    ctx: click.Context,
    /,
    plan_file: str,
    delay: dt.date | None,
    days: int | None,
    hold_from: dt.date | None,
    resume: dt.date | None,
    stop_from: dt.date | None,
    reason: str | None,
    course: str | None,
    dose_level: int | None,
    from_day: dt.date | None,
    csf_flow: str | None,
    **_: Any,
) -> None:
    """Make the next revision of a saved plan: delay, hold, stop or a dose level, then check it again.

    \b
      --delay DATE --days N         the event on DATE and every later event of its course move
                                    by at least N days, onto open days, keeping each phase's spacing
      --hold-from DATE --resume DATE  nothing of the clinic courses in between; each resumes on
                                    the first open day from the resume date
      --stop-from DATE --reason TEXT  cancel every clinic event from DATE (kept as cancelled,
                                    so calendars remove them); --course ID for one course only
      --course ID --dose-level N --from DATE --reason TEXT
                                    a systemic course's doses at level N (0, -1, -2) from
                                    the first cycle whose day 1 is on or after DATE
      --csf-flow normal|obstructed  the flow study's result on a plan made with flow unknown:
                                    normal confirms the IT doses that waited for it

    A systemic course (--course sys-...) keeps its cycle length: a delayed or held cycle's day 1
    moves later (to an open day for infusions) and every later cycle starts at least a cycle
    length after the previous actual day 1; tablets stay anchored to their cycle's day 1. A
    trastuzumab dose that ends up more than 7 days late is the loading dose again (S22).

    Moved events keep their UID and get SEQUENCE + 1; the new plan has revision + 1, the parent's
    fingerprint and a change-log entry. Every safety rule runs again (a stop finding the parent
    overrode stays overridden; a new one needs --override RULE --override-reason TEXT); exit 3 and
    nothing written when one blocks. Prints every change as "old date -> new date". Without an
    output option (or --save) it is a dry run.

    With a workspace (--workspace PATH or LMSCHED_WORKSPACE), PLAN.json may be the patient id:
    the revision is made from the patient's current plan, and --save stores it, unless someone
    saved a newer revision meanwhile (exit 5, nothing stored or written).

    \b
    Example:
        lmsched reschedule plan.json --delay 2026-12-08 --days 7
            --reason "Platelets 40" --json plan-r1.json
        lmsched reschedule RCC-000123 --delay 2026-12-08 --days 7 --reason "Platelets 40"
            --save --workspace clinic.lmsched
    """
    from ..reschedule import Action
    from ..service import overrides_from, revise_plan

    p = ctx.params
    action = Action.choose(
        delay=delay,
        days=days,
        hold_from=hold_from,
        resume=resume,
        stop_from=stop_from,
        reason=reason,
        course=course,
        dose_level=dose_level,
        from_day=from_day,
        csf_flow=csf_flow,
    )
    wanted = outputs(ctx)
    source = plan_source(plan_file, p["workspace_path"])
    result = revise_plan(
        source,
        action,
        overrides=overrides_from(p["overrides"], p["override_reasons"]),
        decided_by=p["decided_by"],
        policy=p["policy"],
        now=p["now_text"],
        outputs=wanted,
        accept_edited=p["accept_edited"],
        save=save_target(p["save"], p["workspace_path"]),
    )
    change = result.plan.changes[-1]
    err = to_stderr(wanted.targets)  # an output on stdout (`--json -`): the text goes to stderr
    click.echo(f"revision {result.plan.revision} of {plan_file}: {change.summary}", err=err)
    if p["save"] and not result.blocking:
        click.echo(
            f"saved revision {result.plan.revision} of {result.plan.inputs.patient_id} in the workspace",
            err=True,
        )
    echo_lines((f"  {move.describe()}" for move in change.moves), err=err)
    if not p["quiet"]:
        echo_lines(("", *findings_lines(result.plan)), err=err)
    for rule_id in result.expired_overrides:
        click.echo(f"lmsched: note: the override of {rule_id} is no longer needed; not carried", err=True)
    refuse_if_blocked(result)
    say_written(result.written)
    revised_calendar_hint(result.plan, wanted.targets if result.written else {})


COMMANDS = (reschedule,)
