"""`--now` wins everywhere: with it, no output depends on SOURCE_DATE_EPOCH or the clock (the
PDFs' CreationDate, ModDate and /ID included); without it, the documented order holds
(SOURCE_DATE_EPOCH, else the clock), for `plan`, `export` and `batch` alike."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from scheduler.export.pdf import agenda as agenda_pdf
from scheduler.export.pdf import patient, staff
from scheduler.plan import Plan

from ..conftest import EXAMPLES, NOW, NOW_DT

PLAN_FILES = {
    "--json": "plan.json",
    "--csv": "plan.csv",
    "--ics": "plan.ics",
    "--pdf": "plan.pdf",
    "--staff-pdf": "staff.pdf",
    "--fhir": "fhir.json",
}
BATCH_FILES = ("summary.csv", "agenda.csv", "agenda.pdf", "clinic.ics")
EPOCHS = (None, "1000000000", "1790000000")  # none, 2001-09-09, 2026-09-21
BATCH_CSV = (
    "patient_id,patient_name,start,age,route,rt,rt_start\n"
    "A-001,Ada One,2026-12-01,45,ommaya,,\n"
    "A-002,Bo Two,2026-12-01,60,lumbar,wbrt-30gy-10fx,2026-11-23\n"
    "A-003,,2026-12-02,8,ommaya,,\n"
)


def pdf_dates(data: bytes) -> tuple[str, str, bytes]:
    """CreationDate, ModDate and /ID of a PDF as written."""
    creation = re.search(rb"/CreationDate \((D:[^)]*)\)", data)
    modified = re.search(rb"/ModDate \((D:[^)]*)\)", data)
    ident = re.search(rb"/ID\s*\[([^\]]*)\]", data)
    assert creation and modified and ident, "no document information or /ID"
    return creation[1].decode(), modified[1].decode(), ident[1]


def pdf_date(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("D:%Y%m%d%H%M%S+00'00'")


def outputs(run, folder: Path, *extra: str) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    folder.mkdir(parents=True)
    args = [a for flag, name in PLAN_FILES.items() for a in (flag, str(folder / name))]
    result = run("plan", str(EXAMPLES / "patient-adult.toml"), "-q", *args, *extra)
    assert result.code == 0, result.err
    return {name: (folder / name).read_bytes() for name in PLAN_FILES.values()}


def batch_outputs(run, folder: Path, *extra: str) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    patients = folder.parent / f"{folder.name}.csv"
    patients.write_text(BATCH_CSV)
    result = run(
        "batch", str(patients), "--out", str(folder), "--formats", "json,csv,ics,pdf", "--jobs", "2", *extra
    )
    assert result.code == 0, result.err
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def set_epoch(monkeypatch: pytest.MonkeyPatch, epoch: str | None) -> None:
    if epoch is None:
        monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    else:
        monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)


def test_now_beats_source_date_epoch_for_every_plan_output(
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    seen = []
    for n, epoch in enumerate(EPOCHS):
        set_epoch(monkeypatch, epoch)
        seen.append(outputs(run, tmp_path / f"run{n}", "--now", NOW))
    assert set(seen[0]) == set(PLAN_FILES.values())
    for name in PLAN_FILES.values():
        assert seen[0][name] == seen[1][name] == seen[2][name], name
    for name in ("plan.pdf", "staff.pdf"):
        creation, modified, _ = pdf_dates(seen[0][name])
        assert creation == modified == pdf_date(NOW_DT), name
    # `export` of the saved plan: the same bytes again, whatever the environment says.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1234567890")
    again = tmp_path / "exported"
    again.mkdir()
    args = [a for flag, name in PLAN_FILES.items() if flag != "--json" for a in (flag, str(again / name))]
    result = run("export", str(tmp_path / "run0" / "plan.json"), *args)
    assert result.code == 0, result.err
    for flag, name in PLAN_FILES.items():
        if flag != "--json":
            assert (again / name).read_bytes() == seen[0][name], name


def test_now_beats_source_date_epoch_for_every_batch_output(
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    seen = []
    for n, epoch in enumerate(EPOCHS):
        set_epoch(monkeypatch, epoch)
        seen.append(batch_outputs(run, tmp_path / f"run{n}", "--now", NOW))
    assert set(BATCH_FILES) <= set(seen[0]) and "A-002/plan.pdf" in seen[0]
    assert seen[0] == seen[1] == seen[2]
    assert pdf_dates(seen[0]["agenda.pdf"])[0] == pdf_date(NOW_DT)


def test_without_now_source_date_epoch_then_the_clock(
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """The documented order: SOURCE_DATE_EPOCH gives every output its time (the PDF dates too,
    and batch's rows and agenda); without it, the clock."""
    from freezegun import freeze_time

    epoch = dt.datetime.fromtimestamp(1790000000, dt.UTC)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790000000")
    first = outputs(run, tmp_path / "epoch1")
    second = outputs(run, tmp_path / "epoch2")
    assert first == second  # reproducible from the environment alone
    assert dt.datetime.fromisoformat(json.loads(first["plan.json"])["created"]) == epoch
    assert pdf_dates(first["plan.pdf"])[:2] == (pdf_date(epoch),) * 2
    assert pdf_dates(first["staff.pdf"])[0] == pdf_date(epoch)
    rows = batch_outputs(run, tmp_path / "batch-epoch")
    assert dt.datetime.fromisoformat(json.loads(rows["A-001/plan.json"])["created"]) == epoch
    assert pdf_dates(rows["agenda.pdf"])[0] == pdf_date(epoch)
    assert pdf_dates(rows["A-001/plan.pdf"])[0] == pdf_date(epoch)

    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    clock = dt.datetime(2026, 11, 20, 14, 30, 15, tzinfo=dt.UTC)
    with freeze_time(clock):
        plain = outputs(run, tmp_path / "clock")
        rows = batch_outputs(run, tmp_path / "batch-clock", "--jobs", "1")
    assert dt.datetime.fromisoformat(json.loads(plain["plan.json"])["created"]) == clock
    assert pdf_dates(plain["plan.pdf"])[0] == pdf_date(clock)
    assert dt.datetime.fromisoformat(json.loads(rows["A-001/plan.json"])["created"]) == clock
    assert pdf_dates(rows["agenda.pdf"])[0] == pdf_date(clock)


def test_pdf_dates_and_id_follow_the_plan_and_nothing_else(
    adult: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The renderers themselves: the environment never reaches the bytes, the plan's time does
    (a later `created` changes the dates and the /ID; so this test can fail)."""
    later = adult.model_copy(update={"created": NOW_DT + dt.timedelta(days=3, seconds=7)})
    for render in (patient.render, staff.render):
        monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
        base = render(adult)
        monkeypatch.setenv("SOURCE_DATE_EPOCH", "1")
        assert render(adult) == base
        moved = render(later)
        assert pdf_dates(base)[0] == pdf_date(NOW_DT)
        assert pdf_dates(moved)[0] == pdf_date(later.created)
        assert pdf_dates(moved)[2] != pdf_dates(base)[2]
    for generated in (NOW_DT, NOW_DT + dt.timedelta(hours=1)):
        monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
        data = agenda_pdf.render_pdf([], [], [], "Centre", generated=generated)
        monkeypatch.delenv("SOURCE_DATE_EPOCH")
        assert agenda_pdf.render_pdf([], [], [], "Centre", generated=generated) == data
        assert pdf_dates(data)[0] == pdf_date(generated)
