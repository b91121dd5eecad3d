"""Internal codes as words for a person (issue 17, item 7): record states, audit sources,
change-log actors and actions, scores in whole points, durations in days.

A code without a catalogue entry is never shown raw: it becomes a neutral word ("other").
"""

from __future__ import annotations

import math
from typing import Any

from ui.i18n import catalogue, current_language, translate


def _label(prefix: str, code: Any, lang: str | None = None) -> str:
    lang = lang or current_language()
    words = catalogue(lang)
    key = f"{prefix}.{code}"
    return words[key] if key in words else words["words.other"]


def audit_status_label(status: Any, lang: str | None = None) -> str:
    """``submitted`` → 已提交."""
    return _label("words.audit_status", status, lang)


def source_label(source: Any, lang: str | None = None) -> str:
    """Where an audit came from (``app``, ``odk``, ``demo``) in words."""
    return _label("words.source", source, lang)


def action_label(action: Any, lang: str | None = None) -> str:
    """A change-log action (``read_contact``, ``verify`` ...) in words."""
    lang = lang or current_language()
    words = catalogue(lang)
    for key in (f"reports.action.{action}", f"words.action.{action}"):
        if key in words:
            return words[key]
    return words["words.other"]


def actor_label(actor: Any, lang: str | None = None) -> str:
    """A change-log actor ``role:username`` as ``城管局 chen`` (the role in words, the person's
    user name as it is; ``anonymous`` as "resident")."""
    lang = lang or current_language()
    role, _, name = str(actor).partition(":")
    words = catalogue(lang)
    key = f"reports.role.{role}"
    role_text = words[key] if key in words else words["words.other"]
    return f"{role_text} {name}".strip() if name and role not in ("anonymous", "system") \
        else role_text


def whole_points(score: Any) -> str:
    """A score rounded to whole points (``52.63`` → ``53``); ``—`` when there is none."""
    if score is None or isinstance(score, bool):
        return "—"
    try:
        value = float(score)
    except (TypeError, ValueError):
        return "—"
    return "—" if not math.isfinite(value) else f"{round(value):d}"


def days(value: Any, lang: str | None = None) -> str:
    """A duration in whole days (``3.6`` → ``4 天``)."""
    if value is None or isinstance(value, bool):
        return "—"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "—"
    if not math.isfinite(number):
        return "—"
    return translate(lang or current_language(), "words.days", n=round(number))


__all__ = ["action_label", "actor_label", "audit_status_label", "days", "source_label",
           "whole_points"]
