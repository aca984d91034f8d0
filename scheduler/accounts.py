"""The workspace's users (issue 21): the people who will sign in to the web front end, each with
one role that the server checks on every request.

Roles: a `scheduler` books and moves visits; a `prescriber` also lifts a stop (typing the reason);
a `pharmacist` reviews doses and saves a reconciliation; a `nurse` records given doses; a `viewer`
reads and saves nothing.

Passwords are never stored: each is hashed with scrypt (RFC 7914, `hashlib.scrypt`, the
standard library's binding of OpenSSL) with a random 16-byte salt, N = 2^15, r = 8, p = 1 (about
32 MiB and a few tens of milliseconds a guess, OWASP's minimum for scrypt), and kept as
`scrypt$N$r$p$salt$hash` (base64), so the cost can be raised later without breaking stored hashes.
A password is checked in constant time (`hmac.compare_digest`). The salt is the one thing here
that comes from randomness: a hash is not an output a user compares between runs.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os
import re
import secrets

from .errors import InputError
from .workspace import User, Workspace

__all__ = [
    "MIN_PASSWORD",
    "ROLES",
    "add_user",
    "change_password",
    "check_name",
    "check_password",
    "check_role",
    "disable_user",
    "hash_password",
    "new_password",
    "verify_password",
]

ROLES = ("scheduler", "prescriber", "pharmacist", "nurse", "viewer")
MIN_PASSWORD, MAX_PASSWORD = 12, 256
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z", re.ASCII)
_N, _R, _P, _LEN = 2**15, 8, 1, 32
_MAXMEM = 64 * 1024 * 1024  # scrypt needs 128 * N * r bytes: 32 MiB at these settings


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise InputError(
            f"{name!r} is not a user name: 1 to 64 letters, digits, '.', '_' or '-', starting with a "
            "letter or digit",
            field="NAME",
        )
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InputError(f"'{role}' is not a role", field="role", choices=ROLES)
    return role


def check_password(password: str, name: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InputError(f"a password needs at least {MIN_PASSWORD} characters", field="password")
    if len(password) > MAX_PASSWORD:
        raise InputError(f"a password has at most {MAX_PASSWORD} characters", field="password")
    if password.strip().casefold() == name.casefold():
        raise InputError("a password must not be the user's name", field="password")
    return password


def new_password() -> str:
    """A random password for a new user or a reset: 20 characters, 120 bits (shown once)."""
    return secrets.token_urlsafe(15)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = os.urandom(16) if salt is None else salt
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, maxmem=_MAXMEM, dklen=_LEN)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` is the one `stored` was made from (False for anything malformed)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest, validate=True)
        if len(expected) != _LEN:  # a shortened hash would verify against its own prefix
            return False
        got = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt, validate=True),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=_MAXMEM,
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def add_user(workspace: Workspace, name: str, role: str, password: str, now: dt.datetime) -> User:
    """`lmsched user add`: every field checked before anything is written."""
    check_name(name)
    check_role(role)
    check_password(password, name)
    workspace.add_user(name, role, hash_password(password), now)
    user = workspace.user(name)
    assert user is not None
    return user


def change_password(workspace: Workspace, name: str, password: str, now: dt.datetime) -> User:
    check_name(name)
    check_password(password, name)
    return workspace.change_user(name, now, password=hash_password(password))


def disable_user(workspace: Workspace, name: str, now: dt.datetime, disabled: bool = True) -> User:
    """A disabled user cannot sign in; the name stays in the workspace (and in its history)."""
    check_name(name)
    return workspace.change_user(name, now, disabled=disabled)
