"""Time zones that cannot drift: which names are places, what a wall-clock time means on a day of
a clock change, and the zone's rules as the TZif data states them.

A plan stores wall-clock times plus a zone name, and every calendar app turns them into instants
with its own copy of the zone's rules. That only stays right if the name is a *place* (an IANA
region zone such as America/New_York, whose rules follow the law there): a fixed-offset or legacy
name (`EST`, `Etc/GMT+5`, `EST5EDT`, `US/Eastern`) either never changes for daylight saving
(`EST`: from March every 09:00 shows at 10:00 on a New York phone) or is an alias that calendar
apps map in their own ways. New plans therefore take region zones only (`zone_problem`), unless
the user says the fixed zone is meant.

On a day of a clock change some wall-clock times do not exist (spring forward) and some happen
twice (fall back). `resolve_clock` says what a session time means on such a day: a time in the gap
moves to the first minute after it, a repeated time is its first occurrence (as RFC 5545 3.3.5
reads it); either way with a note the event carries.

The TZif files are read the way `zoneinfo` finds them (the `zoneinfo.TZPATH` directories first,
then the `tzdata` package), so the rules written into a VTIMEZONE are the ones `ZoneInfo`
computes with. Reading that data is the only input this module has; it never reads the clock.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import struct
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

__all__ = [
    "ZONE_NOTE_PREFIX",
    "PosixRule",
    "PosixTZ",
    "Resolved",
    "Transition",
    "ZoneData",
    "ZoneWarning",
    "clock_notes_for_days",
    "julian_date",
    "parse_posix",
    "region_zones",
    "resolve_clock",
    "session_end",
    "suggestions",
    "zone_data",
    "zone_problem",
]

ZONE_NOTE_PREFIX = "clock change on "
"""Every note this module writes on an event starts so, so a moved event can drop the old one."""

# Well-known region zones, offered first when a suggestion is made (in this order).
_PREFERRED = (
    "America/New_York",
    "America/Toronto",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Vancouver",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Halifax",
    "America/Sao_Paulo",
    "America/Mexico_City",
    "America/Bogota",
    "America/Santiago",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/Amsterdam",
    "Europe/Madrid",
    "Europe/Rome",
    "Europe/Athens",
    "Europe/Helsinki",
    "Europe/Istanbul",
    "Europe/Moscow",
    "Africa/Johannesburg",
    "Africa/Lagos",
    "Africa/Cairo",
    "Africa/Nairobi",
    "Asia/Dubai",
    "Asia/Karachi",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Dhaka",
    "Asia/Bangkok",
    "Asia/Singapore",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Perth",
    "Australia/Brisbane",
    "Australia/Sydney",
    "Pacific/Auckland",
)


# --- reading the zone data as zoneinfo does -------------------------------------------------------


def _data_file(name: str) -> bytes | None:
    """A file of the time zone database (a TZif file or a table), found as `zoneinfo` finds zones:
    each `zoneinfo.TZPATH` directory in turn, then the `tzdata` package."""
    parts = name.split("/")
    if not name or name.startswith("/") or any(p in ("", ".", "..") for p in parts):
        return None
    for directory in zoneinfo.TZPATH:
        path = Path(directory).joinpath(*parts)
        if path.is_file():
            try:
                return path.read_bytes()
            except OSError:
                continue
    try:
        from importlib import resources

        resource = resources.files("tzdata").joinpath("zoneinfo", *parts)
        return resource.read_bytes() if resource.is_file() else None
    except (ImportError, OSError, ValueError):
        return None


@dataclass(frozen=True)
class Transition:
    """A change of the zone's offset (or name) at a UTC instant (seconds since the epoch)."""

    at: int
    offset_before: int  # seconds east of UTC
    offset_after: int
    isdst: bool  # of the period after
    name: str  # abbreviation of the period after, e.g. EDT or -03

    @property
    def local_before(self) -> dt.datetime:
        """The wall-clock time just before the change, as RFC 5545 wants an observance's DTSTART."""
        return _epoch_local(self.at, self.offset_before)


def _epoch_local(at: int, offset: int) -> dt.datetime:
    return dt.datetime(1970, 1, 1) + dt.timedelta(seconds=at + offset)


@dataclass(frozen=True)
class PosixRule:
    """One date rule of a POSIX TZ string: `Mm.w.d` (kind 'M'), `Jn` ('J') or `n` ('n'), and the
    local time of the change in seconds after midnight (may be negative or 24 hours and more)."""

    kind: str
    month: int = 0
    week: int = 0
    weekday: int = 0  # 0 = Sunday
    day: int = 0  # J: 1..365 (no leap day); n: 0..365
    time: int = 7200

    def date(self, year: int) -> dt.date:
        """The day the rule names in `year` (before the time's day shift)."""
        if self.kind == "M":
            first = dt.date(year, self.month, 1)
            shift = (self.weekday - (first.weekday() + 1) % 7) % 7
            day = first + dt.timedelta(shift + 7 * (self.week - 1))
            while day.month != self.month:  # week 5: the last such weekday
                day -= dt.timedelta(7)
            return day
        if self.kind == "J":
            return julian_date(year, self.day)
        return dt.date(year, 1, 1) + dt.timedelta(self.day)

    def local(self, year: int) -> dt.datetime:
        """The wall-clock time of the change in `year`, in the offset before it."""
        return dt.datetime.combine(self.date(year), dt.time()) + dt.timedelta(seconds=self.time)


def julian_date(year: int, n: int) -> dt.date:
    """Day `n` (1..365) of `year`, never counting 29 February."""
    return dt.date(year, 1, 1) + dt.timedelta(n - 1 + (1 if n >= 60 and _leap(year) else 0))


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


@dataclass(frozen=True)
class PosixTZ:
    """The POSIX TZ string that ends a version 2+ TZif file: the zone's rule after its last
    listed transition, e.g. 'EST5EDT,M3.2.0,M11.1.0' (offsets here are seconds east of UTC)."""

    text: str
    std_name: str
    std_offset: int
    dst_name: str | None = None
    dst_offset: int | None = None
    dst_start: PosixRule | None = None  # the change to daylight time, in standard time
    dst_end: PosixRule | None = None  # the change back, in daylight time

    def transitions(self, year: int) -> list[Transition]:
        """This rule's changes in `year` (none for a zone without daylight saving)."""
        if self.dst_start is None or self.dst_end is None or self.dst_offset is None:
            return []
        assert self.dst_name is not None
        on = self.dst_start.local(year) - dt.timedelta(seconds=self.std_offset)
        off = self.dst_end.local(year) - dt.timedelta(seconds=self.dst_offset)
        out = [
            Transition(_epoch(on), self.std_offset, self.dst_offset, True, self.dst_name),
            Transition(_epoch(off), self.dst_offset, self.std_offset, False, self.std_name),
        ]
        return sorted(out, key=lambda t: t.at)


def _epoch(naive_utc: dt.datetime) -> int:
    return int((naive_utc - dt.datetime(1970, 1, 1)).total_seconds())


_NAME = r"(<[+\-0-9A-Za-z]+>|[A-Za-z]{3,})"
_OFFSET = r"([+-]?\d{1,3}(?::\d{1,2}(?::\d{1,2})?)?)"
_POSIX = re.compile(rf"^{_NAME}{_OFFSET}(?:{_NAME}{_OFFSET}?(?:,([^,]+),([^,]+))?)?$")
_RULE = re.compile(
    r"^(?:M(\d{1,2})\.(\d)\.(\d)|J(\d{1,3})|(\d{1,3}))(?:/([+-]?\d{1,3}(?::\d{1,2}(?::\d{1,2})?)?))?$"
)


def _seconds(text: str) -> int:
    sign = -1 if text.startswith("-") else 1
    parts = [int(p) for p in text.lstrip("+-").split(":")] + [0, 0]
    return sign * (parts[0] * 3600 + parts[1] * 60 + parts[2])


def _rule(text: str) -> PosixRule:
    found = _RULE.match(text)
    if found is None:
        raise ValueError(f"unreadable POSIX TZ rule {text!r}")
    time = _seconds(found[6]) if found[6] else 7200
    if found[1]:
        return PosixRule("M", month=int(found[1]), week=int(found[2]), weekday=int(found[3]), time=time)
    if found[4]:
        return PosixRule("J", day=int(found[4]), time=time)
    return PosixRule("n", day=int(found[5]), time=time)


def parse_posix(text: str) -> PosixTZ:
    """'EST5EDT,M3.2.0,M11.1.0' as a PosixTZ (POSIX offsets count west; these count east)."""
    found = _POSIX.match(text)
    if found is None:
        raise ValueError(f"unreadable POSIX TZ string {text!r}")
    std_name, std, dst_name, dst, start, end = found.groups()
    std_offset = -_seconds(std)
    if dst_name is None:
        return PosixTZ(text, std_name.strip("<>"), std_offset)
    dst_offset = -_seconds(dst) if dst else std_offset + 3600
    if start is None or end is None:  # POSIX default rule; zic never writes it
        start, end = "M3.2.0", "M11.1.0"
    return PosixTZ(
        text, std_name.strip("<>"), std_offset, dst_name.strip("<>"), dst_offset, _rule(start), _rule(end)
    )


@dataclass(frozen=True)
class ZoneData:
    """What a zone's TZif file says: its listed transitions, the period before the first, and the
    POSIX rule for everything after the last."""

    key: str
    first_offset: int
    first_name: str
    first_isdst: bool
    listed: tuple[Transition, ...]
    rule: PosixTZ | None

    def transitions(self, until_year: int) -> list[Transition]:
        """Every change up to the end of `until_year`: the listed ones, then the rule's."""
        out = list(self.listed)
        if self.rule is None or self.rule.dst_start is None:
            return out
        last = out[-1].at if out else -(2**62)
        year = max(_epoch_local(last, 0).year if out else 1970, 1900)
        while year <= until_year:
            out += [t for t in self.rule.transitions(year) if t.at > last]
            year += 1
        return out

    def has_dst(self) -> bool:
        return self.rule is not None and self.rule.dst_start is not None


def _parse_tzif(key: str, data: bytes) -> ZoneData:
    """A TZif file (RFC 8536) as ZoneData; the version 2+ (64-bit) block when there is one."""
    if data[:4] != b"TZif":
        raise ValueError(f"{key}: not a TZif file")
    version = data[4:5]

    def header(at: int) -> tuple[int, ...]:
        return struct.unpack(">6l", data[at + 20 : at + 44])

    isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt = header(0)
    time_size, at = 4, 44
    if version >= b"2":
        at += timecnt * 5 + typecnt * 6 + charcnt + leapcnt * 8 + isstdcnt + isutcnt
        isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt = header(at)
        time_size, at = 8, at + 44
    times = struct.unpack(f">{timecnt}{'q' if time_size == 8 else 'l'}", data[at : at + timecnt * time_size])
    at += timecnt * time_size
    indexes = data[at : at + timecnt]
    at += timecnt
    types = [struct.unpack(">lBB", data[at + 6 * i : at + 6 * i + 6]) for i in range(typecnt)]
    at += typecnt * 6
    chars = data[at : at + charcnt]
    at += charcnt + leapcnt * (time_size + 4) + isstdcnt + isutcnt

    def name(index: int) -> str:
        return chars[index : chars.index(b"\0", index)].decode("ascii", "replace")

    rule: PosixTZ | None = None
    if version >= b"2":
        footer = data[at:].split(b"\n")
        if len(footer) >= 2 and footer[1]:
            rule = parse_posix(footer[1].decode("ascii"))
    # The period before the first transition: the first standard-time type (RFC 8536 3.2).
    first = next((t for t in types if not t[1]), types[0]) if types else (0, 0, 0)
    offset, isdst, abbr = first[0], bool(first[1]), name(first[2]) if types else "UTC"
    listed: list[Transition] = []
    period = (offset, isdst, abbr)
    for moment, index in zip(times, indexes, strict=True):
        utoff, dst_flag, abbr_index = types[index]
        after = (utoff, bool(dst_flag), name(abbr_index))
        if after != period:  # zic may list no-op changes (e.g. at 2**31 - 1 in "fat" files)
            listed.append(Transition(moment, period[0], utoff, after[1], after[2]))
            period = after
    return ZoneData(key, first[0], name(first[2]) if types else "UTC", isdst, tuple(listed), rule)


@functools.lru_cache(maxsize=256)
def zone_data(key: str) -> ZoneData:
    """The TZif data of `key`, as `ZoneInfo(key)` reads it (KeyError when there is none)."""
    data = _data_file(key)
    if data is None:
        raise KeyError(key)
    return _parse_tzif(key, data)


class ZoneWarning(UserWarning):
    """A saved plan uses a fixed-offset or legacy zone: it loads and exports as saved, and the
    front end says so in one line (a new plan with that zone is refused instead)."""


# --- which names are places -------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def region_zones() -> tuple[str, ...]:
    """The zones of tzdata's zone1970.tab and zone.tab (every zone there belongs to a country or
    region), in zone1970.tab order; empty when neither table is installed."""
    names: dict[str, None] = {}
    for table in ("zone1970.tab", "zone.tab"):
        text = _data_file(table)
        for line in (text or b"").decode("utf-8", "replace").splitlines():
            fields = line.split("\t")
            if len(fields) >= 3 and not line.startswith("#"):
                names[fields[2].strip()] = None
    return tuple(names)


@functools.lru_cache(maxsize=1)
def _links() -> dict[str, str]:
    """Old and alias names (tzdata.zi 'L TARGET NAME' lines) and the zone each names."""
    text = _data_file("tzdata.zi") or b""
    out: dict[str, str] = {}
    for line in text.decode("utf-8", "replace").splitlines():
        if line.startswith("L "):
            parts = line.split()
            if len(parts) == 3:
                out[parts[2]] = parts[1]
    return out


@functools.lru_cache(maxsize=1024)
def _rule_of(key: str) -> PosixTZ | None:
    """The zone's POSIX rule, read from the end of its TZif file alone (cheap enough to compare
    every region's when making a suggestion)."""
    data = _data_file(key)
    if data is None or data[:4] != b"TZif" or data[4:5] < b"2":
        return None
    lines = data.rstrip(b"\n").rsplit(b"\n", 1)
    try:
        return parse_posix(lines[-1].decode("ascii")) if len(lines) == 2 and lines[-1] else None
    except (UnicodeDecodeError, ValueError):
        return None


def _utc_text(offset: int) -> str:
    sign = "-" if offset < 0 else "+"
    hours, rest = divmod(abs(offset), 3600)
    return f"UTC{sign}{hours:02d}:{rest // 60:02d}"


def suggestions(key: str, limit: int = 3) -> list[str]:
    """Region zones a user giving `key` most likely means: the place an old alias names; else the
    places with its standard offset, those keeping its rules (a legacy rule zone such as EST5EDT)
    or its abbreviation first, well-known places first, then places with daylight saving."""
    rule = _rule_of(key)
    regions = region_zones()
    target = _links().get(key)
    if target in regions:  # an old name of a place: that place
        return [target]
    if rule is None:
        return list(_PREFERRED[:limit])
    rank = {name: i for i, name in enumerate(_PREFERRED)}
    order = {name: i for i, name in enumerate(regions)}
    scored: list[tuple[int, int, int, int, int, str]] = []
    for name in regions:
        other = _rule_of(name)
        if other is None or other.std_offset != rule.std_offset:
            continue
        if rule.dst_start is not None:  # a legacy rule zone: the places that keep its rules
            same = (other.dst_offset, other.dst_start, other.dst_end) == (
                rule.dst_offset,
                rule.dst_start,
                rule.dst_end,
            )
            same_rules = 0 if same else 1 if other.dst_start is not None else 2
        else:
            same_rules = 0
        other_name = 1 if rule.std_name.isalpha() and other.std_name != rule.std_name else 0
        no_dst = 0 if other.dst_start is not None else 1
        remote = 1 if name.startswith("Antarctica/") else 0
        scored.append((remote + same_rules, other_name, rank.get(name, len(rank)), no_dst, order[name], name))
    scored.sort()
    return [item[-1] for item in scored][:limit]


def zone_problem(key: str) -> str | None:
    """Why `key` is not a region zone a new plan may use, as one sentence naming the places to
    use instead; None when it is one (or when this system's tzdata lists no regions at all)."""
    regions = region_zones()
    if not regions or key in regions:
        return None
    places = ", ".join(suggestions(key))
    rule = _rule_of(key)
    target = _links().get(key)
    if rule is not None and rule.dst_start is None and (target is None or target not in regions):
        return (
            f"{key} is a fixed {_utc_text(rule.std_offset)} zone with no daylight saving: "
            f"use a region such as {places}"
        )
    if target in regions:
        return f"{key} is an old alias of {target}: use {target}"
    return f"{key} is a legacy zone name, not a place: use a region such as {places}"


# --- wall-clock times on a day of a clock change --------------------------------------------------


@dataclass(frozen=True)
class Resolved:
    """A session time on a day: the time to use (HH:MM) and the note saying why it differs."""

    time: str
    note: str | None = None


def _clock_of(moment: dt.datetime | dt.time) -> str:
    return f"{moment.hour:02d}:{moment.minute:02d}"


def _abbr(moment: dt.datetime) -> str:
    name = moment.tzname() or ""
    offset = moment.utcoffset() or dt.timedelta(0)
    text = _utc_text(int(offset.total_seconds()))
    return f"{name}, {text}" if name and not name.lstrip("+-").isdigit() else text


def resolve_clock(day: dt.date, clock: str, tz: str) -> Resolved:
    """What wall-clock `clock` on `day` in `tz` means for a session.

    In a spring-forward gap the time does not exist: the session moves to the first minute after
    the gap (02:30 -> 03:00 in New York), so its start and end are real times. A fall-back time
    happens twice: the first occurrence is meant (RFC 5545 3.3.5), and the note says which."""
    zone = ZoneInfo(tz)
    wall = dt.datetime.combine(day, dt.time.fromisoformat(clock))
    first = wall.replace(tzinfo=zone)
    second = wall.replace(tzinfo=zone, fold=1)
    round_trip = first.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None)
    if round_trip != wall:  # in a gap
        moved = wall
        while True:
            moved += dt.timedelta(minutes=1)
            if moved.replace(tzinfo=zone).astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) == moved:
                break
        before = first.utcoffset() or dt.timedelta(0)
        after = moved.replace(tzinfo=zone).utcoffset() or dt.timedelta(0)
        gap_start = moved - (after - before)
        note = (
            f"{ZONE_NOTE_PREFIX}{day}: clocks go forward from {_clock_of(gap_start)} to "
            f"{_clock_of(moved)}, so {clock} does not exist that day; the session is at "
            f"{_clock_of(moved)} ({_abbr(moved.replace(tzinfo=zone))})"
        )
        return Resolved(_clock_of(moved), note)
    if first.utcoffset() != second.utcoffset():
        note = (
            f"{ZONE_NOTE_PREFIX}{day}: clocks go back and {clock} happens twice; the first "
            f"{clock} ({_abbr(first)}) is meant, as calendar apps read it"
        )
        return Resolved(clock, note)
    return Resolved(clock)


def session_end(start: dt.datetime, minutes: int) -> dt.datetime:
    """The end of a session of `minutes` from aware `start`, as a wall-clock time that exists.

    Adding minutes to a wall-clock time (`start + timedelta`) is wrong across a clock change: a
    session from 01:30 to "02:30" on a spring-forward day ends at a time that does not exist, which
    some readers take with the offset after the gap, giving a zero-length event. The end is taken
    in elapsed time instead (01:30 EST + 60 minutes = 03:30 EDT). An end in the repeated hour of a
    fall-back day (its second occurrence, which a TZID time cannot name: readers take the first)
    keeps the wall-clock end, so the event is never shorter than planned."""
    wall = start + dt.timedelta(minutes=minutes)
    if start.tzinfo is None:
        return wall
    end = (start.astimezone(dt.UTC) + dt.timedelta(minutes=minutes)).astimezone(start.tzinfo)
    return wall if end.fold else end


def clock_notes_for_days(first_day: dt.date, days: int, clock: str, tz: str) -> list[str]:
    """Notes for a time taken daily from `first_day` for `days` days (a tablet step, one DTSTART
    and a daily RRULE): on a spring-forward day a time in the gap does not exist and calendar apps
    read it with the offset before the change (RFC 5545 3.3.5), so the reminder comes the gap's
    length later; on a fall-back day a repeated time is its first occurrence."""
    zone = ZoneInfo(tz)
    notes: list[str] = []
    for n in range(days):
        day = first_day + dt.timedelta(n)
        wall = dt.datetime.combine(day, dt.time.fromisoformat(clock))
        first = wall.replace(tzinfo=zone)
        shown = first.astimezone(dt.UTC).astimezone(zone)
        if shown.replace(tzinfo=None) != wall:
            other = wall.replace(tzinfo=zone, fold=1).astimezone(dt.UTC).astimezone(zone)
            notes.append(
                f"{ZONE_NOTE_PREFIX}{day}: clocks go forward and {clock} does not exist that day; "
                f"calendar apps show that day's reminder at {_clock_of(shown)} (as RFC 5545 says) or "
                f"at {_clock_of(other)}: take that day's dose at {resolve_clock(day, clock, tz).time}"
            )
        elif first.utcoffset() != wall.replace(tzinfo=zone, fold=1).utcoffset():
            notes.append(
                f"{ZONE_NOTE_PREFIX}{day}: clocks go back and {clock} happens twice; the reminder "
                f"comes at the first {clock} ({_abbr(first)})"
            )
    return notes
