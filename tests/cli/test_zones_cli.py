"""Time zones at the command line: fixed-offset and legacy names refused for new plans (exit 2,
one line) unless --allow-fixed-offset; saved plans with them load with one warning; a session in
a daylight-saving gap gets a real time and a note, in the plan and in the calendar."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from scheduler.errors import InputError
from scheduler.inputs import read_clinic

from ..conftest import NOW
from ..ical_readers import occurrences, with_icalendar, with_vobject
from .test_cli import assert_one_error_line

BASE = ("plan", "--start", "2027-03-08", "--age", "60", "--route", "ommaya", "--now", NOW, "-q")
EVERY_DAY = '["mon", "tue", "wed", "thu", "fri", "sat", "sun"]'


@pytest.mark.parametrize(
    ("tz", "suggested"),
    [
        ("EST", "America/New_York"),
        ("EST5EDT", "America/New_York"),
        ("MST7MDT", "America/Denver"),
        ("Etc/GMT+5", "America/New_York"),
        ("US/Eastern", "America/New_York"),
        ("GMT", "Europe/London"),
        ("UTC", "Europe/London"),
    ],
)
def test_a_fixed_or_legacy_zone_is_refused_in_one_line(run, tmp_path: Path, tz: str, suggested: str) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "plan.json"
    result = run(*BASE, "--tz", tz, "--json", str(out))
    assert result.code == 2
    line = assert_one_error_line(result.err)
    assert line.startswith("lmsched: error: tz (--tz): ")
    assert tz in line and suggested in line and "--allow-fixed-offset" in line
    assert not out.exists()


def test_allow_fixed_offset_accepts_it(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "plan.json"
    result = run(*BASE, "--tz", "EST", "--allow-fixed-offset", "--json", str(out))
    assert result.code == 0, result.err
    assert json.loads(out.read_text())["inputs"]["clinic"]["tz"] == "EST"


def test_region_zones_are_accepted_without_the_flag(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for tz in ("Europe/Berlin", "Asia/Kathmandu", "America/Santiago", "Australia/Sydney"):
        result = run(*BASE, "--tz", tz, "--country", "DE", "--json", str(tmp_path / "p.json"))
        assert result.code == 0, result.err
        assert "warning" not in result.err


def test_the_clinic_file_is_named_and_may_allow_it(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    clinic = tmp_path / "clinic.toml"
    clinic.write_text('tz = "EST"\n')
    result = run(*BASE, "--clinic", str(clinic), "--json", str(tmp_path / "p.json"))
    assert result.code == 2
    line = assert_one_error_line(result.err)
    assert f"tz (clinic file {clinic})" in line and "America/New_York" in line
    with pytest.raises(InputError, match="clinic file"):
        read_clinic(clinic)  # a batch's --clinic too
    clinic.write_text('tz = "EST"\nallow_fixed_offset = true\n')
    result = run(*BASE, "--clinic", str(clinic), "--json", str(tmp_path / "p.json"))
    assert result.code == 0, result.err
    assert read_clinic(clinic).tz == "EST"
    clinic.write_text('tz = "EST"\nallow_fixed_offset = "yes"\n')
    result = run(*BASE, "--clinic", str(clinic), "--json", str(tmp_path / "p.json"))
    assert result.code == 2 and "allow_fixed_offset" in assert_one_error_line(result.err)


def test_a_saved_plan_with_a_fixed_zone_loads_and_exports_with_one_warning(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    saved = tmp_path / "plan.json"
    assert run(*BASE, "--tz", "EST", "--allow-fixed-offset", "--json", str(saved)).code == 0
    ics = tmp_path / "plan.ics"
    result = run("export", str(saved), "--ics", str(ics))
    assert result.code == 0, result.err
    warnings = [line for line in result.err.splitlines() if line.startswith("lmsched: warning:")]
    assert len(warnings) == 1
    assert str(saved) in warnings[0] and "EST is a fixed UTC-05:00 zone" in warnings[0]
    assert "America/New_York" in warnings[0]
    text = ics.read_bytes()
    assert b"TZID:EST\r\n" in text and b"BEGIN:DAYLIGHT" not in text
    revised = tmp_path / "r2.json"
    result = run(
        "reschedule", str(saved), "--delay", "2027-03-11", "--days", "1", "--json", str(revised), "--now", NOW
    )
    assert result.code == 0, result.err
    assert sum(line.startswith("lmsched: warning:") for line in result.err.splitlines()) == 1


def spring_forward_plan(run, tmp_path: Path, session_time: str) -> tuple[list[dict], bytes]:  # type: ignore[no-untyped-def]
    """A New York plan starting on the spring-forward day 2027-03-14, every day open, sessions at
    `session_time`: its events (plan JSON) and its staff calendar."""
    clinic = tmp_path / "clinic.toml"
    clinic.write_text(f'tz = "America/New_York"\nopen_days = {EVERY_DAY}\nsession_time = "{session_time}"\n')
    out, ics = tmp_path / "plan.json", tmp_path / "plan.ics"
    args = ("plan", "--start", "2027-03-14", "--age", "60", "--route", "ommaya", "--now", NOW, "-q")
    result = run(*args, "--clinic", str(clinic), "--json", str(out), "--ics", str(ics), "--audience", "staff")
    assert result.code == 0, result.err
    return json.loads(out.read_text())["events"], ics.read_bytes()


def test_a_session_in_the_gap_is_at_the_end_of_it_in_the_calendar(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    events, data = spring_forward_plan(run, tmp_path, "02:30")
    first = next(e for e in events if e["kind"] == "it-dose")
    assert (first["date"], first["time"]) == ("2027-03-14", "03:00")
    assert any("02:30 does not exist" in n for n in first["notes"])
    uid = first["uid"].replace("@", "-staff@", 1)
    want = dt.datetime(2027, 3, 14, 3, 0, tzinfo=ZoneInfo("America/New_York"))
    for read in (with_icalendar(data), with_vobject(data)):
        assert read[uid].start == want
        length = read[uid].end.astimezone(dt.UTC) - read[uid].start.astimezone(dt.UTC)
        assert length == dt.timedelta(minutes=60)  # not a zero-length event
    assert occurrences(data, dt.date(2027, 3, 14), dt.date(2027, 3, 14))[uid] == [want]
    assert all(e["time"] == "02:30" for e in events if e["kind"] == "it-dose" and e is not first)


def test_a_session_ending_in_the_gap_keeps_its_length_in_every_reader(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """01:30 + 60 minutes on 2027-03-14 ends at 03:30 EDT; a DTEND of "02:30" does not exist and
    vobject reads it with the offset after the gap, as the start's instant: a zero-length event."""
    events, data = spring_forward_plan(run, tmp_path, "01:30")
    uid = events[0]["uid"].replace("@", "-staff@", 1)
    for read in (with_icalendar(data), with_vobject(data)):
        length = read[uid].end.astimezone(dt.UTC) - read[uid].start.astimezone(dt.UTC)
        assert length == dt.timedelta(minutes=60)
