"""One vocabulary: how lmsched names events, routes, radiotherapy sites and weekdays in every
output, so the terminal, the calendars, the PDFs, the agenda and the FHIR bundle say the same thing.

Each route has one entry with every wording an output needs (a table cell, a calendar title, a
patient's description, the staff sheet, FHIR); a route lmsched does not know is shown as written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from .i18n import ENGLISH, N_, Language

if TYPE_CHECKING:
    from .plan import Event

__all__ = [
    "EDITED_PATIENT",
    "EDITED_STAFF",
    "SITE_NAMES",
    "WEEKDAY",
    "RouteWords",
    "cycle_text",
    "dose_text",
    "event_label",
    "event_name",
    "event_title",
    "route_words",
    "site_name",
    "time_of_day",
]

# What every output says about a hand-edited plan accepted as edited (plan.edited).
EDITED_PATIENT = N_(
    "This calendar was changed by hand after it was made. Check every date with your care team."
)
EDITED_STAFF = "EDITED by hand after lmsched wrote it: not computed or checked by lmsched."

WEEKDAY = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
SITE_NAMES = {"wbrt": N_("whole brain"), "focal": N_("focal"), "csi": N_("craniospinal")}


@dataclass(frozen=True)
class RouteWords:
    short: str  # a table cell: staff sheet, terminal, agenda
    title: str  # a calendar event's title
    long: str  # a calendar event's description
    staff: str  # the staff sheet's heading
    clinical: str  # FHIR Dosage.route text
    dosage: str  # FHIR Dosage.text, after the dose


_ROUTES = {
    "ommaya": RouteWords(
        short="Ommaya",
        title=N_("Ommaya"),
        long=N_("Ommaya reservoir (intraventricular)"),
        staff="Ommaya (intraventricular)",
        clinical="Intraventricular (Ommaya reservoir)",
        dosage="intraventricular via Ommaya",
    ),
    "lumbar": RouteWords(
        short="lumbar",
        title=N_("lumbar puncture"),
        long=N_("lumbar puncture (intrathecal)"),
        staff="lumbar puncture (intrathecal)",
        clinical="Intrathecal (lumbar puncture)",
        dosage="intrathecal via lumbar puncture",
    ),
    "iv": RouteWords(
        short="IV",
        title=N_("infusion"),
        long=N_("intravenous infusion (a drip into a vein)"),
        staff="intravenous (IV) infusion",
        clinical="Intravenous",
        dosage="by intravenous infusion",
    ),
    "oral": RouteWords(
        short="oral", title=N_("oral"), long=N_("by mouth"), staff="oral", clinical="oral", dosage="by mouth"
    ),
    "external beam": RouteWords(
        short="RT",
        title=N_("external beam"),
        long=N_("external beam radiotherapy"),
        staff="external beam",
        clinical="external beam",
        dosage="external beam",
    ),
}

Wording = Literal["short", "title", "long", "staff", "clinical", "dosage"]


def route_words(route: str | None, wording: Wording = "short", lang: Language = ENGLISH) -> str:
    """The route in the wording an output needs; an unknown route as written, none as ''. `lang`
    translates the patient wordings (title, long)."""
    words = _ROUTES.get(route or "")
    text: str = getattr(words, wording) if words is not None else route or ""
    return lang.gettext(text) if words is not None and wording in ("title", "long") else text


def site_name(event: Event, lang: Language = ENGLISH) -> str:
    """'whole brain', 'focal', 'craniospinal' for an RT fraction (its phase is the site)."""
    name = SITE_NAMES.get(event.phase)
    return lang.gettext(name) if name is not None else event.phase


def dose_text(event: Event) -> str:
    if event.dose_mg is not None:
        return f"{event.dose_mg:g} mg"
    if event.dose_gy is not None:
        return f"{event.dose_gy:g} Gy"
    return ""


def time_of_day(event: Event) -> str:
    """A home event's time of day as its phase names it (`cycle-3-morning`): 'morning',
    'evening', 'daily' (once a day) or 'time3' (three or more times a day)."""
    return event.phase.rsplit("-", 1)[-1]


def _when(event: Event) -> str:
    when = time_of_day(event)
    if event.kind == "tablet":
        return {"morning": "AM", "evening": "PM", "daily": "daily"}.get(when, when)
    return "AM" if event.phase.endswith("morning") else "PM"


def cycle_text(event: Event) -> str:
    """'C3 D1' for a systemic event ('' for others)."""
    if event.cycle is None:
        return ""
    return f"C{event.cycle} D{event.cycle_day}" if event.cycle_day is not None else f"C{event.cycle}"


def event_label(event: Event) -> str:
    """Short, for a table row: 'IT methotrexate 3/18', 'RT 3/10 whole brain', 'Memantine AM x7d',
    'Blood count'."""
    if event.kind == "check":
        return event.check or event.course
    if event.kind == "it-dose":
        return f"IT {event.drug} {event.number}/{event.of}"
    if event.kind == "rt-fraction":
        return f"RT {event.number}/{event.of} {site_name(event)}"
    if event.kind == "infusion":
        return f"{(event.drug or '').capitalize()} IV {cycle_text(event)}"
    if event.kind == "tablet":
        days = f" x{event.repeat_days}d" if event.repeat_days > 1 else ""
        return f"{(event.drug or '').capitalize()} {_when(event)} {cycle_text(event)}{days}"
    drug = (event.drug or "").capitalize()
    return (
        f"{drug} {_when(event)} x{event.repeat_days}d" if event.repeat_days > 1 else f"{drug} {_when(event)}"
    )


def event_name(event: Event) -> str:
    """With its dose, for a change log or a diff: 'IT methotrexate 12 mg, dose 5 of 16 (weekly)',
    'RT whole brain 3 Gy, fraction 3 of 10', 'memantine 5 mg AM, step 1', 'Blood count before IT
    dose 5 of 18'."""
    if event.kind == "check":
        return f"{event.check or event.course} {event.guard_label or ''}".strip()
    if event.kind == "it-dose":
        return f"IT {event.drug} {event.dose_mg:g} mg, dose {event.number} of {event.of} ({event.phase})"
    if event.kind == "rt-fraction":
        return f"RT {site_name(event)} {event.dose_gy:g} Gy, fraction {event.number} of {event.of}"
    if event.kind == "infusion":
        return f"{event.drug} {event.dose_mg:g} mg IV, cycle {event.cycle} day {event.cycle_day}"
    if event.kind == "tablet":
        return (
            f"{event.drug} {event.dose_mg:g} mg {time_of_day(event)}, cycle {event.cycle} "
            f"(daily for {event.repeat_days} days)"
        )
    step = event.phase.rsplit("-", 1)[0].replace("-", " ")
    return f"{event.drug} {event.dose_mg:g} mg {_when(event)}, {step}"


def event_title(event: Event, lang: Language = ENGLISH) -> str:
    """In plain words, for a calendar: 'Intrathecal methotrexate 12 mg (Ommaya)',
    'Radiotherapy 3 of 10 (whole brain)', 'Memantine 5 mg (morning)', 'Trastuzumab deruxtecan
    infusion 389 mg (cycle 3)', 'Capecitabine 1800 mg (evening)', 'Blood test before your
    treatment'. In the patient's language with `lang` (a template's patient text is stored in
    English and translated here; drug names stay as the pharmacy label prints them)."""
    _ = lang.gettext
    if event.kind == "check":
        if event.patient_text:
            return _(event.patient_text)
        return event.check or _("Test")
    drug = (event.drug or "").capitalize()
    if event.kind == "it-dose":
        return _("Intrathecal {drug} {mg} mg ({route})").format(
            drug=(event.drug or "").replace("-", " "),
            mg=f"{event.dose_mg:g}",
            route=route_words(event.route, "title", lang),
        )
    if event.kind == "rt-fraction":
        return _("Radiotherapy {number} of {of} ({site})").format(
            number=event.number, of=event.of, site=site_name(event, lang)
        )
    if event.kind == "infusion":
        return _("{drug} infusion {mg} mg (cycle {cycle})").format(
            drug=drug, mg=f"{event.dose_mg:g}", cycle=event.cycle
        )
    if event.kind == "tablet":
        when = time_of_day(event)
        words = {"daily": _("once a day"), "morning": _("morning"), "evening": _("evening")}
        return _("{drug} {mg} mg ({when})").format(
            drug=drug, mg=f"{event.dose_mg:g}", when=words.get(when, when)
        )
    when = _("morning") if event.phase.endswith("morning") else _("evening")
    return _("{drug} {mg} mg ({when})").format(drug=drug, mg=f"{event.dose_mg:g}", when=when)
