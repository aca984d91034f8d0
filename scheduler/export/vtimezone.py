"""A VTIMEZONE (RFC 5545 3.6.5) in the form calendar servers write: one STANDARD and one DAYLIGHT
observance with a yearly RRULE taken from the zone's current rule, plus dated observances only
for the changes in the calendar's span that the rule does not describe.

Why not one dated observance per change (icalendar's `add_missing_timezones`)? Such a definition
"only works" for the years it lists, and Outlook is reported to map it to the wrong Windows zone
(iCalcreator issues 86 and 106); servers' own exports (and what clients expect) use yearly rules.

The rule is the POSIX TZ string at the end of the zone's TZif file (`EST5EDT,M3.2.0,M11.1.0`),
read from the same file `ZoneInfo` uses (`scheduler.zones`), so every reader that follows this
VTIMEZONE computes the same instants as `zoneinfo`. `M` rules become BYMONTH + BYDAY (`2SU`,
`-1SU`); a rule whose time is 24:00 or later (Santiago's `M9.1.6/24`: midnight at the end of the
first Saturday) becomes the next weekday within a run of month days
(`BYDAY=SU;BYMONTHDAY=2,3,4,5,6,7,8`); `Jn` becomes BYMONTH + BYMONTHDAY, `n` BYYEARDAY. A rule
no RRULE can say exactly is written as dated observances for the span instead. Each DTSTART is
the wall-clock time just before the change, in TZOFFSETFROM, as RFC 5545 requires.

Deterministic: the same zone data and span always give the same component.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ..zones import PosixRule, PosixTZ, Transition, ZoneData, julian_date, zone_data

if TYPE_CHECKING:
    from icalendar import Timezone

__all__ = ["Observance", "observances", "vtimezone"]

_DAYS = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")
_MARGIN = 14 * 3600  # local Jan 1 may be up to 14 hours from UTC Jan 1
_FLOOR_YEAR = 1900


@dataclass(frozen=True)
class Observance:
    kind: Literal["STANDARD", "DAYLIGHT"]
    start: dt.datetime  # wall-clock time before the change (in offset_from)
    offset_from: int  # seconds east of UTC
    offset_to: int
    name: str
    rrule: tuple[tuple[str, object], ...] = ()  # ordered RRULE parts; () for a dated observance


def _rrule(rule: PosixRule) -> tuple[tuple[str, object], ...] | None:
    """The yearly RRULE of one POSIX date rule, or None when no RRULE says it for every year."""
    days, _seconds = divmod(rule.time, 86400)
    if rule.kind == "M":
        if days == 0:
            week = rule.week if rule.week < 5 else -1
            return (("FREQ", "YEARLY"), ("BYMONTH", rule.month), ("BYDAY", f"{week}{_DAYS[rule.weekday]}"))
        weekday = _DAYS[(rule.weekday + days) % 7]
        shortest = 28 if rule.month == 2 else 30 if rule.month in (4, 6, 9, 11) else 31
        if rule.week < 5:  # the days the weekday can fall on, moved by the time's whole days
            low, high = 7 * (rule.week - 1) + 1 + days, 7 * rule.week + days
            if low < 1 or high > shortest:
                return None
        else:  # the last such weekday: counted from the month's end
            low, high = -7 + days, -1 + days
            if high > -1 or low < -shortest:
                return None
        return (
            ("FREQ", "YEARLY"),
            ("BYMONTH", rule.month),
            ("BYDAY", weekday),
            ("BYMONTHDAY", list(range(low, high + 1))),
        )
    if rule.kind == "J":
        plain = julian_date(2001, rule.day) + dt.timedelta(days)
        leap = julian_date(2004, rule.day) + dt.timedelta(days)
        if (plain.month, plain.day) != (leap.month, leap.day):
            return None
        return (("FREQ", "YEARLY"), ("BYMONTH", plain.month), ("BYMONTHDAY", plain.day))
    day = rule.day + 1 + days
    return (("FREQ", "YEARLY"), ("BYYEARDAY", day)) if 1 <= day <= 365 else None


def _epoch(year: int) -> int:
    return int((dt.datetime(year, 1, 1) - dt.datetime(1970, 1, 1)).total_seconds())


def _key(t: Transition) -> tuple[int, int, int, bool, str]:
    return (t.at, t.offset_before, t.offset_after, t.isdst, t.name)


def _rule_start_year(data: ZoneData, rule: PosixTZ, actual: list[Transition], top: int) -> int:
    """The first year from which every change the data lists is the rule's, and only those."""
    by_year: dict[int, list[tuple[int, int, int, bool, str]]] = {}
    for t in actual:
        by_year.setdefault(t.local_before.year, []).append(_key(t))
    listed_end = data.listed[-1].local_before.year if data.listed else _FLOOR_YEAR
    year = max(top, listed_end + 1)
    while year - 1 >= _FLOOR_YEAR:
        predicted = [_key(t) for t in rule.transitions(year - 1)]
        if sorted(by_year.get(year - 1, [])) != sorted(predicted):
            break
        year -= 1
    return year


@functools.lru_cache(maxsize=256)
def observances(key: str, first_year: int, last_year: int) -> tuple[Observance, ...]:
    """The observances of `key` for a calendar whose events fall in first_year..last_year."""
    data = zone_data(key)
    rule = data.rule
    top = last_year + 1
    listed_end = data.listed[-1].local_before.year if data.listed else top
    actual = data.transitions(max(top, listed_end + 1))
    yearly: list[Observance] = []
    rule_start = 2**62
    if rule is not None and rule.dst_start is not None and rule.dst_end is not None:
        start_rule, end_rule = _rrule(rule.dst_start), _rrule(rule.dst_end)
        if start_rule is not None and end_rule is not None:
            year = _rule_start_year(data, rule, actual, top)
            changes = rule.transitions(year)
            on = next(t for t in changes if t.isdst)
            off = next(t for t in changes if not t.isdst)
            yearly = [
                Observance(
                    "DAYLIGHT", on.local_before, on.offset_before, on.offset_after, on.name, start_rule
                ),
                Observance(
                    "STANDARD", off.local_before, off.offset_before, off.offset_after, off.name, end_rule
                ),
            ]
            rule_start = min(on.at, off.at)
    span_start, span_end = _epoch(first_year) - _MARGIN, _epoch(top) + _MARGIN
    anchor = max((t.at for t in actual if t.at <= span_start), default=None)
    dated = [
        Observance(
            "DAYLIGHT" if t.isdst else "STANDARD", t.local_before, t.offset_before, t.offset_after, t.name
        )
        for t in actual
        if (anchor is None or t.at >= anchor) and t.at < min(rule_start, span_end)
    ]
    found = dated + yearly
    if not found:  # a zone that never changes (or has not since before the span and has no rule)
        offset = rule.std_offset if rule is not None else data.first_offset
        name = rule.std_name if rule is not None else data.first_name
        found = [Observance("STANDARD", dt.datetime(1970, 1, 1), offset, offset, name)]
    return tuple(found)


def vtimezone(key: str, first: dt.date, last: dt.date) -> Timezone:
    """The VTIMEZONE of `key` for events from `first` to `last` (a new component each call; the
    observances are cached per zone and span)."""
    from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

    component = Timezone()
    component.add("tzid", key)
    for obs in observances(key, first.year, last.year):
        part = TimezoneDaylight() if obs.kind == "DAYLIGHT" else TimezoneStandard()
        part.add("dtstart", obs.start)
        part.add("tzoffsetfrom", dt.timedelta(seconds=obs.offset_from))
        part.add("tzoffsetto", dt.timedelta(seconds=obs.offset_to))
        if obs.rrule:
            part.add("rrule", dict(obs.rrule))
        part.add("tzname", obs.name)
        component.add_component(part)
    return component
