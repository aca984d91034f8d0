"""Write the static Noto Sans fonts every lmsched PDF embeds (`make fonts`): scheduler/fonts/.

ReportLab embeds TrueType (glyf) fonts only and reads a variable font's default instance, so
the variable fonts of the `fontpkg-noto-sans` package are instantiated here with fontTools
(wght 400 and 700 upright, 400 italic, all at wdth 100) and subset to the scripts lmsched
prints with the embedded font: Latin (with Latin Extended A/B/C/D/E and Additional, which is
also Vietnamese), Greek (with polytonic), Cyrillic (with its supplements), IPA and modifier
letters, combining marks, general punctuation, super- and subscripts, currency, letterlike
symbols, number forms, arrows, the few mathematical operators and geometric shapes Noto Sans
has. Devanagari, which Noto Sans also covers, is left out: ReportLab draws it unshaped (no
conjuncts, vowel signs in the wrong place), so a Devanagari name stops with "no glyph" rather
than printing wrong.

The output is deterministic: the same package gives the same bytes (the fonts' head.modified
is kept from the package, not the clock). Run: `python tools/make_fonts.py [OUT_DIR]`.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from importlib import metadata
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont
from fontTools.varLib import instancer

PACKAGE = "fontpkg-noto-sans"
OUT = Path(__file__).resolve().parent.parent / "scheduler" / "fonts"

# (file name, source style, wght, name table subfamily)
STYLES = (
    ("NotoSans-Regular.ttf", "normal", 400, "Regular"),
    ("NotoSans-Bold.ttf", "normal", 700, "Bold"),
    ("NotoSans-Italic.ttf", "italic", 400, "Italic"),
)

RANGES = (
    (0x0020, 0x007E),  # Basic Latin
    (0x00A0, 0x00FF),  # Latin-1 Supplement
    (0x0100, 0x024F),  # Latin Extended-A and -B
    (0x0250, 0x02FF),  # IPA Extensions, Spacing Modifier Letters (okina, apostrophe)
    (0x0300, 0x036F),  # Combining Diacritical Marks
    (0x0370, 0x03FF),  # Greek and Coptic
    (0x0400, 0x052F),  # Cyrillic, Cyrillic Supplement
    (0x1AB0, 0x1AFF),  # Combining Diacritical Marks Extended
    (0x1C80, 0x1C8F),  # Cyrillic Extended-C
    (0x1D00, 0x1DFF),  # Phonetic Extensions (+ Supplement), Combining Marks Supplement
    (0x1E00, 0x1EFF),  # Latin Extended Additional (Vietnamese)
    (0x1F00, 0x1FFF),  # Greek Extended
    (0x2000, 0x206F),  # General Punctuation
    (0x2070, 0x209F),  # Superscripts and Subscripts (m²)
    (0x20A0, 0x20CF),  # Currency Symbols
    (0x20D0, 0x20FF),  # Combining Marks for Symbols
    (0x2100, 0x214F),  # Letterlike Symbols (№, ℃)
    (0x2150, 0x218F),  # Number Forms (½)
    (0x2190, 0x21FF),  # Arrows
    (0x2200, 0x22FF),  # Mathematical Operators
    (0x25A0, 0x25FF),  # Geometric Shapes
    (0x2C60, 0x2C7F),  # Latin Extended-C
    (0x2DE0, 0x2DFF),  # Cyrillic Extended-A
    (0x2E00, 0x2E7F),  # Supplemental Punctuation
    (0xA640, 0xA69F),  # Cyrillic Extended-B
    (0xA700, 0xA7FF),  # Modifier Tone Letters, Latin Extended-D
    (0xAB30, 0xAB6F),  # Latin Extended-E
    (0xFB00, 0xFB06),  # Latin ligatures
    (0xFE20, 0xFE2F),  # Combining Half Marks
    (0xFFFC, 0xFFFD),  # Replacement characters
)


def source_dir() -> Path:
    import fontpkg_noto_sans

    return Path(fontpkg_noto_sans.ROOT)


def source_file(style: str) -> Path:
    root = source_dir()
    files = json.loads((root / "metadata.json").read_text(encoding="utf-8"))["files"]
    (path,) = (f["path"] for f in files if f["style"] == style and f["variable"])
    return root / path


def unicodes() -> list[int]:
    return [code for start, end in RANGES for code in range(start, end + 1)]


def make(style: str, wght: int, subfamily: str) -> TTFont:
    font = TTFont(source_file(style), recalcTimestamp=False)
    static = instancer.instantiateVariableFont(font, {"wght": wght, "wdth": 100})
    options = subset.Options()
    options.layout_features = ["*"]  # kept for a shaper later (ReportLab 5 with uharfbuzz)
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.glyph_names = False
    options.hinting = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=unicodes())
    subsetter.subset(static)
    _rename(static, subfamily, wght, italic=style == "italic")
    return static


def _rename(font: TTFont, subfamily: str, wght: int, italic: bool) -> None:
    """Static names: 'Noto Sans' + subfamily, PostScript 'NotoSans-<subfamily>'."""
    full = f"Noto Sans {subfamily}"
    names = font["name"]
    for record in list(names.names):
        if record.nameID in (16, 17, 25) or record.nameID > 255:  # typographic, variations prefix
            names.removeNames(nameID=record.nameID)
    for name_id, value in (
        (1, "Noto Sans"),
        (2, subfamily),
        (3, f"2.015;GOOG;NotoSans-{subfamily}"),
        (4, full),
        (6, f"NotoSans-{subfamily}"),
    ):
        names.setName(value, name_id, 3, 1, 0x409)
        names.setName(value, name_id, 1, 0, 0)
    os2 = font["OS/2"]
    os2.usWeightClass = wght
    bold = wght >= 700
    os2.fsSelection = (os2.fsSelection & ~0b1100001) | (
        (1 if italic else 0) | (0b100000 if bold else 0) | (0b1000000 if not (bold or italic) else 0)
    )
    font["head"].macStyle = (1 if bold else 0) | (2 if italic else 0)


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else OUT
    out.mkdir(parents=True, exist_ok=True)
    for filename, style, wght, subfamily in STYLES:
        target = out / filename
        make(style, wght, subfamily).save(target)
        data = target.read_bytes()
        print(f"{target}: {len(data):,} bytes, sha256 {hashlib.sha256(data).hexdigest()[:16]}")
    shutil.copyfile(source_dir() / "LICENSE", out / "OFL.txt")
    version = metadata.version(PACKAGE)
    info = json.loads((source_dir() / "metadata.json").read_text(encoding="utf-8"))
    src = info["source"]
    (out / "SOURCE.md").write_text(
        f"""# Embedded fonts

`NotoSans-Regular.ttf`, `NotoSans-Bold.ttf` and `NotoSans-Italic.ttf` are static instances of
Noto Sans {info["version"]} ({info["copyright"]}), licensed under the SIL Open Font License 1.1
(`OFL.txt`).

- Source: the variable fonts `NotoSans[wdth,wght].ttf` and `NotoSans-Italic[wdth,wght].ttf` of
  the Python package `{PACKAGE}` {version} (PyPI), which redistributes them unmodified from
  {src["repo"]} at `{src["path"]}` (commit `{src["commit"]}`); upstream project
  https://github.com/notofonts/latin-greek-cyrillic.
- Made by `make fonts` (`tools/make_fonts.py`): fontTools `varLib.instancer` at wght 400 / 700 /
  400 italic, wdth 100; then `fontTools.subset` to Latin (Extended A-E and Additional, so
  Vietnamese), Greek (and Greek Extended), Cyrillic (and its supplements), combining marks,
  punctuation, super/subscripts, currency, letterlike symbols, number forms, arrows,
  mathematical operators and geometric shapes (the ranges are listed in the script); no
  hinting; layout tables kept. Devanagari is left out (ReportLab would draw it unshaped).
- The output is deterministic: the same package version gives the same bytes.
- These are Modified Versions under the OFL; the Reserved Font Name rules do not apply to Noto
  fonts (the licence declares none).
""",
        encoding="utf-8",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
