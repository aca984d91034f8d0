"""`lmsched batch`: every patient of a spreadsheet, and the centre's agenda."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, TypeVar

import click

from ..errors import EXIT_DISCREPANCY, EXIT_OK
from .options import FORMAT_LIST, printing_options
from .workspace import save_target, workspace_option

T = TypeVar("T")


def _progress_bar(results: Iterator[T], count: int) -> AbstractContextManager[Iterable[T]]:
    """Click's progress bar on stderr, only on a terminal (never into a pipe or a CI log)."""
    return click.progressbar(
        results, length=count, label="Planning", hidden=not sys.stderr.isatty(), file=sys.stderr
    )


@click.command()
@click.argument("patients", metavar="PATIENTS", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Folder for the outputs: DIR/<patient>/plan.*, summary.csv, agenda.csv, agenda.pdf, clinic.ics.",
)
@click.option(
    "--clinic",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Clinic TOML for every row.",
)
@click.option(
    "--formats",
    type=FORMAT_LIST,
    default="json,ics,pdf",
    show_default=True,
    metavar="LIST",
    help="Which files each patient gets: any of json, csv, ics, pdf (comma-separated).",
)
@click.option(
    "--audience",
    type=click.Choice(["patient", "staff"]),
    default="patient",
    show_default=True,
    help="Who each patient's ICS and PDF are for.",
)
@click.option(
    "--jobs", type=click.IntRange(1, 64), metavar="N", help="Worker processes (default: the machine's cores)."
)
@click.option(
    "--chairs",
    type=click.IntRange(0, 500),
    metavar="N",
    help="Infusion chairs (overrides the clinic file's chairs).",
)
@click.option(
    "--paper", type=click.Choice(["letter", "a4"]), default="letter", show_default=True, help="Paper size."
)
@click.option(
    "--now",
    "now_text",
    metavar="ISO_DATETIME",
    help="The plans' creation time (default SOURCE_DATE_EPOCH, else the clock).",
)
@click.option(
    "--site-key",
    "site_key_file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="The site key file for the patient calendars (default: the clinic file's site_key, else "
    "LMSCHED_SITE_KEY_FILE, else ~/.config/lmsched/site-key).",
)
@click.option(
    "--allow-unreviewed-translation",
    "allow_unreviewed",
    is_flag=True,
    help="Rows whose language catalog no qualified medical interpreter has reviewed are planned, "
    "with a notice on every page and event (else they are invalid).",
)
@click.option(
    "--save",
    is_flag=True,
    help="Store each row's plan in the workspace as the patient's first plan (a patient already "
    "there is a conflict on its row, nothing of it written).",
)
@click.option("--decided-by", metavar="NAME", help="With --save: who saves (default: the OS user).")
@workspace_option
@printing_options
def batch(
    patients: Path,
    out_dir: Path,
    now_text: str | None,
    save: bool,
    workspace_path: Path | None,
    **options: Any,
) -> int:
    """Plan every patient of a spreadsheet (or folder of patient files) and the centre's agenda.

    PATIENTS is a CSV whose header names patient-file keys (start, age or dob, route, rt, rt_start,
    weight_kg, height_cm, weight_date, hold_around_rt, patient_id, patient_name or given_name,
    family_name and preferred_name, language, ...; an empty cell is not given) and at most one
    systemic course per row (systemic = template id, systemic_start, cycles, dose_level), or a
    folder of patient TOML files (several [[systemic]] courses each).
    Each patient's files go to DIR/<safe patient id>/; a row that is invalid or blocked by a safety
    rule is reported with its line and the others go on. DIR/summary.csv lists every row's outcome;
    DIR/agenda.csv, DIR/agenda.pdf and DIR/clinic.ics hold every IT session and IV infusion (chair
    time: the clinic file's prep_min + the infusion + observation_min), with the days and
    times over chair capacity flagged (--chairs, or `chairs` in the clinic file), and every
    check done at the clinic (a blood count before an IT dose: its time and minutes, no chair
    unless its template books one; CSF cytology on its IT dose's row). Checks done elsewhere
    (MRI, echocardiogram, CSF flow study) are in each patient's own files only. Exit code 0 when
    every row succeeded, 1 when any failed or was blocked; Ctrl-C (130) or SIGTERM (143) stops the
    workers after the rows in hand, removes temporary files and says how many patients were done
    (rerun the same batch to finish). Example:

        lmsched batch week.csv --out week/ --clinic clinic.toml --chairs 4
        lmsched batch week.csv --out week/ --save --workspace clinic.lmsched

    With --save the agenda of the whole centre (every plan in the workspace) is
    `lmsched agenda --from DATE --to DATE`.
    """
    from ..service import run_batch
    from .options import font_options, site_key_notice

    options["fonts"] = font_options(options["fonts"])
    report = run_batch(
        patients,
        out_dir,
        now=now_text,
        progress=_progress_bar,
        notice=site_key_notice,
        save=save_target(save, workspace_path),
        **options,
    )
    for line in report.lines:
        click.echo(line)
    return EXIT_OK if report.all_ok else EXIT_DISCREPANCY


COMMANDS = (batch,)
