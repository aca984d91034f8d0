"""`lmsched rules` and `lmsched templates`: what lmsched knows, as tables."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import click

from .present import echo_lines


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> Iterator[str]:
    """Columns padded to their widest cell; the last column runs free."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header[:-1])]
    for row in (header, *rows):
        yield "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[-1]


@click.command()
def rules() -> None:
    """List every safety rule: id, default severity, sources and summary."""
    from ..service import list_rules

    rows = [(r.id, r.severity, ",".join(r.sources) or "convention", r.summary) for r in list_rules()]
    echo_lines(_table(("rule", "severity", "sources", "summary"), rows))


@click.group(invoke_without_command=True)
@click.pass_context
def templates(ctx: click.Context) -> None:
    """List the regimen, radiotherapy, medication, systemic and monitoring (check) templates."""
    if ctx.invoked_subcommand is not None:
        return
    from ..service import list_templates

    rows = [(t.id, t.kind, t.evidence, t.status, t.title) for t in list_templates()]
    echo_lines(_table(("id", "kind", "evidence", "status", "title"), rows))


@templates.command("show")
@click.argument("template_id", metavar="ID")
def show(template_id: str) -> None:
    """Print one template: schedule, dose rule, evidence and sources."""
    from ..service import template_lines

    echo_lines(template_lines(template_id))


COMMANDS = (rules, templates)
