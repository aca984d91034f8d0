"""Extract the messages of lmsched's patient outputs into scheduler/locale/lmsched.pot and update
every shipped catalog from it (`make catalogs`); `--check` writes nothing and lists what is wrong.

A patient reads words from two places:
- the Python sources: strings marked with `gettext` (or `_`), `ngettext`, `N_` or `pgettext` (Babel's
  extractor). Every module of the package is read, not only the patient-facing ones: staff
  outputs never translate, so a marked string anywhere is one a patient reads (a module added
  later is covered without a list to keep);
- the templates' patient-facing fields (`TEMPLATE_FIELDS`), stored in English in the plan and
  translated where shown: a check's `patient_name` and `patient_text`, a systemic component's
  `instructions`, a regimen's phase names, the formulations. The template file is the
  message's location.

The template is deterministic: a fixed POT-Creation-Date, no Babel version, messages sorted,
locations without line numbers (a line moved in a source does not change the catalogs, so the
test that the .pot is current fails only when a message changed). Updating a catalog keeps its
translations, comments and X-Lmsched-* review headers (Babel drops unknown headers: they are put
back), adds each new message untranslated (never a guessed "fuzzy" one: a patient instruction is
translated or not) and drops the messages no source has any more.

`--check` exits 1 and lists: a stale template; each catalog's messages with no (non-fuzzy,
non-empty) translation, or whose translation drops, renames or adds a `{placeholder}`; and
source mistakes that make a message untranslatable (an f-string, a concatenation, a string
formatted before it is translated, a positional `{}`). It prints warnings that do not fail
(a gettext call with placeholders that is not followed by `.format`).

Usage: python tools/extract_messages.py [--check] [--quiet]
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import io
import re
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract as babel_extract
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scheduler.catalogs import DOMAIN, placeholder_problem, placeholders  # noqa: E402
from scheduler.i18n import UNREVIEWED_NOTICE  # noqa: E402
from scheduler.templates import KINDS  # noqa: E402

PACKAGE = "scheduler"
TEMPLATES = "templates"
LOCALE = "scheduler/locale"
POT = f"{LOCALE}/{DOMAIN}.pot"

# Babel's keyword specs: the argument positions of the message (and plural, and context).
KEYWORDS: dict[str, tuple[object, ...] | None] = {
    "gettext": None,
    "_": None,  # `_ = lang.gettext`, gettext's usual short name
    "ngettext": (1, 2),
    "N_": None,
    "pgettext": ((1, "c"), 2),
}
COMMENT_TAGS = ("Translators:",)

# Template fields a patient reads, by template kind: a dotted path, `[]` for each item of a list.
# (Read in scheduler/models.py and where the plan's copies are shown: ics.py, pdf/patient.py.)
# A patient calendar event's description shows an IT dose's phase and the formulation of what is
# not an infusion ("Formulation: tablets 150 mg and 500 mg."), stored in English in the plan.
TEMPLATE_FIELDS: dict[str, tuple[str, ...]] = {
    "monitoring": ("patient_name", "patient_text"),
    "regimen": ("formulation", "phases[].name"),
    "medication": ("formulation",),
    "systemic": ("components[].instructions", "components[].formulation"),
}

# Messages translated through a variable that no `N_` marks where it is defined (the notice is
# defined before `N_` in scheduler/i18n.py): (message, location).
EXTRA = ((UNREVIEWED_NOTICE, "scheduler/i18n.py"),)

# A fixed creation date, so that the template's bytes change only when a message does.
CREATION = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
HEADER_COMMENT = (
    "# Messages of lmsched's patient outputs (calendar PDF, patient calendar events): the template\n"
    "# every catalog is made from. A catalog's header records who reviewed it:\n"
    "# X-Lmsched-Reviewed-By and X-Lmsched-Reviewed-On (empty: not reviewed)."
)
WIDTH = 100


@dataclass
class Extraction:
    catalog: Catalog
    problems: list[str] = field(default_factory=list)  # fail --check and the test
    warnings: list[str] = field(default_factory=list)  # shown, not failing


def python_sources(root: Path = ROOT) -> list[Path]:
    return sorted(p for p in (root / PACKAGE).rglob("*.py") if "locale" not in p.relative_to(root).parts)


def template_sources(root: Path = ROOT) -> list[tuple[Path, str]]:
    found = []
    for folder, kind in sorted(KINDS.items()):
        if kind in TEMPLATE_FIELDS:
            found += [(p, kind) for p in sorted((root / TEMPLATES / folder).glob("*.toml"))]
    return found


def _values(data: object, path: str) -> Iterator[str]:
    head, _, rest = path.partition(".")
    each = head.endswith("[]")
    key = head.removesuffix("[]")
    if not isinstance(data, dict) or key not in data:
        return
    value = data[key]
    items = value if each and isinstance(value, list) else [value]
    for item in items:
        if rest:
            yield from _values(item, rest)
        elif isinstance(item, str) and item.strip():
            yield item


def _call_name(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _lint(path: str, source: str) -> tuple[list[str], list[str]]:
    """Mistakes Babel skips silently (or with a warning on stderr): messages that cannot be
    translated as written."""
    problems: list[str] = []
    warnings: list[str] = []
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        return [f"{path}:{exc.lineno}: cannot be parsed ({exc.msg})"], []
    # Calls whose result is formatted at once, or kept (assigned, returned, a dict's value) to be
    # formatted later: the others with placeholders print their braces.
    formatted = set()
    for node in ast.walk(tree):
        is_format = isinstance(node, ast.Attribute) and node.attr == "format"
        kept = isinstance(node, ast.Assign | ast.AnnAssign | ast.Return | ast.NamedExpr)
        if (is_format or kept) and getattr(node, "value", None) is not None:
            formatted.add(id(node.value))
        elif isinstance(node, ast.Dict):
            formatted.update(id(v) for v in node.values)
        elif isinstance(node, ast.IfExp):
            formatted.update((id(node.body), id(node.orelse)))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _call_name(node)
        if name not in KEYWORDS or not node.args:
            continue
        where = f"{path}:{node.lineno}: {name}()"
        texts = (
            node.args[1:3] if name == "pgettext" else node.args[:2] if name == "ngettext" else node.args[:1]
        )
        for arg in texts:
            if isinstance(arg, ast.JoinedStr):
                problems.append(
                    f"{where}: an f-string; write a message with named {{placeholders}} and .format()"
                )
            elif isinstance(arg, ast.BinOp) and any(
                isinstance(side, ast.Constant | ast.JoinedStr) for side in (arg.left, arg.right)
            ):
                problems.append(
                    f"{where}: a message built with + or %; write one sentence with {{placeholders}}"
                )
            elif (
                isinstance(arg, ast.Call)
                and isinstance(arg.func, ast.Attribute)
                and arg.func.attr == "format"
                and isinstance(arg.func.value, ast.Constant)
            ):
                problems.append(
                    f"{where}: formatted before it is translated; call .format() on the translation"
                )
            elif isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                fields = placeholders(arg.value)
                if fields is not None and any(not n or n.isdigit() for n in fields):
                    problems.append(
                        f"{where}: {arg.value!r} has a positional placeholder; name it ({{date}})"
                    )
                elif fields and name != "N_" and id(node) not in formatted:
                    warnings.append(f"{where}: {arg.value!r} has placeholders but no .format() follows")
    return problems, warnings


def extract(root: Path = ROOT) -> Extraction:
    """The message template of the sources under `root` (nothing written)."""
    catalog = Catalog(
        project="lmsched",
        version=None,
        domain=DOMAIN,
        header_comment=HEADER_COMMENT,
        creation_date=CREATION,
        charset="utf-8",
        fuzzy=False,
    )
    result = Extraction(catalog)
    for path in python_sources(root):
        rel = path.relative_to(root).as_posix()
        source = path.read_text("utf-8")
        problems, warnings = _lint(rel, source)
        result.problems += problems
        result.warnings += warnings
        stream = io.BytesIO(source.encode("utf-8"))
        stream.name = rel  # Babel names the file in its warnings
        for _lineno, message, comments, context in babel_extract(
            "python", stream, KEYWORDS, COMMENT_TAGS, {"encoding": "utf-8"}, strip_comment_tags=True
        ):
            messages = message if isinstance(message, tuple) else (message,)
            if not all(isinstance(m, str) and m for m in messages):
                continue  # a call with a variable (lang.gettext(stored)): marked where it is defined
            msgid: str | tuple[str, ...] = messages if len(messages) > 1 else messages[0]
            if isinstance(msgid, tuple):
                msgid = msgid[:2]
            _add(catalog, msgid, rel, list(comments), context)
    for path, kind in template_sources(root):
        rel = path.relative_to(root).as_posix()
        data = tomllib.loads(path.read_text("utf-8"))
        for spec in TEMPLATE_FIELDS[kind]:
            for text in _values(data, spec):
                _add(catalog, text, rel, [f"{kind} template field {spec}"], None)
    for text, rel in EXTRA:
        _add(catalog, text, rel, [], None)
    for entry in catalog:
        if not entry.id:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        for text in ids:
            if text != text.strip() or "  " in text:
                result.warnings.append(f"{entry.locations[0][0]}: {text!r} has extra white space")
    return result


def _add(
    catalog: Catalog, msgid: str | tuple[str, ...], location: str, comments: list[str], context: str | None
) -> None:
    existing = catalog.get(msgid, context)
    if existing is not None:
        if (location, None) not in existing.locations:
            existing.locations.append((location, None))
        for comment in comments:
            if comment not in existing.auto_comments:
                existing.auto_comments.append(comment)
        return
    catalog.add(msgid, None, [(location, None)], auto_comments=comments, context=context)


def _written(catalog: Catalog) -> str:
    for message in catalog:
        message.locations = sorted(set(message.locations))
        message.auto_comments = sorted(set(message.auto_comments))
    buffer = io.BytesIO()
    write_po(
        buffer,
        catalog,
        width=WIDTH,
        sort_output=True,
        ignore_obsolete=True,
        include_previous=False,
        include_lineno=False,
    )
    text = buffer.getvalue().decode("utf-8")
    head, sep, rest = text.partition("\n\n")
    head = "\n".join(line for line in head.split("\n") if not line.startswith('"Generated-By: '))
    head = re.sub(
        r'^"Project-Id-Version: [^"]*"$', r'"Project-Id-Version: lmsched\\n"', head, flags=re.MULTILINE
    )
    head = head.replace('"Report-Msgid-Bugs-To: EMAIL@ADDRESS\\n"', '"Report-Msgid-Bugs-To: \\n"')
    return head + sep + rest


def render_template(extraction: Extraction) -> str:
    return _written(extraction.catalog)


# -- catalogs --------------------------------------------------------------------------------------

_EXTRA_HEADER = re.compile(r'^"(X-[A-Za-z0-9-]+):[ \t]?(.*?)\\n"$', re.MULTILINE)


def catalog_paths(root: Path = ROOT) -> list[Path]:
    return sorted((root / LOCALE).glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def _header_block(text: str) -> str:
    """The header entry: the text up to its first blank line."""
    return text.split("\n\n", 1)[0]


def update_catalog(po_text: str, template: Catalog) -> str:
    """`po_text` updated from `template`: translations kept, new messages untranslated, obsolete
    ones dropped, the X-* headers (review status) kept as written."""
    extra = _EXTRA_HEADER.findall(_header_block(po_text))
    catalog = read_po(io.StringIO(po_text), abort_invalid=True)
    revision = catalog.revision_date
    catalog.update(template, no_fuzzy_matching=True, update_header_comment=False, keep_user_comments=True)
    catalog.revision_date = revision
    text = _written(catalog)
    if extra:
        head, sep, rest = text.partition("\n\n")
        lines = "".join(f'"{name}: {value}\\n"\n' for name, value in extra)
        text = f"{head}\n{lines.rstrip(chr(10))}{sep}{rest}"
    return text


@dataclass
class CatalogReport:
    path: Path
    missing: list[str] = field(default_factory=list)  # no translation, an empty or fuzzy one
    wrong: list[str] = field(default_factory=list)  # placeholders dropped, renamed or added


def check_catalog(po_text: str, template: Catalog, path: Path) -> CatalogReport:
    """Which of the template's messages `po_text` leaves untranslated or translates wrong."""
    report = CatalogReport(path)
    catalog = read_po(io.StringIO(po_text), abort_invalid=True)
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id, message.context)
        singular = message.id[0] if isinstance(message.id, tuple) else message.id
        label = singular if message.context is None else f"{message.context} | {singular}"
        if found is None or found.fuzzy:
            report.missing.append(label)
            continue
        strings = found.string if isinstance(found.string, tuple | list) else (found.string,)
        if not strings or not all(strings):
            report.missing.append(label)
            continue
        plural = message.id[1] if isinstance(message.id, tuple) else None
        problem = placeholder_problem(singular, plural, [str(s) for s in strings])
        if problem:
            report.wrong.append(problem)
    return report


def main(argv: list[str] | None = None, root: Path | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; list what is stale or missing")
    parser.add_argument("--quiet", action="store_true", help="print only problems")
    args = parser.parse_args(argv)
    root = root or ROOT
    extraction = extract(root)
    template_text = render_template(extraction)
    failed = bool(extraction.problems)
    for problem in extraction.problems:
        print(f"error: {problem}")
    for warning in extraction.warnings:
        print(f"warning: {warning}")
    pot = root / POT
    count = sum(1 for m in extraction.catalog if m.id)
    if args.check:
        if not pot.is_file() or pot.read_text("utf-8") != template_text:
            print(f"{POT} is stale: run `make catalogs`")
            failed = True
    else:
        pot.parent.mkdir(parents=True, exist_ok=True)
        _write(pot, template_text)
        if not args.quiet:
            print(f"{POT}: {count} messages")
    for path in catalog_paths(root):
        rel = path.relative_to(root).as_posix()
        text = path.read_text("utf-8")
        updated = update_catalog(text, extraction.catalog)
        if args.check:
            if updated != text:
                print(f"{rel} is not up to date with the template: run `make catalogs`")
                failed = True
        else:
            _write(path, updated)
        report = check_catalog(updated, extraction.catalog, path)
        if report.missing or report.wrong:
            failed = True
        if report.missing or not args.quiet:
            print(
                f"{rel}: {count - len(report.missing)} of {count} translated, {len(report.missing)} missing"
            )
        for msgid in sorted(report.missing):
            print(f"  untranslated: {msgid!r}")
        for problem in report.wrong:
            print(f"  placeholders: {problem}")
    return 1 if failed and args.check else 0


def _write(path: Path, text: str) -> None:
    if not path.is_file() or path.read_text("utf-8") != text:
        path.write_text(text, "utf-8")


if __name__ == "__main__":
    sys.exit(main())
