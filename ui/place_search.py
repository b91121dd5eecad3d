"""Place search above every map: type a street, town, district, facility, destination or report
code in Chinese, pinyin or English; the map jumps to the chosen match.

The index is :func:`ui.cache.gazetteer` (pure search in :mod:`geodata.gazetteer`).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui import cache
from ui.i18n import current_language, t
from ui.plaintext import md_text


def place_label(place: Any, lang: str) -> str:
    """``name · kind`` in the UI language (a town has only its GeoNames name)."""
    name = (place.name_zh or place.name_en) if lang == "zh-Hans" else \
        (place.name_en or place.name_zh)
    return f"{name} · {t(f'mapux.kind.{place.kind}')}"


def place_search(key: str) -> dict[str, Any] | None:
    """The search box and its matches; returns ``{"center": [lat, lon], "zoom": z}`` of the
    chosen match (for ``st_folium``), else None."""
    lang = current_language()
    query = st.text_input(t("mapux.search.label"), key=f"{key}_place_query",
                          placeholder=t("mapux.search.placeholder"))
    if not query.strip():
        return None
    try:
        hits = cache.gazetteer().search(query)
    except (OSError, ValueError):
        st.caption(t("mapux.search.unavailable"))
        return None
    if not hits:
        st.caption(t("mapux.search.none", query=md_text(query.strip())))
        return None
    choice = st.selectbox(t("mapux.search.results", count=len(hits)), list(range(len(hits))),
                          format_func=lambda i: place_label(hits[i], lang),
                          key=f"{key}_place_pick")
    place = hits[int(choice or 0)]
    return {"center": [place.lat, place.lon], "zoom": place.zoom}
