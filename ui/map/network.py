"""The street-network layer: the whole network when it fits the vertex cap, else thinned.

The geometry (merging, ranking, thinning) is :mod:`geodata.lines`; this module decides the
budget and tolerances for the browser and says how the network was cut, so the page can tell
the user. No folium here: the result is a GeoJSON dict that :mod:`ui.map.layers` draws.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geodata.lines import edges_in_districts, highway_rank, merge_within, thin_to_cap
from ui.map.published import JsonFile, json_file
from ui.map.styles import COORD_DECIMALS

#: Douglas-Peucker tolerance (degrees) for the network and coverage gaps: about 5 m.
NETWORK_SIMPLIFY_DEG = 5e-5
#: Most street-network vertices sent to the browser (about 24 bytes each in GeoJSON, so the
#: network layer stays under ~0.8 MB; the demo network merges to about 30,600). A larger network
#: is limited to the chosen districts, then thinned to its main and longest streets.
MAX_NETWORK_VERTICES = 32_000
#: Douglas-Peucker tolerance (degrees, about 20 m) of a network thinned to the cap.
NETWORK_COARSE_SIMPLIFY_DEG = 2e-4


@dataclass(frozen=True)
class NetworkLayer:
    """The street network as drawn: one GeoJSON feature of merged lines and how it was cut.

    ``simplified``: thinned to the main and longest streets to stay under
    :data:`MAX_NETWORK_VERTICES` (the page then says so); ``districts_only``: limited to the
    chosen districts; ``vertices``: vertices sent; ``edges``: edges of the whole network;
    ``bounds``: (min lon, min lat, max lon, max lat) of what is drawn, None when nothing is.
    """

    geojson: dict[str, Any]
    vertices: int
    edges: int
    simplified: bool = False
    districts_only: bool = False
    bounds: tuple[float, float, float, float] | None = None

    @cached_property
    def document(self) -> JsonFile:
        """The GeoJSON as the file the browser fetches (serialised once per layer object: keep
        the layer in a shared cache, e.g. ``st.cache_resource``)."""
        return json_file("network", self.geojson)


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
    geom = merge_within(edges.geometry.to_numpy(), cap, NETWORK_SIMPLIFY_DEG, COORD_DECIMALS)
    districts_only = simplified = False
    if geom is None and district_codes and districts is not None and not districts.empty:
        edges = edges_in_districts(edges, districts, district_codes)
        geom = merge_within(edges.geometry.to_numpy(), cap, NETWORK_SIMPLIFY_DEG, COORD_DECIMALS)
        districts_only = True
    if geom is None:
        ranks = (highway_rank(edges["highway"]) if "highway" in edges.columns
                 else np.zeros(len(edges), dtype=int))
        geom = thin_to_cap(edges.geometry.to_numpy(), ranks, cap, NETWORK_COARSE_SIMPLIFY_DEG,
                           COORD_DECIMALS)
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
        bounds=None if shapely.is_empty(geom) else _bounds(geom),
    )


def _bounds(geom: Any) -> tuple[float, float, float, float]:
    minx, miny, maxx, maxy = (float(b) for b in shapely.bounds(geom))
    return minx, miny, maxx, maxy
