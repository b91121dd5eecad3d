"""Every threshold of the ruleset at the value itself and one resolution step either side.

Generated from the ruleset (a new rule is covered automatically): for each threshold of a
``max``/``min``/``range``/``exact`` check the measurement is set to the threshold (as an exact
``Fraction`` and as the nearest double) and one step of the field's input resolution above and
below, with the rule's conditions made to hold (and its exception's not); for each numeric
condition of ``applies_to`` the condition's field is set the same way and the rule must switch
between applying and not applying exactly there. Scalar and vectorised paths both.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pandas as pd
import pytest

from audit.checks import Condition, Quantity
from audit.model import CONFIRM_KEY, MeasurementField, is_plausible, schema
from audit.rules import default_ruleset
from audit.rules.loader import Rule
from audit.scoring import evaluate
from audit.vectorized import evaluate_frame, status_column

RULESET = default_ruleset()


def _res(q: Quantity) -> Fraction:
    return Fraction(q.div, q.mul)


def _holds(op: str, x: Fraction, r: Fraction) -> bool:
    return {"le": x <= r, "lt": x < r, "ge": x >= r, "gt": x > r, "eq": x == r,
            "ne": x != r}[op]


def _satisfy(c: Condition, fields: dict[str, MeasurementField], want: bool = True) -> Any:
    """A value of the condition's field that makes it ``want``."""
    spec = fields[c.field]
    if spec.kind == "bool":
        return c.value if (c.op == "eq") == want else not c.value
    if spec.kind == "choice":
        inside = c.value if isinstance(c.value, tuple) else (c.value,)
        pool = inside if (c.op in ("eq", "in")) == want else \
            tuple(x for x in spec.choices if x not in inside)
        return pool[0]
    q = c.value
    r, step = q.exact, _res(q)
    assert spec.plausible is not None
    lo, hi = (Fraction(v) for v in spec.plausible)
    candidates = (r, r + step, r - step, r + 10 * step, r - 10 * step, lo, hi)
    for x in candidates:  # a plausible value, so that the context itself is not suspect
        if _holds(c.op, x, r) == want and is_plausible(spec, float(x)):
            return float(x)
    raise AssertionError(c)


def _context(rule: Rule) -> dict[str, Any]:
    """Measurements under which the rule applies and its exception does not."""
    fields = schema(rule.facility_type)
    m: dict[str, Any] = {}
    for c in rule.when:
        m[c.field] = _satisfy(c, fields)
    if rule.unless:
        c = rule.unless[0]
        m[c.field] = _satisfy(c, fields, want=False)
    if rule.exception is not None:
        c = rule.exception.when[0]
        m[c.field] = _satisfy(c, fields, want=False)
    return m


def _with(m: dict[str, Any], name: str, value: Any, spec: MeasurementField) -> dict[str, Any]:
    out = {**m, name: value}
    if not is_plausible(spec, float(value)):
        out[CONFIRM_KEY] = [name]  # a threshold at the edge of the plausible range, confirmed
    return out


def _threshold_cases() -> list[Any]:
    cases = []
    for rule in RULESET.rules:
        p = rule.params
        if rule.check not in ("max", "min", "range", "exact"):
            continue
        fields = schema(rule.facility_type)
        spec = fields[p["field"]]
        ops = {"max": [("le", "max")], "min": [("ge", "min")], "exact": [("eq", "value")],
               "range": [("ge", "min"), ("le", "max")]}[rule.check]
        bounds: list[tuple[str, Quantity]] = [(op, p[key]) for op, key in ops]
        good = "advice" if rule.is_advice else "fail"
        for op, q in bounds:
            r, step = q.exact, _res(q)
            ctx = _context(rule)
            for label, x in (("at", r), ("above", r + step), ("below", r - step)):
                assert spec.minimum is not None and spec.maximum is not None
                if not spec.minimum <= x <= spec.maximum:
                    continue
                want = "pass" if _holds(op, x, r) or (label == "at") else good
                if rule.check == "range":  # the other bound must hold too
                    lo, hi = p["min"].exact, p["max"].exact
                    want = "pass" if lo <= (r if label == "at" else x) <= hi else good
                values = [float(x)] + ([x] if label == "at" else [])
                for v in values:
                    cases.append(pytest.param(
                        rule.rule_id, _with(ctx, spec.name, v, spec), want,
                        id=f"{rule.rule_id}-{op}-{label}-{type(v).__name__}"))
    return cases


def _condition_cases() -> list[Any]:
    cases = []
    for rule in RULESET.rules:
        fields = schema(rule.facility_type)
        conds = [(c, False) for c in rule.when] + [(c, True) for c in rule.unless]
        for c, is_unless in conds:
            if not isinstance(c.value, Quantity):
                continue
            spec = fields[c.field]
            assert spec.minimum is not None and spec.maximum is not None
            r, step = c.value.exact, _res(c.value)
            assert r * c.value.mul / c.value.div == int(r * c.value.mul / c.value.div), \
                f"{rule.rule_id}: condition threshold {c.text()} is not on the field's grid"
            base = _context(rule)
            base.update(_filler(rule))
            if is_unless:  # make the other unless-conditions hold, so this one decides
                for other in rule.unless:
                    if other is not c:
                        base[other.field] = _satisfy(other, fields)
            for label, x in (("at", r), ("above", r + step), ("below", r - step)):
                if not spec.minimum <= x <= spec.maximum or c.field in _filler(rule):
                    continue
                holds = _holds(c.op, x, r)
                applies = not holds if is_unless else holds
                m = _with(base, c.field, float(x), spec)
                cases.append(pytest.param(rule.rule_id, m, applies,
                                          id=f"{rule.rule_id}-{c.field}-{c.op}-{label}"))
    return cases


def _filler(rule: Rule) -> dict[str, Any]:
    """A valid reading for the fields the rule's check measures (to see applicability)."""
    p = rule.params
    fields = schema(rule.facility_type)
    if rule.check in ("max", "min", "exact"):
        q: Quantity = p.get("max") or p.get("min") or p["value"]
        return {p["field"]: float(q.exact)}
    if rule.check == "range":
        return {p["field"]: float(p["min"].exact)}
    if rule.check == "flag":
        return {p["field"]: p["expected"]}
    if rule.check == "one_of":
        return {p["field"]: p["allowed"][0]}
    if rule.check == "at_least_field":
        plausible = fields[p["field"]].plausible
        assert plausible is not None
        return {p["field"]: plausible[0], p["reference"]: plausible[0]}
    if rule.check == "min_dimensions":
        a, b = p["fields"]
        return {a: float(p["short_min"].exact), b: float(p["long_min"].exact)}
    if rule.check == "required_count":
        return {p["total"]: 50, p["field"]: 5}
    raise AssertionError(rule.check)


def _status(rule_id: str, m: dict[str, Any]) -> str:
    rule = RULESET.rule(rule_id)
    finding = next(f for f in evaluate(rule.facility_type, m).findings if f.rule_id == rule_id)
    frame = evaluate_frame(rule.facility_type, pd.DataFrame([m]))
    assert frame[status_column(rule_id)].iloc[0] == finding.status, (m, finding.status)
    return finding.status


THRESHOLD_CASES = _threshold_cases()
CONDITION_CASES = _condition_cases()


def test_the_generator_covers_every_threshold_rule() -> None:
    covered = {c.values[0] for c in THRESHOLD_CASES}
    expected = {r.rule_id for r in RULESET.rules if r.check in ("max", "min", "range", "exact")}
    assert covered == expected
    assert len(CONDITION_CASES) >= 10


@pytest.mark.parametrize(("rule_id", "measurements", "expected"), THRESHOLD_CASES)
def test_threshold_at_and_one_step_either_side(rule_id: str, measurements: dict,
                                               expected: str) -> None:
    assert _status(rule_id, measurements) == expected, measurements


@pytest.mark.parametrize(("rule_id", "measurements", "applies"), CONDITION_CASES)
def test_condition_at_and_one_step_either_side(rule_id: str, measurements: dict,
                                               applies: bool) -> None:
    status = _status(rule_id, measurements)
    assert (status != "not_applicable") == applies, (measurements, status)


def test_thresholds_lie_in_the_plausible_range_of_their_field() -> None:
    """A threshold outside the plausible range would make every reading near it suspect."""
    for rule in RULESET.rules:
        fields = schema(rule.facility_type)
        params = [rule.params] + ([rule.exception.params] if rule.exception else [])
        for p in params:
            for value in p.values():
                if isinstance(value, Quantity) and "field" in p:
                    spec = fields[p["field"]]
                    assert is_plausible(spec, value.value), (rule.rule_id, value.text())
        for c in rule.when + rule.unless:
            if isinstance(c.value, Quantity):
                assert is_plausible(fields[c.field], c.value.value), (rule.rule_id, c.text())
