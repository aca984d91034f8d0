"""One exception root for everything lmsched refuses, and the exit code of each kind, defined once.

Each subclass carries the field (or template, or rule) at fault and, where there is a closed set,
the valid choices, so the message a user sees names both. Messages never spell a front end's
flags: where a message tells the user what to give, its `hint` names the option by its field name
(`{course}`) and each front end spells it its own way when it renders the error (the CLI as
`--course`); without a front end it reads `course`.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterable

__all__ = [
    "EXIT_BLOCKED",
    "EXIT_DISCREPANCY",
    "EXIT_INPUT",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_SERVER",
    "BlockedError",
    "InputError",
    "PublishError",
    "SchedulerError",
    "Spell",
    "TemplateError",
    "format_choices",
]

EXIT_OK = 0  # done
EXIT_DISCREPANCY = 1  # done, and the result differs: diff, reconcile, batch
EXIT_INPUT = 2  # bad input (InputError, TemplateError): nothing created or changed
EXIT_BLOCKED = 3  # a safety rule blocks the plan (BlockedError): nothing written
EXIT_SERVER = 4  # a calendar server failed (PublishError)
EXIT_INTERNAL = 70  # a bug (EX_SOFTWARE): reported in one line
EXIT_INTERRUPTED = 130  # Ctrl-C during a publish (128 + SIGINT): says how far it got

Spell = Callable[[str], str]
"""How a front end names an option given by its field name: 'accept_edited' -> '--accept-edited'."""


def plain(option: str) -> str:
    """The spelling without a front end: the field name, as words join it ('accept-edited')."""
    return option.replace("_", "-")


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
        return " ".join(text.split())


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
        return f"blocked by {self.rule}: {' '.join(self.detail.split())}{src}"


class PublishError(SchedulerError):
    """A calendar server could not be reached, refused the login or failed. Exit code 4.

    The message says which events were written before the failure and which were not."""

    exit_code = EXIT_SERVER
