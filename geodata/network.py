"""Street network: one loader, three sources, all giving an osmnx-style ``MultiDiGraph``.

Sources:

- a real OpenStreetMap download by osmnx (:func:`fetch_network`, CLI
  ``python -m audit network fetch --district 441702 --network-type walk``), cached as GraphML under
  ``DATA_DIR/cache/networks/``;
- a user-supplied ``.osm`` / ``.osm.bz2`` / ``.osm.pbf`` / ``.graphml`` file (:func:`load_network`);
- ``"demo"``: the synthetic demo network of :mod:`geodata.demo_network`, labelled as such.

Every graph has ``G.graph["crs"] == "EPSG:4326"``, ``length`` in metres on every edge,
``G.graph["synthetic"]`` (bool) and ``G.graph["source_label_zh"]`` / ``["source_label_en"]`` (the
label to show wherever the network is drawn or exported). ``.osm.pbf`` files are converted to OSM
XML with pyosmium (the ``osmium`` package), keeping only ``highway`` ways and their nodes.
"""

from __future__ import annotations

import json
import math
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata.crs import WGS84
from geodata.demo_network import LABEL_EN as DEMO_LABEL_EN
from geodata.demo_network import LABEL_ZH as DEMO_LABEL_ZH
from geodata.districts import DISTRICTS, load_city_outline, load_districts
from geodata.errors import InputError, NetworkUnavailable, Problem
from geodata.graphindex import graph_index

if TYPE_CHECKING:
    import networkx as nx

OSM_LABEL_ZH = "© OpenStreetMap contributors (ODbL)"
OSM_LABEL_EN = "© OpenStreetMap contributors (ODbL)"
#: What a network is, for every page and export that shows it or anything computed on it
#: (``G.graph["provenance"]`` and ``["provenance_label_zh"/"_en"]``).
PROVENANCE_LABELS: dict[str, tuple[str, str]] = {
    "synthetic": (DEMO_LABEL_ZH, DEMO_LABEL_EN),
    "osm_yangjiang": ("OpenStreetMap 阳江路网", "OpenStreetMap network of Yangjiang"),
    "osm_not_yangjiang": (
        "OpenStreetMap 样例路网（非阳江）", "OpenStreetMap sample network — not Yangjiang"
    ),
}
NETWORK_TYPES = ("walk", "drive", "bike", "all", "all_public", "drive_service")
CACHE_SUBDIR = Path("cache") / "networks"
PROBE_TIMEOUT_S = 5.0
DOWNLOAD_TIMEOUT_S = 180
_SUFFIXES = (".osm", ".osm.bz2", ".osm.xml", ".xml", ".osm.pbf", ".pbf", ".graphml")


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for s in sorted(_SUFFIXES, key=len, reverse=True):
        if name.endswith(s):
            return s
    return path.suffix.lower()


def _label(G: nx.MultiDiGraph, *, synthetic: bool, source: str) -> nx.MultiDiGraph:
    G.graph["crs"] = G.graph.get("crs") or WGS84
    G.graph["synthetic"] = synthetic
    G.graph["source"] = source
    G.graph["source_label_zh"] = DEMO_LABEL_ZH if synthetic else OSM_LABEL_ZH
    G.graph["source_label_en"] = DEMO_LABEL_EN if synthetic else OSM_LABEL_EN
    if synthetic:
        kind = "synthetic"
    else:
        kind = "osm_yangjiang" if overlaps_city(G) else "osm_not_yangjiang"
    G.graph["provenance"] = kind
    G.graph["provenance_label_zh"], G.graph["provenance_label_en"] = PROVENANCE_LABELS[kind]
    return G


def overlaps_city(G: nx.MultiDiGraph, *, boundary_file: Path | str | None = None) -> bool:
    """Whether some node of ``G`` lies inside the Yangjiang city outline."""
    import shapely

    if G.number_of_nodes() == 0:
        return False
    idx = graph_index(G)
    outline = load_city_outline(boundary_file).geometry.iloc[0]
    shapely.prepare(outline)
    return bool(shapely.contains_xy(outline, idx.node_lon, idx.node_lat).any())


def _check_graph(G: nx.MultiDiGraph, source: str) -> nx.MultiDiGraph:
    problems: list[Problem] = []
    if G.number_of_nodes() == 0 or G.number_of_edges() == 0:
        raise InputError(
            Problem(
                "network",
                source,
                "a street network with at least one street (highway=*) way; the file holds none",
            )
        )
    crs = G.graph.get("crs")
    if crs is not None:
        from pyproj import CRS

        if CRS.from_user_input(crs) != CRS.from_user_input(WGS84):
            problems.append(
                Problem("network crs", str(crs), "EPSG:4326 (unproject with osmnx.project_graph)")
            )
    missing_xy = [n for n, d in G.nodes(data=True) if "x" not in d or "y" not in d]
    if missing_xy:
        problems.append(
            Problem("network nodes", missing_xy[:5], "every node with x (lon) and y (lat)")
        )
    bad = [
        (u, v, k)
        for u, v, k, d in G.edges(keys=True, data=True)
        if not isinstance(d.get("length"), int | float)
        or not math.isfinite(d["length"])
        or d["length"] < 0
    ]
    if bad:
        problems.append(
            Problem(
                "network edge length",
                f"{len(bad)} of {G.number_of_edges()} edges lack a valid `length`, e.g. {bad[0]}",
                "`length` in metres on every edge: add it with "
                "osmnx.distance.add_edge_lengths(G) and save again",
            )
        )
    if problems:
        raise InputError(problems, context=f"network {source}")
    return G


def _pbf_to_xml(path: Path, out: Path) -> None:
    try:
        import osmium
    except ImportError:
        raise InputError(
            Problem(
                "network",
                str(path),
                "an .osm/.osm.bz2/.graphml file: reading .osm.pbf needs the `osmium` package "
                "(pip install osmium), or convert first with `osmium cat IN.osm.pbf -o OUT.osm`",
            )
        ) from None
    # pass 1: highway ways and the nodes they reference
    refs: set[int] = set()
    for way in osmium.FileProcessor(str(path), osmium.osm.WAY):
        if isinstance(way, osmium.osm.Way) and "highway" in way.tags:
            refs.update(n.ref for n in way.nodes)
    writer = osmium.SimpleWriter(str(out), overwrite=True)
    try:
        # pass 2: those nodes that the file holds (an extract clips ways at its border)
        present: set[int] = set()
        for node in osmium.FileProcessor(str(path), osmium.osm.NODE):
            if isinstance(node, osmium.osm.Node) and node.id in refs:
                writer.add_node(node)
                present.add(node.id)
        # pass 3: the ways, each cut to its longest run of nodes present in the file
        for way in osmium.FileProcessor(str(path), osmium.osm.WAY):
            if not isinstance(way, osmium.osm.Way) or "highway" not in way.tags:
                continue
            ids = [n.ref for n in way.nodes]
            run = _longest_present_run(ids, present)
            if len(run) < 2:
                continue
            writer.add_way(way if len(run) == len(ids) else way.replace(nodes=run))
    finally:
        writer.close()


def _longest_present_run(ids: list[int], present: set[int]) -> list[int]:
    """The longest stretch of consecutive node ids that are all in ``present``."""
    best: list[int] = []
    current: list[int] = []
    for node_id in ids:
        if node_id in present:
            current.append(node_id)
            if len(current) > len(best):
                best = current
        else:
            current = []
    return best


def _from_xml(path: Path, **kwargs: Any) -> nx.MultiDiGraph:
    import osmnx as ox

    try:
        return ox.graph_from_xml(path, **kwargs)
    except Exception as exc:  # osmnx/xml raise many types for bad files
        msg = str(exc) or type(exc).__name__
        raise InputError(
            Problem(
                "network",
                str(path),
                "a valid OSM XML file with street (highway=*) ways; this one is empty, corrupt or "
                f"holds no streets ({type(exc).__name__}: {msg[:200]}). Re-export it from "
                "OpenStreetMap or use `python -m audit network fetch`",
            )
        ) from None


def _from_graphml(path: Path) -> nx.MultiDiGraph:
    import osmnx as ox

    try:
        G = ox.load_graphml(path)
    except Exception as exc:
        raise InputError(
            Problem(
                "network",
                str(path),
                f"a GraphML file saved by osmnx.save_graphml ({type(exc).__name__}: "
                f"{str(exc)[:200]})",
            )
        ) from None
    return G


def load_network(
    source: str | Path,
    *,
    require_in_city: bool = False,
    boundary_file: Path | str | None = None,
) -> nx.MultiDiGraph:
    """Load a street network: ``"demo"`` or a path to .osm, .osm.bz2, .osm.pbf or .graphml.

    With ``require_in_city`` the network must have nodes inside the Yangjiang city outline, else
    :class:`InputError` (the app's setting uses this; tests with foreign OSM samples do not).
    """
    if isinstance(source, str) and source.strip().lower() == "demo":
        return demo_network()
    G = read_network_file(source, _from_xml)
    if require_in_city:
        check_in_city(G, boundary_file=boundary_file)
    return G


def read_network_file(
    source: str | Path, read_xml: Callable[[Path], nx.MultiDiGraph]
) -> nx.MultiDiGraph:
    """Read, check and label a network file; OSM XML (and converted PBF) goes through ``read_xml``.

    :func:`load_network` reads with osmnx's defaults; :func:`geodata.pedestrian.load_walk_network`
    passes a reader that keeps the pedestrian tags.
    """
    path = Path(source).expanduser()
    suffix = _suffix(path)
    if suffix not in _SUFFIXES:
        raise InputError(
            Problem("network", str(source), "'demo' or a path ending in " + ", ".join(_SUFFIXES))
        )
    if not path.is_file():
        raise InputError(Problem("network", str(path), "an existing file"))
    if path.stat().st_size == 0:
        raise InputError(
            Problem("network", str(path), "a non-empty OSM/GraphML file (this one is 0 bytes)")
        )
    if suffix == ".graphml":
        G = _from_graphml(path)
        synthetic = str(G.graph.get("synthetic", "False")).lower() == "true"
    elif suffix in (".osm.pbf", ".pbf"):
        with tempfile.TemporaryDirectory() as tmp:
            xml = Path(tmp) / "network.osm"
            try:
                _pbf_to_xml(path, xml)
            except InputError:
                raise
            except Exception as exc:
                raise InputError(
                    Problem("network", str(path), f"a valid .osm.pbf file ({exc})")
                ) from None
            G = read_xml(xml)
        synthetic = False
    else:
        G = read_xml(path)
        synthetic = False
    G = _check_graph(G, str(path))
    _label(G, synthetic=synthetic, source=str(path))
    return G


def check_in_city(G: nx.MultiDiGraph, *, boundary_file: Path | str | None = None) -> None:
    """Raise :class:`InputError` unless some node of ``G`` lies inside the city outline."""
    if not overlaps_city(G, boundary_file=boundary_file):
        idx = graph_index(G)
        bounds = (
            float(idx.node_lon.min()), float(idx.node_lat.min()),
            float(idx.node_lon.max()), float(idx.node_lat.max()),
        )
        raise InputError(
            Problem(
                "network bounds",
                tuple(round(b, 4) for b in bounds),
                "a street network that overlaps Yangjiang (about lon 111.3-112.4, lat 21.5-22.7); "
                "this file covers another area. Download Yangjiang with "
                "`python -m audit network fetch` or supply the right extract",
            )
        )


def cache_dir_for(data_dir: Path | str) -> Path:
    """Where downloaded networks are cached: ``DATA_DIR/cache/networks``."""
    return Path(data_dir) / CACHE_SUBDIR


def cached_network_path(area: str, network_type: str, cache_dir: Path | str) -> Path:
    """Path of the cached GraphML for ``area`` (a district code or "city") and network type."""
    return Path(cache_dir) / f"osm_{area}_{network_type}.graphml"


def _probe(url: str, timeout_s: float) -> None:
    """Fail fast (within ``timeout_s``) when the host of ``url`` cannot be reached."""
    parsed = urlparse(url)
    host = parsed.hostname or ""
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    outcome: dict[str, BaseException | None] = {"error": None}

    def attempt() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout_s):
                pass
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(timeout_s + 0.5)
    error = outcome["error"]
    if thread.is_alive():
        error = TimeoutError(f"no answer within {timeout_s:.0f} s")
    if error is not None:
        raise NetworkUnavailable(
            f"cannot reach the OpenStreetMap download service {host}:{port} "
            f"({type(error).__name__}: {error}). Without internet, load a .osm/.osm.pbf/.graphml "
            "file instead (setting NETWORK_SOURCE=/path/to/file, or "
            "`python -m audit network info FILE`), or keep the synthetic demo network."
        )


def _area_polygon(area: str, boundary_file: Path | str | None) -> Any:
    if area == "city":
        return load_city_outline(boundary_file).geometry.iloc[0]
    districts = load_districts(boundary_file)
    row = districts[districts["adcode"] == area]
    if row.empty:
        raise InputError(Problem("district", area, f"'city' or one of {sorted(DISTRICTS)}"))
    return row.geometry.iloc[0]


def fetch_network(
    district: str = "city",
    network_type: str = "walk",
    cache_dir: Path | str | None = None,
    *,
    boundary_file: Path | str | None = None,
    refresh: bool = False,
    timeout_s: float = DOWNLOAD_TIMEOUT_S,
    probe_timeout_s: float = PROBE_TIMEOUT_S,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Download the OSM street network of a district (or the whole city) with osmnx and cache it.

    Returns the GraphML path. An existing cached file is reused unless ``refresh``. Without internet
    raises :class:`NetworkUnavailable` within about ``probe_timeout_s`` seconds. ``cache_dir`` is
    required: geodata reads no settings, the caller passes e.g. ``cache_dir_for(DATA_DIR)``.
    """
    import osmnx as ox

    say = progress or (lambda _msg: None)
    area = str(district).strip()
    problems = []
    if area != "city" and area not in DISTRICTS:
        problems.append(Problem("district", district, f"'city' or one of {sorted(DISTRICTS)}"))
    if network_type not in NETWORK_TYPES:
        problems.append(Problem("network_type", network_type, f"one of {NETWORK_TYPES}"))
    if cache_dir is None:
        problems.append(Problem("cache_dir", None, "the folder to cache the download in, e.g. "
                                "cache_dir_for(DATA_DIR)"))
    if problems:
        raise InputError(problems)
    assert cache_dir is not None
    out = cached_network_path(area, network_type, cache_dir)
    if out.is_file() and not refresh:
        say(f"cached network found: {out}")
        return out
    polygon = _area_polygon(area, boundary_file)
    say(f"checking {ox.settings.overpass_url} ...")
    _probe(ox.settings.overpass_url, probe_timeout_s)
    old_timeout = ox.settings.requests_timeout
    ox.settings.requests_timeout = timeout_s
    t0 = time.perf_counter()
    say(f"downloading the OSM '{network_type}' network of {area} with osmnx (may take minutes)...")
    try:
        G = ox.graph_from_polygon(polygon, network_type=network_type)
    except Exception as exc:
        raise NetworkUnavailable(
            f"the osmnx download failed ({type(exc).__name__}: {str(exc)[:300]}); try again later "
            "or load a local .osm/.osm.pbf file"
        ) from None
    finally:
        ox.settings.requests_timeout = old_timeout
    say(f"downloaded {G.number_of_nodes()} nodes, {G.number_of_edges()} edges "
        f"in {time.perf_counter() - t0:.0f} s")
    _label(G, synthetic=False, source=f"osmnx download {area} {network_type}")
    G.graph["area"] = area
    G.graph["network_type"] = network_type
    G.graph["downloaded_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".graphml.part")
    ox.save_graphml(G, tmp)
    tmp.replace(out)
    meta = {k: str(v) for k, v in G.graph.items()}
    out.with_suffix(".json").write_text(json.dumps(meta, ensure_ascii=False, indent=2), "utf-8")
    say(f"saved {out}")
    return out


def cached_networks(data_dir: Path | str) -> list[Path]:
    """Cached OSM downloads under the data directory (city first, then districts)."""
    folder = cache_dir_for(data_dir)
    if not folder.is_dir():
        return []
    files = sorted(folder.glob("osm_*.graphml"))
    return sorted(files, key=lambda p: (not p.name.startswith("osm_city_"), p.name))


def resolve_network(
    setting: str,
    data_dir: Path | str,
    *,
    boundary_file: Path | str | None = None,
) -> nx.MultiDiGraph:
    """The network the app should use for the ``network_source`` setting.

    ``"auto"``: the cached OSM download (the whole city if present, else all cached districts
    composed), otherwise the synthetic demo network. ``"demo"``: the demo network. Anything else is
    a path to a network file, which must overlap the city.
    """
    key = str(setting).strip()
    if key.lower() == "demo":
        return demo_network()
    if key.lower() == "auto":
        files = cached_networks(data_dir)
        if not files:
            return demo_network()
        city = [f for f in files if f.name.startswith("osm_city_")]
        chosen = city[:1] or files
        graphs = [load_network(f) for f in chosen]
        if len(graphs) == 1:
            G = graphs[0]
        else:
            import networkx as nx

            G = nx.compose_all(graphs)
        _label(G, synthetic=False, source=", ".join(str(f) for f in chosen))
        return G
    return load_network(key, require_in_city=True, boundary_file=boundary_file)


def network_info(G: nx.MultiDiGraph) -> dict[str, Any]:
    """Summary of a network for the CLI and the UI: size, street length, extent, label."""
    idx = graph_index(G)
    total_km = float(idx.edge_length[idx.undirected].sum()) / 1000.0
    named = float(np.mean(pd.notna(idx.edge_name))) if idx.edge_name.size else 0.0
    return {
        "nodes": G.number_of_nodes(),
        "edges": G.number_of_edges(),
        "street_length_km": round(total_km, 3),
        "named_edge_share": round(named, 3),
        "bounds": tuple(
            round(float(v), 5)
            for v in (idx.node_lon.min(), idx.node_lat.min(), idx.node_lon.max(),
                      idx.node_lat.max())
        ),
        "crs": G.graph.get("crs"),
        "synthetic": bool(G.graph.get("synthetic")),
        "source": G.graph.get("source"),
        "label_zh": G.graph.get("source_label_zh"),
        "label_en": G.graph.get("source_label_en"),
        "weakly_connected_components": _weak_components(G),
    }


def _weak_components(G: Any) -> int:
    count = getattr(G, "weakly_connected_components", None)
    if count is not None:  # a geodata.compact.CompactNetwork
        return int(count())
    import networkx as nx

    return int(nx.number_weakly_connected_components(G))


def demo_network() -> nx.MultiDiGraph:
    """The synthetic demo network (:func:`geodata.demo_network.demo_network`, imported on use)."""
    from geodata.demo_network import demo_network as build

    return build()


def edges_gdf(G: nx.MultiDiGraph) -> gpd.GeoDataFrame:
    """Edges for drawing: ``u, v, key, name, highway, length, geometry`` (EPSG:4326).

    Each two-way street appears once. ``attrs["source_label_zh"/"_en"]`` carry the network label.
    (For all OSM attributes use ``osmnx.graph_to_gdfs(G, nodes=False)``.)
    """
    idx = graph_index(G)
    m = idx.undirected
    gdf = gpd.GeoDataFrame(
        {
            "u": idx.node_ids[idx.edge_u[m]],
            "v": idx.node_ids[idx.edge_v[m]],
            "key": idx.edge_key[m],
            "name": idx.edge_name[m],
            "highway": idx.edge_highway[m],
            "length": idx.edge_length[m],
        },
        geometry=idx.edge_geom[m],
        crs=WGS84,
    )
    gdf.attrs.update(_attrs(G))
    return gdf


def nodes_gdf(G: nx.MultiDiGraph) -> gpd.GeoDataFrame:
    """Nodes for drawing: ``node, geometry`` (EPSG:4326), with the network label in ``attrs``."""
    import shapely

    idx = graph_index(G)
    gdf = gpd.GeoDataFrame(
        {"node": idx.node_ids},
        geometry=shapely.points(idx.node_lon, idx.node_lat),
        crs=WGS84,
    )
    gdf.attrs.update(_attrs(G))
    return gdf


def _attrs(G: nx.MultiDiGraph) -> dict[str, Any]:
    return {
        "synthetic": bool(G.graph.get("synthetic")),
        "source_label_zh": G.graph.get("source_label_zh", ""),
        "source_label_en": G.graph.get("source_label_en", ""),
    }


