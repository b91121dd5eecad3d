"""Array view of a street graph, built once per graph and shared by snapping, coverage and drawing.

Graphs are treated as immutable once loaded: the index is cached per graph object (weakly) and
rebuilt if the node or edge count changes.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import shapely

from geodata.crs import METRIC_CRS, WGS84, lonlat_to_metric, require_crs

_CACHE: weakref.WeakKeyDictionary[Any, GraphIndex] = weakref.WeakKeyDictionary()


def _street_name(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, list | tuple | set):
        names = [str(v) for v in value if v]
        return "; ".join(sorted(names)) or None
    return str(value) or None


@dataclass(eq=False)
class GraphIndex:
    """Node and edge arrays of one graph (WGS84 and UTM 49N)."""

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
    edge_geom: np.ndarray  # shapely LineStrings in lon/lat
    # bool: True for one edge of each two-way pair (counts street length once)
    undirected: np.ndarray
    _edge_geom_m: np.ndarray | None = field(default=None, repr=False)

    @property
    def edge_geom_m(self) -> np.ndarray:
        """Edge geometries in UTM 49N metres (built on first use)."""
        if self._edge_geom_m is None:
            def proj(c: np.ndarray) -> np.ndarray:
                x, y = lonlat_to_metric(c[:, 0], c[:, 1])
                return np.column_stack([x, y])

            self._edge_geom_m = shapely.transform(self.edge_geom, proj)
        return self._edge_geom_m

    def node_id_array(self, positions: np.ndarray) -> np.ndarray:
        """Node ids at the given positions."""
        return self.node_ids[positions]


def _build(G: nx.MultiDiGraph) -> GraphIndex:
    crs = G.graph.get("crs")
    if crs is not None:
        import geopandas as gpd

        require_crs(gpd.GeoSeries([], crs=crs), WGS84, "graph")
    nodes = list(G.nodes)
    node_ids = np.empty(len(nodes), dtype=object)
    node_ids[:] = nodes
    pos = pd.Index(nodes)
    lon = np.fromiter((d["x"] for _, d in G.nodes(data=True)), float, len(nodes))
    lat = np.fromiter((d["y"] for _, d in G.nodes(data=True)), float, len(nodes))
    x, y = lonlat_to_metric(lon, lat)
    m = G.number_of_edges()
    us = np.empty(m, dtype=object)
    vs = np.empty(m, dtype=object)
    keys = np.empty(m, dtype=object)
    length = np.empty(m, float)
    names = np.empty(m, dtype=object)
    highway = np.empty(m, dtype=object)
    geoms = np.empty(m, dtype=object)
    for i, (u, v, k, d) in enumerate(G.edges(keys=True, data=True)):
        us[i] = u
        vs[i] = v
        keys[i] = k
        length[i] = d.get("length", np.nan)
        names[i] = _street_name(d.get("name"))
        hw = d.get("highway")
        highway[i] = _street_name(hw)
        geoms[i] = d.get("geometry")
    ui = pos.get_indexer(us)
    vi = pos.get_indexer(vs)
    straight = pd.isna(geoms)
    if straight.any():
        coords = np.stack(
            [
                np.column_stack([lon[ui[straight]], lat[ui[straight]]]),
                np.column_stack([lon[vi[straight]], lat[vi[straight]]]),
            ],
            axis=1,
        )
        geoms[straight] = shapely.linestrings(coords)
    fwd = pd.MultiIndex.from_arrays([ui, vi, keys.astype(str)])
    rev = pd.MultiIndex.from_arrays([vi, ui, keys.astype(str)])
    has_rev = rev.isin(fwd)
    undirected = ~has_rev | (ui <= vi)
    return GraphIndex(
        signature=signature(G),
        node_ids=node_ids,
        node_lon=lon,
        node_lat=lat,
        node_x=x,
        node_y=y,
        edge_u=ui.astype(np.int64),
        edge_v=vi.astype(np.int64),
        edge_key=keys,
        edge_length=length,
        edge_name=names,
        edge_highway=highway,
        edge_geom=geoms,
        undirected=np.asarray(undirected, bool),
    )


def signature(G: nx.MultiDiGraph) -> tuple[int, int]:
    """Cheap change check: node count and the out-degree of the first node.

    (``G.number_of_edges()`` walks every edge of a multigraph, ~0.2 s at 400k edges, so it is not
    used here.) Graphs are treated as immutable once loaded; after editing one, call
    :func:`invalidate`.
    """
    first = next(iter(G._adj.values()), {})
    return (G.number_of_nodes(), len(first))


def invalidate(G: nx.MultiDiGraph) -> None:
    """Forget every cached index of ``G`` (after editing the graph in place)."""
    _CACHE.pop(G, None)
    for hook in _INVALIDATE_HOOKS:
        hook(G)


_INVALIDATE_HOOKS: list[Any] = []


def graph_index(G: nx.MultiDiGraph) -> GraphIndex:
    """The (cached) :class:`GraphIndex` of ``G``."""
    sig = signature(G)
    idx = _CACHE.get(G)
    if idx is None or idx.signature != sig:
        idx = _build(G)
        _CACHE[G] = idx
    return idx


__all__ = ["METRIC_CRS", "GraphIndex", "graph_index", "invalidate", "signature"]
