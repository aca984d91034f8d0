"""The difference between two revisions of a plan: which events were added, removed, moved,
cancelled, restored or changed in dose, route, formulation, days or length (matched by UID).
Systemic events (infusions, tablets) are compared like the others; a tablet run's changed length
("daily for 21 -> 30") and tablet combination are `changed`, its mg `dose-changed`.

Checks (a blood count, CSF cytology, an MRI) are compared the same way and named by what they
guard ("Blood count before IT dose 5 of 18"). A check follows its events: when a revision makes
it guard another event (the first IT dose of March is now dose 11, not 12), it is named by what it
guards now and what it guarded before is `changed` ("was at IT dose 12 of 18 (the first in March 2027)"); a
cancelled check keeps its old name."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .labels import event_name
from .plan import Event, Plan

__all__ = ["Difference", "diff_plans"]


@dataclass(frozen=True)
class Difference:
    """One event's change from an old plan to a new one."""

    kind: str  # added | removed | moved | cancelled | restored | dose-changed | changed
    day: dt.date  # where it sorts: the new date, or the old one for removed/cancelled
    uid: str
    name: str
    detail: str

    def line(self) -> str:
        return f"{self.day}  {self.kind:<12}  {self.name}  {self.detail}".rstrip()


def diff_plans(old: Plan, new: Plan) -> list[Difference]:
    """Added, removed, moved, cancelled and dose-changed events (by UID), in date order."""
    before = {e.uid: e for e in old.events}
    after = {e.uid: e for e in new.events}
    found: list[Difference] = []
    for uid, e in after.items():
        was = before.get(uid)
        if was is None:
            found.append(Difference("added", e.date, uid, event_name(e), f"on {e.date} {e.time}"))
            continue
        found += _compare(was, e)
    for uid, was in before.items():
        if uid not in after:
            found.append(
                Difference("removed", was.date, uid, event_name(was), f"was on {was.date} {was.time}")
            )
    found.sort(key=lambda d: (d.day, d.name, d.kind, d.uid))
    return found


def _compare(was: Event, e: Event) -> list[Difference]:
    out: list[Difference] = []
    name = event_name(e if e.kind == "check" else was)  # a check: what it guards now
    if was.status != "cancelled" and e.status == "cancelled":
        return [Difference("cancelled", was.date, e.uid, name, f"was on {was.date} {was.time}")]
    if was.status == "cancelled" and e.status != "cancelled":
        out.append(Difference("restored", e.date, e.uid, name, f"on {e.date} {e.time}"))
    if (was.date, was.time) != (e.date, e.time):
        out.append(Difference("moved", e.date, e.uid, name, f"{was.date} {was.time} -> {e.date} {e.time}"))
    if was.dose_mg != e.dose_mg or was.dose_gy != e.dose_gy:
        unit = "mg" if e.dose_mg is not None or was.dose_mg is not None else "Gy"
        old_dose = was.dose_mg if unit == "mg" else was.dose_gy
        new_dose = e.dose_mg if unit == "mg" else e.dose_gy
        out.append(Difference("dose-changed", e.date, e.uid, name, f"{old_dose:g} -> {new_dose:g} {unit}"))
    others = [
        f"{label} {getattr(was, field)} -> {getattr(e, field)}"
        for field, label in (
            ("route", "route"),
            ("formulation", "formulation"),
            ("repeat_days", "daily for"),
            ("tablets", "tablets"),
            ("duration_min", "minutes"),
            ("where", "where"),
            ("status", "status"),
        )
        if getattr(was, field) != getattr(e, field)
        and not (field == "status" and "cancelled" in (was.status, e.status))
    ]
    if was.guard_label != e.guard_label and was.guard_label is not None:
        others.insert(0, f"was {was.guard_label}")  # the name says what it guards now
    if others:
        out.append(Difference("changed", e.date, e.uid, name, "; ".join(others)))
    return out
