"""Why the clinic is closed on the days a patient calendar shows, in the patient's language.

The plan's dates already avoid closed days (`calendar.build_calendar` moved them); the patient
calendar also says *why* a weekday the clinic normally works is empty ("Clinic closed: Christmas
Day"). Weekends and other weekdays the clinic never works go without saying.

Pure: holiday names come from the `holidays` package (a computation), in the patient's language
when the package has that country's names in it (Spain: "es"; the United States: English only),
else in the package's default language for the country (the clinic's). The clinic's own closures
give their own reason, as written in the clinic file. Which holidays the clinic works on
(`open_holidays`) is matched against the default-language names, as `calendar` does.
"""

from __future__ import annotations

import datetime as dt

from .calendar import LocalHolidaySource, build_calendar, holiday_names
from .models import Clinic

__all__ = ["closed_days"]


def closed_days(
    clinic: Clinic,
    first: dt.date,
    last: dt.date,
    language_code: str = "en",
    names: LocalHolidaySource = holiday_names,
) -> dict[dt.date, str]:
    """{day: reason} for every weekday the clinic normally works, from `first` to `last`
    (inclusive), on which it is closed: its own closures first ("Staff training"), then the public
    holidays it does not work on (" / " between several), the holidays' names in the patient's
    language where the `holidays` package has them. Which days are closed is `calendar`'s
    decision, the one the plan's dates were placed by. `names`: where the names come from (the
    package, or the application's cache of it)."""
    if last < first:
        return {}
    calendar = build_calendar(clinic, lambda country, subdiv: names(country, subdiv, None))
    worked = {name.casefold() for name in clinic.open_holidays}
    own: dict[dt.date, list[str]] = {}  # every closure's reason (two closures may share a day)
    for closure in clinic.closed:
        for day in closure.days():
            own.setdefault(day, []).append(closure.reason)
    default = shown = None
    out: dict[dt.date, str] = {}
    day = first
    while day <= last:
        if day.weekday() in calendar.open_weekdays and not calendar.is_open(day):
            reasons: list[str] = list(own.get(day, []))
            if clinic.country:
                if default is None or shown is None:
                    code = clinic.country.upper()
                    default, shown = (
                        names(code, clinic.subdiv, None),
                        names(code, clinic.subdiv, language_code),
                    )
                clinic_names, patient_names = default(day), shown(day)
                if len(patient_names) != len(clinic_names):  # the tables disagree: the clinic's names
                    patient_names = clinic_names
                for name, words in zip(clinic_names, patient_names, strict=True):
                    if name.casefold() not in worked:  # open_holidays names the country's own names
                        reasons.append(words)
            out[day] = " / ".join(dict.fromkeys(reasons)) or str(calendar.closed_reason(day))
        day += dt.timedelta(1)
    return out
