"""What the commands print: findings, notes on overrides, what was written. Line generators and
echoes; the terminal wording that names flags lives here and in the commands themselves (error
hints are spelled by `cli._speller`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import click

__all__ = ["echo_lines", "findings_lines", "refuse_if_blocked", "say_written"]

_HEADINGS = {
    "block": "BLOCK: nothing can be written and no override lifts these",
    "stop": "STOP: nothing is written unless each is overridden with a reason",
    "warn": "WARN: written, and printed on every output",
    "info": "INFO",
}


def findings_lines(plan: Any) -> Iterator[str]:
    """Safety findings grouped by severity, most severe first, with how to lift each stop."""
    if not plan.findings:
        yield "Safety rules: no findings."
        return
    counts = ", ".join(
        f"{sum(f.severity == s for f in plan.findings)} {s}"
        for s in _HEADINGS
        if any(f.severity == s for f in plan.findings)
    )
    yield f"Safety findings ({counts}):"
    overrides = {o.rule: o for o in plan.overrides}
    for severity, heading in _HEADINGS.items():
        group = [f for f in plan.findings if f.severity == severity]
        if not group:
            continue
        yield f"  {heading}"
        for f in group:
            yield f"    {f.rule}: {f.message} [{', '.join(f.sources)}]"
            if f.overridden and f.rule in overrides:
                o = overrides[f.rule]
                by = f" by {o.by}" if o.by else ""
                yield f"      overridden{by} at {o.at.isoformat()}: {o.reason}"
            elif severity == "stop":
                yield f'      to go ahead: --override {f.rule} --override-reason "why, in a sentence"'
    if plan.policy:
        yield f"  site policy: {plan.policy.name} (sha256 {plan.policy.sha256[:12]})"


def echo_lines(lines: Iterable[str], err: bool = False) -> None:
    """The lines on the standard output, or on the standard error (`err`) when an output file is
    going to the standard output (`--json -`), so the two never mix."""
    for line in lines:
        click.echo(line, err=err)


def refuse_if_blocked(result: Any, done: str = "written") -> None:
    """Notes on overrides that lifted nothing, then the refusal when the plan is blocked."""
    for rule_id in result.unused_overrides:
        click.echo(f"lmsched: note: --override {rule_id} had no stop finding to lift; not recorded", err=True)
    error = result.refusal(done)
    if error is not None:
        raise error


def say_written(paths: Iterable[Path]) -> None:
    for path in paths:
        click.echo(f"wrote {path}", err=True)


def revised_calendar_hint(plan: Any, targets: Any) -> None:
    """One line when an .ics of a revised plan is written: not every calendar updates on import."""
    if plan.revision > 0 and "ics" in targets:
        click.echo(
            f"lmsched: note: revision {plan.revision}: Apple Calendar and Thunderbird update the imported "
            "events; Google Calendar and Nextcloud duplicate or refuse them (publish to CalDAV, or delete "
            "the old imported calendar first)",
            err=True,
        )
