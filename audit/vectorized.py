"""Score many audits at once with numpy: the same findings as :func:`audit.scoring.evaluate`.

``evaluate_frame`` takes one facility type and a table of measurements (one row per facility,
one column per measurement field, empty cells = not measured) and returns one row per input row
with the verdict, the score, counts and one status column per rule (``status:<rule_id>``).
Validation and coercion follow :func:`audit.model.validate_measurements` exactly; every bad
field is reported at once with example rows. ``evaluate_many`` does the same for a mixed list of
``(facility_type, measurements)`` records, keeping their order.

Internally every field becomes a float64 array (NaN = not measured, booleans 1.0/0.0, choices the
index in the field's ``choices``) and each check runs its ``vector`` form (see :mod:`audit.checks`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from audit.checks import (
    CHECKS,
    FAIL,
    NOT_APPLICABLE,
    NOT_MEASURED,
    PASS,
    STATUS_NAMES,
    conditions_vector,
)
from audit.errors import InputError, Problem
from audit.model import (
    IMPLICATIONS,
    MeasurementField,
    _Bad,
    coerce_value,
    derive_area_m2,
    is_missing,
    schema,
)
from audit.rules.loader import Rule, Ruleset, default_ruleset
from audit.scoring import VERDICTS

STATUS_PREFIX = "status:"
SUMMARY_COLUMNS: tuple[str, ...] = (
    "verdict",
    "score",
    "n_fail",
    "n_not_measured",
    "has_provisional",
)
_EXAMPLES = 5  # rows quoted per bad field


def status_column(rule_id: str) -> str:
    """The name of a rule's status column in :func:`evaluate_frame` output."""
    return f"{STATUS_PREFIX}{rule_id}"


def evaluate_frame(
    facility_type: str,
    frame: pd.DataFrame,
    *,
    ruleset: Ruleset | None = None,
    ignore_extra_columns: bool = False,
) -> pd.DataFrame:
    """Evaluate every row of ``frame`` as one ``facility_type`` audit.

    Returns a frame with the same index and the columns ``verdict``, ``score`` (NaN where nothing
    applicable was measured), ``n_fail``, ``n_not_measured``, ``has_provisional`` and one
    categorical ``status:<rule_id>`` column per rule of the type. Raises
    :class:`~audit.errors.InputError` listing every bad field (with up to five example rows each);
    columns that are not fields of the type are an error unless ``ignore_extra_columns``.
    """
    rs = ruleset if ruleset is not None else default_ruleset()
    cols = frame_to_arrays(facility_type, frame, ignore_extra_columns=ignore_extra_columns)
    rules = rs.for_facility(facility_type)
    n = len(frame)
    statuses, vias = _run(rules, cols, n)
    summary = _summarise(rules, statuses, vias, rs, n)
    out: dict[str, Any] = {
        "verdict": pd.Categorical.from_codes(summary["verdict"], categories=list(VERDICTS)),
        "score": summary["score"],
        "n_fail": summary["n_fail"],
        "n_not_measured": summary["n_not_measured"],
        "has_provisional": summary["has_provisional"],
    }
    for rule, status in zip(rules, statuses, strict=True):
        out[status_column(rule.rule_id)] = pd.Categorical.from_codes(
            status, categories=list(STATUS_NAMES)
        )
    return pd.DataFrame(out, index=frame.index)


def evaluate_many(
    records: Sequence[tuple[str, Mapping[str, object]]], *, ruleset: Ruleset | None = None
) -> pd.DataFrame:
    """Evaluate mixed ``(facility_type, measurements)`` records; one summary row each, in order.

    Columns: ``facility_type`` and the summary columns of :func:`evaluate_frame`. Bad input raises
    :class:`~audit.errors.InputError` naming the record positions.
    """
    rs = ruleset if ruleset is not None else default_ruleset()
    by_type: dict[str, list[int]] = {}
    for i, (ftype, _) in enumerate(records):
        by_type.setdefault(ftype, []).append(i)
    n = len(records)
    verdict = np.zeros(n, dtype=np.int8)
    score = np.full(n, np.nan)
    n_fail = np.zeros(n, dtype=np.int64)
    n_nm = np.zeros(n, dtype=np.int64)
    prov = np.zeros(n, dtype=bool)
    types = np.empty(n, dtype=object)
    problems: list[Problem] = []
    for ftype, idx in by_type.items():
        try:
            fields = schema(ftype)
            frame = pd.DataFrame.from_records(
                [records[i][1] for i in idx], index=idx, columns=list(_columns(records, idx))
            )
            cols = frame_to_arrays(ftype, frame, fields=fields)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        rules = rs.for_facility(ftype)
        statuses, vias = _run(rules, cols, len(idx))
        s = _summarise(rules, statuses, vias, rs, len(idx))
        ix = np.asarray(idx)
        verdict[ix], score[ix], n_fail[ix] = s["verdict"], s["score"], s["n_fail"]
        n_nm[ix], prov[ix], types[ix] = s["n_not_measured"], s["has_provisional"], ftype
    if problems:
        raise InputError(problems, context="records")
    return pd.DataFrame({
        "facility_type": types,
        "verdict": pd.Categorical.from_codes(verdict, categories=list(VERDICTS)),
        "score": score,
        "n_fail": n_fail,
        "n_not_measured": n_nm,
        "has_provisional": prov,
    })


def _columns(records: Sequence[tuple[str, Mapping[str, object]]], idx: list[int]) -> dict:
    seen: dict[str, None] = {}
    for i in idx:
        for key in records[i][1]:
            seen.setdefault(key, None)
    return seen


# ---------------------------------------------------------------------------------------------
# coercion


def frame_to_arrays(
    facility_type: str,
    frame: pd.DataFrame,
    *,
    ignore_extra_columns: bool = False,
    fields: Mapping[str, MeasurementField] | None = None,
) -> dict[str, np.ndarray]:
    """Validate and coerce a measurement table into float arrays (NaN = not measured).

    Applies defaults and derivations like :func:`audit.model.validate_measurements`.
    """
    fields = fields if fields is not None else schema(facility_type)
    n = len(frame)
    problems: list[Problem] = []
    if not ignore_extra_columns:
        for col in frame.columns:
            if col not in fields:
                problems.append(Problem(str(col), "(column)", f"not a field of "
                                        f"`{facility_type}`; known fields: {', '.join(fields)}"))
    cols: dict[str, np.ndarray] = {}
    for name, spec in fields.items():
        if name in frame.columns:
            series = frame[name]
            if isinstance(series, pd.DataFrame):
                problems.append(Problem(name, "(column)", "one column per field"))
                continue
            arr, bad = _coerce_series(spec, series)
            if bad.any():
                rows = np.flatnonzero(bad)
                labels = [frame.index[r] for r in rows[:_EXAMPLES]]
                more = f" and {len(rows) - _EXAMPLES} more" if len(rows) > _EXAMPLES else ""
                values = [series.iloc[r] for r in rows[:_EXAMPLES]]
                problems.append(Problem(f"{name} (rows {labels}{more})", values,
                                        spec.allowed_text()))
        else:
            arr = np.full(n, np.nan)
        if spec.default is not None:
            arr = np.where(np.isnan(arr), _encode_default(spec), arr)
        cols[name] = arr
    if problems:
        raise InputError(problems, context=f"{facility_type} measurements")
    _derive(facility_type, cols, frame.index, problems)
    if problems:
        raise InputError(problems, context=f"{facility_type} measurements")
    return cols


def _encode_default(spec: MeasurementField) -> float:
    if spec.kind == "bool":
        return 1.0 if spec.default else 0.0
    if spec.kind == "choice":
        return float(spec.choices.index(spec.default))
    return float(spec.default)


def _encode_scalar(spec: MeasurementField, value: object) -> float:
    """One raw cell to its float code, as :func:`coerce_value` would (raises ``_Bad``)."""
    if is_missing(value):
        return np.nan
    v = coerce_value(spec, value)
    if spec.kind == "bool":
        return 1.0 if v else 0.0
    if spec.kind == "choice":
        return float(spec.choices.index(v))  # type: ignore[arg-type]
    return float(v)  # type: ignore[arg-type]


def _coerce_series(spec: MeasurementField, series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(float codes, bad mask) for one column."""
    dtype = series.dtype
    n = len(series)
    if spec.is_numeric and pd.api.types.is_numeric_dtype(dtype) \
            and not pd.api.types.is_bool_dtype(dtype):
        arr = series.to_numpy(dtype=np.float64, na_value=np.nan)
        known = ~np.isnan(arr)
        with np.errstate(invalid="ignore"):
            bad = known & ~((arr >= spec.minimum) & (arr <= spec.maximum))
            if spec.kind == "integer":
                bad |= known & (arr != np.floor(arr))
        return arr, bad
    if spec.kind == "bool" and pd.api.types.is_bool_dtype(dtype) and not series.hasnans:
        return series.to_numpy(dtype=np.float64), np.zeros(n, dtype=bool)
    # general path: exact dictionary hits first, the scalar coercer for everything else
    values = series.to_numpy(dtype=object)
    arr = np.full(n, np.nan)
    bad = np.zeros(n, dtype=bool)
    fast: dict[object, float] = {}
    if spec.kind == "bool":
        fast = {True: 1.0, False: 0.0}
    elif spec.kind == "choice":
        fast = {c: float(i) for i, c in enumerate(spec.choices)}
    for i, v in enumerate(values):
        code = fast.get(v) if type(v) in (bool, str) else None
        if code is not None:
            arr[i] = code
            continue
        try:
            arr[i] = _encode_scalar(spec, v)
        except _Bad:
            bad[i] = True
    return arr, bad


def _derive(
    facility_type: str, cols: dict[str, np.ndarray], index: pd.Index, problems: list[Problem]
) -> None:
    """Vector twin of :func:`audit.model._derive`."""
    for a, b in IMPLICATIONS[facility_type]:
        xa, xb = cols[a], cols[b]
        contradiction = (xa == 1.0) & (xb == 0.0)
        if contradiction.any():
            rows = [index[r] for r in np.flatnonzero(contradiction)[:_EXAMPLES]]
            problems.append(Problem(f"{a} (rows {rows})", True, f"contradicts `{b}` = false: set "
                                    f"`{b}` to true or leave it empty"))
        cols[b] = np.where((xa == 1.0) & np.isnan(xb), 1.0, xb)
        cols[a] = np.where((cols[b] == 0.0) & np.isnan(xa), 0.0, xa)
    if facility_type == "toilet":
        area = cols["area_m2"]
        derived = derive_area_m2(cols["internal_width_mm"], cols["internal_depth_mm"])
        cols["area_m2"] = np.where(np.isnan(area), derived, area)
    if facility_type == "parking":
        over = cols["accessible_spaces"] > cols["total_spaces"]
        if over.any():
            rows = [index[r] for r in np.flatnonzero(over)[:_EXAMPLES]]
            problems.append(Problem(f"accessible_spaces (rows {rows})",
                                    cols["accessible_spaces"][over][:_EXAMPLES].tolist(),
                                    "at most `total_spaces`"))


# ---------------------------------------------------------------------------------------------
# rules and summaries


def _run(
    rules: Sequence[Rule], cols: Mapping[str, np.ndarray], n: int
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    pairs = [rule_status_vector(rule, cols, n) for rule in rules]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def rule_status_vector(
    rule: Rule, cols: Mapping[str, np.ndarray], n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Status codes (see :data:`audit.checks.STATUS_NAMES`) of one rule for every row, and the
    mask of rows that pass only through the rule's exception."""
    check = CHECKS[rule.check]
    status = check.vector(cols, rule.params)
    via = np.zeros(n, dtype=bool)
    if rule.exception is not None:
        relaxed = check.vector(cols, rule.exception.params)
        ex_false, ex_unknown = conditions_vector(rule.exception.when, cols, n)
        rescued = (status == FAIL) & (relaxed == PASS) & ~ex_false
        status = np.where(rescued, np.where(ex_unknown, NOT_MEASURED, PASS), status)
        via = rescued & ~ex_unknown
    if rule.when:
        false, unknown = conditions_vector(rule.when, cols, n)
        status = np.where(false, NOT_APPLICABLE, np.where(unknown, NOT_MEASURED, status))
        via &= ~false & ~unknown
    return status.astype(np.int8), via


def _summarise(
    rules: Sequence[Rule],
    statuses: Sequence[np.ndarray],
    vias: Sequence[np.ndarray],
    rs: Ruleset,
    n: int,
) -> dict[str, np.ndarray]:
    passed = np.zeros(n, dtype=np.int64)
    total = np.zeros(n, dtype=np.int64)
    n_fail = np.zeros(n, dtype=np.int64)
    n_nm = np.zeros(n, dtype=np.int64)
    prov = np.zeros(n, dtype=bool)
    for rule, st, via in zip(rules, statuses, vias, strict=True):
        w = rs.weights[rule.severity]
        is_pass, is_fail = st == PASS, st == FAIL
        passed += w * is_pass
        total += w * (is_pass | is_fail)
        n_fail += is_fail
        n_nm += st == NOT_MEASURED
        if rule.provisional:
            prov |= is_pass | is_fail
        elif rule.exception is not None and rule.exception.provisional:
            prov |= via
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(total > 0, passed / np.where(total > 0, total, 1) * 100, np.nan)
    verdict = np.where(n_fail > 0, VERDICTS.index("non_compliant"),
                       np.where(n_nm > 0, VERDICTS.index("incomplete"),
                                VERDICTS.index("compliant"))).astype(np.int8)
    return {"verdict": verdict, "score": score, "n_fail": n_fail, "n_not_measured": n_nm,
            "has_provisional": prov}


__all__ = [
    "STATUS_PREFIX",
    "SUMMARY_COLUMNS",
    "evaluate_frame",
    "evaluate_many",
    "frame_to_arrays",
    "rule_status_vector",
    "status_column",
]
