"""The plan document as JSON (the source of truth that later commands load)."""

from __future__ import annotations

from ..plan import Plan, plan_to_json

__all__ = ["render"]


def render(plan: Plan) -> bytes:
    return plan_to_json(plan)
