"""Errors name options by field and each front end spells them; the formats table feeds every
front end and the renderers alike."""

from __future__ import annotations

import datetime as dt

import pytest

from scheduler.errors import EXIT_BLOCKED, EXIT_INPUT, EXIT_SERVER, BlockedError, InputError, PublishError
from scheduler.export.formats import BATCH_FORMATS, FORMATS, check_formats
from scheduler.export.outputs import renderers
from scheduler.reschedule import Action, Delay, Hold, Stop


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def test_a_hint_is_plain_without_a_front_end_and_spelled_with_one() -> None:
    exc = InputError("2 courses", field="course", choices=["a", "b"], hint="say which with {course}")
    assert exc.render() == "course: 2 courses; say which with course (valid: a, b)"
    assert exc.render(flag) == "course: 2 courses; say which with --course (valid: a, b)"
    assert str(exc) == exc.render()


def test_user_text_is_never_read_as_an_option() -> None:
    exc = InputError("'{x}' is not a date", field="start {y}", choices=["{z}"])
    assert exc.render(flag) == "start {y}: '{x}' is not a date (valid: {z})"


def test_option_choices_are_spelled() -> None:
    with pytest.raises(InputError) as caught:
        Action.choose()
    assert caught.value.render(flag) == (
        "action: give exactly one change (valid: --delay DATE --days N, --hold-from DATE --resume DATE, "
        "--stop-from DATE --reason TEXT, --course ID --dose-level N --from DATE --reason TEXT, "
        "--csf-flow normal|obstructed)"
    )


def test_exit_codes_are_defined_once_beside_the_errors() -> None:
    assert InputError("x").exit_code == EXIT_INPUT == 2
    assert BlockedError("x", rule="r").exit_code == EXIT_BLOCKED == 3
    assert PublishError("x").exit_code == EXIT_SERVER == 4


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"delay": dt.date(2026, 12, 1)}, "days"),
        ({"hold_from": dt.date(2026, 12, 1)}, "resume"),
        ({"delay": dt.date(2026, 12, 1), "days": 2, "stop_from": dt.date(2026, 12, 1)}, "action"),
        ({"stop_from": dt.date(2026, 12, 1), "reason": "  "}, "reason"),
        ({"delay": dt.date(2026, 12, 1), "days": 0}, "days"),
        ({"hold_from": dt.date(2026, 12, 2), "resume": dt.date(2026, 12, 2)}, "resume"),
        ({"stop_from": dt.date(2026, 12, 1), "reason": "line\nbreak"}, "reason"),
    ],
)
def test_actions_check_themselves_when_built(options: dict[str, object], field: str) -> None:
    with pytest.raises(InputError) as caught:
        Action.choose(**options)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_each_action_is_chosen_from_its_options() -> None:
    day = dt.date(2026, 12, 1)
    assert Action.choose(delay=day, days=3, course="c") == Delay(day, 3, "c")
    assert Action.choose(hold_from=day, resume=day + dt.timedelta(3)) == Hold(day, day + dt.timedelta(3))
    assert Action.choose(stop_from=day, reason="Progression on MRI") == Stop(day, reason="Progression on MRI")


def test_every_format_has_a_renderer_and_batch_formats_are_checked() -> None:
    assert set(renderers()) == {f.name for f in FORMATS}
    assert set(BATCH_FORMATS) < set(renderers())
    assert check_formats(["ics", " pdf", "ics", ""]) == ("ics", "pdf")
    with pytest.raises(InputError, match="'fhir' is not a format"):
        check_formats(["fhir"])
    with pytest.raises(InputError):
        check_formats([""])
