"""Small statistics used by the bureau's figures.

:func:`wilson_score_interval` is the Wilson (1927) score interval for a binomial proportion in
closed form, over numpy arrays (:func:`wilson_bounds`: one pair of counts, without numpy).
It replaces ``statsmodels``'
``proportion_confint(method="wilson")``, which pulled in a 65 MB package (about 1 s to import)
for these few lines:

    centre    = (p + z²/2n) / (1 + z²/n)
    halfwidth = z · √(p(1−p)/n + z²/4n²) / (1 + z²/n)

with ``p = k/n`` and ``z`` the standard normal quantile ``1 − α/2``, from the standard library's
:class:`statistics.NormalDist` (Wichura's AS 241, accurate to about 1e-16; scipy's ``norm.ppf``
gives the same digits but importing ``scipy.stats`` cost about 40 % of a cold rankings process).
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

from audit.errors import InputError, Problem

if TYPE_CHECKING:
    import numpy as np


def _z(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise InputError(Problem("confidence", confidence, "a number between 0 and 1, e.g. 0.95"))
    return NormalDist().inv_cdf(0.5 + confidence / 2.0)


def wilson_bounds(successes: int, trials: int, *, confidence: float = 0.95
                  ) -> tuple[float, float]:
    """:func:`wilson_score_interval` of one pair of counts, in plain Python floats (the same
    arithmetic, operation for operation, so both give the same digits); ``(nan, nan)`` where
    ``trials`` is 0. For the few cells of a ranking, without importing numpy."""
    z = _z(confidence)
    k, n = float(successes), float(trials)
    if not (math.isfinite(k) and math.isfinite(n) and 0 <= k <= n and k.is_integer()
            and n.is_integer()):
        raise InputError(Problem("successes/trials", f"{successes}/{trials}",
                                 "whole numbers ≥ 0, successes at most the trials"))
    if n == 0:
        return math.nan, math.nan
    p = k / n
    z2n = z * z / n
    denom = 1.0 + z2n
    centre = (p + z2n / 2.0) / denom
    half = z * math.sqrt(p * (1.0 - p) / n + z2n / (4.0 * n)) / denom
    low = 0.0 if k == 0 else min(max(centre - half, 0.0), 1.0)
    high = 1.0 if k == n else min(max(centre + half, 0.0), 1.0)
    return low, high


def _counts(name: str, values: Any) -> np.ndarray:
    import numpy as np

    arr = np.asarray(values, dtype=float)
    bad = arr[~np.isfinite(arr) | (arr < 0) | (arr != np.floor(arr))]
    if bad.size:
        raise InputError(Problem(name, bad.tolist()[:5], "whole numbers ≥ 0"))
    return arr


def wilson_score_interval(
    successes: Any, trials: Any, *, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of ``successes / trials`` (arrays or scalars, broadcast together).

    Returns ``(low, high)`` as float arrays. Where ``trials`` is 0 there is no estimate and both
    bounds are NaN. With no successes the lower bound is exactly 0, with all successes the upper
    bound is exactly 1. Raises :class:`~audit.errors.InputError` for counts that are negative,
    fractional or not finite, for ``successes > trials`` and for a confidence outside (0, 1).
    """
    import numpy as np

    _z(confidence)
    k = _counts("successes", successes)
    n = _counts("trials", trials)
    k, n = np.broadcast_arrays(k, n)
    over = k > n
    if over.any():
        pairs = [f"{int(a)}/{int(b)}" for a, b in zip(k[over][:5], n[over][:5], strict=True)]
        raise InputError(Problem("successes", pairs, "at most the number of trials"))
    bounds: list[tuple[float, float]] = [
        wilson_bounds(int(a), int(b), confidence=confidence)
        for a, b in zip(k.ravel().tolist(), n.ravel().tolist(), strict=True)]
    low = np.asarray([lo for lo, _hi in bounds], dtype=np.float64).reshape(k.shape)
    high = np.asarray([hi for _lo, hi in bounds], dtype=np.float64).reshape(k.shape)
    return low, high


__all__ = ["wilson_bounds", "wilson_score_interval"]
