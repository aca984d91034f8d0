"""Doses: the age band on the day of each dose, a clinician's lower order, and the ceilings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .errors import BlockedError
from .models import AgeBand, DoseRule, Medication, PlanRequest

__all__ = ["DoseDecision", "age_in_months", "dose_for", "medication_dose"]


def age_in_months(dob: dt.date, day: dt.date) -> int:
    """Completed months of age on `day`. A month is complete on the same day-of-month, so a
    birthday on 29 February is reached on 1 March in other years: the later, more conservative
    day for a dose that rises with age."""
    months = (day.year - dob.year) * 12 + day.month - dob.month
    return months - 1 if day.day < dob.day else months


@dataclass(frozen=True)
class DoseDecision:
    mg: float
    band: AgeBand | None  # the age band that set or capped the dose
    age_months: int


def _fmt(mg: float) -> str:
    return f"{mg:g} mg"


def dose_for(
    rule: DoseRule, ceiling: DoseRule | None, request: PlanRequest, day: dt.date, drug: str
) -> DoseDecision:
    """The dose for one IT event on `day`. Never above the age band's dose: an order above it is
    refused (S1, S2), never silently lowered, because the order itself would be wrong."""
    if request.dob is not None:
        months = age_in_months(request.dob, day)
    else:
        assert request.age is not None
        months = request.age.months
    bands = rule if rule.rule == "age-band" else ceiling
    band = bands.band_for(months // 12) if bands is not None else None
    planned = band.mg if rule.rule == "age-band" and band is not None else float(rule.mg or 0)
    if band is not None and planned > band.mg:
        raise BlockedError(
            f"{drug} {_fmt(planned)} on {day} is above the {band.label} dose of {_fmt(band.mg)}",
            rule="dose-above-age-band",
            sources=("S1", "S2"),
            field="regimen",
        )
    mg = planned
    if request.dose is not None:
        if request.dose > planned:
            limit = (
                f"the {band.label} dose of {_fmt(planned)}"
                if rule.rule == "age-band" and band
                else f"the regimen's dose of {_fmt(planned)}"
            )
            raise BlockedError(
                f"ordered {drug} {_fmt(request.dose)} on {day} is above {limit}; no order may exceed it",
                rule="dose-above-age-band",
                sources=("S1", "S2"),
                field="dose",
            )
        mg = request.dose
    return DoseDecision(mg=mg, band=band, age_months=months)


def medication_dose(med: Medication, mg: float, crcl: float | None) -> tuple[float, str | None]:
    """A titration dose, capped for renal function (S8); returns the dose and a note when capped."""
    renal = med.renal
    if renal is not None and crcl is not None and crcl < renal.crcl_below and mg > renal.max_mg_per_dose:
        return renal.max_mg_per_dose, (
            f"capped from {_fmt(mg)} to {_fmt(renal.max_mg_per_dose)}: CrCl {crcl:g} mL/min "
            f"is below {renal.crcl_below:g} ({', '.join(renal.sources)})"
        )
    return mg, None
