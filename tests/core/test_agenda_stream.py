"""The agenda streamed day by day (`agenda.stream_days`, issue 19) says exactly what the agenda
over every session at once says: day summaries, over-capacity ranges, chairs in use, flagged rows;
sessions past midnight included."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler import agenda
from scheduler.agenda import Session

DAY0 = dt.date(2026, 12, 1)


@st.composite
def sessions(draw: st.DrawFn) -> list[Session]:
    n = draw(st.integers(0, 40))
    out = []
    for i in range(n):
        day = DAY0 + dt.timedelta(days=draw(st.integers(0, 6)))
        start = draw(st.integers(0, 24 * 60 - 1))
        chair = draw(st.booleans()) or draw(st.booleans())
        duration = draw(st.integers(1 if chair else 0, 30 * 60))
        out.append(
            Session(
                date=day,
                time=f"{start // 60:02d}:{start % 60:02d}",
                duration_min=duration,
                patient=f"P{draw(st.integers(0, 9))}",
                name=None,
                event="IT methotrexate" if chair else "Blood count",
                dose="12 mg" if chair else "",
                route="Ommaya" if chair else "",
                uid=f"u{i}",
                kind="it-dose" if chair else "check",
                chair=chair,
            )
        )
    return out


def _chairs(day: dt.date) -> int | None:
    return None if day.weekday() == 6 else 1 + day.day % 3


@settings(max_examples=300, deadline=None)
@given(sessions())
def test_streamed_days_say_what_the_whole_agenda_says(items: list[Session]) -> None:
    days, overloads = agenda.check_capacity(items, _chairs)
    in_use = agenda.in_use_at_start(items)
    over = agenda.over_capacity(items, overloads)
    streamed = list(agenda.stream_days(sorted(items, key=lambda s: s.date), _chairs))
    assert [d.summary for d in streamed] == days
    assert [o for d in streamed for o in d.overloads] == overloads
    assert [s for d in streamed for s in d.sessions] == agenda.ordered(items)
    assert {s: n for d in streamed for s, n in d.in_use.items()} == in_use
    assert {s for d in streamed for s in d.over} == over


def test_sessions_out_of_day_order_are_refused() -> None:
    late = Session(DAY0 + dt.timedelta(days=1), "09:00", 60, "P", None, "e", "d", "r", "a")
    early = Session(DAY0, "09:00", 60, "P", None, "e", "d", "r", "b")
    with pytest.raises(ValueError, match="day order"):
        list(agenda.stream_days([late, early], _chairs))


@settings(max_examples=100, deadline=None)
@given(sessions())
def test_the_streamed_csv_is_the_whole_agenda_csv(items: list[Session]) -> None:
    from scheduler.export import agenda as agenda_csv

    days, overloads = agenda.check_capacity(items, _chairs)
    whole = agenda_csv.render_csv(items, overloads, days)
    streamed = b"".join(
        agenda_csv.csv_chunks(agenda.stream_days(sorted(items, key=lambda s: s.date), _chairs))
    )
    assert streamed == whole


def test_the_spool_gives_rows_back_in_day_order_and_leaves_no_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from scheduler.workspace import Spool

    with Spool(tmp_path) as spool:
        assert list(tmp_path.iterdir()) == []  # unlinked at once: a killed run leaves nothing
        spool.add(
            [("2026-12-03", "09:00", b"c"), ("2026-12-01", "10:00", b"b"), ("2026-12-01", "09:00", b"a")]
        )
        spool.add([("2026-12-02", "08:00", b"x")])
        assert list(spool.rows()) == [b"a", b"b", b"x", b"c"]
        assert list(spool.rows()) == [b"a", b"b", b"x", b"c"]  # read again


@settings(max_examples=300, deadline=None)
@given(sessions(), st.integers(0, 6), st.integers(0, 6))
def test_a_range_read_with_its_spill_margin_says_what_the_whole_agenda_says(
    items: list[Session], a: int, b: int
) -> None:
    # a volume of the batch's agenda reads the days either side only where a session crosses
    # midnight into the range or out of it (`agenda.read_range`)
    first, last = DAY0 + dt.timedelta(days=min(a, b)), DAY0 + dt.timedelta(days=max(a, b))
    ordered = sorted(items, key=lambda s: s.date)
    spills: dict[dt.date, dt.date] = {}
    for s in items:
        if agenda.reach(s) > s.date:
            spills[s.date] = max(agenda.reach(s), spills.get(s.date, s.date))
    lo, hi = agenda.read_range(first, last, spills)
    assert lo in (first, first - dt.timedelta(days=agenda.SPILL_DAYS))
    assert hi in (last, last + dt.timedelta(days=agenda.SPILL_DAYS))
    whole = [d for d in agenda.stream_days(ordered, _chairs) if first <= d.summary.date <= last]
    read = [s for s in ordered if lo <= s.date <= hi]
    part = [d for d in agenda.stream_days(read, _chairs) if first <= d.summary.date <= last]
    assert part == whole
