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
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["paged_rows"]


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
    plain strings, drawn line by line in the row's font of `fonts` at `size` on `leading`, or
    paragraphs, drawn as they wrap) at `widths`.

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

    def room(i: int) -> list[tuple[int, float]]:
        """Row i's cells: (column, width), a spanned cell as wide as its columns."""
        joined = {first: last for first, last in spanned.get(i, ())}
        out: list[tuple[int, float]] = []
        j = 0
        while j < columns:
            last = joined.get(j, j)
            out.append((j, lefts[last + 1] - lefts[j]))
            j = last + 1
        return out

    wrapped: dict[tuple[int, int], float] = {}  # each paragraph's height, wrapped once at its width

    def row_height(i: int) -> float:
        h = 0.0
        cells = rows[i]
        for j, w in room(i):
            cell = cells[j]
            if isinstance(cell, str):
                t = leading * (cell.count("\n") + 1)
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
