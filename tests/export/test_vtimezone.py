"""VTIMEZONE: yearly STANDARD/DAYLIGHT rules from the zone's TZif data, checked by reading whole
calendars back with three independent readers and comparing every event's UTC instant with
zoneinfo's, for five zones with different kinds of rules, for events from 2027 to 2031.

Each calendar is read twice: as written (readers may map a known IANA TZID straight to their own
zone database) and with the TZID renamed to a name no reader knows, so the readers must build
the zone from our VTIMEZONE alone, as Outlook and other clients without the IANA names do.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import icalendar
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.export.ics import calendar_frame, render
from scheduler.export.vtimezone import observances, vtimezone
from scheduler.plan import Event, Plan
from scheduler.templates import Registry
from scheduler.zones import zone_data

from ..conftest import make_plan
from ..ical_readers import occurrences, with_icalendar, with_vobject

ZONES = ("America/New_York", "Europe/Berlin", "Australia/Sydney", "America/Santiago", "Asia/Kathmandu")
FIRST, LAST = dt.date(2027, 1, 1), dt.date(2031, 12, 31)
EVERY_DAY = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _exists(day: dt.date, clock: dt.time, tz: str) -> bool:
    wall = dt.datetime.combine(day, clock)
    zone = ZoneInfo(tz)
    return wall.replace(tzinfo=zone).astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) == wall


def _moments(tz: str) -> list[tuple[dt.date, dt.time]]:
    """Local times that exist: around every change from 2027 to 2031 (an hour and a half before
    to an hour and a half after, in half hours, and a minute either side), and two a month."""
    out: set[tuple[dt.date, dt.time]] = set()
    for t in zone_data(tz).transitions(LAST.year):
        local = t.local_before
        if not FIRST <= local.date() <= LAST:
            continue
        for minutes in (-90, -60, -30, -1, 0, 1, 30, 60, 90):
            wall = local + dt.timedelta(minutes=minutes)
            out.add((wall.date(), wall.time()))
    day = FIRST
    while day <= LAST:
        out.add((day, dt.time(9, 0)))
        out.add((day + dt.timedelta(13), dt.time(23, 30)))
        out.add((day + dt.timedelta(17), dt.time(0, 15)))
        day += dt.timedelta(29)
    return sorted(m for m in out if _exists(m[0], m[1], tz) and FIRST <= m[0] <= LAST)


def synthetic_plan(registry: Registry, tz: str, moments: list[tuple[dt.date, dt.time]]) -> Plan:
    """A real plan in `tz` whose events are replaced by one IT dose at each moment, and one daily
    tablet step (RRULE) over each spring-forward and fall-back day, rendered by the real exporter."""
    plan = make_plan(registry, clinic={"tz": tz, "open_days": EVERY_DAY})
    model = next(e for e in plan.events if e.kind == "it-dose")
    events = [
        model.model_copy(
            update={
                "uid": f"{n}-zone@test",
                "date": day,
                "time": clock.strftime("%H:%M"),
                "tz": tz,
                "shifted_from": None,
                "shift_reason": None,
                "notes": (),
            }
        )
        for n, (day, clock) in enumerate(moments)
    ]
    changes = [t for t in zone_data(tz).transitions(LAST.year) if FIRST <= t.local_before.date() <= LAST]
    for n, t in enumerate(changes):
        events.append(
            model.model_copy(
                update={
                    "uid": f"{n}-tablets@test",
                    "kind": "medication",
                    "date": t.local_before.date() - dt.timedelta(3),
                    "time": "08:00",
                    "tz": tz,
                    "duration_min": 5,
                    "repeat_days": 7,
                    "notes": (),
                    "status": "confirmed",
                }
            )
        )
    return plan.model_copy(update={"events": tuple(events), "findings": ()})


def _renamed(data: bytes, tz: str) -> bytes:
    """The calendar with its TZID renamed to one no reader knows (and unique to this zone: the
    readers cache zones by TZID). X-WR-TIMEZONE keeps the IANA name: it only names the zone of
    floating times, of which there are none."""
    new = f"X-LMSCHED-TEST-{tz.replace('/', '-')}".encode()
    return data.replace(b"TZID:" + tz.encode(), b"TZID:" + new).replace(
        b"TZID=" + tz.encode(), b"TZID=" + new
    )


def _expected(event: Event) -> dt.datetime:
    start = dt.datetime.combine(event.date, dt.time.fromisoformat(event.time), tzinfo=ZoneInfo(event.tz))
    return start.astimezone(dt.UTC)


@pytest.fixture(scope="module")
def calendars(registry: Registry) -> dict[str, tuple[Plan, bytes]]:
    out = {}
    for tz in ZONES:
        plan = synthetic_plan(registry, tz, _moments(tz))
        out[tz] = (plan, render(plan, "staff", alarms=()))
    return out


@pytest.mark.parametrize("renamed", [False, True], ids=["iana-tzid", "unknown-tzid"])
@pytest.mark.parametrize("tz", ZONES)
def test_every_instant_read_back_equals_zoneinfo(
    calendars: dict[str, tuple[Plan, bytes]], tz: str, renamed: bool
) -> None:
    plan, data = calendars[tz]
    if renamed:
        data = _renamed(data, tz)
        assert f"TZID={tz}".encode() not in data and f"TZID:{tz}".encode() not in data
    by_icalendar, by_vobject = with_icalendar(data), with_vobject(data)
    expanded = occurrences(data, FIRST - dt.timedelta(7), LAST + dt.timedelta(7))
    sessions = [e for e in plan.events if e.kind == "it-dose"]
    assert len(sessions) > 100  # the test covers what it says
    for event in plan.events:
        uid = event.uid.replace("@", "-staff@", 1)
        want = _expected(event)
        for reader, read in (("icalendar", by_icalendar), ("vobject", by_vobject)):
            got = read[uid].start.astimezone(dt.UTC)
            assert got == want, f"{reader}: {tz} {event.date} {event.time}: {got} != {want}"
        days = [event.date + dt.timedelta(n) for n in range(event.repeat_days)]
        wanted = [
            dt.datetime.combine(d, dt.time.fromisoformat(event.time), tzinfo=ZoneInfo(tz)).astimezone(dt.UTC)
            for d in days
        ]
        got_all = [s.astimezone(dt.UTC) for s in expanded[uid]]
        assert got_all == wanted, f"recurring-ical-events: {tz} {event.date} {event.time}"


def _blocks(data: bytes, name: str) -> list[str]:
    text = data.decode().replace("\r\n", "\n")
    return re.findall(rf"BEGIN:{name}\n(.*?)END:{name}\n", text, flags=re.S)


@pytest.mark.parametrize(
    ("tz", "daylight", "standard"),
    [
        ("America/New_York", ("BYMONTH=3", "BYDAY=2SU"), ("BYMONTH=11", "BYDAY=1SU")),
        ("Europe/Berlin", ("BYMONTH=3", "BYDAY=-1SU"), ("BYMONTH=10", "BYDAY=-1SU")),
        ("Australia/Sydney", ("BYMONTH=10", "BYDAY=1SU"), ("BYMONTH=4", "BYDAY=1SU")),
        (
            "America/Santiago",
            ("BYMONTH=9", "BYDAY=SU", "BYMONTHDAY=2,3,4,5,6,7,8"),
            ("BYMONTH=4", "BYDAY=SU", "BYMONTHDAY=2,3,4,5,6,7,8"),
        ),
    ],
)
def test_one_standard_and_one_daylight_observance_with_a_yearly_rule(
    calendars: dict[str, tuple[Plan, bytes]], tz: str, daylight: tuple[str, ...], standard: tuple[str, ...]
) -> None:
    _plan, data = calendars[tz]
    (zone,) = _blocks(data, "VTIMEZONE")
    assert f"TZID:{tz}" in zone
    for kind, parts in (("DAYLIGHT", daylight), ("STANDARD", standard)):
        (observance,) = _blocks(zone.encode(), kind)  # one, not one per year
        (rrule,) = re.findall(r"^RRULE:(.*)$", observance, flags=re.M)
        assert set(rrule.split(";")) == {"FREQ=YEARLY", *parts}
        assert "UNTIL" not in rrule and "COUNT" not in rrule
        assert re.search(r"^DTSTART:\d{8}T\d{6}$", observance, flags=re.M)  # local, no Z, no TZID


def test_dtstart_is_the_local_time_before_the_change(calendars: dict[str, tuple[Plan, bytes]]) -> None:
    zone = _blocks(calendars["America/New_York"][1], "VTIMEZONE")[0]
    daylight, standard = _blocks(zone.encode(), "DAYLIGHT")[0], _blocks(zone.encode(), "STANDARD")[0]
    assert "DTSTART:20070311T020000" in daylight and "TZOFFSETFROM:-0500" in daylight
    assert "TZOFFSETTO:-0400" in daylight and "TZNAME:EDT" in daylight
    assert "DTSTART:20071104T020000" in standard and "TZOFFSETFROM:-0400" in standard
    assert "TZOFFSETTO:-0500" in standard and "TZNAME:EST" in standard
    santiago = _blocks(calendars["America/Santiago"][1], "VTIMEZONE")[0]
    # M9.1.6/24: 24:00 at the end of the first Saturday of September 2023 is Sunday 3 September 00:00
    assert "DTSTART:20230903T000000" in _blocks(santiago.encode(), "DAYLIGHT")[0]
    berlin = _blocks(calendars["Europe/Berlin"][1], "VTIMEZONE")[0]
    assert "DTSTART:19961027T030000" in _blocks(berlin.encode(), "STANDARD")[0]  # M10.5.0/3, in CEST


def test_a_zone_without_daylight_saving_has_one_standard_observance(
    calendars: dict[str, tuple[Plan, bytes]],
) -> None:
    zone = _blocks(calendars["Asia/Kathmandu"][1], "VTIMEZONE")[0]
    assert not _blocks(zone.encode(), "DAYLIGHT")
    (standard,) = _blocks(zone.encode(), "STANDARD")
    assert "RRULE" not in standard and "TZOFFSETTO:+0545" in standard and "TZNAME:+0545" in standard


@pytest.mark.parametrize("tz", ZONES)
def test_the_definition_does_not_grow_with_the_span(tz: str) -> None:
    short = observances(tz, 2027, 2027)
    long = observances(tz, 2027, 2060)
    assert short == long
    assert len(long) <= 2


def test_a_rule_change_inside_the_span_is_written_as_dated_observances() -> None:
    """Santiago's current rule dates from 2023 (2022's change came a week late): a calendar for
    2021 to 2024 needs the 2021-2022 changes as dated observances and the rule from 2023."""
    found = observances("America/Santiago", 2021, 2024)
    dated = [o for o in found if not o.rrule]
    ruled = [o for o in found if o.rrule]
    assert len(ruled) == 2 and min(o.start for o in ruled).year == 2023
    assert dated and all(2020 <= o.start.year <= 2023 for o in dated)
    assert dt.datetime(2022, 9, 11, 0, 0) in {o.start for o in dated}  # the late change of 2022
    zone = vtimezone("America/Santiago", dt.date(2021, 1, 1), dt.date(2024, 12, 31))
    tzid = "X-LMSCHED-TEST-Santiago-2021"
    zone["TZID"] = tzid
    moments = [
        dt.datetime(2021, 1, 5, 9, 0),
        dt.datetime(2021, 4, 3, 23, 30),
        dt.datetime(2022, 9, 4, 12, 0),  # the week the 2022 change was postponed
        dt.datetime(2022, 9, 11, 1, 30),
        dt.datetime(2023, 4, 1, 23, 30),
        dt.datetime(2024, 9, 8, 1, 0),
        dt.datetime(2024, 12, 30, 9, 0),
    ]
    cal = _calendar_of(zone, tzid, moments)
    read = icalendar.Calendar.from_ical(cal)
    got = [e["DTSTART"].dt.astimezone(dt.UTC) for e in read.walk("VEVENT")]
    want = [m.replace(tzinfo=ZoneInfo("America/Santiago")).astimezone(dt.UTC) for m in moments]
    assert got == want
    assert [v.start.astimezone(dt.UTC) for v in with_vobject(cal).values()] == want


def _calendar_of(zone: icalendar.Timezone, tzid: str, moments: list[dt.datetime]) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//lmsched tests//EN"]
    text = zone.to_ical().decode().replace("\r\n", "\n").strip().split("\n")
    lines += text
    for n, m in enumerate(moments):
        lines += [
            "BEGIN:VEVENT",
            f"UID:{n}@test",
            "DTSTAMP:20260101T000000Z",
            f"DTSTART;TZID={tzid}:{m:%Y%m%dT%H%M%S}",
            f"DTEND;TZID={tzid}:{m:%Y%m%dT%H%M%S}",
            "SUMMARY:x",
            "DESCRIPTION:x",
            "STATUS:CONFIRMED",
            "SEQUENCE:0",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tz=st.sampled_from(ZONES),
    instants=st.lists(
        st.datetimes(min_value=dt.datetime(2027, 1, 1), max_value=dt.datetime(2031, 12, 31, 23, 59)),
        min_size=1,
        max_size=12,
    ),
)
def test_random_instants_round_trip_through_the_vtimezone(tz: str, instants: list[dt.datetime]) -> None:
    """Any instant of 2027-2031 written as local time (its first occurrence when the clocks go
    back: a second occurrence has no local spelling with a TZID) reads back as the same instant."""
    zone = ZoneInfo(tz)
    moments = []
    for instant in instants:
        local = instant.replace(tzinfo=dt.UTC, second=0, microsecond=0).astimezone(zone)
        if local.fold:
            continue
        moments.append(local.replace(tzinfo=None))
    component = vtimezone(tz, FIRST, LAST)
    tzid = f"X-LMSCHED-PROP-{tz.replace('/', '-')}"
    component["TZID"] = tzid
    cal = _calendar_of(component, tzid, moments)
    want = [m.replace(tzinfo=zone).astimezone(dt.UTC) for m in moments]
    by_icalendar = [
        e["DTSTART"].dt.astimezone(dt.UTC) for e in icalendar.Calendar.from_ical(cal).walk("VEVENT")
    ]
    by_vobject = [with_vobject(cal)[f"{n}@test"].start.astimezone(dt.UTC) for n in range(len(moments))]
    assert by_icalendar == want
    assert by_vobject == want


def test_same_zone_and_span_give_the_same_bytes(registry: Registry) -> None:
    plan = synthetic_plan(registry, "America/Santiago", _moments("America/Santiago")[:20])
    assert render(plan, "staff", alarms=()) == render(plan, "staff", alarms=())
    a = vtimezone("Europe/Berlin", FIRST, LAST).to_ical()
    b = vtimezone("Europe/Berlin", dt.date(2027, 6, 1), dt.date(2031, 2, 1)).to_ical()
    assert a == b


def test_calendar_frame_uses_the_same_vtimezone() -> None:
    head, tail = calendar_frame("clinic", "Australia/Sydney", FIRST, LAST)
    assert tail == b"END:VCALENDAR\r\n"
    assert vtimezone("Australia/Sydney", FIRST, LAST).to_ical() in head
    assert head.count(b"BEGIN:DAYLIGHT") == 1 and b"RRULE:FREQ=YEARLY" in head
    utc_head, _ = calendar_frame("clinic", "UTC", FIRST, LAST)
    assert b"VTIMEZONE" not in utc_head


def test_a_fixed_zone_of_a_saved_plan_gets_one_standard_observance() -> None:
    text = vtimezone("EST", FIRST, LAST).to_ical().decode()
    assert text.count("BEGIN:STANDARD") == 1 and "DAYLIGHT" not in text
    assert "TZOFFSETFROM:-0500" in text and "TZOFFSETTO:-0500" in text


@pytest.mark.parametrize(
    ("text", "expressible"),
    [
        ("M3.2.0", True),
        ("M11.1.0", True),
        ("M10.5.0/3", True),
        ("M9.1.6/24", True),  # Santiago: the Sunday after the first Saturday
        ("M4.1.6/24", True),
        ("M3.5.0/-1", True),  # the last Sunday minus an hour: the last Saturday 23:00
        ("M3.4.4/26", True),  # the fourth Thursday + 1 day, 02:00: always a Friday, 23rd to 29th
        ("M2.4.4/26", False),  # ... in February it may be 1 March: no one RRULE says it
        ("M10.5.0/26", False),  # the day after the last Sunday may be in the next month
        ("J60/2", True),  # 1 March, leap year or not
        ("J59/24", False),  # 28 February + 1 day: 1 March or 29 February
        ("59", True),  # zero-based day 59 counts 29 February: BYYEARDAY=60
        ("300/24", True),
    ],
)
def test_each_posix_date_rule_becomes_an_rrule_giving_the_same_days(text: str, expressible: bool) -> None:
    from dateutil.rrule import rrulestr

    from scheduler.export.vtimezone import _rrule
    from scheduler.zones import parse_posix

    rule = parse_posix(f"XXX3YYY,{text},M11.1.0").dst_start
    assert rule is not None
    parts = _rrule(rule)
    assert (parts is not None) == expressible
    if parts is None:
        return
    value = ";".join(f"{k}={','.join(map(str, v)) if isinstance(v, list) else v}" for k, v in parts)
    start = rule.local(2027)
    got = list(rrulestr(value, dtstart=start).between(start, dt.datetime(2060, 12, 31), inc=True))
    assert got == [rule.local(year) for year in range(2027, 2061)]
