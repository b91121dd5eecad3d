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


def _district(code: Any, lang: str) -> str:
    from geodata.districts import DISTRICTS

    names = DISTRICTS.get(str(code)) if code is not None else None
    if not names:
        return translate(lang, "reports.counts.no_district")
    return names[0] if lang == "zh-Hans" else names[1]


def _type(code: Any, lang: str) -> str:
    from audit.reports import REPORT_CATEGORIES, category_label
    from ui.map import facility_type_label

    if code is None or (isinstance(code, float) and math.isnan(code)):
        return "—"
    if str(code) in REPORT_CATEGORIES:
        return category_label(str(code), lang)
    label = facility_type_label(str(code), lang)
    return label if label != str(code) else translate(lang, "words.other")


def _cell(column: str, value: Any, lang: str) -> Any:
    """One cell in words: codes named, days and money rounded, empty as a dash."""
    if column == "district_code":
        return _district(value, lang)
    if column in ("facility_type", "fix_type"):
        return _type(value, lang)
    if column == "status":
        key = f"bureau.wo.status.{value}"
        return catalogue(lang).get(key, translate(lang, "words.other"))
    if column == "is_demo":
        return translate(lang, "words.yes" if bool(value) else "words.no")
    if "days" in column:
        return days(value, lang)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if column.endswith("_yuan") and isinstance(value, int | float):
        return f"{value:,.0f}"
    if isinstance(value, float):
        return f"{value:g}" if value == round(value, 2) else f"{value:.2f}"
    return value


def display_table(frame: Any, columns: list[str] | tuple[str, ...], lang: str | None = None
                  ) -> Any:
    """``frame[columns]`` for a person: headers from ``words.col.<column>``, codes in words,
    districts by name, durations in days, money in whole yuan, no ``None``."""
    import pandas as pd

    lang = lang or current_language()
    out = pd.DataFrame({
        translate(lang, f"words.col.{_SHOWN_AS.get(c, c)}"): [_cell(c, v, lang)
                                                             for v in frame[c].tolist()]
        for c in columns
    })
    return out


#: columns whose cells :func:`display_table` turns from codes into names, and the header key
#: that says so (the code's own header, e.g. 区县代码, stays for exports of the codes)
_SHOWN_AS = {"district_code": "district"}


__all__ = ["action_label", "actor_label", "audit_status_label", "days", "display_table",
           "source_label", "whole_points"]
