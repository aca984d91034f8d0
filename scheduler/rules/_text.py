"""Small helpers for naming dates and events in rule messages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from ..plan import Event, Plan


def active(plan: Plan) -> list[Event]:
    """The events still planned: a cancelled event (reschedule --stop-from) concerns no rule."""
    return [e for e in plan.events if e.status != "cancelled"]


def it_events(plan: Plan, drug: str | None = None) -> list[Event]:
    return [e for e in active(plan) if e.kind == "it-dose" and (drug is None or e.drug == drug)]


def flow_studies(plan: Plan) -> list[Event]:
    """The planned CSF flow studies (checks whose name says so), in date order."""
    return [e for e in active(plan) if e.kind == "check" and "flow study" in (e.check or "").lower()]


def rt_events(plan: Plan, site: str) -> list[Event]:
    return [e for e in active(plan) if e.kind == "rt-fraction" and e.phase == site]


def mtx_inside(plan: Plan, site: str) -> tuple[list[Event], list[Event]]:
    """An RT course of `site` and the IT methotrexate doses from its first to its last fraction."""
    course = rt_events(plan, site)
    if not course:
        return [], []
    first, last = course[0].date, course[-1].date
    return course, [e for e in it_events(plan, "methotrexate") if first <= e.date <= last]


def span(events: Sequence[Event]) -> str:
    first, last = events[0].date, events[-1].date
    return f"{first}" if first == last else f"{first} to {last}"


def dates(days: Sequence[dt.date], limit: int = 6) -> str:
    text = [d.isoformat() for d in days]
    if len(text) > limit:
        return ", ".join(text[:limit]) + f" and {len(text) - limit} more"
    return ", ".join(text)


def uids(*groups: Sequence[Event]) -> tuple[str, ...]:
    return tuple(e.uid for group in groups for e in group)


def count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")
