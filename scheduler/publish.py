"""Publishing a plan's events to a CalDAV calendar (an edge: network I/O, with the `caldav` library).

Idempotent by UID: an event already on the server with the same content digest is left alone; a
changed one is rewritten in place (same UID, SEQUENCE above the server's copy); an event of this
patient's series that the plan no longer has is deleted. Events of other patients, or not made by
lmsched, are never touched: the series id (X-LMSCHED-SERIES) scopes every removal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import InputError, PublishError
from .export.ics import Alarm, event_calendars, series_id
from .models import Audience
from .plan import Plan

__all__ = ["Connection", "PublishReport", "publish"]


@dataclass(frozen=True)
class Connection:
    url: str
    calendar: str | None = None  # display name; None: `url` is the calendar collection itself
    create: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # never in a repr, log or traceback
    timeout: float = 30.0

    def __post_init__(self) -> None:
        from urllib.parse import urlsplit

        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InputError(
                f"'{self.url}' is not an http(s) URL", field="caldav", choices=["http://", "https://"]
            )
        if parts.username or parts.password:
            raise InputError(
                "",
                field="caldav",
                hint="put the user in {username} and the password in LMSCHED_CALDAV_PASSWORD",
            )


@dataclass
class PublishReport:
    calendar_url: str = ""
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def counts(self) -> str:
        return (
            f"created {len(self.created)}, updated {len(self.updated)}, "
            f"unchanged {len(self.unchanged)}, removed {len(self.removed)}"
        )


def _describe(exc: BaseException, timeout: float) -> str:
    """One line for what went wrong, without the HTTP library's nested dumps."""
    import socket

    from caldav.lib import error as dav_error

    if isinstance(exc, dav_error.AuthorizationError):
        if "forbidden" in str(getattr(exc, "reason", "")).lower():
            return "the server refused access (403 Forbidden: this user may not use that calendar)"
        return "the server refused the login (401)"
    if isinstance(exc, dav_error.NotFoundError):
        return "no calendar at that address (404 Not Found)"
    if isinstance(exc, dav_error.DAVError):
        reason = getattr(exc, "reason", None) or type(exc).__name__
        return f"the server failed ({' '.join(str(reason).split())[:200]})"
    cause: BaseException | None = exc
    while cause is not None:  # the root cause says it best: refused, unknown host, timed out
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused (is the server running on that port?)"
        if isinstance(cause, socket.gaierror):
            return "unknown host name"
        if isinstance(cause, TimeoutError) or "timed out" in str(cause).lower():
            return f"no answer within {timeout:g} s"
        cause = cause.__cause__ or cause.__context__
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"


def _connection_errors() -> tuple[type[BaseException], ...]:
    from caldav.lib import error as dav_error

    errors: list[type[BaseException]] = [dav_error.DAVError, OSError]
    try:
        import niquests

        errors.append(niquests.exceptions.RequestException)
    except ImportError:  # caldav < 2 uses requests
        pass
    try:
        import requests

        errors.append(requests.exceptions.RequestException)
    except ImportError:
        pass
    return tuple(errors)


def _open_calendar(client: Any, conn: Connection) -> Any:
    """The caldav Calendar to write to (caldav objects are typed Any: the library is untyped)."""
    if conn.calendar is None:
        return client.calendar(url=conn.url)
    principal = client.principal()
    calendars = principal.calendars()
    names = []
    for cal in calendars:
        name = cal.get_display_name() or ""
        names.append(name)
        if name == conn.calendar:
            return cal
    if not conn.create:
        raise InputError(
            f"no calendar named '{conn.calendar}' at {conn.url}",
            field="calendar",
            choices=sorted(n for n in names if n),
            hint="add {create} to make it",
        )
    return principal.make_calendar(name=conn.calendar)


def _stored(calendar: Any) -> dict[str, tuple[Any, int, str | None, str | None]]:
    """UID -> (server object, SEQUENCE, X-LMSCHED-DIGEST, X-LMSCHED-SERIES), in one request."""
    import icalendar

    found: dict[str, tuple[Any, int, str | None, str | None]] = {}
    for obj in calendar.events():
        cal = icalendar.Calendar.from_ical(obj.data)
        for vevent in cal.walk("VEVENT"):
            if "RECURRENCE-ID" in vevent:
                continue
            uid = str(vevent.get("UID", ""))
            seq = int(vevent.get("SEQUENCE", 0))
            digest = vevent.get("X-LMSCHED-DIGEST")
            series = vevent.get("X-LMSCHED-SERIES")
            found[uid] = (obj, seq, str(digest) if digest else None, str(series) if series else None)
    return found


def publish(plan: Plan, conn: Connection, audience: Audience, alarms: Sequence[Alarm]) -> PublishReport:
    """Put the plan's events on the calendar; return what was created, updated, left and removed."""
    import logging

    from caldav.davclient import DAVClient

    # caldav logs through the root logger in places; with no handler there, Python would add a
    # stderr one and print its tracebacks. lmsched reports failures itself, in one line.
    logging.getLogger("caldav").propagate = False
    logging.getLogger("caldav").addHandler(logging.NullHandler())
    if not logging.getLogger().handlers:
        logging.getLogger().addHandler(logging.NullHandler())

    report = PublishReport()
    ours = event_calendars(plan, audience, alarms)
    step = "connect"
    try:
        client = DAVClient(
            url=conn.url, username=conn.username, password=conn.password, timeout=round(conn.timeout)
        )
        step = "open the calendar"
        calendar = _open_calendar(client, conn)
        report.calendar_url = str(calendar.url)
        step = "read the calendar"
        stored = _stored(calendar)
        series = series_id(plan, audience)
        for uid, digest, cal in ours:
            step = f"write {uid}"
            if uid in stored:
                obj, seq, old_digest, _ = stored[uid]
                if old_digest == digest:
                    report.unchanged.append(uid)
                    continue
                vevent = cal.walk("VEVENT")[0]
                new_seq = max(int(str(vevent["SEQUENCE"])), seq + 1)
                vevent.pop("SEQUENCE")
                vevent.add("sequence", new_seq)
                # raw_data: stored as written (caldav would otherwise bump SEQUENCE once more)
                obj.save(raw_data=cal.to_ical(), no_create=True)
                report.updated.append(uid)
            else:
                calendar.add_event(cal.to_ical().decode("utf-8"), increase_seqno=False)
                report.created.append(uid)
        keep = {uid for uid, _, _ in ours}
        for uid, (obj, _, _, their_series) in sorted(stored.items()):
            if their_series == series and uid not in keep:
                step = f"remove {uid}"
                obj.delete()
                report.removed.append(uid)
    except InputError:
        raise
    except _connection_errors() as exc:
        what = _describe(exc, conn.timeout)
        progress = _progress(plan, audience, report, ours)
        login = "(401)" in what
        raise PublishError(
            f"could not {step} at {conn.url}: {what}; {progress}",
            field="caldav",
            hint="check {username} and LMSCHED_CALDAV_PASSWORD" if login else None,
        ) from None
    return report


def _progress(
    plan: Plan, audience: Audience, report: PublishReport, ours: Sequence[tuple[str, str, Any]]
) -> str:
    """Which events made it before a failure and which did not, as dates (one line)."""
    from .export.ics import ics_uid

    dates = {ics_uid(e, audience): e.date.isoformat() for e in plan.events}
    done = set(report.created) | set(report.updated) | set(report.unchanged)
    pending = [uid for uid, _, _ in ours if uid not in done]

    def span(uids: Sequence[str]) -> str:
        days = sorted(dates[u] for u in uids if u in dates)
        if not days:
            return "none"
        return f"{len(days)} ({days[0]}{' to ' + days[-1] if len(days) > 1 else ''})"

    return (
        f"written: {span(report.created + report.updated)}, already current: {len(report.unchanged)}, "
        f"removed: {len(report.removed)}; not written: {span(pending)}"
    )
