"""lmsched: dated, checked schedules for leptomeningeal-metastasis treatment.

A scheduling aid: verify against the signed order. The public API is imported lazily so that
`lmsched --help` does not pay for pydantic and the holidays tables.
"""

from __future__ import annotations

from typing import Any

from ._version import __version__

__all__ = [
    "BlockedError",
    "InputError",
    "Plan",
    "PlanRequest",
    "SchedulerError",
    "TemplateError",
    "__version__",
    "build_plan",
    "load_registry",
    "plan_from_json",
    "plan_to_json",
]

_LAZY = {
    "BlockedError": "errors",
    "InputError": "errors",
    "SchedulerError": "errors",
    "TemplateError": "errors",
    "Plan": "plan",
    "build_plan": "schedule",
    "plan_from_json": "plan",
    "plan_to_json": "plan",
    "PlanRequest": "models",
    "load_registry": "templates",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'scheduler' has no attribute {name!r}")
