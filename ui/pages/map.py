"""Public map page (landing page): filters → facility/report frames → folium map → detail."""

from __future__ import annotations

import html
from typing import Any

import streamlit as st
import streamlit.components.v1 as components
from streamlit.errors import StreamlitAPIException
from streamlit_folium import st_folium

from audit.errors import AuditError
from audit.settings import get_settings
from ui import cache, state, widgets
from ui.assets import missing_vendor_files
from ui.downloads import export_buttons
from ui.errors import error_text, log_error
from ui.i18n import current_language, pick, t
from ui.map import VERDICTS, build_map, facility_id_from_tooltip, facility_type_label
from ui.map import verdict_label as _verdict_label
from ui.place_search import place_search

#: Most facilities listed in the keyboard/screen-reader picker at once.
PICKER_LIMIT = 300
MAP_HEIGHT_PX = 560
#: Element id of the facility detail (scrolled into view and focused after a map tap).
DETAIL_ANCHOR = "a11y-facility-detail"
#: Roles that may open the inspector page (ui/pages/audits.py requires them).
AUDIT_ROLES = ("inspector", "admin")


def _optional(loader: Any, *args: Any) -> tuple[Any, str | None]:
    """Call a cached loader of optional map context; return (value, error message)."""
    try:
        return loader(*args), None
    except (ImportError, AttributeError, AuditError, OSError, ValueError) as exc:
        log_error(exc)
        return None, error_text(exc)


def _filters(lang: str, districts: Any) -> dict[str, Any]:
    """The filter widgets; returns plain values for ui.cache.facility_frame."""
    all_types = sorted(cache.facility_frame()["facility_type"].astype(str).unique())
    district_names: dict[str, str] = {}
    if districts is not None:
        for row in districts.itertuples(index=False):
            district_names[str(row.adcode)] = pick(lang, str(row.name_zh), str(row.name_en))
    st.markdown(f"#### {t('map.filter.heading')}")
    cols = st.columns(4)
    types = cols[0].multiselect(
        t("map.filter.facility_type"),
        all_types,
        format_func=lambda c: facility_type_label(c, lang),
        placeholder=t("map.filter.all"),
        key="map_filter_types",
    )
    chosen_districts = cols[1].multiselect(
        t("map.filter.district"),
        list(district_names),
        format_func=lambda c: district_names.get(c, c),
        placeholder=t("map.filter.all"),
        key="map_filter_districts",
    )
    verdicts = cols[2].multiselect(
        t("map.filter.verdict"),
        list(VERDICTS),
        format_func=lambda v: _verdict_label(v, lang),
        placeholder=t("map.filter.all"),
        key="map_filter_verdicts",
    )
    dates = cols[3].date_input(
        t("map.filter.date_range"), value=[], key="map_filter_dates", format="YYYY-MM-DD"
    )
    since = dates[0] if len(dates) > 0 else None
    until = dates[1] if len(dates) > 1 else since
    show_reports = st.toggle(t("map.filter.show_reports"), value=True, key="map_show_reports")
    return {
        "facility_types": tuple(types) or None,
        "districts": tuple(chosen_districts) or None,
        "verdicts": tuple(verdicts) or None,
        "since": since,
        "until": until,
        "show_reports": show_reports,
    }


def _layer_choices(lang: str) -> tuple[str | None, bool]:
    """Optional analysis layers: coverage gaps of one facility type, district choropleth."""
    from audit.model import FACILITY_TYPES

    cols = st.columns(2)
    coverage_type = cols[0].selectbox(
        t("map.coverage.select"),
        [None, *FACILITY_TYPES],
        format_func=lambda c: t("map.coverage.none") if c is None else facility_type_label(c, lang),
        key="map_coverage_type",
        help=t("map.coverage.help"),
    )
    choropleth = cols[1].toggle(t("map.choropleth.toggle"), value=False, key="map_choropleth")
    return coverage_type, choropleth


def _coverage_section(result: dict[str, Any], lang: str) -> None:
    """Per-district coverage table under the map, with the synthetic-network caveat."""
    ftype = facility_type_label(result["facility_type"], lang)
    st.markdown(f"### {t('map.coverage.heading', type=ftype)}")
    if result["synthetic"]:
        st.warning(t("map.coverage.synthetic"))
    st.caption(
        t(
            "map.coverage.summary",
            sources=result["sources"],
            unsnapped=result["sources_unsnapped"],
            km=f"{result['gap_km']:.1f}",
            distance=f"{result['thresholds_m'][-1]:g}",
        )
    )
    st.dataframe(
        widgets.coverage_table(result["by_district"], result["thresholds_m"], lang),
        hide_index=True,
    )


def _picker(frame: Any, lang: str) -> None:
    """Keyboard/screen-reader friendly facility chooser (same selection as a map click)."""
    query = st.text_input(t("map.pick.search"), key="map_pick_query").strip()
    subset = frame
    if query:
        subset = frame[frame["name"].astype(str).str.contains(query, case=False, regex=False)]
    order = subset.assign(_rank=subset["verdict"].map({v: i for i, v in enumerate(VERDICTS)}))
    order = order.sort_values(["_rank", "name"])
    ids = [int(i) for i in order["facility_id"].head(PICKER_LIMIT)]
    selected = st.session_state.get(state.SELECTED_FACILITY)
    if selected is not None and selected not in ids:
        ids.insert(0, int(selected))
    names = dict(zip(frame["facility_id"].astype(int), frame["name"].astype(str), strict=True))
    verdicts = dict(zip(frame["facility_id"].astype(int), frame["verdict"].astype(str),
                        strict=True))
    if len(order) > PICKER_LIMIT:
        st.caption(t("map.pick.truncated", limit=PICKER_LIMIT, total=len(order)))
    st.selectbox(
        t("map.pick.select"),
        [None, *ids],
        key=state.SELECTED_FACILITY,
        on_change=lambda: state.keep_facility(st.session_state.get(state.SELECTED_FACILITY)),
        format_func=lambda i: t("map.pick.none") if i is None else
        f"{names.get(i, i)} · {_verdict_label(verdicts.get(i, ''), lang)}",
    )


def _view_export(facilities: Any, reports: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """The map's facilities and reports as export tables, with the file note (demo label)."""
    from audit.actors import SYSTEM
    from audit.io.exports import about, view_tables

    with cache.unit_of_work(SYSTEM) as repo:
        note = about(repo)
    return view_tables(facilities, reports), note


def render() -> None:
    """The map page."""
    lang = current_language()
    settings = get_settings()
    st.title(t("map.title"))
    missing = missing_vendor_files()
    if missing:
        st.error(t("map.assets_missing", paths=", ".join(p.name for p in missing[:3])))
        st.stop()

    state.restore_facility()
    districts, district_error = _optional(cache.districts)
    if district_error:
        st.warning(t("map.districts_unavailable", error=district_error))
    jump = place_search("map")
    map_area = st.container()  # the map comes before the filters (which fold away)
    with st.expander(t("mapux.filters"), icon=":material/filter_list:"):
        filters = _filters(lang, districts)
        coverage_type, show_choropleth = _layer_choices(lang)
    facilities = cache.facility_frame(
        filters["facility_types"], filters["districts"], filters["verdicts"],
        filters["since"], filters["until"],
    )
    reports = cache.report_frame(filters["districts"]) if filters["show_reports"] else None
    network, network_error = _optional(cache.network_layer, filters["districts"])
    info, _ = _optional(cache.network_info)
    if network_error:
        st.info(t("map.network_unavailable", error=network_error))
    network_label = None
    if info is not None:
        label = pick(lang, info["label_zh"], info["label_en"]) or t("map.layer.network")
        network_label = t("map.layer.network_synthetic", label=label) if info["synthetic"] \
            else label
    coverage = None
    gaps_label = None
    if coverage_type is not None:
        with st.spinner(t("map.coverage.spinner")):
            coverage, coverage_error = _optional(cache.coverage, coverage_type)
        if coverage_error:
            st.warning(t("map.coverage.unavailable", error=coverage_error))
        else:
            gaps_label = t(
                "map.layer.gaps_for",
                distance=f"{coverage['thresholds_m'][-1]:g}",
                type=facility_type_label(coverage_type, lang),
            )
    gaps = coverage["gaps"] if coverage else None
    choropleth = None
    ranking: dict[str, Any] | None = None
    if show_choropleth and districts is not None:
        ranking, ranking_error = _optional(cache.district_rankings)
        if ranking_error:
            st.warning(t("map.choropleth.unavailable", error=ranking_error))
        else:
            from ui.bureau_charts import rankings_choropleth_layer  # altair: only when asked

            choropleth = rankings_choropleth_layer(ranking["table"], districts, lang)
            choropleth.show = True  # the user asked for it with the toggle
    work_orders, _ = _optional(cache.work_order_flags)
    attribution, _ = _optional(cache.boundary_attribution, lang)

    st.markdown(
        t(
            "map.summary",
            shown=len(facilities),
            reports=0 if reports is None else len(reports),
        )
    )
    if facilities.empty:
        st.info(t("map.no_facilities"))

    layers: dict[str, Any] = {
        "lang": lang, "districts": districts, "reports": reports, "network_edges": network,
        "network_label": network_label, "gaps": gaps, "gaps_label": gaps_label,
        "choropleth": choropleth,
        "choropleth_label": t("map.choropleth.legend") if choropleth is not None else None,
        "work_orders": work_orders, "attribution": attribution or "",
        "labels": _optional(cache.basemap_labels, lang)[0], "view": jump,
    }
    with map_area:
        map_col, side = st.columns([3, 2], gap="small")
    with map_col:
        try:
            fmap = build_map(facilities, tiles=settings.tiles,
                             tianditu_key=settings.tianditu_key, **layers)
        except AuditError as exc:
            log_error(exc)
            st.warning(t("map.tiles_error", error=error_text(exc)))
            fmap = build_map(facilities, tiles="none", **layers)
        result = st_folium(
            fmap,
            key="facility_map",
            height=MAP_HEIGHT_PX,
            use_container_width=True,
            # the map is rendered once, not twice: with render=True streamlit-folium renders the
            # whole figure and then the map again, for the same component arguments (each render
            # compiles the network's and the labels' scripts as templates; tests/
            # test_app_map_layers.py checks the arguments are the same)
            render=False,
            returned_objects=["last_object_clicked_tooltip", "last_object_clicked_count"],
        )
    moved = _take_click(result)

    if network is not None and network.simplified:
        st.caption(t("map.network_simplified"))
    elif network is not None and network.districts_only:
        st.caption(t("map.network_districts_only"))
    if ranking is not None:
        st.caption(t("map.choropleth.caption", threshold=f"{ranking['threshold']:.0%}"))
        if ranking.get("is_demo"):
            st.caption(t("map.choropleth.demo"))
    if coverage is not None:
        _coverage_section(coverage, lang)

    with side:
        _detail_panel(facilities, lang, moved)
    with st.expander(t("work.download.map_heading")):
        st.caption(t("work.download.map_help"))
        export_buttons(lambda: _view_export(facilities, reports), stem="yangjiang_a11y_map",
                       key="map_export")


def _take_click(result: dict[str, Any] | None) -> bool:
    """Select the facility of a new map click; True when the selection came from the map now.

    A click is new when its count *or* tooltip differs from the last one seen: the component
    restarts its count at 0 whenever the map is redrawn (filters, search), so comparing the
    count alone ignored taps after a redraw.
    """
    tip = (result or {}).get("last_object_clicked_tooltip")
    count = (result or {}).get("last_object_clicked_count") or 0
    seen = (count, tip)
    if not count or list(seen) == list(st.session_state.get(state.LAST_MAP_CLICK) or ()):
        return False
    st.session_state[state.LAST_MAP_CLICK] = seen
    clicked = facility_id_from_tooltip(tip)
    if clicked is None:
        return False
    st.session_state[state.SELECTED_FACILITY] = clicked
    state.keep_facility(clicked)
    return True


def _detail_panel(facilities: Any, lang: str, moved: bool) -> None:
    """Beside the map on a tablet, under it on a phone: the picker and the facility detail.

    After a map tap the detail is scrolled into view and focused (on a phone it would
    otherwise open below the fold)."""
    st.markdown(f"### {t('map.pick.heading')}")
    _picker(facilities, lang)
    selected = st.session_state.get(state.SELECTED_FACILITY)
    if selected is None:
        st.caption(t("mapux.detail.hint"))
        return
    try:
        detail = cache.facility_detail(int(selected))
    except AuditError as exc:
        log_error(exc)
        st.error(t("map.detail_error", error=error_text(exc)))
        return
    st.markdown(f'<div id="{DETAIL_ANCHOR}" tabindex="-1" aria-label="'
                f'{html.escape(t("mapux.detail.anchor"))}"></div>', unsafe_allow_html=True)
    if moved:
        _focus_detail(int(selected))
    if link := _reaudit_link():
        try:
            st.page_link(link, label=t("mapux.reaudit"), icon=":material/edit_note:")
        except StreamlitAPIException:  # the page runs outside the app's navigation (tests)
            st.caption(t("mapux.reaudit"))
    orders, orders_error = _optional(cache.work_orders)
    if orders_error:
        st.caption(t("detail.wo.unavailable", error=orders_error))
    mine = None if orders is None else orders[orders["facility_id"] == int(selected)]
    widgets.facility_detail(detail, work_orders=mine)


def _reaudit_link() -> str | None:
    """The inspector page, when the signed-in user may audit (else no link)."""
    from ui.auth import current_actor

    if current_actor().role not in AUDIT_ROLES:
        return None
    return "ui/pages/audits.py"


def _focus_detail(selected: int) -> None:
    """Scroll the detail anchor into view and move focus there (runs in the page, not the
    map's iframe); ``selected`` makes each new selection a new script run."""
    components.html(
        "<script>(function(){var d=window.parent.document;"
        f"var el=d.getElementById({DETAIL_ANCHOR!r});"
        "if(!el){return;}var narrow=window.parent.innerWidth<640;"
        "el.scrollIntoView({block:narrow?'start':'nearest'});el.focus({preventScroll:true});"
        f"}})();/* {int(selected)} */</script>",
        height=0,
    )

render()
