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
domain arithmetic over at most a few hundred rows, in plain Python; :attr:`RankingResult.table`
makes the pandas frame the pages and exports use when first asked for.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audit.errors import InputError, Problem
from audit.model import FACILITY_LABELS, FACILITY_TYPES
from audit.settings import get_settings
from audit.stats import wilson_bounds, wilson_score_interval
from audit.storage import queries

if TYPE_CHECKING:  # pandas and numpy are imported where frames are made: a cold rankings
    # process (the bureau page's first load) answers from rows without them
    import numpy as np
    import pandas as pd

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


#: dtypes of the columns of :attr:`RankingResult.table` that pandas would not infer from rows
#: (whole numbers that may be missing)
NULLABLE_INT_COLUMNS: tuple[str, ...] = ("expected", "rank")


@dataclass(frozen=True)
class RankingResult:
    """A ranking table plus what it rests on (shown beside it in the UI and the report).

    ``rows``: one dict per row with the :data:`COLUMNS` (missing numbers are ``nan``, a missing
    ``expected`` or ``rank`` is ``None``); ``table``: the same as a pandas frame, made on first use.
    """

    rows: tuple[dict[str, Any], ...]
    group_by: tuple[str, ...]
    coverage_threshold: float
    weights: Mapping[str, float]
    expected_source: str
    is_demo: bool
    n_audits: int

    @cached_property
    def table(self) -> pd.DataFrame:
        """The rows as a frame, in the column order of :data:`COLUMNS`."""
        return rows_frame(self.rows)


def rows_frame(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Ranking rows as the frame :func:`rank_frame` returns (nullable whole numbers for
    ``expected`` and ``rank``)."""
    import pandas as pd

    rows = list(rows)
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    for column in NULLABLE_INT_COLUMNS:
        frame[column] = pd.array(
            [None if _missing(r[column]) else int(r[column]) for r in rows], dtype="Int64")
    for column in ("audited", "decided", "compliant", "non_compliant", "incomplete",
                   "resident_reports"):
        frame[column] = frame[column].astype("int64")
    for column in ("compliance_rate", "ci_low", "ci_high", "gap_points", "gap_per_audited",
                   "coverage"):
        frame[column] = frame[column].astype("float64")
    for column in ("rankable", "is_demo"):
        frame[column] = frame[column].astype(bool)
    for column in ("district_code", "district_zh", "district_en", "facility_type", "type_zh",
                   "type_en", "expected_source"):
        frame[column] = frame[column].astype("str")
    return frame


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
    import pandas as pd

    frame = pd.DataFrame(target_rows(path), columns=list(TARGET_COLUMNS))
    frame["expected"] = frame["expected"].astype("int64")
    return frame


def target_rows(path: Path | str | None = None) -> list[dict[str, Any]]:
    """The inventory targets as rows ``district_code, facility_type, expected, basis`` (validated
    as :func:`load_inventory_targets` says; no pandas)."""
    p = Path(path) if path is not None else inventory_targets_path()
    cached = _targets_cached(str(p), p.stat().st_mtime if p.is_file() else -1.0)
    return [dict(zip(TARGET_COLUMNS, row, strict=True)) for row in cached]


TARGET_COLUMNS: tuple[str, ...] = ("district_code", "facility_type", "expected", "basis")


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


@lru_cache(maxsize=4)
def _targets_cached(path: str, mtime: float) -> tuple[tuple[Any, ...], ...]:
    """Read and check the targets file: ``#`` starts a comment (to the end of its line), lines
    left blank are skipped, the first other line is the header; every problem names the line a
    person sees in the file."""
    if mtime < 0:
        raise InputError(Problem("inventory_targets_file", path, "an existing CSV file"))
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            numbered = [(number, text.split("#", 1)[0])
                        for number, text in enumerate(handle, start=1)]
    except (OSError, UnicodeDecodeError) as exc:
        problem = Problem("inventory_targets_file", path, f"a readable CSV ({exc})")
        raise InputError(problem) from exc
    lines = [(number, text) for number, text in numbered if text.strip()]
    if not lines:
        raise InputError(Problem("inventory_targets_file", path,
                                 "a readable CSV (the file has no header row)"))
    header = [h.strip() for h in next(csv.reader([lines[0][1]]))]
    missing = {"district_code", "facility_type", "expected"} - set(header)
    if missing:
        raise InputError([Problem("inventory_targets_file columns", header,
                                  "district_code, facility_type, expected[, basis]")],
                         "inventory targets")
    records: list[tuple[int, dict[str, str]]] = []
    for number, text in lines[1:]:
        values = next(csv.reader([text]))
        records.append((number, dict(zip(header, values + [""] * (len(header) - len(values)),
                                         strict=False))))
    problems: list[Problem] = []
    out: list[tuple[Any, ...]] = []
    seen: dict[tuple[str, str], int] = {}
    for number, record in records:
        where = f"inventory_targets_file row {number}"
        ftype = record["facility_type"]
        if ftype not in FACILITY_TYPES:
            problems.append(Problem(f"{where} facility_type", ftype or None,
                                    f"one of {', '.join(FACILITY_TYPES)}"))
        value = _number(record["expected"])
        if not (math.isfinite(value) and value >= 0 and float(value).is_integer()):
            problems.append(Problem(f"{where} expected", record["expected"] or None,
                                    "a whole number ≥ 0"))
        key = (record["district_code"], ftype)
        seen[key] = seen.get(key, 0) + 1
        out.append((record["district_code"], ftype, value, record.get("basis", "")))
    for _line, record in records:
        key = (record["district_code"], record["facility_type"])
        if seen[key] > 1:
            problems.append(Problem("inventory_targets_file cell", f"{key[0]}/{key[1]}",
                                    "each district × type once"))
    if problems:
        raise InputError(problems, "inventory targets")
    return tuple((d, f, int(v), b) for d, f, v, b in out)


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

#: the per-cell counts a ranking adds up
COUNTS: tuple[str, ...] = ("audited", "compliant", "non_compliant", "incomplete")


def _weight(weights: Mapping[str, float], severities: Iterable[str]) -> None:
    """:class:`InputError` naming any severity without a weight."""
    unknown = sorted(set(severities) - set(weights))
    if unknown:
        raise InputError(Problem("severity", unknown, f"one of {', '.join(sorted(weights))}"))


def gap_points_by_facility(
    repo: Repository, weights: Mapping[str, float] | None = None,
    *, districts: Iterable[str] | None = None,
) -> pd.Series:
    """Severity-weighted gap points of each facility's current audit, indexed by facility id.

    Only facilities whose current audit is non-compliant appear (the others have no failing
    findings).
    """
    import pandas as pd

    w = dict(weights) if weights is not None else severity_weights()
    counts = queries.current_failing_counts(repo, by="facility", districts=districts)
    _weight(w, (c["severity"] for c in counts))
    points: dict[int, float] = {}
    for c in counts:
        points[c["facility_id"]] = points.get(c["facility_id"], 0.0) + c["n"] * w[c["severity"]]
    if not points:
        return pd.Series(dtype=float, name="gap_points")
    ids = sorted(points)
    return pd.Series([points[i] for i in ids], index=ids, dtype=float, name="gap_points")


def report_counts(
    repo: Repository, *, closed_statuses: Sequence[str] = CLOSED_REPORT_STATUSES
) -> pd.DataFrame:
    """Open resident reports per district and category: ``district_code, category, n``."""
    import pandas as pd

    return pd.DataFrame(queries.open_report_counts(repo, closed_statuses),
                        columns=["district_code", "category", "n"])


def _report_fix_types() -> dict[str, str]:
    """Report category → facility type (categories of :mod:`audit.report_categories`; "other"
    has none)."""
    from audit.report_categories import REPORT_CATEGORIES

    return {k: c.facility_type for k, c in REPORT_CATEGORIES.items() if c.facility_type}


def cell_rows(
    repo: Repository,
    weights: Mapping[str, float],
    *,
    facility_types: Iterable[str] | None = None,
    districts: Iterable[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[dict[str, Any]]:
    """Facilities per district × type × current verdict, with the cell's gap points.

    Keys ``district_code, facility_type, verdict, n, is_demo, gap_points``: both counts are
    aggregated in the database; the gap points (Σ weight × failing findings per severity) sit on
    the cell's ``non_compliant`` row, the only verdict with failing findings.
    """
    filters: dict[str, Any] = {"facility_types": facility_types, "districts": districts,
                               "since": since, "until": until}
    cells = queries.current_verdict_counts(repo, **filters)
    fails = queries.current_failing_counts(repo, by="cell", **filters)
    _weight(weights, (f["severity"] for f in fails))
    gaps: dict[tuple[Any, Any], float] = {}
    for f in fails:
        key = (f["district_code"], f["facility_type"])
        gaps[key] = gaps.get(key, 0.0) + f["n"] * weights[f["severity"]]
    for cell in cells:
        cell["gap_points"] = (gaps.get((cell["district_code"], cell["facility_type"]), 0.0)
                              if cell["verdict"] == "non_compliant" else 0.0)
    return cells


def cell_aggregates(
    repo: Repository,
    weights: Mapping[str, float],
    *,
    facility_types: Iterable[str] | None = None,
    districts: Iterable[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> pd.DataFrame:
    """:func:`cell_rows` as a frame (columns ``district_code, facility_type, verdict, n,
    is_demo, gap_points``)."""
    import pandas as pd

    rows = cell_rows(repo, weights, facility_types=facility_types, districts=districts,
                     since=since, until=until)
    return pd.DataFrame(rows, columns=["district_code", "facility_type", "verdict", "n",
                                       "is_demo", "gap_points"]).astype(
        {"n": "int64", "is_demo": bool, "gap_points": "float64"})


# ----------------------------------------------------------------------------- ranking


def _district_names() -> list[tuple[str, str, str]]:
    """``(adcode, name_zh, name_en)`` of the four districts, as :func:`geodata.load_districts`
    lists them (sorted by code), without loading the boundaries."""
    from geodata.names import DISTRICTS

    return [(c, DISTRICTS[c][0], DISTRICTS[c][1]) for c in sorted(DISTRICTS)]


def _sources(values: Iterable[Any]) -> str:
    """The distinct sources of the expected counts of a group, joined with " + " (sorted)."""
    return " + ".join(sorted({str(v) for v in values if v and v == v}))


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


def expected_rows(repo: Repository) -> list[dict[str, Any]]:
    """The coverage target of every cell, with its ``source``: the count of OSM inventory items
    (:func:`audit.storage.queries.inventory_count_rows`, source ``osm_inventory``) where the
    cell has any, else the inventory targets file (source: its file name)."""
    name = inventory_targets_path().name
    csv_rows = [{**r, "source": name} for r in target_rows()]
    inv = [{**r, "source": r["basis"], "basis": "OSM inventory count"}
           for r in queries.inventory_count_rows(repo)]
    if not inv:
        return csv_rows
    covered = {(str(r["district_code"]), str(r["facility_type"])) for r in inv}
    rest = [r for r in csv_rows
            if (str(r["district_code"]), str(r["facility_type"])) not in covered]
    return inv + rest


def expected_targets(repo: Repository) -> pd.DataFrame:
    """:func:`expected_rows` as a frame: ``district_code, facility_type, expected, basis,
    source``."""
    import pandas as pd

    rows = expected_rows(repo)
    frame = pd.DataFrame(rows, columns=["district_code", "facility_type", "expected", "basis",
                                        "source"])
    frame["expected"] = frame["expected"].astype("int64")
    return frame


def _check_group_by(group_by: Iterable[str]) -> tuple[str, ...]:
    keys = tuple(group_by)
    if not keys or any(k not in GROUP_KEYS for k in keys) or len(set(keys)) != len(keys):
        raise InputError(Problem("group_by", list(keys),
                                 f"a non-empty subset of {', '.join(GROUP_KEYS)}"))
    return tuple(k for k in GROUP_KEYS if k in keys)


def wilson_interval(successes: Any, trials: Any) -> tuple[np.ndarray, np.ndarray]:
    """95 % Wilson score interval (closed form, :mod:`audit.stats`); NaN where ``trials`` is 0."""
    return wilson_score_interval(successes, trials, confidence=1.0 - CONFIDENCE_ALPHA)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame's rows as dicts keyed by column name."""
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def rank_rows(
    cells: Iterable[Mapping[str, Any]],
    expected: Iterable[Mapping[str, Any]],
    *,
    reports: Iterable[Mapping[str, Any]] = (),
    report_fix_types: Mapping[str, str] | None = None,
    group_by: Iterable[str] = GROUP_KEYS,
    coverage_threshold: float = 0.30,
    districts: Sequence[tuple[str, str, str]] | None = None,
) -> list[dict[str, Any]]:
    """The ranking rows (pure, plain Python; see the module docstring for every column).

    ``cells``: rows with ``district_code, facility_type, verdict`` and optionally ``n`` (default
    1: one row per facility), ``gap_points`` (default 0) and ``is_demo``; ``expected``: rows with
    ``district_code, facility_type, expected`` and optionally ``source``; ``reports``: rows with
    ``district_code, category, n`` (resident reports, kept separate); ``districts``:
    ``(adcode, name_zh, name_en)``, by default the four districts.
    """
    keys = _check_group_by(group_by)
    if not 0 <= coverage_threshold <= 1:
        raise InputError(Problem("coverage_threshold", coverage_threshold, "a share in [0, 1]"))
    names = list(districts) if districts is not None else _district_names()
    codes = [str(code) for code, _zh, _en in names]
    audited = [c for c in cells if c["verdict"] != "unaudited"]
    extra = sorted({str(c["district_code"]) for c in audited
                    if not _missing(c["district_code"])} - set(codes))
    # every district × type cell is listed, audited or not, so gaps in coverage stay visible
    base: dict[tuple[str, str], dict[str, Any]] = {
        (d, ft): {"audited": 0, "compliant": 0, "non_compliant": 0, "incomplete": 0,
                  "gap_points": 0.0, "is_demo": False, "expected": None, "expected_source": "",
                  "resident_reports": 0}
        for d in codes + extra for ft in FACILITY_TYPES
    }
    for c in audited:
        cell = base.get((str(c["district_code"]), str(c["facility_type"])))
        if cell is None or _missing(c["district_code"]):
            continue
        n = int(c.get("n", 1))
        cell["audited"] += n
        if c["verdict"] in ("compliant", "non_compliant", "incomplete"):
            cell[c["verdict"]] += n
        gap = c.get("gap_points", 0.0)
        cell["gap_points"] += 0.0 if _missing(gap) else float(gap)
        cell["is_demo"] = cell["is_demo"] or bool(c.get("is_demo", False))
    for e in expected:
        cell = base.get((str(e["district_code"]), str(e["facility_type"])))
        if cell is not None:
            cell["expected"] = None if _missing(e["expected"]) else e["expected"]
            source = e.get("source", "")
            cell["expected_source"] = "" if _missing(source) else str(source)
    fix = dict(report_fix_types or {})
    for r in reports:
        ftype = r["category"] if r["category"] in FACILITY_TYPES else fix.get(r["category"])
        if _missing(r["district_code"]) or ftype is None:
            continue
        cell = base.get((str(r["district_code"]), ftype))
        if cell is not None:
            cell["resident_reports"] += int(r["n"])
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for (d, ft), cell in sorted(base.items()):
        group = tuple(d if k == "district_code" else ft for k in keys)
        groups.setdefault(group, []).append(cell)
    z_conf = 1.0 - CONFIDENCE_ALPHA
    names_by_code = {str(code): (zh, en) for code, zh, en in names}
    table: list[dict[str, Any]] = []
    for group, members in groups.items():
        row: dict[str, Any] = dict(zip(keys, group, strict=True))
        for column in (*COUNTS, "resident_reports"):
            row[column] = sum(m[column] for m in members)
        row["gap_points"] = math.fsum(m["gap_points"] for m in members)
        row["is_demo"] = any(m["is_demo"] for m in members)
        given = [m["expected"] for m in members if m["expected"] is not None]
        row["expected"] = sum(given) if given else None
        row["expected_source"] = _sources(m["expected_source"] for m in members)
        row["decided"] = row["compliant"] + row["non_compliant"]
        decided, count = row["decided"], row["audited"]
        row["compliance_rate"] = row["compliant"] / decided if decided > 0 else math.nan
        row["ci_low"], row["ci_high"] = wilson_bounds(row["compliant"], decided,
                                                      confidence=z_conf)
        row["gap_per_audited"] = row["gap_points"] / count if count > 0 else math.nan
        expd = row["expected"]
        row["coverage"] = count / expd if expd is not None and expd > 0 else math.nan
        row["rankable"] = bool(row["coverage"] >= coverage_threshold and decided > 0)
        table.append(row)
    ranked = sorted((r for r in table if r["rankable"]),
                    key=lambda r: (-r["gap_per_audited"], r["ci_high"]))
    for r in table:
        r["rank"] = None
    for position, r in enumerate(ranked, start=1):
        r["rank"] = position
    for r in table:
        if "district_code" in keys:
            zh, en = names_by_code.get(r["district_code"], (r["district_code"],) * 2)
            r["district_zh"], r["district_en"] = zh, en
        else:
            r["district_code"], r["district_zh"], r["district_en"] = "*", "全市", "City"
        if "facility_type" in keys:
            r["type_zh"], r["type_en"] = FACILITY_LABELS[r["facility_type"]]
        else:
            r["facility_type"], r["type_zh"], r["type_en"] = "*", "全部类型", "All types"
    table.sort(key=lambda r: r["rank"] if r["rank"] is not None else 10**9)
    return [{c: r[c] for c in COLUMNS} for r in table]


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
    """The ranking table from plain frames (pure; :func:`rank_rows` on their rows).

    ``facilities``: :meth:`Repository.facility_frame` output (one row per facility; or rows with
    a count ``n`` and their ``gap_points``); ``gap_by_audit``: gap points per audit id;
    ``expected``: ``district_code, facility_type, expected``; ``reports``: ``district_code,
    category, n`` (resident reports, kept separate).
    """
    cells = _records(facilities)
    if "gap_points" not in facilities.columns:
        gaps = gap_by_audit.to_dict()
        for c in cells:
            c["gap_points"] = gaps.get(float(c["audit_id"]), 0.0) if not _missing(
                c.get("audit_id")) else 0.0
    names = None
    if districts is not None:
        names = [(str(a), str(zh), str(en)) for a, zh, en in
                 districts[["adcode", "name_zh", "name_en"]].itertuples(index=False)]
    rows = rank_rows(cells, _records(expected),
                     reports=() if reports is None else _records(reports),
                     report_fix_types=report_fix_types, group_by=group_by,
                     coverage_threshold=coverage_threshold, districts=names)
    return rows_frame(rows)


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
    types = None if facility_types is None else list(facility_types)
    codes = None if districts is None else [str(d) for d in districts]
    cells = cell_rows(repo, w, facility_types=types, districts=codes, since=since, until=until)
    # the file's name only: the result is shown on public pages, never a server path
    given = expected is not None and "source" not in expected.columns
    exp = _records(expected) if expected is not None else expected_rows(repo)
    source = "OSM/features" if given else _sources(e.get("source") for e in exp)
    rows = rank_rows(
        cells, exp, reports=queries.open_report_counts(repo, CLOSED_REPORT_STATUSES),
        report_fix_types=_report_fix_types(), group_by=keys, coverage_threshold=threshold,
    )
    if given:  # counts passed without a source: every cell says they came from the caller
        for r in rows:
            r["expected_source"] = source
    if types is not None and "facility_type" in keys:
        rows = [r for r in rows if r["facility_type"] in types]
    if codes is not None and "district_code" in keys:
        rows = [r for r in rows if r["district_code"] in codes]
    return RankingResult(
        rows=tuple(rows),
        group_by=keys,
        coverage_threshold=threshold,
        weights=w,
        expected_source=source,
        is_demo=bool(repo.has_demo_data()),
        n_audits=sum(int(c["n"]) for c in cells),
    )


__all__ = [
    "COLUMNS",
    "RankingResult",
    "cell_aggregates",
    "cell_rows",
    "compute_rankings",
    "expected_from_features",
    "expected_rows",
    "expected_targets",
    "gap_points_by_facility",
    "inventory_targets_path",
    "load_inventory_targets",
    "rank_frame",
    "rank_rows",
    "report_counts",
    "rows_frame",
    "severity_weights",
    "source_parts",
    "target_rows",
    "wilson_interval",
]
