"""The clinic workspace: every patient's plans and their history in one SQLite file.

This is the only module that knows the workspace is SQL (`make lint` forbids `sqlite3` anywhere
else). What it keeps:

- one row per patient (the record number and the name staff see);
- one row per stored revision, never updated or deleted (triggers refuse it): the plan document
  byte for byte as `plan`/`reschedule` write it (kept zlib-compressed), its fingerprint, the
  fingerprint of the revision it was made from, what was done (plan, import, delay, hold, stop,
  void, ...), why, by whom and when;
- the administrations recorded for each patient, never changed either;
- the agenda's index: each current plan's agenda rows and clinic VEVENTs by day;
- the tombstones of erased patients;
- the schema version and the site key's id (`meta`).

A revision is saved only when the revision it was made from is still the patient's latest
(`BEGIN IMMEDIATE`, so two schedulers cannot both pass the check): otherwise ConflictError.

The file is opened in WAL mode (readers never wait for the writer). WAL needs the file on a local
disk: a network share may corrupt it. The file and its -wal/-shm companions are created 0600 (or
0660 when the folder is group-shared, see the README); never world-readable.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
import stat
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConflictError, InputError, quote

SCHEMA_VERSION = 2
APPLICATION_ID = 0x4C4D5357  # "LMSW": PRAGMA application_id, so another SQLite file is told apart

_SCHEMA_1 = """
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
CREATE TABLE patients (
    id INTEGER PRIMARY KEY,
    patient_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    added TEXT NOT NULL
) STRICT;
CREATE TABLE revisions (
    patient INTEGER NOT NULL REFERENCES patients(id),
    seq INTEGER NOT NULL CHECK (seq >= 1),
    revision INTEGER NOT NULL CHECK (revision >= 0),
    action TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    parent TEXT,
    reason TEXT,
    decided_by TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    regimen TEXT NOT NULL,
    status TEXT NOT NULL,
    visits TEXT NOT NULL,
    document BLOB NOT NULL,
    PRIMARY KEY (patient, seq)
) STRICT;
CREATE TABLE erasing (patient INTEGER PRIMARY KEY) STRICT;
CREATE TABLE administrations (
    patient INTEGER NOT NULL REFERENCES patients(id),
    seq INTEGER NOT NULL CHECK (seq >= 1),
    record TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (patient, seq),
    UNIQUE (patient, record)
) STRICT;
CREATE TRIGGER administrations_kept BEFORE UPDATE ON administrations
BEGIN
    SELECT RAISE(ABORT, 'recorded administrations are never changed');
END;
CREATE TRIGGER administrations_never_deleted BEFORE DELETE ON administrations
WHEN NOT EXISTS (SELECT 1 FROM erasing WHERE patient = OLD.patient)
BEGIN
    SELECT RAISE(ABORT, 'administrations are never deleted (only workspace erase removes a patient)');
END;
-- The agenda's index, derived from each patient's current revision (replaced at every save, empty
-- for a plan entered in error): one row per agenda row, and the clinic calendar's VEVENTs.
CREATE TABLE sessions (
    patient INTEGER NOT NULL REFERENCES patients(id),
    day TEXT NOT NULL,
    sort TEXT NOT NULL,
    row TEXT NOT NULL
) STRICT;
CREATE INDEX sessions_by_day ON sessions (day, sort);
CREATE INDEX sessions_by_patient ON sessions (patient);
CREATE TABLE clinic_events (
    patient INTEGER NOT NULL REFERENCES patients(id),
    day TEXT NOT NULL,
    zone TEXT NOT NULL,
    vevent BLOB NOT NULL
) STRICT;
CREATE INDEX clinic_events_by_day ON clinic_events (day);
CREATE INDEX clinic_events_by_patient ON clinic_events (patient);
CREATE TABLE tombstones (
    digest TEXT NOT NULL,
    erased_by TEXT NOT NULL,
    erased_at TEXT NOT NULL,
    reason TEXT NOT NULL
) STRICT;
CREATE TRIGGER revisions_kept BEFORE UPDATE ON revisions
BEGIN
    SELECT RAISE(ABORT, 'stored revisions are never changed');
END;
CREATE TRIGGER revisions_never_deleted BEFORE DELETE ON revisions
WHEN NOT EXISTS (SELECT 1 FROM erasing WHERE patient = OLD.patient)
BEGIN
    SELECT RAISE(ABORT, 'stored revisions are never deleted (only workspace erase removes a patient)');
END;
CREATE TRIGGER tombstones_kept BEFORE UPDATE ON tombstones
BEGIN
    SELECT RAISE(ABORT, 'tombstones are never changed');
END;
CREATE TRIGGER tombstones_never_deleted BEFORE DELETE ON tombstones
BEGIN
    SELECT RAISE(ABORT, 'tombstones are never deleted');
END;
"""

# Schema 2 (issue 21): the people who use the workspace through the web front end, each with one
# role and a slow password hash (`scheduler.accounts`); a disabled user stays, so the names in the
# history keep meaning who they were.
_SCHEMA_2 = """
CREATE TABLE users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    password TEXT NOT NULL,
    created_at TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    disabled_at TEXT
) STRICT;
"""

Migration = Callable[[sqlite3.Connection], None]


def _script(sql: str) -> Migration:
    def run(db: sqlite3.Connection) -> None:
        for statement in _statements(sql):
            db.execute(statement)

    return run


def _statements(sql: str) -> Iterator[str]:
    """`sql` split into statements (executescript would commit the open transaction)."""
    buffer = ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                yield buffer.strip()
            buffer = ""
    if buffer.strip():
        yield buffer.strip()


# schema version -> the step that makes it from the version before (1: from nothing)
MIGRATIONS: dict[int, Migration] = {1: _script(_SCHEMA_1), 2: _script(_SCHEMA_2)}


_USER_COLUMNS = "name, role, password, created_at, changed_at, disabled_at"  # User's fields, in order


@dataclass(frozen=True)
class User:
    """A user of the workspace: name, role, password hash (`scheduler.accounts`), when added,
    when last changed, and when disabled (None: may log in)."""

    name: str
    role: str
    password: str = field(repr=False)
    created_at: str
    changed_at: str
    disabled_at: str | None


@dataclass(frozen=True)
class Stored:
    """One stored revision, as the history lists it (the document only when asked for)."""

    patient_id: str
    seq: int
    revision: int
    action: str
    fingerprint: str
    parent: str | None
    reason: str | None
    decided_by: str
    saved_at: str
    regimen: str
    status: str
    visits: str  # the days of its events that are not cancelled, ISO dates joined by ','
    document: bytes | None = None


@dataclass(frozen=True)
class PatientRow:
    patient_id: str
    name: str
    current: Stored


@dataclass(frozen=True)
class NewRevision:
    """What the application layer hands over to be stored."""

    patient_id: str
    name: str
    revision: int
    action: str
    fingerprint: str
    parent: str | None  # the fingerprint of the revision it was made from (None: a new patient)
    reason: str | None
    decided_by: str
    saved_at: str
    regimen: str
    status: str
    visits: str  # the days of its events that are not cancelled, ISO dates joined by ','
    document: bytes
    # the agenda's rows of this revision (day, sort key, row text) and its clinic VEVENTs (day,
    # bytes): they replace the patient's previous ones (none for a plan entered in error)
    sessions: tuple[tuple[str, str, str], ...] = ()
    vevents: tuple[tuple[str, bytes], ...] = ()
    zone: str = "UTC"  # the plan's clinic zone (its VEVENTs' TZID)


@dataclass(frozen=True)
class Given:
    """One recorded administration (the application layer's text of it) and who recorded it."""

    record: str
    recorded_by: str
    recorded_at: str
    source: str


_COLUMNS = (
    "p.patient_id, r.seq, r.revision, r.action, r.fingerprint, r.parent, r.reason, r.decided_by, "
    "r.saved_at, r.regimen, r.status, r.visits"
)


def _stored(row: Sequence[object], document: object = None) -> Stored:
    """A Stored from a row of `_COLUMNS` (and the stored document, unpacked, when given)."""
    unpacked = None if document is None else _unpack(document)
    return Stored(*row[:12], document=unpacked)  # type: ignore[arg-type, misc]


def _pack(data: bytes) -> bytes:
    """Documents and VEVENTs are kept zlib-compressed (JSON and iCalendar text shrink about
    tenfold); the same bytes always give the same stream."""
    return zlib.compress(data, 6)


def _unpack(blob: object) -> bytes:
    """What `_pack` kept; a stream that does not inflate (a damaged or tampered row) is given
    back as it is, so the reader that parses it reports it."""
    raw: bytes = bytes(blob)  # type: ignore[call-overload]
    try:
        return zlib.decompress(raw)
    except zlib.error:
        return raw


def _problem(path: Path, exc: sqlite3.Error) -> InputError:
    return InputError(f"{path}: {exc}", field="workspace")


class Workspace:
    """An open workspace. Use as a context manager; every method is one transaction."""

    def __init__(self, path: Path, db: sqlite3.Connection) -> None:
        self.path = path
        self._db = db

    # -- opening -------------------------------------------------------------------------------

    @classmethod
    def create(
        cls, path: Path, *, site_key_id: str, site_key_path: str | None, now: dt.datetime
    ) -> Workspace:
        """A new workspace at `path` (refused if anything is there), schema `SCHEMA_VERSION`."""
        if path.exists() or path.is_symlink():
            raise InputError(f"{path} already exists; a workspace is never made over a file", field="PATH")
        if not path.parent.is_dir():
            raise InputError(f"cannot create {path}: {path.parent} is not a folder", field="PATH")
        mode = _file_mode(path.parent)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), mode)
        except OSError as exc:
            raise InputError(f"cannot create {path}: {exc.strerror}", field="PATH") from None
        os.close(fd)
        os.chmod(path, mode)
        try:
            db = _connect(path)
            with _transaction(db):
                for version in sorted(MIGRATIONS):
                    if version > SCHEMA_VERSION:
                        break
                    MIGRATIONS[version](db)
                db.executemany(
                    "INSERT INTO meta (key, value) VALUES (?, ?)",
                    [
                        ("created", now.isoformat()),
                        ("site_key_id", site_key_id),
                        ("site_key_path", site_key_path or ""),
                    ],
                )
                db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except BaseException:
            with contextlib.suppress(OSError):
                db.close()
            for suffix in ("", "-wal", "-shm", "-journal"):
                with contextlib.suppress(OSError):
                    os.unlink(f"{path}{suffix}")
            raise
        return cls(path, db)

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        backup: Callable[[Workspace, int], Path] | None = None,
        migrations: dict[int, Migration] | None = None,
        latest: int = SCHEMA_VERSION,
    ) -> Workspace:
        """The workspace at `path`. An older schema is migrated in one transaction after
        `backup(workspace, version)` has copied it; a newer one is refused."""
        if not path.is_file():
            shown = "does not exist" if not path.exists() else "is not a file"
            raise InputError(
                f"{path} {shown}", field="workspace", hint="create one with `lmsched workspace init PATH`"
            )
        try:
            db = _connect(path)
            application = db.execute("PRAGMA application_id").fetchone()[0]
            version = db.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise InputError(f"{path} is not an lmsched workspace ({exc})", field="workspace") from None
        if application != APPLICATION_ID:
            db.close()
            raise InputError(f"{path} is not an lmsched workspace", field="workspace")
        if version > latest:
            db.close()
            raise InputError(
                f"{path} has workspace schema {version}; this lmsched reads schema {latest} and older: "
                "upgrade lmsched",
                field="workspace",
            )
        workspace = cls(path, db)
        if version < latest:
            steps = migrations if migrations is not None else MIGRATIONS
            if backup is not None:
                backup(workspace, version)
            with _transaction(db):
                for step in range(version + 1, latest + 1):
                    steps[step](db)
                db.execute(f"PRAGMA user_version = {latest}")
        return workspace

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- reading ---------------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    # -- users (issue 21) ----------------------------------------------------------------------

    def users(self) -> list[User]:
        rows = self._db.execute(f"SELECT {_USER_COLUMNS} FROM users ORDER BY name").fetchall()
        return [User(*row) for row in rows]

    def user(self, name: str) -> User | None:
        row = self._db.execute(f"SELECT {_USER_COLUMNS} FROM users WHERE name = ?", (name,)).fetchone()
        return None if row is None else User(*row)

    def add_user(self, name: str, role: str, password: str, now: dt.datetime) -> None:
        """A new user; a name already there (disabled or not) is refused and nothing changes."""
        try:
            with _transaction(self._db):
                self._db.execute(
                    "INSERT INTO users (name, role, password, created_at, changed_at) VALUES (?, ?, ?, ?, ?)",
                    (name, role, password, now.isoformat(), now.isoformat()),
                )
        except sqlite3.IntegrityError:
            raise self.user_taken(name) from None

    def user_taken(self, name: str) -> InputError:
        """The refusal of a user name already in this workspace."""
        return InputError(
            f"a user {quote(name)} already exists in {self.path}", field="NAME", hint="pick another name"
        )

    def no_user(self, name: str) -> InputError:
        """The refusal of a user name this workspace does not have."""
        return InputError(f"no user {quote(name)} in {self.path}", field="NAME")

    def change_user(
        self, name: str, now: dt.datetime, *, password: str | None = None, disabled: bool | None = None
    ) -> User:
        """Set a user's password hash and/or disable (or enable) the user; an unknown name is refused."""
        with _transaction(self._db):
            if self.user(name) is None:
                raise self.no_user(name)
            if password is not None:
                self._db.execute(
                    "UPDATE users SET password = ?, changed_at = ? WHERE name = ?",
                    (password, now.isoformat(), name),
                )
            if disabled is not None:
                self._db.execute(
                    "UPDATE users SET disabled_at = ?, changed_at = ? WHERE name = ?",
                    (now.isoformat() if disabled else None, now.isoformat(), name),
                )
        user = self.user(name)
        assert user is not None
        return user

    def latest(self, patient_id: str, *, document: bool = False) -> Stored | None:
        blob = ", r.document" if document else ""
        row = self._db.execute(
            f"SELECT {_COLUMNS}{blob} FROM revisions r JOIN patients p ON p.id = r.patient "
            "WHERE p.patient_id = ? ORDER BY r.seq DESC LIMIT 1",
            (patient_id,),
        ).fetchone()
        if row is None:
            return None
        return _stored(row, row[12] if document else None)

    def revision(self, patient_id: str, revision: int) -> Stored | None:
        """The latest stored row of plan revision `revision` (a patient planned again after a
        void has two revision 0s: the later one)."""
        row = self._db.execute(
            f"SELECT {_COLUMNS}, r.document FROM revisions r JOIN patients p ON p.id = r.patient "
            "WHERE p.patient_id = ? AND r.revision = ? ORDER BY r.seq DESC LIMIT 1",
            (patient_id, revision),
        ).fetchone()
        return None if row is None else _stored(row, row[12])

    def history(self, patient_id: str) -> list[Stored]:
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM revisions r JOIN patients p ON p.id = r.patient "
            "WHERE p.patient_id = ? ORDER BY r.seq",
            (patient_id,),
        ).fetchall()
        return [_stored(row) for row in rows]

    def patients(self) -> list[PatientRow]:
        rows = self._db.execute(
            f"SELECT {_COLUMNS}, p.name FROM revisions r JOIN patients p ON p.id = r.patient "
            "WHERE r.seq = (SELECT MAX(seq) FROM revisions WHERE patient = r.patient) "
            "ORDER BY p.patient_id"
        ).fetchall()
        return [PatientRow(str(row[0]), str(row[12]), _stored(row)) for row in rows]

    def patient_ids(self) -> list[str]:
        return [str(r[0]) for r in self._db.execute("SELECT patient_id FROM patients ORDER BY patient_id")]

    def every_revision(self) -> Iterator[Stored]:
        """Every stored revision with its document, patient by patient, oldest first."""
        cursor = self._db.execute(
            f"SELECT {_COLUMNS}, r.document FROM revisions r JOIN patients p ON p.id = r.patient "
            "ORDER BY p.patient_id, r.seq"
        )
        for row in cursor:
            yield _stored(row, row[12])

    def integrity(self) -> list[str]:
        """SQLite's own check of the file: an empty list when it is sound."""
        rows = [str(r[0]) for r in self._db.execute("PRAGMA integrity_check")]
        return [] if rows == ["ok"] else rows

    # -- writing ---------------------------------------------------------------------------------

    def save(self, new: NewRevision) -> Stored:
        """Store `new` if the revision it was made from (`new.parent`; None for a first plan) is
        still the patient's latest; else ConflictError and nothing stored."""
        with _transaction(self._db):
            found = self._db.execute(
                "SELECT id FROM patients WHERE patient_id = ?", (new.patient_id,)
            ).fetchone()
            latest = self.latest(new.patient_id) if found else None
            if new.parent is None and latest is not None and latest.status != "entered in error":
                raise ConflictError(
                    f"{new.patient_id} already has a plan in the workspace (revision {latest.revision}, "
                    f"saved by {latest.decided_by} at {_clock(latest.saved_at)})",
                    hint="reschedule it by its id, or void it first if it was entered in error",
                )
            if new.parent is not None and latest is not None and latest.status == "entered in error":
                raise ConflictError(
                    f"{new.patient_id}'s plan was voided (entered in error) by {latest.decided_by} at "
                    f"{_clock(latest.saved_at)}; plan the patient again"
                )
            if new.parent is not None and (latest is None or latest.fingerprint != new.parent):
                if latest is None:
                    raise ConflictError(f"{new.patient_id} is not in the workspace")
                read = self._db.execute(
                    "SELECT revision FROM revisions WHERE patient = ? AND fingerprint = ? "
                    "ORDER BY seq DESC LIMIT 1",
                    (found[0], new.parent),
                ).fetchone()
                yours = f"revision {read[0]}" if read is not None else "a plan that is not its current one"
                raise ConflictError(
                    f"revision {latest.revision} of {new.patient_id} was saved by {latest.decided_by} "
                    f"at {_clock(latest.saved_at)} after you read {yours}; run again on the current plan"
                )
            if found is None:
                cursor = self._db.execute(
                    "INSERT INTO patients (patient_id, name, added) VALUES (?, ?, ?)",
                    (new.patient_id, new.name, new.saved_at),
                )
                patient = cursor.lastrowid
            else:
                patient = found[0]
                self._db.execute("UPDATE patients SET name = ? WHERE id = ?", (new.name, patient))
            seq = 1 if latest is None else latest.seq + 1
            self._db.execute(
                "INSERT INTO revisions (patient, seq, revision, action, fingerprint, parent, reason, "
                "decided_by, saved_at, regimen, status, visits, document) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    patient,
                    seq,
                    new.revision,
                    new.action,
                    new.fingerprint,
                    new.parent,
                    new.reason,
                    new.decided_by,
                    new.saved_at,
                    new.regimen,
                    new.status,
                    new.visits,
                    _pack(new.document),
                ),
            )
            self._db.execute("DELETE FROM sessions WHERE patient = ?", (patient,))
            self._db.execute("DELETE FROM clinic_events WHERE patient = ?", (patient,))
            self._db.executemany(
                "INSERT INTO sessions (patient, day, sort, row) VALUES (?, ?, ?, ?)",
                [(patient, day, sort, row) for day, sort, row in new.sessions],
            )
            self._db.executemany(
                "INSERT INTO clinic_events (patient, day, zone, vevent) VALUES (?, ?, ?, ?)",
                [(patient, day, new.zone, _pack(vevent)) for day, vevent in new.vevents],
            )
        stored = self.latest(new.patient_id)
        assert stored is not None
        return stored

    def record_given(self, patient_id: str, given: Sequence[Given]) -> int:
        """Keep administrations of a patient in the workspace (one already kept is skipped);
        returns how many were new."""
        with _transaction(self._db):
            found = self._db.execute("SELECT id FROM patients WHERE patient_id = ?", (patient_id,)).fetchone()
            if found is None:
                raise InputError(f"{quote(patient_id)} is not in the workspace", field="PATIENT_ID")
            last = self._db.execute(
                "SELECT COALESCE(MAX(seq), 0) FROM administrations WHERE patient = ?", (found[0],)
            ).fetchone()[0]
            added = 0
            for item in given:
                cursor = self._db.execute(
                    "INSERT OR IGNORE INTO administrations (patient, seq, record, recorded_by, recorded_at, "
                    "source) VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        found[0],
                        last + added + 1,
                        item.record,
                        item.recorded_by,
                        item.recorded_at,
                        item.source,
                    ),
                )
                added += cursor.rowcount
        return added

    def given(self, patient_id: str) -> list[Given]:
        """Every administration kept for the patient, in the order recorded."""
        rows = self._db.execute(
            "SELECT a.record, a.recorded_by, a.recorded_at, a.source FROM administrations a "
            "JOIN patients p ON p.id = a.patient WHERE p.patient_id = ? ORDER BY a.seq",
            (patient_id,),
        ).fetchall()
        return [Given(*row) for row in rows]

    def agenda_rows(self, first: str, last: str) -> Iterator[str]:
        """The agenda rows of every current plan from day `first` to day `last` (ISO dates), in
        order, read through the day index: the cost follows the rows returned."""
        cursor = self._db.execute(
            "SELECT row FROM sessions WHERE day >= ? AND day <= ? ORDER BY day, sort", (first, last)
        )
        for (row,) in cursor:
            yield str(row)

    def clinic_events(self, first: str, last: str) -> Iterator[tuple[str, bytes]]:
        """The clinic calendar's VEVENTs (with their zone) of every current plan from `first` to
        `last`."""
        cursor = self._db.execute(
            "SELECT zone, vevent FROM clinic_events WHERE day >= ? AND day <= ? ORDER BY day, rowid",
            (first, last),
        )
        for zone, vevent in cursor:
            yield str(zone), _unpack(vevent)

    def erase(self, patient_id: str, *, digest: str, by: str, at: str, reason: str) -> int:
        """Delete every row of the patient in one transaction, leaving a tombstone (`digest`, a
        keyed digest of the id the application layer made, who, when, why). Deleted pages are
        overwritten (secure_delete) and the WAL is emptied, so nothing of the patient stays in
        the file. Returns the number of revisions removed."""
        with _transaction(self._db):
            found = self._db.execute("SELECT id FROM patients WHERE patient_id = ?", (patient_id,)).fetchone()
            if found is None:
                raise InputError(f"{quote(patient_id)} is not in the workspace", field="PATIENT_ID")
            patient = found[0]
            self._db.execute("INSERT INTO erasing (patient) VALUES (?)", (patient,))
            removed = self._db.execute("DELETE FROM revisions WHERE patient = ?", (patient,)).rowcount
            for table in ("administrations", "sessions", "clinic_events"):
                self._db.execute(f"DELETE FROM {table} WHERE patient = ?", (patient,))
            self._db.execute("DELETE FROM patients WHERE id = ?", (patient,))
            self._db.execute("DELETE FROM erasing WHERE patient = ?", (patient,))
            self._db.execute(
                "INSERT INTO tombstones (digest, erased_by, erased_at, reason) VALUES (?, ?, ?, ?)",
                (digest, by, at, reason),
            )
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return int(removed)

    def tombstones(self) -> list[tuple[str, str, str, str]]:
        return [
            (str(a), str(b), str(c), str(d))
            for a, b, c, d in self._db.execute(
                "SELECT digest, erased_by, erased_at, reason FROM tombstones ORDER BY rowid"
            )
        ]

    def backup_to(self, target: Path) -> None:
        """A consistent copy of the whole workspace into the new file `target` (SQLite's online
        backup API: writers may go on meanwhile)."""
        copy = sqlite3.connect(target)
        try:
            with copy:
                self._db.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")
        finally:
            copy.close()


def _clock(saved_at: str) -> str:
    """'10:42' from an ISO timestamp (the date too when it is not today's, which the storage
    layer cannot know: the whole minute is enough to find the revision in the history)."""
    try:
        moment = dt.datetime.fromisoformat(saved_at)
    except ValueError:
        return quote(saved_at, 40)
    return moment.strftime("%Y-%m-%d %H:%M")


def _file_mode(folder: Path) -> int:
    """0660 in a group-shared folder (setgid, group-writable: several staff accounts), else 0600."""
    try:
        st = folder.stat()
    except OSError:
        return 0o600
    if st.st_mode & stat.S_ISGID and st.st_mode & stat.S_IWGRP:
        return 0o660
    return 0o600


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA foreign_keys = ON")
    mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        db.close()
        raise InputError(f"{path}: SQLite cannot use WAL mode here (a network share?)", field="workspace")
    db.execute("PRAGMA synchronous = FULL")
    db.execute("PRAGMA secure_delete = ON")  # an erased patient's bytes do not stay in free pages
    return db


@contextlib.contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    """One write transaction, taken at once (BEGIN IMMEDIATE), so a check made inside it holds
    until the commit."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


class Spool:
    """An on-disk sort of agenda rows: what a batch run without a workspace (and the batch's own
    agenda with one) streams its agenda from, so the parent process never holds every session.

    A private SQLite file in `folder`, unlinked at once (nothing is left if the run is killed),
    with no journal: it lives only as long as the run. Rows are (day, sort key, row bytes); they
    come back in day and key order through an index built once every row is in."""

    def __init__(self, folder: Path) -> None:
        import tempfile

        fd, name = tempfile.mkstemp(prefix=".agenda-spool.", suffix=".tmp", dir=folder)
        os.close(fd)
        try:
            self._db = sqlite3.connect(name, isolation_level=None, check_same_thread=False)
            for pragma in (
                "journal_mode = OFF",
                "synchronous = OFF",
                "temp_store = FILE",
                "cache_size = -8192",
            ):
                self._db.execute(f"PRAGMA {pragma}")
            self._db.execute("CREATE TABLE rows (day TEXT NOT NULL, sort TEXT NOT NULL, row BLOB NOT NULL)")
        finally:
            os.unlink(name)
        self._db.execute("BEGIN")
        self._sorted = False

    def add(self, rows: Iterable[tuple[str, str, bytes]]) -> None:
        self._db.executemany("INSERT INTO rows (day, sort, row) VALUES (?, ?, ?)", rows)

    def rows(self, first: str = "", last: str = "\uffff") -> Iterator[bytes]:
        """Every row (of the days `first` to `last`, ISO dates), by day and sort key (may be
        read again)."""
        if not self._sorted:
            self._db.execute("COMMIT")
            self._db.execute("CREATE INDEX rows_in_order ON rows (day, sort)")
            # read in order from now on: a small cache does (what sorting took goes back)
            self._db.execute("PRAGMA cache_size = -1024")
            self._db.execute("PRAGMA shrink_memory")
            self._sorted = True
        query = "SELECT row FROM rows WHERE day BETWEEN ? AND ? ORDER BY day, sort"
        for (row,) in self._db.execute(query, (first, last)):
            yield bytes(row)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
