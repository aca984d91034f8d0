"""Publishing a plan's events to a CalDAV calendar (an edge: network I/O, with the `caldav` library).

Idempotent by UID: an event already on the server with the same content digest is left alone; a
changed one is rewritten in place (same UID, SEQUENCE above the server's copy); an event of this
patient's series that the plan no longer has is deleted. Events of other patients, or not made by
lmsched, are never touched: the series id (X-LMSCHED-SERIES) scopes every removal.

Three things keep a publish from doing harm it was not asked for:

- The address is looked at before anything is written (its WebDAV resourcetype): only a calendar
  collection is written to. A principal, a calendar home or a server root needs `calendar` (a
  display name), and a calendar is made only with `create`, and then exactly one. (Writing
  events into a principal made one calendar per event on Radicale.)
- Every event written records the plan's revision and a digest of the plan's fingerprint
  (X-LMSCHED-REVISION, X-LMSCHED-PLAN). A plan is published over the series only when every
  revision there is this plan or one of its ancestors; an older revision or another branch of the
  history is refused unless `allow_older`, and then every event of the series is rewritten and
  says so (X-LMSCHED-PUBLISHED), so the next publish sees one consistent revision.
- `timeout` is a deadline for the whole publish, not per request: each request gets the time
  that remains, every answer is read in bounded chunks against the deadline and a size cap, and
  (in the main thread) a wall-clock timer interrupts a server that trickles bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .errors import EXIT_INTERRUPTED, InputError, PublishError
from .export.ics import Alarm, event_calendars, ics_uid, legacy_series_id, series_id
from .i18n import ENGLISH, Language
from .models import Audience
from .plan import Plan, fingerprint

__all__ = [
    "MAX_RESPONSE_BYTES",
    "Connection",
    "PublishInterrupted",
    "PublishReport",
    "plan_digest",
    "publish",
]

#: The largest answer lmsched reads from a CalDAV server (decoded bytes). A calendar of a few
#: thousand events is a few MB; anything far above is a broken or hostile server.
MAX_RESPONSE_BYTES = 50 * 1024 * 1024

#: Exit code of a publish stopped by Ctrl-C (128 + SIGINT, as shells report it).

_CALDAV = "urn:ietf:params:xml:ns:caldav"
_CALENDAR_TYPE = f"{{{_CALDAV}}}calendar"
_PRINCIPAL_TYPE = "{DAV:}principal"
_CHUNK = 64 * 1024
_CAP = f"{MAX_RESPONSE_BYTES >> 20} MiB"


class PublishInterrupted(PublishError):
    """Ctrl-C during a publish: the message says how far it got. Exit code 130."""

    exit_code = EXIT_INTERRUPTED


@dataclass(frozen=True)
class Connection:
    url: str
    calendar: str | None = None  # display name; None: `url` is the calendar collection itself
    create: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # never in a repr, log or traceback
    timeout: float = 30.0  # seconds for the whole publish
    allow_older: bool = False  # publish over a newer revision or another branch (recorded)

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
    made_calendar: bool = False  # the calendar was created by this publish (--create)
    over: str | None = None  # set when an older revision was published over a newer (allow_older)

    def counts(self) -> str:
        return (
            f"created {len(self.created)}, updated {len(self.updated)}, "
            f"unchanged {len(self.unchanged)}, removed {len(self.removed)}"
        )


def _sequence(vevent: Any) -> int:
    """A VEVENT's SEQUENCE (0 when it has none)."""
    return int(str(vevent.get("SEQUENCE", 0)))


def plan_digest(plan_fingerprint: str, key: bytes | None = None) -> str:
    """What an event says about the plan it came from (X-LMSCHED-PLAN): keyed with the site key
    when there is one, so a patient's calendar never lets anyone test guesses of the record
    number against the plan's fingerprint."""
    if key:
        return hmac.new(key, plan_fingerprint.encode(), hashlib.sha256).hexdigest()[:32]
    return hashlib.sha256(f"plan\x1f{plan_fingerprint}".encode()).hexdigest()[:32]


# --- the deadline -----------------------------------------------------------------------------------


class _Stop(BaseException):
    """Raised inside caldav's and the HTTP library's code to abandon the publish at once. A
    BaseException, so that no library's `except Exception` swallows it."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


class _Deadline:
    def __init__(self, seconds: float) -> None:
        import time

        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        """Seconds left; raises when none are."""
        import time

        left = self.end - time.monotonic()
        if left <= 0:
            raise _Stop(self.why())
        return left

    def why(self) -> str:
        return f"not done within the {self.seconds:g} s deadline"

    @contextmanager
    def alarm(self) -> Iterator[None]:
        """A wall-clock timer (SIGALRM) for the main thread: a recv that gets one byte a second
        never times out by itself. Elsewhere (no signals) each request and each chunk read is
        still bounded by the time that remains."""
        import signal
        import threading

        if (
            threading.current_thread() is not threading.main_thread()
            or not hasattr(signal, "setitimer")
            or signal.getitimer(signal.ITIMER_REAL)[0] > 0  # someone else's timer: leave it be
        ):
            yield
            return
        armed = True

        def ring(signum: int, frame: object) -> None:
            if armed:
                raise _Stop(self.why())

        previous = signal.signal(signal.SIGALRM, ring)
        signal.setitimer(signal.ITIMER_REAL, self.seconds)
        try:
            yield
        finally:
            armed = False
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


_MULTISTATUS = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?multistatus[\s/>]")


def _check_webdav(response: Any) -> None:
    """A PROPFIND or REPORT answered with HTML (a login page, a proxy's error page) or with a
    207 that is no multistatus: said here, in words, because caldav does not check a REPORT's
    answer and fails somewhere inside on it."""
    method = str(getattr(response.request, "method", "") or "").upper()
    if method not in ("PROPFIND", "REPORT") or not 200 <= response.status_code < 300:
        return
    kind = str(response.headers.get("Content-Type") or "no content type").split(";")[0].strip()
    if kind.lower() in ("text/html", "application/xhtml+xml") or (
        response.status_code == 207 and not _MULTISTATUS.search(response._content[:_CHUNK])
    ):
        raise _Stop(f"the server's answer to {method} is not WebDAV (HTTP {response.status_code}, {kind})")


def _client(conn: Connection, deadline: _Deadline) -> Any:
    """A caldav DAVClient whose every request gets the time that remains (caldav passes its
    `timeout` attribute to niquests per request) and whose every answer is read in bounded
    chunks: at most MAX_RESPONSE_BYTES, and never past the deadline."""
    from caldav.davclient import DAVClient

    class _Client(DAVClient):
        def request(self, *args: Any, **kwargs: Any) -> Any:
            self.timeout = deadline.remaining()  # type: ignore[assignment]  # niquests takes a float
            return super().request(*args, **kwargs)

    def bounded(response: Any, **_: Any) -> Any:
        length = response.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > MAX_RESPONSE_BYTES:
            response.close()
            raise _Stop(f"the server's answer is {int(length) >> 20} MiB, more than lmsched reads ({_CAP})")
        chunks, size = [], 0
        for chunk in response.iter_content(_CHUNK):
            size += len(chunk)
            if size > MAX_RESPONSE_BYTES:
                response.close()
                raise _Stop(f"the server's answer is more than lmsched reads ({_CAP})")
            deadline.remaining()
            chunks.append(chunk)
        response._content = b"".join(chunks)
        response._content_consumed = True
        _check_webdav(response)
        return response

    client = _Client(
        url=conn.url,
        username=conn.username,
        password=conn.password,
        timeout=max(1, round(conn.timeout)),
    )
    client.session.hooks.setdefault("response", []).append(bounded)
    return client


# --- what the address is ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Resource:
    url: str
    types: tuple[str, ...]
    name: str | None
    principal: str | None  # current-user-principal, as an absolute URL
    homes: tuple[str, ...]  # calendar-home-set (on a principal)


def _propfind(client: Any, url: str) -> _Resource:
    """One PROPFIND (depth 0) for what the address is and whose it is."""
    from caldav.elements import cdav, dav
    from lxml import etree  # type: ignore[import-untyped]

    props = [dav.ResourceType(), dav.DisplayName(), dav.CurrentUserPrincipal(), cdav.CalendarHomeSet()]
    body = etree.tostring((dav.Propfind() + (dav.Prop() + props)).xmlelement(), encoding="utf-8")
    response = client.propfind(url, body.decode("utf-8"), 0)
    if response.status == 404:
        raise _Unreadable("nothing at that address (404 Not Found)")
    if response.status >= 400:
        raise _Unreadable(
            f"the server failed ({response.status} {' '.join(str(response.reason).split())[:80]})"
        )
    tree = getattr(response, "tree", None)
    if response.status != 207 or tree is None or tree.tag != "{DAV:}multistatus":
        kind = response.headers.get("Content-Type") or "no content type"
        raise _Unreadable(
            f"the server's answer to PROPFIND is not WebDAV (HTTP {response.status}, {kind.split(';')[0]})"
        )
    found = response.expand_simple_props(props=props[1:], multi_value_props=[dav.ResourceType()])
    if not found:
        raise _Unreadable("the server's answer to PROPFIND names no resource")
    base = client.url.join(url)
    wanted = base.canonical().strip_trailing_slash()
    path = next((p for p in found if base.join(p).canonical().strip_trailing_slash() == wanted), None)
    values = found[path if path is not None else next(iter(found))]

    def absolute(href: Any) -> str | None:
        return str(base.join(str(href))) if isinstance(href, str) and href.strip() else None

    homes = values.get(cdav.CalendarHomeSet.tag)
    return _Resource(
        url=str(base),
        types=tuple(str(t) for t in values.get(dav.ResourceType.tag) or ()),
        name=values.get(dav.DisplayName.tag) or None,
        principal=absolute(values.get(dav.CurrentUserPrincipal.tag)),
        homes=tuple(h for h in [absolute(homes)] if h),
    )


class _Unreadable(Exception):
    """An answer that is HTTP but not the WebDAV the request asked for."""


def _principal_url(client: Any, resource: _Resource) -> str | None:
    """The user's principal: named by the address itself (RFC 5397 current-user-principal), else
    by the server root, else by the root RFC 6764 points to (/.well-known/caldav)."""
    from urllib.parse import urljoin

    from caldav.lib import error as dav_error

    if _PRINCIPAL_TYPE in resource.types:
        return resource.url
    if resource.principal:
        return resource.principal
    for path in ("/", "/.well-known/caldav"):
        if _same(urljoin(resource.url, path), resource.url):
            continue  # asked already
        try:
            other = _propfind(client, urljoin(resource.url, path))
        except (dav_error.DAVError, _Unreadable):
            continue
        if other.principal:
            return other.principal
        if _PRINCIPAL_TYPE in other.types:
            return other.url
    return None


def _same(a: str, b: str) -> bool:
    from caldav.lib.url import URL

    return bool(
        URL.objectify(a).canonical().strip_trailing_slash()
        == URL.objectify(b).canonical().strip_trailing_slash()
    )


def _label(calendar: Any) -> str:
    """A calendar as a user knows it: its display name, else the last part of its path."""
    name = calendar.get_display_name()
    if name:
        return str(name)
    return str(calendar.url).rstrip("/").rsplit("/", 1)[-1]


def _what(resource: _Resource, homes: Sequence[str]) -> str:
    from urllib.parse import urlsplit

    if _PRINCIPAL_TYPE in resource.types:
        return "a principal (a user), not a calendar"
    if any(_same(resource.url, home) for home in homes):
        return "a calendar home, not a calendar"
    if urlsplit(resource.url).path in ("", "/"):
        return "the server root, not a calendar"
    return "not a calendar"


def _open_calendar(client: Any, conn: Connection, report: PublishReport) -> Any:
    """The caldav Calendar to write to (caldav objects are typed Any here: caldav's own types are
    unions of the sync and the async result).

    Nothing is written before the address is known to be a calendar collection, or a calendar of
    that name is found under the user's principal (or made, with `create`: exactly one)."""
    from caldav.collection import CalendarSet, Principal

    resource = _propfind(client, conn.url)
    is_calendar = _CALENDAR_TYPE in resource.types
    if is_calendar and (conn.calendar is None or conn.calendar == resource.name):
        return client.calendar(url=resource.url)
    principal_url = _principal_url(client, resource)
    principal: Any = Principal(client=client, url=principal_url) if principal_url else None
    homes = list(resource.homes)
    if principal is not None and not homes:
        homes = [str(principal.calendar_home_set.url)]
    where = next((h for h in homes if _same(resource.url, h)), None) if not is_calendar else None
    if where is not None:
        home: Any = CalendarSet(client=client, url=where)
        calendars, make = home.calendars(), home.make_calendar
    elif principal is not None:
        calendars, make = principal.calendars(), principal.make_calendar
    else:
        raise InputError(
            f"{conn.url} is {_what(resource, homes)}, and the server names no principal (user) there",
            field="caldav",
            hint="give the calendar's own URL",
        )
    names = sorted({_label(c) for c in calendars})
    whose = "calendars there" if where is not None else "the user's calendars"
    if conn.calendar is None:
        hint = (
            "name one with {calendar} NAME, or give its URL"
            if names
            else "make one with {calendar} NAME {create}"
        )
        raise InputError(
            f"{conn.url} is {_what(resource, homes)}; {whose}: {', '.join(names) or 'none'}",
            field="caldav",
            hint=hint,
        )
    matches = [c for c in calendars if _label(c) == conn.calendar]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise InputError(
            f"{len(matches)} calendars are named '{conn.calendar}': "
            + ", ".join(str(c.url) for c in matches),
            field="calendar",
            hint="give the URL of the one to use with {caldav}",
        )
    if not conn.create:
        raise InputError(
            f"no calendar named '{conn.calendar}' at {conn.url}",
            field="calendar",
            choices=names,
            hint="add {create} to make it",
        )
    calendar = make(name=conn.calendar)
    report.made_calendar = True
    return calendar


# --- what the server has ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Stored:
    obj: Any
    sequence: int
    digest: str | None
    series: str | None
    revision: int | None
    plan: str | None


def _stored(calendar: Any) -> dict[str, _Stored]:
    """UID -> what the server has for it (lmsched's properties), in one request."""
    import icalendar

    found: dict[str, _Stored] = {}
    for obj in calendar.events():
        cal = icalendar.Calendar.from_ical(obj.data)
        for vevent in cal.walk("VEVENT"):
            if "RECURRENCE-ID" in vevent:
                continue

            def text(name: str) -> str | None:
                value = vevent.get(name)  # noqa: B023 (used at once, in this iteration)
                return str(value) if value else None

            revision = text("X-LMSCHED-REVISION")
            found[str(vevent.get("UID", ""))] = _Stored(
                obj=obj,
                sequence=int(vevent.get("SEQUENCE", 0)),
                digest=text("X-LMSCHED-DIGEST"),
                series=text("X-LMSCHED-SERIES"),
                revision=int(revision) if revision and revision.isdigit() else None,
                plan=text("X-LMSCHED-PLAN"),
            )
    return found


def _check_history(
    plan: Plan, ours: str, ancestors: set[str], marks: set[tuple[int, str]], allow: bool
) -> str | None:
    """Refuse to put an older revision, or another branch, over what the series has (InputError),
    unless allowed; then return the note every rewritten event carries."""
    foreign = sorted(m for m in marks if m[1] != ours and m[1] not in ancestors)
    if not foreign:
        return None
    theirs = max(foreign)[0]
    if theirs > plan.revision:
        detail = (
            f"the calendar has revision {theirs} of this plan; this is revision {plan.revision}: "
            "publishing it would put back what the newer revision changed"
        )
    else:
        made = f" (made from revision {plan.changes[-1].revision - 1})" if plan.changes else ""
        detail = (
            f"the calendar has revision {theirs} from another branch of this plan's history "
            f"(or another plan of this patient); this is revision {plan.revision}{made}, "
            "not made from it"
        )
    if not allow:
        raise InputError(
            detail, field="revision", hint="publish the newest revision, or add {allow_older} to replace it"
        )
    return f"revision {plan.revision} over revision {theirs} (--allow-older)"


# --- publish ----------------------------------------------------------------------------------------


def publish(
    plan: Plan,
    conn: Connection,
    audience: Audience,
    alarms: Sequence[Alarm],
    key: bytes | None = None,
    lang: Language = ENGLISH,
) -> PublishReport:
    """Put the plan's events on the calendar; return what was created, updated, left and removed.
    `lang`: the patient's language (a patient calendar's words; UIDs do not depend on it)."""
    import logging

    # caldav logs through the root logger in places; with no handler there, Python would add a
    # stderr one and print its tracebacks. lmsched reports failures itself, in one line.
    logging.getLogger("caldav").propagate = False
    logging.getLogger("caldav").addHandler(logging.NullHandler())
    if not logging.getLogger().handlers:
        logging.getLogger().addHandler(logging.NullHandler())

    report = PublishReport()
    ours = event_calendars(plan, audience, alarms, key=key, lang=lang)
    series = series_id(plan, audience, key=key)
    legacy = legacy_series_id(plan, audience)  # events published before the site key: replaced
    mine = plan_digest(plan.fingerprint or fingerprint(plan), key)
    ancestors = {plan_digest(p, key) for p in {c.parent for c in plan.changes} | {plan.parent} if p}
    deadline = _Deadline(conn.timeout)
    step = "connect"
    try:
        with deadline.alarm():
            client = _client(conn, deadline)
            step = "open the calendar"
            calendar = _open_calendar(client, conn, report)
            report.calendar_url = str(calendar.url)
            step = "read the calendar"
            stored = _stored(calendar)
            marks = {
                (s.revision, s.plan)
                for s in stored.values()
                if s.series == series and s.revision is not None and s.plan
            }
            note = _check_history(plan, mine, ancestors, marks, conn.allow_older)
            report.over = note
            for uid, digest, cal in ours:
                step = f"write {uid}"
                vevent = cal.walk("VEVENT")[0]
                vevent.add("x-lmsched-revision", str(plan.revision))
                vevent.add("x-lmsched-plan", mine)
                if note:
                    vevent.add("x-lmsched-published", note)
                if uid in stored:
                    old = stored[uid]
                    # the same content, and no revision since the server's copy (a higher
                    # SEQUENCE): left alone. A revision may change an event in what only the other
                    # audience sees (a check that now guards another dose: the staff wording), and
                    # its SEQUENCE is then written, so the server agrees with the plan.
                    if old.digest == digest and not note and _sequence(vevent) <= old.sequence:
                        report.unchanged.append(uid)
                        continue
                    new_seq = max(_sequence(vevent), old.sequence + 1)
                    vevent.pop("SEQUENCE")
                    vevent.add("sequence", new_seq)
                    # raw_data: stored as written (caldav would otherwise bump SEQUENCE once more).
                    # A PUT to the object's own URL, just listed: no `no_create`, with which
                    # caldav first searches the whole calendar for the UID (a REPORT per event,
                    # which made a publish into a shared calendar of three patients miss its
                    # 30 s deadline on Radicale).
                    old.obj.save(raw_data=cal.to_ical())
                    report.updated.append(uid)
                else:
                    calendar.add_event(cal.to_ical().decode("utf-8"), increase_seqno=False)
                    report.created.append(uid)
            keep = {uid for uid, _, _ in ours}
            for uid, old in sorted(stored.items()):
                if old.series in (series, legacy) and uid not in keep:
                    step = f"remove {uid}"
                    old.obj.delete()
                    report.removed.append(uid)
    except InputError:
        raise
    except KeyboardInterrupt:
        raise PublishInterrupted(
            f"interrupted while trying to {step}: {_progress(plan, audience, report, ours, key)}",
            field="caldav",
            hint="publish again to finish (it is idempotent)",
        ) from None
    except _Stop as stop:
        raise _failure(conn, step, stop.why, plan, audience, report, ours, key) from None
    except _connection_errors() as exc:
        raise _failure(conn, step, _describe(exc, conn.timeout), plan, audience, report, ours, key) from None
    except Exception as exc:
        if not _from_the_wire(exc):
            raise
        what = (
            str(exc)
            if isinstance(exc, _Unreadable)
            else f"the server's answer could not be read ({_one_line(exc)})"
        )
        raise _failure(conn, step, what, plan, audience, report, ours, key) from None
    return report


def _failure(
    conn: Connection,
    step: str,
    what: str,
    plan: Plan,
    audience: Audience,
    report: PublishReport,
    ours: Sequence[tuple[str, str, Any]],
    key: bytes | None,
) -> PublishError:
    login = "(401)" in what
    return PublishError(
        f"could not {step} at {conn.url}: {what}; {_progress(plan, audience, report, ours, key)}",
        field="caldav",
        hint="check {username} and LMSCHED_CALDAV_PASSWORD" if login else None,
    )


def _one_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:160]}".rstrip(": ")


def _from_the_wire(exc: BaseException) -> bool:
    """Whether an unexpected exception came from reading the server's answer (caldav, lxml, the
    HTTP stack or icalendar choking on it) rather than from a bug in lmsched, judged by where it
    was raised: a garbage or truncated 207, HTML where XML belongs, an entity bomb."""
    from lxml import etree

    if isinstance(exc, (etree.LxmlError, _Unreadable, UnicodeDecodeError)):
        return True
    wire = {"caldav", "lxml", "niquests", "urllib3", "urllib3_future", "icalendar", "xml"}
    tb = exc.__traceback__
    while tb is not None:  # (caldav does not check that a REPORT's answer is a multistatus)
        if str(tb.tb_frame.f_globals.get("__name__", "")).split(".")[0] in wire:
            return True
        tb = tb.tb_next
    return False


def _describe(exc: BaseException, timeout: float) -> str:
    """One line for what went wrong, without the HTTP library's nested dumps."""
    import socket

    from caldav.lib import error as dav_error

    if isinstance(exc, dav_error.AuthorizationError):
        if "forbidden" in str(getattr(exc, "reason", "")).lower():
            return "the server refused access (403 Forbidden: this user may not use that address)"
        return "the server refused the login (401)"
    if isinstance(exc, dav_error.NotFoundError):
        return "nothing at that address (404 Not Found)"
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
            return f"not done within the {timeout:g} s deadline"
        cause = cause.__cause__ or cause.__context__
    return _one_line(exc)


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


def _progress(
    plan: Plan,
    audience: Audience,
    report: PublishReport,
    ours: Sequence[tuple[str, str, Any]],
    key: bytes | None,
) -> str:
    """Which events made it before a failure and which did not, as dates (one line)."""
    dates = {ics_uid(e, audience, key=key): e.date.isoformat() for e in plan.events}
    done = set(report.created) | set(report.updated) | set(report.unchanged)
    pending = [uid for uid, _, _ in ours if uid not in done]

    def span(uids: Sequence[str]) -> str:
        days = sorted(dates[u] for u in uids if u in dates)
        if not days:
            return "none"
        return f"{len(days)} ({days[0]}{' to ' + days[-1] if len(days) > 1 else ''})"

    made = "; created the calendar" if report.made_calendar else ""
    return (
        f"written: {span(report.created + report.updated)}, already current: {len(report.unchanged)}, "
        f"removed: {len(report.removed)}; not written: {span(pending)}{made}"
    )
