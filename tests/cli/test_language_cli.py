"""Issue 18 from the command line: the patient's language (--lang, `language`), names as people
write them, fallback fonts (clinic file `fonts`, --font) and their bad inputs: one line, exit 2,
nothing written."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from scheduler.plan import plan_from_json

from ..conftest import FLAG_PLAN, NOW

BASE = FLAG_PLAN


def _one_line(result, *words: str) -> None:  # type: ignore[no-untyped-def]
    assert result.code == 2, (result.out, result.err)
    assert result.err.count("\n") == 1 and "Traceback" not in result.err, result.err
    for word in words:
        assert word in result.err, result.err


def test_names_as_people_write_them_are_recorded_and_printed(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "plan.json"
    made = run(
        *BASE, "--given-name", "Thị Minh", "--family-name", "Nguyễn", "--preferred-name", "Minh",
        "--quiet", "--json", str(out),
    )  # fmt: skip
    assert made.code == 0, made.err
    plan = plan_from_json(out.read_bytes())
    assert plan.patient.name == "Nguyễn, Thị Minh"  # staff outputs: family name first, unambiguous
    assert (plan.patient.given_name, plan.patient.family_name) == ("Thị Minh", "Nguyễn")
    assert plan.patient.greeting == "Minh"
    assert plan.inputs.preferred_name == "Minh"


def test_the_greeting_is_never_the_first_word(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "plan.json"
    assert run(*BASE, "--patient-name", "Nguyễn Thị Minh", "--quiet", "--json", str(out)).code == 0
    assert plan_from_json(out.read_bytes()).patient.greeting == "Nguyễn Thị Minh"
    assert run(*BASE, "--given-name", "Łukasz", "--quiet", "--json", str(out)).code == 0
    assert plan_from_json(out.read_bytes()).patient.greeting == "Łukasz"


def test_plans_without_the_new_fields_keep_their_json(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "plan.json"
    assert run(*BASE, "--patient-name", "Ana Silva", "--quiet", "--json", str(out)).code == 0
    text = out.read_text()
    for key in ("given_name", "family_name", "preferred_name", '"language"', '"fonts"'):
        assert key not in text


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--lang", "Spanish"), ("lang", "'Spanish' is not a language code", "en")),
        (("--lang", "xx"), ("lang", "no catalog for 'xx'", "valid: en")),
        (("--lang", "es; rm -rf"), ("lang", "is not a language code")),
    ],
)
def test_a_bad_language_is_one_line_and_writes_nothing(run, tmp_path: Path, args, words) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "cal.pdf"
    _one_line(run(*BASE, *args, "--quiet", "--pdf", str(out)), *words)
    assert not out.exists()


def test_a_bad_language_in_the_patient_file_names_the_field(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    patient = tmp_path / "p.toml"
    patient.write_text('language = "español"\n')
    _one_line(run(*BASE, str(patient), "--quiet", "--json", str(tmp_path / "p.json")), "language")
    assert not (tmp_path / "p.json").exists()


def test_an_unreviewed_catalog_needs_the_flag(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out, ics = tmp_path / "cal.pdf", tmp_path / "cal.ics"
    refused = run(*BASE, "--lang", "es", "--quiet", "--pdf", str(out), "--ics", str(ics))
    _one_line(refused, "lang", "has not been reviewed", "--allow-unreviewed-translation")
    assert not out.exists() and not ics.exists()


def test_staff_outputs_ignore_the_language(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A staff sheet is English whatever the patient's language: no catalog is read for it."""
    saved, english, spanish = tmp_path / "plan.json", tmp_path / "en.pdf", tmp_path / "es.pdf"
    assert run(*BASE, "--quiet", "--json", str(saved)).code == 0
    assert run("export", str(saved), "--staff-pdf", str(english)).code == 0
    assert run("export", str(saved), "--lang", "es", "--staff-pdf", str(spanish)).code == 0
    assert english.read_bytes() == spanish.read_bytes()


def test_plan_records_the_language(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "plan.json"
    assert run(*BASE, "--lang", "es", "--quiet", "--json", str(out)).code == 0
    assert json.loads(out.read_text())["inputs"]["language"] == "es"


@pytest.mark.parametrize(
    ("head", "words"),
    [
        (b"OTTO\x00\x0b", ("CFF (PostScript) outlines", "TrueType")),
        (b"ttcf\x00\x01", ("font collection (.ttc)",)),
        (b"<html>", ("is not a TrueType font file",)),
    ],
)
def test_a_font_that_cannot_be_embedded_is_refused(run, tmp_path: Path, head: bytes, words) -> None:  # type: ignore[no-untyped-def]
    font = tmp_path / "font.otf"
    font.write_bytes(head + b"\x00" * 64)
    out = tmp_path / "cal.pdf"
    _one_line(run(*BASE, "--font", str(font), "--quiet", "--pdf", str(out)), "font", *words)
    assert not out.exists()
    clinic = tmp_path / "clinic.toml"
    clinic.write_text('fonts = ["font.otf"]\n')
    patient = tmp_path / "p.toml"
    patient.write_text(f'clinic = "{clinic}"\n')
    _one_line(run(*BASE, str(patient), "--quiet", "--pdf", str(out)), "fonts", *words)
    assert not out.exists()


def test_a_missing_font_is_one_line(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _one_line(
        run(*BASE, "--font", str(tmp_path / "nope.ttf"), "--quiet", "--pdf", str(tmp_path / "c.pdf")),
        "font",
        "does not exist",
    )
    clinic = tmp_path / "clinic.toml"
    clinic.write_text("fonts = 3\n")
    patient = tmp_path / "p.toml"
    patient.write_text(f'clinic = "{clinic}"\n')
    _one_line(
        run(*BASE, str(patient), "--quiet", "--json", str(tmp_path / "p.json")), "fonts", "list of TrueType"
    )


def test_batch_rows_carry_their_language(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A row in Spanish is invalid while the Spanish catalog is unreviewed, unless the batch allows
    it; the other rows go on either way."""
    sheet = tmp_path / "week.csv"
    with sheet.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            ["patient_id", "given_name", "family_name", "language", "start", "age", "route", "csf_flow"]
        )
        writer.writerow(["RCC-1", "Ana", "Silva", "es", "2026-12-14", "52", "ommaya", "normal"])
        writer.writerow(["RCC-2", "Ben", "Okafor", "", "2026-12-14", "60", "ommaya", "normal"])
    out = tmp_path / "out"
    first = run("batch", str(sheet), "--out", str(out), "--formats", "json,pdf", "--now", NOW)
    assert first.code == 1, first.out
    summary = (out / "summary.csv").read_text()
    assert "has not been reviewed" in summary and (out / "RCC-2" / "plan.pdf").exists()
    assert not (out / "RCC-1" / "plan.pdf").exists()
    second = run(
        "batch", str(sheet), "--out", str(tmp_path / "out2"), "--formats", "json,pdf", "--now", NOW,
        "--allow-unreviewed-translation",
    )  # fmt: skip
    assert second.code == 0, second.out
    assert plan_from_json((tmp_path / "out2" / "RCC-1" / "plan.json").read_bytes()).inputs.language == "es"


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(str(path)).pages)


def test_a_saved_plan_prints_in_another_language(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    saved, pdf, ics = tmp_path / "plan.json", tmp_path / "cal.pdf", tmp_path / "cal.ics"
    assert run(*BASE, "--given-name", "Rosa", "--quiet", "--json", str(saved)).code == 0
    made = run(
        "export", str(saved), "--lang", "es", "--allow-unreviewed-translation", "--large-print",
        "--pdf", str(pdf), "--ics", str(ics),
    )  # fmt: skip
    assert made.code == 0, made.err
    text = " ".join(_pdf_text(pdf).split())
    assert "diciembre" in text.lower() and "Rosa" in text
    assert "Translation not yet reviewed by a qualified medical interpreter" in text
    assert "NAME:Calendario de tratamiento" in ics.read_text()


CJK_FONT = Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf")


def test_a_cjk_name_needs_a_configured_font(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import os

    if not CJK_FONT.exists():
        if os.environ.get("LMSCHED_REQUIRE_CJK_FONT") == "1":
            pytest.fail(f"{CJK_FONT} is missing (Debian's fonts-droid-fallback)")
        pytest.skip(f"{CJK_FONT} is not installed")
    pdf = tmp_path / "cal.pdf"
    refused = run(*BASE, "--given-name", "秀英", "--family-name", "王", "--quiet", "--pdf", str(pdf))
    _one_line(refused, "no glyph for", "U+", "--allow-missing-glyphs")
    assert not pdf.exists()
    (tmp_path / "fonts").mkdir()
    (tmp_path / "fonts" / "cjk.ttf").symlink_to(CJK_FONT)
    clinic = tmp_path / "clinic.toml"
    clinic.write_text('fonts = ["fonts/cjk.ttf"]\n')
    patient = tmp_path / "p.toml"
    patient.write_text(f'clinic = "{clinic}"\n')
    made = run(
        *BASE, str(patient), "--given-name", "秀英", "--family-name", "王", "--quiet",
        "--pdf", str(pdf), "--staff-pdf", str(tmp_path / "staff.pdf"),
    )  # fmt: skip
    assert made.code == 0, made.err
    assert "秀英" in _pdf_text(pdf) and "王, 秀英" in _pdf_text(tmp_path / "staff.pdf")
    allowed = run(
        *BASE, "--given-name", "秀英", "--quiet", "--allow-missing-glyphs", "--pdf", str(tmp_path / "b.pdf")
    )
    assert allowed.code == 0, allowed.err


def test_a_right_to_left_name_is_refused_even_when_boxes_are_allowed(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pdf = tmp_path / "cal.pdf"
    refused = run(*BASE, "--given-name", "مريم", "--allow-missing-glyphs", "--quiet", "--pdf", str(pdf))
    _one_line(refused, "right-to-left")
    assert not pdf.exists()
    # a calendar for the phone has no such limit: the phone lays the text out
    assert run(*BASE, "--given-name", "مريم", "--quiet", "--ics", str(tmp_path / "c.ics")).code == 0
