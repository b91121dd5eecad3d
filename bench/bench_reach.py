"""Benchmark: reach and barrier impact (issue 14 §4; targets < 3 s and < 30 s).

The network is the ~100,000-node synthetic grid of :mod:`bench.bench_route` (crossings with
kerbs and signals tagged at random; labelled synthetic), lying over Yangjiang's four districts.
Each of four destination categories gets ``DESTINATIONS`` random nodes.

- **Reach**, 4 districts × 4 profiles × 4 categories: :func:`geodata.reach.reach_table`
  (one multi-source ``scipy.sparse.csgraph.dijkstra`` with ``min_only`` and ``limit`` per profile
  and category, plus the unconstrained network), warm: the profiles' weights built once before.
  Baseline, same run: ``networkx.multi_source_dijkstra_path_length`` with ``cutoff`` on the
  reversed DiGraph of the same weights, per profile and category (plus unconstrained), counting
  the nodes within the limit per district. The counts are checked equal.
- **Barrier impact**, ``BARRIERS`` barriers of the manual-wheelchair profile, 4 categories:
  :func:`geodata.reach.barrier_impact` (exact local re-search). Baseline, same run: brute force
  on a sample (fix the element, rebuild the profile's graph, four fresh multi-source Dijkstra
  runs), scaled to the same count; the sample's counts are checked equal.
"""

from __future__ import annotations

import time
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from bench.common import median_time, row

SIZES = {"full": (316, 1000, 20, 3), "smoke": (30, 30, 3, 1)}  # side, barriers, sample, reps
DESTINATIONS = 40
LIMIT_M = 800.0
CATEGORIES = ("government", "hospital", "school", "transit")


def _nx_reverse(net: Any, weight: np.ndarray) -> nx.DiGraph:
    idx = net.idx
    ok = np.flatnonzero(np.isfinite(weight) & (idx.edge_u != idx.edge_v))
    D = nx.DiGraph()
    D.add_nodes_from(range(len(idx.node_ids)))
    for e in ok[np.argsort(-weight[ok], kind="stable")]:  # cheapest parallel edge last
        D.add_edge(int(idx.edge_v[e]), int(idx.edge_u[e]), w=float(weight[e]))
    return D


def run(size: str = "full") -> list[dict[str, Any]]:
    """Reach and barrier impact on the grid; ours vs networkx / brute force."""
    from scipy.sparse.csgraph import dijkstra

    from bench.bench_route import make_walk_grid
    from geodata.districts import load_districts
    from geodata.profiles import load_profiles
    from geodata.reach import (
        IMPACT_METHOD,
        barrier_impact,
        distances_to,
        node_districts,
        reach_table,
        reach_weights,
        snap_destinations,
    )
    from geodata.routing import RoutingNetwork

    side, n_barriers, sample, reps = SIZES[size]
    G = make_walk_grid(side)
    net = RoutingNetwork(G)
    profiles = list(load_profiles().values())
    t0 = time.perf_counter()
    for p in profiles:
        reach_weights(net, net.weights(p))
    reach_weights(net, net.unconstrained())
    build_s = time.perf_counter() - t0
    idx = net.idx
    n = len(idx.node_ids)
    rng = np.random.default_rng(14)
    picks = rng.choice(n, (len(CATEGORIES), DESTINATIONS), replace=False)
    dest = pd.DataFrame({
        "category": np.repeat(CATEGORIES, DESTINATIONS),
        "lon": idx.node_lon[picks.ravel()], "lat": idx.node_lat[picks.ravel()],
    })
    snapped = snap_destinations(net, dest, max_snap_m=100)
    labels = node_districts(net, load_districts())
    n_districts = len({c for c in labels if c is not None})

    ours_s, table = median_time(
        lambda: reach_table(net, profiles, snapped, limit_m=LIMIT_M, node_district=labels), reps)

    def baseline() -> dict[tuple[str, str], np.ndarray]:
        out = {}
        for p in [net.unconstrained(), *(net.weights(q) for q in profiles)]:
            D = _nx_reverse(net, np.maximum(p.weight, net.length))
            for cat in CATEGORIES:
                got = nx.multi_source_dijkstra_path_length(
                    D, set(snapped.nodes[cat].tolist()), cutoff=LIMIT_M, weight="w")
                mask = np.zeros(n, dtype=bool)
                mask[list(got)] = True
                out[(p.profile.id, cat)] = mask
        return out

    t0 = time.perf_counter()
    masks = baseline()
    base_s = time.perf_counter() - t0
    whole = table[table.district_code == "all"]
    agree = all(
        int(masks[(r.profile_id, r.category)].sum()) == r.reached
        and int(masks[("unconstrained", r.category)].sum()) == r.reached_unconstrained
        for r in whole.itertuples()
    )
    rows = [row(
        f"reach, {n_districts} districts × {len(profiles)} profiles × {len(CATEGORIES)} "
        f"categories ({n:,}-node synthetic grid, limit {LIMIT_M:g} m)",
        ours_s, base_s, "s", "< 3 s",
        f"median of {reps}; one multi-source scipy csgraph Dijkstra (min_only, limit) per profile "
        f"and category + unconstrained; weights of 4 profiles + unconstrained built once in "
        f"{build_s:.2f} s (not timed); baseline: networkx multi_source_dijkstra_path_length "
        f"(cutoff) on the reversed DiGraph, same weights, once; same counts: {agree}",
    )]

    wheel = profiles[0]
    w = net.weights(wheel)
    barriers = np.flatnonzero(w.barrier)[:n_barriers]
    t0 = time.perf_counter()
    imp = barrier_impact(net, wheel, snapped, limit_m=LIMIT_M, elements=barriers)
    ours_i = time.perf_counter() - t0
    some = rng.choice(barriers, min(sample, barriers.size), replace=False)
    before_rev = reach_weights(net, w)[1]
    before = {c: distances_to(before_rev, s, LIMIT_M) <= LIMIT_M
              for c, s in snapped.nodes.items()}
    by_id = imp.set_index("element_id")["restored_nodes"]
    t0 = time.perf_counter()
    same = 0
    for el in some.tolist():
        fixed = net._build(wheel, exempt=frozenset([el]))
        csr, _ = net.matrix(np.maximum(fixed.weight, net.length))
        rev = csr.T.tocsr()
        total = 0
        for c, s in snapped.nodes.items():
            after = dijkstra(rev, directed=True, indices=s, min_only=True, limit=LIMIT_M)
            total += int(((after <= LIMIT_M) & ~before[c]).sum())
        same += total == int(by_id[str(net.e_id[el])])
    brute_each = (time.perf_counter() - t0) / max(len(some), 1)
    restoring = int((imp.restored_nodes > 0).sum())
    rows.append(row(
        f"barrier impact, {barriers.size:,} barriers, manual wheelchair, {len(CATEGORIES)} "
        f"categories ({n:,}-node synthetic grid)",
        ours_i, brute_each * barriers.size, "s", "< 30 s",
        f"method: {IMPACT_METHOD} (node-weighted); {restoring} of {barriers.size} restore reach; "
        f"baseline: brute force (fix, rebuild the profile's graph, 4 multi-source Dijkstra) on "
        f"{len(some)} barriers, {brute_each:.2f} s each, ×{barriers.size}; same counts on the "
        f"sample: {same}/{len(some)}",
    ))
    return rows
