"""One exception root for everything lmsched refuses, and the exit code of each kind, defined once.

Each subclass carries the field (or template, or rule) at fault and, where there is a closed set,
the valid choices, so the message a user sees names both. Messages never spell a front end's
flags: where a message tells the user what to give, its `hint` names the option by its field name
(`{course}`) and each front end spells it its own way when it renders the error (the CLI as
`--course`); without a front end it reads `course`.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable

__all__ = [
    "EXIT_BLOCKED",
    "EXIT_CONFLICT",
    "EXIT_DISCREPANCY",
    "EXIT_INPUT",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_SERVER",
    "EXIT_TERMINATED",
    "EXIT_WRITE",
    "BlockedError",
    "ConflictError",
    "InputError",
    "PublishError",
    "SchedulerError",
    "Spell",
    "TemplateError",
    "Terminated",
    "WriteError",
    "escape_unsafe",
    "format_choices",
    "quote",
    "safe_line",
]

EXIT_OK = 0  # done
EXIT_DISCREPANCY = 1  # done, and the result differs: diff, reconcile, batch
EXIT_INPUT = 2  # bad input (InputError, TemplateError): nothing created or changed
EXIT_BLOCKED = 3  # a safety rule blocks the plan (BlockedError): nothing written
EXIT_SERVER = 4  # a calendar server failed (PublishError)
EXIT_CONFLICT = 5  # the workspace holds a newer revision than the one read (ConflictError)
EXIT_INTERNAL = 70  # a bug (EX_SOFTWARE): reported in one line
EXIT_WRITE = 74  # an output could not be written (EX_IOERR: disk full, I/O error): nothing replaced
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT): says how far it got (publish, batch)
EXIT_TERMINATED = 143  # SIGTERM (128 + SIGTERM), e.g. from a service manager: as Ctrl-C otherwise

Spell = Callable[[str], str]
"""How a front end names an option given by its field name: 'accept_edited' -> '--accept-edited'."""


def plain(option: str) -> str:
    """The spelling without a front end: the field name, as words join it ('accept-edited')."""
    return option.replace("_", "-")


QUOTE_LIMIT = 60  # characters of a user's input an error line shows at most
LINE_LIMIT = 2000  # characters of one error line at most, whatever it quotes

# What an error line never prints raw: control characters (terminal escapes), line and paragraph
# separators, bidirectional controls and invisible format characters (BOM, zero-width space).
# Every control (Cc), format (Cf), surrogate (Cs) and line/paragraph separator (Zl, Zp) character
# of Unicode 15 (tests/core/test_hostile_inputs.py checks the table against unicodedata), among
# them the deprecated format controls U+206A-U+206F and the tag characters U+E0000-U+E007F.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e"
    "\u200b-\u200f\u2028-\u202e\u2060-\u206f\ud800-\udfff\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f]"
)
# A quoted input in a message (or click's repr of one) longer than QUOTE_LIMIT.
# (`quote` output is at most QUOTE_LIMIT characters and "... (N characters)": never cut again.)
_LONG_QUOTE = re.compile(rf"(?<!\w)'([^'\n]{{{QUOTE_LIMIT + 30},}}?)'(?!\w)")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def escape_unsafe(text: str) -> str:
    """`text` with control and invisible characters (terminal escapes, bidirectional controls,
    zero-width spaces) written as `\\x1b` or `\\u202e`: for showing refused input back."""
    return _UNSAFE.sub(_escaped, text)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[: limit - 3]}... ({len(text)} characters)"


def quote(value: object, limit: int = QUOTE_LIMIT) -> str:
    """A user's input as an error line shows it: in quotes, at most `limit` characters (and how
    many there were), control and invisible characters escaped (`\x1b`), so a 5 MB cell or a
    terminal escape sequence is never echoed back."""
    raw = str(value)
    shown = escape_unsafe(raw)
    if len(shown) > limit:
        shown = f"{shown[: limit - 3]}... ({len(raw)} characters)"
    return f"'{shown}'"


def safe_line(text: str) -> str:
    """Any message as one line on a terminal: white space runs joined, control and invisible
    characters escaped, each quoted input longer than QUOTE_LIMIT shortened, and the whole at most
    LINE_LIMIT characters (a message built without `quote`, or click's, stays safe too)."""
    text = escape_unsafe(" ".join(text.split()))
    text = _LONG_QUOTE.sub(lambda m: quote(m.group(1)), text)
    return _cut(text, LINE_LIMIT)


def format_choices(choices: Iterable[str], limit: int = 0) -> str:
    items = list(choices)
    if limit and len(items) > limit:
        return ", ".join(items[:limit]) + f", ... ({len(items)} in all)"
    return ", ".join(items)


def _spelled(template: str, spell: Spell) -> str:
    """`template` with each {option} replaced by the front end's spelling of that option."""
    out = []
    for literal, name, _spec, _conversion in string.Formatter().parse(template):
        out.append(literal)
        if name is not None:
            out.append(spell(name))
    return "".join(out)


class SchedulerError(Exception):
    """Root of every error lmsched reports to a user as one line.

    `hint` is a developer-written sentence (never user text) saying what to do, with each option
    it names in braces: `"say which with {course}"`. `options` are choices written the same way
    (`"{delay} DATE {by} DAYS"`), for a choice between options rather than values."""

    exit_code = EXIT_INPUT
    spell: Spell | None = None  # how the front end that caught it spells options (the CLI sets it)

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        choices: Iterable[str] | None = None,
        hint: str | None = None,
        options: Iterable[str] | None = None,
    ) -> None:
        self.field = field
        self.choices = list(choices) if choices is not None else None
        self.options = list(options) if options is not None else None
        self.detail = message
        self.hint = hint
        super().__init__(self.render())

    def render(self, spell: Spell = plain) -> str:
        text = self.detail
        if self.hint:
            hint = _spelled(self.hint, spell)
            text = f"{text}; {hint}" if text else hint
        if self.field:
            text = f"{self.field}: {text}"
        choices = self.choices
        if self.options is not None:
            choices = [_spelled(option, spell) for option in self.options]
        if choices is not None:
            text = f"{text} (valid: {format_choices(choices)})"
        return safe_line(text)


class InputError(SchedulerError):
    """A value the user gave (flag, patient file, clinic file, saved plan) is wrong. Exit code 2."""


class TemplateError(SchedulerError):
    """A template file is missing, malformed or inconsistent. Exit code 2."""

    def __init__(
        self,
        message: str,
        *,
        template: str | None = None,
        field: str | None = None,
        choices: Iterable[str] | None = None,
    ) -> None:
        self.template = template
        super().__init__(message, field=field, choices=choices)


class BlockedError(SchedulerError):
    """A safety rule refuses the plan (a block, or a stop no override lifts). Exit code 3.

    Raised with the message `rules.refusal` makes, the one place that words it."""

    exit_code = EXIT_BLOCKED

    def __init__(
        self, message: str, *, rule: str, sources: Iterable[str] = (), field: str | None = None
    ) -> None:
        self.rule = rule
        self.sources = list(sources)
        super().__init__(message, field=field)

    def render(self, spell: Spell = plain) -> str:
        src = f" [{', '.join(self.sources)}]" if self.sources else ""
        return safe_line(f"blocked by {self.rule}: {self.detail}{src}")


class PublishError(SchedulerError):
    """A calendar server could not be reached, refused the login or failed. Exit code 4.

    The message says which events were written before the failure and which were not."""

    exit_code = EXIT_SERVER


class ConflictError(SchedulerError):
    """Another scheduler saved a revision of the same patient after this one was read (or the
    patient is already in the workspace). Exit code 5; nothing was saved."""

    exit_code = EXIT_CONFLICT


class WriteError(SchedulerError):
    """An output could not be written for a reason that is not the path given: the disk is full,
    a quota is reached, an I/O error. Exit code 74 (EX_IOERR). The message names the file and the
    cause; no target was replaced and no temporary file is left."""

    exit_code = EXIT_WRITE


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised by the CLI's handler: a KeyboardInterrupt, so everything that stops
    cleanly on Ctrl-C (temporary files removed, a publish's progress said) does on SIGTERM too;
    the exit code is then EXIT_TERMINATED."""
