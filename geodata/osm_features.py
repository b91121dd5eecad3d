"""Tagged OSM objects (nodes, ways) read from an OSM file by tag rules, with pyosmium.

:func:`read_osm_features` scans an ``.osm.pbf`` / ``.osm`` / ``.osm.bz2`` file once and returns one
row per (object, matching rule): the object's type and id, its position (a node's location, or the
mean of a way's node locations), the tags the rule keeps, and the object's OSM version and
timestamp where the file has them. The rules are plain data (:class:`FeatureRule`, parsed by
:func:`parse_feature_rules` from a TOML table); what a rule's ``label`` means is the caller's
business (audit uses facility types). Relations (multipolygons) are not read.

The file is bounded before and while it is read: its size (``max_bytes``) and the number of
matching objects (``max_features``), so a huge or hostile file stops with a clear message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geodata.errors import InputError, Problem

SUFFIXES: tuple[str, ...] = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz")
FEATURE_COLUMNS = [
    "osm_type", "osm_id", "rule_id", "label", "lon", "lat", "tags", "osm_version",
    "osm_timestamp",
]
OBJECT_TYPES: tuple[str, ...] = ("node", "way")
# osmium reports a missing timestamp as the epoch and a missing version as 0
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class FeatureRule:
    """One rule: objects of ``objects`` types with all ``match`` tags and no ``exclude`` tag."""

    id: str
    label: str
    objects: frozenset[str]
    match: tuple[tuple[str, str | None], ...]  # (key, value); value None = any value
    exclude: tuple[tuple[str, str | None], ...]
    keep: tuple[str, ...]

    def applies(self, tags: Mapping[str, str]) -> bool:
        return all(_has(tags, k, v) for k, v in self.match) and not any(
            _has(tags, k, v) for k, v in self.exclude
        )


def _has(tags: Mapping[str, str], key: str, value: str | None) -> bool:
    have = tags.get(key)
    return have is not None and have != "" and (value is None or have == value)


def _pairs(raw: Any, where: str, problems: list[Problem]) -> tuple[tuple[str, str | None], ...]:
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        problems.append(Problem(where, raw, "a list of 'key=value' or 'key=*' strings"))
        return ()
    out: list[tuple[str, str | None]] = []
    for entry in raw:
        key, sep, value = entry.partition("=")
        if not sep or not key.strip() or not value.strip():
            problems.append(Problem(where, entry, "'key=value' or 'key=*'"))
            continue
        out.append((key.strip(), None if value.strip() == "*" else value.strip()))
    return tuple(out)


def parse_feature_rules(
    raw_rules: Any, *, labels: Sequence[str], source: str
) -> tuple[FeatureRule, ...]:
    """Validate a list of rule tables (``id, label-field, objects, match, exclude, keep``).

    ``labels`` are the allowed values of each rule's ``label`` (read from its ``facility_type``
    key). Raises :class:`InputError` listing every problem at once.
    """
    problems: list[Problem] = []
    rules: list[FeatureRule] = []
    if not isinstance(raw_rules, list) or not raw_rules:
        raise InputError(Problem("rule", raw_rules, "at least one [[rule]] table"), source)
    seen: set[str] = set()
    for i, raw in enumerate(raw_rules):
        where = f"rule[{i}]"
        if not isinstance(raw, Mapping):
            problems.append(Problem(where, raw, "a table"))
            continue
        known = {"id", "facility_type", "objects", "match", "exclude", "keep"}
        for key in sorted(set(raw) - known):
            problems.append(Problem(f"{where}.{key}", raw[key], f"one of {sorted(known)}"))
        rid = raw.get("id")
        if not isinstance(rid, str) or not rid or rid in seen:
            problems.append(Problem(f"{where}.id", rid, "a new, non-empty id"))
            continue
        seen.add(rid)
        label = raw.get("facility_type")
        if label not in labels:
            problems.append(Problem(f"{where}.facility_type", label, f"one of {', '.join(labels)}"))
        objects = raw.get("objects")
        if (not isinstance(objects, list) or not objects
                or any(o not in OBJECT_TYPES for o in objects)):
            problems.append(Problem(f"{where}.objects", objects, "a list of 'node' / 'way'"))
            objects = []
        match = _pairs(raw.get("match"), f"{where}.match", problems)
        if not match:
            problems.append(Problem(f"{where}.match", raw.get("match"), "at least one tag"))
        exclude = _pairs(raw.get("exclude", []), f"{where}.exclude", problems)
        keep = raw.get("keep", [])
        if not isinstance(keep, list) or not all(isinstance(k, str) and k for k in keep):
            problems.append(Problem(f"{where}.keep", keep, "a list of tag keys"))
            keep = []
        rules.append(FeatureRule(rid, str(label), frozenset(objects), match, exclude, tuple(keep)))
    if problems:
        raise InputError(problems, source)
    return tuple(rules)


def check_osm_file(path: Path | str, *, max_bytes: int) -> Path:
    """The path, if it names an existing OSM file of a known kind no larger than ``max_bytes``."""
    p = Path(path)
    name = p.name.lower()
    if not name.endswith(SUFFIXES):
        raise InputError(Problem("file", p.name, f"an OSM file ({', '.join(SUFFIXES)})"))
    if not p.is_file():
        raise InputError(Problem("file", p.name, "an existing, readable file"))
    size = p.stat().st_size
    if size == 0:
        raise InputError(Problem("file", p.name, "a non-empty OSM file"))
    if size > max_bytes:
        raise InputError(Problem(
            "file size", f"{p.name}: {size / 1e6:.1f} MB",
            f"at most {max_bytes / 1e6:.1f} MB (cut a smaller extract, e.g. `osmium extract`)",
        ))
    return p


def _tag_dict(tags: Any) -> dict[str, str]:
    return {t.k: t.v for t in tags}


def _meta(obj: Any) -> tuple[int | None, datetime | None]:
    version = int(obj.version) or None
    ts = obj.timestamp
    stamp = ts if isinstance(ts, datetime) and ts > _EPOCH else None
    return version, stamp


def read_osm_features(
    path: Path | str,
    rules: Sequence[FeatureRule],
    *,
    max_bytes: int,
    max_features: int,
) -> pd.DataFrame:
    """Every object matching a rule, as rows of :data:`FEATURE_COLUMNS` (WGS84 lon/lat).

    Raises :class:`InputError` for a file of the wrong kind, too large, unreadable, or holding more
    than ``max_features`` matches. A way none of whose nodes has a location in the file (an extract
    clips ways at its border) is left out; ``attrs["ways_without_location"]`` counts them.
    """
    import osmium

    p = check_osm_file(path, max_bytes=max_bytes)
    want_ways = any("way" in r.objects for r in rules)
    node_rules = [r for r in rules if "node" in r.objects]
    way_rules = [r for r in rules if "way" in r.objects]
    rows: list[tuple[Any, ...]] = []
    no_location = 0
    try:
        proc = osmium.FileProcessor(str(p), osmium.osm.NODE | osmium.osm.WAY)
        if want_ways:
            proc = proc.with_locations()
        for item in proc:
            obj: Any = item
            if not len(obj.tags):
                continue
            is_node = obj.is_node()
            candidates = node_rules if is_node else way_rules
            if not candidates or (not is_node and not obj.is_way()):
                continue
            tags = _tag_dict(obj.tags)
            hits = [r for r in candidates if r.applies(tags)]
            if not hits:
                continue
            if is_node:
                loc = obj.location
                if not loc.valid():
                    continue
                lon, lat = float(loc.lon), float(loc.lat)
            else:
                pts = [(n.lon, n.lat) for n in obj.nodes if n.location.valid()]
                if not pts:
                    no_location += 1
                    continue
                arr = np.asarray(pts, float)
                lon, lat = float(arr[:, 0].mean()), float(arr[:, 1].mean())
            version, stamp = _meta(obj)
            for r in hits:
                kept = {k: tags[k] for k in r.keep if k in tags}
                rows.append(("node" if is_node else "way", int(obj.id), r.id, r.label, lon, lat,
                             kept, version, stamp))
                if len(rows) > max_features:
                    raise InputError(Problem(
                        "features", f"{p.name}: more than {max_features}",
                        f"at most {max_features} matching objects (cut a smaller extract)",
                    ))
    except InputError:
        raise
    except Exception as exc:  # osmium's own errors on a corrupt or foreign file
        raise InputError(Problem("file", p.name, f"a readable OSM file ({exc})")) from None
    frame = pd.DataFrame(rows, columns=FEATURE_COLUMNS)
    frame["osm_version"] = frame["osm_version"].astype(object)
    frame.attrs["ways_without_location"] = no_location
    frame.attrs["source"] = p.name
    return frame


__all__ = [
    "FEATURE_COLUMNS",
    "SUFFIXES",
    "FeatureRule",
    "check_osm_file",
    "parse_feature_rules",
    "read_osm_features",
]
