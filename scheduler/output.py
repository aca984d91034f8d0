"""Atomic writes: every output is rendered first, then written to a temporary file beside its
target and renamed over it, so a failure never leaves a half-written or changed file."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from .errors import InputError

__all__ = ["check_targets", "write_all"]


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


def write_all(outputs: Mapping[Path, bytes]) -> None:
    temps: list[tuple[str, Path]] = []
    try:
        for path, data in outputs.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            temps.append((tmp, path))
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o644)
        for tmp, path in temps:
            os.replace(tmp, path)
    finally:
        for tmp, _ in temps:
            if os.path.exists(tmp):
                os.unlink(tmp)
