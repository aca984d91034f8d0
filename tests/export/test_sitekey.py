"""The site key: a patient calendar's UIDs, series and content digests are keyed, so trying every
record number finds nothing; the same plan and key give the same bytes; patient calendars never
carry a revision's reason. Key files are read strictly and created 0600, never overwritten."""

from __future__ import annotations

import hashlib
import re
import stat
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from scheduler.errors import InputError
from scheduler.export import ics
from scheduler.plan import Event, Plan, identity
from scheduler.schedule import make_uid
from scheduler.sitekey import (
    HEADER,
    SiteKey,
    default_path,
    format_key,
    init_key,
    parse_key,
    read_key,
    resolve,
)

from ..conftest import EXAMPLES, demo_key, make_plan, plan_fields
from ..ical_readers import with_icalendar

OTHER_KEY = bytes(range(32))
_HEX = re.compile(rb"[0-9a-fA-F]{32,}")


def hex_tokens(data: bytes) -> set[bytes]:
    """Every 32-hex-digit window of every run of hex digits in the calendar (unfolded), as the 16
    bytes it spells: UIDs, X-LMSCHED-SERIES, X-LMSCHED-DIGEST and anything else a digest could
    hide in."""
    text = data.replace(b"\r\n ", b"")
    found: set[bytes] = set()
    for run in _HEX.findall(text):
        for i in range(len(run) - 31):
            found.add(bytes.fromhex(run[i : i + 32].decode()))
    return found


def course_keys(plan: Plan) -> list[tuple[str, str, str]]:
    """(template id, course start, event key) of the first IT dose and the first RT fraction, the
    way schedule.make_uid combines them: what an attacker who knows lmsched's code and the plan's
    dates would try with every record number."""
    who = identity(plan.inputs)
    wanted = []
    for kind in ("it-dose", "rt-fraction"):
        event = next(e for e in plan.events if e.kind == kind)
        starts = [plan.inputs.start, plan.inputs.rt_start]
        keys = [f"{event.phase}:{i}" for i in range(60)] + [f"fraction:{event.number}"]
        found = [
            (event.course, str(start), key)
            for start in starts
            for key in keys
            if start is not None and make_uid(who, event.course, start, key) == event.uid
        ]
        assert len(found) == 1, (kind, found)
        wanted.append(found[0])
    return wanted


def record_numbers_found(tokens: set[bytes], plan: Plan) -> list[str]:
    """Every RCC-000000..RCC-999999 whose unkeyed digests (as lmsched wrote them before the site
    key: the series, and the UIDs of the first IT dose and RT fraction) appear among `tokens`."""
    (it_course, it_start, it_key), (rt_course, rt_start, rt_key) = course_keys(plan)
    sha = hashlib.sha256
    it_tail = f"\x1f{it_course}\x1f{it_start}\x1f{it_key}".encode()
    rt_tail = f"\x1f{rt_course}\x1f{rt_start}\x1f{rt_key}".encode()
    hits = []
    for n in range(1_000_000):
        who = b"id:RCC-%06d" % n
        if (
            sha(b"series\x1f" + who + b"\x1fpatient").digest()[:16] in tokens
            or sha(who + it_tail).digest()[:16] in tokens
            or sha(who + rt_tail).digest()[:16] in tokens
        ):
            hits.append(who[3:].decode())
    return hits


def old_style_calendar(plan: Plan, keyed: bytes, key: bytes) -> bytes:
    """`keyed` (a patient calendar) with the identifiers lmsched wrote before the site key: the
    plan's own UIDs and the unkeyed series. The positive control of the brute-force test."""
    old = keyed
    for event in plan.events:
        old = old.replace(ics.ics_uid(event, "patient", key).encode(), event.uid.encode())
    return old.replace(
        ics.series_id(plan, "patient", key).encode(), ics.legacy_series_id(plan, "patient").encode()
    )


def test_no_record_number_is_found_by_trying_them_all(adult: Plan) -> None:
    assert adult.inputs.patient_id == "RCC-000123"
    key = demo_key()
    data = ics.render(adult, "patient", key=key)
    assert b"X-LMSCHED-SERIES" in data and b"X-LMSCHED-DIGEST" in data
    tokens = hex_tokens(data)
    assert len(tokens) >= 2 * len(adult.events)  # every UID and digest is among them
    started = time.perf_counter()
    assert record_numbers_found(tokens, adult) == []
    seconds = time.perf_counter() - started
    assert seconds < 30, seconds
    # The same search finds the record number in the calendar as lmsched made it before the key.
    assert record_numbers_found(hex_tokens(old_style_calendar(adult, data, key)), adult) == ["RCC-000123"]


def test_a_patient_calendar_is_never_made_without_a_key(adult: Plan) -> None:
    for call in (
        lambda: ics.render(adult),
        lambda: ics.render(adult, "patient", key=b""),
        lambda: ics.event_calendars(adult, "patient"),
        lambda: ics.vevent_texts(adult, "patient"),
        lambda: ics.series_id(adult, "patient"),
        lambda: ics.ics_uid(adult.events[0], "patient"),
    ):
        with pytest.raises(InputError, match="site key"):
            call()
    # staff calendars are not keyed: their UIDs are the plan's, marked "-staff"
    assert ics.ics_uid(adult.events[0], "staff") == adult.events[0].uid.replace("@", "-staff@")
    assert ics.render(adult, "staff") == ics.render(adult, "staff", key=OTHER_KEY)


def test_same_plan_and_key_give_the_same_bytes_another_key_other_uids(adult: Plan) -> None:
    first = ics.render(adult, "patient", key=demo_key())
    assert first == ics.render(adult, "patient", key=demo_key())
    other = ics.render(adult, "patient", key=OTHER_KEY)
    uids, other_uids = set(with_icalendar(first)), set(with_icalendar(other))
    assert len(uids) == len(other_uids) == len(adult.events)
    assert not uids & other_uids
    assert {e.uid for e in adult.events}.isdisjoint(uids)  # not the plan's own UIDs
    assert ics.series_id(adult, "patient", demo_key()) != ics.series_id(adult, "patient", OTHER_KEY)
    # nothing of the keyed identifiers is shared between the two keys (series, digests)
    assert not hex_tokens(first) & hex_tokens(other)
    # CalDAV resources carry the same UIDs and digests as the file
    resources = ics.event_calendars(adult, "patient", key=demo_key())
    assert {uid for uid, _, _ in resources} == uids
    assert {digest.encode() for _, digest, _ in resources} <= set(re.findall(rb"[0-9a-f]{32}", first))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=plan_fields())
def test_no_plan_identifier_reaches_any_patient_calendar(registry, fields: dict[str, object]) -> None:  # type: ignore[no-untyped-def]
    plan = make_plan(registry, patient_id="RCC-000123", **fields)
    data = ics.render(plan, "patient", key=demo_key())
    tokens = hex_tokens(data)
    internal = {bytes.fromhex(e.uid.split("@")[0]) for e in plan.events}
    internal.add(bytes.fromhex(ics.legacy_series_id(plan, "patient")))
    assert not tokens & internal
    assert set(with_icalendar(data)) == {ics.ics_uid(e, "patient", demo_key()) for e in plan.events}
    assert b"RCC-000123" not in data.replace(b"\r\n ", b"")


def _moved(event: Event, sequence: int, reason: str) -> Event:
    return event.model_copy(update={"shifted_from": event.date, "shift_reason": reason, "sequence": sequence})


def test_patients_see_who_moved_a_visit_never_why(adult: Plan) -> None:
    event = next(e for e in adult.events if e.kind == "it-dose")
    revised = _moved(event, 1, "revision 1: RCC-000123 platelets 45")
    assert ics.move_note(revised, "patient") == f"This visit was moved by your care team from {event.date}."
    assert ics.move_note(revised, "staff") == f"Moved from {event.date}: revision 1: RCC-000123 platelets 45."
    # a move the clinic calendar made when the plan was made keeps the closure's name
    closure = _moved(event, 0, "closed: Christmas Day")
    assert ics.move_note(closure, "patient") == f"Moved from {event.date}: closed: Christmas Day."
    assert ics.move_note(event, "patient") is None
    tablets = next(e for e in adult.events if e.kind == "medication")
    assert ics.move_note(_moved(tablets, 1, "x"), "patient") == (
        f"This tablet step was moved by your care team from {tablets.date}."
    )
    # tablet notes a revision wrote end with its reason: patients read who, not why
    assert ics.patient_note("stopped after 20 days in revision 2: RCC-000123 progression") == (
        "stopped after 20 days by your care team"
    )
    assert (
        ics.patient_note("continued for 3 more days in revision 1: x")
        == "continued for 3 more days by your care team"
    )
    assert ics.patient_note("weeks 4-24: daily AM to 2027-01-09") == "weeks 4-24: daily AM to 2027-01-09"


# --- key files --------------------------------------------------------------------------------------


def test_the_demo_key_is_a_valid_key_file() -> None:
    found = read_key(EXAMPLES / "demo-site-key", "site_key")
    assert len(found.key) == 32 and format_key(found.key) == (EXAMPLES / "demo-site-key").read_bytes()
    # the bytes never reach a repr, a log or a traceback
    assert (
        "key=" not in repr(found) and found.key.hex() not in repr(found) and str(found.key) not in repr(found)
    )


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "is empty"),
        (b"\n\n", "is empty"),
        (b"-----BEGIN PRIVATE KEY-----\nMIIE\n", "is not an lmsched site key"),
        (b"\xff\xfe", "is not an lmsched site key"),
        (f"{HEADER} abcd\n".encode(), "too short (4 hex digits"),
        (f"{HEADER} {'ab' * 31}\n".encode(), "too short (62 hex digits"),
        (f"{HEADER} {'a' * 65}\n".encode(), "odd number"),
        (f"{HEADER} {'xy' * 32}\n".encode(), "is not an lmsched site key"),
        (f"lmsched-site-key-v2 {'ab' * 32}\n".encode(), "is not an lmsched site key"),
    ],
)
def test_a_malformed_key_file_is_refused_naming_it(tmp_path: Path, content: bytes, words: str) -> None:
    path = tmp_path / "site-key"
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        read_key(path, "site_key")
    message = caught.value.render()
    assert message.startswith("site_key: ") and str(path) in message and words in message
    assert "\n" not in message


def test_missing_unreadable_and_odd_key_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        read_key(tmp_path / "nope", "site_key")
    with pytest.raises(InputError, match="is not a file"):
        read_key(tmp_path, "site_key")
    big = tmp_path / "big"
    big.write_bytes(b"x" * 5000)
    with pytest.raises(InputError, match="one line"):
        read_key(big, "site_key")
    assert parse_key(f"  {HEADER} {'AB' * 40}\r\n".encode(), "f", "k") == bytes([0xAB]) * 40


def test_init_makes_a_0600_file_and_never_replaces_one(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "site-key"
    made = init_key(path)
    assert made.created and read_key(path, "x").key == made.key and len(made.key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert init_key(tmp_path / "another").key != made.key  # random: two sites never share one
    before = path.read_bytes()
    with pytest.raises(InputError, match="already exists"):
        init_key(path)
    assert path.read_bytes() == before
    (tmp_path / "link").symlink_to(tmp_path / "dangling")
    with pytest.raises(InputError, match="already exists"):
        init_key(tmp_path / "link")
    assert list(tmp_path.glob("**/.*.tmp")) == []


def test_the_default_key_is_made_once_then_reused(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config")}
    first = resolve(environ=env)
    assert first.created and first.path == tmp_path / "config" / "lmsched" / "site-key"
    assert stat.S_IMODE(first.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(first.path.parent.stat().st_mode) == 0o700
    again = resolve(environ=env)
    assert not again.created and again.key == first.key
    assert first.notice().count("\n") == 0 and str(first.path) in first.notice()
    # a relative XDG_CONFIG_HOME is ignored (XDG Base Directory specification)
    assert default_path({"XDG_CONFIG_HOME": "rel"}) == Path.home() / ".config" / "lmsched" / "site-key"


def test_precedence_explicit_then_clinic_then_environment_then_default(tmp_path: Path) -> None:
    keys = {name: init_key(tmp_path / name) for name in ("explicit", "clinic", "env")}
    env = {"LMSCHED_SITE_KEY_FILE": str(tmp_path / "env"), "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    assert resolve(explicit=tmp_path / "explicit", clinic=tmp_path / "clinic", environ=env).key == (
        keys["explicit"].key
    )
    assert resolve(clinic=tmp_path / "clinic", environ=env).key == keys["clinic"].key
    assert resolve(environ=env).key == keys["env"].key
    assert not (tmp_path / "xdg").exists()  # the default is not even looked at
    # a file named explicitly is never created, whichever setting names it
    for found in (
        lambda: resolve(explicit=tmp_path / "typo", environ=env),
        lambda: resolve(clinic=tmp_path / "typo", environ=env),
        lambda: resolve(environ={**env, "LMSCHED_SITE_KEY_FILE": str(tmp_path / "typo")}),
    ):
        with pytest.raises(InputError, match="does not exist"):
            found()
    assert not (tmp_path / "typo").exists()
    assert isinstance(resolve(environ=env), SiteKey)
