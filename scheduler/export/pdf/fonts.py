"""The fonts every lmsched PDF embeds, the clinic's fallback fonts, and the one check that no
printed character would come out as a box.

The embedded family is Noto Sans (static instances made by `make fonts`, scheduler/fonts/,
SIL OFL): Latin with its extensions (Vietnamese too), Greek and Cyrillic. A centre names
TrueType fonts for other scripts (CJK...) in its clinic file; text is then drawn run by run, each
run in the first font that has its characters (`runs`). ReportLab embeds only the glyphs a
document uses (a subset per document), so a PDF carries some tens of kilobytes of font.

Right-to-left text is refused, always: ReportLab without a shaper (uharfbuzz) and a bidi
reordering (python-bidi) would print Arabic letters unjoined and Hebrew or Arabic reversed, and
a name printed wrong on a treatment calendar is worse than none. (ReportLab 5 shapes with
uharfbuzz when it is installed; with python-bidi for the order this is the path to lift it.)

`register(fonts)` loads the fonts once per process and makes `fonts.fallbacks` the chain that
`runs`, `width`, `draw` and `markup` use (each render function calls it first). ReportLab is
imported inside the functions only.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Literal

from ...errors import InputError, quote

__all__ = [
    "BOLD",
    "DEFAULT_FONTS",
    "FAMILY",
    "ITALIC",
    "REGULAR",
    "Fonts",
    "check",
    "draw",
    "fallback_name",
    "is_plain",
    "markup",
    "plan_texts",
    "register",
    "register_embedded",
    "runs",
    "width",
]

REGULAR, BOLD, ITALIC = "LmSans", "LmSans-Bold", "LmSans-Italic"
FAMILY = REGULAR
EMBEDDED = "Noto Sans"  # what the messages call the embedded family
_DIR = Path(__file__).resolve().parent.parent.parent / "fonts"
_FILES = {
    REGULAR: "NotoSans-Regular.ttf",
    BOLD: "NotoSans-Bold.ttf",
    ITALIC: "NotoSans-Italic.ttf",
}
_MAIN = frozenset(_FILES)
_LIST_LIMIT = 5  # distinct characters a missing-glyph message names


@dataclass(frozen=True)
class Fonts:
    """The fonts of one render: the clinic's fallback TrueType fonts (absolute paths, tried in
    order after Noto Sans) and whether characters no font has may print as boxes."""

    fallbacks: tuple[str, ...] = ()
    allow_missing: bool = False


DEFAULT_FONTS = Fonts()  # the embedded family alone, missing glyphs refused

_active: tuple[str, ...] = ()  # the registered names of the current fallbacks, in order
_main_registered = False


def fallback_name(path: str) -> str:
    """The name a fallback font is registered under: stable for its path, whatever the order."""
    return "LmFallback-" + hashlib.sha256(path.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def register_embedded() -> None:
    """Register the embedded family (once per process): what every function here needs."""
    global _main_registered
    if _main_registered:
        return
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for name, filename in _FILES.items():
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(_DIR / filename)))
    # the family, so paragraph markup's <b> and <i> draw in these faces (no bold italic face is
    # shipped: <b><i> is bold)
    pdfmetrics.registerFontFamily(FAMILY, normal=REGULAR, bold=BOLD, italic=ITALIC, boldItalic=BOLD)
    _main_registered = True


def _load(fonts: Fonts) -> tuple[str, ...]:
    """Register the embedded family and `fonts.fallbacks` (once each); their names, in order."""
    register_embedded()
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    names = []
    registered = set(pdfmetrics.getRegisteredFontNames())
    for path in fonts.fallbacks:
        name = fallback_name(path)
        if name not in registered:
            try:
                font = TTFont(name, path)
            except (TTFError, OSError, ValueError, AssertionError) as err:
                raise InputError(
                    f"{quote(path)} cannot be embedded ({err}); name a TrueType (glyf) font file",
                    field="fonts",
                ) from None
            pdfmetrics.registerFont(font)
            registered.add(name)
            # regular only: its bold and italic are the same face
            pdfmetrics.registerFontFamily(name, normal=name, bold=name, italic=name, boldItalic=name)
        names.append(name)
    return tuple(names)


def register(fonts: Fonts = DEFAULT_FONTS) -> None:
    """Load the fonts (each file once per process) and make `fonts.fallbacks` the fallback chain
    of `runs`, `width`, `draw` and `markup`."""
    global _active
    _active = _load(fonts)


@cache
def _coverage(name: str) -> frozenset[int]:
    """The code points font `name` has a glyph for (its cmap, as ReportLab reads it)."""
    from reportlab.pdfbase import pdfmetrics

    register_embedded()
    font = pdfmetrics.getFont(name)
    face = getattr(font, "face", None)
    chars = getattr(face, "charToGlyph", None)
    if chars is None:  # a standard Type 1 font: Latin-1
        return frozenset(range(0x20, 0x7F)) | frozenset(range(0xA0, 0x100))
    return frozenset(code for code, glyph in chars.items() if glyph)


def _joins(ch: str) -> bool:
    """A character drawn with the one before it: a combining mark, ZWJ/ZWNJ, a variation selector."""
    return unicodedata.category(ch)[0] == "M" or ch in "\u200c\u200d" or _selector(ch)


def _selector(ch: str) -> bool:
    code = ord(ch)
    return 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF


def _invisible(ch: str) -> bool:
    """Never drawn: white space and line breaks, format characters (left out when the font has
    no glyph for them: they have no shape to draw)."""
    category = unicodedata.category(ch)
    return ch.isspace() or category in ("Cc", "Cf", "Zs", "Zl", "Zp") or _selector(ch)


def _assign(text: str, font: str, chain: tuple[str, ...]) -> Iterator[tuple[str | None, str]]:
    """Each character of `text` (NFC) with the font that draws it: None when no font has it
    (it would print as a box), "" when it is invisible and its font has no glyph (left out)."""
    fonts = (font, *chain) if font in _MAIN else (font, REGULAR, *chain)
    current = font
    started = False
    for ch in unicodedata.normalize("NFC", text):
        if started and _joins(ch):
            yield (current if ord(ch) in _coverage(current) else "" if _invisible(ch) else None), ch
            continue
        chosen = next((f for f in fonts if ord(ch) in _coverage(f)), None)
        if chosen is None:
            yield ("" if _invisible(ch) else None), ch
            continue
        current, started = chosen, True
        yield current, ch


def runs(text: str, font: str = REGULAR) -> list[tuple[str, str]]:
    """`text` (NFC) as (font name, chunk) pairs, in order: consecutive characters drawn by the
    first font that has them (`font` first, then each fallback); combining marks and ZWJ stay
    with their base character's font; a character no font has is drawn by `font` (a box: only
    reachable when missing glyphs are allowed); an invisible one no font has is left out."""
    if text.isascii():
        return [(font, text)] if text else []
    return list(_runs(text, font, _active))


@lru_cache(maxsize=8192)
def _runs(text: str, font: str, chain: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """`runs` for one fallback chain, cached: a layout measures the same texts many times (a
    footer on every page, each prefix a wrap tries)."""
    out: list[tuple[str, str]] = []
    for name, ch in _assign(text, font, chain):
        if name == "":
            continue
        name = name or font
        if out and out[-1][0] == name:
            out[-1] = (name, out[-1][1] + ch)
        else:
            out.append((name, ch))
    return tuple(out)


def is_plain(text: str, font: str = REGULAR) -> bool:
    """True when `font` alone draws `text` as given: a table may draw it as a plain string."""
    if text.isascii():
        return True
    parts = runs(text, font)
    return len(parts) <= 1 and (not parts or (parts[0][0] == font and parts[0][1] == text))


def width(text: str, font: str, size: float) -> float:
    """`text`'s width at `size` points, drawn run by run as `draw` draws it."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    if not _main_registered:
        register_embedded()
    if text.isascii():
        return float(stringWidth(text, font, size))
    return float(sum(stringWidth(chunk, name, size) for name, chunk in runs(text, font)))


def draw(
    canvas: Any,
    x: float,
    y: float,
    text: str,
    font: str,
    size: float,
    align: Literal["left", "right", "centre"] = "left",
) -> None:
    """Draw `text` with its baseline at `y`, starting at (left), ending at (right) or centred on
    (centre) `x`, each run in its font; the canvas is left set to `font` at `size`."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    parts = runs(text, font)
    if align != "left":
        total = sum(stringWidth(chunk, name, size) for name, chunk in parts)
        x -= total if align == "right" else total / 2
    for name, chunk in parts:
        canvas.setFont(name, size)
        canvas.drawString(x, y, chunk)
        x += stringWidth(chunk, name, size)
    canvas.setFont(font, size)


def markup(text: object, font: str = REGULAR) -> str:
    """Input text as escaped paragraph markup (`<b>`, `&` and quotes print as typed) with
    `<font name="...">` around the runs a fallback font draws. The embedded faces have the same
    characters, so `font` may be any of them whatever the paragraph's style or `<b>`/`<i>`."""
    from .common import escape as _escape

    raw = "" if text is None else str(text)
    if raw.isascii():
        return _escape(raw)
    out = []
    for name, chunk in runs(raw, font):
        if name in _MAIN or name == font:
            out.append(_escape(chunk))
        else:
            out.append(f'<font name="{name}">{_escape(chunk)}</font>')
    return "".join(out)


# --- the check ----------------------------------------------------------------------------------


def _script(ch: str) -> str:
    words = unicodedata.name(ch, "").split()
    word = words[0] if words else ""
    return {"NKO": "NKo", "": "right-to-left"}.get(word, word.title())


def _described(ch: str) -> str:
    name = unicodedata.name(ch, "")
    code = f"U+{ord(ch):04X}"
    return f"{quote(ch)} ({code} {name})" if name else f"{quote(ch)} ({code})"


def check(texts: Iterable[tuple[str, str]], fonts: Fonts) -> None:
    """Refuse, in one line naming the field, the first text that would not print right: a
    right-to-left text (always), or characters no font has (unless `fonts.allow_missing`)."""
    chain = _load(fonts)
    for field, text in texts:
        if text.isascii():
            continue
        for ch in text:
            if unicodedata.bidirectional(ch) in ("R", "AL") and unicodedata.category(ch) != "Cf":
                raise InputError(
                    f"right-to-left text ({_script(ch)} script) cannot be printed correctly yet; "
                    "lmsched refuses rather than print it reversed or unjoined",
                    field=field,
                )
        if fonts.allow_missing:
            continue
        missing = list(dict.fromkeys(ch for name, ch in _assign(text, REGULAR, chain) if name is None))
        if missing:
            named = ", ".join(_described(ch) for ch in missing[:_LIST_LIMIT])
            more = f" and {len(missing) - _LIST_LIMIT} more" if len(missing) > _LIST_LIMIT else ""
            raise InputError(
                f"no glyph for {named}{more} in the embedded font ({EMBEDDED}) or the clinic's fonts",
                field=field,
                hint="name a TrueType font that has them in the clinic file's fonts = [...], "
                "or pass {allow_missing_glyphs}",
            )


def plan_texts(plan: Any) -> Iterator[tuple[str, str]]:
    """Every string of `plan` (a pydantic model) with its field path ("patient.name",
    "events[3].note"): what a PDF may print, walked generically so a new field is covered."""
    yield from _walk(plan.model_dump(), "")


def _walk(value: object, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        for n, item in enumerate(items):
            yield from _walk(item, f"{path}[{n}]")
