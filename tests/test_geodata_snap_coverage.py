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


def _geos_nearest(G: nx.MultiDiGraph, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
    """Reference: GEOS STRtree over the same edges; (min distance, first edge among all ties)."""
    from geodata.graphindex import graph_index

    idx = graph_index(G)
    edges = np.flatnonzero(idx.undirected)
    tree = shapely.STRtree(idx.edge_geom_m[edges])
    (inp, hit), dist = tree.query_nearest(
        shapely.points(x, y), return_distance=True, all_matches=True
    )
    best = np.full(x.size, np.inf)
    np.minimum.at(best, inp, dist)
    first = np.full(x.size, np.iinfo(np.int64).max)
    np.minimum.at(first, inp, edges[hit])
    return best, first


def _wiggly_graph(seed: int = 5) -> nx.MultiDiGraph:
    """Curved, long, parallel, one-way and multi-part edges with mixed keys around Jiangcheng."""
    rng = np.random.default_rng(seed)
    x0, y0 = lonlat_to_metric(111.95, 21.86)
    n = 60
    nx_, ny_ = float(x0) + rng.uniform(0, 3000, n), float(y0) + rng.uniform(0, 3000, n)
    lon, lat = metric_to_lonlat(nx_, ny_)
    G = nx.MultiDiGraph(crs="EPSG:4326")
    for i in range(n):
        G.add_node(f"n{i}", x=float(lon[i]), y=float(lat[i]))

    def line(i: int, j: int, bends: int) -> shapely.LineString:
        t = np.linspace(0, 1, bends + 2)
        xs = nx_[i] + t * (nx_[j] - nx_[i]) + np.r_[0, rng.normal(0, 40, bends), 0]
        ys = ny_[i] + t * (ny_[j] - ny_[i]) + np.r_[0, rng.normal(0, 40, bends), 0]
        return shapely.LineString(np.column_stack(metric_to_lonlat(xs, ys)))

    for e in range(150):
        i, j = (int(a) for a in rng.choice(n, 2, replace=False))
        kind = e % 5
        attrs = {"length": 1.0, "name": ["B St", "A St"] if kind == 0 else f"St {e}"}
        if kind in (1, 2):  # curved, two-way, twin geometry reversed
            g = line(i, j, int(rng.integers(1, 8)))
            G.add_edge(f"n{i}", f"n{j}", e, geometry=g, **attrs)
            G.add_edge(f"n{j}", f"n{i}", e, geometry=shapely.reverse(g), **attrs)
        elif kind == 3:  # one-way, curved, plus a parallel straight edge with a string key
            G.add_edge(f"n{i}", f"n{j}", geometry=line(i, j, 3), **attrs)
            G.add_edge(f"n{i}", f"n{j}", f"k{e}", **attrs)
        else:  # straight (often long: split into pieces) two-way
            G.add_edge(f"n{i}", f"n{j}", 0, **attrs)
            G.add_edge(f"n{j}", f"n{i}", 0, **attrs)
    a, b = line(0, 1, 2), line(2, 3, 2)
    G.add_edge("n0", "n3", 99, geometry=shapely.MultiLineString([a, b]), length=1.0)
    return G


@pytest.mark.parametrize("network", ["demo", "wiggly"])
def test_segment_search_matches_geos(demo: nx.MultiDiGraph, network: str) -> None:
    """The numpy/KD-tree search equals GEOS on near, beyond-limit and far points."""
    from geodata.graphindex import graph_index

    G = demo if network == "demo" else _wiggly_graph()
    idx = graph_index(G)
    rng = np.random.default_rng(11)
    n = 4000
    # around nodes (incl. beyond the 100 m limit), uniform over the extent, and far outside
    pick = rng.choice(idx.node_x.size, n // 2)
    x = np.r_[idx.node_x[pick] + rng.normal(0, 120, n // 2),
              rng.uniform(idx.node_x.min() - 3000, idx.node_x.max() + 3000, n // 2)]
    y = np.r_[idx.node_y[pick] + rng.normal(0, 120, n // 2),
              rng.uniform(idx.node_y.min() - 3000, idx.node_y.max() + 3000, n // 2)]
    lon, lat = metric_to_lonlat(x, y)
    x, y = lonlat_to_metric(lon, lat)  # the coordinates snap() itself will see
    ours = Snapper(G).snap(lon, lat)
    best, first = _geos_nearest(G, x, y)
    assert np.abs(ours["distance_m"].to_numpy() - best).max() < 1e-6
    assert (ours["distance_m"] > 100).sum() > n // 4 and (~ours["snapped"]).sum() > n // 4
    assert (ours["snapped"] == (best <= 100)).all()
    # same edge; among exact ties (street corners) the first edge in graph order
    assert (ours["u"].to_numpy() == idx.node_ids[idx.edge_u[first]]).all()
    assert (ours["v"].to_numpy() == idx.node_ids[idx.edge_v[first]]).all()
    assert (ours["key"].to_numpy() == idx.edge_key[first]).all()
    assert (ours["street_name"].to_numpy() == idx.edge_name[first]).all()


def test_graph_index_matches_the_edge_view() -> None:
    """The vectorised build gives the same arrays as walking ``G.edges(keys=True, data=True)``."""
    from geodata.graphindex import graph_index

    G = _wiggly_graph()
    idx = graph_index(G)
    rows = list(G.edges(keys=True, data=True))
    nodes = list(G.nodes)
    assert [nodes[i] for i in idx.edge_u] == [r[0] for r in rows]
    assert [nodes[i] for i in idx.edge_v] == [r[1] for r in rows]
    assert list(idx.edge_key) == [r[2] for r in rows]
    assert "A St; B St" in set(idx.edge_name) and None in set(idx.edge_highway)
    for g, (u, v, _, d) in zip(idx.edge_geom, rows, strict=True):
        if "geometry" in d:
            assert g is d["geometry"]
        else:
            assert shapely.get_coordinates(g).tolist() == [
                [G.nodes[u]["x"], G.nodes[u]["y"]], [G.nodes[v]["x"], G.nodes[v]["y"]]
            ]
    # one edge of each two-way twin pair, every one-way edge
    pairs = {(r[0], r[1], str(r[2])) for r in rows}
    want = [(v, u, str(k)) not in pairs or nodes.index(u) <= nodes.index(v) for u, v, k, _ in rows]
    assert idx.undirected.tolist() == want
