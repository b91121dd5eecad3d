"""Snapping to the nearest street edge and network coverage, checked against osmnx and networkx."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pytest
import shapely

import geodata
from audit.errors import InputError
from geodata.coverage import network_coverage, node_distances
from geodata.crs import lonlat_to_metric, metric_to_lonlat
from geodata.network import load_network
from geodata.snap import Snapper, snap_points, snapper_for


@pytest.fixture(scope="module")
def demo() -> nx.MultiDiGraph:
    return load_network("demo")


def _line_graph(lengths_m: list[float]) -> nx.MultiDiGraph:
    """A straight east-west street in Jiangcheng with nodes at the given spacings."""
    x0, y0 = lonlat_to_metric(111.95, 21.86)
    xs = float(x0) + np.concatenate([[0.0], np.cumsum(lengths_m)])
    lon, lat = metric_to_lonlat(xs, np.full(xs.shape, float(y0)))
    G = nx.MultiDiGraph(crs="EPSG:4326")
    for i, (a, b) in enumerate(zip(lon, lat, strict=True)):
        G.add_node(i, x=float(a), y=float(b))
    for i, length in enumerate(lengths_m):
        G.add_edge(i, i + 1, 0, length=length, name="Test St")
        G.add_edge(i + 1, i, 0, length=length, name="Test St")
    return G


def test_snap_matches_osmnx_nearest_edges(demo: nx.MultiDiGraph) -> None:
    rng = np.random.default_rng(3)
    nodes = geodata.nodes_gdf(demo)
    pick = rng.choice(len(nodes), 300, replace=False)
    x, y = lonlat_to_metric(nodes.geometry.x.to_numpy()[pick], nodes.geometry.y.to_numpy()[pick])
    lon, lat = metric_to_lonlat(x + rng.normal(0, 40, 300), y + rng.normal(0, 40, 300))
    ours = snap_points(demo, lon, lat)
    assert list(ours.columns) == [
        "u", "v", "key", "distance_m", "street_name", "nearest_node", "snapped",
    ]
    Gp = ox.project_graph(demo, to_crs="EPSG:32649")
    px, py = lonlat_to_metric(lon, lat)
    ref, ref_d = ox.distance.nearest_edges(Gp, px, py, return_dist=True)
    # same distance (ties between twin edges may pick either direction)
    assert np.allclose(ours["distance_m"], ref_d, atol=0.05)
    same = [{a, b} == {r[0], r[1]} for a, b, r in zip(ours.u, ours.v, ref, strict=True)]
    assert np.mean(same) > 0.97
    assert ours["street_name"].str.startswith("演示路").all()
    ref_nodes = ox.distance.nearest_nodes(Gp, px, py)
    assert (ours["nearest_node"].to_numpy() == np.asarray(ref_nodes)).all()


def test_snap_limit_flags_far_points_and_bad_input_raises() -> None:
    G = _line_graph([100.0, 100.0])
    x0, y0 = lonlat_to_metric(111.95, 21.86)
    lon, lat = metric_to_lonlat(
        np.array([x0 + 50, x0 + 150, x0 + 150]), np.array([y0 + 10, y0 - 99, y0 + 300])
    )
    s = snap_points(G, lon, lat)
    assert s["distance_m"].to_numpy() == pytest.approx([10, 99, 300], abs=0.01)
    assert s["snapped"].tolist() == [True, True, False]
    assert {s.u[0], s.v[0]} == {0, 1} and {s.u[1], s.v[1]} == {1, 2}
    assert s.street_name[0] == "Test St"
    assert snap_points(G, lon, lat, max_distance_m=5)["snapped"].sum() == 0
    assert snapper_for(G) is snapper_for(G) and isinstance(snapper_for(G), Snapper)
    with pytest.raises(InputError, match="swapped"):
        snap_points(G, [21.86], [111.95])
    with pytest.raises(InputError, match="NaN"):
        snap_points(G, [np.nan], [21.86])


def test_coverage_on_a_line_counts_partial_edges() -> None:
    G = _line_graph([200.0, 200.0, 400.0, 1000.0])  # nodes at 0, 200, 400, 800, 1800 m
    lon0, lat0 = G.nodes[0]["x"], G.nodes[0]["y"]
    d = geodata.load_districts()
    r = network_coverage(G, [lon0], [lat0], d)
    assert r.node_distance_m.tolist() == [0, 200, 400, 800, 1800]
    limited, _, _ = node_distances(G, [lon0], [lat0], limit_m=500)
    assert limited.tolist() == [0, 200, 400, np.inf, np.inf]
    row = r.by_district.set_index("adcode").loc["441702"]
    assert row["street_km"] == pytest.approx(1.8)
    assert row["within_300m_km"] == pytest.approx(0.3)
    assert row["within_500m_km"] == pytest.approx(0.5)
    assert row["within_500m_share"] == pytest.approx(0.5 / 1.8)
    assert r.by_district.set_index("adcode").loc["441781", "street_km"] == 0
    # gaps: the 400-800 m edge (300 m beyond 500) and the 800-1800 m edge (all of it)
    gaps = r.gaps.sort_values("dist_near_m")
    assert gaps["beyond_m"].tolist() == pytest.approx([300, 1000])
    assert gaps["dist_near_m"].tolist() == pytest.approx([400, 800])
    assert isinstance(r.gaps, gpd.GeoDataFrame) and r.gaps.crs.to_epsg() == 4326
    # a source far off the network is reported, not silently used
    none = network_coverage(G, [lon0 + 0.1], [lat0], d)
    assert none.sources_unsnapped.tolist() == [0] and np.isinf(none.node_distance_m).all()
    assert none.by_district.set_index("adcode").loc["441702", "within_500m_km"] == 0
    assert len(none.gaps) == 4
    # editing a graph in place and invalidating rebuilds the cached index
    from geodata.graphindex import graph_index, invalidate

    G.add_edge(4, 0, 0, length=50.0)  # one-way: node 4 can now reach the source in 50 m
    invalidate(G)
    assert network_coverage(G, [lon0], [lat0], d).node_distance_m[4] == 50
    assert len(graph_index(G).edge_u) == 9


def test_coverage_matches_networkx_on_the_demo_network(demo: nx.MultiDiGraph) -> None:
    towns = geodata.load_towns()
    lon, lat = towns.geometry.x.to_numpy()[:12], towns.geometry.y.to_numpy()[:12]
    r = network_coverage(demo, lon, lat, geodata.load_districts())
    src = set(r.node_distance_m.index[r.node_distance_m.to_numpy() == 0])
    assert len(src) == len(r.sources_used) == 12
    ref = nx.multi_source_dijkstra_path_length(demo, src, weight="length")
    ours = r.node_distance_m
    assert len(ref) == len(ours)
    assert max(abs(ours[n] - d) for n, d in ref.items()) < 1e-6
    shares = r.by_district["within_500m_share"]
    assert ((shares > 0) & (shares < 1)).all()
    assert (r.by_district["within_300m_km"] <= r.by_district["within_500m_km"]).all()
    assert r.gaps.attrs["source_label_en"] == "synthetic demo network"


def test_coverage_rejects_bad_districts_and_thresholds(demo: nx.MultiDiGraph) -> None:
    d = geodata.load_districts()
    with pytest.raises(InputError, match="crs"):
        network_coverage(demo, [111.96], [21.86], d.to_crs(32649))
    with pytest.raises(InputError) as err:
        network_coverage(demo, [111.96], [21.86], d.drop(columns="adcode"), thresholds_m=(-1,))
    assert len(err.value.problems) == 2
    assert shapely.get_num_geometries(d.geometry.iloc[0]) >= 1
