"""Public, read-only page: fair gap rankings by district × facility type, charts, report."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from audit.actors import SYSTEM
from ui import cache
from ui.bureau_charts import compliance_bars, gap_heatmap
from ui.i18n import catalogue, current_language, t
from ui.state import LANG

GROUPS = {"cell": ("district_code", "facility_type"), "district": ("district_code",),
          "type": ("facility_type",)}


def source_label(source: str) -> str:
    """Where a cell's expected count came from, in words (" + " joins several sources)."""
    from audit.rankings import source_parts

    parts = [t(f"inventory.source.{kind}", file=file) for kind, file in source_parts(source)]
    return " + ".join(parts) or t("inventory.source.none")


def _display(table: pd.DataFrame, lang: str, group: str = "cell") -> pd.DataFrame:
    """The ranking as a table: what is ranked, then coverage (so it is in view without
    scrolling sideways), then the figures. Columns of the other grouping are left out."""
    zh = lang.startswith("zh")
    out = pd.DataFrame({
        t("bureau.col.rank"): table["rank"],
        t("bureau.col.district"): table["district_zh" if zh else "district_en"],
        t("bureau.col.type"): table["type_zh" if zh else "type_en"],
        t("bureau.col.coverage"): (table["coverage"] * 100).round(0),
        t("bureau.col.rankable"): table["rankable"].map(
            lambda r: t("bureau.rank.rankable") if r else t("bureau.rank.not_rankable")),
        t("bureau.col.audited"): table["audited"],
        t("bureau.col.non_compliant"): table["non_compliant"],
        t("bureau.col.rate"): (table["compliance_rate"] * 100).round(0),
        t("bureau.col.ci"): [
            "—" if pd.isna(lo) else f"{lo * 100:.0f}–{hi * 100:.0f}%"
            for lo, hi in zip(table["ci_low"], table["ci_high"], strict=True)],
        t("bureau.col.gap_points"): table["gap_points"].round(1),
        t("bureau.col.gap_per_audited"): table["gap_per_audited"].round(2),
        t("bureau.col.expected"): table["expected"],
        t("inventory.source.column"): table["expected_source"].map(source_label),
        t("bureau.col.reports"): table["resident_reports"],
    })
    if group == "district":
        out = out.drop(columns=[t("bureau.col.type")])
    elif group == "type":
        out = out.drop(columns=[t("bureau.col.district")])
    return out


def main() -> None:
    lang = st.session_state.get(LANG, "zh-Hans")
    title = st.empty()  # the title names the grouping chosen below it
    group = st.radio(t("bureau.rank.group_by"), list(GROUPS), horizontal=True,
                     format_func=lambda g: t(f"bureau.rank.group_{g}"), key="rank_group")
    title.title(t("mapux.rank.title", grouping=t(f"bureau.rank.group_{group}")))
    data = cache.rankings(GROUPS[group])
    table: pd.DataFrame = data["table"]
    st.caption(t("bureau.rank.intro", threshold=f"{data['threshold'] * 100:.0f}%"))
    if data["is_demo"]:
        st.warning(t("bureau.rank.demo"))
    if data["n_audits"] == 0:
        st.info(t("bureau.rank.empty"))
        reach_section(lang)  # reach rests on the network and OSM tags, audits or not
        return
    percent = st.column_config.NumberColumn(format="%d%%")  # 34 → 34%: the cells stay numbers
    st.dataframe(_display(table, lang, group), hide_index=True, use_container_width=True,
                 column_config={t("bureau.col.coverage"): percent, t("bureau.col.rate"): percent})
    weights = t("words.list_sep").join(
        t("words.weight", severity=t(f"severity.{k}") if f"severity.{k}" in catalogue(
            current_language()) else t("words.other"), weight=f"{v:g}")
        for k, v in data["weights"].items())
    st.caption(t("bureau.rank.basis", n=data["n_audits"], weights=weights,
                 source=source_label(data["expected_source"])))
    st.subheader(t(f"mapux.rank.bars_{group}"))
    st.altair_chart(compliance_bars(table, lang), use_container_width=True)
    if group == "cell":
        st.subheader(t("bureau.rank.heatmap"))
        st.altair_chart(gap_heatmap(table, lang), use_container_width=True)
    districts = cache.districts()
    names = dict(zip(districts["adcode"], districts["name_zh" if lang.startswith("zh")
                                                     else "name_en"], strict=True))
    code = st.selectbox(t("bureau.rank.report_district"), list(names),
                        format_func=lambda c: names[c], key="rank_report_district")
    if st.button(t("bureau.rank.report"), key="rank_report_build"):
        from audit.io.district_report import district_report_html

        with cache.unit_of_work(SYSTEM) as repo:
            html_text = district_report_html(repo, code)
        st.download_button(t("bureau.rank.report"), html_text.encode("utf-8"),
                           file_name=f"report_{code}.html", mime="text/html",
                           key="rank_report_download")
    reach_section(lang)


def _category(cat: str) -> str:
    key = f"reach.category.{cat}"
    return t(key) if key in catalogue(current_language()) else t("reach.category.other")


def reach_table_display(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Reach rows for a person: district, profile, destination, shares in %, nodes cut off."""
    zh = lang.startswith("zh")
    return pd.DataFrame({
        t("reach.col.district"): [
            t("reach.whole_network") if code == "all" else name for code, name in
            zip(table["district_code"], table["district_zh" if zh else "district_en"],
                strict=True)],
        t("reach.col.profile"): table["profile_zh" if zh else "profile_en"],
        t("reach.col.category"): table["category"].map(_category),
        t("reach.col.share"): (table["share"] * 100).round(1),
        t("reach.col.share_unconstrained"): (table["share_unconstrained"] * 100).round(1),
        t("reach.col.lost"): table["lost"],
        t("reach.col.nodes"): table["nodes"],
    })


def reach_section(lang: str) -> None:
    """Reach per district and profile: the data label, a table, and a district map layer."""
    from audit.errors import AuditError
    from ui.errors import error_text, log_error

    st.subheader(t("reach.title"))
    # computed for the whole walk network with every profile: only when asked for
    if not st.toggle(t("reach.show"), key="reach_show"):
        return
    try:
        with st.spinner(t("reach.working")):
            data = cache.city_reach()
    except AuditError as exc:
        log_error(exc)
        st.info(t("reach.unavailable", error=error_text(exc)))
        return
    label = data["label_zh" if lang.startswith("zh") else "label_en"]
    if data["network_synthetic"]:
        st.warning(t("reach.synthetic", label=label))
    elif data["provenance"] == "osm_not_yangjiang":
        st.warning(t("reach.not_yangjiang", label=label))
    if data["destinations_synthetic"]:
        st.warning(t("reach.destinations_synthetic"))
    st.caption(t("reach.intro", limit=f"{data['limit_m']:g}"))
    table: pd.DataFrame = data["table"]
    profiles = list(dict.fromkeys(table["profile_id"]))
    names = dict(zip(table["profile_id"], table["profile_zh" if lang.startswith("zh")
                                                   else "profile_en"], strict=True))
    profile = st.selectbox(t("reach.profile"), profiles, format_func=lambda p: names[p],
                           key="reach_profile")
    rows = table[table["profile_id"] == profile]
    st.dataframe(reach_table_display(rows, lang), hide_index=True, use_container_width=True)
    missing = sum(data["unsnapped"].values())
    if missing:
        st.caption(t("reach.unsnapped", n=missing))
    categories = list(dict.fromkeys(rows["category"]))
    if not categories:
        return
    category = st.selectbox(t("reach.category_pick"), categories, format_func=_category,
                            key="reach_category")
    _reach_map(rows[rows["category"] == category], lang)


def _reach_map(rows: pd.DataFrame, lang: str) -> None:
    """Districts coloured by the share reached (one folium GeoJson layer)."""
    from audit.reach import ALL_DISTRICTS

    st.markdown(f"#### {t('reach.map_heading')}")
    shares = {str(c): float(s) for c, s in zip(rows["district_code"], rows["share"], strict=True)
              if c != ALL_DISTRICTS and pd.notna(s)}
    districts = cache.districts()
    shown = districts[districts["adcode"].astype(str).isin(list(shares))]
    if shown.empty:
        st.info(t("reach.map_none"))
        return
    try:
        import folium
        from streamlit_folium import st_folium

        from ui.assets import missing_vendor_files
        from ui.map import build_map

        if missing_vendor_files():
            raise FileNotFoundError("map assets")
        empty = pd.DataFrame(columns=["facility_id", "lat", "lon", "verdict", "name"])
        fmap = build_map(empty, lang=current_language(), districts=districts)
        name_col = "name_zh" if lang.startswith("zh") else "name_en"
        layer = shown[["adcode", name_col, "geometry"]].copy()
        layer["reach"] = [f"{shares[str(c)] * 100:.1f}%" for c in layer["adcode"]]
        layer["_share"] = [shares[str(c)] for c in layer["adcode"]]
        folium.GeoJson(
            layer.to_json(),
            name=t("reach.map_heading"),
            style_function=lambda f: {
                "color": "#1f4e9c", "weight": 1, "fillColor": "#1f4e9c",
                "fillOpacity": 0.1 + 0.7 * float(f["properties"]["_share"]),
            },
            tooltip=folium.GeoJsonTooltip(fields=[name_col, "reach"], labels=False),
        ).add_to(fmap)
        st_folium(fmap, key="reach_map", height=420, use_container_width=True,
                  returned_objects=[])
    except (ImportError, OSError, ValueError):
        st.info(t("reach.map_unavailable"))
        return
    st.caption(t("reach.map_caption"))


main()
