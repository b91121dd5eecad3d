"""Benchmark: one accessible route on a ~100,000-node walk network (issue 14, target < 50 ms warm).

The network is the perturbed grid of :mod:`bench.bench_network` (synthetic, around Yangjiang)
with synthetic pedestrian tagging: at a share of the nodes a crossing (``highway=crossing``,
``crossing=traffic_signals|uncontrolled``, ``kerb=lowered|raised`` or no kerb tag,
``traffic_signals:sound=yes|no`` or none), so the profiles block, cost and report unknowns.

Ours: :meth:`geodata.routing.RoutingNetwork.route` for the manual-wheelchair profile, warm (the
profile's CSR and the unconstrained one built once before timing): snapping both ends, the
profile's Dijkstra (``scipy.sparse.csgraph``), the unconstrained shortest path for the extra
distance and the barriers avoided, the step list. Baseline, same run, same pairs:
``networkx.shortest_path`` on a DiGraph carrying the same weights (blocked edges removed) —
the profile's path only. The median over the pairs is reported, and the routes' costs are checked
equal to networkx's.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import networkx as nx
import numpy as np

from bench.bench_network import make_grid_network
from bench.common import row

SIZES = {"full": (316, 21), "smoke": (30, 3)}  # grid side, route pairs
CROSSING_SHARE = 0.2
KERBS = ("lowered", "raised", None)
SOUNDS = ("yes", "no", None)


def make_walk_grid(side: int, seed: int = 14) -> nx.MultiDiGraph:
    """The benchmark grid with synthetic crossings (labelled synthetic)."""
    G = make_grid_network(side, seed=seed)
    rng = np.random.default_rng(seed)
    nodes = np.asarray(list(G.nodes))
    for n in rng.choice(nodes, int(CROSSING_SHARE * nodes.size), replace=False):
        tags: dict[str, str] = {"highway": "crossing"}
        signals = rng.random() < 0.4
        tags["crossing"] = "traffic_signals" if signals else "uncontrolled"
        kerb = KERBS[rng.integers(len(KERBS))]
        if kerb:
            tags["kerb"] = kerb
        sound = SOUNDS[rng.integers(len(SOUNDS))] if signals else None
        if sound:
            tags["traffic_signals:sound"] = sound
        G.nodes[int(n)].update(tags)
    for u, v, d in G.edges(data=True):  # streets: one name per grid row or column
        d["highway"] = "residential"
        same_row = u // side == v // side
        d["name"] = f"Bench St {u // side}" if same_row else f"Bench Ave {u % side}"
    G.graph.update(
        provenance="synthetic", provenance_label_zh="基准测试网格（合成）",
        provenance_label_en="synthetic benchmark grid",
    )
    return G


def _nx_graph(net: Any, weights: Any) -> nx.DiGraph:
    idx = net.idx
    ok = np.flatnonzero(np.isfinite(weights.weight) & (idx.edge_u != idx.edge_v))
    D = nx.DiGraph()
    for e in ok[np.argsort(-weights.weight[ok], kind="stable")]:  # cheapest parallel edge last
        D.add_edge(int(idx.edge_u[e]), int(idx.edge_v[e]), w=max(float(weights.weight[e]), 1e-9))
    return D


def run(size: str = "full") -> list[dict[str, Any]]:
    """Route ``SIZES[size]`` pairs on the grid; ours (scipy csgraph) vs networkx.shortest_path."""
    from geodata.profiles import load_profiles
    from geodata.routing import RoutingNetwork

    side, n_pairs = SIZES[size]
    G = make_walk_grid(side)
    t0 = time.perf_counter()
    net = RoutingNetwork(G)
    profile = load_profiles()["manual_wheelchair"]
    weights = net.weights(profile)
    net.unconstrained()
    build_s = time.perf_counter() - t0
    idx = net.idx
    rng = np.random.default_rng(7)
    n = len(idx.node_ids)
    pairs = [tuple(int(p) for p in rng.choice(n, 2, replace=False)) for _ in range(n_pairs)]
    ends = [
        ((idx.node_lon[a], idx.node_lat[a]), (idx.node_lon[b], idx.node_lat[b])) for a, b in pairs
    ]
    net.route(profile, *ends[0])  # warm
    ours_t, routes = [], []
    for o, d in ends:
        t = time.perf_counter()
        routes.append(net.route(profile, o, d))
        ours_t.append(time.perf_counter() - t)
    D = _nx_graph(net, weights)
    base_t, costs = [], []
    for a, b in pairs:
        t = time.perf_counter()
        try:
            path = nx.shortest_path(D, a, b, weight="w")
            costs.append(float(nx.path_weight(D, path, weight="w")))
        except nx.NetworkXNoPath:
            costs.append(float("inf"))
        base_t.append(time.perf_counter() - t)
    agree = sum(
        (not r.found and c == float("inf")) or abs(r.cost_m - c) <= 1e-6 * max(c, 1.0)
        for r, c in zip(routes, costs, strict=True)
    )
    found = [r for r in routes if r.found]
    mean_km = statistics.mean(r.length_m for r in found) / 1000 if found else 0.0
    return [
        row(
            f"one route, warm, manual wheelchair ({n:,}-node synthetic grid, median of "
            f"{n_pairs} pairs)",
            statistics.median(ours_t), statistics.median(base_t), "s", "< 50 ms",
            "ours: RoutingNetwork.route (snap both ends, profile + unconstrained scipy csgraph "
            "Dijkstra, extra distance, barriers avoided, step list); baseline: "
            "networkx.shortest_path on a DiGraph with the same weights (profile path only); "
            f"same cost for {agree}/{n_pairs} pairs; {len(found)} found, mean {mean_km:.1f} km; "
            f"{int(weights.blocked.sum()):,} edges blocked; profile + unconstrained CSR built "
            f"once in {build_s:.2f} s",
        ),
    ]
