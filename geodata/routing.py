"""Accessible routes on the pedestrian network, per profile (issue 14 §3).

Build a :class:`RoutingNetwork` once per walk network and element states (the states are data:
:func:`geodata.pedestrian.element_states` output, e.g. from ``audit.network_attach.network_state``;
geodata never reads audits itself). For each profile it builds, once, the weighted compact graph
(:meth:`RoutingNetwork.weights`: a CSR matrix for ``scipy.sparse.csgraph`` with blocked edges
removed, plus the per-edge masks of blocked, costed and unknown elements — reach and barrier
impact reuse them). :meth:`RoutingNetwork.route` then answers one query with one Dijkstra on
that matrix and one on the unconstrained network:

- the route (node and edge positions, its line), its length and its cost;
- the unconstrained shortest path's length and the extra distance the profile costs;
- each barrier avoided: an element on the unconstrained shortest path that blocks the profile
  or costs it more, and that the route does not pass;
- each costed element the route still passes, and each element of unknown state it passes
  (of the kinds the profile reports), the length whose incline is unknown and the length whose
  incline comes from an elevation model (:mod:`geodata.elevation`: OSM ``incline`` tags win, a
  DEM fills the rest where it has data, nothing is guessed elsewhere);
- the step list (street names, turns, crossings, distances) as data; words are made by the
  caller in the user's language;
- or "no accessible route", with the barriers on the unconstrained shortest path that block it
  (or "not connected" when even the unconstrained network has no path).

Weights: a directed edge ``u -> v`` costs ``length × Π multipliers + Σ add_m`` of the edge's rules
plus ``Σ add_m`` of the node rules of ``v``; a block rule on the edge or on ``v`` removes it.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from geodata.crs import check_lonlat, lonlat_to_metric
from geodata.elevation import dem_label, edge_inclines
from geodata.errors import InputError, Problem
from geodata.graphindex import GraphIndex, _pair_codes, graph_index
from geodata.pedestrian import element_states, network_elements, provenance_attrs, tag_matches
from geodata.profiles import Profile, Rule, parse_incline, parse_width
from geodata.snap import DEFAULT_MAX_DISTANCE_M

if TYPE_CHECKING:
    import networkx as nx

#: a search first guesses the route's cost as this multiple of the straight-line distance (plus
#: the slack); the two halves of the bidirectional search each go half as far, and the guess
#: grows by ``SEARCH_GROWTH`` until the searches meet within it (the answer is exact either way)
SEARCH_BOUND_FACTOR = 1.3
SEARCH_BOUND_SLACK_M = 200.0
SEARCH_GROWTH = 1.6
#: after this many guesses the search runs once, unbounded, from the origin (no route, or far)
SEARCH_TRIES = 3


@dataclass(frozen=True)
class Hit:
    """One element met by a rule (or of unknown state) on a path."""

    element_id: str
    kind: str
    state: str
    rule_id: str  # "" for a plain unknown element
    effect: str  # block | avoid | prefer | unknown
    lon: float
    lat: float
    cites: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class Step:
    """One step of a route: walk along a street, cross, take steps or an elevator.

    ``turn`` is the turn onto this step (``start`` for the first; ``straight``, ``slight_left``,
    ``left``, ``sharp_left``, ``slight_right``, ``right``, ``sharp_right``, ``u_turn``);
    ``name`` the street name (``None`` when the way has none), ``highway`` its OSM highway value;
    ``lon, lat`` where the step starts; ``features``: crossings, kerbs, elevators passed, with
    what OSM or our audits say about them (``Hit`` with effect ``feature``)."""

    index: int
    action: str  # walk | cross | steps | elevator
    turn: str
    name: str | None
    highway: str | None
    length_m: float
    lon: float
    lat: float
    features: tuple[Hit, ...] = ()


@dataclass
class Route:
    """The answer to one route query (see the module docstring)."""

    profile_id: str
    found: bool
    reason: str  # "" | no_accessible_route | not_connected
    origin_node: Any
    destination_node: Any
    origin_snap_m: float
    destination_snap_m: float
    length_m: float
    cost_m: float
    shortest_length_m: float
    extra_m: float
    nodes: list[Any] = field(default_factory=list)
    coords: list[tuple[float, float]] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    avoided: list[Hit] = field(default_factory=list)
    passed_costs: list[Hit] = field(default_factory=list)
    unknown: list[Hit] = field(default_factory=list)
    blocking: list[Hit] = field(default_factory=list)
    incline_unknown_m: float = 0.0
    incline_checked: bool = False
    #: length whose incline comes from the elevation model (no OSM tag; see ``dem``)
    incline_dem_m: float = 0.0
    #: the elevation model the network's inclines come from (geodata.elevation.dem_label)
    dem: dict[str, Any] | None = None
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass
class ProfileWeights:
    """The weighted compact graph of one profile on one network (reused by reach, §4).

    ``weight[e]``: the cost of directed edge position ``e`` (``inf`` when blocked);
    ``blocked[e]``, ``costed[e]``: masks; ``csr``: CSR matrix (minimum over parallel edges, blocked
    edges removed) for ``scipy.sparse.csgraph``; ``csr_edge``: the edge position of each CSR entry;
    ``rule_hits``: element position -> rule ids that apply to it; ``unknown_element``: mask over
    elements of unknown state of the kinds the profile reports; ``csr_rev``: the transpose
    (searches towards a node: the backward half of a route, reach to destinations).

    Per element (for barrier impact, §4): ``elem_block`` (a block rule applies), ``elem_add``
    (Σ add_m), ``elem_mult`` (Π multipliers of every rule) and ``elem_mult_kept`` (Π multipliers
    of the ``prefer`` rules alone: what stays once the element is fixed)."""

    profile: Profile
    weight: np.ndarray
    blocked: np.ndarray
    costed: np.ndarray
    csr: csr_matrix
    csr_edge: np.ndarray
    csr_code: np.ndarray  # u * n + v of each CSR entry (sorted): finds the entry of a step
    rule_hits: dict[int, tuple[str, ...]]
    unknown_element: np.ndarray
    csr_rev: csr_matrix
    elem_block: np.ndarray
    elem_add: np.ndarray
    elem_mult: np.ndarray
    elem_mult_kept: np.ndarray

    @property
    def barrier(self) -> np.ndarray:
        """Mask over elements that the profile blocks or costs more (``block``/``avoid``)."""
        out: np.ndarray = self.elem_block | (self.elem_add != 0.0) | (
            self.elem_mult != self.elem_mult_kept
        )
        return out


def _rule_applies(
    rule: Rule,
    kind: str,
    tags: Mapping[str, str],
    state: str,
    failing: tuple[str, ...],
    slope: float | None = None,
) -> bool:
    """Whether ``rule`` applies to an element; ``slope``: its incline in percent (OSM tag, else
    the elevation model; ``None`` = unknown), else read from its ``incline`` tag."""
    if kind not in rule.kinds:
        return False
    if rule.tags and not tag_matches(tags, rule.tags):
        return False
    if rule.unless_tags and tag_matches(tags, rule.unless_tags):
        return False
    if rule.state is not None and state != rule.state:
        return False
    if rule.failing_clauses and not (
        state == "audited" and any(c.startswith(p) for c in failing for p in rule.failing_clauses)
    ):
        return False
    if rule.incline_above_pct is not None:
        if slope is None:
            slope = parse_incline(tags.get("incline"))
        if slope is None or slope <= rule.incline_above_pct:
            return False
    if rule.width_below_m is not None:
        width = parse_width(tags.get("width"))
        if width is None or width >= rule.width_below_m:
            return False
    return True


def _reverse_positions(idx: GraphIndex) -> np.ndarray:
    """For every directed edge position, the position of its reverse twin (``-1`` if none)."""
    n = max(len(idx.node_ids), 1)
    fwd, rev = _pair_codes(idx.edge_u, idx.edge_v, idx.edge_key, n)
    out = np.full(len(idx.edge_u), -1, dtype=np.int64)
    if isinstance(fwd, np.ndarray):
        order = np.argsort(fwd, kind="stable")
        known = fwd[order]
        if known.size:
            at = np.minimum(np.searchsorted(known, rev), known.size - 1)
            hit = known[at] == rev
            out[hit] = order[at[hit]]
        return out
    where = {code: i for i, code in enumerate(fwd)}
    for i, code in enumerate(rev):
        out[i] = where.get(code, -1)
    return out


def _tuples(n: int, mask: np.ndarray, values: Any) -> np.ndarray:
    """An object array of ``n`` tuples: ``values`` (as tuples) where ``mask``, else ``()``."""
    out = np.empty(n, dtype=object)
    for i in range(n):
        out[i] = ()
    for j, v in zip(np.flatnonzero(mask).tolist(), values, strict=False):
        out[j] = tuple(v) if isinstance(v, list | tuple) else ()
    return out


def _bearing(a: np.ndarray, b: np.ndarray) -> float:
    """Compass bearing (degrees) from lon/lat point ``a`` to ``b`` (local flat approximation,
    ample for naming a turn)."""
    dx = (b[0] - a[0]) * math.cos(math.radians((a[1] + b[1]) / 2.0))
    return math.degrees(math.atan2(dx, b[1] - a[1]))


def _turn(delta: float) -> str:
    d = (delta + 180.0) % 360.0 - 180.0
    ad = abs(d)
    if ad < 20:
        return "straight"
    side = "right" if d > 0 else "left"
    if ad < 50:
        return f"slight_{side}"
    if ad < 135:
        return side
    if ad < 170:
        return f"sharp_{side}"
    return "u_turn"


class RoutingNetwork:
    """A walk network ready for routing: arrays, elements and states; weights per profile cached.

    ``states``: the output of :func:`geodata.pedestrian.element_states` for this network (audit
    verdicts attached); ``None`` uses the OSM tags alone (no audits).
    """

    def __init__(self, G: nx.MultiDiGraph, states: pd.DataFrame | None = None) -> None:
        self.G = G
        self.idx = graph_index(G)
        self.elements = network_elements(G)
        if states is None:
            none = pd.DataFrame(columns=["element_id", "facility_id", "verdict", "failing_clauses"])
            states = element_states(self.elements, none, verdict_order=())
        missing = {"element_id", "state", "failing_clauses"} - set(states.columns)
        if missing:
            raise InputError(Problem("states", sorted(missing), "the columns of element_states()"))
        by_id = states.drop_duplicates("element_id").set_index("element_id")
        ids = self.elements["element_id"]
        known = ids.isin(by_id.index).to_numpy()
        st = np.full(len(ids), "unknown", dtype=object)
        st[known] = by_id.loc[ids[known], "state"].to_numpy()
        fc = _tuples(len(ids), known, by_id.loc[ids[known], "failing_clauses"])
        ev = _tuples(
            len(ids),
            known,
            by_id.loc[ids[known], "evidence"] if "evidence" in by_id.columns else [],
        )
        self.state = st
        vd = np.full(len(ids), None, dtype=object)
        if "verdict" in by_id.columns:
            vd[known] = by_id.loc[ids[known], "verdict"].to_numpy(dtype=object)
        self.verdict = vd
        self._element_pos: dict[str, int] | None = None
        self.e_id = self.elements["element_id"].to_numpy(dtype=object)
        self.e_kind = self.elements["kind"].to_numpy(dtype=object)
        self.e_tags = self.elements["tags"].to_numpy(dtype=object)
        self.e_lon = self.elements["lon"].to_numpy(dtype=float)
        self.e_lat = self.elements["lat"].to_numpy(dtype=float)
        self.failing = fc
        self.evidence = ev
        self.reverse = _reverse_positions(self.idx)
        e_on = self.elements["on"].to_numpy()
        e_pos = self.elements["_pos"].to_numpy(dtype=np.int64)
        m, n = len(self.idx.edge_u), len(self.idx.node_ids)
        # element position of each directed edge / node (-1: none)
        self.edge_element = np.full(m, -1, dtype=np.int64)
        self.node_element = np.full(n, -1, dtype=np.int64)
        is_edge = e_on == "edge"
        rows = np.flatnonzero(is_edge)
        self.edge_element[e_pos[rows]] = rows
        twin = self.reverse[e_pos[rows]]
        self.edge_element[twin[twin >= 0]] = rows[twin >= 0]
        rows_n = np.flatnonzero(~is_edge)
        self.node_element[e_pos[rows_n]] = rows_n
        self.length = np.maximum(np.nan_to_num(self.idx.edge_length, nan=0.0), 0.0)
        # per directed edge: incline % (NaN unknown) and its source (osm | dem | unknown)
        self.incline_pct, self.incline_source = edge_inclines(G)
        self.dem = dem_label(G)
        e_slope = np.full(len(ids), np.nan)
        e_slope[rows] = self.incline_pct[e_pos[rows]]
        #: per element: the incline a rule reads (edges: OSM tag, else DEM; nodes: their tag)
        self.e_slope = e_slope
        self.attrs = provenance_attrs(G)
        self._weights: dict[tuple[str, str, int], ProfileWeights] = {}
        self._base: ProfileWeights | None = None
        self._tree: Any = None
        self.element_on_edge = is_edge
        self.element_node = np.where(is_edge, -1, e_pos)
        self._by_head: tuple[np.ndarray, np.ndarray] | None = None
        #: derived data other modules keep with the network (e.g. reach matrices per profile)
        self.cache: dict[Any, Any] = {}

    def entering(self, element: int) -> np.ndarray:
        """Directed edge positions entering a node element's node (empty for an edge element)."""
        node = int(self.element_node[element])
        if node < 0:
            return np.empty(0, dtype=np.int64)
        if self._by_head is None:
            order = np.argsort(self.idx.edge_v, kind="stable")
            self._by_head = (order, self.idx.edge_v[order])
        order, heads = self._by_head
        lo, hi = np.searchsorted(heads, [node, node + 1])
        out: np.ndarray = order[lo:hi]
        return out

    def snap_tree(self) -> Any:
        """KD-tree of the nodes in UTM 49N metres (built once)."""
        if self._tree is None:
            from scipy.spatial import cKDTree

            self._tree = cKDTree(np.column_stack([self.idx.node_x, self.idx.node_y]))
        return self._tree

    def element_position(self, element_id: str) -> int | None:
        """Row of an element (``"node/<id>"`` or ``"edge/<u>/<v>/<key>"``), or ``None``."""
        if self._element_pos is None:
            self._element_pos = {str(e): i for i, e in enumerate(self.e_id)}
        return self._element_pos.get(element_id)

    def verdict_of(self, pos: int) -> str | None:
        """The audit verdict an element carries (``None`` unless its state is audited)."""
        v = self.verdict[pos]
        return str(v) if self.state[pos] == "audited" and isinstance(v, str) else None

    # ------------------------------------------------------------------ weights

    def matrix(self, weight: np.ndarray) -> tuple[csr_matrix, np.ndarray]:
        """CSR of the finite edges, the cheapest of parallel edges, and each entry's edge."""
        ok = np.flatnonzero(np.isfinite(weight) & (self.idx.edge_u != self.idx.edge_v))
        u, v, w = self.idx.edge_u[ok], self.idx.edge_v[ok], weight[ok]
        order = np.lexsort((w, v, u))
        u, v, w, ok = u[order], v[order], w[order], ok[order]
        first = np.ones(len(u), dtype=bool)
        first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
        u, v, w, ok = u[first], v[first], w[first], ok[first]
        n = len(self.idx.node_ids)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(u, minlength=n), out=indptr[1:])
        # csgraph treats explicit zeros as missing edges: keep zero-cost edges traversable
        csr = csr_matrix((np.maximum(w, 1e-9), v, indptr), shape=(n, n))
        return csr, ok

    def unconstrained(self) -> ProfileWeights:
        """Edge lengths only, nothing blocked: the baseline of extra distance and reach."""
        if self._base is None:
            empty = Profile("unconstrained", "无约束", "unconstrained", (), frozenset())
            self._base = self._build(empty)
        return self._base

    def weights(self, profile: Profile) -> ProfileWeights:
        """The weighted compact graph of ``profile`` (built once, then cached)."""
        got = self._weights.get(profile.key)
        if got is None:
            got = self._build(profile)
            self._weights[profile.key] = got
        return got

    def _build(self, profile: Profile, exempt: frozenset[int] = frozenset()) -> ProfileWeights:
        """The profile's weights; ``exempt`` elements (positions) are treated as fixed: their
        ``block`` and ``avoid`` rules do not apply (``prefer`` rules still do)."""
        E = self.elements
        ne = len(E)
        block_e = np.zeros(ne, dtype=bool)
        add_e = np.zeros(ne)
        mult_e = np.ones(ne)
        kept_e = np.ones(ne)
        hits: dict[int, tuple[str, ...]] = {}
        kinds = self.e_kind
        tags = self.e_tags
        wanted = set().union(*(r.kinds for r in profile.rules)) if profile.rules else set()
        for i in np.flatnonzero(np.isin(kinds, list(wanted))) if wanted else ():
            applied: list[str] = []
            for rule in profile.rules:
                slope = float(self.e_slope[i])
                if _rule_applies(rule, kinds[i], tags[i], self.state[i], self.failing[i],
                                 slope if math.isfinite(slope) else None):
                    if rule.effect == "prefer":
                        kept_e[i] *= rule.multiplier
                    elif int(i) in exempt:
                        continue
                    applied.append(rule.id)
                    if rule.effect == "block":
                        block_e[i] = True
                    else:
                        add_e[i] += rule.add_m
                        mult_e[i] *= rule.multiplier
            if applied:
                hits[int(i)] = tuple(applied)
        on_edge = (E["on"] == "edge").to_numpy()
        ee = self.edge_element
        has = ee >= 0
        mult = np.ones(len(ee))
        add = np.zeros(len(ee))
        blocked = np.zeros(len(ee), dtype=bool)
        mult[has] = np.where(on_edge[ee[has]], mult_e[ee[has]], 1.0)
        add[has] = np.where(on_edge[ee[has]], add_e[ee[has]], 0.0)
        blocked[has] = on_edge[ee[has]] & block_e[ee[has]]
        head = self.node_element[self.idx.edge_v]
        hn = head >= 0
        add[hn] += np.where(~on_edge[head[hn]], add_e[head[hn]], 0.0)
        blocked[hn] |= ~on_edge[head[hn]] & block_e[head[hn]]
        weight = self.length * mult + add
        costed = (mult != 1.0) | (add != 0.0)
        weight[blocked] = np.inf
        csr, csr_edge = self.matrix(weight)
        rows = np.repeat(np.arange(csr.shape[0], dtype=np.int64), np.diff(csr.indptr))
        code = rows * csr.shape[0] + csr.indices.astype(np.int64)
        unknown = (self.state == "unknown") & np.isin(kinds, list(profile.report_unknown))
        return ProfileWeights(
            profile, weight, blocked, costed, csr, csr_edge, code, hits, unknown,
            csr_rev=csr.T.tocsr(), elem_block=block_e, elem_add=add_e, elem_mult=mult_e,
            elem_mult_kept=kept_e,
        )

    # ------------------------------------------------------------------ queries

    def snap(self, lon: float, lat: float, field: str, max_snap_m: float) -> tuple[int, float]:
        """Position of the nearest node and its distance (m); too far raises InputError."""
        lo, la = check_lonlat([lon], [lat], field=field)
        x, y = lonlat_to_metric(lo, la)
        dist, pos = self.snap_tree().query(np.column_stack([x, y]))
        if not dist[0] <= max_snap_m:
            raise InputError(
                Problem(
                    field,
                    f"{float(lo[0]):.6f}, {float(la[0]):.6f}",
                    f"a point within {max_snap_m:g} m of the walk network "
                    f"(nearest: {float(dist[0]):.0f} m)",
                    code="too_far",
                )
            )
        return int(pos[0]), float(dist[0])

    def _search(
        self, w: ProfileWeights, a: int, b: int, bound: float | None = None
    ) -> tuple[float, list[int]]:
        """Cheapest path ``a -> b``: (cost, node positions), ``(inf, [])`` when there is none.

        Bidirectional and bounded: with a guess ``L`` of the cost (``bound``, else from the
        straight-line distance), a Dijkstra search from ``a`` on the graph and one from ``b`` on
        its transpose each stop at ``L / 2``; the cheapest edge ``x -> y`` joining a node of the
        first to a node of the second is the answer when it costs at most ``L`` (any path of
        cost ``c <= L`` has such an edge with both ends within ``c / 2``). Otherwise the guess
        grows, and after :data:`SEARCH_TRIES` guesses one unbounded search decides: exact
        either way, and each half explores about a quarter of the area of one search."""
        if a == b:
            return 0.0, [a]
        if bound is None:
            ax, ay = self.idx.node_x[a], self.idx.node_y[a]
            bx, by = self.idx.node_x[b], self.idx.node_y[b]
            bound = SEARCH_BOUND_FACTOR * math.hypot(bx - ax, by - ay) + SEARCH_BOUND_SLACK_M
        for _ in range(SEARCH_TRIES):
            half = bound / 2.0
            da, pa = dijkstra(w.csr, directed=True, indices=a, return_predecessors=True,
                              limit=half)
            db, pb = dijkstra(w.csr_rev, directed=True, indices=b, return_predecessors=True,
                              limit=half)
            xs = np.flatnonzero(np.isfinite(da))
            sub = w.csr[xs]
            if sub.nnz:
                joined = np.repeat(da[xs], np.diff(sub.indptr)) + sub.data + db[sub.indices]
                k = int(np.argmin(joined))
                best = float(joined[k])
                if best <= bound:
                    row = int(np.searchsorted(sub.indptr, k, side="right")) - 1
                    x, y = int(xs[row]), int(sub.indices[k])
                    return best, self._walk(pa, a, x) + self._walk(pb, b, y)[::-1]
            if np.isfinite(da[sub.indices]).all():  # all that ``a`` reaches is explored
                if np.isfinite(da[b]):
                    return float(da[b]), self._walk(pa, a, b)
                return math.inf, []
            ys = np.flatnonzero(np.isfinite(db))
            if np.isfinite(db[w.csr_rev[ys].indices]).all():  # all that reaches ``b`` too
                return math.inf, []  # (``a`` is not among them, or they would have met)
            bound *= SEARCH_GROWTH
        d, pred = dijkstra(w.csr, directed=True, indices=a, return_predecessors=True)
        if not np.isfinite(d[b]):
            return math.inf, []
        return float(d[b]), self._walk(pred, a, b)

    @staticmethod
    def _walk(pred: np.ndarray, root: int, node: int) -> list[int]:
        """Node positions from ``root`` to ``node`` along a predecessor array."""
        out = [node]
        while out[-1] != root:
            out.append(int(pred[out[-1]]))
        out.reverse()
        return out

    def _path_edges(self, w: ProfileWeights, nodes: list[int]) -> list[int]:
        if len(nodes) < 2:
            return []
        path = np.asarray(nodes, dtype=np.int64)
        k = np.searchsorted(w.csr_code, path[:-1] * len(self.idx.node_ids) + path[1:])
        return [int(e) for e in w.csr_edge[k]]

    def _hit(self, elem: int, rule_id: str, effect: str, rule: Rule | None = None) -> Hit:
        return Hit(
            element_id=str(self.e_id[elem]),
            kind=str(self.e_kind[elem]),
            state=str(self.state[elem]),
            rule_id=rule_id,
            effect=effect,
            lon=float(self.e_lon[elem]),
            lat=float(self.e_lat[elem]),
            cites=rule.cites if rule else (),
            evidence=tuple(self.evidence[elem]),
        )

    def _path_elements(self, edges: list[int]) -> list[int]:
        """Elements met along a path, in order, each once (edge elements and entered nodes)."""
        out: list[int] = []
        seen: set[int] = set()
        if edges:
            first = self.node_element[self.idx.edge_u[edges[0]]]
            if first >= 0:
                out.append(int(first))
                seen.add(int(first))
        for e in edges:
            for el in (self.edge_element[e], self.node_element[self.idx.edge_v[e]]):
                if el >= 0 and int(el) not in seen:
                    seen.add(int(el))
                    out.append(int(el))
        return out

    def _rule_hits(self, w: ProfileWeights, elems: list[int], effects: set[str]) -> list[Hit]:
        rules = {r.id: r for r in w.profile.rules}
        out = []
        for el in elems:
            for rid in w.rule_hits.get(el, ()):
                if rules[rid].effect in effects:
                    out.append(self._hit(el, rid, rules[rid].effect, rules[rid]))
        return out

    def route(
        self,
        profile: Profile,
        origin: tuple[float, float],
        destination: tuple[float, float],
        *,
        max_snap_m: float = DEFAULT_MAX_DISTANCE_M,
    ) -> Route:
        """The best route for ``profile`` from ``origin`` to ``destination`` (lon, lat WGS84)."""
        a, da = self.snap(origin[0], origin[1], "origin", max_snap_m)
        b, db = self.snap(destination[0], destination[1], "destination", max_snap_m)
        w = self.weights(profile)
        base = self.unconstrained()
        ids = self.idx.node_ids
        # the profile's route first: its length bounds the unconstrained search
        cost, path = self._search(w, a, b)
        edges = self._path_edges(w, path)
        length = float(self.length[edges].sum()) if edges else 0.0
        base_len, base_path = self._search(
            base, a, b, bound=length * (1 + 1e-9) + 1e-6 if math.isfinite(cost) else None
        )
        route = Route(
            profile_id=profile.id, found=False, reason="", origin_node=ids[a],
            destination_node=ids[b], origin_snap_m=da, destination_snap_m=db,
            length_m=math.nan, cost_m=math.inf, shortest_length_m=base_len, extra_m=math.nan,
            attrs=dict(self.attrs),
        )
        if not math.isfinite(base_len):
            route.reason = "not_connected"
            return route
        base_edges = self._path_edges(base, base_path)
        base_elems = self._path_elements(base_edges)
        if not math.isfinite(cost):
            route.reason = "no_accessible_route"
            route.blocking = self._rule_hits(w, base_elems, {"block"})
            return route
        elems = self._path_elements(edges)
        on_route = set(elems)
        route.found = True
        route.cost_m = cost
        route.length_m = length
        route.extra_m = length - base_len
        route.nodes = [ids[a], *(ids[self.idx.edge_v[e]] for e in edges)]
        lines = self._oriented(edges)
        route.coords = self._coords(lines, a)
        route.steps = self._steps(w, edges, lines)
        route.avoided = self._rule_hits(
            w, [el for el in base_elems if el not in on_route], {"block", "avoid"}
        )
        route.passed_costs = self._rule_hits(w, elems, {"avoid"})
        route.unknown = [self._hit(el, "", "unknown") for el in elems if w.unknown_element[el]]
        route.incline_checked = any(r.incline_above_pct is not None for r in profile.rules)
        route.incline_unknown_m = self._incline_length(edges, "unknown")
        route.incline_dem_m = self._incline_length(edges, "dem")
        route.dem = self.dem
        return route

    def _incline_length(self, edges: list[int], source: str) -> float:
        """Length of the edges whose incline source is ``source`` (osm | dem | unknown)."""
        if not edges:
            return 0.0
        e = np.asarray(edges, dtype=np.int64)
        return float(self.length[e][self.incline_source[e] == source].sum())

    def _oriented(self, edges: list[int]) -> list[np.ndarray]:
        """Each edge's line in lon/lat, oriented from its tail to its head."""
        if not edges:
            return []
        coords, which = shapely.get_coordinates(self.idx.edge_geom[edges], return_index=True)
        cuts = np.flatnonzero(np.diff(which)) + 1
        out = []
        for e, c in zip(edges, np.split(coords, cuts), strict=True):
            u = self.idx.edge_u[e]
            start = (self.idx.node_lon[u], self.idx.node_lat[u])
            d_first = abs(c[0, 0] - start[0]) + abs(c[0, 1] - start[1])
            d_last = abs(c[-1, 0] - start[0]) + abs(c[-1, 1] - start[1])
            out.append(c[::-1] if d_last < d_first else c)
        return out

    def _coords(self, lines: list[np.ndarray], a: int) -> list[tuple[float, float]]:
        pts = [(float(self.idx.node_lon[a]), float(self.idx.node_lat[a]))]
        for c in lines:
            pts.extend((float(x), float(y)) for x, y in c[1:])
        return pts

    def _action(self, e: int) -> str:
        el = self.edge_element[e]
        kind = str(self.e_kind[el]) if el >= 0 else ""
        highway = str(self.idx.edge_highway[e] or "")
        if kind == "crossing_way":
            return "cross"
        if kind == "steps_way" or highway == "steps":
            return "steps"
        if kind == "elevator_way" or highway == "elevator":
            return "elevator"
        return "walk"

    def _steps(self, w: ProfileWeights, edges: list[int], lines: list[np.ndarray]) -> list[Step]:
        steps: list[Step] = []
        groups: list[list[int]] = []
        line_of = dict(zip(edges, lines, strict=True))
        last_key: tuple[str, Any] | None = None
        for e in edges:
            key = (self._action(e), self.idx.edge_name[e])
            if groups and key == last_key:
                groups[-1].append(e)
            else:
                groups.append([e])
            last_key = key
        kinds = self.e_kind
        prev_end: float | None = None
        for i, group in enumerate(groups):
            first = line_of[group[0]]
            start_bearing = _bearing(first[0], first[1])
            turn = "start" if prev_end is None else _turn(start_bearing - prev_end)
            last = line_of[group[-1]]
            prev_end = _bearing(last[-2], last[-1])
            feats: list[Hit] = []
            heads = [self.idx.edge_u[group[0]]] if i == 0 else []
            heads += [self.idx.edge_v[e] for e in group]
            for node in heads:
                el = self.node_element[node]
                if el >= 0 and kinds[el] != "footway_node":
                    applied = ",".join(w.rule_hits.get(int(el), ()))
                    feats.append(self._hit(int(el), applied, "feature"))
            for e in group:
                el = self.edge_element[e]
                if el >= 0 and kinds[el] not in ("sidewalk_way", "street_with_sidewalk"):
                    h = self._hit(int(el), ",".join(w.rule_hits.get(int(el), ())), "feature")
                    if h not in feats:
                        feats.append(h)
            steps.append(
                Step(
                    index=i + 1,
                    action=self._action(group[0]),
                    turn=turn,
                    name=self.idx.edge_name[group[0]],
                    highway=self.idx.edge_highway[group[0]],
                    length_m=float(self.length[group].sum()),
                    lon=float(first[0, 0]),
                    lat=float(first[0, 1]),
                    features=tuple(feats),
                )
            )
        return steps


_NETWORKS: weakref.WeakKeyDictionary[Any, RoutingNetwork] = weakref.WeakKeyDictionary()


def routing_network(G: nx.MultiDiGraph, states: pd.DataFrame | None = None) -> RoutingNetwork:
    """A :class:`RoutingNetwork` of ``G``; without ``states`` (OSM tags only) cached per graph."""
    if states is not None:
        return RoutingNetwork(G, states)
    got = _NETWORKS.get(G)
    if got is None or got.idx is not graph_index(G):
        got = RoutingNetwork(G)
        _NETWORKS[G] = got
    return got


def route(
    G: nx.MultiDiGraph | RoutingNetwork,
    profile: Profile,
    origin: tuple[float, float],
    destination: tuple[float, float],
    *,
    states: pd.DataFrame | None = None,
    max_snap_m: float = DEFAULT_MAX_DISTANCE_M,
) -> Route:
    """One route: ``(network, profile, origin, destination) -> Route`` (``found`` False: no
    accessible route, with ``reason`` and the ``blocking`` barriers)."""
    net = G if isinstance(G, RoutingNetwork) else routing_network(G, states)
    return net.route(profile, origin, destination, max_snap_m=max_snap_m)


__all__ = [
    "Hit",
    "ProfileWeights",
    "Route",
    "RoutingNetwork",
    "Step",
    "route",
    "routing_network",
]
