"""Reading a plan document that lmsched wrote earlier: the saved plan is the source of truth for
export, publish, reschedule, diff and reconcile."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .errors import InputError, quote
from .inputs import MAX_DEPTH, check_depth, read_input
from .plan import SCHEMA_VERSION, Plan, fingerprint

__all__ = ["EDITED_NOTE", "load_plan", "parse_json"]

EDITED_NOTE = (
    "EDITED: this plan was changed by hand after lmsched wrote it; lmsched did not compute or "
    "check the edit. Verify every date and dose against the signed order."
)


MAX_DIGITS = 20  # digits in one JSON number: no plan needs more; int() refuses above 4300


class _Refused(ValueError):
    """What the JSON hooks raise: a duplicate key, NaN or infinity, a number too long."""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object, refused when a key repeats: `"dose_mg": 150, "dose_mg": 15` would otherwise
    keep the last value silently, and a plan edited so must never pass as the one lmsched wrote."""
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise _Refused(f"the key {quote(key)} appears twice in one object")
        obj[key] = value
    return obj


def _constant(name: str) -> Any:
    raise _Refused(f"{name} is not a number JSON allows")


def _number(text: str) -> Any:
    if sum(c.isdigit() for c in text) > MAX_DIGITS:
        raise _Refused(f"a number has more than {MAX_DIGITS} digits")
    return float(text) if any(c in text for c in ".eE") else int(text)


def parse_json(data: bytes, where: str, field: str) -> Any:
    """A JSON input, strictly: UTF-8, no repeated key in any object, no NaN or Infinity, numbers
    of at most MAX_DIGITS digits, nested at most MAX_DEPTH deep; refused in one line naming `field`."""
    try:
        text = data.decode("utf-8-sig")  # a BOM an editor added is not an edit
        document = json.loads(
            text, object_pairs_hook=_pairs, parse_constant=_constant, parse_int=_number, parse_float=_number
        )
    except UnicodeDecodeError:
        raise InputError(f"{where} is not valid JSON (not UTF-8 text)", field=field) from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{where} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})", field=field
        ) from None
    except _Refused as exc:
        raise InputError(f"{where} is refused: {exc}", field=field) from None
    except RecursionError:
        raise InputError(
            f"{where} nests objects or arrays deeper than {MAX_DEPTH} levels", field=field
        ) from None
    check_depth(document, where, field)
    return document


def load_plan(path: Path, field: str = "PLAN", accept_edited: bool = False) -> Plan:
    """The plan in `path`, refused (exit 2) if it is not JSON, not an lmsched plan document, of a
    schema version this lmsched does not read, or edited by hand: its fingerprint must match its
    content, so what is exported or published is what lmsched checked.

    With `accept_edited`, an edited plan is returned marked (`edited`, and a note that every
    output prints) instead of refused."""
    data = read_input(path, field, "plan file (JSON)")
    document = parse_json(data, str(path), field)
    if not isinstance(document, dict) or "events" not in document:
        raise InputError(f"{path} is not an lmsched plan document (no events)", field=field)
    version = document.get("schema_version")
    if type(version) is not int or version != SCHEMA_VERSION:  # `true` and `1.0` equal 1 in Python
        shown = (
            json.dumps(version) if version is None or isinstance(version, int | float) else quote(version, 20)
        )
        raise InputError(
            f"{path} has plan schema version {shown}; this lmsched reads version {SCHEMA_VERSION}",
            field="schema_version",
            choices=[str(SCHEMA_VERSION)],
        )
    try:
        plan = Plan.model_validate(document)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "document"
        raise InputError(
            f"{path} is not a valid lmsched plan document ({where}: {err['msg']})", field=field
        ) from None
    actual = fingerprint(plan)
    if plan.fingerprint != actual:
        if not accept_edited:
            raise InputError(
                f"{path} was changed after lmsched wrote it (fingerprint mismatch)",
                field=field,
                hint="make the plan again, or give {accept_edited} to use it anyway (the outputs will say "
                "it was edited)",
            )
        seen = f"recorded {plan.fingerprint or 'no fingerprint'}, content {actual}"
        plan = plan.model_copy(
            update={
                "edited": seen,
                "notes": (*plan.notes, EDITED_NOTE) if EDITED_NOTE not in plan.notes else plan.notes,
            }
        )
        plan = plan.model_copy(update={"fingerprint": fingerprint(plan)})
    return plan
