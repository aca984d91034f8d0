"""`lmsched site-key init PATH`: a new site key, the secret that keys every patient calendar's UIDs."""

from __future__ import annotations

from pathlib import Path

import click


@click.group("site-key")
def site_key() -> None:
    """The site key: one secret file that every scheduler of a site shares.

    Patient calendars name their events (UID) and series with digests of the record number,
    keyed with this file (HMAC-SHA256), so nobody can recover the record number from a patient's
    .ics. Every scheduler of the site must use the same file: lmsched finds it with --site-key
    FILE, else the clinic file's site_key = "PATH" (relative to the clinic file), else
    LMSCHED_SITE_KEY_FILE, else ~/.config/lmsched/site-key (created on first use). Keep a backup:
    with another key, the next publish or import duplicates every patient's events.
    """


@site_key.command("init")
@click.argument("path", metavar="PATH", type=click.Path(dir_okay=False, path_type=Path))
def init(path: Path) -> None:
    """Create a new random site key at PATH (mode 0600); an existing file is never replaced.

    \b
    Example:
        lmsched site-key init /srv/lmsched/site-key
    then, in the clinic file: site_key = "/srv/lmsched/site-key"
    (or give every scheduler LMSCHED_SITE_KEY_FILE=/srv/lmsched/site-key).
    """
    from ..sitekey import init_key

    made = init_key(path)
    click.echo(
        f"created site key {made.path} (mode 0600): keep it where only the site's schedulers can read "
        f'it, name it in the clinic file (site_key = "PATH") or LMSCHED_SITE_KEY_FILE, and back it up',
        err=True,
    )


COMMANDS = (site_key,)
