"""The Radicale fixture itself: a real server that the real caldav client can use, with the
logins and rights the publish tests rely on."""

from __future__ import annotations

import caldav
import pytest
from caldav.lib.error import AuthorizationError, NotFoundError

from .radicale_server import RadicaleServer

EVENT = (
    "BEGIN:VCALENDAR\r\n"
    "VERSION:2.0\r\n"
    "PRODID:-//lmsched//probe//EN\r\n"
    "BEGIN:VEVENT\r\n"
    "UID:probe-1@lmsched\r\n"
    "DTSTAMP:20261123T140000Z\r\n"
    "DTSTART:20261201T140000Z\r\n"
    "DTEND:20261201T150000Z\r\n"
    "SUMMARY:Probe dose\r\n"
    "SEQUENCE:0\r\n"
    "END:VEVENT\r\n"
    "END:VCALENDAR\r\n"
)


def client(server: RadicaleServer, user: str, password: str | None = None) -> caldav.DAVClient:
    """A caldav client for ``user`` (with the right password unless one is given)."""
    return caldav.DAVClient(
        url=server.url, username=user, password=password or server.users[user], auth_type="basic"
    )


def test_alice_creates_a_calendar_saves_an_event_and_reads_it_back(radicale: RadicaleServer) -> None:
    with client(radicale, "alice") as alice:
        principal = alice.principal()
        assert principal.calendars() == []  # every test gets an empty server
        principal.make_calendar(name="Probe plan", cal_id="probe")

        calendar = principal.calendar(name="Probe plan")
        assert str(calendar.url) == radicale.calendar_url("alice", "probe")
        saved = calendar.add_event(EVENT, increase_seqno=False)
        assert str(saved.url) == radicale.calendar_url("alice", "probe") + "probe-1%40lmsched.ics"

        (event,) = calendar.events()
        component = event.icalendar_component
        assert str(component["UID"]) == "probe-1@lmsched"
        assert str(component["SUMMARY"]) == "Probe dose"
        assert component["SEQUENCE"] == 0
        assert b"SUMMARY:Probe dose" in event.raw_data
        assert calendar.event_by_uid("probe-1@lmsched").url == event.url
        with pytest.raises(NotFoundError):
            calendar.event_by_uid("no-such-uid")
    assert (radicale.storage / "collection-root" / "alice" / "probe" / "probe-1@lmsched.ics").is_file()


def test_wrong_password_is_refused(radicale: RadicaleServer) -> None:
    with client(radicale, "alice", "not-the-password") as intruder, pytest.raises(AuthorizationError) as err:
        intruder.principal()
    assert err.value.status == 401


def test_alice_cannot_write_to_bobs_calendar(radicale: RadicaleServer) -> None:
    with client(radicale, "bob") as bob:
        bob.principal().make_calendar(name="Bob's plan", cal_id="bobs")
    with client(radicale, "alice") as alice:
        bobs = alice.calendar(url=radicale.calendar_url("bob", "bobs"))
        with pytest.raises(AuthorizationError) as err:
            bobs.add_event(EVENT)
    assert err.value.status == 403


def test_unreachable_url_refuses_connections(unreachable_url: str) -> None:
    # niquests.exceptions.ConnectionError is an OSError; nothing is sent before the first request
    with (
        caldav.DAVClient(url=unreachable_url, username="alice", password="x") as nobody,
        pytest.raises(OSError, match="Connection refused"),
    ):
        nobody.principal()
