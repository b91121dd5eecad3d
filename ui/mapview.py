"""Pure folium map builders: DataFrames in, ``folium.Map`` out. No streamlit here.

Facilities and reports are drawn by one marker-cluster layer each, built in the browser from a
compact JSON array (``FastMarkerCluster`` style, with bulk ``addLayers`` and chunked loading) so
20,000 facilities stay usable. Every verdict has its own colour **and** shape **and** glyph
(✓ ✗ ? –), and the tooltip says the verdict in words. All text that comes from data (names,
addresses, report descriptions typed by the public) is HTML-escaped before it reaches Leaflet,
which inserts tooltip strings as HTML.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Figure, MacroElement
from folium.plugins import FastMarkerCluster
from folium.template import Template

from audit.errors import InputError, Problem
from ui.assets import STREAMLIT_STATIC_URL, localise
from ui.i18n import translate

VERDICTS: tuple[str, ...] = ("non_compliant", "incomplete", "compliant", "unaudited")


@dataclass(frozen=True)
class MarkerStyle:
    """How one category is drawn: CSS shape class, fill colour and glyph (never colour alone)."""

    shape: str  # circle | square | diamond | pin
    colour: str  # fill; white glyph on it has >= 4.5:1 contrast
    glyph: str


VERDICT_STYLES: dict[str, MarkerStyle] = {
    "compliant": MarkerStyle("circle", "#1b6e34", "✓"),
    "non_compliant": MarkerStyle("square", "#b3261e", "✗"),
    "incomplete": MarkerStyle("diamond", "#7a4a00", "?"),
    "unaudited": MarkerStyle("circle", "#55595e", "–"),
}

#: One style per status of :data:`audit.reports.STATUSES` (a test keeps them in step);
#: rejected and duplicate reports are not on the public map but may appear in bureau views.
REPORT_STATUS_STYLES: dict[str, MarkerStyle] = {
    "new": MarkerStyle("pin", "#6a1b9a", "!"),
    "confirmed": MarkerStyle("pin", "#6a1b9a", "‼"),
    "in_progress": MarkerStyle("pin", "#0b5394", "…"),
    "fixed": MarkerStyle("pin", "#1b6e34", "✓"),
    "rejected": MarkerStyle("pin", "#55595e", "✗"),
    "duplicate": MarkerStyle("pin", "#55595e", "="),
}
OTHER_REPORT_STYLE = MarkerStyle("pin", "#55595e", "!")

#: Work-order flags of a facility row (index 6): none, an open order, an overdue open order.
WORK_ORDER_FLAGS: tuple[str, ...] = ("none", "open", "overdue")

#: Decimal places kept for coordinates sent to the browser (1e-5 degree is about 1 m).
COORD_DECIMALS = 5
#: Douglas-Peucker tolerance (degrees) for boundaries and the network: about 10 m / 5 m.
BOUNDARY_SIMPLIFY_DEG = 1e-4
NETWORK_SIMPLIFY_DEG = 5e-5
#: Most street-network vertices sent to the browser (about 24 bytes each in GeoJSON, so the
#: network layer stays under ~0.8 MB; the demo network merges to about 30,600). A larger network
#: is limited to the chosen districts, then thinned to its main and longest streets.
MAX_NETWORK_VERTICES = 32_000
#: Douglas-Peucker tolerance (degrees, about 20 m) of a network thinned to the cap.
NETWORK_COARSE_SIMPLIFY_DEG = 2e-4
#: OSM ``highway`` classes, most important first: a thinned network keeps these first.
HIGHWAY_RANKS: tuple[str, ...] = (
    "motorway", "trunk", "primary", "secondary", "tertiary", "motorway_link", "trunk_link",
    "primary_link", "secondary_link", "tertiary_link", "unclassified", "residential",
    "living_street", "service", "pedestrian", "footway", "path", "track",
)
#: Longest report description shown in a tooltip, in characters.
REPORT_TOOLTIP_CHARS = 60
#: Cluster radius (px) and zoom from which markers are never clustered.
CLUSTER_RADIUS_PX = 50
CLUSTER_OFF_AT_ZOOM = 17
#: Centre of Yangjiang city (WGS84), used only when no boundary is given.
YANGJIANG_CENTRE = (21.86, 111.98)
DEFAULT_ZOOM = 9
#: Deepest zoom (Leaflet needs it for clustering when there is no tile layer).
MAX_ZOOM = 19

TIANDITU_URL = (
    "https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILECOL={{x}}&TILEROW={{y}}"
    "&TILEMATRIX={{z}}&tk={key}"
)
TILE_CHOICES: tuple[str, ...] = ("none", "osm", "tianditu")

_TOOLTIP_ID = re.compile(r"^\s*\[(\d+)\]")

MARKER_CSS = """
<style>
.a11y-mk{display:flex;align-items:center;justify-content:center;color:#fff;
  font:bold 13px/1 system-ui,sans-serif;border:2px solid #fff;box-shadow:0 0 0 1px #1a1a1a;
  box-sizing:border-box;width:22px;height:22px}
.a11y-mk.circle{border-radius:50%}
.a11y-mk.square{border-radius:2px}
.a11y-mk.diamond{transform:rotate(45deg);width:19px;height:19px;margin:1px}
.a11y-mk.diamond span{transform:rotate(-45deg)}
.a11y-mk.pin{border-radius:50% 50% 50% 0;}
.a11y-mk{position:relative}
.a11y-wo{position:absolute;top:-8px;right:-9px;background:#fff;color:#1a1a1a;
  border:1px solid #1a1a1a;border-radius:3px;font:bold 9px/1 system-ui,sans-serif;
  padding:1px 2px;white-space:nowrap}
.a11y-mk.diamond .a11y-wo{transform:rotate(-45deg)}
.a11y-legend .a11y-wo{position:static;margin-right:2px}
.a11y-legend .swatch{display:inline-block;width:18px;height:12px;border:1px solid #333}
.a11y-cluster{background:#ffffff;border:3px solid #1a1a1a;border-radius:50%;color:#1a1a1a;
  font:bold 13px/1 system-ui,sans-serif;display:flex;align-items:center;
  justify-content:center;width:36px;height:36px;box-sizing:border-box}
.a11y-cluster.reports{border-style:dashed;border-color:#6a1b9a;color:#4a0d6e}
.a11y-legend{position:absolute;z-index:1000;bottom:24px;left:8px;background:#fff;
  color:#1a1a1a;border:1px solid #1a1a1a;border-radius:4px;padding:6px 8px;
  font:13px/1.4 system-ui,sans-serif;max-width:60%}
.a11y-legend h2{font-size:13px;margin:0 0 2px 0;font-weight:bold}
.a11y-legend summary{cursor:pointer;font-weight:bold}
.a11y-legend ul{list-style:none;margin:0 0 4px 0;padding:0}
.a11y-legend li{display:flex;align-items:center;gap:6px;margin:2px 0}
.a11y-legend .a11y-mk{width:18px;height:18px;font-size:11px}
.a11y-legend .a11y-mk.diamond{width:15px;height:15px}
.a11y-legend .line{display:inline-block;width:18px;height:0;border-top:3px solid}
.a11y-legend .synthetic{color:#7a4a00;font-weight:bold}
.leaflet-container{background:#f4f1ea}
</style>
"""


def _e(value: Any) -> str:
    """HTML-escape any value for Leaflet tooltips/popups (NaN and None become empty)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)


def facility_type_label(facility_type: str, lang: str) -> str:
    """The facility type's label from the ruleset model, or the type code if it has none."""
    try:
        from audit.model import FACILITY_LABELS
    except ImportError:  # the rules engine is not installed in this checkout
        return facility_type
    labels = FACILITY_LABELS.get(facility_type)
    if not labels:
        return facility_type
    return labels[0] if lang == "zh-Hans" else labels[1]


def verdict_label(verdict: str, lang: str) -> str:
    """The verdict in words (used in tooltips, the legend and the detail panel)."""
    if verdict in VERDICT_STYLES:
        return translate(lang, f"verdict.{verdict}")
    return verdict


def report_status_label(status: str, lang: str) -> str:
    """The report status in words (:data:`audit.reports.STATUSES`); never a raw code."""
    try:
        return translate(lang, f"report_status.{status}")
    except KeyError:
        return translate(lang, "report_status.unknown")


def facility_tooltip(row: Any, lang: str) -> str:
    """Escaped tooltip text ``[id] name · type · verdict``; the page parses the id back."""
    return (
        f"[{int(row.facility_id)}] {_e(row.name)} · "
        f"{_e(facility_type_label(str(row.facility_type), lang))} · "
        f"{_e(verdict_label(str(row.verdict), lang))}"
    )


def facility_id_from_tooltip(text: str | None) -> int | None:
    """The facility id encoded at the start of a facility tooltip, else None."""
    if not text:
        return None
    match = _TOOLTIP_ID.match(text)
    return int(match.group(1)) if match else None


def _style_table(styles: dict[str, MarkerStyle], labels: dict[str, str]) -> list[list[str]]:
    return [[st.shape, st.colour, st.glyph, _e(labels[k])] for k, st in styles.items()]


_MARKER_JS = (
    "var s = S[row[2]] || S[S.length - 1];"
    "var icon = L.divIcon({className: '', iconSize: [22, 22], iconAnchor: [11, 11],"
    "html: '<div class=\"a11y-mk ' + s[0] + '\" style=\"background:' + s[1] + '\">"
    "<span aria-hidden=\"true\">' + s[2] + '</span>' + (badge || '') + '</div>'});"
    "var plain = tip.replace(/&lt;/g, '<').replace(/&gt;/g, '>')"
    ".replace(/&quot;/g, '\"').replace(/&#x27;/g, \"'\").replace(/&amp;/g, '&');"
    "var marker = L.marker(new L.LatLng(row[0], row[1]), {icon: icon, keyboard: true,"
    " title: plain, alt: plain});"
    "marker.bindTooltip(tip);"
    "return marker;}"
)


def _facility_callback(lang: str, types: list[str]) -> str:
    """JS callback for rows ``[lat, lon, verdict_idx, id, escaped name, type_idx[, wo_flag]]``.

    The tooltip ``[id] name · type · verdict[ · work order]`` is composed in the browser from
    escaped lookup tables (so each row stays small); the marker's title is the same text
    unescaped and set as a DOM property, never parsed as HTML. ``wo_flag`` (index into
    :data:`WORK_ORDER_FLAGS`, present only when non-zero) adds a text suffix and a small text
    badge on the marker, so the work-order state is never carried by colour alone.
    """
    table = _style_table(VERDICT_STYLES, {v: verdict_label(v, lang) for v in VERDICT_STYLES})
    type_labels = [_e(facility_type_label(t, lang)) for t in types]
    suffixes = [""] + [_e(translate(lang, f"map.workorder.{f}")) for f in WORK_ORDER_FLAGS[1:]]
    badge = _e(translate(lang, "map.workorder.badge"))
    return (
        f"function (row) {{ var S = {json.dumps(table)}; var T = {json.dumps(type_labels)};"
        f"var W = {json.dumps(suffixes)}; var B = {json.dumps(badge)};"
        "var tip = '[' + row[3] + '] ' + row[4] + ' · ' + T[row[5]] + ' · '"
        " + (S[row[2]] || S[S.length - 1])[3] + (row[6] ? ' · ' + W[row[6]] : '');"
        "var badge = row[6] ? '<span class=\"a11y-wo\" aria-hidden=\"true\">' + B"
        " + '</span>' : '';" + _MARKER_JS
    )


def _report_callback(lang: str, statuses: list[str]) -> str:
    """JS callback for rows ``[lat, lon, status_idx, escaped code, count, escaped text]``."""
    styles = {s: REPORT_STATUS_STYLES.get(s, OTHER_REPORT_STYLE) for s in statuses}
    table = _style_table(styles, {s: report_status_label(s, lang) for s in statuses})
    table.append([OTHER_REPORT_STYLE.shape, OTHER_REPORT_STYLE.colour, OTHER_REPORT_STYLE.glyph,
                  ""])
    template = _e(translate(lang, "map.report_tooltip"))
    return (
        f"function (row) {{ var S = {json.dumps(table)}; var F = {json.dumps(template)};"
        "var badge = '';"
        "var tip = F.replace('{code}', row[3]).replace('{status}', (S[row[2]] || [])[3] || '')"
        ".replace('{count}', row[4]).replace('{description}', row[5]);" + _MARKER_JS
    )


def _cluster_icon(css_class: str) -> str:
    """Neutral cluster icons (black/white), so cluster colour is never read as a verdict."""
    return (
        "function (cluster) { return L.divIcon({html: '<div class=\"a11y-cluster "
        f"{css_class}\"><span>' + cluster.getChildCount() + '</span></div>',"
        "className: '', iconSize: [36, 36]}); }"
    )


class BulkMarkerCluster(FastMarkerCluster):
    """FastMarkerCluster that adds all markers at once with chunked loading (much faster)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = (function(){
                var callback = {{ this.callback_js }};
                var data = {{ this.data|tojson }};
                var cluster = L.markerClusterGroup({{ this.options|tojavascript }});
                {%- if this.icon_create_function is not none %}
                cluster.options.iconCreateFunction = {{ this.icon_create_function.strip() }};
                {%- endif %}
                var markers = new Array(data.length);
                for (var i = 0; i < data.length; i++) { markers[i] = callback(data[i]); }
                cluster.addLayers(markers);
                cluster.addTo({{ this._parent.get_name() }});
                return cluster;
            })();
        {% endmacro %}"""
    )

    def __init__(self, data: list[list[Any]], callback: str, **kwargs: Any) -> None:
        super().__init__(data, callback=callback, **kwargs)
        self.callback_js = callback


class _Html(MacroElement):
    """Raw HTML added to the map container (legend, marker CSS)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            (function(){
                var box = document.createElement('div');
                box.innerHTML = {{ this.content|tojson }};
                while (box.firstChild) {
                    {{ this._parent.get_name() }}.getContainer().appendChild(box.firstChild);
                }
            })();
        {% endmacro %}"""
    )

    def __init__(self, content: str) -> None:
        super().__init__()
        self._name = "Html"
        self.content = content


class _Attribution(MacroElement):
    """Adds a data attribution (boundaries, OSM, synthetic network) to Leaflet's control."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.attributionControl.addAttribution(
                {{ this.text|tojson }});
        {% endmacro %}"""
    )

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "Attribution"
        self.text = text


def facility_rows(
    facilities: pd.DataFrame,
    types: list[str],
    work_orders: Mapping[int, str] | None = None,
) -> list[list[Any]]:
    """Compact browser rows ``[lat, lon, verdict_idx, id, escaped name, type_idx[, wo_flag]]``.

    ``verdict_idx`` indexes :data:`VERDICT_STYLES` (unknown verdicts get the last style);
    ``type_idx`` indexes ``types``; ``wo_flag`` indexes :data:`WORK_ORDER_FLAGS` and is only
    appended for facilities in ``work_orders`` (facility id → ``"open"`` / ``"overdue"``), so
    rows without a work order cost nothing extra.
    """
    if facilities.empty:
        return []
    frame = facilities.dropna(subset=["lat", "lon"])
    verdict_idx = {v: i for i, v in enumerate(VERDICT_STYLES)}
    type_idx = {t: i for i, t in enumerate(types)}
    flag_idx = {f: i for i, f in enumerate(WORK_ORDER_FLAGS)}
    orders = work_orders or {}
    lats = frame["lat"].astype(float).round(COORD_DECIMALS).tolist()
    lons = frame["lon"].astype(float).round(COORD_DECIMALS).tolist()
    rows: list[list[Any]] = []
    for lat, lon, row in zip(lats, lons, frame.itertuples(index=False), strict=True):
        fid = int(row.facility_id)
        out = [lat, lon, verdict_idx.get(str(row.verdict), len(verdict_idx) - 1), fid,
               _e(row.name), type_idx.get(str(row.facility_type), 0)]
        flag = flag_idx.get(orders.get(fid, "none"), 0)
        if flag:
            out.append(flag)
        rows.append(out)
    return rows


def report_rows(reports: pd.DataFrame, statuses: list[str]) -> list[list[Any]]:
    """Compact browser rows ``[lat, lon, status_idx, escaped code, count, escaped text]``."""
    if reports.empty:
        return []
    frame = reports.dropna(subset=["lat", "lon"])
    status_idx = {s: i for i, s in enumerate(statuses)}
    lats = frame["lat"].astype(float).round(COORD_DECIMALS).tolist()
    lons = frame["lon"].astype(float).round(COORD_DECIMALS).tolist()
    rows: list[list[Any]] = []
    for lat, lon, row in zip(lats, lons, frame.itertuples(index=False), strict=True):
        desc = str(row.description or "")
        if len(desc) > REPORT_TOOLTIP_CHARS:
            desc = desc[:REPORT_TOOLTIP_CHARS] + "…"
        rows.append([lat, lon, status_idx.get(str(row.status), len(statuses)), _e(row.code),
                     int(row.support_count), _e(desc)])
    return rows


def _legend_item(style: MarkerStyle, label: str) -> str:
    return (
        f'<li><span class="a11y-mk {style.shape}" style="background:{style.colour}">'
        f'<span aria-hidden="true">{_e(style.glyph)}</span></span>{_e(label)}</li>'
    )


def legend_html(
    lang: str,
    *,
    verdict_counts: dict[str, int],
    report_statuses: Sequence[str],
    network_label: str | None,
    show_gaps: bool,
    gaps_label: str | None = None,
    work_orders: int = 0,
    choropleth_label: str | None = None,
) -> str:
    """The map legend: verdict glyphs with counts, work-order badge, report statuses, lines,
    the district choropleth; all text escaped."""
    items = [
        _legend_item(
            VERDICT_STYLES[v],
            translate(lang, "map.legend.count", label=verdict_label(v, lang),
                      count=verdict_counts.get(v, 0)),
        )
        for v in VERDICTS
    ]
    title = _e(translate(lang, "map.legend.title"))
    if work_orders:
        items.append(
            f'<li><span class="a11y-wo">{_e(translate(lang, "map.workorder.badge"))}</span>'
            f"{_e(translate(lang, 'map.legend.work_orders', count=work_orders))}</li>"
        )
    parts = [
        f'<details class="a11y-legend" open><summary>{title}</summary>',
        f"<h2>{_e(translate(lang, 'map.legend.facilities'))}</h2><ul>{''.join(items)}</ul>",
    ]
    if report_statuses:
        report_items = [
            _legend_item(
                REPORT_STATUS_STYLES.get(s, OTHER_REPORT_STYLE), report_status_label(s, lang)
            )
            for s in report_statuses
        ]
        parts.append(
            f"<h2>{_e(translate(lang, 'map.legend.reports'))}</h2><ul>{''.join(report_items)}</ul>"
        )
    lines = [
        f'<li><span class="line" style="border-color:#1a1a1a"></span>'
        f"{_e(translate(lang, 'map.layer.districts'))}</li>"
    ]
    if network_label is not None:
        lines.append(
            f'<li><span class="line" style="border-color:#3d5a80;border-top-width:2px"></span>'
            f"{_e(network_label)}</li>"
        )
    if show_gaps:
        lines.append(
            f'<li><span class="line" style="border-color:#d1495b;border-top-style:dashed"></span>'
            f"{_e(gaps_label or translate(lang, 'map.layer.gaps'))}</li>"
        )
    if choropleth_label:
        lines.append(
            '<li><span class="swatch" style="background:linear-gradient(90deg,#fff5f0,#67000d)">'
            f"</span>{_e(choropleth_label)}</li>"
            '<li><span class="swatch" style="background:#999999;opacity:.5;border-style:dashed">'
            f"</span>{_e(translate(lang, 'map.choropleth.thin'))}</li>"
        )
    parts.append(f"<ul>{''.join(lines)}</ul></details>")
    return "".join(parts)


def _count_flagged(facilities: pd.DataFrame, work_orders: Mapping[int, str] | None) -> int:
    """How many of the shown facilities carry a work-order flag."""
    if not work_orders or facilities.empty:
        return 0
    return int(facilities["facility_id"].astype(int).isin(list(work_orders)).sum())


def _geojson_of(gdf: gpd.GeoDataFrame, simplify_deg: float, keep: Sequence[str]) -> dict[str, Any]:
    """GeoJSON dict of ``gdf`` in WGS84, simplified and rounded, with only ``keep`` columns."""
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    out = gdf[[c for c in keep if c in gdf.columns]].copy()
    geoms = gdf.geometry.simplify(simplify_deg, preserve_topology=True)
    out = gpd.GeoDataFrame(out, geometry=geoms.set_precision(10**-COORD_DECIMALS), crs=4326)
    return json.loads(out.to_json(drop_id=True))


@dataclass(frozen=True)
class NetworkLayer:
    """The street network as drawn: one GeoJSON feature of merged lines and how it was cut.

    ``simplified``: thinned to the main and longest streets to stay under
    :data:`MAX_NETWORK_VERTICES` (the page then says so); ``districts_only``: limited to the
    chosen districts; ``vertices``: vertices sent; ``edges``: edges of the whole network.
    """

    geojson: dict[str, Any]
    vertices: int
    edges: int
    simplified: bool = False
    districts_only: bool = False


def _merged(geoms: np.ndarray, tolerance: float) -> Any:
    """Lines merged where they meet end to end, simplified, rounded to :data:`COORD_DECIMALS`."""
    merged = shapely.line_merge(shapely.multilinestrings(geoms))
    merged = shapely.simplify(merged, tolerance, preserve_topology=True)
    return shapely.set_precision(merged, 10**-COORD_DECIMALS)


def _merged_within(geoms: np.ndarray, cap: int) -> Any | None:
    """:func:`_merged` at the fine tolerance if it has at most ``cap`` vertices, else None.

    Merging saves at most one vertex per edge, so a network whose vertices minus edges exceed
    the cap is rejected without building the merged geometry.
    """
    if int(shapely.get_num_coordinates(geoms).sum()) - len(geoms) > cap:
        return None
    geom = _merged(geoms, NETWORK_SIMPLIFY_DEG)
    return geom if shapely.get_num_coordinates(geom) <= cap else None


def _highway_rank(values: pd.Series) -> np.ndarray:
    """Rank of each edge's (first) OSM highway class; unknown classes come last."""
    order = {h: i for i, h in enumerate(HIGHWAY_RANKS)}
    first = values.map(str).str.strip("[]'\" ").str.split(r"['\",\s]+", regex=True).str[0]
    return first.map(order).fillna(len(HIGHWAY_RANKS)).to_numpy(dtype=int)


def _thinned(geoms: np.ndarray, ranks: np.ndarray, cap: int) -> Any:
    """Main, then longest, streets first, coarsely simplified, while they fit in ``cap`` vertices.

    Works on the edge array in place (lengths and counts are plain numbers) and builds new
    geometries only for the candidates, so thinning a 100,000-node network stays cheap.
    Deterministic: ties keep the frame order.
    """
    order = np.lexsort((np.arange(len(geoms)), -shapely.length(geoms), ranks))
    # simplifying only ever drops vertices: twice the cap in raw vertices is enough candidates
    order = order[np.cumsum(shapely.get_num_coordinates(geoms[order])) <= 2 * cap]
    candidates = shapely.simplify(geoms[order], NETWORK_COARSE_SIMPLIFY_DEG,
                                  preserve_topology=True)
    chosen = candidates[np.cumsum(shapely.get_num_coordinates(candidates)) <= cap]
    # merging end to end and simplifying again never adds vertices
    return _merged(chosen, NETWORK_COARSE_SIMPLIFY_DEG)


def _in_districts(
    edges: gpd.GeoDataFrame, districts: gpd.GeoDataFrame, codes: Sequence[str]
) -> gpd.GeoDataFrame:
    """Edges touching the districts whose ``adcode`` is in ``codes``."""
    chosen = districts[districts["adcode"].astype(str).isin([str(c) for c in codes])]
    if chosen.crs is not None and chosen.crs.to_epsg() != 4326:
        chosen = chosen.to_crs(4326)
    area = shapely.union_all(chosen.geometry.to_numpy())
    hits = shapely.STRtree(edges.geometry.to_numpy()).query(area, predicate="intersects")
    return edges.iloc[np.sort(hits)]


def network_layer(
    edges: gpd.GeoDataFrame,
    districts: gpd.GeoDataFrame | None = None,
    district_codes: Sequence[str] | None = None,
    *,
    cap: int = MAX_NETWORK_VERTICES,
) -> NetworkLayer:
    """The network layer, never more than ``cap`` vertices (deterministic for the same input).

    Under the cap every edge is drawn (merged into one feature, which halves the payload).
    Over it: only the edges in ``district_codes`` (when chosen and ``districts`` is given);
    if still over, the streets are ranked by OSM ``highway`` class (when the frame has one) and
    then by edge length, simplified at :data:`NETWORK_COARSE_SIMPLIFY_DEG`, and kept while
    they fit (``simplified`` is then set).
    """
    if edges.crs is not None and edges.crs.to_epsg() != 4326:
        edges = edges.to_crs(4326)
    total = len(edges)
    geom = _merged_within(edges.geometry.to_numpy(), cap)
    districts_only = simplified = False
    if geom is None and district_codes and districts is not None and not districts.empty:
        edges = _in_districts(edges, districts, district_codes)
        geom = _merged_within(edges.geometry.to_numpy(), cap)
        districts_only = True
    if geom is None:
        ranks = (_highway_rank(edges["highway"]) if "highway" in edges.columns
                 else np.zeros(len(edges), dtype=int))
        geom = _thinned(edges.geometry.to_numpy(), ranks, cap)
        simplified = True
    features = [] if shapely.is_empty(geom) else [
        {"type": "Feature", "properties": {}, "geometry": json.loads(shapely.to_geojson(geom))}
    ]
    return NetworkLayer(
        geojson={"type": "FeatureCollection", "features": features},
        vertices=int(shapely.get_num_coordinates(geom)),
        edges=total,
        simplified=simplified,
        districts_only=districts_only,
    )


def add_tiles(fmap: folium.Map, tiles: str, tianditu_key: str = "") -> None:
    """Add the configured basemap: none (vector only), OpenStreetMap or 天地图 (WGS84 ``_w``)."""
    if tiles not in TILE_CHOICES:
        raise InputError(Problem("tiles", tiles, f"one of {', '.join(TILE_CHOICES)}"))
    if tiles == "osm":
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap").add_to(fmap)
    elif tiles == "tianditu":
        if not tianditu_key:
            raise InputError(
                Problem("tianditu_key", tianditu_key, "a 天地图 API key when tiles = tianditu")
            )
        key = quote(tianditu_key, safe="")
        for layer, name, overlay in (("vec", "天地图", False), ("cva", "天地图注记", True)):
            folium.TileLayer(
                tiles=TIANDITU_URL.format(layer=layer, key=key),
                attr="&copy; 天地图 Tianditu",
                name=name,
                subdomains="01234567",
                overlay=overlay,
                max_zoom=MAX_ZOOM,
            ).add_to(fmap)


def build_map(
    facilities: pd.DataFrame,
    *,
    lang: str,
    districts: gpd.GeoDataFrame | None = None,
    reports: pd.DataFrame | None = None,
    network_edges: gpd.GeoDataFrame | NetworkLayer | None = None,
    network_label: str | None = None,
    gaps: gpd.GeoDataFrame | None = None,
    gaps_label: str | None = None,
    choropleth: folium.FeatureGroup | None = None,
    choropleth_label: str | None = None,
    work_orders: Mapping[int, str] | None = None,
    attribution: str = "",
    tiles: str = "none",
    tianditu_key: str = "",
    asset_base_url: str = STREAMLIT_STATIC_URL,
) -> folium.Map:
    """The whole public map: boundaries, network, coverage gaps, facilities, reports, legend.

    ``facilities`` / ``reports`` follow ``Repository.facility_frame`` / ``report_frame``.
    ``network_edges`` is an edge frame or a prepared :func:`network_layer` (at most
    :data:`MAX_NETWORK_VERTICES` vertices either way); ``network_label`` names the network
    layer (it says "synthetic" for the demo network).
    ``gaps`` (drawn as one dashed layer, named ``gaps_label``) comes from
    :func:`ui.cache.coverage`; ``choropleth`` is a district layer (e.g.
    :func:`ui.bureau_charts.rankings_choropleth_layer`) drawn under everything else and
    explained in the legend by ``choropleth_label``; ``work_orders`` maps facility ids with an
    unfinished work order to ``"open"`` / ``"overdue"`` (tooltip suffix + marker badge).
    Every JS/CSS resource points at ``asset_base_url`` (see :func:`ui.assets.localise`).
    """
    fmap = folium.Map(
        location=YANGJIANG_CENTRE,
        zoom_start=DEFAULT_ZOOM,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
        maxZoom=MAX_ZOOM,  # map option (folium's max_zoom only reaches its own tile layer)
    )
    add_tiles(fmap, tiles, tianditu_key)
    root = fmap.get_root()
    assert isinstance(root, Figure)  # a folium.Map's root is always its Figure
    root.header.add_child(folium.Element(MARKER_CSS), name="a11y_marker_css")

    if districts is not None and not districts.empty:
        name_col = "name_zh" if lang == "zh-Hans" else "name_en"
        data = _geojson_of(districts, BOUNDARY_SIMPLIFY_DEG, ["adcode", name_col])
        folium.GeoJson(
            data,
            name=translate(lang, "map.layer.districts"),
            style_function=lambda _f: {
                "color": "#1a1a1a", "weight": 2, "fill": True, "fillOpacity": 0.03,
            },
            tooltip=folium.GeoJsonTooltip(fields=[name_col], labels=False)
            if name_col in districts.columns
            else None,
        ).add_to(fmap)
        minx, miny, maxx, maxy = districts.to_crs(4326).total_bounds
        fmap.fit_bounds([[miny, minx], [maxy, maxx]])

    if choropleth is not None:
        choropleth.add_to(fmap)

    if isinstance(network_edges, gpd.GeoDataFrame):
        network_edges = network_layer(network_edges) if not network_edges.empty else None
    if network_edges is not None and network_edges.geojson["features"]:
        folium.GeoJson(
            network_edges.geojson,
            name=network_label or translate(lang, "map.layer.network"),
            style_function=lambda _f: {"color": "#3d5a80", "weight": 1.5, "opacity": 0.8},
            interactive=False,
        ).add_to(fmap)

    if gaps is not None and not gaps.empty:
        data = _geojson_of(gaps, NETWORK_SIMPLIFY_DEG, [])
        folium.GeoJson(
            data,
            name=gaps_label or translate(lang, "map.layer.gaps"),
            style_function=lambda _f: {
                "color": "#d1495b", "weight": 3, "dashArray": "6 4", "fillOpacity": 0.15,
            },
            interactive=False,
        ).add_to(fmap)

    types = sorted(facilities["facility_type"].astype(str).unique()) if len(facilities) else []
    BulkMarkerCluster(
        facility_rows(facilities, types, work_orders),
        callback=_facility_callback(lang, types),
        name=translate(lang, "map.layer.facilities"),
        icon_create_function=_cluster_icon("facilities"),
        chunkedLoading=True,
        maxClusterRadius=CLUSTER_RADIUS_PX,
        disableClusteringAtZoom=CLUSTER_OFF_AT_ZOOM,
        spiderfyOnMaxZoom=False,
    ).add_to(fmap)

    statuses: list[str] = []
    if reports is not None and not reports.empty:
        statuses = sorted(reports["status"].astype(str).unique())
        BulkMarkerCluster(
            report_rows(reports, statuses),
            callback=_report_callback(lang, statuses),
            name=translate(lang, "map.layer.reports"),
            icon_create_function=_cluster_icon("reports"),
            chunkedLoading=True,
            maxClusterRadius=CLUSTER_RADIUS_PX,
            disableClusteringAtZoom=CLUSTER_OFF_AT_ZOOM,
            spiderfyOnMaxZoom=False,
        ).add_to(fmap)

    counts = facilities["verdict"].value_counts().to_dict() if not facilities.empty else {}
    fmap.add_child(
        _Html(
            legend_html(
                lang,
                verdict_counts={str(k): int(v) for k, v in counts.items()},
                report_statuses=statuses,
                network_label=network_label if network_edges is not None else None,
                show_gaps=gaps is not None and not gaps.empty,
                gaps_label=gaps_label,
                work_orders=_count_flagged(facilities, work_orders),
                choropleth_label=choropleth_label if choropleth is not None else None,
            )
        )
    )
    if attribution:
        fmap.add_child(_Attribution(_e(attribution)))
    folium.LayerControl(collapsed=True).add_to(fmap)
    return localise(fmap, asset_base_url)
