"""A centre's site policy (TOML): raise any rule's severity, or lower warn to info.

name = "Riverside Cancer Centre 2026"
[severity]
wbrt-overlap-it-methotrexate = "stop"
lumbar-route-continuing = "warn"
"""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path
from typing import cast

from ..errors import InputError, quote
from ..models import check_line
from . import _RANK, RULES, SEVERITIES, Policy, Severity, load_families

__all__ = ["load_policy", "parse_policy"]


_MAX_BYTES = 1_000_000  # as every TOML input (inputs.MAX_TOML_BYTES)


def load_policy(path: Path) -> Policy:
    try:
        with path.open("rb") as fh:
            data = fh.read(_MAX_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read {path} ({exc.strerror})", field="policy") from None
    if len(data) > _MAX_BYTES:
        raise InputError(f"{path} is larger than 1 MB, the most lmsched reads as a TOML file", field="policy")
    return parse_policy(data, str(path))


def parse_policy(data: bytes, where: str) -> Policy:
    load_families()
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"{where} is not valid TOML ({exc})", field="policy") from None
    except RecursionError:  # tomllib recurses once per level of nesting
        raise InputError(f"{where} nests tables or arrays too deeply", field="policy") from None
    unknown = sorted(set(doc) - {"name", "severity"})
    if unknown:
        raise InputError(f"{where}: unknown key '{unknown[0]}'", field="policy", choices=["name", "severity"])
    name = doc.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InputError(f'{where}: give the policy a name (name = "...")', field="policy.name")
    try:
        check_line(name)  # recorded in every plan: no control or bidirectional characters
    except ValueError as exc:
        raise InputError(f"{where}: {exc}", field="policy.name") from None
    table = doc.get("severity", {})
    if not isinstance(table, dict):
        raise InputError(f"{where}: [severity] must be a table of rule = severity", field="policy.severity")
    severities: dict[str, Severity] = {}
    for rule_id, wanted in table.items():
        if rule_id not in RULES:
            raise InputError(
                f"{quote(rule_id)} is not a rule", field="policy.severity", choices=sorted(RULES)
            )
        if wanted not in SEVERITIES:
            raise InputError(
                f"'{wanted}' is not a severity for {rule_id}", field="policy.severity", choices=SEVERITIES
            )
        default = RULES[rule_id].severity
        lowering = _RANK[wanted] < _RANK[default]
        if lowering and not (default == "warn" and wanted == "info"):
            raise InputError(
                f"{rule_id} is '{default}' by default and a policy may not lower it to '{wanted}' "
                "(only warn may become info)",
                field="policy.severity",
            )
        severities[rule_id] = cast(Severity, wanted)
    return Policy(name=name.strip(), digest=hashlib.sha256(data).hexdigest(), severities=severities)
