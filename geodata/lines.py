"""Street lines for drawing: merge end to end, rank by OSM class, thin to a vertex budget.

Pure geometry on arrays of shapely LineStrings (WGS84 degrees): no streamlit, no folium, no
database. The map (:mod:`ui.map.network`) decides the budget and tolerances; this module only
does what it is told, deterministically (the same input always gives the same geometry).

- :func:`merge_lines`: one (Multi)LineString, lines joined where they meet end to end.
- :func:`merge_simplified`: merged, Douglas-Peucker simplified, rounded to a grid.
- :func:`merge_within`: :func:`merge_simplified` if the result fits a vertex budget, else None.
- :func:`highway_rank`: rank of each edge's OSM ``highway`` class (:data:`HIGHWAY_RANKS`).
- :func:`thin_to_cap`: main, then longest, streets first while they fit a vertex budget.
- :func:`edges_in_districts`: edges touching the chosen districts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

#: An array of shapely geometries (``GeoSeries.to_numpy()``).
Geometries = npt.NDArray[np.object_]

#: OSM ``highway`` classes, most important first: a thinned network keeps these first.
HIGHWAY_RANKS: tuple[str, ...] = (
    "motorway", "trunk", "primary", "secondary", "tertiary", "motorway_link", "trunk_link",
    "primary_link", "secondary_link", "tertiary_link", "unclassified", "residential",
    "living_street", "service", "pedestrian", "footway", "path", "track",
)


def _check_budget(name: str, value: float) -> None:
    """Reject a negative (or NaN) tolerance / vertex budget / decimal count, naming it."""
    if not value >= 0:
        raise ValueError(f"{name} must be a number >= 0, got {value!r}")


def merge_lines(geoms: Geometries) -> Any:
    """One geometry of ``geoms`` with lines joined where they meet end to end.

    Nothing is simplified or rounded: the result covers exactly the input lines (an empty
    input gives an empty geometry).
    """
    return shapely.line_merge(shapely.multilinestrings(geoms))


def merge_simplified(geoms: Geometries, tolerance: float, decimals: int) -> Any:
    """:func:`merge_lines`, simplified at ``tolerance`` (topology kept), rounded to
    ``10**-decimals``."""
    _check_budget("tolerance", tolerance)
    _check_budget("decimals", decimals)
    merged = shapely.simplify(merge_lines(geoms), tolerance, preserve_topology=True)
    return shapely.set_precision(merged, 10.0**-decimals)


def merge_within(geoms: Geometries, cap: int, tolerance: float, decimals: int) -> Any | None:
    """:func:`merge_simplified` if it has at most ``cap`` vertices, else None.

    Merging saves at most one vertex per line, so lines whose vertices minus their count exceed
    the cap are rejected without building the merged geometry.
    """
    _check_budget("cap", cap)
    if int(shapely.get_num_coordinates(geoms).sum()) - len(geoms) > cap:
        return None
    geom = merge_simplified(geoms, tolerance, decimals)
    return geom if shapely.get_num_coordinates(geom) <= cap else None


def highway_rank(
    values: pd.Series, ranks: Sequence[str] = HIGHWAY_RANKS
) -> npt.NDArray[np.int_]:
    """Rank of each edge's (first) OSM highway class in ``ranks``; unknown classes come last.

    Accepts plain classes (``"primary"``) and osmnx's merged lists, as lists or as their
    string form (``"['primary', 'secondary']"`` ranks as ``primary``).
    """
    order = {h: i for i, h in enumerate(ranks)}
    first = values.map(str).str.strip("[]'\" ").str.split(r"['\",\s]+", regex=True).str[0]
    ranked = np.asarray(first.map(order).fillna(len(ranks)), dtype=np.int_)
    return ranked


def thin_to_cap(
    geoms: Geometries, ranks: npt.NDArray[np.int_], cap: int, tolerance: float, decimals: int
) -> Any:
    """Lines by ``ranks`` (lowest first), then longest first, simplified at ``tolerance``, kept
    while they fit in ``cap`` vertices, then merged (:func:`merge_simplified`).

    Works on the line array in place (lengths and counts are plain numbers) and builds new
    geometries only for the candidates, so thinning a 100,000-edge network stays cheap.
    Deterministic: ties keep the input order.
    """
    _check_budget("cap", cap)
    _check_budget("tolerance", tolerance)
    if len(ranks) != len(geoms):
        raise ValueError(f"ranks has {len(ranks)} values for {len(geoms)} lines; give one each")
    order = np.lexsort((np.arange(len(geoms)), -shapely.length(geoms), ranks))
    # simplifying only ever drops vertices: twice the cap in raw vertices is enough candidates
    order = order[np.cumsum(shapely.get_num_coordinates(geoms[order])) <= 2 * cap]
    candidates = shapely.simplify(geoms[order], tolerance, preserve_topology=True)
    chosen = candidates[np.cumsum(shapely.get_num_coordinates(candidates)) <= cap]
    # merging end to end and simplifying again never adds vertices
    return merge_simplified(chosen, tolerance, decimals)


def edges_in_districts(
    edges: gpd.GeoDataFrame, districts: gpd.GeoDataFrame, codes: Sequence[str]
) -> gpd.GeoDataFrame:
    """Edges (WGS84) touching the districts whose ``adcode`` is in ``codes``, in frame order."""
    chosen = districts[districts["adcode"].astype(str).isin([str(c) for c in codes])]
    if chosen.crs is not None and chosen.crs.to_epsg() != 4326:
        chosen = chosen.to_crs(4326)
    area = shapely.union_all(chosen.geometry.to_numpy())
    hits = shapely.STRtree(edges.geometry.to_numpy()).query(area, predicate="intersects")
    return edges.iloc[np.sort(hits)]
