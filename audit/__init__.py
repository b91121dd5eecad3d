"""阳江无障碍设施督导地图 — the audit library (no UI code).

The public names below load lazily, so ``import audit`` stays cheap (the CLI imports it on every
``python -m audit`` call)::

    from audit import evaluate
    evaluate("ramp", {"running_slope_pct": 9.1, "rise_mm": 140}).verdict
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from audit.model import FACILITY_TYPES
    from audit.rules import default_ruleset, load_ruleset
    from audit.scoring import Evaluation, Finding, evaluate

__all__ = [
    "FACILITY_TYPES",
    "Evaluation",
    "Finding",
    "default_ruleset",
    "evaluate",
    "load_ruleset",
]

_LAZY: dict[str, str] = {
    "FACILITY_TYPES": "audit.model",
    "Evaluation": "audit.scoring",
    "Finding": "audit.scoring",
    "evaluate": "audit.scoring",
    "default_ruleset": "audit.rules",
    "load_ruleset": "audit.rules",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'audit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
