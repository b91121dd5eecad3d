"""Array view of a street graph, built once per graph and shared by snapping, coverage and drawing.

Graphs are treated as immutable once loaded: the index is cached per graph object (weakly) and
rebuilt if the node or edge count changes.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from geodata.crs import METRIC_CRS, WGS84, lonlat_to_metric, require_crs

if TYPE_CHECKING:
    import networkx as nx

_CACHE: weakref.WeakKeyDictionary[Any, GraphIndex] = weakref.WeakKeyDictionary()


def _street_name(value: Any) -> str | None:
    """A street name (or highway tag) as one string: lists joined with "; ", missing as None."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, list | tuple | set):
        names = [str(v) for v in value if v]
        return "; ".join(sorted(names)) or None
    return str(value) or None


def _names(values: list[Any]) -> np.ndarray:
    """:func:`_street_name` of every value (plain non-empty strings are kept as they are)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    odd = [i for i, v in enumerate(values) if v is not None and (v.__class__ is not str or not v)]
    if odd:
        out[odd] = [_street_name(values[i]) for i in odd]
    return out


@contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while allocating many objects at once.

    With a large graph on the heap, every generation-2 collection walks millions of dicts; bulk
    allocation (edge tuples, shapely geometries) triggers many of them and runs ~10× slower.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass(eq=False)
class GraphIndex:
    """Node and edge arrays of one graph (WGS84 and UTM 49N).

    Edge geometries are built lazily: ``edge_geom_raw`` holds each edge's own ``geometry``
    attribute (``None`` for a straight edge, which runs from node ``u`` to node ``v``).
    """

    signature: tuple[int, int]
    node_ids: np.ndarray
    node_lon: np.ndarray
    node_lat: np.ndarray
    node_x: np.ndarray
    node_y: np.ndarray
    edge_u: np.ndarray  # positions into node_ids
    edge_v: np.ndarray
    edge_key: np.ndarray
    edge_length: np.ndarray
    edge_name: np.ndarray
    edge_highway: np.ndarray
    edge_geom_raw: np.ndarray  # shapely LineStrings in lon/lat, None where straight
    # bool: True for one edge of each two-way pair (counts street length once)
    undirected: np.ndarray
    _edge_geom: np.ndarray | None = field(default=None, repr=False)
    _edge_geom_m: np.ndarray | None = field(default=None, repr=False)

    @property
    def edge_geom(self) -> np.ndarray:
        """Edge geometries (shapely LineStrings in lon/lat; straight edges built on first use)."""
        if self._edge_geom is None:
            geoms = self.edge_geom_raw.copy()
            straight = np.flatnonzero(pd.isna(geoms))
            if straight.size:
                u, v = self.edge_u[straight], self.edge_v[straight]
                coords = np.stack(
                    [
                        np.column_stack([self.node_lon[u], self.node_lat[u]]),
                        np.column_stack([self.node_lon[v], self.node_lat[v]]),
                    ],
                    axis=1,
                )
                with no_gc():
                    geoms[straight] = shapely.linestrings(coords)
            self._edge_geom = geoms
        return self._edge_geom

    @property
    def edge_geom_m(self) -> np.ndarray:
        """Edge geometries in UTM 49N metres (built on first use)."""
        if self._edge_geom_m is None:

            def proj(c: np.ndarray) -> np.ndarray:
                x, y = lonlat_to_metric(c[:, 0], c[:, 1])
                return np.column_stack([x, y])

            with no_gc():
                self._edge_geom_m = shapely.transform(self.edge_geom, proj)
        return self._edge_geom_m

    def node_id_array(self, positions: np.ndarray) -> np.ndarray:
        """Node ids at the given positions."""
        ids: np.ndarray = self.node_ids[positions]
        return ids


def _pair_codes(ui: np.ndarray, vi: np.ndarray, keys: np.ndarray, n: int) -> tuple[Any, Any]:
    """Comparable codes of (u, v, key) and of the reverse (v, u, key) for every edge."""
    if keys.size and set(map(type, keys)) == {int}:
        kc = keys.astype(np.int64)
    else:
        kc = pd.factorize(keys.astype(str))[0].astype(np.int64)
    kmin = int(kc.min()) if kc.size else 0
    kc = kc - kmin
    nk = int(kc.max()) + 1 if kc.size else 1
    if n * n * nk < 2**62:
        return (ui * n + vi) * nk + kc, (vi * n + ui) * nk + kc
    ks = keys.astype(str)
    return (
        pd.MultiIndex.from_arrays([ui, vi, ks]),
        pd.MultiIndex.from_arrays([vi, ui, ks]),
    )


def _build(G: nx.MultiDiGraph) -> GraphIndex:
    crs = G.graph.get("crs")
    if crs is not None:
        import geopandas as gpd

        require_crs(gpd.GeoSeries([], crs=crs), WGS84, "graph")
    with no_gc():
        nodes = list(G._node)
        n = len(nodes)
        node_ids = np.empty(n, dtype=object)
        node_ids[:] = nodes
        ndata = list(G._node.values())
        lon = np.fromiter((d["x"] for d in ndata), float, n)
        lat = np.fromiter((d["y"] for d in ndata), float, n)
        # one flat pass over the adjacency dicts, in G.edges(keys=True) order
        edges = [
            (u, v, k, d)
            for u, nbrs in G._adj.items()
            for v, kd in nbrs.items()
            for k, d in kd.items()
        ]
        m = len(edges)
        if m:
            us, vs, ks, ds = zip(*edges, strict=True)
        else:
            us = vs = ks = ds = ()
        del edges
        pos = {node: i for i, node in enumerate(nodes)}
        ui = np.fromiter(map(pos.__getitem__, us), np.int64, m)
        vi = np.fromiter(map(pos.__getitem__, vs), np.int64, m)
        keys = np.empty(m, dtype=object)
        keys[:] = ks
        length = np.fromiter((d.get("length", np.nan) for d in ds), float, m)
        names = _names([d.get("name") for d in ds])
        highway = _names([d.get("highway") for d in ds])
        geoms = np.empty(m, dtype=object)
        geoms[:] = [d.get("geometry") for d in ds]
    x, y = lonlat_to_metric(lon, lat)
    fwd, rev = _pair_codes(ui, vi, keys, max(n, 1))
    if isinstance(fwd, np.ndarray):  # sorted lookup: faster than np.isin's hashing here
        known = np.sort(fwd)
        at = np.minimum(np.searchsorted(known, rev), max(known.size - 1, 0))
        has_rev = known[at] == rev if known.size else np.zeros(0, bool)
    else:
        has_rev = rev.isin(fwd)
    undirected = ~has_rev | (ui <= vi)
    return GraphIndex(
        signature=signature(G),
        node_ids=node_ids,
        node_lon=lon,
        node_lat=lat,
        node_x=x,
        node_y=y,
        edge_u=ui,
        edge_v=vi,
        edge_key=keys,
        edge_length=length,
        edge_name=names,
        edge_highway=highway,
        edge_geom_raw=geoms,
        undirected=np.asarray(undirected, bool),
    )


def signature(G: nx.MultiDiGraph) -> tuple[int, int]:
    """Cheap change check: node count and the out-degree of the first node.

    (``G.number_of_edges()`` walks every edge of a multigraph, ~0.2 s at 400k edges, so it is not
    used here.) Graphs are treated as immutable once loaded; after editing one, call
    :func:`invalidate`.
    """
    compact = getattr(G, "index", None)
    if isinstance(compact, GraphIndex):  # a geodata.compact.CompactNetwork: immutable
        return compact.signature
    first: dict[Any, Any] = next(iter(G._adj.values()), {})
    return (G.number_of_nodes(), len(first))


def invalidate(G: nx.MultiDiGraph) -> None:
    """Forget every cached index of ``G`` (after editing the graph in place)."""
    _CACHE.pop(G, None)
    for hook in _INVALIDATE_HOOKS:
        hook(G)


_INVALIDATE_HOOKS: list[Any] = []


def graph_index(G: nx.MultiDiGraph) -> GraphIndex:
    """The (cached) :class:`GraphIndex` of ``G`` (a :class:`geodata.compact.CompactNetwork`
    carries its own)."""
    compact = getattr(G, "index", None)
    if isinstance(compact, GraphIndex):
        return compact
    sig = signature(G)
    idx = _CACHE.get(G)
    if idx is None or idx.signature != sig:
        idx = _build(G)
        _CACHE[G] = idx
    return idx


__all__ = ["METRIC_CRS", "GraphIndex", "graph_index", "invalidate", "no_gc", "signature"]
