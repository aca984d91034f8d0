"""`lmsched publish` against a real Radicale server, read back with the real caldav client."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import caldav
import icalendar
import pytest

from scheduler.export.ics import ics_uid
from scheduler.models import PlanRequest
from scheduler.plan import plan_from_json, plan_to_json
from scheduler.rules import check_plan
from scheduler.schedule import build_plan

from ..conftest import EXAMPLES, NOW, NOW_DT
from ..radicale_server import RadicaleServer as Radicale

ADULT = str(EXAMPLES / "patient-adult.toml")


def demo_key() -> bytes:
    """The demo site key every run in the tests uses (tests/conftest.py)."""
    from scheduler.sitekey import read_key

    return read_key(EXAMPLES / "demo-site-key", "site_key").key


@pytest.fixture
def plans(run, tmp_path: Path) -> dict[str, Path]:  # type: ignore[no-untyped-def]
    """The adult example, a revision of it (fewer maintenance doses, a closure that moves a dose)
    and another patient's plan."""
    paths = {}
    variants = {
        "first": (ADULT,),
        "revised": (
            ADULT,
            "--maintenance",
            "5",
            "--closed",
            "2026-12-17",
            "--now",
            "2026-12-01T09:00:00-05:00",
        ),
        "other": ("--start", "2026-12-02", "--age", "60", "--route", "lumbar", "--patient-id", "RCC-999"),
    }
    for name, args in variants.items():
        path = tmp_path / f"{name}.json"
        argv = ["plan", *args, "--json", str(path), "-q"]
        if "--now" not in args:
            argv += ["--now", NOW]
        result = run(*argv)
        assert result.code == 0, result.err
        paths[name] = path
    return paths


def publish(
    run,
    radicale: Radicale,
    plan: Path,
    *extra: str,
    user: str = "alice",
    password: str | None = None,
    url: str | None = None,
):  # type: ignore[no-untyped-def]
    """`lmsched publish` as `user`, the password in the environment as a user would give it."""
    os.environ["LMSCHED_CALDAV_PASSWORD"] = password if password is not None else radicale.users[user]
    try:
        return run("publish", str(plan), "--caldav", url or radicale.url, "--username", user, *extra)
    finally:
        del os.environ["LMSCHED_CALDAV_PASSWORD"]


def server_events(radicale: Radicale, name: str, user: str = "alice") -> dict[str, icalendar.Event]:
    """Every VEVENT on the server's calendar `name`, by UID, read with the caldav client."""
    client = caldav.DAVClient(url=radicale.url, username=user, password=radicale.users[user])
    return calendar_events(next(c for c in client.principal().calendars() if c.get_display_name() == name))


def calendar_events(calendar: Any) -> dict[str, icalendar.Event]:
    """The VEVENTs of a caldav calendar, by UID, asserting one resource per UID."""
    found: dict[str, icalendar.Event] = {}
    resources = calendar.events()
    for obj in resources:
        [vevent] = icalendar.Calendar.from_ical(obj.data).walk("VEVENT")
        assert str(vevent["UID"]) not in found, "duplicate UID on the server"
        found[str(vevent["UID"])] = vevent
    assert len(resources) == len(found)
    return found


def calendar_uids(path: Path, audience: str = "patient") -> dict[str, str]:
    """The plan's UIDs -> the UIDs its events have on a calendar for `audience` (patient
    calendars: keyed with the site key)."""
    plan = plan_from_json(path.read_bytes())
    key = demo_key() if audience == "patient" else None
    return {e.uid: ics_uid(e, audience, key=key) for e in plan.events}  # type: ignore[arg-type]


def plan_uids(path: Path, audience: str = "patient") -> set[str]:
    return set(calendar_uids(path, audience).values())


def test_publishing_twice_leaves_one_copy_of_each_event(run, radicale: Radicale, plans) -> None:  # type: ignore[no-untyped-def]
    first = publish(run, radicale, plans["first"], "--calendar", "Treatment", "--create")
    assert first.code == 0, first.err
    # 22 IT doses, 10 RT fractions, 7 memantine steps and 41 checks (22 blood counts, 13 CSF
    # cytologies, 6 MRIs)
    assert "created 80, updated 0, unchanged 0, removed 0" in first.out
    again = publish(run, radicale, plans["first"], "--calendar", "Treatment")
    assert again.code == 0, again.err
    assert "created 0, updated 0, unchanged 80, removed 0" in again.out
    stored = server_events(radicale, "Treatment")
    assert set(stored) == plan_uids(plans["first"])
    doc = json.loads(plans["first"].read_text())
    uids = calendar_uids(plans["first"])
    for event in doc["events"]:
        vevent = stored[uids[event["uid"]]]
        assert vevent["DTSTART"].dt.strftime("%Y-%m-%d %H:%M") == f"{event['date']} {event['time']}"
        assert int(vevent["SEQUENCE"]) == 0


def test_a_new_plan_replaces_the_old_one_only_when_asked_and_removes_what_it_dropped(
    run, radicale: Radicale, plans
) -> None:  # type: ignore[no-untyped-def]
    """`revised` is a new plan (`lmsched plan` again, revision 0), not a revision of `first`: it
    is refused until --allow-older says to replace the calendar's plan; then every event of the
    series is rewritten (SEQUENCE 1), the dropped ones removed, and each event says so."""
    assert publish(run, radicale, plans["first"], "--calendar", "Treatment", "--create").code == 0
    before = server_events(radicale, "Treatment")
    refused = publish(run, radicale, plans["revised"], "--calendar", "Treatment")
    assert refused.code == 2 and refused.err.count("\n") == 1, refused.err
    assert "the calendar has revision 0 from another branch" in refused.err and "--allow-older" in refused.err
    assert {u: v.to_ical() for u, v in server_events(radicale, "Treatment").items()} == {
        u: v.to_ical() for u, v in before.items()
    }
    result = publish(run, radicale, plans["revised"], "--calendar", "Treatment", "--allow-older")
    assert result.code == 0, result.err
    after = server_events(radicale, "Treatment")
    assert set(after) == plan_uids(plans["revised"])
    removed = set(before) - set(after)
    # 10 maintenance doses became 5: 5 doses, their 5 blood counts and 5 cytologies, 3 MRIs
    assert len(removed) == 18
    changed = {u for u in after if after[u]["X-LMSCHED-DIGEST"] != before[u]["X-LMSCHED-DIGEST"]}
    assert changed, "the revision changed some events"
    for vevent in after.values():
        assert int(vevent["SEQUENCE"]) == 1
        assert str(vevent["X-LMSCHED-PUBLISHED"]) == "revision 0 over revision 0 (--allow-older)"
    assert f"updated {len(after)}, unchanged 0, removed 18" in result.out
    uids = calendar_uids(plans["revised"])
    moved = [
        e for e in json.loads(plans["revised"].read_text())["events"] if e["shifted_from"] == "2026-12-17"
    ]
    assert moved and after[uids[moved[0]["uid"]]]["DTSTART"].dt.date().isoformat() == moved[0]["date"]
    again = publish(run, radicale, plans["revised"], "--calendar", "Treatment")
    assert again.code == 0 and "created 0, updated 0, unchanged 62, removed 0" in again.out, again.err


def test_other_patients_and_foreign_events_are_never_touched(run, radicale: Radicale, plans) -> None:  # type: ignore[no-untyped-def]
    assert publish(run, radicale, plans["first"], "--calendar", "Clinic", "--create").code == 0
    assert publish(run, radicale, plans["other"], "--calendar", "Clinic").code == 0
    client = caldav.DAVClient(url=radicale.url, username="alice", password=radicale.users["alice"])
    calendar = next(c for c in client.principal().calendars() if c.get_display_name() == "Clinic")
    calendar.save_event(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//someone else//EN\r\nBEGIN:VEVENT\r\n"
        "UID:staff-meeting@example.org\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:20261210T150000Z\r\n"
        "SUMMARY:Staff meeting\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    assert publish(run, radicale, plans["revised"], "--calendar", "Clinic", "--allow-older").code == 0
    stored = set(server_events(radicale, "Clinic"))
    assert stored == plan_uids(plans["revised"]) | plan_uids(plans["other"]) | {"staff-meeting@example.org"}


def test_staff_and_patient_calendars_do_not_collide_and_patient_carries_no_id(
    run, radicale: Radicale, plans
) -> None:  # type: ignore[no-untyped-def]
    assert publish(run, radicale, plans["first"], "--calendar", "Shared", "--create").code == 0
    staff = publish(run, radicale, plans["first"], "--calendar", "Shared", "--audience", "staff")
    assert "created 80" in staff.out
    stored = server_events(radicale, "Shared")
    assert set(stored) == plan_uids(plans["first"]) | plan_uids(plans["first"], "staff")
    for uid, vevent in stored.items():
        text = vevent.to_ical().replace(b"\r\n ", b"").decode()
        assert ("RCC-000123" in text) == uid.endswith("-staff@lmsched")


def test_unreachable_server(run, plans, unreachable_url: str) -> None:  # type: ignore[no-untyped-def]
    result = run(
        "publish",
        str(plans["first"]),
        "--caldav",
        unreachable_url,
        "--calendar",
        "Treatment",
        "--timeout",
        "5",
    )
    assert result.code == 4
    assert result.err.count("\n") == 1 and "Traceback" not in result.err
    assert "connection refused" in result.err
    dates = sorted(e["date"] for e in json.loads(plans["first"].read_text())["events"])
    assert "written: none" in result.err and f"not written: 80 ({dates[0]} to {dates[-1]})" in result.err


def test_refused_login_writes_nothing(run, radicale: Radicale, plans) -> None:  # type: ignore[no-untyped-def]
    result = publish(
        run, radicale, plans["first"], "--calendar", "Treatment", "--create", password="wrong-password"
    )
    assert result.code == 4 and result.err.count("\n") == 1
    assert "refused the login" in result.err and "not written: 80" in result.err
    client = caldav.DAVClient(url=radicale.url, username="alice", password=radicale.users["alice"])
    assert [c.get_display_name() for c in client.principal().calendars()] == []


def test_forbidden_calendar(run, radicale: Radicale, plans) -> None:  # type: ignore[no-untyped-def]
    bob = caldav.DAVClient(url=radicale.url, username="bob", password=radicale.users["bob"])
    calendar = bob.principal().make_calendar(name="Bob's")
    result = publish(run, radicale, plans["first"], url=str(calendar.url))
    assert result.code == 4 and result.err.count("\n") == 1 and "403" in result.err
    assert len(calendar.events()) == 0


def test_a_calendar_url_can_be_given_directly(run, radicale: Radicale, plans) -> None:  # type: ignore[no-untyped-def]
    alice = caldav.DAVClient(url=radicale.url, username="alice", password=radicale.users["alice"])
    calendar = alice.principal().make_calendar(name="Direct")
    result = publish(run, radicale, plans["first"], url=str(calendar.url))
    assert result.code == 0 and "created 80" in result.out
    assert set(server_events(radicale, "Direct")) == plan_uids(plans["first"])


class _Failing(http.server.BaseHTTPRequestHandler):
    def _fail(self) -> None:
        self.send_response(500, "Internal Server Error")
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_PUT = do_PROPFIND = do_REPORT = do_OPTIONS = do_DELETE = _fail

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def failing_server() -> Iterator[str]:
    """A real HTTP server (stdlib) that answers every request with 500."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/cal/"
    finally:
        server.shutdown()
        server.server_close()


def test_server_error(run, plans, failing_server: str) -> None:  # type: ignore[no-untyped-def]
    result = run("publish", str(plans["first"]), "--caldav", failing_server)
    assert result.code == 4 and result.err.count("\n") == 1
    assert "server failed" in result.err and "not written: 80" in result.err


def test_missing_calendar_without_create_names_the_choices(run, radicale: Radicale, plans) -> None:  # type: ignore[no-untyped-def]
    assert publish(run, radicale, plans["first"], "--calendar", "Treatment", "--create").code == 0
    result = publish(run, radicale, plans["first"], "--calendar", "Treatmnet")
    assert result.code == 2
    assert "calendar: no calendar named 'Treatmnet'" in result.err and "(valid: Treatment)" in result.err


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (("--caldav", "ftp://127.0.0.1/"), "caldav: 'ftp://127.0.0.1/' is not an http(s) URL"),
        (("--caldav", "http://alice:secret@127.0.0.1/"), "caldav: put the user in --username"),
        (("--caldav", "http://127.0.0.1/", "--password", "x"), "No such option '--password'"),
        (("--caldav", "http://127.0.0.1/", "--alarm", "later"), "alarm: 'later' is not an alarm"),
    ],
)
def test_publish_bad_input(run, plans, args: tuple[str, ...], text: str) -> None:  # type: ignore[no-untyped-def]
    result = run("publish", str(plans["first"]), *args)
    assert result.code == 2 and text in result.err and result.err.count("\n") == 1


def test_a_tampered_or_foreign_plan_file_is_refused(run, tmp_path: Path, plans) -> None:  # type: ignore[no-untyped-def]
    doc = json.loads(plans["first"].read_text())
    doc["events"][5]["dose_mg"] = 150
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(doc))
    result = run("publish", str(tampered), "--caldav", "http://127.0.0.1:9/")
    assert result.code == 2 and "changed after lmsched wrote it" in result.err
    other = tmp_path / "other.json"
    other.write_text('{"hello": "world"}')
    result = run("publish", str(other), "--caldav", "http://127.0.0.1:9/")
    assert result.code == 2 and "not an lmsched plan document" in result.err
    result = run("publish", str(tmp_path / "missing.json"), "--caldav", "http://127.0.0.1:9/")
    assert result.code == 2 and "does not exist" in result.err


def test_a_plan_with_a_blocking_finding_is_never_published(run, registry, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    request = PlanRequest.model_validate(
        {"start": "2026-12-01", "age": "45", "route": "ommaya", "formulation": "preserved"}
    )
    checked = check_plan(build_plan(request, registry, NOW_DT), None, [], by=None, at=NOW_DT)
    assert checked.blocking
    path = tmp_path / "blocked.json"
    path.write_bytes(plan_to_json(checked.plan))
    result = run("publish", str(path), "--caldav", "http://127.0.0.1:9/")
    assert result.code == 3 and "nothing was published" in result.err


def test_without_a_password_and_without_a_terminal_it_says_how_to_give_one(plans) -> None:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if k != "LMSCHED_CALDAV_PASSWORD"}
    argv = ["publish", str(plans["first"]), "--caldav", "http://127.0.0.1:9/", "--username", "alice"]
    proc = subprocess.run(
        [sys.executable, "-m", "scheduler", *argv],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,  # not a terminal: no prompt
        env=env,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr == (
        "lmsched: error: password: set LMSCHED_CALDAV_PASSWORD (there is no terminal to ask for the password on)\n"
    )


def test_events_published_before_the_site_key_are_replaced_not_duplicated(
    run, radicale: Radicale, plans
) -> None:  # type: ignore[no-untyped-def]
    """An older lmsched put patient events up under the unkeyed series and the plan's own UIDs;
    the first keyed publish removes them and writes the keyed ones (no duplicate visits)."""
    from scheduler.export.ics import event_calendars, legacy_series_id

    plan = plan_from_json(plans["first"].read_bytes())
    client = caldav.DAVClient(url=radicale.url, username="alice", password=radicale.users["alice"])
    calendar = client.principal().make_calendar(name="Treatment")
    for (_, _, cal), event in zip(event_calendars(plan, "patient", key=demo_key()), plan.events, strict=True):
        vevent = cal.walk("VEVENT")[0]
        vevent.pop("UID")
        vevent.add("uid", event.uid)
        vevent.pop("X-LMSCHED-SERIES")
        vevent.add("x-lmsched-series", legacy_series_id(plan, "patient"))
        calendar.add_event(cal.to_ical().decode(), increase_seqno=False)
    assert set(server_events(radicale, "Treatment")) == {e.uid for e in plan.events}
    result = publish(run, radicale, plans["first"], "--calendar", "Treatment")
    assert result.code == 0 and "created 80, updated 0, unchanged 0, removed 80" in result.out, result.err
    assert set(server_events(radicale, "Treatment")) == plan_uids(plans["first"])
