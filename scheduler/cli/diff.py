"""`lmsched diff`: what changed between two revisions of a plan."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import EXIT_DISCREPANCY, EXIT_OK
from .options import ACCEPT_EDITED

_PLAN = click.Path(dir_okay=False, path_type=Path)


@click.command()
@click.argument("old_file", metavar="OLD.json", type=_PLAN)
@click.argument("new_file", metavar="NEW.json", type=_PLAN)
@ACCEPT_EDITED
def diff(old_file: Path, new_file: Path, accept_edited: bool) -> int:
    """What changed between two versions of a plan: added, moved, cancelled and dose-changed events.

    Events are matched by UID and listed in date order. Exit code 0 when the events are the same,
    1 when they differ. Example:

        lmsched diff plan.json plan-r1.json
    """
    from ..service import diff_files

    old, new, differences = diff_files(old_file, new_file, accept_edited)
    click.echo(f"{old_file} (revision {old.revision}) -> {new_file} (revision {new.revision})")
    if not differences:
        click.echo("no differences in the events")
        return EXIT_OK
    for d in differences:
        click.echo(f"  {d.line()}")
    counts: dict[str, int] = {}
    for d in differences:
        counts[d.kind] = counts.get(d.kind, 0) + 1
    click.echo(f"{len(differences)} differences: " + ", ".join(f"{n} {k}" for k, n in counts.items()))
    return EXIT_DISCREPANCY


COMMANDS = (diff,)
