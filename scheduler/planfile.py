"""Reading a plan document that lmsched wrote earlier (publish, and the later lifecycle commands)."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from .errors import InputError
from .plan import Plan, fingerprint, plan_from_json

__all__ = ["load_plan"]


def load_plan(path: Path, field: str = "PLAN") -> Plan:
    """The plan in `path`, refused (exit 2) if it is not a plan document or was edited by hand:
    its fingerprint must match its content, so what is published is what lmsched checked."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path} does not exist", field=field) from None
    except OSError as exc:
        raise InputError(f"cannot read {path} ({exc.strerror})", field=field) from None
    try:
        plan = plan_from_json(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "document"
        raise InputError(
            f"{path} is not an lmsched plan document ({where}: {err['msg']})", field=field
        ) from None
    if plan.fingerprint and plan.fingerprint != fingerprint(plan):
        raise InputError(
            f"{path} was changed after lmsched wrote it (fingerprint mismatch); re-run lmsched plan",
            field=field,
        )
    return plan
