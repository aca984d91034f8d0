"""Printed schedules: the patient calendar or the staff sheet, by audience."""

from __future__ import annotations

from ...calendar import LocalHolidaySource
from ...i18n import ENGLISH, Language
from ...models import Audience, Paper
from ...plan import Plan
from .fonts import DEFAULT_FONTS, Fonts

__all__ = ["Fonts", "render"]


def render(
    plan: Plan,
    audience: Audience = "patient",
    paper: Paper = "letter",
    *,
    lang: Language = ENGLISH,
    large_print: bool = False,
    fonts: Fonts = DEFAULT_FONTS,
    holidays: LocalHolidaySource | None = None,
) -> bytes:
    """The PDF for `audience`: the staff sheet is English and regular print whatever `lang` and
    `large_print` say (staff outputs stay in English); both embed `fonts`. `holidays`: where the
    patient calendar reads the names of the days the clinic is closed (default: the package)."""
    if audience == "staff":
        from .staff import render as staff

        return staff(plan, paper, fonts=fonts)
    from .patient import render as patient

    return patient(plan, paper, lang=lang, large_print=large_print, fonts=fonts, holidays=holidays)
