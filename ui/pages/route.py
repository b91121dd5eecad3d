"""Public page: 无障碍路线 / Accessible route (issue 14 §3).

The form comes first and is complete without the map: a profile, an origin and a destination
typed as a facility name, key destination, town or ``lon, lat`` (WGS84, GCJ-02 or BD-09). The
answer is the whole route in plain sentences (``st.text``: never parsed as Markdown), so a
screen-reader user needs no map; each step has a "Report a barrier here" link to the report page
with the step's point filled in. The map (optional switch) draws the route and can pick the ends.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

import streamlit as st

from audit.errors import AuditError, InputError
from geodata.elevation import FIELD as DEM_FIELD
from geodata.profiles import load_profiles
from ui import cache
from ui.i18n import current_language, t
from ui.plaintext import md_text, public_error

LOG = logging.getLogger("yangjiang_a11y.ui.route")

PROFILE = "route_profile"
ORIGIN = "route_origin"
DESTINATION = "route_destination"
CRS = "route_crs"
QUERY = "route_query"  # the submitted (profile, origin, destination, crs) or None
USE_MAP = "route_use_map"
PICK_END = "route_pick_end"
LAST_CLICK = "route_last_click"
CRS_CHOICES = ("wgs84", "gcj02", "bd09")
MAX_TEXT = 200
MAP_HEIGHT_PX = 380
POINT_DECIMALS = 6
REPORT_PAGE = "report"
ERROR_CODES = ("empty", "range", "not_found", "ambiguous", "too_far")


def _report_link(lon: float, lat: float) -> str:
    """A link to the report page with the point filled in (numbers only in the URL)."""
    query = urlencode({"at": f"{lon:.{POINT_DECIMALS}f},{lat:.{POINT_DECIMALS}f}"})
    return f"[{t('route.report_here')}](./{REPORT_PAGE}?{query})"


def _form(profiles: dict[str, Any], lang: str) -> None:
    with st.form("route_form", enter_to_submit=True):
        st.radio(t("route.profile"), list(profiles), key=PROFILE,
                 format_func=lambda pid: profiles[pid].name(lang))
        st.text_input(t("route.origin"), key=ORIGIN, max_chars=MAX_TEXT,
                      help=t("route.place_help"))
        st.text_input(t("route.destination"), key=DESTINATION, max_chars=MAX_TEXT,
                      help=t("route.place_help"))
        st.selectbox(t("route.crs"), CRS_CHOICES, key=CRS,
                     format_func=lambda c: t(f"route.crs_{c}"))
        if st.form_submit_button(t("route.submit"), type="primary"):
            st.session_state[QUERY] = (
                str(st.session_state.get(PROFILE) or next(iter(profiles))),
                str(st.session_state.get(ORIGIN) or ""),
                str(st.session_state.get(DESTINATION) or ""),
                str(st.session_state.get(CRS) or "wgs84"),
            )


def _map(answer: dict[str, Any] | None) -> None:
    """Optional map: the route drawn, and a click sets the origin or the destination."""
    st.toggle(t("route.map_heading"), key=USE_MAP, help=t("route.map_help"))
    if not st.session_state.get(USE_MAP):
        return
    st.radio(t("route.pick_end"), ("origin", "destination"), key=PICK_END, horizontal=True,
             format_func=lambda e: t(f"route.{e}"))
    try:
        import folium
        import pandas as pd
        from streamlit_folium import st_folium

        from ui.assets import missing_vendor_files
        from ui.map import build_map

        if missing_vendor_files():
            raise FileNotFoundError("map assets")
        empty = pd.DataFrame(columns=["facility_id", "lat", "lon", "verdict", "name"])
        fmap = build_map(empty, lang=current_language(), districts=cache.districts())
        if answer and answer["coords"]:
            folium.PolyLine([(lat, lon) for lon, lat in answer["coords"]], weight=6,
                            color="#1f4e9c", tooltip=t("route.map_route")).add_to(fmap)
            lons = [c[0] for c in answer["coords"]]
            lats = [c[1] for c in answer["coords"]]
            fmap.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]])
        result = st_folium(fmap, key="route_map", height=MAP_HEIGHT_PX,
                           use_container_width=True, returned_objects=["last_clicked"])
    except (AuditError, ImportError, OSError, ValueError):
        st.info(t("route.map_unavailable"))
        return
    clicked = (result or {}).get("last_clicked")
    if clicked and clicked != st.session_state.get(LAST_CLICK):
        st.session_state[LAST_CLICK] = clicked
        lon, lat = float(clicked["lng"]), float(clicked["lat"])
        text = f"{lon:.{POINT_DECIMALS}f}, {lat:.{POINT_DECIMALS}f}"
        end = ORIGIN if st.session_state.get(PICK_END) != "destination" else DESTINATION
        st.session_state[end] = text
        st.session_state[CRS] = "wgs84"
        st.rerun()


def _answer(answer: dict[str, Any]) -> None:
    st.subheader(t("route.answer"))
    if answer["synthetic"]:
        st.warning(t("route.label_synthetic"))
    elif answer["provenance"] == "osm_not_yangjiang":
        st.warning(t("route.label_not_yangjiang"))
    if answer["demo_places"]:
        st.warning(t("route.label_demo_places"))
    points = {i: (lon, lat) for i, lon, lat in answer["steps"]}
    lines: list[tuple[str, int | None]] = [(str(x), s) for x, s in answer["lines"]]
    for pos, (text, step) in enumerate(lines):
        st.text(text)
        following = lines[pos + 1][1] if pos + 1 < len(lines) else None
        if step is not None and following != step and step in points:
            st.markdown(_report_link(*points[step]))
    if not answer.get("incline_checked"):  # the profile has no incline rule
        return
    dem = answer.get("dem")
    if dem:
        st.caption(t("route.dem.source", name=md_text(dem.get("dem_name")),
                     pixel=f"{float(dem.get('dem_pixel_m') or 0.0):.0f}"))
    else:
        st.caption(t("route.dem.none"))


def main() -> None:
    lang = current_language()
    st.title(t("route.title"))
    st.write(t("route.intro"))
    st.caption(t("route.keyboard_note"))
    profiles = load_profiles()
    _form(profiles, lang)
    query = st.session_state.get(QUERY)
    answer = None
    if query:
        profile_id, origin, destination, crs = query
        try:
            with st.spinner(t("route.working")):
                answer = cache.route_answer(profile_id, origin, destination, crs, lang)
        except InputError as exc:
            if any(p.field == DEM_FIELD for p in exc.problems):  # the server's setting, not input
                LOG.error("route page: %s", exc)
                st.error(t("route.dem.error"))
                exc = InputError([p for p in exc.problems if p.field != DEM_FIELD])
            for problem in exc.problems:
                field = problem.field if problem.field in ("origin", "destination") else "origin"
                code = problem.code if problem.code in ERROR_CODES else "not_found"
                st.error(t(f"route.error.{code}", field=t(f"route.{field}"),
                           value=md_text(str(problem.value)[:MAX_TEXT]),
                           names=md_text("; ".join(map(str, problem.hints)))))
        except AuditError as exc:
            st.error(public_error(exc))
    if answer is not None:
        _answer(answer)
    _map(answer)
    st.caption(t("route.profiles_note"))


main()
