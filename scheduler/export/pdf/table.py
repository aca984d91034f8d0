"""Long tables drawn straight on the ReportLab canvas, a page at a time: the agenda's day tables and
the staff sheet's events.

A platypus `Table` that splits over pages builds the rest of itself again at each page (every
remaining cell measured again: quadratic in the rows) and draws each cell as a text object of its
own. Here every row is measured once, each page's plain cells are one text object
(`text.TextBlock`: each text encoded once per document), the headings are a form drawn once and
shown on every page, and the grid is a handful of line runs. It looks as the platypus table did:
the same padding, top-aligned text, grey grid and black box, row fonts, and spanned cells.

ReportLab is imported inside `paged_rows` only.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["Rich", "cell_widths", "paged_rows", "rich"]

_TAG = re.compile(r"<(/?)([a-z]+)\s*(/?)>")


class Rich(tuple):  # type: ignore[type-arg]
    """A cell of lines of runs in several faces (bold labels, italic notes), each run placed at
    its offset: `((x, font, text), ...)` per line. Drawn as plain text is (no paragraph)."""

    __slots__ = ()


def rich(
    marked: str,
    room: float,
    size: float,
    faces: Mapping[tuple[bool, bool], str],
    plain: Any,
    measure: Any,
) -> Rich | None:
    """Paragraph markup of the simple kind a table cell has (`<b>`, `<i>`, `<br/>` and escaped
    text) as a `Rich` cell wrapped to `room` points as a paragraph wraps it: at spaces, greedily,
    a run of spaces one space, no space at a line's ends. `faces`: (bold, italic) -> font;
    `plain(text, font)`: whether the font alone draws the text; `measure(text, font, size)`.

    None (the caller makes a paragraph) for anything else: other tags (a struck-through
    cancelled row, a fallback font's run), a face `faces` lacks, text a face cannot draw alone
    (shaping, another script), or a word wider than the line (a paragraph breaks it)."""
    import html

    bold = italic = False
    lines: list[list[tuple[str, str]]] = [[]]  # each line's runs, unwrapped
    at = 0
    for tag in _TAG.finditer(marked):
        if tag.start() > at:
            if "<" in marked[at : tag.start()]:  # a tag the pattern does not read
                return None
            lines[-1].append((faces.get((bold, italic), ""), html.unescape(marked[at : tag.start()])))
        at = tag.end()
        closing, name, empty = tag.groups()
        if name == "br" and empty and not closing:
            lines.append([])
        elif name in ("b", "i") and not empty:
            bold, italic = (not closing, italic) if name == "b" else (bold, not closing)
        else:
            return None
    if at < len(marked):
        if "<" in marked[at:]:
            return None
        lines[-1].append((faces.get((bold, italic), ""), html.unescape(marked[at:])))
    out: list[tuple[tuple[float, str, str], ...]] = []
    for runs in lines:
        # words: the pieces of text between spaces, each piece in its run's face
        words: list[list[tuple[str, str]]] = [[]]
        for font, text in runs:
            if not font or not plain(text, font):
                return None
            for n, part in enumerate(re.split(r"[ \t\n]+", text)):
                if n:
                    words.append([])
                if part:
                    words[-1].append((font, part))
        # as a paragraph breaks lines: a word goes on the line while the line stays within the
        # room plus what its spaces may shrink (ReportLab's spaceShrinkage: 5% of a space each)
        line: list[tuple[list[tuple[str, str]], float]] = []
        current = 0.0
        broken: list[list[tuple[list[tuple[str, str]], float]]] = []
        for word in (w for w in words if w):
            width = sum(measure(t, f, size) for f, t in word)
            if width > room:
                return None  # a paragraph splits a word wider than the line
            space = measure(" ", word[0][0], size) if line else 0.0
            if line and current + space + width > room + SHRINK * space * len(line):
                broken.append(line)
                line, current, space = [], 0.0, 0.0
            line.append((word, width))
            current += space + width
        broken.append(line)
        out += [_placed(placed, room, size, measure) for placed in broken]
    return Rich(out)


SHRINK = 0.05  # reportlab.rl_config.spaceShrinkage, the paragraph style's default


def _placed(
    line: Sequence[tuple[Sequence[tuple[str, str]], float]], room: float, size: float, measure: Any
) -> tuple[tuple[float, str, str], ...]:
    """A line's words as runs at their offsets: a word after a space starts with it, the runs of
    one face joined; a line wider than `room` has its spaces shrunk to fit, as a paragraph draws
    it (word spacing), each word then a run of its own."""
    spaces = [measure(" ", word[0][0], size) for word, _w in line[1:]]
    over = sum(w for _word, w in line) + sum(spaces) - room
    shrink = over / len(spaces) if over > 1e-8 and spaces else 0.0
    runs: list[tuple[float, str, str]] = []
    x = 0.0
    for n, (word, _width) in enumerate(line):
        for k, (font, text) in enumerate(word):
            step = measure(text, font, size)
            if k == 0 and n:  # the space before the word starts its run (text reads with it)
                text, step = f" {text}", step + spaces[n - 1] - shrink
                if shrink:  # drawn from `shrink` before the previous word's end: the word lands
                    x -= shrink  # where the paragraph's narrower space puts it
                    step += shrink
            if runs and runs[-1][1] == font and not (shrink and k == 0):
                start, _font, before = runs[-1]
                runs[-1] = (start, font, before + text)
            else:
                runs.append((x, font, text))
            x += step
    return tuple(runs)


def cell_widths(widths: Sequence[float], spans: Sequence[tuple[int, int]] = ()) -> list[tuple[int, float]]:
    """A row's cells as (column, width) at column `widths`: a cell spanning columns first..last
    (`spans`) as wide as they are together, the columns it covers left out."""
    joined = dict(spans)
    lefts = list(itertools.accumulate(widths, initial=0.0))
    out: list[tuple[int, float]] = []
    j = 0
    while j < len(widths):
        last = joined.get(j, j)
        out.append((j, lefts[last + 1] - lefts[j]))
        j = last + 1
    return out


def paged_rows(
    heads: Any,
    rows: Sequence[Sequence[Any]],
    fonts: Sequence[str],
    widths: Sequence[float],
    form: str | None,
    *,
    size: float,
    leading: float,
    pad_x: float,
    pad_top: float,
    pad_bottom: float,
    spans: Mapping[int, Sequence[tuple[int, int]]] | None = None,
    cell_objects: bool = False,
) -> Any:
    """A platypus flowable: `heads` (a platypus Table of the heading rows, repeated at the top of
    every page the table continues onto: drawn once as the document's form `form`, a name of
    this table's own, or on every page when it is None), then `rows` (each a list of cells:
    plain strings, drawn line by line in the row's font of `fonts` at `size` on `leading`;
    `Rich` cells, lines of runs in several faces (`rich`), drawn the same way; or paragraphs,
    drawn as they wrap) at `widths`.

    `spans`: for a row's index, the (first, last) columns that are one cell there, its text in
    the first (as a platypus SPAN): no rule between them on that row.

    `cell_objects`: each cell's text a text object of its own, as a platypus table draws it (text
    extraction then reads a cell's lines apart from the next cell's on the same line), instead of
    one for a page's plain cells (between paragraphs).

    A row is never split: a page holds the most whole rows that fit under the headings."""
    from reportlab.lib import colors
    from reportlab.platypus import Flowable

    from .text import TextBlock

    spanned: Mapping[int, Sequence[tuple[int, int]]] = spans or {}
    heads.wrap(sum(widths), float("inf"))
    head = heads._height
    lefts = list(itertools.accumulate(widths, initial=0.0))
    total_w = lefts[-1]
    columns = len(widths)

    unspanned = cell_widths(widths)

    def room(i: int) -> list[tuple[int, float]]:
        """Row i's cells: (column, width)."""
        joined = spanned.get(i)
        return cell_widths(widths, joined) if joined else unspanned

    wrapped: dict[tuple[int, int], float] = {}  # each paragraph's height, wrapped once at its width

    def row_height(i: int) -> float:
        h = 0.0
        cells = rows[i]
        for j, w in room(i):
            cell = cells[j]
            if isinstance(cell, str):
                t = leading * (cell.count("\n") + 1)
            elif isinstance(cell, Rich):
                t = leading * len(cell)
            else:
                t = wrapped[i, j] = cell.wrap(w - 2 * pad_x, float("inf"))[1]
            h = max(h, t + pad_top + pad_bottom)
        return h

    heights = [row_height(i) for i in range(len(rows))]
    ends = list(itertools.accumulate(heights, initial=0.0))  # ends[i]: rows 0..i-1's height
    formed: list[str] = []

    class _Block(Flowable):
        """Rows first..last-1 under the headings."""

        def __init__(self, first: int, last: int) -> None:
            super().__init__()
            self.first, self.last = first, last

        def wrap(self, aw: float, ah: float) -> tuple[float, float]:
            self.width, self.height = total_w, head + ends[self.last] - ends[self.first]
            return self.width, self.height

        def split(self, aw: float, ah: float) -> list[Any]:
            # the most rows from `first` whose height fits under the headings (a little slack, as
            # a table's own split allows for rounding)
            fits = ah - head + 1e-6
            last = min(self.last, bisect.bisect_right(ends, ends[self.first] + fits) - 1)
            if last <= self.first:
                return []  # not even one row: the frame moves on to the next page
            return [_Block(self.first, last), _Block(last, self.last)]

        def draw(self) -> None:
            canv = self.canv
            top = self.height - head
            # the headings repeat on every page: drawn once, as a form each page shows (or on
            # each page, where a test must read their places: pypdf reads a form's text in the
            # form's own coordinates)
            if form is None:
                heads.drawOn(canv, 0, top)
            else:
                if not formed:
                    canv.beginForm(form)
                    heads.drawOn(canv, 0, 0)
                    canv.endForm()
                    formed.append(form)
                canv.saveState()
                canv.translate(0, top)
                canv.doForm(form)
                canv.restoreState()
            text = TextBlock(canv, size, leading)
            y = top
            for i in range(self.first, self.last):
                font = fonts[i]
                cells = rows[i]
                for j in [c for c, _ in room(i)] if i in spanned else range(columns):
                    cell = cells[j]
                    x = lefts[j]
                    if isinstance(cell, str):
                        line_y = y - pad_top - size
                        for line in cell.split("\n"):
                            if line:
                                text.put(x + pad_x, line_y, line, font, cell_objects)
                            line_y -= leading
                        if cell_objects:
                            text.close()
                    elif isinstance(cell, Rich):  # each run at its place on its line
                        line_y = y - pad_top - size
                        for runs in cell:
                            for n, (dx, face, piece) in enumerate(runs):
                                text.put(
                                    x + pad_x + dx, line_y, piece, face, cell_objects and n == len(runs) - 1
                                )
                            line_y -= leading
                        if cell_objects:
                            text.close()
                    else:  # as it was wrapped when the row was measured; the text before it
                        text.close()  # first, so the page reads cell by cell in order
                        cell.drawOn(canv, x + pad_x, y - pad_top - wrapped[i, j])
                y -= heights[i]
            text.close()
            canv.saveState()
            canv.setLineCap(1)
            canv.setLineJoin(1)
            canv.setStrokeColor(colors.grey)
            canv.setLineWidth(0.5)
            lines: list[tuple[float, float, float, float]] = []
            y = top
            for i in range(self.first, self.last):
                y -= heights[i]
                lines.append((0, y, total_w, y))
            if not any(i in spanned for i in range(self.first, self.last)):
                lines += [(x, top, x, 0) for x in lefts]
            else:  # each inner rule in runs of rows, broken where a row spans across it
                for j, x in enumerate(lefts):
                    y, start = top, top
                    for i in range(self.first, self.last):
                        crossed = 0 < j < columns and any(a < j <= b for a, b in spanned.get(i, ()))
                        if crossed:
                            if start > y:
                                lines.append((x, start, x, y))
                            start = y - heights[i]
                        y -= heights[i]
                    if start > y:
                        lines.append((x, start, x, y))
            canv.lines(lines)
            canv.setStrokeColor(colors.black)
            canv.setLineWidth(0.75)
            canv.lines([(0, top, 0, 0), (total_w, top, total_w, 0), (0, 0, total_w, 0)])
            canv.restoreState()

    return _Block(0, len(rows))
