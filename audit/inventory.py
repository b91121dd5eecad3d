"""OpenStreetMap as the inventory to audit (issue 14 §5).

- :func:`import_inventory` reads an OSM file (``python -m audit inventory import FILE.osm.pbf``)
  and stores every OSM object that the tag rules (``audit/data/inventory_tags.toml``, data, not
  code) map to one of our facility types as an **inventory item**: a place to audit, never an
  audit. Re-importing upserts by (OSM type, OSM id, facility type); items of the same source file
  that the new file no longer holds are removed. Bureau or admin only (``inventory.import``).
  Everything is checked before anything is written: a bad file writes nothing.
- :func:`inventory_counts` gives the counts per district × type that replace the assumed
  coverage targets (:func:`audit.rankings.compute_rankings`).
- :func:`audited_items` decides which items are audited. **Match rule**: each facility with a
  current (submitted) audit claims the nearest inventory item of the same facility type within
  the ``snap_limit_m`` setting; an item claimed by some facility is audited. One facility claims
  at most one item, so one audited crossing never ticks off its neighbours.
- :func:`worklist` orders a district's unaudited items into an inspector's walking round on the
  street network (nearest neighbour + 2-opt, :mod:`geodata.tour`).

Every item keeps its source file name and provenance label: an extract outside Yangjiang
(Helsinki, West Oakland) is labelled "not Yangjiang" wherever its items are shown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
import tomli

from audit.actors import require
from audit.errors import InputError, Problem
from audit.frames import frame_rows
from audit.model import FACILITY_LABELS, FACILITY_TYPES
from audit.settings import Settings, get_settings
from audit.storage.orm import Facility, InventoryItem, utcnow
from audit.storage.queries import INVENTORY_BASIS, inventory_count_rows
from audit.storage.repository import Repository

RULES_FILE = Path(__file__).resolve().parent / "data" / "inventory_tags.toml"
PROVENANCE: dict[str, tuple[str, str]] = {
    "osm_yangjiang": ("OpenStreetMap 阳江数据", "OpenStreetMap data of Yangjiang"),
    "osm_not_yangjiang": ("OpenStreetMap 样例数据（非阳江）",
                          "OpenStreetMap sample data — not Yangjiang"),
}
ITEM_COLUMNS = [
    "item_id", "osm_type", "osm_id", "facility_type", "rule_id", "lon", "lat", "district_code",
    "tags", "osm_version", "osm_timestamp", "source_file", "provenance",
]
MAX_SOURCE_NAME = 200
_ID_CHUNK = 5000


@dataclass(frozen=True)
class InventoryRules:
    version: str
    rules: tuple[Any, ...]  # geodata.osm_features.FeatureRule


def load_inventory_rules(path: Path | str | None = None) -> InventoryRules:
    """Read and validate the tag rules (default: the bundled ``inventory_tags.toml``)."""
    p = Path(path) if path is not None else RULES_FILE
    return _rules_cached(str(p), p.stat().st_mtime if p.is_file() else -1.0)


@lru_cache(maxsize=4)
def _rules_cached(path: str, mtime: float) -> InventoryRules:
    from geodata.osm_features import parse_feature_rules

    if mtime < 0:
        raise InputError(Problem("inventory tag rules", path, "an existing TOML file"))
    try:
        data = tomli.loads(Path(path).read_text("utf-8"))
    except (tomli.TOMLDecodeError, UnicodeDecodeError) as exc:
        problem = Problem("inventory tag rules", path, f"valid UTF-8 TOML ({exc})")
        raise InputError(problem) from None
    rules = parse_feature_rules(data.get("rule"), labels=FACILITY_TYPES,
                                source=f"inventory tag rules {path}")
    return InventoryRules(str(data.get("version", "")), rules)


# ----------------------------------------------------------------------------- import


@dataclass(frozen=True)
class InventoryImport:
    """What one import did."""

    source_file: str
    provenance: str
    found: int
    inserted: int
    updated: int
    unchanged: int
    removed: int
    by_type: Mapping[str, int] = field(default_factory=dict)
    ways_without_location: int = 0


def read_inventory_file(
    path: Path | str, *, settings: Settings | None = None, rules: InventoryRules | None = None
) -> pd.DataFrame:
    """The inventory items of an OSM file, with district and provenance (nothing is stored).

    Raises :class:`InputError` for a bad, huge or foreign file, or one holding no feature the
    rules map to a facility type.
    """
    import geodata
    from geodata.osm_features import read_osm_features

    cfg = settings or get_settings()
    r = rules or load_inventory_rules()
    frame = read_osm_features(path, r.rules, max_bytes=cfg.inventory_max_file_bytes,
                              max_features=cfg.inventory_max_items)
    name = Path(path).name
    if frame.empty:
        kinds = "; ".join(
            f"{x.label}: {' + '.join(k + '=' + (v or '*') for k, v in x.match)}" for x in r.rules
        )
        raise InputError(Problem("file", name, f"an OSM file with at least one feature the "
                                               f"inventory rules recognise ({kinds})"))
    if len(name) > MAX_SOURCE_NAME:
        raise InputError(Problem("file name", name[:40] + "…",
                                 f"at most {MAX_SOURCE_NAME} characters"))
    frame["district_code"] = geodata.district_of_many(
        frame["lon"].to_numpy(float), frame["lat"].to_numpy(float), outside="none",
        boundary_file=cfg.boundary_file)
    inside = frame["district_code"].notna().any()
    frame["provenance"] = "osm_yangjiang" if inside else "osm_not_yangjiang"
    frame["source_file"] = name
    frame.attrs["rules_version"] = r.version
    return frame


def _same(row: InventoryItem, new: Mapping[str, Any]) -> bool:
    return all(getattr(row, k) == v for k, v in new.items() if k not in ("imported_at",))


def import_inventory(
    repo: Repository,
    path: Path | str,
    *,
    settings: Settings | None = None,
    rules: InventoryRules | None = None,
) -> InventoryImport:
    """Store the inventory items of an OSM file (upsert by OSM id and facility type)."""
    require(repo.actor, "inventory.import")
    frame = read_inventory_file(path, settings=settings, rules=rules)
    name = str(frame["source_file"].iloc[0])
    provenance = str(frame["provenance"].iloc[0])
    version = str(frame.attrs.get("rules_version", ""))
    # two rules of one type matching one object (e.g. two parking rules): keep the first
    frame = frame.drop_duplicates(["osm_type", "osm_id", "label"], keep="first")
    session = repo.session
    existing: dict[tuple[str, int, str], InventoryItem] = {}
    ids = frame["osm_id"].astype(int).unique().tolist()
    # the rows of this source, and rows of other sources holding the same OSM objects (in
    # chunks: databases bound the number of parameters of one statement)
    clauses = [InventoryItem.source_file == name] + [
        InventoryItem.osm_id.in_(ids[i:i + _ID_CHUNK]) for i in range(0, len(ids), _ID_CHUNK)
    ]
    for clause in clauses:
        for r in session.scalars(sa.select(InventoryItem).where(clause)):
            existing[(r.osm_type, r.osm_id, r.facility_type)] = r
    now = utcnow()
    inserted = updated = unchanged = 0
    seen: set[tuple[str, int, str]] = set()
    for rec in frame_rows(frame):
        key = (str(rec.osm_type), int(rec.osm_id), str(rec.label))
        seen.add(key)
        stamp = (None if pd.isna(rec.osm_timestamp)
                 else pd.Timestamp(rec.osm_timestamp).to_pydatetime())
        values: dict[str, Any] = {
            "rule_id": str(rec.rule_id), "lon": float(rec.lon), "lat": float(rec.lat),
            "district_code": rec.district_code if isinstance(rec.district_code, str) else None,
            "tags": dict(rec.tags),
            "osm_version": int(rec.osm_version) if pd.notna(rec.osm_version) else None,
            "osm_timestamp": stamp, "source_file": name, "provenance": provenance,
            "rules_version": version,
        }
        row = existing.get(key)
        if row is None:
            session.add(InventoryItem(osm_type=key[0], osm_id=key[1], facility_type=key[2],
                                      imported_at=now, imported_by=repo.actor.user_id, **values))
            inserted += 1
        elif _same(row, values):
            unchanged += 1
        else:
            for k, v in values.items():
                setattr(row, k, v)
            row.imported_at, row.imported_by = now, repo.actor.user_id
            updated += 1
    removed = 0
    for key, row in existing.items():
        if key not in seen and row.source_file == name:
            session.delete(row)
            removed += 1
    session.flush()
    by_type = {str(k): int(v) for k, v in frame.groupby("label").size().items()}
    result = InventoryImport(name, provenance, len(frame), inserted, updated, unchanged, removed,
                             by_type, int(frame.attrs.get("ways_without_location", 0)))
    repo.log("inventory", None, "import", None, {
        "source_file": name, "provenance": provenance, "found": len(frame),
        "inserted": inserted, "updated": updated, "removed": removed, "rules_version": version,
    })
    return result


# ----------------------------------------------------------------------------- reads


def inventory_frame(
    repo: Repository, *, district_code: str | None = None, source_file: str | None = None,
    facility_types: list[str] | None = None,
) -> pd.DataFrame:
    """Inventory items (columns :data:`ITEM_COLUMNS`), optionally of one district / source."""
    stmt = sa.select(
        InventoryItem.id.label("item_id"), InventoryItem.osm_type, InventoryItem.osm_id,
        InventoryItem.facility_type, InventoryItem.rule_id, InventoryItem.lon, InventoryItem.lat,
        InventoryItem.district_code, InventoryItem.tags, InventoryItem.osm_version,
        InventoryItem.osm_timestamp, InventoryItem.source_file, InventoryItem.provenance,
    ).order_by(InventoryItem.id)
    if district_code is not None:
        stmt = stmt.where(InventoryItem.district_code == district_code)
    if source_file is not None:
        stmt = stmt.where(InventoryItem.source_file == source_file)
    if facility_types is not None:
        stmt = stmt.where(InventoryItem.facility_type.in_(facility_types))
    rows = repo.session.execute(stmt).all()
    frame = pd.DataFrame(rows, columns=ITEM_COLUMNS)
    return frame.astype({"district_code": object, "osm_version": object})


def inventory_sources(repo: Repository) -> pd.DataFrame:
    """One row per imported source file: ``source_file, provenance, items, districts``."""
    stmt = (
        sa.select(InventoryItem.source_file, InventoryItem.provenance,
                  sa.func.count().label("items"),
                  sa.func.count(InventoryItem.district_code).label("in_districts"))
        .group_by(InventoryItem.source_file, InventoryItem.provenance)
        .order_by(InventoryItem.source_file)
    )
    return pd.DataFrame(repo.session.execute(stmt).all(),
                        columns=["source_file", "provenance", "items", "in_districts"])


def inventory_counts(repo: Repository) -> pd.DataFrame:
    """Items per district × facility type (inside the four districts only), in the columns of
    :func:`audit.rankings.load_inventory_targets` with ``basis = "osm_inventory"``."""
    out = pd.DataFrame(inventory_count_rows(repo),
                       columns=["district_code", "facility_type", "expected", "basis"])
    out["expected"] = out["expected"].astype(int)
    return out


def _audited_facilities(repo: Repository, types: list[str]) -> pd.DataFrame:
    stmt = sa.select(Facility.id, Facility.facility_type, Facility.lon, Facility.lat).where(
        Facility.current_verdict.is_not(None), Facility.facility_type.in_(types))
    return pd.DataFrame(repo.session.execute(stmt).all(),
                        columns=["facility_id", "facility_type", "lon", "lat"])


def match_items(items: pd.DataFrame, facilities: pd.DataFrame, limit_m: float) -> pd.Series:
    """For each item, the id of the audited facility that claims it (or ``<NA>``).

    Each facility claims the nearest item of its own type within ``limit_m`` (great-circle
    metres); ties go to the lower item id. Pure: frames in, series (indexed like ``items``) out.
    """
    from scipy.spatial import cKDTree

    from geodata.tour import EARTH_RADIUS_M, haversine_m

    out = pd.Series(pd.NA, index=items.index, dtype="Int64", name="facility_id")
    if items.empty or facilities.empty:
        return out
    k = np.radians(1.0) * EARTH_RADIUS_M
    for ftype, fac in facilities.groupby("facility_type"):
        cand = items[items["facility_type"] == ftype]
        if cand.empty:
            continue
        lat0 = float(cand["lat"].mean())
        def xy(f: pd.DataFrame, lat0: float = lat0) -> np.ndarray:
            return np.column_stack([f["lon"].to_numpy(float) * k * np.cos(np.radians(lat0)),
                                    f["lat"].to_numpy(float) * k])
        tree = cKDTree(xy(cand))
        # a generous Euclidean bound, then the exact great-circle test
        hits = tree.query_ball_point(xy(fac), r=limit_m * 1.01 + 1.0)
        for (_, f), near in zip(fac.iterrows(), hits, strict=True):
            if not near:
                continue
            c = cand.iloc[sorted(near)]
            d = haversine_m(f["lon"], f["lat"], c["lon"].to_numpy(float),
                            c["lat"].to_numpy(float))
            ok = d <= limit_m
            if ok.any():
                best = int(np.argmin(np.where(ok, d, np.inf)))
                label = c.index[best]
                if pd.isna(out.loc[label]):
                    out.loc[label] = int(f["facility_id"])
    return out


def audited_items(
    repo: Repository, items: pd.DataFrame, *, settings: Settings | None = None
) -> pd.Series:
    """:func:`match_items` against the database's audited facilities (``snap_limit_m``)."""
    cfg = settings or get_settings()
    types = sorted(set(items["facility_type"])) if not items.empty else []
    return match_items(items, _audited_facilities(repo, types), float(cfg.snap_limit_m))


# ----------------------------------------------------------------------------- worklist

WORKLIST_COLUMNS = [
    "stop", "item_id", "facility_type", "type_zh", "type_en", "osm_type", "osm_id", "lon", "lat",
    "tags", "leg_m", "leg_on_network", "cumulative_m", "snap_m", "district_code",
    "source_file", "provenance",
]


@dataclass(frozen=True)
class Worklist:
    """An inspector's walking round over the unaudited items of a district (or source file)."""

    stops: pd.DataFrame  # WORKLIST_COLUMNS, in walking order
    district_code: str | None
    source_file: str | None
    total_items: int  # inventory items of the selection
    audited: int  # of which audited (not on the round)
    left_out: int  # unaudited items beyond worklist_max_items
    length_m: float
    start_order_length_m: float  # nearest-neighbour order before 2-opt
    provenance: tuple[str, ...]
    network_label_zh: str = ""
    network_label_en: str = ""

    @property
    def not_yangjiang(self) -> bool:
        return "osm_not_yangjiang" in self.provenance


def _describe(tags: Mapping[str, Any]) -> str:
    return "; ".join(f"{k}={v}" for k, v in sorted(tags.items()))


def worklist(
    repo: Repository,
    network: Any,
    *,
    district_code: str | None = None,
    source_file: str | None = None,
    facility_types: list[str] | None = None,
    settings: Settings | None = None,
    progress: Callable[[str], None] | None = None,
) -> Worklist:
    """Unaudited inventory items of a district (or of one source file) as a walking round.

    ``network``: a street graph (``geodata.load_walk_network`` / ``load_network``). The round
    starts at the unaudited item farthest west (a fixed, explainable start) and is a nearest-
    neighbour tour improved by 2-opt on network distances.
    """
    from geodata.tour import network_distance_matrix, plan_round

    cfg = settings or get_settings()
    if district_code is None and source_file is None:
        raise InputError(Problem("district", None, "a district code or an inventory source file"))
    if district_code is not None:
        import geodata

        if district_code not in geodata.DISTRICTS:
            raise InputError(Problem("district", district_code,
                                     f"one of {', '.join(sorted(geodata.DISTRICTS))}"))
    if facility_types is not None:
        bad = [t for t in facility_types if t not in FACILITY_TYPES]
        if bad:
            raise InputError(Problem("facility_type", bad, f"one of {', '.join(FACILITY_TYPES)}"))
    items = inventory_frame(repo, district_code=district_code, source_file=source_file,
                            facility_types=facility_types)
    claimed = audited_items(repo, items, settings=cfg)
    todo = items[claimed.isna().to_numpy()].sort_values(["lon", "lat", "item_id"])
    left_out = max(len(todo) - cfg.worklist_max_items, 0)
    todo = todo.iloc[: cfg.worklist_max_items].reset_index(drop=True)
    provenance = tuple(sorted(set(items["provenance"])))
    label = (str(network.graph.get("provenance_label_zh", "")),
             str(network.graph.get("provenance_label_en", ""))) if network is not None else ("", "")
    if todo.empty:
        empty = pd.DataFrame(columns=WORKLIST_COLUMNS)
        return Worklist(empty, district_code, source_file, len(items), int(claimed.notna().sum()),
                        0, 0.0, 0.0, provenance, *label)
    if progress:
        progress(f"network distances between {len(todo)} stops")
    dm = network_distance_matrix(network, todo["lon"].to_numpy(float),
                                 todo["lat"].to_numpy(float), max_snap_m=cfg.snap_limit_m)
    rnd = plan_round(dm.metres, 0)
    order = rnd.order
    legs = np.concatenate([[0.0], dm.metres[order[:-1], order[1:]]])
    on_net = np.concatenate([[True], dm.on_network[order[:-1], order[1:]]])
    stops = todo.iloc[order].reset_index(drop=True)
    stops["stop"] = np.arange(1, len(stops) + 1)
    stops["type_zh"] = stops["facility_type"].map(lambda t: FACILITY_LABELS[t][0])
    stops["type_en"] = stops["facility_type"].map(lambda t: FACILITY_LABELS[t][1])
    stops["leg_m"] = legs
    stops["leg_on_network"] = on_net
    stops["cumulative_m"] = np.cumsum(legs)
    stops["snap_m"] = dm.snap_m[order]
    return Worklist(stops[WORKLIST_COLUMNS], district_code, source_file, len(items),
                    int(claimed.notna().sum()), left_out, rnd.length_m, rnd.initial_length_m,
                    provenance, *label)


def stop_label(row: Mapping[str, Any], lang: str = "zh") -> str:
    """A stop as one line of plain text: number, type, OSM object and its tags."""
    type_name = row["type_zh"] if lang == "zh" else row["type_en"]
    tags = _describe(row["tags"]) if isinstance(row["tags"], Mapping) else ""
    base = f"{int(row['stop'])}. {type_name} (OSM {row['osm_type']} {int(row['osm_id'])})"
    return f"{base} {tags}" if tags else base


__all__ = [
    "INVENTORY_BASIS",
    "ITEM_COLUMNS",
    "PROVENANCE",
    "WORKLIST_COLUMNS",
    "InventoryImport",
    "InventoryRules",
    "Worklist",
    "audited_items",
    "import_inventory",
    "inventory_counts",
    "inventory_frame",
    "inventory_sources",
    "load_inventory_rules",
    "match_items",
    "read_inventory_file",
    "stop_label",
    "worklist",
]
