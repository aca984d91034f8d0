"""The plan as RFC 5545 iCalendar, built with the `icalendar` library.

One VEVENT per IT dose, RT fraction and systemic infusion; each memantine step and each
systemic tablet event (one cycle's doses at one time of day) is one VEVENT that repeats daily
(RRULE FREQ=DAILY;COUNT=n). An infusion is a clinic visit like an IT session (location, reminders)
that lasts the patient's chair time, as the batch agenda books it: from the clinic's preparation
minutes before the infusion's time to its observation minutes after the infusion ends
(`visit_start`, `chair_minutes`). Tablets are home events like memantine: no location,
TRANSP TRANSPARENT, a reminder at the time of each dose on patient calendars.

Checks (kind "check": a blood count, an MRI, an echocardiogram, CSF cytology) are appointments:
the patient's words as the title (`event_title`: "Blood test before your treatment"), the staff
name and what it guards as the staff title (`event_name`: "Blood count before IT dose 5 of 18"),
the staff detail, the guarded events and the interval's evidence ("local convention") in the
staff description only. A clinic check has the clinic's location; an external one (imaging,
echocardiogram) says it is external and to confirm the place with the care team (lmsched knows
no address for it), and always has a reminder the day before at 18:00, even when the alarm specs
give only reminders of the hour, so there is time to confirm the place and travel. A check taken
at another event (CSF cytology, drawn at the IT session: duration 0) has no time of its own: it
spans the session it is taken at (DTEND is never DTSTART: RFC 5545 3.8.2.2 wants it later), is
TRANSP TRANSPARENT (the session holds the time) and only has the day-before reminders (the
session's own reminders of the hour are enough).

Times carry their TZID and the calendar a VTIMEZONE for every zone
used, so 09:00 stays 09:00 local across daylight-saving changes. UIDs come from the plan (derived
from patient, template and event key), DTSTAMP from the plan's `created`: the same plan always
gives the same bytes, and a revised plan's events replace the old ones in a calendar client.

Everything a patient sees is keyed with the site key (`scheduler.sitekey`): the plan's UIDs and the
series are digests of the record number, so a patient calendar carries only HMAC-SHA256 digests of
them under the key (trying every record number against it finds nothing), and its content digest
is keyed too. The plan keeps its own UIDs; the patient-facing ones are derived when rendering, so
a saved plan exported again with the same key gives the same bytes. A pure exporter cannot read a
key file, so a patient-audience render without a key is refused (InputError), never made unkeyed.
Staff calendars (which name the patient anyway) keep the plan's UIDs with "-staff".

Moves: a patient calendar never shows the reason a revision gives (`reschedule --reason`, which
may name a record number or a diagnosis): it says the visit was moved by the care team
(`move_note`). A move the clinic calendar made when the plan was made (a closure, a public
holiday, the minimum gap between doses) still shows its reason, which comes from the clinic's
closures and the holiday calendar, not from a revision.

Two audiences. `patient` (the default) carries no record number, no name and no staff-only
detail (age-band limits, staff wording of findings, sources, overrides); a lost phone or a shared
family calendar must not disclose who is being treated. `staff` adds the patient id and name,
dose details and every finding. The two audiences use different UIDs, so importing both into one
calendar never lets one silently replace the other.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from .._version import __version__
from ..errors import InputError
from ..i18n import ENGLISH, N_, Language
from ..labels import (
    EDITED_PATIENT,
    EDITED_STAFF,
    cycle_text,
    event_name,
    event_title,
    route_words,
    site_name,
    time_of_day,
)
from ..models import AUDIENCES, Audience
from ..monitoring import FLOW_PENDING_NOTE, until_progression, waits_for_flow
from ..plan import Event, Finding, Plan, identity
from ..zones import session_end

if TYPE_CHECKING:
    from icalendar import Calendar
    from icalendar import Event as VEvent

__all__ = [
    "DEFAULT_ALARMS",
    "EXTERNAL_ALARM",
    "EXTERNAL_PLACE",
    "Alarm",
    "calendar_frame",
    "calendar_minutes",
    "chair_minutes",
    "check_location",
    "event_calendars",
    "ics_uid",
    "legacy_series_id",
    "listed_events",
    "move_note",
    "parse_alarm",
    "patient_note",
    "render",
    "render_with_vevents",
    "series_id",
    "taken_at",
    "vevent_texts",
    "visit_start",
]

PRODID = "-//lmsched//lmsched " + __version__ + "//EN"
VERIFY = N_("A scheduling aid: verify against the signed order.")
_CATEGORIES = {
    "it-dose": ["Chemotherapy", "Intrathecal"],
    "rt-fraction": ["Radiotherapy"],
    "medication": ["Medication"],
    "infusion": ["Systemic therapy", "Infusion"],
    "tablet": ["Medication", "Systemic therapy"],
    "check": ["Test"],
}
HOME_KINDS = ("medication", "tablet")  # taken at home: no location, no visit reminders, transparent
_ALARM = re.compile(r"^(?:(?P<days>\d{1,2})d@(?P<at>\d{2}:\d{2})|(?P<n>\d{1,4})(?P<unit>[mhd]))$")
ALARM_EXAMPLES = ["1d@18:00 (the day before at 18:00)", "2h", "30m", "0m (at the start)"]


@dataclass(frozen=True)
class Alarm:
    """A reminder for clinic visits: `days` before at local `at`, or `before` the start."""

    spec: str
    days: int | None = None
    at: dt.time | None = None
    before: dt.timedelta | None = None


def parse_alarm(spec: str) -> Alarm:
    """'1d@18:00' (the day before at 18:00 local) or '2h' / '90m' / '1d' before the start."""
    text = spec.strip().lower()
    found = _ALARM.match(text)
    if found is None:
        raise InputError(f"'{spec}' is not an alarm", field="alarm", choices=ALARM_EXAMPLES)
    if found["days"] is not None:
        try:
            at = dt.time.fromisoformat(found["at"])
        except ValueError:
            raise InputError(f"'{spec}': {found['at']} is not a time", field="alarm") from None
        days = int(found["days"])
        if days < 1:
            raise InputError(f"'{spec}': use 1d@HH:MM or more days before", field="alarm")
        return Alarm(text, days=days, at=at)
    unit = {"m": "minutes", "h": "hours", "d": "days"}[found["unit"]]
    before = dt.timedelta(**{unit: int(found["n"])})
    if before > dt.timedelta(days=14):
        raise InputError(f"'{spec}' is more than 14 days before", field="alarm")
    return Alarm(text, before=before)


DEFAULT_ALARMS: tuple[Alarm, ...] = (parse_alarm("1d@18:00"), parse_alarm("2h"))
# An external check (imaging, an echocardiogram) is somewhere lmsched does not know: the patient
# is reminded the day before, to confirm the place and plan the trip, whatever the alarm specs.
EXTERNAL_ALARM = parse_alarm("1d@18:00")
EXTERNAL_PLACE = N_("External appointment: confirm the place with your care team")


def _patient_key(audience: Audience, key: bytes | None) -> bytes | None:
    """The key for this audience: a patient calendar needs one (an unkeyed one would give the
    record number away); a staff calendar is not keyed."""
    if audience != "patient":
        return None
    if not key:
        raise InputError(
            "a patient calendar needs the site key (its UIDs would give the record number away)",
            field="site_key",
            hint="give the site key (LMSCHED_SITE_KEY_FILE, the clinic file's site_key, or {site_key})",
        )
    return key


def _keyed(key: bytes, purpose: str, text: str) -> str:
    return hmac.new(key, f"{purpose}\x1f{text}".encode(), hashlib.sha256).hexdigest()[:32]


def series_id(plan: Plan, audience: Audience, key: bytes | None = None) -> str:
    """Names this patient's lmsched events on a shared calendar, without the record number: the
    same for every revision of the patient's plan, so a publish finds the events it put there.
    Patient calendars: keyed with the site `key` (required); staff calendars: unkeyed."""
    text = f"{identity(plan.inputs)}\x1f{audience}"
    keyed = _patient_key(audience, key)
    if keyed is not None:
        return _keyed(keyed, "series", text)
    return hashlib.sha256(f"series\x1f{text}".encode()).hexdigest()[:32]


def legacy_series_id(plan: Plan, audience: Audience) -> str:
    """The unkeyed series lmsched wrote before patient calendars were keyed: never written now,
    only recognised (a publish may remove events it put on a server under that series)."""
    return hashlib.sha256(f"series\x1f{identity(plan.inputs)}\x1f{audience}".encode()).hexdigest()[:32]


def ics_uid(event: Event, audience: Audience, key: bytes | None = None) -> str:
    """The event's UID in a calendar for this audience: for patients, a digest of the plan's UID
    under the site `key` (required); for staff, the plan's UID marked "-staff" (so the two never
    replace each other in one calendar)."""
    keyed = _patient_key(audience, key)
    if keyed is not None:
        return f"{_keyed(keyed, 'uid', event.uid)}@lmsched"
    return event.uid.replace("@", "-staff@", 1)


def move_note(event: Event, audience: Audience, lang: Language = ENGLISH) -> str | None:
    """Why the event is not on its planned day, in the words this audience may see.

    Staff: the recorded reason. Patients: a move the clinic calendar made when the plan was made
    (the event was never revised: SEQUENCE 0) keeps its reason, which names a closure, a public
    holiday or the minimum gap between doses; a move made by a revision only says the care team
    moved it, never the revision's reason (free text that may hold a record number or a
    diagnosis)."""
    if event.shifted_from is None:
        return None
    if audience == "staff":
        return f"Moved from {event.shifted_from}: {event.shift_reason or 'clinic closed'}."
    _ = lang.gettext
    day = _day(event.shifted_from, lang)
    if event.sequence == 0:
        return _("Moved from {day}: {reason}.").format(day=day, reason=_shift_words(event.shift_reason, lang))
    if event.kind in HOME_KINDS:
        return _("This tablet step was moved by your care team from {day}.").format(day=day)
    return _("This visit was moved by your care team from {day}.").format(day=day)


def _shift_words(reason: str | None, lang: Language) -> str:
    """Why the clinic calendar moved an event, for a patient: the recorded reason in English (it
    names the closure or holiday, in the clinic's words); in another language the kind of reason
    in a fixed sentence (the recorded one is English free text no catalog holds)."""
    if lang.code == "en" and not lang.messages:
        return reason or "clinic closed"
    words = []
    if reason and "kept" in reason:
        words.append(lang.gettext("to keep enough days after the previous dose"))
    if not reason or "closed" in reason or not words:
        words.append(lang.gettext("the clinic is closed that day"))
    return "; ".join(words)


_STEP_NOTE = re.compile(
    r"^(?:week (?P<week>\d+)|weeks (?P<first>\d+)-(?P<last>\d+)): daily (?P<when>AM|PM) to "
    r"(?P<to>\d{4}-\d{2}-\d{2})$"
)
_STOPPED = re.compile(r"^stopped after (?P<days>\d+) days(?P<held>: held)?$")


def _translated_note(note: str, lang: Language) -> str:
    """A step's or a stop's note in the patient's language: the notes lmsched writes have a few
    fixed shapes ("week 1: daily AM to 2026-12-06", "stopped after 20 days"); any other is
    looked up as it is."""
    if lang.code == "en" and not lang.messages:
        return note
    _ = lang.gettext
    step = _STEP_NOTE.match(note)
    if step is not None:
        when = _("in the morning") if step["when"] == "AM" else _("in the evening")
        last = _day(dt.date.fromisoformat(step["to"]), lang)
        if step["week"]:
            return _("week {week}: once a day {when}, until {last}").format(
                week=step["week"], when=when, last=last
            )
        return _("weeks {first} to {last_week}: once a day {when}, until {last}").format(
            first=step["first"], last_week=step["last"], when=when, last=last
        )
    stopped = _STOPPED.match(note)
    if stopped is not None:
        days = int(stopped["days"])
        if stopped["held"]:
            held = lang.ngettext("stopped after {n} day (held)", "stopped after {n} days (held)", days)
            return held.format(n=days)
        return lang.ngettext("stopped after {n} day", "stopped after {n} days", days).format(n=days)
    return _(note)


def _day(day: dt.date, lang: Language) -> str:
    """A date in a patient's text: ISO in English (as the calendars always wrote it), else the
    language's long date ("lunes, 14 de diciembre de 2026")."""
    return day.isoformat() if lang.code == "en" else lang.long_date(day)


# Template words a patient's description shows (phase names, formulations), marked here for the
# catalogs: they are stored in the plan in English and translated where shown.
PATIENT_WORDS = (
    N_("twice-weekly"),
    N_("induction"),
    N_("consolidation"),
    N_("maintenance"),
    N_("preservative-free"),
    N_("preserved"),
    N_("tablets"),
    N_("tablet"),
    N_("capsules"),
    N_("liposomal"),
    N_("clinic closed"),
)

_REVISION_NOTE = re.compile(r"(?:\s+in)?\s*\brevision \d+:")


def patient_note(note: str, lang: Language = ENGLISH) -> str:
    """A tablet event's note as a patient may read it. A revision's notes end with the revision's
    note ("stopped after 20 days in revision 1: <reason>"), and the reason is free text for staff:
    the patient reads who changed it, not why ("stopped after 20 days by your care team")."""
    found = _REVISION_NOTE.search(note)
    if found is None:
        return _translated_note(note, lang)
    before = note[: found.start()].rstrip(" ;,:")
    if not before:
        return lang.gettext("changed by your care team")
    return lang.gettext("{change} by your care team").format(change=_translated_note(before, lang))


def chair_minutes(plan: Plan, event: Event) -> int:
    """How long the event keeps the patient: for an infusion, the chair time (the clinic's
    preparation minutes, the infusion's minutes, the observation minutes); for every other event
    its own minutes."""
    if event.kind != "infusion":
        return event.duration_min
    clinic = plan.inputs.clinic
    return clinic.prep_min + event.duration_min + clinic.observation_min


def taken_at(plan: Plan, event: Event) -> Event | None:
    """The event a check with no time of its own (duration 0: CSF cytology drawn at the IT
    session) is taken at: the event it guards at the same day and time; None for any other."""
    if event.kind != "check" or event.duration_min or not event.guards:
        return None
    guarded = set(event.guards)
    return next(
        (
            e
            for e in plan.events
            if e.uid in guarded and (e.date, e.time) == (event.date, event.time) and e.kind != "check"
        ),
        None,
    )


def calendar_minutes(plan: Plan, event: Event) -> int:
    """How long the event lasts on a calendar: its chair minutes (`chair_minutes`), or for a
    check taken at another event (duration 0) that event's minutes, so that the appointment
    spans the session it is taken at (a calendar event must end after it starts); a check whose
    session is not in the plan lasts 15 minutes."""
    if event.kind == "check" and not event.duration_min:
        session = taken_at(plan, event)
        return chair_minutes(plan, session) if session is not None and session.duration_min else 15
    return chair_minutes(plan, event)


def check_location(plan: Plan, event: Event, lang: Language = ENGLISH) -> str | None:
    """Where a check is: the clinic's location (or name) for a clinic check, the words for an
    external one (lmsched knows no address for it: the care team says where)."""
    if event.where == "external":
        return lang.gettext(EXTERNAL_PLACE)
    return plan.inputs.clinic.location or plan.inputs.clinic.name or None


def visit_start(plan: Plan, event: Event) -> dt.datetime:
    """When the patient is due: the event's local time, or for an infusion the clinic's
    preparation minutes before the infusion starts (the event's time), as the agenda books the
    chair (scheduler/agenda.py). Taken in elapsed time, so a clock change cannot shorten it."""
    start = _local(event)
    prep = plan.inputs.clinic.prep_min if event.kind == "infusion" else 0
    if not prep:
        return start
    return (start.astimezone(dt.UTC) - dt.timedelta(minutes=prep)).astimezone(start.tzinfo)


_TEXT_PROPS = frozenset({"summary", "description", "location", "name", "x-wr-calname"})


def _text(value: str) -> Any:
    """A TEXT value (RFC 5545 3.3.11) that lmsched escapes itself: icalendar 7 first reads a
    literal backslash-N in the value as a line break, so "C:\\New building" in a clinic's
    location reached calendars as two lines ("C:" and "ew building")."""
    return _text_type()(value)


@functools.cache
def _text_type() -> type:
    from icalendar import vText

    class Text(vText):
        def to_ical(self) -> bytes:
            plain = str(self).replace("\r\n", "\n").replace("\r", "\n")
            escaped = plain.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            return escaped.replace("\n", "\\n").encode("utf-8")

    return Text


def _clock(moment: dt.datetime) -> str:
    return moment.strftime("%H:%M")


def _minutes_text(minutes: int, lang: Language = ENGLISH) -> str:
    """'90 minutes', '2 hours 30 minutes', '1 hour'."""
    hours, rest = divmod(minutes, 60)
    parts = [lang.ngettext("{n} hour", "{n} hours", hours).format(n=hours)] if hours else []
    if rest or not hours:
        parts.append(lang.ngettext("{n} minute", "{n} minutes", rest).format(n=rest))
    return " ".join(parts)


_SOURCE_IDS = re.compile(r"\s*\((?:S\d+(?:,\s*)?)+\)")
# A tablet event's note that its description's "Take it ..." line already says.
_TABLET_LEAD = re.compile(r"^cycle \d+: daily ")
# Tablet notes that are dose-calculation detail for staff ("dose level -1: ...", "reduced to 75% ...").
_STAFF_TABLET_NOTE = re.compile(r"^(?:dose level |reduced to |loading dose )")
_HELD = re.compile(r"^held (\S+) to (\S+) around radiotherapy\b.*$")


def _plain(note: str, lang: Language = ENGLISH) -> str:
    """A tablet note as a patient reads it: a hold around radiotherapy as what to do, without the
    source ids ('(S21)') a staff reader checks, and a revision's reason left out (`patient_note`)."""
    held = _HELD.match(patient_note(note))
    if held is not None:
        return lang.gettext("no doses from {first} to {last}: a break around radiotherapy").format(
            first=_day(dt.date.fromisoformat(held[1]), lang), last=_day(dt.date.fromisoformat(held[2]), lang)
        )
    return _SOURCE_IDS.sub("", patient_note(note, lang))


def _cycle_length(plan: Plan, event: Event) -> str:
    ref = next((t for t in plan.templates if t.id == event.course), None)
    return f" of a {ref.cycle_days}-day cycle" if ref is not None and ref.cycle_days else ""


def _systemic_lines(plan: Plan, event: Event, audience: Audience, lang: Language = ENGLISH) -> list[str]:
    """An infusion's or a tablet event's description lines before the shared ones: the dose in
    plain words (with the tablets to take), when, and for staff the cycle, basis and calculation."""
    _ = lang.gettext
    drug = event.drug or event.course
    dose = f" {event.dose_mg:g} mg" if event.dose_mg is not None else ""
    lines: list[str] = []
    if event.kind == "infusion":
        lines.append(
            _("Dose: {drug}{dose} by {route}, cycle {cycle}.").format(
                drug=drug, dose=dose, route=route_words(event.route, "long", lang), cycle=event.cycle
            )
        )
        clinic = plan.inputs.clinic
        if clinic.prep_min:
            lines.append(
                _(
                    "Please arrive at {arrive}: {prep} minutes to get ready before the infusion starts "
                    "at {start}."
                ).format(arrive=_clock(visit_start(plan, event)), prep=clinic.prep_min, start=event.time)
            )
        if clinic.observation_min:
            lines.append(
                _(
                    "The infusion takes about {minutes} minutes, then {observation} minutes of observation "
                    "before you go home."
                ).format(minutes=event.duration_min, observation=clinic.observation_min)
            )
        else:
            lines.append(_("The infusion takes about {minutes} minutes.").format(minutes=event.duration_min))
        if clinic.prep_min or clinic.observation_min:
            lines.append(
                _("The whole visit takes about {length}.").format(
                    length=_minutes_text(chair_minutes(plan, event), lang)
                )
            )
    else:
        take = _(", as {tablets} tablets").format(tablets=event.tablets) if event.tablets else ""
        # "time2" (one of three or more daily times): every day at that time
        when = {"morning": _("every morning"), "evening": _("every evening"), "daily": _("once a day")}.get(
            time_of_day(event), _("every day")
        )
        last = event.date + dt.timedelta(days=event.repeat_days - 1)
        days = lang.ngettext("{n} day", "{n} days", event.repeat_days).format(n=event.repeat_days)
        lines.append(
            _("Dose: {drug}{dose} {route}{take}.").format(
                drug=drug, dose=dose, route=route_words(event.route, "long", lang), take=take
            )
        )
        lines.append(
            _("Take it {when} at {time} for {days}: {first} to {last} (cycle {cycle}).").format(
                when=when,
                time=event.time,
                days=days,
                first=_day(event.date, lang),
                last=_day(last, lang),
                cycle=event.cycle,
            )
        )
    if audience == "staff":
        lines.append(f"Cycle: {cycle_text(event)}{_cycle_length(plan, event)}.")
        if event.dose_basis:
            lines.append(f"Dose basis: {event.dose_basis}.")
        if event.dose_calc:
            lines.append(f"Calculation: {event.dose_calc}.")
        if event.kind == "infusion":
            clinic = plan.inputs.clinic
            lines.append(
                f"Chair time: {chair_minutes(plan, event)} min ({clinic.prep_min} preparation + "
                f"{event.duration_min} infusion + {clinic.observation_min} observation)."
            )
    return lines


_CHECK_KINDS = {"lab": "laboratory", "imaging": "imaging", "csf": "CSF", "cardiac": "cardiac"}


def _check_lines(plan: Plan, event: Event, audience: Audience, lang: Language = ENGLISH) -> list[str]:
    """A check's description lines before the shared ones. Patients: what happens and where, in
    plain words (the title is already theirs). Staff: the check and what it guards, the detail
    (the CSF sample volume), the guarded events by name and the interval's evidence."""
    session = taken_at(plan, event)
    external = event.where == "external"
    lines: list[str] = []
    if audience == "patient":
        _ = lang.gettext
        if session is not None:
            lines.append(
                _("This is done during your treatment visit at {time}: no separate visit.").format(
                    time=session.time
                )
            )
        elif event.duration_min:
            lines.append(
                _("This takes about {length}.").format(length=_minutes_text(event.duration_min, lang))
            )
        if external:
            lines.append(
                _(
                    "This test is not at the clinic: your care team tells you where it is. Please confirm "
                    "the place and time with them."
                )
            )
        return lines
    kind = _CHECK_KINDS.get(event.check_kind or "", event.check_kind or "check")
    lines.append(f"Check: {event_name(event)} ({kind}).")
    if event.detail:
        lines.append(f"Detail: {event.detail}.")
    by_uid = {e.uid: e for e in plan.events}
    for uid in event.guards:
        guarded = by_uid.get(uid)
        if guarded is not None:
            status = "" if guarded.status == "confirmed" else f", {guarded.status}"
            lines.append(f"Guards: {event_name(guarded)} on {guarded.date} {guarded.time}{status}.")
    if session is not None:
        lines.append(f"Taken at: {event_name(session)} (no time of its own; this event spans that session).")
    if external:
        lines.append("Where: external (not booked by lmsched): confirm the place and the booking.")
    else:
        where = plan.inputs.clinic.location or plan.inputs.clinic.name or "the clinic"
        length = f", {event.duration_min} min" if event.duration_min else ", at that session"
        lines.append(f"Where: clinic ({where}){length}.")
    interval = next((n for n in event.notes if n.startswith("interval:")), None)
    if event.evidence == "convention":
        lines.append(
            "Interval: local convention (no verified source; the centre sets it in its clinic file, "
            f"[monitoring.{event.course}])."
        )
    elif interval is not None:
        lines.append(f"Interval: {interval.removeprefix('interval:').strip()}.")
    return lines


def _tentative_line(plan: Plan, event: Event, audience: Audience, lang: Language = ENGLISH) -> str:
    """Why an event is tentative: an IT dose that waits for the CSF flow study, a maintenance
    dose (continues until progression), or a check that goes with such doses."""
    causes = [event]  # a check is tentative for the reasons of the tentative events it guards
    if event.kind == "check":
        causes = [e for e in plan.events if e.uid in set(event.guards) and e.status == "tentative"]
    _ = lang.gettext
    reasons = []
    if any(waits_for_flow(e) for e in causes):
        reasons.append(
            FLOW_PENDING_NOTE.removeprefix("tentative ")  # "until a CSF flow study shows normal flow"
            if audience == "staff"
            else _("until a scan shows that the fluid around your brain and spine flows freely")
        )
    if any(until_progression(e) for e in causes) or (not reasons and event.kind != "check"):
        reasons.append(_("maintenance continues until progression"))
    if event.kind != "check":
        return _("Tentative: {reasons}; the team confirms each date.").format(reasons="; ".join(reasons))
    if not reasons:
        return _("Tentative, like the treatment it goes with; the team confirms each date.")
    return _("Tentative, like the treatment it goes with ({reasons}); the team confirms each date.").format(
        reasons="; ".join(reasons)
    )


def _summary(plan: Plan, event: Event, audience: Audience, lang: Language = ENGLISH) -> str:
    text = event_title(event, lang)
    if audience == "staff":
        if event.kind == "check":
            text = event_name(event)
        who = " ".join(p for p in (plan.patient.name, f"({plan.patient.id})" if plan.patient.id else "") if p)
        text = f"{who}: {text}" if who else text
    return lang.gettext("Cancelled: {title}").format(title=text) if event.status == "cancelled" else text


def _description(
    plan: Plan, event: Event, audience: Audience, findings: Sequence[Finding], lang: Language = ENGLISH
) -> str:
    _ = lang.gettext
    lines: list[str] = []
    if lang.notice:  # an unreviewed translation: every event says so, first
        lines.append(lang.unreviewed_notice())
    if plan.edited:
        lines.append(EDITED_STAFF if audience == "staff" else _(EDITED_PATIENT))
    if event.status == "cancelled":
        lines.append(
            _("Cancelled: do not take these doses.")
            if event.kind == "tablet"
            else _("Cancelled: this test will not take place.")
            if event.kind == "check"
            else _("Cancelled: this visit will not take place.")
        )
    if audience == "staff":
        who = ", ".join(p for p in (plan.patient.name, plan.patient.id) if p)
        if who:
            lines.append(f"Patient: {who}")
    if event.kind in ("infusion", "tablet"):
        lines.extend(_systemic_lines(plan, event, audience, lang))
    elif event.kind == "check":
        lines.extend(_check_lines(plan, event, audience, lang))
    elif event.kind == "it-dose":
        lines.append(
            _("Dose: {drug} {mg} mg, dose {number} of {of}.").format(
                drug=event.drug, mg=f"{event.dose_mg:g}", number=event.number, of=event.of
            )
        )
    elif event.kind == "rt-fraction":
        lines.append(
            _("Dose: {gy} Gy, fraction {number} of {of} ({site}).").format(
                gy=f"{event.dose_gy:g}", number=event.number, of=event.of, site=site_name(event, lang)
            )
        )
    else:
        lines.append(
            _("Dose: {drug} {mg} mg, daily for {days} days.").format(
                drug=event.drug, mg=f"{event.dose_mg:g}", days=event.repeat_days
            )
        )
    if event.kind not in ("infusion", "tablet", "check"):  # the dose line says the route in plain words
        lines.append(_("Route: {route}.").format(route=route_words(event.route, "long", lang)))
    if event.formulation and (event.kind != "infusion" or audience == "staff"):  # pharmacy detail
        lines.append(_("Formulation: {formulation}.").format(formulation=_(event.formulation)))
    if event.kind == "it-dose":
        lines.append(_("Phase: {phase}.").format(phase=_(event.phase)))
    elif event.kind == "medication":
        notes = event.notes if audience == "staff" else [patient_note(n, lang) for n in event.notes]
        lines.extend(f"{n[0].upper()}{n[1:]}." for n in notes if n)
    elif event.kind == "tablet":
        notes = [n for n in event.notes if not _TABLET_LEAD.match(n)]
        if audience == "patient":
            notes = [_plain(n, lang) for n in notes if not _STAFF_TABLET_NOTE.match(n)]
        lines.extend(f"{n[0].upper()}{n[1:]}{'' if n.endswith('.') else '.'}" for n in notes if n)
    if event.status == "tentative":
        lines.append(_tentative_line(plan, event, audience, lang))
    moved = move_note(event, audience, lang)
    if moved is not None:
        lines.append(moved)
    if audience == "staff":
        if event.max_mg is not None:
            lines.append(f"Age-band / regimen maximum: {event.max_mg:g} mg ({event.dose_basis}).")
        if event.kind not in HOME_KINDS:  # a check's interval note is its Interval line
            lines.extend(
                f"Note: {n}" for n in event.notes if not (event.kind == "check" and n.startswith("interval:"))
            )
        overrides = {o.rule: o for o in plan.overrides}
        for f in findings:
            line = f"{f.severity.upper()} {f.rule}: {f.message} [{', '.join(f.sources)}]"
            if f.overridden and f.rule in overrides:
                o = overrides[f.rule]
                line += f" Overridden{' by ' + o.by if o.by else ''}: {o.reason}"
            lines.append(line)
    else:
        seen: set[str] = set()
        for f in findings:
            if f.patient_message not in seen:
                seen.add(f.patient_message)
                lines.append(_(f.patient_message))
    lines.append(_(VERIFY))
    return "\n".join(lines)


def _local(event: Event) -> dt.datetime:
    return dt.datetime.combine(event.date, dt.time.fromisoformat(event.time), tzinfo=ZoneInfo(event.tz))


def _alarm_components(
    plan: Plan,
    event: Event,
    summary: str,
    alarms: Sequence[Alarm],
    audience: Audience,
    lang: Language = ENGLISH,
) -> list[object]:
    from icalendar import Alarm as VAlarm

    components: list[object] = []
    if event.status == "cancelled":  # no reminder for what will not happen
        return components
    if event.kind in HOME_KINDS:
        if alarms and audience == "patient":  # a reminder at the time of each daily dose
            valarm = VAlarm()
            valarm.add("action", "DISPLAY")
            take = f" ({event.tablets})" if event.tablets else ""
            reminder = lang.gettext("Take {drug} {mg} mg{tablets}").format(
                drug=event.drug, mg=f"{event.dose_mg:g}", tablets=take
            )
            valarm.add("description", _text(_noticed(reminder, lang)))
            valarm.add("trigger", dt.timedelta(0))
            components.append(valarm)
        return components
    if event.kind == "check":
        alarms = _check_alarms(plan, event, alarms)
    for alarm in alarms:
        valarm = VAlarm()
        valarm.add("action", "DISPLAY")
        if alarm.days is not None and alarm.at is not None:
            day = visit_start(plan, event).date() - dt.timedelta(days=alarm.days)
            moment = dt.datetime.combine(day, alarm.at, tzinfo=ZoneInfo(event.tz)).astimezone(dt.UTC)
            at = _clock(visit_start(plan, event))
            reminder = (
                lang.gettext("Tomorrow at {time}: {title}").format(time=at, title=summary)
                if alarm.days == 1
                else lang.gettext("In {days} days at {time}: {title}").format(
                    days=alarm.days, time=at, title=summary
                )
            )
            valarm.add("description", _text(_noticed(reminder, lang)))
            valarm.add("trigger", moment, parameters={"VALUE": "DATE-TIME"})  # absolute, UTC (3.8.6.3)
        else:
            assert alarm.before is not None
            reminder = lang.gettext("At {time}: {title}").format(
                time=_clock(visit_start(plan, event)), title=summary
            )
            valarm.add("description", _text(_noticed(reminder, lang)))
            valarm.add("trigger", -alarm.before)
        components.append(valarm)
    return components


def _noticed(text: str, lang: Language) -> str:
    """A reminder's text, with the unreviewed-translation notice when one is due."""
    return f"{text} ({lang.unreviewed_notice()})" if lang.notice else text


def _check_alarms(plan: Plan, event: Event, alarms: Sequence[Alarm]) -> Sequence[Alarm]:
    """A check's reminders: the alarm specs, and for an external check a reminder the day before
    when none is that early (none when the specs are empty: no reminders were asked for); a check
    taken at another event only the day-before reminders (that event reminds of the hour)."""
    if not alarms:
        return alarms
    if taken_at(plan, event) is not None:
        return [a for a in alarms if a.days is not None]
    if event.where == "external" and not any(
        a.days is not None or (a.before is not None and a.before >= dt.timedelta(days=1)) for a in alarms
    ):
        return [EXTERNAL_ALARM, *alarms]
    return alarms


def _findings_for(plan: Plan) -> dict[str, list[Finding]]:
    found: dict[str, list[Finding]] = {}
    for f in plan.findings:
        for uid in f.event_uids:
            found.setdefault(uid, []).append(f)
    return found


def _parts(
    plan: Plan,
    event: Event,
    audience: Audience,
    alarms: Sequence[Alarm],
    findings: Sequence[Finding],
    series: str,
    sequence: int,
    key: bytes | None,
    lang: Language = ENGLISH,
) -> tuple[VEvent, list[object], str, str]:
    """The event's VEVENT with every property but its digest (icalendar writes properties in its
    canonical order, so when it is added does not matter), its VALARMs (not added), and its two
    digests: with no alarms, and with `alarms`."""
    from icalendar import Event as VEvent

    start = visit_start(plan, event)
    summary = _summary(plan, event, audience, lang)
    props: list[tuple[str, Any]] = [
        ("uid", ics_uid(event, audience, key)),
        ("summary", summary),
        ("dtstart", start),
        # elapsed minutes, across a clock change; an infusion: the whole chair time
        ("dtend", session_end(start, calendar_minutes(plan, event))),
    ]
    if event.kind in HOME_KINDS and event.repeat_days > 1:
        props.append(("rrule", {"freq": "daily", "count": event.repeat_days}))
    props.append(("description", _description(plan, event, audience, findings, lang)))
    props.append(("categories", _CATEGORIES[event.kind]))
    location = (
        check_location(plan, event, lang)
        if event.kind == "check"
        else plan.inputs.clinic.location or plan.inputs.clinic.name
    )
    if event.kind not in HOME_KINDS and location:
        props.append(("location", location))
    free = event.kind in HOME_KINDS or taken_at(plan, event) is not None  # the session holds the time
    props += [
        ("status", event.status.upper()),
        ("transp", "TRANSPARENT" if free else "OPAQUE"),
        ("x-lmsched-series", series),
    ]
    vevent = VEvent()
    for name, value in props:
        vevent.add(name, _text(value) if name in _TEXT_PROPS and isinstance(value, str) else value)
    alarm_parts = _alarm_components(plan, event, summary, alarms, audience, lang) if alarms else []
    # The digest covers the content (properties and alarms), not DTSTAMP and SEQUENCE, which
    # change without the event changing. It is taken from the values, not the serialised text,
    # so an event is not serialised twice.
    # The alarms follow from the event, the audience and the alarm specs. A patient calendar's
    # digest is keyed like its UIDs (its content includes the dates, which narrow a search).
    shown = repr(props)
    keyed = _patient_key(audience, key)

    def digest(specs: list[str]) -> str:
        content = f"({shown}, {audience!r}, {specs!r})"  # repr((props, audience, specs))
        if keyed is not None:
            return _keyed(keyed, "digest", content)
        return hashlib.sha256(content.encode()).hexdigest()[:32]

    vevent.add("sequence", sequence)
    vevent.add("dtstamp", plan.created.astimezone(dt.UTC))
    bare = digest([])
    return vevent, alarm_parts, bare, digest([a.spec for a in alarms]) if alarms else bare


def _vevent(
    plan: Plan,
    event: Event,
    audience: Audience,
    alarms: Sequence[Alarm],
    findings: Sequence[Finding],
    series: str,
    sequence: int,
    key: bytes | None,
    lang: Language = ENGLISH,
) -> VEvent:
    """The event's VEVENT with its alarms, as a component (a CalDAV resource's)."""
    vevent, alarm_parts, _bare, digest = _parts(
        plan, event, audience, alarms, findings, series, sequence, key, lang
    )
    vevent.add("x-lmsched-digest", digest)
    for component in alarm_parts:
        vevent.add_component(component)  # type: ignore[arg-type]
    return vevent


_END_VEVENT = b"END:VEVENT\r\n"


@dataclass(frozen=True, slots=True)
class _Text:
    """One VEVENT serialised once by icalendar: `bare` is the event with no alarms (as a calendar
    asking for none has it: clinic.ics), `whole()` the same text with its digest for the alarms
    and the VALARMs after its properties, where icalendar writes subcomponents. Lines are
    independent of each other, so the VALARMs' own text is the text they have inside the VEVENT."""

    bare: bytes
    bare_digest: str
    digest: str
    alarms: bytes

    def whole(self) -> bytes:
        if self.digest == self.bare_digest and not self.alarms:
            return self.bare
        old = f"\r\nX-LMSCHED-DIGEST:{self.bare_digest}\r\n".encode()
        new = f"\r\nX-LMSCHED-DIGEST:{self.digest}\r\n".encode()
        assert self.bare.count(old) == 1 and self.bare.endswith(_END_VEVENT)
        return self.bare.replace(old, new)[: -len(_END_VEVENT)] + self.alarms + _END_VEVENT


def _texts(
    plan: Plan,
    audience: Audience,
    alarms: Sequence[Alarm],
    key: bytes | None,
    lang: Language,
    events: Sequence[Event] | None = None,
) -> list[tuple[Event, _Text]]:
    """Each of `events` (default: all the plan's) as text, in their order."""
    findings = _findings_for(plan)
    series = series_id(plan, audience, key)
    chosen = plan.events if events is None else events
    built = [
        _parts(plan, e, audience, alarms, findings.get(e.uid, []), series, e.sequence, key, lang)
        for e in chosen
    ]
    out = []
    # Serialised after all are built: measured 10% faster than building and serialising each in turn.
    for event, (vevent, alarm_parts, bare, digest) in zip(chosen, built, strict=True):
        vevent.add("x-lmsched-digest", bare)
        valarms = b"".join(c.to_ical() for c in alarm_parts)  # type: ignore[attr-defined]
        out.append((event, _Text(vevent.to_ical(), bare, digest, valarms)))
    return out


def _calendar(plan: Plan, audience: Audience, lang: Language = ENGLISH) -> Calendar:
    from icalendar import Calendar

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    if audience == "staff":
        who = " ".join(p for p in (plan.patient.name, f"({plan.patient.id})" if plan.patient.id else "") if p)
        name = f"lmsched: {who}" if who else "lmsched treatment plan"
    else:
        name = lang.gettext("Treatment calendar")
    cal.add("name", _text(name))
    cal.add("x-wr-calname", _text(name))
    cal.add("x-wr-timezone", plan.inputs.clinic.tz)
    if audience == "staff":
        cal.add("x-lmsched-plan", f"{plan.fingerprint} revision {plan.revision}")
    return cal


def _add_timezones(cal: Calendar, events: Sequence[Event]) -> None:
    """A VTIMEZONE for each zone the events use, first in the calendar: yearly STANDARD and
    DAYLIGHT rules from the zone's TZif data plus dated changes the rule does not describe, for
    the years from the first event to the last day of the last repeat (export/vtimezone.py)."""
    from .vtimezone import vtimezone

    zones, first, last = _zone_span(events)
    for position, tz in enumerate(zones):
        cal.subcomponents.insert(position, vtimezone(tz, dt.date(first, 1, 1), dt.date(last, 1, 1)))


def _zone_span(events: Sequence[Event]) -> tuple[list[str], int, int]:
    """The zones the events use (UTC needs no VTIMEZONE), sorted, and the years from the first
    event to the last day of the last repeat: what a VTIMEZONE depends on (export/vtimezone.py)."""
    if not events:
        return [], 0, 0
    first = min(e.date for e in events)
    last = max(e.date + dt.timedelta(days=e.repeat_days) for e in events)
    return sorted({e.tz for e in events} - {"UTC"}), first.year, last.year


def event_calendars(
    plan: Plan,
    audience: Audience = "patient",
    alarms: Sequence[Alarm] = DEFAULT_ALARMS,
    key: bytes | None = None,
    lang: Language = ENGLISH,
) -> list[tuple[str, str, Calendar]]:
    """One (uid, digest, VCALENDAR) per event, for CalDAV (one resource per UID). The digest
    covers the event's content but not DTSTAMP or SEQUENCE. `key`: the site key (required for
    the patient audience). `lang`: the patient's language (staff calendars are English)."""
    lang = lang if audience == "patient" else ENGLISH
    findings = _findings_for(plan)
    series = series_id(plan, audience, key)
    out = []
    for event in plan.events:
        uid = ics_uid(event, audience, key)
        cal = _calendar(plan, audience, lang)
        vevent = _vevent(
            plan, event, audience, alarms, findings.get(event.uid, []), series, event.sequence, key, lang
        )
        cal.add_component(vevent)
        _add_timezones(cal, [event])
        out.append((uid, str(vevent["x-lmsched-digest"]), cal))
    return out


def render(
    plan: Plan,
    audience: Audience = "patient",
    alarms: Sequence[Alarm] = DEFAULT_ALARMS,
    key: bytes | None = None,
    lang: Language = ENGLISH,
) -> bytes:
    """The whole plan as one iCalendar file. `key`: the site key (required for the patient
    audience: without it the render is refused, never made unkeyed). `lang`: the patient's
    language (a staff calendar stays English); UIDs never depend on it, so a patient who changes
    language gets the same events updated, not duplicated."""
    return render_with_vevents(plan, audience, alarms, key, lang, kinds=())[0]


def render_with_vevents(
    plan: Plan,
    audience: Audience = "staff",
    alarms: Sequence[Alarm] = DEFAULT_ALARMS,
    key: bytes | None = None,
    lang: Language = ENGLISH,
    kinds: Sequence[str] = (),
) -> tuple[bytes, list[bytes]]:
    """`render(plan, audience, alarms, key, lang)`, and from the same VEVENTs, each built and
    serialised once, `vevent_texts(plan, audience, (), kinds, key)`: the events of `kinds` with no
    alarms (a batch's clinic.ics, beside each patient's own calendar).

    The calendar is icalendar's text of a VCALENDAR holding the VTIMEZONEs and then the VEVENTs,
    joined here from the text of each (tests/export/test_ics_once.py compares it with the
    calendar icalendar writes whole)."""
    if audience not in AUDIENCES:
        raise InputError(f"'{audience}' is not an audience", field="audience", choices=AUDIENCES)
    lang = lang if audience == "patient" else ENGLISH
    texts = _texts(plan, audience, alarms, key, lang)
    head = _calendar(plan, audience, lang).to_ical()
    assert head.endswith(_END_VCALENDAR)
    parts = [head[: -len(_END_VCALENDAR)], *_timezone_texts(plan.events)]
    parts += [text.whole() for _event, text in texts]
    parts.append(_END_VCALENDAR)
    return b"".join(parts), [text.bare for event, text in texts if _listed(event, kinds)]


def vevent_texts(
    plan: Plan,
    audience: Audience = "staff",
    alarms: Sequence[Alarm] = (),
    kinds: Sequence[str] = ("it-dose", "rt-fraction", "medication", "infusion", "tablet"),
    key: bytes | None = None,
) -> list[bytes]:
    """Each VEVENT of `plan` (of the given kinds, not cancelled) as iCalendar text, to be put into a
    calendar of many patients (the batch's clinic.ics) without holding them all in memory. `key`:
    the site key (required for the patient audience)."""
    chosen = listed_events(plan, kinds)
    return [text.whole() for _event, text in _texts(plan, audience, alarms, key, ENGLISH, chosen)]


def listed_events(plan: Plan, kinds: Sequence[str]) -> list[Event]:
    """The plan's events of `kinds` that will happen (not cancelled), in its order: the events
    `vevent_texts` and the second answer of `render_with_vevents` give a VEVENT each."""
    return [e for e in plan.events if _listed(e, kinds)]


def _listed(event: Event, kinds: Sequence[str]) -> bool:
    return event.kind in kinds and event.status != "cancelled"


_END_VCALENDAR = b"END:VCALENDAR\r\n"


def _timezone_texts(events: Sequence[Event]) -> list[bytes]:
    """The text of a VTIMEZONE for each zone the events use, in the order `_add_timezones` adds them."""
    zones, first, last = _zone_span(events)
    return [_timezone_text(tz, first, last) for tz in zones]


@functools.lru_cache(maxsize=64)
def _timezone_text(tz: str, first_year: int, last_year: int) -> bytes:
    """A zone's VTIMEZONE text for the years of a calendar, built once per process (a VTIMEZONE
    depends on the zone and the years only: export/vtimezone.py)."""
    from .vtimezone import vtimezone

    return bytes(vtimezone(tz, dt.date(first_year, 1, 1), dt.date(last_year, 1, 1)).to_ical())


def calendar_frame(name: str, tz: str, first: dt.date, last: dt.date) -> tuple[bytes, bytes]:
    """The text before and after the VEVENTs of a calendar called `name`: its properties and the
    VTIMEZONE of `tz` covering `first` to `last` (RFC 5545 3.6.5)."""
    from icalendar import Calendar

    from .vtimezone import vtimezone

    cal = Calendar()
    for prop, value in (
        ("prodid", PRODID),
        ("version", "2.0"),
        ("calscale", "GREGORIAN"),
        ("method", "PUBLISH"),
        ("name", name),
        ("x-wr-calname", name),
        ("x-wr-timezone", tz),
    ):
        cal.add(prop, _text(value) if prop in _TEXT_PROPS else value)
    if tz != "UTC":
        cal.add_component(vtimezone(tz, first, last))
    text = cal.to_ical()
    end = b"END:VCALENDAR\r\n"
    assert text.endswith(end)
    return text[: -len(end)], end
