"""Street network: demo, OSM XML/PBF/GraphML files, bad input, settings, offline download."""

from __future__ import annotations

import bz2
import time
from pathlib import Path

import networkx as nx
import numpy as np
import osmnx as ox
import pytest
import shapely
from conftest import data_path

import geodata
from audit.cli import main as cli_main
from audit.errors import InputError
from geodata import network
from geodata.demo_network import build_demo_network
from geodata.network import NetworkUnavailable, fetch_network, load_network, resolve_network

OAKLAND = ("osm", "West-Oakland.osm.bz2")
BAVARIA = ("osm", "planet_10.068_48.135_10.071_48.137.osm")


def _lengths_ok(G: nx.MultiDiGraph) -> bool:
    return all(np.isfinite(d["length"]) and d["length"] >= 0 for *_, d in G.edges(data=True))


def test_demo_network_is_synthetic_deterministic_and_inside_the_city() -> None:
    G = load_network("demo")
    assert G.graph["synthetic"] is True
    assert G.graph["source_label_zh"] == "演示路网（合成，非OSM）"
    assert G.graph["source_label_en"] == "synthetic demo network"
    assert G.graph["crs"] == "EPSG:4326"
    assert 3000 <= G.number_of_nodes() <= 20000
    assert nx.is_weakly_connected(G) and _lengths_ok(G)
    names = {d["name"] for *_, d in G.edges(data=True)}
    assert all(n.startswith("演示路 ") for n in names)
    again = build_demo_network()
    assert list(again.nodes(data=True))[:50] == list(G.nodes(data=True))[:50]
    assert again.number_of_edges() == G.number_of_edges()
    nodes = geodata.nodes_gdf(G)
    codes = geodata.district_of_many(nodes.geometry.x, nodes.geometry.y, outside="none")
    assert set(codes) == set(geodata.DISTRICTS)  # every node inside a district
    edges = geodata.edges_gdf(G)
    assert edges.attrs["synthetic"] and len(edges) * 2 == G.number_of_edges()
    # the stored length is the length of the drawn geometry (UTM scale factor ~0.9996)
    assert np.allclose(edges.to_crs(32649).length, edges["length"], rtol=1e-3)


@pytest.mark.parametrize("parts", [OAKLAND, BAVARIA])
def test_real_osm_xml_samples_load(parts: tuple[str, str]) -> None:
    G = load_network(data_path(*parts))
    assert G.number_of_nodes() >= 20 and _lengths_ok(G)
    assert G.graph["synthetic"] is False
    assert G.graph["source_label_en"] == "© OpenStreetMap contributors (ODbL)"
    info = network.network_info(G)
    assert info["named_edge_share"] > 0 and info["street_length_km"] > 0
    # a foreign network is refused where the app needs Yangjiang
    with pytest.raises(InputError, match="overlaps Yangjiang"):
        network.check_in_city(G)


def test_osm_pbf_is_converted(tmp_path: Path) -> None:
    osmium = pytest.importorskip("osmium", reason="reading .osm.pbf needs the osmium package")
    src = data_path(*BAVARIA)
    pbf = tmp_path / "bavaria.osm.pbf"
    writer = osmium.SimpleWriter(str(pbf))
    for obj in osmium.FileProcessor(str(src)):
        if isinstance(obj, osmium.osm.Node):
            writer.add_node(obj)
        elif isinstance(obj, osmium.osm.Way):
            writer.add_way(obj)
    writer.close()
    G = load_network(pbf)
    ref = load_network(src)
    assert G.number_of_nodes() == ref.number_of_nodes()
    assert G.number_of_edges() == ref.number_of_edges()


def test_graphml_round_trip_and_graphml_without_lengths(tmp_path: Path) -> None:
    G = load_network(data_path(*OAKLAND))
    good = tmp_path / "oakland.graphml"
    ox.save_graphml(G, good)
    again = load_network(good)
    assert again.number_of_edges() == G.number_of_edges() and not again.graph["synthetic"]
    for *_, d in G.edges(data=True):
        d.pop("length")
    bad = tmp_path / "nolength.graphml"
    ox.save_graphml(G, bad)
    with pytest.raises(InputError, match="add_edge_lengths"):
        load_network(bad)


def test_empty_corrupt_and_unknown_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.osm"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="0 bytes"):
        load_network(empty)
    corrupt = tmp_path / "corrupt.osm"
    corrupt.write_text("<osm><node id='1' lat='21.8'", "utf-8")
    with pytest.raises(InputError, match="empty, corrupt"):
        load_network(corrupt)
    nostreets = tmp_path / "nostreets.osm.bz2"
    nostreets.write_bytes(bz2.compress(b"<?xml version='1.0'?><osm version='0.6'></osm>"))
    with pytest.raises(InputError):
        load_network(nostreets)
    with pytest.raises(InputError, match="'demo' or a path"):
        load_network(tmp_path / "roads.shp")
    with pytest.raises(InputError, match="existing file"):
        load_network(tmp_path / "missing.graphml")


def test_resolve_network_setting(tmp_path: Path) -> None:
    assert resolve_network("auto", tmp_path).graph["synthetic"] is True
    assert resolve_network("demo", tmp_path).graph["synthetic"] is True
    foreign = data_path(*OAKLAND)
    with pytest.raises(InputError, match="overlaps Yangjiang"):
        resolve_network(str(foreign), tmp_path)
    # a cached download wins over the demo network in "auto"
    cache = network.cache_dir_for(tmp_path)
    cache.mkdir(parents=True)
    ox.save_graphml(load_network(foreign), network.cached_network_path("441702", "walk", cache))
    G = resolve_network("auto", tmp_path)
    assert G.graph["synthetic"] is False and G.number_of_nodes() == 47


def test_fetch_fails_fast_without_internet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a closed port on this machine: refused at once, no real network traffic
    monkeypatch.setattr(ox.settings, "overpass_url", "http://127.0.0.1:9/api")
    called: list[str] = []
    monkeypatch.setattr(ox, "graph_from_polygon", lambda *a, **k: called.append("x"))
    t0 = time.perf_counter()
    with pytest.raises(NetworkUnavailable, match="cannot reach"):
        fetch_network("441702", "walk", tmp_path, probe_timeout_s=2)
    assert time.perf_counter() - t0 < 10 and not called
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_fetch_caches_with_a_mocked_download(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sample = load_network(data_path(*OAKLAND))
    polygons: list[object] = []

    def fake(polygon: object, network_type: str) -> nx.MultiDiGraph:
        polygons.append(polygon)
        return sample.copy()

    monkeypatch.setattr(network, "_probe", lambda url, timeout: None)
    monkeypatch.setattr(ox, "graph_from_polygon", fake)
    path = fetch_network("441704", "walk", tmp_path)
    assert path.name == "osm_441704_walk.graphml" and path.is_file()
    assert shapely.contains_xy(polygons[0], 112.01, 21.88)  # the Yangdong polygon was used
    assert fetch_network("441704", "walk", tmp_path) == path and len(polygons) == 1
    with pytest.raises(InputError) as err:
        fetch_network("110101", "fly", tmp_path)
    assert len(err.value.problems) == 2


def test_cli_info_and_fetch(capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    assert cli_main(["network", "info", "demo"]) == 0
    assert "synthetic demo network" in capsys.readouterr().out
    assert cli_main(["network", "info", "/nonexistent/x.osm"]) == 2
    monkeypatch.setattr(ox.settings, "overpass_url", "http://127.0.0.1:9/api")
    monkeypatch.setenv("DATA_DIR", "/tmp/does-not-matter-network-test")
    from audit.settings import get_settings

    get_settings.cache_clear()
    try:
        assert cli_main(["network", "fetch", "--district", "441702"]) == 1
    finally:
        get_settings.cache_clear()
    assert "cannot reach" in capsys.readouterr().err
