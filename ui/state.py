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
#: Last st_folium click seen (count and tooltip), so an old click does not override a newer
#: selectbox choice.
LAST_MAP_CLICK = "map_last_click_count"
#: The selected facility kept across pages (not a widget key: Streamlit drops the state of a
#: widget that the current page does not draw, so the map picker's own key cannot carry it).
KEPT_FACILITY = "selected_facility_kept"
#: Query parameter that carries the selected facility (reload, bookmark, link).
FACILITY_PARAM = "facility"
#: the chosen language in the page's address (only when it is not the default), so that a
#: reload, a bookmark or a shared link keeps it
LANG_PARAM = "lang"


def _default_language() -> str:
    try:
        lang = get_settings().language
    except Exception:  # invalid settings are reported by the page that uses them
        return DEFAULT_LANGUAGE
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


DEFAULTS: dict[str, Any] = {
    LARGE_TEXT: False,
    SELECTED_FACILITY: None,
    KEPT_FACILITY: None,
    LAST_MAP_CLICK: 0,
}


def init_state() -> None:
    """Set every key that is not yet in ``st.session_state`` to its default."""
    if LANG not in st.session_state:
        asked = st.query_params.get(LANG_PARAM)
        st.session_state[LANG] = asked if asked in LANGUAGES else _default_language()
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, value)


def keep_language_in_url() -> None:
    """Write the session's language into the address (``?lang=en``), or take it out when it is
    the default; call once per run, after the language switch."""
    lang = st.session_state.get(LANG)
    if lang == _default_language() or lang not in LANGUAGES:
        st.query_params.pop(LANG_PARAM, None)
    elif st.query_params.get(LANG_PARAM) != lang:
        st.query_params[LANG_PARAM] = str(lang)


def kept_facility() -> int | None:
    """The facility selected on the map, on any page (None when nothing is selected)."""
    value = st.session_state.get(KEPT_FACILITY)
    return int(value) if value is not None else None


def keep_facility(facility_id: int | None) -> None:
    """Remember ``facility_id`` as the selection for every page and in the map's URL."""
    st.session_state[KEPT_FACILITY] = facility_id
    if facility_id is None:
        st.query_params.pop(FACILITY_PARAM, None)
    else:
        st.query_params[FACILITY_PARAM] = str(int(facility_id))


def restore_facility() -> int | None:
    """On the map page: the kept selection (or the URL's, after a reload) for its picker."""
    kept = kept_facility()
    if kept is None:
        raw = st.query_params.get(FACILITY_PARAM, "")
        kept = int(raw) if raw.isdigit() and len(raw) < 12 else None
        st.session_state[KEPT_FACILITY] = kept
    # the kept value is the truth: the picker and map taps keep theirs, other pages too
    st.session_state[SELECTED_FACILITY] = kept
    return kept
