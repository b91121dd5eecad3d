"""Score many audits at once with numpy: the same findings as :func:`audit.scoring.evaluate`.

``evaluate_frame`` takes one facility type and a table of measurements (one row per facility,
one column per measurement field, empty cells = not measured) and returns one row per input row
with the verdict, the score, counts and one status column per rule (``status:<rule_id>``).
Validation and coercion follow :func:`audit.model.validate_measurements` exactly; every bad
field is reported at once with example rows. ``evaluate_many`` does the same for a mixed list of
``(facility_type, measurements)`` records, keeping their order.

Internally every field becomes a float64 array (NaN = not measured, booleans 1.0/0.0, choices the
index in the field's ``choices``) and each check runs its ``vector`` form (see :mod:`audit.checks`).
The measurement schema's declarations are applied to the arrays exactly as
:func:`audit.model.check_measurements` applies them to one dict: implied presence (to a fixed
point), contradictions, defaults, implied absence, plausibility (unconfirmed suspect values become
NaN for the rules; ``strict`` rejects them), and the split groups are judged world by world as in
:func:`audit.scoring.resolve_split`. A ``confirmed_values`` column lists the confirmed fields.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from audit.checks import (
    ADVICE,
    CHECKS,
    FAIL,
    NOT_APPLICABLE,
    NOT_MEASURED,
    PASS,
    STATUS_NAMES,
    conditions_scalar,
    conditions_vector,
)
from audit.errors import InputError, Problem
from audit.model import (
    CONFIRM_KEY,
    IMPLICATIONS,
    MeasurementField,
    _Bad,
    coerce_value,
    derive_area_m2,
    hints_for,
    is_missing,
    parse_confirmed,
    schema,
)
from audit.rules.loader import Rule, Ruleset, default_ruleset, split_fields, split_worlds
from audit.scoring import VERDICTS

STATUS_PREFIX = "status:"
SUMMARY_COLUMNS: tuple[str, ...] = (
    "verdict",
    "score",
    "n_fail",
    "n_not_measured",
    "n_advice",
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
    strict: bool = False,
) -> pd.DataFrame:
    """Evaluate every row of ``frame`` as one ``facility_type`` audit.

    Returns a frame with the same index and the columns ``verdict``, ``score`` (NaN where nothing
    applicable was measured), ``n_fail``, ``n_not_measured``, ``n_advice``, ``has_provisional``,
    ``n_suspect`` (values outside their plausible range, not confirmed) and one categorical
    ``status:<rule_id>`` column per rule of the type. Raises :class:`~audit.errors.InputError`
    listing every bad field (with up to five example rows each), every contradiction and, with
    ``strict``, every unconfirmed suspect value; columns that are not fields of the type are an
    error unless ``ignore_extra_columns``.
    """
    rs = ruleset if ruleset is not None else default_ruleset()
    cols, readable, n_suspect = _prepare(facility_type, frame,
                                         ignore_extra_columns=ignore_extra_columns, strict=strict)
    del cols
    rules = rs.for_facility(facility_type)
    n = len(frame)
    statuses, vias = _run(rules, readable, n, facility_type)
    summary = _summarise(rules, statuses, vias, rs, n, n_suspect)
    out: dict[str, Any] = {
        "verdict": pd.Categorical.from_codes(summary["verdict"], categories=pd.Index(VERDICTS)),
        "score": summary["score"],
        "n_fail": summary["n_fail"],
        "n_not_measured": summary["n_not_measured"],
        "n_advice": summary["n_advice"],
        "has_provisional": summary["has_provisional"],
        "n_suspect": n_suspect,
    }
    for rule, status in zip(rules, statuses, strict=True):
        out[status_column(rule.rule_id)] = pd.Categorical.from_codes(
            status, categories=pd.Index(STATUS_NAMES)
        )
    return pd.DataFrame(out, index=frame.index)


def evaluate_many(
    records: Sequence[tuple[str, Mapping[str, object]]],
    *,
    ruleset: Ruleset | None = None,
    strict: bool = False,
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
    n_adv = np.zeros(n, dtype=np.int64)
    prov = np.zeros(n, dtype=bool)
    types = np.empty(n, dtype=object)
    problems: list[Problem] = []
    for ftype, idx in by_type.items():
        try:
            fields = schema(ftype)
            frame = pd.DataFrame.from_records(
                [records[i][1] for i in idx], index=idx, columns=list(_columns(records, idx))
            )
            _, readable, n_suspect = _prepare(ftype, frame, fields=fields, strict=strict)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        rules = rs.for_facility(ftype)
        statuses, vias = _run(rules, readable, len(idx), ftype)
        s = _summarise(rules, statuses, vias, rs, len(idx), n_suspect)
        ix = np.asarray(idx)
        verdict[ix], score[ix], n_fail[ix] = s["verdict"], s["score"], s["n_fail"]
        n_nm[ix], prov[ix], types[ix] = s["n_not_measured"], s["has_provisional"], ftype
        n_adv[ix] = s["n_advice"]
    if problems:
        raise InputError(problems, context="records")
    return pd.DataFrame({
        "facility_type": types,
        "verdict": pd.Categorical.from_codes(verdict, categories=pd.Index(VERDICTS)),
        "score": score,
        "n_fail": n_fail,
        "n_not_measured": n_nm,
        "n_advice": n_adv,
        "has_provisional": prov,
    })


def _columns(
    records: Sequence[tuple[str, Mapping[str, object]]], idx: list[int]
) -> dict[str, None]:
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

    Applies implied presence, defaults and derivations like
    :func:`audit.model.validate_measurements` (suspect values are kept).
    """
    cols, _, _ = _prepare(facility_type, frame, ignore_extra_columns=ignore_extra_columns,
                          fields=fields)
    return cols


def _prepare(
    facility_type: str,
    frame: pd.DataFrame,
    *,
    ignore_extra_columns: bool = False,
    fields: Mapping[str, MeasurementField] | None = None,
    strict: bool = False,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray]:
    """(values, readable values, number of unconfirmed suspect values per row): the vector twin
    of :func:`audit.model.check_measurements`."""
    fields = fields if fields is not None else schema(facility_type)
    n = len(frame)
    problems: list[Problem] = []
    if not ignore_extra_columns:
        for col in frame.columns:
            if col not in fields and col != CONFIRM_KEY:
                problems.append(Problem(str(col), "(column)", f"not a field of "
                                        f"`{facility_type}`; known fields: {', '.join(fields)}",
                                        code="unknown"))
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
                                        spec.allowed_text(), code="range"))
                arr = np.where(bad, np.nan, arr)
        else:
            arr = np.full(n, np.nan)
        cols[name] = arr
    confirmed = _confirmed(facility_type, frame, fields, problems)
    recorded = {name: ~np.isnan(arr) for name, arr in cols.items() if fields[name].is_numeric}
    inferred = _infer_presence(facility_type, cols, frame.index, problems)
    for name, spec in fields.items():
        if spec.default is not None:
            cols[name] = np.where(np.isnan(cols[name]), _encode_default(spec), cols[name])
    _infer_absence(facility_type, cols)
    _check_counts(facility_type, cols, frame.index, problems)
    unconfirmed: dict[str, np.ndarray] = {}
    n_suspect = np.zeros(n, dtype=np.int64)
    none = np.zeros(n, dtype=bool)
    for name, was in recorded.items():
        spec = fields[name]
        mask = was & ~inferred.get(name, none) & ~_plausible(spec, cols[name])
        if not mask.any():
            continue
        open_ = mask & ~confirmed.get(name, none)
        if open_.any():
            unconfirmed[name] = open_
            n_suspect += open_
            if strict:
                rows = np.flatnonzero(open_)
                labels = [frame.index[r] for r in rows[:_EXAMPLES]]
                values = cols[name][rows[:_EXAMPLES]].tolist()
                problems.append(Problem(
                    f"{name} (rows {labels})", values,
                    f"outside the plausible range {spec.plausible_text()}; correct it, or "
                    f"confirm it by listing `{name}` in `{CONFIRM_KEY}`", code="suspect",
                    hints=hints_for(spec, values[0])))
    if problems:
        raise InputError(problems, context=f"{facility_type} measurements")
    readable = {name: np.where(unconfirmed[name], np.nan, arr) if name in unconfirmed else arr
                for name, arr in cols.items()}
    if facility_type == "toilet":
        for target in (cols, readable):
            area = target["area_m2"]
            derived = derive_area_m2(target["internal_width_mm"], target["internal_depth_mm"])
            target["area_m2"] = np.where(np.isnan(area), derived, area)
    return cols, readable, n_suspect


def _plausible(spec: MeasurementField, x: np.ndarray) -> np.ndarray:
    """Rows whose value lies in the plausible range (or is a plausible 0); NaN counts as fine."""
    if spec.plausible is None:
        return np.ones(len(x), dtype=bool)
    lo, hi = spec.plausible
    with np.errstate(invalid="ignore"):
        ok: np.ndarray = np.isnan(x) | ((x >= lo) & (x <= hi))
        if spec.zero_plausible:
            ok |= x == 0
    return ok


def _confirmed(
    facility_type: str,
    frame: pd.DataFrame,
    fields: Mapping[str, MeasurementField],
    problems: list[Problem],
) -> dict[str, np.ndarray]:
    """Per field, the rows whose out-of-range value the inspector has confirmed."""
    if CONFIRM_KEY not in frame.columns:
        return {}
    out: dict[str, np.ndarray] = {}
    column = frame[CONFIRM_KEY]
    for i, cell in enumerate(column.to_numpy(dtype=object)):
        if not isinstance(cell, (list, tuple, set, np.ndarray)) and is_missing(cell):
            continue
        found: list[Problem] = []
        for name in parse_confirmed(facility_type, cell, found):
            out.setdefault(name, np.zeros(len(frame), dtype=bool))[i] = True
        problems.extend(Problem(f"{p.field} (row {frame.index[i]!r})", p.value, p.allowed)
                        for p in found)
    return out
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
        return float(spec.choices.index(v))
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
    # general path: dictionary hits and missing cells at C speed, the scalar coercer for the rest
    values = series.to_numpy(dtype=object)
    arr = np.full(n, np.nan)
    bad = np.zeros(n, dtype=bool)
    fast: dict[object, float] = {}
    if spec.kind == "bool":  # anything equal to True/False (1, 1.0, np.True_) codes as it would
        fast = {True: 1.0, False: 0.0}
    elif spec.kind == "choice":
        fast = {c: float(i) for i, c in enumerate(spec.choices)}
    todo = np.ones(n, dtype=bool)
    try:
        if fast:
            # a writable copy: pandas 3 (copy-on-write) hands out read-only arrays
            arr = pd.Series(values, dtype=object).map(fast).to_numpy(dtype=np.float64, copy=True)
        todo = np.isnan(arr) & ~pd.isna(values)
    except TypeError:  # unhashable cells (lists): every cell the slow way
        arr = np.full(n, np.nan)
    for i in np.flatnonzero(todo):
        try:
            arr[i] = _encode_scalar(spec, values[i])
        except _Bad:
            bad[i] = True
    return arr, bad


def _infer_presence(
    facility_type: str, cols: dict[str, np.ndarray], index: pd.Index, problems: list[Problem]
) -> dict[str, np.ndarray]:
    """Vector twin of :func:`audit.model.infer_presence`: the rows where each flag was filled."""
    inferred: dict[str, np.ndarray] = {}
    reported: set[tuple[str, str]] = set()
    changed = True
    while changed:
        changed = False
        for imp in IMPLICATIONS[facility_type]:
            x, flag = cols[imp.field], cols[imp.flag]
            want: float | np.ndarray
            if imp.on == "recorded":
                has, want = ~np.isnan(x), 1.0
            elif imp.on == "true":
                has, want = x == 1.0, 1.0
            else:
                has = ~np.isnan(x)
                with np.errstate(invalid="ignore"):
                    want = np.where(x > 0, 1.0, 0.0)
            fill = has & np.isnan(flag)
            if fill.any():
                cols[imp.flag] = np.where(fill, want, flag)
                inferred[imp.flag] = inferred.get(imp.flag, np.zeros(len(x), dtype=bool)) | fill
                changed = True
            clash = has & ~np.isnan(flag) & (flag != want)
            if clash.any() and (imp.field, imp.flag) not in reported:
                reported.add((imp.field, imp.flag))
                rows = [index[r] for r in np.flatnonzero(clash)[:_EXAMPLES]]
                problems.append(Problem(
                    f"{imp.field} (rows {rows})", x[clash][:_EXAMPLES].tolist(),
                    f"contradicts `{imp.flag}` in the same rows: `{imp.field}` can only be "
                    f"recorded where `{imp.flag}` is true (and a count of 0 means it is false)",
                    code="contradiction", related=(imp.flag,)))
    return inferred


def _infer_absence(facility_type: str, cols: dict[str, np.ndarray]) -> None:
    """Vector twin of :func:`audit.model.infer_absence`."""
    changed = True
    while changed:
        changed = False
        for imp in reversed(IMPLICATIONS[facility_type]):
            if imp.on == "recorded":
                continue
            fill = (cols[imp.flag] == 0.0) & np.isnan(cols[imp.field])
            if fill.any():
                cols[imp.field] = np.where(fill, 0.0, cols[imp.field])
                changed = True


def _check_counts(
    facility_type: str, cols: dict[str, np.ndarray], index: pd.Index, problems: list[Problem]
) -> None:
    if facility_type == "parking":
        over = cols["accessible_spaces"] > cols["total_spaces"]
        if over.any():
            rows = [index[r] for r in np.flatnonzero(over)[:_EXAMPLES]]
            problems.append(Problem(f"accessible_spaces (rows {rows})",
                                    cols["accessible_spaces"][over][:_EXAMPLES].tolist(),
                                    "at most `total_spaces`", code="count"))


# ---------------------------------------------------------------------------------------------
# rules and summaries


def _run(
    rules: Sequence[Rule], cols: Mapping[str, np.ndarray], n: int, facility_type: str
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Status codes of every rule (split groups judged together, advice mapped) and the masks
    of rows passing through an exception."""
    base = {r.rule_id: _base_vector(r, cols, n) for r in rules}
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    groups: dict[str, list[Rule]] = {}
    for rule in rules:
        if rule.split:
            groups.setdefault(rule.split, []).append(rule)
            continue
        status, via = base[rule.rule_id]
        false, unknown = _applicability(rule, cols, n)
        status = np.where(false, NOT_APPLICABLE, np.where(unknown, NOT_MEASURED, status))
        out[rule.rule_id] = (status, via & ~false & ~unknown)
    for members in groups.values():
        out.update(_split_vector(members, base, cols, n, facility_type))
    statuses, vias = [], []
    for rule in rules:
        status, via = out[rule.rule_id]
        if rule.is_advice:
            status = np.where(status == FAIL, ADVICE, status)
        statuses.append(status.astype(np.int8))
        vias.append(via & (status == PASS))
    return statuses, vias


def _base_vector(
    rule: Rule, cols: Mapping[str, np.ndarray], n: int
) -> tuple[np.ndarray, np.ndarray]:
    """A rule's check with its exception, before applicability (twin of scoring._base)."""
    check = CHECKS[rule.check]
    status = check.vector(cols, rule.params)
    via = np.zeros(n, dtype=bool)
    if rule.exception is not None:
        relaxed = check.vector(cols, rule.exception.params)
        ex_false, ex_unknown = conditions_vector(rule.exception.when, cols, n)
        rescued = (status == FAIL) & (relaxed == PASS) & ~ex_false
        status = np.where(rescued, np.where(ex_unknown, NOT_MEASURED, PASS), status)
        via = rescued & ~ex_unknown
    return status, via


def _applicability(
    rule: Rule, cols: Mapping[str, np.ndarray], n: int
) -> tuple[np.ndarray, np.ndarray]:
    """(false mask, unknown mask) of ``when`` and not all of ``unless``."""
    false, unknown = conditions_vector(rule.when, cols, n)
    if rule.unless:
        u_false, u_unknown = conditions_vector(rule.unless, cols, n)
        false = false | (~u_false & ~u_unknown)
        unknown = ~false & (unknown | u_unknown)
    return false, unknown


_BIT = {PASS: 1, FAIL: 2, NOT_MEASURED: 4, -1: 8}  # -1: no branch applies (a free pass)


def _split_vector(
    members: Sequence[Rule],
    base: Mapping[str, tuple[np.ndarray, np.ndarray]],
    cols: Mapping[str, np.ndarray],
    n: int,
    facility_type: str,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Vector twin of :func:`audit.scoring.resolve_split`."""
    fields = schema(facility_type)
    seen = np.zeros(n, dtype=np.int8)  # bit set of world outcomes
    cand = [np.zeros(n, dtype=bool) for _ in members]
    for world in split_worlds(facility_type, split_fields(members)):
        consistent = np.ones(n, dtype=bool)
        for name, value in world.items():
            spec = fields[name]
            code = ((1.0 if value else 0.0) if spec.kind == "bool"
                    else float(spec.choices.index(value)))
            consistent &= np.isnan(cols[name]) | (cols[name] == code)
        applying = [i for i, r in enumerate(members) if conditions_scalar(r.when, world)]
        if not applying:
            seen |= np.where(consistent, _BIT[-1], 0).astype(np.int8)
            continue
        sts = [base[members[i].rule_id][0] for i in applying]
        any_fail = np.logical_or.reduce([s == FAIL for s in sts])
        any_nm = np.logical_or.reduce([s == NOT_MEASURED for s in sts])
        bit = np.where(any_fail, _BIT[FAIL], np.where(any_nm, _BIT[NOT_MEASURED], _BIT[PASS]))
        seen |= np.where(consistent, bit, 0).astype(np.int8)
        for i in applying:
            cand[i] |= consistent
    n_cand = np.sum(cand, axis=0)
    normal = (n_cand == 1) & ((seen & _BIT[-1]) == 0)
    resolved = (n_cand > 0) & ~normal
    pass_all = ((seen & (_BIT[FAIL] | _BIT[NOT_MEASURED])) == 0) & ((seen & _BIT[PASS]) != 0)
    group = np.where(pass_all, PASS, np.where(seen == _BIT[FAIL], FAIL, NOT_MEASURED))
    first = np.full(n, -1)
    last = np.full(n, -1)
    for i in range(len(members)):
        last = np.where(cand[i], i, last)
    for i in reversed(range(len(members))):
        first = np.where(cand[i], i, first)
    rep = np.where(group == FAIL, last, first)
    out = {}
    for i, rule in enumerate(members):
        status, via = base[rule.rule_id]
        st = np.where(normal & cand[i], status, NOT_APPLICABLE)
        st = np.where(resolved & (rep == i), group, st)
        out[rule.rule_id] = (st, via & normal & cand[i])
    return out


def rule_status_vector(
    rule: Rule, cols: Mapping[str, np.ndarray], n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Status codes (see :data:`audit.checks.STATUS_NAMES`) of one rule on its own for every row
    (a split rule as a group of one), and the mask of rows that pass only through the rule's
    exception."""
    statuses, vias = _run([rule], cols, n, rule.facility_type)
    return statuses[0], vias[0]


def _summarise(
    rules: Sequence[Rule],
    statuses: Sequence[np.ndarray],
    vias: Sequence[np.ndarray],
    rs: Ruleset,
    n: int,
    n_suspect: np.ndarray,
) -> dict[str, np.ndarray]:
    passed = np.zeros(n, dtype=np.int64)
    total = np.zeros(n, dtype=np.int64)
    n_fail = np.zeros(n, dtype=np.int64)
    n_nm = np.zeros(n, dtype=np.int64)
    n_adv = np.zeros(n, dtype=np.int64)
    prov = np.zeros(n, dtype=bool)
    for rule, st, via in zip(rules, statuses, vias, strict=True):
        if rule.is_advice:
            n_adv += st == ADVICE
            continue
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
                       np.where((n_nm > 0) | (n_suspect > 0), VERDICTS.index("incomplete"),
                                VERDICTS.index("compliant"))).astype(np.int8)
    return {"verdict": verdict, "score": score, "n_fail": n_fail, "n_not_measured": n_nm,
            "n_advice": n_adv, "has_provisional": prov}


__all__ = [
    "STATUS_PREFIX",
    "SUMMARY_COLUMNS",
    "evaluate_frame",
    "evaluate_many",
    "frame_to_arrays",
    "rule_status_vector",
    "status_column",
]
