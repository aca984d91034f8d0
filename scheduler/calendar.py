"""The clinic calendar: which days are open, why a day is closed, and where a closed day's work goes.

Pure: public holidays come from the `holidays` package (a computation, not I/O), imported only
when a plan is built so that `lmsched --help` stays fast.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import InputError
from .models import Clinic

__all__ = [
    "ClinicCalendar",
    "HolidayNames",
    "HolidaySource",
    "LocalHolidaySource",
    "build_calendar",
    "holiday_names",
]

# Far enough for any shift; a clinic that is closed for longer than this is an input error.
MAX_SEARCH_DAYS = 400
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class ClinicCalendar:
    """Open weekdays plus named closures; holiday names are looked up lazily, year by year."""

    open_weekdays: frozenset[int]
    closures: dict[dt.date, str] = field(default_factory=dict)
    holiday_name: Callable[[dt.date], str | None] = field(default=lambda _day: None)

    def closed_reason(self, day: dt.date) -> str | None:
        """Why the clinic is closed on `day` ("Christmas Day", "Saturday"), or None when open."""
        reasons = []
        if day in self.closures:
            reasons.append(self.closures[day])
        holiday = self.holiday_name(day)
        if holiday:
            reasons.append(holiday)
        if day.weekday() not in self.open_weekdays:
            reasons.append(_DAY_NAMES[day.weekday()])
        return " / ".join(reasons) if reasons else None

    def named_closures(self, first: dt.date, stop: dt.date) -> list[str]:
        """'DATE: reason' for each closure from `first` up to `stop` that falls on an open weekday
        (holidays and clinic closures; weekends go without saying)."""
        named = []
        day = first
        while day < stop:
            if day.weekday() in self.open_weekdays:
                named.append(f"{day}: {self.closed_reason(day)}")
            day += dt.timedelta(1)
        return named

    def is_open(self, day: dt.date) -> bool:
        return self.closed_reason(day) is None

    def next_open(self, day: dt.date) -> dt.date:
        """The first open day on or after `day`."""
        for n in range(MAX_SEARCH_DAYS):
            candidate = day + dt.timedelta(n)
            if self.is_open(candidate):
                return candidate
        raise InputError(
            f"the clinic has no open day within {MAX_SEARCH_DAYS} days after {day}", field="closed"
        )

    def previous_open(self, day: dt.date, not_before: dt.date) -> dt.date | None:
        """The last open day on or before `day` and not before `not_before`, if any."""
        candidate = day
        while candidate >= not_before:
            if self.is_open(candidate):
                return candidate
            candidate -= dt.timedelta(1)
        return None


def _no_holidays(_day: dt.date) -> str | None:
    return None


HolidayNames = Callable[[dt.date], list[str]]
"""The names of the public holidays on a day (empty when none)."""

HolidaySource = Callable[[str, str | None], HolidayNames]
"""(country, subdivision) -> holiday names; the CLI passes a cached source, the core computes."""


def build_calendar(clinic: Clinic, source: HolidaySource | None = None) -> ClinicCalendar:
    """The calendar for a clinic: its open weekdays, its closures and its country's holidays."""
    closures: dict[dt.date, str] = {}
    for closure in clinic.closed:
        for day in closure.days():
            closures[day] = closure.reason
    return ClinicCalendar(
        open_weekdays=clinic.open_weekdays,
        closures=closures,
        holiday_name=_holiday_lookup(clinic, source or holiday_names),
    )


LocalHolidaySource = Callable[[str, str | None, str | None], HolidayNames]
"""The names of a country's holidays in a patient's language (None: the country's own)."""


def holiday_language(table: Any, language_code: str) -> str | None:
    """The `holidays` language tag that has a country's names in `language_code` ("es" -> "es",
    "en" -> "en_US", "pt-BR" -> "pt_BR" or "pt"), or None when the package has none (the names
    are then in the country's own language). `table`: the country's holidays object."""
    supported = tuple(table.supported_languages)
    wanted = language_code.replace("-", "_")
    base = wanted.split("_", 1)[0]
    default = str(table.default_language or "")
    for candidate in (wanted, base):
        if candidate in supported:
            return candidate
    if default.split("_", 1)[0] == base:
        return default
    return next((s for s in sorted(supported) if s.split("_", 1)[0] == base), None)


def holiday_names(country: str, subdiv: str | None, language: str | None = None) -> HolidayNames:
    """The `holidays` package's table for a country (and subdivision), validated: an unknown
    country or subdivision is an input error listing the valid ones. The names are in the
    country's own language, or in `language` (a patient's: "es") where the package has it."""
    import holidays

    code = country.upper()
    try:
        national = holidays.country_holidays(code)
    except NotImplementedError:
        supported = holidays.list_supported_countries()
        raise InputError(
            f"'{country}' is not a country the holidays package knows",
            field="country",
            choices=sorted(c for c in supported if len(c) == 2),
        ) from None
    if subdiv is not None:
        subdivs = list(type(national).subdivisions)
        match = next((s for s in subdivs if s.upper() == subdiv.upper()), None)
        if match is None:
            raise InputError(f"'{subdiv}' is not a subdivision of {code}", field="subdiv", choices=subdivs)
    # the language named: without it the package follows the machine's locale (LANG=es_ES gave
    # Spain's names in Spanish, C.UTF-8 in English)
    tag = (holiday_language(national, language) if language else None) or national.default_language
    if subdiv is not None:
        table = holidays.country_holidays(code, subdiv=match, language=tag)
    else:
        table = holidays.country_holidays(code, language=tag)
    return table.get_list


def _holiday_lookup(clinic: Clinic, source: HolidaySource) -> Callable[[dt.date], str | None]:
    """Names of the public holidays on a day, less those the clinic works on."""
    if not clinic.country:
        return _no_holidays
    names_on = source(clinic.country.upper(), clinic.subdiv)
    worked = {name.casefold() for name in clinic.open_holidays}

    def holiday_name(day: dt.date) -> str | None:
        names = [n for n in names_on(day) if n.casefold() not in worked]
        return " / ".join(names) if names else None

    return holiday_name


@dataclass(frozen=True)
class Placement:
    day: dt.date
    shifted_from: dt.date | None
    reason: str | None


def place_course(
    planned: list[tuple[dt.date, int]],
    calendar: ClinicCalendar,
    shift: str,
    not_before: dt.date,
    previous: dt.date | None = None,
) -> list[Placement]:
    """Put each planned (day, min_gap) on an open day, in order.

    A dose due on a closed day moves to the next open day (or, with shift="previous", the last open
    day before it when that keeps the minimum gap and the start; otherwise forward). A dose that
    would come sooner than its minimum gap after the previous dose is pushed later, which is how one
    closure moves the doses after it. No dose ever lands on a closed day or before the previous one.
    `previous`: the day of the dose before these (when a course is placed phase by phase).
    """
    placed: list[Placement] = []
    for day, min_gap in planned:
        reasons: list[str] = []
        earliest = not_before if previous is None else max(not_before, previous + dt.timedelta(min_gap))
        candidate = day
        if candidate < earliest:
            assert previous is not None
            reasons.append(f"kept {min_gap} days after the previous dose ({previous})")
            candidate = earliest
        closed = calendar.closed_reason(candidate)
        if closed is not None:
            reasons.append(f"closed {candidate}: {closed}" if reasons else f"closed: {closed}")
            moved = None
            if shift == "previous" and candidate == day:
                moved = calendar.previous_open(candidate, earliest)
            if moved is None:
                moved = calendar.next_open(candidate)
                reasons += calendar.named_closures(candidate + dt.timedelta(1), moved)
            candidate = moved
        placed.append(
            Placement(
                day=candidate,
                shifted_from=day if candidate != day else None,
                reason="; ".join(reasons) if candidate != day else None,
            )
        )
        previous = candidate
    return placed


def nth_open_days(calendar: ClinicCalendar, start: dt.date, count: int) -> list[Placement]:
    """`count` consecutive open days from `start` (radiotherapy: one fraction per open day).

    A fraction's planned day is `start`, then each following open weekday ignoring closures; a
    fraction pushed by a closure keeps `shifted_from` and names the closure that moved it."""
    placed: list[Placement] = []
    planned = start
    actual = calendar.next_open(start)
    cause = f"closed: {calendar.closed_reason(start)}" if actual != start else None
    for i in range(count):
        if i > 0:
            planned += dt.timedelta(1)
            while planned.weekday() not in calendar.open_weekdays:
                planned += dt.timedelta(1)
            following = calendar.next_open(actual + dt.timedelta(1))
            skipped = calendar.named_closures(actual + dt.timedelta(1), following)
            if skipped:
                cause = f"closed {skipped[-1]}"
            actual = following
        moved = actual != planned
        reason = None
        if moved:
            here = calendar.closed_reason(planned)
            reason = f"closed: {here}" if here else cause
        placed.append(Placement(day=actual, shifted_from=planned if moved else None, reason=reason))
    return placed
