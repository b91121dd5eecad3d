"""Walking rounds: visit a set of points in a short order along the street network.

- :func:`network_distance_matrix` snaps points to their nearest network node and gives the
  network distance (m) between every pair, by Dijkstra over the compact CSR arrays of
  :mod:`geodata.coverage` (``scipy.sparse.csgraph``; a few sources at a time, keeping only the
  columns of the points, so memory stays small on a large network). Pairs not connected on the
  network fall back to the straight-line (great-circle) distance and are flagged.
- :func:`nearest_neighbour_order` builds a first visiting order; :func:`two_opt` improves it by
  reversing stretches while that shortens the walk. The round is an open path (it starts at the
  first stop and ends at the last, with no walk back): 2-opt only applies strictly improving
  moves, so the round is never longer than the order it starts from.

Pure numpy / scipy; no database, no audit import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from geodata.crs import check_lonlat
from geodata.errors import InputError, Problem
from geodata.graphindex import graph_index

if TYPE_CHECKING:
    import networkx as nx

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG), the usual haversine constant
_SOURCES_PER_PASS = 16  # Dijkstra sources per pass: bounds memory to 16 × nodes floats
_IMPROVEMENT_EPS = 1e-9  # a 2-opt move must shorten the round by more than rounding noise


def haversine_m(lon1: Any, lat1: Any, lon2: Any, lat2: Any) -> np.ndarray:
    """Great-circle distance in metres (arrays broadcast)."""
    lo1, la1, lo2, la2 = (np.radians(np.asarray(a, float)) for a in (lon1, lat1, lon2, lat2))
    h = np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2
    out: np.ndarray = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return out


@dataclass(frozen=True)
class DistanceMatrix:
    """Distances between points: ``metres[i, j]`` used for the round, ``on_network[i, j]`` False
    where the two points' nodes are not connected (straight line used instead)."""

    metres: np.ndarray
    on_network: np.ndarray
    node_positions: np.ndarray  # nearest node (index into graph_index(G).node_ids) per point
    snap_m: np.ndarray  # point → its node, metres


def _local_xy(lon: np.ndarray, lat: np.ndarray, lat0: float) -> np.ndarray:
    """Equirectangular metres around ``lat0`` (accurate over a city; any longitude)."""
    k = np.radians(1.0) * EARTH_RADIUS_M
    return np.column_stack([lon * k * np.cos(np.radians(lat0)), lat * k])


def network_distance_matrix(
    G: nx.MultiDiGraph, lons: Any, lats: Any, *, max_snap_m: float | None = None
) -> DistanceMatrix:
    """Network distances between points (each snapped to its nearest node; symmetric: the walk
    network is walkable both ways, and the shorter direction is taken).

    A point farther than ``max_snap_m`` from every node is off the network (another area, or a
    gap in the map): its legs are straight lines, flagged in ``on_network``.
    """
    from geodata.coverage import prepare

    lon, lat = check_lonlat(lons, lats, field="stop")
    idx = graph_index(G)
    if len(idx.node_ids) == 0:
        raise InputError(Problem("network", "empty", "a street network with nodes"))
    lat0 = float(np.mean(lat))
    tree = cKDTree(_local_xy(idx.node_lon, idx.node_lat, lat0))
    _, pos = tree.query(_local_xy(lon, lat, lat0))
    pos = np.asarray(pos, np.int64)
    snap = haversine_m(lon, lat, idx.node_lon[pos], idx.node_lat[pos])
    nodes, inverse = np.unique(pos, return_inverse=True)
    csr = prepare(G).csr_rev
    between = np.empty((nodes.size, nodes.size))
    for start in range(0, nodes.size, _SOURCES_PER_PASS):
        part = nodes[start:start + _SOURCES_PER_PASS]
        d = dijkstra(csr, directed=True, indices=part)
        between[start:start + part.size] = d[:, nodes]
    between = np.minimum(between, between.T)
    net = between[np.ix_(inverse, inverse)]
    on_network = np.isfinite(net)
    if max_snap_m is not None:
        off = snap > max_snap_m
        on_network[off, :] = False
        on_network[:, off] = False
    straight = haversine_m(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
    metres = np.where(on_network, net, straight)
    np.fill_diagonal(metres, 0.0)
    return DistanceMatrix(metres, on_network, pos, snap)


def _check_matrix(dist: np.ndarray) -> np.ndarray:
    d = np.asarray(dist, float)
    if d.ndim != 2 or d.shape[0] != d.shape[1]:
        raise InputError(Problem("distance matrix", d.shape, "a square matrix"))
    if not np.isfinite(d).all() or (d < 0).any():
        raise InputError(Problem("distance matrix", "non-finite or negative", "finite metres ≥ 0"))
    return d


def tour_length(dist: np.ndarray, order: Any) -> float:
    """Length of the open path visiting ``order`` (no walk back to the start)."""
    o = np.asarray(order, np.int64)
    if o.size < 2:
        return 0.0
    return float(np.asarray(dist)[o[:-1], o[1:]].sum())


def nearest_neighbour_order(dist: np.ndarray, start: int = 0) -> np.ndarray:
    """Greedy order: from ``start``, always walk to the nearest stop not yet visited (ties: the
    lower index)."""
    d = _check_matrix(dist)
    n = d.shape[0]
    if n == 0:
        return np.empty(0, np.int64)
    if not 0 <= start < n:
        raise InputError(Problem("start", start, f"a stop index in 0..{n - 1}"))
    visited = np.zeros(n, bool)
    order = np.empty(n, np.int64)
    here = start
    for k in range(n):
        order[k] = here
        visited[here] = True
        if k == n - 1:
            break
        row = np.where(visited, np.inf, d[here])
        here = int(np.argmin(row))
    return order


def two_opt(dist: np.ndarray, order: Any, *, max_passes: int = 50) -> np.ndarray:
    """Improve an open path by 2-opt: reverse ``order[i..j]`` whenever that shortens the walk.

    The first stop stays first. Each pass takes the best improving move of every ``i``; stops when
    a pass finds none (or after ``max_passes``). Never returns a longer path than ``order``.
    Uses ``d[a, b]`` for a leg a → b; with an asymmetric matrix the reversed stretch's own legs
    are counted too, so every accepted move is a true improvement.
    """
    d = _check_matrix(dist)
    o = np.asarray(order, np.int64).copy()
    n = o.size
    if sorted(o.tolist()) != list(range(d.shape[0])):
        raise InputError(Problem("order", o.tolist()[:10], "each stop index exactly once"))
    symmetric = bool(np.allclose(d, d.T))
    for _ in range(max_passes):
        improved = False
        for i in range(1, n - 1):
            a = o[i - 1]
            j = np.arange(i + 1, n)
            b, c = o[i], o[j]
            nxt = np.where(j + 1 < n, o[np.minimum(j + 1, n - 1)], -1)
            has_next = nxt >= 0
            old = d[a, b] + np.where(has_next, d[c, np.maximum(nxt, 0)], 0.0)
            new = d[a, c] + np.where(has_next, d[b, np.maximum(nxt, 0)], 0.0)
            if not symmetric:  # the reversed stretch walks its legs the other way
                fwd = d[o[i:-1], o[i + 1:]]
                back = d[o[i + 1:], o[i:-1]]
                shift = np.cumsum(back - fwd)[: j.size]
                new = new + shift
            gain = old - new
            best = int(np.argmax(gain))
            if gain[best] > _IMPROVEMENT_EPS:
                jj = int(j[best])
                o[i:jj + 1] = o[i:jj + 1][::-1]
                improved = True
        if not improved:
            break
    return o


@dataclass(frozen=True)
class Round:
    """A walking round: ``order`` (stop indices), its length, and the order it started from."""

    order: np.ndarray
    length_m: float
    initial_order: np.ndarray
    initial_length_m: float


def plan_round(dist: np.ndarray, start: int = 0) -> Round:
    """Nearest-neighbour order from ``start``, improved by 2-opt."""
    first = nearest_neighbour_order(dist, start)
    best = two_opt(dist, first)
    return Round(best, tour_length(dist, best), first, tour_length(dist, first))


__all__ = [
    "DistanceMatrix",
    "Round",
    "haversine_m",
    "nearest_neighbour_order",
    "network_distance_matrix",
    "plan_round",
    "tour_length",
    "two_opt",
]
