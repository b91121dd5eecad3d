"""Charts of the bureau pages: bars with Wilson intervals, a district × type heat-map, and a
choropleth layer builder for the map page (:func:`rankings_choropleth_layer`).

Cells below the coverage threshold are drawn faded (and labelled), never as if complete.
"""

from __future__ import annotations

import json
from typing import Any

import altair as alt
import pandas as pd

from ui.i18n import translate


def _label_cols(lang: str) -> tuple[str, str]:
    return ("district_zh", "type_zh") if lang.startswith("zh") else ("district_en", "type_en")


def compliance_bars(table: pd.DataFrame, lang: str) -> alt.LayerChart:
    """Compliance rate per cell with its 95 % Wilson interval; faded where not rankable."""
    d_col, t_col = _label_cols(lang)
    data = table[table["decided"] > 0].copy()
    data["label"] = data[d_col].astype(str) + " · " + data[t_col].astype(str)
    data["rankable_text"] = data["rankable"].map(
        lambda r: translate(lang, "bureau.rank.rankable" if r else "bureau.rank.not_rankable"))
    y = alt.Y("label:N", sort=alt.EncodingSortField("compliance_rate", order="ascending"),
              title=None)
    base = alt.Chart(data)
    bars = base.mark_bar().encode(
        x=alt.X("compliance_rate:Q", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1]), title=translate(lang, "bureau.col.rate")),
        y=y,
        opacity=alt.condition("datum.rankable", alt.value(0.9), alt.value(0.3)),
        tooltip=["label", alt.Tooltip("compliance_rate:Q", format=".0%"),
                 alt.Tooltip("ci_low:Q", format=".0%"), alt.Tooltip("ci_high:Q", format=".0%"),
                 "audited", "rankable_text"],
    )
    rules = base.mark_rule(color="black").encode(x="ci_low:Q", x2="ci_high:Q", y=y)
    return (bars + rules).properties(height=max(120, 18 * len(data)))


def gap_heatmap(table: pd.DataFrame, lang: str) -> alt.LayerChart:
    """District × type heat-map of gap points per audited facility; thin cells faded + marked."""
    d_col, t_col = _label_cols(lang)
    data = table.copy()
    data["mark"] = data["rankable"].map(lambda r: "" if r else "○")
    base = alt.Chart(data).encode(x=alt.X(f"{t_col}:N", title=None),
                                  y=alt.Y(f"{d_col}:N", title=None))
    rect = base.mark_rect().encode(
        color=alt.Color("gap_per_audited:Q", scale=alt.Scale(scheme="reds"),
                        title=translate(lang, "bureau.col.gap_per_audited")),
        opacity=alt.condition("datum.rankable", alt.value(1.0), alt.value(0.35)),
        tooltip=[d_col, t_col, "audited", "expected",
                 alt.Tooltip("coverage:Q", format=".0%"),
                 alt.Tooltip("gap_per_audited:Q", format=".2f"), "rank"],
    )
    text = base.mark_text().encode(text="mark:N")
    return (rect + text).properties(height=200)


def rankings_choropleth_layer(by_district: pd.DataFrame, districts: Any, lang: str) -> Any:
    """A folium layer colouring districts by gap points per audited facility.

    ``by_district``: the ranking table grouped by district only; ``districts``: the district
    GeoDataFrame (``adcode``, geometry). Districts below the coverage threshold are hatched grey
    and their tooltip says "not rankable". Returns a ``folium.FeatureGroup`` (not shown by default).
    """
    import branca.colormap as cm
    import folium

    merged = districts[["adcode", "geometry"]].merge(
        by_district, left_on="adcode", right_on="district_code", how="left")
    values = merged.loc[merged["rankable"].fillna(False).astype(bool), "gap_per_audited"]
    vmax = float(values.max()) if len(values) else 1.0
    scale = cm.linear.Reds_09.scale(0.0, vmax if vmax > 0 else 1.0)  # type: ignore[attr-defined]
    group = folium.FeatureGroup(name=translate(lang, "bureau.map.layer"), show=False)
    d_col = "district_zh" if lang.startswith("zh") else "district_en"
    for row in merged.itertuples(index=False):
        rankable = bool(row.rankable) if pd.notna(row.rankable) else False
        colour = scale(float(row.gap_per_audited)) if rankable else "#999999"
        tip = translate(
            lang, "bureau.map.tooltip", district=str(getattr(row, d_col)),
            gap="—" if pd.isna(row.gap_per_audited) else f"{row.gap_per_audited:.2f}",
            coverage="—" if pd.isna(row.coverage) else f"{row.coverage * 100:.0f}%",
            rank=str(row.rank) if rankable else translate(lang, "bureau.rank.not_rankable"))
        gj = json.loads(json.dumps(row.geometry.__geo_interface__))
        folium.GeoJson(
            gj,
            style_function=lambda _f, c=colour, r=rankable: {
                "fillColor": c, "color": "#333", "weight": 1,
                "fillOpacity": 0.55 if r else 0.2, "dashArray": None if r else "4 4"},
            tooltip=tip,
        ).add_to(group)
    return group
