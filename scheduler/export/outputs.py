"""Which renderer makes each format (`formats.FORMATS`), for every use case that writes a plan's
files (plan, export, reschedule, batch), so they all make the same file from the same plan."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from ..calendar import LocalHolidaySource
from ..i18n import ENGLISH, Language
from ..models import Audience, Paper
from ..plan import Plan
from .ics import DEFAULT_ALARMS, Alarm

if TYPE_CHECKING:
    from .pdf.fonts import Fonts

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
    lang: Language = ENGLISH,
    large_print: bool = False,
    fonts: Fonts | None = None,
    holidays: LocalHolidaySource | None = None,
) -> dict[str, Renderer]:
    """Format name -> plan -> bytes. `key`: the site key, which a patient-audience ICS needs (its
    renderer refuses to run without one); the other formats carry no keyed digest. `lang` is the
    patient's language (patient calendar PDF and patient ICS; staff outputs stay in English),
    `large_print` the patient calendar's, `fonts` the fallback fonts of every PDF, `holidays` where
    the patient calendar reads the names of closed days (the application's holiday cache)."""
    from . import csv, ics, json, pdf

    printing: dict[str, Any] = {} if fonts is None else {"fonts": fonts}
    closed: dict[str, Any] = {} if holidays is None else {"holidays": holidays}
    return {
        "json": json.render,
        "csv": csv.render,
        "ics": partial(ics.render, audience=audience, alarms=alarms, key=key, lang=lang),
        "pdf": partial(
            pdf.render,
            audience=audience,
            paper=paper,
            lang=lang,
            large_print=large_print,
            **printing,
            **closed,
        ),
        "staff-pdf": partial(pdf.render, audience="staff", paper=paper, **printing),
        "fhir": _fhir,
    }
