"""Safety rules: named, sourced checks that return findings, and the one place that decides what
a finding does (block, stop unless overridden, warn, info).

A rule is a pure function of the plan (whose `inputs` carry the patient facts). Rules never raise;
`check_plan` applies the site policy and the overrides; `blocking` is the one decision of which
findings keep a plan from being written, and `refusal` the one message that says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from ..errors import BlockedError, InputError, quote
from ..models import check_line, visible_length
from ..plan import Finding, Override, Plan, PolicyRef, fingerprint

__all__ = [
    "RULES",
    "SEVERITIES",
    "CheckResult",
    "Hit",
    "OverrideRequest",
    "Policy",
    "Rule",
    "blocking",
    "check_plan",
    "evaluate",
    "load_families",
    "refusal",
]

Severity = Literal["block", "stop", "warn", "info"]
SEVERITIES: tuple[Severity, ...] = ("block", "stop", "warn", "info")
_RANK = {"info": 0, "warn": 1, "stop": 2, "block": 3}
MIN_REASON = 10


@dataclass(frozen=True)
class Hit:
    """What a check found: a staff message, a plain-language one, and the events concerned.
    `severity` lowers the rule's default when timing makes the conflict less severe."""

    message: str
    patient_message: str
    event_uids: tuple[str, ...] = ()
    severity: Severity | None = None
    sources: tuple[str, ...] | None = None  # this finding's own sources (default: the rule's)


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    summary: str
    sources: tuple[str, ...]
    check: Callable[[Plan], list[Hit]]


RULES: dict[str, Rule] = {}


def rule(
    id: str, severity: Severity, sources: Sequence[str], summary: str
) -> Callable[[Callable[[Plan], list[Hit]]], Callable[[Plan], list[Hit]]]:
    """Register a check under a stable id with its default severity and sources."""

    def register(check: Callable[[Plan], list[Hit]]) -> Callable[[Plan], list[Hit]]:
        if id in RULES:
            raise ValueError(f"rule {id} registered twice")
        RULES[id] = Rule(id=id, severity=severity, summary=summary, sources=tuple(sources), check=check)
        return check

    return register


@dataclass(frozen=True)
class Policy:
    """A centre's severities: raise any rule, or lower warn to info; never lower block or stop."""

    name: str
    digest: str
    severities: dict[str, Severity]

    def apply(self, rule_id: str, found: Severity) -> Severity:
        wanted = self.severities.get(rule_id)
        if wanted is None:
            return found
        if wanted == "info" and found == "warn":
            return "info"
        return wanted if _RANK[wanted] > _RANK[found] else found


@dataclass(frozen=True)
class OverrideRequest:
    rule: str
    reason: str


@dataclass(frozen=True)
class CheckResult:
    plan: Plan  # with findings, overrides and policy recorded, fingerprint updated
    blocking: tuple[Finding, ...]  # block findings and stop findings no override lifted
    unused_overrides: tuple[str, ...]  # overrides naming a rule that found nothing to lift
    expired_overrides: tuple[str, ...] = ()  # carried from the parent plan, no longer needed


def blocking(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """What keeps a plan from being written, exported or published: every `block` finding, and
    every `stop` finding that no override lifted."""
    return tuple(f for f in findings if f.severity == "block" or (f.severity == "stop" and not f.overridden))


def refusal(blockers: Sequence[Finding], done: str | None = "written") -> BlockedError:
    """The error that refuses a plan, naming its first blocking finding (and how many more), and
    what was not done ("nothing was published")."""
    first = blockers[0]
    more = f" and {len(blockers) - 1} more" if len(blockers) > 1 else ""
    tail = f"; nothing was {done}" if done else ""
    return BlockedError(f"{first.message}{more}{tail}", rule=first.rule, sources=first.sources)


def evaluate(plan: Plan, policy: Policy | None = None) -> tuple[Finding, ...]:
    """Run every rule; findings most severe first, then by rule id."""
    load_families()
    findings = []
    for item in RULES.values():
        for hit in item.check(plan):
            severity = hit.severity or item.severity
            if policy is not None:
                severity = policy.apply(item.id, severity)
            findings.append(
                Finding(
                    rule=item.id,
                    severity=severity,
                    message=hit.message,
                    patient_message=hit.patient_message,
                    sources=hit.sources if hit.sources is not None else item.sources,
                    event_uids=hit.event_uids,
                )
            )
    return tuple(sorted(findings, key=lambda f: (-_RANK[f.severity], f.rule, f.message)))


def validate_overrides(requests: Iterable[OverrideRequest]) -> None:
    load_families()
    for req in requests:
        if req.rule not in RULES:
            raise InputError(f"{quote(req.rule)} is not a rule", field="override", choices=sorted(RULES))
        try:
            check_line(req.reason)
        except ValueError as exc:
            raise InputError(str(exc), field="reason") from None
        words = [w for w in req.reason.split() if any(c.isalpha() for c in w)]
        # Visible characters: zero-width and format characters (ZWJ, ZWNJ) and combining marks do
        # not count, and a run of spaces counts once, so "a" and eight ZWJ and " b" is 3, not 11.
        if visible_length(req.reason) < MIN_REASON or len(words) < 2:
            raise InputError(
                f"the reason for overriding {req.rule} must be a sentence of at least "
                f"{MIN_REASON} visible characters",
                field="reason",
                hint='e.g. {override_reasons} "Discussed at tumour board 2026-11-20"',
            )


def check_plan(
    plan: Plan,
    policy: Policy | None = None,
    overrides: Sequence[OverrideRequest] = (),
    by: str | None = None,
    at: dt.datetime | None = None,
    carried: Sequence[Override] = (),
) -> CheckResult:
    """Evaluate the rules, lift the stops that a named override with a reason covers, and record
    findings, overrides and policy in the plan.

    `carried` are the overrides of the plan a revision was made from (reschedule): each still
    lifts its rule's stop findings, keeping who decided and when; one a new override names is
    replaced by it, and one that no longer lifts anything is dropped (`expired_overrides`)."""
    validate_overrides(overrides)
    if by is not None:
        try:
            check_line(by)
        except ValueError as exc:
            raise InputError(str(exc), field="decided_by") from None
    reasons = {o.rule: o.reason for o in overrides}
    kept = {o.rule: o for o in carried if o.rule not in reasons}
    findings = []
    used: set[str] = set()
    for finding in evaluate(plan, policy):
        lifted = finding.severity == "stop" and (finding.rule in reasons or finding.rule in kept)
        if lifted:
            used.add(finding.rule)
            finding = finding.model_copy(update={"overridden": True})
        findings.append(finding)
    recorded = tuple(
        sorted(
            [o for rule_id, o in kept.items() if rule_id in used]
            + [
                Override(rule=o.rule, reason=" ".join(o.reason.split()), by=by, at=at or plan.created)
                for o in overrides
                if o.rule in used
            ],
            key=lambda o: o.rule,
        )
    )
    checked = plan.model_copy(
        update={
            "findings": tuple(findings),
            "overrides": recorded,
            "policy": PolicyRef(name=policy.name, sha256=policy.digest) if policy else None,
        }
    )
    checked = checked.model_copy(update={"fingerprint": fingerprint(checked)})
    unused = tuple(o.rule for o in overrides if o.rule not in used)
    expired = tuple(rule_id for rule_id in kept if rule_id not in used)
    return CheckResult(
        plan=checked, blocking=blocking(findings), unused_overrides=unused, expired_overrides=expired
    )


def load_families() -> None:
    """Import the rule modules (each registers its rules when imported)."""
    from . import medicines, patient, radiotherapy, systemic  # noqa: F401
