"""Printed schedules: the patient calendar or the staff sheet, by audience."""

from __future__ import annotations

from ...models import Audience, Paper
from ...plan import Plan

__all__ = ["render"]


def render(plan: Plan, audience: Audience = "patient", paper: Paper = "letter") -> bytes:
    if audience == "staff":
        from .staff import render as staff

        return staff(plan, paper)
    from .patient import render as patient

    return patient(plan, paper)
