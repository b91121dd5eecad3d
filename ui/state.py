"""Session-state keys and their defaults. Session state holds ids and plain data only."""

from __future__ import annotations

from typing import Any

import streamlit as st

from audit.settings import get_settings
from ui.i18n import DEFAULT_LANGUAGE, LANGUAGE_STATE_KEY, LANGUAGES

#: UI language code ("zh-Hans" | "en").
LANG = LANGUAGE_STATE_KEY
#: Large-text option (bool).
LARGE_TEXT = "large_text"
#: Facility selected on the map page (int facility_id or None).
SELECTED_FACILITY = "selected_facility_id"
#: Last st_folium click count seen, so an old click does not override a newer selectbox choice.
LAST_MAP_CLICK = "map_last_click_count"


def _default_language() -> str:
    try:
        lang = get_settings().language
    except Exception:  # invalid settings are reported by the page that uses them
        return DEFAULT_LANGUAGE
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


DEFAULTS: dict[str, Any] = {
    LARGE_TEXT: False,
    SELECTED_FACILITY: None,
    LAST_MAP_CLICK: 0,
}


def init_state() -> None:
    """Set every key that is not yet in ``st.session_state`` to its default."""
    if LANG not in st.session_state:
        st.session_state[LANG] = _default_language()
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, value)
