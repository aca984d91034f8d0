"""A long agenda is printed in volumes of whole days (issue 19): ReportLab keeps a document's
pages in memory until it is saved, so the batch's agenda of a large centre's whole horizon is cut
into PDFs of at most `VOLUME_ROWS` rows, and the parent's memory stays flat. Every day is in
exactly one volume, in order, with every row; the first volume has the summary and the ranges."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from pathlib import Path

import pypdf
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.agenda import DaySummary
from scheduler.export.pdf import agenda as agenda_pdf

from ..conftest import EXAMPLES, NOW


def text_of(path: Path) -> str:
    return " ".join(
        " ".join(page.extract_text().split()) for page in pypdf.PdfReader(io.BytesIO(path.read_bytes())).pages
    )


def test_a_long_batch_agenda_is_in_volumes_of_whole_days(run, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    args = ["batch", str(EXAMPLES / "week.csv"), "--formats", "json", "--chairs", "3", "--now", NOW]
    whole = run(*args, "--out", str(tmp_path / "whole"))
    assert whole.code == 0, whole.err
    assert not list((tmp_path / "whole").glob("agenda-*.pdf"))
    rows = list(csv.DictReader(io.StringIO((tmp_path / "whole" / "agenda.csv").read_text())))
    days = sorted({r["date"] for r in rows})

    monkeypatch.setattr(agenda_pdf, "VOLUME_ROWS", 60)
    out = tmp_path / "volumes"
    cut = run(*args, "--out", str(out), "--jobs", "2")
    assert cut.code == 0, cut.err
    files = sorted(out.glob("agenda*.pdf"), key=lambda p: int(p.stem.partition("-")[2] or 1))
    n = len(files)
    assert n >= 4 and [p.name for p in files] == ["agenda.pdf", *(f"agenda-{i}.pdf" for i in range(2, n + 1))]
    assert f"agenda.pdf to agenda-{n}.pdf (the agenda in {n} volumes)" in cut.out
    # the workers render the volumes (`_Run.farm`); one process alone renders the same bytes
    alone = run(*args, "--out", str(tmp_path / "alone"), "--jobs", "1")
    assert alone.code == 0, alone.err
    for p in files:
        assert (tmp_path / "alone" / p.name).read_bytes() == p.read_bytes(), p.name
    # the rest is what the whole agenda says
    for name in ("agenda.csv", "summary.csv", "clinic.ics"):
        assert (out / name).read_bytes() == (tmp_path / "whole" / name).read_bytes(), name
    texts = [text_of(p) for p in files]
    for i, text in enumerate(texts, 1):
        assert f"(volume {i} of {n})" in text
    first = texts[0]
    assert " RT fractions for 7 patients on " in first and "OVER CAPACITY: time ranges" in first
    assert f"This agenda is in {n} volumes of whole days, at most 60 rows each" in first
    assert all("OVER CAPACITY: time ranges" not in t for t in texts[1:])
    assert all(
        "The summary and every over-capacity range are in volume 1 (agenda.pdf)" in t for t in texts[1:]
    )
    # each day's heading in exactly one volume, in date order, and every row printed once
    headings: list[tuple[int, dt.date]] = []
    for i, text in enumerate(texts):
        for day in days:
            if agenda_pdf.long_date(dt.date.fromisoformat(day)) + ":" in text:
                headings.append((i, dt.date.fromisoformat(day)))
    assert [d for _, d in headings] == [dt.date.fromisoformat(d) for d in days]
    assert [i for i, _ in headings] == sorted(i for i, _ in headings)
    joined = " ".join(texts)
    whole_text = text_of(tmp_path / "whole" / "agenda.pdf")
    for word in ("no chair (check)", "no chair (RT)", "IT methotrexate", " of 3: OVER CAPACITY"):  # rows
        assert joined.count(word) == whole_text.count(word), word
    for r in rows:
        assert r["patient"] in joined


@st.composite
def summaries(draw: st.DrawFn) -> list[DaySummary]:
    n = draw(st.integers(0, 40))
    start = dt.date(2026, 12, 1)
    out = []
    day = start
    for _ in range(n):
        day += dt.timedelta(days=draw(st.integers(1, 3)))
        out.append(
            DaySummary(
                day,
                draw(st.integers(0, 30)),
                0,
                None,
                False,
                draw(st.integers(0, 5)),
                draw(st.integers(0, 3)),
            )
        )
    return out


@settings(max_examples=200, deadline=None)
@given(summaries(), st.integers(1, 80))
def test_volumes_are_consecutive_whole_days_each_as_full_as_it_can_be(
    days: list[DaySummary], limit: int
) -> None:
    volumes = agenda_pdf.volumes(days, limit)
    assert [v.number for v in volumes] == list(range(1, len(volumes) + 1))
    assert all(v.of == len(volumes) for v in volumes)
    covered = [d for v in volumes for d in days if v.first <= d.date <= v.last]
    assert covered == days  # every day once, in order
    for v in volumes:
        inside = [d for d in days if v.first <= d.date <= v.last]
        assert v.rows == sum(map(agenda_pdf.day_rows, inside))
        assert v.rows <= limit or len(inside) == 1
    for v, after in itertools.pairwise(volumes):
        nxt = next(d for d in days if d.date == after.first)
        assert v.rows + agenda_pdf.day_rows(nxt) > limit  # greedy: the next day did not fit


def test_volume_names() -> None:
    assert agenda_pdf.volume_name("agenda.pdf", 1) == "agenda.pdf"
    assert agenda_pdf.volume_name("agenda.pdf", 12) == "agenda-12.pdf"
    assert agenda_pdf.volume_name("week.v2.pdf", 3) == "week.v2-3.pdf"
    assert agenda_pdf.volume_name("week", 2) == "week-2"
