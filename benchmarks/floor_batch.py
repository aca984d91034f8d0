"""The floor for `lmsched batch` (issue 8): the least a script can do for the same kind of output.

"A minimal script written for the benchmark that expands the same IT methotrexate regimen with
dateutil, writes an iCalendar file with `icalendar` and a one-table ReportLab PDF per patient, in
one process, with no validation or rules." It reads the same patients CSV (benchmarks/synthetic.py)
and writes DIR/<patient_id>/plan.ics and plan.pdf for each row.

What it does not do, on purpose: no input validation, templates, holidays, clinic closures,
minimum spacing, safety rules, RT or memantine events, alarms, summaries or agenda. Doses on a
Saturday or Sunday move to the Monday. The regimen (templates/regimens/it-mtx-intensive.toml) is
copied here as constants: induction twice weekly x4 weeks (days 0 and 3), consolidation weekly x4,
then monthly maintenance; dose by age on the dose day (6/8/10/12/15 mg from 0/1/2/3/18 years).

Usage: python benchmarks/floor_batch.py PATIENTS.csv --out DIR [--now ISO]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from icalendar import Calendar, Event
from reportlab import rl_config
from reportlab.lib.pagesizes import letter
from reportlab.platypus import SimpleDocTemplate, Table

TZ = ZoneInfo("America/New_York")
SESSION = dt.time(9, 0)
DURATION = dt.timedelta(minutes=60)
AGE_BANDS = [(18, 15), (3, 12), (2, 10), (1, 8), (0, 6)]  # (from whole years, mg), oldest first
INDUCTION = [7 * week + offset for week in range(4) for offset in (0, 3)]  # 8 doses
CONSOLIDATION = [28 + 7 * week for week in range(4)]  # 4 doses, after induction's 4 weeks
MAINTENANCE_START = 56  # days after the start: where consolidation's 4 weeks end


def dose_days(start: dt.date, maintenance: int) -> list[dt.date]:
    """Planned days of every dose, weekends moved to the Monday after."""
    days = [start + dt.timedelta(days=d) for d in INDUCTION + CONSOLIDATION]
    anchor = start + dt.timedelta(days=MAINTENANCE_START)
    days += [anchor + relativedelta(months=k) for k in range(maintenance)]
    return [d + dt.timedelta(days=7 - d.weekday()) if d.weekday() >= 5 else d for d in days]


def dose_mg(row: dict[str, str], day: dt.date) -> int:
    """Age-band dose on `day`: from the birth date if given, else the age (whole years) at the start."""
    dob = row["dob"]
    years = relativedelta(day, dt.date.fromisoformat(dob)).years if dob else int(row["age"])
    return next(mg for from_years, mg in AGE_BANDS if years >= from_years)


def write_ics(path: Path, row: dict[str, str], doses: list[tuple[dt.date, int]], now: dt.datetime) -> None:
    cal = Calendar()
    cal.add("prodid", "-//lmsched benchmark floor//EN")
    cal.add("version", "2.0")
    for n, (day, mg) in enumerate(doses, 1):
        begin = dt.datetime.combine(day, SESSION, tzinfo=TZ)
        event = Event()
        event.add("uid", f"{row['patient_id']}-{n}@floor.example")
        event.add("dtstamp", now)
        event.add("dtstart", begin)
        event.add("dtend", begin + DURATION)
        event.add("summary", f"Methotrexate {mg} mg ({row['route']})")
        cal.add_component(event)
    path.write_bytes(cal.to_ical())


def write_pdf(path: Path, row: dict[str, str], doses: list[tuple[dt.date, int]]) -> None:
    data = [["Date", "Time", "Dose", "Route"]]
    data += [[day.isoformat(), SESSION.strftime("%H:%M"), f"{mg} mg", row["route"]] for day, mg in doses]
    SimpleDocTemplate(str(path), pagesize=letter, title=row["patient_id"]).build([Table(data, repeatRows=1)])


def plan_patient(row: dict[str, str], out: Path, now: dt.datetime) -> None:
    days = dose_days(dt.date.fromisoformat(row["start"]), int(row["maintenance"] or 6))
    doses = [(day, dose_mg(row, day)) for day in days]
    folder = out / row["patient_id"]
    folder.mkdir(parents=True, exist_ok=True)
    write_ics(folder / "plan.ics", row, doses, now)
    write_pdf(folder / "plan.pdf", row, doses)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark floor: ICS + one-table PDF per patient.")
    parser.add_argument("patients", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--now", default="2026-11-23T09:00:00-05:00")
    args = parser.parse_args(argv)
    rl_config.invariant = 1  # reproducible PDFs, as lmsched writes them
    now = dt.datetime.fromisoformat(args.now)
    with args.patients.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            plan_patient(row, args.out, now)
    return 0


if __name__ == "__main__":
    sys.exit(main())
