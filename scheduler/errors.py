"""One exception root for everything lmsched refuses, so the CLI maps errors to exit codes in one place.

Each subclass carries the field (or template) at fault and, where there is a closed set, the
valid choices, so the message a user sees names both.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "BlockedError",
    "InputError",
    "PublishError",
    "SchedulerError",
    "TemplateError",
    "format_choices",
]


def format_choices(choices: Iterable[str], limit: int = 0) -> str:
    items = list(choices)
    if limit and len(items) > limit:
        return ", ".join(items[:limit]) + f", ... ({len(items)} in all)"
    return ", ".join(items)


class SchedulerError(Exception):
    """Root of every error lmsched reports to a user as one line."""

    exit_code = 2

    def __init__(
        self, message: str, *, field: str | None = None, choices: Iterable[str] | None = None
    ) -> None:
        self.field = field
        self.choices = list(choices) if choices is not None else None
        self.detail = message
        super().__init__(self.render())

    def render(self) -> str:
        text = self.detail
        if self.field:
            text = f"{self.field}: {text}"
        if self.choices is not None:
            text = f"{text} (valid: {format_choices(self.choices)})"
        return " ".join(text.split())


class InputError(SchedulerError):
    """A value the user gave (flag, patient file, clinic file) is wrong. Exit code 2."""


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
    """A safety limit refuses the plan (e.g. a withdrawn product, a dose above the age band). Exit code 3."""

    exit_code = 3

    def __init__(
        self, message: str, *, rule: str, sources: Iterable[str] = (), field: str | None = None
    ) -> None:
        self.rule = rule
        self.sources = list(sources)
        super().__init__(message, field=field)

    def render(self) -> str:
        src = f" [{', '.join(self.sources)}]" if self.sources else ""
        return f"blocked by {self.rule}: {' '.join(self.detail.split())}{src}"


class PublishError(SchedulerError):
    """A calendar server could not be reached, refused the login or failed. Exit code 4.

    The message says which events were written before the failure and which were not."""

    exit_code = 4
