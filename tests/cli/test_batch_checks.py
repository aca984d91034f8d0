"""`lmsched batch` with checks (issue 17) through the real CLI: the clinic checks on agenda.csv,
agenda.pdf and clinic.ics beside the chair sessions, checks done elsewhere left off, every
patient format written with checks in the plan, and a centre's own check template with
`chair = true` (LMSCHED_TEMPLATE_PATH; no shipped template books a chair) counted in capacity."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import icalendar
import pypdf

from ..conftest import NOW, ROOT, run_subprocess

HEADER = "patient_id,patient_name,start,age,route,csf_flow"
ROWS = ["K-1,Kim One,2026-12-01,45,ommaya,normal", "K-2,Kai Two,2026-12-01,60,lumbar,"]  # K-2: flow unknown


def write_csv(path: Path, *lines: str) -> Path:
    path.write_text("\n".join([HEADER, *lines]) + "\n")
    return path


def agenda(out: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((out / "agenda.csv").read_text())))


def test_clinic_checks_on_every_batch_output(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    result = run(
        "batch", str(write_csv(tmp_path / "p.csv", *ROWS)), "--out", str(out), "--formats", "json,csv,ics,pdf",
        "--audience", "staff", "--chairs", "1", "--now", NOW, "--jobs", "1",
    )  # fmt: skip
    assert result.code == 0, result.out + result.err
    rows = agenda(out)
    counts = [r for r in rows if r["kind"] == "check"]
    assert counts and {r["event"].split(" before ")[0] for r in counts} == {"Blood count"}
    first = [r for r in counts if r["date"] == "2026-12-01"]
    assert [(r["patient"], r["time"], r["end"], r["minutes"], r["books_chair"]) for r in first] == [
        ("K-1", "08:45", "09:00", "15", "no"),
        ("K-2", "08:45", "09:00", "15", "no"),
    ]
    # K-2's IT doses wait for a CSF flow study, and so do their blood counts; its flow study
    # (nuclear medicine) and both patients' MRIs are done elsewhere: not on the agenda
    assert all(r["event"].endswith("(tentative)") for r in counts if r["patient"] == "K-2")
    assert not first[0]["event"].endswith("(tentative)")  # K-1's are tentative from maintenance only
    assert not any("MRI" in r["event"] or "flow" in r["event"] for r in rows)
    # over capacity: the two IT sessions at 09:00, never the blood counts before them
    assert "2026-12-01 09:00-10:00: 2 sessions at once, 1 chair (K-1, K-2)" in result.out
    assert "08:45" not in result.out
    it = next(r for r in rows if r["kind"] == "it-dose" and r["patient"] == "K-1")
    assert it["checks_at_session"] == "CSF cytology (at the IT dose)" and it["chair_min"] == "60"

    text = " ".join(
        " ".join(
            p.extract_text() for p in pypdf.PdfReader(io.BytesIO((out / "agenda.pdf").read_bytes())).pages
        ).split()
    )
    assert "Blood count before IT dose 1 of 18 no chair (check)" in text
    assert "Blood count before IT dose 1 of 18 (tentative) no chair (check)" in text
    assert "+ CSF cytology (at the IT dose)" in text and "MRI brain" not in text

    calendar = icalendar.Calendar.from_ical((out / "clinic.ics").read_bytes())
    summaries = [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")]
    assert sum("Blood count" in s for s in summaries) == len(counts)
    assert sum("CSF cytology" in s for s in summaries) == sum(bool(r["checks_at_session"]) for r in rows)
    assert not any("MRI" in s or "flow study" in s for s in summaries)
    for patient in ("K-1", "K-2"):  # every patient format was written with checks in the plan
        assert {p.name for p in (out / patient).iterdir()} == {
            "plan.json",
            "plan.csv",
            "plan.ics",
            "plan.pdf",
        }


CHAIR_COUNT = "mon-test-chair-count"


def test_a_centre_template_with_chair_true_books_chairs(tmp_path: Path) -> None:
    text = (ROOT / "templates" / "monitoring" / "mon-blood-count-it.toml").read_text()
    text = text.replace('id = "mon-blood-count-it"', f'id = "{CHAIR_COUNT}"')
    text = text.replace('name = "Blood count"', 'name = "Blood count in a chair"')
    text = text.replace('where = "clinic"', 'where = "clinic"\nchair = true')
    (tmp_path / "centre" / "monitoring").mkdir(parents=True)
    (tmp_path / "centre" / "monitoring" / f"{CHAIR_COUNT}.toml").write_text(text)
    patients = write_csv(tmp_path / "p.csv", *(r.replace(",lumbar,", ",lumbar,normal") for r in ROWS))
    outputs = {}
    for name, env in (("shipped", {}), ("centre", {"LMSCHED_TEMPLATE_PATH": str(tmp_path / "centre")})):
        out = tmp_path / name
        result = run_subprocess(
            "batch", str(patients), "--out", str(out), "--formats", "json", "--chairs", "1", "--now", NOW,
            "--jobs", "1", env=env,
        )  # fmt: skip
        assert result.code == 0, result.out + result.err
        outputs[name] = (result.out, agenda(out))
    shipped, centre = outputs["shipped"], outputs["centre"]
    assert "2026-12-01 09:00-10:00: 2 sessions at once" in shipped[0]
    # the centre's blood counts take a chair at 08:45: the range starts there
    assert "2026-12-01 08:45-10:00: 2 sessions at once, 1 chair (K-1, K-2)" in centre[0]
    chair_rows = [r for r in centre[1] if r["event"].startswith("Blood count in a chair")]
    assert chair_rows and all(r["books_chair"] == "yes" and r["chair_min"] == "15" for r in chair_rows)
    assert all(r["over_capacity"] == "yes" for r in chair_rows if r["date"] == "2026-12-01")

    # the doses' chair minutes are the same with and without the centre's template
    def doses(rows: list[dict[str, str]]) -> list[tuple[str, ...]]:
        return [(r["patient"], r["date"], r["time"], r["chair_min"]) for r in rows if r["kind"] != "check"]

    assert doses(shipped[1]) == doses(centre[1])
