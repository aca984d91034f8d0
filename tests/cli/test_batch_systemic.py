"""`lmsched batch` with systemic courses: one course per CSV row, errors naming the column, and
the infusions' chair time on the agenda and in clinic.ics."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import icalendar
import pytest

from scheduler.batch import COURSE_COLUMNS, CSV_COLUMNS, read_rows

from ..conftest import EXAMPLES, NOW

HEADER = (
    "patient_id,patient_name,start,age,route,systemic,systemic_start,cycles,dose_level,"
    "weight_kg,height_cm,weight_date,hold_around_rt"
)
TDXD = "T-1,Tia Dee,2026-12-01,58,ommaya,sys-tdxd-q3w,2026-12-01,3,,64.2,,2026-11-20,"
CLIMB = "H-1,Hana Climb,2026-12-02,49,lumbar,sys-her2climb,2026-12-02,2,,72,170,2026-11-25,"
PLAIN = "P-1,Pat Plain,2026-12-01,45,ommaya,,,,,,,,"


def write_csv(path: Path, *lines: str, header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *lines]) + "\n")
    return path


def clinic_file(tmp_path: Path) -> Path:
    """The example clinic (prep 15, observation 30 minutes), with the demo key beside it."""
    shutil.copy(EXAMPLES / "demo-site-key", tmp_path / "demo-site-key")
    shutil.copy(EXAMPLES / "clinic.toml", tmp_path / "clinic.toml")
    return tmp_path / "clinic.toml"


def summary(out: Path) -> dict[str, dict[str, str]]:
    return {r["patient_id"]: r for r in csv.DictReader(io.StringIO((out / "summary.csv").read_text()))}


def agenda(out: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((out / "agenda.csv").read_text())))


def test_the_example_clinic_sets_prep_and_observation() -> None:
    text = (EXAMPLES / "clinic.toml").read_text()
    assert "prep_min = 15" in text and "observation_min = 30" in text
    assert "local convention" in text


def test_good_rows_put_their_infusions_on_the_agenda(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    patients = write_csv(tmp_path / "p.csv", TDXD, CLIMB, PLAIN)
    out = tmp_path / "out"
    args = ["batch", str(patients), "--out", str(out), "--clinic", str(clinic_file(tmp_path))]
    result = run(*args, "--chairs", "3", "--formats", "json", "--now", NOW, "--jobs", "1")
    assert result.code == 0, result.out + result.err
    rows = summary(out)
    assert {k: r["outcome"] for k, r in rows.items()} == {"T-1": "ok", "H-1": "ok", "P-1": "ok"}

    sessions = agenda(out)
    infusions = [r for r in sessions if r["kind"] == "infusion"]
    assert [(r["patient"], r["date"], r["cycle"]) for r in infusions] == [
        ("T-1", "2026-12-01", "C1 D1"),
        ("H-1", "2026-12-02", "C1 D1"),
        ("T-1", "2026-12-22", "C2 D1"),
        ("H-1", "2026-12-23", "C2 D1"),
        ("T-1", "2027-01-12", "C3 D1"),
    ]
    first = infusions[0]
    assert (first["time"], first["end"], first["chair_min"]) == ("10:15", "12:30", "135")
    assert (first["prep_min"], first["given_min"], first["observation_min"]) == ("15", "90", "30")
    assert first["event"] == "Trastuzumab deruxtecan IV C1 D1"
    assert first["dose"] == "347 mg"  # 5.4 mg/kg x 64.2 kg = 346.68, rounded to 1 mg
    assert [r["chair_min"] for r in infusions] == ["135", "135", "75", "75", "75"]
    # tablets (tucatinib, capecitabine) are taken at home: never on the agenda (only the liver
    # tests that guard tucatinib, a clinic check, name it)
    doses = [r for r in sessions if r["kind"] != "check"]
    assert not any("ucatinib" in r["event"] or "apecitabine" in r["event"] for r in doses)
    assert {r["kind"] for r in sessions} == {"it-dose", "infusion", "check"}
    liver = [r for r in sessions if r["event"].startswith("Liver tests")]
    assert liver and all(r["patient"] == "H-1" and "tucatinib" in r["event"] for r in liver)
    assert all(r["books_chair"] == "no" and r["chair_min"] == "0" for r in liver)
    plan = (out / "H-1" / "plan.json").read_text()
    assert '"tablet"' in plan  # ... though the plan has them

    # clinic.ics: the infusions beside the IT sessions and the clinic checks, no tablets
    cal = icalendar.Calendar.from_ical((out / "clinic.ics").read_bytes())
    uids = {str(e["UID"]) for e in cal.walk("VEVENT")}
    at_session = sum(bool(r["checks_at_session"]) for r in sessions)  # CSF cytology: its own VEVENT
    assert len(uids) == len(sessions) + at_session
    summaries = [str(e["SUMMARY"]) for e in cal.walk("VEVENT")]
    assert sum("nfusion" in s or "IV" in s for s in summaries) == len(infusions)


def test_bad_systemic_cells_are_one_line_naming_the_column(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    patients = write_csv(
        tmp_path / "p.csv",
        TDXD,
        "B-1,,2026-12-01,58,ommaya,sys-nothing,2026-12-01,3,,64,,2026-11-20,",  # unknown template
        "B-2,,2026-12-01,58,ommaya,sys-tdxd-q3w,2026-12-01,3,,400,,2026-11-20,",  # weight out of range
        "B-3,,2026-12-01,58,ommaya,sys-tdxd-q3w,2026-12-01,3,,,,,",  # no weight for a mg/kg template
        "B-4,,2026-12-01,49,ommaya,sys-her2climb,2026-12-02,2,,72,,2026-11-25,",  # no height: mg/m2
        "B-5,,2026-12-01,58,ommaya,,2026-12-01,3,,64,,2026-11-20,",  # a course cell without systemic
        "B-6,,2026-12-01,58,ommaya,sys-tdxd-q3w,,3,,64,,2026-11-20,",  # no start
        "B-7,,2026-12-01,58,ommaya,sys-tdxd-q3w,2026-12-01,many,,64,,2026-11-20,",  # cycles
        "B-8,,2026-12-01,58,ommaya,sys-tdxd-q3w,2026-12-01,3,-3,64,,2026-11-20,",  # no such dose level
        "B-9,,2026-12-01,58,ommaya,sys-tdxd-q3w,2026-12-01,3,,64,,2026-11-20,perhaps",  # hold_around_rt
        "B-10,,2026-12-01,58,ommaya,sys-tdxd-q3w,2026-13-01,3,,64,,2026-11-20,",  # not a date
        "T-1,Again,2026-12-01,58,ommaya,sys-her2climb,2026-12-01,3,,64,170,2026-11-20,",  # 2nd course
    )
    out = tmp_path / "out"
    result = run("batch", str(patients), "--out", str(out), "--formats", "json", "--now", NOW, "--jobs", "1")
    assert result.code == 1, result.out + result.err
    rows = list(csv.DictReader(io.StringIO((out / "summary.csv").read_text())))
    reasons = {r["patient_id"]: r["reason"] for r in rows if r["outcome"] != "ok"}
    expected = {
        "B-1": "systemic: unknown systemic template 'sys-nothing'",
        "B-2": "weight_kg",
        "B-3": "weight_kg: sys-tdxd-q3w doses by body size",
        "B-4": "height_cm: sys-her2climb doses by body-surface area",
        "B-5": "systemic_start: applies to a systemic course",
        "B-6": "systemic_start: is required with a systemic course",
        "B-7": "cycles",
        "B-8": "dose_level: sys-tdxd-q3w has 3 dose levels",
        "B-9": "hold_around_rt",
        "B-10": "systemic_start",
        "T-1": "patient id 'T-1' is also on line 2",
    }
    for patient, start in expected.items():
        assert reasons[patient].startswith(start), (patient, reasons[patient])
        assert "\n" not in reasons[patient]
    assert "400 kg is outside the plausible adult weight range" in reasons["B-2"]
    assert "systemic." not in " ".join(reasons.values())  # the column, never the model's path
    assert [(r["patient_id"], r["where"]) for r in rows if r["outcome"] == "ok"] == [("T-1", "line 2")]
    # every refused row is reported on the terminal with its line
    for line in range(3, 14):
        assert f"line {line} (" in result.out


def test_an_unknown_course_column_is_refused_for_the_whole_batch(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    patients = write_csv(
        tmp_path / "p.csv",
        "X,,2026-12-01,58,ommaya,2",
        header="patient_id,patient_name,start,age,route,courses",
    )
    result = run("batch", str(patients), "--out", str(tmp_path / "out"), "--now", NOW)
    assert result.code == 2
    assert "unknown column 'courses'" in result.err and "systemic_start" in result.err
    assert not (tmp_path / "out" / "summary.csv").exists()


def test_course_cells_become_one_systemic_course(tmp_path: Path) -> None:
    patients = write_csv(
        tmp_path / "p.csv",
        "A,,2026-12-01,58,ommaya,sys-tdxd-q3w,2026-12-01,4,-1,64,,2026-11-20,yes",
        "B,,2026-12-01,58,ommaya,sys-osimertinib-80,2026-12-03,,,,,,",
        PLAIN,
    )
    a, b, plain = list(read_rows(patients))
    assert a.fields["systemic"] == [
        {"template": "sys-tdxd-q3w", "start": "2026-12-01", "cycles": "4", "dose_level": "-1"}
    ]
    assert (a.fields["weight_kg"], a.fields["hold_around_rt"]) == ("64", "yes")
    assert not set(COURSE_COLUMNS) - {"systemic"} & set(a.fields)
    assert b.fields["systemic"] == [{"template": "sys-osimertinib-80", "start": "2026-12-03"}]  # empty: unset
    assert "systemic" not in plain.fields and "weight_kg" not in plain.fields
    assert a.from_csv and set(COURSE_COLUMNS) <= set(CSV_COLUMNS)


@pytest.mark.parametrize("value", ["yes", "true", "1"])
def test_hold_around_rt_reaches_the_plan(run, tmp_path: Path, value: str) -> None:  # type: ignore[no-untyped-def]
    row = f"D-1,,2026-12-01,58,ommaya,sys-dabrafenib-trametinib,2026-12-01,2,,,,,{value}"
    patients = write_csv(tmp_path / "p.csv", row, header=HEADER)
    out = tmp_path / "out"
    result = run("batch", str(patients), "--out", str(out), "--formats", "json", "--now", NOW, "--jobs", "1")
    assert result.code == 0, result.out
    plan = (out / "D-1" / "plan.json").read_text()
    assert '"hold_around_rt":true' in plan.replace(" ", "")


TWO_COURSES = """patient_id = "TWO-1"
age = 55
start = 2026-12-01
route = "ommaya"
weight_kg = 70
height_cm = 168
weight_date = 2026-11-25
clinic = "../clinic.toml"

[[systemic]]
template = "sys-tdxd-q3w"
start = 2026-12-01
cycles = 2

[[systemic]]
template = "sys-her2climb"
start = 2027-01-12
cycles = 2
"""


def test_several_courses_for_one_patient_come_from_a_patient_file(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    clinic_file(tmp_path)
    folder = tmp_path / "patients"
    folder.mkdir()
    (folder / "two.toml").write_text(TWO_COURSES)
    out = tmp_path / "out"
    result = run("batch", str(folder), "--out", str(out), "--formats", "json", "--now", NOW, "--jobs", "1")
    assert result.code == 0, result.out
    infusions = [r for r in agenda(out) if r["kind"] == "infusion"]
    assert [(r["date"], r["event"], r["chair_min"]) for r in infusions] == [
        ("2026-12-01", "Trastuzumab deruxtecan IV C1 D1", "135"),
        ("2026-12-22", "Trastuzumab deruxtecan IV C2 D1", "75"),
        ("2027-01-12", "Trastuzumab IV C1 D1", "135"),
        ("2027-02-02", "Trastuzumab IV C2 D1", "75"),
    ]
