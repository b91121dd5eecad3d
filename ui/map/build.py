"""The whole public map: DataFrames in, ``folium.Map`` out. No streamlit here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import folium
import geopandas as gpd
import pandas as pd
from branca.element import Figure

from ui.assets import STREAMLIT_STATIC_URL, localise
from ui.map.basemap import LabelSets, add_locate_control, add_place_labels
from ui.map.layers import (
    MAX_ZOOM,
    add_attribution,
    add_district_layer,
    add_gaps_layer,
    add_map_controls,
    add_network_layer,
    add_tiles,
)
from ui.map.legend import MapHtml, count_flagged, legend_html
from ui.map.markers import add_facility_layer, add_report_layer
from ui.map.network import NetworkLayer, network_layer
from ui.map.styles import MARKER_CSS

#: Centre of Yangjiang city (WGS84), used only when no boundary is given.
YANGJIANG_CENTRE = (21.86, 111.98)
DEFAULT_ZOOM = 9


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
    labels: LabelSets | Mapping[str, list[list[Any]]] | None = None,
    locate: bool = True,
    view: Mapping[str, Any] | None = None,
) -> folium.Map:
    """The whole public map: boundaries, network, coverage gaps, facilities, reports, legend.

    ``facilities`` / ``reports`` follow ``Repository.facility_frame`` / ``report_frame``.
    ``network_edges`` is an edge frame or a prepared :func:`ui.map.network_layer` (at most
    :data:`ui.map.MAX_NETWORK_VERTICES` vertices either way); ``network_label`` names the
    network layer (it says "synthetic" for the demo network).
    ``gaps`` (drawn as one dashed layer, named ``gaps_label``) comes from
    :func:`ui.cache.coverage`; ``choropleth`` is a district layer (e.g.
    :func:`ui.bureau_charts.rankings_choropleth_layer`) drawn under everything else and
    explained in the legend by ``choropleth_label``; ``work_orders`` maps facility ids with an
    unfinished work order to ``"open"`` / ``"overdue"`` (tooltip suffix + marker badge).
    ``labels`` holds district/town/street name rows (:func:`ui.cache.basemap_labels`), drawn
    by zoom over the network (the offline basemap); ``locate`` adds the locate-me control.
    The network and the labels are published as static files (:mod:`ui.map.published`) that
    the browser fetches from ``asset_base_url``/data/..., not inlined in the page.
    ``view`` (``{"center": [lat, lon], "zoom": z}``, e.g. a place-search match) opens the map
    there instead of fitting it to the districts.
    Every JS/CSS resource points at ``asset_base_url`` (see :func:`ui.assets.localise`).
    """
    fmap = folium.Map(
        location=tuple(view["center"]) if view else YANGJIANG_CENTRE,
        zoom_start=int(view.get("zoom", DEFAULT_ZOOM)) if view else DEFAULT_ZOOM,
        tiles=None,
        prefer_canvas=True,
        maxZoom=MAX_ZOOM,  # map option (folium's max_zoom only reaches its own tile layer)
    )
    add_tiles(fmap, tiles, tianditu_key)
    add_map_controls(fmap)
    root = cast(Figure, fmap.get_root())
    root.header.add_child(folium.Element(MARKER_CSS), name="a11y_marker_css")

    add_district_layer(fmap, districts, lang, fit=view is None)
    if choropleth is not None:
        choropleth.add_to(fmap)
    if isinstance(network_edges, gpd.GeoDataFrame):
        network_edges = network_layer(network_edges) if not network_edges.empty else None
    add_network_layer(fmap, network_edges, network_label, lang, asset_base_url)
    add_basemap_words(fmap, lang, labels, asset_base_url, locate=locate)
    add_gaps_layer(fmap, gaps, gaps_label, lang)
    add_facility_layer(fmap, facilities, lang, work_orders)
    statuses = add_report_layer(fmap, reports, lang)

    counts = facilities["verdict"].value_counts().to_dict() if not facilities.empty else {}
    fmap.add_child(
        MapHtml(
            legend_html(
                lang,
                verdict_counts={str(k): int(v) for k, v in counts.items()},
                report_statuses=statuses,
                network_label=network_label if network_edges is not None else None,
                show_gaps=gaps is not None and not gaps.empty,
                gaps_label=gaps_label,
                work_orders=count_flagged(facilities, work_orders),
                choropleth_label=choropleth_label if choropleth is not None else None,
            )
        )
    )
    add_attribution(fmap, attribution)
    folium.LayerControl(collapsed=True).add_to(fmap)
    return localise(fmap, asset_base_url)


def add_basemap_words(fmap: folium.Map, lang: str,
                      labels: LabelSets | Mapping[str, list[list[Any]]] | None,
                      asset_base_url: str, *, locate: bool) -> None:
    """District, town and street names over the drawn network, and the locate-me control."""
    if labels:
        add_place_labels(fmap, labels if isinstance(labels, LabelSets) else LabelSets.of(labels),
                         asset_base_url)
    if locate:
        add_locate_control(fmap, lang)
