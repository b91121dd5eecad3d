"""The vectorised path gives exactly the findings of ``evaluate``, on thousands of inputs.

Hypothesis draws batches of measurements per facility type, with values on and next to every
threshold in the ruleset (where exactness matters), anywhere in the plausible range, as strings,
and missing. Each batch is scored by ``evaluate_frame`` once and row by row by ``evaluate``.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.checks import Quantity
from audit.demo.measurements import random_measurements
from audit.errors import InputError
from audit.model import FACILITY_TYPES, SCHEMAS, validate_measurements
from audit.rules import default_ruleset
from audit.scoring import evaluate
from audit.vectorized import evaluate_frame, evaluate_many, status_column


@cache
def _boundaries(ftype: str) -> dict[str, list[float]]:
    """Every threshold of the ruleset on each field, with its neighbouring doubles."""
    out: dict[str, set[float]] = {}

    def add(field: str, q: Quantity) -> None:
        for v in (q.lo, q.hi):
            for x in (v, math.nextafter(v, -math.inf), math.nextafter(v, math.inf),
                      round(v, 2), round(v, 1)):
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
        return st.one_of(ints, missing)
    typical = st.floats(*spec.typical, allow_nan=False)
    anywhere = st.floats(lo, hi, allow_nan=False)
    as_text = typical.map(lambda x: f"{x:.2f}")
    parts = [typical, anywhere, as_text, missing]
    if edges:
        parts.insert(0, st.sampled_from(edges))
    return st.one_of(*parts)


@st.composite
def _measurements(draw, ftype: str) -> dict:
    out = {}
    for spec in SCHEMAS[ftype]:
        if draw(st.booleans()) or draw(st.booleans()):
            out[spec.name] = draw(_value(ftype, spec))
    try:
        validate_measurements(ftype, out)
    except InputError:
        # contradictions (e.g. more accessible spaces than spaces): drop the offending fields
        for key in ("accessible_spaces", "handrail_present"):
            out.pop(key, None)
    return out


def _assert_same(ftype: str, records: list[dict]) -> None:
    frame = pd.DataFrame.from_records(records, columns=[f.name for f in SCHEMAS[ftype]])
    out = evaluate_frame(ftype, frame)
    assert len(out) == len(records)
    for i, raw in enumerate(records):
        e = evaluate(ftype, raw)
        row = out.iloc[i]
        for f in e.findings:
            assert row[status_column(f.rule_id)] == f.status, (raw, f.rule_id)
        assert row["verdict"] == e.verdict, raw
        assert row["n_fail"] == e.n_fail
        assert row["n_not_measured"] == e.counts["not_measured"]
        assert bool(row["has_provisional"]) == e.has_provisional, raw
        if e.score is None:
            assert math.isnan(row["score"]), raw
        else:
            assert row["score"] == e.score, raw  # bit-identical, not approximately


@pytest.mark.parametrize("ftype", FACILITY_TYPES)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_vectorised_equals_scalar_on_hypothesis_batches(ftype: str, data: st.DataObject) -> None:
    records = data.draw(st.lists(_measurements(ftype), min_size=1, max_size=40))
    _assert_same(ftype, records)


@pytest.mark.parametrize("ftype", FACILITY_TYPES)
def test_vectorised_equals_scalar_on_random_demo_data(ftype: str) -> None:
    rng = np.random.default_rng(2024)
    records = [random_measurements(ftype, rng, missing_rate=0.15) for _ in range(1500)]
    _assert_same(ftype, records)


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
        "width_mm": pd.Series([300, 100, None], dtype="Int64"),
    })
    out = evaluate_frame("tactile_paving", frame)
    assert list(out["status:tactile_paving.unobstructed"]) == ["pass", "fail", "pass"]
    assert list(out["status:tactile_paving.continuous"]) == ["pass", "pass", "not_measured"]
    assert list(out["status:tactile_paving.width"]) == ["pass", "fail", "not_measured"]
