"""Fair rankings of accessibility gaps by district × facility type (the bureau's view).

For each cell (district, facility type) of the latest submitted audit per facility:

- ``audited``: facilities with a submitted audit; ``compliant`` / ``non_compliant`` /
  ``incomplete`` split it by verdict; ``decided = compliant + non_compliant``.
- ``compliance_rate = compliant / decided`` with a 95 % **Wilson** score interval
  (closed form, :func:`audit.stats.wilson_score_interval`); incomplete audits are
  counted as audited but not as decided.
- ``gap_points``: Σ over failing clauses of the clause's severity weight (the ruleset's
  ``[scoring.weights]``); ``gap_per_audited = gap_points / audited``.
- ``coverage = audited / expected`` where ``expected`` is, per cell, the count of imported OSM
  inventory items (:mod:`audit.inventory`) where the cell has any, else the bureau's inventory
  targets (CSV, setting ``inventory_targets_file``; defaults are documented assumptions), or
  counts the caller passes (:func:`expected_from_features`). ``expected_source`` says, per cell,
  which one was used (``osm_inventory`` or the CSV's file name; " + " joins several). A cell
  below ``coverage_threshold`` (setting, default 30 %) is **not rankable**: it is listed,
  flagged and de-emphasised, never ranked.
- ``rank``: 1 = largest ``gap_per_audited`` among rankable cells (ties: lower Wilson upper bound
  of the compliance rate first).
- ``resident_reports``: open resident reports in the cell, a SEPARATE figure read from the reports
  table; it never enters the compliance figures or the rank (peers.md §5.6: never rank by raw
  report counts).

The formulas are in docs/RANKINGS.md. The counts come from two aggregates over the current
audits and their findings rows (:mod:`audit.storage.queries`: the same SQL on SQLite and
PostGIS, reading only the current audits through the "current" marker), so this module is
domain arithmetic over frames of at most a few hundred rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from audit.errors import InputError, Problem
from audit.frames import csv_line_numbers
from audit.model import FACILITY_LABELS, FACILITY_TYPES
from audit.settings import get_settings
from audit.stats import wilson_score_interval
from audit.storage import queries
from audit.storage.repository import Repository

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_INVENTORY_FILE = DATA_DIR / "inventory_targets.csv"
CONFIDENCE_ALPHA = 0.05  # 95 % interval: a convention of the report, not a tunable threshold
GROUP_KEYS: tuple[str, ...] = ("district_code", "facility_type")
#: report statuses that count as open / unresolved in the separate resident-report figure
CLOSED_REPORT_STATUSES: tuple[str, ...] = ("rejected", "duplicate", "fixed")

COLUMNS: tuple[str, ...] = (
    "district_code", "district_zh", "district_en", "facility_type", "type_zh", "type_en",
    "audited", "decided", "compliant", "non_compliant", "incomplete", "compliance_rate",
    "ci_low", "ci_high", "gap_points", "gap_per_audited", "expected", "expected_source",
    "coverage", "rankable", "rank", "resident_reports", "is_demo",
)


@dataclass(frozen=True)
class RankingResult:
    """A ranking table plus what it rests on (shown beside it in the UI and the report)."""

    table: pd.DataFrame
    group_by: tuple[str, ...]
    coverage_threshold: float
    weights: Mapping[str, float]
    expected_source: str
    is_demo: bool
    n_audits: int


# ----------------------------------------------------------------------------- inputs


def severity_weights() -> dict[str, float]:
    """The severity weights of the bundled ruleset (``[scoring.weights]``)."""
    from audit.rules.loader import default_ruleset

    return {k: float(v) for k, v in default_ruleset().weights.items()}


def inventory_targets_path() -> Path:
    """The inventory targets file: setting ``inventory_targets_file`` or the bundled default."""
    value = get_settings().inventory_targets_file
    return Path(value) if value else DEFAULT_INVENTORY_FILE


def load_inventory_targets(path: Path | str | None = None) -> pd.DataFrame:
    """Read ``district_code, facility_type, expected[, basis]`` (``#`` lines are comments).

    Raises :class:`InputError` listing every bad row (unknown type, negative or non-integer
    count, duplicate cell) or a missing/unreadable file.
    """
    p = Path(path) if path is not None else inventory_targets_path()
    return _load_targets_cached(str(p), p.stat().st_mtime if p.is_file() else -1.0)


@lru_cache(maxsize=4)
def _load_targets_cached(path: str, mtime: float) -> pd.DataFrame:
    if mtime < 0:
        raise InputError(Problem("inventory_targets_file", path, "an existing CSV file"))
    try:
        raw = pd.read_csv(path, comment="#", dtype={"district_code": str, "facility_type": str})
    except (OSError, ValueError) as exc:
        problem = Problem("inventory_targets_file", path, f"a readable CSV ({exc})")
        raise InputError(problem) from exc
    problems: list[Problem] = []
    missing = {"district_code", "facility_type", "expected"} - set(raw.columns)
    if missing:
        problems.append(Problem("inventory_targets_file columns", list(raw.columns),
                                "district_code, facility_type, expected[, basis]"))
        raise InputError(problems, "inventory targets")
    expected = pd.to_numeric(raw["expected"], errors="coerce")
    lines = csv_line_numbers(path, len(raw))
    for i, (_, row) in enumerate(raw.iterrows()):
        where = f"inventory_targets_file row {lines[i]}"
        if row["facility_type"] not in FACILITY_TYPES:
            problems.append(Problem(f"{where} facility_type", row["facility_type"],
                                    f"one of {', '.join(FACILITY_TYPES)}"))
        value = expected.iloc[i]
        if not (np.isfinite(value) and value >= 0 and float(value).is_integer()):
            problems.append(Problem(f"{where} expected", row["expected"],
                                    "a whole number ≥ 0"))
    dup = raw.duplicated(["district_code", "facility_type"], keep=False)
    for _, row in raw[dup].iterrows():
        problems.append(Problem("inventory_targets_file cell",
                                f"{row['district_code']}/{row['facility_type']}",
                                "each district × type once"))
    if problems:
        raise InputError(problems, "inventory targets")
    out = raw.assign(expected=expected.astype(int))
    if "basis" not in out.columns:
        out["basis"] = ""
    return out[["district_code", "facility_type", "expected", "basis"]].reset_index(drop=True)


def expected_from_features(features: pd.DataFrame) -> pd.DataFrame:
    """Expected counts from mapped features (e.g. OSM objects of a real extract).

    ``features`` needs ``facility_type`` and ``lon``/``lat`` (WGS84) or ``district_code``.
    Returns the same columns as :func:`load_inventory_targets` with ``basis = "OSM count"``.
    """
    frame = features.copy()
    if "district_code" not in frame.columns:
        import geodata

        frame["district_code"] = geodata.district_of_many(
            frame["lon"].to_numpy(float), frame["lat"].to_numpy(float), outside="none"
        )
    frame = frame.dropna(subset=["district_code"])
    counts = frame.groupby(["district_code", "facility_type"]).size().rename("expected")
    out = counts.reset_index()
    out["basis"] = "OSM count"
    return out


# ----------------------------------------------------------------------------- aggregates


def _weighted(counts: pd.DataFrame, weights: Mapping[str, float]) -> np.ndarray:
    """``n × weight(severity)`` per row; :class:`InputError` names any severity without a weight."""
    unknown = sorted(set(counts["severity"]) - set(weights))
    if unknown:
        raise InputError(Problem("severity", unknown, f"one of {', '.join(sorted(weights))}"))
    return np.asarray(
        counts["n"].to_numpy(float) * counts["severity"].map(weights).to_numpy(float), float
    )


def gap_points_by_facility(
    repo: Repository, weights: Mapping[str, float] | None = None,
    *, districts: Iterable[str] | None = None,
) -> pd.Series:
    """Severity-weighted gap points of each facility's current audit, indexed by facility id.

    Only facilities whose current audit is non-compliant appear (the others have no failing
    findings).
    """
    w = dict(weights) if weights is not None else severity_weights()
    counts = queries.current_failing_counts(repo, by="facility", districts=districts)
    if counts.empty:
        return pd.Series(dtype=float, name="gap_points")
    pts = _weighted(counts, w)
    return pd.Series(pts, index=counts["facility_id"].to_numpy()).groupby(level=0).sum().rename(
        "gap_points"
    )


def report_counts(
    repo: Repository, *, closed_statuses: Sequence[str] = CLOSED_REPORT_STATUSES
) -> pd.DataFrame:
    """Open resident reports per district and category: ``district_code, category, n``."""
    return queries.open_report_counts(repo, closed_statuses)


def _report_fix_types() -> dict[str, str]:
    """Report category → facility type (categories of :mod:`audit.reports`; "other" has none)."""
    from audit.reports import REPORT_CATEGORIES

    return {k: c.facility_type for k, c in REPORT_CATEGORIES.items() if c.facility_type}


def cell_aggregates(
    repo: Repository,
    weights: Mapping[str, float],
    *,
    facility_types: Iterable[str] | None = None,
    districts: Iterable[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> pd.DataFrame:
    """Facilities per district × type × current verdict, with the cell's gap points.

    Columns ``district_code, facility_type, verdict, n, is_demo, gap_points``: both counts are
    aggregated in the database; the gap points (Σ weight × failing findings per severity) sit on
    the cell's ``non_compliant`` row, the only verdict with failing findings.
    """
    filters: dict[str, Any] = {"facility_types": facility_types, "districts": districts,
                               "since": since, "until": until}
    cells = queries.current_verdict_counts(repo, **filters)
    fails = queries.current_failing_counts(repo, by="cell", **filters)
    keys = ["district_code", "facility_type"]
    gaps = (fails.assign(gap_points=_weighted(fails, weights)).groupby(keys, dropna=False)
            ["gap_points"].sum())
    on_bad = cells["verdict"] == "non_compliant"
    cells["gap_points"] = 0.0
    if len(gaps):
        idx = pd.MultiIndex.from_frame(cells.loc[on_bad, keys])
        cells.loc[on_bad, "gap_points"] = gaps.reindex(idx).fillna(0.0).to_numpy(float)
    return cells


# ----------------------------------------------------------------------------- ranking


def _district_names() -> pd.DataFrame:
    """``adcode, name_zh, name_en`` of the four districts, as :func:`geodata.load_districts`
    lists them (sorted by code), without loading the boundaries."""
    from geodata.names import DISTRICTS

    codes = sorted(DISTRICTS)
    return pd.DataFrame({"adcode": codes, "name_zh": [DISTRICTS[c][0] for c in codes],
                         "name_en": [DISTRICTS[c][1] for c in codes]})


def _sum_or_missing(values: pd.Series) -> float:
    """Sum of a column, missing (NaN) when every value is missing rather than 0."""
    return float(values.sum(min_count=1))


def _sources(values: pd.Series) -> str:
    """The distinct sources of the expected counts of a group, joined with " + " (sorted)."""
    return " + ".join(sorted({str(v) for v in values if v}))


def source_parts(source: str) -> list[tuple[str, str]]:
    """A cell's ``expected_source`` as ``(kind, file)`` pairs, kind one of ``osm_inventory``,
    ``features`` (counts the caller passed) or ``targets`` (the inventory targets file)."""
    out: list[tuple[str, str]] = []
    for part in (p for p in str(source).split(" + ") if p):
        if part == "osm_inventory":
            out.append(("osm_inventory", ""))
        elif part == "OSM/features":
            out.append(("features", ""))
        else:
            out.append(("targets", part))
    return out


def expected_targets(repo: Repository) -> pd.DataFrame:
    """The coverage target of every cell, with its ``source``: the count of OSM inventory items
    (:func:`audit.inventory.inventory_counts`, source ``osm_inventory``) where the cell has any,
    else the inventory targets file (source: its file name)."""
    from audit.inventory import inventory_counts

    csv = load_inventory_targets().assign(source=inventory_targets_path().name)
    inv = inventory_counts(repo).rename(columns={"basis": "source"})
    if inv.empty:
        return csv
    keys = list(GROUP_KEYS)
    covered = pd.MultiIndex.from_frame(inv[keys].astype(str))
    csv_keys = pd.MultiIndex.from_frame(csv[keys].astype(str))
    inv = inv.assign(basis="OSM inventory count")
    rest = csv[~csv_keys.isin(covered)]
    return pd.concat([inv, rest], ignore_index=True)[
        ["district_code", "facility_type", "expected", "basis", "source"]]


def _check_group_by(group_by: Iterable[str]) -> tuple[str, ...]:
    keys = tuple(group_by)
    if not keys or any(k not in GROUP_KEYS for k in keys) or len(set(keys)) != len(keys):
        raise InputError(Problem("group_by", list(keys),
                                 f"a non-empty subset of {', '.join(GROUP_KEYS)}"))
    return tuple(k for k in GROUP_KEYS if k in keys)


def wilson_interval(successes: Any, trials: Any) -> tuple[np.ndarray, np.ndarray]:
    """95 % Wilson score interval (closed form, :mod:`audit.stats`); NaN where ``trials`` is 0."""
    return wilson_score_interval(successes, trials, confidence=1.0 - CONFIDENCE_ALPHA)


def rank_frame(
    facilities: pd.DataFrame,
    gap_by_audit: pd.Series,
    expected: pd.DataFrame,
    *,
    reports: pd.DataFrame | None = None,
    report_fix_types: Mapping[str, str] | None = None,
    group_by: Iterable[str] = GROUP_KEYS,
    coverage_threshold: float = 0.30,
    districts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The ranking table from plain frames (pure; :func:`compute_rankings` feeds it the database).

    ``facilities``: :meth:`Repository.facility_frame` output; ``gap_by_audit``: gap points per
    audit id; ``expected``: ``district_code, facility_type, expected``; ``reports``:
    ``district_code, category, n`` (resident reports, kept separate).
    """
    keys = _check_group_by(group_by)
    if not 0 <= coverage_threshold <= 1:
        raise InputError(Problem("coverage_threshold", coverage_threshold, "a share in [0, 1]"))
    f = facilities[facilities["verdict"] != "unaudited"]
    # one row per facility, or pre-aggregated rows with a count ``n`` and their ``gap_points``
    n = f["n"].astype(int) if "n" in f else pd.Series(1, index=f.index)
    gaps = (f["gap_points"].astype(float) if "gap_points" in f
            else f["audit_id"].astype("float").map(gap_by_audit).fillna(0.0))
    f = f.assign(
        compliant=(f["verdict"] == "compliant").astype(int) * n,
        non_compliant=(f["verdict"] == "non_compliant").astype(int) * n,
        incomplete=(f["verdict"] == "incomplete").astype(int) * n,
        gap_points=gaps.to_numpy(float),
        audited=n,
        is_demo=f["is_demo"].astype(bool),
    )
    # every district × type cell is listed, audited or not, so gaps in coverage stay visible
    dist = districts if districts is not None else _district_names()
    codes = [str(c) for c in dist["adcode"]]
    extra = sorted(set(f["district_code"].dropna().astype(str)) - set(codes))
    full = pd.MultiIndex.from_product([codes + extra, list(FACILITY_TYPES)], names=GROUP_KEYS)
    base = (
        f.groupby(list(GROUP_KEYS))[
            ["audited", "compliant", "non_compliant", "incomplete", "gap_points", "is_demo"]
        ]
        .agg({"audited": "sum", "compliant": "sum", "non_compliant": "sum",
              "incomplete": "sum", "gap_points": "sum", "is_demo": "any"})
        .reindex(full)
    )
    base[["audited", "compliant", "non_compliant", "incomplete"]] = (
        base[["audited", "compliant", "non_compliant", "incomplete"]].fillna(0).astype(int)
    )
    base["gap_points"] = base["gap_points"].fillna(0.0)
    base["is_demo"] = base["is_demo"].astype("boolean").fillna(False).astype(bool)
    exp = expected.assign(district_code=expected["district_code"].astype(str)).set_index(
        list(GROUP_KEYS)
    )
    base["expected"] = exp["expected"].reindex(full).to_numpy()
    if "source" in exp.columns:
        base["expected_source"] = exp["source"].reindex(full).fillna("").astype(str).to_numpy()
    else:
        base["expected_source"] = ""
    if reports is not None and not reports.empty:
        fix = dict(report_fix_types or {})
        rep = reports.assign(facility_type=reports["category"].map(
            lambda c: c if c in FACILITY_TYPES else fix.get(c)))
        rep = rep.dropna(subset=["district_code", "facility_type"])
        counts = rep.groupby(list(GROUP_KEYS))["n"].sum()
        base["resident_reports"] = counts.reindex(full).fillna(0).astype(int).to_numpy()
    else:
        base["resident_reports"] = 0
    table = (
        base.groupby(level=list(keys))
        .agg({"audited": "sum", "compliant": "sum", "non_compliant": "sum", "incomplete": "sum",
              "gap_points": "sum", "is_demo": "any", "resident_reports": "sum",
              "expected": _sum_or_missing, "expected_source": _sources})
        .reset_index()
    )
    table["decided"] = table["compliant"] + table["non_compliant"]
    decided = table["decided"].where(table["decided"] > 0)
    table["compliance_rate"] = np.where(table["decided"] > 0, table["compliant"] / decided, np.nan)
    table["ci_low"], table["ci_high"] = wilson_interval(table["compliant"], table["decided"])
    table["gap_per_audited"] = np.where(
        table["audited"] > 0, table["gap_points"] / table["audited"].where(table["audited"] > 0),
        np.nan,
    )
    expd = table["expected"].astype(float)
    table["coverage"] = np.where(expd > 0, table["audited"] / expd.where(expd > 0), np.nan)
    table["rankable"] = (table["coverage"] >= coverage_threshold) & (table["decided"] > 0)
    ranked = table[table["rankable"]].sort_values(
        ["gap_per_audited", "ci_high"], ascending=[False, True], kind="stable"
    )
    table["rank"] = pd.Series(range(1, len(ranked) + 1), index=ranked.index, dtype="Int64")
    table["rank"] = table["rank"].astype("Int64")
    names = dist.set_index(dist["adcode"].astype(str))
    if "district_code" in keys:
        table["district_zh"] = table["district_code"].map(names["name_zh"]).fillna(
            table["district_code"])
        table["district_en"] = table["district_code"].map(names["name_en"]).fillna(
            table["district_code"])
    else:
        table["district_code"], table["district_zh"], table["district_en"] = "*", "全市", "City"
    if "facility_type" in keys:
        table["type_zh"] = table["facility_type"].map(lambda t: FACILITY_LABELS[t][0])
        table["type_en"] = table["facility_type"].map(lambda t: FACILITY_LABELS[t][1])
    else:
        table["facility_type"], table["type_zh"], table["type_en"] = "*", "全部类型", "All types"
    table["expected"] = table["expected"].astype("Int64")
    order = table["rank"].fillna(10**9).astype(int)
    table = table.assign(_o=order).sort_values(["_o", *keys], kind="stable").drop(columns="_o")
    return table[list(COLUMNS)].reset_index(drop=True)


def compute_rankings(
    repo: Repository,
    *,
    group_by: Iterable[str] = GROUP_KEYS,
    coverage_threshold: float | None = None,
    expected: pd.DataFrame | None = None,
    weights: Mapping[str, float] | None = None,
    facility_types: Iterable[str] | None = None,
    districts: Iterable[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> RankingResult:
    """Rankings from the database (see the module docstring for every column).

    ``expected`` overrides the inventory targets (e.g. :func:`expected_from_features` on a real
    OSM extract); ``coverage_threshold`` defaults to the ``coverage_threshold`` setting.
    """
    keys = _check_group_by(group_by)
    threshold = (
        float(coverage_threshold) if coverage_threshold is not None
        else float(get_settings().coverage_threshold)
    )
    w = dict(weights) if weights is not None else severity_weights()
    cells = cell_aggregates(repo, w, facility_types=facility_types, districts=districts,
                            since=since, until=until)
    # the file's name only: the result is shown on public pages, never a server path
    given = expected is not None and "source" not in expected.columns
    exp = expected if expected is not None else expected_targets(repo)
    source = "OSM/features" if given else _sources(exp["source"])
    table = rank_frame(
        cells, pd.Series(dtype=float), exp, reports=report_counts(repo),
        report_fix_types=_report_fix_types(), group_by=keys, coverage_threshold=threshold,
    )
    if given:  # counts passed without a source: every cell says they came from the caller
        table["expected_source"] = source
    if facility_types is not None and "facility_type" in keys:
        table = table[table["facility_type"].isin(list(facility_types))]
    if districts is not None and "district_code" in keys:
        table = table[table["district_code"].isin([str(d) for d in districts])]
    table = table.reset_index(drop=True)
    return RankingResult(
        table=table,
        group_by=keys,
        coverage_threshold=threshold,
        weights=w,
        expected_source=source,
        is_demo=bool(repo.has_demo_data()),
        n_audits=int(cells["n"].sum()) if len(cells) else 0,
    )


__all__ = [
    "COLUMNS",
    "RankingResult",
    "cell_aggregates",
    "compute_rankings",
    "expected_from_features",
    "expected_targets",
    "gap_points_by_facility",
    "inventory_targets_path",
    "load_inventory_targets",
    "rank_frame",
    "report_counts",
    "severity_weights",
    "source_parts",
    "wilson_interval",
]
