"""Public page: report a barrier without signing in.

Typed location is a first-class path: the form is complete without the map, and the map picker
is an optional switch above it. Before a new report is stored, open reports of the same kind
nearby are offered for "me too". Every user-entered text is shown with ``st.text`` (literal).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitAPIException

from audit import reports as R
from audit.actors import ANONYMOUS
from audit.errors import AuditError, InputError
from audit.settings import get_settings
from geodata.gazetteer import NEAREST_STREET_MAX_M
from ui import cache
from ui import reports_data as D
from ui.chrome import photo_limit_mb, receipt_status
from ui.i18n import current_language, t
from ui.place_search import place_search
from ui.plaintext import md_text

STAGE = "report_stage"  # "form" | "review" | "done" | "supported"
CANDIDATES = "report_candidates"  # list of plain dicts (DuplicateCandidate)
RESULT = "report_result"  # plain dict: code, count
POINT = "report_point"  # (lon, lat) WGS84 or None
LAST_CLICK = "report_map_last_click"
USE_MAP = "report_use_map"
FIELDS = {
    "category": "report_category",
    "location_text": "report_location_text",
    "description": "report_description",
    "contact": "report_contact",
}
PHOTO = "report_photo"
PHOTO_TYPES = ["jpg", "jpeg", "png", "heic", "heif"]
MAP_HEIGHT_PX = 360
POINT_DECIMALS = 5
LINK_PARAM = "at"  # ?at=lon,lat from the route page's "report a barrier here" links
LINK_TAKEN = "report_link_taken"
#: Zoom of the report map around the resident's pin (street names show from zoom 15).
PIN_ZOOM = 17
#: The resident's pin: a large marker with a white outline, visible on any background.
PIN_HTML = ('<div style="width:30px;height:30px;border-radius:50% 50% 50% 0;background:#c2185b;'
            'border:3px solid #fff;box-shadow:0 0 0 2px #1a1a1a;transform:rotate(-45deg);'
            'box-sizing:border-box"></div>')


def _fields() -> dict[str, Any]:
    """The form's values (from session state) plus the map point, as library arguments."""
    values = {name: st.session_state.get(key) or "" for name, key in FIELDS.items()}
    point = st.session_state.get(POINT)
    values["lon"], values["lat"] = (point[0], point[1]) if point else (None, None)
    return values


def _reset() -> None:
    for key in [*FIELDS.values(), PHOTO, STAGE, CANDIDATES, RESULT, POINT, USE_MAP]:
        st.session_state.pop(key, None)


def _link_point() -> None:
    """Take the point of a "report a barrier here" link once (a later map click overrides)."""
    value = st.query_params.get(LINK_PARAM)
    if value and value != st.session_state.get(LINK_TAKEN):
        st.session_state[LINK_TAKEN] = value
        point = D.point_from_link(value, POINT_DECIMALS)
        if point:
            st.session_state[POINT] = point


def _map_picker() -> None:
    """Optional point picker (off by default, so keyboard users meet the form first).

    A tap drops a pin and names the nearest street; a tap on an existing report offers
    "me too" for it.
    """
    st.toggle(t("reports.page.map_heading"), key=USE_MAP, help=t("reports.page.map_help"))
    point = st.session_state.get(POINT)
    if st.session_state.get(USE_MAP):
        jump = place_search("report")
        try:
            result = _draw_map(point, jump)
        except (AuditError, ImportError, OSError, ValueError):
            st.info(t("reports.page.map_unavailable"))
            result = None
        clicked = (result or {}).get("last_clicked")
        if clicked and clicked != st.session_state.get(LAST_CLICK):
            st.session_state[LAST_CLICK] = clicked
            point = (round(float(clicked["lng"]), POINT_DECIMALS),
                     round(float(clicked["lat"]), POINT_DECIMALS))
            st.session_state[POINT] = point
            st.rerun()  # redraw the map with the pin
        _tapped_report(result)
    if point:
        st.write(t("reports.page.point_chosen", lon=point[0], lat=point[1]))
        street = _nearest_street(point)
        st.markdown(f"**{street}**" if street else
                    t("mapux.tap.no_street", distance=f"{NEAREST_STREET_MAX_M:g}"))
        if st.button(t("reports.page.point_clear"), key="report_point_clear"):
            st.session_state[POINT] = None
            st.rerun()


def _draw_map(point: tuple[float, float] | None, jump: dict[str, Any] | None) -> Any:
    """The report map: streets with names, reports, locate-me, and a pin at ``point``."""
    import folium
    from streamlit_folium import st_folium

    from ui.assets import localise, missing_vendor_files
    from ui.map import build_map

    if missing_vendor_files():
        raise FileNotFoundError("map assets")
    lang = current_language()
    empty = pd.DataFrame(columns=["facility_id", "lat", "lon", "verdict", "name"])
    if jump is None and point:
        jump = {"center": [point[1], point[0]], "zoom": PIN_ZOOM}
    fmap = build_map(empty, lang=lang, districts=cache.districts(), reports=cache.report_frame(),
                     network_edges=cache.network_layer(), labels=cache.basemap_labels(lang),
                     view=jump)
    if point:
        folium.Marker((point[1], point[0]), tooltip=t("mapux.tap.pin"),
                      icon=folium.DivIcon(html=PIN_HTML, icon_size=(30, 30),
                                          icon_anchor=(15, 30))).add_to(fmap)
    localise(fmap)
    return st_folium(fmap, key="report_map", height=MAP_HEIGHT_PX, use_container_width=True,
                     render=False,  # rendered once: see ui/pages/map.py
                     returned_objects=["last_clicked", "last_object_clicked_tooltip",
                                       "last_object_clicked_count"])


def _nearest_street(point: tuple[float, float]) -> str | None:
    """"Near 演示路 12 (about 20 m)" for the pin, in the UI language; None when none is near."""
    try:
        near = cache.street_index().nearest(point[0], point[1])
    except (AuditError, OSError, ValueError):
        return None
    if near is None:
        return None
    name = near.name_zh if current_language() == "zh-Hans" else near.name_en
    return t("mapux.tap.street", street=md_text(name), distance=round(near.distance_m))


def _tapped_report(result: dict[str, Any] | None) -> None:
    """After a tap on an existing report's marker: its status and "me too"."""
    tip = str((result or {}).get("last_object_clicked_tooltip") or "")
    code = tip.split(" · ", 1)[0].strip()
    if not code:
        return
    frame = cache.report_frame()
    rows = frame[frame["code"].astype(str) == code]
    if rows.empty:
        return
    row = rows.iloc[0]
    with st.container(border=True):
        st.markdown("**" + t("reports.dup.item", code=md_text(code),
                             status=D.status_label(str(row["status"])),
                             count=int(row["support_count"])) + "**")
        D.plain(t("reports.status.description"), row.get("description"))
        _metoo(int(row["report_id"]), code, "map_")


def _metoo(report_id: int, code: str, where: str) -> None:
    """The optional comment and the "me too" button for one report."""
    comment = st.text_input(t("reports.dup.comment", code=code),
                            key=f"metoo_comment_{where}{report_id}",
                            max_chars=R.MAX_COMMENT_CHARS)
    if not st.button(t("reports.dup.metoo", code=code), key=f"metoo_{where}{report_id}"):
        return
    try:
        key = D.client_key()  # before the write: its salt may need one of its own
        with D.repository(write=True) as repo:
            done = R.support(repo, report_id, comment=comment, client_key=key)
    except (AuditError, ValueError) as exc:
        D.show_error(exc)
    else:
        st.session_state[RESULT] = {"code": done.code, "count": done.support_count,
                                    "counted": done.counted}
        st.session_state[STAGE] = "supported"
        cache.report_frame.clear()
        st.rerun()


def _form() -> bool:
    """The report form; True when it was submitted in this run."""
    with st.form("report_form", enter_to_submit=True):
        st.radio(
            t("reports.field.category"),
            list(R.REPORT_CATEGORIES),
            index=None,
            format_func=D.category_label,
            key=FIELDS["category"],
        )
        st.text_input(
            t("reports.field.location_text"),
            key=FIELDS["location_text"],
            max_chars=R.MAX_LOCATION_CHARS,
            help=t("reports.field.location_text_help"),
        )
        st.text_area(
            t("reports.field.description"),
            key=FIELDS["description"],
            max_chars=R.MAX_DESCRIPTION_CHARS,
            help=t("reports.field.description_help"),
        )
        st.file_uploader(t("reports.field.photo"), type=PHOTO_TYPES, key=PHOTO,
                         help=t("reports.field.photo_help"), max_upload_size=photo_limit_mb())
        st.text_input(
            t("reports.field.contact"),
            key=FIELDS["contact"],
            max_chars=R.MAX_CONTACT_CHARS,
            help=t("reports.field.contact_help"),
        )
        st.caption(t("reports.page.submit_help"))
        return st.form_submit_button(t("reports.page.submit"), type="primary")


def _file() -> None:
    """Store the report (with the photo, metadata stripped) and show its code."""
    try:
        client_key = D.client_key()
        with D.repository(ANONYMOUS, write=True) as repo:
            receipt = R.file_report(
                repo, photo=st.session_state.get(PHOTO), client_key=client_key, **_fields(),
            )
    except (AuditError, ValueError) as exc:
        D.show_error(exc)
        return
    st.session_state[RESULT] = {"code": receipt.code, "secret": receipt.secret}
    st.session_state[STAGE] = "done"
    cache.report_frame.clear()
    st.rerun()


def _check_and_file() -> None:
    """Validate; offer similar open reports first; else store the report."""
    fields = _fields()
    try:
        R.validate_report(**fields)
        with D.repository() as repo:
            found = R.find_duplicates(
                repo, fields["category"], lon=fields["lon"], lat=fields["lat"],
                location_text=fields["location_text"],
            )
    except InputError as exc:
        st.session_state[STAGE] = "form"
        D.show_error(exc)
        return
    if found:
        st.session_state[CANDIDATES] = [asdict(c) for c in found]
        st.session_state[STAGE] = "review"
        return
    _file()


def _candidates() -> None:
    """Similar reports with "me too" (optionally with a comment), or submit anyway."""
    radius = get_settings().report_duplicate_radius_m
    st.subheader(t("reports.dup.heading"))
    st.write(t("reports.dup.intro", radius=f"{radius:g}"))
    for cand in st.session_state.get(CANDIDATES, []):
        with st.container(border=True):
            st.markdown("**" + t("reports.dup.item", code=cand["code"],
                                 status=D.status_label(cand["status"]),
                                 count=cand["support_count"]) + "**")
            if cand["distance_m"] is not None:
                st.caption(t("reports.dup.distance", distance=round(cand["distance_m"])))
            else:
                st.caption(t("reports.dup.text_match"))
            D.plain(t("reports.status.location"), cand["location_text"])
            D.plain(t("reports.status.description"), cand["description"])
            _metoo(int(cand["report_id"]), str(cand["code"]), "")
    if st.button(t("reports.dup.submit_anyway"), key="report_submit_anyway"):
        _file()


def _done() -> None:
    result = st.session_state.get(RESULT) or {}
    if st.session_state.get(STAGE) == "done":
        st.success(t("reports.done.title"))
        receipt_status(t("reports.done.code"), str(result.get("code", "")))
        st.code(result.get("code", ""), language=None)
        st.write(t("reports.done.code_help"))
        st.markdown(f"#### {t('security.secret.heading')}")
        st.code(result.get("secret", ""), language=None)
        st.warning(t("security.secret.help"))
    else:
        key = "reports.done.supported" if result.get("counted") else \
            "reports.done.supported_already"
        st.success(t(key, code=result.get("code", ""), count=result.get("count", 0)))
    try:
        code = str(result.get("code", ""))
        st.page_link("ui/pages/report_status.py", label=t("reports.done.status_link"),
                     icon=":material/search:", query_params={"code": code} if code else None)
    except StreamlitAPIException:  # the page runs outside the app's navigation (tests)
        st.write(t("reports.done.status_link"))
    if st.button(t("reports.done.again"), key="report_again"):
        _reset()
        st.rerun()


def render() -> None:
    """The report page."""
    st.title(t("reports.page.title"))
    st.write(t("reports.page.intro"))
    st.info(t("reports.page.privacy"), icon=":material/lock:")
    if st.session_state.get(STAGE) in ("done", "supported"):
        _done()
        return
    st.caption(t("reports.page.location_first"))
    _link_point()
    _map_picker()
    if _form():
        _check_and_file()
    if st.session_state.get(STAGE) == "review":
        _candidates()


render()
