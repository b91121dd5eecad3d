"""Snap many points at once to the nearest street edge, measuring in UTM 49N (EPSG:32649).

A snap farther than ``max_distance_m`` (default: the ``snap_limit_m`` setting, 100 m) is returned
with ``snapped=False`` — flagged, never silently attached to a wrong street.

How the search works (exact, no GEOS call per point): every edge geometry is split once into its
straight segments, and segments longer than a cap are cut into equal collinear pieces, so each
piece's half-length is at most ``h``. A KD-tree holds the piece midpoints. For a point, the ``k``
nearest midpoints give candidate pieces whose exact point-to-segment distances are computed in
numpy; any piece outside those ``k`` has its midpoint at least ``r_k`` away, hence lies at least
``r_k - h`` away. When the best candidate is closer than that, it is the nearest edge; otherwise
the point is retried with a larger ``k`` and finally with a ball query of radius ``best + h``.
Edges whose distances differ by less than :data:`TIE_M` are ties: the edge that comes first in
the graph's edge order wins, so results do not depend on the tree.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from geodata.crs import check_lonlat, lonlat_to_metric
from geodata.graphindex import _INVALIDATE_HOOKS, GraphIndex, graph_index, no_gc, signature

if TYPE_CHECKING:
    import networkx as nx

DEFAULT_MAX_DISTANCE_M = 100.0  # callers pass their snap_limit_m setting; this is its default
COLUMNS = ["u", "v", "key", "distance_m", "street_name", "nearest_node", "snapped"]
TIE_M = 1e-7  # edges closer to a point than the best edge plus this are ties (first edge wins)
_SLACK_M = 1e-6  # safety margin on the KD-tree bound against rounding
_PIECE_MIN_M = 10.0  # segments are cut into pieces no longer than max(this, 2 × median length)
_PIECE_MAX_M = 60.0  # ... and no longer than this
_K_ROUNDS = (8, 32)  # k-nearest-midpoint rounds before the ball-query fallback
_CHUNK = 16_384  # points per vectorised block (bounds memory to a few tens of MB)
_SORT_CELL_M = 250.0  # grid cell used to put the query points in spatial order


def _segments(idx: GraphIndex, edges: np.ndarray) -> tuple[np.ndarray, ...]:
    """Straight segments (ax, ay, bx, by, edge) of the given edges, in UTM 49N metres.

    Straight edges (no ``geometry`` attribute) run from node ``u`` to node ``v``; the others are
    split into consecutive coordinate pairs of each part of their geometry.
    """
    raw = idx.edge_geom_raw[edges]
    curved = ~pd.isna(raw)
    straight = edges[~curved]
    u, v = idx.edge_u[straight], idx.edge_v[straight]
    parts_ax = [idx.node_x[u]]
    parts_ay = [idx.node_y[u]]
    parts_bx = [idx.node_x[v]]
    parts_by = [idx.node_y[v]]
    parts_e = [straight]
    if curved.any():
        with no_gc():
            parts, owner = shapely.get_parts(raw[curved], return_index=True)
            coords, ring = shapely.get_coordinates(parts, return_index=True)
        owner_edge = edges[curved][owner]
        cx, cy = lonlat_to_metric(coords[:, 0], coords[:, 1])
        same = ring[1:] == ring[:-1]
        # a part with a single coordinate is a point: keep it as a zero-length segment
        counts = np.bincount(ring, minlength=len(parts))
        lone = np.flatnonzero(counts == 1)
        first = np.concatenate([[0], np.cumsum(counts)[:-1]])[lone]
        parts_ax += [cx[:-1][same], cx[first]]
        parts_ay += [cy[:-1][same], cy[first]]
        parts_bx += [cx[1:][same], cx[first]]
        parts_by += [cy[1:][same], cy[first]]
        parts_e += [owner_edge[ring[:-1][same]], owner_edge[lone]]
    return tuple(np.concatenate(p) for p in (parts_ax, parts_ay, parts_bx, parts_by, parts_e))


def spatial_order(x: np.ndarray, y: np.ndarray, cell: float) -> np.ndarray:
    """A permutation visiting the points cell by cell (row-major over a ``cell``-metre grid)."""
    if x.size == 0:
        return np.arange(0)
    gx = np.floor((x - x.min()) / cell).astype(np.int64)
    gy = np.floor((y - y.min()) / cell).astype(np.int64)
    return np.argsort(gx * (int(gy.max()) + 1) + gy, kind="stable")


class _SegmentIndex:
    """Exact nearest-segment search: KD-tree of piece midpoints + numpy distances."""

    def __init__(
        self, ax: np.ndarray, ay: np.ndarray, bx: np.ndarray, by: np.ndarray, edge: np.ndarray
    ) -> None:
        length = np.hypot(bx - ax, by - ay)
        med = float(np.median(length)) if length.size else 0.0
        cap = min(max(_PIECE_MIN_M, 2.0 * med), _PIECE_MAX_M)
        pieces = np.maximum(np.ceil(length / cap), 1).astype(np.int64)
        seg = np.repeat(np.arange(length.size), pieces)
        start = np.cumsum(pieces) - pieces
        j = np.arange(seg.size) - np.repeat(start, pieces)
        t0 = j / pieces[seg]
        t1 = (j + 1) / pieces[seg]
        dx, dy = bx - ax, by - ay
        # work relative to a local origin: smaller numbers, less rounding
        self._ox = float(np.mean(ax)) if ax.size else 0.0
        self._oy = float(np.mean(ay)) if ay.size else 0.0
        self.ax = ax[seg] - self._ox + t0 * dx[seg]
        self.ay = ay[seg] - self._oy + t0 * dy[seg]
        ex = np.where(pieces[seg] == j + 1, bx[seg] - self._ox, ax[seg] - self._ox + t1 * dx[seg])
        ey = np.where(pieces[seg] == j + 1, by[seg] - self._oy, ay[seg] - self._oy + t1 * dy[seg])
        self.dx = ex - self.ax
        self.dy = ey - self.ay
        len2 = self.dx * self.dx + self.dy * self.dy
        self.inv_len2 = np.divide(1.0, len2, out=np.zeros_like(len2), where=len2 > 0)
        self.edge = edge[seg]
        self.size = int(seg.size)
        mx = self.ax + 0.5 * self.dx
        my = self.ay + 0.5 * self.dy
        half = 0.5 * np.sqrt(len2)
        # the bound: a piece's points lie within its half-length of its midpoint
        self.h = float(half.max()) + _SLACK_M if half.size else 0.0
        self.tree = cKDTree(np.column_stack([mx, my]), balanced_tree=False) if self.size else None

    def _dist(self, px: np.ndarray, py: np.ndarray, cand: np.ndarray) -> np.ndarray:
        """Exact distances from points (column vectors) to the candidate pieces ``cand``."""
        ax, ay = self.ax[cand], self.ay[cand]
        dx, dy = self.dx[cand], self.dy[cand]
        qx, qy = px - ax, py - ay
        t = np.clip((qx * dx + qy * dy) * self.inv_len2[cand], 0.0, 1.0)
        dist: np.ndarray = np.hypot(qx - t * dx, qy - t * dy)
        return dist

    def _pick(self, dist: np.ndarray, edge: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per row: the first edge (in graph order) among those within TIE_M of the best."""
        best = dist.min(axis=1)
        tied = dist <= best[:, None] + TIE_M
        chosen = np.where(tied, edge, np.iinfo(np.int64).max).min(axis=1)
        d = np.where(edge == chosen[:, None], dist, np.inf).min(axis=1)
        return chosen, d

    def nearest(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(edge position, distance in metres) of the nearest piece to each point."""
        n = x.size
        e = np.full(n, -1, dtype=np.int64)
        d = np.full(n, np.inf)
        if self.tree is None or n == 0:
            return e, d
        # visit the points in spatial order (strips of grid cells): neighbouring queries then
        # walk the same KD-tree branches, ~2× faster than random order
        order = spatial_order(x, y, _SORT_CELL_M)
        x = x[order] - self._ox
        y = y[order] - self._oy
        for lo in range(0, n, _CHUNK):
            sl = slice(lo, min(lo + _CHUNK, n))
            e[order[sl]], d[order[sl]] = self._nearest_block(x[sl], y[sl])
        return e, d

    def _nearest_block(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`nearest` for one block of points (already relative to the local origin)."""
        n = x.size
        e = np.full(n, -1, dtype=np.int64)
        d = np.full(n, np.inf)
        todo = np.arange(n)
        if self.tree is None:
            return e, d
        for k in _K_ROUNDS:
            k = min(k, self.size)
            pts = np.column_stack([x[todo], y[todo]])
            rk, cand = self.tree.query(pts, k=k)
            rk, cand = rk.reshape(todo.size, k), cand.reshape(todo.size, k)
            dist = self._dist(x[todo, None], y[todo, None], cand)
            chosen, dmin = self._pick(dist, self.edge[cand])
            e[todo], d[todo] = chosen, dmin
            if k == self.size:
                return e, d
            # exact unless a piece beyond the k-th midpoint could be as close (or tied)
            sure = dist.min(axis=1) + TIE_M < rk[:, -1] - self.h
            todo = todo[~sure]
            if todo.size == 0:
                return e, d
        # fallback: every piece whose midpoint lies within best + h (+ tie margin)
        radius = d[todo] + self.h + TIE_M
        lists = self.tree.query_ball_point(
            np.column_stack([x[todo], y[todo]]), radius, return_sorted=False
        )
        counts = np.fromiter((len(c) for c in lists), np.int64, todo.size)
        cand = np.concatenate([np.asarray(c, dtype=np.int64) for c in lists])
        row = np.repeat(np.arange(todo.size), counts)
        dist = self._dist(x[todo][row], y[todo][row], cand)
        edge = self.edge[cand]
        best = np.full(todo.size, np.inf)
        np.minimum.at(best, row, dist)
        tied = dist <= best[row] + TIE_M
        chosen = np.full(todo.size, np.iinfo(np.int64).max)
        np.minimum.at(chosen, row[tied], edge[tied])
        dmin = np.full(todo.size, np.inf)
        mine = edge == chosen[row]
        np.minimum.at(dmin, row[mine], dist[mine])
        e[todo], d[todo] = chosen, dmin
        return e, d


class Snapper:
    """Nearest-edge and nearest-node index of one graph; build once, snap many times."""

    def __init__(self, G: nx.MultiDiGraph) -> None:
        idx = graph_index(G)
        self._idx = idx
        # one edge per two-way street: the reverse twin has the same geometry
        self._edges = np.flatnonzero(idx.undirected)
        self._segments = _SegmentIndex(*_segments(idx, self._edges))
        self._nodes = cKDTree(np.column_stack([idx.node_x, idx.node_y]), balanced_tree=False)

    def snap(
        self, lons: Any, lats: Any, *, max_distance_m: float = DEFAULT_MAX_DISTANCE_M
    ) -> pd.DataFrame:
        """One row per point: ``u, v, key, distance_m, street_name, nearest_node, snapped``."""
        lon, lat = check_lonlat(lons, lats)
        x, y = lonlat_to_metric(lon, lat)
        e, d = self._segments.nearest(x, y)
        idx = self._idx
        order = spatial_order(x, y, _SORT_CELL_M)
        node_pos = np.empty(x.size, dtype=np.int64)
        node_pos[order] = self._nodes.query(np.column_stack([x[order], y[order]]))[1]
        ok = e >= 0  # all True, or all False when the graph has no edges
        has = bool(ok.all())
        empty = np.full(e.size, None, dtype=object)
        with no_gc():
            out = pd.DataFrame(
                {
                    "u": idx.node_ids[idx.edge_u[e]] if has else empty,
                    "v": idx.node_ids[idx.edge_v[e]] if has else empty,
                    "key": idx.edge_key[e] if has else empty,
                    "distance_m": d,
                    # object, not pandas 3's inferred str dtype: a nameless street stays None
                    "street_name": pd.Series(idx.edge_name[e] if has else empty, dtype=object),
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
