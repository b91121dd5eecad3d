"""Accessible routes for people (issue 14 §3): places typed by name or coordinates, our audits as
network states, and the route told in words.

The routing itself is :mod:`geodata.routing` (no audits there); this module gives it:

- :func:`place_table` / :func:`resolve_place`: an origin or destination typed as a facility
  name, a key destination (setting ``destinations_file``), a GeoNames town, or coordinates
  ``lon, lat`` in WGS84, GCJ-02 (高德/腾讯) or BD-09 (百度), converted to WGS84 at this boundary;
- :func:`routing_for`: a :class:`geodata.routing.RoutingNetwork` whose element states carry the
  latest audit verdicts and failing clauses of the attached facilities
  (:func:`audit.network_attach.network_state`);
- :func:`describe_route`: the whole answer as plain sentences (``audit/data/route_words.toml``,
  zh-Hans and en), so a screen-reader user needs no map: summary, every step with its turn,
  street and distance, what is known of each crossing, the barriers avoided, the elements of
  unknown state passed, the unknown incline, the length whose incline comes from an elevation
  model (setting ``dem_file``), and the data label (synthetic / not Yangjiang).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import tomli

from audit.errors import InputError, Problem
from audit.storage.repository import Repository
from geodata.coords import to_wgs84
from geodata.profiles import Profile
from geodata.routing import Hit, Route, RoutingNetwork

if TYPE_CHECKING:
    import networkx as nx

WORDS_FILE = Path(__file__).parent / "data" / "route_words.toml"
LANGS: tuple[str, ...] = ("zh-Hans", "en")
PLACE_KINDS: tuple[str, ...] = ("facility", "destination", "town", "coordinates", "map")
_COORDS = re.compile(r"^\s*([+-]?\d{1,3}(?:\.\d+)?)\s*[,，\s]\s*([+-]?\d{1,2}(?:\.\d+)?)\s*$")
MAX_PLACE_TEXT = 200


@dataclass(frozen=True)
class Place:
    """A resolved origin or destination (WGS84)."""

    label: str
    kind: str  # one of PLACE_KINDS
    lon: float
    lat: float
    is_demo: bool = False


def place_table(repo: Repository | None = None) -> pd.DataFrame:
    """Named places a resident may type: ``label, kind, lon, lat, is_demo``.

    Facilities of the database (with a name), the key destinations (the bundled file is
    synthetic: ``is_demo``) and the GeoNames towns.
    """
    from audit.priority import load_destinations
    from geodata.districts import load_towns

    frames = []
    if repo is not None:
        f = repo.facility_frame()
        f = f[f["name"].notna() & (f["name"].astype(str).str.strip() != "")]
        frames.append(pd.DataFrame({
            "label": f["name"].astype(str), "kind": "facility", "lon": f["lon"].astype(float),
            "lat": f["lat"].astype(float), "is_demo": f["is_demo"].astype(bool),
        }))
    d = load_destinations()
    frames.append(pd.DataFrame({
        "label": d["name"].fillna(d["category"]).astype(str), "kind": "destination",
        "lon": d["lon"].astype(float), "lat": d["lat"].astype(float),
        "is_demo": d["is_demo"].astype(bool),
    }))
    t = load_towns()
    frames.append(pd.DataFrame({
        "label": t["name"].astype(str), "kind": "town", "lon": t.geometry.x.to_numpy(),
        "lat": t.geometry.y.to_numpy(), "is_demo": False,
    }))
    out = pd.concat(frames, ignore_index=True)
    out["label"] = out["label"].astype(object)
    return out


def resolve_place(
    text: str, places: pd.DataFrame | None = None, *, crs: str = "wgs84", field: str = "origin"
) -> Place:
    """A typed place: ``lon, lat`` (in ``crs``) or a name among ``places``.

    A name matches exactly (ignoring case), else as a part of one name; no match or several
    matches raise :class:`InputError` naming the field, the text and what is allowed (with the
    candidates when there are several).
    """
    raw = str(text or "")
    if not raw.strip() or len(raw) > MAX_PLACE_TEXT:
        raise InputError(Problem(
            field, raw[:MAX_PLACE_TEXT],
            f"a place name or 'lon, lat' coordinates (1-{MAX_PLACE_TEXT} characters)",
            code="empty",
        ))
    m = _COORDS.match(raw)
    if m:
        lon, lat = float(m.group(1)), float(m.group(2))
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise InputError(Problem(field, raw, "longitude -180..180, then latitude -90..90",
                                     code="range"))
        x, y = to_wgs84(lon, lat, crs)
        return Place(f"{lon:.6f}, {lat:.6f}", "coordinates", float(x), float(y))
    table = places if places is not None else place_table()
    needle = raw.strip().casefold()
    labels = table["label"].astype(str).str.strip().str.casefold()
    hits = table[labels == needle]
    if hits.empty:
        hits = table[labels.str.contains(needle, regex=False)]
    if len(hits) == 1 or (len(hits) > 1 and hits["label"].nunique() == 1):
        row = hits.iloc[0]
        return Place(str(row["label"]), str(row["kind"]), float(row["lon"]), float(row["lat"]),
                     bool(row["is_demo"]))
    if hits.empty:
        raise InputError(Problem(
            field, raw, "a facility name, key destination or town that exists, or 'lon, lat'",
            code="not_found",
        ))
    names = sorted(hits["label"].astype(str).unique())
    shown = ", ".join(names[:5]) + (" ..." if len(names) > 5 else "")
    raise InputError(Problem(field, raw, f"one place: {len(names)} match ({shown})",
                             code="ambiguous", hints=tuple(names[:5])))


def routing_for(
    repo: Repository | None, G: nx.MultiDiGraph, *, snap_limit_m: float
) -> RoutingNetwork:
    """A routing network of ``G``; with ``repo``, our audits attached as element states."""
    if repo is None:
        return RoutingNetwork(G)
    from audit.network_attach import network_state

    _attached, states = network_state(repo, G, snap_limit_m=snap_limit_m)
    return RoutingNetwork(G, states)


# ----------------------------------------------------------------------------- words


@lru_cache(maxsize=1)
def _words() -> dict[str, Any]:
    return tomli.loads(WORDS_FILE.read_text("utf-8"))


def _fmt(words: dict[str, Any], key: str, **kw: Any) -> str:
    return str(words[key]).format(**kw)


def _m(value: float) -> str:
    return f"{value:.0f}"


def _kind(words: dict[str, Any], kind: str) -> str:
    return str(words["kind"].get(kind, kind))


def _facts(words: dict[str, Any], net: RoutingNetwork | None, hit: Hit) -> str:
    """What OSM and our audits say of one element, in words."""
    parts: list[str] = []
    facts = words["fact"]
    if net is not None:
        pos = net.element_position(hit.element_id)
        if pos is not None:
            tags = net.e_tags[pos]
            for key in ("crossing", "traffic_signals:sound", "traffic_signals:vibration",
                        "tactile_paving", "kerb", "wheelchair"):
                value = tags.get(key)
                if value is not None and f"{key}={value}" in facts:
                    parts.append(str(facts[f"{key}={value}"]))
            verdict = net.verdict_of(pos)
            if verdict:
                parts.append(facts["audited"].format(
                    verdict=words["verdict"].get(verdict, verdict)))
            failing = net.failing[pos]
            if failing:
                parts.append(facts["failing"].format(clauses="; ".join(
                    str(c).split(" (")[0] for c in failing)))
    if not parts:
        return str(words["facts_unknown"]) if hit.state == "unknown" else ""
    return str(words["sep"]).join(parts)


def _rule(words: dict[str, Any], rule_id: str) -> str:
    return str(words["rule"].get(rule_id, rule_id))


def _hit_line(words: dict[str, Any], key: str, hit: Hit) -> str:
    cites = ", ".join(c.removeprefix("osm:") for c in hit.cites)
    return _fmt(words, key, rule=_rule(words, hit.rule_id), kind=_kind(words, hit.kind),
                cites=cites)


def describe_route(
    route: Route,
    profile: Profile,
    lang: str,
    *,
    origin: str,
    destination: str,
    net: RoutingNetwork | None = None,
) -> list[str]:
    """The whole answer as plain sentences in ``lang`` (zh-Hans or en), one per line."""
    return [text for text, _step in describe_route_parts(
        route, profile, lang, origin=origin, destination=destination, net=net)]


def describe_route_parts(
    route: Route,
    profile: Profile,
    lang: str,
    *,
    origin: str,
    destination: str,
    net: RoutingNetwork | None = None,
) -> list[tuple[str, int | None]]:
    """:func:`describe_route` with each line's step number (``None`` outside the steps), so a
    page can put a "report a barrier here" link after each step."""
    if lang not in LANGS:
        raise InputError(Problem("lang", lang, f"one of {list(LANGS)}"))
    w = _words()[lang]
    name = profile.name(lang)
    label_key = "provenance_label_en" if lang == "en" else "provenance_label_zh"
    label = _fmt(w, "label", label=route.attrs.get(label_key) or "")
    if route.reason == "not_connected":
        return [(str(w["not_connected"]), None), (label, None)]
    if not route.found:
        if not route.blocking:
            return [(_fmt(w, "no_route_unknown_block", profile=name), None), (label, None)]
        out = [_fmt(w, "no_route", profile=name, shortest=_m(route.shortest_length_m))]
        out += [_hit_line(w, "blocking", h) for h in _unique(route.blocking)]
        return [(x, None) for x in [*out, label]]
    if route.extra_m > 0.5:
        summary = _fmt(w, "summary", profile=name, length=_m(route.length_m),
                       extra=_m(route.extra_m), shortest=_m(route.shortest_length_m))
        lines: list[tuple[str, int | None]] = [(summary, None)]
    else:
        lines = [(_fmt(w, "summary_same", profile=name, length=_m(route.length_m)), None)]
    lines.append((_fmt(w, "start", origin=origin), None))
    step_of: dict[str, int] = {}
    for step in route.steps:
        turn = str(w[f"turn_{step.turn}"])
        if step.name:
            street = step.name
        elif step.highway and step.highway in w["highway"]:
            street = _fmt(w, "unnamed", highway=w["highway"][step.highway])
        else:
            street = str(w["unnamed_way"])
        body = _fmt(w, f"step_{step.action}", n=step.index, turn=turn,
                    length=_m(step.length_m), name=street)
        head, _, rest = body.partition(". ")
        body = f"{head}. {rest[:1].upper()}{rest[1:]}"
        lines.append((body, step.index))
        costs: list[str] = []
        for f in step.features:
            step_of.setdefault(f.element_id, step.index)
            facts = _facts(w, net, f)
            if facts:
                lines.append((_fmt(w, "feature", kind=_kind(w, f.kind), facts=facts), step.index))
            costs += [r for r in f.rule_id.split(",") if r]
        if costs:
            lines.append((_fmt(w, "costed", rules=w["sep"].join(
                _rule(w, r) for r in dict.fromkeys(costs))), step.index))
    tail = [_fmt(w, "arrive", destination=destination)]
    if route.avoided:
        tail.append(str(w["avoided_title"]))
        tail += [_hit_line(w, "avoided", h) for h in _unique(route.avoided)]
    if route.unknown:
        tail.append(str(w["unknown_title"]))
        tail += [
            _fmt(w, "unknown", kind=_kind(w, h.kind), step=step_of.get(h.element_id, "?"))
            for h in route.unknown
        ]
    if route.incline_checked and route.incline_dem_m > 0.5 and route.dem:
        tail.append(_fmt(w, "incline_dem", length=_m(route.incline_dem_m),
                         pixel=_m(float(route.dem.get("dem_pixel_m") or 0.0))))
    if route.incline_checked and route.incline_unknown_m > 0.5:
        key = "incline_unknown_dem" if route.dem else "incline_unknown"
        tail.append(_fmt(w, key, length=_m(route.incline_unknown_m)))
    tail.append(label)
    return lines + [(x, None) for x in tail]


def plan_route(
    net: RoutingNetwork,
    places: pd.DataFrame,
    profile: Profile,
    origin: str,
    destination: str,
    *,
    crs: str,
    lang: str,
    snap_limit_m: float,
) -> dict[str, Any]:
    """A typed query answered as plain data for a page: ``found``, ``lines`` (text, step),
    ``steps`` (index, lon, lat), ``coords`` (the route's line), ``ends``, ``synthetic`` /
    ``not_yangjiang`` flags, ``dem`` (the elevation model of the inclines, or ``None``) and
    ``incline_checked`` (the profile has an incline rule).
    Bad places raise :class:`InputError` (field ``origin`` or ``destination``)."""
    a = resolve_place(origin, places, crs=crs, field="origin")
    b = resolve_place(destination, places, crs=crs, field="destination")
    r = net.route(profile, (a.lon, a.lat), (b.lon, b.lat), max_snap_m=snap_limit_m)
    return {
        "found": r.found,
        "lines": describe_route_parts(r, profile, lang, origin=a.label, destination=b.label,
                                      net=net),
        "steps": [(s.index, s.lon, s.lat) for s in r.steps],
        "coords": r.coords,
        "ends": [(a.label, a.lon, a.lat), (b.label, b.lon, b.lat)],
        "demo_places": a.is_demo or b.is_demo,
        "synthetic": bool(r.attrs.get("synthetic")),
        "provenance": str(r.attrs.get("provenance", "")),
        "dem": dict(net.dem) if net.dem else None,
        "incline_checked": r.incline_checked,
    }


def _unique(hits: list[Hit]) -> list[Hit]:
    """One line per (rule, element): a crossing mapped as a node and a way is one barrier."""
    seen: set[tuple[str, float, float]] = set()
    out = []
    for h in hits:
        key = (h.rule_id, round(h.lon, 4), round(h.lat, 4))
        if key not in seen:
            seen.add(key)
            out.append(h)
    return out


__all__ = [
    "LANGS",
    "PLACE_KINDS",
    "Place",
    "describe_route",
    "describe_route_parts",
    "place_table",
    "plan_route",
    "resolve_place",
    "routing_for",
]
