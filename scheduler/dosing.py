"""Doses: the age band on the day of each dose, a clinician's lower order, and the ceilings.

The one place a dose is computed: building a plan and moving a dose to another day (reschedule)
both ask `it_dose` for the dose on the day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .models import AgeBand, DoseRule, Medication, PlanRequest, Regimen

if TYPE_CHECKING:
    from .templates import Registry

__all__ = ["DoseDecision", "age_in_months", "birthday", "dose_for", "it_dose", "medication_dose", "number"]


def number(value: float) -> int | float:
    """A dose as the plan stores it: 12 rather than 12.0, 2.5 as it is."""
    return int(value) if float(value).is_integer() else value


def age_in_months(dob: dt.date, day: dt.date) -> int:
    """Completed months of age on `day`. A month is complete on the same day-of-month, so a
    birthday on 29 February is reached on 1 March in other years: the later, more conservative
    day for a dose that rises with age."""
    months = (day.year - dob.year) * 12 + day.month - dob.month
    return months - 1 if day.day < dob.day else months


def birthday(dob: dt.date, years: int) -> dt.date:
    """The day `years` of age are reached, by the same rule as `age_in_months` (29 Feb -> 1 Mar)."""
    try:
        return dob.replace(year=dob.year + years)
    except ValueError:
        return dt.date(dob.year + years, 3, 1)


@dataclass(frozen=True)
class DoseDecision:
    mg: float  # what the plan gives: the clinician's order, else the band's or regimen's dose
    limit_mg: float  # the most any order may give that day (S1, S2)
    basis: str  # what sets the limit: an age band's label, or "regimen"
    band: AgeBand | None


def _fmt(mg: float) -> str:
    return f"{mg:g} mg"


def dose_for(rule: DoseRule, ceiling: DoseRule | None, request: PlanRequest, day: dt.date) -> DoseDecision:
    """The dose for one IT event on `day`, with the limit it must not exceed.

    A dose above the limit is kept as ordered and left to the `dose-above-age-band` rule, which
    blocks the plan: an order is never silently lowered, because the order itself would be wrong."""
    if request.dob is not None:
        months = age_in_months(request.dob, day)
    else:
        assert request.age is not None
        months = request.age.months
    bands = rule if rule.rule == "age-band" else ceiling
    band = bands.band_for(months // 12) if bands is not None else None
    if rule.rule == "age-band":
        assert band is not None
        planned, limit, basis = band.mg, band.mg, band.label
    else:
        planned = float(rule.mg or 0)
        limit, basis = planned, "regimen"
        if band is not None and band.mg < planned:
            limit, basis = band.mg, band.label
    mg = request.dose if request.dose is not None else planned
    return DoseDecision(mg=mg, limit_mg=limit, basis=basis, band=band)


def it_dose(regimen: Regimen, registry: Registry, request: PlanRequest, day: dt.date) -> DoseDecision | None:
    """The IT dose of `regimen` on `day`, under the ceiling of the regimen it names (if any);
    None for a regimen without a dose (a withdrawn product, which a rule blocks)."""
    if regimen.dose is None:
        return None
    ceiling = registry.regimen(regimen.dose.ceiling_from).dose if regimen.dose.ceiling_from else None
    return dose_for(regimen.dose, ceiling, request, day)


def medication_dose(med: Medication, mg: float, crcl: float | None) -> tuple[float, str | None]:
    """A titration dose, capped for renal function (S8); returns the dose and a note when capped."""
    renal = med.renal
    if renal is not None and crcl is not None and crcl < renal.crcl_below and mg > renal.max_mg_per_dose:
        return renal.max_mg_per_dose, (
            f"capped from {_fmt(mg)} to {_fmt(renal.max_mg_per_dose)}: CrCl {crcl:g} mL/min "
            f"is below {renal.crcl_below:g} ({', '.join(renal.sources)})"
        )
    return mg, None
