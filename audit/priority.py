"""Retrofit priority list and a budgeted plan chosen by an exact optimiser.

Each candidate fix is a facility whose latest audit is non-compliant, or a resident report the
bureau has verified (and that is not already covered by a facility candidate):

- ``severity``  = Σ severity weight of the failing clauses (ruleset ``[scoring.weights]``); for a
  report, the weight of the severity its category is assumed to have (``retrofit.toml``).
- ``importance``, one of two terms the bureau chooses (``importance="distance" | "reach"``):

  - **distance decay** (default): 1 + Σ_c w_c · exp(−d_c / decay_m), where ``d_c`` is the
    **network** distance (m) from the candidate to the nearest key destination of category ``c``
    (hospital, school, transit, government). Distances: the candidate is snapped to its nearest
    network node (:func:`geodata.coverage.prepare` node tree) and a multi-source Dijkstra from
    the destinations (:func:`geodata.coverage.node_distances`) gives the distance, plus the snap
    offset.
  - **restored reach**: 1 + Σ_c w_c · R_c / max R_c, where ``R_c`` is the number of walk-network
    nodes that its fix brings within ``reach_limit_m`` of a destination of category ``c``,
    summed over the four profiles (:func:`audit.reach.restored_by_element`; the candidate is
    attached to the element it serves as facilities are, :mod:`audit.network_attach`), and the
    maximum is over the candidates (0 when none restores any). Both terms run from 1 to 1 + Σ w.
- ``cost_yuan`` = base + per-item × failing clauses, from the unit-cost table per fix type.
- ``priority`` = severity × importance ÷ (cost_yuan / unit_yuan).

:func:`optimise_plan` picks the subset maximising Σ priority with Σ cost ≤ budget (city-wide, or
one budget per district) as a 0/1 knapsack solved exactly by ``scipy.optimize.milp`` (HiGHS
branch-and-cut); :func:`greedy_plan` (priority-per-yuan order) is kept as the baseline.
Destinations come from a bureau CSV (setting ``destinations_file``); the bundled one is synthetic
demo data and every result says so. Unit costs are assumptions (``retrofit.toml``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import tomli

from audit.errors import InputError, Problem
from audit.frames import csv_line_numbers
from audit.model import FACILITY_LABELS, FACILITY_TYPES
from audit.settings import get_settings
from audit.storage import queries
from audit.storage.repository import Repository

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_PARAMS_FILE = DATA_DIR / "retrofit.toml"
DEFAULT_DESTINATIONS_FILE = DATA_DIR / "demo_destinations.csv"
#: report statuses meaning "the bureau verified this barrier and it is not fixed yet"
#: (audit/reports.py: verify → confirmed → in_progress)
VERIFIED_REPORT_STATUSES: tuple[str, ...] = ("confirmed", "in_progress")
#: the importance terms the bureau may choose (see the module docstring)
IMPORTANCE_METHODS: tuple[str, ...] = ("distance", "reach")

CANDIDATE_COLUMNS: tuple[str, ...] = (
    "candidate_id", "kind", "facility_id", "report_id", "district_code", "fix_type", "name",
    "lon", "lat", "n_fail", "severity", "importance", "cost_yuan", "priority", "is_demo",
)


# ----------------------------------------------------------------------------- parameters


def retrofit_params_path() -> Path:
    """Setting ``retrofit_params_file`` or the bundled ``audit/data/retrofit.toml``."""
    value = get_settings().retrofit_params_file
    return Path(value) if value else DEFAULT_PARAMS_FILE


def load_retrofit_params(path: Path | str | None = None) -> dict[str, Any]:
    """Read and validate the retrofit parameters; every problem is reported at once."""
    p = Path(path) if path is not None else retrofit_params_path()
    return _params_cached(str(p), p.stat().st_mtime if p.is_file() else -1.0)


@lru_cache(maxsize=4)
def _params_cached(path: str, mtime: float) -> dict[str, Any]:
    if mtime < 0:
        raise InputError(Problem("retrofit_params_file", path, "an existing TOML file"))
    try:
        with open(path, "rb") as fh:
            doc = tomli.load(fh)
    except (OSError, tomli.TOMLDecodeError) as exc:
        raise InputError(Problem("retrofit_params_file", path, f"valid TOML ({exc})")) from exc
    problems: list[Problem] = []

    def positive(where: str, value: Any, zero_ok: bool = False) -> None:
        ok = isinstance(value, int | float) and math.isfinite(value) and (
            value >= 0 if zero_ok else value > 0)
        if not ok:
            problems.append(Problem(where, value, "a number ≥ 0" if zero_ok else "a number > 0"))

    imp = doc.get("importance", {})
    positive("importance.decay_m", imp.get("decay_m"))
    positive("importance.max_snap_m", imp.get("max_snap_m"))
    weights = imp.get("weights", {})
    if not isinstance(weights, dict) or not weights:
        problems.append(Problem("importance.weights", weights, "category = weight pairs"))
        weights = {}
    for cat, w in weights.items():
        positive(f"importance.weights.{cat}", w, zero_ok=True)
    positive("cost.unit_yuan", doc.get("cost", {}).get("unit_yuan"))
    costs = doc.get("unit_costs", {})
    for ftype in FACILITY_TYPES:
        spec = costs.get(ftype)
        if not isinstance(spec, dict):
            problems.append(Problem(f"unit_costs.{ftype}", spec, "base_yuan and per_item_yuan"))
            continue
        positive(f"unit_costs.{ftype}.base_yuan", spec.get("base_yuan"))
        positive(f"unit_costs.{ftype}.per_item_yuan", spec.get("per_item_yuan"), zero_ok=True)
    for extra in sorted(set(costs) - set(FACILITY_TYPES)):
        problems.append(
            Problem(f"unit_costs.{extra}", extra, f"one of {', '.join(FACILITY_TYPES)}")
        )
    cats = dict(doc.get("report_categories", {}))
    default = doc.get("report_default", {})
    for name, spec in [("report_default", default), *((f"report_categories.{k}", v)
                                                      for k, v in cats.items())]:
        if not isinstance(spec, dict) or spec.get("fix_type") not in FACILITY_TYPES:
            problems.append(Problem(f"{name}.fix_type", (spec or {}).get("fix_type"),
                                    f"one of {', '.join(FACILITY_TYPES)}"))
        if not isinstance(spec, dict) or not isinstance(spec.get("severity"), str):
            problems.append(Problem(f"{name}.severity", (spec or {}).get("severity"),
                                    "a ruleset severity name"))
    if problems:
        raise InputError(problems, f"retrofit parameters {path}")
    return {
        "decay_m": float(imp["decay_m"]),
        "max_snap_m": float(imp["max_snap_m"]),
        "weights": {str(k): float(v) for k, v in weights.items()},
        "unit_yuan": float(doc["cost"]["unit_yuan"]),
        "unit_costs": {k: {"base_yuan": float(v["base_yuan"]),
                           "per_item_yuan": float(v["per_item_yuan"])} for k, v in costs.items()},
        "report_default": dict(default),
        "report_categories": cats,
        "path": path,
    }


def destinations_path() -> Path:
    """Setting ``destinations_file`` or the bundled SYNTHETIC demo destinations."""
    value = get_settings().destinations_file
    return Path(value) if value else DEFAULT_DESTINATIONS_FILE


def load_destinations(
    path: Path | str | None = None, categories: Mapping[str, float] | None = None
) -> pd.DataFrame:
    """Key destinations ``category, name, lon, lat, is_demo`` (``#`` lines are comments)."""
    p = Path(path) if path is not None else destinations_path()
    if not p.is_file():
        raise InputError(Problem("destinations_file", str(p), "an existing CSV file"))
    try:
        frame = pd.read_csv(p, comment="#")
    except (OSError, ValueError) as exc:
        raise InputError(Problem("destinations_file", str(p), f"a readable CSV ({exc})")) from exc
    problems: list[Problem] = []
    missing = {"category", "lon", "lat"} - set(frame.columns)
    if missing:
        raise InputError(Problem("destinations_file columns", list(frame.columns),
                                 "category, name, lon, lat[, is_demo]"))
    cats = categories if categories is not None else load_retrofit_params()["weights"]
    lines = csv_line_numbers(p, len(frame))
    for i, (_, row) in enumerate(frame.iterrows()):
        if row["category"] not in cats:
            problems.append(Problem(f"destinations_file row {lines[i]} category",
                                    row["category"], f"one of {', '.join(cats)}"))
        lon, lat = pd.to_numeric(row["lon"], "coerce"), pd.to_numeric(row["lat"], "coerce")
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            problems.append(Problem(f"destinations_file row {lines[i]} lon/lat",
                                    (row["lon"], row["lat"]), "WGS84 degrees"))
    if problems:
        raise InputError(problems, "destinations")
    if "is_demo" not in frame.columns:
        frame["is_demo"] = False
    if "name" not in frame.columns:
        frame["name"] = ""
    frame["is_demo"] = frame["is_demo"].astype(str).str.lower().isin(["true", "1", "yes"])
    return frame[["category", "name", "lon", "lat", "is_demo"]]


# ----------------------------------------------------------------------------- importance


def network_distances(G: Any, lons: Any, lats: Any, dest_lons: Any, dest_lats: Any,
                      max_snap_m: float) -> np.ndarray:
    """Network distance (m) from each point to the nearest destination; ``inf`` if none.

    Points and destinations are snapped to their nearest network node (UTM 49N metres); a point
    farther than ``max_snap_m`` from the network gets ``inf``.
    """
    from geodata.coverage import node_distances, prepare
    from geodata.crs import lonlat_to_metric

    lon = np.asarray(lons, float)
    lat = np.asarray(lats, float)
    out = np.full(lon.shape, np.inf)
    if lon.size == 0 or np.size(dest_lons) == 0:
        return out
    d_node, _, _ = node_distances(G, dest_lons, dest_lats, max_snap_m=max_snap_m)
    x, y = lonlat_to_metric(lon, lat)
    snap, pos = prepare(G).node_tree.query(np.column_stack([x, y]))
    ok = snap <= max_snap_m
    out[ok] = d_node[pos[ok]] + snap[ok]
    return out


def location_importance(
    G: Any, lons: Any, lats: Any, destinations: pd.DataFrame, params: Mapping[str, Any]
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """``1 + Σ_c w_c exp(−d_c/decay)`` per point, and the distances per category."""
    lon = np.asarray(lons, float)
    total = np.ones(lon.shape)
    dists: dict[str, np.ndarray] = {}
    for cat, weight in params["weights"].items():
        sel = destinations[destinations["category"] == cat]
        d = network_distances(G, lon, lats, sel["lon"].to_numpy(float),
                              sel["lat"].to_numpy(float), params["max_snap_m"])
        dists[cat] = d
        total += weight * np.exp(-d / params["decay_m"])  # exp(-inf) = 0: no bonus
    return total, dists


# ----------------------------------------------------------------------------- candidates


@dataclass(frozen=True)
class Candidates:
    """Candidate fixes with what their priority rests on."""

    table: pd.DataFrame
    #: the destinations file's name (never its server path: it is written into exports)
    destinations_source: str
    destinations_synthetic: bool
    network_synthetic: bool
    #: the retrofit parameters file's name (never its server path)
    params_source: str
    #: the importance term used: ``distance`` or ``reach`` (IMPORTANCE_METHODS)
    importance_method: str = "distance"
    #: for ``reach``: the limit (m) and how the restored reach was computed
    reach_limit_m: float | None = None
    reach_method: str = ""


def build_candidates(
    repo: Repository,
    *,
    G: Any = None,
    destinations: pd.DataFrame | None = None,
    params: Mapping[str, Any] | None = None,
    weights: Mapping[str, float] | None = None,
    districts: list[str] | None = None,
    importance: str = "distance",
    net: Any = None,
    reach_limit_m: float | None = None,
) -> Candidates:
    """All candidate fixes with severity, importance, cost and priority (see module docstring).

    ``importance``: ``"distance"`` (distance decay on ``G``) or ``"reach"`` (restored reach on
    ``net``, a :class:`geodata.routing.RoutingNetwork`; default the walk network of the settings
    with the stored audits attached; limit ``reach_limit_m``, default the setting).

    A facility's severity is the weighted sum of the failing findings rows of its current audit,
    counted per severity in the database (:func:`audit.rankings.gap_points_by_facility`).
    """
    from audit.rankings import gap_points_by_facility, severity_weights

    check_importance(importance)
    p = dict(params) if params is not None else load_retrofit_params()
    w = dict(weights) if weights is not None else severity_weights()
    if importance == "reach" and net is None:
        from audit.reach import audited_network, load_city_walk_network

        net = audited_network(repo, load_city_walk_network(),
                              snap_limit_m=get_settings().snap_limit_m)
    if G is None and importance == "distance":
        from geodata.network import resolve_network

        settings = get_settings()
        G = resolve_network(settings.network_source, settings.data_dir)
    dest = destinations if destinations is not None else load_destinations(categories=p["weights"])
    fac = repo.facility_frame(verdicts=["non_compliant"], districts=districts)
    gaps = gap_points_by_facility(repo, w, districts=districts)
    fac = fac.assign(
        severity=fac["facility_id"].map(gaps).fillna(0.0).to_numpy(float),
        kind="facility",
        report_id=pd.Series(pd.NA, index=fac.index, dtype=object),
        fix_type=fac["facility_type"],
        candidate_id="F" + fac["facility_id"].astype(str),
    )
    from audit.report_categories import category_label

    covered = set(fac["facility_id"].tolist())
    rep_records = []
    for r in queries.located_reports(repo, VERIFIED_REPORT_STATUSES):
        rid, cat, lon, lat = r["report_id"], r["category"], r["lon"], r["lat"]
        dcode, fid, code, demo = r["district_code"], r["facility_id"], r["code"], r["is_demo"]
        if fid is not None and fid in covered:
            continue  # the facility's own fix covers this report
        spec = p["report_categories"].get(cat, p["report_default"])
        sev = spec["severity"]
        if sev not in w:
            raise InputError(Problem(f"report_categories.{cat}.severity", sev,
                                     f"one of {', '.join(w)}"))
        if districts is not None and dcode not in districts:
            continue
        rep_records.append({
            "candidate_id": f"R{rid}", "kind": "report", "facility_id": fid, "report_id": rid,
            "district_code": dcode, "fix_type": spec["fix_type"],
            "name": f"{code}（{category_label(cat, 'zh-Hans')}）",
            "lon": lon, "lat": lat, "n_fail": 1, "severity": w[sev], "is_demo": bool(demo),
        })
    table = pd.concat(
        [fac[["candidate_id", "kind", "facility_id", "report_id", "district_code", "fix_type",
              "name", "lon", "lat", "n_fail", "severity", "is_demo"]],
         pd.DataFrame(rep_records, columns=[c for c in CANDIDATE_COLUMNS
                                            if c not in ("importance", "cost_yuan", "priority")])],
        ignore_index=True,
    ) if rep_records else fac[["candidate_id", "kind", "facility_id", "report_id",
                               "district_code", "fix_type", "name", "lon", "lat", "n_fail",
                               "severity", "is_demo"]].copy()
    table = score_candidates(table, G, dest, p, importance=importance, net=net,
                             reach_limit_m=reach_limit_m)
    graph = net.G if importance == "reach" else G
    return Candidates(
        table=table,
        destinations_source=destinations_path().name if destinations is None else "given",
        destinations_synthetic=bool(dest["is_demo"].any()),
        network_synthetic=bool(graph.graph.get("synthetic", False)),
        params_source=Path(str(p.get("path", ""))).name,
        importance_method=importance,
        reach_limit_m=table.attrs.get("reach_limit_m"),
        reach_method=str(table.attrs.get("reach_method", "")),
    )


def check_importance(importance: Any) -> str:
    """The importance term, or InputError naming the field, the value and the choices."""
    if importance not in IMPORTANCE_METHODS:
        allowed = f"one of {', '.join(IMPORTANCE_METHODS)}"
        raise InputError(Problem("importance", importance, allowed, code="choice",
                                 params={"choices": list(IMPORTANCE_METHODS)}))
    return str(importance)


def reach_importance(
    table: pd.DataFrame, net: Any, destinations: pd.DataFrame, params: Mapping[str, Any],
    *, reach_limit_m: float | None = None, profiles: Sequence[Any] | None = None,
) -> tuple[np.ndarray, pd.DataFrame]:
    """``1 + Σ_c w_c · R_c / max R_c`` per candidate (see the module docstring), and per
    candidate the element it serves and the nodes its fix restores per category."""
    from audit.network_attach import attach_facilities
    from audit.reach import restored_by_element

    frame = pd.DataFrame({
        "facility_id": table["candidate_id"].astype(str).to_numpy(),
        "facility_type": table["fix_type"].astype(str).to_numpy(),
        "lon": table["lon"].astype(float).to_numpy(),
        "lat": table["lat"].astype(float).to_numpy(),
        "verdict": None,
        "failing_clauses": [()] * len(table),
    })
    placed = attach_facilities(net.G, frame, snap_limit_m=get_settings().snap_limit_m)
    element = pd.Series([e if bool(ok) and isinstance(e, str) else None for e, ok in
                         zip(placed["element_id"], placed["attached"], strict=True)], dtype=object)
    restored = restored_by_element(net, list(element), destinations=destinations,
                                   limit_m=reach_limit_m, profiles=profiles)
    by_el = restored.set_index("element_id")
    total = np.ones(len(table))
    detail = pd.DataFrame({"element_id": element})
    for cat, weight in params["weights"].items():
        col = f"restored_{cat}"
        r = np.asarray([float(by_el[col].get(e, 0.0)) if col in by_el.columns
                        and isinstance(e, str) else 0.0 for e in element])
        detail[col] = r.astype(int)
        top = r.max() if r.size else 0.0
        if top > 0:
            total += weight * r / top
    detail["restored_nodes"] = detail[[c for c in detail.columns if c.startswith("restored_")]
                                      ].sum(axis=1) if len(params["weights"]) else 0
    detail.attrs.update(restored.attrs)
    return total, detail


def score_candidates(table: pd.DataFrame, G: Any, destinations: pd.DataFrame,
                     params: Mapping[str, Any], *, importance: str = "distance",
                     net: Any = None, reach_limit_m: float | None = None,
                     profiles: Sequence[Any] | None = None) -> pd.DataFrame:
    """Add ``importance``, ``cost_yuan`` and ``priority`` to a candidate table (``importance``:
    ``"distance"`` on ``G`` or ``"reach"`` on the routing network ``net``, summed over
    ``profiles``, default all four)."""
    check_importance(importance)
    out = table.copy()
    attrs: dict[str, Any] = {"importance_method": importance}
    if importance == "reach":
        if net is None:
            raise InputError(Problem("net", None, "a routing network for importance='reach'"))
        imp, detail = reach_importance(out, net, destinations, params,
                                       reach_limit_m=reach_limit_m, profiles=profiles)
        out["importance"] = imp
        for col in detail.columns:
            out[col] = pd.Series(detail[col].to_numpy(), index=out.index,
                                 dtype=object if col == "element_id" else None)
        attrs.update(reach_limit_m=detail.attrs.get("limit_m"),
                     reach_method=detail.attrs.get("method", ""))
    else:
        imp, dists = location_importance(G, out["lon"].to_numpy(float),
                                         out["lat"].to_numpy(float), destinations, params)
        out["importance"] = imp
        for cat, d in dists.items():
            out[f"dist_{cat}_m"] = np.where(np.isfinite(d), d, np.nan)
    base = out["fix_type"].map(lambda t: params["unit_costs"][t]["base_yuan"]).astype(float)
    per = out["fix_type"].map(lambda t: params["unit_costs"][t]["per_item_yuan"]).astype(float)
    out["cost_yuan"] = (base + per * out["n_fail"].astype(float)).round(0)
    out["priority"] = out["severity"] * out["importance"] / (out["cost_yuan"] / params["unit_yuan"])
    out["type_zh"] = out["fix_type"].map(lambda t: FACILITY_LABELS[t][0])
    out = out.sort_values("priority", ascending=False, kind="stable").reset_index(drop=True)
    out.attrs.update(attrs)
    return out


# ----------------------------------------------------------------------------- optimiser


@dataclass(frozen=True)
class Plan:
    """The chosen fixes and the totals; ``method`` is ``milp`` (exact) or ``greedy``."""

    selected: pd.DataFrame
    budget_yuan: float | dict[str, float]
    total_cost_yuan: float
    total_priority: float
    method: str
    status: str
    notes: list[str] = field(default_factory=list)


def _check_budget(budget: Any, candidates: pd.DataFrame) -> float | dict[str, float]:
    problems: list[Problem] = []
    if isinstance(budget, Mapping):
        out: dict[str, float] = {}
        for k, v in budget.items():
            if not isinstance(v, int | float) or not math.isfinite(v) or v < 0:
                problems.append(Problem(f"budget_yuan[{k}]", v, "a number of yuan ≥ 0",
                                        code="min", params={"min": 0}))
            else:
                out[str(k)] = float(v)
        if problems:
            raise InputError(problems, "budget")
        return out
    if isinstance(budget, bool) or not isinstance(budget, int | float) or not math.isfinite(
            budget) or budget < 0:
        raise InputError(Problem("budget_yuan", budget, "a number of yuan ≥ 0", code="min",
                                 params={"min": 0}), "budget")
    missing = {"cost_yuan", "priority"} - set(candidates.columns)
    if missing:
        raise InputError(Problem("candidates", sorted(missing), "columns cost_yuan and priority"))
    return float(budget)


def _greedy_mask(cost: np.ndarray, value: np.ndarray, budget: float) -> np.ndarray:
    """Take items by value per yuan while they fit."""
    ratio = np.where(cost > 0, value / np.where(cost > 0, cost, 1.0), np.inf)
    take = np.zeros(len(cost), bool)
    spent = 0.0
    for i in np.argsort(-ratio, kind="stable"):
        if spent + cost[i] <= budget:
            take[i] = True
            spent += cost[i]
    return take


def _knapsack(cost: np.ndarray, value: np.ndarray, budget: float,
              time_limit_s: float) -> tuple[np.ndarray, bool, int]:
    """Exact 0/1 knapsack: reduced-cost fixing around the LP optimum, HiGHS on the core.

    The LP relaxation's dual price λ (value/cost of the break item) and bound UB, with the greedy
    value LB, fix every item whose reduced cost |value − λ·cost| exceeds UB − LB: no solution
    better than greedy can differ on it (Dembo & Hammer 1980). The remaining core is solved by
    ``scipy.optimize.milp`` with zero optimality gap. Returns (chosen mask, optimal?, core size).
    """
    n = len(cost)
    free = (cost <= 0) & (value > 0)
    usable = (cost > 0) & (cost <= budget) & (value > 0)
    lb_mask = _greedy_mask(np.where(usable, cost, np.inf), np.where(usable, value, 0.0), budget)
    lb_mask &= usable
    lb = float(value[lb_mask].sum())
    idx = np.flatnonzero(usable)
    order = idx[np.argsort(-(value[idx] / cost[idx]), kind="stable")]
    cum = np.cumsum(cost[order])
    k = int(np.searchsorted(cum, budget, side="right"))
    if k >= len(order):  # everything fits
        return free | usable, True, 0
    lam = value[order[k]] / cost[order[k]]
    ub = float(value[order[:k]].sum()) + (budget - (cum[k - 1] if k else 0.0)) * lam
    gap = ub - lb
    tol = 1e-9 * max(1.0, abs(ub))
    rc = value - lam * cost
    take1 = usable & (rc > gap + tol)
    core = usable & ~take1 & ~(-rc > gap + tol)
    chosen = free | take1
    rest = budget - float(cost[take1].sum())
    core_idx = np.flatnonzero(core)
    optimal = True
    if core_idx.size:
        from scipy.optimize import Bounds, LinearConstraint, milp  # on use: a heavy import

        res = milp(c=-value[core_idx], constraints=LinearConstraint(cost[core_idx][None, :],
                                                                    -np.inf, [rest]),
                   integrality=np.ones(core_idx.size), bounds=Bounds(0, 1),
                   options={"time_limit": time_limit_s, "mip_rel_gap": 0.0, "disp": False})
        if res.x is None:
            raise RuntimeError(f"optimiser failed: {res.message}")
        optimal = res.status == 0
        chosen[core_idx[np.round(res.x).astype(bool)]] = True
    if float(value[chosen].sum()) < lb:  # only possible when HiGHS hit its time limit
        return free | lb_mask, False, int(core_idx.size)
    assert n == len(chosen)
    return chosen, optimal, int(core_idx.size)


def optimise_plan(candidates: pd.DataFrame, budget_yuan: float | Mapping[str, float],
                  *, time_limit_s: float = 60.0) -> Plan:
    """Exact 0/1 knapsack: max Σ priority subject to Σ cost ≤ budget (see :func:`_knapsack`).

    ``budget_yuan`` is one city-wide number, or ``{district_code: yuan}`` for one budget per
    district (independent knapsacks; candidates of districts without a budget are left out).
    """
    budget = _check_budget(budget_yuan, candidates)
    c = candidates
    if isinstance(budget, dict):
        c = c[c["district_code"].astype(str).isin(list(budget))]
    if len(c) == 0:
        return Plan(c.iloc[0:0], budget, 0.0, 0.0, "milp", "no candidates")
    cost = c["cost_yuan"].to_numpy(float)
    value = c["priority"].to_numpy(float)
    chosen = np.zeros(len(c), bool)
    optimal = True
    cores = []
    if isinstance(budget, dict):
        groups = c["district_code"].astype(str).to_numpy()
        parts = [(np.flatnonzero(groups == k), b) for k, b in sorted(budget.items())]
    else:
        parts = [(np.arange(len(c)), budget)]
    for pos, b in parts:
        mask, ok, core = _knapsack(cost[pos], value[pos], b, time_limit_s)
        chosen[pos[mask]] = True
        optimal &= ok
        cores.append(core)
    notes = [f"core solved by HiGHS: {sum(cores)} of {len(c)} candidates"]
    if not optimal:
        notes.append("HiGHS time limit reached: best plan found, optimality not proven")
    return Plan(c[chosen].reset_index(drop=True), budget, float(cost[chosen].sum()),
                float(value[chosen].sum()), "milp", "optimal" if optimal else "limit", notes)


def greedy_plan(candidates: pd.DataFrame, budget_yuan: float) -> Plan:
    """Baseline: take candidates by priority per yuan while they fit (not optimal in general)."""
    budget = _check_budget(budget_yuan, candidates)
    if isinstance(budget, dict):
        raise InputError(Problem("budget_yuan", budget, "one number for the greedy baseline"))
    order = (candidates["priority"] / candidates["cost_yuan"]).to_numpy(float).argsort(
        kind="stable")[::-1]
    cost = candidates["cost_yuan"].to_numpy(float)
    value = candidates["priority"].to_numpy(float)
    take = np.zeros(len(candidates), bool)
    spent = 0.0
    for i in order:
        if spent + cost[i] <= budget:
            take[i] = True
            spent += cost[i]
    return Plan(candidates[take].reset_index(drop=True), budget, float(spent),
                float(value[take].sum()), "greedy", "heuristic")


def plan_summary(plan: Plan) -> pd.DataFrame:
    """Chosen fixes, cost and priority per district and fix type."""
    s = plan.selected
    if s.empty:
        return pd.DataFrame(columns=["district_code", "fix_type", "fixes", "cost_yuan", "priority"])
    return (s.groupby(["district_code", "fix_type"])
            .agg(fixes=("candidate_id", "size"), cost_yuan=("cost_yuan", "sum"),
                 priority=("priority", "sum")).reset_index())


__all__ = [
    "CANDIDATE_COLUMNS",
    "IMPORTANCE_METHODS",
    "Candidates",
    "Plan",
    "build_candidates",
    "check_importance",
    "destinations_path",
    "greedy_plan",
    "load_destinations",
    "load_retrofit_params",
    "location_importance",
    "network_distances",
    "optimise_plan",
    "plan_summary",
    "reach_importance",
    "retrofit_params_path",
    "score_candidates",
]
