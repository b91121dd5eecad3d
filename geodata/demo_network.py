"""Synthetic demo street network inside the real Yangjiang district boundaries.

**Synthetic, not OpenStreetMap, not real streets.** It exists so the app can draw a network and
compute coverage when neither an osmnx download nor a user-supplied OSM file is available. It is
deterministic (fixed seed): perturbed, slightly rotated street grids around each district seat and
each GeoNames town, clipped to the city outline, joined by meandering connecting roads along a
Delaunay/minimum-spanning-tree skeleton. Street names are "演示路 N" (``name_en`` "Demo Rd N").

Run ``python -m geodata.demo_network [--out FILE.graphml]`` to build it and print its size.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import shapely
from pyproj import Geod

from geodata.crs import WGS84, lonlat_to_metric, metric_to_lonlat

if TYPE_CHECKING:
    import networkx as nx

VERSION = 1
SEED = 441700
LABEL_ZH = "演示路网（合成，非OSM）"
LABEL_EN = "synthetic demo network"

# Generator parameters (metres): this is how the synthetic network looks, not an audit threshold.
SEAT_TOWNS = {
    "441702": "Yangjiang", "441704": "Dongcheng", "441721": "Zhize", "441781": "Chuncheng"
}
SEAT_RADIUS_M = 2600.0
TOWN_RADIUS_M = (650.0, 1000.0)
SEAT_SPACING_M = 150.0
TOWN_SPACING_M = 125.0
JITTER = 0.15  # share of the spacing
DROP_SHARE = 0.07  # grid links removed at random for irregularity
MERGE_DISTANCE_M = 1500.0  # towns closer than this to a bigger centre are absorbed by it
ROAD_STEP_M = 400.0
EXTRA_LINK_MAX_M = 9000.0  # Delaunay links shorter than this are added to the MST (loops)
# Synthetic pedestrian tagging of the demo walk network (demo_walk_network): how the synthetic
# crossings, kerbs and sidewalks are spread, not an audit threshold. Values are OSM tag values;
# None leaves the tag off (the element's state is then unknown, as in real data).
CROSSING_SHARE = 0.3  # share of grid junctions that get a crossing on one of their streets
KERB_SHARE = 0.15  # share of grid junctions that get a separate kerb node on another street
CROSSING_OFFSET_M = 12.0  # distance of the crossing / kerb node from the junction
Weights = dict[str | None, float]
CROSSING_TYPES: Weights = {"traffic_signals": 0.3, "uncontrolled": 0.5, "unmarked": 0.2}
KERB_VALUES: Weights = {"lowered": 0.45, "raised": 0.2, "flush": 0.1, None: 0.25}
TACTILE_VALUES: Weights = {"yes": 0.35, "no": 0.35, None: 0.3}
SOUND_VALUES: Weights = {"yes": 0.4, "no": 0.3, None: 0.3}  # on signalised crossings only
SIDEWALK_VALUES: Weights = {"both": 0.7, "no": 0.1, None: 0.2}  # on grid (residential) streets


@dataclass(frozen=True)
class _Centre:
    name: str
    x: float
    y: float
    radius: float
    spacing: float


def _centres(rng: np.random.Generator) -> list[_Centre]:
    from geodata.districts import load_towns

    towns = load_towns()
    tx, ty = lonlat_to_metric(towns.geometry.x.to_numpy(), towns.geometry.y.to_numpy())
    names = towns["name"].tolist()
    seats = set(SEAT_TOWNS.values())
    order = sorted(range(len(names)), key=lambda i: (names[i] not in seats, names[i]))
    chosen: list[_Centre] = []
    for i in order:
        if any(np.hypot(c.x - tx[i], c.y - ty[i]) < MERGE_DISTANCE_M for c in chosen):
            continue
        if names[i] in seats:
            chosen.append(_Centre(names[i], tx[i], ty[i], SEAT_RADIUS_M, SEAT_SPACING_M))
        else:
            r = float(rng.uniform(*TOWN_RADIUS_M))
            chosen.append(_Centre(names[i], tx[i], ty[i], r, TOWN_SPACING_M))
    return chosen


class _Builder:
    def __init__(self) -> None:
        self.xs: list[float] = []
        self.ys: list[float] = []
        self.edges: list[tuple[int, int, str, int]] = []  # u, v, highway, street number
        self.street = 0

    def node(self, x: float, y: float) -> int:
        self.xs.append(x)
        self.ys.append(y)
        return len(self.xs) - 1

    def next_street(self) -> int:
        self.street += 1
        return self.street


def _grid(
    b: _Builder, c: _Centre, rng: np.random.Generator, city_m: shapely.Geometry,
    covered: shapely.Geometry | None,
) -> np.ndarray:
    n = int(np.ceil(c.radius / c.spacing))
    ii, jj = np.meshgrid(np.arange(-n, n + 1), np.arange(-n, n + 1), indexing="ij")
    angle = rng.uniform(0, np.pi / 2)
    gx = ii * c.spacing + rng.normal(0, JITTER * c.spacing, ii.shape)
    gy = jj * c.spacing + rng.normal(0, JITTER * c.spacing, ii.shape)
    x = c.x + gx * np.cos(angle) - gy * np.sin(angle)
    y = c.y + gx * np.sin(angle) + gy * np.cos(angle)
    # an irregular outline: radius modulated by angle
    theta = np.arctan2(gy, gx)
    phase = rng.uniform(0, 2 * np.pi, 3)
    wobble = 1 + 0.18 * np.sin(3 * theta + phase[0]) + 0.1 * np.sin(5 * theta + phase[1])
    keep = np.hypot(gx, gy) <= c.radius * wobble
    keep &= shapely.contains_xy(city_m, x, y)
    if covered is not None:
        keep &= ~shapely.contains_xy(covered, x, y)
    ids = np.full(ii.shape, -1, dtype=np.int64)
    local: list[tuple[int, int, int]] = []
    for a, bb in zip(*np.nonzero(keep), strict=True):
        ids[a, bb] = b.node(float(x[a, bb]), float(y[a, bb]))
    rows = {k: b.next_street() for k in range(ids.shape[1])}
    cols = {k: b.next_street() for k in range(ids.shape[0])}
    for a in range(ids.shape[0]):
        for bb in range(ids.shape[1]):
            u = ids[a, bb]
            if u < 0:
                continue
            if a + 1 < ids.shape[0] and ids[a + 1, bb] >= 0 and rng.random() > DROP_SHARE:
                local.append((u, ids[a + 1, bb], rows[bb]))
            if bb + 1 < ids.shape[1] and ids[a, bb + 1] >= 0 and rng.random() > DROP_SHARE:
                local.append((u, ids[a, bb + 1], cols[a]))
    # keep the largest connected piece of this grid only
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(ids[ids >= 0].tolist())
    g.add_edges_from((u, v) for u, v, _ in local)
    if g.number_of_nodes() == 0:
        return np.empty(0, dtype=np.int64)
    main = max(nx.connected_components(g), key=len)
    for u, v, s in local:
        if u in main:
            b.edges.append((u, v, "residential", s))
    return np.array(sorted(main), dtype=np.int64)


def _road(b: _Builder, u: int, v: int, rng: np.random.Generator) -> None:
    x0, y0, x1, y1 = b.xs[u], b.ys[u], b.xs[v], b.ys[v]
    dist = float(np.hypot(x1 - x0, y1 - y0))
    steps = max(1, int(dist // ROAD_STEP_M))
    t = np.linspace(0, 1, steps + 1)[1:-1]
    nx_, ny_ = -(y1 - y0) / max(dist, 1.0), (x1 - x0) / max(dist, 1.0)
    amp = rng.uniform(0.02, 0.06) * dist
    bend = amp * np.sin(np.pi * t) * rng.choice([-1, 1]) + rng.normal(0, 25, t.shape)
    street = b.next_street()
    prev = u
    for tk, off in zip(t, bend, strict=True):
        w = b.node(x0 + tk * (x1 - x0) + off * nx_, y0 + tk * (y1 - y0) + off * ny_)
        b.edges.append((prev, w, "secondary", street))
        prev = w
    b.edges.append((prev, v, "secondary", street))


def build_demo_network(seed: int = SEED) -> nx.MultiDiGraph:
    """Generate the synthetic demo network (osmnx-style ``MultiDiGraph``, EPSG:4326, metres)."""
    from geodata.districts import load_city_outline

    rng = np.random.default_rng(seed)
    outline = load_city_outline().geometry.iloc[0]
    city_m = shapely.transform(
        outline, lambda c: np.column_stack(lonlat_to_metric(c[:, 0], c[:, 1]))
    )
    shapely.prepare(city_m)
    b = _Builder()
    centres = _centres(rng)
    grids: list[np.ndarray] = []
    covered: shapely.Geometry | None = None
    for c in centres:
        nodes = _grid(b, c, rng, city_m, covered)
        grids.append(nodes)
        if nodes.size >= 3:
            hull = shapely.multipoints(
                np.column_stack([np.asarray(b.xs)[nodes], np.asarray(b.ys)[nodes]])
            ).convex_hull.buffer(c.spacing * 0.6)
            covered = hull if covered is None else covered.union(hull)
            shapely.prepare(covered)
    live = [k for k, g in enumerate(grids) if g.size]
    cx = np.array([centres[k].x for k in live])
    cy = np.array([centres[k].y for k in live])
    from scipy.sparse import coo_matrix  # on use: the labels above are imported without scipy
    from scipy.sparse.csgraph import minimum_spanning_tree
    from scipy.spatial import Delaunay, cKDTree

    tri = Delaunay(np.column_stack([cx, cy]))
    pairs: set[tuple[int, int]] = set()
    for simplex in tri.simplices:
        for a in range(3):
            i, j = sorted((int(simplex[a]), int(simplex[(a + 1) % 3])))
            pairs.add((i, j))
    inside = []
    city_buf = city_m.buffer(200)
    for i, j in sorted(pairs):
        line = shapely.LineString([(cx[i], cy[i]), (cx[j], cy[j])])
        if city_buf.contains(line):
            inside.append((i, j, line.length))
    rows = [p[0] for p in inside]
    cols = [p[1] for p in inside]
    w = [p[2] for p in inside]
    mst = minimum_spanning_tree(coo_matrix((w, (rows, cols)), shape=(len(live), len(live))))
    mst_pairs = set(zip(*mst.nonzero(), strict=True))
    xs = np.asarray(b.xs)
    ys = np.asarray(b.ys)
    for i, j, dist in inside:
        if (i, j) not in mst_pairs and (j, i) not in mst_pairs and dist > EXTRA_LINK_MAX_M:
            continue
        gi, gj = grids[live[i]], grids[live[j]]
        ti = cKDTree(np.column_stack([xs[gi], ys[gi]]))
        tj = cKDTree(np.column_stack([xs[gj], ys[gj]]))
        _, a = ti.query([cx[j], cy[j]])
        _, c = tj.query([cx[i], cy[i]])
        _road(b, int(gi[a]), int(gj[c]), rng)
    return _to_graph(b, seed)


def _to_graph(b: _Builder, seed: int) -> nx.MultiDiGraph:
    x = np.asarray(b.xs)
    y = np.asarray(b.ys)
    lon, lat = metric_to_lonlat(x, y)
    import networkx as nx

    G = nx.MultiDiGraph(
        crs=WGS84,
        synthetic=True,
        source_label_zh=LABEL_ZH,
        source_label_en=LABEL_EN,
        provenance="synthetic",
        provenance_label_zh=LABEL_ZH,
        provenance_label_en=LABEL_EN,
        source="demo",
        generator=f"geodata.demo_network v{VERSION} seed {seed}",
        simplified=False,
    )
    used = sorted({n for e in b.edges for n in e[:2]})
    lon = np.round(lon, 7)
    lat = np.round(lat, 7)
    for n in used:
        G.add_node(n + 1, x=float(lon[n]), y=float(lat[n]))
    eu = np.array([e[0] for e in b.edges])
    ev = np.array([e[1] for e in b.edges])
    # ellipsoidal (WGS84) geodesic lengths in metres
    _, _, lengths = Geod(ellps="WGS84").inv(lon[eu], lat[eu], lon[ev], lat[ev])
    for (u, v, hw, s), length_m in zip(b.edges, lengths, strict=True):
        length = round(float(length_m), 3)
        attrs = {"highway": hw, "name": f"演示路 {s}", "name_en": f"Demo Rd {s}",
                 "length": length, "oneway": False, "synthetic": True}
        G.add_edge(u + 1, v + 1, key=0, reversed=False, **attrs)
        G.add_edge(v + 1, u + 1, key=0, reversed=True, **attrs)
    ug = nx.Graph(G)
    for n in G.nodes:
        G.nodes[n]["street_count"] = ug.degree(n)
    return G


@lru_cache(maxsize=2)
def _cached(seed: int) -> nx.MultiDiGraph:
    return build_demo_network(seed)


def demo_network(seed: int = SEED) -> nx.MultiDiGraph:
    """The demo network (generated once per process and cached in memory; a copy is returned)."""
    return _cached(seed).copy()


def _pick(rng: np.random.Generator, weights: Weights) -> str | None:
    """One value drawn with the given weights."""
    r = rng.random() * sum(weights.values())
    for value, w in weights.items():
        r -= w
        if r < 0:
            return value
    return list(weights)[-1]


def _split_edge(G: nx.MultiDiGraph, u: int, v: int, new: int, at_m: float, geod: Geod) -> None:
    """Insert node ``new`` on the straight two-way edge u-v, ``at_m`` metres from ``u``."""
    attrs = dict(G.edges[u, v, 0])
    # on the straight lon/lat segment the edge is drawn as
    t = at_m / max(float(attrs["length"]), 1e-9)
    a, b = G.nodes[u], G.nodes[v]
    G.nodes[new]["x"] = round(a["x"] + t * (b["x"] - a["x"]), 7)
    G.nodes[new]["y"] = round(a["y"] + t * (b["y"] - a["y"]), 7)
    G.remove_edge(u, v, 0)
    G.remove_edge(v, u, 0)
    for a, b in ((u, new), (new, v)):
        _, _, length = geod.inv(G.nodes[a]["x"], G.nodes[a]["y"], G.nodes[b]["x"], G.nodes[b]["y"])
        part = {**attrs, "length": round(float(length), 3)}
        G.add_edge(a, b, key=0, **{**part, "reversed": False})
        G.add_edge(b, a, key=0, **{**part, "reversed": True})


def add_synthetic_crossings(G: nx.MultiDiGraph, seed: int = SEED) -> nx.MultiDiGraph:
    """Give the demo network synthetic crossings, kerbs and sidewalks, tagged as OSM tags them.

    Deterministic (``seed``). At a share of the grid junctions a crossing node
    (``highway=crossing``, ``crossing=*`` and, some of them, ``kerb=*``, ``tactile_paving=*``,
    ``traffic_signals:sound=*``) is put on one of its streets, ``CROSSING_OFFSET_M`` from the
    junction; at others a kerb node (``barrier=kerb``, ``kerb=*``); grid streets get
    ``sidewalk=*``. Some tags are left off on purpose, so the demo has unknown elements too.
    Every added node carries ``synthetic=True``; the graph stays labelled synthetic.
    """
    rng = np.random.default_rng(seed + 1)
    geod = Geod(ellps="WGS84")
    next_id = max(G.nodes) + 1 if G.number_of_nodes() else 1
    edges = sorted({(min(u, v), max(u, v)) for u, v, d in G.edges(data=True)
                    if d.get("highway") == "residential"})
    for u, v in edges:
        sidewalk = _pick(rng, SIDEWALK_VALUES)
        if sidewalk is not None:
            G.edges[u, v, 0]["sidewalk"] = sidewalk
            G.edges[v, u, 0]["sidewalk"] = sidewalk
    junctions = sorted(n for n in G.nodes if G.nodes[n].get("street_count", 0) >= 3)
    for n in junctions:
        streets = sorted(
            m for m in G.successors(n)
            if G.edges[n, m, 0].get("highway") == "residential"
            and G.edges[n, m, 0]["length"] > 3 * CROSSING_OFFSET_M
        )
        if not streets:
            continue
        order = [streets[int(i)] for i in rng.permutation(len(streets))]
        if rng.random() < CROSSING_SHARE:
            crossing = str(_pick(rng, CROSSING_TYPES))
            tags: dict[str, object] = {"highway": "crossing", "crossing": crossing}
            optional = {"kerb": KERB_VALUES, "tactile_paving": TACTILE_VALUES}
            if crossing == "traffic_signals":
                optional["traffic_signals:sound"] = SOUND_VALUES
            for key, weights in optional.items():
                value = _pick(rng, weights)
                if value is not None:
                    tags[key] = value
            G.add_node(next_id, synthetic=True, street_count=2, **tags)
            _split_edge(G, n, order[0], next_id, CROSSING_OFFSET_M, geod)
            next_id += 1
            order = order[1:]
        if order and rng.random() < KERB_SHARE:
            kerb = _pick(rng, KERB_VALUES) or "raised"
            G.add_node(next_id, synthetic=True, street_count=2, barrier="kerb", kerb=kerb)
            _split_edge(G, n, order[0], next_id, CROSSING_OFFSET_M, geod)
            next_id += 1
    G.graph["generator"] = f"{G.graph.get('generator', '')} + synthetic crossings seed {seed}"
    return G


@lru_cache(maxsize=2)
def _cached_walk(seed: int) -> nx.MultiDiGraph:
    return add_synthetic_crossings(build_demo_network(seed), seed)


def demo_walk_network(seed: int = SEED) -> nx.MultiDiGraph:
    """The demo network with synthetic crossings, kerbs and sidewalks (a copy; labelled synthetic).

    :func:`demo_network` itself stays as it was, so the snapping and coverage answers on it do
    not change; the walk network is what :func:`geodata.pedestrian.load_walk_network` returns
    for ``"demo"``.
    """
    return _cached_walk(seed).copy()


def main(argv: list[str] | None = None) -> int:
    """``python -m geodata.demo_network``: build the network, print its size, optionally save."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--out", type=Path, help="write GraphML here (osmnx.save_graphml)")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    G = build_demo_network(args.seed)
    dt = time.perf_counter() - t0
    msg = (
        f"{LABEL_ZH} / {LABEL_EN}: {G.number_of_nodes()} nodes, {G.number_of_edges()} "
        f"directed edges, built in {dt:.2f} s (seed {args.seed})"
    )
    sys.stdout.write(msg + "\n")
    if args.out:
        import osmnx as ox

        ox.save_graphml(G, args.out)
        sys.stdout.write(f"saved {args.out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
