"""The pedestrian network as carrier of accessibility: elements, attachment, and element state.

- :func:`load_walk_network` reads an OSM file (``.osm``, ``.osm.bz2``, ``.osm.pbf``, ``.graphml``)
  keeping the pedestrian tags on nodes and ways (the tag list is data:
  ``geodata/data/pedestrian_tags.toml``), or ``"demo"``: the synthetic demo network with synthetic
  crossings, kerbs and sidewalks (:func:`geodata.demo_network.demo_walk_network`). Crossing and
  kerb nodes survive osmnx's simplification, and no edge spans two OSM ways, so every edge's tags
  are those of one way.
- :func:`network_elements` lists the elements of a network: crossing / kerb / elevator nodes,
  crossing / sidewalk / steps / elevator ways, streets tagged with a sidewalk, and plain footway
  nodes; each with the tags it carries and the accessibility facts OSM reports about it.
- :func:`attach_points` attaches points (audited facilities) to the nearest element of the kinds
  each point may serve, within a distance limit (the caller's ``snap_limit_m``).
- :func:`element_states` gives every element one state — ``audited`` (our verdict),
  ``osm_reported`` (from tags) or ``unknown`` — with the reason. Nothing is guessed.

Every frame carries the network's provenance label in ``attrs`` (synthetic, OSM of Yangjiang, or
an OSM sample that is not Yangjiang).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import shapely
import tomli

from geodata.crs import check_lonlat, lonlat_to_metric
from geodata.errors import InputError, Problem
from geodata.graphindex import _INVALIDATE_HOOKS, graph_index, signature

if TYPE_CHECKING:
    import networkx as nx

TAGS_FILE = Path(__file__).parent / "data" / "pedestrian_tags.toml"
STATES: tuple[str, ...] = ("audited", "osm_reported", "unknown")
FOOTWAY_NODE = "footway_node"
ELEMENT_COLUMNS = [
    "element_id", "kind", "on", "node", "u", "v", "key", "osmid", "lon", "lat", "tags", "reported",
    "unrecognised",
]
ATTACH_COLUMNS = ["element_id", "kind", "distance_m", "attached", "reason"]
STATE_COLUMNS = [
    "element_id", "kind", "state", "reason_code", "reason", "evidence", "verdict",
    "failing_clauses", "facility_ids",
]

State = Literal["audited", "osm_reported", "unknown"]


# ----------------------------------------------------------------------------- tag rules (TOML)


@dataclass(frozen=True)
class ElementKind:
    """One kind of network element: how it is recognised and which tags report on it."""

    id: str
    on: Literal["node", "edge"]
    match: tuple[tuple[str, str | None], ...]  # (key, value); value None = any value
    report: tuple[str, ...]


@dataclass(frozen=True)
class TagRules:
    """The content of ``pedestrian_tags.toml``, validated."""

    version: str
    keep_node: tuple[str, ...]
    keep_way: tuple[str, ...]
    kinds: tuple[ElementKind, ...]
    footway_highways: frozenset[str]
    footway_edge_kinds: frozenset[str]
    footway_report: tuple[str, ...]
    values: Mapping[str, frozenset[str] | None]  # None: any non-empty value

    @property
    def kind_ids(self) -> tuple[str, ...]:
        return (*(k.id for k in self.kinds), FOOTWAY_NODE)

    def kind(self, kind_id: str) -> ElementKind:
        for k in self.kinds:
            if k.id == kind_id:
                return k
        if kind_id == FOOTWAY_NODE:
            return ElementKind(FOOTWAY_NODE, "node", (), self.footway_report)
        raise KeyError(kind_id)


def _strings(value: Any, field: str, problems: list[Problem]) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        problems.append(Problem(field, value, "a list of non-empty strings"))
        return ()
    return tuple(value)


def _parse_rules(data: Mapping[str, Any], source: str) -> TagRules:
    problems: list[Problem] = []
    known_top = {"version", "keep", "kind", "footway_node", "values"}
    for key in sorted(set(data) - known_top):
        problems.append(Problem(key, data[key], f"one of the sections {sorted(known_top)}"))
    keep = data.get("keep", {})
    keep_node = _strings(keep.get("node"), "keep.node", problems)
    keep_way = _strings(keep.get("way"), "keep.way", problems)
    raw_values = data.get("values", {})
    values: dict[str, frozenset[str] | None] = {}
    for key, vals in raw_values.items():
        got = _strings(vals, f"values.{key}", problems)
        values[key] = None if "*" in got else frozenset(got)
    kinds: list[ElementKind] = []
    seen: set[str] = set()
    for i, raw in enumerate(data.get("kind", [])):
        where = f"kind[{i}]"
        kid = raw.get("id")
        if not isinstance(kid, str) or not kid or kid in seen or kid == FOOTWAY_NODE:
            problems.append(
                Problem(f"{where}.id", kid, f"a new, non-empty id (not {FOOTWAY_NODE})")
            )
            continue
        seen.add(kid)
        on = raw.get("on")
        if on not in ("node", "edge"):
            problems.append(Problem(f"{where}.on", on, "'node' or 'edge'"))
            continue
        match: list[tuple[str, str | None]] = []
        for entry in _strings(raw.get("match"), f"{where}.match", problems):
            k, sep, v = entry.partition("=")
            if not sep or not k or not v:
                problems.append(Problem(f"{where}.match", entry, "'key=value' or 'key=*'"))
                continue
            match.append((k, None if v == "*" else v))
        report = _strings(raw.get("report"), f"{where}.report", problems)
        for key in report:
            if key not in values:
                problems.append(Problem(f"{where}.report", key, "a key listed in [values]"))
        kinds.append(ElementKind(kid, on, tuple(match), report))
    foot = data.get("footway_node", {})
    highways = _strings(foot.get("highways"), "footway_node.highways", problems)
    edge_kinds = _strings(foot.get("edge_kinds"), "footway_node.edge_kinds", problems)
    for k in edge_kinds:
        if k not in {x.id for x in kinds if x.on == "edge"}:
            problems.append(Problem("footway_node.edge_kinds", k, "an edge kind defined above"))
    foot_report = _strings(foot.get("report"), "footway_node.report", problems)
    if problems:
        raise InputError(problems, context=f"pedestrian tag rules {source}")
    return TagRules(
        version=str(data.get("version", "")),
        keep_node=keep_node,
        keep_way=keep_way,
        kinds=tuple(kinds),
        footway_highways=frozenset(highways),
        footway_edge_kinds=frozenset(edge_kinds),
        footway_report=foot_report,
        values=values,
    )


_RULES_CACHE: dict[tuple[str, float], TagRules] = {}


def load_tag_rules(path: Path | str | None = None) -> TagRules:
    """Read and validate a pedestrian tag file (default: the bundled ``pedestrian_tags.toml``)."""
    p = Path(path) if path is not None else TAGS_FILE
    key = (str(p.resolve()), p.stat().st_mtime) if p.is_file() else None
    if key is None or key not in _RULES_CACHE:
        data = read_toml(p, "pedestrian tag rules")
        key = (str(p.resolve()), p.stat().st_mtime)
        _RULES_CACHE[key] = _parse_rules(data, str(p))
    return _RULES_CACHE[key]


def read_toml(p: Path, what: str) -> dict[str, Any]:
    """A data file's TOML; a missing or unreadable file raises :class:`InputError` naming it."""
    if not p.is_file():
        raise InputError(Problem(what, str(p), "an existing TOML file"))
    try:
        return tomli.loads(p.read_text("utf-8"))
    except (tomli.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(Problem(what, str(p), f"valid UTF-8 TOML ({exc})")) from None


# ----------------------------------------------------------------------------- loading

_OSMNX_SETTINGS_LOCK = threading.Lock()


def _walk_reader(rules: TagRules) -> Any:
    """An OSM XML reader for :func:`geodata.network.read_network_file` that keeps the tags."""

    def read(path: Path) -> nx.MultiDiGraph:
        import osmnx as ox

        from geodata.network import _from_xml

        with _OSMNX_SETTINGS_LOCK:  # osmnx reads its tag lists from module-level settings
            old_node, old_way = ox.settings.useful_tags_node, ox.settings.useful_tags_way
            ox.settings.useful_tags_node = list(dict.fromkeys([*old_node, *rules.keep_node]))
            ox.settings.useful_tags_way = list(dict.fromkeys([*old_way, *rules.keep_way]))
            try:
                G = _from_xml(path, simplify=False, retain_all=True, bidirectional=True)
            finally:
                ox.settings.useful_tags_node, ox.settings.useful_tags_way = old_node, old_way
        # keep tagged nodes (crossings, kerbs ...) as graph nodes; never merge two OSM ways
        return ox.simplify_graph(
            G, node_attrs_include=list(rules.keep_node), edge_attrs_differ=["osmid"]
        )

    return read


def load_walk_network(
    source: str | Path, *, rules: TagRules | None = None
) -> nx.MultiDiGraph:
    """A walk network keeping the pedestrian tags: ``"demo"`` or an OSM / GraphML file.

    Unlike :func:`geodata.network.load_network`, every way is walkable in both directions, every
    connected piece is kept (a sidewalk not yet joined to the street grid is still an element),
    and nodes carrying a kept tag stay graph nodes. ``G.graph["provenance"]`` and
    ``["provenance_label_zh"/"_en"]`` say whether it is synthetic, Yangjiang, or not Yangjiang.
    """
    from geodata.network import read_network_file

    rules = rules or load_tag_rules()
    if isinstance(source, str) and source.strip().lower() == "demo":
        from geodata.demo_network import demo_walk_network

        return demo_walk_network()
    G = read_network_file(source, _walk_reader(rules))
    G.graph["walk_tags_version"] = rules.version
    return G


# ----------------------------------------------------------------------------- elements


def _text(value: Any) -> str | None:
    """A tag value as one string (osmnx lists joined with ';'); missing/NaN as None."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, list | tuple | set):
        parts = sorted({str(v) for v in value if v is not None and str(v)})
        return ";".join(parts) or None
    text = str(value).strip()
    return text or None


def _matches(kind: ElementKind, tags: Mapping[str, str]) -> bool:
    return tag_matches(tags, kind.match)


def tag_matches(tags: Mapping[str, str], wanted: Sequence[tuple[str, str | None]]) -> bool:
    """Whether ``tags`` has any of the ``(key, value)`` pairs (value ``None``: any value; a
    ``;``-joined tag value matches each of its parts)."""
    for key, value in wanted:
        have = tags.get(key)
        if have is None:
            continue
        if value is None or value in have.split(";"):
            return True
    return False


def _classify(
    rules: TagRules, tags: Mapping[str, str], on: str
) -> tuple[str | None, dict[str, str], dict[str, str]]:
    """(kind id or None, reported facts, unrecognised values) of one node or edge."""
    for kind in rules.kinds:
        if kind.on == on and _matches(kind, tags):
            reported, odd = _facts(rules, kind.report, tags)
            return kind.id, reported, odd
    return None, {}, {}


def _facts(
    rules: TagRules, keys: Sequence[str], tags: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    reported: dict[str, str] = {}
    odd: dict[str, str] = {}
    for key in keys:
        value = tags.get(key)
        if value is None:
            continue
        allowed = rules.values[key]
        parts = value.split(";")
        if allowed is None or all(p in allowed for p in parts):
            reported[key] = value
        else:
            odd[key] = value
    return reported, odd


def _tags(data: Mapping[str, Any], keys: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key in keys:
        text = _text(data.get(key))
        if text is not None:
            out[key] = text
    return out


_ELEMENTS: weakref.WeakKeyDictionary[Any, tuple[tuple[int, int], str, pd.DataFrame]] = (
    weakref.WeakKeyDictionary()
)
_INVALIDATE_HOOKS.append(lambda G: _ELEMENTS.pop(G, None))


def network_elements(G: nx.MultiDiGraph, rules: TagRules | None = None) -> pd.DataFrame:
    """The accessibility-bearing elements of a walk network, one row each.

    Columns: ``element_id`` ("node/<id>" or "edge/<u>/<v>/<key>"), ``kind``, ``on`` (node|edge),
    ``node`` (node elements) or ``u, v, key`` (edge elements, each two-way street once),
    ``osmid``, ``lon, lat`` (the node, or the midpoint of the edge), ``tags`` (the kept tags),
    ``reported`` (tag -> value the rules recognise as a fact) and ``unrecognised`` (tag -> value
    of a reporting tag whose value is not one the rules know). Cached per graph.
    """
    rules = rules or load_tag_rules()
    sig = signature(G)
    cached = _ELEMENTS.get(G)
    if cached is not None and cached[0] == sig and cached[1] == rules.version:
        return cached[2]
    idx = graph_index(G)
    rows: list[dict[str, Any]] = []
    footway_nodes: set[Any] = set()
    way_keys = tuple(rules.keep_way)
    compact = hasattr(G, "edge_tag_dicts")  # a geodata.compact.CompactNetwork
    edge_iter: Any
    if compact:
        edge_iter = zip(
            idx.node_ids[idx.edge_u].tolist(), idx.node_ids[idx.edge_v].tolist(),
            idx.edge_key.tolist(), G.edge_tag_dicts([*way_keys, "osmid"]), strict=True,
        )
    else:
        edge_iter = (
            (u, v, k, d)
            for u, nbrs in G._adj.items() for v, kd in nbrs.items() for k, d in kd.items()
        )
    mids = shapely.line_interpolate_point(idx.edge_geom, 0.5, normalized=True)
    for pos, (u, v, k, d) in enumerate(edge_iter):
        tags = _tags(d, way_keys)
        kind, reported, odd = _classify(rules, tags, "edge")
        highway = set((tags.get("highway") or "").split(";"))
        if (kind in rules.footway_edge_kinds) or (highway & rules.footway_highways):
            footway_nodes.update((u, v))
        if kind is None or not idx.undirected[pos]:
            continue
        mid = mids[pos]
        rows.append({
            "element_id": f"edge/{u}/{v}/{k}", "kind": kind, "on": "edge", "node": None,
            "u": u, "v": v, "key": k, "osmid": _text(d.get("osmid")),
            "lon": float(shapely.get_x(mid)), "lat": float(shapely.get_y(mid)), "tags": tags,
            "reported": reported, "unrecognised": odd, "_pos": pos,
        })
    node_keys = tuple(rules.keep_node)
    node_items: Any = (
        zip(idx.node_ids.tolist(), G.node_tag_dicts(node_keys), strict=True)
        if compact else G._node.items()
    )
    for pos, (n, d) in enumerate(node_items):
        tags = _tags(d, node_keys)
        kind, reported, odd = _classify(rules, tags, "node")
        if kind is None and n in footway_nodes:
            kind = FOOTWAY_NODE
            reported, odd = _facts(rules, rules.footway_report, tags)
        if kind is None:
            continue
        rows.append({
            "element_id": f"node/{n}", "kind": kind, "on": "node", "node": n, "u": None,
            "v": None, "key": None, "osmid": str(n), "lon": float(idx.node_lon[pos]),
            "lat": float(idx.node_lat[pos]), "tags": tags, "reported": reported,
            "unrecognised": odd, "_pos": pos,
        })
    frame = _object_frame(rows, ELEMENT_COLUMNS)
    frame["lon"] = frame["lon"].astype(float)
    frame["lat"] = frame["lat"].astype(float)
    frame["_pos"] = np.fromiter((r["_pos"] for r in rows), np.int64, len(rows))
    frame.attrs.update(provenance_attrs(G))
    _ELEMENTS[G] = (sig, rules.version, frame)
    return frame


def _object_frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    """Rows as a frame of object columns (pandas 3 would turn None in a str column into NaN)."""
    data = {}
    for col in columns:
        values = np.empty(len(rows), dtype=object)
        for i, r in enumerate(rows):  # one by one: numpy would unpack equal-length tuples
            values[i] = r[col]
        data[col] = pd.Series(values, dtype=object)
    return pd.DataFrame(data, columns=columns)


def provenance_attrs(G: nx.MultiDiGraph) -> dict[str, Any]:
    """The network's provenance (``synthetic`` | ``osm_yangjiang`` | ``osm_not_yangjiang``)."""
    return {
        "synthetic": bool(G.graph.get("synthetic")),
        "provenance": G.graph.get("provenance", ""),
        "provenance_label_zh": G.graph.get("provenance_label_zh", ""),
        "provenance_label_en": G.graph.get("provenance_label_en", ""),
    }


def element_counts(elements: pd.DataFrame) -> dict[str, int]:
    """Number of elements of each kind."""
    return {str(k): int(v) for k, v in elements["kind"].value_counts().sort_index().items()}


# ----------------------------------------------------------------------------- attachment


def _element_geoms_m(G: nx.MultiDiGraph, elements: pd.DataFrame) -> np.ndarray:
    idx = graph_index(G)
    geoms = np.empty(len(elements), dtype=object)
    is_node = (elements["on"] == "node").to_numpy()
    pos = elements["_pos"].to_numpy(dtype=np.int64)
    geoms[is_node] = shapely.points(idx.node_x[pos[is_node]], idx.node_y[pos[is_node]])
    geoms[~is_node] = idx.edge_geom_m[pos[~is_node]]
    return geoms


def attach_points(
    G: nx.MultiDiGraph,
    lons: Any,
    lats: Any,
    targets: Sequence[Sequence[str]],
    *,
    max_distance_m: float,
    rules: TagRules | None = None,
) -> pd.DataFrame:
    """Attach each point to the nearest element whose kind is among its ``targets``.

    ``targets[i]`` lists the element kinds point ``i`` may serve (empty: the point is not attached
    to the network). Distances are measured in UTM 49N metres to the node, or to the nearest point
    of the edge. A point with no such element within ``max_distance_m`` is not attached, and
    ``reason`` says how far the nearest one is. Columns: ``element_id, kind, distance_m,
    attached, reason``, one row per point, in order.
    """
    rules = rules or load_tag_rules()
    lon, lat = check_lonlat(lons, lats)
    problems: list[Problem] = []
    if len(targets) != lon.size:
        problems.append(
            Problem("targets", len(targets), f"one list of element kinds per point ({lon.size})")
        )
    try:
        limit = float(max_distance_m)
    except (TypeError, ValueError):
        limit = float("nan")
    if not np.isfinite(limit) or limit < 0:
        problems.append(Problem("max_distance_m", max_distance_m, "a finite number >= 0"))
    known = set(rules.kind_ids)
    for i, kinds in enumerate(targets[: lon.size]):
        if isinstance(kinds, str):
            problems.append(Problem(f"targets[{i}]", kinds, "a list of element kinds"))
            continue
        bad = [k for k in kinds if k not in known]
        if bad:
            problems.append(Problem(f"targets[{i}]", bad, f"element kinds among {sorted(known)}"))
    if problems:
        raise InputError(problems)
    elements = network_elements(G, rules)
    x, y = lonlat_to_metric(lon, lat)
    n = lon.size
    out_id = np.full(n, None, dtype=object)
    out_kind = np.full(n, None, dtype=object)
    out_d = np.full(n, np.nan)
    out_ok = np.zeros(n, dtype=bool)
    reason = np.full(n, "", dtype=object)
    groups: dict[tuple[str, ...], list[int]] = {}
    for i, kinds in enumerate(targets):
        groups.setdefault(tuple(sorted(set(kinds))), []).append(i)
    geoms = _element_geoms_m(G, elements) if len(elements) else np.empty(0, dtype=object)
    kind_arr = elements["kind"].to_numpy()
    ids = elements["element_id"].to_numpy()
    for kinds, members in groups.items():
        rows = np.asarray(members, dtype=np.int64)
        if not kinds:
            reason[rows] = "this facility type is not attached to the network"
            continue
        cand = np.flatnonzero(np.isin(kind_arr, list(kinds)))
        wanted = " or ".join(kinds)
        if cand.size == 0:
            reason[rows] = f"the network has no {wanted} element"
            continue
        tree = shapely.STRtree(geoms[cand])
        pts = shapely.points(x[rows], y[rows])
        (qi, ti), dist = tree.query_nearest(pts, return_distance=True, all_matches=False)
        best = cand[ti]
        out_d[rows[qi]] = dist
        near = dist <= limit
        hit = rows[qi][near]
        out_id[hit] = ids[best[near]]
        out_kind[hit] = kind_arr[best[near]]
        out_ok[hit] = True
        for r, dd in zip(rows[qi][~near], dist[~near], strict=True):
            reason[r] = f"the nearest {wanted} element is {dd:.0f} m away (limit {limit:g} m)"
    frame = pd.DataFrame(
        {"element_id": out_id, "kind": out_kind, "distance_m": out_d, "attached": out_ok,
         "reason": reason},
        columns=ATTACH_COLUMNS,
    )
    frame.attrs.update(provenance_attrs(G))
    return frame


# ----------------------------------------------------------------------------- states


def element_states(
    elements: pd.DataFrame,
    attached: pd.DataFrame,
    *,
    verdict_order: Sequence[str],
) -> pd.DataFrame:
    """The state of every element — ``audited``, ``osm_reported`` or ``unknown`` — and why.

    ``attached``: one row per attached facility with ``element_id, facility_id, verdict,
    failing_clauses`` (a tuple; verdict ``None`` or ``"unaudited"`` when it has no submitted
    audit). ``verdict_order`` lists the audit verdicts worst first: an element served by several
    audited facilities carries the worst of their latest verdicts and the union of their failing
    clauses. Without an audited facility, an element is ``osm_reported`` when a reporting tag has
    a recognised value, else ``unknown``. Columns: ``element_id, kind, state, reason_code``
    (``audit`` | ``osm_tags`` | ``attached_unaudited`` | ``unrecognised_tags`` | ``no_evidence``),
    ``reason`` (an English sentence), ``evidence`` (tuple of strings), ``verdict``,
    ``failing_clauses``, ``facility_ids``.
    """
    order = {v: i for i, v in enumerate(verdict_order)}
    missing_cols = {"element_id", "facility_id", "verdict", "failing_clauses"} - set(attached)
    if missing_cols:
        raise InputError(Problem("attached", sorted(missing_cols), "these columns"))
    bad = sorted(
        {str(v) for v in attached["verdict"] if v is not None and v != "unaudited"
         and not (isinstance(v, float) and np.isnan(v)) and v not in order}
    )
    if bad:
        raise InputError(Problem("verdict", bad, f"one of {list(verdict_order)} or unaudited"))
    by_element: dict[str, list[tuple[Any, Any, tuple[str, ...]]]] = {}
    for eid, fid, verdict, clauses in attached[
        ["element_id", "facility_id", "verdict", "failing_clauses"]
    ].itertuples(index=False):
        if eid is None or (isinstance(eid, float) and np.isnan(eid)):
            continue
        by_element.setdefault(str(eid), []).append((fid, verdict, tuple(clauses or ())))
    out: list[dict[str, Any]] = []
    for eid, kind, reported, odd in elements[
        ["element_id", "kind", "reported", "unrecognised"]
    ].itertuples(index=False):
        facilities = by_element.get(eid, [])
        audited = [f for f in facilities if f[1] in order]
        row: dict[str, Any] = {
            "element_id": eid, "kind": kind, "verdict": None, "failing_clauses": (),
            "facility_ids": tuple(f[0] for f in facilities),
        }
        if audited:
            worst = min(audited, key=lambda f: order[f[1]])[1]
            clauses = tuple(sorted({c for f in audited for c in f[2]}))
            row.update(
                state="audited", reason_code="audit", verdict=worst, failing_clauses=clauses,
                evidence=tuple(f"facility {f[0]}: {f[1]}" for f in audited),
                reason=f"audited: {len(audited)} attached facilit"
                f"{'y' if len(audited) == 1 else 'ies'}, verdict {worst}"
                + (f", failing {', '.join(clauses)}" if clauses else ""),
            )
        elif reported:
            ev = tuple(f"{k}={v}" for k, v in sorted(reported.items()))
            row.update(state="osm_reported", reason_code="osm_tags", evidence=ev,
                       reason="reported by OpenStreetMap tags: " + ", ".join(ev))
        elif facilities:
            row.update(state="unknown", reason_code="attached_unaudited",
                       evidence=tuple(f"facility {f[0]}: not audited" for f in facilities),
                       reason="a facility is attached but has no submitted audit, and no "
                       "OpenStreetMap tag reports on it")
        elif odd:
            ev = tuple(f"{k}={v}" for k, v in sorted(odd.items()))
            row.update(state="unknown", reason_code="unrecognised_tags", evidence=ev,
                       reason="no audit; tag values not recognised: " + ", ".join(ev))
        else:
            row.update(state="unknown", reason_code="no_evidence", evidence=(),
                       reason="no audit and no OpenStreetMap tag reports on it")
        out.append(row)
    frame = _object_frame(out, STATE_COLUMNS)
    frame.attrs.update(elements.attrs)
    return frame


__all__ = [
    "FOOTWAY_NODE",
    "STATES",
    "ElementKind",
    "TagRules",
    "attach_points",
    "element_counts",
    "element_states",
    "load_tag_rules",
    "load_walk_network",
    "network_elements",
    "provenance_attrs",
    "read_toml",
    "tag_matches",
]
