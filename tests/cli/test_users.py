"""`lmsched user add|passwd|disable|enable|list` (issue 21, accounts): users in a real workspace
file, passwords kept only as scrypt hashes, every bad input one line naming its field, exit 2,
and nothing changed."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.accounts import ROLES, hash_password, verify_password
from scheduler.records import open_workspace

from ..conftest import run_subprocess

NOW = "2026-12-07T09:00:00+00:00"


@pytest.fixture
def ws(tmp_path: Path, run) -> Path:  # type: ignore[no-untyped-def]
    path = tmp_path / "clinic.lmsched"
    assert run("workspace", "init", str(path), "--now", NOW).code == 0
    return path


def users(path: Path) -> list[tuple[str, str, str | None]]:
    with open_workspace(path) as w:
        return [(u.name, u.role, u.disabled_at) for u in w.users()]


def stored_hash(path: Path, name: str) -> str:
    with open_workspace(path) as w:
        user = w.user(name)
        assert user is not None
        return user.password


def test_add_with_a_generated_password_shown_once_and_stored_only_as_a_hash(run, ws: Path) -> None:  # type: ignore[no-untyped-def]
    done = run(
        "user", "add", "ana", "--role", "pharmacist", "--workspace", str(ws), "--generate", "--now", NOW
    )
    assert done.code == 0, done.err
    lines = done.out.splitlines()
    assert lines[0] == "added user ana (pharmacist)"
    password = lines[1].rsplit(": ", 1)[1]
    assert len(password) >= 20 and lines[1].startswith("password for ana (shown once, not stored)")
    assert users(ws) == [("ana", "pharmacist", None)]
    stored = stored_hash(ws, "ana")
    assert stored.startswith("scrypt$32768$8$1$") and password not in stored
    assert verify_password(password, stored) and not verify_password(password + "x", stored)
    for suffix in ("", "-wal"):  # the password itself is nowhere in the file
        file = Path(f"{ws}{suffix}")
        assert not file.exists() or password.encode() not in file.read_bytes()
    listed = run("user", "list", "--workspace", str(ws))
    assert listed.code == 0 and listed.out.split() == ["ana", "pharmacist", "active", "since", "2026-12-07"]


def test_a_password_from_standard_input_then_changed_then_disabled(
    run, ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sys, "stdin", io.StringIO("correct horse battery\n"))
    assert run("user", "add", "bo", "--role", "nurse", "--workspace", str(ws), "--password-stdin").code == 0
    first = stored_hash(ws, "bo")
    assert verify_password("correct horse battery", first)
    monkeypatch.setattr(sys, "stdin", io.StringIO("staple battery horse\n"))
    changed = run("user", "passwd", "bo", "--workspace", str(ws), "--password-stdin", "--now", NOW)
    assert changed.code == 0 and changed.out == "password of bo changed\n"
    second = stored_hash(ws, "bo")
    assert verify_password("staple battery horse", second) and not verify_password(
        "correct horse battery", second
    )
    assert run("user", "disable", "bo", "--workspace", str(ws), "--now", NOW).out == "user bo disabled\n"
    assert users(ws) == [("bo", "nurse", NOW)]
    assert "disabled 2026-12-07" in run("user", "list", "--workspace", str(ws)).out
    assert run("user", "enable", "bo", "--workspace", str(ws)).code == 0
    assert users(ws) == [("bo", "nurse", None)]


def test_standard_input_in_a_real_process(ws: Path) -> None:
    user = ("user", "add", "cy", "--role", "viewer", "--workspace", str(ws), "--password-stdin")
    done = run_subprocess(*user, input="a pass phrase of words\n")
    assert done.code == 0, done.err
    assert verify_password("a pass phrase of words", stored_hash(ws, "cy"))


@pytest.mark.parametrize(
    ("args", "stdin", "expected"),
    [
        (
            ("add", "dee", "--role", "boss", "--generate"),
            "",
            ["role:", "'boss' is not a role", ", ".join(ROLES)],
        ),
        (("add", "../dee", "--role", "nurse", "--generate"), "", ["NAME:", "is not a user name"]),
        (("add", "", "--role", "nurse", "--generate"), "", ["NAME:", "is not a user name"]),
        (("add", "d" * 65, "--role", "nurse", "--generate"), "", ["NAME:", "is not a user name"]),
        (("add", "dee", "--role", "nurse", "--password-stdin"), "short\n", ["password:", "at least 12"]),
        (
            ("add", "dee", "--role", "nurse", "--password-stdin"),
            "x" * 300 + "\n",
            ["password:", "at most 256"],
        ),
        (
            ("add", "dee-dee-dee-d", "--role", "nurse", "--password-stdin"),
            "DEE-DEE-DEE-D\n",
            ["must not be the user's name"],
        ),
        (("add", "ana", "--role", "nurse", "--generate"), "", ["NAME:", "a user 'ana' already exists"]),
        (("passwd", "zed", "--generate"), "", ["NAME:", "no user 'zed'"]),
        (("disable", "zed"), "", ["NAME:", "no user 'zed'"]),
        (("add", "dee"), "", ["Missing option '--role'"]),
    ],
)
def test_bad_input_is_one_line_exit_2_and_changes_nothing(  # type: ignore[no-untyped-def]
    run, ws: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], stdin: str, expected: list[str]
) -> None:
    assert run("user", "add", "ana", "--role", "pharmacist", "--workspace", str(ws), "--generate").code == 0
    before, before_hash = users(ws), stored_hash(ws, "ana")
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    done = run("user", *args, "--workspace", str(ws))
    assert done.code == 2 and done.out == ""
    assert len(done.err.splitlines()) == 1 and "Traceback" not in done.err
    for text in expected:
        assert text in done.err
    assert users(ws) == before and stored_hash(ws, "ana") == before_hash


def test_no_workspace_is_refused(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    done = run("user", "list", "--workspace", str(tmp_path / "missing"))
    assert done.code == 2 and "does not exist" in done.err and "workspace init" in done.err


@settings(max_examples=12, deadline=None)
@given(password=st.text(min_size=1, max_size=40), other=st.text(min_size=1, max_size=40))
def test_a_hash_verifies_its_password_and_no_other(password: str, other: str) -> None:
    stored = hash_password(password)
    assert verify_password(password, stored)
    assert verify_password(other, stored) == (other == password)
    assert hash_password(password) != stored  # a fresh salt each time


def test_malformed_stored_hashes_never_verify() -> None:
    good = hash_password("a long enough password")
    for bad in ("", "plain", good.replace("scrypt", "md5"), good[:-4], good + "$x", "scrypt$1$1$1$!!$!!"):
        assert not verify_password("a long enough password", bad)
