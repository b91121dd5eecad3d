"""Issue 12, "Verdicts an inspector can defend": one named test per value the issue names.

Every test checks the library (``evaluate``) and, where the behaviour is shared, the vectorised
path, the CLI, the ODK import and the form's library calls (:func:`review_measurements`,
:func:`evaluate_partial`) the same way. The AppTests of the form itself are in
tests/test_app_verdicts.py.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from audit.cli import main as cli
from audit.errors import InputError
from audit.io.odk_import import ImportRejected, import_odk, parse_submission
from audit.model import (
    CONFIRM_KEY,
    IMPLICATIONS,
    SCHEMAS,
    check_measurements,
    review_measurements,
    schema,
    validate_measurements,
)
from audit.rules import RULES_DIR, default_ruleset
from audit.scoring import Evaluation, Finding, evaluate, evaluate_partial
from audit.settings import Settings
from audit.vectorized import evaluate_frame, evaluate_many, status_column

RS = default_ruleset()


def _finding(e: Evaluation, rule_id: str) -> Finding:
    return next(f for f in e.findings if f.rule_id == rule_id)


def _both(ftype: str, m: dict[str, Any], rule_id: str) -> tuple[Evaluation, str]:
    """The evaluation, and the rule's status after checking the vectorised path agrees."""
    e = evaluate(ftype, m)
    frame = evaluate_frame(ftype, pd.DataFrame([m]))
    status = _finding(e, rule_id).status
    assert frame[status_column(rule_id)].iloc[0] == status
    assert frame["verdict"].iloc[0] == e.verdict
    return e, status


@pytest.fixture
def cfg(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path)


ODK_HEAD = ("SubmissionDate,facility_type,location-Latitude,location-Longitude,"
            "location-Accuracy,{cols},meta-instanceID\n")


def _odk_row(ftype: str, values: dict[str, Any], iid: str = "uuid:v-1") -> dict[str, Any]:
    rec = {"SubmissionDate": "2025-03-02T02:10:00.000Z", "facility_type": ftype,
           "location-Latitude": "21.8594", "location-Longitude": "111.9799",
           "location-Accuracy": "4", "meta-instanceID": iid}
    rec.update({f"{ftype}-{k}": v for k, v in values.items()})
    return rec


def _odk_csv(path: Path, ftype: str, rows: list[dict[str, Any]]) -> Path:
    cols = sorted({k for r in rows for k in r})
    lines = [ODK_HEAD.format(cols=",".join(f"{ftype}-{c}" for c in cols))]
    for i, r in enumerate(rows, start=1):
        cells = [str(r.get(c, "")) for c in cols]
        lines.append(f"2025-03-02T02:1{i}:00.000Z,{ftype},21.859{i},111.979{i},4,"
                     f"{','.join(cells)},uuid:verdicts-{i}\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# 1. A measurement implies the feature it measures


def test_item1_800mm_bollard_gap_with_presence_empty_fails_and_says_inferred() -> None:
    e, status = _both("curb_ramp", {"bollard_clear_gap_mm": 800}, "curb_ramp.bollard_gap")
    assert status == "fail" and e.verdict == "non_compliant"
    f = _finding(e, "curb_ramp.bollard_gap")
    assert f.inferred == {"bollards_present": "bollard_clear_gap_mm"}
    assert e.inferred == {"bollards_present": "bollard_clear_gap_mm"}
    assert "bollards_present" not in e.measurements  # stored as recorded, inferred again later


@pytest.mark.parametrize(("ftype", "m", "rule_id", "flag"), [
    ("entrance", {"closer_time_s": 2}, "entrance.closer_time", "door_closer_present"),
    ("ramp", {"handrail_height_mm": 950}, "ramp.handrail_height", "handrail_present"),
    ("parking", {"access_aisle_width_mm": 1000}, "parking.aisle_width", "accessible_bay_present"),
    ("parking", {"drop_off_width_mm": 2000, "drop_off_length_mm": 7000},
     "parking.drop_off_size", "drop_off_zone_present"),
    ("entrance", {"auto_door_control_height_mm": 1200}, "entrance.automatic_door_control_height",
     "automatic_door"),
    ("entrance", {"door_series_clear_mm": 1200}, "entrance.doors_in_series", "doors_in_series"),
    ("toilet", {"toilet_kind": "accessible_stall", "grab_bar_horizontal_length_mm": 500},
     "toilet.stall_grab_bar_length", "grab_bars_present"),
])
def test_item1_each_measured_feature_implies_its_presence(
        ftype: str, m: dict, rule_id: str, flag: str) -> None:
    e, status = _both(ftype, m, rule_id)
    assert status == "fail" and e.verdict == "non_compliant", (m, status)
    assert flag in _finding(e, rule_id).inferred


def test_item1_implications_are_data_in_the_schema() -> None:
    for ftype, fields in SCHEMAS.items():
        names = {f.name: f for f in fields}
        declared = [(f.name, f.implies) for f in fields if f.implies]
        assert [(i.field, i.flag) for i in IMPLICATIONS[ftype]] == declared
        for field, flag in declared:
            assert names[flag].kind == "bool", (field, flag)
    # every measurement that can only exist with a feature names it
    must = {("curb_ramp", "bollard_clear_gap_mm"), ("entrance", "closer_time_s"),
            ("ramp", "handrail_height_mm"), ("parking", "access_aisle_width_mm"),
            ("parking", "drop_off_width_mm"), ("parking", "drop_off_length_mm")}
    assert must <= {(t, i.field) for t, imps in IMPLICATIONS.items() for i in imps}


def test_item1_same_reading_in_form_odk_cli_and_library(cfg: Settings, capsys) -> None:
    m = {"bollard_clear_gap_mm": 800}
    library = _finding(evaluate("curb_ramp", m), "curb_ramp.bollard_gap").status
    form, issues = evaluate_partial("curb_ramp", m)
    assert form is not None and not issues
    sub, problems = parse_submission(_odk_row("curb_ramp", m), 1, crs="wgs84", settings=cfg,
                                     attachments=None)
    assert sub is not None and not problems
    odk = _finding(evaluate("curb_ramp", sub.measurements), "curb_ramp.bollard_gap").status
    assert cli(["evaluate", "curb_ramp", "--json", json.dumps(m)]) == 0
    out = json.loads(capsys.readouterr().out)
    via_cli = next(f for f in out["findings"] if f["rule_id"] == "curb_ramp.bollard_gap")
    assert library == _finding(form, "curb_ramp.bollard_gap").status == odk == \
        via_cli["status"] == "fail"
    assert via_cli["inferred"] == {"bollards_present": "bollard_clear_gap_mm"}


# ---------------------------------------------------------------------------------------------
# 2. Contradictory input is an input error, never a pass


@pytest.mark.parametrize(("ftype", "m", "field", "flag"), [
    ("curb_ramp", {"bollards_present": False, "bollard_clear_gap_mm": 500},
     "bollard_clear_gap_mm", "bollards_present"),
    ("entrance", {"door_closer_present": False, "closer_time_s": 1},
     "closer_time_s", "door_closer_present"),
])
def test_item2_presence_false_with_a_measurement_is_rejected_naming_both(
        ftype: str, m: dict, field: str, flag: str, capsys) -> None:
    with pytest.raises(InputError) as info:
        evaluate(ftype, m)
    p = info.value.problems[0]
    assert (p.field, p.related, p.code) == (field, (flag,), "contradiction")
    assert field in str(info.value) and flag in str(info.value)
    with pytest.raises(InputError, match=flag):
        evaluate_frame(ftype, pd.DataFrame([m]))
    with pytest.raises(InputError):
        evaluate_many([(ftype, m)])
    # the CLI exits 2 naming both fields
    assert cli(["evaluate", ftype, "--json", json.dumps(m)]) == 2
    err = capsys.readouterr().err
    assert field in err and flag in err
    # the form shows it under both fields
    issues = review_measurements(ftype, m)
    assert issues[field][0].code == issues[flag][0].code == "contradiction"
    assert evaluate_partial(ftype, m)[0] is None


def test_item2_odk_import_rejects_the_contradictory_row_with_its_number(
        sqlite_db, cfg: Settings, tmp_path: Path) -> None:
    path = _odk_csv(tmp_path / "c.csv", "curb_ramp", [
        {"bollards_present": "yes", "bollard_clear_gap_mm": 950},
        {"bollards_present": "no", "bollard_clear_gap_mm": 500},
    ])
    with pytest.raises(ImportRejected) as info:
        _import(sqlite_db, path, settings=cfg)
    (row,) = info.value.rows
    assert row.row == 2 and row.field == "bollard_clear_gap_mm"
    assert "bollards_present" in row.reason and "contradicts" in row.reason
    with sqlite_db.unit_of_work(_system()) as repo:
        assert repo.count_audits(status=None) == 0  # nothing imported


def _import(db: Any, path: Path, **kwargs: Any) -> Any:
    """One ODK import in its own write unit of work, as the CLI and the page run it."""
    with db.unit_of_work(_system(), write=True) as repo:
        return import_odk(repo, path, **kwargs)


def _system() -> Any:
    from audit.actors import SYSTEM

    return SYSTEM


def test_item2_more_contradictions_count_and_chain() -> None:
    with pytest.raises(InputError, match="accessible_spaces"):
        evaluate("parking", {"accessible_spaces": 0, "access_aisle_width_mm": 1200})
    with pytest.raises(InputError, match="handrail_present"):
        evaluate("ramp", {"handrail_present": False, "handrail_lower_height_mm": 680})


# ---------------------------------------------------------------------------------------------
# 3. Unit slips are caught


def test_item3_rise_0_8_is_suspect_and_does_not_unlock_the_1_10_exception(capsys) -> None:
    m = {"running_slope_pct": 9.5, "rise_mm": 0.8, "site_constrained": True}
    e, status = _both("ramp", m, "ramp.running_slope")
    assert status == "not_measured" and e.verdict != "compliant"
    f = _finding(e, "ramp.running_slope")
    assert f.suspect == ("rise_mm",) and not f.via_exception
    (s,) = e.suspects
    assert s["field"] == "rise_mm" and not s["confirmed"]
    assert [(h["slip"], h["value"]) for h in s["hints"]] == [("m", 800.0)]
    # strict mode rejects it, with the hint (library, vectorised path, CLI)
    with pytest.raises(InputError, match=re.escape("did you mean 0.8 m = 800 mm")):
        evaluate("ramp", m, strict=True)
    with pytest.raises(InputError, match="plausible range"):
        evaluate_frame("ramp", pd.DataFrame([m]), strict=True)
    assert cli(["evaluate", "ramp", "--strict", "--json", json.dumps(m)]) == 2
    assert "800 mm" in capsys.readouterr().err
    # once the inspector confirms 0.8 mm, the rule reads it (and the exception applies)
    confirmed = {**m, CONFIRM_KEY: ["rise_mm"]}
    e, status = _both("ramp", confirmed, "ramp.running_slope")
    f = _finding(e, "ramp.running_slope")
    assert status == "pass" and f.via_exception and f.provisional
    assert f.confirmed == ("rise_mm",) and e.measurements[CONFIRM_KEY] == ["rise_mm"]
    evaluate("ramp", confirmed, strict=True)  # confirmed values pass strict mode


@pytest.mark.parametrize(("ftype", "m", "field", "slip", "meant"), [
    ("ramp", {"running_slope_pct": 0.15}, "running_slope_pct", "fraction", 15.0),
    ("entrance", {"threshold_height_mm": 1.5}, "threshold_height_mm", "cm", 15.0),
    ("entrance", {"threshold_height_mm": 2}, "threshold_height_mm", "cm", 20.0),
    ("entrance", {"opening_force_n": 2.5}, "opening_force_n", "kgf", 24.516625),
    ("entrance", {"door_clear_width_mm": 0.9}, "door_clear_width_mm", "m", 900.0),
    ("toilet", {"door_clear_width_mm": 0.9}, "door_clear_width_mm", "m", 900.0),
    ("curb_ramp", {"bollard_clear_gap_mm": 0.8}, "bollard_clear_gap_mm", "m", 800.0),
])
def test_item3_unit_slips_are_suspect_with_a_did_you_mean_hint(
        ftype: str, m: dict, field: str, slip: str, meant: float) -> None:
    e = evaluate(ftype, m)
    (s,) = [x for x in e.suspects if x["field"] == field]
    hint = next(h for h in s["hints"] if h["slip"] == slip)
    assert hint["value"] == pytest.approx(meant)
    assert e.verdict != "compliant"
    # no finding reads the suspect value: none passes or fails on it
    for f in e.findings:
        if field in f.suspect:
            assert f.status in ("not_measured", "not_applicable"), f.rule_id
    assert review_measurements(ftype, m)[field][0].code == "suspect"
    with pytest.raises(InputError):
        evaluate(ftype, m, strict=True)


def test_item3_slope_of_5_reads_as_percent_and_the_form_says_not_degrees() -> None:
    """5 is a plausible percentage (a 1:20 ramp), so it cannot be told from 5° by its size:
    it is read as 5 %, and every slope input shows "%" and explains degrees (5° = 8.75 %)."""
    e, status = _both("ramp", {"running_slope_pct": 5}, "ramp.running_slope")
    assert status == "pass" and not e.suspects
    for fields in SCHEMAS.values():
        for f in fields:
            if f.unit == "%":
                assert "degrees" in f.help_en and "角度" in f.help_zh, f.name
                assert "degrees" in f.slips
    # where a degree reading falls outside the plausible range, the hint converts it
    e = evaluate("ramp", {"running_slope_pct": 0.9})
    (s,) = e.suspects
    assert any(h["slip"] == "degrees" and h["value"] == pytest.approx(1.571, abs=1e-3)
               for h in s["hints"])


def test_item3_every_numeric_field_has_a_plausible_range_on_both_sides() -> None:
    for ftype, fields in SCHEMAS.items():
        for f in fields:
            if not f.is_numeric:
                continue
            assert f.plausible is not None, f.name
            lo, hi = f.plausible
            assert f.minimum is not None and f.maximum is not None and f.typical is not None
            assert f.minimum <= lo < hi <= f.maximum, (ftype, f.name)
            assert f.resolution is not None, f.name
            assert f.kind == "integer" or f.unit is not None, f.name  # shown beside the input
            t_lo, t_hi = f.typical
            assert (lo <= t_lo or (t_lo == 0 and f.zero_plausible)) and t_hi <= hi, \
                (ftype, f.name, "demo data would be suspect")


def test_item3_odk_import_reports_suspect_values_and_strict_rejects(
        sqlite_db, cfg: Settings, tmp_path: Path) -> None:
    path = _odk_csv(tmp_path / "s.csv", "ramp", [{"running_slope_pct": 9.5, "rise_mm": 0.8}])
    report = _import(sqlite_db, path, settings=cfg)
    (s,) = report.suspect
    assert (s.row, s.field, s.value) == (1, "rise_mm", 0.8) and "800 mm" in s.reason
    with sqlite_db.unit_of_work(_system()) as repo:
        audit = repo.latest_audit(1)
        assert audit is not None and audit.verdict != "compliant"
    strict = _odk_csv(tmp_path / "t.csv", "ramp", [{"running_slope_pct": 9.5, "rise_mm": 0.7}])
    with pytest.raises(ImportRejected) as info:
        _import(sqlite_db, strict, settings=cfg, strict=True)
    assert info.value.rows[0].field == "rise_mm" and "plausible" in info.value.rows[0].reason
    confirmed = _odk_row("ramp", {"rise_mm": 0.8, CONFIRM_KEY: "rise_mm"}, "uuid:v-9")
    sub, problems = parse_submission(confirmed, 1, crs="wgs84", settings=cfg, attachments=None,
                                     strict=True)
    assert sub is not None and not problems and not sub.suspect


# ---------------------------------------------------------------------------------------------
# 4. A value that fails every branch fails


def test_item4_700mm_door_with_the_year_unknown_fails() -> None:
    e, status = _both("toilet", {"door_clear_width_mm": 700}, "toilet.door_width_existing")
    assert status == "fail" and e.verdict == "non_compliant"
    f = _finding(e, "toilet.door_width_existing")  # the most lenient branch (800 mm)
    other = _finding(e, "toilet.door_width_new").split
    assert f.split is not None and other is not None
    assert f.split["outcome"] == "fails_every_branch" and other["judged_with"] == f.rule_id
    assert e.n_fail == 1  # one failure, not one per branch
    e, status = _both("entrance", {"door_clear_width_mm": 700, "automatic_door": False},
                      "entrance.door_width_existing")
    assert status == "fail"


def test_item4_a_value_passing_the_strictest_branch_passes() -> None:
    e, status = _both("toilet", {"door_clear_width_mm": 900}, "toilet.door_width_new")
    split = _finding(e, "toilet.door_width_new").split
    assert status == "pass" and split is not None and split["outcome"] == "passes_every_branch"
    _, status = _both("entrance", {"door_clear_width_mm": 1000}, "entrance.automatic_door_width")
    assert status == "pass"
    _, status = _both("crossing_signal", {"audible_signal_present": True},
                      "crossing_signal.audible_signal")
    assert status == "pass"


@pytest.mark.parametrize(("ftype", "m", "rule_id", "asked"), [
    ("toilet", {"door_clear_width_mm": 850}, "toilet.door_width_new", "is_new_construction"),
    ("entrance", {"door_clear_width_mm": 950, "is_new_construction": True},
     "entrance.automatic_door_width", "automatic_door"),
    ("crossing_signal", {"audible_signal_present": False}, "crossing_signal.audible_signal",
     "priority_area"),
])
def test_item4_only_a_value_between_branches_is_not_measured_with_the_question(
        ftype: str, m: dict, rule_id: str, asked: str) -> None:
    e, status = _both(ftype, m, rule_id)
    assert status == "not_measured" and e.verdict == "incomplete"
    q = _finding(e, rule_id).question
    assert q is not None
    spec = schema(ftype)[asked]
    assert q["fields"] == [asked]
    assert q["text_zh"] == spec.question("zh") and q["text_en"] == spec.question("en")
    assert q["text_zh"] != q["text_en"]  # translated


# ---------------------------------------------------------------------------------------------
# 5. Exact at the field's resolution


@pytest.mark.parametrize("value", [8.333333333333334, "8.333333333333334", "25/3", Fraction(25, 3),
                                   Decimal(25) / Decimal(3), Decimal("8.333333333333334"),
                                   np.float64(25 / 3)],
                         ids=["float", "text", "25/3", "Fraction", "Decimal", "Decimal-text",
                              "np.float64"])
def test_item5_one_in_twelve_entered_exactly_passes(value: object) -> None:
    m = {"running_slope_pct": value, "rise_mm": 600}
    _, status = _both("ramp", m, "ramp.running_slope")
    assert status == "pass"


@pytest.mark.parametrize(("slope", "status"), [(8.33, "pass"), (8.334, "pass"), (8.34, "fail"),
                                               (8.32, "pass")])
def test_item5_one_step_either_side_of_one_in_twelve(slope: float, status: str) -> None:
    assert _both("ramp", {"running_slope_pct": slope, "rise_mm": 600},
                 "ramp.running_slope")[1] == status


def test_item5_exact_inputs_are_rounded_exactly_and_stored_as_readings() -> None:
    m = validate_measurements("ramp", {"running_slope_pct": Fraction(25, 3),
                                       "rise_mm": Decimal("150.4")})
    assert m["running_slope_pct"] == 8.33 and m["rise_mm"] == 150.0
    assert json.dumps(evaluate("ramp", {"running_slope_pct": "25/3"}).to_dict())


# ---------------------------------------------------------------------------------------------
# 6. Parsing never guesses


def test_item6_decimal_comma_1_2_is_rejected_with_a_clear_message(cfg: Settings, capsys) -> None:
    with pytest.raises(InputError) as info:
        validate_measurements("ramp", {"rise_mm": "1,2"})
    p = info.value.problems[0]
    assert p.field == "rise_mm" and p.value == "1,2" and p.code == "decimal_comma"
    assert "1.2" in p.allowed and "1,200" in p.allowed
    assert cli(["evaluate", "ramp", "--json", '{"rise_mm": "1,2"}']) == 2
    assert "decimal point" in capsys.readouterr().err
    _, problems = parse_submission(_odk_row("ramp", {"rise_mm": "1,2"}), 7, crs="wgs84",
                                   settings=cfg, attachments=None)
    assert [(r.row, r.field) for r in problems] == [(7, "rise_mm")]
    with pytest.raises(InputError, match="rise_mm"):
        evaluate_frame("ramp", pd.DataFrame({"rise_mm": ["1,2"]}))


@pytest.mark.parametrize(("text", "value"), [("1,200", 1200.0), ("1,200.5", 1200.5),
                                             ("1200", 1200.0), (" 1200 ", 1200.0)])
def test_item6_thousands_separator_only_as_1_200(text: str, value: float) -> None:
    assert validate_measurements("ramp", {"clear_width_mm": text})["clear_width_mm"] == value


@pytest.mark.parametrize("text", ["12,00", "1,2000", "1_000", "1 200", "1，2", "inf", "nan"])
def test_item6_other_forms_are_rejected(text: str) -> None:
    with pytest.raises(InputError, match="clear_width_mm"):
        validate_measurements("ramp", {"clear_width_mm": text})


def test_item6_numpy_scalars_are_their_python_kinds() -> None:
    m = validate_measurements("ramp", {"handrail_present": np.bool_(True),
                                       "rise_mm": np.int64(200),
                                       "clear_width_mm": np.float64(1250.0),
                                       "in_dwelling": np.int64(0)})
    assert m["handrail_present"] is True and m["in_dwelling"] is False
    assert m["rise_mm"] == 200.0 and m["clear_width_mm"] == 1250.0
    # a yes/no is never a width of 1.0
    for value in (np.bool_(True), True, np.True_):
        with pytest.raises(InputError, match="clear_width_mm"):
            validate_measurements("ramp", {"clear_width_mm": value})
    frame = pd.DataFrame({"clear_width_mm": pd.Series([np.bool_(True)], dtype=object)})
    with pytest.raises(InputError, match="clear_width_mm"):
        evaluate_frame("ramp", frame)
    objects = pd.DataFrame({"rise_mm": pd.Series([np.int64(751), np.float64(700.0)],
                                                 dtype=object)})
    out = evaluate_frame("ramp", objects)
    assert list(out[status_column("ramp.rise_per_run")]) == ["fail", "pass"]


# ---------------------------------------------------------------------------------------------
# 7. Applicability as the text says


def test_item7_curb_ramps_at_crossings_only_where_there_is_a_level_difference() -> None:
    rid = "crossing_signal.curb_ramps"
    assert _both("crossing_signal", {"level_difference": False, "curb_ramps_both_ends": False},
                 rid)[1] == "not_applicable"
    assert _both("crossing_signal", {"level_difference": True, "curb_ramps_both_ends": False},
                 rid)[1] == "fail"


def test_item7_handle_height_applies_to_swing_doors_only() -> None:
    rid = "entrance.handle_height"
    base = {"automatic_door": False, "handle_height_mm": 1200}
    assert _both("entrance", {**base, "swing_door": False}, rid)[1] == "not_applicable"
    assert _both("entrance", {**base, "swing_door": True}, rid)[1] == "fail"


def test_item7_a_sill_is_forbidden_outright_apart_from_the_15mm_level_change() -> None:
    e, status = _both("entrance", {"sill_present": True, "threshold_height_mm": 0},
                      "entrance.no_sill")
    assert status == "fail" and _finding(e, "entrance.no_sill").clause == "2.5.3"
    assert _finding(e, "entrance.threshold_height").status == "pass"
    e, status = _both("entrance", {"sill_present": False, "threshold_height_mm": 15,
                                   "threshold_bevel_slope_pct": 10}, "entrance.threshold_height")
    assert status == "pass" and _finding(e, "entrance.no_sill").status == "pass"


def test_item7_the_1_10_exception_needs_the_site_constraint_and_stays_provisional() -> None:
    rid = "ramp.running_slope"
    m = {"running_slope_pct": 9.5, "rise_mm": 140}
    assert _both("ramp", m, rid)[1] == "not_measured"
    assert _both("ramp", {**m, "site_constrained": False}, rid)[1] == "fail"
    e, status = _both("ramp", {**m, "site_constrained": True}, rid)
    f = _finding(e, rid)
    assert status == "pass" and f.via_exception and f.provisional and e.has_provisional
    exc = RS.rule(rid).exception
    assert exc is not None and exc.provisional


def test_item7_a_level_entrance_needs_a_measured_slope_of_at_most_1_20() -> None:
    rid = "entrance.platform_depth"
    m = {"level_entrance": True, "platform_depth_mm": 1000}
    assert _both("entrance", m, rid)[1] == "not_measured"
    assert _both("entrance", {**m, "entrance_slope_pct": 5}, rid)[1] == "not_applicable"
    assert _both("entrance", {**m, "entrance_slope_pct": 5.01}, rid)[1] == "fail"


def test_item7_curb_ramp_lip_is_2_10_2_no_level_difference_at_all() -> None:
    rule = RS.rule("curb_ramp.lip")
    assert (rule.standard, rule.clause, rule.check) == ("GB 55019", "2.10.2", "exact")
    assert rule.params["value"].exact == 0
    assert _both("curb_ramp", {"lip_height_mm": 10}, "curb_ramp.lip")[1] == "fail"
    assert _both("curb_ramp", {"lip_height_mm": 0}, "curb_ramp.lip")[1] == "pass"
    assert "GB 50763 3.1.1-2" in rule.source and "superseded" in rule.source


# ---------------------------------------------------------------------------------------------
# 8. Advice is not failure


def _compliant_tactile(**over: object) -> dict:
    return {"obstructed": False, "continuous": True, "warning_at_start_end_turns": True,
            "contrasts_with_pavement": True, "warning_strip_width_ok": True,
            "grate_present": False, **over}


def test_item8_advice_never_makes_non_compliant_nor_lowers_verdict_or_score() -> None:
    good = evaluate("tactile_paving", _compliant_tactile(width_mm=300))
    off = evaluate("tactile_paving", _compliant_tactile(width_mm=600))
    unmeasured = evaluate("tactile_paving", _compliant_tactile())
    assert good.verdict == off.verdict == unmeasured.verdict == "compliant"
    assert good.score == off.score == unmeasured.score == 100.0
    f = _finding(off, "tactile_paving.width")
    assert f.status == "advice" and f.is_advice and off.advice == [f] and off.n_fail == 0
    assert off.counts["advice"] == 1 and off.has_provisional == good.has_provisional
    frame = evaluate_frame("tactile_paving", pd.DataFrame([_compliant_tactile(width_mm=600)]))
    assert frame["verdict"].iloc[0] == "compliant" and frame["score"].iloc[0] == 100.0
    assert frame["n_advice"].iloc[0] == 1 and frame["n_fail"].iloc[0] == 0


def test_item8_advice_rules_are_the_gb50763_clauses_worded_yi() -> None:
    for rule in RS.rules:
        if rule.is_advice:
            assert rule.standard == "GB 50763" and "宜" in rule.title_zh, rule.rule_id
        elif rule.standard == "GB 50763":
            assert "宜" not in rule.title_zh, rule.rule_id
    assert RS.rule("tactile_paving.width").is_advice


def test_item8_first_line_rules_declare_whether_their_threshold_was_read() -> None:
    for path in (RULES_DIR / "gb55019-2021.toml", RULES_DIR / "gb50763-2012.toml"):
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
        for row in doc.get("rules", []):
            if row["verification"] == "first-line":
                assert "threshold_in_text" in row, row["rule_id"]
    rule = RS.rule("ramp.handrails_both_sides")  # 1:20 lies outside the first line read
    assert rule.verification == "first-line" and not rule.threshold_in_text and rule.provisional
    e = evaluate("ramp", {"rise_mm": 400, "running_slope_pct": 8, "handrails_both_sides": True})
    assert _finding(e, rule.rule_id).provisional and e.has_provisional


def test_item8_grab_bar_citation_is_gb50763_3_9_2_item_3() -> None:
    rule = RS.rule("toilet.stall_grab_bars")
    assert rule.reference == "GB 50763-2012 3.9.2-3"
    assert "1973128" in rule.source and "addendum 2026-11" in rule.source


# ---------------------------------------------------------------------------------------------
# 9. The clauses still missing


@pytest.mark.parametrize(("rule_id", "reference", "provisional"), [
    ("tactile_paving.grate_opening", "GB 55019-2021 2.2.4", True),
    ("entrance.grate_opening", "GB 55019-2021 2.2.4", True),
    ("entrance.doors_in_series", "GB 55019-2021 2.5.7", False),
    ("entrance.automatic_door_control_height", "GB 55019-2021 2.5.5", False),
    ("curb_ramp.warning_strip_length", "GB 55019-2021 2.10.3", False),
    ("toilet.stall_grab_bar_height", "GB 50763-2012 3.9.2-3", False),
    ("toilet.stall_grab_bar_length", "GB 50763-2012 3.9.2-3", False),
    ("toilet.stall_grab_bar_vertical", "GB 50763-2012 3.9.2-3", False),
    ("parking.public_share_class_1", "GB 50763-2012 8.10.2", True),
    ("parking.public_share_class_2_3", "GB 50763-2012 8.10.2", True),
    ("parking.public_share_class_4", "GB 50763-2012 8.10.2", True),
    ("tactile_paving.warning_strip_width", "GB 55019-2021 2.11.3", True),
])
def test_item9_missing_clauses_are_rules_citing_the_addendum(
        rule_id: str, reference: str, provisional: bool) -> None:
    rule = RS.rule(rule_id)
    assert rule.reference == reference and rule.provisional == provisional
    assert "addendum 2026-11" in rule.source
    fields = schema(rule.facility_type)
    assert all(name in fields for name in rule.reads)  # the form and the XLSForm draw them


def test_item9_thresholds_are_the_addendums() -> None:
    q = RS.rule("tactile_paving.grate_opening").params["max"]
    assert (q.exact, q.unit) == (13, "mm")
    assert RS.rule("entrance.doors_in_series").params["min"].exact == 1500
    control = RS.rule("entrance.automatic_door_control_height").params
    assert (control["min"].exact, control["max"].exact) == (850, 1000)
    assert RS.rule("toilet.stall_grab_bar_height").params["value"].exact == 700
    assert RS.rule("toilet.stall_grab_bar_length").params["min"].exact == 700
    assert RS.rule("toilet.stall_grab_bar_vertical").params["value"].exact == 1400
    for rid in ("parking.public_share_class_1", "parking.public_share_class_2_3"):
        assert RS.rule(rid).params["share"].exact == 2
    assert RS.rule("parking.public_share_class_2_3").params["small_minimum"] == 2
    # 2.11.3: a conformity check, no number invented
    rule = RS.rule("tactile_paving.warning_strip_width")
    assert rule.check == "flag" and rule.verification == "unverified"


def test_item9_public_car_park_share_by_class() -> None:
    e, status = _both("parking", {"car_park_class": "class_2", "total_spaces": 60,
                                  "accessible_spaces": 1}, "parking.public_share_class_2_3")
    assert status == "fail" and _finding(e, "parking.count").status == "pass"
    _, status = _both("parking", {"car_park_class": "not_public", "total_spaces": 60,
                                  "accessible_spaces": 1}, "parking.public_share_class_2_3")
    assert status == "not_applicable"


def test_item9_new_fields_are_in_the_xlsform(tmp_path: Path) -> None:
    from audit.io.xlsform import form_rows

    survey, _choices, _ = form_rows()
    names = {r.get("name") for r in survey}
    for field in ("grate_opening_mm", "door_series_clear_mm", "auto_door_control_height_mm",
                  "warning_strip_length_mm", "grab_bar_horizontal_height_mm",
                  "car_park_class", "warning_strip_width_ok", "sill_present",
                  "entrance_slope_pct", "site_constrained", "level_difference", CONFIRM_KEY):
        assert field in names, field
    confirm = next(r for r in survey if r.get("name") == CONFIRM_KEY)
    assert confirm["type"].startswith("select_multiple") and "../rise_mm" in confirm["relevant"]


# ---------------------------------------------------------------------------------------------
# Keep: versions, plausible demo data, no implausible or contradictory input is compliant


def test_ruleset_versions_are_bumped() -> None:
    assert RS.version == "2.0.0"
    assert {f.name: f.version for f in RS.files}["gb50763-2012.toml"] == "1.1.0"
    stored = evaluate("ramp", {"rise_mm": 300}).to_dict()
    stored["ruleset_version"] = "1.0.0"  # an audit scored earlier keeps its version
    assert Evaluation.from_dict(json.loads(json.dumps(stored))).ruleset_version == "1.0.0"


@pytest.mark.parametrize("ftype", list(SCHEMAS))
def test_no_unconfirmed_suspect_value_reads_compliant(ftype: str) -> None:
    """For each numeric field: a record that is compliant, plus one implausible value of that
    field, is never compliant on either path."""
    from audit.demo.measurements import random_measurements

    rng = np.random.default_rng(12)
    base = next(m for m in (random_measurements(ftype, rng, missing_rate=0.0) for _ in range(5000))
                if evaluate(ftype, m).verdict == "compliant")
    for spec in schema(ftype).values():
        if not spec.is_numeric or spec.name in ("area_m2",):
            continue
        assert spec.plausible is not None and spec.maximum is not None
        lo, hi = spec.plausible
        value = hi * 1.5 if hi * 1.5 <= spec.maximum else lo / 2
        m = dict(base)
        for imp in IMPLICATIONS[ftype]:  # keep the record consistent
            if imp.field == spec.name and m.get(imp.flag) is False:
                m[imp.flag] = True
        m[spec.name] = value
        try:
            check_measurements(ftype, m)
        except InputError:
            continue
        e = evaluate(ftype, m)
        assert e.verdict != "compliant", (spec.name, value)
        frame = evaluate_frame(ftype, pd.DataFrame([m]))
        assert frame["verdict"].iloc[0] == e.verdict and frame["n_suspect"].iloc[0] >= 1
        assert not math.isnan(frame["score"].iloc[0]) or e.score is None


def test_item3_cli_import_lists_suspect_values_and_strict_rejects_them(tmp_path: Path) -> None:
    import subprocess
    import sys

    env = {"DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", "NETWORK_SOURCE": "demo",
           "A11Y_SETTINGS_FILE": "/nonexistent"}
    repo = Path(__file__).resolve().parent.parent

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "audit", *args], env=env, cwd=repo,
                              capture_output=True, text=True, check=False)

    assert run("db", "upgrade").returncode == 0
    path = _odk_csv(tmp_path / "door.csv", "entrance", [{"door_clear_width_mm": 0.9}])
    strict = run("import", "odk", str(path), "--no-snap", "--strict")
    assert strict.returncode == 2 and "row 1" in strict.stderr
    assert "door_clear_width_mm" in strict.stderr and "900 mm" in strict.stderr
    lenient = run("import", "odk", str(path), "--no-snap")
    assert lenient.returncode == 0, lenient.stderr
    assert "suspect" in lenient.stdout and "900 mm" in lenient.stdout


def test_item3_odk_import_suspects_are_listed_for_the_inspector_in_their_language(
        sqlite_db, cfg: Settings, tmp_path: Path) -> None:
    """The audits page shows imported suspect values as a translated table: the field's label
    with its unit, the usual range and the "did you mean" hint, never the developer message."""
    from ui.inspect_form import suspect_rows

    path = _odk_csv(tmp_path / "s.csv", "ramp", [{"running_slope_pct": 9.5, "rise_mm": 0.8}])
    report = _import(sqlite_db, path, settings=cfg)
    (row,) = suspect_rows(report.suspect, "zh-Hans")
    assert row["行号"] == "1" and row["设施类型"] == "轮椅坡道"
    assert row["字段"] == "坡段提升高度 (mm)" and row["数值"] == "0.8"
    assert "超出通常范围" in row["说明"] and "0.8 m = 800 mm" in row["说明"]
    assert "confirmed_values" not in row["说明"] and "plausible" not in row["说明"]
