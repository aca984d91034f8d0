"""Safety findings as terminal lines, grouped by severity, most severe first."""

from __future__ import annotations

from collections.abc import Iterator

from ..plan import Plan

__all__ = ["render_findings"]

_HEADINGS = {
    "block": "BLOCK: nothing can be written and no override lifts these",
    "stop": "STOP: nothing is written unless each is overridden with a reason",
    "warn": "WARN: written, and printed on every output",
    "info": "INFO",
}


def render_findings(plan: Plan) -> Iterator[str]:
    if not plan.findings:
        yield "Safety rules: no findings."
        return
    counts = ", ".join(
        f"{sum(f.severity == s for f in plan.findings)} {s}"
        for s in _HEADINGS
        if any(f.severity == s for f in plan.findings)
    )
    yield f"Safety findings ({counts}):"
    overrides = {o.rule: o for o in plan.overrides}
    for severity, heading in _HEADINGS.items():
        group = [f for f in plan.findings if f.severity == severity]
        if not group:
            continue
        yield f"  {heading}"
        for f in group:
            yield f"    {f.rule}: {f.message} [{', '.join(f.sources)}]"
            if f.overridden and f.rule in overrides:
                o = overrides[f.rule]
                by = f" by {o.by}" if o.by else ""
                yield f"      overridden{by} at {o.at.isoformat()}: {o.reason}"
            elif severity == "stop":
                yield f'      to go ahead: --override {f.rule} --reason "why, in a sentence"'
    if plan.policy:
        yield f"  site policy: {plan.policy.name} (sha256 {plan.policy.sha256[:12]})"
