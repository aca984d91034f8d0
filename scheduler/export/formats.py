"""The formats a plan can be written in, defined once: the CLI's output options, the batch's
formats and the renderers (`outputs.renderers`) all come from `FORMATS`. Imports nothing heavy, so
a front end can build its options from it at start-up."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import InputError

__all__ = ["BATCH_FORMATS", "FORMATS", "Format", "check_formats"]


@dataclass(frozen=True)
class Format:
    name: str  # json, csv, ics, pdf, staff-pdf, fhir
    what: str  # what the file holds, for help texts
    per_patient: bool  # offered for each patient of a batch


FORMATS = (
    Format("json", "the plan document (JSON)", True),
    Format("csv", "one row per event (CSV)", True),
    Format("ics", "an iCalendar file (RFC 5545) for calendar apps, for the chosen audience", True),
    Format("pdf", "a printable PDF: the patient calendar, or for the staff audience the staff sheet", True),
    Format(
        "staff-pdf",
        "the staff sheet PDF too (whatever the audience), e.g. beside the patient calendar",
        False,
    ),
    Format("fhir", "an HL7 FHIR R4 Bundle (JSON); needs: pip install 'lmsched[fhir]'", False),
)
BATCH_FORMATS = tuple(f.name for f in FORMATS if f.per_patient)


def check_formats(names: Iterable[str]) -> tuple[str, ...]:
    """The batch formats asked for, each once, in order; refused if empty or unknown."""
    wanted = tuple(dict.fromkeys(n.strip() for n in names if n.strip()))
    bad = [n for n in wanted if n not in BATCH_FORMATS]
    if bad or not wanted:
        raise InputError(f"'{bad[0] if bad else ''}' is not a format", field="formats", choices=BATCH_FORMATS)
    return wanted
