"""Findings, verdicts, the 0–100 score and the JSON form of an evaluation."""

from __future__ import annotations

import json

import pytest

from audit import FACILITY_TYPES, Evaluation, Finding, default_ruleset, evaluate, load_ruleset
from audit.errors import InputError


def _finding(result: Evaluation, rule_id: str) -> Finding:
    return next(f for f in result.findings if f.rule_id == rule_id)


def test_public_api_is_exported() -> None:
    import audit

    for name in audit.__all__:
        assert getattr(audit, name) is not None
    assert load_ruleset is not None and FACILITY_TYPES[0] == "ramp"


def test_short_steep_ramp_passes_only_through_the_provisional_exception() -> None:
    result = evaluate("ramp", {"running_slope_pct": 9.1, "rise_mm": 140,
                               "site_constrained": True})
    f = _finding(result, "ramp.running_slope")
    assert f.status == "pass" and f.via_exception
    assert f.provisional and f.verification == "unverified"
    assert f.measured["value"] == 9.1 and f.measured["unit"] == "%"
    assert f.threshold["op"] == "le" and f.threshold["given"] == "1:12"
    assert f.threshold["text"].startswith("≤ 8.33 % (1:12)")
    assert f.threshold["exception"]["given"] == "1:10"
    assert f.clause == "2.3.1" and f.item == 1 and f.standard == "GB 55019"
    assert result.has_provisional


def test_steep_ramp_with_a_big_rise_fails_on_the_commentary_level_rule() -> None:
    f = _finding(evaluate("ramp", {"running_slope_pct": 9.1, "rise_mm": 200}),
                 "ramp.running_slope")
    assert f.status == "fail" and not f.via_exception
    assert f.verification == "commentary" and not f.provisional


@pytest.mark.parametrize(("slope", "status"), [(8.33, "pass"), (8.3333, "pass"), (8.4, "fail")])
def test_one_in_twelve_is_compared_exactly(slope: float, status: str) -> None:
    f = _finding(evaluate("ramp", {"running_slope_pct": slope, "rise_mm": 600}),
                 "ramp.running_slope")
    assert f.status == status


def test_stall_of_2_00_by_1_35_fails() -> None:
    result = evaluate("toilet", {"toilet_kind": "accessible_stall", "internal_width_mm": 2000,
                                 "internal_depth_mm": 1350})
    f = _finding(result, "toilet.stall_size")
    assert f.status == "fail" and f.severity == "critical"
    assert result.verdict == "non_compliant"
    assert f.measured["value"] == [2000.0, 1350.0]
    assert "1800" in f.threshold["text"] and "1500" in f.threshold["text"]


def test_parking_count_threshold_depends_on_the_total() -> None:
    f = _finding(evaluate("parking", {"total_spaces": 250, "accessible_spaces": 2}),
                 "parking.count")
    assert f.status == "fail" and f.threshold["value"] == 3
    assert "250" in f.threshold["text_en"]
    f = _finding(evaluate("parking", {"total_spaces": 60, "accessible_spaces": 1}),
                 "parking.count")
    assert f.status == "pass" and f.threshold["value"] == 1


def _complete_tactile(**over: object) -> dict:
    base = {"obstructed": False, "continuous": True, "warning_at_start_end_turns": True,
            "contrasts_with_pavement": True, "width_mm": 300, "warning_strip_width_ok": True,
            "grate_present": False}
    return {**base, **over}


def test_verdicts() -> None:
    assert evaluate("tactile_paving", _complete_tactile()).verdict == "compliant"
    assert evaluate("tactile_paving", _complete_tactile(obstructed=True)).verdict == \
        "non_compliant"
    partial = _complete_tactile()
    del partial["warning_strip_width_ok"]
    assert evaluate("tactile_paving", partial).verdict == "incomplete"
    # a fail beats a gap
    partial["continuous"] = False
    assert evaluate("tactile_paving", partial).verdict == "non_compliant"


def test_score_is_the_severity_weighted_share_of_measured_applicable_rules() -> None:
    weights = default_ruleset().weights
    # obstructed (critical 3) fails; continuous (major 2), warnings (major 2), contrast (major 2)
    # and warning-strip width (minor 1) pass: 7 / 10 (the guiding-strip width is advice: not
    # counted)
    result = evaluate("tactile_paving", _complete_tactile(obstructed=True))
    assert (weights["critical"], weights["major"], weights["minor"]) == (3, 2, 1)
    assert result.score == pytest.approx(70.0)
    assert evaluate("tactile_paving", _complete_tactile()).score == 100.0
    # not measured and not applicable rules do not count
    only = evaluate("tactile_paving", {"contrasts_with_pavement": False})
    assert only.score == 0.0 and only.verdict == "non_compliant"


def test_score_is_none_when_nothing_applicable_was_measured() -> None:
    result = evaluate("tactile_paving", {})
    assert result.score is None and result.verdict == "incomplete"
    assert all(f.status == "not_measured" for f in result.findings)


def test_findings_are_sorted_failing_first_then_by_severity() -> None:
    result = evaluate("entrance", {"door_clear_width_mm": 700, "is_new_construction": True,
                                   "signage_present": False, "opening_force_n": 40,
                                   "revolving_door": False, "automatic_door": False})
    order = {"fail": 0, "not_measured": 1, "advice": 2, "pass": 3, "not_applicable": 4}
    sev = {"critical": 0, "major": 1, "minor": 2}
    keys = [(order[f.status], sev[f.severity]) for f in result.findings]
    assert keys == sorted(keys)
    assert [f.rule_id for f in result.findings[:3]] == [
        "entrance.door_width_new", "entrance.opening_force", "entrance.signage"]


def test_not_applicable_keeps_the_measured_value() -> None:
    f = _finding(evaluate("ramp", {"clear_width_mm": 900, "in_dwelling": True}),
                 "ramp.clear_width")
    assert f.status == "not_applicable" and f.measured["value"] == 900.0
    assert f.applies_when == "in_dwelling = false"


def test_json_round_trip() -> None:
    result = evaluate("toilet", {"toilet_kind": "accessible_toilet", "door_type": "inward_swing",
                                 "internal_width_mm": 2000, "internal_depth_mm": 1900})
    data = result.to_dict()
    text = json.dumps(data, ensure_ascii=False)
    assert "无障碍厕所" in text
    again = Evaluation.from_dict(json.loads(text))
    assert again == result
    assert again.findings[0].to_dict() == data["findings"][0]
    assert data["ruleset_id"] == "gb55019-2021" and data["ruleset_version"]
    assert data["counts"]["fail"] == result.n_fail >= 2


def test_bad_input_raises_input_error() -> None:
    with pytest.raises(InputError) as info:
        evaluate("ramp", {"running_slope_pct": -1, "width": 3})
    assert len(info.value.problems) == 2


def test_a_custom_ruleset_is_used(tmp_path) -> None:
    from test_rules_loader import GOOD_RULE, HEADER

    path = tmp_path / "custom.toml"
    path.write_text(HEADER + GOOD_RULE, encoding="utf-8")
    rs = load_ruleset(path)
    result = evaluate("ramp", {"running_slope_pct": 8}, ruleset=rs)
    assert [f.rule_id for f in result.findings] == ["ramp.ok"]
    assert result.verdict == "compliant" and result.ruleset_id == "broken"
    assert evaluate("toilet", {}, ruleset=rs).findings == []
