"""Edge inclines from an elevation model (geodata.elevation, issue 14 §2), on synthetic GeoTIFFs.

The network is a tiny hand-written OSM file read by the real walk-network loader: six sidewalk
nodes on a 100 m grid in UTM 49N (Yangjiang, 111.98 E), every way its own edge:

    D ---- E ---- F        y = 200 m
    |             |
    A ---- B ---- C        y = 0
    x=0   100    200

The DEMs are planes or a bump written with rasterio, so the slope every edge must get is known
exactly (bilinear interpolation reproduces a plane; the tolerances are the projections').
"""

from __future__ import annotations

import builtins
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio  # the `dem` extra, also in `dev`: the tests never skip for lack of it
from affine import Affine
from pyproj import Geod

from audit.cli import main as cli_main
from audit.routes import describe_route_parts
from geodata import elevation
from geodata.compact import cache_dir_for, load_compact
from geodata.crs import metric_to_lonlat
from geodata.errors import InputError
from geodata.pedestrian import load_walk_network
from geodata.profiles import load_profiles
from geodata.routing import RoutingNetwork

X0, Y0 = 601_000.0, 2_418_000.0  # UTM 49N metres of node A
GRID = {"A": (0, 0), "B": (100, 0), "C": (200, 0), "D": (0, 200), "E": (100, 200),
        "F": (200, 200)}
IDS = {name: 1000 + i for i, name in enumerate(GRID)}
WAYS = [("A", "B"), ("B", "C"), ("A", "D"), ("D", "E"), ("E", "F"), ("F", "C")]
NODATA = -9999.0


def from_origin(west: float, north: float, xsize: float, ysize: float) -> Affine:
    """The north-up transform of a raster whose top-left corner is (west, north)."""
    return Affine(xsize, 0.0, west, 0.0, -ysize, north)


def _lonlat(name: str) -> tuple[float, float]:
    dx, dy = GRID[name]
    lon, lat = metric_to_lonlat([X0 + dx], [Y0 + dy])
    return float(lon[0]), float(lat[0])


def _write_osm(path: Path, extra: dict[tuple[str, str], dict[str, str]] | None = None) -> Path:
    extra = extra or {}
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for name in GRID:
        lon, lat = _lonlat(name)
        lines.append(f'<node id="{IDS[name]}" version="1" lat="{lat:.8f}" lon="{lon:.8f}"/>')
    for i, (a, b) in enumerate(WAYS):
        tags = {"highway": "footway", "footway": "sidewalk", **extra.get((a, b), {})}
        lines.append(f'<way id="{2000 + i}" version="1">')
        lines += [f'<nd ref="{IDS[a]}"/>', f'<nd ref="{IDS[b]}"/>']
        lines += [f'<tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("</way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines), "utf-8")
    return path


def _write_utm(path: Path, z_of: Any, *, pixel: float = 5.0, crs: str | None = "EPSG:32649",
               nodata_box: tuple[float, float, float, float] | None = None) -> Path:
    """A GeoTIFF over the grid (plus 100 m) with height ``z_of(dx, dy)`` (metres from node A)."""
    west, north = X0 - 100.0, Y0 + 300.0
    w = h = int(400 / pixel)
    dx = west + (np.arange(w) + 0.5) * pixel - X0
    dy = north - (np.arange(h) + 0.5) * pixel - Y0
    gx, gy = np.meshgrid(dx, dy)
    z = np.asarray(z_of(gx, gy), dtype="float32")
    if nodata_box is not None:
        x1, x2, y1, y2 = nodata_box
        z[(gx >= x1) & (gx <= x2) & (gy >= y1) & (gy <= y2)] = NODATA
    profile: dict[str, Any] = {"driver": "GTiff", "width": w, "height": h, "count": 1,
                               "dtype": "float32", "nodata": NODATA,
                               "transform": from_origin(west, north, pixel, pixel)}
    if crs:
        profile["crs"] = crs
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(z, 1)
    return path


def _edge_slopes(G: Any) -> dict[tuple[str, str], tuple[float, str]]:
    """(from, to) node names -> (incline %, source), for every directed edge."""
    pct, source = elevation.edge_inclines(G)
    names = {v: k for k, v in IDS.items()}
    from geodata.graphindex import graph_index

    idx = graph_index(G)
    out = {}
    for e in range(len(idx.edge_u)):
        a = names[idx.node_ids[idx.edge_u[e]]]
        b = names[idx.node_ids[idx.edge_v[e]]]
        out[(a, b)] = (float(pct[e]), str(source[e]))
    return out


@pytest.fixture(scope="module")
def osm_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write_osm(tmp_path_factory.mktemp("dem-osm") / "grid.osm")


@pytest.fixture(scope="module")
def plane_utm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """10 % rising eastward, UTM 49N, 5 m pixels."""
    return _write_utm(tmp_path_factory.mktemp("dem") / "plane.tif", lambda x, y: 50 + 0.1 * x)


def test_plane_in_utm_gives_ten_percent_east_west_and_flat_north_south(osm_file, plane_utm):
    G = load_walk_network(osm_file)
    info = elevation.add_dem_inclines(G, plane_utm)
    assert info.pixel_m == pytest.approx(5.0, abs=0.05) and info.spacing_m == 10.0
    assert info.edges == 12 and G.graph["dem_sha256"] == elevation.file_sha256(plane_utm)
    got = _edge_slopes(G)
    for a, b in [("A", "B"), ("B", "C"), ("D", "E"), ("E", "F")]:
        assert got[(a, b)] == (pytest.approx(10.0, abs=0.05), "dem")
        assert got[(b, a)] == (pytest.approx(10.0, abs=0.05), "dem")  # absolute, both ways
    for a, b in [("A", "D"), ("F", "C")]:
        assert got[(a, b)] == (pytest.approx(0.0, abs=0.05), "dem")


def test_plane_in_wgs84_degrees(osm_file, tmp_path):
    """A DEM in EPSG:4326 (pixels in degrees): the grid's 'east' is UTM grid east, 0.37° off
    true east at 111.98 E, so north-south edges may read up to 0.1 × sin(0.37°) ≈ 0.07 %."""
    lon_a, lat_a = _lonlat("A")
    m_per_deg = Geod(ellps="WGS84").inv(lon_a, lat_a, lon_a + 0.01, lat_a)[2] / 0.01
    pixel = 0.00005  # about 5 m
    west, north = lon_a - 0.002, lat_a + 0.004
    w, h = 120, 140
    lon = west + (np.arange(w) + 0.5) * pixel
    z = np.tile(0.1 * (lon - lon_a) * m_per_deg, (h, 1)).astype("float32")
    path = tmp_path / "plane4326.tif"
    with rasterio.open(path, "w", driver="GTiff", width=w, height=h, count=1, dtype="float32",
                       crs="EPSG:4326", transform=from_origin(west, north, pixel, pixel)) as ds:
        ds.write(z, 1)
    G = load_walk_network(osm_file)
    info = elevation.add_dem_inclines(G, path)
    assert info.pixel_m == pytest.approx(5.7, abs=0.5)  # 0.00005° of latitude ≈ 5.5 m
    got = _edge_slopes(G)
    assert got[("A", "B")] == (pytest.approx(10.0, abs=0.1), "dem")
    assert got[("A", "D")] == (pytest.approx(0.0, abs=0.1), "dem")


def test_steepest_part_counts_not_the_end_to_end_grade(osm_file, tmp_path):
    """A ridge at x = 50 m: A-B climbs 6 m and falls again (end-to-end 0 %), 12 % each side."""
    dem = _write_utm(tmp_path / "ridge.tif", lambda x, y: 6 - 0.12 * np.abs(x - 50))
    G = load_walk_network(osm_file)
    elevation.add_dem_inclines(G, dem)
    assert _edge_slopes(G)[("A", "B")][0] == pytest.approx(12.0, abs=0.6)


def test_nodata_and_outside_are_unknown_never_guessed(osm_file, tmp_path):
    # a hole of nodata pixels on B-C only; A-B keeps its slope
    dem = _write_utm(tmp_path / "hole.tif", lambda x, y: 0.1 * x,
                     nodata_box=(140, 160, -10, 10))
    G = load_walk_network(osm_file)
    elevation.add_dem_inclines(G, dem)
    got = _edge_slopes(G)
    assert got[("B", "C")][1] == "unknown" and np.isnan(got[("B", "C")][0])
    assert got[("A", "B")] == (pytest.approx(10.0, abs=0.05), "dem")
    # a DEM covering only the west half: edges reaching beyond it are unknown
    west = tmp_path / "west.tif"
    with rasterio.open(west, "w", driver="GTiff", width=30, height=80, count=1,
                       dtype="float32", crs="EPSG:32649",
                       transform=from_origin(X0 - 100, Y0 + 300, 5, 5)) as ds:
        ds.write(np.zeros((80, 30), dtype="float32"), 1)  # x from -100 to +50 m
    G2 = load_walk_network(osm_file)
    elevation.add_dem_inclines(G2, west)
    got2 = _edge_slopes(G2)
    assert got2[("A", "B")][1] == "unknown" and got2[("B", "C")][1] == "unknown"
    assert got2[("A", "D")] == (0.0, "dem")


def test_osm_tag_wins_and_bridges_and_tunnels_get_no_dem_slope(tmp_path, plane_utm):
    osm = _write_osm(tmp_path / "tagged.osm", {
        ("A", "B"): {"incline": "3%"},
        ("B", "C"): {"bridge": "yes"},
        ("E", "F"): {"tunnel": "yes", "incline": "up"},  # "up" states no slope
        ("D", "E"): {"bridge": "no"},
    })
    G = load_walk_network(osm)
    elevation.add_dem_inclines(G, plane_utm)
    got = _edge_slopes(G)
    assert got[("A", "B")] == (3.0, "osm") and got[("B", "A")] == (3.0, "osm")
    assert got[("B", "C")][1] == "unknown" and got[("E", "F")][1] == "unknown"
    assert got[("D", "E")] == (pytest.approx(10.0, abs=0.05), "dem")
    # a route over the bridge: its length is unknown although a DEM is loaded, and says why
    wheel = load_profiles()["manual_wheelchair"]
    r = RoutingNetwork(G).route(wheel, _lonlat("A"), _lonlat("C"))
    assert r.found and r.length_m == pytest.approx(200, abs=1)
    assert r.incline_unknown_m == pytest.approx(100, abs=1) and r.incline_dem_m == 0
    text = " ".join(x for x, _ in describe_route_parts(r, wheel, "en", origin="A",
                                                      destination="C"))
    assert "the elevation model has no data there or the way is a bridge or tunnel" in text
    assert "no elevation model is loaded" not in text


def test_elevators_get_no_dem_slope_in_the_graph_and_in_the_compact_network(tmp_path,
                                                                            plane_utm):
    """An elevator's ends lie at different heights by design: no DEM slope for it, whether the
    DEM is added to the osmnx graph or to the compact network the app and CLI build (whose
    ``highway`` lives in its index, not among its tag columns)."""
    from geodata.compact import CompactNetwork

    osm = _write_osm(tmp_path / "lift.osm", {("B", "C"): {"highway": "elevator"}})
    G = load_walk_network(osm)
    net = CompactNetwork.from_graph(G)
    elevation.add_dem_inclines(G, plane_utm)
    elevation.add_dem_inclines(net, plane_utm)
    for got in (_edge_slopes(G), _edge_slopes(net)):
        assert got[("B", "C")][1] == "unknown" and got[("C", "B")][1] == "unknown"
        assert got[("A", "B")] == (pytest.approx(10.0, abs=0.05), "dem")


def test_wheelchair_route_avoids_a_steep_dem_edge_and_says_so(osm_file, tmp_path):
    """A 12 % bump on A-B-C (the direct 200 m) and flat elsewhere: with the DEM the manual
    wheelchair goes round (600 m, all judged from the DEM); without it, it goes straight and
    the whole length is incline unknown."""
    dem = _write_utm(tmp_path / "bump.tif",
                     lambda x, y: np.where(np.abs(y) < 60, np.clip(12 - 0.12 * np.abs(x - 100),
                                                                   0, None), 0.0))
    profile = load_profiles()["manual_wheelchair"]
    a, c = _lonlat("A"), _lonlat("C")
    plain = RoutingNetwork(load_walk_network(osm_file)).route(profile, a, c)
    assert plain.found and plain.length_m == pytest.approx(200, abs=1)
    assert plain.incline_unknown_m == pytest.approx(200, abs=1) and plain.incline_dem_m == 0
    assert plain.dem is None
    G = load_walk_network(osm_file)
    elevation.add_dem_inclines(G, dem)
    r = RoutingNetwork(G).route(profile, a, c)
    assert r.found and r.length_m == pytest.approx(600, abs=2)
    assert r.incline_dem_m == pytest.approx(r.length_m) and r.incline_unknown_m == 0
    assert r.extra_m == pytest.approx(400, abs=2)
    assert {h.rule_id for h in r.avoided} == {"too_steep"}
    text = " ".join(x for x, _ in describe_route_parts(r, profile, "en", origin="A",
                                                      destination="C"))
    assert f"The incline of {r.length_m:.0f} m of the route is taken from the elevation model " \
        "(grid about 5 m)" in text
    zh = " ".join(x for x, _ in describe_route_parts(r, profile, "zh-Hans", origin="A",
                                                    destination="C"))
    assert "高程模型" in zh
    plain_text = " ".join(x for x, _ in describe_route_parts(plain, profile, "en", origin="A",
                                                            destination="C"))
    assert "no elevation model is loaded" in plain_text


@pytest.mark.parametrize("case", ["not_tiff", "other_driver", "no_crs", "missing", "too_large",
                                  "no_rasterio", "no_overlap"])
def test_bad_dem_names_the_field_and_caches_nothing(case, osm_file, plane_utm, tmp_path,
                                                    monkeypatch):
    cache = tmp_path / "cache"
    dem: Path = tmp_path / "dem.tif"
    allowed = "GeoTIFF"
    if case == "not_tiff":
        dem.write_text("this is not a raster", "utf-8")
    elif case == "other_driver":
        dem = tmp_path / "dem.asc"
        dem.write_text("ncols 2\nnrows 2\nxllcorner 0\nyllcorner 0\ncellsize 1\n1 2\n3 4\n")
        allowed = "AAIGrid"
    elif case == "no_crs":
        _write_utm(dem, lambda x, y: 0.1 * x, crs=None)
        allowed = "no CRS"
    elif case == "missing":
        dem = tmp_path / "nowhere.tif"
        allowed = "an existing GeoTIFF file"
    elif case == "too_large":
        dem = plane_utm
        monkeypatch.setattr(elevation, "MAX_WINDOW_CELLS", 1000)
        allowed = "more than 1,000"
    elif case == "no_rasterio":
        dem = plane_utm
        real_import = builtins.__import__

        def no_rasterio(name: str, *args: Any, **kwargs: Any) -> Any:
            if name == "rasterio" or name.startswith("rasterio."):
                raise ImportError("No module named 'rasterio'")
            return real_import(name, *args, **kwargs)

        monkeypatch.delitem(sys.modules, "rasterio", raising=False)
        monkeypatch.setattr(builtins, "__import__", no_rasterio)
        allowed = "pip install '.[dem]'"
    elif case == "no_overlap":
        with rasterio.open(dem, "w", driver="GTiff", width=10, height=10, count=1,
                           dtype="float32", crs="EPSG:32649",
                           transform=from_origin(X0 + 50_000, Y0, 5, 5)) as ds:
            ds.write(np.zeros((10, 10), dtype="float32"), 1)
        allowed = "does not overlap"
    with pytest.raises(InputError) as err:
        load_compact(osm_file, cache, kind="walk", dem=dem)
    problem = err.value.problems[0]
    assert problem.field == "dem_file" and problem.value == str(dem)
    assert allowed in problem.allowed
    assert not list(cache_dir_for(cache).glob("*.npz")) if cache.exists() else True


def test_compact_cache_is_keyed_by_the_dem(osm_file, plane_utm, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    plain = load_compact(osm_file, cache, kind="walk")
    assert {s for _, s in _edge_slopes(plain).values()} == {"unknown"}
    dem = tmp_path / "dem.tif"
    _write_utm(dem, lambda x, y: 0.1 * x)
    ten = load_compact(osm_file, cache, kind="walk", dem=dem)
    assert _edge_slopes(ten)[("A", "B")] == (pytest.approx(10.0, abs=0.05), "dem")
    assert ten.graph["dem_name"] == "dem.tif"
    _write_utm(dem, lambda x, y: 0.05 * x)  # the same file name, another DEM: rebuilt
    five = load_compact(osm_file, cache, kind="walk", dem=dem)
    assert _edge_slopes(five)[("A", "B")] == (pytest.approx(5.0, abs=0.05), "dem")
    assert len(list(cache_dir_for(cache).glob("walk-*.npz"))) == 3
    # a second load reads the file (the DEM is not read again)
    monkeypatch.setattr(elevation, "dem_slopes", lambda *a, **k: pytest.fail("DEM re-read"))
    again = load_compact(osm_file, cache, kind="walk", dem=dem)
    assert _edge_slopes(again) == _edge_slopes(five)
    assert again.graph["dem_sha256"] == elevation.file_sha256(dem)
    # the route network reads the DEM slopes of a compact network as of a graph
    r = RoutingNetwork(again).route(load_profiles()["manual_wheelchair"], _lonlat("A"),
                                    _lonlat("C"))
    assert r.incline_dem_m == pytest.approx(r.length_m) and r.dem is not None


def test_cli_compact_dem_option(osm_file, plane_utm, tmp_path, monkeypatch, capsys):
    from audit.settings import get_settings

    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DEM_FILE", "")
    get_settings.cache_clear()
    try:
        assert cli_main(["network", "compact", str(osm_file), "--dem", str(plane_utm)]) == 0
        out = capsys.readouterr().out
        assert "inclines from the elevation model plane.tif" in out and "12 of 12 edges" in out
        bad = tmp_path / "bad.tif"
        bad.write_text("no", "utf-8")
        assert cli_main(["network", "compact", str(osm_file), "--dem", str(bad)]) == 2
        assert "dem_file" in capsys.readouterr().err
        monkeypatch.setenv("DEM_FILE", str(plane_utm))  # the setting, when no option is given
        get_settings.cache_clear()
        assert cli_main(["network", "compact", str(osm_file), "--walk"]) == 0
        assert "plane.tif" in capsys.readouterr().out
        # the route command reads a DEM too: north along A-D is flat on the plane
        (lon_a, lat_a), (lon_d, lat_d) = _lonlat("A"), _lonlat("D")
        assert cli_main(["route", "--profile", "manual_wheelchair", "--network", str(osm_file),
                         "--from", f"{lon_a:.7f},{lat_a:.7f}", "--to", f"{lon_d:.7f},{lat_d:.7f}",
                         "--dem", str(plane_utm), "--lang", "en"]) == 0
        assert "taken from the elevation model (grid about 5 m)" in capsys.readouterr().out
        assert cli_main(["route", "--profile", "manual_wheelchair", "--network", str(osm_file),
                         "--from", f"{lon_a:.7f},{lat_a:.7f}", "--to", f"{lon_d:.7f},{lat_d:.7f}",
                         "--dem", str(plane_utm), "--json"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert data["dem"] == "plane.tif" and data["incline_unknown_m"] == 0
        assert data["incline_dem_m"] == pytest.approx(data["length_m"], abs=0.1)
    finally:
        get_settings.cache_clear()
