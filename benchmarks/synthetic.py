"""Synthetic patients for the batch benchmark: one CSV row per patient, the patient-file fields as headers.

The mix is fixed by the seed, so every run (and the floor) plans the same patients: mostly adults
(18-85, some by age, some by birth date), a few children by birth date (their doses follow the age
bands), Ommaya and lumbar routes, about a third with a brain RT course, starts on weekdays spread
over 2027. Every row is meant to plan without a blocking finding (no CSI, normal CSF flow, no
unvalved shunt, preservative-free methotrexate), so a batch of them measures successful work.
Warnings (low KPS, WBRT overlap, lumbar route) are allowed: they do not block.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import sys
from pathlib import Path

__all__ = ["FIELDS", "RT_COURSES", "write_patients"]

FIELDS = [
    "patient_id",
    "patient_name",
    "dob",
    "age",
    "start",
    "route",
    "regimen",
    "maintenance",
    "rt",
    "rt_start",
    "memantine",
    "crcl",
    "kps",
    "csf_flow",
    "shunt",
    "formulation",
]
# Brain RT only: craniospinal RT with methotrexate is a `stop` finding and would block the row.
RT_COURSES = ["wbrt-30gy-10fx", "wbrt-20gy-5fx", "focal-30gy-10fx"]
FIRST = ["Maria", "James", "Aiyana", "Chen", "Fatima", "Olu", "Søren", "Lucía", "Noah", "Priya", "Zoë"]
LAST = ["O'Neil", "Lee", "García", "Nguyen", "Okafor", "Søndergaard", "Smith", "Kowalski", "Haddad", "Rossi"]
YEAR_START = dt.date(2027, 1, 4)  # the first Monday of 2027


def _weekday_in_2027(rng: random.Random) -> dt.date:
    """A weekday between January and mid-December 2027."""
    day = YEAR_START + dt.timedelta(days=rng.randrange(0, 340))
    return day - dt.timedelta(days=max(0, day.weekday() - 4))  # Saturday/Sunday -> Friday


def _birth_date(rng: random.Random, start: dt.date, years: int) -> dt.date:
    """A birth date that makes the patient `years` old (whole years) on `start`."""
    return start.replace(year=start.year - years - 1) + dt.timedelta(days=rng.randrange(1, 365))


def _age_fields(rng: random.Random, start: dt.date) -> dict[str, str]:
    """About 1 in 8 patients is a child (1-17, by birth date); adults by age or birth date."""
    if rng.random() < 0.125:
        return {"dob": _birth_date(rng, start, rng.randint(1, 17)).isoformat()}
    years = rng.randint(18, 85)
    if rng.random() < 0.5:
        return {"age": str(years)}
    return {"dob": _birth_date(rng, start, years).isoformat()}


def _rt_fields(rng: random.Random, start: dt.date) -> dict[str, str]:
    """About a third have brain RT, starting two weeks before the first IT dose (same weekday)."""
    if rng.random() >= 1 / 3:
        return {}
    return {"rt": rng.choice(RT_COURSES), "rt_start": (start - dt.timedelta(days=14)).isoformat()}


def synthetic_row(rng: random.Random, number: int) -> dict[str, str]:
    """One patient; fields left out of the dict are written as empty cells (not given)."""
    start = _weekday_in_2027(rng)
    row = {
        "patient_id": f"P-{number:05d}",
        "patient_name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
        "start": start.isoformat(),
        "route": "ommaya" if rng.random() < 0.7 else "lumbar",
        "regimen": "it-mtx-intensive",
        "maintenance": str(rng.randint(3, 10)),
        "crcl": str(rng.randint(40, 130)),
        "kps": str(rng.choice([60, 70, 80, 90, 100])),
        "csf_flow": "normal",
        "shunt": "none",
        "formulation": "preservative-free",
        **_age_fields(rng, start),
        **_rt_fields(rng, start),
    }
    return row


def write_patients(path: Path | str, n: int, seed: int = 20261123) -> Path:
    """Write `n` synthetic patients to `path` (CSV with a header row) and return the path."""
    rng = random.Random(seed)
    path = Path(path)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS, restval="")
        writer.writeheader()
        for number in range(1, n + 1):
            writer.writerow(synthetic_row(rng, number))
    return path


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        raise SystemExit("usage: synthetic.py OUT.csv N [SEED]")
    write_patients(sys.argv[1], int(sys.argv[2]), *(int(s) for s in sys.argv[3:]))
