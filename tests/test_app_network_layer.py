"""The map's street-network layer stays under a fixed cap however large the network is."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
from published_support import served_text
from shapely.geometry import LineString, box

import geodata
from bench.bench_network import make_grid_network
from ui.i18n import translate
from ui.map import MAX_NETWORK_VERTICES, NetworkLayer, build_map, network_layer

#: Bytes of network GeoJSON allowed (the whole map payload must stay under 3 MB, issue 5).
LAYER_BYTES_LIMIT = 1_000_000
#: ~22,500 nodes / ~42,500 edges: about three times the cap.
GRID_SIDE = 150


@pytest.fixture(scope="module")
def grid_edges() -> gpd.GeoDataFrame:
    edges = geodata.edges_gdf(make_grid_network(GRID_SIDE))
    return edges[["highway", "geometry"]].reset_index(drop=True)


def _size(layer: NetworkLayer) -> int:
    return len(json.dumps(layer.geojson))


def test_large_network_is_capped_and_flagged(grid_edges: gpd.GeoDataFrame) -> None:
    layer = network_layer(grid_edges)
    assert layer.simplified
    assert not layer.districts_only
    assert 0 < layer.vertices <= MAX_NETWORK_VERTICES
    assert _size(layer) < LAYER_BYTES_LIMIT
    assert layer.edges == len(grid_edges)


def test_capped_layer_is_deterministic(grid_edges: gpd.GeoDataFrame) -> None:
    assert network_layer(grid_edges).geojson == network_layer(grid_edges).geojson


def test_district_filter_limits_a_large_network(grid_edges: gpd.GeoDataFrame) -> None:
    minx, miny, maxx, maxy = grid_edges.total_bounds
    midx, midy = (minx + maxx) / 2, (miny + maxy) / 2
    districts = gpd.GeoDataFrame(
        {"adcode": ["A", "B"]},
        geometry=[box(minx, miny, midx - 0.0102, midy - 0.0102), box(midx, miny, maxx, maxy)],
        crs=4326,
    )
    layer = network_layer(grid_edges, districts, ("A",))
    assert layer.districts_only
    assert not layer.simplified  # a quarter of the grid fits under the cap
    assert layer.vertices <= MAX_NETWORK_VERTICES
    lons = [x for line in layer.geojson["features"][0]["geometry"]["coordinates"]
            for x, _ in line]
    assert max(lons) < midx  # nothing from district B


def test_small_network_is_drawn_whole() -> None:
    edges = gpd.GeoDataFrame(
        geometry=[LineString([(111.95, 21.85), (112.0, 21.86)]),
                  LineString([(112.0, 21.86), (112.01, 21.87)])],
        crs=4326,
    )
    layer = network_layer(edges, None, ("441702",))
    assert not layer.simplified and not layer.districts_only
    assert layer.vertices == 3  # merged end to end, nothing dropped


def test_demo_network_is_not_simplified() -> None:
    from geodata.network import demo_network

    edges = geodata.edges_gdf(demo_network())
    layer = network_layer(edges)
    assert not layer.simplified
    assert _size(layer) < LAYER_BYTES_LIMIT


def test_map_with_capped_layer_stays_small(grid_edges: gpd.GeoDataFrame) -> None:
    import pandas as pd

    empty = pd.DataFrame(columns=["facility_id", "facility_type", "name", "lon", "lat",
                                  "verdict"])
    html = build_map(empty, lang="en", network_edges=grid_edges,
                     network_label="Street network").get_root().render()
    # the page and the network file it fetches (what the browser receives)
    assert len(served_text(html).encode("utf-8")) < LAYER_BYTES_LIMIT + 200_000


@pytest.mark.parametrize("lang", ["zh-Hans", "en"])
def test_caption_keys_in_both_catalogues(lang: str) -> None:
    for key in ("map.network_simplified", "map.network_districts_only"):
        assert translate(lang, key)
