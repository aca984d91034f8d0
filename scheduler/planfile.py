"""Reading a plan document that lmsched wrote earlier: the saved plan is the source of truth for
export, publish, reschedule, diff and reconcile."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from .errors import InputError
from .inputs import read_input
from .plan import SCHEMA_VERSION, Plan, fingerprint

__all__ = ["EDITED_NOTE", "load_plan"]

EDITED_NOTE = (
    "EDITED: this plan was changed by hand after lmsched wrote it; lmsched did not compute or "
    "check the edit. Verify every date and dose against the signed order."
)


def load_plan(path: Path, field: str = "PLAN", accept_edited: bool = False) -> Plan:
    """The plan in `path`, refused (exit 2) if it is not JSON, not an lmsched plan document, of a
    schema version this lmsched does not read, or edited by hand: its fingerprint must match its
    content, so what is exported or published is what lmsched checked.

    With `accept_edited`, an edited plan is returned marked (`edited`, and a note that every
    output prints) instead of refused."""
    data = read_input(path, field, "plan file (JSON)")
    try:
        document = json.loads(data)
    except UnicodeDecodeError:
        raise InputError(f"{path} is not valid JSON (not UTF-8 text)", field=field) from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})", field=field
        ) from None
    if not isinstance(document, dict) or "events" not in document:
        raise InputError(f"{path} is not an lmsched plan document (no events)", field=field)
    version = document.get("schema_version")
    if version != SCHEMA_VERSION:
        raise InputError(
            f"{path} has plan schema version {version!r}; this lmsched reads version {SCHEMA_VERSION}",
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
