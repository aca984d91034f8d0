"""The one writer: every output is rendered first, then written to a temporary file beside its
target and renamed over it, so a failure never leaves a half-written or changed file.

The rules (README "Reliability"; Linux and macOS):
- `-` is the standard output. A character device (`/dev/null`), a FIFO, and the standard output
  or error under any name (`/dev/stdout`, or a file the shell redirected them to) are written in
  place, never renamed over or replaced. A block device (a disk) or a socket is refused.
- A symbolic link given as a target is followed: the file it names is replaced, beside itself. A
  dangling link, a path through a file or through a missing link target, a folder, a read-only
  or unwritable folder is refused before anything is written (InputError, exit 2).
- `within` (a batch's DIR): a target whose real path leaves it is refused.
- A replaced file keeps its mode (and, as root, its owner); a new one gets 0666 less the umask.
  `mode` (a secret: 0600) overrides both.
- Temporary names are `.<name>.<8 random>.tmp`, shortened with a hash for long names so they fit
  in 255 bytes, and are removed on every failure (Ctrl-C too).
- A failure while writing names the file and the cause: a path problem is an InputError (exit 2),
  a full disk or an I/O error a WriteError (exit 74); nothing is replaced.

`write_all` writes rendered outputs together (none replaced until all are written; a value may be
a function that streams the content into the file); `atomic` is the same for one file written in
pieces."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .errors import InputError, SchedulerError, WriteError

__all__ = [
    "STDOUT",
    "Content",
    "atomic",
    "check_folder",
    "check_targets",
    "check_tree",
    "is_stdout",
    "is_temp_name",
    "temp_prefix",
    "write_all",
    "writes_stdout",
]

STDOUT = Path("-")
NAME_MAX = 255  # bytes in one file name, on Linux and macOS file systems
_LONG = 200  # a target name longer than this (bytes) gets a shortened temporary name
_TEMP = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")

Content = bytes | Callable[[BinaryIO], None]
"""What `write_all` writes: the bytes, or a function that writes them to the file it is given."""

# errors that say the path given is wrong (exit 2); any other is a write failure (exit 74)
_PATH_ERRORS = frozenset(
    {
        errno.EACCES,
        errno.EPERM,
        errno.EROFS,
        errno.ENOTDIR,
        errno.EISDIR,
        errno.ENOENT,
        errno.ELOOP,
        errno.ENAMETOOLONG,
        errno.EEXIST,
        errno.ENXIO,
        errno.ENODEV,
        errno.ETXTBSY,
    }
)


def is_stdout(path: Path) -> bool:
    """Whether `path` is `-`, the standard output."""
    return str(path) == "-"


def writes_stdout(paths: Iterable[Path]) -> bool:
    """Whether an output goes to the standard output (`-`, `/dev/stdout`, or the file or pipe the
    shell connected it to): a front end then prints its own text on the standard error."""
    try:
        out = os.fstat(1)
    except OSError:
        return any(is_stdout(p) for p in paths)
    for p in paths:
        if is_stdout(p):
            return True
        try:
            st = os.stat(p)
        except OSError:
            continue
        if (st.st_dev, st.st_ino) == (out.st_dev, out.st_ino):
            return True
    return False


def temp_prefix(name: str) -> str:
    """The start of a temporary file's name for a target called `name`: `.name.`, or for a name
    over 200 bytes its first bytes, `~` and a hash, so `prefix + 8 random + .tmp` fits 255 bytes."""
    raw = os.fsencode(name)
    if len(raw) <= _LONG:
        return f".{name}."
    digest = hashlib.sha256(raw).hexdigest()[:12]
    return f".{raw[:180].decode('utf-8', 'ignore')}~{digest}."  # a cut character is dropped


def is_temp_name(name: str) -> bool:
    """Whether a file name is one of the writer's temporary files (`.<name>.<8 random>.tmp`)."""
    return bool(_TEMP.match(name))


@dataclass(frozen=True)
class _Target:
    given: Path
    real: Path  # where the file is replaced (its folder is where the temporary file goes)
    kind: str  # "new" | "file" (replaced) | "device" (written in place) | "fd" (fd 1 or 2)
    identity: tuple[int, int] | None = None  # (device, inode) of what is there now
    fd: int = 1


def _why_unwritable(folder: str) -> str:
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return "read-only file system"
    except OSError:
        pass
    return "permission denied"


def _too_long(path: Path) -> str | None:
    for part in path.parts:
        if len(os.fsencode(part)) > NAME_MAX:
            return f"the name '{part[:40]}...' is longer than {NAME_MAX} bytes"
    return None


def _std_fd(st: os.stat_result) -> int | None:
    """1 or 2 when `st` is the file the standard output (or error) is connected to."""
    for fd in (1, 2):
        try:
            other = os.fstat(fd)
        except OSError:
            continue
        if (other.st_dev, other.st_ino) == (st.st_dev, st.st_ino):
            return fd
    return None


_FD_PATH = re.compile(r"^/(?:dev/fd|proc/self/fd)/([0-9]{1,4})$")


def _fd_named(path: str) -> int | None:
    """N for `/dev/fd/N` (`/proc/self/fd/N`) when this process has that descriptor open: written
    through it, so a shell's `3>>log` appends and a pipe gets its data."""
    match = _FD_PATH.match(path)
    if match is None:
        return None
    fd = int(match.group(1))
    try:
        os.fstat(fd)
    except OSError:
        return None
    return fd


def _existing_folder(path: Path, shown: Path) -> Path:
    """The deepest part of `path` that exists, checked to be a writable folder (the rest of the
    path will be made in it); InputError naming the component that is not."""
    probe = path
    while not os.path.lexists(probe):
        probe = probe.parent
    try:
        st = os.stat(probe)
    except FileNotFoundError:
        if os.path.islink(probe):
            raise InputError(
                f"cannot write {shown}: {probe} is a symbolic link to {os.readlink(probe)}, which does "
                "not exist"
            ) from None
        raise InputError(f"cannot write {shown}: {probe} does not exist") from None
    except OSError as exc:
        raise InputError(f"cannot write {shown}: {probe}: {exc.strerror}") from None
    if not stat.S_ISDIR(st.st_mode):
        raise InputError(f"cannot write {shown}: {probe} is a file, not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise InputError(f"cannot write {shown}: {probe}: {_why_unwritable(str(probe))}")
    return probe


def _inspect(path: Path, within: Path | None = None) -> _Target:
    """What writing `path` means (see the module's rules); InputError when it may not be written."""
    if is_stdout(path):
        return _Target(path, path, "fd", fd=1)
    problem = _too_long(path)
    if problem:
        raise InputError(f"cannot write {path}: {problem}")
    absolute = Path(os.getcwd()) / path  # not normalised: '..' is the kernel's to follow
    if not os.path.lexists(absolute):
        _existing_folder(absolute.parent, path)
        target = _Target(path, Path(os.path.realpath(absolute)), "new")
    else:
        try:
            st = os.stat(absolute)
        except FileNotFoundError:
            link = os.readlink(absolute) if os.path.islink(absolute) else "?"
            raise InputError(
                f"cannot write {path}: it is a symbolic link to {link}, which does not exist"
            ) from None
        except OSError as exc:
            raise InputError(f"cannot write {path}: {exc.strerror}") from None
        identity = (st.st_dev, st.st_ino)
        mode = st.st_mode
        fd = _fd_named(str(path)) or _std_fd(st)
        if stat.S_ISDIR(mode):
            raise InputError(f"{path} is a directory; give a file path")
        if stat.S_ISBLK(mode) or stat.S_ISSOCK(mode):
            what = "a block device (a disk)" if stat.S_ISBLK(mode) else "a socket"
            raise InputError(f"cannot write {path}: it is {what}")
        if fd is not None and not stat.S_ISCHR(mode):  # a pipe, or a file the shell opened
            target = _Target(path, path, "fd", identity, fd)
        elif stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
            if not os.access(absolute, os.W_OK):
                raise InputError(f"cannot write {path}: permission denied")
            target = _Target(path, path, "device", identity)
        else:
            real = Path(os.path.realpath(absolute))
            if not os.access(real.parent, os.W_OK | os.X_OK):
                raise InputError(f"cannot write {path}: {real.parent}: {_why_unwritable(str(real.parent))}")
            target = _Target(path, real, "file", identity)
    if within is not None:
        base = os.path.realpath(within)
        lands = os.path.realpath(absolute)
        if os.path.commonpath([base, lands]) != base:
            raise InputError(
                f"{path} leads outside {within} (to {lands}); lmsched writes only inside the output folder"
            )
    return target


def _identities(paths: Iterable[Path]) -> tuple[set[str], set[tuple[int, int]]]:
    """The real paths and (device, inode) pairs of files, to know an input under another name."""
    reals: set[str] = set()
    ids: set[tuple[int, int]] = set()
    for p in paths:
        reals.add(os.path.realpath(p))
        try:
            st = os.stat(p)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode) or stat.S_ISFIFO(st.st_mode):
            ids.add((st.st_dev, st.st_ino))
    return reals, ids


def check_targets(targets: Mapping[str, Path], inputs: Iterable[Path], *, within: Path | None = None) -> None:
    """Refuse, before anything is computed or written, outputs that collide, clobber an input
    (by real path or inode: a hard link too), or cannot be written (see the module's rules)."""
    reals, ids = _identities(inputs)
    seen: dict[str, str] = {}
    for name, path in targets.items():
        try:
            target = _inspect(path, within)
        except InputError as exc:
            raise InputError(exc.detail, field=name) from None
        if target.kind == "fd":
            key = f"fd {target.fd}"
            if key in seen:
                stream = "standard output" if target.fd == 1 else "standard error"
                raise InputError(
                    f"{path} is the {stream}, which is also the {seen[key]} output; only one output "
                    "can go there",
                    field=name,
                )
            seen[key] = name
            continue
        real = os.path.realpath(path)
        if real in reals or (target.identity is not None and target.identity in ids):
            raise InputError(f"{path} is an input file; choose another output path", field=name)
        is_char = target.kind == "device" and stat.S_ISCHR(os.stat(path).st_mode)
        if real in seen and not is_char:  # /dev/null may take several outputs
            raise InputError(f"{path} is also the {seen[real]} output", field=name)
        seen[real] = name


def check_folder(path: Path, field: str) -> None:
    """Refuse an output folder that cannot be one: a file, a dangling symbolic link, a path
    through a file, an unwritable or read-only place (InputError naming the part at fault)."""
    problem = _too_long(path)
    if problem:
        raise InputError(f"cannot write to {path}: {problem}", field=field)
    absolute = Path(os.getcwd()) / path
    try:
        if os.path.lexists(absolute):
            try:
                st = os.stat(absolute)
            except FileNotFoundError:
                link = os.readlink(absolute) if os.path.islink(absolute) else "?"
                raise InputError(
                    f"{path} is a symbolic link to {link}, which does not exist", field=field
                ) from None
            if not stat.S_ISDIR(st.st_mode):
                raise InputError(f"{path} is a file; give a folder", field=field)
            if not os.access(absolute, os.W_OK | os.X_OK):
                raise InputError(f"cannot write to {path}: {_why_unwritable(str(absolute))}", field=field)
        else:
            _existing_folder(absolute, path)
    except InputError as exc:
        raise InputError(exc.detail, field=field) from None
    except OSError as exc:
        raise InputError(f"cannot write to {path}: {exc.strerror}", field=field) from None


def check_tree(out: Path, targets: Iterable[Path], inputs: Mapping[str, Path | None]) -> None:
    """Before a batch writes anything: no input (field name -> file) is one of the files it will
    write under `out` (by real path or inode), and no folder on the way to them is a symbolic link."""
    wanted = list(targets)
    folders = {t.parent for t in wanted} - {out}
    for folder in sorted(folders):
        if os.path.islink(folder):
            raise InputError(
                f"{folder} is a symbolic link; lmsched never follows links inside the output folder",
                field="out",
            )
    found: dict[str, Path] = {}
    for t in wanted:
        if os.path.lexists(t):
            found[os.path.realpath(t)] = t
            try:
                st = os.stat(t)
            except OSError:
                continue
            found[f"{st.st_dev}:{st.st_ino}"] = t
    for name, given in inputs.items():
        if given is None:
            continue
        reals, ids = _identities([given])
        for key in [*reals, *(f"{d}:{i}" for d, i in ids)]:
            if key in found:
                raise InputError(f"{given} would be overwritten by the batch's {found[key]}", field=name)


def _umask() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o22)  # macOS: read it by setting it (lmsched runs no threads that create files)
    os.umask(mask)
    return mask


def _failure(path: Path, exc: OSError) -> SchedulerError:
    """The one line for an OSError while writing `path`: exit 2 when the path is at fault, 74 else."""
    cause = exc.strerror or type(exc).__name__
    if exc.errno in _PATH_ERRORS:
        return InputError(f"cannot write {path}: {cause}")
    return WriteError(f"cannot write {path}: {cause}; nothing was replaced")


def _put(fh: BinaryIO, content: Content) -> None:
    if isinstance(content, bytes):
        fh.write(content)
    else:
        content(fh)


@contextlib.contextmanager
def _stage(target: _Target, temps: list[tuple[str, _Target]], mode: int | None) -> Iterator[BinaryIO]:
    """A temporary file beside the target's real path, synced and given its final mode (and
    owner) before it is renamed; created 0600, so a secret is never readable by others."""
    os.makedirs(target.real.parent, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(target.real.name), suffix=".tmp", dir=target.real.parent)
    temps.append((tmp, target))
    with os.fdopen(fd, "wb") as fh:
        yield fh
        fh.flush()
        if mode is None:
            old = _old_stat(target)
            mode = stat.S_IMODE(old.st_mode) if old else 0o666 & ~_umask()
            if old is not None and (old.st_uid, old.st_gid) != (os.getuid(), os.getgid()):
                with contextlib.suppress(OSError):  # only root may give a file away: else it is ours
                    os.fchown(fh.fileno(), old.st_uid, old.st_gid)
        os.fchmod(fh.fileno(), mode)
        os.fsync(fh.fileno())


def _old_stat(target: _Target) -> os.stat_result | None:
    try:
        st = os.stat(target.real)
    except OSError:
        return None
    return st if stat.S_ISREG(st.st_mode) else None


def _in_place(target: _Target, content: Content) -> None:
    """Write a device, FIFO or the standard output (or error) where it is: never replaced."""
    if target.kind == "fd" and target.fd in (1, 2):
        stream = sys.stdout if target.fd == 1 else sys.stderr
        stream.flush()  # what the front end printed before comes first
        _put(stream.buffer, content)
        stream.buffer.flush()
        return
    if target.kind == "fd":
        with os.fdopen(os.dup(target.fd), "wb") as fh:
            _put(fh, content)
        return
    fd = os.open(target.real, os.O_WRONLY | getattr(os, "O_NOCTTY", 0))  # never O_CREAT: no new file
    with os.fdopen(fd, "wb") as fh:
        _put(fh, content)


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


def _sync_folders(folders: Iterable[Path]) -> None:
    """Make the renames durable (best effort: not every file system lets a folder be synced)."""
    for folder in folders:
        try:
            fd = os.open(folder, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)


def write_all(
    outputs: Mapping[Path, Content],
    *,
    mode: int | None = None,
    exclusive: bool = False,
    within: Path | None = None,
) -> None:
    """Write every output; none replaces its target until all are written. `mode`: the files'
    mode (0600 for a secret; default: an existing file's, else 0666 less the umask); `exclusive`:
    never replace an existing file (FileExistsError); `within`: a folder no target may leave."""
    targets = [(_inspect(path, within), content) for path, content in outputs.items()]
    if exclusive:
        for target, _ in targets:
            if target.kind in ("fd", "device"):
                raise InputError(
                    f"cannot create {target.given}: it is a device, a FIFO or the standard output"
                )
            if target.kind != "new":
                raise FileExistsError(target.given)
    temps: list[tuple[str, _Target]] = []
    current = Path()
    try:
        for target, content in targets:
            current = target.given
            if target.kind in ("new", "file"):
                with _stage(target, temps, mode) as fh:
                    _put(fh, content)
        for target, content in targets:
            current = target.given
            if target.kind in ("fd", "device"):
                _in_place(target, content)
        for tmp, target in temps:
            current = target.given
            if exclusive:
                _link_new(tmp, target.real)
            else:
                os.replace(tmp, target.real)
        _sync_folders({target.real.parent for _, target in temps})
    except (FileExistsError, BrokenPipeError):
        raise  # exclusive's answer; a reader that went away (the front end stays quiet)
    except OSError as exc:
        raise _failure(current, exc) from None
    finally:
        for tmp, _ in temps:
            if os.path.lexists(tmp):
                os.unlink(tmp)


@contextlib.contextmanager
def atomic(path: Path, *, within: Path | None = None) -> Iterator[BinaryIO]:
    """A file to write `path` through, in pieces: it replaces `path` only when the block ends
    without error (a device, FIFO or the standard output is written in place as it comes)."""
    target = _inspect(path, within)
    temps: list[tuple[str, _Target]] = []
    try:
        if target.kind == "fd" and target.fd not in (1, 2):
            with os.fdopen(os.dup(target.fd), "wb") as fh:
                yield fh
        elif target.kind == "fd":
            stream = sys.stdout if target.fd == 1 else sys.stderr
            stream.flush()
            yield stream.buffer
            stream.buffer.flush()
        elif target.kind == "device":
            with os.fdopen(os.open(target.real, os.O_WRONLY | getattr(os, "O_NOCTTY", 0)), "wb") as fh:
                yield fh
        else:
            with _stage(target, temps, None) as fh:
                yield fh
            os.replace(temps[0][0], target.real)
            _sync_folders([target.real.parent])
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise _failure(path, exc) from None
    finally:
        for tmp, _ in temps:
            if os.path.lexists(tmp):
                os.unlink(tmp)
