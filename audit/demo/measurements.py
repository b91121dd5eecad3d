"""Synthetic measurements for demo data, fuzzing and benchmarks.

Moved out of :mod:`audit.model` so that the measurement schema does not reach back into the
ruleset: this module reads the schema (:mod:`audit.model`) and the default ruleset
(:mod:`audit.rules`, :mod:`audit.checks`) to draw realistic values, and no domain module imports it.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

import numpy as np

from audit.checks import required_count
from audit.errors import InputError, Problem
from audit.model import IMPLICATIONS, schema
from audit.rules import default_ruleset

#: Share of demo facilities drawn "well built": their values come from the compliant side of
#: every threshold in the default ruleset (most then pass; a few flags still fail).
DEMO_WELL_BUILT_SHARE = 0.4


def random_measurements(
    facility_type: str, rng: np.random.Generator, *, missing_rate: float = 0.1
) -> dict[str, object]:
    """Plausible synthetic measurements for demo data, fuzzing and benchmarks.

    Values are drawn from each field's ``typical`` range, which straddles the compliance
    thresholds; a share (:data:`DEMO_WELL_BUILT_SHARE`) of facilities is drawn from the compliant
    side of the default ruleset's thresholds instead, so the result is a realistic mix of
    compliant and non-compliant facilities. Each field is left out (not measured) with
    probability ``missing_rate``. The result always passes
    :func:`audit.model.check_measurements`. This is **synthetic data**: label it as such
    wherever it is shown.
    """
    fields = schema(facility_type)
    if not 0.0 <= missing_rate <= 1.0:
        raise InputError(Problem("missing_rate", missing_rate, "a number from 0 to 1"))
    good = _demo_targets(facility_type) if rng.random() < DEMO_WELL_BUILT_SHARE else None
    out: dict[str, object] = {}
    for name, spec in fields.items():
        if facility_type == "toilet" and name == "area_m2":
            continue  # derived from width × depth
        target = good.get(name) if good is not None else None
        if spec.kind == "bool":
            p_true = spec.demo_p_true
            if target is not None:
                p_true = 0.97 if target else 0.03
            value: object = bool(rng.random() < p_true)
        elif spec.kind == "choice":
            choices = target if target is not None else spec.choices
            value = choices[int(rng.integers(len(choices)))]
        else:
            lo, hi = spec.typical  # type: ignore[misc]
            if target is not None:
                lo, hi = max(lo, target[0]), min(hi, target[1])
                if lo > hi:
                    lo, hi = spec.typical  # type: ignore[misc]
            if spec.kind == "integer":
                value = int(rng.integers(int(lo), int(hi) + 1))
            else:
                step = spec.step or 1.0
                raw = lo + (hi - lo) * float(rng.random())
                # whole steps, as inspectors record them, kept inside [lo, hi]
                value = round(min(max(round(raw / step) * step, math.ceil(lo / step) * step),
                                  math.floor(hi / step) * step), 6)
                if value < lo or value > hi:
                    value = raw
        out[name] = value
    if facility_type == "curb_ramp" and rng.random() < (0.9 if good is not None else 0.5):
        out["lip_height_mm"] = 0.0
    if facility_type == "entrance" and rng.random() < 0.4:
        out["threshold_height_mm"] = 0.0
    if good is not None:
        _demo_repair(facility_type, out)
    if facility_type == "parking":
        out["accessible_spaces"] = min(int(out["accessible_spaces"]),  # type: ignore[call-overload]
                                       int(out["total_spaces"]))  # type: ignore[call-overload]
    _demo_consistent(facility_type, out)
    return {k: v for k, v in out.items() if rng.random() >= missing_rate}


def _demo_consistent(facility_type: str, m: dict[str, Any]) -> None:
    """No contradictions in demo data: a count sets its flag, a "yes" detail turns its flag on,
    and a measurement of an absent feature is left out."""
    counted = {i.flag for i in IMPLICATIONS[facility_type] if i.on == "positive"}
    changed = True
    while changed:
        changed = False
        for imp in IMPLICATIONS[facility_type]:
            value, flag = m.get(imp.field), m.get(imp.flag)
            if value is None:
                continue
            if imp.on == "positive":
                if flag != (value > 0):
                    m[imp.flag], changed = value > 0, True
            elif imp.on == "true":
                if value is True and flag is False:
                    if imp.flag in counted:
                        m[imp.field] = False
                    else:
                        m[imp.flag] = True
                    changed = True
            elif flag is False:
                del m[imp.field]
                changed = True


@cache
def _demo_targets(facility_type: str) -> dict[str, Any]:
    """Compliant targets per field from the default ruleset: (lo, hi) intervals for numbers,
    the expected value for flags, the allowed choices for choices."""
    targets: dict[str, Any] = {}

    def narrow(name: str, lo: float = -math.inf, hi: float = math.inf) -> None:
        old_lo, old_hi = targets.get(name, (-math.inf, math.inf))
        targets[name] = (max(old_lo, lo), min(old_hi, hi))

    for rule in default_ruleset().for_facility(facility_type):
        p = rule.params
        if rule.check in ("max", "min", "range", "exact"):
            lo = p.get("min", p.get("value"))
            hi = p.get("max", p.get("value"))
            narrow(p["field"], lo.hi if lo is not None else -math.inf,
                   hi.lo if hi is not None else math.inf)
        elif rule.check == "min_dimensions":
            narrow(p["fields"][0], p["short_min"].hi)
            narrow(p["fields"][1], p["long_min"].hi)
        elif rule.check == "flag":
            targets[p["field"]] = p["expected"]
        elif rule.check == "one_of":
            targets[p["field"]] = p["allowed"]
    return targets


def _demo_repair(facility_type: str, m: dict[str, Any]) -> None:
    """Make a well-built demo facility meet the cross-field rules too."""
    for rule in default_ruleset().for_facility(facility_type):
        p = rule.params
        if rule.check == "at_least_field":
            m[p["field"]] = max(m[p["field"]], m[p["reference"]])
        elif rule.check == "required_count":
            need = required_count(m[p["total"]], p["small_below"], p["small_minimum"],
                                  p["share"].exact)
            m[p["field"]] = max(m[p["field"]], need)
