"""Versioned rulesets as data: ``load_ruleset(name_or_path)`` and the cached ``default_ruleset``."""

from __future__ import annotations

from audit.rules.loader import (
    DEFAULT_RULESET,
    OBLIGATIONS,
    PROVISIONAL_LEVELS,
    RULES_DIR,
    SEVERITIES,
    VERIFICATION_LEVELS,
    Rule,
    RuleException,
    Ruleset,
    RulesetError,
    RulesetFile,
    default_ruleset,
    load_ruleset,
    split_fields,
    split_worlds,
)

__all__ = [
    "DEFAULT_RULESET",
    "OBLIGATIONS",
    "PROVISIONAL_LEVELS",
    "RULES_DIR",
    "SEVERITIES",
    "VERIFICATION_LEVELS",
    "Rule",
    "RuleException",
    "Ruleset",
    "RulesetError",
    "RulesetFile",
    "default_ruleset",
    "load_ruleset",
    "split_fields",
    "split_worlds",
]
