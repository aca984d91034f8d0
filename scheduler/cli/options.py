"""Every option shared by more than one command, defined once, and the click types that check
dates, alarms and format lists as they are parsed.

Plan-input flags default to None so that a value given on the command line can be told from one
left out: flags override the patient file, which overrides the clinic file, which overrides the
defaults. Types raise lmsched's own errors, so a bad value reads the same as any other input error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..export.formats import FORMATS

__all__ = [
    "ACCEPT_EDITED",
    "ALARM",
    "DATE",
    "FORMAT_LIST",
    "PLAN_ARGUMENT",
    "Alias",
    "PlanCommand",
    "ascii_float",
    "ascii_int",
    "calendar_options",
    "course_inputs",
    "deprecated_aliases",
    "output_option",
    "output_options",
    "outputs",
    "plan_inputs",
    "plan_options",
    "safety_options",
    "site_key_notice",
    "to_stderr",
]

F = TypeVar("F", bound=Callable[..., Any])

if TYPE_CHECKING:
    _Type = click.ParamType[Any]
else:
    _Type = click.ParamType  # generic only in newer click


def _field_of(param: click.Parameter | None) -> str | None:
    """The name a user typed for `param`: the option's long name (`--from` -> from), else its
    Python name."""
    if param is None:
        return None
    for opt in getattr(param, "opts", ()):
        if opt.startswith("--"):
            return str(opt[2:])
    return param.name.replace("_", "-") if param.name else None


class _Date(_Type):
    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.date:
        from ..errors import InputError
        from ..models import parse_start

        if isinstance(value, dt.date):
            return value
        try:
            return parse_start(value)  # a date a change starts from: the range leaves room after it
        except ValueError as exc:
            raise InputError(str(exc), field=_field_of(param)) from None


class _Alarm(_Type):
    name = "alarm"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from ..export.ics import Alarm, parse_alarm

        return value if isinstance(value, Alarm) else parse_alarm(value)


class _Formats(_Type):
    name = "formats"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[str, ...]:
        from ..export.formats import check_formats

        return value if isinstance(value, tuple) else check_formats(str(value).split(","))


class _Number(_Type):
    """A number in ASCII digits only (click's own int and float take ٤٥, full-width digits,
    `1_000`, `nan` and `inf`), optionally within low..high."""

    def __init__(self, whole: bool, low: float | None = None, high: float | None = None) -> None:
        self.whole, self.low, self.high = whole, low, high
        self.name = "integer" if whole else "number"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from ..errors import InputError
        from ..models import ascii_integer, ascii_number

        field = max(param.opts, key=len) if param and param.opts else None  # "--days"
        if isinstance(value, int | float) and not isinstance(value, bool):
            number: float = value
        else:
            try:
                text = (ascii_integer if self.whole else ascii_number)(str(value))
            except ValueError as exc:
                raise InputError(str(exc), field=field) from None
            number = int(text) if self.whole else float(text)
        if (self.low is not None and number < self.low) or (self.high is not None and number > self.high):
            low, high = (f"{b:g}" if b is not None else "" for b in (self.low, self.high))
            raise InputError(f"{number:g} is not in the range {low} to {high}", field=field)
        return number


def ascii_int(low: int | None = None, high: int | None = None) -> _Number:
    """A whole-number option in ASCII digits (within low..high when given)."""
    return _Number(True, low, high)


def ascii_float(low: float | None = None, high: float | None = None) -> _Number:
    """A decimal-number option in ASCII digits (within low..high when given)."""
    return _Number(False, low, high)


DATE, ALARM, FORMAT_LIST = _Date(), _Alarm(), _Formats()

PLAN_ARGUMENT = click.argument(
    "plan_file", metavar="PLAN.json", type=click.Path(dir_okay=False, path_type=Path)
)
ACCEPT_EDITED = click.option(
    "--accept-edited",
    is_flag=True,
    help="Use a plan that was changed by hand after lmsched wrote it; every output then says so.",
)


def _apply(func: F, options: list[tuple[tuple[str, ...], dict[str, Any]]]) -> F:
    for decls, kwargs in reversed(options):
        func = click.option(*decls, **kwargs)(func)
    return func


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
            "type": ascii_int(),
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
    (("--crcl",), {"type": ascii_float(), "metavar": "ML_MIN", "help": "Creatinine clearance, mL/min."}),
    (("--kps",), {"type": ascii_int(), "metavar": "N", "help": "Karnofsky performance status, 0-100."}),
    (
        ("--csf-flow",),
        {
            "type": click.Choice(["normal", "obstructed", "unknown"]),
            "help": "CSF flow study result (default unknown: a flow study is planned before the "
            "first IT dose, whose doses stay tentative until `reschedule --csf-flow normal`).",
        },
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
        {"type": ascii_float(), "metavar": "MG", "help": "Ordered IT dose, never above the age band's dose."},
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
    (
        ("--duration",),
        {"type": ascii_int(), "metavar": "MIN", "help": "IT session length in minutes (default 60)."},
    ),
    (
        ("--tz",),
        {
            "metavar": "IANA_ZONE",
            "help": "Clinic time zone, a region such as America/New_York or Europe/Berlin (default "
            "America/New_York).",
        },
    ),
    (
        ("--allow-fixed-offset",),
        {
            "is_flag": True,
            "default": None,
            "help": "Accept a fixed-offset or legacy --tz (EST, Etc/GMT+5, US/Eastern): its times do not "
            "follow daylight saving.",
        },
    ),
    (
        ("--weight-kg",),
        {"type": ascii_float(), "metavar": "KG", "help": "Actual body weight, kg (body-size doses)."},
    ),
    (("--height-cm",), {"type": ascii_float(), "metavar": "CM", "help": "Height, cm (BSA doses)."}),
    (("--weight-date",), {"metavar": "DATE", "help": "When the weight was measured, YYYY-MM-DD."}),
    (
        ("--hold-around-rt",),
        {
            "is_flag": True,
            "default": None,
            "help": "Hold BRAF/MEK inhibitor tablets from 3 days before to 3 days after radiotherapy.",
        },
    ),
    (("--patient-id",), {"metavar": "ID", "help": "Patient identifier (staff outputs only)."}),
    (("--patient-name",), {"metavar": "NAME", "help": "Patient name, as one line (or the three below)."}),
    (("--given-name",), {"metavar": "NAME", "help": "Given name(s)."}),
    (("--family-name",), {"metavar": "NAME", "help": "Family name(s)."}),
    (
        ("--preferred-name",),
        {
            "metavar": "NAME",
            "help": "What the patient calendar's cover calls the patient (default: given name).",
        },
    ),
    (("--prescriber",), {"metavar": "NAME", "help": "Prescriber (staff sheet; NOT RECORDED when unset)."}),
    (("--indication",), {"metavar": "TEXT", "help": "Diagnosis or indication (staff sheet)."}),
    (("--allergies",), {"metavar": "TEXT", "help": "Allergies as recorded, e.g. NKDA (staff sheet)."}),
]
PLAN_INPUTS = frozenset(decls[0].split("/")[0].removeprefix("--").replace("-", "_") for decls, _ in _OPTIONS)

# A systemic course: --systemic ID, then --systemic-start, --cycles and --dose-level for the course
# named before them (repeatable, one group per course).
_COURSE: list[tuple[tuple[str, ...], dict[str, Any]]] = [
    (
        ("--systemic", "systemic_ids"),
        {
            "multiple": True,
            "metavar": "ID",
            "help": "Systemic therapy template, e.g. sys-tdxd-q3w (repeatable: one per course; "
            "see `lmsched templates`).",
        },
    ),
    (
        ("--systemic-start", "systemic_starts"),
        {"multiple": True, "metavar": "DATE", "help": "Day 1 of that course's first cycle."},
    ),
    (
        ("--cycles", "systemic_cycles"),
        {
            "multiple": True,
            "type": ascii_int(),
            "metavar": "N",
            "help": "Cycles planned for that course (default 6; the course continues until progression).",
        },
    ),
    (
        ("--dose-level", "systemic_levels"),
        {
            "multiple": True,
            "type": ascii_int(),
            "metavar": "N",
            "help": "Dose level of that course: 0 the starting dose, -1 the first reduction, ...",
        },
    ),
]
_COURSE_KEYS = {
    "systemic_ids": "template",
    "systemic_starts": "start",
    "systemic_cycles": "cycles",
    "systemic_levels": "dose_level",
}
_COURSE_FLAGS = {
    "systemic_ids": "--systemic",
    "systemic_starts": "--systemic-start",
    "systemic_cycles": "--cycles",
    "systemic_levels": "--dose-level",
}


class PlanCommand(click.Command):
    """A command that remembers the order its options were given in, so that --systemic-start,
    --cycles and --dose-level apply to the --systemic course named before them."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        parser = self.make_parser(ctx)
        try:
            _, _, order = parser.parse_args(args=list(args))
        except click.UsageError:
            order = []  # the real parse below reports it
        ctx.meta["lmsched.order"] = [p.name for p in order if p.name in _COURSE_KEYS]
        return super().parse_args(ctx, args)


def course_inputs(ctx: click.Context) -> list[dict[str, Any]] | None:
    """The systemic courses typed on the command line, in order (None: none given)."""
    from ..errors import InputError

    order: list[str] = ctx.meta.get("lmsched.order", [])
    values = {name: list(ctx.params.get(name) or ()) for name in _COURSE_KEYS}
    if not values["systemic_ids"]:
        stray = next((n for n in order if values[n]), None)
        if stray is not None:
            raise InputError(
                f"{_COURSE_FLAGS[stray]} applies to a course: give --systemic ID first",
                field=stray.removeprefix("systemic_"),
            )
        return None
    courses: list[dict[str, Any]] = []
    taken = {name: 0 for name in _COURSE_KEYS}
    for name in order:
        value = values[name][taken[name]]
        taken[name] += 1
        if name == "systemic_ids":
            courses.append({"template": value})
            continue
        if not courses:
            raise InputError(
                f"{_COURSE_FLAGS[name]} must follow the --systemic ID it applies to", field="systemic"
            )
        key = _COURSE_KEYS[name]
        if key in courses[-1]:
            raise InputError(
                f"{_COURSE_FLAGS[name]} is given twice for {courses[-1]['template']}", field="systemic"
            )
        courses[-1][key] = value
    return courses


def plan_options(func: F) -> F:
    """The plan inputs (and the optional PATIENT_FILE), as `lmsched plan` and `check` take them.
    The command must be a `PlanCommand` (course options follow their --systemic)."""
    func = _apply(func, _OPTIONS + _COURSE)
    return click.argument(
        "patient_file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
    )(func)


def plan_inputs(ctx: click.Context) -> dict[str, Any]:
    """The plan-input flags the user actually typed (not click's defaults), so they override the files."""
    from click.core import ParameterSource

    flags = {
        name: value
        for name, value in ctx.params.items()
        if name in PLAN_INPUTS
        and ctx.get_parameter_source(name) not in (ParameterSource.DEFAULT, None)
        and value not in (None, ())
    }
    if "lang" in ctx.params and ctx.get_parameter_source("lang") not in (ParameterSource.DEFAULT, None):
        flags["language"] = language_option(ctx.params["lang"])  # `plan --lang` records it in the plan
    courses = course_inputs(ctx)
    if courses is not None:
        flags["systemic"] = courses
    return flags


_SAFETY: list[tuple[tuple[str, ...], dict[str, Any]]] = [
    (
        ("--override", "overrides"),
        {
            "multiple": True,
            "metavar": "RULE_ID",
            "help": "Go ahead despite a `stop` finding of this rule (repeatable; each needs an "
            "--override-reason).",
        },
    ),
    (
        ("--override-reason", "override_reasons"),
        {
            "multiple": True,
            "metavar": "TEXT",
            "help": "Why, as a sentence of at least 10 characters (one per --override, in order).",
        },
    ),
    (("--decided-by",), {"metavar": "NAME", "help": "Who decided the overrides (recorded in the plan)."}),
    (
        ("--policy",),
        {
            "type": click.Path(dir_okay=False, path_type=Path),
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


def safety_options(func: F) -> F:
    """--override/--override-reason pairs, --decided-by, --policy and --now (and the old
    spellings --reason and --by, kept for now as hidden aliases)."""
    func = _apply(func, _SAFETY)
    return deprecated_aliases(
        Alias("--reason", "override_reasons", "--override-reason", multiple=True),
        Alias("--by", "decided_by", "--decided-by"),
    )(func)


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
            "type": ALARM,
            "metavar": "SPEC",
            "help": "Reminder before each visit: 1d@18:00 (day before at 18:00), 2h, 30m. "
            "Repeatable; default 1d@18:00 and 2h.",
        },
    ),
    (("--no-alarms",), {"is_flag": True, "help": "No reminders in the calendar."}),
    (
        ("--lang",),
        {
            "metavar": "CODE",
            "help": "Language of the patient's calendar PDF and ICS: en (default), es, or a catalog in "
            "LMSCHED_LOCALE_PATH. `plan` records it in the plan (as the patient file's language).",
        },
    ),
    (
        ("--allow-unreviewed-translation",),
        {
            "is_flag": True,
            "help": "Use a catalog no qualified medical interpreter has reviewed; every page and "
            "event then says so.",
        },
    ),
    (
        ("--site-key", "site_key"),
        {
            "type": click.Path(dir_okay=False, path_type=Path),
            "metavar": "FILE",
            "help": "The site key file that keys patient calendars' UIDs (default: the clinic "
            "file's site_key, else LMSCHED_SITE_KEY_FILE, else ~/.config/lmsched/site-key).",
        },
    ),
]


def site_key_notice(line: str) -> None:
    """How the CLI says it created the default site key: one line on stderr."""
    click.echo(line, err=True)


def calendar_options(func: F) -> F:
    """--audience, --alarm, --no-alarms and --site-key: how a plan becomes calendar events (ICS,
    CalDAV)."""
    return _apply(func, _CALENDAR)


def output_option(flag: str, dest: str, help_text: str) -> Callable[[F], F]:
    """An output file flag: a path (never a directory), written atomically after every check."""
    return click.option(
        flag, dest, type=click.Path(dir_okay=False, path_type=Path), metavar="PATH", help=help_text
    )


def _dest(name: str) -> str:
    return f"{name.replace('-', '_')}_path"


_PRINTING: list[tuple[tuple[str, ...], dict[str, Any]]] = [
    (
        ("--large-print",),
        {"is_flag": True, "help": "Patient calendar in large print: body 18 pt, dates 24 pt."},
    ),
    (
        ("--font", "fonts"),
        {
            "multiple": True,
            "type": click.Path(dir_okay=False, path_type=Path),
            "metavar": "FILE.ttf",
            "help": "A TrueType font for letters Noto Sans lacks (CJK ...), after the clinic file's "
            "fonts (repeatable).",
        },
    ),
    (
        ("--allow-missing-glyphs",),
        {
            "is_flag": True,
            "help": "Print a character no font has as an empty box instead of refusing it (exit 2; in a "
            "batch, the row fails).",
        },
    ),
]


def printing_options(func: F) -> F:
    """--large-print, --font and --allow-missing-glyphs: how the PDFs are printed."""
    return _apply(func, _PRINTING)


def output_options(func: F) -> F:
    """One file option per format (--json, --csv, --ics, --pdf, --staff-pdf, --fhir) and --paper."""
    func = printing_options(func)
    func = click.option(
        "--paper",
        type=click.Choice(["letter", "a4"]),
        default="letter",
        show_default=True,
        help="Paper size of the PDF.",
    )(func)
    for fmt in reversed(FORMATS):
        func = output_option(f"--{fmt.name}", _dest(fmt.name), f"Write {fmt.what}.")(func)
    return func


def outputs(ctx: click.Context) -> Any:
    """The service's `Outputs` from the output and calendar options given (checked before any plan
    is built)."""
    from ..errors import InputError
    from ..service import Outputs

    params = ctx.params
    if params.get("no_alarms") and params.get("alarms"):
        raise InputError("", field="alarm", hint="give {alarms} or {no_alarms}, not both")
    alarms = () if params.get("no_alarms") else tuple(params["alarms"]) if params.get("alarms") else None
    targets = {f.name: params[_dest(f.name)] for f in FORMATS if params.get(_dest(f.name))}
    return Outputs(
        targets,
        params.get("audience", "patient"),
        alarms,
        params.get("paper", "letter"),
        site_key=params.get("site_key"),
        notice=site_key_notice,
        lang=language_option(params.get("lang")),
        allow_unreviewed=bool(params.get("allow_unreviewed_translation")),
        large_print=bool(params.get("large_print")),
        fonts=font_options(params.get("fonts") or ()),
        allow_missing_glyphs=bool(params.get("allow_missing_glyphs")),
    )


def language_option(value: str | None) -> str | None:
    """--lang: a language code (which catalogs exist is checked when one is read)."""
    import re

    from ..errors import InputError

    if value is None:
        return None
    if not re.fullmatch(r"[a-z]{2,3}(-[A-Z][A-Za-z0-9]{1,7})?", value):
        from ..catalogs import available

        raise InputError(f"{value!r} is not a language code", field="lang", choices=available())
    return value


def font_options(values: Sequence[Path]) -> tuple[Path, ...]:
    """--font FILE: each a TrueType font file (checked before any plan is built)."""
    from ..inputs import check_font_file

    return tuple(check_font_file(Path(v), "font") for v in values)


def to_stderr(targets: Any) -> bool:
    """Whether an output (format name -> path) goes to the standard output (`-`, /dev/stdout):
    the command's own text (table, findings, report) is then printed on the standard error."""
    from ..writer import writes_stdout

    return writes_stdout(targets.values())


# --- old spellings ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Alias:
    """An old flag kept working for now: its value goes to the parameter `name` (spelled `new`),
    with a one-line deprecation note on stderr."""

    old: str
    name: str
    new: str
    multiple: bool = False
    type: Any = None

    @property
    def dest(self) -> str:
        return "deprecated_" + self.old.removeprefix("--").replace("-", "_")


def deprecated_aliases(*aliases: Alias) -> Callable[[F], F]:
    """Hidden options for the old spellings of some flags. Each value given is moved to the
    parameter it now belongs to (in `ctx.params` too, where the commands read it), after a note
    saying the new flag; giving both spellings of a single-valued flag is a usage error."""
    import functools

    def decorate(func: F) -> F:
        for alias in aliases:
            func = click.option(alias.old, alias.dest, hidden=True, multiple=alias.multiple, type=alias.type)(
                func
            )

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            ctx = click.get_current_context()
            for alias in aliases:
                value = kwargs.pop(alias.dest, None)
                ctx.params.pop(alias.dest, None)
                if value is None or value == ():
                    continue
                click.echo(
                    f"lmsched: note: {alias.old} is now {alias.new} here; {alias.old} will stop working "
                    "in a later version",
                    err=True,
                )
                current = ctx.params.get(alias.name)
                if alias.multiple:
                    value = (*(current or ()), *value)
                elif current is not None:
                    raise click.UsageError(
                        f"{alias.old} and {alias.new} are the same option: give {alias.new}"
                    )
                ctx.params[alias.name] = value
                if alias.name in kwargs:
                    kwargs[alias.name] = value
            return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
