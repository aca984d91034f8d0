"""Every PDF embeds its fonts and prints every patient's name as written (issue 18).

The PDFs are read back with pypdf: the names must come out as text (each glyph drawn from an
embedded TrueType subset whose ToUnicode maps it back), never as boxes, and no page may name a
standard font (Helvetica) that a viewer would substitute.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import unicodedata
from pathlib import Path

import pypdf
import pytest

from scheduler.export.pdf import fonts as typeset


def registered(base_font: str) -> str:
    """The name lmsched registered the font of a PDF font dictionary's /BaseFont under
    ('AAAAAB+NotoSans-Bold' -> 'LmSans-Bold'); a standard font's name as it is."""
    from reportlab.pdfbase import pdfmetrics

    typeset.register_embedded()
    base = base_font.lstrip("/")
    if len(base) > 7 and base[6] == "+":
        base = base[7:]
    for name in pdfmetrics.getRegisteredFontNames():
        face = getattr(pdfmetrics.getFont(name), "face", None)
        if face is not None and getattr(face, "name", b"") == base.encode():
            return name
    return base


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from scheduler.agenda import Session, check_capacity  # noqa: E402
from scheduler.errors import InputError  # noqa: E402
from scheduler.export.pdf import patient, staff  # noqa: E402
from scheduler.export.pdf.agenda import render_pdf  # noqa: E402
from scheduler.plan import Plan  # noqa: E402
from scheduler.templates import Registry  # noqa: E402

from ..conftest import NOW_DT, make_plan  # noqa: E402

NAMES = ("Łukasz Wróblewski", "Nguyễn Thị Minh", "Jiří Dvořák", "Мария Иванова", "Γιώργος Παπαδόπουλος")
CJK = "王秀英"
DROID = Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf")


def cjk_font() -> Path:
    """Debian's fonts-droid-fallback (CI installs it: LMSCHED_REQUIRE_CJK_FONT=1 makes its absence
    a failure there, a skip elsewhere)."""
    if DROID.is_file():
        return DROID
    if os.environ.get("LMSCHED_REQUIRE_CJK_FONT") == "1":
        pytest.fail(f"{DROID} is missing: apt-get install fonts-droid-fallback")
    pytest.skip(f"{DROID} is not installed (fonts-droid-fallback)")


def text_of(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def flat(text: str) -> str:
    return " ".join(text.split())


def font_dicts(data: bytes) -> list[dict[str, object]]:
    """Every font dictionary any page uses."""
    out = []
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        for ref in page["/Resources"]["/Font"].values():
            out.append(ref.get_object())
    return out


def assert_embedded(data: bytes) -> None:
    """Every font of every page is an embedded TrueType subset; no standard font anywhere."""
    fonts = font_dicts(data)
    assert fonts
    for font in fonts:
        assert font["/Subtype"] == "/TrueType", font
        assert "/FontFile2" in font["/FontDescriptor"].get_object(), font  # type: ignore[attr-defined]
        base = str(font["/BaseFont"]).lstrip("/").split("+", 1)[-1]
        assert base in ("NotoSans-Regular", "NotoSans-Bold", "NotoSans-Italic", "DroidSansFallback"), font
    assert b"Helvetica" not in data and b"/Type1" not in data


def plan_for(registry: Registry, name: str) -> Plan:
    return make_plan(
        registry, patient_name=name, patient_id="RCC-1", rt="wbrt-30gy-10fx", rt_start="2026-11-30"
    )


def agenda_for(names: tuple[str, ...], **kw: object) -> bytes:
    day = dt.date(2026, 12, 1)
    sessions = [
        Session(
            date=day,
            time=f"{9 + i}:00".zfill(5),
            duration_min=60,
            patient=f"A-{i:03d}",
            name=name,
            event="IT methotrexate 1/18",
            dose="12 mg",
            route="Ommaya",
            uid=f"A-{i}@lmsched",
        )
        for i, name in enumerate(names)
    ]
    days, overloads = check_capacity(sessions, lambda _: 4)
    return render_pdf(sessions, days, overloads, "Riverside", generated=NOW_DT, **kw)  # type: ignore[arg-type]


# --- the names of the issue, on every PDF ----------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_names_print_as_text_on_the_patient_calendar(registry: Registry, name: str) -> None:
    data = patient.render(plan_for(registry, name), "letter")
    text = flat(text_of(data))
    given_name = name.split()[0]
    assert given_name in text  # the cover and every month page greet the patient
    assert "\u25a0" not in text and "\x00" not in text
    assert_embedded(data)


@pytest.mark.parametrize("name", NAMES)
def test_names_print_as_text_on_the_staff_sheet(registry: Registry, name: str) -> None:
    data = staff.render(plan_for(registry, name), "letter")
    pages = [flat(p.extract_text()) for p in pypdf.PdfReader(io.BytesIO(data)).pages]
    assert all(f"Patient: {name}" in page for page in pages)  # every page's header
    assert_embedded(data)


def test_names_print_as_text_on_the_agenda() -> None:
    data = agenda_for(NAMES)
    text = text_of(data)
    for name in NAMES:
        assert name in text
    assert_embedded(data)


def test_decomposed_input_prints_composed() -> None:
    """'Nguyễn' typed with combining marks (NFD) is drawn with the precomposed glyphs."""
    nfd = unicodedata.normalize("NFD", "Nguyễn Thị Minh")
    assert nfd != "Nguyễn Thị Minh"
    assert "Nguyễn Thị Minh" in text_of(agenda_for((nfd,)))


# --- a configured fallback font --------------------------------------------------------------------


def test_a_cjk_name_prints_with_the_clinics_truetype_font(registry: Registry) -> None:
    fonts = typeset.Fonts(fallbacks=(str(cjk_font()),))
    plan = plan_for(registry, f"{CJK} Wang")
    for data in (
        patient.render(plan, "letter", fonts=fonts),
        staff.render(plan, "letter", fonts=fonts),
        agenda_for((CJK, "Łukasz Wróblewski"), fonts=fonts),
    ):
        assert CJK in text_of(data)
        assert_embedded(data)
        assert any("DroidSansFallback" in str(f["/BaseFont"]) for f in font_dicts(data))


def test_runs_split_by_font_and_keep_marks_with_their_letter() -> None:
    fonts = typeset.Fonts(fallbacks=(str(cjk_font()),))
    typeset.register(fonts)
    try:
        fallback = typeset.fallback_name(str(cjk_font()))
        assert typeset.runs(f"Wang {CJK} é") == [
            (typeset.REGULAR, "Wang "),
            (fallback, CJK),
            (typeset.REGULAR, " é"),
        ]
        # a combining mark after a Han letter stays in the Han letter's font
        assert typeset.runs("王\u0301")[0][0] == fallback
        assert typeset.markup(f"<{CJK}>") == f'&lt;<font name="{fallback}">{CJK}</font>&gt;'
        assert typeset.width(f"a{CJK}", typeset.REGULAR, 10) == pytest.approx(
            typeset.width("a", typeset.REGULAR, 10) + typeset.width(CJK, fallback, 10)
        )
    finally:
        typeset.register(typeset.DEFAULT_FONTS)


# --- never a silent box ------------------------------------------------------------------------------


def test_a_character_no_font_has_stops_naming_the_field_and_the_character(registry: Registry) -> None:
    plan = plan_for(registry, f"{CJK} Wang")
    with pytest.raises(InputError) as caught:
        patient.render(plan, "letter")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("patient.name: no glyph for '王' (U+738B CJK UNIFIED IDEOGRAPH-738B)")
    assert "'秀' (U+79C0" in message and "in the embedded font (Noto Sans) or the clinic's fonts" in message
    assert "fonts = [...]" in message and "allow-missing-glyphs" in message
    with pytest.raises(InputError, match=r"^patient\.name: no glyph for '王'"):
        staff.render(plan, "letter")
    with pytest.raises(InputError, match=r"^sessions\[0\]\.name: no glyph for '王'"):
        agenda_for((CJK,))


def test_the_message_names_five_characters_and_counts_the_rest() -> None:
    with pytest.raises(InputError) as caught:
        typeset.check([("clinic.name", "一二三四五六七 八一")], typeset.Fonts())
    message = str(caught.value)
    assert message.count("CJK UNIFIED IDEOGRAPH") == 5 and " and 3 more in the embedded font" in message


def test_an_invisible_or_unprintable_character_is_not_missing_and_is_shown_escaped() -> None:
    typeset.check([("patient.name", "Ana\u200b Lee\u00a0Kim\ufeff")], typeset.Fonts())  # nothing to draw
    with pytest.raises(InputError) as caught:
        typeset.check([("patient.name", "Ana \U000f0001")], typeset.Fonts())  # private use
    assert "(U+F0001)" in str(caught.value)


def test_allow_missing_glyphs_prints_boxes(registry: Registry) -> None:
    plan = plan_for(registry, f"{CJK} Wang")
    allowed = typeset.Fonts(allow_missing=True)
    data = patient.render(plan, "letter", fonts=allowed)
    assert CJK not in text_of(data)  # drawn as .notdef boxes, as the user allowed
    assert_embedded(data)
    staff.render(plan, "letter", fonts=allowed)
    agenda_for((CJK,), fonts=allowed)


@pytest.mark.parametrize(
    ("name", "script"),
    [("محمد علي", "Arabic"), ("שרה לוי", "Hebrew"), ("ܐܒܓ", "Syriac"), ("ދިވެހި", "Thaana"), ("ߒߞߏ", "NKo")],
)
def test_right_to_left_text_is_refused_even_when_missing_glyphs_are_allowed(
    registry: Registry, name: str, script: str
) -> None:
    plan = plan_for(registry, name)
    expected = (
        f"patient.name: right-to-left text ({script} script) cannot be printed correctly yet; "
        "lmsched refuses rather than print it reversed or unjoined"
    )
    for fonts in (typeset.Fonts(), typeset.Fonts(allow_missing=True)):
        with pytest.raises(InputError) as caught:
            patient.render(plan, "letter", fonts=fonts)
        assert str(caught.value) == expected
        with pytest.raises(InputError):
            staff.render(plan, "letter", fonts=fonts)


def test_a_cff_font_is_refused_by_register(tmp_path: Path) -> None:
    """An OpenType/CFF font (ReportLab embeds TrueType outlines only) is refused in one line; the
    lead's input check refuses it earlier, where the clinic file names it."""
    cff = tmp_path / "font.otf"
    cff.write_bytes(b"OTTO" + bytes(200))
    with pytest.raises(InputError) as caught:
        typeset.register(typeset.Fonts(fallbacks=(str(cff),)))
    assert str(caught.value).startswith("fonts: '") and "TrueType (glyf)" in str(caught.value)
    assert "\n" not in str(caught.value)
    typeset.register(typeset.DEFAULT_FONTS)


def test_plan_texts_walks_every_string_with_its_field(registry: Registry) -> None:
    plan = plan_for(registry, "Łukasz Wróblewski")
    texts = dict(typeset.plan_texts(plan))
    assert texts["patient.name"] == "Łukasz Wróblewski"
    assert any(field.startswith("events[0].") for field in texts)
    assert "inputs.clinic.tz" in texts
    assert all(isinstance(v, str) for v in texts.values())


# --- properties ----------------------------------------------------------------------------------------

ALPHABETS = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ĄąĆćĘęŁłŃńÓóŚśŹźŻżČčĎďĚěŇňŘřŠšŤťŮůŽžĞğİıŞşŐőŰűĀāĒēĪīŌōŪūȘșȚț"
    "ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩαβγδεζηθικλμνξοπρσςτυφχψωάέήίόύώϊϋΐΰ"
    "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдеёжзийклмнопрстуфхцчшщъыьэюяЇїІіЄєҐґЎўЂђЉљЊњЋћЏџ"
    "ĂăÂâĐđÊêÔôƠơƯưẠạẢảẤấẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặẸẹẺẻẼẽẾếỀềỂểỄễỆệỈỉỊịỌọỎỏỐốỒồỔổỖỗỘộỚớỜờỞởỠỡỢợỤụỦủỨứỪừỬửỮữỰựỲỳỴỵỶỷỸỹ"
    "\u0300\u0301\u0303\u0309\u0323 -'.,"
)


@settings(max_examples=200, deadline=None)
@given(st.text(st.sampled_from(ALPHABETS), max_size=80))
def test_any_latin_greek_cyrillic_or_vietnamese_text_is_printable_and_measured_by_its_runs(text: str) -> None:
    typeset.register(typeset.DEFAULT_FONTS)
    typeset.check([("patient.name", text)], typeset.Fonts())  # never raises
    from reportlab.pdfbase.pdfmetrics import stringWidth

    parts = typeset.runs(text, typeset.BOLD)
    assert all(name == typeset.BOLD for name, _ in parts)
    assert typeset.width(text, typeset.BOLD, 12) == pytest.approx(
        sum(stringWidth(chunk, name, 12) for name, chunk in parts)
    )
    assert "".join(chunk for _, chunk in parts) == unicodedata.normalize("NFC", text)
