"""The batch scorer gives, row for row, exactly the evaluation dict the scalar engine gives.

``audit.bulk_scoring.evaluation_dicts`` stores what ``evaluate(...).to_dict()`` stores (issue 15
§3): every finding's status, measured value, threshold, exception, provisional flag, inferred
flags, suspect and confirmed fields, split note and question, in the same order, and the same
verdict, score, counts, measurements and suspects. Hypothesis batches reuse the strategy of
tests/test_rules_vectorized.py (values on every threshold, suspect and confirmed values, empty
split flags, text, fractions); demo batches leave half the fields empty so that split groups
are judged on every branch.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_rules_vectorized import _measurements

from audit.bulk_scoring import evaluation_dicts, score_batch
from audit.demo.measurements import random_measurements
from audit.errors import InputError
from audit.model import CONFIRM_KEY, FACILITY_TYPES, check_measurements, schema
from audit.scoring import evaluate


def _assert_same(ftype: str, records: list[dict], *, strict: bool = False) -> None:
    got = evaluation_dicts(ftype, records, strict=strict)
    scored = score_batch(ftype, records, strict=strict)
    assert len(got) == len(scored) == len(records)
    for raw, data, stored in zip(records, got, scored, strict=True):
        want = evaluate(ftype, raw, strict=strict).to_dict()
        assert data == want, raw
        assert stored.to_dict() == want
        assert stored.to_json() == json.dumps(want)  # the very text the JSON column stores
        assert list(data) == list(want)  # the same keys in the same order: the same JSON text
        for mine, theirs in zip(data["findings"], want["findings"], strict=True):
            assert list(mine) == list(theirs)


@pytest.mark.parametrize("ftype", FACILITY_TYPES)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_batch_equals_scalar_on_hypothesis_batches(ftype: str, data: st.DataObject) -> None:
    records = data.draw(st.lists(_measurements(ftype), min_size=1, max_size=25))
    _assert_same(ftype, records)


@pytest.mark.parametrize("ftype", FACILITY_TYPES)
def test_batch_equals_scalar_with_gaps_suspects_and_confirmations(ftype: str) -> None:
    rng = np.random.default_rng(15)
    records = [random_measurements(ftype, rng, missing_rate=rate)
               for rate in (0.0, 0.5, 0.9) for _ in range(60)]
    numeric = [s for s in schema(ftype).values() if s.is_numeric and s.plausible]
    k = 0
    for raw in records:  # unit slips in every third record measured, some confirmed
        present = [s for s in numeric if s.name in raw]
        if not present:
            continue
        spec = present[k % len(present)]
        k += 1
        if k % 3:
            continue
        before = dict(raw)
        raw[spec.name] = spec.plausible[1] * 3 if spec.plausible[1] * 3 <= spec.maximum \
            else spec.plausible[0] / 10
        if k % 2:
            raw[CONFIRM_KEY] = [spec.name]
        try:
            check_measurements(ftype, raw)
        except InputError:  # a contradiction (more accessible spaces than spaces)
            raw.clear()
            raw.update(before)
    assert any(evaluate(ftype, r).unconfirmed for r in records)
    assert any(evaluate(ftype, r).to_dict()["measurements"].get(CONFIRM_KEY) for r in records)
    _assert_same(ftype, records)


def test_a_bad_record_raises_what_evaluate_raises() -> None:
    records = [{"running_slope_pct": 5.0}, {"running_slope_pct": "steep"}]
    with pytest.raises(InputError) as mine:
        evaluation_dicts("ramp", records)
    with pytest.raises(InputError) as theirs:
        evaluate("ramp", records[1])
    assert mine.value.problems == theirs.value.problems


def test_strict_rejects_an_unconfirmed_suspect_value_and_accepts_a_confirmed_one() -> None:
    spec = schema("ramp")["running_slope_pct"]
    slip = spec.plausible[1] * 3 if spec.plausible[1] * 3 <= spec.maximum else spec.maximum
    with pytest.raises(InputError, match="plausible range"):
        evaluation_dicts("ramp", [{"running_slope_pct": slip}], strict=True)
    _assert_same("ramp", [{"running_slope_pct": slip, CONFIRM_KEY: "running_slope_pct"}],
                 strict=True)
    assert evaluation_dicts("ramp", []) == []
