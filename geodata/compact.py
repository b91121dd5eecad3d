"""The street network as arrays, cached as one ``.npz`` file keyed by the source's content hash.

A :class:`CompactNetwork` holds what snapping, coverage, the map layer and routing need, and
nothing else:

- node ids and coordinates (numpy; WGS84 and UTM 49N), via its :class:`GraphIndex`;
- CSR adjacency with lengths (:attr:`CompactNetwork.indptr` over the edge arrays, which are in
  the graph's edge order, grouped by tail node; :meth:`CompactNetwork.adjacency` as a scipy
  matrix);
- edge geometries as a shapely array (curved edges stored, straight ones built from the nodes);
- every other node and edge attribute (OSM tags, ``osmid`` ...) as a categorical column: string
  values (lists joined with ``;``, as :func:`geodata.pedestrian.network_elements` reads them).

osmnx and networkx stay at the import boundary: :func:`load_compact` reads the source with
:mod:`geodata.network` (or :mod:`geodata.pedestrian` for the walk network) only when the cache
holds no valid file for the source's content hash, converts it with
:meth:`CompactNetwork.from_graph` and writes the file. A later load reads the file and never
imports networkx. An unreadable, truncated or inconsistent cache file is logged with its reason
and rebuilt.

Cache key: SHA-256 of the source file(s); for the synthetic demo network, of the files of the
``geodata`` package that generate it (any code or data change rebuilds it); plus the kind
(``network`` / ``walk``), the pedestrian tag rules' version for ``walk`` and
:data:`FORMAT_VERSION`. A walk network built with an elevation model (``dem``, see
:mod:`geodata.elevation`) adds the DEM file's SHA-256 and the sampling's version: a changed DEM
rebuilds it, and a DEM that cannot be read leaves no file behind.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import shapely

from geodata.crs import lonlat_to_metric
from geodata.errors import InputError, Problem
from geodata.graphindex import GraphIndex, graph_index
from geodata.pedestrian import _text  # one string per attribute, as the elements read it

if TYPE_CHECKING:
    import networkx as nx
    from scipy.sparse import csr_matrix

LOG = logging.getLogger("yangjiang_a11y.geodata.compact")

#: Bumped whenever the file layout changes: older files are then rebuilt.
FORMAT_VERSION = 1
#: Sub-folder of the settings' cache folder (``DATA_DIR/cache``) holding the files.
CACHE_SUBDIR = "compact_networks"
Kind = Literal["network", "walk"]
_GEODATA = Path(__file__).resolve().parent
_SKIP_NODE = frozenset({"x", "y"})
_SKIP_EDGE = frozenset({"geometry", "length", "name", "highway"})


class CacheInvalid(Exception):
    """A cache file that cannot be used (the message says why)."""


def _categorical(values: list[str | None]) -> pd.Categorical:
    return pd.Categorical(pd.Series(values, dtype=object))


class CompactNetwork:
    """A street network as arrays (see the module docstring).

    ``graph``: the network's labels (``crs``, ``synthetic``, ``source``, provenance ...), as in
    an osmnx graph's ``G.graph``. ``node_tags`` / ``edge_tags``: attribute name -> categorical
    column (one value per node / per edge position; missing values are NaN).
    """

    def __init__(
        self,
        index: GraphIndex,
        graph: Mapping[str, Any],
        node_tags: Mapping[str, pd.Categorical] | None = None,
        edge_tags: Mapping[str, pd.Categorical] | None = None,
    ) -> None:
        self.index = index
        self.graph: dict[str, Any] = dict(graph)
        self.node_tags: dict[str, pd.Categorical] = dict(node_tags or {})
        self.edge_tags: dict[str, pd.Categorical] = dict(edge_tags or {})
        n = len(index.edge_u)
        if n and np.any(np.diff(index.edge_u) < 0):
            raise ValueError("edges must be grouped by tail node (the graph's edge order)")
        counts = np.bincount(index.edge_u, minlength=len(index.node_ids))
        self.indptr = np.zeros(len(index.node_ids) + 1, dtype=np.int64)
        np.cumsum(counts, out=self.indptr[1:])

    def __repr__(self) -> str:
        return (f"CompactNetwork({self.number_of_nodes()} nodes, {self.number_of_edges()} edges, "
                f"source={self.graph.get('source')!r})")

    def number_of_nodes(self) -> int:
        return len(self.index.node_ids)

    def number_of_edges(self) -> int:
        return len(self.index.edge_u)

    def adjacency(self) -> csr_matrix:
        """CSR matrix of edge lengths (tail -> head); parallel edges are separate entries."""
        from scipy.sparse import csr_matrix

        n = self.number_of_nodes()
        return csr_matrix((self.index.edge_length, self.index.edge_v, self.indptr), shape=(n, n))

    def weakly_connected_components(self) -> int:
        """Number of weakly connected components (as networkx counts them)."""
        from scipy.sparse.csgraph import connected_components

        count, _ = connected_components(self.adjacency(), directed=True, connection="weak")
        return int(count)

    # ------------------------------------------------------------------ tags

    def edge_tag_dicts(self, keys: tuple[str, ...] | list[str]) -> list[dict[str, str]]:
        """Per edge position: the present values of ``keys`` (``name``/``highway`` included)."""
        return _tag_dicts(self._columns(self.edge_tags, keys, edge=True), self.number_of_edges())

    def edge_column(self, key: str) -> np.ndarray | None:
        """Per edge position, the value of tag ``key`` as an object array (missing values NaN or
        None; ``name``/``highway`` included, which live in the index), or ``None`` when the
        network has no such tag."""
        found = self._columns(self.edge_tags, (key,), edge=True)
        return found[0][1] if found else None

    def edge_tag_pairs(self, key: str, other: str) -> dict[str, str]:
        """Each present value of edge tag ``key`` -> the value of ``other`` on its first edge
        having both (e.g. a street's Chinese name -> its English name), without a dict per edge."""
        a, b = self.edge_column(key), self.edge_column(other)
        if a is None or b is None:
            return {}
        pairs = pd.DataFrame({"a": a, "b": b}, dtype=object).dropna()
        pairs = pairs[(pairs["a"] != "") & (pairs["b"] != "")].drop_duplicates("a")
        return {str(a): str(b) for a, b in zip(pairs["a"], pairs["b"], strict=True)}

    def node_tag_dicts(self, keys: tuple[str, ...] | list[str]) -> list[dict[str, str]]:
        """Per node position: the present values of ``keys``."""
        return _tag_dicts(self._columns(self.node_tags, keys, edge=False), self.number_of_nodes())

    def _columns(
        self, tags: Mapping[str, pd.Categorical], keys: tuple[str, ...] | list[str], *, edge: bool
    ) -> list[tuple[str, np.ndarray]]:
        out = []
        for key in dict.fromkeys(keys):
            if edge and key == "name":
                values = self.index.edge_name
            elif edge and key == "highway":
                values = self.index.edge_highway
            elif key in tags:
                values = np.asarray(tags[key].astype(object))
            else:
                continue
            out.append((key, values))
        return out

    # ------------------------------------------------------------------ conversion

    @classmethod
    def from_graph(cls, G: nx.MultiDiGraph) -> CompactNetwork:
        """Arrays of an osmnx-style graph (the import boundary: the only use of networkx)."""
        idx = graph_index(G)
        node_keys = sorted({k for d in G._node.values() for k in d} - _SKIP_NODE)
        edge_data = [d for nbrs in G._adj.values() for kd in nbrs.values() for d in kd.values()]
        edge_keys = sorted({k for d in edge_data for k in d} - _SKIP_EDGE)
        node_data = list(G._node.values())
        node_tags = {k: _categorical([_text(d.get(k)) for d in node_data]) for k in node_keys}
        edge_tags = {k: _categorical([_text(d.get(k)) for d in edge_data]) for k in edge_keys}
        graph = {k: v for k, v in G.graph.items() if isinstance(v, str | bool | int | float)}
        return cls(idx, graph, node_tags, edge_tags)

    # ------------------------------------------------------------------ file

    def save(self, path: Path | str, key: str = "") -> None:
        """Write the network to one ``.npz`` file (atomically: a temporary file, then renamed)."""
        path = Path(path)
        idx = self.index
        arrays: dict[str, np.ndarray] = {}
        meta: dict[str, Any] = {"format": FORMAT_VERSION, "key": key, "graph": self.graph}
        meta["node_ids"] = _put_values(arrays, "node_ids", idx.node_ids)
        meta["edge_key"] = _put_values(arrays, "edge_key", idx.edge_key)
        arrays["node_lon"], arrays["node_lat"] = idx.node_lon, idx.node_lat
        arrays["edge_u"], arrays["edge_v"] = idx.edge_u, idx.edge_v
        arrays["edge_length"], arrays["undirected"] = idx.edge_length, idx.undirected
        _put_categorical(arrays, "edge_name", _categorical(list(idx.edge_name)))
        _put_categorical(arrays, "edge_highway", _categorical(list(idx.edge_highway)))
        meta["node_tags"] = list(self.node_tags)
        meta["edge_tags"] = list(self.edge_tags)
        for i, col in enumerate(self.node_tags.values()):
            _put_categorical(arrays, f"ntag{i}", col)
        for i, col in enumerate(self.edge_tags.values()):
            _put_categorical(arrays, f"etag{i}", col)
        meta["geometry"] = _put_geoms(arrays, idx.edge_geom_raw)
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".part", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, **arrays)  # type: ignore[arg-type]
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path | str, key: str | None = None) -> CompactNetwork:
        """Read a file written by :meth:`save`; :class:`CacheInvalid` says why one is unusable
        (unreadable, another format version or key, inconsistent arrays)."""
        try:
            with np.load(Path(path), allow_pickle=False) as z:
                data = {name: z[name] for name in z.files}
        except Exception as exc:  # zipfile/numpy raise many types for a damaged file
            raise CacheInvalid(f"unreadable ({type(exc).__name__}: {str(exc)[:200]})") from None
        try:
            meta = json.loads(bytes(data["meta"]).decode("utf-8"))
            if meta.get("format") != FORMAT_VERSION:
                raise CacheInvalid(f"format {meta.get('format')!r}, expected {FORMAT_VERSION}")
            if key is not None and meta.get("key") != key:
                raise CacheInvalid("written for another source (content hash differs)")
            return cls._from_arrays(data, meta)
        except CacheInvalid:
            raise
        except Exception as exc:
            raise CacheInvalid(f"inconsistent ({type(exc).__name__}: {str(exc)[:200]})") from None

    @classmethod
    def _from_arrays(cls, data: dict[str, np.ndarray], meta: dict[str, Any]) -> CompactNetwork:
        node_ids = _get_values(data, "node_ids", meta["node_ids"])
        lon = data["node_lon"].astype(float)
        lat = data["node_lat"].astype(float)
        n = len(node_ids)
        u = data["edge_u"].astype(np.int64)
        v = data["edge_v"].astype(np.int64)
        m = len(u)
        length = data["edge_length"].astype(float)
        keys = _get_values(data, "edge_key", meta["edge_key"])
        undirected = data["undirected"].astype(bool)
        name = _object(_get_categorical(data, "edge_name"))
        highway = _object(_get_categorical(data, "edge_highway"))
        geoms = _get_geoms(data, meta["geometry"], m)
        sizes = {"node_lon": len(lon), "node_lat": len(lat)}
        esizes = {"edge_v": len(v), "edge_length": len(length), "edge_key": len(keys),
                  "undirected": len(undirected), "edge_name": len(name),
                  "edge_highway": len(highway)}
        bad = [f"{k} has {s} values for {n} nodes" for k, s in sizes.items() if s != n]
        bad += [f"{k} has {s} values for {m} edges" for k, s in esizes.items() if s != m]
        if m and (u.min() < 0 or v.min() < 0 or u.max() >= n or v.max() >= n):
            bad.append("an edge refers to a node that is not there")
        if not (np.isfinite(lon).all() and np.isfinite(lat).all()):
            bad.append("a node has no finite coordinates")
        if not (np.isfinite(length).all() and (length >= 0).all()):
            bad.append("an edge has no valid length")
        node_tags = {k: _get_categorical(data, f"ntag{i}") for i, k in enumerate(meta["node_tags"])}
        edge_tags = {k: _get_categorical(data, f"etag{i}") for i, k in enumerate(meta["edge_tags"])}
        bad += [f"node tag {k} has {len(c)} values" for k, c in node_tags.items() if len(c) != n]
        bad += [f"edge tag {k} has {len(c)} values" for k, c in edge_tags.items() if len(c) != m]
        if bad:
            raise CacheInvalid("; ".join(bad))
        x, y = lonlat_to_metric(lon, lat)
        graph = meta["graph"]
        idx = GraphIndex(
            signature=(n, m), node_ids=node_ids, node_lon=lon, node_lat=lat, node_x=x, node_y=y,
            edge_u=u, edge_v=v, edge_key=keys, edge_length=length, edge_name=name,
            edge_highway=highway, edge_geom_raw=geoms, undirected=undirected,
        )
        return cls(idx, graph, node_tags, edge_tags)


# ----------------------------------------------------------------------------- array encoding


def _put_values(arrays: dict[str, np.ndarray], name: str, values: np.ndarray) -> str:
    """Store ids/keys: as int64 when all are Python ints, else as strings. Returns the kind."""
    items = values.tolist()  # numpy integers inside an object array stay numpy integers
    if all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in items):
        arrays[name] = np.asarray(items, dtype=np.int64)
        return "int"
    if all(type(v) is str for v in items):
        arrays[name] = np.asarray(items, dtype=str)
        return "str"
    raise ValueError(f"{name}: ids must be all integers or all strings")


def _get_values(data: dict[str, np.ndarray], name: str, kind: str) -> np.ndarray:
    raw = data[name]
    out = np.empty(len(raw), dtype=object)
    if kind == "int":
        out[:] = raw.astype(np.int64).tolist()
    elif kind == "str":
        out[:] = raw.astype(str).tolist()
    else:
        raise CacheInvalid(f"{name}: unknown kind {kind!r}")
    return out


def _put_categorical(arrays: dict[str, np.ndarray], name: str, col: pd.Categorical) -> None:
    arrays[f"{name}_codes"] = np.asarray(col.codes, dtype=np.int32)
    arrays[f"{name}_cats"] = np.asarray([str(c) for c in col.categories], dtype=str)


def _get_categorical(data: dict[str, np.ndarray], name: str) -> pd.Categorical:
    codes = data[f"{name}_codes"].astype(np.int32)
    cats = data[f"{name}_cats"].astype(str)
    if codes.size and (codes.min() < -1 or codes.max() >= len(cats)):
        raise CacheInvalid(f"{name}: a code outside its categories")
    return pd.Categorical.from_codes(codes, categories=pd.Index(cats, dtype=object))


def _object(col: pd.Categorical) -> np.ndarray:
    """A categorical as an object array with ``None`` where missing."""
    cats = np.empty(len(col.categories) + 1, dtype=object)
    cats[:-1] = list(col.categories)
    cats[-1] = None
    out: np.ndarray = cats[np.asarray(col.codes, dtype=np.int64)]  # code -1 -> the None
    return out


def _put_geoms(arrays: dict[str, np.ndarray], raw: np.ndarray) -> str:
    """Curved edge geometries: a ragged array when all are LineStrings, else WKB."""
    curved = np.flatnonzero(~pd.isna(raw))
    arrays["geom_pos"] = curved.astype(np.int64)
    geoms = raw[curved]
    if geoms.size and bool(np.all(shapely.get_type_id(geoms) == shapely.GeometryType.LINESTRING)):
        _, coords, (offsets,) = shapely.to_ragged_array(geoms)
        arrays["geom_coords"], arrays["geom_offsets"] = coords, offsets.astype(np.int64)
        return "ragged"
    wkb = shapely.to_wkb(geoms) if geoms.size else np.empty(0, dtype=object)
    lengths = np.fromiter((len(b) for b in wkb), np.int64, len(wkb))
    arrays["geom_wkb"] = np.frombuffer(b"".join(wkb), dtype=np.uint8)
    arrays["geom_offsets"] = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    return "wkb"


def _get_geoms(data: dict[str, np.ndarray], kind: str, m: int) -> np.ndarray:
    pos = data["geom_pos"].astype(np.int64)
    if pos.size and (pos.min() < 0 or pos.max() >= m):
        raise CacheInvalid("a curved geometry belongs to no edge")
    offsets = data["geom_offsets"].astype(np.int64)
    if kind == "ragged":
        geoms = shapely.from_ragged_array(
            shapely.GeometryType.LINESTRING, data["geom_coords"].astype(float), (offsets,)
        )
    elif kind == "wkb":
        blob = data["geom_wkb"].tobytes()
        geoms = shapely.from_wkb([blob[a:b] for a, b in itertools.pairwise(offsets.tolist())])
    else:
        raise CacheInvalid(f"unknown geometry encoding {kind!r}")
    if len(geoms) != len(pos):
        raise CacheInvalid(f"{len(geoms)} curved geometries for {len(pos)} positions")
    out = np.full(m, None, dtype=object)
    out[pos] = geoms
    return out


def _tag_dicts(columns: list[tuple[str, np.ndarray]], size: int) -> list[dict[str, str]]:
    out: list[dict[str, str]] = [{} for _ in range(size)]
    for key, values in columns:
        present = np.flatnonzero(~pd.isna(values))
        for i, value in zip(present.tolist(), values[present].tolist(), strict=True):
            out[i][key] = value
    return out


# ----------------------------------------------------------------------------- the cache


def cache_dir_for(cache_root: Path | str) -> Path:
    """The folder of compact network files under the settings' cache folder."""
    return Path(cache_root) / CACHE_SUBDIR


def _hash_files(paths: list[Path], extra: str) -> str:
    h = hashlib.sha256(f"compact-network/{FORMAT_VERSION}/{extra}".encode())
    for p in paths:
        with p.open("rb") as fh:
            h.update(hashlib.file_digest(fh, "sha256").digest())
    return h.hexdigest()


def _demo_files() -> list[Path]:
    """The files that generate the synthetic demo network: the geodata package and its data."""
    return sorted(p for p in _GEODATA.rglob("*") if p.is_file() and p.suffix != ".pyc"
                  and "__pycache__" not in p.parts)


def source_key(
    sources: list[Path] | Literal["demo"], kind: Kind, dem: Path | None = None
) -> str:
    """The cache key of a source (its content hash, the kind and the format version; for the
    walk network also the tag rules' version and the DEM file's content hash)."""
    extra: str = kind
    if kind == "walk":
        from geodata.elevation import METHOD_VERSION
        from geodata.pedestrian import load_tag_rules

        extra += "/" + load_tag_rules().version
        if dem is not None:
            extra += f"/dem/{METHOD_VERSION}"
    files = _demo_files() if sources == "demo" else list(sources)
    if kind == "walk" and dem is not None:
        files = [*files, dem]
    return _hash_files(files, extra + ("/demo" if sources == "demo" else ""))


def _build(
    sources: list[Path] | Literal["demo"], kind: Kind, dem: Path | None = None
) -> CompactNetwork:
    """Read the source with osmnx/networkx (the import boundary) and convert it; the walk network
    gets the DEM's inclines (:mod:`geodata.elevation`) when ``dem`` names one."""
    if kind == "walk":
        from geodata import elevation
        from geodata.pedestrian import load_walk_network

        if dem is not None:
            elevation.check_dem(dem)  # a bad file fails before the network is read
        G = load_walk_network("demo" if sources == "demo" else sources[0])
        net = CompactNetwork.from_graph(G)
        elevation.clear_dem(net)  # a source file must not bring its own DEM slopes
        if dem is not None:
            elevation.add_dem_inclines(net, dem)
        return net
    from geodata import network

    if sources == "demo":
        return CompactNetwork.from_graph(network.demo_network())
    if len(sources) == 1:
        return CompactNetwork.from_graph(network.load_network(sources[0]))
    import networkx as nx

    G = nx.compose_all([network.load_network(f) for f in sources])
    network._label(G, synthetic=False, source=", ".join(str(f) for f in sources))
    return CompactNetwork.from_graph(G)


def load_cached(
    sources: list[Path] | Literal["demo"],
    cache_dir: Path | str,
    kind: Kind = "network",
    *,
    dem: Path | str | None = None,
) -> CompactNetwork:
    """The compact network of ``sources`` (a list of files, or ``"demo"``), from the cache
    folder when it holds a valid file for their content hash, else built and written there.

    ``dem``: an elevation model (GeoTIFF) whose slopes the walk network's edges get (ignored for
    ``kind="network"``, which does not route); ``None`` or empty: none."""
    if sources != "demo":
        for p in sources:
            if not Path(p).is_file():
                raise InputError(Problem("network", str(p), "an existing file"))
    dem_file: Path | None = None
    if kind == "walk":
        from geodata.elevation import dem_path

        dem_file = dem_path(dem)
    key = source_key(sources, kind, dem_file)
    path = cache_dir_for(cache_dir) / f"{kind}-{key[:40]}.npz"
    if path.is_file():
        try:
            return CompactNetwork.load(path, key)
        except CacheInvalid as exc:
            LOG.warning("compact network cache %s unusable, rebuilding: %s", path, exc)
    net = _build(sources, kind, dem_file)
    try:
        net.save(path, key)
    except OSError as exc:  # a read-only cache folder still gives a working network
        LOG.warning("compact network cache %s not written: %s", path, exc)
    return net


def load_compact(
    source: str | Path,
    cache_dir: Path | str,
    *,
    kind: Kind = "network",
    require_in_city: bool = False,
    boundary_file: Path | str | None = None,
    dem: Path | str | None = None,
) -> CompactNetwork:
    """:func:`geodata.network.load_network` (or, ``kind="walk"``,
    :func:`geodata.pedestrian.load_walk_network`, with the inclines of the ``dem`` file if
    given) through the compact cache."""
    if isinstance(source, str) and source.strip().lower() == "demo":
        return load_cached("demo", cache_dir, kind, dem=dem)
    path = Path(source).expanduser()
    if not path.is_file():
        from geodata.network import read_network_file  # the loader's own message on bad names

        read_network_file(path, lambda p: None)  # raises InputError
    net = load_cached([path], cache_dir, kind, dem=dem)
    if require_in_city:
        from geodata.network import check_in_city

        check_in_city(net, boundary_file=boundary_file)
    return net


def resolve_compact(
    setting: str,
    data_dir: Path | str,
    cache_dir: Path | str,
    *,
    kind: Kind = "network",
    boundary_file: Path | str | None = None,
) -> CompactNetwork:
    """:func:`geodata.network.resolve_network` through the compact cache (same choices:
    ``demo``, ``auto`` = cached OSM download or demo, or a path that must overlap the city)."""
    from geodata.network import cached_networks

    key = str(setting).strip()
    if key.lower() == "demo":
        return load_cached("demo", cache_dir, kind)
    if key.lower() == "auto":
        files = cached_networks(data_dir)
        if not files:
            return load_cached("demo", cache_dir, kind)
        city = [f for f in files if f.name.startswith("osm_city_")]
        chosen = city[:1] or files
        if kind == "walk":
            chosen = chosen[:1]
        return load_cached(list(chosen), cache_dir, kind)
    return load_compact(key, cache_dir, kind=kind, require_in_city=True,
                        boundary_file=boundary_file)


def resolve_walk(
    setting: str, data_dir: Path | str, cache_dir: Path | str, dem: Path | str | None = None
) -> CompactNetwork:
    """The walk network (pedestrian tags) for the ``network_source`` setting: the file named, the
    cached OSM download (``auto``: the city's, else the first district's) or the demo one; with
    the inclines of the ``dem_file`` setting's elevation model when ``dem`` names one."""
    from geodata.network import cached_networks

    key = str(setting).strip()
    if key.lower() == "auto":
        files = cached_networks(data_dir)
        city = [f for f in files if f.name.startswith("osm_city_")]
        key = str((city or files)[0]) if files else "demo"
    return load_compact(key, cache_dir, kind="walk", dem=dem)


__all__ = [
    "CACHE_SUBDIR",
    "FORMAT_VERSION",
    "CacheInvalid",
    "CompactNetwork",
    "cache_dir_for",
    "load_cached",
    "load_compact",
    "resolve_compact",
    "resolve_walk",
    "source_key",
]
