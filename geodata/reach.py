"""Reach per profile, and the reach each barrier's fix would restore (issue 14 §4).

**Reach** of a profile for a key-destination category: the share of network nodes from which the
profile reaches a destination of that category within ``limit_m`` metres. A profile's distance is
its route cost (:class:`geodata.routing.ProfileWeights`: length × multipliers + penalties in
metres, blocked edges removed) but never less than the length walked: a ``prefer`` discount does
not bring a place closer. The same count on the unconstrained network (lengths only, nothing
blocked) is given beside it, so the gap is what the profile's barriers cost.

One pass per profile and category: a multi-source ``scipy.sparse.csgraph.dijkstra`` from the
destinations' nodes on the transposed graph (``indices=`` the sources, ``min_only=True``,
``limit=limit_m``) gives every node's distance to its nearest destination.

**Barrier impact** of an element the profile blocks or costs more: how many (node, category)
pairs come within the limit once the element is fixed (its ``block`` and ``avoid`` rules no
longer apply; ``prefer`` rules still do). Node-weighted: each network node counts once per
category. The method is exact, by a local re-search (:data:`IMPACT_METHOD`): fixing one element
lowers only the weights of its own edges (an edge element's two directions, or the edges
entering a node element), and a shortest simple path passes such an edge at most once, so the
new distance of node ``n`` is ``min(d(n), min over changed edges a -> b of D(n, a) + w'(a, b) +
d(b))`` with ``d`` and ``D`` from the unfixed graph. ``D`` comes from one bounded Dijkstra from
the changed edges' tails (within the limit less the cheapest seed), shared by every category.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from geodata.crs import check_lonlat, lonlat_to_metric
from geodata.errors import InputError, Problem
from geodata.profiles import Profile
from geodata.routing import ProfileWeights, RoutingNetwork

#: the default of the setting ``reach_limit_m`` (metres of profile cost): a 10-minute trip at a
#: manual wheelchair's ~1.3 m/s is about 800 m — a project choice, provisional
DEFAULT_REACH_LIMIT_M = 800.0
MAX_REACH_LIMIT_M = 20_000.0
#: the district code of the row that counts every node of the network
ALL_DISTRICTS = "all"
IMPACT_METHOD = "exact: local re-search from the fixed element's edges within the limit"
REACH_COLUMNS = [
    "district_code", "profile_id", "category", "nodes", "reached", "share",
    "reached_unconstrained", "share_unconstrained", "lost",
]


def check_limit(limit_m: Any, field: str = "reach_limit_m") -> float:
    """The reach limit as a float, or InputError naming the field, the value and what is
    allowed (a number of metres, 0 < value ≤ 20,000)."""
    ok = (
        isinstance(limit_m, int | float)
        and not isinstance(limit_m, bool)
        and math.isfinite(limit_m)
        and 0 < limit_m <= MAX_REACH_LIMIT_M
    )
    if not ok:
        raise InputError(
            Problem(field, limit_m, f"a number of metres > 0 and ≤ {MAX_REACH_LIMIT_M:,.0f}",
                    code="range", params={"min": 0, "max": MAX_REACH_LIMIT_M})
        )
    return float(limit_m)


@dataclass(frozen=True)
class Destinations:
    """Key destinations snapped to network nodes: node positions per category, and the
    destinations farther than the snap limit from the network (left out, counted)."""

    nodes: Mapping[str, np.ndarray]
    unsnapped: Mapping[str, int]


def snap_destinations(
    net: RoutingNetwork, destinations: pd.DataFrame, *, max_snap_m: float
) -> Destinations:
    """Snap ``destinations`` (columns ``category, lon, lat``, WGS84) to their nearest nodes."""
    missing = {"category", "lon", "lat"} - set(destinations.columns)
    if missing:
        raise InputError(Problem("destinations", sorted(missing), "columns category, lon, lat"))
    nodes: dict[str, np.ndarray] = {}
    unsnapped: dict[str, int] = {}
    for cat, group in destinations.groupby("category", sort=True):
        lon, lat = check_lonlat(group["lon"].to_numpy(float), group["lat"].to_numpy(float),
                                field="destinations")
        x, y = lonlat_to_metric(lon, lat)
        dist, pos = net.snap_tree().query(np.column_stack([x, y]))
        near = dist <= max_snap_m
        nodes[str(cat)] = np.unique(np.asarray(pos)[near]).astype(np.int64)
        unsnapped[str(cat)] = int((~near).sum())
    return Destinations(nodes, unsnapped)


def reach_weights(net: RoutingNetwork, w: ProfileWeights) -> tuple[np.ndarray, csr_matrix]:
    """Per directed edge ``max(cost, length)`` (``inf`` when blocked) and the transposed CSR of
    it (cheapest of parallel edges): the graph reach is measured on (cached per profile)."""
    key = ("reach", w.profile.key)
    got = net.cache.get(key)
    if got is None:
        weight = np.maximum(w.weight, net.length)
        csr, _ = net.matrix(weight)
        got = (weight, csr.T.tocsr())
        net.cache[key] = got
    return got


def distances_to(csr_rev: csr_matrix, sources: np.ndarray, limit_m: float) -> np.ndarray:
    """Distance from every node to its nearest source (``inf`` beyond ``limit_m`` or none):
    one multi-source Dijkstra on the transposed graph."""
    if sources.size == 0:
        return np.full(csr_rev.shape[0], np.inf)
    d = dijkstra(csr_rev, directed=True, indices=sources, min_only=True, limit=limit_m)
    return np.asarray(d, dtype=float)


def node_districts(net: RoutingNetwork, districts: gpd.GeoDataFrame) -> np.ndarray:
    """District code (``adcode``) of each node (``None`` outside every district)."""
    if "adcode" not in districts.columns:
        raise InputError(Problem("districts", list(districts.columns), "a column adcode"))
    pts = shapely.points(net.idx.node_lon, net.idx.node_lat)
    tree = shapely.STRtree(districts.geometry.values)
    inp, hit = tree.query(pts, predicate="intersects")
    out = np.full(len(pts), None, dtype=object)
    codes = districts["adcode"].astype(str).to_numpy(dtype=object)
    order = np.argsort(inp, kind="stable")[::-1]  # the first district wins on a shared border
    out[inp[order]] = codes[hit[order]]
    return out


def _groups(n: int, node_district: np.ndarray | None) -> list[tuple[str, np.ndarray]]:
    groups = [(ALL_DISTRICTS, np.ones(n, dtype=bool))]
    if node_district is not None:
        if len(node_district) != n:
            raise InputError(Problem("node_district", len(node_district), f"{n} labels"))
        labels = pd.Series(node_district, dtype=object)
        for code in sorted({str(c) for c in labels.dropna()}):
            groups.append((code, (labels == code).to_numpy()))
    return groups


def reach_table(
    net: RoutingNetwork,
    profiles: Sequence[Profile],
    destinations: Destinations,
    *,
    limit_m: float = DEFAULT_REACH_LIMIT_M,
    node_district: np.ndarray | None = None,
) -> pd.DataFrame:
    """Reach per district × profile × category, beside the unconstrained network (see module).

    Columns :data:`REACH_COLUMNS`; ``district_code`` :data:`ALL_DISTRICTS` counts every node
    (nodes outside every district count there only). ``attrs``: the network's provenance label,
    ``limit_m``, ``weighting`` ("nodes") and the destinations left unsnapped.
    """
    limit = check_limit(limit_m)
    n = len(net.idx.node_ids)
    groups = _groups(n, node_district)
    base_rev = reach_weights(net, net.unconstrained())[1]
    base = {c: distances_to(base_rev, s, limit) <= limit for c, s in destinations.nodes.items()}
    rows: list[dict[str, Any]] = []
    for profile in profiles:
        rev = reach_weights(net, net.weights(profile))[1]
        for cat, sources in destinations.nodes.items():
            ok = distances_to(rev, sources, limit) <= limit
            for code, mask in groups:
                total = int(mask.sum())
                got, got_base = int((ok & mask).sum()), int((base[cat] & mask).sum())
                rows.append({
                    "district_code": code, "profile_id": profile.id, "category": cat,
                    "nodes": total, "reached": got,
                    "share": got / total if total else math.nan,
                    "reached_unconstrained": got_base,
                    "share_unconstrained": got_base / total if total else math.nan,
                    "lost": got_base - got,
                })
    frame = pd.DataFrame(rows, columns=REACH_COLUMNS)
    frame.attrs.update(net.attrs)
    frame.attrs.update(limit_m=limit, weighting="nodes", unsnapped=dict(destinations.unsnapped))
    return frame


# ----------------------------------------------------------------------------- barrier impact


def _fixed_edges(net: RoutingNetwork, w: ProfileWeights, el: int) -> tuple[np.ndarray, np.ndarray]:
    """The directed edges whose weight fixing element ``el`` changes, and their new weights
    (reach weights: ``max(cost, length)``; ``inf`` where something else still blocks)."""
    on_edge = net.element_on_edge
    if on_edge[el]:
        edges = np.flatnonzero(net.edge_element == el)
        head = net.node_element[net.idx.edge_v[edges]]
        has = head >= 0
        h = head[has]
        add = np.zeros(edges.size)
        blocked = np.zeros(edges.size, dtype=bool)
        add[has] = np.where(~on_edge[h], w.elem_add[h], 0.0)
        blocked[has] = ~on_edge[h] & w.elem_block[h]
        new = net.length[edges] * w.elem_mult_kept[el] + add
    else:
        edges = net.entering(el)
        ee = net.edge_element[edges]
        has = ee >= 0
        g = ee[has]
        mult = np.ones(edges.size)
        add = np.zeros(edges.size)
        blocked = np.zeros(edges.size, dtype=bool)
        mult[has] = np.where(on_edge[g], w.elem_mult[g], 1.0)
        add[has] = np.where(on_edge[g], w.elem_add[g], 0.0)
        blocked[has] = on_edge[g] & w.elem_block[g]
        new = net.length[edges] * mult + add
    new = np.maximum(new, net.length[edges])
    new[blocked] = np.inf
    return edges, new


def barrier_impact(
    net: RoutingNetwork,
    profile: Profile,
    destinations: Destinations,
    *,
    limit_m: float = DEFAULT_REACH_LIMIT_M,
    elements: Sequence[int] | np.ndarray | None = None,
) -> pd.DataFrame:
    """For each barrier of ``profile`` (or the given element positions), the reach its fix
    restores: ``restored_<category>`` nodes newly within the limit, and ``restored_nodes`` their
    sum over categories (node-weighted). Elements the profile neither blocks nor costs restore
    nothing (exactly 0). Columns: ``element_id, kind, state, lon, lat, profile_id, rules,
    restored_<category>..., restored_nodes, method``; sorted by ``restored_nodes``."""
    limit = check_limit(limit_m)
    w = net.weights(profile)
    weight, rev = reach_weights(net, w)
    cats = sorted(destinations.nodes)
    dist = {c: distances_to(rev, destinations.nodes[c], limit) for c in cats}
    if elements is None:
        todo = np.flatnonzero(w.barrier)
    else:
        todo = np.asarray(elements, dtype=np.int64)
        bad = todo[(todo < 0) | (todo >= len(net.e_id))]
        if bad.size:
            raise InputError(Problem("elements", bad.tolist(), f"positions 0–{len(net.e_id) - 1}"))
    restored = np.zeros((todo.size, len(cats)), dtype=np.int64)
    barrier = w.barrier
    tails_all = net.idx.edge_u
    heads_all = net.idx.edge_v
    for row, el in enumerate(todo.tolist()):
        if not barrier[el]:
            continue
        edges, new = _fixed_edges(net, w, el)
        better = np.isfinite(new) & (new < weight[edges])
        if not better.any():
            continue
        edges, new = edges[better], new[better]
        tails, heads = tails_all[edges], heads_all[edges]
        seeds = np.stack([dist[c][heads] + new for c in cats])  # (categories, changed edges)
        useful = (seeds <= limit) & (seeds < np.stack([dist[c][tails] for c in cats]))
        if not useful.any():
            continue
        keep = useful.any(axis=0)
        tails, seeds = tails[keep], seeds[:, keep]
        uniq, inv = np.unique(tails, return_inverse=True)
        budget = limit - float(seeds[np.isfinite(seeds)].min())
        D = np.atleast_2d(dijkstra(rev, directed=True, indices=uniq, limit=budget))
        reach_rows, reach_cols = np.nonzero(np.isfinite(D))
        near = np.unique(reach_cols)
        for j, c in enumerate(cats):
            best = np.full(uniq.size, np.inf)
            np.minimum.at(best, inv, seeds[j])
            cand = np.full(near.size, np.inf)
            pos = np.searchsorted(near, reach_cols)
            np.minimum.at(cand, pos, best[reach_rows] + D[reach_rows, reach_cols])
            before = dist[c][near]
            restored[row, j] = int(((cand <= limit) & ~(before <= limit)).sum())
    hits = w.rule_hits
    rules = {r.id: r.effect for r in profile.rules}
    frame = pd.DataFrame({
        "element_id": net.e_id[todo].astype(object),
        "kind": net.e_kind[todo].astype(object),
        "state": net.state[todo].astype(object),
        "lon": net.e_lon[todo],
        "lat": net.e_lat[todo],
        "profile_id": profile.id,
        "rules": [",".join(r for r in hits.get(int(e), ()) if rules[r] != "prefer")
                  for e in todo],
    })
    for j, c in enumerate(cats):
        frame[f"restored_{c}"] = restored[:, j]
    frame["restored_nodes"] = restored.sum(axis=1) if cats else 0
    frame["method"] = IMPACT_METHOD
    frame = frame.sort_values("restored_nodes", ascending=False, kind="stable")
    frame = frame.reset_index(drop=True)
    frame.attrs.update(net.attrs)
    frame.attrs.update(limit_m=limit, weighting="nodes", method=IMPACT_METHOD)
    return frame


__all__ = [
    "ALL_DISTRICTS",
    "DEFAULT_REACH_LIMIT_M",
    "IMPACT_METHOD",
    "MAX_REACH_LIMIT_M",
    "REACH_COLUMNS",
    "Destinations",
    "barrier_impact",
    "check_limit",
    "distances_to",
    "node_districts",
    "reach_table",
    "reach_weights",
    "snap_destinations",
]
