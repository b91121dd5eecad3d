"""The closed-form Wilson score interval against published values, scipy, and its edge cases."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import binomtest

from audit.errors import InputError
from audit.rankings import wilson_interval
from audit.stats import wilson_score_interval

# Newcombe RG (1998), "Two-sided confidence intervals for the single proportion: comparison of
# seven methods", Statistics in Medicine 17:857-872, Table II, method 3 (Wilson score interval
# without continuity correction), 95 % limits for the paper's four illustrative examples.
NEWCOMBE_1998_TABLE_II = [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
]


@pytest.mark.parametrize(("k", "n", "low", "high"), NEWCOMBE_1998_TABLE_II)
def test_matches_newcombe_1998_table_ii(k: int, n: int, low: float, high: float) -> None:
    lo, hi = wilson_score_interval(k, n)
    # the paper prints four decimals
    assert float(lo) == pytest.approx(low, abs=5e-5)
    assert float(hi) == pytest.approx(high, abs=5e-5)


def test_vectorised_input_gives_the_same_limits_as_one_at_a_time() -> None:
    k = np.array([row[0] for row in NEWCOMBE_1998_TABLE_II])
    n = np.array([row[1] for row in NEWCOMBE_1998_TABLE_II])
    lo, hi = wilson_score_interval(k, n)
    assert lo == pytest.approx([row[2] for row in NEWCOMBE_1998_TABLE_II], abs=5e-5)
    assert hi == pytest.approx([row[3] for row in NEWCOMBE_1998_TABLE_II], abs=5e-5)


@given(n=st.integers(min_value=1, max_value=5000), frac=st.floats(0, 1),
       confidence=st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_agrees_with_scipy_binomtest_wilson(n: int, frac: float, confidence: float) -> None:
    k = round(frac * n)
    lo, hi = wilson_score_interval(k, n, confidence=confidence)
    ref = binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    assert float(lo) == pytest.approx(ref.low, abs=1e-12)
    assert float(hi) == pytest.approx(ref.high, abs=1e-12)
    assert 0.0 <= lo <= k / n <= hi <= 1.0


def test_no_successes_and_all_successes_hit_the_bounds_exactly() -> None:
    lo, hi = wilson_score_interval([0, 20, 7], [20, 20, 7])
    assert lo[0] == 0.0 and hi[1] == 1.0 and hi[2] == 1.0
    assert hi[0] == pytest.approx(0.1611, abs=5e-5)  # Newcombe 1998, 0/20
    assert lo[1] == pytest.approx(1 - 0.1611, abs=5e-5)  # symmetric: 20/20


def test_zero_trials_give_nan_not_an_error() -> None:
    lo, hi = wilson_score_interval([0, 5], [0, 10])
    assert np.isnan(lo[0]) and np.isnan(hi[0])
    assert lo[1] < 0.5 < hi[1]


def test_higher_confidence_gives_a_wider_interval() -> None:
    lo90, hi90 = wilson_score_interval(30, 100, confidence=0.90)
    lo99, hi99 = wilson_score_interval(30, 100, confidence=0.99)
    assert lo99 < lo90 < 0.3 < hi90 < hi99


def test_rankings_keep_their_95_percent_interval() -> None:
    lo, hi = wilson_interval(np.array([3]), np.array([4]))
    assert (lo[0], hi[0]) == pytest.approx((0.30064, 0.95441), abs=1e-4)


@pytest.mark.parametrize(
    ("k", "n", "field"),
    [(5, 4, "successes"), (-1, 4, "successes"), (1, -4, "trials"), (1.5, 4, "successes"),
     (float("nan"), 4, "successes"), (1, float("inf"), "trials")],
)
def test_bad_counts_are_refused_naming_the_field(k: float, n: float, field: str) -> None:
    with pytest.raises(InputError) as err:
        wilson_score_interval(k, n)
    assert err.value.problems[0].field == field


@pytest.mark.parametrize("confidence", [0.0, 1.0, 95, -0.5])
def test_confidence_outside_zero_one_is_refused(confidence: float) -> None:
    with pytest.raises(InputError, match="confidence"):
        wilson_score_interval(1, 2, confidence=confidence)
