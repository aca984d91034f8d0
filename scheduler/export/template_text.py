"""`lmsched templates show`: one template as readable text, sources spelled out."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from ..labels import SITE_NAMES
from ..models import (
    Medication,
    Monitoring,
    MonitoringWhen,
    Radiotherapy,
    Regimen,
    Systemic,
    SystemicComponent,
    Template,
)

__all__ = ["describe"]


def _phase_text(regimen: Regimen) -> Iterator[str]:
    for p in regimen.phases:
        if p.cycle_days is not None:
            per = len(p.offsets)
            every = {1: "once", 2: "twice"}.get(per, f"{per} times")
            cycle = "weekly" if p.cycle_days == 7 else f"every {p.cycle_days} days"
            pattern = f"{every} {cycle}" if per > 1 else cycle
            where = f" (days {', '.join(str(o) for o in p.offsets)} of each cycle)" if per > 1 else ""
        else:
            pattern = "monthly" if p.months == 1 else f"every {p.months} months"
            where = " (same day of the month from one anchor, clamped to month end)"
        tail = (
            ", continues until progression (the maintenance count sets how many)"
            if p.until_progression
            else ""
        )
        yield f"  {p.name}: {p.count} doses, {pattern}{where}; at least {p.min_days} days apart{tail}"


def _component_text(part: SystemicComponent) -> Iterator[str]:
    dose = part.dose
    amount = f"{dose.amount:g} {dose.unit}"
    if dose.basis == "mg/kg":
        amount += " of actual weight"
    elif dose.basis == "mg/m2":
        amount += " of body-surface area (Mosteller)"
    if part.route == "iv":
        days = ", ".join(str(d) for d in part.days)
        when = (
            f"IV on day {days} of each cycle, over {part.first_minutes} min the first time, "
            f"then {part.infusion_min} min"
        )
    else:
        times = " and ".join(part.times)
        on = f"days {part.on_days[0]}-{part.on_days[1]}" if part.on_days else "every day"
        when = f"by mouth at {times}, {on}"
    yield f"  {part.drug}: {amount}; {when} [{', '.join(dose.sources)}]"
    if dose.loading is not None:
        late = dose.reload_late_days
        again = f"; again when a dose is more than {late} days late" if late else ""
        yield f"    loading dose {dose.loading:g} {dose.unit} in cycle 1{again}"
    if dose.levels:
        yield f"    dose levels: {' -> '.join(f'{v:g}' for v in dose.levels)} {dose.unit}"
    if dose.round_mg is not None:
        yield f"    rounded to {dose.round_mg:g} mg (local convention)"
    if dose.tablets_mg:
        strengths = " and ".join(f"{t:g} mg" for t in dose.tablets_mg)
        yield f"    made of {strengths} tablets: the fewest tablets within 5% of the dose (local convention)"
    if dose.renal is not None:
        r = dose.renal
        below = f"; contraindicated below {r.contraindicated_below:g}" if r.contraindicated_below else ""
        yield (
            f"    renal: CrCl below {r.reduce_below:g} mL/min: {r.percent:g}% of the starting dose{below} "
            f"[{', '.join(r.sources)}]"
        )
    if part.instructions:
        yield f"    {part.instructions}"


_GUARDED = {"it-dose": "IT dose", "rt-fraction": "RT fraction", "infusion": "infusion", "tablet": "tablet"}


def when_text(when: MonitoringWhen) -> str:
    """'before each IT dose, the same day', 'every 12 weeks from the first infusion of trastuzumab'."""
    what = _GUARDED[when.events]
    if when.drugs:
        what += " of " + " or ".join(when.drugs)
    lead = (
        "the same day"
        if when.open_days_before == 0
        else f"{when.open_days_before} open day{'s' if when.open_days_before > 1 else ''} before"
    )
    if when.anchor == "each":
        text = f"at each {what}" if when.at_event else f"before each {what}, {lead}"
    elif when.anchor == "first-of-month":
        text = (
            f"at the first {what} of each month"
            if when.at_event
            else f"before the first {what} of each month"
        )
    elif when.anchor == "first":
        text = f"before the first {what}, {lead}"
    elif when.anchor == "after-last":
        n = when.open_days_after
        text = f"{n} open day{'s' if n > 1 else ''} after the last {what}"
    else:
        parts = [f"baseline before the first {what} ({lead})"] if when.baseline else []
        parts += [f"day {d}" for d in when.at_days]
        parts.append(f"every {when.every_weeks} weeks from the first {what} while the course lasts")
        text = ", ".join(parts)
    if when.csf_flow:
        text += f"; only when CSF flow is {' or '.join(when.csf_flow)}"
    return text


def describe(tpl: Template, sources: Mapping[str, str]) -> Iterator[str]:
    yield f"{tpl.id} {tpl.version} ({tpl.kind})"
    yield f"title:    {tpl.title}"
    yield f"evidence: {tpl.evidence_text()}"
    yield f"status:   {tpl.status}"
    if tpl.summary:
        yield f"summary:  {' '.join(tpl.summary.split())}"
    if isinstance(tpl, Regimen):
        yield f"drug:     {tpl.drug}, {tpl.formulation}; routes {', '.join(tpl.routes)}"
        if tpl.dose is not None:
            if tpl.dose.rule == "age-band":
                yield f"dose:     by age on the day of each dose [{', '.join(tpl.dose.sources)}]"
                for band in tpl.dose.bands:
                    yield f"  {band.label:<22} {band.mg:g} mg"
            else:
                ceiling = (
                    f"; never above the age bands of {tpl.dose.ceiling_from}" if tpl.dose.ceiling_from else ""
                )
                yield f"dose:     {tpl.dose.mg:g} mg fixed{ceiling} [{', '.join(tpl.dose.sources)}]"
        yield "schedule:" if tpl.phases else "schedule: none (cannot be planned)"
        yield from _phase_text(tpl)
    elif isinstance(tpl, Radiotherapy):
        yield f"site:     {SITE_NAMES[tpl.site]} ({tpl.site})"
        yield (
            f"dose:     {tpl.total_gy:g} Gy in {tpl.fractions} fractions "
            f"({tpl.gy_per_fraction:g} Gy each), one per open treatment day"
        )
    elif isinstance(tpl, Systemic):
        yield f"for:      {tpl.indication}" + ("; adults only" if tpl.adult_only else "")
        yield (
            f"cycles:   {tpl.cycle_days} days, {tpl.default_cycles} planned by default (until progression); "
            f"a day 1 on a closed day moves later only, a finding when more than {tpl.window_days} days"
        )
        for part in tpl.components:
            yield from _component_text(part)
    elif isinstance(tpl, Monitoring):
        place = "at the clinic" if tpl.where == "clinic" else "external (another department)"
        yield f"check:    {tpl.name} ({tpl.category}), {place}, {tpl.duration_min} min" + (
            "; books an infusion chair" if tpl.chair else ""
        )
        yield f"patient:  {tpl.patient_text}"
        yield f"when:     {when_text(tpl.when)}"
        if tpl.evidence == "convention":
            yield (
                f"interval: local convention ({tpl.convention}); "
                f"set per centre in the clinic file [monitoring.{tpl.id}]"
            )
        if tpl.detail:
            yield f"detail:   {tpl.detail}"
    elif isinstance(tpl, Medication):
        yield (
            f"drug:     {tpl.drug} {tpl.route} {tpl.formulation}; "
            f"starts on the first {tpl.starts_with.upper()} day"
        )
        yield f"times:    morning {tpl.morning}, evening {tpl.evening}"
        for step in tpl.steps:
            yield (
                f"  {step.name:<11} {step.days:>3} days: "
                f"morning {step.morning_mg:g} mg, evening {step.evening_mg:g} mg"
            )
        if tpl.renal:
            yield (
                f"renal:    CrCl below {tpl.renal.crcl_below:g} mL/min: "
                f"at most {tpl.renal.max_mg_per_dose:g} mg a dose [{', '.join(tpl.renal.sources)}]"
            )
    yield "sources:" if tpl.sources else "sources:  none (a local convention)"
    for sid in tpl.sources:
        yield f"  {sid}: {sources.get(sid, '(not in sources.toml)')}"
