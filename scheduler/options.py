"""Plan options, defined once and shared by every command that builds a plan.

Flags default to None so that a value given on the command line can be told from one left out:
flags override the patient file, which overrides the clinic file, which overrides the defaults.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

__all__ = ["CLINIC_KEYS", "PATIENT_KEYS", "calendar_options", "plan_options", "safety_options"]

F = TypeVar("F", bound=Callable[..., Any])

# Patient-file keys (snake_case of the flags) that set clinic fields, and the field they set.
CLINIC_KEYS = {
    "country": "country",
    "subdiv": "subdiv",
    "tz": "tz",
    "shift": "shift",
    "time": "session_time",
    "duration": "duration_min",
    "closed": "closed",
}
PATIENT_KEYS = (
    "start",
    "age",
    "dob",
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
    "systemic_mtx",
    "parenchymal_mets",
    "dose",
    "clinic",
    "patient_id",
    "patient_name",
    *CLINIC_KEYS,
)

_OPTIONS: list[tuple[tuple[str, ...], dict[str, Any]]] = [
    (("--start",), {"metavar": "DATE", "help": "First IT dose, YYYY-MM-DD."}),
    (("--age",), {"metavar": "AGE", "help": "Age at the start: years (45) or months (8m)."}),
    (("--dob",), {"metavar": "DATE", "help": "Birth date; doses follow the age on each dose day."}),
    (
        ("--route",),
        {"type": click.Choice(["ommaya", "lumbar"]), "help": "Ommaya reservoir or lumbar puncture."},
    ),
    (
        ("--regimen",),
        {"metavar": "ID", "help": "Regimen template (default it-mtx-intensive; see `lmsched templates`)."},
    ),
    (
        ("--maintenance",),
        {
            "type": int,
            "metavar": "N",
            "help": "Doses planned in the phase that continues until progression (default 6).",
        },
    ),
    (("--rt",), {"metavar": "ID", "help": "Radiotherapy template, e.g. wbrt-30gy-10fx."}),
    (("--rt-start",), {"metavar": "DATE", "help": "First radiotherapy day."}),
    (
        ("--memantine/--no-memantine",),
        {"default": None, "help": "Memantine titration with WBRT (on by default)."},
    ),
    (("--crcl",), {"type": float, "metavar": "ML_MIN", "help": "Creatinine clearance, mL/min."}),
    (("--kps",), {"type": int, "metavar": "N", "help": "Karnofsky performance status, 0-100."}),
    (
        ("--csf-flow",),
        {"type": click.Choice(["normal", "obstructed", "unknown"]), "help": "CSF flow study result."},
    ),
    (("--shunt",), {"type": click.Choice(["none", "valved", "unvalved"]), "help": "Ventricular shunt."}),
    (
        ("--formulation",),
        {"type": click.Choice(["preservative-free", "preserved"]), "help": "Methotrexate product."},
    ),
    (("--systemic-mtx",), {"is_flag": True, "default": None, "help": "Systemic methotrexate is also given."}),
    (("--parenchymal-mets",), {"is_flag": True, "default": None, "help": "Brain parenchymal metastases."}),
    (
        ("--dose",),
        {"type": float, "metavar": "MG", "help": "Ordered IT dose, never above the age band's dose."},
    ),
    (("--country",), {"metavar": "CC", "help": "Country for public holidays (default US)."}),
    (("--subdiv",), {"metavar": "S", "help": "State or province for public holidays, e.g. NY."}),
    (
        ("--closed",),
        {"multiple": True, "metavar": "DATE[..DATE]", "help": "Extra closed day or range (repeatable)."},
    ),
    (
        ("--clinic",),
        {
            "type": click.Path(dir_okay=False),
            "metavar": "FILE",
            "help": "Clinic TOML: name, phone, location, holidays, closures, times.",
        },
    ),
    (
        ("--shift",),
        {
            "type": click.Choice(["next", "previous"]),
            "help": "Where a dose due on a closed day goes (default next).",
        },
    ),
    (("--time",), {"metavar": "HH:MM", "help": "IT session time (default 09:00)."}),
    (("--duration",), {"type": int, "metavar": "MIN", "help": "IT session length in minutes (default 60)."}),
    (("--tz",), {"metavar": "IANA_ZONE", "help": "Clinic time zone (default America/New_York)."}),
    (("--patient-id",), {"metavar": "ID", "help": "Patient identifier (staff outputs only)."}),
    (("--patient-name",), {"metavar": "NAME", "help": "Patient name."}),
]


def plan_options(func: F) -> F:
    for decls, kwargs in reversed(_OPTIONS):
        func = click.option(*decls, **kwargs)(func)
    return click.argument("patient_file", required=False, type=click.Path(exists=True, dir_okay=False))(func)


_SAFETY: list[tuple[tuple[str, ...], dict[str, Any]]] = [
    (
        ("--override", "overrides"),
        {
            "multiple": True,
            "metavar": "RULE_ID",
            "help": "Go ahead despite a `stop` finding of this rule (repeatable; each needs a --reason).",
        },
    ),
    (
        ("--reason", "reasons"),
        {
            "multiple": True,
            "metavar": "TEXT",
            "help": "Why, as a sentence of at least 10 characters (one per --override, in order).",
        },
    ),
    (("--by",), {"metavar": "NAME", "help": "Who decided the overrides (recorded in the plan)."}),
    (
        ("--policy",),
        {
            "type": click.Path(dir_okay=False),
            "metavar": "FILE",
            "help": "Site policy TOML: raise rule severities, or lower warn to info.",
        },
    ),
    (
        ("--now", "now_text"),
        {
            "metavar": "ISO_DATETIME",
            "help": "The plan's creation time (default SOURCE_DATE_EPOCH, else the clock).",
        },
    ),
]

# Parameters that are not plan inputs (they never reach the patient-file merge).
NON_INPUT_PARAMS = {"patient_file", "overrides", "reasons", "by", "policy", "now_text"}


def safety_options(func: F) -> F:
    for decls, kwargs in reversed(_SAFETY):
        func = click.option(*decls, **kwargs)(func)
    return func


_CALENDAR: list[tuple[tuple[str, ...], dict[str, Any]]] = [
    (
        ("--audience",),
        {
            "type": click.Choice(["patient", "staff"]),
            "default": "patient",
            "show_default": True,
            "help": "patient: no record number, name or staff detail; staff: all of them.",
        },
    ),
    (
        ("--alarm", "alarms"),
        {
            "multiple": True,
            "metavar": "SPEC",
            "help": "Reminder before each visit: 1d@18:00 (day before at 18:00), 2h, 30m. "
            "Repeatable; default 1d@18:00 and 2h.",
        },
    ),
    (("--no-alarms",), {"is_flag": True, "help": "No reminders in the calendar."}),
]
CALENDAR_PARAMS = {"audience", "alarms", "no_alarms"}


def calendar_options(func: F) -> F:
    """--audience, --alarm and --no-alarms: how a plan becomes calendar events (ICS, CalDAV)."""
    for decls, kwargs in reversed(_CALENDAR):
        func = click.option(*decls, **kwargs)(func)
    return func
