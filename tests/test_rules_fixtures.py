"""Every rule of the default ruleset has a passing and a failing fixture, and they hold.

Fixtures: tests/fixtures/rules/gb55019-2021-cases.toml. The same cases run through the scalar
``evaluate`` and the vectorised ``evaluate_frame``.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pandas as pd
import pytest

from audit.rules import default_ruleset
from audit.scoring import evaluate
from audit.vectorized import evaluate_frame, status_column

CASES_FILE = Path(__file__).parent / "fixtures" / "rules" / "gb55019-2021-cases.toml"
STATUSES = ("pass", "fail", "not_applicable", "not_measured", "advice")
KINDS = (*STATUSES, "rejected")


def _cases() -> dict[str, dict[str, list[dict]]]:
    with CASES_FILE.open("rb") as fh:
        return tomllib.load(fh)["rules"]


CASES = _cases()
RULESET = default_ruleset()


def _params() -> list:
    out = []
    for rule_id, kinds in CASES.items():
        for status, cases in kinds.items():
            if status == "rejected":
                continue
            for i, m in enumerate(cases):
                out.append(pytest.param(rule_id, status, m, id=f"{rule_id}-{status}-{i}"))
    return out


def test_every_rule_has_a_passing_and_a_failing_fixture() -> None:
    missing = [
        f"{r.rule_id}: no {kind} fixture"
        for r in RULESET.rules
        for kind in ("pass", "advice" if r.is_advice else "fail")
        if not CASES.get(r.rule_id, {}).get(kind)
    ]
    assert not missing, "\n".join(missing)
    # an advice rule never fails; a requirement never gives advice
    for r in RULESET.rules:
        assert ("fail" if r.is_advice else "advice") not in CASES.get(r.rule_id, {}), r.rule_id


def test_fixtures_name_existing_rules_and_statuses() -> None:
    ids = {r.rule_id for r in RULESET.rules}
    assert set(CASES) <= ids, f"fixtures for unknown rules: {sorted(set(CASES) - ids)}"
    for rule_id, kinds in CASES.items():
        assert set(kinds) <= set(KINDS), (rule_id, set(kinds) - set(KINDS))


@pytest.mark.parametrize(("rule_id", "status", "measurements"), _params())
def test_fixture_status(rule_id: str, status: str, measurements: dict) -> None:
    rule = RULESET.rule(rule_id)
    result = evaluate(rule.facility_type, measurements)
    finding = next(f for f in result.findings if f.rule_id == rule_id)
    assert finding.status == status, (measurements, finding.measured, finding.threshold)
    frame = evaluate_frame(rule.facility_type, pd.DataFrame([measurements]))
    assert frame[status_column(rule_id)].iloc[0] == status


def _rejected() -> list:
    return [pytest.param(rule_id, m, id=f"{rule_id}-rejected-{i}")
            for rule_id, kinds in CASES.items() for i, m in enumerate(kinds.get("rejected", []))]


@pytest.mark.parametrize(("rule_id", "measurements"), _rejected())
def test_rejected_fixture(rule_id: str, measurements: dict) -> None:
    """Contradictory input is an input error on both paths, naming both fields, never a pass."""
    from audit.errors import InputError

    rule = RULESET.rule(rule_id)
    with pytest.raises(InputError) as info:
        evaluate(rule.facility_type, measurements)
    problem = info.value.problems[0]
    assert problem.code == "contradiction"
    named = {problem.field, *problem.related}
    assert named <= set(measurements), (named, measurements)
    assert len(named) == 2
    with pytest.raises(InputError, match="contradicts"):
        evaluate_frame(rule.facility_type, pd.DataFrame([measurements]))
