"""The clinic workspace on a real SQLite file (issue 19, first part): storing revisions, their
history, conflicts between schedulers, stored rows that cannot change, backup, verify, the schema
version and its migrations."""

from __future__ import annotations

import datetime as dt
import itertools
import multiprocessing
import os
import re
import sqlite3
import stat
from pathlib import Path

import pytest

from scheduler.errors import ConflictError, InputError
from scheduler.plan import Plan, fingerprint, plan_to_json
from scheduler.records import backup_workspace, current_plan, save_plan, verify_workspace
from scheduler.workspace import MIGRATIONS, SCHEMA_VERSION, Workspace

from ..conftest import checked, make_plan

AT = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def base(registry) -> Plan:  # type: ignore[no-untyped-def]
    plan = checked(make_plan(registry, patient_id="RCC-000777", patient_name="Jiří Dvořák"))
    return plan.model_copy(update={"fingerprint": fingerprint(plan)})


def _next(plan: Plan, parent: str) -> Plan:
    """A later revision of `plan` made from the revision with fingerprint `parent`."""
    revised = plan.model_copy(update={"revision": plan.revision + 1, "parent": parent, "fingerprint": ""})
    return revised.model_copy(update={"fingerprint": fingerprint(revised)})


def _new(path: Path) -> Workspace:
    return Workspace.create(path, site_key_id="0123456789abcdef", site_key_path=None, now=AT)


def test_a_new_workspace_is_private_wal_and_versioned(tmp_path: Path) -> None:
    path = tmp_path / "clinic.lmsched"
    with _new(path) as ws:
        assert ws.schema_version() == SCHEMA_VERSION
        assert ws.meta("site_key_id") == "0123456789abcdef"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()
    with pytest.raises(InputError, match="already exists"):
        _new(path)


def test_a_group_shared_folder_gives_a_group_file(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o2770)
    with _new(shared / "clinic.lmsched"):
        pass
    assert stat.S_IMODE((shared / "clinic.lmsched").stat().st_mode) == 0o660


def test_save_and_read_back_byte_identical(tmp_path: Path, base: Plan) -> None:
    with _new(tmp_path / "w") as ws:
        stored = save_plan(ws, base, action="plan", parent=None, by="ana", reason=None, now=AT)
        assert (stored.revision, stored.action, stored.decided_by, stored.status) == (
            0,
            "plan",
            "ana",
            "active",
        )
        again = ws.latest("RCC-000777", document=True)
        assert again is not None and again.document == plan_to_json(base)
        assert current_plan(ws, "RCC-000777") == base
        second = _next(base, base.fingerprint)
        save_plan(ws, second, action="delay", parent=base.fingerprint, by="bo", reason="platelets", now=AT)
        assert [(h.revision, h.action, h.reason) for h in ws.history("RCC-000777")] == [
            (0, "plan", None),
            (1, "delay", "platelets"),
        ]
        assert current_plan(ws, "RCC-000777", 0) == base
        assert verify_workspace(ws) == []
        with pytest.raises(InputError, match="no revision 7"):
            current_plan(ws, "RCC-000777", 7)
        with pytest.raises(InputError, match="not in the workspace"):
            current_plan(ws, "RCC-999")


def test_a_stale_parent_or_a_second_first_plan_is_a_conflict(tmp_path: Path, base: Plan) -> None:
    with _new(tmp_path / "w") as ws:
        save_plan(ws, base, action="plan", parent=None, by="ana", reason=None, now=AT)
        with pytest.raises(ConflictError, match="already has a plan"):
            save_plan(ws, base, action="plan", parent=None, by="bo", reason=None, now=AT)
        first = _next(base, base.fingerprint)
        save_plan(ws, first, action="delay", parent=base.fingerprint, by="ana", reason=None, now=AT)
        late = _next(base, base.fingerprint).model_copy(update={"notes": ("other",)})
        with pytest.raises(ConflictError, match="revision 1 of RCC-000777 was saved by ana") as info:
            save_plan(ws, late, action="delay", parent=base.fingerprint, by="bo", reason=None, now=AT)
        assert info.value.exit_code == 5
        assert len(ws.history("RCC-000777")) == 2


def test_stored_revisions_cannot_be_changed_or_deleted(tmp_path: Path, base: Plan) -> None:
    path = tmp_path / "w"
    with _new(path) as ws:
        save_plan(ws, base, action="plan", parent=None, by="ana", reason=None, now=AT)
    db = sqlite3.connect(path)
    with pytest.raises(sqlite3.IntegrityError, match="never changed"):
        db.execute("UPDATE revisions SET reason = 'x'")
    with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
        db.execute("DELETE FROM revisions")
    db.close()


def test_verify_reports_a_tampered_row(tmp_path: Path, base: Plan) -> None:
    path = tmp_path / "w"
    with _new(path) as ws:
        save_plan(ws, base, action="plan", parent=None, by="ana", reason=None, now=AT)
    db = sqlite3.connect(path)
    db.execute("DROP TRIGGER revisions_kept")  # what someone with the file and the sqlite3 shell can do
    edited = re.sub(rb'"dose_mg": (\d+)', rb'"dose_mg": 1\1', plan_to_json(base), count=1)
    assert edited != plan_to_json(base)
    db.execute("UPDATE revisions SET document = ?", (edited,))
    db.commit()
    db.close()
    with Workspace.open(path) as ws:
        problems = verify_workspace(ws)
        assert problems and "does not match its fingerprint" in problems[0]
        with pytest.raises(InputError, match="changed after saving"):
            current_plan(ws, "RCC-000777")


def test_backup_is_a_whole_private_copy(tmp_path: Path, base: Plan) -> None:
    with _new(tmp_path / "w") as ws:
        save_plan(ws, base, action="plan", parent=None, by="ana", reason=None, now=AT)
        backup_workspace(ws, tmp_path / "copy.lmsched")
        with pytest.raises(InputError):
            backup_workspace(ws, tmp_path / "w")  # never over the workspace itself
    assert stat.S_IMODE((tmp_path / "copy.lmsched").stat().st_mode) == 0o600
    with Workspace.open(tmp_path / "copy.lmsched") as copy:
        assert current_plan(copy, "RCC-000777") == base
        assert copy.integrity() == []


def test_other_files_and_newer_schemas_are_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(InputError, match="not an lmsched workspace"):
        Workspace.open(other)
    text = tmp_path / "notes.txt"
    text.write_text("hello, this is not a database at all" * 20)
    with pytest.raises(InputError, match="not an lmsched workspace"):
        Workspace.open(text)
    with pytest.raises(InputError, match="does not exist"):
        Workspace.open(tmp_path / "missing")
    path = tmp_path / "w"
    _new(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(InputError, match=f"schema {SCHEMA_VERSION + 1}; this lmsched reads schema"):
        Workspace.open(path)


NEXT = SCHEMA_VERSION + 1


def _schema_next(db: sqlite3.Connection) -> None:
    """A test-only migration past the current schema: a column every later revision may fill."""
    db.execute("ALTER TABLE patients ADD COLUMN ward TEXT")
    db.execute("UPDATE patients SET ward = 'B'")


def test_an_older_workspace_migrates_after_a_backup(tmp_path: Path, base: Plan) -> None:
    path = tmp_path / "w"
    with _new(path) as ws:
        save_plan(ws, base, action="plan", parent=None, by="ana", reason=None, now=AT)
    copies: list[Path] = []

    def backup(ws: Workspace, version: int) -> Path:
        target = tmp_path / f"before-{version}.lmsched"
        backup_workspace(ws, target)
        copies.append(target)
        return target

    steps = {**MIGRATIONS, NEXT: _schema_next}
    with Workspace.open(path, backup=backup, migrations=steps, latest=NEXT) as ws:
        assert ws.schema_version() == NEXT
        assert current_plan(ws, "RCC-000777") == base
        assert verify_workspace(ws) == []
    assert copies == [tmp_path / f"before-{SCHEMA_VERSION}.lmsched"]
    with Workspace.open(copies[0]) as old:
        assert old.schema_version() == SCHEMA_VERSION and current_plan(old, "RCC-000777") == base
    db = sqlite3.connect(path)
    assert db.execute("SELECT ward FROM patients").fetchall() == [("B",)]
    db.close()


def test_a_failing_migration_changes_nothing(tmp_path: Path, base: Plan) -> None:
    path = tmp_path / "w"
    with _new(path) as ws:
        save_plan(ws, base, action="plan", parent=None, by="ana", reason=None, now=AT)

    def broken(db: sqlite3.Connection) -> None:
        db.execute("ALTER TABLE patients ADD COLUMN ward TEXT")
        raise RuntimeError("step failed")

    with pytest.raises(RuntimeError):
        Workspace.open(path, migrations={**MIGRATIONS, NEXT: broken}, latest=NEXT)
    with Workspace.open(path) as ws:
        assert ws.schema_version() == SCHEMA_VERSION
    db = sqlite3.connect(path)
    assert "ward" not in [r[1] for r in db.execute("PRAGMA table_info(patients)")]
    db.close()


# -- several schedulers at once -------------------------------------------------------------------


def _scheduler(path: str, patient: str, count: int, name: str, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    """One scheduler's process: `count` revisions of `patient`, each made from the latest it read;
    a conflict is counted and the revision made again from the new latest."""
    from scheduler.plan import plan_from_json

    saved = conflicts = 0
    with Workspace.open(Path(path)) as ws:
        while saved < count:
            latest = ws.latest(patient, document=True)
            assert latest is not None and latest.document is not None
            plan = plan_from_json(latest.document)
            revised = _next(plan, latest.fingerprint).model_copy(update={"notes": (f"{name} {saved}",)})
            revised = revised.model_copy(update={"fingerprint": fingerprint(revised)})
            try:
                save_plan(
                    ws, revised, action="delay", parent=latest.fingerprint, by=name, reason=None, now=AT
                )
            except ConflictError:
                conflicts += 1
                continue
            saved += 1
    queue.put((name, patient, saved, conflicts))


@pytest.mark.parametrize("same_patient", [True, False], ids=["same patient", "different patients"])
def test_two_processes_make_200_revisions_each(tmp_path: Path, base: Plan, same_patient: bool) -> None:
    path = tmp_path / "w"
    other = base.model_copy(
        update={"inputs": base.inputs.model_copy(update={"patient_id": "RCC-000778"}), "fingerprint": ""}
    )
    other = other.model_copy(update={"fingerprint": fingerprint(other)})
    with _new(path) as ws:
        save_plan(ws, base, action="plan", parent=None, by="ana", reason=None, now=AT)
        save_plan(ws, other, action="plan", parent=None, by="ana", reason=None, now=AT)
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    targets = ["RCC-000777", "RCC-000777"] if same_patient else ["RCC-000777", "RCC-000778"]
    workers = [
        context.Process(target=_scheduler, args=(str(path), patient, 200, name, queue))
        for name, patient in zip(("ana", "bo"), targets, strict=True)
    ]
    for w in workers:
        w.start()
    results = [queue.get(timeout=600) for _ in workers]
    for w in workers:
        w.join(timeout=60)
        assert w.exitcode == 0
    with Workspace.open(path) as ws:
        assert ws.integrity() == []
        assert verify_workspace(ws) == []
        for patient in set(targets):
            history = ws.history(patient)
            mine = [r for r in results if r[1] == patient]
            assert len(history) == 1 + sum(r[2] for r in mine)  # no lost revision
            assert [h.revision for h in history] == list(range(len(history)))  # linear
            for before, after in itertools.pairwise(history):
                assert after.parent == before.fingerprint
    if not same_patient:
        assert all(r[3] == 0 for r in results)  # schedulers of different patients never conflict


def test_a_schema_1_workspace_gains_its_users_table_after_a_backup(tmp_path: Path, base: Plan) -> None:
    """Schema 2 (issue 21) adds the users; a workspace made before it is backed up, then migrated,
    its plans untouched, by the application's own open (records.open_workspace)."""
    from scheduler.records import open_workspace

    path = tmp_path / "w.lmsched"
    with _new(path) as ws:
        save_plan(ws, base, action="plan", parent=None, by="ana", reason=None, now=AT)
    db = sqlite3.connect(path)  # the file as lmsched before schema 2 made it
    db.execute("DROP TABLE users")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    with open_workspace(path) as ws:
        assert ws.schema_version() == 2 and ws.users() == []
        assert current_plan(ws, "RCC-000777") == base
    backup = tmp_path / "w.lmsched.schema-1.bak"
    with Workspace.open(backup, latest=1) as old:
        assert old.schema_version() == 1 and current_plan(old, "RCC-000777") == base
