"""The one writer (scheduler/writer.py) on real files, devices, FIFOs and file systems: modes and
the umask, long names, in-place targets, links, inputs under other names, and failures that name
the file and leave nothing behind. Nothing here is mocked: a full disk is /dev/full or a 64 KiB
tmpfs (when this machine lets the tests mount one, as root in CI)."""

from __future__ import annotations

import contextlib
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduler.errors import EXIT_WRITE, InputError, WriteError
from scheduler.writer import atomic, check_targets, is_temp_name, temp_prefix, write_all

LINUX_OR_MAC = sys.platform.startswith("linux") or sys.platform == "darwin"
ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
needs_unix = pytest.mark.skipif(not LINUX_OR_MAC, reason="lmsched supports Linux and macOS")
needs_dev_full = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="/dev/full is Linux only")


def temps(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*") if is_temp_name(p.name)]


@contextlib.contextmanager
def umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


@contextlib.contextmanager
def tmpfs(where: Path, *options: str) -> Iterator[Path]:
    """A small tmpfs at `where` (root on Linux only; the test is skipped where mounting is not
    permitted, e.g. an unprivileged container)."""
    where.mkdir()
    if not (sys.platform.startswith("linux") and ROOT):
        pytest.skip("mounting a tmpfs needs root on Linux")
    opts = ",".join(("size=64k", *options))
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(where)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=False)


# --- modes ------------------------------------------------------------------------------------------


@needs_unix
@pytest.mark.parametrize(("mask", "expected"), [(0o077, 0o600), (0o022, 0o644), (0o027, 0o640)])
def test_a_new_file_honours_the_umask(tmp_path: Path, mask: int, expected: int) -> None:
    with umask(mask):
        write_all({tmp_path / "plan.json": b"{}"})
    assert stat.S_IMODE(os.stat(tmp_path / "plan.json").st_mode) == expected


@needs_unix
@pytest.mark.parametrize("kept", [0o600, 0o640, 0o444])
def test_a_replaced_file_keeps_its_mode(tmp_path: Path, kept: int) -> None:
    target = tmp_path / "plan.json"
    target.write_bytes(b"old")
    os.chmod(target, kept)
    with umask(0o022):
        write_all({target: b"new"})
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(os.stat(target).st_mode) == kept


@pytest.mark.skipif(not ROOT, reason="giving a file to another owner needs root")
def test_root_keeps_the_owner_of_a_replaced_file(tmp_path: Path) -> None:
    target = tmp_path / "plan.json"
    target.write_bytes(b"old")
    os.chown(target, 4321, 4322)
    write_all({target: b"new"})
    assert (os.stat(target).st_uid, os.stat(target).st_gid) == (4321, 4322)


def test_a_secret_mode_wins_and_exclusive_never_replaces(tmp_path: Path) -> None:
    key = tmp_path / "site-key"
    with umask(0o000):
        write_all({key: b"k"}, mode=0o600, exclusive=True)
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    with pytest.raises(FileExistsError):
        write_all({key: b"other"}, mode=0o600, exclusive=True)
    assert key.read_bytes() == b"k" and temps(tmp_path) == []


# --- names ------------------------------------------------------------------------------------------


@given(st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="/\x00"), min_size=1))
def test_a_temporary_name_always_fits_255_bytes(name: str) -> None:
    raw = os.fsencode(name)
    if len(raw) > 255:
        name = raw[:255].decode("utf-8", "ignore") or "x"
    temp = f"{temp_prefix(name)}abcd_123.tmp"
    assert len(os.fsencode(temp)) <= 255
    assert is_temp_name(temp) and temp.startswith(".")


def test_a_245_character_name_is_written(tmp_path: Path) -> None:
    target = tmp_path / ("a" * 240 + ".json")
    write_all({target: b"{}"})
    assert target.read_bytes() == b"{}" and temps(tmp_path) == []
    multibyte = tmp_path / ("é" * 120 + ".json")  # 245 bytes
    write_all({multibyte: b"{}"})
    assert multibyte.read_bytes() == b"{}" and temps(tmp_path) == []


def test_a_name_over_255_bytes_is_refused_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="longer than 255 bytes"):
        write_all({tmp_path / ("a" * 256): b"x"})


# --- in place: devices, FIFOs, the standard output ---------------------------------------------------


@needs_unix
def test_dev_null_is_written_in_place_and_stays_a_device(tmp_path: Path) -> None:
    write_all({Path("/dev/null"): b"x" * 10_000, tmp_path / "plan.json": b"{}"})
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert (tmp_path / "plan.json").read_bytes() == b"{}"


@needs_dev_full
def test_a_full_device_names_the_file_and_replaces_nothing(tmp_path: Path) -> None:
    target = tmp_path / "plan.json"
    target.write_bytes(b"before")
    with pytest.raises(WriteError) as caught:
        write_all({target: b"after", Path("/dev/full"): b"x" * 100_000})
    assert caught.value.exit_code == EXIT_WRITE == 74
    line = caught.value.render()
    assert "/dev/full" in line and "No space left on device" in line and "\n" not in line
    assert target.read_bytes() == b"before" and temps(tmp_path) == []
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


@needs_unix
def test_a_fifo_is_written_in_place(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    write_all({fifo: b"through the pipe"})
    reader.join(10)
    assert got == [b"through the pipe"]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and temps(tmp_path) == []


def test_a_block_device_is_refused(tmp_path: Path) -> None:
    blocks = [Path("/dev", n) for n in os.listdir("/dev")] if os.path.isdir("/dev") else []
    disk = next((p for p in blocks if p.exists() and stat.S_ISBLK(os.stat(p).st_mode)), None)
    if disk is None:
        pytest.skip("no block device visible here")
    with pytest.raises(InputError, match="block device"):
        check_targets({"json": disk}, [])


# --- links, folders, inputs -------------------------------------------------------------------------


def test_a_link_given_as_the_target_is_followed_and_kept(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_bytes(b"old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write_all({link: b"new"})
    assert link.is_symlink() and real.read_bytes() == b"new" and temps(tmp_path) == []


def test_a_real_path_leaving_within_is_refused(tmp_path: Path) -> None:
    out, outside = tmp_path / "out", tmp_path / "outside"
    out.mkdir()
    outside.mkdir()
    (out / "A-1").symlink_to(outside)
    victim = outside / "victim.json"
    victim.write_bytes(b"theirs")
    (out / "plan.json").symlink_to(victim)
    for target in (out / "A-1" / "plan.json", out / "plan.json"):
        with pytest.raises(InputError, match="leads outside"):
            write_all({target: b"x"}, within=out)
    assert list(outside.iterdir()) == [victim] and victim.read_bytes() == b"theirs"
    assert temps(tmp_path) == []


@pytest.mark.parametrize(
    ("make", "target", "words"),
    [
        (lambda d: (d / "file").write_bytes(b"x"), "file/plan.json", "is a file, not a folder"),
        (lambda d: (d / "dangling").symlink_to(d / "nowhere"), "dangling/plan.json", "which does not exist"),
        (lambda d: (d / "dangling").symlink_to(d / "nowhere"), "dangling", "which does not exist"),
        (lambda d: (d / "folder").mkdir(), "folder", "is a directory"),
    ],
)
def test_a_path_that_cannot_be_a_file_is_refused_before_writing(
    tmp_path: Path, make: object, target: str, words: str
) -> None:
    make(tmp_path)  # type: ignore[operator]
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(InputError, match=words) as caught:
        write_all({tmp_path / "other.json": b"x", tmp_path / target: b"x"})
    assert str(tmp_path / target).split("/")[-1] in caught.value.render()
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_an_input_under_another_name_is_refused(tmp_path: Path) -> None:
    clinic = tmp_path / "clinic.toml"
    clinic.write_text("name = 'x'\n")
    os.link(clinic, tmp_path / "hard.json")
    (tmp_path / "soft.json").symlink_to(clinic)
    for name in ("hard.json", "soft.json"):
        with pytest.raises(InputError, match="is an input file"):
            check_targets({"json": tmp_path / name}, [clinic])


def test_two_outputs_to_standard_output_are_refused_but_dev_null_takes_several(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="standard output") as caught:
        check_targets({"json": Path("-"), "csv": Path("-")}, [])
    assert caught.value.field == "csv"
    check_targets({"json": Path("/dev/null"), "csv": Path("/dev/null"), "ics": Path("-")}, [])


# --- failures ---------------------------------------------------------------------------------------


def test_an_interrupt_while_writing_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "clinic.ics"
    target.write_bytes(b"before")

    def stream(fh: object) -> None:
        fh.write(b"half")  # type: ignore[attr-defined]
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_all({tmp_path / "summary.csv": b"s", target: stream})
    assert target.read_bytes() == b"before" and not (tmp_path / "summary.csv").exists()
    assert temps(tmp_path) == []


def test_atomic_streams_and_replaces_only_on_success(tmp_path: Path) -> None:
    target = tmp_path / "clinic.ics"
    with atomic(target) as fh:
        fh.write(b"one")
        fh.write(b"two")
    assert target.read_bytes() == b"onetwo"
    with pytest.raises(RuntimeError), atomic(target) as fh:
        fh.write(b"three")
        raise RuntimeError
    assert target.read_bytes() == b"onetwo" and temps(tmp_path) == []


def test_a_full_file_system_names_the_file_and_leaves_nothing(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "small") as small:
        kept = small / "agenda.csv"
        kept.write_bytes(b"before")
        with pytest.raises(WriteError) as caught:
            write_all({kept: b"after", small / "agenda.pdf": b"x" * 200_000})
        line = caught.value.render()
        assert str(small / "agenda.pdf") in line and "No space left on device" in line
        assert kept.read_bytes() == b"before" and temps(small) == []
        assert sorted(p.name for p in small.iterdir()) == ["agenda.csv"]


def test_a_read_only_file_system_is_a_path_error(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "ro", "ro") as ro:
        with pytest.raises(InputError, match="read-only file system") as caught:
            write_all({ro / "plan.json": b"{}"})
        assert str(ro) in caught.value.render()


@pytest.mark.skipif(ROOT, reason="root may write in any folder: EACCES needs an ordinary user")
def test_an_unwritable_folder_is_a_path_error(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    os.chmod(locked, 0o500)
    try:
        with pytest.raises(InputError, match="permission denied"):
            write_all({locked / "plan.json": b"{}"})
    finally:
        os.chmod(locked, 0o700)
