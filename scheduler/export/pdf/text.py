"""Many short plain strings on a ReportLab canvas, written as one text object: the fast path of
the tables drawn on the canvas (`table.paged_rows`: the agenda's days, the staff sheet's events).

`textobject.textOut` works out, for every string it draws, the subsets of the embedded font its
characters fall in (`TTFont.splitString`), escapes them, measures the string to move its cursor
and formats its operators: most of a long table's drawing time, although a table's cells repeat
(the same event, dose, route and times on thousands of rows). Here each (font, text) is encoded
once per document, and each string is placed by its own text matrix, so nothing is measured.
The operators are the ones ReportLab writes (`/F1+0 9 Tf`, `(...) Tj`): the PDF reads the same.

Only the embedded TrueType faces (and the fallback fonts, also TrueType) are drawn here; a
text that needs more than one font is a paragraph of the table's own.
"""

from __future__ import annotations

from typing import Any

__all__ = ["TextBlock", "encoder"]

_NUMBERS: dict[float, str] = {}  # fp_str's answers, kept (bounded in `TextBlock.close`)
_ENCODED = 5000  # strings kept encoded per document


def encoder(canvas: Any) -> dict[tuple[str, str], tuple[tuple[str, str], ...]]:
    """The cache of encoded strings for `canvas`'s document (one per document: the subsets
    a font's characters are given are the document's own)."""
    doc = canvas._doc
    cache = getattr(doc, "_lmsched_encoded", None)
    if cache is None:
        cache = {}
        doc._lmsched_encoded = cache
    return cache


class TextBlock:
    """Strings in `size`-point type, each at its own baseline origin, added to the canvas as one
    BT ... ET block when `close` is called (inside the canvas's current graphics state: the fill
    colour in force is the text's)."""

    def __init__(self, canvas: Any, size: float, leading: float | None = None) -> None:
        from reportlab.lib.rl_accel import fp_str

        self._canvas = canvas
        self._fp = fp_str
        self._tf = f" {fp_str(size)} Tf"
        self._tl = f"{fp_str(size * 1.2 if leading is None else leading)} TL"
        self._led = False
        self._code: list[str] = ["BT"]
        self._subset = ""  # the font subset in force in this block
        self._cache = encoder(canvas)
        self._numbers = _NUMBERS  # coordinates as PDF writes them: a table's repeat

    def _encoded(self, text: str, font: str) -> tuple[tuple[str, str], ...]:
        from reportlab.pdfbase.pdfmetrics import getFont

        face: Any = getFont(font)
        if not face._dynamicFont:  # a standard font: lmsched registers none
            raise ValueError(f"{font}: not an embedded TrueType font")
        doc = self._canvas._doc
        escape = self._canvas._escape
        parts = tuple(
            (face.getSubsetInternalName(subset, doc), escape(chunk))
            for subset, chunk in face.splitString(text, doc)
        )
        if len(self._cache) > _ENCODED:  # a large centre's ids and names: bounded (encoding
            self._cache.clear()  # again gives the same bytes: the subsets keep their codes)
        self._cache[(font, text)] = parts
        return parts

    def put(self, x: float, y: float, text: str, font: str, line_end: bool = False) -> None:
        """`text` (one line) in `font`, its baseline starting at (x, y). `line_end`: end it with
        a move to the next line (T*), as `canvas.drawString` does: text extraction then reads it
        as a line of its own even beside another on the same baseline."""
        parts = self._cache.get((font, text))
        if parts is None:
            parts = self._encoded(text, font)
        code = self._code
        numbers = self._numbers
        at = numbers.get(x)
        if at is None:
            at = numbers[x] = self._fp(x)
        up = numbers.get(y)
        if up is None:
            up = numbers[y] = self._fp(y)
        code.append(f"1 0 0 1 {at} {up} Tm")
        for subset, chunk in parts:
            if subset != self._subset:
                code.append(subset + self._tf)
                self._subset = subset
            code.append(f"({chunk}) Tj")
        if line_end:
            if not self._led:  # the leading the move uses, once a block (it is text state)
                code.append(self._tl)
                self._led = True
            code.append("T*")

    def close(self) -> None:
        """Add the block to the canvas's page (nothing when no string was put)."""
        if len(self._code) > 1:
            self._code.append("ET")
            self._canvas._code.append(" ".join(self._code))
        self._code = ["BT"]
        self._subset = ""
        self._led = False
        if len(_NUMBERS) > 4096:
            _NUMBERS.clear()
