"""Read the gettext catalogs of patient outputs: lmsched's own (`scheduler/locale/LANG/LC_MESSAGES/
lmsched.po`) and a centre's (`LMSCHED_LOCALE_PATH`, folders of the same shape, searched first, so a
centre adds a language or replaces a shipped catalog).

Catalogs are read as `.po` text with Babel (no compiled `.mo` to keep in step); fuzzy and empty
entries are left untranslated. Medical instructions must not reach a patient unreviewed: the
header's `X-Lmsched-Reviewed-By` names who reviewed the catalog (and `X-Lmsched-Reviewed-On`
when); a catalog without a reviewer is used only when the caller allows it, and then every
output says so (`Language.notice`).

A catalog is refused whole, in one line, rather than half-used: a file Babel cannot read (an
unknown keyword, an unclosed quote, a duplicate msgid), a translation whose `{placeholders}` are
not its English's (a renamed one would fail where it is shown; a dropped one loses a date or a
dose), or a language Babel has no dates for.
"""

from __future__ import annotations

import os
import re
import string
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from .errors import InputError, quote
from .i18n import ENGLISH, Language

__all__ = [
    "DOMAIN",
    "LOCALE_ENV",
    "available",
    "catalog_path",
    "context_key",
    "load_language",
    "placeholder_problem",
    "placeholders",
    "shipped_dir",
    "template_path",
    "untranslated",
]

DOMAIN = "lmsched"
LOCALE_ENV = "LMSCHED_LOCALE_PATH"
_CODE = re.compile(r"^[a-z]{2,3}(-[A-Z][A-Za-z0-9]{1,7})?$")
_UNREVIEWED_HINT = "pass {allow_unreviewed_translation} to print it with a notice on every page and event"


def shipped_dir() -> Path:
    return Path(__file__).resolve().parent / "locale"


def template_path() -> Path:
    """The message template every catalog is made from (`make catalogs` writes it)."""
    return shipped_dir() / f"{DOMAIN}.pot"


def _search_path() -> list[Path]:
    extra = os.environ.get(LOCALE_ENV, "")
    dirs = [Path(p) for p in extra.split(os.pathsep) if p]
    return [*dirs, shipped_dir()]


def _folder(code: str) -> str:
    return code.replace("-", "_")


def catalog_path(code: str) -> Path | None:
    """The catalog used for `code`: the first found along LMSCHED_LOCALE_PATH, then lmsched's."""
    for base in _search_path():
        candidate = base / _folder(code) / "LC_MESSAGES" / f"{DOMAIN}.po"
        if candidate.is_file():
            return candidate
    return None


def available() -> list[str]:
    """Every language with a catalog (and English), sorted."""
    codes = {"en"}
    for base in _search_path():
        if base.is_dir():
            for child in base.iterdir():
                code = child.name.replace("_", "-")
                if _CODE.match(code) and (child / "LC_MESSAGES" / f"{DOMAIN}.po").is_file():
                    codes.add(code)
    return sorted(codes)


def context_key(context: str, message: str) -> str:
    """Where a message with a context (`pgettext`) is kept: GNU gettext's own key, context EOT
    message, so it never takes the place of the same English without a context."""
    return f"{context}\x04{message}"


def placeholders(text: str) -> Counter[str] | None:
    """The `{named}` fields of a format string, counted (None: not a valid format string)."""
    try:
        return Counter(name for _, name, _, _ in string.Formatter().parse(text) if name is not None)
    except ValueError:
        return None


def placeholder_problem(msgid: str, msgid_plural: str | None, msgstrs: Iterable[str]) -> str | None:
    """What is wrong with a translation's placeholders, or None. A singular translation has its
    English's placeholders, each as often; a plural form has only placeholders of the English forms
    (a language may leave the number out of its "one" form), and the same set across the forms'
    union. A message that is no format string in English is never formatted: anything goes."""
    english = placeholders(msgid)
    if english is None:
        return None
    wanted = set(english)
    if msgid_plural is not None:
        plural = placeholders(msgid_plural)
        if plural is None:
            return None
        wanted |= set(plural)
    for text in msgstrs:
        if not text:
            continue
        found = placeholders(text)
        if found is None:
            return f"the translation {quote(text)} is not a valid format string (a single brace?)"
        if msgid_plural is None:
            if found != english:
                missing = sorted(set(english) - set(found))
                extra = sorted(set(found) - set(english))
                parts = [f"drops {{{n}}}" for n in missing] + [f"adds {{{n}}}" for n in extra]
                if not parts:  # the same names, a different count
                    parts = ["repeats or leaves out a placeholder"]
                return f"the translation of {quote(msgid)} {', '.join(parts)}"
        elif not set(found) <= wanted:
            extra = sorted(set(found) - wanted)
            return f"the translation of {quote(msgid)} adds {', '.join(f'{{{n}}}' for n in extra)}"
    return None


def _headers(text: str) -> dict[str, str]:
    """The header entry's fields (Babel keeps only the standard ones, so X-Lmsched-* are read here)."""
    from babel.messages.pofile import denormalize

    match = re.search(r'^msgid ""[ \t]*\r?\nmsgstr ((?:[ \t]*".*"[ \t]*(?:\r?\n|$))+)', text, re.MULTILINE)
    if not match:
        return {}
    body = denormalize(match.group(1))
    fields = {}
    for line in body.splitlines():
        name, sep, value = line.partition(":")
        if sep:
            fields[name.strip().lower()] = value.strip()
    return fields


def _entries(text: str) -> int:
    """How many entries (header included) the text of a .po file starts: a `msgid` keyword at the
    start of a line (obsolete `#~` entries are comments)."""
    return len(re.findall(r"^msgid[ \t]", text, re.MULTILINE))


@lru_cache(maxsize=16)
def _read(path: Path, mtime_ns: int, field: str) -> Language:
    import gettext
    import io

    from babel import Locale, UnknownLocaleError
    from babel.messages.pofile import PoFileError, read_po

    where = f"the catalog {path}"
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{where} is not UTF-8 text (byte {exc.start})", field=field) from None
    try:
        catalog = read_po(io.StringIO(text), abort_invalid=True)
    except PoFileError as exc:
        line = exc.lineno + 1
        raise InputError(
            f"{where} is not a readable gettext catalog (line {line}: {exc.args[0]})", field=field
        ) from None
    except Exception as exc:  # Babel raises several kinds on a malformed catalog
        raise InputError(f"{where} is not a readable gettext catalog ({exc})", field=field) from None
    headers = _headers(text)
    entries = [m for m in catalog if m.id]
    read = len(entries) + (1 if headers else 0)
    if read != _entries(text):
        raise InputError(
            f"{where} has {_entries(text)} entries but {read} could be read "
            "(a duplicate msgid, an unclosed quote or a msgstr without its msgid)",
            field=field,
        )
    code = path.parent.parent.name.replace("_", "-")
    try:
        Locale.parse(_folder(code))
    except (UnknownLocaleError, ValueError):
        raise InputError(
            f"{where}: Babel has no dates or plural rules for {code!r}, so its outputs cannot be written",
            field=field,
        ) from None
    messages: dict[object, str] = {}
    for message in entries:
        if message.fuzzy:
            continue
        if isinstance(message.id, tuple | list):
            strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
            singular, plural_id = str(message.id[0]), str(message.id[1])
            problem = placeholder_problem(singular, plural_id, [str(s) for s in strings])
            key = singular if message.context is None else context_key(message.context, singular)
            for index, translated in enumerate(strings):
                if translated:
                    messages[(key, index)] = str(translated)
        else:
            msgid, translated = str(message.id), str(message.string or "")
            problem = placeholder_problem(msgid, None, [translated])
            if translated:
                messages[msgid if message.context is None else context_key(message.context, msgid)] = (
                    translated
                )
        if problem:
            at = f" (line {message.lineno})" if message.lineno else ""
            raise InputError(f"{where}{at}: {problem}", field=field)
    plural_rule = headers.get("plural-forms", "nplurals=2; plural=(n != 1);")
    expression = re.search(r"plural\s*=\s*([^;]+)", plural_rule)
    try:
        plural = gettext.c2py(expression.group(1) if expression else "n != 1")
    except (ValueError, SyntaxError):
        raise InputError(f"{where} has an unreadable Plural-Forms header", field=field) from None
    return Language(
        code=code,
        messages=messages,
        plural=plural,
        reviewed_by=headers.get("x-lmsched-reviewed-by") or None,
        reviewed_on=headers.get("x-lmsched-reviewed-on") or None,
        source=str(path),
    )


def load_language(code: str, allow_unreviewed: bool = False, field: str = "language") -> Language:
    """The Language for `code`; bad input (an unknown or malformed code, an unreadable catalog, an
    unreviewed catalog not allowed) is one line naming `field` and the choices."""
    for base in _search_path()[:-1]:
        if not base.is_dir():
            raise InputError(
                f"{quote(str(base), 400)} is not a folder (a folder of LANG/LC_MESSAGES/{DOMAIN}.po)",
                field=LOCALE_ENV,
            )
    if not _CODE.match(code):
        raise InputError(f"{quote(code)} is not a language code", field=field, choices=available())
    path = catalog_path(code)
    if path is None:
        if code == "en":
            return ENGLISH
        raise InputError(f"no catalog for {quote(code)}", field=field, choices=available())
    language = _read(path, path.stat().st_mtime_ns, field)
    if language.notice and not allow_unreviewed:
        raise InputError(
            f"the {code!r} catalog ({path}) has not been reviewed by a qualified medical interpreter "
            "(no name in its X-Lmsched-Reviewed-By header)",
            field=field,
            hint=_UNREVIEWED_HINT,
        )
    return language


def untranslated(language: Language) -> list[str]:
    """The messages of lmsched's template (`lmsched.pot`) that `language` leaves in English, sorted:
    a centre's catalog made for an older lmsched lacks the newer messages (empty for English, or
    when the template is not installed)."""
    import io

    from babel.messages.pofile import read_po

    if language.english or not template_path().is_file():
        return []
    template = read_po(io.StringIO(template_path().read_text("utf-8")))
    missing = []
    for message in template:
        if not message.id:
            continue
        singular = str(message.id[0] if isinstance(message.id, tuple | list) else message.id)
        key = singular if message.context is None else context_key(message.context, singular)
        found = language.messages.get((key, 0) if isinstance(message.id, tuple | list) else key)
        if not found:
            missing.append(singular)
    return sorted(missing)
