"""The saved plan's later life: export, reschedule (delay, hold, stop), diff, and the CalDAV round trip."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path
from typing import Any

import icalendar
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.calendar import build_calendar
from scheduler.diff import diff_plans
from scheduler.plan import Plan, fingerprint, plan_from_json, plan_to_json
from scheduler.planfile import load_plan
from scheduler.reschedule import Delay, Hold, Stop, reschedule

from ..conftest import EXAMPLES, NOW, NOW_DT, checked, demo_key, make_plan
from ..radicale_server import RadicaleServer as Radicale
from .test_publish import publish, server_events

ADULT = str(EXAMPLES / "patient-adult.toml")
CHILD = str(EXAMPLES / "patient-child.toml")
LATER = "2026-12-07T10:00:00-05:00"


@pytest.fixture
def saved(run, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    """The adult example plan as `lmsched plan` saves it."""
    path = tmp_path / "plan.json"
    result = run("plan", ADULT, "--now", NOW, "--json", str(path), "-q")
    assert result.code == 0, result.err
    return path


def events(path: Path) -> dict[str, dict[str, Any]]:
    return {e["uid"]: e for e in json.loads(path.read_text())["events"]}


def patient_uids(path: Path) -> dict[str, str]:
    """The saved plan's UIDs -> its events' UIDs in a patient calendar (keyed with the demo site
    key, which the tests' LMSCHED_SITE_KEY_FILE names)."""
    from scheduler.export.ics import ics_uid

    return {e.uid: ics_uid(e, "patient", demo_key()) for e in plan_from_json(path.read_bytes()).events}


def it_doses(path: Path) -> list[dict[str, Any]]:
    return [e for e in json.loads(path.read_text())["events"] if e["kind"] == "it-dose"]


def one_error_line(result: Any, *words: str) -> None:
    assert result.code == 2, (result.out, result.err)
    assert result.err.count("\n") == 1 and result.err.startswith("lmsched: error: ")
    assert "Traceback" not in result.err
    for word in words:
        assert word in result.err


# --- export --------------------------------------------------------------------------------------


def test_export_writes_the_same_bytes_as_plan(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    direct = {name: tmp_path / f"direct.{name}" for name in ("json", "csv", "ics")}
    args = [f"--{name}" for name in direct]
    paths = [str(p) for p in direct.values()]
    result = run(
        "plan", ADULT, "--now", NOW, "-q", *[x for pair in zip(args, paths, strict=True) for x in pair]
    )
    assert result.code == 0, result.err
    again = {name: tmp_path / f"export.{name}" for name in ("json", "csv", "ics")}
    result = run(
        "export",
        str(direct["json"]),
        "--json",
        str(again["json"]),
        "--csv",
        str(again["csv"]),
        "--ics",
        str(again["ics"]),
    )
    assert result.code == 0, result.err
    for name in direct:
        assert again[name].read_bytes() == direct[name].read_bytes(), name


def test_export_writes_pdfs_and_staff_calendars(run, saved: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from pypdf import PdfReader

    pdf, ics = tmp_path / "staff.pdf", tmp_path / "staff.ics"
    result = run("export", str(saved), "--audience", "staff", "--pdf", str(pdf), "--ics", str(ics))
    assert result.code == 0, result.err
    assert "RCC-000123" in PdfReader(pdf).pages[0].extract_text()
    assert "-staff@lmsched" in ics.read_text()


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"{not json", ["PLAN:", "is not valid JSON (line 1"]),
        (b"\xff\xfe", ["PLAN:", "not valid JSON"]),
        (b"[1, 2]", ["PLAN:", "not an lmsched plan document"]),
        (b'{"schema_version": 99, "events": []}', ["schema_version:", "version 99", "valid: 1"]),
        (b'{"schema_version": 1, "events": []}', ["PLAN:", "not a valid lmsched plan document"]),
    ],
)
def test_export_refuses_what_is_not_a_plan(run, tmp_path: Path, content: bytes, words: list[str]) -> None:  # type: ignore[no-untyped-def]
    bad, out = tmp_path / "bad.json", tmp_path / "out.ics"
    bad.write_bytes(content)
    one_error_line(run("export", str(bad), "--ics", str(out)), *words)
    assert not out.exists()


def test_export_bad_input(run, saved: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    one_error_line(run("export", str(saved)), "output:", "--fhir")
    one_error_line(run("export", str(saved), "--json", str(saved)), "is an input file")
    one_error_line(
        run("export", str(tmp_path / "nope.json"), "--csv", str(tmp_path / "x.csv")), "does not exist"
    )
    one_error_line(run("export", str(saved), "--ics", str(tmp_path / "x.ics"), "--alarm", "soon"), "alarm")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json"]


def edit(path: Path, change: Any) -> None:
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc, indent=2))


def test_an_edited_plan_is_refused_then_accepted_and_marked(run, saved: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    edit(saved, lambda doc: doc["events"][-1].update(time="10:30"))
    ics, csv, out = tmp_path / "e.ics", tmp_path / "e.csv", tmp_path / "e.json"
    refused = run("export", str(saved), "--ics", str(ics))
    one_error_line(refused, "fingerprint mismatch", "--accept-edited")
    assert not ics.exists()
    result = run(
        "export", str(saved), "--accept-edited", "--ics", str(ics), "--csv", str(csv), "--json", str(out)
    )
    assert result.code == 0, result.err
    assert "edited by hand" in result.err
    text = icalendar.Calendar.from_ical(ics.read_bytes())
    descriptions = [str(v["DESCRIPTION"]) for v in text.walk("VEVENT")]
    assert all(d.startswith("This calendar was changed by hand") for d in descriptions)
    rows = csv.read_text().splitlines()[1:]
    assert rows and all("EDITED by hand" in row for row in rows)
    doc = json.loads(out.read_text())
    assert doc["edited"].startswith("recorded sha256:") and "EDITED" in doc["notes"][-1]
    assert load_plan(out).edited  # the written plan is consistent, and still says it was edited
    from pypdf import PdfReader

    patient_pdf, staff_pdf = tmp_path / "p.pdf", tmp_path / "s.pdf"
    result = run(
        "export", str(saved), "--accept-edited", "--pdf", str(patient_pdf), "--staff-pdf", str(staff_pdf)
    )
    assert result.code == 0, result.err
    assert "changed by hand" in PdfReader(patient_pdf).pages[0].extract_text()
    staff_text = " ".join(page.extract_text() for page in PdfReader(staff_pdf).pages)
    assert "EDITED: this plan was changed by hand" in " ".join(staff_text.split())


def test_an_edit_that_breaks_a_safety_rule_is_caught(run, saved: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    def overdose(doc: dict[str, Any]) -> None:
        first = next(e for e in doc["events"] if e["kind"] == "it-dose")
        first["dose_mg"] = 20

    edit(saved, overdose)
    out = tmp_path / "x.ics"
    result = run("export", str(saved), "--accept-edited", "--ics", str(out))
    assert result.code == 3
    assert "blocked by dose-above-age-band" in result.err and "nothing was written" in result.err
    assert not out.exists()


def test_fhir_needs_the_optional_package(tmp_path: Path, saved: Path) -> None:
    """Without fhir.resources (hidden from the import system), --fhir says how to install it."""
    import subprocess
    import sys

    out = tmp_path / "bundle.json"
    code = (
        "import sys; sys.modules['fhir'] = None\n"
        "from scheduler.cli import main\n"
        f"sys.exit(main(['export', {str(saved)!r}, '--fhir', {str(out)!r}]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert "pip install 'lmsched[fhir]'" in proc.stderr and proc.stderr.count("\n") == 1
    assert not out.exists()


def test_fhir_from_plan_export_and_reschedule(run, saved: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from fhir.resources.R4B.bundle import Bundle

    bundle = tmp_path / "b.json"
    assert run("export", str(saved), "--fhir", str(bundle)).code == 0
    parsed = Bundle.model_validate_json(bundle.read_bytes())
    kinds = [entry.resource.get_resource_type() for entry in parsed.entry]
    assert kinds.count("MedicationRequest") >= len(it_doses(saved))
    revised = tmp_path / "b2.json"
    result = stop_from_march(run, saved, "--fhir", str(revised))
    assert result.code == 0, result.err
    statuses = [
        entry.resource.status
        for entry in Bundle.model_validate_json(revised.read_bytes()).entry
        if entry.resource.get_resource_type() == "MedicationRequest"
    ]
    assert "cancelled" in statuses


# --- reschedule: delay ---------------------------------------------------------------------------


def reschedule_cli(run, plan: Path, out: Path, *args: str) -> Any:  # type: ignore[no-untyped-def]
    return run("reschedule", str(plan), *args, "--now", LATER, "--json", str(out))


def stop_from_march(run, plan: Path, *outputs: str) -> Any:  # type: ignore[no-untyped-def]
    """Progression: `reschedule --stop-from 2027-03-01` with the given output options."""
    reason = "Progression on MRI 2027-02-20"
    return run(
        "reschedule", str(plan), "--stop-from", "2027-03-01", "--reason", reason, "--now", LATER, *outputs
    )


def test_delay_moves_the_dose_and_every_later_one_of_its_course(run, saved: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "r1.json"
    doses = it_doses(saved)
    target = doses[4]  # induction dose 5
    result = reschedule_cli(
        run, saved, out, "--delay", target["date"], "--days", "3", "--reason", "Platelets 40 today"
    )
    assert result.code == 0, result.err
    before, after = events(saved), events(out)
    assert set(before) == set(after)  # UIDs are kept
    day = dt.date.fromisoformat(target["date"])
    moved = [
        u for u, e in before.items() if e["course"] == "it-mtx-intensive" and e["date"] >= target["date"]
    ]
    assert len(moved) == len(doses) - 4
    for uid, e in before.items():
        if uid in moved:
            assert dt.date.fromisoformat(after[uid]["date"]) >= dt.date.fromisoformat(
                e["date"]
            ) + dt.timedelta(3)
            assert after[uid]["sequence"] == e["sequence"] + 1
            assert after[uid]["shifted_from"] == e["date"]
            assert f"{e['date']} -> {after[uid]['date']}" in result.out
        elif e["kind"] == "check":  # a check follows the doses it guards
            if after[uid]["date"] != e["date"]:  # moved with its dose (or a month's first dose changed)
                assert after[uid]["sequence"] == e["sequence"] + 1
        else:
            assert after[uid] == e  # nothing else changes, not even its SEQUENCE
    assert after[target["uid"]]["date"] == str(day + dt.timedelta(3))  # 2026-12-29 + 3: an open Friday
    assert "Platelets 40 today" in after[target["uid"]]["shift_reason"]
    doc = json.loads(out.read_text())
    parent = json.loads(saved.read_text())
    assert doc["revision"] == 1 and doc["parent"] == parent["fingerprint"]
    [change] = doc["changes"]
    assert change["action"] == "delay" and change["reason"] == "Platelets 40 today"
    changed = {uid for uid, e in before.items() if after[uid] != e}  # the doses and their checks
    assert change["parent"] == parent["fingerprint"] and {m["uid"] for m in change["moves"]} == changed
    assert set(moved) <= changed
    assert load_plan(out).fingerprint == doc["fingerprint"]


def test_delay_keeps_the_phase_spacing_and_skips_closures(registry) -> None:  # type: ignore[no-untyped-def]
    """Induction is Tue/Fri with at least 3 days between doses. Friday's dose delayed by a day
    lands on Saturday, so Monday; Tuesday's + 1 (Wednesday) would come 2 days after it, so
    Thursday; a closure on a new day moves the dose on to the next open day, and says why."""
    plan = make_plan(registry, start="2026-12-01", rt=None, memantine=False)
    calendar = build_calendar(plan.inputs.clinic)
    revised = reschedule(plan, Delay(dt.date(2026, 12, 4), 1), registry, calendar, NOW_DT)
    its = [e for e in revised.events if e.kind == "it-dose"]
    assert [str(e.date) for e in its[:4]] == ["2026-12-01", "2026-12-07", "2026-12-10", "2026-12-14"]
    assert "closed 2026-12-05: Saturday" in (its[1].shift_reason or "")
    assert "kept 3 days after the previous dose (2026-12-07)" in (its[2].shift_reason or "")

    snowy = make_plan(
        registry, start="2026-12-01", clinic={"closed": [{"date": "2026-12-03", "reason": "Snow day"}]}
    )
    calendar = build_calendar(snowy.inputs.clinic)
    revised = reschedule(snowy, Delay(dt.date(2026, 12, 1), 2), registry, calendar, NOW_DT)
    first = next(e for e in revised.events if e.kind == "it-dose")
    assert first.date == dt.date(2026, 12, 4) and "closed 2026-12-03: Snow day" in (first.shift_reason or "")


def test_delay_needs_an_event_on_the_day_and_one_course(run, saved: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "r.json"
    one_error_line(
        reschedule_cli(run, saved, out, "--delay", "2026-12-13", "--days", "2"),
        "delay:",
        "nothing is planned on 2026-12-13",
        "nearest",
    )
    both = tmp_path / "both.json"  # IT and WBRT from the same day: two clinic courses on 2026-12-01
    args = ["--start", "2026-12-01", "--age", "45", "--route", "ommaya", "--rt", "wbrt-30gy-10fx"]
    assert run("plan", *args, "--rt-start", "2026-12-01", "--now", NOW, "-q", "--json", str(both)).code == 0
    one_error_line(
        reschedule_cli(run, both, out, "--delay", "2026-12-01", "--days", "2"),
        "course:",
        "--course",
        "valid: it-mtx-intensive, wbrt-30gy-10fx",
    )
    assert not out.exists()
    result = reschedule_cli(
        run, both, out, "--delay", "2026-12-01", "--days", "2", "--course", "wbrt-30gy-10fx"
    )
    assert result.code == 0, result.err
    changed = {e["course"] for uid, e in events(out).items() if e != events(both)[uid]}
    assert changed == {"wbrt-30gy-10fx", "memantine-wbrt"}  # the tablets start with the first fraction
    tablets = [e for e in events(out).values() if e["kind"] == "medication"]
    assert min(e["date"] for e in tablets) == "2026-12-03"
    # A day with a clinic visit and a tablet step: the visit is what moves.
    result = reschedule_cli(run, saved, out, "--delay", "2026-12-14", "--days", "1")
    assert result.code == 0 and "delay it-mtx-intensive from 2026-12-14" in result.out


def test_a_birthday_between_the_old_and_new_day_changes_the_dose(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Sam turns 3 on 2027-01-08: a dose moved across the birthday takes the 3-year band (12 mg)."""
    plan, out = tmp_path / "child.json", tmp_path / "child-r1.json"
    assert run("plan", CHILD, "--now", NOW, "--json", str(plan), "-q").code == 0
    before = [e for e in it_doses(plan) if e["date"] < "2027-01-08"][-1]
    assert before["dose_mg"] == 10
    result = reschedule_cli(run, plan, out, "--delay", before["date"], "--days", "7")
    assert result.code == 0, result.err
    after = events(out)[before["uid"]]
    assert after["date"] >= "2027-01-08" and after["dose_mg"] == 12 and after["max_mg"] == 12
    assert "(dose 10 -> 12 mg)" in result.out
    diff = run("diff", str(plan), str(out))
    assert diff.code == 1 and "dose-changed" in diff.out and "10 -> 12 mg" in diff.out


# --- reschedule: hold and stop -------------------------------------------------------------------


def test_hold_leaves_nothing_in_between_and_resumes_on_the_first_open_day(
    run, saved: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "held.json"
    # Resume on Christmas Day: the clinic is closed on the 25th, a Friday, so the first open day is Mon 28th.
    result = reschedule_cli(
        run, saved, out, "--hold-from", "2026-12-17", "--resume", "2026-12-25", "--reason", "Low platelets"
    )
    assert result.code == 0, result.err
    after = sorted(
        (e for e in events(out).values() if e["kind"] in ("it-dose", "rt-fraction")), key=lambda e: e["date"]
    )
    assert not [e for e in after if "2026-12-17" <= e["date"] < "2026-12-28"]
    first = next(e for e in it_doses(out) if e["shifted_from"] == "2026-12-17")
    assert first["date"] == "2026-12-28"
    doses = it_doses(out)
    assert all(doses[i + 1]["date"] > doses[i]["date"] for i in range(len(doses) - 1))
    meds = [e for e in events(saved).values() if e["kind"] == "medication"]
    assert all(events(out)[m["uid"]] == m for m in meds)  # home tablets go on


def test_stop_cancels_later_clinic_events_and_keeps_them(run, saved: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out, ics = tmp_path / "stopped.json", tmp_path / "stopped.ics"
    result = stop_from_march(run, saved, "--json", str(out), "--ics", str(ics))
    assert result.code == 0, result.err
    before, after = events(saved), events(out)
    assert set(before) == set(after)  # cancelled, not deleted
    cancelled = {u for u, e in after.items() if e["status"] == "cancelled"}
    doses = {u for u, e in before.items() if e["kind"] == "it-dose" and e["date"] >= "2027-03-01"}
    assert {u for u in cancelled if before[u]["kind"] != "check"} == doses
    checks = {u for u in cancelled if before[u]["kind"] == "check"}  # the checks of those doses go too
    assert checks and all(set(before[u]["guards"]) & doses for u in checks)
    assert all(after[u]["sequence"] == 1 for u in cancelled)
    assert result.out.count("-> cancelled") == len(cancelled)
    calendar = icalendar.Calendar.from_ical(ics.read_bytes())
    keyed = patient_uids(out)
    for vevent in calendar.walk("VEVENT"):
        if str(vevent["UID"]) in {keyed[u] for u in cancelled}:
            assert vevent["STATUS"] == "CANCELLED" and int(vevent["SEQUENCE"]) == 1
            assert not vevent.walk("VALARM") and str(vevent["SUMMARY"]).startswith("Cancelled:")
        else:
            assert vevent["STATUS"] != "CANCELLED"


def test_stop_a_named_tablet_course_shortens_the_running_step(registry) -> None:  # type: ignore[no-untyped-def]
    plan = make_plan(registry, rt="wbrt-30gy-10fx", rt_start="2026-11-30")
    course = next(e.course for e in plan.events if e.kind == "medication")
    step = next(e for e in plan.events if e.kind == "medication" and e.repeat_days > 10)
    stop_day = step.date + dt.timedelta(4)
    revised = reschedule(
        plan,
        Stop(stop_day, course, reason="Progression on MRI"),
        registry,
        build_calendar(plan.inputs.clinic),
        NOW_DT,
    )
    after = {e.uid: e for e in revised.events}
    assert after[step.uid].repeat_days == 4 and after[step.uid].status != "cancelled"
    assert all(e.status == "cancelled" for e in revised.events if e.course == course and e.date >= stop_day)
    assert all(after[e.uid] == e for e in plan.events if e.course != course)


def test_the_patient_calendar_leaves_cancelled_visits_out(run, saved: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from pypdf import PdfReader

    full, stopped = tmp_path / "full.pdf", tmp_path / "stopped.pdf"
    assert run("export", str(saved), "--pdf", str(full)).code == 0
    result = stop_from_march(run, saved, "--pdf", str(stopped))
    assert result.code == 0, result.err
    pages = PdfReader(stopped).pages
    assert len(pages) < len(PdfReader(full).pages)  # no month pages for cancelled months
    assert "update 1 of your calendar" in pages[0].extract_text()


# --- reschedule: safety rules run again ----------------------------------------------------------


def test_a_delay_into_a_csi_course_is_caught(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """CSI between two monthly maintenance doses is overridden in the first plan; a delay that
    moves a dose into the CSI course is a new stop finding the old override does not lift."""
    plan, out = tmp_path / "csi.json", tmp_path / "csi-r1.json"
    base = ["--start", "2026-12-01", "--age", "45", "--route", "ommaya", "--now", NOW, "-q"]
    csi = ["--rt", "csi-proton-30gy-10fx", "--rt-start", "2027-02-01"]
    lift = [
        "--override",
        "csi-with-methotrexate",
        "--override-reason",
        "Tumour board: CSI between maintenance doses.",
    ]
    result = run("plan", *base, *csi, *lift, "--json", str(plan))
    assert result.code == 0, result.err
    doses = it_doses(plan)
    before_csi = [e for e in doses if e["date"] < "2027-02-01"][-1]
    days = (dt.date(2027, 2, 3) - dt.date.fromisoformat(before_csi["date"])).days
    blocked = reschedule_cli(run, plan, out, "--delay", before_csi["date"], "--days", str(days))
    assert blocked.code == 3, blocked.err
    assert "blocked by it-methotrexate-during-csi" in blocked.err and not out.exists()
    assert "it-methotrexate-during-csi" in blocked.out  # the findings are printed
    lifted = reschedule_cli(
        run,
        plan,
        out,
        "--delay",
        before_csi["date"],
        "--days",
        str(days),
        "--override",
        "it-methotrexate-during-csi",
        "--override-reason",
        "Discussed with radiation oncology today.",
        "--decided-by",
        "Dr Rivera",
    )
    assert lifted.code == 0, lifted.err
    doc = json.loads(out.read_text())
    overrides = {o["rule"]: o for o in doc["overrides"]}
    assert set(overrides) == {"csi-with-methotrexate", "it-methotrexate-during-csi"}
    assert overrides["csi-with-methotrexate"]["at"] == json.loads(plan.read_text())["overrides"][0]["at"]
    assert overrides["it-methotrexate-during-csi"]["by"] == "Dr Rivera"


def test_a_plan_checked_with_a_site_policy_needs_it_again(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    policy = tmp_path / "policy.toml"
    policy.write_text('name = "Riverside 2026"\n[severity]\nlumbar-route-continuing = "warn"\n')
    plan, out = tmp_path / "p.json", tmp_path / "r.json"
    base = ["--start", "2026-12-01", "--age", "45", "--route", "ommaya", "--now", NOW, "-q"]
    assert run("plan", *base, "--policy", str(policy), "--json", str(plan)).code == 0
    one_error_line(
        reschedule_cli(run, plan, out, "--delay", "2026-12-01", "--days", "1"), "policy:", "Riverside 2026"
    )
    assert not out.exists()
    assert (
        reschedule_cli(run, plan, out, "--delay", "2026-12-01", "--days", "1", "--policy", str(policy)).code
        == 0
    )


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ((), ["action:", "give exactly one change"]),
        (("--delay", "2026-12-15", "--stop-from", "2027-01-01"), ["action:", "--delay and --stop-from"]),
        (("--delay", "2026-12-15"), ["days:", "go together"]),
        (("--delay", "2026-12-15", "--days", "0"), ["days:", "1 to 366"]),
        (("--delay", "2026-13-01", "--days", "2"), ["delay:", "not a real calendar date"]),
        (("--hold-from", "2026-12-20"), ["resume:", "go together"]),
        (("--hold-from", "2026-12-20", "--resume", "2026-12-20"), ["resume:", "must be after"]),
        (("--hold-from", "2030-01-01", "--resume", "2030-02-01"), ["hold-from:", "nothing to hold"]),
        (("--stop-from", "2027-03-01"), ["reason:", "say why"]),
        (("--stop-from", "2030-03-01", "--reason", "Progression."), ["stop-from:", "nothing to stop"]),
        (("--stop-from", "2027-03-01", "--reason", "two\nlines"), ["reason:", "one line"]),
        (
            ("--delay", "2026-12-15", "--days", "2", "--course", "nope"),
            ["course:", "valid: it-mtx-intensive"],
        ),
        (
            ("--delay", "2026-12-15", "--days", "2", "--override", "csi-with-methotrexate"),
            ["override-reason:", "1 override(s), 0 reason(s)"],
        ),
        (("--delay", "2026-12-15", "--days", "x"), ["--days", "not a valid integer"]),
        (("--delay", "2026-12-15", "--days", "2", "--alarm", "soon"), ["alarm"]),
    ],
)
def test_reschedule_bad_input(
    run, saved: Path, tmp_path: Path, args: tuple[str, ...], words: list[str]
) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "r.json"
    one_error_line(reschedule_cli(run, saved, out, *args), *words)
    assert not out.exists()


def test_reschedule_is_deterministic_and_chains(run, saved: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a, b, c = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "c.json"
    for out in (a, b):
        assert reschedule_cli(run, saved, out, "--delay", "2026-12-14", "--days", "2").code == 0
    assert a.read_bytes() == b.read_bytes()
    assert reschedule_cli(run, a, c, "--stop-from", "2027-04-01", "--reason", "Progression on MRI.").code == 0
    doc = json.loads(c.read_text())
    assert doc["revision"] == 2 and [ch["revision"] for ch in doc["changes"]] == [1, 2]
    assert doc["parent"] == json.loads(a.read_text())["fingerprint"]
    moved_twice = [e for e in doc["events"] if e["sequence"] == 2]
    assert moved_twice and all(e["status"] == "cancelled" for e in moved_twice)


# --- properties ------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    start=st.dates(dt.date(2026, 1, 1), dt.date(2028, 12, 31)),
    index=st.integers(0, 17),
    days=st.integers(1, 40),
    closures=st.lists(st.integers(0, 200), max_size=6),
)
def test_delay_property(registry, start: dt.date, index: int, days: int, closures: list[int]) -> None:  # type: ignore[no-untyped-def]
    """Whatever the plan and delay: UIDs kept; the chosen dose and every later one of its course
    at least `days` later, on open days, with each phase's spacing; nothing else changes."""
    closed = [str(start + dt.timedelta(n)) for n in closures]
    plan = make_plan(registry, start=str(start), clinic={"closed": closed})
    calendar = build_calendar(plan.inputs.clinic)
    its = [e for e in plan.events if e.kind == "it-dose"]
    chosen = its[index % len(its)]
    revised = reschedule(plan, Delay(chosen.date, days), registry, calendar, NOW_DT)
    before = {e.uid: e for e in plan.events}
    after = {e.uid: e for e in revised.events}
    assert set(before) <= set(after) and revised.revision == 1 and revised.parent == plan.fingerprint
    assert all(after[u].kind == "check" for u in set(after) - set(before))  # a month's new first dose
    spacing = {p.name: p.min_days for p in registry.regimen("it-mtx-intensive").phases}
    new_its = sorted((after[e.uid] for e in its), key=lambda e: e.number)
    for previous, event in itertools.pairwise(new_its):
        gap = min(spacing[event.phase], spacing[previous.phase])
        assert (event.date - previous.date).days >= gap
    for uid, e in before.items():
        if e.kind == "it-dose" and e.date >= chosen.date:
            assert after[uid].date >= e.date + dt.timedelta(days)
            assert calendar.is_open(after[uid].date)
            assert after[uid].sequence == e.sequence + 1
        elif e.kind != "check":  # checks follow their doses: tests/core/test_monitoring.py
            assert after[uid] == e
    assert revised.fingerprint == fingerprint(revised)
    assert plan_from_json(plan_to_json(revised)) == revised


@settings(max_examples=30, deadline=None)
@given(
    start=st.dates(dt.date(2026, 1, 1), dt.date(2028, 12, 31)),
    hold_at=st.integers(0, 120),
    length=st.integers(1, 30),
)
def test_hold_property(start: dt.date, hold_at: int, length: int) -> None:
    from scheduler.templates import load_registry

    registry = load_registry()
    plan = make_plan(registry, start=str(start))
    calendar = build_calendar(plan.inputs.clinic)
    first, resume = start + dt.timedelta(hold_at), start + dt.timedelta(hold_at + length)
    if not any(first <= e.date < resume for e in plan.events if e.kind == "it-dose"):
        return
    revised = reschedule(plan, Hold(first, resume), registry, calendar, NOW_DT)
    its = [e for e in revised.events if e.kind == "it-dose"]
    before = {e.uid: e for e in plan.events}
    assert not [e for e in its if first <= e.date < resume]
    moved = [e for e in its if e.date != before[e.uid].date]
    assert min(e.date for e in moved) == calendar.next_open(resume)
    assert all(e.sequence == 1 for e in moved) and all(e == before[e.uid] for e in its if e not in moved)


# --- diff ------------------------------------------------------------------------------------------


def test_diff_of_a_plan_with_itself_is_empty(run, saved: Path) -> None:  # type: ignore[no-untyped-def]
    result = run("diff", str(saved), str(saved))
    assert result.code == 0 and "no differences" in result.out


def test_diff_lists_changes_in_date_order(registry) -> None:  # type: ignore[no-untyped-def]
    plan = checked(make_plan(registry, rt="wbrt-30gy-10fx", rt_start="2026-11-30"))
    calendar = build_calendar(plan.inputs.clinic)
    delayed = reschedule(plan, Delay(dt.date(2026, 12, 4), 4, "it-mtx-intensive"), registry, calendar, NOW_DT)
    stopped = reschedule(
        delayed, Stop(dt.date(2027, 3, 1), reason="Progression on MRI"), registry, calendar, NOW_DT
    )
    dropped = stopped.model_copy(update={"events": stopped.events[1:]})
    extra = stopped.events[0].model_copy(update={"uid": "new@lmsched"})
    changed: Plan = dropped.model_copy(update={"events": (*dropped.events, extra)})
    found = diff_plans(plan, changed)
    kinds = {d.kind for d in found}
    assert kinds == {"moved", "cancelled", "removed", "added", "changed"}  # changed: a check's guard
    assert [d.day for d in found] == sorted(d.day for d in found)
    assert sum(d.kind == "cancelled" for d in found) == sum(
        e.status == "cancelled" for e in stopped.events[1:]
    )


def test_diff_refuses_plans_of_different_patients(run, saved: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    other = tmp_path / "other.json"
    assert (
        run(
            "plan",
            "--start",
            "2026-12-01",
            "--age",
            "45",
            "--route",
            "ommaya",
            "--now",
            NOW,
            "-q",
            "--json",
            str(other),
        ).code
        == 0
    )
    one_error_line(run("diff", str(saved), str(other)), "NEW:", "different patients")
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    one_error_line(run("diff", str(saved), str(bad)), "NEW:", "not valid JSON")


# --- the round trip through a real CalDAV server ---------------------------------------------------


def test_publish_reschedule_publish_moves_events_in_place(
    run, radicale: Radicale, saved: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    first = publish(run, radicale, saved, "--calendar", "Treatment", "--create")
    assert first.code == 0, first.err
    delayed, stopped = tmp_path / "r1.json", tmp_path / "r2.json"
    assert reschedule_cli(run, saved, delayed, "--delay", "2026-12-14", "--days", "3").code == 0
    assert (
        reschedule_cli(
            run, delayed, stopped, "--stop-from", "2027-05-01", "--reason", "Progression on MRI."
        ).code
        == 0
    )
    again = publish(run, radicale, stopped, "--calendar", "Treatment")
    assert again.code == 0, again.err
    stored = server_events(radicale, "Treatment")  # asserts there are no duplicate UIDs
    plan = events(stopped)
    keyed = patient_uids(stopped)
    assert set(stored) == {keyed[uid] for uid in plan}  # nothing added twice, nothing lost
    for uid, e in plan.items():
        vevent = stored[keyed[uid]]
        assert vevent["DTSTART"].dt.strftime("%Y-%m-%d %H:%M") == f"{e['date']} {e['time']}"
        assert int(vevent["SEQUENCE"]) == e["sequence"]
        assert (vevent["STATUS"] == "CANCELLED") == (e["status"] == "cancelled")
    assert any(e["sequence"] == 2 for e in plan.values())
    unchanged = publish(run, radicale, stopped, "--calendar", "Treatment")
    assert "created 0, updated 0" in unchanged.out and "removed 0" in unchanged.out


def test_stopping_before_the_first_visit_cancels_everything(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Treatment declined: every output still renders and says there is nothing left."""
    from fhir.resources.R4B.bundle import Bundle
    from pypdf import PdfReader

    plan = tmp_path / "p.json"
    base = ["--start", "2026-12-01", "--age", "45", "--route", "ommaya", "--now", NOW, "-q"]
    assert run("plan", *base, "--json", str(plan)).code == 0
    out = {name: tmp_path / f"out.{name}" for name in ("json", "ics", "pdf", "fhir")}
    options = [x for name, path in out.items() for x in (f"--{name}", str(path))]
    result = run(
        "reschedule",
        str(plan),
        "--stop-from",
        "2026-12-01",
        "--reason",
        "Treatment declined.",
        "--now",
        LATER,
        *options,
    )
    assert result.code == 0, result.err
    doc = json.loads(out["json"].read_text())
    assert {e["status"] for e in doc["events"]} == {"cancelled"}
    assert not doc["findings"] or all(f["event_uids"] for f in doc["findings"])
    statuses = {
        str(v["STATUS"]) for v in icalendar.Calendar.from_ical(out["ics"].read_bytes()).walk("VEVENT")
    }
    assert statuses == {"CANCELLED"}
    cover = PdfReader(out["pdf"]).pages[0].extract_text()
    assert "No treatment visits are planned" in cover and "What the signs" not in cover
    [care_plan] = [
        e.resource
        for e in Bundle.model_validate_json(out["fhir"].read_bytes()).entry
        if e.resource.get_resource_type() == "CarePlan"
    ]
    assert care_plan.status == "revoked"


def test_old_spellings_still_work_with_a_note(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`reschedule --by DAYS`, `plan --reason TEXT` and `plan --by NAME` are the old spellings of
    --days, --override-reason and --decided-by: hidden aliases that say so, until removed."""
    plan, old, new = tmp_path / "plan.json", tmp_path / "old.json", tmp_path / "new.json"
    base = ["--start", "2026-12-01", "--age", "45", "--route", "ommaya", "--now", NOW, "-q"]
    lift = ["--shunt", "unvalved", "--override", "shunt-without-valve"]
    reason = "Valve placement declined; neurosurgery agreed."
    legacy = run("plan", *base, *lift, "--reason", reason, "--by", "Dr Ruiz", "--json", str(plan))
    assert legacy.code == 0, legacy.err
    assert "--reason is now --override-reason" in legacy.err and "--by is now --decided-by" in legacy.err
    saved = json.loads(plan.read_text())
    assert [(o["reason"], o["by"]) for o in saved["overrides"]] == [(reason, "Dr Ruiz")]
    assert "--reason" not in run("plan", "--help").out.split("--override-reason")[0].split("Options:")[1]

    delayed = run(
        "reschedule", str(plan), "--delay", "2026-12-01", "--by", "3", "--now", LATER, "--json", str(old)
    )
    assert delayed.code == 0, delayed.err
    assert "--by is now --days" in delayed.err
    current = run(
        "reschedule", str(plan), "--delay", "2026-12-01", "--days", "3", "--now", LATER, "--json", str(new)
    )
    assert current.code == 0 and "note" not in current.err
    assert old.read_bytes() == new.read_bytes()
    both = run("reschedule", str(plan), "--delay", "2026-12-01", "--days", "3", "--by", "3")
    assert both.code == 2 and "--by and --days are the same option" in both.err


def test_a_revised_calendar_file_says_which_apps_update_on_import(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    plan, revised = tmp_path / "plan.json", tmp_path / "r1.json"
    base = ["--start", "2026-12-01", "--age", "45", "--route", "ommaya", "--now", NOW, "-q"]
    assert run("plan", *base, "--json", str(plan)).code == 0
    first = run("export", str(plan), "--ics", str(tmp_path / "r0.ics"))
    assert first.code == 0 and "Google Calendar" not in first.err  # revision 0: nothing to update
    moved = run(
        "reschedule", str(plan), "--delay", "2026-12-01", "--days", "3", "--now", LATER,
        "--json", str(revised), "--ics", str(tmp_path / "r1.ics"),
    )  # fmt: skip
    assert moved.code == 0, moved.err
    hint = [line for line in moved.err.splitlines() if "Google Calendar" in line]
    assert len(hint) == 1 and "revision 1" in hint[0] and "publish to CalDAV" in hint[0]
    again = run("export", str(revised), "--ics", str(tmp_path / "again.ics"))
    assert again.code == 0 and "Google Calendar and Nextcloud" in again.err
    dry = run("reschedule", str(plan), "--delay", "2026-12-01", "--days", "3", "--now", LATER)
    assert dry.code == 0 and "Google Calendar" not in dry.err  # nothing written
