"""The plan document: dated events, findings and the inputs they came from, its fingerprint and
its JSON. The events are built by `schedule.build_plan`; the plan loads back into the same model
and carries a fingerprint of its content."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any, Literal

from pydantic import Field

from ._version import __version__
from .models import AgeField, Clock, Day, Frozen, Line, PlanRequest, SourceId, Zone

__all__ = [
    "SCHEMA_VERSION",
    "Change",
    "Event",
    "Finding",
    "Move",
    "Override",
    "Patient",
    "Plan",
    "PolicyRef",
    "TemplateRef",
    "digest",
    "fingerprint",
    "identity",
    "plan_from_json",
    "plan_to_json",
]

SCHEMA_VERSION = 1


def _none(value: object) -> bool:
    return value is None


class Event(Frozen):
    # Checked on reading a plan edited by hand (--accept-edited), so that an empty UID or a zone
    # that is not one is refused there (exit 2) instead of failing in an exporter.
    uid: str = Field(min_length=1, max_length=255, pattern=r"^[!-~]+$")
    # it-dose: an IT session; rt-fraction; medication: memantine at home; infusion: a systemic IV
    # dose at the clinic; tablet: a systemic oral dose at home (daily for `repeat_days`); check: a
    # test that guards other events (a blood count before an IT dose, an MRI, an LVEF scan).
    kind: Literal["it-dose", "rt-fraction", "medication", "infusion", "tablet", "check"]
    course: str  # template id
    date: Day
    time: Clock
    tz: Zone
    duration_min: int = Field(ge=0, le=1440)
    phase: str
    number: int  # 1-based within its course
    of: int  # events planned in its course
    sequence: int = 0  # revision counter for calendar clients (RFC 5545 SEQUENCE)
    status: Literal["confirmed", "tentative", "cancelled"] = "confirmed"
    drug: str | None = None
    dose_mg: int | float | None = None
    max_mg: int | float | None = None  # IT: the most any order may give that day (age band / regimen)
    dose_basis: str | None = None  # IT: what sets max_mg, e.g. "adult (18+)" or "regimen dose"
    dose_gy: int | float | None = None
    route: str | None = None
    formulation: str | None = None
    repeat_days: int = 1  # medication: taken daily for this many days from `date`
    shifted_from: Day | None = None
    shift_reason: str | None = None
    notes: tuple[str, ...] = ()
    # Systemic therapy (infusion, tablet); left out of the JSON when unset, so that plans written
    # before them keep their fingerprints.
    cycle: int | None = Field(default=None, ge=1, le=60, exclude_if=_none)
    cycle_day: int | None = Field(default=None, ge=1, le=84, exclude_if=_none)
    # the calculation, e.g. "5.4 mg/kg x 72 kg = 389 mg (388.8 rounded to 1 mg)"
    dose_calc: str | None = Field(default=None, max_length=300, exclude_if=_none)
    tablets: str | None = Field(default=None, max_length=120, exclude_if=_none)  # "3 x 500 mg + 2 x 150 mg"
    # how to take a tablet ("take within 30 minutes after a meal"), for the patient's outputs
    instructions: str | None = Field(default=None, max_length=300, exclude_if=_none)
    # Checks (kind "check", issue 17): what is checked, its kind and where, the events it guards
    # (UIDs) and how it relates to them ("for IT dose 5 of 18"), the patient's words for it, a
    # staff detail (the CSF sample volume) and the interval's evidence ("convention": a local
    # convention, set in the clinic file). Left out of the JSON when unset.
    check: str | None = Field(default=None, max_length=80, exclude_if=_none)
    check_kind: Literal["lab", "imaging", "csf", "cardiac"] | None = Field(default=None, exclude_if=_none)
    where: Literal["clinic", "external"] | None = Field(default=None, exclude_if=_none)
    guards: tuple[str, ...] = Field(default=(), exclude_if=lambda v: not v)
    guard_label: str | None = Field(default=None, max_length=120, exclude_if=_none)
    patient_text: str | None = Field(default=None, max_length=120, exclude_if=_none)
    patient_name: str | None = Field(default=None, max_length=60, exclude_if=_none)  # "Blood test"
    detail: str | None = Field(default=None, max_length=300, exclude_if=_none)
    evidence: str | None = Field(default=None, max_length=20, exclude_if=_none)
    chair: bool | None = Field(default=None, exclude_if=_none)  # a check that books a chair


class Finding(Frozen):
    rule: str
    severity: Literal["block", "stop", "warn", "info"]
    message: str  # for staff
    patient_message: str  # plain language, for patient-facing outputs
    sources: tuple[SourceId, ...] = ()
    event_uids: tuple[str, ...] = ()
    overridden: bool = False


class Override(Frozen):
    """A named, reasoned decision to go ahead despite a `stop` finding; printed on every output."""

    rule: str
    reason: Line
    by: Line | None = None
    at: dt.datetime


class PolicyRef(Frozen):
    name: str
    sha256: str


class TemplateRef(Frozen):
    id: str
    title: str
    version: str
    kind: str
    evidence: str
    status: str
    sources: tuple[str, ...]
    # Systemic templates: the cycle length and how late a day 1 may move before a finding says so.
    cycle_days: int | None = Field(default=None, exclude_if=_none)
    window_days: int | None = Field(default=None, exclude_if=_none)
    adult_only: bool | None = Field(default=None, exclude_if=_none)


class Patient(Frozen):
    id: str | None
    name: str | None
    dob: Day | None
    age_at_start: AgeField
    age_basis: Literal["dob", "age"]
    # Names as people write them (issue 18); left out of the JSON while unset.
    given_name: str | None = Field(default=None, exclude_if=_none)
    family_name: str | None = Field(default=None, exclude_if=_none)
    preferred_name: str | None = Field(default=None, exclude_if=_none)

    @property
    def greeting(self) -> str | None:
        """What the patient calendar's cover calls the patient: the preferred name, else the
        given name, else the whole name as written (never "the first word": in "Nguyễn Thị
        Minh" that is the family name)."""
        return self.preferred_name or self.given_name or self.name


class Generator(Frozen):
    name: Literal["lmsched"] = "lmsched"
    version: str = __version__


class Move(Frozen):
    """What one revision did to one event: moved it (old -> new date), cancelled it, or shortened
    a daily tablet step (`repeat_days`)."""

    uid: str
    label: str  # e.g. "IT methotrexate 12 mg, dose 5 of 16"
    old: Day | None  # None: added by this revision (a check that now guards a moved dose)
    new: Day | None  # None: cancelled
    old_mg: int | float | None = None
    new_mg: int | float | None = None
    old_days: int | None = None  # medication: days the step lasted, when that changed
    new_days: int | None = None
    # A status that changed (tentative -> confirmed once CSF flow is recorded); left out of the
    # JSON when it did not, so older plans keep their fingerprints.
    old_status: str | None = Field(default=None, exclude_if=_none)
    new_status: str | None = Field(default=None, exclude_if=_none)

    def describe(self) -> str:
        """'2026-12-08 -> 2026-12-11  IT methotrexate 12 mg, dose 5 of 16' and the like."""
        target = (
            "cancelled" if self.new is None else "same day" if self.new == self.old else self.new.isoformat()
        )
        text = f"{self.old or 'new'} -> {target}  {self.label}"
        if self.old_status != self.new_status and self.new is not None:
            text += f" ({self.old_status} -> {self.new_status})"
        if self.old_mg != self.new_mg:
            text += f" (dose {self.old_mg:g} -> {self.new_mg:g} mg)"
        if self.old_days != self.new_days:
            text += f" (daily for {self.old_days} -> {self.new_days} days)"
        return text


class Change(Frozen):
    """One entry of a plan's change log: which revision, made when and why, from which parent."""

    revision: int
    at: dt.datetime
    action: Literal["delay", "hold", "stop", "dose-level", "csf-flow"]
    summary: str  # e.g. "delay it-mtx-intensive from 2026-12-08 by at least 3 days"
    reason: Line | None = None
    by: Line | None = None
    parent: str  # the fingerprint of the plan this revision was made from
    moves: tuple[Move, ...] = ()
    # dose-level: the systemic course, its new level and the first cycle at it. Later revisions
    # read them back (the inputs keep the starting level of cycle 1); left out of the JSON when
    # unset, so older plans keep their fingerprints.
    course: str | None = Field(default=None, exclude_if=_none)
    dose_level: int | None = Field(default=None, ge=-5, le=0, exclude_if=_none)
    from_cycle: int | None = Field(default=None, ge=1, le=60, exclude_if=_none)


class Plan(Frozen):
    schema_version: int = SCHEMA_VERSION
    generator: Generator = Generator()
    created: dt.datetime
    revision: int = 0
    parent: str | None = None
    patient: Patient
    inputs: PlanRequest
    templates: tuple[TemplateRef, ...]
    notes: tuple[str, ...] = ()
    events: tuple[Event, ...]
    findings: tuple[Finding, ...] = ()
    overrides: tuple[Override, ...] = ()
    policy: PolicyRef | None = None
    changes: tuple[Change, ...] = ()  # the change log, oldest first (reschedule)
    edited: str | None = None  # set when a hand-edited plan was accepted (--accept-edited): what was seen
    fingerprint: str = Field(default="", pattern=r"^(sha256:[0-9a-f]{64})?$")


def digest(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()


def identity(request: PlanRequest) -> str:
    """Whom the UIDs belong to: the patient id, or (without one) a digest of who and when, so two
    anonymous patients never share UIDs and no name or record number appears in a UID."""
    if request.patient_id:
        return f"id:{request.patient_id}"
    return "anon:" + digest(request.full_name, request.dob, request.age, request.start)[:16]


# --- fingerprint and (de)serialisation ------------------------------------------------------------


def _unset(plan: Plan) -> dict[str, Any]:
    """Fields added after schema 1 was first written, left out of the JSON and the fingerprint
    while empty, so plans written before them load and keep their fingerprints."""
    empty: dict[str, Any] = {name: True for name in ("changes", "edited") if not getattr(plan, name)}
    if plan.inputs.clinic.site_key_id is None:
        empty["inputs"] = {"clinic": {"site_key_id": True}}
    return empty


def _canonical(plan: Plan) -> bytes:
    data = plan.model_dump(mode="json", exclude={"created": True, "fingerprint": True, **_unset(plan)})
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def fingerprint(plan: Plan) -> str:
    """A digest of what the plan says (not when it was made), so an edited plan can be told."""
    return "sha256:" + hashlib.sha256(_canonical(plan)).hexdigest()


def plan_to_json(plan: Plan) -> bytes:
    text = json.dumps(plan.model_dump(mode="json", exclude=_unset(plan)), indent=2, ensure_ascii=False)
    return (text + "\n").encode("utf-8")


def plan_from_json(data: bytes | str) -> Plan:
    return Plan.model_validate_json(data)
