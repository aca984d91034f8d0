"""Where input enters: patient and clinic TOML files and flags become one validated PlanRequest.

Pydantic's ValidationError is translated here into an InputError that names the field (as the
user wrote it: flag and file key) and the valid choices.
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import ValidationError

from .errors import InputError, quote
from .models import Clinic, PlanRequest

__all__ = [
    "CLINIC_KEYS",
    "PATIENT_KEYS",
    "Inputs",
    "build_request",
    "check_depth",
    "check_font_file",
    "check_region_zone",
    "parse_toml",
    "read_clinic",
    "read_input",
    "read_toml",
    "resolve_now",
    "translate",
]


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
    "systemic",
    "weight_kg",
    "height_cm",
    "weight_date",
    "hold_around_rt",
    "clinic",
    "patient_id",
    "patient_name",
    "given_name",
    "family_name",
    "preferred_name",
    "language",
    "prescriber",
    "indication",
    "allergies",
    *CLINIC_KEYS,
)

_FIELD_OF = {v: k for k, v in CLINIC_KEYS.items()}
# A `[[systemic]]` table's keys and the flags that set them.
_COURSE_FLAGS = {
    "template": "--systemic",
    "start": "--systemic-start",
    "cycles": "--cycles",
    "dose_level": "--dose-level",
}

# Limits on what lmsched reads (the README's reliability section states them): far above any real
# input, far below what could exhaust memory or the parsers' recursion.
MAX_TOML_BYTES = 1_000_000  # a patient, clinic or policy file
MAX_INPUT_BYTES = 20_000_000  # a patients CSV, a record of doses given, a plan file
MAX_DEPTH = 20  # tables and arrays nested in a TOML or JSON input
MAX_CELL = 10_000  # characters in one CSV cell


def read_input(path: Path, field: str, kind: str = "file", limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of an input file, or one line naming `field` that says why they cannot be read
    (including a file larger than `limit` bytes: read no further than that)."""
    try:
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
        if len(data) > limit:
            raise InputError(
                f"{path} is larger than {limit // 1_000_000} MB, the most lmsched reads as a {kind}",
                field=field,
            )
        return data
    except FileNotFoundError:
        raise InputError(f"{path} does not exist", field=field) from None
    except IsADirectoryError:
        raise InputError(f"{path} is a directory; give a {kind}", field=field) from None
    except OSError as exc:
        raise InputError(f"cannot read {path} ({exc.strerror})", field=field) from None


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """A TOML input file (at most MAX_TOML_BYTES, nested at most MAX_DEPTH deep), or one line
    naming `what` that says why it cannot be used."""
    return parse_toml(read_input(path, what, "TOML file", MAX_TOML_BYTES), str(path), what)


def parse_toml(data: bytes, where: str, what: str) -> dict[str, Any]:
    """TOML text, refused (one line naming `what`) when it is not UTF-8 TOML or nests tables and
    arrays deeper than MAX_DEPTH (tomllib recurses once per level: 1000 levels exhaust it)."""
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"{where} is not UTF-8 text", field=what) from None
    except RecursionError:
        raise InputError(
            f"{where} nests tables or arrays deeper than {MAX_DEPTH} levels", field=what
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{where} is not valid TOML ({exc})", field=what) from None
    check_depth(document, where, what)
    return document


def check_depth(document: object, where: str, what: str, limit: int = MAX_DEPTH) -> None:
    """Refuse a parsed document whose tables or arrays nest deeper than `limit` (walked without
    recursion, so any depth is measured safely)."""
    stack: list[tuple[object, int]] = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is None:
            continue
        if depth > limit:
            raise InputError(f"{where} nests tables or arrays deeper than {limit} levels", field=what)
        stack.extend((child, depth + 1) for child in children)


def _label(
    loc: tuple[Any, ...], clinic_file: Path | None = None, from_file: frozenset[str] = frozenset()
) -> str:
    parts = [str(p) for p in loc if not isinstance(p, int)]
    if not parts:
        return ""
    if parts[0] == "clinic" and len(parts) > 1:
        inner = ".".join(parts[2:])  # e.g. `reason` of one entry of `closed`
        if parts[1] in from_file and clinic_file is not None:
            return f"{'.'.join(parts[1:])} (clinic file {clinic_file})"
        key = _FIELD_OF.get(parts[1])
        if key:
            return f"{key}{'.' + inner if inner else ''} (--{key.replace('_', '-')})"
        return f"clinic file: {'.'.join(parts[1:])}"
    if parts[0] == "systemic" and len(parts) > 1:
        flag = _COURSE_FLAGS.get(parts[1])
        return f"systemic.{'.'.join(parts[1:])}" + (f" ({flag})" if flag else "")
    if parts[0] in PATIENT_KEYS:
        return f"{parts[0]} (--{parts[0].replace('_', '-')})"
    return ".".join(parts)


def translate(
    exc: ValidationError, clinic_file: Path | None = None, from_file: frozenset[str] = frozenset()
) -> InputError:
    """The first error, as one line: field, what is wrong, and the valid choices.

    A clinic value read from the clinic file is named by its key there (`duration_min`), one
    given as a flag or patient-file key by that name (`duration`, `--duration`).
    """
    err = exc.errors()[0]
    field = _label(tuple(err["loc"]), clinic_file, from_file)
    kind = err["type"]
    msg = str(err["msg"]).removeprefix("Value error, ")
    given = err.get("input")
    if kind == "option_hint":
        ctx = err.get("ctx", {})
        return InputError("", field=str(ctx["field"]), hint=str(ctx["hint"]))
    if kind == "literal_error":
        expected = str(err.get("ctx", {}).get("expected", "")).replace("'", "").replace(" or ", ", ")
        return InputError(f"{quote(given)} is not valid", field=field, choices=expected.split(", "))
    names = [str(part) for part in err["loc"] if not isinstance(part, int)]
    if kind == "string_pattern_mismatch" and names in (["regimen"], ["rt"], ["systemic", "template"]):
        return InputError(
            f"{quote(given)} is not a template id: lowercase letters, digits and hyphens "
            "(`lmsched templates` lists them)",
            field=field,
        )
    if kind == "missing":
        return InputError("is required (give the flag, or the key in the patient file)", field=field)
    if kind == "extra_forbidden":
        if field.startswith("systemic."):
            choices: Any = tuple(_COURSE_FLAGS)
        elif "monitoring" in names[:-1]:
            from .models import MonitoringSetting

            choices = sorted(MonitoringSetting.model_fields)
        else:
            choices = sorted(Clinic.model_fields) if "clinic" in field else PATIENT_KEYS
        return InputError("is not a known key", field=field, choices=choices)
    if kind in {"tuple_type", "model_type"} and field.startswith("systemic"):
        return InputError(
            "expected [[systemic]] tables, each with template and start (and cycles, dose_level)",
            field=field,
        )
    if kind in {
        "int_parsing",
        "float_parsing",
        "int_type",
        "float_type",
        "bool_type",
        "bool_parsing",
        "string_type",
    }:
        return InputError(f"{quote(given)} is not valid: {msg[0].lower()}{msg[1:]}", field=field)
    if field and not msg.startswith(tuple(PATIENT_KEYS)):
        return InputError(msg, field=field)
    return InputError(msg)


class Inputs(NamedTuple):
    """The validated request and every file it was read from (outputs must never overwrite one)."""

    request: PlanRequest
    files: tuple[Path, ...]


def build_request(flags: Mapping[str, Any], patient_file: Path | None) -> Inputs:
    """Merge defaults < clinic file < patient file < flags; `closed` days accumulate."""
    data: dict[str, Any] = {}
    base = Path(".")
    if patient_file is not None:
        data = read_toml(patient_file, "patient file")
        unknown = sorted(set(data) - set(PATIENT_KEYS))
        if unknown:
            raise InputError(
                f"{patient_file}: unknown key '{unknown[0]}'", field="patient file", choices=PATIENT_KEYS
            )
        base = patient_file.parent
    closed = list(_as_list(data.pop("closed", [])))
    clinic_path: Path | None = None
    if "clinic" in data:
        clinic_value = data.pop("clinic")
        if not isinstance(clinic_value, str):
            raise InputError("expected the path of a clinic TOML file", field="clinic")
        clinic_path = base / clinic_value
    for key, value in flags.items():
        if key == "closed":
            closed += list(value)
        elif key == "clinic":
            clinic_path = Path(value)
        else:
            data[key] = value
    allow_fixed = bool(data.pop("allow_fixed_offset", False))
    clinic: dict[str, Any] = {}
    if clinic_path is not None:
        clinic = read_toml(clinic_path, "clinic")
        allow_fixed = _allow_fixed_offset(clinic, clinic_path) or allow_fixed
        unknown = sorted(set(clinic) - set(Clinic.model_fields))
        if unknown:
            raise InputError(
                f"{clinic_path}: unknown key '{unknown[0]}'",
                field="clinic",
                choices=sorted(Clinic.model_fields),
            )
        closed = list(_as_list(clinic.pop("closed", []))) + closed
        _site_key_beside(clinic, clinic_path)
        _fonts_beside(clinic, clinic_path)
    from_file = frozenset(clinic)
    from_file = from_file - {f for k, f in CLINIC_KEYS.items() if k in data}
    for key, field in CLINIC_KEYS.items():
        if key in data and key != "closed":
            clinic[field] = data.pop(key)
    clinic["closed"] = closed
    data["clinic"] = clinic
    files = tuple(p for p in (patient_file, clinic_path) if p is not None)
    try:
        request = PlanRequest.model_validate(data)
    except ValidationError as exc:
        raise translate(exc, clinic_path, from_file) from None
    if not allow_fixed:
        where = f"tz (clinic file {clinic_path})" if "tz" in from_file else "tz (--tz)"
        check_region_zone(request.clinic.tz, where)
    return Inputs(request, files)


def read_clinic(path: Path) -> Clinic:
    """A clinic TOML file on its own (a batch's --clinic), validated."""
    data = read_toml(path, "clinic")
    _site_key_beside(data, path)
    _fonts_beside(data, path)
    allow_fixed = _allow_fixed_offset(data, path)
    try:
        clinic = Clinic.model_validate(data)
    except ValidationError as exc:
        raise translate(exc, path, frozenset(data)) from None
    if not allow_fixed:
        check_region_zone(clinic.tz, f"tz (clinic file {path})")
    return clinic


def _allow_fixed_offset(clinic: dict[str, Any], clinic_path: Path) -> bool:
    """A clinic file's `allow_fixed_offset = true` (taken out: it is how the file is read, not
    part of the clinic a plan records), the file's form of --allow-fixed-offset."""
    value = clinic.pop("allow_fixed_offset", False)
    if not isinstance(value, bool):
        raise InputError(
            f"{clinic_path}: '{value}' is not valid: expected true or false", field="allow_fixed_offset"
        )
    return value


def check_region_zone(tz: str, field: str = "tz") -> None:
    """Refuse a fixed-offset or legacy zone name (`EST`, `Etc/GMT+5`, `US/Eastern`) for a new
    plan: its wall-clock times drift from the patient's clock at the next daylight-saving change
    (scheduler.zones). Saved plans are not checked here: they load with a warning."""
    from .zones import zone_problem

    problem = zone_problem(tz)
    if problem is not None:
        raise InputError(problem, field=field, hint="or give {allow_fixed_offset} if this zone is meant")


def _site_key_beside(clinic: dict[str, Any], clinic_path: Path) -> None:
    """A clinic file's `site_key` names a file relative to the clinic file (so one clinic folder,
    shared by every scheduler of the site, carries its key file beside it)."""
    if "site_key_id" in clinic:
        raise InputError(
            f"{clinic_path}: site_key_id is recorded by lmsched from site_key, not set by hand",
            field="site_key_id",
            hint='name the key file instead: site_key = "PATH"',
        )
    value = clinic.get("site_key")
    if value is None:
        return
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{clinic_path}: expected the path of the site key file", field="site_key")
    from .sitekey import key_id, read_key

    clinic["site_key"] = str(clinic_path.parent / Path(value).expanduser())
    clinic["site_key_id"] = key_id(read_key(Path(clinic["site_key"]), "site_key").key)


def _fonts_beside(clinic: dict[str, Any], clinic_path: Path) -> None:
    """A clinic file's `fonts` name TrueType files relative to the clinic file; each is checked
    here, so a missing or unsuitable font is one line before anything is planned."""
    value = clinic.get("fonts")
    if value is None:
        return
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise InputError(
            f"{clinic_path}: expected a list of TrueType font files",
            field="fonts",
            hint='fonts = ["PATH.ttf"]',
        )
    clinic["fonts"] = [
        str(check_font_file(clinic_path.parent / Path(v).expanduser(), "fonts")) for v in value
    ]


def check_font_file(path: Path, field: str) -> Path:
    """A fallback font must be a TrueType (glyf) font file, the only kind ReportLab embeds: an
    OpenType font with CFF outlines (.otf, most CJK fonts' OTF releases) or a collection (.ttc)
    is refused with one line saying why."""
    head = read_input(path, field, "font", limit=64_000_000)[:4]
    if head == b"OTTO":
        raise InputError(
            f"{path} is an OpenType font with CFF (PostScript) outlines, which PDFs made by lmsched "
            "cannot embed; use a TrueType (.ttf, glyf outlines) font such as DroidSansFallbackFull.ttf",
            field=field,
        )
    if head == b"ttcf":
        raise InputError(
            f"{path} is a font collection (.ttc); name a single TrueType font file (.ttf)", field=field
        )
    if head not in (b"\x00\x01\x00\x00", b"true"):
        raise InputError(f"{path} is not a TrueType font file (.ttf)", field=field)
    return path.resolve()


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def resolve_now(given: str | None, tz: str, clock: dt.datetime | None = None) -> dt.datetime:
    """The plan's `created`: the time given, else SOURCE_DATE_EPOCH, else the clock."""
    from zoneinfo import ZoneInfo

    if given:
        text = given.strip()
        try:
            if not text.isascii():  # fromisoformat takes other digits too
                raise ValueError(text)
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            raise InputError(
                f"{quote(given)} is not an ISO date-time such as 2026-11-23T09:00:00-05:00", field="now"
            ) from None
        moment = moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(tz))
        return _in_range(moment, "now")
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            if not epoch.strip().isascii():
                raise ValueError(epoch)
            moment = dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
        except (ValueError, OverflowError, OSError):
            raise InputError(f"{quote(epoch)} is not a Unix timestamp", field="SOURCE_DATE_EPOCH") from None
        return _in_range(moment, "SOURCE_DATE_EPOCH")
    return (clock or dt.datetime.now(dt.UTC)).replace(microsecond=0)


def _in_range(moment: dt.datetime, field: str) -> dt.datetime:
    """A creation time every output can write (in UTC too: 0001-01-01T00:00+14:00 is not), within
    the dates lmsched supports."""
    from .models import FIRST_START, MAX_DATE

    try:
        utc = moment.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        utc = None
    if (
        utc is None
        or not FIRST_START <= utc.date() <= MAX_DATE
        or not FIRST_START <= moment.date() <= MAX_DATE
    ):
        raise InputError(
            f"{moment.isoformat()} is outside the supported range {FIRST_START} to {MAX_DATE}", field=field
        )
    return moment
