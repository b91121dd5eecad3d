"""The ruleset loader: the bundled files are valid, and a bad file reports every problem at once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import data_path

from audit.checks import CHECKS, Quantity
from audit.rules import (
    PROVISIONAL_LEVELS,
    RULES_DIR,
    VERIFICATION_LEVELS,
    RulesetError,
    default_ruleset,
    load_ruleset,
)
from audit.rules.loader import CHECKLIST_TAGS


def test_default_ruleset_loads_with_versions_and_hashes() -> None:
    rs = default_ruleset()
    assert rs is default_ruleset()  # cached
    assert (rs.id, rs.standard, rs.edition) == ("gb55019-2021", "GB 55019", "2021")
    assert re.fullmatch(r"\d+\.\d+\.\d+", rs.version)
    assert re.fullmatch(r"[0-9a-f]{64}", rs.sha256)
    assert [f.name for f in rs.files] == ["gb55019-2021.toml", "gb50763-2012.toml"]
    assert dict(rs.weights) == {"critical": 3, "major": 2, "minor": 1}
    assert len({r.rule_id for r in rs.rules}) == len(rs.rules)
    # editions live in separate files: each file holds one standard and edition
    for rule in rs.rules:
        expected = "gb55019-2021.toml" if rule.standard == "GB 55019" else "gb50763-2012.toml"
        assert rule.file == expected
        assert rule.edition == ("2021" if rule.standard == "GB 55019" else "2012")
    assert load_ruleset("gb55019-2021").sha256 == rs.sha256
    assert load_ruleset(RULES_DIR / "gb55019-2021.toml").sha256 == rs.sha256


def test_every_facility_type_has_rules() -> None:
    from audit.model import FACILITY_TYPES

    rs = default_ruleset()
    for t in FACILITY_TYPES:
        assert rs.for_facility(t), t


def test_verification_levels_and_provisional_flag() -> None:
    rs = default_ruleset()
    assert set(CHECKLIST_TAGS.values()) == set(VERIFICATION_LEVELS)
    for rule in rs.rules:
        assert rule.verification in VERIFICATION_LEVELS
        # a first-line rule whose threshold lies outside the text read is provisional too
        assert rule.provisional == (rule.verification in PROVISIONAL_LEVELS
                                    or not rule.threshold_in_text)
    # the checklist's weak rows stay flagged
    assert rs.rule("ramp.handrail_extension").verification == "unverified"
    assert rs.rule("ramp.running_slope").exception.verification == "unverified"
    assert rs.rule("ramp.cross_slope").provisional
    assert rs.rule("crossing_signal.audible_signal").provisional
    assert not rs.rule("curb_ramp.lip").provisional


def test_slope_thresholds_are_exact_ratios() -> None:
    from fractions import Fraction

    q: Quantity = default_ruleset().rule("ramp.running_slope").params["max"]
    assert q.exact == Fraction(25, 3) and q.unit == "%" and q.given == "1:12"
    assert 8.33 <= q.lo < 8.34
    assert Fraction(q.lo) <= q.exact < Fraction(q.hi)
    width = default_ruleset().rule("ramp.clear_width").params["min"]
    assert width.exact == 1200 and width.unit == "mm" and width.given == "1.20 m"


def test_every_clause_appears_in_the_checklist() -> None:
    """Never invent a clause number: each (standard, clause) is one the checklist names."""
    text = data_path("standards", "gb55019-checklist.md").read_text(encoding="utf-8")
    named: set[tuple[str, str]] = set()
    for std, bold in re.findall(r"(GB \d{5}) \*\*([0-9./ –-]+)\*\*", text):
        for part in re.split(r"[/–]", bold):
            named.add((std, part.strip().split("-")[0]))
    missing = [
        f"{r.rule_id}: {r.standard} {r.clause}"
        for r in default_ruleset().rules
        if (r.standard, r.clause) not in named
    ]
    assert not missing, missing


def test_checks_used_are_registered() -> None:
    for rule in default_ruleset().rules:
        assert rule.check in CHECKS


HEADER = """
[ruleset]
id = "broken"
standard = "GB 55019"
edition = "2021"
version = "0.0.1"
title_zh = "坏的"
title_en = "Broken"

[scoring.weights]
critical = 3
major = 2
minor = 1
"""

GOOD_RULE = """
[[rules]]
rule_id = "ramp.ok"
standard = "GB 55019"
edition = "2021"
clause = "2.3.1"
title_zh = "好"
title_en = "Good"
applies_to = { facility = "ramp" }
check = "max"
params = { field = "running_slope_pct", max = { value = "1:12", unit = "ratio" } }
severity = "major"
verification = "verified"
source = "test"
"""


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "broken.toml"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_a_good_custom_file_loads(tmp_path: Path) -> None:
    rs = load_ruleset(_write(tmp_path, GOOD_RULE))
    assert [r.rule_id for r in rs.rules] == ["ramp.ok"]


def test_loader_reports_every_problem_at_once(tmp_path: Path) -> None:
    body = GOOD_RULE + GOOD_RULE + """
[[rules]]
rule_id = "ramp.bad_check"
standard = "GB 55019"
edition = "2021"
clause = "2.3.1"
title_zh = "x"
title_en = "x"
applies_to = { facility = "ramp" }
check = "no_such_check"
params = {}
severity = "major"
verification = "verified"
source = "test"

[[rules]]
rule_id = "ramp.no_clause"
standard = "GB 55019"
edition = "2021"
title_zh = "x"
title_en = "x"
applies_to = { facility = "ramp" }
check = "min"
params = { field = "clear_width_mm", min = { value = 1.2, unit = "furlong" } }
severity = "major"
verification = "verified"
source = "test"

[[rules]]
rule_id = "ramp.wrong_dimension"
standard = "GB 55019"
edition = "2021"
clause = "2.3.2"
title_zh = "x"
title_en = "x"
applies_to = { facility = "ramp", when = [{ field = "no_such_field", op = "eq", value = true }] }
check = "min"
params = { field = "clear_width_mm", min = { value = 2, unit = "%" } }
severity = "huge"
verification = "rumour"
source = "test"

[[rules]]
rule_id = "ramp.unknown_field"
standard = "GB 55019"
edition = "2021"
clause = "2.3.x"
title_zh = "x"
title_en = "x"
applies_to = { facility = "ramp" }
check = "max"
params = { field = "slope_percent", max = { value = "1:0", unit = "ratio" } }
severity = "major"
verification = "verified"
source = "test"
"""
    with pytest.raises(RulesetError) as info:
        load_ruleset(_write(tmp_path, body))
    message = str(info.value)
    problems = {p.field: p for p in info.value.problems}
    expected_fragments = [
        "ramp.ok).rule_id",  # duplicate id
        "(ramp.bad_check).check",  # unknown check
        "(ramp.no_clause).clause",  # missing clause
        "(ramp.no_clause).params.min.unit",  # bad unit
        "(ramp.wrong_dimension).params.min.unit",  # % for a length
        "(ramp.wrong_dimension).severity",
        "(ramp.wrong_dimension).verification",
        "(ramp.wrong_dimension).applies_to.when[0].field",  # condition on an unknown field
        "(ramp.unknown_field).clause",
        "(ramp.unknown_field).params.field",  # unknown measurement field
    ]
    for fragment in expected_fragments:
        assert any(fragment in key for key in problems), (fragment, message)
    assert "furlong" in message and "no_such_check" in message and "unique" in message


def test_bad_exception_and_conditions_are_reported(tmp_path: Path) -> None:
    body = GOOD_RULE.replace('rule_id = "ramp.ok"', 'rule_id = "ramp.exc"') + """
[rules.exception]
when = [{ field = "rise_mm", op = "between", value = 150, unit = "mm" },
        { field = "in_dwelling", op = "gt", value = true }]
params = { max = { value = "1:10", unit = "ratio" }, field = "rise_mm" }
verification = "hearsay"
"""
    with pytest.raises(RulesetError) as info:
        load_ruleset(_write(tmp_path, body))
    keys = [p.field for p in info.value.problems]
    assert any(k.endswith("exception.verification") for k in keys), keys
    assert any("exception.when[0].op" in k for k in keys), keys
    assert any(k.endswith("exception.when[1]") for k in keys), keys
    assert any(k.endswith("exception.params") for k in keys), keys


def test_missing_file_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(RulesetError, match="readable"):
        load_ruleset(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[ruleset\n", encoding="utf-8")
    with pytest.raises(RulesetError, match="TOML"):
        load_ruleset(bad)


def test_supplement_is_not_loaded_alone() -> None:
    with pytest.raises(RulesetError, match="supplement"):
        load_ruleset("gb50763-2012")


def test_hash_changes_with_content(tmp_path: Path) -> None:
    a = load_ruleset(_write(tmp_path, GOOD_RULE)).sha256
    b = load_ruleset(_write(tmp_path, GOOD_RULE.replace('"1:12"', '"1:14"'))).sha256
    assert a != b
