"""The site key: one secret per site that keys every UID and series digest a patient sees.

A patient's calendar names its events (UID) and its series (X-LMSCHED-SERIES) with digests. Unkeyed,
those digests are a function of the record number alone, and trying every record number
(RCC-000000 to RCC-999999 takes about a second) recovers it from a patient's `.ics`. Keyed with
HMAC-SHA256 and a secret every scheduler of the site shares, they are stable (the same plan gives
the same UIDs, so a revised calendar replaces the old one) and reveal nothing without the key.

This module is the edge that reads, validates and creates key files (an I/O adapter: the exporters
only ever see the key's bytes). Where the key comes from, first found wins:

1. a file named explicitly by the front end (`--site-key FILE`),
2. the clinic file's `site_key = "PATH"` (relative to the clinic file),
3. the file named by `LMSCHED_SITE_KEY_FILE`,
4. the user's own default, `$XDG_CONFIG_HOME/lmsched/site-key` (else `~/.config/lmsched/site-key`),
   created with a new random key, mode 0600, the first time a patient calendar needs it.

A file named in 1-3 must exist and be a valid key: it is never created behind the user's back
(a typo would otherwise split a site into two keys). The format is one line,
`lmsched-site-key-v1 <64 hex digits>` (32 random bytes), so a key file is recognisable, can be
copied by hand or printed for a backup, and a wrong file (a PEM key, an empty file) is refused.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError

__all__ = [
    "ENV",
    "HEADER",
    "KEY_BYTES",
    "SiteKey",
    "default_path",
    "format_key",
    "init_key",
    "key_id",
    "new_key",
    "parse_key",
    "read_key",
    "resolve",
]

ENV = "LMSCHED_SITE_KEY_FILE"
HEADER = "lmsched-site-key-v1"
KEY_BYTES = 32  # 256 bits: HMAC-SHA256's block of security; fewer is refused
MAX_FILE = 4096  # a key file is one short line; anything bigger is not one
_LINE = re.compile(rf"^{HEADER} ([0-9A-Fa-f]+)$")
_INIT_HINT = "make one with `lmsched site-key init FILE`"


@dataclass(frozen=True)
class SiteKey:
    """A site key read (or just created) at `path`; `created` when this run made it."""

    key: bytes = field(repr=False)  # never in a repr, log or traceback
    path: Path
    created: bool = False

    def notice(self) -> str:
        """The one line a front end shows when the default key was created."""
        return (
            f"lmsched: created a new site key in {self.path}: give a copy of that file to every "
            f"scheduler of this site (and set {ENV} to it), or name one shared file in the clinic "
            'file (site_key = "PATH"); see `lmsched site-key --help`'
        )


def key_id(key: bytes) -> str:
    """Which key this is, for a plan to record (16 hex digits of an HMAC under the key itself:
    tells two keys apart, reveals nothing of either)."""
    import hashlib
    import hmac

    return hmac.new(key, b"lmsched site key id", hashlib.sha256).hexdigest()[:16]


def format_key(key: bytes) -> bytes:
    """The text of a key file holding `key`."""
    return f"{HEADER} {key.hex()}\n".encode("ascii")


def new_key() -> bytes:
    """A new random key: the one place lmsched uses randomness (everything else is derived)."""
    import secrets

    return secrets.token_bytes(KEY_BYTES)


def parse_key(data: bytes, where: str, field_name: str) -> bytes:
    """The key in a key file's bytes; `where` names the file in the message when it is not one."""
    try:
        text = data.decode("ascii").strip()
    except UnicodeDecodeError:
        text = ""
    found = _LINE.match(text) if text and "\n" not in text else None
    if found is None:
        if not text:
            what = "is empty" if not data.strip() else "is not an lmsched site key"
        else:
            what = "is not an lmsched site key"
        raise InputError(
            f"{where} {what} (expected one line '{HEADER} ' and {2 * KEY_BYTES} hex digits)",
            field=field_name,
            hint=_INIT_HINT,
        )
    digits = found.group(1)
    if len(digits) % 2:
        raise InputError(f"{where}: the key has an odd number of hex digits", field=field_name)
    if len(digits) < 2 * KEY_BYTES:
        raise InputError(
            f"{where}: the key is too short ({len(digits)} hex digits; at least {2 * KEY_BYTES})",
            field=field_name,
            hint=_INIT_HINT,
        )
    return bytes.fromhex(digits)


def read_key(path: Path, field_name: str) -> SiteKey:
    """The key in the file at `path`, named by the setting `field_name`. A missing, unreadable or
    malformed file is an input error naming the file: it is never created here."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError(f"site key file {path} does not exist", field=field_name, hint=_INIT_HINT) from None
    except OSError as exc:
        raise InputError(f"cannot read site key file {path}: {exc.strerror}", field=field_name) from None
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"site key file {path} is not a file", field=field_name)
    if info.st_size > MAX_FILE:
        raise InputError(
            f"{path} is not an lmsched site key ({info.st_size} bytes; a key file is one line)",
            field=field_name,
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read site key file {path}: {exc.strerror}", field=field_name) from None
    return SiteKey(parse_key(data, str(path), field_name), path)


def default_path(environ: Mapping[str, str]) -> Path:
    """The user's own key file: $XDG_CONFIG_HOME/lmsched/site-key, else ~/.config/lmsched/site-key
    (a relative XDG_CONFIG_HOME is ignored, as the XDG Base Directory specification says)."""
    base = environ.get("XDG_CONFIG_HOME", "")
    folder = Path(base) if base and os.path.isabs(base) else Path.home() / ".config"
    return folder / "lmsched" / "site-key"


def _create(path: Path, key: bytes, field_name: str) -> None:
    """Write a new key file at `path` (mode 0600, atomically); FileExistsError when one is there."""
    from .writer import write_all

    try:
        write_all({path: format_key(key)}, mode=0o600, exclusive=True)
    except FileExistsError:
        raise
    except OSError as exc:
        raise InputError(f"cannot create site key file {path}: {exc.strerror}", field=field_name) from None


def init_key(path: Path) -> SiteKey:
    """`lmsched site-key init PATH`: a new random key at `path`, mode 0600; an existing file (a key
    that calendars were made with, perhaps) is never replaced."""
    if path.exists() or path.is_symlink():
        raise InputError(
            f"{path} already exists; it is never replaced (calendars made with it would duplicate)",
            field="PATH",
            hint="choose another path, or remove the file yourself if you are sure",
        )
    if path.parent.exists() and not path.parent.is_dir():
        raise InputError(f"cannot create {path}: {path.parent} is not a folder", field="PATH")
    key = new_key()
    try:
        _create(path, key, "PATH")
    except FileExistsError:
        raise InputError(f"{path} already exists; it is never replaced", field="PATH") from None
    return SiteKey(key, path, created=True)


def _default(environ: Mapping[str, str], create: bool) -> SiteKey:
    path = default_path(environ)
    if path.exists() or path.is_symlink():
        return read_key(path, "site key")
    if not create:
        raise InputError(f"no site key: {ENV} is not set and {path} does not exist", field="site key")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"cannot create {path.parent}: {exc.strerror}", field="site key", hint=_INIT_HINT
        ) from None
    key = new_key()
    try:
        _create(path, key, "site key")
    except FileExistsError:  # another lmsched made it a moment ago: use that one
        return read_key(path, "site key")
    return SiteKey(key, path, created=True)


def resolve(
    *,
    explicit: Path | None = None,
    clinic: Path | None = None,
    environ: Mapping[str, str] | None = None,
    create: bool = True,
) -> SiteKey:
    """The site key, first found: `explicit` (a front end's option), the clinic file's `site_key`
    (already resolved against the clinic file's folder), `LMSCHED_SITE_KEY_FILE`, the default file
    (created on first use unless `create` is false: the result says `created`)."""
    env = os.environ if environ is None else environ
    if explicit is not None:
        return read_key(explicit, "site-key")
    if clinic is not None:
        return read_key(clinic, "site_key")
    named = env.get(ENV, "")
    if named:
        return read_key(Path(named), ENV)
    return _default(env, create)
