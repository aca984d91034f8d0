"""Which renderer makes each format (`formats.FORMATS`), for every use case that writes a plan's
files (plan, export, reschedule, batch), so they all make the same file from the same plan."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from ..models import Audience, Paper
from ..plan import Plan
from .ics import DEFAULT_ALARMS, Alarm

__all__ = ["renderers"]

Renderer = Callable[[Plan], bytes]


def _fhir(plan: Plan) -> bytes:
    from . import fhir  # fhir.resources is slow to import and optional: only when asked for

    return fhir.render(plan)


def renderers(
    audience: Audience = "patient",
    alarms: Sequence[Alarm] = DEFAULT_ALARMS,
    paper: Paper = "letter",
    key: bytes | None = None,
) -> dict[str, Renderer]:
    """Format name -> plan -> bytes. `key`: the site key, which a patient-audience ICS needs (its
    renderer refuses to run without one); the other formats carry no keyed digest."""
    from . import csv, ics, json, pdf

    return {
        "json": json.render,
        "csv": csv.render,
        "ics": partial(ics.render, audience=audience, alarms=alarms, key=key),
        "pdf": partial(pdf.render, audience=audience, paper=paper),
        "staff-pdf": partial(pdf.render, audience="staff", paper=paper),
        "fhir": _fhir,
    }
