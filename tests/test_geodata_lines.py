"""geodata.lines: merging, ranking and thinning street lines (pure geometry, no map code)."""

from __future__ import annotations

import hashlib
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, box

import geodata
from geodata.crs import METRIC_CRS
from geodata.lines import (
    HIGHWAY_RANKS,
    edges_in_districts,
    highway_rank,
    merge_lines,
    merge_simplified,
    merge_within,
    thin_to_cap,
)
from geodata.network import load_network

#: The map's settings (ui.map.network): fine / coarse tolerance (degrees), decimals, vertex cap.
FINE_DEG = 5e-5
COARSE_DEG = 2e-4
DECIMALS = 5
MAP_CAP = 32_000
#: A cap that forces the demo network to be thinned.
THIN_CAP = 5_000
#: A line counts as kept when it lies within this distance (degrees, ~30 m) of the result.
KEPT_WITHIN_DEG = 3e-4
#: Coordinates are rounded to 1e-5°: a drawn line lies within this of its input.
ROUNDING_DEG = 1e-5

#: (vertices, parts, sha256 of WKB) of what ui/mapview.py drew for the demo network before the
#: geometry moved to geodata (commit 2c0047e): ``_merged_within(edges, 32_000)``,
#: ``_thinned(edges, ranks, 5_000)`` and the coverage gaps' plain ``line_merge``.
BEFORE_MERGED = (30567, 14410, "b6934ec3233c061cd33cd03fc3d381203cfc7ba0f7595f94d337f3e55e0487ab")
BEFORE_THINNED = (3215, 1115, "2a1deb5b3ad180bad289352915f6a983a927533c89487986f6902e277e72cd7d")
BEFORE_PLAIN = (30704, 14410, "0ff8ebcead9965524a1c250f5f2e29e028ed7e87bc697cda9c06df221db84bf9")


@pytest.fixture(scope="module")
def demo_edges() -> gpd.GeoDataFrame:
    return geodata.edges_gdf(load_network("demo"))


def _fingerprint(geom: object) -> tuple[int, int, str]:
    return (
        int(shapely.get_num_coordinates(geom)),
        int(shapely.get_num_geometries(geom)),
        hashlib.sha256(shapely.to_wkb(geom)).hexdigest(),
    )


def _lines(*coords: list[tuple[float, float]]) -> np.ndarray:
    return np.array([LineString(c) for c in coords], dtype=object)


def _zigzag(x0: float, y0: float, n: int, step: float = 2**-7) -> list[tuple[float, float]]:
    """``n`` vertices with ~0.008° teeth: none is dropped by a 2e-4° simplification (a binary
    step keeps the lengths of equal zigzags exactly equal)."""
    return [(x0 + i * step, y0 + (step if i % 2 else 0.0)) for i in range(n)]


# --- same geometry as the map drew before -------------------------------------------------


def test_demo_network_merges_to_the_previous_geometry(demo_edges: gpd.GeoDataFrame) -> None:
    geoms = demo_edges.geometry.to_numpy()
    assert _fingerprint(merge_lines(geoms)) == BEFORE_PLAIN
    assert _fingerprint(merge_within(geoms, MAP_CAP, FINE_DEG, DECIMALS)) == BEFORE_MERGED


def test_demo_network_thins_to_the_previous_geometry(demo_edges: gpd.GeoDataFrame) -> None:
    ranks = highway_rank(demo_edges["highway"])
    thinned = thin_to_cap(demo_edges.geometry.to_numpy(), ranks, THIN_CAP, COARSE_DEG, DECIMALS)
    assert _fingerprint(thinned) == BEFORE_THINNED


# --- merging -------------------------------------------------------------------------------


def test_merge_covers_exactly_the_input_lines(demo_edges: gpd.GeoDataFrame) -> None:
    geoms = demo_edges.geometry.to_numpy()[:1500]
    merged = merge_lines(geoms)
    assert shapely.equals(merged, shapely.multilinestrings(geoms))
    assert shapely.get_num_geometries(merged) < len(geoms)


def test_lines_meeting_end_to_end_become_one() -> None:
    merged = merge_lines(_lines([(0, 0), (1, 0)], [(1, 0), (2, 1)], [(5, 5), (6, 5)]))
    parts = sorted(shapely.get_parts(merged), key=lambda g: g.bounds)
    assert [list(p.coords) for p in parts] == [[(0, 0), (1, 0), (2, 1)], [(5, 5), (6, 5)]]


def test_empty_input_merges_to_an_empty_geometry() -> None:
    empty = np.array([], dtype=object)
    assert shapely.is_empty(merge_lines(empty))
    assert shapely.is_empty(merge_simplified(empty, FINE_DEG, DECIMALS))
    assert shapely.is_empty(thin_to_cap(empty, np.array([], dtype=int), 10, COARSE_DEG, 5))


def test_merge_simplified_drops_small_wiggles_and_rounds() -> None:
    # the middle vertex is 1e-5° off the straight line: under the tolerance, so it goes
    geom = merge_simplified(_lines([(0.0, 0.0), (0.5, 0.00001), (1.000004, 0.0)]), FINE_DEG, 5)
    assert list(geom.coords) == [(0.0, 0.0), (1.0, 0.0)]
    # a 1e-3° bend is kept; coordinates are rounded to 1e-5
    bent = merge_simplified(_lines([(0.0, 0.0), (0.5, 0.0012345), (1.0, 0.0)]), FINE_DEG, 5)
    assert list(bent.coords) == [(0.0, 0.0), (0.5, 0.00123), (1.0, 0.0)]


def test_merge_within_is_exact_at_the_cap() -> None:
    geoms = _lines([(0, 0), (1, 0)], [(1, 0), (2, 1)], [(5, 5), (6, 5)])  # merges to 5 vertices
    assert shapely.get_num_coordinates(merge_within(geoms, 5, FINE_DEG, DECIMALS)) == 5
    assert merge_within(geoms, 4, FINE_DEG, DECIMALS) is None
    assert merge_within(geoms, 0, FINE_DEG, DECIMALS) is None


# --- ranking -------------------------------------------------------------------------------


def test_highway_rank_reads_plain_and_listed_classes() -> None:
    values = pd.Series(["primary", "['secondary', 'primary']", ["trunk", "primary"],
                        "residential", "bogus", None])
    unknown = len(HIGHWAY_RANKS)
    assert highway_rank(values).tolist() == [
        HIGHWAY_RANKS.index("primary"), HIGHWAY_RANKS.index("secondary"),
        HIGHWAY_RANKS.index("trunk"), HIGHWAY_RANKS.index("residential"), unknown, unknown,
    ]
    assert highway_rank(values, ("residential",)).tolist() == [1, 1, 1, 0, 1, 1]


# --- thinning ------------------------------------------------------------------------------


def test_thinning_keeps_main_then_longest_streets_up_to_the_cap() -> None:
    # far apart so nothing merges; vertex counts survive the coarse simplification
    geoms = _lines(
        _zigzag(0, 0, 6),  # 0: residential, 6 vertices
        _zigzag(0, 1, 2),  # 1: primary, 2 vertices (short, but a main street)
        _zigzag(0, 2, 9),  # 2: residential, 9 vertices (the longest)
        _zigzag(0, 3, 3),  # 3: unknown class, 3 vertices
    )
    ranks = highway_rank(pd.Series(["residential", "primary", "residential", "busway"]))
    kept = {2: [1], 11: [1, 2], 17: [1, 2, 0], 20: [1, 2, 0, 3]}
    for cap, expected in kept.items():
        geom = thin_to_cap(geoms, ranks, cap, COARSE_DEG, DECIMALS)
        assert shapely.get_num_coordinates(geom) <= cap
        near = shapely.buffer(geom, ROUNDING_DEG)
        drawn = [i for i, g in enumerate(geoms) if shapely.covered_by(g, near)]
        assert sorted(drawn) == sorted(expected), cap
    # one vertex short of the next street: it is left out, not cut
    assert shapely.get_num_coordinates(thin_to_cap(geoms, ranks, 16, COARSE_DEG, 5)) == 11


def test_thinning_breaks_ties_by_input_order() -> None:
    geoms = _lines(_zigzag(0, 0, 3), _zigzag(0, 1, 3))  # same class, same length
    ranks = np.zeros(2, dtype=int)
    assert shapely.length(geoms[0]) == shapely.length(geoms[1])
    first = thin_to_cap(geoms, ranks, 3, COARSE_DEG, DECIMALS)
    assert shapely.hausdorff_distance(first, geoms[0]) < ROUNDING_DEG
    second = thin_to_cap(geoms[::-1], ranks, 3, COARSE_DEG, DECIMALS)
    assert shapely.hausdorff_distance(second, geoms[1]) < ROUNDING_DEG


def test_thinning_the_demo_network_keeps_main_streets_and_the_longest(
    demo_edges: gpd.GeoDataFrame,
) -> None:
    geoms = demo_edges.geometry.to_numpy()
    ranks = highway_rank(demo_edges["highway"])
    thinned = thin_to_cap(geoms, ranks, THIN_CAP, COARSE_DEG, DECIMALS)
    assert 0 < shapely.get_num_coordinates(thinned) <= THIN_CAP
    near = shapely.buffer(thinned, KEPT_WITHIN_DEG)
    shapely.prepare(near)
    secondary = geoms[ranks == HIGHWAY_RANKS.index("secondary")]
    assert len(secondary) > 0 and shapely.covered_by(secondary, near).all()
    residential = geoms[ranks == HIGHWAY_RANKS.index("residential")]
    by_length = residential[np.argsort(-shapely.length(residential), kind="stable")]
    kept = shapely.covered_by(by_length, near)
    first_dropped = int(np.argmin(kept))
    assert first_dropped > 1000  # the longest streets, in order, until the budget ran out
    assert kept[:first_dropped].all()
    assert kept[first_dropped:].mean() < 0.01  # the rest is left out (a few lie near kept ones)


@pytest.mark.parametrize(
    ("cap", "tolerance", "ranks_len", "message"),
    [
        (-1, COARSE_DEG, 2, "cap must be a number >= 0, got -1"),
        (10, -1e-4, 2, "tolerance must be a number >= 0, got -0.0001"),
        (10, math.nan, 2, "tolerance must be a number >= 0, got nan"),
        (10, COARSE_DEG, 3, "ranks has 3 values for 2 lines"),
    ],
)
def test_thinning_rejects_bad_arguments(
    cap: int, tolerance: float, ranks_len: int, message: str
) -> None:
    geoms = _lines(_zigzag(0, 0, 3), _zigzag(0, 1, 3))
    with pytest.raises(ValueError, match=message):
        thin_to_cap(geoms, np.zeros(ranks_len, dtype=int), cap, tolerance, DECIMALS)


def test_merge_rejects_negative_decimals() -> None:
    with pytest.raises(ValueError, match="decimals must be a number >= 0, got -1"):
        merge_simplified(_lines([(0, 0), (1, 0)]), FINE_DEG, -1)


# --- districts -----------------------------------------------------------------------------


def test_edges_in_districts_keeps_touching_edges_in_order() -> None:
    edges = gpd.GeoDataFrame(
        {"name": ["west", "east", "across", "far"]},
        geometry=[LineString([(111.80, 21.85), (111.85, 21.85)]),
                  LineString([(112.10, 21.85), (112.15, 21.85)]),
                  LineString([(111.95, 21.85), (112.05, 21.85)]),
                  LineString([(113.0, 23.0), (113.1, 23.0)])],
        crs=4326,
    )
    districts = gpd.GeoDataFrame(
        {"adcode": [441702, 441704]},
        geometry=[box(111.7, 21.8, 112.0, 21.9), box(112.0, 21.8, 112.2, 21.9)],
        crs=4326,
    ).to_crs(METRIC_CRS)  # boundaries in metres are converted before the test
    assert edges_in_districts(edges, districts, ["441702"])["name"].tolist() == ["west", "across"]
    assert edges_in_districts(edges, districts, ["441704"])["name"].tolist() == ["east", "across"]
    both = edges_in_districts(edges, districts, ["441704", "441702"])
    assert both["name"].tolist() == ["west", "east", "across"]
    assert edges_in_districts(edges, districts, ["999999"]).empty
