"""Drug classes and timing windows that the systemic schedule and the safety rules share, each with
its source, so that the hold the plan inserts and the rule that checks it cannot disagree."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

__all__ = [
    "BRAF_MEK_INHIBITORS",
    "RT_HOLD_DAYS",
    "SRS_HOLD_DAYS",
    "TRASTUZUMAB_DRUGS",
    "hold_window",
    "is_braf_mek",
]

# BRAF and MEK inhibitors (S20, S21): held around radiotherapy.
BRAF_MEK_INHIBITORS = (
    "dabrafenib",
    "vemurafenib",
    "encorafenib",
    "trametinib",
    "cobimetinib",
    "binimetinib",
)
RT_HOLD_DAYS = 3  # before the first and after the last fraction of fractionated RT (S21)
SRS_HOLD_DAYS = 1  # radiosurgery (S21): no SRS template exists yet
# Trastuzumab and the conjugate that carries it: an LVEF assessment is due (S16, S22).
TRASTUZUMAB_DRUGS = ("trastuzumab", "trastuzumab deruxtecan")


def is_braf_mek(drug: str | None) -> bool:
    return (drug or "").strip().lower() in BRAF_MEK_INHIBITORS


def hold_window(fraction_days: Sequence[dt.date], days: int = RT_HOLD_DAYS) -> tuple[dt.date, dt.date] | None:
    """The days a BRAF/MEK inhibitor is held around an RT course: from `days` before its first
    fraction through `days` after its last, the RT days included (S21)."""
    if not fraction_days:
        return None
    return min(fraction_days) - dt.timedelta(days), max(fraction_days) + dt.timedelta(days)
