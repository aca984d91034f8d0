"""Pure date expansion: a template and a start date become planned dates, before any closure.

Phases follow one another: a cycle phase (twice weekly, weekly, every 2 weeks) occupies whole
cycles and the next phase starts where its window ends; a monthly phase counts each dose from one
anchor (the same day of each calendar month, clamped to the month's last day), so no month is
skipped and dates never drift.
"""

from __future__ import annotations

import datetime as dt
import math
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


def expand_regimen(regimen: Regimen, start: dt.date, open_count: int | None = None) -> list[Slot]:
    slots: list[Slot] = []
    anchor = start
    previous: Phase | None = None
    for phase, count in zip(regimen.phases, phase_counts(regimen, open_count), strict=True):
        if phase.cycle_days is not None:
            per_cycle = len(phase.offsets)
            dates = [
                anchor + dt.timedelta(days=(k // per_cycle) * phase.cycle_days + phase.offsets[k % per_cycle])
                for k in range(count)
            ]
            window_end = anchor + dt.timedelta(days=math.ceil(count / per_cycle) * phase.cycle_days)
        else:
            months = phase.months or 1
            dates = [anchor + relativedelta(months=months * k) for k in range(count)]
            window_end = anchor + relativedelta(months=months * count)
        for k, day in enumerate(dates):
            gap = phase.min_days
            if k == 0 and previous is not None:
                gap = min(gap, previous.min_days)
            slots.append(Slot(phase=phase, index=k + 1, number=len(slots) + 1, planned=day, min_gap=gap))
        if count:
            previous = phase
        anchor = window_end
    return slots
