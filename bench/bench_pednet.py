"""Benchmark: attaching facilities to pedestrian-network elements (issue 14 §1, target < 2 s).

On the demo walk network (synthetic crossings, kerbs and sidewalks), 20,000 facility points of
the five attached types are placed up to 60 m from random elements and attached with
:func:`geodata.pedestrian.attach_points` (one shapely STRtree nearest query per group of target
kinds, distances in UTM metres). Baseline, same run, same points and targets:
``geopandas.sjoin_nearest`` with ``max_distance`` per group of target kinds. The note gives the
share of points on which both pick the same element (ties between equidistant elements may differ).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from bench.common import median_time, row

SIZES = {"full": (20_000, 3), "smoke": (500, 1)}  # points, reps
JITTER_M = 60.0
LIMIT_M = 100.0


def _baseline(G: Any, lons: np.ndarray, lats: np.ndarray, targets: list[list[str]]) -> np.ndarray:
    import geopandas as gpd
    import shapely

    from geodata.crs import METRIC_CRS, lonlat_to_metric
    from geodata.pedestrian import _element_geoms_m, network_elements

    E = network_elements(G)
    geoms = gpd.GeoDataFrame(
        {"element_id": E["element_id"].to_numpy(), "kind": E["kind"].to_numpy()},
        geometry=_element_geoms_m(G, E), crs=METRIC_CRS,
    )
    x, y = lonlat_to_metric(lons, lats)
    pts = gpd.GeoDataFrame({"i": np.arange(lons.size)}, geometry=shapely.points(x, y),
                           crs=METRIC_CRS)
    out = np.full(lons.size, None, dtype=object)
    keys = np.array(["|".join(sorted(t)) for t in targets])
    for key in np.unique(keys):
        sub = pts[keys == key]
        cand = geoms[geoms["kind"].isin(key.split("|"))]
        joined = gpd.sjoin_nearest(sub, cand, how="left", max_distance=LIMIT_M)
        joined = joined[~joined.index.duplicated(keep="first")]
        out[joined["i"].to_numpy()] = joined["element_id"].to_numpy()
    return out


def run(size: str = "full") -> list[dict[str, Any]]:
    """Attach ``SIZES[size]`` points; ours vs geopandas.sjoin_nearest."""
    from audit.network_attach import load_attach_rules
    from geodata.crs import lonlat_to_metric, metric_to_lonlat
    from geodata.demo_network import demo_walk_network
    from geodata.pedestrian import attach_points, network_elements

    n_points, reps = SIZES[size]
    G = demo_walk_network()
    t0 = time.perf_counter()
    E = network_elements(G)
    elements_s = time.perf_counter() - t0
    rules = load_attach_rules()
    types = [t for t, kinds in sorted(rules.targets.items()) if kinds]
    rng = np.random.default_rng(14)
    ftype = rng.choice(types, n_points)
    targets = [list(rules.targets[str(t)]) for t in ftype]
    # each point near a random element of one of its kinds
    lons = np.empty(n_points)
    lats = np.empty(n_points)
    kind = E["kind"].to_numpy()
    for t in types:
        rows = np.flatnonzero(ftype == t)
        pool = np.flatnonzero(np.isin(kind, rules.targets[t]))
        pick = rng.choice(pool, rows.size)
        x, y = lonlat_to_metric(E["lon"].to_numpy()[pick], E["lat"].to_numpy()[pick])
        angle = rng.uniform(0, 2 * np.pi, rows.size)
        r = rng.uniform(0, JITTER_M, rows.size)
        lo, la = metric_to_lonlat(x + r * np.cos(angle), y + r * np.sin(angle))
        lons[rows], lats[rows] = lo, la
    ours_s, ours = median_time(
        lambda: attach_points(G, lons, lats, targets, max_distance_m=LIMIT_M), reps
    )
    base_s, base = median_time(lambda: _baseline(G, lons, lats, targets), reps)
    same = float(np.mean(ours["element_id"].to_numpy() == base))
    return [
        row(f"attach {n_points:,} facilities to network elements ({len(E):,} elements, demo)",
            ours_s, base_s, "s", "< 2 s",
            "baseline: geopandas.sjoin_nearest(max_distance) per target-kind group; same element "
            f"for {same:.1%} of points; {int(ours['attached'].sum()):,} attached within "
            f"{LIMIT_M:g} m; element table built once in {elements_s:.2f} s (cached per graph)"),
    ]
