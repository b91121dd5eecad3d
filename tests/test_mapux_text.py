"""Readable values in the live verdict and wrapped chart labels (issue 17 items 13, 15)."""

from __future__ import annotations

import pytest

from audit.scoring import evaluate_partial
from ui import inspect_form
from ui.bureau_charts import LABEL_WRAP_CHARS, compliance_bars, gap_heatmap, wrap_label


@pytest.fixture(autouse=True)
def _zh(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inspect_form, "current_language", lambda: "zh-Hans")
    monkeypatch.setattr("ui.i18n.current_language", lambda: "zh-Hans")


@pytest.mark.parametrize(("value", "text"), [
    ({"value": 10.0, "unit": "%"}, "10 %"),
    ({"value": 10.0, "unit": "%", "text": "10 %", "text_zh": "10 %"}, "10 %"),
    ({"value": True, "unit": None}, "是"),
    ({"value": 900.0, "unit": "mm", "text_zh": "", "text_en": ""}, "900 mm"),
    ({"a": {"value": 1.5, "unit": "m"}, "b": False}, "1.5 m、否"),
    (None, "—"),
    (0.1 + 0.2, "0.3"),
])
def test_values_read_as_a_person_reads_them(value: object, text: str) -> None:
    got = inspect_form._text(value)
    assert got == text
    assert "value =" not in got and "unit" not in got


def test_compact_verdict_names_the_first_failure_with_its_values() -> None:
    evaluation, _ = evaluate_partial("curb_ramp", {"running_slope_pct": 10})
    assert evaluation is not None and evaluation.n_fail >= 1
    line = inspect_form.compact_verdict(evaluation, "zh-Hans")
    assert line.startswith("实时结论：不合格 · ")
    assert "测得 10 %" in line and "要求 ≤ 8.33 %" in line
    passing, _ = evaluate_partial("curb_ramp", {"running_slope_pct": 5})
    assert passing is not None
    assert "测得" not in inspect_form.compact_verdict(passing, "zh-Hans")


@pytest.mark.parametrize("text", [
    "江城区 · 人行横道/过街音响提示装置",
    "Jiangcheng District · Accessible toilet or stall",
    "Supercalifragilisticexpialidocious-long-type-name",
    "",
])
def test_wrapped_labels_keep_every_character_and_fit(text: str) -> None:
    lines = wrap_label(text)
    assert all(len(line) <= LABEL_WRAP_CHARS for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" · ", "").replace(" ", "")


def _table() -> object:
    import pandas as pd

    return pd.DataFrame({
        "district_zh": ["江城区", "阳东区"], "district_en": ["Jiangcheng District",
                                                       "Yangdong District"],
        "type_zh": ["人行横道/过街音响提示装置", "盲道"], "type_en": ["Crossing", "Tactile paving"],
        "rankable": [True, False], "gap_per_audited": [1.0, 2.0], "audited": [3, 1],
        "expected": [5, 9], "coverage": [0.6, 0.1], "rank": [1, None], "decided": [3, 1],
        "compliance_rate": [0.5, 0.2], "ci_low": [0.1, 0.0], "ci_high": [0.9, 0.7],
    })


def test_heatmap_has_every_district_and_bars_explain_their_shades() -> None:
    heat = gap_heatmap(_table(), "zh-Hans").to_dict()
    x = heat["layer"][0]["encoding"]["x"] if "encoding" not in heat else heat["encoding"]["x"]
    assert x["scale"]["domain"] == ["江城区", "阳东区", "阳西县", "阳春市"]
    bars = compliance_bars(_table(), "zh-Hans").to_dict()
    opacity = bars["layer"][0]["encoding"]["opacity"]
    assert opacity["legend"]["title"] == "柱的深浅"
    assert opacity["scale"]["domain"] == ["参与排名", "覆盖不足，不排名"]
