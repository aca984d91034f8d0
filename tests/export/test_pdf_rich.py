"""The staff sheet's cells of several faces on the canvas (`table.rich`, issue 20): wrapped as a
ReportLab paragraph wraps the same markup at the same width, line for line, each line within the
cell (its spaces shrunk, as a paragraph shrinks them, where it is a little over), and anything it
does not draw itself (a struck-through row, another script, a word wider than the cell) left to a
paragraph."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.export.pdf.fonts import BOLD, ITALIC, REGULAR, is_plain, register_embedded, width
from scheduler.export.pdf.table import SHRINK, Rich, rich

FACES = {(False, False): REGULAR, (True, False): BOLD, (False, True): ITALIC}
SIZE = 9.0

WORDS = st.sampled_from(
    ["IT", "methotrexate", "12", "mg", "Basis:", "age", "band", "3", "to", "under", "18", "years", "(tentative)",
     "Phase:", "maintenance", "continues", "until", "progression", "&", "<x>", "O'Neil", "Søndergaard",
     "record", "CSF", "out", "and", "Sample", "sent", "on", "row", "55;"]
)  # fmt: skip


@st.composite
def markups(draw: st.DrawFn) -> str:
    """Cell markup as the staff sheet makes it: escaped words, bold and italic runs, line breaks."""
    from scheduler.export.pdf.fonts import markup

    parts = []
    for _ in range(draw(st.integers(1, 4))):  # lines
        words = [markup(w) for w in draw(st.lists(WORDS, min_size=1, max_size=9))]
        style = draw(st.sampled_from(["", "b", "i", "lead-b"]))
        text = " ".join(words)
        if style == "lead-b":
            text = f"<b>{words[0]}</b> " + " ".join(words[1:])
        elif style:
            text = f"<{style}>{text}</{style}>"
        parts.append(text)
    return "<br/>".join(parts)


def paragraph_lines(marked: str, room: float) -> list[str]:
    """The lines a ReportLab paragraph breaks `marked` into at `room` points, as text."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph

    para = Paragraph(marked, ParagraphStyle("body", fontName=REGULAR, fontSize=SIZE, leading=11))
    para.wrap(room, 1e9)
    bl = para.blPara
    if bl.kind == 0:
        texts = [" ".join(words) for _extra, words in bl.lines]
    else:
        texts = ["".join(getattr(f, "text", "") for f in line.words) for line in bl.lines]
    return [" ".join(t.split()) for t in texts]


def our_lines(cell: Rich) -> list[str]:
    return [" ".join("".join(text for _x, _f, text in runs).split()) for runs in cell]


@settings(max_examples=300, deadline=None)
@given(marked=markups(), room=st.floats(40, 260))
def test_lines_break_where_a_paragraph_breaks_them(marked: str, room: float) -> None:
    register_embedded()
    cell = rich(marked, room, SIZE, FACES, is_plain, width)
    if cell is None:  # only for a word wider than the cell, which a paragraph splits
        assert any(width(w, BOLD, SIZE) > room for w in re.sub("<[^>]+>", " ", marked).split())
        return
    assert our_lines(cell) == paragraph_lines(marked, room)
    for runs in cell:  # within the cell: each run's end, its spaces shrunk no more than a paragraph's
        if runs:
            x, font, text = runs[-1]
            end = x + width(text, font, SIZE)
            words = sum(len(t.split()) for _x, _f, t in runs)
            assert end <= room + 1e-6 or end <= room + SHRINK * width(" ", REGULAR, SIZE) * words + 1e-6


def test_faces_runs_and_what_falls_back_to_a_paragraph() -> None:
    register_embedded()
    cell = rich(
        "<b>Basis:</b> age band adult (18+)<br/><i>continues until progression</i>",
        200,
        SIZE,
        FACES,
        is_plain,
        width,
    )
    assert cell is not None
    assert [[(f, t) for _x, f, t in line] for line in cell] == [
        [(BOLD, "Basis:"), (REGULAR, " age band adult (18+)")],
        [(ITALIC, "continues until progression")],
    ]
    assert cell[0][1][0] == width("Basis:", BOLD, SIZE)  # the regular run starts where the bold one ends
    assert rich("a &amp; b &lt;c&gt;", 200, SIZE, FACES, is_plain, width) == Rich(
        [((0.0, REGULAR, "a & b <c>"),)]
    )
    for other in (
        "<strike>struck</strike>",  # a cancelled row
        '<font name="LmFallback1">x</font>',  # a fallback font's run (glyphs the faces lack)
        "<b><i>both</i></b>",  # a face the sheet has not
        "W" * 80,  # wider than the cell
    ):
        assert rich(other, 100, SIZE, FACES, is_plain, width) is None, other
