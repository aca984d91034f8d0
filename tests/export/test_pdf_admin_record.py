"""The staff sheet as an administration record (issue 17 part 4; S27, S11), read back with pypdf:
the IT banner, two identifiers and the birth date, the order elements or NOT RECORDED, the dose
basis, the check columns, and the clinic's criteria to treat."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from scheduler.export.pdf.fonts import BOLD
from scheduler.export.pdf.staff import CHECK_MARK, IT_BANNER, render
from scheduler.labels import event_label
from scheduler.plan import Plan

from ..conftest import EXAMPLES, NOW, make_plan
from .test_pdf_staff import assert_on_page, fragments, pages_text


def flat(data: bytes) -> str:
    return " ".join("\n".join(pages_text(data)).split())


def rows(data: bytes) -> list[str]:
    """The table's rows, each as its text from its number to the next row's number (pypdf gives a
    row's cells line by line: the number, the date, the weekday and time, the event, ...)."""
    out: list[list[str]] = []
    for page in pages_text(data):
        lines = page.splitlines()
        if "sent" not in lines:
            continue
        lines = lines[lines.index("sent") + 1 :]  # after the header row
        for i, line in enumerate(lines):
            if line.startswith(("Total planned", "Generated schedule")):
                break
            if line.isdigit() and i + 1 < len(lines) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", lines[i + 1]):
                out.append([line])
            elif out:
                out[-1].append(line)
    return [" ".join(" ".join(r).split()) for r in out]


@pytest.fixture(scope="module")
def mixed(registry) -> Plan:  # type: ignore[no-untyped-def]
    """IT doses, a WBRT course with memantine and a tablet course: every kind of row."""
    return make_plan(
        registry,
        start="2026-12-14",
        rt="wbrt-30gy-10fx",
        rt_start="2026-11-30",
        weight_kg=70,
        height_cm=170,
        weight_date="2026-12-01",
        systemic=[{"template": "sys-osimertinib-80", "start": "2026-12-15"}],
    )


def test_every_it_row_and_no_other_carries_the_banner(mixed: Plan) -> None:
    data = render(mixed)
    text = flat(data)
    its = [e for e in mixed.events if e.kind == "it-dose"]
    assert its and len(its) < len(mixed.events)
    assert text.count(IT_BANNER) == len(its)
    for e in mixed.events:
        label = " ".join(event_label(e).split())
        if e.kind == "it-dose":
            assert f"{IT_BANNER} {label}" in text, label
        else:
            assert f"{IT_BANNER} {label}" not in text, label
    # the banner is bold and on the IT rows' event cells only
    banners = [f for page in fragments(data) for f in page if IT_BANNER in f.text]
    assert len(banners) == len(its) and all(f.font == BOLD and f.size >= 9 for f in banners)


def test_identifiers_and_birth_date_in_every_page_header(adult: Plan) -> None:
    texts = pages_text(render(adult))
    assert len(texts) > 1
    for text in texts:
        assert "Patient: Maria O'Neil-Søndergaard" in text
        assert "Patient ID: RCC-000123" in text
        assert "Date of birth: 1968-05-14" in text


@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_missing_order_elements_print_not_recorded_in_bold(registry, paper: str) -> None:  # type: ignore[no-untyped-def]
    plan = make_plan(registry)
    data = render(plan, paper)  # type: ignore[arg-type]
    for text in pages_text(data):
        for key in ("Prescriber", "Indication", "Allergies"):
            assert f"{key}: NOT RECORDED" in " ".join(text.split())
        assert "not given" not in text.lower()
    first = fragments(data)[0]
    missing = [f for f in first if f.text.strip() == "NOT RECORDED"]
    # patient name, patient id, prescriber, indication, allergies
    assert len(missing) >= 5 and all(f.font == BOLD for f in missing)
    assert_on_page(data, paper)


@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_given_order_elements_print_their_values(registry, paper: str) -> None:  # type: ignore[no-untyped-def]
    plan = make_plan(
        registry,
        prescriber="Dr A <Rivera> & co",
        indication="Leptomeningeal metastases, breast cancer",
        allergies="Penicillin (rash)",
    )
    data = render(plan, paper)  # type: ignore[arg-type]
    text = flat(data)
    assert "Prescriber: Dr A <Rivera> & co" in text
    assert "Indication: Leptomeningeal metastases, breast cancer" in text
    assert "Allergies: Penicillin (rash)" in text
    assert "NOT RECORDED" not in text.replace("Patient: NOT RECORDED", "").replace(
        "Patient ID: NOT RECORDED", ""
    )
    assert_on_page(data, paper)


def test_dose_basis_on_every_dose_row(mixed: Plan) -> None:
    text = flat(render(mixed))
    its = [e for e in mixed.events if e.kind == "it-dose"]
    assert text.count("Basis: age band adult (18+)") == len(its)
    tablets = [e for e in mixed.events if e.kind == "tablet"]
    assert tablets and text.count("Basis: fixed dose") == len(tablets)


def test_check_columns_and_tick_boxes(mixed: Plan) -> None:
    data = render(mixed)
    heads = {f.text.strip() for page in fragments(data) for f in page if f.font == BOLD}
    for word in (
        "2nd",
        "check",
        "initials",
        "Time",
        "out",
        "CSF",
        "(mL)",
        "Sample",
        "sent",
        "Initials",
        "Lot",
    ):
        assert word in heads, word
    its = sum(e.kind == "it-dose" for e in mixed.events)
    # a time-out box and a sample-sent box on each IT row; the other rows say n/a there
    assert len(re.findall(r"\[\s*\]", flat(data))) == 2 * its
    table = rows(data)
    assert len(table) == len(mixed.events)
    for row, e in zip(table, mixed.events, strict=True):
        boxes = len(re.findall(r"\[\s*\]", row))
        assert boxes == (2 if e.kind == "it-dose" else 0), row
        assert (IT_BANNER in row) == (e.kind == "it-dose"), row
        if e.kind == "check":  # no record to sign: its facts span those columns instead
            assert row.split()[4] == CHECK_MARK and "n/a" not in row and "For:" in row, row
        elif e.kind != "it-dose":
            assert row.count("n/a") >= 3, row


def test_criteria_to_treat_printed_when_set_and_absent_when_not(registry) -> None:  # type: ignore[no-untyped-def]
    criteria = "Platelets >= 50 x10^9/L & ANC >= 1.0 <x10^9/L>"
    data = render(make_plan(registry, clinic={"criteria_to_treat": criteria}))
    text = flat(data)
    assert f"Criteria to treat (clinic): {criteria}" in text
    assert text.index("Criteria to treat") < text.index("IT methotrexate 1/")
    assert "Criteria to treat" not in flat(render(make_plan(registry)))
    assert_on_page(data, "letter")


def test_plan_json_leaves_unset_inputs_out(registry) -> None:  # type: ignore[no-untyped-def]
    from scheduler.plan import plan_to_json

    doc = json.loads(plan_to_json(make_plan(registry)))
    for key in ("prescriber", "indication", "allergies"):
        assert key not in doc["inputs"]
    assert "criteria_to_treat" not in doc["inputs"]["clinic"]
    doc = json.loads(
        plan_to_json(make_plan(registry, prescriber="Dr A", clinic={"criteria_to_treat": "Platelets >= 50"}))
    )
    assert doc["inputs"]["prescriber"] == "Dr A"
    assert doc["inputs"]["clinic"]["criteria_to_treat"] == "Platelets >= 50"


def test_cli_flags_reach_the_staff_sheet(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pdf = tmp_path / "staff.pdf"
    result = run(
        "plan",
        str(EXAMPLES / "patient-adult.toml"),
        "--now",
        NOW,
        "-q",
        "--staff-pdf",
        str(pdf),
        "--prescriber",
        "Dr A",
        "--allergies",
        "NKDA",
    )
    assert result.code == 0, result.err
    text = flat(pdf.read_bytes())
    # the flag overrides the example file's prescriber; its indication comes from the file
    assert "Prescriber: Dr A " in text and "Dr Ana Rivera" not in text and "Allergies: NKDA" in text
    assert "Indication: Leptomeningeal metastases of breast cancer" in text


def test_patient_file_keys_and_clinic_key(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    clinic = tmp_path / "clinic.toml"
    clinic.write_text('criteria_to_treat = "Platelets >= 50 x10^9/L"\n', encoding="utf-8")
    patient = tmp_path / "patient.toml"
    patient.write_text(
        'start = 2026-12-14\nage = "45"\nroute = "ommaya"\nprescriber = "Dr B"\n'
        'indication = "LM, NSCLC"\nallergies = "Sulfa"\nclinic = "clinic.toml"\n',
        encoding="utf-8",
    )
    pdf = tmp_path / "staff.pdf"
    result = run("plan", str(patient), "--now", NOW, "-q", "--staff-pdf", str(pdf))
    assert result.code == 0, result.err
    text = flat(pdf.read_bytes())
    for said in (
        "Prescriber: Dr B",
        "Indication: LM, NSCLC",
        "Allergies: Sulfa",
        "Criteria to treat (clinic): Platelets >= 50 x10^9/L",
    ):
        assert said in text


@pytest.mark.parametrize(
    ("flag", "value", "field"),
    [
        ("--prescriber", "Dr\x07A", "prescriber"),
        ("--indication", "x" * 301, "indication"),
        ("--allergies", "a\x1bb", "allergies"),
        ("--prescriber", "x" * 201, "prescriber"),
    ],
)
def test_bad_values_exit_2_naming_the_field(run, tmp_path: Path, flag: str, value: str, field: str) -> None:  # type: ignore[no-untyped-def]
    pdf = tmp_path / "staff.pdf"
    result = run(
        "plan", str(EXAMPLES / "patient-adult.toml"), "--now", NOW, "-q", "--staff-pdf", str(pdf), flag, value
    )
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and field in lines[0] and flag in lines[0]
    assert not pdf.exists()


def test_a_bad_criteria_to_treat_exits_2_naming_it(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    clinic = tmp_path / "clinic.toml"
    clinic.write_text('criteria_to_treat = "Platelets\\u0007"\n', encoding="utf-8")
    result = run("plan", str(EXAMPLES / "patient-adult.toml"), "--now", NOW, "-q", "--clinic", str(clinic))
    assert result.code == 2 and "criteria_to_treat" in result.err
