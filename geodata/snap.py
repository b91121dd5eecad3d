"""Snap many points at once to the nearest street edge, measuring in UTM 49N (EPSG:32649).

A snap farther than ``max_distance_m`` (default: the ``snap_limit_m`` setting, 100 m) is returned
with ``snapped=False`` — flagged, never silently attached to a wrong street.
"""

from __future__ import annotations

import weakref
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from geodata.crs import check_lonlat, lonlat_to_metric
from geodata.graphindex import _INVALIDATE_HOOKS, graph_index, signature

DEFAULT_MAX_DISTANCE_M = 100.0  # mirrors audit.settings.Settings.snap_limit_m's default
COLUMNS = ["u", "v", "key", "distance_m", "street_name", "nearest_node", "snapped"]


class Snapper:
    """Nearest-edge and nearest-node index of one graph; build once, snap many times."""

    def __init__(self, G: nx.MultiDiGraph) -> None:
        idx = graph_index(G)
        self._idx = idx
        # one edge per two-way street: the reverse twin has the same geometry
        self._edges = np.flatnonzero(idx.undirected)
        geoms = idx.edge_geom_m[self._edges]
        self._tree = shapely.STRtree(geoms)
        self._nodes = cKDTree(np.column_stack([idx.node_x, idx.node_y]))

    def snap(
        self, lons: Any, lats: Any, *, max_distance_m: float = DEFAULT_MAX_DISTANCE_M
    ) -> pd.DataFrame:
        """One row per point: ``u, v, key, distance_m, street_name, nearest_node, snapped``."""
        lon, lat = check_lonlat(lons, lats)
        x, y = lonlat_to_metric(lon, lat)
        pts = shapely.points(x, y)
        n = lon.size
        e = np.full(n, -1, dtype=np.int64)
        d = np.full(n, np.inf)
        # a bounded search first (prunes the tree), then an unbounded one for the points left
        (inp, hit), dist = self._tree.query_nearest(
            pts, max_distance=max_distance_m, return_distance=True, all_matches=False
        )
        e[inp] = self._edges[hit]
        d[inp] = dist
        rest = np.flatnonzero(e < 0)
        if rest.size:
            (inp, hit), dist = self._tree.query_nearest(
                pts[rest], return_distance=True, all_matches=False
            )
            e[rest[inp]] = self._edges[hit]
            d[rest[inp]] = dist
        idx = self._idx
        _, node_pos = self._nodes.query(np.column_stack([x, y]))
        ok = e >= 0
        out = pd.DataFrame(
            {
                "u": np.where(ok, idx.node_ids[idx.edge_u[e]], None),
                "v": np.where(ok, idx.node_ids[idx.edge_v[e]], None),
                "key": np.where(ok, idx.edge_key[e], None),
                "distance_m": d,
                "street_name": np.where(ok, idx.edge_name[e], None),
                "nearest_node": idx.node_ids[node_pos],
                "snapped": ok & (d <= max_distance_m),
            }
        )
        return out[COLUMNS]


_SNAPPERS: weakref.WeakKeyDictionary[Any, tuple[tuple[int, int], Snapper]] = (
    weakref.WeakKeyDictionary()
)


def snapper_for(G: nx.MultiDiGraph) -> Snapper:
    """The cached :class:`Snapper` of ``G`` (rebuilt if the graph's size changed)."""
    sig = signature(G)
    cached = _SNAPPERS.get(G)
    if cached is None or cached[0] != sig:
        cached = (sig, Snapper(G))
        _SNAPPERS[G] = cached
    return cached[1]


_INVALIDATE_HOOKS.append(lambda G: _SNAPPERS.pop(G, None))


def snap_points(
    G: nx.MultiDiGraph, lons: Any, lats: Any, *, max_distance_m: float = DEFAULT_MAX_DISTANCE_M
) -> pd.DataFrame:
    """Snap WGS84 points to the nearest edge of ``G`` (see :class:`Snapper`)."""
    return snapper_for(G).snap(lons, lats, max_distance_m=max_distance_m)
