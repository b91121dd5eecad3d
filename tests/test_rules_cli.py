"""``python -m audit evaluate`` and ``python -m audit rules list``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from audit.cli import main

REPO = Path(__file__).resolve().parents[1]


def test_evaluate_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["evaluate", "ramp", "--json",
                 '{"running_slope_pct": 9.1, "rise_mm": 140, "site_constrained": true}'])
    assert code == 0
    out = capsys.readouterr().out
    data = json.loads(out)
    assert data["facility_type"] == "ramp" and data["verdict"] == "incomplete"
    assert "轮椅坡道" in out  # ensure_ascii=False
    slope = next(f for f in data["findings"] if f["rule_id"] == "ramp.running_slope")
    assert slope["status"] == "pass" and slope["provisional"] is True


def test_evaluate_reads_a_file_and_stdin(tmp_path: Path, capsys, monkeypatch) -> None:
    path = tmp_path / "m.json"
    path.write_text('{"obstructed": true}', encoding="utf-8")
    assert main(["evaluate", "tactile_paving", "--file", str(path), "--compact"]) == 0
    assert json.loads(capsys.readouterr().out)["verdict"] == "non_compliant"
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO('{"obstructed": false}'))
    assert main(["evaluate", "tactile_paving", "--json", "-"]) == 0
    assert json.loads(capsys.readouterr().out)["verdict"] == "incomplete"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["evaluate", "ramp", "--json", '{"running_slope_pct": 300}'], "0 to 100 %"),
        (["evaluate", "ramp", "--json", "{not json"], "a JSON object"),
        (["evaluate", "ramp", "--json", "[1, 2]"], "a JSON object"),
        (["evaluate", "boat", "--json", "{}"], "one of ramp"),
        (["evaluate", "ramp", "--file", "/nonexistent.json"], "readable file"),
        (["rules", "list", "--type", "boat"], "one of ramp"),
    ],
)
def test_bad_input_exits_2_with_a_message(args: list[str], fragment: str, capsys) -> None:
    assert main(args) == 2
    assert fragment in capsys.readouterr().err


def test_rules_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "list", "--type", "parking"]) == 0
    out = capsys.readouterr().out
    assert "parking.count" in out and "2.9.5" in out and "ramp." not in out
    assert main(["rules", "list", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ruleset_id"] == "gb55019-2021" and len(data["rules"]) > 50


def test_module_entry_point_exit_code() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "audit", "evaluate", "ramp", "--json",
         '{"running_slope_pct": 300, "clear_width_mm": -5}'],
        cwd=REPO, capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 2
    assert "running_slope_pct" in proc.stderr and "clear_width_mm" in proc.stderr
