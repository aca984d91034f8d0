"""Checks (kind "check": blood counts, CSF cytology, MRI, the CSF flow study, LVEF scans) in the
machine-readable outputs: the ICS calendars (read back by the three readers), the FHIR Bundle
(validated by fhir.resources), the CSV, `lmsched diff` and reconciliation.

The plans are built with the scheduler's own code: intensive IT methotrexate by Ommaya with CSF
flow unknown (a CSF flow study first, then tentative IT doses) and trastuzumab deruxtecan (LVEF
scans), across the 2027 change to daylight saving time."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fhir.resources.R4B.bundle import Bundle
from hypothesis import HealthCheck, given, settings

from scheduler.calendar import build_calendar
from scheduler.diff import diff_plans
from scheduler.export import csv as csv_export
from scheduler.export import fhir, ics
from scheduler.labels import event_name, event_title
from scheduler.plan import Event, Plan, plan_from_json, plan_to_json
from scheduler.reconcile import parse_given, reconcile
from scheduler.reschedule import Stop, reschedule
from scheduler.templates import Registry

from ..conftest import NOW, NOW_DT, checked, demo_key, make_plan, plan_fields
from ..ical_readers import Read, occurrences, with_icalendar, with_vobject
from .systemic_plans import PATIENT_ID, PATIENT_NAME, tdxd_plan

NEW_YORK = ZoneInfo("America/New_York")
AUDIENCES = ("patient", "staff")


@pytest.fixture(scope="module")
def plan(registry: Registry) -> Plan:
    """Flow unknown (a flow study, tentative IT doses), T-DXd (LVEF), with safety findings."""
    return checked(tdxd_plan(registry, csf_flow="unknown"))


def checks(plan: Plan) -> list[Event]:
    return [e for e in plan.events if e.kind == "check"]


def key(audience: str) -> bytes | None:
    return demo_key() if audience == "patient" else None


def render_ics(plan: Plan, audience: str, alarms: tuple[ics.Alarm, ...] = ics.DEFAULT_ALARMS) -> bytes:
    return ics.render(plan, audience, alarms, key=key(audience))  # type: ignore[arg-type]


def uid(event: Event, audience: str) -> str:
    return ics.ics_uid(event, audience, key(audience))  # type: ignore[arg-type]


def local(event: Event) -> dt.datetime:
    return dt.datetime.combine(event.date, dt.time.fromisoformat(event.time), tzinfo=ZoneInfo(event.tz))


def read_all(plan: Plan, data: bytes, audience: str) -> dict[str, Read]:
    """icalendar and vobject read the same; recurring-ical-events finds each check once, at its
    local time."""
    by_icalendar, by_vobject = with_icalendar(data), with_vobject(data)
    assert by_icalendar == by_vobject
    first = min(e.date for e in plan.events)
    last = max(e.date + dt.timedelta(days=e.repeat_days) for e in plan.events)
    expanded = occurrences(data, first, last)
    for event in checks(plan):
        assert expanded[uid(event, audience)] == [local(event)]
    return by_icalendar


def unfold(data: bytes) -> str:
    return data.replace(b"\r\n ", b"").decode("utf-8")


# --- the plan under test ---------------------------------------------------------------------------


def test_the_plan_has_every_kind_of_check(plan: Plan) -> None:
    kinds = {e.course for e in checks(plan)}
    assert {
        "mon-csf-flow-study",
        "mon-blood-count-it",
        "mon-csf-cytology",
        "mon-mri-neuraxis",
        "mon-lvef-trastuzumab",
    } <= kinds
    assert {e.where for e in checks(plan)} == {"clinic", "external"}
    assert any(e.duration_min == 0 for e in checks(plan))  # cytology, taken at the IT session
    assert any(e.status == "tentative" for e in checks(plan))
    # the plan runs across the change to daylight saving time (2027-03-14)
    assert {local(e).utcoffset() for e in checks(plan)} == {dt.timedelta(hours=-5), dt.timedelta(hours=-4)}


# --- ICS -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("audience", AUDIENCES)
def test_three_readers_agree_on_every_check(plan: Plan, audience: str) -> None:
    read = read_all(plan, render_ics(plan, audience), audience)
    assert len(read) == len(plan.events)
    for event in checks(plan):
        r = read[uid(event, audience)]
        start = local(event)
        assert r.start == start and r.start.utcoffset() == start.utcoffset()
        assert r.start.astimezone(NEW_YORK).strftime("%H:%M") == event.time
        assert r.end > r.start  # RFC 5545 3.8.2.2: DTEND later than DTSTART
        assert r.end - r.start == dt.timedelta(minutes=ics.calendar_minutes(plan, event))
        assert r.status == event.status.upper()
        assert r.sequence == event.sequence
        assert r.count == 1
        assert r.categories == ("Test",)
        if event.where == "external":
            assert r.location == ics.EXTERNAL_PLACE
            assert "confirm the place with your care team" in r.location
        else:
            assert r.location == plan.inputs.clinic.location


def test_cytology_spans_the_it_session_it_is_taken_at(plan: Plan) -> None:
    """Duration 0 (the sample is drawn at the IT dose): the event spans that session and leaves
    the time to it (TRANSPARENT), instead of an event that ends as it starts."""
    import icalendar

    data = render_ics(plan, "patient")
    cal = icalendar.Calendar.from_ical(data)
    transp = {str(ev["UID"]): str(ev["TRANSP"]) for ev in cal.walk("VEVENT")}
    read = with_icalendar(data)
    cytology = [e for e in checks(plan) if e.course == "mon-csf-cytology"]
    assert cytology
    for event in cytology:
        session = ics.taken_at(plan, event)
        assert session is not None and session.kind == "it-dose" and session.uid in event.guards
        r, s = read[uid(event, "patient")], read[uid(session, "patient")]
        assert (r.start, r.end) == (s.start, s.end)
        assert transp[uid(event, "patient")] == "TRANSPARENT"
        assert "during your treatment visit" in r.description
    assert all(transp[uid(e, "patient")] == "OPAQUE" for e in checks(plan) if e.course != "mon-csf-cytology")


def test_patient_calendar_uses_the_patients_words_and_no_identity(plan: Plan) -> None:
    data = render_ics(plan, "patient")
    text = unfold(data)
    for secret in (PATIENT_ID, PATIENT_NAME, "Aisha", "000456", "1971"):
        assert secret not in text
    read = with_icalendar(data)
    for event in checks(plan):
        r = read[uid(event, "patient")]
        assert r.summary == event_title(event) == event.patient_text
        # no staff detail: the guard label, the sample volume, sources, the interval's evidence
        for staff_only in ("IT dose", "mL", "(S2", "convention", "Guards", "111In"):
            assert staff_only not in r.description, (staff_only, r.description)
        if event.where == "external":
            assert "not at the clinic" in r.description
    blood = next(e for e in checks(plan) if e.course == "mon-blood-count-it")
    assert read[uid(blood, "patient")].summary == "Blood test before your treatment"


def test_patient_calendar_explains_why_a_check_is_tentative(plan: Plan) -> None:
    read = with_icalendar(render_ics(plan, "patient"))
    tentative = [e for e in checks(plan) if e.status == "tentative"]
    assert tentative
    for event in tentative:
        description = read[uid(event, "patient")].description
        assert "Tentative, like the treatment it goes with" in description
        assert "flows freely" in description  # the IT doses wait for the CSF flow study
    first_it = next(e for e in plan.events if e.kind == "it-dose")
    assert "Tentative: until a scan shows that the fluid" in read[uid(first_it, "patient")].description


def test_staff_calendar_has_the_name_detail_guard_and_evidence(plan: Plan) -> None:
    read = with_icalendar(render_ics(plan, "staff"))
    by_uid = {e.uid: e for e in plan.events}
    for event in checks(plan):
        r = read[uid(event, "staff")]
        assert r.summary == f"{PATIENT_NAME} ({PATIENT_ID}): {event_name(event)}"
        assert event.guard_label and event.guard_label in r.summary
        assert f"Check: {event_name(event)}" in r.description
        assert f"Patient: {PATIENT_NAME}, {PATIENT_ID}" in r.description
        if event.detail:
            assert f"Detail: {event.detail}." in r.description
        for guarded in event.guards:
            assert f"Guards: {event_name(by_uid[guarded])} on {by_uid[guarded].date}" in r.description
        assert event.evidence == "convention"
        assert "Interval: local convention" in r.description
        assert "Note: interval:" not in r.description  # said once, as the Interval line
    cytology = next(e for e in checks(plan) if e.course == "mon-csf-cytology")
    assert "at least 5 mL, ideally more than 10 mL" in read[uid(cytology, "staff")].description
    first_it = next(e for e in plan.events if e.kind == "it-dose")
    assert (
        "tentative until a CSF flow study shows normal flow (S24, S25)"
        in read[uid(first_it, "staff")].description
    )


def _evening_before(event: Event) -> str:
    moment = dt.datetime.combine(event.date - dt.timedelta(days=1), dt.time(18), tzinfo=NEW_YORK)
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


@pytest.mark.parametrize("audience", AUDIENCES)
def test_every_check_has_reminders(plan: Plan, audience: str) -> None:
    read = with_icalendar(render_ics(plan, audience))
    for event in checks(plan):
        triggers = read[uid(event, audience)].alarm_triggers
        if ics.taken_at(plan, event) is not None:  # the IT session reminds of the hour
            assert triggers == (_evening_before(event),)
        else:
            assert triggers == (_evening_before(event), "-7200s")


def test_an_external_check_is_reminded_the_day_before_whatever_the_specs(plan: Plan) -> None:
    only_hour = (ics.parse_alarm("2h"),)
    read = with_icalendar(render_ics(plan, "patient", only_hour))
    for event in checks(plan):
        triggers = read[uid(event, "patient")].alarm_triggers
        if event.where == "external":
            assert triggers == (_evening_before(event), "-7200s")
        elif ics.taken_at(plan, event) is not None:
            assert triggers == ()
        else:
            assert triggers == ("-7200s",)
    # two days before is early enough: no extra reminder
    two_days = (ics.parse_alarm("2d@19:30"),)
    read = with_icalendar(render_ics(plan, "patient", two_days))
    mri = next(e for e in checks(plan) if e.course == "mon-mri-neuraxis")
    assert len(read[uid(mri, "patient")].alarm_triggers) == 1
    # no reminders asked for: none
    assert b"BEGIN:VALARM" not in render_ics(plan, "patient", ())


def test_a_cancelled_check_has_no_reminder_and_says_so(registry: Registry, plan: Plan) -> None:
    stopped = reschedule(
        plan,
        Stop(dt.date(2027, 3, 1), None, reason="Progression RCC-000456"),
        registry,
        build_calendar(plan.inputs.clinic),
        NOW_DT,
    )
    cancelled = [e for e in checks(stopped) if e.status == "cancelled"]
    assert cancelled
    for audience in AUDIENCES:
        data = render_ics(stopped, audience)
        read = read_all(stopped, data, audience)
        for event in cancelled:
            r = read[uid(event, audience)]
            assert r.status == "CANCELLED" and r.alarm_triggers == ()
            assert r.sequence == event.sequence >= 1
            assert r.summary.startswith("Cancelled: ") or ": Cancelled: " in r.summary
            assert "Cancelled: this test will not take place." in r.description
        if audience == "patient":
            assert "RCC-000456" not in unfold(data)  # not even from the revision's reason


def test_each_check_alone_for_caldav_is_the_same_vevent(plan: Plan) -> None:
    whole = with_icalendar(render_ics(plan, "patient"))
    resources = {u: cal for u, _, cal in ics.event_calendars(plan, "patient", key=demo_key())}
    for event in checks(plan):
        alone = with_icalendar(resources[uid(event, "patient")].to_ical())
        assert alone == {uid(event, "patient"): whole[uid(event, "patient")]}


# --- FHIR ------------------------------------------------------------------------------------------


def read_bundle(data: bytes) -> dict[str, Any]:
    Bundle.model_validate_json(data)
    return json.loads(data)  # type: ignore[no-any-return]


def test_each_check_is_a_service_request_in_the_care_plan(plan: Plan) -> None:
    doc = read_bundle(fhir.render(plan))
    entries = {e["fullUrl"]: e["resource"] for e in doc["entry"]}
    care_plan = next(r for r in entries.values() if r["resourceType"] == "CarePlan")
    activities = [a["reference"]["reference"] for a in care_plan["activity"]]
    by_event: dict[str, tuple[str, dict[str, Any]]] = {}
    for url, r in entries.items():
        for ident in r.get("identifier", []):
            if ident["system"] == fhir.EVENT_SYSTEM:
                by_event[ident["value"]] = (url, r)
    service = [r for r in entries.values() if r["resourceType"] == "ServiceRequest"]
    assert len(service) == len(checks(plan))  # no RT course in this plan
    patient_url = next(u for u, r in entries.items() if r["resourceType"] == "Patient")
    for event in checks(plan):
        url, r = by_event[event.uid]
        assert r["resourceType"] == "ServiceRequest"
        assert url in activities
        assert (
            r["status"] == {"confirmed": "active", "tentative": "draft", "cancelled": "revoked"}[event.status]
        )
        assert r["intent"] == "plan"
        assert r["code"] == {"text": event.check}
        assert r["category"][0]["text"]
        assert r["subject"] == {"reference": patient_url}
        if event.duration_min:
            assert r["occurrencePeriod"]["start"] == local(event).isoformat()
            end = local(event) + dt.timedelta(minutes=event.duration_min)
            assert r["occurrencePeriod"]["end"] == end.isoformat()
        else:
            assert r["occurrenceDateTime"] == local(event).isoformat()
        # the guarded events' requests, each in the Bundle
        guarded = [by_event[g] for g in event.guards]
        assert [s["reference"] for s in r["supportingInfo"]] == [u for u, _ in guarded]
        assert all(entries[u]["resourceType"] == "MedicationRequest" for u, _ in guarded)
        notes = [n["text"] for n in r["note"]]
        assert f"Check: {event_name(event)}" in notes
        assert any(n.startswith("Interval: local convention") for n in notes)
        if event.detail:
            assert f"Detail: {event.detail}" in notes
        assert notes[-1] == fhir.DISCLAIMER
        assert r["locationCode"][0]["text"].startswith(event.where or "")
    # ids are name-based: the same plan gives the same bytes, the check's URL is from its UID
    assert fhir.render(plan) == fhir.render(plan)
    assert PATIENT_ID not in json.dumps(
        [e for e in doc["entry"] if e["resource"]["resourceType"] != "Patient"]
    )


def test_cancelled_checks_are_revoked_requests(registry: Registry, plan: Plan) -> None:
    stopped = reschedule(
        plan,
        Stop(dt.date(2027, 3, 1), None, reason="Progression"),
        registry,
        build_calendar(plan.inputs.clinic),
        NOW_DT,
    )
    doc = read_bundle(fhir.render(stopped))
    status = {
        r["identifier"][0]["value"]: r["status"]
        for r in (e["resource"] for e in doc["entry"])
        if r["resourceType"] == "ServiceRequest"
    }
    for event in checks(stopped):
        assert status[event.uid] == (
            "revoked" if event.status == "cancelled" else "active" if event.status == "confirmed" else "draft"
        )
    assert "revoked" in status.values()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=plan_fields())
def test_varied_plans_with_checks_validate_and_read_back(
    registry: Registry, fields: dict[str, object]
) -> None:
    """For any plan the exporters lay out (any start, route, RT, systemic course, CSF flow): every
    check is a ServiceRequest in a valid Bundle and a VEVENT that both readers read the same, at
    its local time, ending after it starts."""
    plan = make_plan(registry, **fields)
    doc = read_bundle(fhir.render(plan))
    requests = [e["resource"] for e in doc["entry"] if e["resource"]["resourceType"] == "ServiceRequest"]
    assert len(requests) == len(checks(plan)) + (1 if fields.get("rt") else 0)
    data = render_ics(plan, "staff")
    by_icalendar, by_vobject = with_icalendar(data), with_vobject(data)
    assert by_icalendar == by_vobject
    for event in checks(plan):
        r = by_icalendar[uid(event, "staff")]
        assert r.start == local(event) and r.end > r.start


# --- CSV -------------------------------------------------------------------------------------------


def csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def test_csv_has_check_rows_and_columns(plan: Plan) -> None:
    data = csv_export.render(plan)
    header = data.decode().splitlines()[0].split(",")
    assert header == [*csv_export.COLUMNS, *csv_export.SYSTEMIC_COLUMNS, *csv_export.CHECK_COLUMNS]
    assert csv_export.CHECK_COLUMNS == ("check", "check_kind", "where", "guard_label", "detail")
    rows = csv_rows(data)
    assert len(rows) == len(plan.events)
    for row, event in zip(rows, plan.events, strict=True):
        assert row["uid"] == event.uid and row["kind"] == event.kind
        if event.kind == "check":
            assert (row["check"], row["check_kind"], row["where"]) == (
                event.check,
                event.check_kind,
                event.where,
            )
            assert row["guard_label"] == event.guard_label
            assert row["detail"] == (event.detail or "")
            assert row["dose_mg"] == row["drug"] == ""
            assert row["notes"].startswith(f"check {event.number} of {event.of}")
            assert "interval: local convention" in row["notes"]
        else:
            assert row["check"] == row["guard_label"] == row["detail"] == ""


def test_csv_neutralises_formulas_in_check_text(plan: Plan) -> None:
    """A hand-edited plan (--accept-edited) may carry anything in a check's text."""
    target = checks(plan)[0]
    hostile = target.model_copy(
        update={"check": '=HYPERLINK("x")', "guard_label": "+1", "detail": "@SUM(A1)", "where": "external"}
    )
    edited = plan.model_copy(
        update={"events": tuple(hostile if e.uid == target.uid else e for e in plan.events)}
    )
    row = next(r for r in csv_rows(csv_export.render(edited)) if r["uid"] == target.uid)
    assert (row["check"], row["guard_label"], row["detail"]) == ('\'=HYPERLINK("x")', "'+1", "'@SUM(A1)")


# --- diff (through the CLI) ------------------------------------------------------------------------


@pytest.fixture
def saved(run, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    path = tmp_path / "plan.json"
    result = run(
        "plan",
        *("--start", "2027-01-11", "--age", "45", "--route", "ommaya", "--csf-flow", "normal"),
        *("--now", NOW, "--json", str(path), "-q"),
    )
    assert result.code == 0, result.err
    return path


LATER = "2026-12-07T10:00:00-05:00"


def revise_and_diff(run, saved: Path, tmp_path: Path, *change: str):  # type: ignore[no-untyped-def]
    """The saved plan revised by `change` (reschedule options), and `lmsched diff` of the two."""
    out = tmp_path / "r1.json"
    result = run("reschedule", str(saved), *change, "--now", LATER, "--json", str(out))
    assert result.code == 0, result.err
    result = run("diff", str(saved), str(out))
    assert result.code == 1, result.err
    return out, result


def test_diff_shows_a_moved_check_after_a_delay(run, saved: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out, result = revise_and_diff(
        run, saved, tmp_path, "--delay", "2027-01-14", "--days", "3", "--reason", "Platelets 40"
    )
    lines = result.out.splitlines()
    assert (
        "  2027-01-19  moved         Blood count before IT dose 2 of 18  2027-01-14 08:45 -> 2027-01-19 08:45"
        in lines
    )
    assert (
        "  2027-01-19  moved         IT methotrexate 15 mg, dose 2 of 18 (induction)  2027-01-14 09:00 -> 2027-01-19 09:00"
        in lines
    )
    # the first IT dose of March is now dose 11: its cytology moved with it and says what it was
    revised = plan_from_json(out.read_bytes())
    march = next(e for e in checks(revised) if e.course == "mon-csf-cytology" and e.date.month == 3)
    assert march.guard_label == "at IT dose 11 of 18 (the first in March 2027)"
    assert any(
        line.startswith(
            "  2027-03-01  moved         CSF cytology at IT dose 11 of 18 (the first in March 2027)  "
        )
        for line in lines
    )
    assert (
        "  2027-03-01  changed       CSF cytology at IT dose 11 of 18 (the first in March 2027)  "
        "was at IT dose 12 of 18 (the first in March 2027)"
    ) in lines
    assert "None" not in result.out


def test_diff_shows_cancelled_checks_after_a_stop(run, saved: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out, result = revise_and_diff(
        run, saved, tmp_path, "--stop-from", "2027-03-01", "--reason", "Progression on MRI"
    )
    lines = result.out.splitlines()
    cancelled = [line for line in lines if "  cancelled  " in line]
    assert any("Blood count before IT dose" in line for line in cancelled)
    assert any("MRI brain and whole spine every 8 weeks" in line for line in cancelled)
    assert any("CSF cytology at IT dose" in line for line in cancelled)
    old, new = plan_from_json(saved.read_bytes()), plan_from_json(out.read_bytes())
    gone = [e for e in checks(new) if e.status == "cancelled"]
    assert gone
    names = {d.uid: (d.kind, d.name) for d in diff_plans(old, new)}
    before = {e.uid: e for e in old.events}
    for event in gone:
        assert names[event.uid] == ("cancelled", event_name(before[event.uid]))


def test_diff_of_an_added_check(registry: Registry, plan: Plan) -> None:
    """A check that a revision adds (not in the old plan) is listed as added, by its name."""
    check = checks(plan)[0]
    older = plan.model_copy(update={"events": tuple(e for e in plan.events if e.uid != check.uid)})
    (found,) = diff_plans(older, plan)
    assert (found.kind, found.name) == ("added", event_name(check))
    assert found.line().endswith(f"on {check.date} {check.time}")


# --- reconcile -------------------------------------------------------------------------------------


def test_checks_are_not_doses_to_reconcile(plan: Plan) -> None:
    """A given-doses file is set against the clinic doses only: a check is never 'missed', never
    matched, and its (absent) mg counts in no total."""
    doses = [e for e in plan.events if e.kind == "it-dose"][:3]
    given = "date,drug,dose_mg,route\n" + "".join(
        f"{e.date},methotrexate,{e.dose_mg:g},ommaya\n" for e in doses
    )
    report = reconcile(plan, parse_given(given.encode()), as_of=dt.date(2027, 12, 31))
    assert all(row.planned is None or row.planned.kind != "check" for row in report.rows)
    rows_for = {row.planned.uid for row in report.rows if row.planned is not None}
    assert not rows_for & {e.uid for e in checks(plan)}
    assert {row.outcome for row in report.rows if row.planned in doses} == {"given"}
    assert {t.drug for t in report.totals} == {"methotrexate", "trastuzumab deruxtecan"}


def test_reconcile_cli_with_a_plan_that_has_checks(run, tmp_path: Path, plan: Plan) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "plan.json"
    path.write_bytes(plan_to_json(plan))
    first = next(e for e in plan.events if e.kind == "it-dose")
    given = tmp_path / "given.csv"
    given.write_text(f"date,drug,dose_mg,route\n{first.date},methotrexate,{first.dose_mg:g},ommaya\n")
    result = run("reconcile", str(path), str(given), "--as-of", str(first.date))
    # one discrepancy: T-DXd cycle 1 (2027-01-05) is missed; no check is a row
    assert result.code == 1, result.err
    assert result.out.count(" missed") == 1 and "1 discrepancy" in result.out
    doses = [e for e in plan.events if e.kind in ("it-dose", "infusion")]
    rows = [line for line in result.out.splitlines() if line.endswith((" due", " given", " missed"))]
    assert len(rows) == len(doses)  # one row per planned dose, none per check
    for word in ("Blood count", "cytology", "MRI", "Echocardiogram", "lab", "imaging"):
        assert word not in result.out
