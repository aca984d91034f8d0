"""Product, route and dose rules: what must never be given, and doses above their ceiling."""

from __future__ import annotations

from itertools import pairwise

from ..dosing import age_in_months
from ..dosing import birthday as reached
from ..i18n import N_
from ..plan import Plan
from . import Hit, rule
from ._text import active, count, dates, it_events, span, uids

VINCA_ALKALOIDS = ("vincristine", "vinblastine", "vinorelbine", "vindesine", "vinflunine")


@rule(
    "vinca-intrathecal",
    "block",
    ["S11"],
    "A vinca alkaloid by any intrathecal or intraventricular route (never event).",
)
def vinca_intrathecal(plan: Plan) -> list[Hit]:
    found = [e for e in it_events(plan) if any(v in (e.drug or "").lower() for v in VINCA_ALKALOIDS)]
    if not found:
        return []
    return [
        Hit(
            f"{found[0].drug} is planned by the {found[0].route} route on {dates([e.date for e in found])}: "
            "vinca alkaloids must never be given intrathecally (fatal; a never event)",
            N_(
                "A medicine on this plan must never be given into the spine. Your care team will correct "
                "the plan before any treatment."
            ),
            uids(found),
        )
    ]


@rule(
    "vinca-same-day-as-it",
    "stop",
    ["S11"],
    "A vinca alkaloid by vein on the same day as an IT dose: never in the same place or session "
    "(the override's reason says how they are kept apart).",
)
def vinca_same_day_as_it(plan: Plan) -> list[Hit]:
    it_days = {e.date: e for e in it_events(plan)}
    found = [
        e
        for e in active(plan)
        if e.kind == "infusion"
        and any(v in (e.drug or "").lower() for v in VINCA_ALKALOIDS)
        and e.date in it_days
    ]
    if not found:
        return []
    return [
        Hit(
            f"{found[0].drug} by vein is planned on {dates([e.date for e in found])}, the same day as "
            "an IT dose: a vinca alkaloid must never be in the same place or session as an intrathecal "
            "dose (a wrong-route death is a never event); move one of them, or say in the override how "
            "they are kept apart (another place and session)",
            N_(
                "Two of your treatments fall on the same day. Your care team will make sure they are given "
                "separately."
            ),
            uids(found, [it_days[e.date] for e in found]),
        )
    ]


@rule(
    "preserved-formulation-intrathecal",
    "block",
    ["S6", "S1"],
    "Methotrexate with preservative (benzyl alcohol) given intrathecally.",
)
def preserved_formulation(plan: Plan) -> list[Hit]:
    found = [e for e in it_events(plan, "methotrexate") if e.formulation == "preserved"]
    if not found:
        return []
    return [
        Hit(
            f"preserved methotrexate (benzyl alcohol) is planned intrathecally for "
            f"{count(len(found), 'dose')} ({span(found)}): only preservative-free methotrexate may be "
            "given intrathecally",
            N_(
                "The form of methotrexate on this plan is not safe for this treatment. Your care team "
                "will correct it before any treatment."
            ),
            uids(found),
        )
    ]


@rule(
    "withdrawn-product",
    "block",
    ["S13"],
    "A withdrawn product (liposomal cytarabine) was selected.",
)
def withdrawn_product(plan: Plan) -> list[Hit]:
    return [
        Hit(
            f"{ref.id} ({ref.title}) is a withdrawn product: manufacture stopped in 2017; choose "
            "another regimen",
            N_("The medicine chosen is no longer made. Your care team will choose another treatment."),
        )
        for ref in plan.templates
        if ref.status == "withdrawn"
    ]


@rule(
    "dose-above-age-band",
    "block",
    ["S1", "S2"],
    "An IT dose above the age band's dose (15 mg methotrexate for adults), or above the regimen's dose.",
)
def dose_above_age_band(plan: Plan) -> list[Hit]:
    found = [e for e in it_events(plan) if e.max_mg is not None and (e.dose_mg or 0) > e.max_mg]
    hits = []
    for key in dict.fromkeys((e.drug, e.dose_mg, e.max_mg, e.dose_basis) for e in found):
        group = [e for e in found if (e.drug, e.dose_mg, e.max_mg, e.dose_basis) == key]
        drug, mg, limit, basis = key
        what = (
            f"ordered {drug} {mg:g} mg is"
            if plan.inputs.dose is not None
            else f"{group[0].course} gives {drug} {mg:g} mg,"
        )
        hits.append(
            Hit(
                f"{what} above the {basis} dose of {limit:g} mg on "
                f"{count(len(group), 'date')} ({span(group)}); no order may exceed it",
                N_(
                    "A dose on this plan is higher than allowed. Your care team will check it before "
                    "any treatment."
                ),
                uids(group),
            )
        )
    return hits


@rule(
    "age-band-dose-change",
    "info",
    ["S2"],
    "The dose changes during the plan because the patient moves into a new age band.",
)
def age_band_dose_change(plan: Plan) -> list[Hit]:
    dob = plan.inputs.dob
    hits = []
    for before, after in pairwise(it_events(plan)):
        if before.dose_basis == after.dose_basis or before.dose_mg == after.dose_mg:
            continue
        since = ""
        if dob is not None:
            years = age_in_months(dob, after.date) // 12
            since = f" (age {years} from {reached(dob, years)})"
        hits.append(
            Hit(
                f"{after.drug} dose changes from {before.dose_mg:g} mg to {after.dose_mg:g} mg on "
                f"{after.date}: age band {after.dose_basis}{since}",
                N_(
                    "The dose changes after a birthday (the calendar shows the new dose on its day). "
                    "This is planned."
                ),
                (after.uid,),
            )
        )
    return hits


@rule(
    "memantine-renal",
    "warn",
    ["S8"],
    "Memantine with CrCl below 30 mL/min: target capped at 5 mg twice daily.",
)
def memantine_renal(plan: Plan) -> list[Hit]:
    crcl = plan.inputs.crcl
    meds = [e for e in active(plan) if e.kind == "medication" and e.drug == "memantine"]
    if not meds or crcl is None or crcl >= 30:
        return []
    return [
        Hit(
            f"CrCl {crcl:g} mL/min is below 30: memantine target capped at 5 mg twice daily "
            f"(every dose at most 5 mg) from {meds[0].date}",
            N_("Your memantine dose is kept at 5 mg twice a day because of how your kidneys work."),
            uids(meds),
        )
    ]


@rule(
    "investigational-template",
    "info",
    ["S14"],
    "An investigational or off-label template is in the plan.",
)
def investigational_template(plan: Plan) -> list[Hit]:
    hits = []
    for ref in plan.templates:
        if ref.status == "investigational":
            text = f"{ref.id} is investigational: give it only within a protocol, with consent"
        elif ref.status == "off-label" and ref.kind == "systemic":
            text = f"{ref.id} is off-label: a dose or use beyond the product label ({', '.join(ref.sources)})"
        elif ref.status == "off-label":
            text = f"{ref.id} is off-label in solid-tumour leptomeningeal disease"
        else:
            continue
        concerned = tuple(e.uid for e in active(plan) if e.course == ref.id)
        if not concerned and any(e.course == ref.id for e in plan.events):
            continue  # every event of it was cancelled (reschedule --stop-from)
        hits.append(
            Hit(
                text,
                N_(
                    "This treatment is used outside its usual licence or within a study. Ask your care "
                    "team if you have questions."
                ),
                concerned,
                # The template's own evidence; S14 (the investigational IT trastuzumab trial) only
                # for the template that rests on it.
                sources=ref.sources,
            )
        )
    return hits
