"""Each calendar event built once (issue 20): `ics.render_with_vevents` joins the text icalendar
writes for each part (the calendar's properties, each VTIMEZONE, each VEVENT and its VALARMs)
instead of serialising one VCALENDAR whole, and takes a batch's clinic.ics VEVENTs from the same
VEVENTs. Both must be byte for byte what icalendar writes for the whole calendar and for each
VEVENT on its own, for any plan, audience, alarms and language."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.agenda import AGENDA_KINDS
from scheduler.catalogs import load_language
from scheduler.export import ics
from scheduler.export.ics import _add_timezones, _calendar, _findings_for, _vevent, series_id
from scheduler.i18n import ENGLISH, Language
from scheduler.plan import Plan
from scheduler.templates import Registry

from ..conftest import checked, demo_key, make_plan, plan_fields

ALARM_SETS = [(), ics.DEFAULT_ALARMS, (ics.parse_alarm("0m"), ics.parse_alarm("2d@07:30"))]


def whole_calendar(
    plan: Plan, audience: str, alarms: Sequence[ics.Alarm], key: bytes | None, lang: Language
) -> bytes:
    """The calendar as icalendar serialises it in one piece (lmsched's render before issue 20)."""
    lang = lang if audience == "patient" else ENGLISH
    findings = _findings_for(plan)
    series = series_id(plan, audience, key)  # type: ignore[arg-type]
    cal = _calendar(plan, audience, lang)  # type: ignore[arg-type]
    for event in plan.events:
        cal.add_component(
            _vevent(
                plan, event, audience, alarms, findings.get(event.uid, []), series, event.sequence, key, lang
            )  # type: ignore[arg-type]
        )
    _add_timezones(cal, plan.events)
    return bytes(cal.to_ical())


def each_vevent(plan: Plan, kinds: Sequence[str]) -> list[bytes]:
    """Each staff VEVENT of `kinds` with no alarms, serialised on its own (clinic.ics before issue 20)."""
    findings = _findings_for(plan)
    series = series_id(plan, "staff")
    return [
        _vevent(plan, e, "staff", (), findings.get(e.uid, []), series, e.sequence, None).to_ical()
        for e in plan.events
        if e.kind in kinds and e.status != "cancelled"
    ]


def test_the_adult_example_in_every_audience_and_alarm_set(adult: Plan) -> None:
    for alarms in ALARM_SETS:
        for audience, key in (("staff", None), ("patient", demo_key())):
            joined, bare = ics.render_with_vevents(adult, audience, alarms, key, kinds=AGENDA_KINDS)  # type: ignore[arg-type]
            assert joined == whole_calendar(adult, audience, alarms, key, ENGLISH)
            assert joined == ics.render(adult, audience, alarms, key=key)  # type: ignore[arg-type]
            if audience == "staff":
                assert bare == each_vevent(adult, AGENDA_KINDS) == ics.vevent_texts(adult, kinds=AGENDA_KINDS)
                assert len(bare) > 20
    # the reminders really are spliced in: the staff calendar has VALARMs, clinic.ics has none
    joined, bare = ics.render_with_vevents(adult, "staff", ics.DEFAULT_ALARMS, kinds=AGENDA_KINDS)
    assert joined.count(b"BEGIN:VALARM") > 20 and not any(b"VALARM" in text for text in bare)


def test_a_translated_patient_calendar(registry: Registry) -> None:
    plan = checked(make_plan(registry, language="es", rt="wbrt-30gy-10fx", rt_start="2026-11-30"))
    spanish = load_language("es", True, "language")
    joined = ics.render(plan, "patient", key=demo_key(), lang=spanish)
    assert joined == whole_calendar(plan, "patient", ics.DEFAULT_ALARMS, demo_key(), spanish)
    assert joined != ics.render(plan, "patient", key=demo_key())  # really in Spanish


def test_a_plan_with_no_events_is_the_empty_calendar(adult: Plan) -> None:
    empty = adult.model_copy(update={"events": []})
    assert ics.render(empty, "staff") == whole_calendar(empty, "staff", ics.DEFAULT_ALARMS, None, ENGLISH)
    assert ics.render_with_vevents(empty, "staff", kinds=AGENDA_KINDS)[1] == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fields=plan_fields(), alarms=st.sampled_from(ALARM_SETS), patient=st.booleans())
def test_any_plan_joined_is_the_calendar_written_whole(
    registry: Registry, fields: dict[str, object], alarms: Sequence[ics.Alarm], patient: bool
) -> None:
    plan = checked(make_plan(registry, **fields))
    audience, key = ("patient", demo_key()) if patient else ("staff", None)
    joined, bare = ics.render_with_vevents(plan, audience, alarms, key, kinds=AGENDA_KINDS)  # type: ignore[arg-type]
    assert joined == whole_calendar(plan, audience, alarms, key, ENGLISH)
    if not patient:
        assert bare == each_vevent(plan, AGENDA_KINDS)


def test_a_timezone_text_is_built_once_per_zone_and_years(adult: Plan) -> None:
    ics._timezone_text.cache_clear()
    ics.render(adult, "staff")
    ics.render(adult, "patient", key=demo_key())
    info = ics._timezone_text.cache_info()
    assert info.misses == 1 and info.hits == 1
    assert ics._timezone_text("America/New_York", 2026, 2027).startswith(
        b"BEGIN:VTIMEZONE\r\nTZID:America/New_York"
    )
