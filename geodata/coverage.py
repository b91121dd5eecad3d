"""Network coverage: street distance from every node to the nearest compliant facility.

For one facility type, the caller passes the coordinates of the facilities whose latest audit is
compliant. They are snapped to their nearest network node; a multi-source Dijkstra over edge
lengths (``scipy.sparse.csgraph.dijkstra(..., min_only=True)`` on a CSR matrix built once per graph)
gives every node's network distance to the nearest one. Along each edge the distance at position
``s`` is ``min(d_u + s, d_v + L - s)``, so the covered length of an edge within threshold ``T`` is
``min(L, max(0, T - d_u) + max(0, T - d_v))`` — partial edges count partially. Each two-way
street is counted once; each edge is assigned to the district containing its midpoint.

The "coverage gaps" layer lists the edges with any length beyond the largest threshold (default
500 m), with ``beyond_m`` (that length) and ``dist_near_m`` (distance at the nearer end).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from geodata.crs import WGS84, check_lonlat, lonlat_to_metric, require_crs
from geodata.errors import InputError, Problem
from geodata.graphindex import _INVALIDATE_HOOKS, GraphIndex, graph_index, signature
from geodata.snap import DEFAULT_MAX_DISTANCE_M

if TYPE_CHECKING:
    import networkx as nx

DEFAULT_THRESHOLDS_M: tuple[float, ...] = (300.0, 500.0)  # issue 4: shares within 300 m and 500 m


@dataclass
class _Prepared:
    signature: tuple[int, int]
    csr_rev: csr_matrix  # reversed graph: distances *to* sources along directed edges
    node_tree: cKDTree
    edge_district: dict[str, np.ndarray] = field(default_factory=dict)  # by boundary key


@dataclass
class CoverageResult:
    """Coverage of one facility type.

    ``node_distance_m``: network distance (m) per node (``inf`` if unreachable), indexed by node.
    ``nodes``: GeoDataFrame of nodes with ``distance_m`` (EPSG:4326).
    ``by_district``: GeoDataFrame per district with ``street_km`` and ``within_{T}m_km`` /
    ``within_{T}m_share`` for each threshold, district polygons as geometry.
    ``gaps``: GeoDataFrame of edges with length beyond the largest threshold.
    ``sources_used`` / ``sources_unsnapped``: source positions snapped / farther than the limit.
    """

    thresholds_m: tuple[float, ...]
    node_distance_m: pd.Series
    nodes: gpd.GeoDataFrame
    by_district: gpd.GeoDataFrame
    gaps: gpd.GeoDataFrame
    sources_used: np.ndarray
    sources_unsnapped: np.ndarray
    attrs: dict[str, Any] = field(default_factory=dict)


_PREPARED: weakref.WeakKeyDictionary[Any, _Prepared] = weakref.WeakKeyDictionary()


def _edge_weights(idx: GraphIndex) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, col, weight) of the reversed graph, minimum length over parallel edges."""
    df = pd.DataFrame({"r": idx.edge_v, "c": idx.edge_u, "w": idx.edge_length})
    df = df[df.r != df.c].groupby(["r", "c"], sort=True)["w"].min().reset_index()
    # csgraph treats explicit zeros as missing edges: keep zero-length edges traversable
    w = np.maximum(df.w.to_numpy(), 1e-9)
    return df.r.to_numpy(), df.c.to_numpy(), w


def prepare(G: nx.MultiDiGraph) -> _Prepared:
    """Build (or fetch from the per-graph cache) the CSR matrix and node KD-tree of ``G``."""
    idx = graph_index(G)
    sig = signature(G)
    cached = _PREPARED.get(G)
    if cached is not None and cached.signature == sig:
        return cached
    r, c, w = _edge_weights(idx)
    n = len(idx.node_ids)
    csr = csr_matrix((w, (r, c)), shape=(n, n))
    tree = cKDTree(np.column_stack([idx.node_x, idx.node_y]))
    prepared = _Prepared(sig, csr, tree)
    _PREPARED[G] = prepared
    return prepared


def edge_districts(G: nx.MultiDiGraph, districts: gpd.GeoDataFrame) -> np.ndarray:
    """District code of each edge's midpoint (``None`` outside), cached per graph and boundary."""
    prep = prepare(G)
    key = str(tuple(districts["adcode"])) + str(
        np.round(shapely.area(districts.geometry.values), 10).tolist()
    )
    if key not in prep.edge_district:
        idx = graph_index(G)
        mid = shapely.line_interpolate_point(idx.edge_geom, 0.5, normalized=True)
        tree_d = shapely.STRtree(districts.geometry.values)
        inp, hit = tree_d.query(mid, predicate="intersects")
        codes = districts["adcode"].to_numpy(dtype=object)
        out = np.full(len(idx.edge_u), None, dtype=object)
        order = np.argsort(inp, kind="stable")[::-1]
        out[inp[order]] = codes[hit[order]]
        prep.edge_district[key] = out
    return prep.edge_district[key]


_INVALIDATE_HOOKS.append(lambda G: _PREPARED.pop(G, None))


def node_distances(
    G: nx.MultiDiGraph,
    source_lons: Any,
    source_lats: Any,
    *,
    max_snap_m: float = DEFAULT_MAX_DISTANCE_M,
    limit_m: float | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Network distance (m) from every node (index order) to the nearest source.

    With ``limit_m`` the search stops there (nodes farther get ``inf``; several times faster).
    Returns ``(distances, used_source_positions, unsnapped_source_positions)``.
    """
    idx = graph_index(G)
    prep = prepare(G)
    if np.size(source_lons) == 0:
        return np.full(len(idx.node_ids), np.inf), np.empty(0, int), np.empty(0, int)
    lon, lat = check_lonlat(source_lons, source_lats, field="source")
    x, y = lonlat_to_metric(lon, lat)
    dist, node_pos = prep.node_tree.query(np.column_stack([x, y]))
    near = dist <= max_snap_m
    used = np.flatnonzero(near)
    if used.size == 0:
        return np.full(len(idx.node_ids), np.inf), used, np.flatnonzero(~near)
    sources = np.unique(node_pos[near])
    limit = np.inf if limit_m is None else float(limit_m)
    d = dijkstra(prep.csr_rev, directed=True, indices=sources, min_only=True, limit=limit)
    return np.asarray(d, float), used, np.flatnonzero(~near)


def network_coverage(
    G: nx.MultiDiGraph,
    source_lons: Any,
    source_lats: Any,
    districts_gdf: gpd.GeoDataFrame,
    thresholds_m: tuple[float, ...] = DEFAULT_THRESHOLDS_M,
    *,
    max_snap_m: float = DEFAULT_MAX_DISTANCE_M,
) -> CoverageResult:
    """Coverage of one facility type (see the module docstring for the definitions)."""
    problems = []
    ts = tuple(float(t) for t in thresholds_m)
    if not ts or any(not np.isfinite(t) or t <= 0 for t in ts):
        problems.append(Problem("thresholds_m", thresholds_m, "positive distances in metres"))
    if "adcode" not in districts_gdf.columns:
        problems.append(
            Problem("districts_gdf", list(districts_gdf.columns), "a column `adcode`")
        )
    if problems:
        raise InputError(problems)
    require_crs(districts_gdf, WGS84, "districts_gdf")
    ts = tuple(sorted(ts))
    idx = graph_index(G)
    edge_district = edge_districts(G, districts_gdf)
    d, used, unsnapped = node_distances(G, source_lons, source_lats, max_snap_m=max_snap_m)
    du = d[idx.edge_u]
    dv = d[idx.edge_v]
    length = idx.edge_length
    und = idx.undirected
    frame: dict[str, Any] = {"adcode": edge_district[und], "street_km": length[und] / 1000.0}
    for t in ts:
        cov = np.minimum(
            length, np.clip(t - du, 0, None) + np.clip(t - dv, 0, None)
        )
        frame[f"within_{t:g}m_km"] = cov[und] / 1000.0
    table = pd.DataFrame(frame).groupby("adcode", dropna=True).sum()
    by = districts_gdf[["adcode", *[c for c in ("name_zh", "name_en") if c in districts_gdf]]]
    by = by.merge(table, left_on="adcode", right_index=True, how="left").fillna(
        dict.fromkeys(table.columns, 0.0)
    )
    for t in ts:
        km = by[f"within_{t:g}m_km"]
        by[f"within_{t:g}m_share"] = np.where(by["street_km"] > 0, km / by["street_km"], np.nan)
    by_gdf = gpd.GeoDataFrame(by, geometry=districts_gdf.geometry.values, crs=WGS84)
    t_max = ts[-1]
    covered_max = np.minimum(length, np.clip(t_max - du, 0, None) + np.clip(t_max - dv, 0, None))
    beyond = length - covered_max
    gap = und & (beyond > 0)
    gaps = gpd.GeoDataFrame(
        {
            "u": idx.node_ids[idx.edge_u[gap]],
            "v": idx.node_ids[idx.edge_v[gap]],
            "key": idx.edge_key[gap],
            # object, not pandas 3's inferred str dtype: nameless streets and no district stay None
            "street_name": pd.Series(idx.edge_name[gap], dtype=object),
            "adcode": pd.Series(edge_district[gap], dtype=object),
            "length_m": length[gap],
            "beyond_m": beyond[gap],
            "dist_near_m": np.minimum(du, dv)[gap],
        },
        geometry=idx.edge_geom[gap],
        crs=WGS84,
    )
    nodes = gpd.GeoDataFrame(
        {"node": idx.node_ids, "distance_m": d},
        geometry=shapely.points(idx.node_lon, idx.node_lat),
        crs=WGS84,
    )
    attrs = {
        "synthetic_network": bool(G.graph.get("synthetic")),
        "source_label_zh": G.graph.get("source_label_zh", ""),
        "source_label_en": G.graph.get("source_label_en", ""),
    }
    for g in (nodes, by_gdf, gaps):
        g.attrs.update(attrs)
    return CoverageResult(
        thresholds_m=ts,
        node_distance_m=pd.Series(d, index=pd.Index(idx.node_ids, name="node")),
        nodes=nodes,
        by_district=by_gdf,
        gaps=gaps,
        sources_used=used,
        sources_unsnapped=unsnapped,
        attrs=attrs,
    )
