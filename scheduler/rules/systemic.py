"""Systemic CNS-active therapy: interactions with radiotherapy, renal function and the label's
timing, the patient's age and the body measurements doses were computed from."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable

from ..dosing import age_in_months
from ..i18n import N_
from ..interactions import RT_HOLD_DAYS, TRASTUZUMAB_DRUGS, hold_window, is_braf_mek
from ..plan import Event, Plan, TemplateRef
from . import Hit, rule
from ._text import active, count, dates, uids

SYSTEMIC_KINDS = ("infusion", "tablet")
BODY_SIZE = ("mg/kg", "mg/m2")


def systemic_events(plan: Plan, drug: str | None = None) -> list[Event]:
    return [
        e
        for e in active(plan)
        if e.kind in SYSTEMIC_KINDS and (drug is None or (e.drug or "").lower() == drug)
    ]


def taken_on(event: Event) -> list[dt.date]:
    """Every day a tablet event is taken (an infusion: its day)."""
    days = event.repeat_days if event.kind == "tablet" else 1
    return [event.date + dt.timedelta(n) for n in range(days)]


def _refs(plan: Plan) -> dict[str, TemplateRef]:
    return {t.id: t for t in plan.templates}


@rule(
    "braf-mek-around-rt",
    "stop",
    ["S21"],
    "A BRAF or MEK inhibitor taken from 3 days before the first to 3 days after the last fraction "
    "of fractionated RT (hold the tablets: --hold-around-rt).",
)
def braf_mek_around_rt(plan: Plan) -> list[Hit]:
    fractions = [e for e in active(plan) if e.kind == "rt-fraction"]
    window = hold_window([e.date for e in fractions], RT_HOLD_DAYS)
    if window is None:
        return []
    hits = []
    inside = [
        e
        for e in systemic_events(plan)
        if is_braf_mek(e.drug) and any(window[0] <= d <= window[1] for d in taken_on(e))
    ]
    if not inside:
        return []
    drugs = sorted({e.drug or "" for e in inside})
    days = sorted({d for e in inside for d in taken_on(e) if window[0] <= d <= window[1]})
    hits.append(
        Hit(
            f"{' and '.join(drugs)} planned on {count(len(days), 'day')} ({dates(days, 3)}) from "
            f"{RT_HOLD_DAYS} days before the first to {RT_HOLD_DAYS} days after the last RT fraction "
            f"({window[0]} to {window[1]}): hold BRAF/MEK inhibitors over that window (plan with the "
            "hold around RT, --hold-around-rt)",
            N_(
                "Some of your tablets should be paused around your radiotherapy. Your care team will "
                "tell you which days."
            ),
            uids(inside, fractions[:1]),
        )
    )
    return hits


@rule(
    "trastuzumab-late-loading",
    "warn",
    ["S22"],
    "Trastuzumab given more than one week late against its cycle: the 8 mg/kg loading dose again.",
)
def trastuzumab_late_loading(plan: Plan) -> list[Hit]:
    """Each trastuzumab infusion after the first, against the previous one: more than one week
    late needs the loading dose again (the first dose of the course). Given as the loading dose:
    info (the plan did it); a lower dose: warn."""
    refs = _refs(plan)
    hits = []
    by_course: dict[str, list[Event]] = {}
    for e in systemic_events(plan, "trastuzumab"):
        if e.kind == "infusion":
            by_course.setdefault(e.course, []).append(e)
    for course, doses in by_course.items():
        cycle_days = refs[course].cycle_days if course in refs else None
        if cycle_days is None or len(doses) < 2:
            continue
        loading = doses[0].dose_mg or 0
        for before, this in itertools.pairwise(doses):
            late = (this.date - before.date).days - cycle_days
            if late <= 7:
                continue
            given = this.dose_mg or 0
            if given >= loading:
                hits.append(
                    Hit(
                        f"trastuzumab on {this.date} is {late} days late against its cycle: given as the "
                        f"loading dose {given:g} mg, as the label says",
                        N_(
                            "Because this treatment comes later than usual, a larger first-style dose is "
                            "planned. Your care team has planned for it."
                        ),
                        (before.uid, this.uid),
                        severity="info",
                    )
                )
            else:
                hits.append(
                    Hit(
                        f"trastuzumab on {this.date} is {late} days late against its cycle but planned at "
                        f"{given:g} mg: more than one week late, the label gives the loading dose again "
                        f"({loading:g} mg here)",
                        N_("Your care team will check the dose of one treatment."),
                        (before.uid, this.uid),
                    )
                )
    return hits


@rule(
    "capecitabine-renal",
    "block",
    ["S28"],
    "Capecitabine with CrCl below 30 mL/min (contraindicated); 30-50 mL/min: 75% of the starting dose.",
)
def capecitabine_renal(plan: Plan) -> list[Hit]:
    cape = systemic_events(plan, "capecitabine")
    crcl = plan.inputs.crcl
    if not cape or crcl is None or crcl >= 50:
        return []
    if crcl < 30:
        return [
            Hit(
                f"capecitabine is planned ({count(len(cape), 'tablet run')} from {cape[0].date}) with CrCl "
                f"{crcl:g} mL/min: capecitabine is contraindicated below 30 mL/min",
                N_(
                    "One of your tablets is not safe with how your kidneys work now. Your care team will "
                    "change the plan before you start."
                ),
                uids(cape),
            )
        ]
    return [
        Hit(
            f"capecitabine with CrCl {crcl:g} mL/min (30-50): planned at 75% of the starting dose "
            f"({cape[0].dose_mg:g} mg per dose)",
            N_("The dose of one of your tablets is adjusted for your kidneys."),
            uids(cape[:1]),
            severity="info",
        )
    ]


@rule(
    "tucatinib-creatinine",
    "info",
    ["S18", "S8"],
    "Tucatinib with a creatinine-based CrCl that lowers a dose: the estimate may be falsely low.",
)
def tucatinib_creatinine(plan: Plan) -> list[Hit]:
    tuca = systemic_events(plan, "tucatinib")
    crcl = plan.inputs.crcl
    if not tuca or crcl is None:
        return []
    capped = [e for e in active(plan) if e.kind == "medication" and any("capped" in n for n in e.notes)]
    reduced = [e for e in systemic_events(plan, "capecitabine") if crcl < 50]
    driven = []
    if capped:
        driven.append("the memantine renal cap")
    if reduced:
        driven.append("the capecitabine renal dose")
    if not driven:
        return []
    return [
        Hit(
            f"CrCl {crcl:g} mL/min sets {' and '.join(driven)} while tucatinib is planned: tucatinib "
            "inhibits tubular secretion of creatinine, so a creatinine-based CrCl may be falsely low "
            "(about 20-30%) with no change in measured GFR",
            N_(
                "One of your medicines can change a kidney blood test. Your care team may check your "
                "kidneys another way."
            ),
            uids(tuca, capped, reduced),
        )
    ]


@rule(
    "adult-only-systemic",
    "stop",
    ["S16", "S17", "S19", "S20"],
    "An adult-only systemic template for a patient under 18.",
)
def adult_only_systemic(plan: Plan) -> list[Hit]:
    refs = _refs(plan)
    hits = []
    for course in plan.inputs.systemic:
        ref = refs.get(course.template)
        concerned = tuple(e.uid for e in systemic_events(plan) if e.course == course.template)
        if ref is None or not ref.adult_only or not concerned:
            continue
        if plan.inputs.dob is not None:
            months = age_in_months(plan.inputs.dob, course.start)
        else:
            assert plan.inputs.age is not None
            later = (
                (course.start.year - plan.inputs.start.year) * 12
                + course.start.month
                - plan.inputs.start.month
            )
            months = plan.inputs.age.months + max(0, later - (course.start.day < plan.inputs.start.day))
        if months >= 18 * 12:
            continue
        hits.append(
            Hit(
                f"{course.template} is for adults and the patient is {months // 12} years old on "
                f"{course.start}: its dose and schedule are not established under 18",
                N_("One of your treatments is usually given to adults. Your care team will review it."),
                concerned,
            )
        )
    return hits


def _body_size_events(plan: Plan) -> list[Event]:
    return [e for e in systemic_events(plan) if any(b in (e.dose_basis or "") for b in BODY_SIZE)]


@rule(
    "weight-outdated",
    "warn",
    [],
    "Body-size doses from a weight measured more than 30 days (clinic weight_valid_days, a local "
    "convention) before the first dose, or after it.",
)
def weight_outdated(plan: Plan) -> list[Hit]:
    sized = _body_size_events(plan)
    measured = plan.inputs.weight_date
    if not sized or measured is None:
        return []
    first = min(e.date for e in sized)
    limit = plan.inputs.clinic.weight_valid_days
    age = (first - measured).days
    if age > limit:
        text = (
            f"the weight ({plan.inputs.weight_kg:g} kg) was measured on {measured}, {age} days before the "
            f"first body-size dose on {first}: weigh again (this clinic allows {limit} days)"
        )
    elif age < 0:
        text = (
            f"the weight was recorded as measured on {measured}, after the first body-size dose on "
            f"{first}: check the date and the doses"
        )
    else:
        return []
    return [
        Hit(text, N_("You will be weighed before your treatment so that the dose is right."), uids(sized[:1]))
    ]


@rule(
    "trastuzumab-lvef",
    "warn",
    ["S16", "S22"],
    "A trastuzumab-containing course with no LVEF assessment on the calendar.",
)
def trastuzumab_lvef(plan: Plan) -> list[Hit]:
    given = [e for e in systemic_events(plan) if (e.drug or "").lower() in TRASTUZUMAB_DRUGS]
    if not given:
        return []
    if any(e.kind == "check" and e.check_kind == "cardiac" and e.status != "cancelled" for e in plan.events):
        return []  # an LVEF check (a monitoring template) is planned
    drugs = sorted({e.drug or "" for e in given})
    return [
        Hit(
            f"{' and '.join(drugs)} from {given[0].date} with no LVEF assessment on the calendar: "
            "LVEF before starting and every 3 months (trastuzumab label) or at regular intervals "
            "(trastuzumab deruxtecan label)",
            N_("You will need regular heart scans during this treatment. Your care team will book them."),
            uids(given),
        )
    ]


@rule(
    "systemic-cycle-lengthened",
    "warn",
    [],
    "A cycle's day 1 moved later than the template's window (default 3 days) by clinic closures: "
    "the previous cycle is lengthened.",
)
def systemic_cycle_lengthened(plan: Plan) -> list[Hit]:
    """Each cycle against the previous cycle's actual day 1: a day 1 more than the template's
    window after `cycle_days` means the previous cycle was lengthened (by closures, or by a delay
    a reschedule recorded). A later cycle that keeps its length is not flagged again."""
    refs = _refs(plan)
    hits = []
    by_course: dict[str, list[Event]] = {}
    for e in _day_ones(plan.events):
        by_course.setdefault(e.course, []).append(e)
    for course, starts in by_course.items():
        ref = refs.get(course)
        if ref is None or ref.window_days is None or ref.cycle_days is None:
            continue
        for before, this in itertools.pairwise(sorted(starts, key=lambda e: e.cycle or 0)):
            late = (this.date - before.date).days - ref.cycle_days
            if late <= ref.window_days:
                continue
            why = f" ({this.shift_reason})" if this.shift_reason else ""
            hits.append(
                Hit(
                    f"{course} cycle {this.cycle} day 1 is on {this.date}{why}, {late} days after the "
                    f"{ref.cycle_days}-day cycle {before.cycle} ends: cycle {before.cycle} is lengthened "
                    f"by {late} days (window {ref.window_days} days)",
                    N_("One treatment comes later than usual. Your care team knows and has planned for it."),
                    (before.uid, this.uid),
                )
            )
    return hits


def _day_ones(events: Iterable[Event]) -> list[Event]:
    seen: set[tuple[str, int]] = set()
    found = []
    for e in events:
        day_one = (
            e.kind == "infusion" and e.status != "cancelled" and e.cycle_day == 1 and e.cycle is not None
        )
        if day_one and (e.course, e.cycle or 0) not in seen:
            seen.add((e.course, e.cycle or 0))
            found.append(e)
    return found
