"""Hostile and clumsy inputs at the layer that refuses them: text that could deceive (bidirectional
controls, invisible characters, non-ASCII digits), reasons padded with zero-width characters,
error lines that would echo megabytes or terminal escapes, and documents nested or sized to break
the parsers. Each must be a clear refusal (a ValueError or an InputError), never another exception.
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from scheduler.errors import QUOTE_LIMIT, InputError, quote, safe_line
from scheduler.inputs import MAX_DEPTH, check_depth, parse_toml
from scheduler.models import (
    BIDI_CONTROLS,
    FIRST_START,
    LAST_START,
    MAX_DATE,
    Clinic,
    PlanRequest,
    ascii_integer,
    ascii_number,
    check_id,
    check_line,
    check_text,
    parse_clock,
    parse_date,
    parse_start,
    visible_length,
)
from scheduler.planfile import parse_json
from scheduler.rules import MIN_REASON, OverrideRequest, validate_overrides

from ..conftest import ROOT

GOLDEN_PLAN = ROOT / "tests" / "golden" / "plan-adult.json"  # the example adult plan, as make demo writes it

BASE = {"start": "2026-12-01", "age": "45", "route": "ommaya"}
ZWJ, ZWNJ = "\u200d", "\u200c"
ESCAPE = "\x1b[2J\x1b]0;owned\x07"  # clear the screen, set the terminal title


def request(**fields: object) -> PlanRequest:
    return PlanRequest.model_validate({**BASE, **fields})


# --- text that cannot deceive -------------------------------------------------------------------


@pytest.mark.parametrize("char", sorted(BIDI_CONTROLS))
@pytest.mark.parametrize("field", ["patient_name", "patient_id"])
def test_every_bidirectional_control_is_refused_in_names_and_ids(field: str, char: str) -> None:
    with pytest.raises(ValidationError, match="bidirectional control"):
        request(**{field: f"Ann {char}Smith"})


def test_an_unterminated_right_to_left_override_is_refused_in_a_clinic_name() -> None:
    with pytest.raises(ValidationError, match="U\\+202E"):
        Clinic(name="Riverside \u202eCLINIC")


@given(
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20),
    st.sampled_from(sorted(BIDI_CONTROLS)),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20),
)
def test_any_text_holding_a_bidirectional_control_is_refused(before: str, char: str, after: str) -> None:
    for check in (check_text, check_line, check_id):
        with pytest.raises(ValueError):
            check(before + char + after)


@pytest.mark.parametrize(
    "name",
    [
        "Nas\u200crin Mohammadi",  # Persian: ZWNJ between letters that must not join
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # Persian word with ZWNJ
        "\u0915\u094d\u200d\u0937",  # Devanagari: ZWJ asks for the half form
        "\u0d28\u0d4d\u200d",  # Malayalam chillu written with ZWJ
    ],
)
def test_zwj_and_zwnj_stay_allowed_in_names(name: str) -> None:
    assert request(patient_name=name).patient_name == name


@pytest.mark.parametrize("joiner", [ZWJ, ZWNJ])
def test_zwj_and_zwnj_are_refused_in_patient_ids(joiner: str) -> None:
    """Two ids that look the same must not differ by an invisible character."""
    with pytest.raises(ValidationError, match="invisible format character"):
        request(patient_id=f"RCC{joiner}123")


@pytest.mark.parametrize("char", ["\u200b", "\u2060", "\ufeff", "\u00ad", "\u180e", "\U000e0041"])
def test_other_invisible_format_characters_are_refused_in_names(char: str) -> None:
    with pytest.raises(ValidationError, match="invisible format character"):
        request(patient_name=f"Ann{char}Smith")


def test_an_undecodable_byte_from_the_command_line_is_refused_not_an_encoding_crash() -> None:
    with pytest.raises(ValidationError, match="not valid UTF-8"):
        request(patient_name="Ann\udcff")  # how Python passes the byte 0xFF in argv


# --- override reasons: visible characters --------------------------------------------------------


def _reason(text: str) -> None:
    validate_overrides([OverrideRequest("csf-flow-obstructed", text)])


@pytest.mark.parametrize(
    "padding",
    [ZWJ * 8, ZWNJ * 8, "\u0301" * 8, "\u3164" * 8, " " * 8, "\u2003" * 8],
    ids=["zwj", "zwnj", "combining-acute", "hangul-filler", "spaces", "em-spaces"],
)
def test_a_reason_padded_with_invisible_characters_is_refused(padding: str) -> None:
    """ "a" + eight zero-width characters + " b" shows as "a b": three characters, not eleven."""
    with pytest.raises(InputError, match="10 visible characters"):
        _reason("a" + padding + " b")


def test_a_reason_with_zero_width_spaces_is_refused_outright() -> None:
    with pytest.raises(InputError, match="U\\+200B"):
        _reason("a" + "\u200b" * 8 + " b")


def test_a_real_reason_in_persian_with_zwnj_is_accepted() -> None:
    _reason(
        "\u0628\u0627 \u062a\u06cc\u0645 \u062a\u0648\u0645\u0648\u0631 \u0628\u0648\u0631\u062f \u0628\u0631\u0631\u0633\u06cc \u0634\u062f\u0647 \u0627\u0633\u062a"
    )
    _reason("Discussed at tumour board 2026-11-20")


_REASON_CHARS = st.one_of(
    st.sampled_from("ab x"),
    st.sampled_from([ZWJ, ZWNJ, "\u0301", "\u3164", "\u2800", "\u00a0", "\u2003"]),
)


@given(st.text(_REASON_CHARS, max_size=40))
def test_any_reason_whose_visible_length_is_below_ten_is_refused(text: str) -> None:
    if visible_length(text) < MIN_REASON:
        with pytest.raises(InputError):
            _reason(text)
    else:
        shown = "".join(c if c in "abx" else " " if c.isspace() else "" for c in text)
        assert len(" ".join(shown.split())) >= MIN_REASON


@given(st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30))
def test_visible_length_never_counts_format_or_combining_characters(text: str) -> None:
    hidden = sum(unicodedata.category(c) in {"Cf", "Mn", "Me"} for c in text)
    assert visible_length(text) <= len(text) - hidden or not text


# --- numbers: ASCII digits only --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["\u0664\u0665", "\uff14\uff15", "\u0966\u0967", "4_5", "1e3", "nan", "inf", "-inf", "0x2d"],
)
def test_numbers_given_as_text_take_ascii_digits_only(text: str) -> None:
    with pytest.raises(ValueError, match="digits 0-9"):
        ascii_number(text)
    with pytest.raises(ValueError, match="digits 0-9"):
        ascii_integer(text)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kps", "\u0664\u0665"),
        ("maintenance", "\uff14"),
        ("crcl", "\u0664\u0665.\u0665"),
        ("dose", "\uff11\uff12"),
        ("crcl", float("nan")),
        ("dose", float("inf")),
        ("kps", "9" * 5000),
    ],
)
def test_plan_numbers_refuse_other_digits_nan_and_huge_values(field: str, value: object) -> None:
    with pytest.raises(ValidationError):
        request(**{field: value})


@pytest.mark.parametrize("age", ["\u0664\u0665", "\uff14\uff15", "\u0664\u0665y", "8\u0669m"])
def test_ages_take_ascii_digits_only(age: str) -> None:
    with pytest.raises(ValidationError, match="not an age"):
        request(age=age)


@pytest.mark.parametrize("text", ["\uff12\uff10\uff12\uff16-12-01", "2026-12-0\u0661"])
def test_dates_take_ascii_digits_only(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text)


def test_clock_times_take_ascii_digits_only() -> None:
    with pytest.raises(ValueError):
        parse_clock("\u0660\u0669:\u0660\u0660")


# --- the supported range of dates -------------------------------------------------------------------


@pytest.mark.parametrize("day", ["2199-12-31", "2101-01-01", "1899-12-31", "0001-01-01", "9999-12-31"])
def test_a_start_outside_the_range_is_refused_up_front_with_the_range(day: str) -> None:
    with pytest.raises(ValidationError, match=f"{FIRST_START} to {LAST_START}"):
        request(start=day)


def test_the_last_start_date_leaves_room_for_the_longest_course() -> None:
    """Ten years of monthly maintenance from LAST_START ends decades before MAX_DATE."""
    assert (MAX_DATE - LAST_START).days > 366 * 20
    assert parse_start(LAST_START.isoformat()) == LAST_START


# --- error lines ------------------------------------------------------------------------------------


@given(st.text(max_size=300))
def test_quote_shows_at_most_about_sixty_characters_with_no_control_character(text: str) -> None:
    shown = quote(text)
    assert len(shown) <= QUOTE_LIMIT + len("'' ... (300 characters)")
    assert not any(unicodedata.category(c) in {"Cc", "Cf", "Cs", "Zl", "Zp"} for c in shown)


def test_safe_line_escapes_terminal_escapes_and_shortens_a_five_megabyte_value() -> None:
    line = safe_line(f"age: '{ESCAPE}{'9' * 5_000_000}' is not an age")
    assert "\x1b" not in line and "\x07" not in line
    assert "\\x1b" in line
    assert len(line) < 200
    assert line.endswith("is not an age")


def test_an_input_error_built_without_quote_is_still_safe_to_print() -> None:
    error = InputError(f"'{ESCAPE * 1000}' is bad", field="patient_name")
    line = error.render()
    assert "\x1b" not in line and len(line) < 200


# --- documents: depth, size, duplicate keys ---------------------------------------------------------


def test_toml_nested_1000_deep_is_an_input_error() -> None:
    for text in ("x = " + "[" * 1000 + "]" * 1000, "x = " + "{a = " * 1000 + "1" + "}" * 1000):
        with pytest.raises(InputError, match="deeper than 20 levels"):
            parse_toml(text.encode(), "p.toml", "patient file")


def test_toml_nested_within_the_limit_is_read() -> None:
    depth = MAX_DEPTH - 1
    assert parse_toml(("x = " + "[" * depth + "]" * depth).encode(), "p.toml", "patient file")


def test_check_depth_measures_any_depth_without_recursing() -> None:
    node: list[object] = []
    for _ in range(200_000):
        node = [node]
    with pytest.raises(InputError):
        check_depth(node, "doc", "PLAN")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[" * 100_000 + "]" * 100_000, "deeper than 20"),
        ('{"revision": ' + "9" * 5000 + "}", "more than 20 digits"),
        ('{"dose_mg": 150, "dose_mg": 15}', "'dose_mg' appears twice"),
        ('{"a": {"x": 1, "x": 1}}', "'x' appears twice"),
        ('{"revision": NaN}', "NaN"),
        ('{"revision": -Infinity}', "-Infinity"),
    ],
)
def test_plan_json_that_would_break_the_parser_or_hide_an_edit_is_refused(text: str, words: str) -> None:
    with pytest.raises(InputError, match=words):
        parse_json(text.encode(), "plan.json", "PLAN")


def test_plan_json_with_a_bom_is_read() -> None:
    assert parse_json(b'\xef\xbb\xbf{"a": 1}', "plan.json", "PLAN") == {"a": 1}


def test_a_real_plan_document_is_well_within_the_depth_limit() -> None:

    document = parse_json(GOLDEN_PLAN.read_bytes(), "plan-adult.json", "PLAN")
    assert json.loads(GOLDEN_PLAN.read_text()) == document


def test_now_far_from_utc_at_the_ends_of_time_is_an_input_error() -> None:
    from scheduler.inputs import resolve_now

    for text in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1899-12-31T12:00:00+00:00"):
        with pytest.raises(InputError, match="supported range"):
            resolve_now(text, "UTC")
    assert resolve_now("2026-11-23T09:00:00-05:00", "UTC") == dt.datetime.fromisoformat(
        "2026-11-23T09:00:00-05:00"
    )
    with pytest.raises(InputError, match="not an ISO date-time"):
        resolve_now("\uff12026-11-23T09:00:00", "UTC")


def test_every_invisible_or_control_character_is_escaped() -> None:
    """The escape table covers every Cc, Cf, Cs, Zl and Zp character this Python knows (a seed found
    U+206A, a deprecated format control, shown raw)."""
    import sys

    from scheduler.errors import escape_unsafe

    missed = [
        f"U+{c:04X}"
        for c in range(sys.maxunicode + 1)
        if unicodedata.category(chr(c)) in {"Cc", "Cf", "Cs", "Zl", "Zp"} and escape_unsafe(chr(c)) == chr(c)
    ]
    assert not missed
