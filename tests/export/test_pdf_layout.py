"""Nothing on the patient calendar crops: every string drawn lies inside the page and its cell.

The PDF is read back, not the layout code's own numbers: a small interpreter of the page's content
stream (pypdf parses it) follows each text object's position and font and measures every string
with the widths the PDF's own font dictionaries give (the embedded Noto Sans subsets' /Widths,
or a standard font's AFM metrics), byte by byte as the PDF encodes it, and reads the text back
through each subset's /ToUnicode map. Inputs go up to the documented limits (patient name and
clinic name 200 characters, location 300, phone 60: scheduler/models.py), with long unbroken
words, the widest letters of Latin-1 and of Noto Sans, accents, combining marks, Cyrillic, Greek,
and Han, which Noto Sans lacks (printed as boxes, as --allow-missing-glyphs allows).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass

import pypdf
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pypdf.generic import ContentStream

from scheduler.export.pdf import fonts as typeset
from scheduler.export.pdf.common import wrap
from scheduler.export.pdf.patient import month_pages
from scheduler.export.pdf.patient import render as _render
from scheduler.models import PlanRequest
from scheduler.plan import Plan

from ..conftest import make_plan, plan_fields

MIN_SIZE = 12.0  # README: all text on the patient calendar is 12 pt or larger
EDGE = 12.0  # no text closer than this to the paper's edge (printers do not print there)
ASCENT, DESCENT = 0.75, 0.24  # Noto Sans's capital height (with accents' room) and descender, per pt
ALLOWED = typeset.Fonts(allow_missing=True)  # Han (no font has it here) prints as boxes


def render(plan: Plan, paper: str) -> bytes:
    return _render(plan, paper, fonts=ALLOWED)  # type: ignore[arg-type]


def _noto() -> frozenset[int]:
    """The code points the embedded font has, read with fontTools (not ReportLab)."""
    from fontTools.ttLib import TTFont

    return frozenset(TTFont(typeset._DIR / "NotoSans-Regular.ttf").getBestCmap())


NOTO = _noto()


@dataclass(frozen=True)
class Drawn:
    text: str
    x: float
    y: float  # baseline
    width: float
    size: float

    @property
    def box(self) -> tuple[float, float, float, float]:
        return (self.x, self.y - DESCENT * self.size, self.x + self.width, self.y + ASCENT * self.size)


@dataclass(frozen=True)
class Page:
    width: float
    height: float
    strings: list[Drawn]
    rects: list[tuple[float, float, float, float]]  # stroked cells: x0, y0, x1, y1


def _metrics(base_font: str) -> tuple[list[float], str]:
    from reportlab.pdfbase.pdfmetrics import getFont
    from reportlab.pdfbase.rl_codecs import RL_Codecs

    RL_Codecs.register()  # the "symbol" codec

    font = getFont(base_font)
    return list(font.widths), font.encoding.name


BOX = "\u25a0"  # how a character drawn as the font's .notdef glyph (a box) reads back


def _font(ref: object) -> tuple[list[float], dict[int, str] | str]:
    """A page font's widths per byte code and how its codes read: the ToUnicode map of an embedded
    TrueType subset (code 0, .notdef, reads as a box), or a standard font's encoding name."""
    font = ref.get_object()  # type: ignore[attr-defined]
    if "/ToUnicode" in font:
        first = int(font.get("/FirstChar", 0))
        widths = [0.0] * first + [float(w) for w in font["/Widths"]]
        cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
        codes = {
            int(a, 16): chr(int(b, 16)) for a, b in re.findall(r"<([0-9A-F]{2})> <([0-9A-F]{4,})>", cmap)
        }
        codes[0] = BOX
        return widths, codes
    return _metrics(font["/BaseFont"][1:])


def _bytes(string: object) -> bytes:
    """A content stream string's bytes as written (pypdf may have read them as UTF-16 text)."""
    original = getattr(string, "_original_bytes", None)
    if original is not None:
        return bytes(original)
    if hasattr(string, "get_original_bytes"):
        return bytes(string.get_original_bytes())
    return bytes(string)  # type: ignore[call-overload]


def read_pages(data: bytes) -> list[Page]:
    """Every string each page draws, where, how wide and how big; and the page's big rectangles."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    pages = []
    for page in reader.pages:
        fonts = {name: _font(ref) for name, ref in page["/Resources"]["/Font"].items()}
        strings: list[Drawn] = []
        rects = []
        font: tuple[list[float], dict[int, str] | str] = ([], "")
        size, x, y = 0.0, 0.0, 0.0
        for operands, op in ContentStream(page.get_contents(), reader).operations:
            if op == b"cm":
                assert [float(v) for v in operands] == [1, 0, 0, 1, 0, 0], "no transformed drawing"
            elif op == b"Tf":
                font, size = fonts[operands[0]], float(operands[1])
            elif op == b"Tm":
                a, b, c, d, x, y = (float(v) for v in operands)
                assert (a, b, c, d) == (1, 0, 0, 1), "no scaled or rotated text"
            elif op == b"Tj":
                raw = _bytes(operands[0])
                widths, encoding = font
                width = sum(widths[byte] for byte in raw) * size / 1000
                if isinstance(encoding, dict):  # an embedded subset
                    text = "".join(encoding[byte] for byte in raw)
                elif encoding == "WinAnsiEncoding":
                    text = raw.decode("cp1252")
                elif encoding == "SymbolEncoding":  # Greek and some signs, from the Symbol font
                    text = raw.decode("symbol")
                else:  # ReportLab's stand-in for a character neither has: ZapfDingbats' box
                    assert set(raw) == {ord("n")}, (font, raw)
                    text = BOX * len(raw)
                strings.append(Drawn(text, x, y, width, size))
                x += width  # the next string of the same text object (a font change) follows on
            elif op in (b"TJ", b"'", b'"', b"Td", b"TD"):
                raise AssertionError(f"unexpected text operator {op!r}: extend this reader")
            elif op == b"re":
                rx, ry, rw, rh = (float(v) for v in operands)
                if rw > 40 and rh > 40:
                    rects.append((rx, ry, rx + rw, ry + rh))
        box = page.mediabox
        pages.append(Page(float(box.width), float(box.height), strings, rects))
    return pages


def layout_problems(page: Page) -> list[str]:
    """What is wrong on a page: text outside the page's printable area, outside the cell it starts
    in, smaller than 12 pt, or overlapping other text."""
    problems = []
    shown = [s for s in page.strings if s.text.strip()]
    for s in shown:
        x0, y0, x1, y1 = s.box
        if s.size < MIN_SIZE:
            problems.append(f"{s.text!r} is {s.size} pt")
        if x0 < EDGE or y0 < EDGE or x1 > page.width - EDGE or y1 > page.height - EDGE:
            problems.append(f"{s.text!r} at {s.box} leaves the {page.width}x{page.height} page")
        for rx0, ry0, rx1, ry1 in page.rects:
            if (
                rx0 <= s.x < rx1
                and ry0 <= s.y < ry1
                and not (rx0 <= x0 and x1 <= rx1 + 0.01 and ry0 <= y0 and y1 <= ry1)
            ):
                problems.append(f"{s.text!r} at {s.box} leaves its cell {(rx0, ry0, rx1, ry1)}")
    for i, a in enumerate(shown):
        for b in shown[i + 1 :]:
            ax0, ay0, ax1, ay1 = a.box
            bx0, by0, bx1, by1 = b.box
            if min(ax1, bx1) - max(ax0, bx0) > 0.5 and min(ay1, by1) - max(ay0, by0) > 0.5:
                problems.append(f"{a.text!r} overlaps {b.text!r}")
    return problems


def printed(text: str) -> str:
    """`text` as the page shows it: white space aside, composed (NFC), and each character Noto
    Sans lacks as a box (an invisible one, which has nothing to draw, left out)."""
    import unicodedata

    def one(ch: str) -> str:
        if ord(ch) in NOTO:
            return ch
        return "" if unicodedata.category(ch) in ("Cf", "Cc") else BOX

    return "".join(one(ch) for ch in unicodedata.normalize("NFC", text) if not ch.isspace())


def cover_text(pages: list[Page], months: int) -> str:
    """Everything the cover pages print, white space aside (a wrap turns a break into none)."""
    text = "".join(s.text for p in pages[: len(pages) - months] for s in p.strings)
    return "".join(text.split())


# --- the reader itself, on pages whose right answer is known -------------------------------------


def test_the_reader_finds_a_string_that_runs_off_the_page() -> None:
    """The checker must be able to fail: a plain canvas string past the edge, a 10 pt string and
    two strings drawn over each other are all reported."""
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=(400, 300), invariant=1)
    c.setFont("Helvetica", 12)
    c.drawString(300, 100, "Wolfeschlegelsteinhausen")
    c.drawString(50, 200, "over")
    c.drawString(55, 202, "lapping")
    c.setFont("Helvetica", 10)
    c.drawString(50, 50, "small")
    c.rect(40, 150, 100, 80)
    c.setFont("Helvetica", 12)
    c.drawString(45, 226, "too tall for it")
    c.save()
    (page,) = read_pages(buffer.getvalue())
    problems = " | ".join(layout_problems(page))
    assert "'Wolfeschlegelsteinhausen'" in problems and "leaves the 400.0x300.0 page" in problems
    assert "'small' is 10.0 pt" in problems
    assert "'over' overlaps 'lapping'" in problems
    assert "'too tall for it'" in problems and "leaves its cell" in problems
    width = next(s.width for s in page.strings if s.text == "Wolfeschlegelsteinhausen")
    from reportlab.pdfbase.pdfmetrics import stringWidth

    assert width == pytest.approx(stringWidth("Wolfeschlegelsteinhausen", "Helvetica", 12))


def test_a_character_the_embedded_font_lacks_is_read_as_a_box_of_its_width() -> None:
    """Drawn on a plain canvas (no fallback runs): the subset's codes read back through its
    ToUnicode map, and the Han letter Noto Sans lacks as the box it prints as."""
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen.canvas import Canvas

    typeset.register_embedded()
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=(400, 300), invariant=1)
    c.setFont(typeset.REGULAR, 12)
    c.drawString(20, 100, "Жé李b")
    c.save()
    (page,) = read_pages(buffer.getvalue())
    assert "".join(s.text for s in page.strings) == printed("Жé李b") == "Жé\u25a0b"
    assert sum(s.width for s in page.strings) == pytest.approx(stringWidth("Жé李b", typeset.REGULAR, 12))


# --- the wrap ------------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(st.sampled_from("aW Æé\u0301-\u200dЖ李 \n"), max_size=300),
    width=st.floats(30, 700),
    size=st.sampled_from([12.0, 16.0, 26.0]),
)
def test_wrap_lines_fit_and_keep_every_character(text: str, width: float, size: float) -> None:
    lines = wrap(text, typeset.BOLD, size, width)
    for line in lines:
        alone = set(line[1:]) <= {"\u0301", "\u200d"}  # one letter and its marks, wider than the line
        assert typeset.width(line, typeset.BOLD, size) <= width + 0.01 or alone
        assert line == line.strip(" \n") and line
        if not re.search(r"(^|\s)[\u0301\u200d]", text):  # a mark or ZWJ stays with its letter...
            assert not line.startswith(("\u0301", "\u200d")), lines
    assert "".join(lines).replace(" ", "") == "".join(text.split())  # ...and nothing is lost


# --- the calendar --------------------------------------------------------------------------------

WIDE = "ÆWMŒԪѸǱ"  # the widest glyphs in Latin-1 and in Noto Sans (Cyrillic Ԫ, Ѹ; Latin Ǳ)
LETTERS = "abcdefghijklmnopqrstuvwxyzÀÉÎÕÜßøñç-'." + WIDE
OTHER = "ЖДяΩλ李明\u0301\u200d"  # Cyrillic, Greek, Han (boxes), a combining mark, ZWJ


def _words(max_size: int, newlines: bool = False) -> st.SearchStrategy[str]:
    spaces = " \n" if newlines else " "
    return st.one_of(
        st.text(st.sampled_from(LETTERS + OTHER + spaces), min_size=1, max_size=max_size),
        st.sampled_from(WIDE).map(lambda ch: ch * max_size),  # one unbroken word at the limit
        st.lists(st.text(st.sampled_from(LETTERS), min_size=1, max_size=40), min_size=1, max_size=20)
        .map(" ".join)
        .map(lambda s: s[:max_size]),
    ).filter(lambda s: s.strip() != "")


@st.composite
def long_plans(draw: st.DrawFn) -> tuple[dict[str, object], str]:
    fields = draw(plan_fields())
    clinic = dict(fields.get("clinic", {}))  # type: ignore[call-overload]
    clinic |= {
        "name": draw(_words(200)),
        "location": draw(_words(300, newlines=True)),
        "phone": draw(st.one_of(_words(60), st.just("+1 (555) 010-0199 ext. 12345"))),
    }
    fields |= {"patient_name": draw(_words(200)), "clinic": clinic}
    if draw(st.booleans()):
        fields["dose"] = draw(st.sampled_from([999.5, 0.123456, 12.5]))
    return fields, draw(st.sampled_from(["letter", "a4"]))


WORST: dict[str, object] = {  # every field at its limit in the widest letter, on the most crowded
    "start": "2027-12-17",  # month: an IT dose, RT 10/10 and two tablet doses on 3 January 2028,
    "rt": "wbrt-30gy-10fx",  # six weeks, a dose that wraps in its cell
    "rt_start": "2027-12-17",
    "maintenance": 0,
    "dose": 999.5,
    "route": "ommaya",
    "patient_name": "Æ" * 200,
    "clinic": {"session_time": "07:30", "name": "Æ" * 200, "location": "Æ" * 300, "phone": "Æ" * 60},
}


@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_the_reported_inputs_no_longer_crop(registry, paper: str) -> None:  # type: ignore[no-untyped-def]
    """The issue's cases: a 41-character first name, a 200-character clinic name, a 300-character
    location. Before the fix the title, the clinic lines and the month pages' name ran off the
    page (this test then failed on each); now every string is inside, and all of it is printed."""
    name, clinic, location = "W" * 41 + " Smith", "M" * 200, "Longstreet " * 27
    plan = make_plan(
        registry,
        patient_name=name,
        rt="wbrt-30gy-10fx",
        rt_start="2026-11-30",
        clinic={"name": clinic, "location": location, "phone": "W" * 60},
    )
    pages = read_pages(render(plan, paper))  # type: ignore[arg-type]
    for n, page in enumerate(pages, start=1):
        assert layout_problems(page) == [], (paper, n)
    cover = cover_text(pages, len(month_pages(plan)))
    assert "Treatmentcalendarfor" + "W" * 41 in cover  # (which name the cover uses: test_pdf_patient)
    for text in (clinic, location, "Phone:" + "W" * 60):
        assert printed(text) in cover
    month = "".join(s.text for s in pages[-1].strings)
    assert "W" * 41 in month


def _january(pages: list[Page]) -> list[Page]:
    """The page or pages of January 2028 ("January 2028", or "January 2028, part 1 of 2" ...)."""
    found = [p for p in pages if any(s.size == 22 and s.text.startswith("January 2028") for s in p.strings)]
    assert found
    return found


@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_every_field_at_its_limit_on_the_most_crowded_month(registry, paper: str) -> None:  # type: ignore[no-untyped-def]
    PlanRequest.model_validate({**WORST, "age": "45"})  # the inputs are valid: at, not past, the limits
    plan = make_plan(registry, **WORST)
    data = render(plan, paper)  # type: ignore[arg-type]
    pages = read_pages(data)
    assert len(pages) > 1 + len(month_pages(plan))  # the cover continues on a second page
    for n, page in enumerate(pages, start=1):
        assert layout_problems(page) == [], (paper, n)
    printed_january = "".join("".join(s.text for p in _january(pages) for s in p.strings).split())
    for text in ("IT999.5mg07:30", "RT10/10", "10mgAM", "5mgPM"):
        assert text in printed_january
    texts = [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]
    for n, text in enumerate(texts, start=1):
        assert f"Page {n} of {len(texts)}" in text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=long_plans())
@example(case=(WORST, "a4"))
@example(case=({**WORST, "patient_name": "W" * 41, "clinic": {"name": "M" * 200}}, "letter"))
def test_long_names_clinics_and_locations_never_crop(registry, case: tuple[dict[str, object], str]) -> None:  # type: ignore[no-untyped-def]
    """Any plan, any name, clinic name, location and phone up to their limits, letter or A4:
    every string inside the page and its cell, none below 12 pt, none over another, and every
    character of the clinic's name, location and phone printed on the cover."""
    fields, paper = case
    plan = make_plan(registry, **fields)
    data = render(plan, paper)  # type: ignore[arg-type]
    pages = read_pages(data)
    months = len(month_pages(plan))
    assert len(pages) >= 1 + months
    for n, page in enumerate(pages, start=1):
        assert layout_problems(page) == [], (paper, n)
    clinic = plan.inputs.clinic
    cover = cover_text(pages, months)
    for text in (clinic.name, clinic.location.replace("\n", ", "), clinic.phone and f"Phone: {clinic.phone}"):
        assert printed(text) in cover
    name = (plan.patient.name or "").split()
    if name:
        assert printed(f"Treatment calendar for {name[0]}") in cover


def test_same_long_plan_same_bytes(registry) -> None:  # type: ignore[no-untyped-def]
    plan: Plan = make_plan(registry, **WORST)
    assert render(plan, "a4") == render(plan, "a4")


def test_no_date_is_lost_by_taller_rows(registry) -> None:  # type: ignore[no-untyped-def]
    """A crowded six-week month with a long name's header: every day of the month still has its
    number in its own cell, one cell per day."""
    plan = make_plan(registry, **WORST)
    pages = read_pages(render(plan, "a4"))
    januaries = _january(pages)  # Noto Sans is wider than Helvetica was: the month may take two
    assert sum(len(p.rects) for p in januaries) == 7 * 6
    numbers = [
        (n, s) for n, p in enumerate(januaries) for s in p.strings if s.size == 14 and s.text.isdigit()
    ]
    assert sorted(int(s.text) for _, s in numbers) == list(range(1, 32))
    cells = {
        (n, r) for n, s in numbers for r in januaries[n].rects if r[0] <= s.x < r[2] and r[1] <= s.y < r[3]
    }
    assert len(cells) == 31
    assert dt.date(2028, 1, 3).weekday() == 0  # the crowded Monday is in the grid's second row


@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_the_staff_sheet_holds_every_field_at_its_limit(registry, paper: str) -> None:  # type: ignore[no-untyped-def]
    """The staff sheet's page header gave up (LayoutError, an internal error) on a 200-character
    name: its four narrow columns grew taller than the third of a page it allowed. It now takes
    two wide columns when they are shorter, and the whole name and id are printed on every page."""
    from scheduler.export.pdf.staff import render as staff

    plan = make_plan(registry, **WORST, patient_id="W" * 64)
    reader = pypdf.PdfReader(io.BytesIO(staff(plan, paper)))  # type: ignore[arg-type]
    for page in reader.pages:
        text = "".join(page.extract_text().split())
        assert "Patient:" + "Æ" * 200 in text and "PatientID:" + "W" * 64 in text
