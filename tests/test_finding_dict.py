"""Finding.to_dict is the stored form of every finding: it must equal what dataclasses.asdict
gives (with the tuple fields as lists), key order and value types included."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pytest

from audit.demo.measurements import random_measurements
from audit.model import FACILITY_TYPES
from audit.scoring import Finding, evaluate

TUPLE_FIELDS = ("fields", "suspect", "confirmed")


def _reference(f: Finding) -> dict[str, object]:
    d = asdict(f)
    for key in TUPLE_FIELDS:
        d[key] = list(getattr(f, key))
    return d


@pytest.mark.parametrize("ftype", FACILITY_TYPES)
def test_to_dict_equals_asdict_on_random_audits(ftype: str) -> None:
    rng = np.random.default_rng(11)
    for _ in range(60):
        for f in evaluate(ftype, random_measurements(ftype, rng, missing_rate=0.3)).findings:
            ours, ref = f.to_dict(), _reference(f)
            assert ours == ref and list(ours) == list(ref)
            assert all(type(ours[k]) is type(ref[k]) for k in ref)
            assert Finding.from_dict(ours) == f


def test_to_dict_copies_nested_values() -> None:
    (f, *_) = evaluate("ramp", {"running_slope_pct": 9.5, "rise_mm": 300}).findings
    d = f.to_dict()
    if isinstance(d["measured"], dict):
        d["measured"]["value"] = "changed"
        assert f.to_dict()["measured"] != d["measured"]  # the finding itself is untouched
    assert d["threshold"] is not f.threshold or f.threshold is None
