"""Rules on the patient's facts: CSF flow, shunts, performance status, parenchymal disease, route."""

from __future__ import annotations

from ..i18n import N_
from ..plan import Plan
from . import Hit, rule
from ._text import active, count, flow_studies, it_events, uids


@rule(
    "csf-flow-obstructed",
    "stop",
    ["S1"],
    "IT therapy with CSF flow obstruction, unless RT to restore flow comes first and flow is re-checked.",
)
def csf_flow_obstructed(plan: Plan) -> list[Hit]:
    it = it_events(plan)
    if plan.inputs.csf_flow != "obstructed" or not it:
        return []
    first_it = it[0].date
    rt = [e for e in active(plan) if e.kind == "rt-fraction"]
    repeat = [e for e in flow_studies(plan) if e.date >= (rt[-1].date if rt else first_it)]
    if rt and rt[-1].date < first_it:
        when = (
            f"the repeat flow study on {repeat[0].date} must show normal flow before the first IT dose"
            if repeat and repeat[0].date < first_it
            else f"the repeat flow study on {repeat[0].date} comes after the first IT dose on {first_it}: "
            "move it before"
            if repeat
            else "re-check flow before the first IT dose (no repeat flow study is planned)"
        )
        return [
            Hit(
                f"CSF flow is obstructed; RT {rt[0].course} ends on {rt[-1].date}, before the first IT "
                f"dose on {first_it}: {when}",
                N_(
                    "A test will check that the fluid around your brain and spine flows freely before your "
                    "first treatment."
                ),
                (it[0].uid,),
                severity="warn",
            )
        ]
    return [
        Hit(
            f"CSF flow is obstructed and IT therapy starts on {first_it}: IT therapy into a blocked CSF "
            "space causes neurotoxicity; restore flow (e.g. RT) and re-check it first"
            + (f" (the repeat flow study after RT is on {repeat[0].date})" if repeat else ""),
            N_(
                "A test showed the fluid around your brain and spine may not flow freely. Your care team "
                "will deal with this before treatment."
            ),
            uids(it),
        )
    ]


@rule(
    "csf-flow-unknown",
    "info",
    ["S24", "S25"],
    "CSF flow not yet known: a flow study before the first IT dose, and the IT doses tentative until "
    "flow is recorded as normal.",
)
def csf_flow_unknown(plan: Plan) -> list[Hit]:
    it = it_events(plan)
    if plan.inputs.csf_flow != "unknown" or not it:
        return []
    studies = [e for e in flow_studies(plan) if e.date <= it[0].date]
    if not studies:
        return [
            Hit(
                f"CSF flow is not recorded and no CSF flow study is planned before the first IT dose on "
                f"{it[0].date} (the clinic file turned the flow study off): record the flow result",
                N_(
                    "A test to check the fluid around your brain and spine flows freely is usually done "
                    "before the first treatment. Your care team will tell you about it."
                ),
                uids(it),
                severity="warn",
            )
        ]
    study = studies[0]
    return [
        Hit(
            f"CSF flow is not recorded: a CSF flow study is planned on {study.date}, before the first "
            f"IT dose on {it[0].date}; the IT doses are tentative until flow is "
            "recorded as normal (a new revision with CSF flow normal)",
            N_(
                "First a scan checks that the fluid around your brain and spine flows freely. Your "
                "treatment dates are confirmed after it."
            ),
            (study.uid, *uids(it)),
        )
    ]


@rule(
    "shunt-without-valve",
    "stop",
    ["S1", "S12"],
    "Intraventricular therapy with a VP shunt that has no on/off valve.",
)
def shunt_without_valve(plan: Plan) -> list[Hit]:
    it = it_events(plan)
    if plan.inputs.shunt != "unvalved" or plan.inputs.route != "ommaya" or not it:
        return []
    return [
        Hit(
            f"intraventricular (Ommaya) therapy from {it[0].date} with a ventriculoperitoneal shunt "
            "that has no on/off valve: the drug drains into the peritoneum (systemic exposure, "
            "peritoneal seeding)",
            N_("Your shunt needs to be reviewed before treatment through the reservoir."),
            uids(it),
        )
    ]


@rule(
    "low-performance-status",
    "warn",
    ["S1"],
    "KPS below 70: best supportive care is the usual priority.",
)
def low_performance_status(plan: Plan) -> list[Hit]:
    kps = plan.inputs.kps
    if kps is None or kps >= 70:
        return []
    return [
        Hit(
            f"KPS {kps} is below 70: best supportive care is the usual priority; confirm that "
            "disease-directed treatment is intended",
            N_("Your care team will talk with you about how this treatment fits your goals."),
        )
    ]


@rule(
    "parenchymal-metastases",
    "warn",
    ["S1"],
    "Brain parenchymal metastases with multimodality therapy: worse prognosis.",
)
def parenchymal_metastases(plan: Plan) -> list[Hit]:
    it = it_events(plan)
    rt = [e for e in active(plan) if e.kind == "rt-fraction"]
    systemic = [e for e in active(plan) if e.kind in ("infusion", "tablet")]
    modalities = [
        m
        for m, used in (
            ("IT therapy", it),
            ("RT", rt),
            ("systemic therapy", systemic),
            ("systemic methotrexate", plan.inputs.systemic_mtx),
        )
        if used
    ]
    if not plan.inputs.parenchymal_mets or len(modalities) < 2:
        return []
    return [
        Hit(
            f"brain parenchymal metastases with {' + '.join(modalities)}: aggressive multimodality "
            "therapy carries a worse prognosis (6-month survival about 25% vs 50%)",
            N_("Your care team will talk with you about the benefits and burdens of combining treatments."),
            uids(it, rt),
        )
    ]


@rule(
    "lumbar-route-continuing",
    "info",
    ["S1"],
    "Lumbar route for continuing therapy: intraventricular (Ommaya) is preferred.",
)
def lumbar_route_continuing(plan: Plan) -> list[Hit]:
    it = it_events(plan)
    if plan.inputs.route != "lumbar" or len(it) < 2:
        return []
    return [
        Hit(
            f"{count(len(it), 'dose')} by lumbar puncture: for continuing therapy the intraventricular "
            "route (Ommaya reservoir) is preferred",
            N_("Your treatment is given by lumbar puncture (a needle in the lower back)."),
            uids(it),
        )
    ]
