"""The vectorised path gives exactly the findings of ``evaluate``, on thousands of inputs.

Hypothesis draws batches of measurements per facility type, with values on and next to every
threshold in the ruleset (one resolution step and half a step either side, where rounding
matters), anywhere in the possible range (so also outside the plausible range: suspect values,
some confirmed), as strings (plain, with thousands separators, as fractions), as exact
``Fraction``/``Decimal`` and numpy scalars, and missing; presence flags are often left empty so
that they are inferred, and split flags so that every branch is judged. Each batch is scored by
``evaluate_frame`` once and row by row by ``evaluate``, also in strict mode; contradictory rows
are rejected by both.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from functools import cache

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.checks import Quantity
from audit.demo.measurements import random_measurements
from audit.errors import InputError
from audit.model import (
    CONFIRM_KEY,
    FACILITY_TYPES,
    SCHEMAS,
    check_measurements,
)
from audit.rules import default_ruleset
from audit.scoring import evaluate
from audit.vectorized import evaluate_frame, evaluate_many, status_column


@cache
def _boundaries(ftype: str) -> dict[str, list[float]]:
    """Every threshold of the ruleset on each field, with its neighbouring doubles."""
    out: dict[str, set[float]] = {}

    def add(field: str, q: Quantity) -> None:
        step = q.div / q.mul  # the field's resolution
        for v in (q.lo, q.hi):
            for x in (v, math.nextafter(v, -math.inf), math.nextafter(v, math.inf),
                      round(v, 2), round(v, 1), v - step, v + step, v - step / 2,
                      v + step / 2):
                out.setdefault(field, set()).add(x)

    for rule in default_ruleset().for_facility(ftype):
        params = [rule.params] + ([rule.exception.params] if rule.exception else [])
        conds = rule.when + (rule.exception.when if rule.exception else ())
        for p in params:
            fields = p.get("fields") or (p.get("field"),)
            for value in p.values():
                if isinstance(value, Quantity):
                    for f in fields:
                        add(f, value)
        for c in conds:
            if isinstance(c.value, Quantity):
                add(c.field, c.value)
    return {k: sorted(v) for k, v in out.items()}


def _value(ftype: str, spec) -> st.SearchStrategy:
    missing = st.sampled_from([None, ""])
    if spec.kind == "bool":
        return st.one_of(st.booleans(), st.sampled_from(["yes", "否", "1", 0]), missing)
    if spec.kind == "choice":
        return st.one_of(st.sampled_from(spec.choices), missing)
    lo, hi = spec.minimum, spec.maximum
    edges = [x for x in _boundaries(ftype).get(spec.name, []) if lo <= x <= hi]
    if spec.kind == "integer":
        ints = st.one_of(st.integers(int(lo), min(int(hi), 400)),
                         st.integers(int(lo), int(hi)))
        return st.one_of(ints, ints.map(np.int64), ints.map(lambda i: f"{i:,}"), missing)
    typical = st.floats(*spec.typical, allow_nan=False)
    anywhere = st.floats(lo, hi, allow_nan=False)
    plo, phi = spec.plausible
    slips = st.sampled_from([x for x in (plo / 1000, plo / 10, phi * 1.5, plo * 0.5)
                             if lo <= x <= hi] or [plo])
    as_text = typical.map(lambda x: f"{x:.2f}")
    thousands = typical.map(lambda x: f"{x:,.1f}")
    exact = st.fractions(min_value=Fraction(plo).limit_denominator(1000),
                         max_value=Fraction(phi).limit_denominator(1000), max_denominator=30)
    parts = [typical, anywhere, as_text, thousands, slips, missing,
             exact, exact.map(lambda f: f"{f.numerator}/{f.denominator}"),
             typical.map(lambda x: Decimal(f"{x:.3f}")), typical.map(np.float64)]
    if edges:
        parts.insert(0, st.sampled_from(edges))
    return st.one_of(*parts)


@st.composite
def _measurements(draw, ftype: str) -> dict:
    out = {}
    for spec in SCHEMAS[ftype]:
        if draw(st.booleans()) or draw(st.booleans()):
            out[spec.name] = draw(_value(ftype, spec))
    numeric = [f.name for f in SCHEMAS[ftype] if f.is_numeric]
    if draw(st.booleans()):
        out[CONFIRM_KEY] = draw(st.lists(st.sampled_from(numeric), max_size=3, unique=True))
    return _consistent(ftype, out)


def _consistent(ftype: str, out: dict) -> dict:
    """Drop the fields of contradictions (a measurement of an absent feature, more accessible
    spaces than spaces) until the record is valid."""
    for _ in range(20):
        try:
            check_measurements(ftype, out)
            return out
        except InputError as exc:
            for p in exc.problems:
                out.pop(p.field, None)
    raise AssertionError(out)


def _assert_same(ftype: str, records: list[dict]) -> None:
    frame = _frame(ftype, records)
    out = evaluate_frame(ftype, frame)
    assert len(out) == len(records)
    for i, raw in enumerate(records):
        e = evaluate(ftype, raw)
        row = out.iloc[i]
        for f in e.findings:
            assert row[status_column(f.rule_id)] == f.status, (raw, f.rule_id)
        assert row["verdict"] == e.verdict, raw
        assert row["n_fail"] == e.n_fail
        assert row["n_not_measured"] == sum(f.status == "not_measured" and not f.is_advice
                                            for f in e.findings)
        assert row["n_advice"] == e.counts["advice"]
        assert row["n_suspect"] == len(e.unconfirmed), raw
        assert bool(row["has_provisional"]) == e.has_provisional, raw
        if e.score is None:
            assert math.isnan(row["score"]), raw
        else:
            assert row["score"] == e.score, raw  # bit-identical, not approximately


def _frame(ftype: str, records: list[dict]) -> pd.DataFrame:
    return pd.DataFrame.from_records(
        records, columns=[f.name for f in SCHEMAS[ftype]] + [CONFIRM_KEY])


@pytest.mark.parametrize("ftype", FACILITY_TYPES)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_vectorised_equals_scalar_on_hypothesis_batches(ftype: str, data: st.DataObject) -> None:
    records = data.draw(st.lists(_measurements(ftype), min_size=1, max_size=40))
    _assert_same(ftype, records)
    # strict mode: both paths reject exactly when some row holds an unconfirmed suspect value
    suspect = any(evaluate(ftype, r).unconfirmed for r in records)
    if suspect:
        with pytest.raises(InputError, match="plausible range"):
            evaluate_frame(ftype, _frame(ftype, records), strict=True)
    else:
        evaluate_frame(ftype, _frame(ftype, records), strict=True)


@pytest.mark.parametrize("ftype", FACILITY_TYPES)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_contradictions_are_rejected_by_both_paths(ftype: str, data: st.DataObject) -> None:
    from audit.model import IMPLICATIONS

    if not IMPLICATIONS[ftype]:
        return
    imp = data.draw(st.sampled_from(IMPLICATIONS[ftype]))
    spec = {f.name: f for f in SCHEMAS[ftype]}[imp.field]
    if imp.on == "positive":
        record = {imp.field: 0, imp.flag: True}
    else:
        value = True if spec.kind == "bool" else (
            data.draw(st.floats(*spec.plausible)) if spec.kind == "number" else 1)
        record = {imp.field: value, imp.flag: False}
    with pytest.raises(InputError) as info:
        evaluate(ftype, record)
    assert {info.value.problems[0].field, *info.value.problems[0].related} == set(record)
    with pytest.raises(InputError, match="contradicts"):
        evaluate_frame(ftype, _frame(ftype, [record]))


@pytest.mark.parametrize("ftype", FACILITY_TYPES)
def test_vectorised_equals_scalar_on_random_demo_data(ftype: str) -> None:
    rng = np.random.default_rng(2024)
    records = [random_measurements(ftype, rng, missing_rate=0.15) for _ in range(1500)]
    _assert_same(ftype, records)
    assert not any(evaluate(ftype, r).unconfirmed for r in records[:300]), "demo data is suspect"


def test_evaluate_many_keeps_order_across_types() -> None:
    rng = np.random.default_rng(5)
    records = [(t, random_measurements(t, rng)) for _ in range(60) for t in FACILITY_TYPES]
    rng.shuffle(records)
    out = evaluate_many(records)
    assert list(out.columns)[:3] == ["facility_type", "verdict", "score"]
    for i, (t, m) in enumerate(records):
        e = evaluate(t, m)
        assert out.at[i, "facility_type"] == t
        assert out.at[i, "verdict"] == e.verdict
        assert out.at[i, "n_fail"] == e.n_fail
        assert (math.isnan(out.at[i, "score"]) if e.score is None
                else out.at[i, "score"] == e.score)


def test_frame_errors_name_every_bad_field_and_rows() -> None:
    frame = pd.DataFrame({
        "running_slope_pct": [5.0, 300.0, -1.0],
        "handrails_both_sides": [True, "maybe", None],
        "colour": ["red", "red", "red"],
    }, index=["a", "b", "c"])
    with pytest.raises(InputError) as info:
        evaluate_frame("ramp", frame)
    fields = [p.field for p in info.value.problems]
    assert any(f.startswith("running_slope_pct (rows ['b', 'c'])") for f in fields), fields
    assert any(f.startswith("handrails_both_sides (rows ['b'])") for f in fields), fields
    assert "colour" in fields
    out = evaluate_frame("ramp", frame.drop(index=["b", "c"]), ignore_extra_columns=True)
    assert list(out.index) == ["a"]


def test_frame_contradictions_are_reported() -> None:
    with pytest.raises(InputError, match="at most `total_spaces`"):
        evaluate_frame("parking", pd.DataFrame({"total_spaces": [10, 5],
                                                "accessible_spaces": [1, 6]}))
    with pytest.raises(InputError) as info:
        evaluate_many([("parking", {"total_spaces": 3, "accessible_spaces": 4}),
                       ("boat", {})])
    assert len(info.value.problems) == 2


def test_typed_columns_take_the_fast_paths() -> None:
    frame = pd.DataFrame({
        "obstructed": pd.Series([False, True, False]),
        "continuous": pd.Series([True, True, None], dtype="boolean"),
        "width_mm": pd.Series([300, 200, None], dtype="Int64"),
    })
    out = evaluate_frame("tactile_paving", frame)
    assert list(out["status:tactile_paving.unobstructed"]) == ["pass", "fail", "pass"]
    assert list(out["status:tactile_paving.continuous"]) == ["pass", "pass", "not_measured"]
    # the guiding-strip width is a 宜 clause of GB 50763: advice, not a failure
    assert list(out["status:tactile_paving.width"]) == ["pass", "advice", "not_measured"]
