"""`lmsched publish` against servers that misbehave on the wire: tiny real loopback HTTP servers
(stdlib threads) that trickle bytes, send 90 MB, answer garbage, truncated or HTML bodies or an
XML entity bomb, or hang on a write while the user presses Ctrl-C.

Each must give exit 4 (130 for the interrupt) and one line, never an internal error, and never
hold the publish past its --timeout deadline."""

from __future__ import annotations

import http.server
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ..conftest import EXAMPLES, NOW, ROOT

ADULT = str(EXAMPLES / "patient-adult.toml")  # 80 events: 39 doses, fractions and steps, 41 checks

CALENDAR_PROPFIND = (
    b'<?xml version="1.0" encoding="utf-8"?>\n'
    b'<multistatus xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><response><href>/cal/</href>'
    b"<propstat><prop><resourcetype><collection/><C:calendar/></resourcetype>"
    b"<displayname>Treatment</displayname><current-user-principal><href>/user/</href>"
    b"</current-user-principal></prop><status>HTTP/1.1 200 OK</status></propstat></response>"
    b"</multistatus>\n"
)
EMPTY_REPORT = b'<?xml version="1.0" encoding="utf-8"?>\n<multistatus xmlns="DAV:"/>\n'
BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
        for i in range(1, 10)
    )
    + b']>\n<multistatus xmlns="DAV:"><response><href>/cal/</href><propstat><prop>'
    b"<displayname>&lol9;</displayname><resourcetype><collection/></resourcetype></prop>"
    b"<status>HTTP/1.1 200 OK</status></propstat></response></multistatus>\n"
)


class _Handler(http.server.BaseHTTPRequestHandler):
    """Answers PROPFIND as a calendar and REPORT with no events, unless the server's `behave`
    function for that method takes over."""

    protocol_version = "HTTP/1.1"
    server: _Server

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.server.seen.append(self.command)
        self.server.paths.append(self.path)
        special = self.server.behaviour.get(self.command)
        try:
            if special is not None:
                special(self)
            elif self.command == "PROPFIND":
                self.send(207, CALENDAR_PROPFIND)
            elif self.command == "REPORT":
                self.send(207, EMPTY_REPORT)
            elif self.command == "PUT":
                self.send(201, b"")
            else:
                self.send(200, b"")
        except OSError:  # the client went away (as it should, at its deadline)
            self.close_connection = True

    do_PROPFIND = do_REPORT = do_PUT = do_GET = do_DELETE = do_OPTIONS = _answer

    def send(self, status: int, body: bytes, content_type: str = "application/xml; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def trickle(self, data: bytes, every: float) -> None:
        """Send `data` one byte every `every` seconds, until the test ends or the client leaves."""
        for byte in data:
            if self.server.stopping.wait(every):
                return
            self.wfile.write(bytes([byte]))
            self.wfile.flush()

    def log_message(self, *args: object) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, behaviour: dict[str, Callable[[_Handler], None]]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.behaviour = behaviour
        self.seen: list[str] = []  # the methods asked for, in order
        self.paths: list[str] = []  # and their paths
        self.stopping = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/cal/"


@pytest.fixture
def serve() -> Iterator[Callable[..., _Server]]:
    """Start a misbehaving server: serve(PROPFIND=fn, REPORT=fn, ...) -> server (stopped after)."""
    servers: list[_Server] = []

    def start(**behaviour: Callable[[_Handler], None]) -> _Server:
        server = _Server(behaviour)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stopping.set()
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def plan_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ..conftest import run_subprocess

    path = tmp_path_factory.mktemp("wire") / "plan.json"
    result = run_subprocess("plan", ADULT, "--now", NOW, "--json", str(path), "-q")
    assert result.code == 0, result.err
    return path


def one_server_error(result, *words: str) -> None:  # type: ignore[no-untyped-def]
    assert result.code == 4, (result.code, result.out, result.err)
    assert result.err.count("\n") == 1 and result.err.startswith("lmsched: error: caldav: "), result.err
    assert "Traceback" not in result.err and "internal error" not in result.err
    for word in words:
        assert word in result.err, result.err


# --- the deadline --------------------------------------------------------------------------------

TIMEOUT = 3.0
MARGIN = 2.0  # start-up of the CLI in-process is well under a second; the margin is for slow CI


def _trickle_status(handler: _Handler) -> None:
    handler.trickle(b"HTTP/1.1 207 Multi-Status\r\n" + b"X-Slow: " + b"x" * 10_000, 0.5)


def _trickle_body(handler: _Handler) -> None:
    handler.send_response(207)
    handler.send_header("Content-Type", "application/xml")
    handler.send_header("Content-Length", str(len(CALENDAR_PROPFIND) + 100_000))
    handler.end_headers()
    handler.trickle(CALENDAR_PROPFIND + b" " * 100_000, 0.2)


@pytest.mark.parametrize(
    ("method", "behave"),
    [
        ("PROPFIND", _trickle_status),  # the status line, one byte every half second
        ("PROPFIND", _trickle_body),  # headers at once, then the body five bytes a second
        ("REPORT", _trickle_body),  # the address is fine; reading the events trickles
    ],
    ids=["status-line", "propfind-body", "report-body"],
)
def test_a_trickling_server_cannot_hold_the_publish_past_its_deadline(
    run, serve, plan_file: Path, method: str, behave: Callable[[_Handler], None]
) -> None:  # type: ignore[no-untyped-def]
    server = serve(**{method: behave})
    start = time.monotonic()
    result = run("publish", str(plan_file), "--caldav", server.url, "--timeout", str(TIMEOUT))
    elapsed = time.monotonic() - start
    one_server_error(result, f"not done within the {TIMEOUT:g} s deadline", "not written: 80")
    assert TIMEOUT - 0.5 <= elapsed < TIMEOUT + MARGIN, elapsed
    assert method in server.seen


def test_the_deadline_holds_in_a_real_process_too(serve, plan_file: Path) -> None:
    """As a user runs it: `python -m scheduler publish` in its own process (the wall-clock timer
    is the main thread's SIGALRM there too)."""
    from ..conftest import run_subprocess

    server = serve(PROPFIND=_trickle_status)
    start = time.monotonic()
    result = run_subprocess("publish", str(plan_file), "--caldav", server.url, "--timeout", str(TIMEOUT))
    elapsed = time.monotonic() - start
    one_server_error(result, "deadline")
    assert elapsed < TIMEOUT + MARGIN + 3, elapsed  # + interpreter and import start-up


def test_the_deadline_holds_off_the_main_thread(serve, plan_file: Path) -> None:
    """Without signals (a worker thread, as a web front end would call it) each request gets the
    time that remains and the body is read in chunks checked against the deadline."""
    from scheduler.errors import PublishError
    from scheduler.service import publish_plan

    server = serve(REPORT=_trickle_body)
    outcome: dict[str, object] = {}

    def work() -> None:
        start = time.monotonic()
        try:
            publish_plan(plan_file, server.url, timeout=TIMEOUT)
        except PublishError as exc:
            outcome["error"] = str(exc)
        outcome["elapsed"] = time.monotonic() - start

    worker = threading.Thread(target=work)
    worker.start()
    worker.join(TIMEOUT + MARGIN + 5)
    assert not worker.is_alive(), "the publish outlived its deadline"
    assert "deadline" in str(outcome.get("error")), outcome
    assert float(outcome["elapsed"]) < TIMEOUT + MARGIN, outcome  # type: ignore[arg-type]


def _huge(declared: bool) -> Callable[[_Handler], None]:
    def behave(handler: _Handler) -> None:
        size = 90 * 1024 * 1024
        handler.send_response(207)
        handler.send_header("Content-Type", "application/xml")
        if declared:
            handler.send_header("Content-Length", str(size))
        else:
            handler.send_header("Connection", "close")  # the length is where the stream ends
            handler.close_connection = True
        handler.end_headers()
        block = b"<x>" + b"a" * (1024 * 1024 - 7) + b"</x>"
        for _ in range(90):
            if handler.server.stopping.is_set():
                return
            handler.wfile.write(block)

    return behave


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "until-close"])
def test_a_90_mb_answer_is_refused(run, serve, plan_file: Path, declared: bool) -> None:  # type: ignore[no-untyped-def]
    server = serve(REPORT=_huge(declared))
    start = time.monotonic()
    result = run("publish", str(plan_file), "--caldav", server.url, "--timeout", "20")
    elapsed = time.monotonic() - start
    one_server_error(result, "MiB", "more than lmsched reads", "not written: 80")
    assert elapsed < 15, elapsed


# --- malformed answers ----------------------------------------------------------------------------


def _body(status: int, body: bytes, content_type: str = "application/xml") -> Callable[[_Handler], None]:
    return lambda handler: handler.send(status, body, content_type)


MALFORMED = {
    "garbage-207": _body(207, b"\x00\xff garbage <<<< not xml"),
    "truncated-207": _body(207, CALENDAR_PROPFIND[: len(CALENDAR_PROPFIND) // 2]),
    "html": _body(200, b"<html><body><h1>Please log in</h1><form></form></body></html>", "text/html"),
    "html-as-xml": _body(207, b"<html><body><p>Welcome<br></body></html>"),
    "billion-laughs": _body(207, BILLION_LAUGHS),
    "empty-207": _body(207, b""),
    "wrong-xml": _body(207, b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"/>'),
}


@pytest.mark.parametrize("method", ["PROPFIND", "REPORT"])
@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_answer_is_one_line_and_exit_4(
    run, serve, plan_file: Path, method: str, case: str
) -> None:  # type: ignore[no-untyped-def]
    server = serve(**{method: MALFORMED[case]})
    start = time.monotonic()
    result = run("publish", str(plan_file), "--caldav", server.url, "--timeout", "10")
    assert time.monotonic() - start < 10
    one_server_error(result, "not written: 80")
    if case in {"html", "html-as-xml", "empty-207", "wrong-xml", "garbage-207"}:
        assert f"the server's answer to {method} is not WebDAV (HTTP " in result.err
    else:  # XML that lxml refuses: said with lxml's reason
        assert "the server's answer could not be read (XMLSyntaxError: " in result.err
    assert "PUT" not in server.seen


def test_a_truncated_chunked_answer_is_one_line(run, serve, plan_file: Path) -> None:  # type: ignore[no-untyped-def]
    def behave(handler: _Handler) -> None:
        handler.send_response(207)
        handler.send_header("Content-Type", "application/xml")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        part = CALENDAR_PROPFIND[:80]
        handler.wfile.write(f"{len(part) * 4:x}\r\n".encode() + part)  # promises more than it sends
        handler.wfile.flush()
        handler.close_connection = True

    server = serve(PROPFIND=behave)
    one_server_error(run("publish", str(plan_file), "--caldav", server.url, "--timeout", "10"))


# --- Ctrl-C -----------------------------------------------------------------------------------------


def test_an_interrupt_says_how_many_events_were_written(serve, plan_file: Path) -> None:
    """The fourth PUT never gets an answer; Ctrl-C (SIGINT) then stops the publish, which says
    that three events were written and 36 were not, in one line, with exit code 130."""
    stuck = threading.Event()

    def put(handler: _Handler) -> None:
        if handler.server.seen.count("PUT") < 4:
            handler.send(201, b"")
            return
        stuck.set()
        handler.server.stopping.wait(30)

    server = serve(PUT=put)
    proc = subprocess.Popen(
        [sys.executable, "-m", "scheduler", "publish", str(plan_file), "--caldav", server.url],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert stuck.wait(30), "the publish never reached its fourth event"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, (proc.returncode, out, err)
    assert err.count("\n") == 1 and err.startswith("lmsched: error: caldav: interrupted"), err
    assert "written: 3 (" in err and "not written: 77 (" in err and "publish again" in err, err
    assert "Traceback" not in err


# --- RFC 6764: a server root that names no principal -----------------------------------------------


def _multistatus(*responses: tuple[str, str]) -> bytes:
    body = "".join(
        f"<response><href>{href}</href><propstat><prop>{props}</prop>"
        "<status>HTTP/1.1 200 OK</status></propstat></response>"
        for href, props in responses
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<multistatus xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">{body}</multistatus>\n'
    ).encode()


def _well_known_server(handler: _Handler) -> None:
    """A server whose root has no current-user-principal; /.well-known/caldav redirects to /dav/,
    which names the principal /dav/u/; its calendar home /dav/u/cals/ has one calendar."""
    path, depth = handler.path, handler.headers.get("Depth", "0")
    if path == "/.well-known/caldav":
        handler.send_response(301)
        handler.send_header("Location", "/dav/")
        handler.send_header("Content-Length", "0")
        handler.end_headers()
    elif path == "/":
        handler.send(207, _multistatus(("/", "<resourcetype><collection/></resourcetype>")))
    elif path == "/dav/":
        props = "<resourcetype><collection/></resourcetype><current-user-principal><href>/dav/u/</href></current-user-principal>"
        handler.send(207, _multistatus(("/dav/", props)))
    elif path == "/dav/u/":
        props = "<resourcetype><principal/></resourcetype><C:calendar-home-set><href>/dav/u/cals/</href></C:calendar-home-set>"
        handler.send(207, _multistatus(("/dav/u/", props)))
    elif path == "/dav/u/cals/" and depth == "1":
        handler.send(
            207,
            _multistatus(
                ("/dav/u/cals/", "<resourcetype><collection/></resourcetype>"),
                (
                    "/dav/u/cals/t/",
                    "<resourcetype><collection/><C:calendar/></resourcetype><displayname>Treatment</displayname>",
                ),
            ),
        )
    else:
        handler.send(404, b"")


def test_a_server_root_without_a_principal_is_found_through_well_known(run, serve, plan_file: Path) -> None:  # type: ignore[no-untyped-def]
    server = serve(PROPFIND=_well_known_server)
    root = server.url.removesuffix("cal/")
    result = run("publish", str(plan_file), "--caldav", root, "--timeout", "10")
    assert result.code == 2, result.err
    assert "is the server root, not a calendar; the user's calendars: Treatment;" in result.err
    assert "PUT" not in server.seen and "MKCALENDAR" not in server.seen
    assert server.paths[:3] == ["/", "/.well-known/caldav", "/dav/"], server.paths  # (RFC 6764 section 5)
