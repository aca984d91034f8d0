"""Doses: the age band on the day of each dose, a clinician's lower order, and the ceilings.

The one place a dose is computed: building a plan and moving a dose to another day (reschedule)
both ask `it_dose` for the dose on the day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .models import AgeBand, DoseRule, Medication, PlanRequest, Regimen, SystemicDose

if TYPE_CHECKING:
    from .templates import Registry

__all__ = [
    "DoseDecision",
    "SystemicDecision",
    "age_in_months",
    "birthday",
    "bsa_mosteller",
    "dose_for",
    "it_dose",
    "medication_dose",
    "number",
    "systemic_dose",
    "tablet_combination",
    "tablets_text",
]


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


# --- systemic therapy ------------------------------------------------------------------------------


def bsa_mosteller(height_cm: float, weight_kg: float) -> float:
    """Body-surface area in m2 by Mosteller (S23): sqrt(height cm x weight kg / 3600), to two
    decimals (the figure every dose calculation shows and uses)."""
    import math

    return round(math.sqrt(height_cm * weight_kg / 3600), 2)


def tablet_combination(
    target: float, strengths: tuple[float, ...], band_pct: float = 5, most: int = 40
) -> tuple[float, dict[float, int]]:
    """A dose made of whole tablets of `strengths`: of the totals within `band_pct` percent of
    `target`, the one with the fewest tablets (then the nearest, then the lower); when none is that
    close, the nearest total (a tie: the lower). Returns the total and how many of each strength,
    largest first. Capecitabine 1000 mg/m2 x 1.83 m2 = 1830 mg -> 1800 mg = 3 x 500 mg + 2 x 150 mg
    (1850 mg is nearer but takes 10 tablets). The band is a local convention (dose banding)."""
    units = sorted(strengths, reverse=True)
    scale = 100  # strengths to 0.01 mg are whole units: no floating-point sums
    sizes = [round(s * scale) for s in units]
    goal = round(target * scale)
    limit = goal + max(sizes)
    # breadth first by tablet count: each total is first reached with the fewest tablets
    best: dict[int, tuple[int, ...]] = {0: tuple(0 for _ in sizes)}
    frontier = [0]
    for _ in range(most):
        following = []
        for total in frontier:
            counts = best[total]
            for i, size in enumerate(sizes):
                reached = total + size
                if reached > limit or reached in best:
                    continue
                best[reached] = tuple(c + (1 if j == i else 0) for j, c in enumerate(counts))
                following.append(reached)
        if not following:
            break
        frontier = following
    reachable = [t for t in best if t > 0] or [0]
    close = [t for t in reachable if abs(t - goal) * 100 <= goal * band_pct]  # exact for whole units
    if close:
        chosen = min(close, key=lambda t: (sum(best[t]), abs(t - goal), t))
    else:
        chosen = min(reachable, key=lambda t: (abs(t - goal), t))
    return chosen / scale, {u: n for u, n in zip(units, best[chosen], strict=True) if n}


def tablets_text(counts: dict[float, int]) -> str:
    """'3 x 500 mg + 2 x 150 mg'."""
    return " + ".join(f"{n} x {mg:g} mg" for mg, n in counts.items())


@dataclass(frozen=True)
class SystemicDecision:
    mg: float  # what the event gives
    per: float  # the amount per unit used (mg, mg/kg or mg/m2), after any renal adjustment
    basis: str  # "5.4 mg/kg (actual weight)", "1000 mg/m2 (BSA 1.83 m2, Mosteller)", "fixed"
    calc: str  # "5.4 mg/kg x 72 kg = 389 mg (388.8 rounded to 1 mg)"
    tablets: str | None  # "3 x 500 mg + 2 x 150 mg"
    notes: tuple[str, ...]


def _r(value: float) -> float:
    return round(value, 2)


def systemic_dose(
    dose: SystemicDose,
    request: PlanRequest,
    level: int,
    loading: bool,
) -> SystemicDecision:
    """One component's dose: its rule (fixed, mg/kg of actual weight, mg/m2 by Mosteller), the
    dose level (0, -1, -2: a reduction), the loading dose when `loading`, the renal adjustment
    for the request's CrCl, and the rounding (IV to `round_mg`, tablets to their strengths).
    Weight and height are checked as present by the caller (an input error names them)."""
    notes: list[str] = []
    per = dose.amount
    if dose.levels and level:
        per = dose.levels[-level]
        notes.append(f"dose level {level}: {per:g} {dose.unit} (starting dose {dose.amount:g} {dose.unit})")
    if loading and dose.loading is not None:
        per = dose.loading
    prefix = ""
    renal = dose.renal
    crcl = request.crcl
    if (
        renal is not None
        and crcl is not None
        and crcl < renal.reduce_below
        and not (renal.contraindicated_below is not None and crcl < renal.contraindicated_below)
    ):
        reduced = _r(per * renal.percent / 100)
        cited = ", ".join(renal.sources)
        prefix = f"{renal.percent:g}% of {per:g} {dose.unit} (CrCl {crcl:g} mL/min, {cited}) = "
        notes.append(
            f"reduced to {renal.percent:g}% of the starting dose: CrCl {crcl:g} mL/min is below "
            f"{renal.reduce_below:g} ({', '.join(renal.sources)})"
        )
        per = reduced
    if dose.basis == "fixed":
        raw = per
        basis = "fixed dose"
        calc = f"{prefix}{per:g} mg"
    elif dose.basis == "mg/kg":
        assert request.weight_kg is not None
        raw = _r(per * request.weight_kg)
        basis = f"{per:g} mg/kg (actual weight {request.weight_kg:g} kg)"
        calc = f"{prefix}{per:g} mg/kg x {request.weight_kg:g} kg"
    else:
        assert request.weight_kg is not None and request.height_cm is not None
        area = bsa_mosteller(request.height_cm, request.weight_kg)
        raw = _r(per * area)
        basis = f"{per:g} mg/m2 (BSA {area:g} m2, Mosteller)"
        calc = f"{prefix}{per:g} mg/m2 x {area:g} m2"
    mg, tablets = raw, None
    if dose.tablets_mg:
        mg, counts = tablet_combination(raw, dose.tablets_mg)
        tablets = tablets_text(counts)
    elif dose.round_mg is not None:
        mg = _r(round(raw / dose.round_mg) * dose.round_mg)
    if dose.basis == "fixed" and not prefix:
        text = calc
    elif mg == raw:
        text = f"{calc} = {mg:g} mg"
    elif tablets:
        off = (mg - raw) / raw * 100
        text = f"{calc} = {raw:g} mg -> {mg:g} mg ({tablets}, {off:+.1f}%)"
    else:
        text = f"{calc} = {mg:g} mg ({raw:g} rounded to {dose.round_mg:g} mg)"
    if tablets and dose.basis == "fixed":
        text = f"{text} ({tablets})"
    return SystemicDecision(mg=mg, per=per, basis=basis, calc=text, tablets=tablets, notes=tuple(notes))
