"""Validated inputs and templates.

Everything that enters lmsched (template TOML, clinic TOML, patient TOML, command-line flags)
becomes one of these frozen models before the core sees it, so the core can trust its inputs.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from typing import Annotated, Any, Literal, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from .errors import quote

__all__ = [
    "AUDIENCES",
    "WEEKDAYS",
    "Age",
    "AgeBand",
    "Audience",
    "Clinic",
    "Closure",
    "DoseRule",
    "Medication",
    "MedicationStep",
    "Monitoring",
    "MonitoringSetting",
    "MonitoringWhen",
    "Paper",
    "Phase",
    "PlanRequest",
    "Radiotherapy",
    "Regimen",
    "RenalCap",
    "Route",
    "Systemic",
    "SystemicComponent",
    "SystemicCourse",
    "SystemicDose",
    "Template",
    "TemplateBase",
]


def option_hint(field: str, hint: str) -> PydanticCustomError:
    """A validation error whose remedy names options (`{age}`): translated where input enters into
    an error the front end spells (`--age`), never a flag written into the core."""
    return PydanticCustomError("option_hint", "{field}: {hint}", {"field": field, "hint": hint})


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Any date lmsched records (events, birth dates, closures) lies in MIN_DATE..MAX_DATE. A plan or a
# change starts (start, rt_start, reschedule dates, --now) in FIRST_START..LAST_START, so that the
# longest course (10 years of monthly maintenance, rescheduled) ends long before MAX_DATE: a date
# beyond it is refused up front, never found while the course is expanded.
MIN_DATE = dt.date(1850, 1, 1)
MAX_DATE = dt.date(2199, 12, 31)
FIRST_START = dt.date(1900, 1, 1)
LAST_START = dt.date(2100, 12, 31)

Route = Literal["ommaya", "lumbar"]
Audience = Literal["patient", "staff"]  # who an output is for: the patient sees no record number
AUDIENCES: tuple[Audience, ...] = ("patient", "staff")
Paper = Literal["letter", "a4"]
Evidence = Literal["guideline", "trial", "series", "brief", "label", "convention"]
Status = Literal["standard", "off-label", "investigational", "withdrawn"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
SourceId = Annotated[str, Field(pattern=r"^[SX][0-9]{1,3}$")]
TemplateId = Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=64)]


# Control characters (C0 but tab and line feed, DEL, C1, Unicode line/paragraph separators): they
# corrupt iCalendar lines, CSV rows and PDF text, and no name or address needs them.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
# Bidirectional controls: embeddings, overrides and isolates (an unterminated U+202E reverses the
# rest of a calendar's titles) and the direction marks LRM, RLM and ALM. A name, an id or a reason
# never needs them: the renderer orders right-to-left text by itself.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Zero-width joiner and non-joiner: format characters that Persian and Indic names need.
JOINERS = frozenset("\u200c\u200d")
# Letters and symbols that draw nothing (Hangul fillers, the blank Braille pattern): not visible.
_BLANK = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def _names(char: str) -> str:
    import unicodedata

    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" ({name.lower()})" if name else "")


def check_text(value: str, joiners: bool = True) -> str:
    """Free text of several lines (an address): CRLF becomes LF; control characters, bidirectional
    controls and other invisible format characters (but ZWJ and ZWNJ, unless `joiners` is false)
    are refused, so what a calendar or a page shows is what was typed."""
    import unicodedata

    value = value.replace("\r\n", "\n")
    bad = _CONTROL.search(value)
    if bad:
        raise ValueError(f"contains the control character U+{ord(bad.group()):04X}; use plain text")
    for char in value:
        if char in BIDI_CONTROLS:
            raise ValueError(
                f"contains the bidirectional control {_names(char)}, which can reorder what is shown; "
                "remove it"
            )
        category = unicodedata.category(char)
        if category == "Cs":
            raise ValueError("is not valid UTF-8 text (it contains an undecodable byte)")
        if category == "Cf" and (char not in JOINERS or not joiners):
            raise ValueError(f"contains the invisible format character {_names(char)}; remove it")
    return value


def check_line(value: str) -> str:
    """Free text of one line (a name, a reason): no line breaks, no control characters."""
    if "\n" in value or "\r" in value:
        raise ValueError("must be one line (it contains a line break)")
    return check_text(value)


def check_id(value: str) -> str:
    """An identifier (a patient id): one line of visible characters only; not even ZWJ or ZWNJ,
    which would make two ids that look the same differ."""
    check_line(value)
    return check_text(value, joiners=False)


def visible_length(value: str) -> int:
    """How many characters a reader sees: format characters (ZWJ, ZWNJ, zero-width spaces),
    combining marks and blank fillers do not count, and each run of white space counts once."""
    import unicodedata

    shown = "".join(
        c for c in value if unicodedata.category(c) not in {"Cf", "Mn", "Me", "Cc", "Cs"} and c not in _BLANK
    )
    return len(" ".join(shown.split()))


Line = Annotated[str, AfterValidator(check_line)]
Text = Annotated[str, AfterValidator(check_text)]
Ident = Annotated[str, AfterValidator(check_id)]
# A patient-output language: "es", "pt-BR" (which catalogs exist is checked where they are read).
LanguageCode = Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Z][A-Za-z0-9]{1,7})?$", max_length=12)]


class Frozen(BaseModel):
    # No NaN or infinity in any number: a dose or a clearance of `nan` compares false with every
    # limit, so it would pass the checks it is meant to fail.
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


# --- strict scalar parsing -------------------------------------------------------------------

# ASCII digits only (re.ASCII): `\d` alone takes Arabic-Indic or full-width digits, which read as
# other numbers to someone who checks the plan, and `$` alone takes a trailing line break.
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}\Z", re.ASCII)
_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})\Z", re.ASCII)
_AGE_RE = re.compile(r"^\s*(\d{1,4})\s*([ym]?)\s*\Z", re.ASCII)
_INT_RE = re.compile(r"^\s*[+-]?\d+\s*\Z", re.ASCII)
_FLOAT_RE = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*\Z", re.ASCII)
_DIGITS = 12  # digits at most in a number given as text: far above every limit, far below int's


def ascii_number(value: Any) -> Any:
    """A number given as text (a flag, a TOML string, a CSV cell) in ASCII digits only, at most
    twelve digits: no Arabic-Indic or full-width digits, no `1_000`, `1e3`, `nan` or
    `inf`. Numbers that are not text pass on to the field's own check."""
    if isinstance(value, str):
        if not _FLOAT_RE.match(value):
            raise ValueError(f"{quote(value)} is not a valid number; use the digits 0-9 (e.g. 45 or 12.5)")
        if sum(c.isdigit() for c in value) > _DIGITS:
            raise ValueError(f"{quote(value)} has more than {_DIGITS} digits; it is out of range")
        return value.strip()
    return value


def ascii_integer(value: Any) -> Any:
    """A whole number given as text, in ASCII digits only (see `ascii_number`)."""
    if isinstance(value, str):
        if not _INT_RE.match(value):
            raise ValueError(f"{quote(value)} is not a valid integer; use the digits 0-9 (e.g. 6)")
        if sum(c.isdigit() for c in value) > _DIGITS:
            raise ValueError(f"{quote(value)} has more than {_DIGITS} digits; it is out of range")
        return value.strip()
    return value


Int = Annotated[int, BeforeValidator(ascii_integer)]
Float = Annotated[float, BeforeValidator(ascii_number)]


def parse_date(value: Any, first: dt.date = MIN_DATE, last: dt.date = MAX_DATE) -> dt.date:
    """Accept a calendar date (TOML date or 'YYYY-MM-DD') from `first` to `last`; nothing looser,
    so typos never pass."""
    if isinstance(value, dt.datetime):
        raise ValueError("expected a date (YYYY-MM-DD), not a date and time")
    if isinstance(value, dt.date):
        day = value
    elif isinstance(value, str) and _DATE_RE.match(value.strip()):
        try:
            day = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{quote(value)} is not a real calendar date (YYYY-MM-DD)") from None
    else:
        raise ValueError(f"{quote(value)} is not a date; expected YYYY-MM-DD")
    if not first <= day <= last:
        raise ValueError(f"{day} is outside the supported range {first} to {last}")
    return day


def parse_start(value: Any) -> dt.date:
    """A date a plan or a change starts from (start, rt_start, a reschedule date): FIRST_START to
    LAST_START, so that every event it expands to stays within the dates lmsched supports."""
    return parse_date(value, FIRST_START, LAST_START)


def parse_clock(value: Any) -> str:
    """Wall-clock time as 'HH:MM' (TOML local time or a string)."""
    if isinstance(value, dt.time):
        if value.second or value.microsecond or value.tzinfo:
            raise ValueError("expected a wall-clock time HH:MM without seconds or zone")
        return f"{value.hour:02d}:{value.minute:02d}"
    m = _TIME_RE.match(value.strip()) if isinstance(value, str) else None
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise ValueError(f"{quote(value)} is not a time; expected HH:MM from 00:00 to 23:59")
    return f"{int(m.group(1)):02d}:{m.group(2)}"


def parse_zone(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected an IANA time zone name such as America/New_York")
    try:
        if len(value.strip()) > 64:  # the longest IANA name has 32 characters
            raise ValueError(value)
        ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder ("America"), a long name
        raise ValueError(
            f"{quote(value, 40)} is not an IANA time zone; use a region such as America/New_York, "
            "Europe/Amsterdam or Asia/Kolkata"
        ) from None
    return value.strip()


Day = Annotated[dt.date, BeforeValidator(parse_date)]
StartDay = Annotated[dt.date, BeforeValidator(parse_start)]
Clock = Annotated[str, BeforeValidator(parse_clock)]
Zone = Annotated[str, BeforeValidator(parse_zone)]


class Age(Frozen):
    """Age at the start date, in whole years or months ('5', '5y', '8m')."""

    months: int = Field(ge=0, le=120 * 12)

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        if isinstance(value, Age | dict):
            return value
        if isinstance(value, bool):
            raise ValueError("expected years (e.g. 45) or months (e.g. 8m)")
        if isinstance(value, int):
            value = str(value)
        m = _AGE_RE.match(value) if isinstance(value, str) else None
        if not m:
            raise ValueError(
                f"{quote(value)} is not an age; give years (45 or 45y) or months (8m), 0 to 120 years"
            )
        n, unit = int(m.group(1)), m.group(2) or "y"
        months = n if unit == "m" else n * 12
        if months > 120 * 12:
            raise ValueError(f"{quote(value)} is above 120 years; give years (0-120) or months (8m)")
        return {"months": months}

    @property
    def years(self) -> int:
        return self.months // 12

    def __str__(self) -> str:
        return f"{self.months}m" if self.months < 24 and self.months % 12 else f"{self.years}y"

    def describe(self) -> str:
        if self.months < 24 and self.months % 12:
            return f"{self.months} months"
        return f"{self.years} year" + ("" if self.years == 1 else "s")


AgeField = Annotated[Age, PlainSerializer(str, return_type=str)]


# --- templates ---------------------------------------------------------------------------------


class TemplateBase(Frozen):
    id: TemplateId
    version: Annotated[str, Field(pattern=r"^\d+\.\d+\.\d+$")]
    title: str = Field(min_length=3)
    evidence: Evidence
    status: Status
    sources: tuple[SourceId, ...] = Field(min_length=1)
    summary: str = ""

    def evidence_text(self) -> str:
        if self.evidence == "brief":
            return "brief (from the requested protocol; confirm locally)"
        return self.evidence


class AgeBand(Frozen):
    from_years: int = Field(ge=0, le=120)
    mg: float = Field(gt=0)
    label: str


class DoseRule(Frozen):
    rule: Literal["age-band", "fixed"]
    mg: float | None = Field(default=None, gt=0)
    bands: tuple[AgeBand, ...] = ()
    ceiling_from: TemplateId | None = None
    sources: tuple[SourceId, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> DoseRule:
        if self.rule == "age-band":
            if not self.bands or self.bands[0].from_years != 0:
                raise ValueError("an age-band dose needs bands starting at from_years = 0")
            starts = [b.from_years for b in self.bands]
            if starts != sorted(set(starts)):
                raise ValueError("age bands must be in increasing from_years order, without repeats")
            if self.mg is not None:
                raise ValueError("an age-band dose takes bands, not mg")
        elif self.mg is None or self.bands:
            raise ValueError("a fixed dose takes mg (and ceiling_from for an age ceiling), not bands")
        return self

    def band_for(self, age_years: int) -> AgeBand:
        return [b for b in self.bands if b.from_years <= age_years][-1]


class Phase(Frozen):
    """One phase of a regimen: either cycles of cycle_days with doses at offsets, or every N months."""

    name: TemplateId
    count: int = Field(ge=0, le=500)
    cycle_days: int | None = Field(default=None, ge=1, le=366)
    offsets: tuple[int, ...] = (0,)
    months: int | None = Field(default=None, ge=1, le=24)
    min_days: int = Field(ge=1, le=366)
    until_progression: bool = False

    @model_validator(mode="after")
    def _check(self) -> Phase:
        if (self.cycle_days is None) == (self.months is None):
            raise ValueError(f"phase {self.name}: give exactly one of cycle_days or months")
        if self.cycle_days is not None:
            offs = self.offsets
            if not offs or list(offs) != sorted(set(offs)) or offs[0] != 0 or offs[-1] >= self.cycle_days:
                raise ValueError(
                    f"phase {self.name}: offsets must start at 0, increase, and stay below cycle_days"
                )
            gaps = [b - a for a, b in itertools.pairwise(offs)]
            gaps.append(self.cycle_days - offs[-1])
            if min(gaps) < self.min_days:
                raise ValueError(
                    f"phase {self.name}: min_days {self.min_days} exceeds the planned gap {min(gaps)}"
                )
        else:
            if self.offsets != (0,):
                raise ValueError(f"phase {self.name}: offsets apply to cycle phases only")
            if self.min_days > 28 * (self.months or 1):
                raise ValueError(f"phase {self.name}: min_days exceeds the shortest month interval")
        return self


class Regimen(TemplateBase):
    kind: Literal["regimen"]
    drug: str
    routes: tuple[Route, ...] = Field(min_length=1)
    formulation: str
    dose: DoseRule | None = None
    phases: tuple[Phase, ...] = ()
    # Where a phase's first dose falls. "after-last-dose" (the default): one interval of the new
    # phase after the previous phase's last dose (weekly: 7 days; monthly: the same day of the next
    # month), so "weekly for 4 weeks, then monthly" gives 4 weekly doses and then a dose a month
    # after the last. "window": the phase starts where the previous phase's weeks end (week 5,
    # week 9, ...), as trial protocols counted in weeks state it.
    phase_start: Literal["after-last-dose", "window"] = "after-last-dose"

    @model_validator(mode="after")
    def _check(self) -> Regimen:
        if self.status == "withdrawn":
            return self
        if not self.phases or self.dose is None:
            raise ValueError("a regimen that can be planned needs a dose and at least one phase")
        names = [p.name for p in self.phases]
        if len(names) != len(set(names)):
            raise ValueError("phase names must be unique")
        if sum(p.until_progression for p in self.phases) > 1:
            raise ValueError("at most one phase may continue until progression")
        return self

    @property
    def open_phase(self) -> Phase | None:
        return next((p for p in self.phases if p.until_progression), None)


class Radiotherapy(TemplateBase):
    kind: Literal["radiotherapy"]
    site: Literal["wbrt", "focal", "csi"]
    total_gy: float = Field(gt=0, le=80)
    fractions: int = Field(ge=1, le=60)

    @property
    def gy_per_fraction(self) -> float:
        return round(self.total_gy / self.fractions, 3)


class MedicationStep(Frozen):
    name: str
    days: int = Field(ge=1, le=366)
    morning_mg: float = Field(ge=0)
    evening_mg: float = Field(ge=0)


class RenalCap(Frozen):
    crcl_below: float = Field(gt=0)
    max_mg_per_dose: float = Field(gt=0)
    sources: tuple[SourceId, ...] = Field(min_length=1)


class Medication(TemplateBase):
    kind: Literal["medication"]
    drug: str
    route: str
    formulation: str
    starts_with: Literal["wbrt"]
    morning: Clock
    evening: Clock
    steps: tuple[MedicationStep, ...] = Field(min_length=1)
    renal: RenalCap | None = None


class RenalAdjust(Frozen):
    """A dose adjusted for creatinine clearance: `percent` of the starting dose below
    `reduce_below` mL/min, and no dose at all below `contraindicated_below` (a rule blocks)."""

    reduce_below: float = Field(gt=0, le=300)
    percent: float = Field(gt=0, lt=100)
    contraindicated_below: float | None = Field(default=None, gt=0, le=300)
    sources: tuple[SourceId, ...] = Field(min_length=1)


class SystemicDose(Frozen):
    """How one component's dose is set: a fixed dose, per kg of actual weight, or per m2 of body
    surface (Mosteller), with an optional cycle-1 loading dose, dose levels for reductions, and the
    rounding: IV to `round_mg`, tablets to a combination of `tablets_mg` strengths."""

    basis: Literal["fixed", "mg/kg", "mg/m2"]
    amount: float = Field(gt=0, le=10_000)  # mg, mg/kg or mg/m2 at the starting dose level
    loading: float | None = Field(default=None, gt=0, le=10_000)  # the same unit, cycle 1 only
    # A dose given more than this many days after it was due is the loading dose again (S22).
    reload_late_days: int | None = Field(default=None, ge=1, le=60)
    levels: tuple[float, ...] = ()  # the starting level first, then each reduction
    round_mg: float | None = Field(default=None, gt=0, le=100)
    tablets_mg: tuple[float, ...] = ()
    renal: RenalAdjust | None = None
    sources: tuple[SourceId, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> SystemicDose:
        decreasing = list(self.levels) == sorted(self.levels, reverse=True)
        if self.levels and (self.levels[0] != self.amount or not decreasing):
            raise ValueError("levels start with the starting amount and decrease")
        if len(set(self.tablets_mg)) != len(self.tablets_mg) or any(t <= 0 for t in self.tablets_mg):
            raise ValueError("tablets_mg lists each tablet strength once, in mg")
        if self.reload_late_days is not None and self.loading is None:
            raise ValueError("reload_late_days needs a loading dose")
        return self

    @property
    def unit(self) -> str:
        return "mg" if self.basis == "fixed" else self.basis


class SystemicComponent(Frozen):
    """One drug of a systemic regimen. IV: given at the clinic on `days` of each cycle (day 1 is
    the cycle's day 1), over `infusion_min_first` minutes the first time and `infusion_min` later.
    Oral: taken at home at each of `times`, on cycle days `on_days` (first, last) or, without them,
    every day (continuous)."""

    drug: str = Field(min_length=2, max_length=80)
    route: Literal["iv", "oral"]
    formulation: str = Field(min_length=2, max_length=120)
    days: tuple[int, ...] = (1,)
    on_days: tuple[int, int] | None = None
    times: tuple[Clock, ...] = ()
    infusion_min_first: int | None = Field(default=None, ge=5, le=720)
    infusion_min: int | None = Field(default=None, ge=5, le=720)
    instructions: str = ""
    dose: SystemicDose

    @model_validator(mode="after")
    def _check(self) -> SystemicComponent:
        if self.route == "iv":
            if self.infusion_min is None or self.times or self.on_days is not None:
                raise ValueError(f"{self.drug}: an IV component takes days and infusion minutes, not times")
            if list(self.days) != sorted(set(self.days)) or self.days[0] != 1:
                raise ValueError(f"{self.drug}: days start at 1 and increase")
            if self.dose.tablets_mg:
                raise ValueError(f"{self.drug}: tablets_mg is for oral components")
        else:
            if not self.times or list(self.times) != sorted(set(self.times)):
                raise ValueError(f"{self.drug}: an oral component takes its times of day, in order")
            if self.days != (1,) or self.infusion_min is not None or self.infusion_min_first is not None:
                raise ValueError(f"{self.drug}: an oral component takes times and on_days, not days")
            if self.on_days is not None and not 1 <= self.on_days[0] <= self.on_days[1]:
                raise ValueError(f"{self.drug}: on_days is [first, last] with 1 <= first <= last")
        return self

    @property
    def first_minutes(self) -> int:
        return self.infusion_min_first or self.infusion_min or 0


class Systemic(TemplateBase):
    """Systemic CNS-active therapy: components sharing each cycle's day 1."""

    kind: Literal["systemic"]
    indication: str = Field(min_length=3, max_length=200)
    cycle_days: int = Field(ge=7, le=84)
    # How many days late an IV day 1 may move (a closure) before a finding says the cycle was
    # lengthened. Visits only ever move later: the label's interval must not shorten.
    window_days: int = Field(default=3, ge=0, le=14)
    default_cycles: int = Field(default=6, ge=1, le=60)
    adult_only: bool = True
    components: tuple[SystemicComponent, ...] = Field(min_length=1, max_length=6)

    @model_validator(mode="after")
    def _check(self) -> Systemic:
        drugs = [c.drug for c in self.components]
        if len(drugs) != len(set(drugs)):
            raise ValueError("each drug appears in one component")
        for c in self.components:
            if c.days[-1] > self.cycle_days or (c.on_days is not None and c.on_days[1] > self.cycle_days):
                raise ValueError(f"{c.drug}: its days lie beyond the {self.cycle_days}-day cycle")
        return self

    @property
    def has_infusion(self) -> bool:
        return any(c.route == "iv" for c in self.components)

    @property
    def levels(self) -> int:
        """How many dose levels the template has (1: only the starting dose)."""
        return max((len(c.dose.levels) for c in self.components), default=0) or 1


CheckKind = Literal["lab", "imaging", "csf", "cardiac"]
Guarded = Literal["it-dose", "rt-fraction", "infusion", "tablet"]


class MonitoringWhen(Frozen):
    """When a check falls, relative to the events it guards (`events`, of `drugs` when given):
    - each: before every one of them, `open_days_before` open days earlier (0: the same day,
      ending as the event starts, or at it with `at_event`);
    - first: before the first of them, `open_days_before` open days earlier;
    - first-of-month: with the first of them in each calendar month, like `each`;
    - every: from the first of them, a baseline (`baseline`, placed like `first`), then on
      `at_days` after it, then every `every_weeks` weeks after the last of those, while the
      course lasts (up to its last event);
    - after-last: `open_days_after` open days after the last of them.
    `csf_flow`: planned only when the plan's CSF flow is one of these."""

    anchor: Literal["each", "first", "first-of-month", "every", "after-last"]
    events: Guarded
    drugs: tuple[str, ...] = ()
    open_days_before: int = Field(default=0, ge=0, le=20)
    open_days_after: int = Field(default=1, ge=1, le=20)
    at_event: bool = False
    every_weeks: int | None = Field(default=None, ge=1, le=52)
    at_days: tuple[int, ...] = ()
    baseline: bool = False
    csf_flow: tuple[Literal["normal", "obstructed", "unknown"], ...] = ()

    @model_validator(mode="after")
    def _check(self) -> MonitoringWhen:
        if (self.anchor == "every") != (self.every_weeks is not None):
            raise ValueError("every_weeks goes with anchor = 'every', and only with it")
        if (self.at_days or self.baseline) and self.anchor != "every":
            raise ValueError("at_days and baseline go with anchor = 'every'")
        if list(self.at_days) != sorted(set(self.at_days)) or any(d < 1 or d > 366 for d in self.at_days):
            raise ValueError("at_days: days after the first event, 1 to 366, increasing")
        if self.at_event and (self.anchor not in ("each", "first-of-month") or self.open_days_before):
            raise ValueError("at_event is for a check taken at each event (each, first-of-month) on its day")
        return self


class Monitoring(TemplateBase):
    """A check that guards a course: a blood count before each IT dose, a CSF flow study before the
    first, cytology monthly, MRI every 8 weeks, LVEF on trastuzumab. Its interval's evidence is the
    template's `evidence`; `convention` (no verified source for the interval) says what the
    clinical reference's default is, and the clinic file's [monitoring] table may change it."""

    kind: Literal["monitoring"]
    category: CheckKind
    name: str = Field(min_length=3, max_length=80)  # "Blood count"
    patient_name: str = Field(min_length=3, max_length=60)  # "Blood test"
    patient_text: str = Field(min_length=3, max_length=120)  # "Blood test before your treatment"
    where: Literal["clinic", "external"]
    duration_min: int = Field(ge=0, le=1440)
    time: Clock | None = None  # None: before the guarded event on its day (or the session time)
    chair: bool = False  # books an infusion chair on the batch agenda
    detail: str = Field(default="", max_length=300)  # for staff: "CSF at least 5 mL, ideally > 10 mL (S26)"
    convention: str = Field(default="", max_length=300)  # the default interval, when evidence is convention
    when: MonitoringWhen
    sources: tuple[SourceId, ...] = ()  # an interval with no source (convention) may cite none

    @model_validator(mode="after")
    def _check_monitoring(self) -> Monitoring:
        if self.evidence != "convention" and not self.sources:
            raise ValueError("sources: a check whose interval is not a convention cites its source")
        if self.evidence == "convention" and not self.convention:
            raise ValueError("convention: say which local convention the interval is")
        return self


class MonitoringSetting(Frozen):
    """A centre's own interval for one check (the clinic file's [monitoring.ID] table)."""

    off: bool = False
    open_days_before: Int | None = Field(default=None, ge=0, le=20)
    open_days_after: Int | None = Field(default=None, ge=1, le=20)
    every_weeks: Int | None = Field(default=None, ge=1, le=52)
    at_days: tuple[Int, ...] | None = None


Template = Annotated[Regimen | Radiotherapy | Medication | Systemic | Monitoring, Field(discriminator="kind")]


# --- clinic and plan request ----------------------------------------------------------------------


class Closure(Frozen):
    date: Day
    until: Day | None = None
    reason: Line = Field(default="clinic closure", max_length=200)

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        """'2026-12-24' or '2026-12-24..2026-12-31' as well as {date, until, reason} tables."""
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return {"date": value}
        if isinstance(value, str):
            first, sep, last = value.partition("..")
            return {"date": first, "until": last} if sep else {"date": value}
        return value

    @model_validator(mode="after")
    def _check(self) -> Closure:
        if self.until is not None and self.until < self.date:
            raise ValueError(f"closure {self.date}..{self.until} ends before it starts")
        if self.until is not None and (self.until - self.date).days > 366:
            raise ValueError("a closure range may cover at most one year")
        return self

    def days(self) -> list[dt.date]:
        last = self.until or self.date
        return [self.date + dt.timedelta(n) for n in range((last - self.date).days + 1)]


class Clinic(Frozen):
    name: Line = Field(default="", max_length=200)
    location: Text = Field(default="", max_length=300)
    phone: Line = Field(default="", max_length=60)
    country: str | None = Field(default="US", min_length=2, max_length=3)
    subdiv: str | None = Field(default=None, max_length=10)
    tz: Zone = "America/New_York"
    open_days: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")
    closed: tuple[Closure, ...] = ()
    open_holidays: tuple[Line, ...] = ()  # holiday names the clinic works on, e.g. "Columbus Day"
    session_time: Clock = "09:00"
    duration_min: Int = Field(default=60, ge=5, le=720)
    rt_time: Clock = "13:00"
    rt_duration_min: Int = Field(default=15, ge=5, le=720)
    shift: Literal["next", "previous"] = "next"
    # Systemic infusions (issue 16). Each field is left out of a plan's JSON while it has its
    # default, so plans written before it keep their fingerprints. Local conventions, no source.
    infusion_time: Clock = Field(default="10:30", exclude_if=lambda v: v == "10:30")
    prep_min: Int = Field(default=0, ge=0, le=240, exclude_if=lambda v: v == 0)  # chair time before
    observation_min: Int = Field(default=0, ge=0, le=240, exclude_if=lambda v: v == 0)  # and after
    weight_valid_days: Int = Field(default=30, ge=1, le=365, exclude_if=lambda v: v == 30)
    # Criteria to treat (e.g. "Platelets >= 50 x10^9/L"), printed above the staff sheet's table
    # when set. No verified default (clinical reference, administration record standards).
    criteria_to_treat: Text | None = Field(
        default=None, min_length=1, max_length=500, exclude_if=lambda v: v is None
    )
    # A centre's own monitoring intervals, by check template id ([monitoring.mon-mri] every_weeks
    # = 6); left out of the JSON while empty.
    monitoring: dict[TemplateId, MonitoringSetting] = Field(default_factory=dict, exclude_if=lambda v: not v)
    # Infusion chairs for IT sessions (batch agenda): one number for every open day, or per weekday
    # ({mon = 4, fri = 2}). A centre's capacity, not part of any patient's plan: never serialised.
    chairs: Int | dict[Weekday, Int] | None = Field(default=None, exclude=True)
    # The site key file (`scheduler.sitekey`) that keys patient calendars' UIDs, relative to the
    # clinic file (read_clinic and build_request resolve it). A secret's location, not part of any
    # plan: never serialised, so plans and their fingerprints do not depend on it.
    site_key: str | None = Field(default=None, exclude=True, min_length=1, max_length=4096)
    # TrueType fonts for scripts the embedded Noto Sans lacks (CJK ...), drawn where it has no
    # glyph, in this order; relative to the clinic file (read_clinic and build_request resolve and
    # check them). A machine's files, not part of any plan: never serialised (commands that start
    # from a saved plan take --font).
    fonts: tuple[str, ...] = Field(default=(), exclude=True, max_length=8)
    # Which key that file holds (`sitekey.key_id`: a digest of the key that reveals nothing of it),
    # recorded in the plan, so that `export`, `reschedule` and `publish`, which start from the saved
    # plan and never read the clinic file, refuse another key instead of making a patient calendar
    # whose UIDs duplicate every event. Set by the input layer from `site_key`, never by hand.
    site_key_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{16}$")

    @model_validator(mode="after")
    def _check(self) -> Clinic:
        counts = self.chairs.values() if isinstance(self.chairs, dict) else [self.chairs]
        if any(n is not None and not 0 <= n <= 500 for n in counts):
            raise ValueError("chairs: give 0 to 500 chairs (one number, or one per weekday)")
        if not self.open_days:
            raise ValueError("open_days: at least one weekday must be open")
        if len(set(self.open_days)) != len(self.open_days):
            raise ValueError("open_days: a weekday is listed twice")
        return self

    @property
    def open_weekdays(self) -> frozenset[int]:
        return frozenset(WEEKDAYS.index(d) for d in self.open_days)

    def chairs_on(self, day: dt.date) -> int | None:
        """Chairs on `day` (None: capacity unknown, nothing is flagged)."""
        if isinstance(self.chairs, dict):
            return self.chairs.get(cast(Weekday, WEEKDAYS[day.weekday()]))
        return self.chairs


class SystemicCourse(Frozen):
    """One course of a systemic template: from `start`, `cycles` cycles (the template's default,
    6, when not given: the course continues until progression), at a dose level (0 the starting
    dose, -1 the first reduction, ...)."""

    template: TemplateId
    start: StartDay
    cycles: Int | None = Field(default=None, ge=1, le=60)
    dose_level: Int = Field(default=0, ge=-5, le=0)


def _in_range(low: float, high: float, unit: str, what: str) -> Any:
    def check(value: float) -> float:
        if not low <= value <= high:
            raise ValueError(
                f"{value:g} {unit} is outside the plausible adult {what} range, {low:g} to {high:g} {unit}"
            )
        return value

    return check


def _empty(value: Any) -> bool:
    return value is None or value == () or value is False


class PlanRequest(Frozen):
    """Everything one plan is computed from; stored verbatim in the plan document."""

    start: StartDay
    age: AgeField | None = None
    dob: Day | None = None
    route: Route
    regimen: TemplateId = "it-mtx-intensive"
    maintenance: Int | None = Field(default=None, ge=0, le=120)
    rt: TemplateId | None = None
    rt_start: StartDay | None = None
    memantine: bool = True
    crcl: Float | None = Field(default=None, gt=0, le=300)
    kps: Int | None = Field(default=None, ge=0, le=100)
    csf_flow: Literal["normal", "obstructed", "unknown"] = "unknown"
    shunt: Literal["none", "valved", "unvalved"] = "none"
    formulation: Literal["preservative-free", "preserved"] = "preservative-free"
    systemic_mtx: bool = False
    parenchymal_mets: bool = False
    dose: Float | None = Field(default=None, gt=0, le=1000)
    # Systemic therapy (issue 16): left out of the JSON while unset, so older plans keep their
    # fingerprints. Weight and height: plausible adult ranges (the systemic templates are adult).
    systemic: tuple[SystemicCourse, ...] = Field(default=(), max_length=6, exclude_if=_empty)
    weight_kg: Annotated[Float, AfterValidator(_in_range(30, 300, "kg", "weight"))] | None = Field(
        default=None, exclude_if=_empty
    )
    height_cm: Annotated[Float, AfterValidator(_in_range(120, 230, "cm", "height"))] | None = Field(
        default=None, exclude_if=_empty
    )
    weight_date: Day | None = Field(default=None, exclude_if=_empty)
    hold_around_rt: bool = Field(default=False, exclude_if=_empty)
    patient_id: Ident | None = Field(default=None, min_length=1, max_length=64)
    patient_name: Line | None = Field(default=None, min_length=1, max_length=200)
    # Names as people write them (issue 18): the patient calendar's cover greets the patient by the
    # preferred name, else the given name; staff outputs print "FAMILY, Given". Left out of the
    # JSON while unset, so older plans keep their fingerprints.
    given_name: Line | None = Field(default=None, min_length=1, max_length=100, exclude_if=_empty)
    family_name: Line | None = Field(default=None, min_length=1, max_length=100, exclude_if=_empty)
    preferred_name: Line | None = Field(default=None, min_length=1, max_length=100, exclude_if=_empty)
    # The language of the patient's outputs (calendar PDF, patient ICS): a code with a catalog
    # (`scheduler.catalogs`); staff outputs stay in English. Left out of the JSON while English.
    language: LanguageCode = Field(default="en", exclude_if=lambda v: v == "en")
    # Order elements for the staff sheet's administration record (issue 17, S27): printed, or
    # NOT RECORDED when unset; left out of the JSON while unset, so older plans keep their fingerprints.
    prescriber: Line | None = Field(default=None, min_length=1, max_length=200, exclude_if=_empty)
    indication: Line | None = Field(default=None, min_length=1, max_length=300, exclude_if=_empty)
    allergies: Line | None = Field(default=None, min_length=1, max_length=300, exclude_if=_empty)
    clinic: Clinic = Clinic()

    @property
    def full_name(self) -> str | None:
        """The name staff outputs print: `patient_name` as written, else "Family, Given" from
        the separate names (either alone when only one is given)."""
        if self.patient_name:
            return self.patient_name
        parts = [p for p in (self.family_name, self.given_name) if p]
        return ", ".join(parts) or None

    @model_validator(mode="after")
    def _check(self) -> PlanRequest:
        if (self.age is None) == (self.dob is None):
            raise option_hint("age/dob", "give exactly one of {age} or {dob}")
        if self.dob is not None:
            if self.dob > self.start:
                raise ValueError(f"dob: birth date {self.dob} is after the start date {self.start}")
            if self.start.year - self.dob.year > 121 or (
                self.start.year - self.dob.year == 121
                and (self.start.month, self.start.day) >= (self.dob.month, self.dob.day)
            ):
                raise ValueError(f"dob: {self.dob} makes the patient older than 120 years on {self.start}")
        if (self.rt is None) != (self.rt_start is None):
            raise option_hint("rt/rt_start", "give {rt} and {rt_start} together")
        ids = [c.template for c in self.systemic]
        if len(ids) != len(set(ids)):
            twice = next(i for i in ids if ids.count(i) > 1)
            raise ValueError(f"systemic: {quote(twice)} is given twice; plan each template once")
        if self.weight_date is not None and self.weight_kg is None:
            raise option_hint("weight_date", "give {weight_date} with {weight_kg}")
        return self
