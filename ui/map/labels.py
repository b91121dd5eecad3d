"""Words on the map: facility types, verdicts and report statuses, tooltips, HTML escaping.

All text that comes from data (names, addresses, report descriptions typed by the public) goes
through :func:`escape` before it reaches Leaflet, which inserts tooltip strings as HTML.
"""

from __future__ import annotations

import html
import math
import re
from typing import Any

from ui.i18n import translate
from ui.map.styles import VERDICT_STYLES

_TOOLTIP_ID = re.compile(r"^\s*\[(\d+)\]")


def escape(value: Any) -> str:
    """HTML-escape any value for Leaflet tooltips/popups (NaN and None become empty)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)


def facility_type_label(facility_type: str, lang: str) -> str:
    """The facility type's label from the ruleset model, or the type code if it has none."""
    try:
        from audit.model import FACILITY_LABELS
    except ImportError:  # the rules engine is not installed in this checkout
        return facility_type
    labels = FACILITY_LABELS.get(facility_type)
    if not labels:
        return facility_type
    return labels[0] if lang == "zh-Hans" else labels[1]


def verdict_label(verdict: str, lang: str) -> str:
    """The verdict in words (used in tooltips, the legend and the detail panel)."""
    if verdict in VERDICT_STYLES:
        return translate(lang, f"verdict.{verdict}")
    return verdict


def report_status_label(status: str, lang: str) -> str:
    """The report status in words (:data:`audit.reports.STATUSES`); never a raw code."""
    try:
        return translate(lang, f"report_status.{status}")
    except KeyError:
        return translate(lang, "report_status.unknown")


def facility_tooltip(row: Any, lang: str) -> str:
    """Escaped tooltip text ``[id] name · type · verdict``; the page parses the id back."""
    return (
        f"[{int(row.facility_id)}] {escape(row.name)} · "
        f"{escape(facility_type_label(str(row.facility_type), lang))} · "
        f"{escape(verdict_label(str(row.verdict), lang))}"
    )


def facility_id_from_tooltip(text: str | None) -> int | None:
    """The facility id encoded at the start of a facility tooltip, else None."""
    if not text:
        return None
    match = _TOOLTIP_ID.match(text)
    return int(match.group(1)) if match else None
