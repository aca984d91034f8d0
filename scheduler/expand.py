"""Pure date expansion: a template and a start date become planned dates, before any closure (the
clinic calendar, through `settle`, only says where each phase's last dose fell).

A cycle phase (twice weekly, weekly, every 2 weeks) lays its doses at the offsets of consecutive
cycles; a monthly phase counts each dose from one anchor (the same day of each calendar month,
clamped to the month's last day), so no month is skipped and dates never drift.

Where the next phase begins is the template's `phase_start`:
- "after-last-dose" (default): the first dose of a phase comes one interval of that phase after
  the previous phase's last dose, on the day that dose actually falls (`settle` puts each phase on
  the clinic calendar before the next is laid out; without it the planned day is used). For a
  cycle phase the interval is the gap that closes its cycle (weekly: 7 days; Mon/Thu twice weekly:
  4); for a monthly phase it is the same day of the next month from that dose (the anchor of the
  monthly doses). Every dose, the first of a phase included, keeps its own phase's `min_days` from
  the previous dose.
- "window": a phase starts where the previous phase's whole cycles end (the week-9 reading of
  "twice weekly for 4 weeks, weekly for 4 weeks, then ..."). The first dose of a phase then keeps
  the smaller of the two phases' `min_days`, because the window may bring it closer than the new
  phase's own spacing.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta

from .models import Phase, Regimen

__all__ = ["Slot", "expand_regimen", "phase_counts"]


@dataclass(frozen=True)
class Slot:
    """One planned dose: which phase, its place in the phase and the course, and its planned day."""

    phase: Phase
    index: int  # 1-based within the phase
    number: int  # 1-based within the course
    planned: dt.date
    min_gap: int  # shortest allowed gap, in days, from the previous dose of the course


def phase_counts(regimen: Regimen, open_count: int | None) -> list[int]:
    """Doses per phase; `open_count` (--maintenance) replaces the open-ended phase's default."""
    return [
        open_count if (p.until_progression and open_count is not None) else p.count for p in regimen.phases
    ]


def _cycle_dates(phase: Phase, first: dt.date, count: int) -> list[dt.date]:
    assert phase.cycle_days is not None
    per_cycle = len(phase.offsets)
    return [
        first + dt.timedelta(days=(k // per_cycle) * phase.cycle_days + phase.offsets[k % per_cycle])
        for k in range(count)
    ]


Settle = Callable[[Sequence[Slot]], Sequence[dt.date]]


def expand_regimen(
    regimen: Regimen, start: dt.date, open_count: int | None = None, settle: Settle | None = None
) -> list[Slot]:
    """The course's doses, phase by phase. `settle(slots)` returns the days one phase's doses
    actually fall on (the clinic calendar moves them), so the next phase follows the real last dose:
    a month after the last weekly dose as given, not as first planned."""
    slots: list[Slot] = []
    window = regimen.phase_start == "window"
    anchor = start  # window: where this phase's window begins
    previous: Phase | None = None
    last: dt.date | None = None  # the previous phase's last planned dose
    for phase, count in zip(regimen.phases, phase_counts(regimen, open_count), strict=True):
        months = phase.months or 1
        if window or last is None:
            if phase.cycle_days is not None:
                dates = _cycle_dates(phase, anchor, count)
                window_end = anchor + dt.timedelta(
                    days=math.ceil(count / len(phase.offsets)) * phase.cycle_days
                )
            else:
                dates = [anchor + relativedelta(months=months * k) for k in range(count)]
                window_end = anchor + relativedelta(months=months * count)
        else:
            if phase.cycle_days is not None:
                dates = _cycle_dates(
                    phase, last + dt.timedelta(days=phase.cycle_days - phase.offsets[-1]), count
                )
            else:  # anchored on the last dose itself, so month ends clamp without drifting
                dates = [last + relativedelta(months=months * (k + 1)) for k in range(count)]
            window_end = anchor
        batch = []
        for k, day in enumerate(dates):
            gap = phase.min_days
            if window and k == 0 and previous is not None:
                gap = min(gap, previous.min_days)
            batch.append(Slot(phase=phase, index=k + 1, number=len(slots) + k + 1, planned=day, min_gap=gap))
        slots += batch
        if batch:
            previous = phase
            last = settle(batch)[-1] if settle is not None else dates[-1]
        anchor = window_end
    return slots
