"""`lmsched user ...`: the workspace's users, who sign in to the web front end (issue 21)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, TypeVar

import click

from .present import echo_lines
from .workspace import _moment, now_option, opened, workspace_option

__all__ = ["COMMANDS"]

F = TypeVar("F", bound=Any)
ROLE_HELP = "scheduler, prescriber, pharmacist, nurse or viewer"


@click.group("user")
def user() -> None:
    """The people who use the workspace through the web front end, each with one role:
    scheduler, prescriber (also lifts a stop), pharmacist (saves a reconciliation), nurse
    (records given doses) or viewer (reads only). Passwords are stored as scrypt hashes only.

    Example: lmsched user add ana --role pharmacist --workspace clinic.lmsched --generate"""


def _password(name: str, generate: bool, from_stdin: bool) -> tuple[str, bool]:
    """The new password: generated (then shown once), one line of standard input, or typed twice."""
    from ..accounts import check_password, new_password

    if generate:
        return new_password(), True
    if from_stdin:
        line = sys.stdin.readline()
        return check_password(line.rstrip("\r\n"), name), False
    typed = click.prompt(f"password for {name}", hide_input=True, confirmation_prompt=True, err=True)
    return check_password(str(typed), name), False


def _shown(name: str, password: str, shown: bool) -> list[str]:
    """The generated password's one showing (nothing when the user typed it)."""
    return [f"password for {name} (shown once, not stored): {password}"] if shown else []


def _password_options(func: F) -> F:
    func = click.option(
        "--password-stdin",
        "from_stdin",
        is_flag=True,
        help="Read the password from one line of standard input.",
    )(func)
    return click.option(
        "--generate", is_flag=True, help="Make a random password and print it once (it is never stored)."
    )(func)


@user.command("add")
@click.argument("name", metavar="NAME")
@click.option("--role", required=True, metavar="ROLE", help=f"One of: {ROLE_HELP}.")
@_password_options
@workspace_option
@now_option
def add(
    name: str,
    role: str,
    generate: bool,
    from_stdin: bool,
    workspace_path: Path | None,
    now_text: str | None,
) -> None:
    """Add a user with a role; the password is typed twice (or see --generate, --password-stdin)."""
    from ..accounts import add_user, check_name, check_role

    check_name(name)
    check_role(role)
    now = _moment(now_text)
    with opened(workspace_path) as ws:
        if ws.user(name) is not None:  # before asking for a password
            raise ws.user_taken(name)
        password, shown = _password(name, generate, from_stdin)
        added = add_user(ws, name, role, password, now)
    echo_lines([f"added user {added.name} ({added.role})", *_shown(added.name, password, shown)])


@user.command("passwd")
@click.argument("name", metavar="NAME")
@_password_options
@workspace_option
@now_option
def passwd(
    name: str, generate: bool, from_stdin: bool, workspace_path: Path | None, now_text: str | None
) -> None:
    """Set a user's password."""
    from ..accounts import change_password, check_name

    check_name(name)
    with opened(workspace_path) as ws:
        if ws.user(name) is None:  # before asking for a password
            raise ws.no_user(name)
        password, shown = _password(name, generate, from_stdin)
        changed = change_password(ws, name, password, _moment(now_text))
    echo_lines([f"password of {changed.name} changed", *_shown(changed.name, password, shown)])


@user.command("disable")
@click.argument("name", metavar="NAME")
@workspace_option
@now_option
def disable(name: str, workspace_path: Path | None, now_text: str | None) -> None:
    """Stop a user from signing in (the name stays, as the history names it)."""
    from ..accounts import disable_user

    with opened(workspace_path) as ws:
        changed = disable_user(ws, name, _moment(now_text))
    echo_lines([f"user {changed.name} disabled"])


@user.command("enable")
@click.argument("name", metavar="NAME")
@workspace_option
@now_option
def enable(name: str, workspace_path: Path | None, now_text: str | None) -> None:
    """Let a disabled user sign in again."""
    from ..accounts import disable_user

    with opened(workspace_path) as ws:
        changed = disable_user(ws, name, _moment(now_text), disabled=False)
    echo_lines([f"user {changed.name} enabled"])


@user.command("list")
@workspace_option
def list_(workspace_path: Path | None) -> None:
    """The users: name, role, and whether each may sign in."""
    with opened(workspace_path) as ws:
        users = ws.users()
    if not users:
        echo_lines(["no users (add one with `lmsched user add NAME --role ROLE`)"])
        return
    width = max(len(u.name) for u in users)
    echo_lines(
        [
            f"{u.name:{width}}  {u.role:10}  "
            + (f"disabled {u.disabled_at[:10]}" if u.disabled_at else f"active since {u.created_at[:10]}")
            for u in users
        ]
    )


COMMANDS = (user,)
