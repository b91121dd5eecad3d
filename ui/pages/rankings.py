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
        return
    st.dataframe(_display(table, lang, group), hide_index=True, use_container_width=True)
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


main()
