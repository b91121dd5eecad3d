"""Reach per profile and the reach a barrier's fix restores (issue 14 §4), on small real subgraphs.

The Helsinki box of tests/test_routing.py (real OSM, not Yangjiang), with facts checked there by
hand: node 189435774 is reached only by a 38 m ``highway=steps`` way from node 189436169;
crossing 313972684 lies 30.2 m from 401354505 to 288883172 (35.9 m by the next crossing).
Barrier impact is checked against brute force: fix the element (``_build(exempt=...)``), build
the graph again and run a fresh multi-source Dijkstra without any limit.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import data_path
from scipy.sparse.csgraph import dijkstra
from test_routing import BOX, KERB, KERB_FROM, KERB_TO, STEPS_FROM, STEPS_TO, _clip, _without

from audit.cli import main as cli_main
from geodata.errors import InputError
from geodata.graphindex import invalidate
from geodata.pedestrian import load_walk_network
from geodata.profiles import load_profiles
from geodata.reach import (
    ALL_DISTRICTS,
    IMPACT_METHOD,
    Destinations,
    barrier_impact,
    check_limit,
    distances_to,
    node_districts,
    reach_table,
    reach_weights,
    snap_destinations,
)
from geodata.routing import RoutingNetwork, routing_network

pytest.importorskip("osmium", reason="reading .osm.pbf needs the osmium package")


@pytest.fixture(scope="module")
def box_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("helsinki_reach") / "box.osm"
    _clip(data_path("osm", "Helsinki.osm.pbf"), out, BOX)
    return out


@pytest.fixture(scope="module")
def G(box_file: Path) -> nx.MultiDiGraph:
    return load_walk_network(box_file)


@pytest.fixture(scope="module")
def profiles() -> dict[str, Any]:
    return load_profiles()


def _at(G: nx.MultiDiGraph, category_nodes: dict[str, list[Any]]) -> pd.DataFrame:
    rows = [
        {"category": c, "name": "", "lon": G.nodes[n]["x"], "lat": G.nodes[n]["y"]}
        for c, nodes in category_nodes.items()
        for n in nodes
    ]
    return pd.DataFrame(rows)


def _nodes_within(G: nx.MultiDiGraph, target: Any, limit: float) -> set[Any]:
    """Nodes whose shortest walk (networkx, edge lengths) to ``target`` is within ``limit``."""
    return set(nx.single_source_dijkstra_path_length(G.reverse(), target, cutoff=limit,
                                                     weight="length"))


def _row(table: pd.DataFrame, profile: str, category: str) -> pd.Series:
    sel = table[(table.district_code == ALL_DISTRICTS) & (table.profile_id == profile)
                & (table.category == category)]
    assert len(sel) == 1
    return sel.iloc[0]


def test_reach_behind_steps_checked_by_hand(G, profiles) -> None:
    net = routing_network(G)
    dest = snap_destinations(net, _at(G, {"hospital": [STEPS_TO]}), max_snap_m=5)
    table = reach_table(net, list(profiles.values()), dest, limit_m=50)
    assert table.attrs["provenance"] == "osm_not_yangjiang" and table.attrs["limit_m"] == 50
    walk = _nodes_within(G, STEPS_TO, 50)
    assert STEPS_FROM in walk  # 37.8 m down the steps
    n = len(G)
    for pid in profiles:
        row = _row(table, pid, "hospital")
        assert row.nodes == n and row.reached_unconstrained == len(walk)
        assert row.share_unconstrained == pytest.approx(len(walk) / n)
    # only the steps lead there (besides two dead-end footways cut by the box edge, 10.5 and
    # 11.1 m): without the steps, networkx finds those three nodes alone within 50 m. A wheelchair
    # is blocked by the steps, a walker pays +300 m for them; nothing here costs a blind walker
    flat = G.copy()
    flat.remove_edges_from([(u, v, k) for u, v, k, h in G.edges(keys=True, data="highway")
                            if h == "steps"])
    island = _nodes_within(flat, STEPS_TO, 50)
    assert len(island) == 3 and STEPS_FROM not in island
    for pid in ("manual_wheelchair", "powered_wheelchair", "walker"):
        row = _row(table, pid, "hospital")
        assert row.reached == len(island) and row.lost == len(walk) - len(island)
    assert _row(table, "blind_low_vision", "hospital").reached == len(walk)
    # the steps' fix restores exactly what the wheelchair lost
    wheel = profiles["manual_wheelchair"]
    imp = barrier_impact(net, wheel, dest, limit_m=50)
    steps = imp[imp.element_id.str.fullmatch(rf"edge/({STEPS_TO}/{STEPS_FROM}|"
                                             rf"{STEPS_FROM}/{STEPS_TO})/\d+")]
    assert len(steps) == 1 and steps.iloc[0].kind == "steps_way"
    assert steps.iloc[0].restored_nodes == len(walk) - len(island)
    assert steps.iloc[0].rules == "steps" and steps.iloc[0].method == IMPACT_METHOD
    assert imp.attrs["method"] == IMPACT_METHOD and imp.attrs["weighting"] == "nodes"
    assert imp.restored_nodes.iloc[0] == imp.restored_nodes.max()  # sorted, biggest first
    assert (imp.restored_nodes[imp.index != steps.index[0]] == 0).all()


def test_a_raised_kerb_lowers_reach_and_its_fix_restores_it(G) -> None:
    # the unknown-crossing penalty is left out to see the kerb rule alone
    wheel = _without("manual_wheelchair", "unknown_crossing")
    lowered, raised = G.copy(), G.copy()
    lowered.nodes[KERB]["kerb"] = "lowered"
    raised.nodes[KERB]["kerb"] = "raised"
    # 30.2 m across the crossing, 35.9 m by the next one: a 32 m limit tells them apart
    dest = {"transit": [KERB_TO]}
    ok_net, bad_net = routing_network(lowered), routing_network(raised)
    ok = reach_table(ok_net, [wheel], snap_destinations(ok_net, _at(G, dest), max_snap_m=5),
                     limit_m=32)
    d_bad = snap_destinations(bad_net, _at(G, dest), max_snap_m=5)
    bad = reach_table(bad_net, [wheel], d_bad, limit_m=32)
    r_ok, r_bad = _row(ok, wheel.id, "transit"), _row(bad, wheel.id, "transit")
    assert r_ok.reached_unconstrained == r_bad.reached_unconstrained == len(
        _nodes_within(G, KERB_TO, 32))
    assert r_ok.reached == r_ok.reached_unconstrained
    assert r_bad.reached < r_ok.reached
    w = bad_net.weights(wheel)
    dist = distances_to(reach_weights(bad_net, w)[1], d_bad.nodes["transit"], 32)
    pos = {n: i for i, n in enumerate(bad_net.idx.node_ids)}
    assert math.isinf(dist[pos[KERB_FROM]])  # blocked at the kerb; 35.9 m the other way
    imp = barrier_impact(bad_net, wheel, d_bad, limit_m=32)
    kerb = imp.set_index("element_id").loc[f"node/{KERB}"]
    assert kerb.rules == "raised_kerb" and kerb.state == "osm_reported"
    assert kerb.restored_transit == r_bad.lost == kerb.restored_nodes >= 1


def test_blocked_edges_never_raise_reach_and_districts_add_up(G, profiles) -> None:
    net = routing_network(G)
    rng = np.random.default_rng(4)
    ids = list(G.nodes)
    picks = {c: [ids[i] for i in rng.choice(len(ids), 3, replace=False)]
             for c in ("hospital", "school")}
    dest = snap_destinations(net, _at(G, picks), max_snap_m=5)
    mid = (BOX[0] + BOX[2]) / 2
    halves = gpd.GeoDataFrame(
        {"adcode": ["W", "E"]},
        geometry=[shapely.box(BOX[0] - 1, BOX[1] - 1, mid, BOX[3] + 1),
                  shapely.box(mid, BOX[1] - 1, BOX[2] + 1, BOX[3] + 1)],
        crs="EPSG:4326",
    )
    labels = node_districts(net, halves)
    assert set(labels) == {"W", "E"}
    table = reach_table(net, list(profiles.values()), dest, limit_m=300, node_district=labels)
    assert len(table) == 4 * 2 * 3
    assert (table.reached <= table.reached_unconstrained).all()
    assert (table.lost == table.reached_unconstrained - table.reached).all()
    assert (table[table.profile_id == "manual_wheelchair"].lost > 0).any()
    for (_, _), g in table.groupby(["profile_id", "category"]):
        whole = g[g.district_code == ALL_DISTRICTS].iloc[0]
        parts = g[g.district_code != ALL_DISTRICTS]
        assert parts.nodes.sum() == whole.nodes == len(G)
        assert parts.reached.sum() == whole.reached
        assert parts.reached_unconstrained.sum() == whole.reached_unconstrained
    # the unconstrained count agrees with networkx from each destination
    for cat, nodes in picks.items():
        walk = set().union(*(_nodes_within(G, n, 300) for n in nodes))
        assert _row(table, "walker", cat).reached_unconstrained == len(walk)


def _brute_force(net: RoutingNetwork, profile: Any, el: int, dest: Destinations,
                 limit: float) -> int:
    """Fix ``el``, rebuild the whole graph and count newly reached (node, category) pairs."""
    before_rev = reach_weights(net, net.weights(profile))[1]
    fixed = net._build(profile, exempt=frozenset([el]))
    csr, _ = net.matrix(np.maximum(fixed.weight, net.length))
    after_rev = csr.T.tocsr()
    total = 0
    for sources in dest.nodes.values():
        before = distances_to(before_rev, sources, limit) <= limit
        after = dijkstra(after_rev, directed=True, indices=sources, min_only=True) <= limit
        total += int((after & ~before).sum())
    return total


def _oakland_with_barriers() -> nx.MultiDiGraph:
    """The West Oakland sample has no tag any profile reads (27 elements, all of unknown
    state), so a copy is tagged as OSM tags barriers: ``wheelchair=no`` on every third footway
    node, ``surface=gravel`` and ``width=0.9`` on some streets with sidewalks."""
    G = load_walk_network(data_path("osm", "West-Oakland.osm.bz2"))
    E = RoutingNetwork(G).elements
    for n in E[E.kind == "footway_node"].node.iloc[::3]:
        G.nodes[n]["wheelchair"] = "no"
    for i, (u, v) in enumerate(E[E.kind == "street_with_sidewalk"][["u", "v"]].itertuples(
            index=False)):
        for a, b in ((u, v), (v, u)):
            for d in G.get_edge_data(a, b, default={}).values():
                d.update({"surface": "gravel"} if i % 2 else {"width": "0.9"})
    invalidate(G)  # the elements were read (and cached) before the tags changed
    return G


@pytest.mark.parametrize("where", ["helsinki", "west_oakland"])
def test_barrier_impact_equals_brute_force_on_real_extracts(where, G, profiles) -> None:
    graph = G if where == "helsinki" else _oakland_with_barriers()
    net = RoutingNetwork(graph)
    rng = np.random.default_rng(14)
    ids = list(graph.nodes)
    picks = {c: [ids[i] for i in rng.choice(len(ids), 2, replace=False)]
             for c in ("hospital", "school", "transit")}
    dest = snap_destinations(net, _at(graph, picks), max_snap_m=5)
    checked = restoring = 0
    for profile in profiles.values():
        imp = barrier_impact(net, profile, dest, limit_m=250)
        assert imp.attrs["provenance"] == "osm_not_yangjiang"
        assert (imp.restored_nodes == imp[[f"restored_{c}" for c in sorted(picks)]].sum(
            axis=1)).all()
        sample = imp.head(8) if len(imp) > 16 else imp  # the biggest, and some at zero
        sample = pd.concat([sample, imp.tail(8)]).drop_duplicates("element_id")
        for row in sample.itertuples():
            el = net.element_position(row.element_id)
            assert el is not None
            assert row.restored_nodes == _brute_force(net, profile, el, dest, 250), row
            checked += 1
            restoring += row.restored_nodes > 0
    assert checked >= 20 and restoring >= 3, (checked, restoring)


def test_elements_that_are_no_barrier_restore_nothing_and_bad_positions_are_refused(
        G, profiles) -> None:
    net = routing_network(G)
    dest = snap_destinations(net, _at(G, {"hospital": [STEPS_TO]}), max_snap_m=5)
    wheel = profiles["manual_wheelchair"]
    free = np.flatnonzero(~net.weights(wheel).barrier)[:5]
    imp = barrier_impact(net, wheel, dest, limit_m=100, elements=free)
    assert len(imp) == 5 and (imp.restored_nodes == 0).all() and (imp.rules == "").all()
    with pytest.raises(InputError) as err:
        barrier_impact(net, wheel, dest, limit_m=100, elements=[len(net.e_id)])
    assert err.value.problems[0].field == "elements"


@pytest.mark.parametrize("bad", [0, -5, math.nan, math.inf, 20_001, "800", True, None])
def test_reach_limit_is_validated(bad, G, profiles) -> None:
    with pytest.raises(InputError) as err:
        check_limit(bad)
    problem = err.value.problems[0]
    assert problem.field == "reach_limit_m" and "20,000" in problem.allowed
    net = routing_network(G)
    dest = snap_destinations(net, _at(G, {"hospital": [STEPS_TO]}), max_snap_m=5)
    with pytest.raises(InputError):
        reach_table(net, [profiles["walker"]], dest, limit_m=bad)


def test_destinations_far_from_the_network_are_counted_not_used(G) -> None:
    net = routing_network(G)
    far = pd.DataFrame({"category": ["hospital", "hospital"], "lon": [G.nodes[STEPS_TO]["x"], 25.5],
                        "lat": [G.nodes[STEPS_TO]["y"], 60.5]})
    dest = snap_destinations(net, far, max_snap_m=50)
    assert dest.unsnapped == {"hospital": 1} and len(dest.nodes["hospital"]) == 1
    with pytest.raises(InputError) as err:
        snap_destinations(net, far.drop(columns="lat"), max_snap_m=50)
    assert err.value.problems[0].field == "destinations"


def test_cli_reach_prints_shares_barriers_and_the_label(box_file, G, tmp_path, capsys) -> None:
    csv = tmp_path / "dest.csv"
    x, y = G.nodes[STEPS_TO]["x"], G.nodes[STEPS_TO]["y"]
    csv.write_text(f"category,name,lon,lat\nhospital,Steps top,{x},{y}\n", encoding="utf-8")
    args = ["reach", "--network", str(box_file), "--destinations", str(csv), "--limit", "50"]
    assert cli_main([*args, "--barriers", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    n, walk = len(G), len(_nodes_within(G, STEPS_TO, 50))
    assert f"Whole network | Manual wheelchair | hospital | {3 / n:.1%} (3/{n}) | " \
        f"{walk / n:.1%} ({walk}) | {walk - 3}" in out
    assert "steps_way" in out[-2] and f"| {walk - 3}" in out[-2]
    assert out[-1].endswith("not Yangjiang") and "exact: local re-search" in out[-3]
    assert cli_main([*args, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["provenance"] == "osm_not_yangjiang" and data["limit_m"] == 50
    assert len(data["rows"]) == 4 and data["barriers"] == []
    assert cli_main([*args[:-1], "0"]) == 2
    err = capsys.readouterr().err
    assert "reach_limit_m" in err and "0" in err and "20,000" in err


def test_restored_reach_as_the_plan_importance_term(G) -> None:
    from audit.priority import load_retrofit_params, score_candidates

    params = load_retrofit_params()
    # the crossing way drawn from crossing KERB (its first 30.2 m route) tagged kerb=raised, as
    # OSM tags a way's kerbs, on a copy; a curb ramp audited mid-way attaches to that way
    WAY_END = 1010748263
    raised = G.copy()
    for u, v in ((KERB, WAY_END), (WAY_END, KERB)):
        for d in raised.get_edge_data(u, v, default={}).values():
            d["kerb"] = "raised"
    net = routing_network(raised)
    mid = ((raised.nodes[KERB]["x"] + raised.nodes[WAY_END]["x"]) / 2,
           (raised.nodes[KERB]["y"] + raised.nodes[WAY_END]["y"]) / 2)
    far = next(n for n in raised.nodes if raised.nodes[n].get("highway") == "crossing"
               and abs(raised.nodes[n]["x"] - mid[0]) > 0.004)
    cands = pd.DataFrame({
        "candidate_id": ["F1", "F2", "F3"], "fix_type": ["curb_ramp", "curb_ramp", "toilet"],
        "lon": [mid[0], raised.nodes[far]["x"], mid[0]],
        "lat": [mid[1], raised.nodes[far]["y"], mid[1]],
        "severity": [5.0, 5.0, 5.0], "n_fail": [1, 1, 1],
    })
    dest = _at(G, {"transit": [KERB_TO]})
    # the unknown-crossing penalty is left out to see the kerb rule alone (as in the kerb test)
    wheels = [_without(p, "unknown_crossing") for p in ("manual_wheelchair", "powered_wheelchair")]
    out = score_candidates(cands, None, dest, params, importance="reach", net=net,
                           reach_limit_m=32, profiles=wheels).set_index("candidate_id")
    # the raised kerb blocks both wheelchair profiles; its fix restores what they lost (KERB_FROM
    # within 32 m): the biggest restorer gets 1 + w_transit, a crossing 250 m away 1, a toilet
    # (served by no network element) 1
    assert out.loc["F1", "element_id"] in (f"edge/{KERB}/{WAY_END}/0", f"edge/{WAY_END}/{KERB}/0")
    lost = reach_table(net, wheels, snap_destinations(net, dest, max_snap_m=5), limit_m=32)
    assert out.loc["F1", "restored_transit"] == lost[lost.district_code == "all"].lost.sum() >= 2
    assert out.loc["F1", "importance"] == pytest.approx(1 + params["weights"]["transit"])
    assert out.loc["F2", "importance"] == pytest.approx(1.0)
    assert out.loc["F3", "importance"] == 1.0 and out.loc["F3", "element_id"] is None
    assert out.attrs["importance_method"] == "reach" and out.attrs["reach_limit_m"] == 32
    assert out.attrs["reach_method"] == IMPACT_METHOD
    with pytest.raises(InputError) as err:
        score_candidates(cands, None, dest, params, importance="popularity", net=net,
                         profiles=wheels)
    assert err.value.problems[0].field == "importance"
