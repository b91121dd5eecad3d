"""The compact network (geodata.compact): same answers as the networkx graph, one cache file.

The networkx graph loaded by geodata.network / geodata.pedestrian is the oracle: snapping,
coverage, network elements and routes on the compact form must be identical.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import data_path

from geodata.compact import CompactNetwork, cache_dir_for, load_compact, resolve_compact
from geodata.coverage import network_coverage
from geodata.districts import load_districts
from geodata.errors import InputError
from geodata.network import load_network, network_info
from geodata.pedestrian import load_walk_network, network_elements
from geodata.profiles import load_profiles
from geodata.routing import RoutingNetwork
from geodata.snap import snap_points

REPO = Path(__file__).resolve().parent.parent
OSM_FILES = (("osm", "West-Oakland.osm.bz2"), ("osm", "planet_10.068_48.135_10.071_48.137.osm"))


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("compact-cache")


def _points(net: CompactNetwork, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    pick = rng.choice(net.number_of_nodes(), n)
    lon = net.index.node_lon[pick] + rng.normal(0, 4e-4, n)
    lat = net.index.node_lat[pick] + rng.normal(0, 4e-4, n)
    return lon, lat


def _files(cache: Path, kind: str) -> list[Path]:
    return sorted(cache_dir_for(cache).glob(f"{kind}-*.npz"))


@pytest.mark.parametrize("source", ["demo", *OSM_FILES], ids=["demo", "oakland", "planet"])
def test_snapping_and_coverage_match_the_graph(cache: Path, source: str | tuple[str, str]) -> None:
    src = source if isinstance(source, str) else str(data_path(*source))
    G = load_network(src)
    built = load_compact(src, cache)
    cached = load_compact(src, cache)  # read back from the file
    assert cached is not built
    for net in (built, cached):
        assert (net.number_of_nodes(), net.number_of_edges()) == (
            G.number_of_nodes(), G.number_of_edges())
        lon, lat = _points(net, 300, 7)
        pd.testing.assert_frame_equal(snap_points(net, lon, lat), snap_points(G, lon, lat))
        districts = load_districts()
        ours = network_coverage(net, lon[:25], lat[:25], districts, (100.0, 300.0))
        ref = network_coverage(G, lon[:25], lat[:25], districts, (100.0, 300.0))
        np.testing.assert_array_equal(ours.node_distance_m.to_numpy(), ref.node_distance_m)
        assert list(ours.node_distance_m.index) == list(ref.node_distance_m.index)
        pd.testing.assert_frame_equal(
            pd.DataFrame(ours.by_district.drop(columns="geometry")),
            pd.DataFrame(ref.by_district.drop(columns="geometry")))
        pd.testing.assert_frame_equal(
            pd.DataFrame(ours.gaps.drop(columns="geometry")),
            pd.DataFrame(ref.gaps.drop(columns="geometry")))
        assert ours.gaps.geometry.geom_equals_exact(ref.gaps.geometry, 0.0).all()
        assert ours.attrs == ref.attrs
        assert net.graph["provenance"] == G.graph["provenance"]
        assert network_info(net) == network_info(G)


def test_csr_adjacency_holds_every_edge_with_its_length(cache: Path) -> None:
    net = load_compact(str(data_path(*OSM_FILES[0])), cache)
    G = load_network(data_path(*OSM_FILES[0]))
    A = net.adjacency()
    idx = net.index
    assert A.nnz == G.number_of_edges()
    pos = {n: i for i, n in enumerate(idx.node_ids)}
    for u, v, d in G.edges(data=True):
        row = slice(net.indptr[pos[u]], net.indptr[pos[u] + 1])
        assert d["length"] in A.data[row][A.indices[row] == pos[v]]


def test_edge_tag_pairs_match_the_per_edge_dicts(cache: Path) -> None:
    """The demo's street names -> English names, read from the categorical columns, equal the
    pairs of the per-edge tag dicts (each name has one English name there)."""
    net = load_compact("demo", cache)
    dicts = net.edge_tag_dicts(("name", "name_en"))
    expected = {d["name"]: d["name_en"] for d in dicts if d.get("name") and d.get("name_en")}
    assert expected and net.edge_tag_pairs("name", "name_en") == expected
    assert net.edge_tag_pairs("name", "no_such_tag") == {}


def test_walk_network_elements_and_routes_match_the_graph(cache: Path) -> None:
    W = load_walk_network("demo")
    net = load_compact("demo", cache, kind="walk")
    net = load_compact("demo", cache, kind="walk")  # from the file
    ours, ref = network_elements(net), network_elements(W)
    pd.testing.assert_frame_equal(ours, ref)
    assert "sidewalk" in net.edge_tags and "crossing" in net.node_tags
    assert isinstance(net.edge_tags["sidewalk"], pd.Categorical)
    a, b = RoutingNetwork(net), RoutingNetwork(W)
    lon, lat = _points(net, 4, 3)
    for profile in load_profiles().values():
        for i in (0, 2):
            ends = ((lon[i], lat[i]), (lon[i + 1], lat[i + 1]))
            assert a.route(profile, *ends) == b.route(profile, *ends)


def test_cached_load_snapping_coverage_and_layer_never_import_networkx(cache: Path) -> None:
    src = str(data_path(*OSM_FILES[1]))
    load_compact(src, cache)
    code = (
        "import sys\nfrom geodata.compact import load_compact\n"
        f"net = load_compact({src!r}, {str(cache)!r})\n"
        "from geodata.snap import snap_points\nfrom geodata.coverage import network_coverage\n"
        "from geodata.districts import load_districts\nfrom geodata.network import edges_gdf\n"
        "from ui.map.network import network_layer\n"
        "lon, lat = net.index.node_lon[:5], net.index.node_lat[:5]\n"
        "assert snap_points(net, lon, lat)['snapped'].all()\n"
        "network_coverage(net, lon, lat, load_districts())\n"
        "assert network_layer(edges_gdf(net)).vertices > 0\n"
        "print(net.number_of_nodes())\n"
        "heavy = sorted(m for m in ('networkx', 'osmnx') if m in sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.split()[-1]) == load_network(src).number_of_nodes()


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]), "unreadable"),
        (lambda p: p.write_bytes(b"not a zip file"), "unreadable"),
        (lambda p: p.write_bytes(b""), "unreadable"),
    ],
    ids=["truncated", "garbage", "empty"],
)
def test_a_damaged_cache_file_is_rebuilt_with_a_logged_reason(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: object, reason: str
) -> None:
    src = tmp_path / "oakland.osm.bz2"
    shutil.copy(data_path(*OSM_FILES[0]), src)
    first = load_compact(src, tmp_path)
    (path,) = _files(tmp_path, "network")
    damage(path)  # type: ignore[operator]
    with caplog.at_level(logging.WARNING, logger="yangjiang_a11y.geodata.compact"):
        again = load_compact(src, tmp_path)
    assert any(reason in r.getMessage() and str(path) in r.getMessage() for r in caplog.records)
    assert again.number_of_nodes() == first.number_of_nodes()
    # the rebuilt file is whole again: the next load reads it without a warning
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="yangjiang_a11y.geodata.compact"):
        load_compact(src, tmp_path)
    assert not caplog.records


def test_inconsistent_arrays_and_a_foreign_file_are_rebuilt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    a = tmp_path / "a.osm.bz2"
    b = tmp_path / "b.osm"
    shutil.copy(data_path(*OSM_FILES[0]), a)
    shutil.copy(data_path(*OSM_FILES[1]), b)
    net_a = load_compact(a, tmp_path)
    net_b = load_compact(b, tmp_path)
    path_a, path_b = _files(tmp_path, "network")
    if CompactNetwork.load(path_a).number_of_nodes() != net_a.number_of_nodes():
        path_a, path_b = path_b, path_a
    # the file of b under a's name: written for another source
    shutil.copy(path_b, path_a)
    with caplog.at_level(logging.WARNING, logger="yangjiang_a11y.geodata.compact"):
        assert load_compact(a, tmp_path).number_of_nodes() == net_a.number_of_nodes()
    assert any("another source" in r.getMessage() for r in caplog.records)
    # an edge pointing past the last node
    with np.load(path_b) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["edge_v"] = arrays["edge_v"].copy()
    arrays["edge_v"][0] = 10**6
    with path_b.open("wb") as fh:
        np.savez(fh, **arrays)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="yangjiang_a11y.geodata.compact"):
        assert load_compact(b, tmp_path).number_of_nodes() == net_b.number_of_nodes()
    assert any("refers to a node that is not there" in r.getMessage() for r in caplog.records)


def test_a_changed_source_gets_a_new_cache_file(tmp_path: Path) -> None:
    src = tmp_path / "net.osm"
    shutil.copy(data_path(*OSM_FILES[1]), src)
    one = load_compact(src, tmp_path)
    text = src.read_text("utf-8")
    src.write_text(text.replace("</osm>", "<!-- edited -->\n</osm>"), "utf-8")
    two = load_compact(src, tmp_path)
    assert len(_files(tmp_path, "network")) == 2
    assert two.number_of_nodes() == one.number_of_nodes()


def test_bad_sources_name_the_field_and_value(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="network") as err:
        load_compact(tmp_path / "missing.osm", tmp_path)
    assert "missing.osm" in str(err.value)
    bad = tmp_path / "streets.txt"
    bad.write_text("x", "utf-8")
    with pytest.raises(InputError, match=r"streets\.txt"):
        load_compact(bad, tmp_path)
    empty = tmp_path / "empty.osm"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="0 bytes"):
        load_compact(empty, tmp_path)
    assert not _files(tmp_path, "network")  # nothing cached for a source that failed
    # a file outside Yangjiang is refused where the setting requires the city
    with pytest.raises(InputError, match="network bounds"):
        resolve_compact(str(data_path(*OSM_FILES[0])), tmp_path, tmp_path)


def test_cli_builds_the_file_the_app_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from audit.cli import main as cli_main
    from audit.settings import get_settings

    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("NETWORK_SOURCE", "demo")
    get_settings.cache_clear()
    try:
        assert cli_main(["network", "compact"]) == 0
        assert cli_main(["network", "compact", "--walk"]) == 0
        cache_root = get_settings().cache_dir
    finally:
        get_settings.cache_clear()
    out = capsys.readouterr().out
    assert "nodes" in out and "synthetic" in out
    assert len(_files(cache_root, "network")) == 1 and len(_files(cache_root, "walk")) == 1
    assert CompactNetwork.load(_files(cache_root, "network")[0]).graph["synthetic"] is True


HEAVY = ("matplotlib", "pyxform", "osmnx", "networkx", "scipy.optimize", "PIL", "pyogrio")


def test_the_app_and_its_pages_import_no_heavy_library() -> None:
    """Importing streamlit_app's modules and every page's imports, and reading the boundaries,
    loads none of HEAVY: they load where they are used (page bodies are not run: they need a
    Streamlit session)."""
    pages = [REPO / "streamlit_app.py", *sorted((REPO / "ui" / "pages").glob("*.py"))]
    code = (
        "import ast, sys\n"
        f"for page in {[str(p) for p in pages]!r}:\n"
        "    tree = ast.parse(open(page, encoding='utf-8').read())\n"
        "    for node in tree.body:\n"
        "        if isinstance(node, (ast.Import, ast.ImportFrom)):\n"
        "            exec(compile(ast.Module([node], []), page, 'exec'), {})\n"
        "import ui.cache, ui.map, ui.map.network\n"
        "import geodata\ngeodata.load_districts(); geodata.load_towns()\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                          check=False, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_plain_geojson_reader_matches_geopandas(tmp_path: Path) -> None:
    """The boundaries are read without GDAL; the result equals geopandas.read_file's, and a
    file it does not take (another CRS declared, not JSON) goes to geopandas as before."""
    import json

    import geopandas as gpd

    from geodata import districts, registry

    for path in (districts._bundled_path(), Path(registry.path_of("towns"))):
        ours = districts._read_plain_geojson(Path(path))
        ref = gpd.read_file(path)
        assert ours is not None and ours.crs == ref.crs
        assert sorted(ours.columns) == sorted(ref.columns)
        for col in ref.columns.drop("geometry"):
            assert ours[col].astype(str).tolist() == ref[col].astype(str).tolist(), col
        assert ours.geometry.geom_equals_exact(ref.geometry, 0.0).all()
    data = json.loads(Path(districts._bundled_path()).read_text("utf-8"))
    data["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32649"}}
    projected = tmp_path / "projected.geojson"
    projected.write_text(json.dumps(data), "utf-8")
    assert districts._read_plain_geojson(projected) is None
    broken = tmp_path / "broken.geojson"
    broken.write_text("{not json", "utf-8")
    assert districts._read_plain_geojson(broken) is None
    with pytest.raises(InputError, match="readable GeoJSON"):
        districts.load_districts(broken)
