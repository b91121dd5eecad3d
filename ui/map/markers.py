"""Facilities and reports as marker-cluster layers built in the browser from compact rows.

Each layer is one JSON array (``FastMarkerCluster`` style, with bulk ``addLayers`` and chunked
loading), so 20,000 facilities stay usable. The JS callbacks compose tooltips from escaped
lookup tables; every string that comes from data is escaped in Python first
(:func:`ui.map.labels.escape`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import folium
import pandas as pd
from folium.plugins import FastMarkerCluster
from folium.template import Template

from audit.frames import frame_rows
from ui.i18n import translate
from ui.map.labels import escape, facility_type_label, report_status_label, verdict_label
from ui.map.styles import (
    COORD_DECIMALS,
    OTHER_REPORT_STYLE,
    REPORT_STATUS_STYLES,
    VERDICT_STYLES,
    WORK_ORDER_FLAGS,
    MarkerStyle,
)

#: Longest report description shown in a tooltip, in characters.
REPORT_TOOLTIP_CHARS = 60
#: Cluster radius (px) and zoom from which markers are never clustered.
CLUSTER_RADIUS_PX = 50
CLUSTER_OFF_AT_ZOOM = 17


def _style_table(styles: dict[str, MarkerStyle], labels: dict[str, str]) -> list[list[str]]:
    return [[st.shape, st.colour, st.glyph, escape(labels[k])] for k, st in styles.items()]


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
    type_labels = [escape(facility_type_label(t, lang)) for t in types]
    suffixes = [""] + [escape(translate(lang, f"map.workorder.{f}")) for f in WORK_ORDER_FLAGS[1:]]
    badge = escape(translate(lang, "map.workorder.badge"))
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
    template = escape(translate(lang, "map.report_tooltip"))
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
    for lat, lon, row in zip(lats, lons, frame_rows(frame), strict=True):
        fid = int(row.facility_id)
        out = [lat, lon, verdict_idx.get(str(row.verdict), len(verdict_idx) - 1), fid,
               escape(row.name), type_idx.get(str(row.facility_type), 0)]
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
    for lat, lon, row in zip(lats, lons, frame_rows(frame), strict=True):
        desc = str(row.description or "")
        if len(desc) > REPORT_TOOLTIP_CHARS:
            desc = desc[:REPORT_TOOLTIP_CHARS] + "…"
        rows.append([lat, lon, status_idx.get(str(row.status), len(statuses)), escape(row.code),
                     int(row.support_count), escape(desc)])
    return rows


def _cluster_layer(rows: list[list[Any]], callback: str, name: str, css_class: str
                   ) -> BulkMarkerCluster:
    """One marker-cluster layer with the map's shared cluster options."""
    return BulkMarkerCluster(
        rows,
        callback=callback,
        name=name,
        icon_create_function=_cluster_icon(css_class),
        chunkedLoading=True,
        maxClusterRadius=CLUSTER_RADIUS_PX,
        disableClusteringAtZoom=CLUSTER_OFF_AT_ZOOM,
        spiderfyOnMaxZoom=False,
    )


def add_facility_layer(
    fmap: folium.Map, facilities: pd.DataFrame, lang: str,
    work_orders: Mapping[int, str] | None = None,
) -> None:
    """The facilities layer (always added, even when empty, so the layer control lists it)."""
    types = sorted(facilities["facility_type"].astype(str).unique()) if len(facilities) else []
    _cluster_layer(
        facility_rows(facilities, types, work_orders),
        _facility_callback(lang, types),
        translate(lang, "map.layer.facilities"),
        "facilities",
    ).add_to(fmap)


def add_report_layer(fmap: folium.Map, reports: pd.DataFrame | None, lang: str) -> list[str]:
    """The resident-reports layer when there are reports; returns the statuses drawn (sorted)."""
    if reports is None or reports.empty:
        return []
    statuses = sorted(reports["status"].astype(str).unique())
    _cluster_layer(
        report_rows(reports, statuses),
        _report_callback(lang, statuses),
        translate(lang, "map.layer.reports"),
        "reports",
    ).add_to(fmap)
    return statuses
