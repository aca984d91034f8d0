"""The patient outputs' catalogs: every message a patient reads has a translation in every shipped
catalog (extracted in-process from the sources and templates, as `make catalogs` does), the
template in the tree is current, and the loader refuses what must not reach a patient (an
unreviewed catalog unless allowed, a malformed file, a translation that loses a placeholder)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import os
import re
import sys
import tempfile
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler import catalogs
from scheduler.catalogs import LOCALE_ENV, load_language, placeholder_problem
from scheduler.errors import InputError
from scheduler.i18n import ENGLISH, UNREVIEWED_NOTICE, Language

ROOT = Path(__file__).resolve().parents[2]


def _tool():
    spec = importlib.util.spec_from_file_location("extract_messages", ROOT / "tools" / "extract_messages.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("extract_messages", module)
    spec.loader.exec_module(module)
    return module


em = _tool()


@pytest.fixture(scope="module")
def extraction():
    return em.extract()


def _shipped() -> list[Path]:
    return em.catalog_paths()


HEADER = """msgid ""
msgstr ""
"Language: {code}\\n"
"Plural-Forms: {plural}\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=utf-8\\n"
"Content-Transfer-Encoding: 8bit\\n"
"X-Lmsched-Translator: test\\n"
"X-Lmsched-Reviewed-By: {reviewer}\\n"
"X-Lmsched-Reviewed-On: {reviewed_on}\\n"

"""


def _catalog(
    base: Path,
    code: str,
    body: str,
    reviewer: str = "A. Interpreter, CMI",
    plural: str = "nplurals=2; plural=(n != 1);",
) -> Path:
    path = base / code.replace("-", "_") / "LC_MESSAGES" / "lmsched.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    head = HEADER.format(
        code=code, plural=plural, reviewer=reviewer, reviewed_on="2026-12-01" if reviewer else ""
    )
    path.write_text(head + body, "utf-8")
    return path


def _one_line(exc: pytest.ExceptionInfo[InputError]) -> str:
    text = str(exc.value)
    assert "\n" not in text and "Traceback" not in text
    return text


# -- completeness of the shipped catalogs -----------------------------------------------------------


def test_there_are_shipped_catalogs_and_spanish_is_one():
    codes = [p.parent.parent.name for p in _shipped()]
    assert "es" in codes


def test_every_patient_message_has_a_translation_in_every_shipped_catalog(extraction):
    failures = []
    for path in _shipped():
        report = em.check_catalog(path.read_text("utf-8"), extraction.catalog, path)
        failures += [f"{path.parent.parent.name}: untranslated {m!r}" for m in sorted(report.missing)]
        failures += [f"{path.parent.parent.name}: {w}" for w in report.wrong]
    assert not failures, "run `make catalogs` and translate:\n" + "\n".join(failures)


def test_sources_mark_messages_so_that_they_can_be_translated(extraction):
    assert not extraction.problems, "\n".join(extraction.problems)


def test_the_template_in_the_tree_is_current(extraction):
    pot = ROOT / em.POT
    assert pot.is_file(), "run `make catalogs`"
    assert pot.read_text("utf-8") == em.render_template(extraction), (
        "lmsched.pot is stale: run `make catalogs`"
    )
    for path in _shipped():
        text = path.read_text("utf-8")
        assert em.update_catalog(text, extraction.catalog) == text, f"{path} is stale: run `make catalogs`"


def test_extraction_finds_template_fields_and_the_notice(extraction):
    ids = {m.id: m for m in extraction.catalog if m.id}
    blood = ids["Blood test"]
    assert ("templates/monitoring/mon-blood-count-it.toml", None) in blood.locations
    assert "Blood test before your treatment" in ids
    assert "take within 30 minutes after a meal" in ids  # a systemic component's instructions
    assert ("templates/systemic/sys-her2climb.toml", None) in ids["tablets 150 mg and 500 mg"].locations
    assert ("templates/regimens/it-mtx-intensive.toml", None) in ids["induction"].locations
    assert UNREVIEWED_NOTICE in ids
    # Staff-only template wording is not extracted.
    assert "Blood count" not in ids
    assert not any("S26" in str(m) for m in ids)


def test_shipped_catalogs_load_and_record_their_review_honestly():
    for path in _shipped():
        code = path.parent.parent.name.replace("_", "-")
        language = load_language(code, allow_unreviewed=True)
        headers = catalogs._headers(path.read_text("utf-8"))
        for name in ("x-lmsched-translator", "x-lmsched-reviewed-by", "x-lmsched-reviewed-on"):
            assert name in headers, f"{path}: header {name} missing"
        assert bool(headers["x-lmsched-reviewed-by"]) == bool(headers["x-lmsched-reviewed-on"])
        assert language.notice == (not headers["x-lmsched-reviewed-by"])
        assert language.messages, f"{path}: no translations read"


def test_the_shipped_spanish_draft_is_unreviewed_and_refused_without_the_option():
    """Nobody qualified has reviewed the Spanish draft: when someone has, their name and the date
    go into its header and this test changes with it."""
    headers = catalogs._headers((catalogs.shipped_dir() / "es/LC_MESSAGES/lmsched.po").read_text("utf-8"))
    assert headers["x-lmsched-reviewed-by"] == ""
    assert "not reviewed" in headers["x-lmsched-translator"]
    with pytest.raises(InputError) as exc:
        load_language("es")
    assert "allow-unreviewed-translation" in _one_line(exc)
    spanish = load_language("es", allow_unreviewed=True)
    assert spanish.notice
    assert spanish.unreviewed_notice().endswith(f" / {UNREVIEWED_NOTICE}")
    assert spanish.gettext("Blood test") == "Análisis de sangre"


def test_shipped_spanish_keeps_every_placeholder(extraction):
    """Checked by the loader too (a renamed placeholder would raise where it is formatted)."""
    spanish = load_language("es", allow_unreviewed=True)
    for message in extraction.catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            singular, plural = message.id
            for n in (1, 2, 5):
                english = placeholders_of(singular if n == 1 else plural)
                translated = placeholders_of(spanish.ngettext(singular, plural, n))
                assert translated <= placeholders_of(singular) | placeholders_of(plural)
                assert english - translated <= {"n"} if n == 1 else english == translated, message.id
        else:
            assert placeholders_of(spanish.gettext(message.id)) == placeholders_of(message.id), message.id


def placeholders_of(text: str) -> set[str]:
    found = catalogs.placeholders(text)
    return set(found) if found is not None else set()


# -- the extraction tool ---------------------------------------------------------------------------

SOURCE = """
from scheduler.i18n import N_

STORED = N_("Stored {thing}")


def words(lang, n, stored, when):
    a = lang.gettext("Your next visit is on {date}").format(date=when)
    b = lang.ngettext("{n} dose", "{n} doses", n).format(n=n)
    c = lang.gettext(stored)
    d = lang.gettext(f"Bad {n}")
    e = lang.gettext("Joined " + stored)
    f = lang.gettext("Early {x}".format(x=n))
    g = lang.gettext("Positional {}").format(n)
    h = lang.pgettext("weekday", "Sat")
    i = [lang.gettext("Never formatted {date}")]
    return a, b, c, d, e, f, g, h, i
"""

TEMPLATE = """
id = "mon-test"
kind = "monitoring"
name = "Staff name"
patient_name = "Test check"
patient_text = "A test check before your treatment"
"""


def _tree(tmp_path: Path) -> Path:
    (tmp_path / "scheduler" / "locale").mkdir(parents=True)
    (tmp_path / "scheduler" / "words.py").write_text(SOURCE, "utf-8")
    (tmp_path / "scheduler" / "locale" / "ignored.py").write_text('gettext("Not a source")', "utf-8")
    (tmp_path / "templates" / "monitoring").mkdir(parents=True)
    (tmp_path / "templates" / "monitoring" / "mon-test.toml").write_text(TEMPLATE, "utf-8")
    (tmp_path / "templates" / "regimens").mkdir(parents=True)
    (tmp_path / "templates" / "regimens" / "it-x.toml").write_text(
        'patient_name = "Not patient-facing"', "utf-8"
    )
    return tmp_path


def test_extraction_reads_keywords_templates_and_flags_untranslatable_messages(tmp_path, capsys):
    result = em.extract(_tree(tmp_path))
    ids = {(m.context, m.id) for m in result.catalog if m.id}
    assert (None, "Stored {thing}") in ids
    assert (None, "Your next visit is on {date}") in ids
    assert (None, ("{n} dose", "{n} doses")) in ids
    assert ("weekday", "Sat") in ids
    assert (None, "Test check") in ids and (None, "A test check before your treatment") in ids
    assert (None, "Staff name") not in ids and (None, "Not patient-facing") not in ids
    assert (None, "Not a source") not in ids
    problems = "\n".join(result.problems)
    assert "scheduler/words.py:11: gettext(): an f-string" in problems
    assert "scheduler/words.py:12: gettext(): a message built with + or %" in problems
    assert "scheduler/words.py:13: gettext(): formatted before it is translated" in problems
    assert "scheduler/words.py:14: gettext(): 'Positional {}' has a positional placeholder" in problems
    assert len(result.problems) == 4
    assert any("Never formatted {date}" in w for w in result.warnings)
    assert not any("Your next visit" in w for w in result.warnings)
    location = next(m for m in result.catalog if m.id == "Test check").locations
    assert location == [("templates/monitoring/mon-test.toml", None)]


def test_template_text_is_deterministic_and_has_no_clock_or_version(tmp_path):
    root = _tree(tmp_path)
    first = em.render_template(em.extract(root))
    assert first == em.render_template(em.extract(root))
    assert "Generated-By" not in first
    assert "POT-Creation-Date: 2026-12-01 00:00+0000" in first
    # Locations without line numbers: a line moved in a source changes nothing.
    (root / "scheduler" / "words.py").write_text("\n\n\n" + SOURCE, "utf-8")
    assert em.render_template(em.extract(root)) == first
    assert "#: scheduler/words.py\n" in first
    entries = re.findall(r'^msgid "(.+)"$', first, re.MULTILINE)
    assert entries == sorted(entries)


def _po(template: Catalog, strings: dict[str, object], fuzzy: set[str] = frozenset()) -> str:
    catalog = Catalog()  # two plural forms, as the header says (Babel's CLDR gives Spanish three)
    for message in template:
        if message.id:
            key = message.id[0] if isinstance(message.id, tuple) else message.id
            flags = {"fuzzy"} if key in fuzzy else set()
            catalog.add(
                message.id, strings.get(key, ""), message.locations, flags=flags, context=message.context
            )
    catalog.add("An old message", "Un mensaje viejo")
    buffer = io.BytesIO()
    write_po(buffer, catalog, omit_header=True)
    return HEADER.format(code="es", plural="nplurals=2; plural=(n != 1);", reviewer="", reviewed_on="") + (
        buffer.getvalue().decode("utf-8")
    )


def test_update_keeps_translations_and_review_headers_adds_new_untranslated_drops_obsolete(tmp_path):
    template = em.extract(_tree(tmp_path)).catalog
    text = _po(template, {"Test check": "Chequeo de prueba"})
    text = text.replace('"X-Lmsched-Reviewed-By: \\n"', '"X-Lmsched-Reviewed-By: R. Reviewer\\n"')
    template.add(
        "Test checks", None, [("templates/monitoring/mon-test.toml", None)]
    )  # close to a translated one
    updated = em.update_catalog(text, template)
    assert em.update_catalog(updated, template) == updated
    assert '"X-Lmsched-Reviewed-By: R. Reviewer\\n"' in updated
    assert '"X-Lmsched-Translator: test\\n"' in updated
    catalog = read_po(io.StringIO(updated))
    assert catalog.get("Test check").string == "Chequeo de prueba"
    new = catalog.get("Test checks")
    assert new.string == "" and not new.fuzzy  # never a guessed translation
    assert catalog.get("An old message") is None and "Un mensaje viejo" not in updated


def test_check_lists_missing_fuzzy_empty_and_placeholder_mistakes(tmp_path):
    template = em.extract(_tree(tmp_path)).catalog
    strings = {
        "Stored {thing}": "Guardado {cosa}",  # renamed
        "Your next visit is on {date}": "Su próxima visita",  # dropped
        "{n} dose": ("{n} dosis", "{n} dosis"),
        "Test check": "Chequeo",
        "A test check before your treatment": "Chequeo antes de su tratamiento",
        "Never formatted {date}": "Nunca {date}",
    }
    text = _po(template, strings, fuzzy={"Test check"})
    report = em.check_catalog(text, template, tmp_path / "es.po")
    # (the messages the sources build wrongly are extracted as written, and untranslated)
    assert sorted(report.missing) == [
        "Early {x}",
        "Joined ",
        "Positional {}",
        "Test check",
        UNREVIEWED_NOTICE,
        "weekday | Sat",
    ]
    assert len(report.wrong) == 2
    assert any("drops {date}" in w for w in report.wrong)
    assert any("drops {thing}" in w and "adds {cosa}" in w for w in report.wrong)


def test_check_mode_of_the_tool_reports_and_exits_1(tmp_path, capsys):
    root = _tree(tmp_path)
    assert em.main(["--check"], root) == 1  # no template written yet
    assert "lmsched.pot is stale" in capsys.readouterr().out
    assert em.main(["--quiet"], root) == 0
    assert (root / em.POT).is_file()
    po = root / "scheduler" / "locale" / "es" / "LC_MESSAGES" / "lmsched.po"
    po.parent.mkdir(parents=True)
    po.write_text(
        HEADER.format(code="es", plural="nplurals=2; plural=(n != 1);", reviewer="", reviewed_on=""), "utf-8"
    )
    em.main(["--quiet"], root)
    capsys.readouterr()
    assert em.main(["--check"], root) == 1
    out = capsys.readouterr().out
    assert "untranslated: 'Test check'" in out and "0 of 11 translated" in out
    assert "error: scheduler/words.py:11: gettext(): an f-string" in out
    assert "is stale" not in out and "not up to date" not in out


# -- placeholders ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("msgid", "plural", "strings", "problem"),
    [
        ("On {date}", None, ["El {date}"], None),
        ("On {date}", None, ["El {fecha}"], "drops {date}, adds {fecha}"),
        ("On {date}", None, ["El día"], "drops {date}"),
        ("On {date}", None, ["El {date} {date}"], "repeats or leaves out"),
        ("On {date}", None, ["El {date"], "not a valid format string"),
        ("{n} dose", "{n} doses", ["una dosis", "{n} dosis"], None),
        ("{n} dose", "{n} doses", ["{n} dosis", "{count} dosis"], "adds {count}"),
        ("50% {x", None, ["anything {at} all"], None),  # not a format string in English
        ("At {time:%H}", None, ["A las {time}"], None),  # the format spec may change
    ],
)
def test_placeholder_problem(msgid, plural, strings, problem):
    found = placeholder_problem(msgid, plural, strings)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


# -- the loader ------------------------------------------------------------------------------------


def test_locale_path_adds_a_language(tmp_path, monkeypatch):
    _catalog(tmp_path, "pt-BR", 'msgid "Blood test"\nmsgstr "Exame de sangue"\n')
    monkeypatch.setenv(LOCALE_ENV, str(tmp_path))
    assert "pt-BR" in catalogs.available()
    language = load_language("pt-BR")
    assert language.code == "pt-BR" and not language.notice
    assert language.gettext("Blood test") == "Exame de sangue"
    assert language.source == str(tmp_path / "pt_BR" / "LC_MESSAGES" / "lmsched.po")
    assert language.long_date(dt.date(2026, 12, 14)).startswith("segunda-feira, 14 de dezembro")


def test_locale_path_replaces_a_shipped_catalog_and_a_reviewed_one_loads_without_notice(
    tmp_path, monkeypatch
):
    _catalog(tmp_path, "es", 'msgid "Blood test"\nmsgstr "Prueba de sangre"\n')
    other = tmp_path / "second"
    _catalog(other, "es", 'msgid "Blood test"\nmsgstr "Never read: the first folder wins"\n')
    monkeypatch.setenv(LOCALE_ENV, os.pathsep.join([str(tmp_path), str(other)]))
    language = load_language("es")  # reviewed: no --allow-unreviewed-translation needed
    assert language.notice is False
    assert language.reviewed_by == "A. Interpreter, CMI" and language.reviewed_on == "2026-12-01"
    assert language.gettext("Blood test") == "Prueba de sangre"
    assert language.gettext("MRI scan") == "MRI scan"  # the centre's catalog lacks it: English
    assert "MRI scan" in catalogs.untranslated(language)
    monkeypatch.delenv(LOCALE_ENV)
    assert load_language("es", allow_unreviewed=True).gettext("Blood test") == "Análisis de sangre"


def test_unreviewed_catalog_is_refused_in_one_line_naming_the_field_and_the_option(tmp_path, monkeypatch):
    _catalog(tmp_path, "fr", 'msgid "Blood test"\nmsgstr "Prise de sang"\n', reviewer="")
    monkeypatch.setenv(LOCALE_ENV, str(tmp_path))
    with pytest.raises(InputError) as exc:
        load_language("fr", field="lang")
    line = _one_line(exc)
    assert line.startswith("lang: the 'fr' catalog")
    assert "X-Lmsched-Reviewed-By" in line and "allow-unreviewed-translation" in line
    assert (
        exc.value.render(lambda name: f"--{name.replace('_', '-')}").count("--allow-unreviewed-translation")
        == 1
    )
    language = load_language("fr", allow_unreviewed=True)
    assert language.notice and language.reviewed_by is None
    assert language.unreviewed_notice() == UNREVIEWED_NOTICE  # this catalog does not translate it


def test_reviewer_with_spaces_only_is_no_reviewer(tmp_path, monkeypatch):
    _catalog(tmp_path, "fr", 'msgid "a"\nmsgstr "b"\n', reviewer="   ")
    monkeypatch.setenv(LOCALE_ENV, str(tmp_path))
    with pytest.raises(InputError):
        load_language("fr")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("garbage line\n", "line "),
        ('msgid "a"\nmsgstr "b"\nmsgid "c"\n', "not a readable gettext catalog"),
        ('msgid "a\nmsgstr "b"\n', "entries but"),  # an unclosed quote: Babel reads nothing
        ('msgid "a"\nmsgstr "b"\n\nmsgid "a"\nmsgstr "c"\n', "entries but"),  # a duplicate msgid
        ('msgid "On {date}"\nmsgstr "El {fecha}"\n', "drops {date}"),
        ('msgid "On {date}"\nmsgstr "El {date"\n', "not a valid format string"),
    ],
)
def test_malformed_catalog_is_one_input_error_line(tmp_path, monkeypatch, body, expected):
    _catalog(tmp_path, "fr", body)
    monkeypatch.setenv(LOCALE_ENV, str(tmp_path))
    with pytest.raises(InputError) as exc:
        load_language("fr")
    line = _one_line(exc)
    assert line.startswith("language: the catalog ") and expected in line


def test_malformed_catalog_prints_nothing(tmp_path, monkeypatch, capsys):
    """Babel's lenient reader prints WARNING lines on stdout; the loader reads strictly."""
    _catalog(tmp_path, "fr", "garbage line\n")
    monkeypatch.setenv(LOCALE_ENV, str(tmp_path))
    with pytest.raises(InputError):
        load_language("fr")
    assert capsys.readouterr() == ("", "")


def test_catalog_that_is_not_utf8_or_has_a_bad_plural_rule_or_no_dates(tmp_path, monkeypatch):
    path = _catalog(tmp_path, "fr", "")
    path.write_bytes(path.read_bytes() + b'msgid "a"\nmsgstr "\xe9t\xe9"\n')
    _catalog(tmp_path, "de", "", plural="nplurals=2; plural=(n !!! 1 import os);")
    _catalog(tmp_path, "qq", 'msgid "a"\nmsgstr "b"\n')  # a well-formed code Babel has no data for
    monkeypatch.setenv(LOCALE_ENV, str(tmp_path))
    for code, expected in (("fr", "not UTF-8"), ("de", "Plural-Forms"), ("qq", "Babel has no dates")):
        with pytest.raises(InputError) as exc:
            load_language(code)
        assert expected in _one_line(exc)


def test_fuzzy_and_empty_entries_are_ignored(tmp_path, monkeypatch):
    body = '#, fuzzy\nmsgid "Blood test"\nmsgstr "Prise de sang"\n\nmsgid "MRI scan"\nmsgstr ""\n\nmsgid "Heart scan"\nmsgstr "Échographie du cœur"\n'
    _catalog(tmp_path, "fr", body)
    monkeypatch.setenv(LOCALE_ENV, str(tmp_path))
    language = load_language("fr")
    assert language.gettext("Blood test") == "Blood test"
    assert language.gettext("MRI scan") == "MRI scan"
    assert language.gettext("Heart scan") == "Échographie du cœur"


POLISH = "nplurals=3; plural=(n==1 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);"


def test_plural_forms_follow_the_catalogs_rule(tmp_path, monkeypatch):
    body = (
        'msgid "{n} dose"\nmsgid_plural "{n} doses"\n'
        'msgstr[0] "{n} dawka"\nmsgstr[1] "{n} dawki"\nmsgstr[2] "{n} dawek"\n\n'
        '#, fuzzy\nmsgid "{n} day"\nmsgid_plural "{n} days"\nmsgstr[0] "{n} dzień"\nmsgstr[1] "{n} dni"\nmsgstr[2] "{n} dni"\n'
    )
    _catalog(tmp_path, "pl", body, plural=POLISH)
    monkeypatch.setenv(LOCALE_ENV, str(tmp_path))
    language = load_language("pl")
    forms = {n: language.ngettext("{n} dose", "{n} doses", n).format(n=n) for n in (1, 2, 4, 5, 12, 22, 25)}
    assert forms == {
        1: "1 dawka",
        2: "2 dawki",
        4: "4 dawki",
        5: "5 dawek",
        12: "12 dawek",
        22: "22 dawki",
        25: "25 dawek",
    }
    assert language.ngettext("{n} day", "{n} days", 2) == "{n} days"  # fuzzy: English


def test_shipped_spanish_plural_rule():
    spanish = load_language("es", allow_unreviewed=True)
    assert [spanish.plural(n) for n in (0, 1, 2, 21)] == [1, 0, 1, 1]


def test_context_messages_do_not_replace_the_same_english(tmp_path, monkeypatch):
    body = 'msgctxt "weekday"\nmsgid "Sat"\nmsgstr "sáb"\n\nmsgid "Sat"\nmsgstr "Sentado"\n'
    _catalog(tmp_path, "fr", body)
    monkeypatch.setenv(LOCALE_ENV, str(tmp_path))
    language = load_language("fr")
    assert language.gettext("Sat") == "Sentado"
    assert language.messages[catalogs.context_key("weekday", "Sat")] == "sáb"


@pytest.mark.parametrize("code", ["fr", "EN", "es_ES", "e", "es-", "../es", "es\n"])
def test_unknown_or_malformed_code_lists_valid_choices(tmp_path, monkeypatch, code):
    _catalog(tmp_path, "pt-BR", 'msgid "a"\nmsgstr "b"\n')
    monkeypatch.setenv(LOCALE_ENV, str(tmp_path))
    with pytest.raises(InputError) as exc:
        load_language(code, field="lang")
    line = _one_line(exc)
    assert line.startswith("lang: ") and line.endswith("(valid: en, es, pt-BR)")


def test_a_locale_path_folder_that_does_not_exist_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv(LOCALE_ENV, os.pathsep.join([str(tmp_path), str(tmp_path / "typo")]))
    with pytest.raises(InputError) as exc:
        load_language("es", allow_unreviewed=True)
    assert _one_line(exc).startswith(f"{LOCALE_ENV}: '{tmp_path / 'typo'}' is not a folder")


def test_english_needs_no_catalog():
    assert load_language("en") is ENGLISH
    assert not ENGLISH.notice


# Text a centre's catalog may hold: any character but braces (placeholders are drawn separately)
# and surrogates; newlines, tabs, quotes, backslashes and characters above U+FFFF included.
TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="{}"), min_size=1, max_size=40)
NAMES = st.lists(st.from_regex(r"[a-z][a-z_]{0,8}", fullmatch=True), max_size=3, unique=True)


@settings(max_examples=150, deadline=None)
@given(entries=st.dictionaries(TEXT, st.tuples(TEXT, NAMES), min_size=1, max_size=6), names=NAMES)
def test_any_text_round_trips_through_a_catalog(entries, names):
    catalog = Catalog()
    wanted = {}
    for english, (translated, fields) in entries.items():
        msgid = english + "".join(f" {{{n}}}" for n in fields)
        msgstr = "".join(f"{{{n}}} " for n in reversed(fields)) + translated
        if catalog.get(msgid) is None:
            catalog.add(msgid, msgstr)
            wanted[msgid] = msgstr
    buffer = io.BytesIO()
    write_po(buffer, catalog, omit_header=True)
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as patch:
        base = Path(folder)
        path = _catalog(base, "fr", "")
        path.write_bytes(path.read_bytes() + buffer.getvalue())
        patch.setenv(LOCALE_ENV, str(base))
        language = load_language("fr")
        for msgid, msgstr in wanted.items():
            assert language.gettext(msgid) == msgstr
        assert language.gettext("never translated " + "".join(names)) == "never translated " + "".join(names)


# -- Language: dates -------------------------------------------------------------------------------


def test_spanish_dates():
    spanish = Language(code="es")
    day = dt.date(2026, 12, 14)
    assert spanish.long_date(day) == "lunes, 14 de diciembre de 2026"
    assert spanish.month_year(2026, 12) == "diciembre de 2026"
    assert spanish.day_month(day) == "14 de diciembre"
    assert [spanish.weekday_name(i) for i in range(7)] == [
        "lunes",
        "martes",
        "miércoles",
        "jueves",
        "viernes",
        "sábado",
        "domingo",
    ]
    assert spanish.weekday_name(2, "abbreviated") == "mié"
    assert spanish.month_name(1) == "enero"
    assert load_language("es", allow_unreviewed=True).long_date(day) == "lunes, 14 de diciembre de 2026"


def test_english_dates_unchanged():
    day = dt.date(2026, 12, 14)
    assert ENGLISH.long_date(day) == "Monday 14 December 2026"
    assert ENGLISH.month_year(2026, 12) == "December 2026"
    assert ENGLISH.short_date(day) == "Mon 14 Dec"
    assert ENGLISH.day_month(day) == "14 December"
    assert [ENGLISH.weekday_name(i, "abbreviated") for i in range(7)] == [
        "Mon",
        "Tue",
        "Wed",
        "Thu",
        "Fri",
        "Sat",
        "Sun",
    ]


SPANISH_MONTHS = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
]


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 31)))
def test_spanish_long_date_names_the_weekday_day_month_and_year(day):
    spanish = Language(code="es")
    expected = (
        f"{spanish.weekday_name(day.weekday())}, {day.day} de {SPANISH_MONTHS[day.month - 1]} de {day.year}"
    )
    assert spanish.long_date(day) == expected
    assert spanish.month_year(day.year, day.month) == f"{SPANISH_MONTHS[day.month - 1]} de {day.year}"
