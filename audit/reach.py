"""Reach per district and profile on the city's walk network, with our audits (issue 14 §4).

The computation is :mod:`geodata.reach`; this module gives it the data: the walk network
(setting ``network_source``) with the stored audits attached as element states
(:func:`audit.routes.routing_for`), the key destinations (setting ``destinations_file``; the
bundled file is synthetic), the districts, the profiles and the limit (setting
``reach_limit_m``). Every result carries the labels a page or export must show: a synthetic
network or destinations, or an OpenStreetMap sample that is not Yangjiang.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from audit.settings import get_settings
from geodata.profiles import Profile, load_profiles
from geodata.reach import (
    ALL_DISTRICTS,
    barrier_impact,
    check_limit,
    node_districts,
    reach_table,
    snap_destinations,
)
from geodata.routing import RoutingNetwork


def walk_network_source() -> str:
    """The walk network the settings name: ``demo``, a file, or (``auto``) the cached city
    extract if there is one, else any cached network, else the demo network."""
    from geodata.network import cached_networks

    settings = get_settings()
    key = str(settings.network_source).strip()
    if key.lower() == "auto":
        files = cached_networks(settings.data_dir)
        city = [f for f in files if f.name.startswith("osm_city_")]
        key = str((city or files)[0]) if files else "demo"
    return key


def load_city_walk_network() -> nx.MultiDiGraph:
    """The walk network of :func:`walk_network_source`."""
    from geodata.pedestrian import load_walk_network

    return load_walk_network(walk_network_source())


@dataclass(frozen=True)
class ReachReport:
    """Reach per district × profile × category, with names and the labels to show.

    ``table``: :data:`geodata.reach.REACH_COLUMNS` plus ``district_zh, district_en,
    profile_zh, profile_en``; the row of district ``all`` counts the whole network."""

    table: pd.DataFrame
    limit_m: float
    network_synthetic: bool
    provenance: str
    label_zh: str
    label_en: str
    destinations_synthetic: bool
    unsnapped: Mapping[str, int] = field(default_factory=dict)


def _limit(limit_m: float | None) -> float:
    return check_limit(get_settings().reach_limit_m if limit_m is None else limit_m)


def audited_network(repo: Any, G: nx.MultiDiGraph, *, snap_limit_m: float) -> RoutingNetwork:
    """A routing network of ``G`` whose element states carry our audits (as
    :func:`audit.routes.routing_for` with a repository)."""
    from audit.network_attach import network_state

    _attached, states = network_state(repo, G, snap_limit_m=snap_limit_m)
    return RoutingNetwork(G, states)


def city_reach(
    net: RoutingNetwork,
    *,
    destinations: pd.DataFrame,
    districts: gpd.GeoDataFrame | None = None,
    profiles: Sequence[Profile] | None = None,
    limit_m: float | None = None,
) -> ReachReport:
    """Reach of every profile for every destination category, per district and city-wide.

    ``destinations``: ``category, name, lon, lat, is_demo`` (:func:`audit.priority.
    load_destinations`).

    ``districts`` (``adcode, name_zh, name_en``, polygons): default the city's districts; nodes
    outside every district count in the ``all`` row only (an OSM sample outside Yangjiang has
    that row alone)."""
    limit = _limit(limit_m)
    dest = destinations
    if districts is None:
        from geodata.districts import load_districts

        districts = load_districts()
    profs = list(profiles) if profiles is not None else list(load_profiles().values())
    snapped = snap_destinations(net, dest, max_snap_m=get_settings().snap_limit_m)
    labels = node_districts(net, districts)
    table = reach_table(net, profs, snapped, limit_m=limit, node_district=labels)
    names = districts.set_index(districts["adcode"].astype(str))
    for lang in ("zh", "en"):
        col = f"name_{lang}"
        known = names[col].to_dict() if col in names.columns else {}
        table[f"district_{lang}"] = [
            "全网" if c == ALL_DISTRICTS and lang == "zh" else
            "Whole network" if c == ALL_DISTRICTS else known.get(c, c)
            for c in table["district_code"]
        ]
    by_id = {p.id: p for p in profs}
    table["profile_zh"] = table["profile_id"].map(lambda p: by_id[p].name_zh)
    table["profile_en"] = table["profile_id"].map(lambda p: by_id[p].name_en)
    demo = dest["is_demo"] if "is_demo" in dest.columns else pd.Series([False])
    return ReachReport(
        table=table,
        limit_m=limit,
        network_synthetic=bool(net.attrs.get("synthetic")),
        provenance=str(net.attrs.get("provenance", "")),
        label_zh=str(net.attrs.get("provenance_label_zh", "")),
        label_en=str(net.attrs.get("provenance_label_en", "")),
        destinations_synthetic=bool(demo.astype(bool).any()),
        unsnapped=dict(snapped.unsnapped),
    )


def barrier_impacts(
    net: RoutingNetwork,
    *,
    destinations: pd.DataFrame,
    profiles: Sequence[Profile] | None = None,
    limit_m: float | None = None,
    elements: Sequence[int] | np.ndarray | None = None,
) -> pd.DataFrame:
    """:func:`geodata.reach.barrier_impact` for every profile, one table (sorted by
    ``restored_nodes``); ``attrs`` carry the method, the weighting and the network's label."""
    limit = _limit(limit_m)
    snapped = snap_destinations(net, destinations, max_snap_m=get_settings().snap_limit_m)
    profs = list(profiles) if profiles is not None else list(load_profiles().values())
    parts = [barrier_impact(net, p, snapped, limit_m=limit, elements=elements) for p in profs]
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    frame = frame.sort_values("restored_nodes", ascending=False, kind="stable")
    frame = frame.reset_index(drop=True)
    if parts:
        frame.attrs.update(parts[0].attrs)
    return frame


def restored_by_element(
    net: RoutingNetwork,
    element_ids: Sequence[Any],
    *,
    destinations: pd.DataFrame,
    profiles: Sequence[Profile] | None = None,
    limit_m: float | None = None,
) -> pd.DataFrame:
    """Restored reach of the given elements (ids; ``None`` for none), summed over profiles:
    one row per distinct element with ``restored_<category>`` and ``restored_nodes``."""
    wanted = sorted({str(e) for e in element_ids if isinstance(e, str)})
    pos = [net.element_position(e) for e in wanted]
    known = np.asarray([p for p in pos if p is not None], dtype=np.int64)
    cats = sorted({str(c) for c in destinations["category"]})
    cols = [f"restored_{c}" for c in cats]
    if known.size == 0:
        return pd.DataFrame(columns=["element_id", *cols, "restored_nodes"])
    imp = barrier_impacts(net, destinations=destinations, profiles=profiles, limit_m=limit_m,
                          elements=known)
    for c in cols:
        if c not in imp.columns:
            imp[c] = 0
    out = imp.groupby("element_id", as_index=False)[[*cols, "restored_nodes"]].sum()
    out.attrs.update(imp.attrs)
    return out


__all__ = [
    "ALL_DISTRICTS",
    "ReachReport",
    "audited_network",
    "barrier_impacts",
    "city_reach",
    "load_city_walk_network",
    "restored_by_element",
    "walk_network_source",
]
