"""Rescheduling a systemic course: delay, hold and stop keep the cycle length, tablets follow their
cycle's day 1 without gaps or overlaps, trastuzumab reloads when more than 7 days late (S22), a
dose-level change is a recorded change; diff and reconcile see the infusions."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.calendar import ClinicCalendar, build_calendar
from scheduler.diff import diff_plans
from scheduler.dosing import systemic_dose
from scheduler.errors import InputError
from scheduler.plan import Event, Plan, fingerprint, plan_from_json, plan_to_json
from scheduler.reconcile import parse_given, reconcile
from scheduler.reschedule import Delay, DoseLevel, Hold, Stop, course_level, reschedule
from scheduler.templates import Registry

from ..conftest import make_plan

LATER = dt.datetime(2027, 1, 20, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
BODY = {"weight_kg": 72, "height_cm": 170, "weight_date": "2026-12-28"}
CLIMB, TDXD = "sys-her2climb", "sys-tdxd-q3w"


def systemic_plan(
    registry: Registry, template: str, start: str = "2027-01-05", cycles: int = 4, **more: object
) -> Plan:
    fields: dict[str, object] = {
        "start": "2027-01-11",
        "systemic": [{"template": template, "start": start, "cycles": cycles}],
        **BODY,
    }
    fields.update(more)
    return make_plan(registry, **fields)


def course(plan: Plan, template: str, kind: str | None = None) -> list[Event]:
    return [
        e
        for e in plan.events
        if e.course == template and e.status != "cancelled" and (kind is None or e.kind == kind)
    ]


def day_ones(plan: Plan, template: str) -> dict[int, dt.date]:
    ones: dict[int, dt.date] = {}
    for e in course(plan, template):
        assert e.cycle is not None and e.cycle_day is not None
        day = e.date - dt.timedelta(e.cycle_day - 1)
        ones[e.cycle] = min(day, ones.get(e.cycle, day))
    return dict(sorted(ones.items()))


def last_day(e: Event) -> dt.date:
    return e.date + dt.timedelta(e.repeat_days - 1)


def calendar_of(plan: Plan) -> ClinicCalendar:
    return build_calendar(plan.inputs.clinic)


def check_cycles(registry: Registry, plan: Plan, template: str, calendar: ClinicCalendar) -> None:
    """What every revision of a systemic course keeps: cycles at least cycle_days apart, infusions
    on open days, every tablet run anchored to its cycle's day 1, continuous tablets covering the
    course with no gap and no overlap, on-day tablets for exactly their days."""
    tpl = registry.systemic(template)
    ones = day_ones(plan, template)
    cycles = sorted(ones)
    for a, b in itertools.pairwise(cycles):
        assert (ones[b] - ones[a]).days >= tpl.cycle_days, (a, ones[a], b, ones[b])
    for e in course(plan, template, "infusion"):
        assert calendar.is_open(e.date), e
        # the dose: the loading dose in cycle 1 and, for trastuzumab, again when more than 7 days
        # late against its cycle (S22); otherwise the dose of the cycle's level
        assert e.cycle is not None
        dose = next(c.dose for c in tpl.components if c.drug == e.drug)
        late = (ones[e.cycle] - ones[e.cycle - 1]).days - tpl.cycle_days if e.cycle > 1 else 0
        reload = dose.reload_late_days is not None and late > dose.reload_late_days
        level = course_level(plan, template, e.cycle)
        expected = systemic_dose(dose, plan.inputs, level, loading=e.cycle == 1 or reload)
        assert (e.dose_mg, e.dose_calc) == (expected.mg, expected.calc), (e, late)
        assert any("loading dose is given again" in n for n in e.notes) == (e.cycle > 1 and reload)
    runs: dict[tuple[str, str], list[Event]] = defaultdict(list)
    for e in course(plan, template, "tablet"):
        runs[(e.drug or "", e.time)].append(e)
    parts = {c.drug: c for c in tpl.components}
    for (drug, _), events in runs.items():
        part = parts[drug]
        events.sort(key=lambda e: e.date)
        for e in events:
            assert e.cycle is not None
            first = ones[e.cycle]
            following = ones.get(e.cycle + 1, first + dt.timedelta(tpl.cycle_days))
            if part.on_days is None:
                assert e.date == first, e
                assert last_day(e) == following - dt.timedelta(1), e
            else:
                assert e.date == first + dt.timedelta(part.on_days[0] - 1), e
                assert e.repeat_days == part.on_days[1] - part.on_days[0] + 1, e
        if part.on_days is None:  # no gap, no overlap from the first day to the last
            for run, following_run in itertools.pairwise(events):
                assert following_run.date == last_day(run) + dt.timedelta(1), (run, following_run)


# --- delay -----------------------------------------------------------------------------------------


def test_delay_moves_the_cycle_and_every_later_one_and_the_tablets_follow(registry: Registry) -> None:
    plan = systemic_plan(registry, CLIMB, cycles=3)
    cal = calendar_of(plan)
    before = day_ones(plan, CLIMB)
    assert before == {1: dt.date(2027, 1, 5), 2: dt.date(2027, 1, 26), 3: dt.date(2027, 2, 16)}
    revised = reschedule(plan, Delay(dt.date(2027, 1, 26), 3, CLIMB, reason="ANC 0.9"), registry, cal, LATER)
    after = day_ones(revised, CLIMB)
    assert after == {1: dt.date(2027, 1, 5), 2: dt.date(2027, 1, 29), 3: dt.date(2027, 2, 19)}
    check_cycles(registry, revised, CLIMB, cal)
    # cycle 1's tucatinib runs 3 more days, up to the new day 1; capecitabine days 1-14 do not change
    tucatinib = [e for e in course(revised, CLIMB, "tablet") if e.drug == "tucatinib" and e.cycle == 1]
    assert {e.repeat_days for e in tucatinib} == {24}
    assert any(n.endswith("to 2027-01-28") for e in tucatinib for n in e.notes)
    change = revised.changes[-1]
    assert change.action == "delay" and change.reason == "ANC 0.9"
    moved = {m.uid: m for m in change.moves}
    for e in tucatinib:  # lengthened, not moved: old_days/new_days
        assert moved[e.uid].old == moved[e.uid].new == dt.date(2027, 1, 5)
        assert (moved[e.uid].old_days, moved[e.uid].new_days) == (21, 24)
    assert all(
        e.uid not in moved for e in course(revised, CLIMB) if e.drug == "capecitabine" and e.cycle == 1
    )
    # moved events keep their UID, one SEQUENCE more; the revision has a valid fingerprint
    old = {e.uid: e for e in plan.events}
    for e in revised.events:
        if e.uid in moved:  # a check the revision added (its guard moved) starts at SEQUENCE 0
            assert e.sequence == (old[e.uid].sequence + 1 if e.uid in old else 0)
    assert revised.fingerprint == fingerprint(revised)
    assert plan_from_json(plan_to_json(revised)) == revised


def test_an_infusion_due_on_a_closed_day_moves_forward_to_an_open_day(registry: Registry) -> None:
    plan = systemic_plan(
        registry, TDXD, cycles=3, clinic={"closed": [{"date": "2027-02-04", "reason": "audit"}]}
    )
    cal = calendar_of(plan)
    revised = reschedule(plan, Delay(dt.date(2027, 1, 26), 9, TDXD), registry, cal, LATER)
    infusions = course(revised, TDXD, "infusion")
    assert [e.date for e in infusions] == [dt.date(2027, 1, 5), dt.date(2027, 2, 5), dt.date(2027, 2, 26)]
    assert "closed 2027-02-04: audit" in (infusions[1].shift_reason or "")
    check_cycles(registry, revised, TDXD, cal)


def test_without_course_a_day_with_an_it_dose_and_an_infusion_asks_which(registry: Registry) -> None:
    plan = systemic_plan(registry, TDXD, start="2027-01-11", cycles=2)  # C1 D1 = the first IT dose
    with pytest.raises(InputError) as caught:
        reschedule(plan, Delay(dt.date(2027, 1, 11), 3), registry, calendar_of(plan), LATER)
    assert caught.value.field == "course" and TDXD in str(caught.value)


def test_a_delay_from_a_day_that_is_not_a_day_1_is_refused(registry: Registry) -> None:
    plan = systemic_plan(registry, "sys-osimertinib-80", cycles=3)
    with pytest.raises(InputError) as caught:
        reschedule(
            plan, Delay(dt.date(2027, 1, 6), 3, "sys-osimertinib-80"), registry, calendar_of(plan), LATER
        )
    assert caught.value.field == "delay"


def test_tablets_only_course_moves_by_exactly_the_delay_even_onto_a_weekend(registry: Registry) -> None:
    plan = systemic_plan(registry, "sys-osimertinib-80", cycles=3)
    cal = calendar_of(plan)
    ones = day_ones(plan, "sys-osimertinib-80")
    revised = reschedule(plan, Delay(ones[2], 4, "sys-osimertinib-80"), registry, cal, LATER)
    after = day_ones(revised, "sys-osimertinib-80")
    assert after[2] == ones[2] + dt.timedelta(4) and not cal.is_open(after[2])  # a Saturday: taken at home
    check_cycles(registry, revised, "sys-osimertinib-80", cal)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    template=st.sampled_from([CLIMB, TDXD, "sys-osimertinib-80", "sys-dabrafenib-trametinib"]),
    start=st.dates(dt.date(2027, 1, 1), dt.date(2029, 12, 31)),
    which=st.integers(1, 5),
    days=st.integers(1, 40),
    again=st.integers(0, 20),
    closed=st.lists(st.integers(0, 200), max_size=8),
)
def test_delays_keep_every_cycle_length_open_infusions_and_gapless_tablets(
    registry: Registry, template: str, start: dt.date, which: int, days: int, again: int, closed: list[int]
) -> None:
    closures = [{"date": (start + dt.timedelta(n)).isoformat(), "reason": "closed"} for n in closed]
    plan = systemic_plan(registry, template, start=start.isoformat(), cycles=5, clinic={"closed": closures})
    cal = calendar_of(plan)
    check_cycles(registry, plan, template, cal)
    before = day_ones(plan, template)
    revised = reschedule(plan, Delay(before[which], days, template), registry, cal, LATER)
    after = day_ones(revised, template)
    check_cycles(registry, revised, template, cal)
    assert sorted(after) == sorted(before)
    for k in before:
        if k < which:
            assert after[k] == before[k]
        else:
            assert after[k] >= before[k] + dt.timedelta(days)
    if again:  # a second delay of a later cycle, from the revision
        later = max(before)
        twice = reschedule(revised, Delay(after[later], again, template), registry, cal, LATER)
        check_cycles(registry, twice, template, cal)
    # every event of the other courses is untouched
    # the other courses stay as they were (the checks on this course's drugs follow it)
    others = {e.uid: e for e in plan.events if e.course != template and e.kind != "check"}
    assert all(others[e.uid] == e for e in revised.events if e.uid in others)


# --- trastuzumab reload (S22) ---------------------------------------------------------------------


def trastuzumab(plan: Plan) -> list[Event]:
    return [e for e in course(plan, CLIMB, "infusion")]


@pytest.mark.parametrize(("days", "reload"), [(7, False), (6, False), (8, True), (14, True)])
def test_trastuzumab_more_than_7_days_late_is_the_loading_dose_again(
    registry: Registry, days: int, reload: bool
) -> None:
    plan = systemic_plan(registry, CLIMB, cycles=3)
    cal = calendar_of(plan)
    tpl = registry.systemic(CLIMB)
    dose = next(c.dose for c in tpl.components if c.drug == "trastuzumab")
    loading = systemic_dose(dose, plan.inputs, 0, loading=True)
    later = systemic_dose(dose, plan.inputs, 0, loading=False)
    assert (loading.mg, later.mg) == (576, 432)  # 8 and 6 mg/kg x 72 kg
    c2 = trastuzumab(plan)[1]
    assert c2.date == dt.date(2027, 1, 26) and cal.is_open(c2.date + dt.timedelta(days))
    revised = reschedule(plan, Delay(c2.date, days, CLIMB), registry, cal, LATER)
    c1, c2_new, c3 = trastuzumab(revised)
    assert c1.dose_mg == 576 and c3.dose_mg == 432
    assert (c2_new.date - c2.date).days == days
    if reload:
        assert c2_new.dose_mg == 576 and c2_new.dose_calc == loading.calc
        assert c2_new.duration_min == 90  # a loading dose is given over the first infusion's time
        assert any("loading dose is given again" in n and "S22" in n for n in c2_new.notes)
        move = next(m for m in revised.changes[-1].moves if m.uid == c2.uid)
        assert (move.old_mg, move.new_mg) == (432, 576)
    else:
        assert c2_new.dose_mg == 432 and c2_new.duration_min == 30
        assert not any("loading dose is given again" in n for n in c2_new.notes)


def test_a_later_delay_keeps_a_reload_while_the_cycle_is_still_late(registry: Registry) -> None:
    plan = systemic_plan(registry, CLIMB, cycles=3)
    cal = calendar_of(plan)
    once = reschedule(plan, Delay(dt.date(2027, 2, 16), 10, CLIMB), registry, cal, LATER)
    assert [e.dose_mg for e in trastuzumab(once)] == [576, 432, 576]
    check_cycles(registry, once, CLIMB, cal)
    # cycle 2 by 10 days too: each later cycle moves by at least as much, so cycle 3 stays late
    twice = reschedule(once, Delay(dt.date(2027, 1, 26), 10, CLIMB), registry, cal, LATER)
    assert [(e.date, e.dose_mg) for e in trastuzumab(twice)] == [
        (dt.date(2027, 1, 5), 576),
        (dt.date(2027, 2, 5), 576),
        (dt.date(2027, 3, 8), 576),
    ]
    check_cycles(registry, twice, CLIMB, cal)


# --- hold and stop --------------------------------------------------------------------------------


def test_hold_pauses_every_drug_and_resumes_the_cycle_on_the_first_open_day(registry: Registry) -> None:
    plan = systemic_plan(registry, CLIMB, cycles=3)
    cal = calendar_of(plan)
    hold = Hold(dt.date(2027, 1, 20), dt.date(2027, 1, 30), CLIMB, reason="admitted")  # resume on a Saturday
    revised = reschedule(plan, hold, registry, cal, LATER)
    ones = day_ones(revised, CLIMB)
    assert ones[2] == dt.date(2027, 2, 1)  # the first open day from the resume day
    assert ones[3] == dt.date(2027, 2, 22)
    for e in course(revised, CLIMB):  # nothing of the course is taken in the held days
        assert last_day(e) < hold.start or e.date >= hold.resume, e
    tucatinib_c1 = [e for e in course(revised, CLIMB) if e.drug == "tucatinib" and e.cycle == 1]
    assert {last_day(e) for e in tucatinib_c1} == {dt.date(2027, 1, 19)}
    assert revised.changes[-1].action == "hold"


def test_a_hold_with_no_day_1_in_it_is_refused(registry: Registry) -> None:
    plan = systemic_plan(registry, CLIMB, cycles=3)
    with pytest.raises(InputError) as caught:
        reschedule(
            plan, Hold(dt.date(2027, 1, 7), dt.date(2027, 1, 10), CLIMB), registry, calendar_of(plan), LATER
        )
    assert caught.value.field == "hold_from"


def test_a_hold_of_the_clinic_courses_leaves_a_systemic_course_alone(registry: Registry) -> None:
    plan = systemic_plan(registry, TDXD, cycles=3)
    revised = reschedule(
        plan, Hold(dt.date(2027, 1, 11), dt.date(2027, 2, 1)), registry, calendar_of(plan), LATER
    )
    assert course(revised, TDXD) == course(plan, TDXD)
    assert any(e.course == "it-mtx-intensive" and e.shifted_from for e in revised.events)


def test_stop_cancels_from_the_day_and_shortens_tablet_runs_crossing_it(registry: Registry) -> None:
    plan = systemic_plan(registry, CLIMB, cycles=3)
    stop = Stop(dt.date(2027, 2, 1), CLIMB, reason="Progression on MRI 2027-01-30")
    revised = reschedule(plan, stop, registry, calendar_of(plan), LATER)
    for e in revised.events:
        if e.course != CLIMB:
            continue
        if e.date >= stop.day:
            assert e.status == "cancelled", e
        else:
            assert e.status == "confirmed" and last_day(e) < stop.day, e
    crossing = [m for m in revised.changes[-1].moves if m.new is not None]
    assert crossing and all(m.new_days == 6 for m in crossing)  # 2027-01-26 .. 2027-01-31
    assert {m.old_days for m in crossing} == {14, 21}  # capecitabine days 1-14, continuous tucatinib
    # a stop without --course leaves the systemic course alone (it stops the clinic courses)
    unnamed = reschedule(plan, Stop(dt.date(2027, 2, 1), reason="x"), registry, calendar_of(plan), LATER)
    assert course(unnamed, CLIMB) == course(plan, CLIMB)


# --- dose level -----------------------------------------------------------------------------------


def test_dose_level_change_is_recorded_with_its_reason_and_moves(registry: Registry) -> None:
    plan = systemic_plan(registry, TDXD, cycles=4, weight_kg=68.4)
    cal = calendar_of(plan)
    action = DoseLevel(dt.date(2027, 2, 1), -1, TDXD, reason="Grade 2 ILD resolved")
    revised = reschedule(plan, action, registry, cal, LATER)
    doses = [(e.date, e.dose_mg, e.dose_basis) for e in course(revised, TDXD, "infusion")]
    assert [d[1] for d in doses] == [369, 369, 301, 301]  # 5.4 and 4.4 mg/kg x 68.4 kg
    assert doses[2][2] == "4.4 mg/kg (actual weight 68.4 kg)"
    change = revised.changes[-1]
    assert (change.action, change.reason, change.course, change.dose_level, change.from_cycle) == (
        "dose-level",
        "Grade 2 ILD resolved",
        TDXD,
        -1,
        3,
    )
    assert [(m.old, m.new, m.old_mg, m.new_mg) for m in change.moves] == [
        (dt.date(2027, 2, 16), dt.date(2027, 2, 16), 369, 301),
        (dt.date(2027, 3, 9), dt.date(2027, 3, 9), 369, 301),
    ]
    assert plan.inputs == revised.inputs  # the inputs keep the level cycle 1 started with
    assert course_level(revised, TDXD, 2) == 0 and course_level(revised, TDXD, 3) == -1
    # a later delay keeps the reduced level; a further reduction goes to 3.2 mg/kg
    delayed = reschedule(revised, Delay(dt.date(2027, 2, 16), 5, TDXD), registry, cal, LATER)
    assert [e.dose_mg for e in course(delayed, TDXD, "infusion")] == [369, 369, 301, 301]
    lower = reschedule(
        delayed, DoseLevel(dt.date(2027, 3, 1), -2, TDXD, reason="again"), registry, cal, LATER
    )
    assert [e.dose_mg for e in course(lower, TDXD, "infusion")] == [369, 369, 301, 219]
    assert plan_from_json(plan_to_json(lower)) == lower


def test_dose_level_of_tablets_is_recomputed_too(registry: Registry) -> None:
    """HER2CLIMB has no dose levels in its template: refused, naming the field and the only level."""
    plan = systemic_plan(registry, CLIMB, cycles=2)
    with pytest.raises(InputError) as caught:
        reschedule(
            plan, DoseLevel(dt.date(2027, 1, 20), -1, CLIMB, reason="x"), registry, calendar_of(plan), LATER
        )
    assert caught.value.field == "dose_level" and "no dose levels" in str(caught.value)
    assert "0" in str(caught.value)


@pytest.mark.parametrize(
    ("level", "course_id", "reason", "field"),
    [
        (-3, TDXD, "x", "dose_level"),
        (0, TDXD, "x", "dose_level"),  # already at level 0
        (-1, "it-mtx-intensive", "x", "course"),
        (-1, None, "x", "course"),
        (-1, TDXD, None, "reason"),
        (-1, TDXD, "  ", "reason"),
    ],
)
def test_bad_dose_level_changes_are_refused(
    registry: Registry, level: int, course_id: str | None, reason: str | None, field: str
) -> None:
    plan = systemic_plan(registry, TDXD, cycles=3)
    with pytest.raises(InputError) as caught:
        reschedule(
            plan,
            DoseLevel(dt.date(2027, 1, 20), level, course_id, reason=reason),
            registry,
            calendar_of(plan),
            LATER,
        )
    assert caught.value.field == field


def test_old_plans_load_with_the_new_change_fields_left_out(registry: Registry) -> None:
    plan = systemic_plan(registry, TDXD, cycles=3)
    revised = reschedule(plan, Delay(dt.date(2027, 1, 26), 2, TDXD), registry, calendar_of(plan), LATER)
    text = plan_to_json(revised).decode()
    assert '"from_cycle"' not in text and '"dose_level": ' not in text.split('"changes"')[1]


# --- diff and reconcile ---------------------------------------------------------------------------


def test_diff_lists_moved_infusions_dose_changes_and_lengthened_tablets(registry: Registry) -> None:
    plan = systemic_plan(registry, CLIMB, cycles=3)
    revised = reschedule(plan, Delay(dt.date(2027, 1, 26), 8, CLIMB), registry, calendar_of(plan), LATER)
    found = diff_plans(plan, revised)
    lines = [d.line() for d in found]
    assert any(
        "moved" in x and "trastuzumab 432 mg IV, cycle 2 day 1" in x and "-> 2027-02-03" in x for x in lines
    )
    assert any("dose-changed" in x and "trastuzumab" in x and "432 -> 576 mg" in x for x in lines)
    assert any("changed" in x and "tucatinib 300 mg" in x and "daily for 21 -> 29" in x for x in lines)
    stopped = reschedule(
        revised, Stop(dt.date(2027, 2, 10), CLIMB, reason="progression"), registry, calendar_of(plan), LATER
    )
    kinds = {d.kind for d in diff_plans(revised, stopped)}
    assert {"cancelled", "changed"} <= kinds


def test_reconcile_sets_iv_infusions_against_the_plan_and_leaves_tablets_out(registry: Registry) -> None:
    plan = systemic_plan(registry, CLIMB, cycles=3)
    data = (
        b"date,drug,dose_mg,route\n"
        b"2027-01-05,trastuzumab,576,iv\n"  # C1: given
        b"2027-01-27,Trastuzumab,400,intravenous\n"  # C2: a day late and the wrong dose
    )
    report = reconcile(plan, parse_given(data), as_of=dt.date(2027, 3, 1))
    rows = {
        (r.planned.cycle if r.planned else None): r
        for r in report.rows
        if r.planned is None or r.planned.kind == "infusion"
    }
    assert rows[1].outcome == "given"
    assert [i.code for i in rows[2].issues] == ["wrong-dose", "late"]
    assert rows[3].outcome == "missed"
    assert all(r.planned is None or r.planned.kind in ("it-dose", "infusion") for r in report.rows)
    totals = {t.drug: t for t in report.totals}
    assert totals["trastuzumab"].planned_total_mg == 576 + 432 + 432
    assert "capecitabine" not in totals and "tucatinib" not in totals
    # an oral record is refused with the reason; an IV record of a tablet drug says it is home medicine
    with pytest.raises(InputError) as caught:
        parse_given(b"date,drug,dose_mg,route\n2027-01-05,capecitabine,1800,oral\n")
    assert "tablets are taken at home and not reconciled" in str(caught.value)
    odd = reconcile(
        plan,
        parse_given(b"date,drug,dose_mg,route\n2027-01-05,capecitabine,1800,iv\n"),
        as_of=dt.date(2027, 1, 6),
    )
    (unplanned,) = [r for r in odd.rows if r.outcome == "unplanned"]
    assert "tablets taken at home" in unplanned.issues[0].text


def test_an_iv_record_against_an_it_dose_is_a_wrong_route(registry: Registry) -> None:
    plan = systemic_plan(registry, TDXD, cycles=1)
    it = next(e for e in plan.events if e.kind == "it-dose")
    data = f"date,drug,dose_mg,route\n{it.date},methotrexate,{it.dose_mg},iv\n".encode()
    report = reconcile(plan, parse_given(data), as_of=it.date)
    row = next(r for r in report.rows if r.planned is not None and r.planned.uid == it.uid)
    assert row.outcome == "wrong-route" and "given iv, planned ommaya" in row.issues[0].text


def test_braf_mek_tablets_held_around_rt_stay_out_of_the_hold_after_a_delay(registry: Registry) -> None:
    """Dabrafenib + trametinib with --hold-around-rt (S21): cycle 2's day 1 falls in the hold, so
    nothing is taken that day; delaying it from that day keeps the held days free and the runs after
    the hold reach the new next day 1."""
    from scheduler.interactions import hold_window

    template = "sys-dabrafenib-trametinib"
    plan = systemic_plan(
        registry, template, cycles=3, rt="focal-30gy-10fx", rt_start="2027-01-20", hold_around_rt=True
    )
    held = hold_window([e.date for e in plan.events if e.kind == "rt-fraction"])
    assert held is not None
    ones = day_ones(plan, template)
    assert held[0] <= dt.date(2027, 2, 2) <= held[1] and ones[3] == dt.date(2027, 3, 2)
    revised = reschedule(plan, Delay(dt.date(2027, 2, 2), 3, template), registry, calendar_of(plan), LATER)
    for e in course(revised, template, "tablet"):
        assert last_day(e) < held[0] or e.date > held[1], e
    ones = day_ones(revised, template)
    assert ones[3] == dt.date(2027, 3, 5)
    for e in course(revised, template, "tablet"):
        if e.cycle == 2:
            assert e.date == held[1] + dt.timedelta(1) and last_day(e) == dt.date(2027, 3, 4), e
        if e.cycle == 3:
            assert e.date == dt.date(2027, 3, 5), e
