"""The patient's language: translated words and localised dates for every patient-facing output.

A `Language` is a value: its catalog is already loaded (`scheduler.catalogs` reads the gettext
catalogs, in the application layer), so the exporters stay pure functions of the plan and of it.
Staff outputs never take one: they stay in English.

Messages are marked where they are written: `N_("...")` marks a literal that is translated later,
where it is shown (a finding's patient message, stored in English in the plan); `lang.gettext`
translates at once. Both are found by `make catalogs` (Babel's extraction, keywords `N_`,
`gettext`, `ngettext`, `pgettext`), and by the test that every patient-facing message has a
translation in every shipped catalog.

Dates, weekday and month names come from Babel's CLDR data for the language ("lunes, 14 de
diciembre de 2026"), never from the machine's locale. Babel is imported only when a date is
formatted in a language other than English.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "ENGLISH",
    "ENGLISH_DAYS",
    "ENGLISH_MONTHS",
    "N_",
    "UNREVIEWED_NOTICE",
    "Language",
]


ENGLISH_DAYS = _DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ENGLISH_MONTHS = _MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def N_(message: str) -> str:
    """Mark `message` for translation where it is shown, not where it is written."""
    return message


# Printed on every page and in every calendar event while the catalog has no reviewer (issue 18).
UNREVIEWED_NOTICE = N_("Translation not yet reviewed by a qualified medical interpreter")


def _english_plural(n: int) -> int:
    return 0 if n == 1 else 1


Width = Literal["wide", "abbreviated", "narrow"]


@dataclass(frozen=True)
class Language:
    """A language's messages (msgid -> msgstr; plurals keyed (msgid, index)), its plural rule and
    the catalog's review status. English is the source language: no catalog, nothing to review.

    `reviewed_by` is the catalog header's X-Lmsched-Reviewed-By (None when empty: unreviewed);
    `reviewed_on` its X-Lmsched-Reviewed-On. `notice` is True when an unreviewed catalog is used
    (`--allow-unreviewed-translation`): every page and every calendar event then says so."""

    code: str = "en"
    messages: Mapping[object, str] = field(default_factory=dict, repr=False, compare=False)
    plural: Callable[[int], int] = field(default=_english_plural, repr=False, compare=False)
    reviewed_by: str | None = None
    reviewed_on: str | None = None
    source: str = "built in"  # where the catalog was read from (for messages and the README)

    @property
    def english(self) -> bool:
        return self.code == "en" and not self.messages

    @property
    def notice(self) -> bool:
        """Whether outputs must carry the unreviewed-translation notice."""
        return self.code != "en" and not self.reviewed_by

    @property
    def babel_locale(self) -> str:
        return self.code.replace("-", "_")

    # -- messages -------------------------------------------------------------------------
    def gettext(self, message: str) -> str:
        found = self.messages.get(message)
        return found if found else message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        index = self.plural(n)
        found = self.messages.get((singular, index))
        if found:
            return found
        return singular if n == 1 else plural

    def unreviewed_notice(self) -> str:
        """The notice in the patient's language and in English (staff must be able to read it)."""
        translated = self.gettext(UNREVIEWED_NOTICE)
        return translated if translated == UNREVIEWED_NOTICE else f"{translated} / {UNREVIEWED_NOTICE}"

    # -- dates ----------------------------------------------------------------------------
    def long_date(self, day: dt.date) -> str:
        """'Monday 14 December 2026'; 'lunes, 14 de diciembre de 2026'."""
        if self.code == "en":
            return f"{_DAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]} {day.year}"
        from babel.dates import format_date

        return str(format_date(day, "full", locale=self.babel_locale))

    def short_date(self, day: dt.date) -> str:
        """'Mon 14 Dec'; 'lun 14 dic' (a weekday, the day and the month, no year)."""
        if self.code == "en":
            return f"{_DAYS[day.weekday()][:3]} {day.day} {_MONTHS[day.month - 1][:3]}"
        from babel.dates import format_skeleton

        return str(format_skeleton("MMMEd", day, locale=self.babel_locale))

    def day_month(self, day: dt.date) -> str:
        """'14 December'; '14 de diciembre'."""
        if self.code == "en":
            return f"{day.day} {_MONTHS[day.month - 1]}"
        from babel.dates import format_skeleton

        return str(format_skeleton("MMMMd", day, locale=self.babel_locale))

    def month_year(self, year: int, month: int) -> str:
        """'December 2026'; 'diciembre de 2026'."""
        if self.code == "en":
            return f"{_MONTHS[month - 1]} {year}"
        from babel.dates import format_skeleton

        return str(format_skeleton("yMMMM", dt.date(year, month, 1), locale=self.babel_locale))

    def month_name(self, month: int, width: Width = "wide") -> str:
        """'December'; 'diciembre' (standalone form: a heading, not inside a date)."""
        if self.code == "en":
            name = _MONTHS[month - 1]
            return name[:3] if width == "abbreviated" else name[0] if width == "narrow" else name
        from babel.dates import get_month_names

        return str(get_month_names(width, context="stand-alone", locale=self.babel_locale)[month])

    def weekday_name(self, weekday: int, width: Width = "wide") -> str:
        """Monday is 0: 'Monday' / 'Mon' / 'M'; 'lunes' / 'lun' / 'L'."""
        if self.code == "en":
            name = _DAYS[weekday]
            return name[:3] if width == "abbreviated" else name[0] if width == "narrow" else name
        from babel.dates import get_day_names

        return str(get_day_names(width, context="stand-alone", locale=self.babel_locale)[weekday])

    def time(self, clock: dt.time) -> str:
        """'09:30' in every language lmsched ships (24-hour clock, as the calendars print today)."""
        return f"{clock.hour:02d}:{clock.minute:02d}"


ENGLISH = Language()
