"""Radiotherapy combined with intrathecal methotrexate: timing-aware conflicts."""

from __future__ import annotations

from ..i18n import N_
from ..plan import Plan
from . import Hit, rule
from ._text import active, count, dates, it_events, mtx_inside, rt_events, span, uids


@rule(
    "csi-with-methotrexate",
    "stop",
    ["S1"],
    "Craniospinal RT in the same plan as IT or systemic methotrexate (leukoencephalopathy).",
)
def csi_with_methotrexate(plan: Plan) -> list[Hit]:
    csi = rt_events(plan, "csi")
    mtx = it_events(plan, "methotrexate")
    # given elsewhere (--systemic-mtx), or by a systemic template of this plan that contains it
    systemic = plan.inputs.systemic_mtx or any(
        e.kind in ("infusion", "tablet") and (e.drug or "").lower() == "methotrexate" for e in active(plan)
    )
    if not csi or not (mtx or systemic):
        return []
    what = []
    if mtx:
        what.append(f"IT methotrexate ({count(len(mtx), 'dose')}, {span(mtx)})")
    if systemic:
        what.append("systemic methotrexate")
    return [
        Hit(
            f"craniospinal RT {csi[0].course} {span(csi)} is in the same plan as {' and '.join(what)}: "
            "markedly increased risk of leukoencephalopathy",
            N_(
                "Radiotherapy to the brain and spine should not be combined with methotrexate. Your care "
                "team will review your plan."
            ),
            uids(csi, mtx),
        )
    ]


@rule(
    "it-methotrexate-during-csi",
    "stop",
    ["S1"],
    "IT methotrexate on a day inside a craniospinal RT course (e.g. after a reschedule).",
)
def it_mtx_during_csi(plan: Plan) -> list[Hit]:
    """The same hazard as csi-with-methotrexate (S1), given concurrently. A separate rule, so that
    an override of the combination (doses planned apart from the course) never lifts it: a delay
    or hold that moves a dose into the course must be decided again."""
    csi, inside = mtx_inside(plan, "csi")
    if not inside:
        return []
    verb = "falls" if len(inside) == 1 else "fall"
    return [
        Hit(
            f"IT methotrexate on {dates([e.date for e in inside])} {verb} inside the craniospinal RT "
            f"course {span(csi)}: concurrent CSI and methotrexate, markedly increased risk of "
            "leukoencephalopathy",
            N_(
                "A treatment day falls during your brain and spine radiotherapy. Your care team will "
                "review your plan."
            ),
            uids(inside, csi),
        )
    ]


@rule(
    "wbrt-overlap-it-methotrexate",
    "warn",
    ["S5"],
    "IT methotrexate on a day inside a whole-brain RT course.",
)
def wbrt_overlap(plan: Plan) -> list[Hit]:
    wbrt, inside = mtx_inside(plan, "wbrt")
    if not inside:
        return []
    verb = "falls" if len(inside) == 1 else "fall"
    return [
        Hit(
            f"IT methotrexate on {dates([e.date for e in inside])} {verb} inside the WBRT course "
            f"{span(wbrt)}; the guideline advises against combining IT methotrexate with WBRT",
            N_(
                "Some treatment days fall during your brain radiotherapy. Your care team knows and has "
                "planned for it."
            ),
            uids(inside),
        )
    ]
