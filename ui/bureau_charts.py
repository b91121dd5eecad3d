"""Charts of the bureau pages: bars with Wilson intervals, a district × type heat-map, and a
choropleth layer builder for the map page (:func:`rankings_choropleth_layer`).

Cells below the coverage threshold are drawn faded (and labelled), never as if complete.
"""

from __future__ import annotations

import html
import json
from functools import partial
from typing import Any

import altair as alt
import pandas as pd

from ui.i18n import translate


def _label_cols(lang: str) -> tuple[str, str]:
    return ("district_zh", "type_zh") if lang.startswith("zh") else ("district_en", "type_en")


#: Characters per line of a wrapped chart label (a long type name takes two or three lines).
LABEL_WRAP_CHARS = 18
#: Characters per line of a heat-map column label (the columns are narrow).
HEATMAP_WRAP_CHARS = 10
#: Height (px) of one line of a chart label.
LINE_PX = 14
#: Vega expression drawing a label with line breaks as several lines.
SPLIT_LINES = "split(datum.label, '\\n')"
#: Opacity of rankable and of thin (not rankable) cells: the same in bars and legend.
RANKABLE_OPACITY = (0.9, 0.3)


def wrap_label(text: str, width: int = LABEL_WRAP_CHARS) -> list[str]:
    """A label as lines of at most ``width`` characters, broken at " · " and spaces first
    (Vega-Lite draws a list as a multi-line label, so no label is cut off)."""
    lines: list[str] = []
    for part in str(text).split(" · "):
        words = part.split(" ") if " " in part else [part]
        line = ""
        for word in words:
            while len(word) > width:  # Chinese has no spaces: cut long runs
                if line:
                    lines.append(line)
                    line = ""
                lines.append(word[:width])
                word = word[width:]
            candidate = f"{line} {word}".strip()
            if len(candidate) > width and line:
                lines.append(line)
                line = word
            else:
                line = candidate
        if line:
            lines.append(line)
    return lines or [""]


def _row_label(row: Any, d_col: str, t_col: str) -> str:
    parts = [str(v) for v in (getattr(row, d_col, None), getattr(row, t_col, None))
             if isinstance(v, str) and v]
    return " · ".join(parts)


def _column_title(lang: str, key: str) -> str:
    return translate(lang, f"bureau.col.{key}")


def compliance_bars(table: pd.DataFrame, lang: str) -> alt.LayerChart:
    """Compliance rate per cell with its 95 % Wilson interval; faded where not rankable, and a
    legend says so. Every label is drawn in full, wrapped onto several lines."""
    d_col, t_col = _label_cols(lang)
    data = table[table["decided"] > 0].copy()
    data["label"] = [_row_label(r, d_col, t_col) for r in data.itertuples(index=False)]
    data["label_wrapped"] = data["label"].map(lambda v: "\n".join(wrap_label(v)))
    rankable, thin = (translate(lang, "bureau.rank.rankable"),
                      translate(lang, "bureau.rank.not_rankable"))
    data["rankable_text"] = data["rankable"].map(lambda r: rankable if r else thin)
    data["ci_text"] = [f"{lo:.0%} – {hi:.0%}" for lo, hi in zip(data["ci_low"], data["ci_high"],
                                                               strict=True)]
    # what a screen reader says of each bar (Vega's own words name the data columns)
    data["aria"] = [f"{label}: {rate:.0%} ({ci}), {shade}" for label, rate, ci, shade in zip(
        data["label"], data["compliance_rate"], data["ci_text"], data["rankable_text"],
        strict=True)]

    col = partial(_column_title, lang)

    y = alt.Y("label_wrapped:N",
              sort=alt.EncodingSortField("compliance_rate", order="ascending"),
              title=None, axis=alt.Axis(labelExpr=SPLIT_LINES, labelLimit=0))
    base = alt.Chart(data)
    bars = base.mark_bar().encode(
        x=alt.X("compliance_rate:Q", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1]), title=translate(lang, "bureau.col.rate")),
        y=alt.Y("label_wrapped:N",
                sort=alt.EncodingSortField("compliance_rate", order="ascending"), title=None,
                axis=alt.Axis(labelExpr=SPLIT_LINES, labelLimit=0, labelOverlap=False)),
        opacity=alt.Opacity(
            "rankable_text:N", scale=alt.Scale(domain=[rankable, thin],
                                               range=list(RANKABLE_OPACITY)),
            legend=alt.Legend(title=translate(lang, "mapux.rank.shade_legend"),
                              orient="bottom", direction="vertical", labelLimit=0,
                              symbolType="square")),
        tooltip=[alt.Tooltip("label:N", title=col("district") + " · " + col("type")),
                 alt.Tooltip("compliance_rate:Q", format=".0%", title=col("rate")),
                 alt.Tooltip("ci_text:N", title=col("ci")),
                 alt.Tooltip("audited:Q", title=col("audited")),
                 alt.Tooltip("rankable_text:N", title=col("rankable"))],
        description="aria:N",
    )
    rules = base.mark_rule(color="black", aria=False).encode(x="ci_low:Q", x2="ci_high:Q", y=y)
    lines = max((v.count("\n") + 1 for v in data["label_wrapped"]), default=1)
    return (bars + rules).properties(height=alt.Step(LINE_PX * lines + 8))


def gap_heatmap(table: pd.DataFrame, lang: str) -> alt.LayerChart:
    """District × type heat-map of gap points per audited facility; thin cells faded + marked.
    Every district has a column (empty when it has no audits; four short names fit a phone);
    the types are rows with wrapped labels."""
    from geodata.names import DISTRICTS

    d_col, t_col = _label_cols(lang)
    data = table.copy()
    data["mark"] = data["rankable"].map(lambda r: "" if r else "○")

    col = partial(_column_title, lang)

    data["aria"] = [f"{d} · {ty}: {col('gap_per_audited')} {g:.2f}" if g == g else f"{d} · {ty}"
                    for d, ty, g in zip(data[d_col], data[t_col], data["gap_per_audited"],
                                        strict=True)]
    all_districts = [pair[0] if lang.startswith("zh") else pair[1] for pair in DISTRICTS.values()]
    extra = [d for d in sorted(data[d_col].dropna().astype(str).unique())
             if d not in all_districts]
    data["type_wrapped"] = data[t_col].map(
        lambda v: "\n".join(wrap_label(v, HEATMAP_WRAP_CHARS)) if isinstance(v, str) else v)
    types = sorted(data["type_wrapped"].dropna().astype(str).unique())
    base = alt.Chart(data).encode(
        x=alt.X(f"{d_col}:N", title=None, scale=alt.Scale(domain=all_districts + extra),
                axis=alt.Axis(labelAngle=0, labelLimit=0, labelOverlap=False, orient="top")),
        y=alt.Y("type_wrapped:N", title=None, scale=alt.Scale(domain=types),
                axis=alt.Axis(labelLimit=0, labelOverlap=False, labelExpr=SPLIT_LINES)))
    rect = base.mark_rect().encode(
        color=alt.Color("gap_per_audited:Q", scale=alt.Scale(scheme="reds"),
                        title=translate(lang, "bureau.col.gap_per_audited"),
                        legend=alt.Legend(orient="bottom")),
        opacity=alt.condition("datum.rankable", alt.value(1.0), alt.value(0.35)),
        tooltip=[alt.Tooltip(f"{d_col}:N", title=col("district")),
                 alt.Tooltip(f"{t_col}:N", title=col("type")),
                 alt.Tooltip("audited:Q", title=col("audited")),
                 alt.Tooltip("expected:Q", title=col("expected")),
                 alt.Tooltip("coverage:Q", format=".0%", title=col("coverage")),
                 alt.Tooltip("gap_per_audited:Q", format=".2f", title=col("gap_per_audited")),
                 alt.Tooltip("rank:Q", title=col("rank"))],
        description="aria:N",
    )
    text = base.mark_text(aria=False).encode(text="mark:N")
    lines = max((str(v).count("\n") + 1 for v in types), default=1)
    return (rect + text).properties(height=alt.Step(LINE_PX * lines + 16))


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
        # the figure stays written on the district, so touch screens need no hover
        label = translate(
            lang, "mapux.rank.map_label", district=str(getattr(row, d_col)),
            gap="—" if pd.isna(row.gap_per_audited) else f"{row.gap_per_audited:.2f}",
            note="" if rankable else " ○")
        point = row.geometry.representative_point()
        folium.Marker(
            (point.y, point.x), interactive=False, keyboard=False,
            icon=folium.DivIcon(html=f'<div class="a11y-choro-label">{html.escape(label)}</div>',
                                icon_size=(0, 0), class_name="a11y-choro"),
        ).add_to(group)
    return group
