"""`lmsched publish` against two real CalDAV servers, Radicale and Xandikos, each case on both:
what the --caldav address is (a server root, a principal, a calendar home, a calendar), with and
without --calendar, --create, and the revision history (older revisions, other branches, the same
revision twice). Every server is read back with the real caldav client."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import caldav
import icalendar
import pytest

from ..conftest import EXAMPLES, NOW
from ..radicale_server import RadicaleServer
from ..xandikos_server import XandikosServer
from .test_publish import calendar_events, calendar_uids

ADULT = str(EXAMPLES / "patient-adult.toml")  # 80 events: 39 doses, fractions and steps, 41 checks
LATER = "2026-12-07T10:00:00-05:00"


@dataclass
class Server:
    """One of the two servers, as a user would address it."""

    name: str
    root: str
    principal: str
    home: str
    user: str | None = None
    password: str | None = None

    def client(self) -> caldav.DAVClient:
        return caldav.DAVClient(url=self.root, username=self.user, password=self.password)

    def calendars(self) -> dict[str, str]:
        """URL -> display name of every calendar the user has."""
        return {str(c.url): c.get_display_name() or "" for c in self.client().principal().calendars()}

    def make_calendar(self, name: str) -> str:
        return str(self.client().principal().make_calendar(name=name).url)

    def contents(self) -> dict[str, bytes]:
        """Every resource of every calendar, URL -> its data as the server returns it."""
        found: dict[str, bytes] = {}
        for calendar in self.client().principal().calendars():
            for obj in calendar.events():
                found[str(obj.url)] = obj.data.encode() if isinstance(obj.data, str) else obj.data
        return found

    def events(self, name: str) -> dict[str, icalendar.Event]:
        """The VEVENTs of the calendar `name`, by UID (asserting one resource per UID)."""
        [calendar] = [c for c in self.client().principal().calendars() if c.get_display_name() == name]
        return calendar_events(calendar)

    def url(self, kind: str) -> str:
        return {"root": self.root, "principal": self.principal, "home": self.home}[kind]


@pytest.fixture(params=["radicale", "xandikos"])
def server(request: pytest.FixtureRequest) -> Server:
    if request.param == "radicale":
        radicale: RadicaleServer = request.getfixturevalue("radicale")
        return Server(
            "radicale",
            radicale.url,
            f"{radicale.url}alice/",
            f"{radicale.url}alice/",  # Radicale's calendar home is the principal itself
            "alice",
            radicale.users["alice"],
        )
    xandikos: XandikosServer = request.getfixturevalue("xandikos")
    return Server("xandikos", xandikos.url, xandikos.principal_url, xandikos.home_url)


Publish = Callable[..., object]


@pytest.fixture
def publish(run, server: Server) -> Callable[..., object]:  # type: ignore[no-untyped-def]
    """`lmsched publish PLAN --caldav URL ...` as the server's user (password in the environment)."""

    def _publish(plan: Path, url: str, *extra: str):  # type: ignore[no-untyped-def]
        login = ["--username", server.user] if server.user else []
        if server.password:
            os.environ["LMSCHED_CALDAV_PASSWORD"] = server.password
        try:
            return run("publish", str(plan), "--caldav", url, *login, *extra)
        finally:
            os.environ.pop("LMSCHED_CALDAV_PASSWORD", None)

    return _publish


@pytest.fixture
def history(run, tmp_path: Path) -> dict[str, Path]:  # type: ignore[no-untyped-def]
    """A plan (r0), its revision r1 (a dose delayed by 7 days), r2 made from r1 (a hold), and r1b:
    another revision 1 of r0 (delayed by 14 days instead): another branch."""
    paths = {name: tmp_path / f"{name}.json" for name in ("r0", "r1", "r2", "r1b")}
    result = run("plan", ADULT, "--now", NOW, "--json", str(paths["r0"]), "-q")
    assert result.code == 0, result.err
    days = "--days"
    for name, parent, change in (
        ("r1", "r0", ["--delay", "2026-12-14", days, "7", "--reason", "Platelets low."]),
        ("r2", "r1", ["--delay", "2027-01-11", days, "3", "--reason", "Fever."]),
        ("r1b", "r0", ["--delay", "2026-12-14", days, "14", "--reason", "Infection."]),
    ):
        result = run(
            "reschedule", str(paths[parent]), *change, "--now", LATER, "--json", str(paths[name]), "-q"
        )
        assert result.code == 0, (name, result.err)
    return paths


def one_input_error(result, *words: str) -> None:  # type: ignore[no-untyped-def]
    assert result.code == 2, (result.code, result.out, result.err)
    assert result.err.count("\n") == 1 and result.err.startswith("lmsched: error: "), result.err
    assert "Traceback" not in result.err
    for word in words:
        assert word in result.err, result.err


# --- what the address is ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["root", "principal", "home"])
def test_without_calendar_an_address_that_is_not_a_calendar_is_refused_and_names_the_calendars(
    server: Server, publish, history, kind: str
) -> None:  # type: ignore[no-untyped-def]
    server.make_calendar("Treatment")
    server.make_calendar("Staff rota")
    before, contents = server.calendars(), server.contents()
    for _ in range(2):  # the second try must not do what the first did not
        result = publish(history["r0"], server.url(kind))
        one_input_error(result, "not a calendar", "Treatment", "Staff rota", "--calendar NAME")
        # A calendar home lists its own calendars; Radicale's principal is its calendar home too.
        home = kind == "home" or (kind == "principal" and server.name == "radicale")
        assert ("; calendars there: " if home else "; the user's calendars: ") in result.err
    assert server.calendars() == before
    assert server.contents() == contents == {}


@pytest.mark.parametrize("kind", ["root", "principal", "home", "another calendar"])
def test_with_calendar_any_address_finds_the_one_named_and_creates_none(
    server: Server, publish, history, kind: str
) -> None:  # type: ignore[no-untyped-def]
    url = server.make_calendar("Treatment")
    other = server.make_calendar("Other")
    before = server.calendars()
    address = other if kind == "another calendar" else server.url(kind)
    result = publish(history["r0"], address, "--calendar", "Treatment")
    assert result.code == 0, result.err
    assert "created 80" in result.out and "(created the calendar)" not in result.out
    assert server.calendars() == before
    assert set(server.events("Treatment")) == set(calendar_uids(history["r0"]).values())
    assert server.events("Other") == {}
    assert url.rstrip("/") in result.out


@pytest.mark.parametrize("kind", ["root", "principal", "home"])
def test_a_missing_calendar_is_created_only_with_create_and_then_exactly_one(
    server: Server, publish, history, kind: str
) -> None:  # type: ignore[no-untyped-def]
    before = server.calendars()
    one_input_error(publish(history["r0"], server.url(kind), "--calendar", "Treatment"), "--create")
    assert server.calendars() == before
    result = publish(history["r0"], server.url(kind), "--calendar", "Treatment", "--create")
    assert result.code == 0 and "(created the calendar): created 80" in result.out, result.err
    after = server.calendars()
    assert len(after) == len(before) + 1 and sorted(after.values()) == sorted([*before.values(), "Treatment"])
    again = publish(history["r0"], server.url(kind), "--calendar", "Treatment", "--create")
    assert again.code == 0 and "unchanged 80" in again.out, again.err
    assert server.calendars() == after


def test_two_calendars_of_the_same_name_are_refused_with_both_urls(server: Server, publish, history) -> None:  # type: ignore[no-untyped-def]
    first, second = server.make_calendar("Treatment"), server.make_calendar("Treatment")
    before = server.calendars()
    result = publish(history["r0"], server.principal, "--calendar", "Treatment", "--create")
    one_input_error(result, "2 calendars are named 'Treatment'", first.rstrip("/"), second.rstrip("/"))
    assert server.calendars() == before and server.contents() == {}


def test_a_calendar_url_is_used_as_it_is(server: Server, publish, history) -> None:  # type: ignore[no-untyped-def]
    url = server.make_calendar("Direct")
    before = server.calendars()
    result = publish(history["r0"], url)
    assert result.code == 0 and "created 80" in result.out, result.err
    assert server.calendars() == before
    assert len(server.events("Direct")) == 80


# --- revisions -------------------------------------------------------------------------------------


@pytest.fixture
def treatment(server: Server) -> str:
    server.make_calendar("Treatment")
    return "Treatment"


def test_each_event_records_the_revision_and_a_keyed_plan_digest(
    server: Server, publish, history, treatment: str
) -> None:  # type: ignore[no-untyped-def]
    import json

    assert publish(history["r1"], server.principal, "--calendar", treatment).code == 0
    doc = json.loads(history["r1"].read_text())
    for vevent in server.events(treatment).values():
        assert str(vevent["X-LMSCHED-REVISION"]) == "1"
        digest = str(vevent["X-LMSCHED-PLAN"])
        assert len(digest) == 32 and digest not in doc["fingerprint"]
        assert "X-LMSCHED-PUBLISHED" not in vevent


def test_the_same_revision_twice_changes_nothing(server: Server, publish, history, treatment: str) -> None:  # type: ignore[no-untyped-def]
    assert publish(history["r1"], server.principal, "--calendar", treatment).code == 0
    before = server.contents()
    again = publish(history["r1"], server.principal, "--calendar", treatment)
    assert again.code == 0 and "created 0, updated 0, unchanged 80, removed 0" in again.out, again.err
    assert server.contents() == before


def test_a_newer_revision_updates_what_it_changed(server: Server, publish, history, treatment: str) -> None:  # type: ignore[no-untyped-def]
    assert publish(history["r0"], server.principal, "--calendar", treatment).code == 0
    for name in ("r1", "r2"):
        result = publish(history[name], server.principal, "--calendar", treatment)
        assert result.code == 0 and "updated" in result.out and "created 0" in result.out, result.err
    import json

    uids = calendar_uids(history["r2"])
    stored = server.events(treatment)
    for e in json.loads(history["r2"].read_text())["events"]:
        vevent = stored[uids[e["uid"]]]
        assert vevent["DTSTART"].dt.strftime("%Y-%m-%d %H:%M") == f"{e['date']} {e['time']}"
        assert int(vevent["SEQUENCE"]) == e["sequence"]


@pytest.mark.parametrize(("newer", "older"), [("r1", "r0"), ("r2", "r1"), ("r2", "r0")])
def test_an_older_revision_never_changes_the_server_without_allow_older(
    server: Server, publish, history, treatment: str, newer: str, older: str
) -> None:  # type: ignore[no-untyped-def]
    if newer == "r2":
        assert publish(history["r1"], server.principal, "--calendar", treatment).code == 0
    assert publish(history[newer], server.principal, "--calendar", treatment).code == 0
    before = server.contents()
    result = publish(history[older], server.principal, "--calendar", treatment)
    one_input_error(
        result,
        f"the calendar has revision {newer[1]} of this plan; this is revision {older[1]}",
        "--allow-older",
    )
    assert server.contents() == before


def test_allow_older_puts_the_older_revision_back_consistently_and_says_so(
    server: Server, publish, history, treatment: str
) -> None:  # type: ignore[no-untyped-def]
    import json

    assert publish(history["r2"], server.principal, "--calendar", treatment).code == 0
    result = publish(history["r0"], server.principal, "--calendar", treatment, "--allow-older")
    assert result.code == 0, result.err
    assert "updated 80" in result.out and "revision 0 over revision 2 (--allow-older)" in result.out
    stored = server.events(treatment)
    uids = calendar_uids(history["r0"])
    for e in json.loads(history["r0"].read_text())["events"]:
        vevent = stored[uids[e["uid"]]]
        assert vevent["DTSTART"].dt.strftime("%Y-%m-%d") == e["date"]
        assert str(vevent["X-LMSCHED-REVISION"]) == "0"
        assert str(vevent["X-LMSCHED-PUBLISHED"]) == "revision 0 over revision 2 (--allow-older)"
    # Every event now says revision 0: r1 is newer than that again, and goes on as usual...
    after = publish(history["r1"], server.principal, "--calendar", treatment)
    assert after.code == 0 and "created 0" in after.out, after.err
    # ... and r0 is now the older one.
    one_input_error(publish(history["r0"], server.principal, "--calendar", treatment), "revision 1")


def test_a_revision_from_another_branch_is_refused(server: Server, publish, history, treatment: str) -> None:  # type: ignore[no-untyped-def]
    assert publish(history["r1"], server.principal, "--calendar", treatment).code == 0
    before = server.contents()
    result = publish(history["r1b"], server.principal, "--calendar", treatment)
    one_input_error(result, "the calendar has revision 1 from another branch", "this is revision 1")
    assert server.contents() == before
    # r2 (made from r1) over r1b's branch is refused too, once r1b is put there deliberately.
    assert publish(history["r1b"], server.principal, "--calendar", treatment, "--allow-older").code == 0
    before = server.contents()
    one_input_error(publish(history["r2"], server.principal, "--calendar", treatment), "another branch")
    assert server.contents() == before
