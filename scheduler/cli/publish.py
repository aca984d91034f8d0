"""`lmsched publish`: a saved plan's events on a CalDAV calendar, updated in place."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from .options import calendar_options, outputs
from .workspace import PLAN_OR_PATIENT, plan_source, workspace_option


def _password(username: str | None) -> str | None:
    """From LMSCHED_CALDAV_PASSWORD, else a hidden prompt on a terminal; never a flag."""
    from ..errors import InputError

    if not username:
        return None
    password = os.environ.get("LMSCHED_CALDAV_PASSWORD")
    if password is None:
        if not sys.stdin.isatty():
            raise InputError(
                "set LMSCHED_CALDAV_PASSWORD (there is no terminal to ask for the password on)",
                field="password",
            )
        password = click.prompt(f"CalDAV password for {username}", hide_input=True, err=True)
    return password


@click.command()
@PLAN_OR_PATIENT
@click.option(
    "--caldav",
    "url",
    required=True,
    metavar="URL",
    help="The calendar's URL; or, with --calendar, the server, principal or calendar home.",
)
@click.option(
    "--calendar",
    "calendar_name",
    metavar="NAME",
    help="Calendar display name under the user's principal, when URL is not the calendar itself.",
)
@click.option("--create", is_flag=True, help="Create the --calendar if it does not exist.")
@click.option(
    "--username",
    metavar="USER",
    help="Login name; the password comes from LMSCHED_CALDAV_PASSWORD or a prompt, never a flag.",
)
@click.option(
    "--allow-older",
    is_flag=True,
    help="Publish even over a newer revision (or another branch) on the calendar; recorded in the events.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(1, 600),
    default=30.0,
    show_default=True,
    help="Deadline in seconds for the whole publish.",
)
@calendar_options
@workspace_option
@click.pass_context
def publish(
    ctx: click.Context,
    /,
    plan_file: str,
    url: str,
    calendar_name: str | None,
    create: bool,
    username: str | None,
    allow_older: bool,
    timeout: float,
    workspace_path: Path | None,
    **_: Any,
) -> None:
    """Put a plan's events on a CalDAV calendar; publishing again updates it in place.

    PLAN.json is a plan file, or a patient id whose current plan is in the workspace
    (--workspace PATH or LMSCHED_WORKSPACE).

    URL is a calendar, or (with --calendar NAME) a principal, calendar home or server root; a
    calendar is created only with --create. Same plan twice: nothing changes. A revised plan:
    changed events are updated (same UID, higher SEQUENCE) and events the plan no longer has are
    removed. Only this patient's lmsched events are ever touched. An older revision than the
    calendar's, or another branch, is refused (exit 2) unless --allow-older. Exit code 4 when the
    server cannot be reached, refuses the login, fails, answers garbage or misses the deadline;
    130 when interrupted.

    \b
    Example:
        LMSCHED_CALDAV_PASSWORD=... lmsched publish plan.json
            --caldav http://127.0.0.1:5232/ --username alice --calendar Treatment --create
    """
    from ..service import publish_plan

    how = outputs(ctx)
    plan, report = publish_plan(
        plan_source(plan_file, workspace_path),
        url,
        calendar=calendar_name,
        create=create,
        username=username,
        password=lambda: _password(username),
        timeout=timeout,
        audience=how.audience,
        alarms=how.alarms,
        allow_older=allow_older,
        site_key_file=how.site_key,
        notice=how.notice,
        lang=how.lang,
        allow_unreviewed=how.allow_unreviewed,
    )
    made = " (created the calendar)" if report.made_calendar else ""
    over = f"; {report.over}" if report.over else ""
    click.echo(f"published {len(plan.events)} events to {report.calendar_url}{made}: {report.counts()}{over}")


COMMANDS = (publish,)
