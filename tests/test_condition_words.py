"""A rule's exception is written for a person in words: field labels, yes/no and choice labels,
never the machine field names (issue 17 item 7); the machine form stays for exports."""

from __future__ import annotations

import re

import pytest

from audit.model import schema
from audit.rules.loader import default_ruleset
from audit.scoring import evaluate

MACHINE_NAME = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")  # snake_case field names


def test_the_ramp_exception_reads_in_words() -> None:
    found = evaluate("ramp", {"running_slope_pct": 10.0, "rise_mm": 120,
                              "site_constrained": True}).to_dict()["findings"]
    (threshold,) = [f["threshold"] for f in found if "exception" in (f["threshold"] or {})]
    assert "当 坡段提升高度 ≤ 150 mm，且条件受限" in threshold["text_zh"]
    assert threshold["text_zh"].endswith("为是")
    assert "when Rise of one run ≤ 150 mm and Site constrained" in threshold["text_en"]
    assert "rise_mm ≤ 150 mm and site_constrained = true" in threshold["text"]  # machine form
    assert threshold["exception"]["when"] == "rise_mm ≤ 150 mm and site_constrained = true"


@pytest.mark.parametrize("language", ["zh", "en"])
def test_no_exception_condition_names_a_machine_field(language: str) -> None:
    conditions = [(r.facility_type, c) for r in default_ruleset().rules if r.exception
                  for c in r.exception.when]
    assert conditions, "the ruleset has exceptions to check"
    for ftype, condition in conditions:
        said = condition.words(language, schema(ftype))
        assert not MACHINE_NAME.search(said), (ftype, said)
        assert condition.field not in said
