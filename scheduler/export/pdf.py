"""Printed schedules: the patient calendar or the staff sheet, by audience."""

from __future__ import annotations

from ..plan import Plan
from .ics import Audience
from .pdf_common import Paper

__all__ = ["render"]


def render(plan: Plan, audience: Audience = "patient", paper: Paper = "letter") -> bytes:
    if audience == "staff":
        from .pdf_staff import render as staff

        return staff(plan, paper)
    from .pdf_patient import render as patient

    return patient(plan, paper)
