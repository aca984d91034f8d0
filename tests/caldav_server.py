"""A real Radicale CalDAV server for the tests: a subprocess on a free loopback port, with its own
storage folder, plain-text htpasswd users and owner-only rights, stopped after each test."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["Radicale", "free_port", "radicale"]

USERS = {"alice": "alice-password-1", "bob": "bob-password-2"}


@dataclass(frozen=True)
class Radicale:
    url: str
    users: dict[str, str]
    storage: Path


def free_port() -> int:
    """A loopback port nothing listens on (the OS picks it; it is closed again at once)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(url: str, proc: subprocess.Popen[bytes], log: Path, limit: float = 15.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"Radicale exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url + ".web/", timeout=1):
                return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"Radicale did not answer within {limit} s:\n{log.read_text(errors='replace')}")


@pytest.fixture
def radicale(tmp_path: Path) -> Iterator[Radicale]:
    root = tmp_path / "radicale"
    root.mkdir()
    users = root / "users"
    users.write_text("".join(f"{u}:{p}\n" for u, p in USERS.items()))
    log = root / "server.log"
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "radicale",
        "--server-hosts",
        f"127.0.0.1:{port}",
        "--storage-filesystem-folder",
        str(root / "collections"),
        "--auth-type",
        "htpasswd",
        "--auth-htpasswd-filename",
        str(users),
        "--auth-htpasswd-encryption",
        "plain",
        "--rights-type",
        "owner_only",
        "--auth-delay",
        "0",  # Radicale slows every 401 (the client's first, unauthenticated request) by ~1 s
        "--logging-level",
        "warning",
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_up(url, proc, log)
        yield Radicale(url=url, users=dict(USERS), storage=root / "collections")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
