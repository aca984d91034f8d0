"""`lmsched publish`: a saved plan's events on a CalDAV calendar, updated in place."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from .options import PLAN_ARGUMENT, calendar_options, outputs


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
@PLAN_ARGUMENT
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
    from ..service import publish_plan

    how = outputs(ctx)
    plan, report = publish_plan(
        plan_file,
        url,
        calendar=calendar_name,
        create=create,
        username=username,
        password=lambda: _password(username),
        timeout=timeout,
        audience=how.audience,
        alarms=how.alarms,
    )
    click.echo(f"published {len(plan.events)} events to {report.calendar_url}: {report.counts()}")


COMMANDS = (publish,)
