"""The one atomic writer: every output is rendered first, then written to a temporary file beside
its target and renamed over it, so a failure never leaves a half-written or changed file.

`write_all` writes rendered outputs together (none replaced until all are written); `atomic`
is the same for one file written in pieces (a batch's clinic.ics, streamed from disk)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from .errors import InputError

__all__ = ["atomic", "check_targets", "write_all"]


def check_targets(targets: Mapping[str, Path], inputs: list[Path]) -> None:
    """Refuse, before anything is computed or written, outputs that collide or clobber an input."""
    seen: dict[Path, str] = {}
    protected = {p.resolve() for p in inputs}
    for name, path in targets.items():
        resolved = path.resolve()
        if resolved in seen:
            raise InputError(f"'{path}' is also the {seen[resolved]} output", field=name)
        if resolved in protected:
            raise InputError(f"'{path}' is an input file; choose another output path", field=name)
        if resolved.is_dir():
            raise InputError(f"'{path}' is a directory; give a file path", field=name)
        parent = resolved.parent
        while not parent.exists():
            parent = parent.parent
        if not parent.is_dir() or not os.access(parent, os.W_OK):
            raise InputError(f"cannot write '{path}': {parent} is not a writable directory", field=name)
        seen[resolved] = name


@contextmanager
def _staged(path: Path, temps: list[tuple[str, Path]], mode: int = 0o644) -> Iterator[BinaryIO]:
    """A temporary file beside `path`, synced and given `mode` (the mode outputs have) when
    closed; its name is added to `temps` for the caller to rename over `path` (or remove). The
    temporary file is created 0600, so a secret (a site key) is never readable by others."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temps.append((tmp, path))
    with os.fdopen(fd, "wb") as fh:
        yield fh
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(tmp, mode)


def _link_new(tmp: str, path: Path) -> None:
    """Put `tmp` at `path` only if nothing is there (FileExistsError otherwise), atomically where
    the file system has hard links."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise
    except OSError:  # no hard links here (some network and FAT file systems)
        if os.path.lexists(path):
            raise FileExistsError(path) from None
        os.replace(tmp, path)
        return
    os.unlink(tmp)


@contextmanager
def _replacing(exclusive: bool = False) -> Iterator[list[tuple[str, Path]]]:
    """Renames every staged file over its target when the block succeeds (`exclusive`: only onto
    a path where nothing is, else FileExistsError); removes what is left."""
    temps: list[tuple[str, Path]] = []
    try:
        yield temps
        for tmp, path in temps:
            if exclusive:
                _link_new(tmp, path)
            else:
                os.replace(tmp, path)
    finally:
        for tmp, _ in temps:
            if os.path.exists(tmp):
                os.unlink(tmp)


def write_all(outputs: Mapping[Path, bytes], *, mode: int = 0o644, exclusive: bool = False) -> None:
    """Write every output; none replaces its target until all are written. `mode`: the files'
    mode (0600 for a secret); `exclusive`: never replace an existing file (FileExistsError)."""
    with _replacing(exclusive) as temps:
        for path, data in outputs.items():
            with _staged(path, temps, mode) as fh:
                fh.write(data)


@contextmanager
def atomic(path: Path) -> Iterator[BinaryIO]:
    """A file to write `path` through: it replaces `path` only when the block ends without error."""
    with _replacing() as temps, _staged(path, temps) as fh:
        yield fh
