"""`export.pdf.text.TextBlock`, the fast path of the canvas tables: each string drawn where it is
put, in its font, read back by pypdf as written, across the font subsets a document's characters
fill (256 codes each), with repeated strings encoded once per document."""

from __future__ import annotations

import io

import pypdf
from reportlab.pdfgen.canvas import Canvas

from scheduler.export.pdf import fonts
from scheduler.export.pdf.text import TextBlock, encoder


def _letters(n: int) -> list[str]:
    """n distinct printable letters (Latin, Greek, Cyrillic: all in the embedded Noto Sans)."""
    out = []
    for code in range(0x00C0, 0x0530):
        ch = chr(code)
        if ch.isalpha() and fonts.is_plain(ch):
            out.append(ch)
        if len(out) == n:
            break
    return out


def test_strings_read_back_in_place_and_font_across_subsets() -> None:
    fonts.register_embedded()
    letters = _letters(600)  # more than two subsets' worth
    assert len(letters) == 600
    words = ["".join(letters[i : i + 20]) for i in range(0, 600, 20)]
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(600, 800), invariant=1)
    text = TextBlock(canvas, 9)
    y = 780.0
    for i, word in enumerate(words):
        text.put(20, y, word, fonts.BOLD if i % 2 else fonts.REGULAR)
        text.put(300, y, "Lucía Pérez, IT methotrexate 3/18", fonts.ITALIC)  # the same string, again
        y -= 12
    text.close()
    assert len(encoder(canvas)) == len(words) + 1  # each (font, text) encoded once
    canvas.showPage()
    canvas.save()
    page = pypdf.PdfReader(io.BytesIO(buffer.getvalue())).pages[0]
    lines = page.extract_text().splitlines()
    for word in words:
        assert any(word in line for line in lines), word
    assert sum(line.count("Lucía Pérez, IT methotrexate 3/18") for line in lines) == len(words)
    seen: list[tuple[str, float]] = []

    def visit(t: str, _cm: object, tm: list[float], font: dict | None, _size: float) -> None:  # type: ignore[type-arg]
        if t.strip() and font is not None:
            seen.append((str(font.get("/BaseFont")), tm[4]))

    page.extract_text(visitor_text=visit)
    faces = {name.split("+")[-1] for name, _ in seen}
    assert {"NotoSans-Regular", "NotoSans-Bold", "NotoSans-Italic"} <= faces, faces
    assert {x for _, x in seen} == {20.0, 300.0}


def test_nothing_put_adds_nothing() -> None:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, invariant=1)
    before = list(canvas._code)
    TextBlock(canvas, 9).close()
    assert canvas._code == before
