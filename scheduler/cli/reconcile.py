"""`lmsched reconcile`: the doses given against the planned clinic doses (IT and IV)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from ..errors import EXIT_DISCREPANCY, EXIT_OK
from .options import ACCEPT_EDITED, DATE, ascii_int, output_option, to_stderr
from .present import echo_lines, say_written
from .workspace import PLAN_OR_PATIENT, now_option, plan_source, workspace_option


@click.command()
@PLAN_OR_PATIENT
@click.argument("given_file", metavar="GIVEN.csv", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--window",
    type=ascii_int(),
    default=2,
    show_default=True,
    metavar="DAYS",
    help="How far from its planned day a record may be and still count for that dose (0-30).",
)
@click.option(
    "--as-of",
    type=DATE,
    metavar="DATE",
    help="Doses due by this day count as missed when not given (default: today in the clinic's zone).",
)
@output_option("--csv", "csv_path", "Write the report, one row per planned dose and unplanned record (CSV).")
@output_option("--json", "json_path", "Write the report (JSON).")
@ACCEPT_EDITED
@click.option(
    "--save",
    is_flag=True,
    help="Keep the records with the patient in the workspace, then reconcile every record kept.",
)
@click.option("--decided-by", metavar="NAME", help="Who records them (default: the operating-system user).")
@now_option
@workspace_option
def reconcile(
    plan_file: str,
    given_file: Path,
    window: int,
    as_of: dt.date | None,
    csv_path: Path | None,
    json_path: Path | None,
    accept_edited: bool,
    save: bool,
    decided_by: str | None,
    now_text: str | None,
    workspace_path: Path | None,
) -> int:
    """Set the doses given (GIVEN.csv) against the planned clinic doses, dose by dose.

    The clinic doses are the IT doses and the systemic IV infusions; tablets are taken at home and
    not reconciled (an oral record is refused). GIVEN.csv has a header with the columns date, drug,
    dose_mg, route (ommaya, lumbar or iv) and optionally time, lot, initials. Each planned dose
    is reported as given, late or early (with days), wrong dose, wrong route, missed or still due;
    records that match no planned dose are reported too, and total planned and given mg per drug.
    Exit code 0 when everything matches, 1 when there are discrepancies, 2 when a row is malformed
    (each is named with its line).
    Example:

        lmsched reconcile plan.json given.csv --as-of 2027-01-15 --csv report.csv

    With a workspace, PLAN.json may be the patient id; --save keeps the records with the patient
    (a record already kept is not kept twice) and reconciles every record kept so far:

        lmsched reconcile RCC-000123 given.csv --save --workspace clinic.lmsched
    """
    from ..export.reconcile import render_lines
    from ..service import reconcile_given

    targets = {name: path for name, path in (("csv", csv_path), ("json", json_path)) if path}
    result = reconcile_given(
        plan_source(plan_file, workspace_path),
        given_file,
        window=window,
        as_of=as_of,
        targets=targets,
        accept_edited=accept_edited,
        save=save,
        decided_by=decided_by,
        now=now_text,
    )
    echo_lines(render_lines(result.report), err=to_stderr(targets))  # stderr when --csv - takes stdout
    say_written(result.written)
    return EXIT_OK if result.report.matches else EXIT_DISCREPANCY


COMMANDS = (reconcile,)
