"""Audited facilities attached to the pedestrian-network element they serve (issue 14 §1).

Which element kinds each facility type serves is data (``audit/data/network_attach.toml``): curb
ramps and crossing signals serve a crossing node or way, tactile paving a sidewalk edge, ramps and
entrances the nearest footway node. Each facility is attached by type and distance within the
``snap_limit_m`` setting (:func:`geodata.pedestrian.attach_points`); each element then carries the
latest verdict of the facilities attached to it and their failing clauses, and a state —
``audited``, ``osm_reported`` or ``unknown`` — with the reason
(:func:`geodata.pedestrian.element_states`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import sqlalchemy as sa
import tomli

from audit.errors import InputError, Problem
from audit.model import FACILITY_TYPES
from audit.scoring import VERDICTS
from audit.storage.orm import Audit
from audit.storage.repository import Repository
from geodata.pedestrian import (
    TagRules,
    attach_points,
    element_states,
    load_tag_rules,
    network_elements,
)

if TYPE_CHECKING:
    import networkx as nx

ATTACH_FILE = Path(__file__).parent / "data" / "network_attach.toml"
FACILITY_COLUMNS = ["facility_id", "facility_type", "lon", "lat", "verdict", "failing_clauses"]


@dataclass(frozen=True)
class AttachRules:
    """``network_attach.toml``: element kinds per facility type, verdicts worst first."""

    version: str
    targets: Mapping[str, tuple[str, ...]]
    verdict_order: tuple[str, ...]


def load_attach_rules(
    path: Path | str | None = None, *, tag_rules: TagRules | None = None
) -> AttachRules:
    """Read and validate the attachment table (every problem reported at once)."""
    p = Path(path) if path is not None else ATTACH_FILE
    try:
        data = tomli.loads(p.read_text("utf-8"))
    except FileNotFoundError:
        raise InputError(Problem("network attach rules", str(p), "an existing TOML file")) from None
    except (tomli.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(
            Problem("network attach rules", str(p), f"valid UTF-8 TOML ({exc})")
        ) from None
    kinds = set((tag_rules or load_tag_rules()).kind_ids)
    problems: list[Problem] = []
    raw_targets = data.get("targets", {})
    targets: dict[str, tuple[str, ...]] = {}
    for ftype, value in raw_targets.items():
        if ftype not in FACILITY_TYPES:
            problems.append(Problem(f"targets.{ftype}", ftype, f"one of {list(FACILITY_TYPES)}"))
            continue
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.append(Problem(f"targets.{ftype}", value, "a list of element kinds"))
            continue
        bad = [v for v in value if v not in kinds]
        if bad:
            problems.append(
                Problem(f"targets.{ftype}", bad, f"element kinds among {sorted(kinds)}")
            )
            continue
        targets[ftype] = tuple(value)
    order = data.get("verdicts", {}).get("worst_first")
    if not isinstance(order, list) or sorted(map(str, order)) != sorted(VERDICTS):
        problems.append(
            Problem("verdicts.worst_first", order, f"each of {list(VERDICTS)} once, worst first")
        )
    if problems:
        raise InputError(problems, context=f"network attach rules {p}")
    return AttachRules(str(data.get("version", "")), targets, tuple(order or ()))


def _failing(evaluation: Mapping[str, Any] | None) -> tuple[str, ...]:
    """The failing clauses of one stored evaluation, as "<reference> (<rule id>)"."""
    out = set()
    for f in (evaluation or {}).get("findings", []):
        if f.get("status") == "fail":
            ref = f.get("reference") or f"{f.get('standard', '')} {f.get('clause', '')}".strip()
            out.add(f"{ref} ({f.get('rule_id', '')})")
    return tuple(sorted(out))


def failing_clauses(repo: Repository, audit_ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
    """Failing clauses of each given audit (audits that fail nothing map to ``()``)."""
    ids = sorted({int(i) for i in audit_ids})
    out: dict[int, tuple[str, ...]] = {}
    for lo in range(0, len(ids), 900):  # stay under SQLite's bound-parameter limit
        chunk = ids[lo : lo + 900]
        for row in repo.session.execute(
            sa.select(Audit.id, Audit.evaluation).where(Audit.id.in_(chunk))
        ):
            evaluation = row.evaluation
            out[row.id] = _failing(evaluation if isinstance(evaluation, Mapping) else None)
    return out


def attach_facilities(
    G: nx.MultiDiGraph,
    facilities: pd.DataFrame,
    *,
    snap_limit_m: float,
    rules: AttachRules | None = None,
) -> pd.DataFrame:
    """Attach each facility to the network element it serves.

    ``facilities`` has :data:`FACILITY_COLUMNS` (``verdict`` ``"unaudited"`` or None without a
    submitted audit; ``failing_clauses`` a tuple). Returns them with ``element_id``,
    ``element_kind``, ``distance_m``, ``attached`` and ``reason``; the network's provenance label
    is in ``attrs``.
    """
    rules = rules or load_attach_rules()
    missing = [c for c in FACILITY_COLUMNS if c not in facilities.columns]
    if missing:
        raise InputError(Problem("facilities", missing, f"the columns {FACILITY_COLUMNS}"))
    unknown = sorted(set(facilities["facility_type"]) - set(FACILITY_TYPES))
    if unknown:
        raise InputError(Problem("facility_type", unknown, f"one of {list(FACILITY_TYPES)}"))
    targets = [list(rules.targets.get(t, ())) for t in facilities["facility_type"]]
    placed = attach_points(
        G,
        facilities["lon"].to_numpy(dtype=float),
        facilities["lat"].to_numpy(dtype=float),
        targets,
        max_distance_m=snap_limit_m,
    )
    out = facilities[FACILITY_COLUMNS].reset_index(drop=True).copy()
    out["element_id"] = placed["element_id"].to_numpy()
    out["element_kind"] = placed["kind"].to_numpy()
    out["distance_m"] = placed["distance_m"].to_numpy()
    out["attached"] = placed["attached"].to_numpy()
    out["reason"] = placed["reason"].to_numpy()
    out.attrs.update(placed.attrs)
    return out


def network_facilities(repo: Repository) -> pd.DataFrame:
    """Every facility with its latest verdict and failing clauses (:data:`FACILITY_COLUMNS`)."""
    frame = repo.facility_frame()
    ids = [int(i) for i in frame["audit_id"].dropna()]
    clauses = failing_clauses(repo, ids)
    frame["failing_clauses"] = [
        clauses.get(int(a), ()) if pd.notna(a) else () for a in frame["audit_id"]
    ]
    return frame[FACILITY_COLUMNS]


def network_state(
    repo: Repository,
    G: nx.MultiDiGraph,
    *,
    snap_limit_m: float,
    rules: AttachRules | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(facilities attached to elements, state of every element) for the network ``G``.

    Both frames carry the network's provenance label in ``attrs`` (synthetic, Yangjiang, or an
    OSM sample that is not Yangjiang) for the page or export that shows them.
    """
    rules = rules or load_attach_rules()
    attached = attach_facilities(G, network_facilities(repo), snap_limit_m=snap_limit_m,
                                 rules=rules)
    states = element_states(
        network_elements(G),
        attached[attached["attached"]],
        verdict_order=rules.verdict_order,
    )
    return attached, states


__all__ = [
    "ATTACH_FILE",
    "FACILITY_COLUMNS",
    "AttachRules",
    "attach_facilities",
    "failing_clauses",
    "load_attach_rules",
    "network_facilities",
    "network_state",
]
