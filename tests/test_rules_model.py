"""Measurement schemas: coercion, "not measured", derived fields and complete error reports."""

from __future__ import annotations

import math

import numpy as np
import pytest

from audit.demo.measurements import random_measurements
from audit.errors import InputError
from audit.model import (
    FACILITY_LABELS,
    FACILITY_TYPES,
    IMPLICATIONS,
    SCHEMAS,
    validate_measurements,
)

CONTRACT_FIELDS = {
    "ramp": ["running_slope_pct", "cross_slope_pct", "rise_mm", "clear_width_mm",
             "landing_length_mm", "handrails_both_sides", "handrail_height_mm",
             "handrail_extension_mm", "edge_protection", "in_dwelling"],
    "curb_ramp": ["curb_ramp_type", "running_slope_pct", "side_slope_pct", "opening_width_mm",
                  "lip_height_mm", "warning_tactile_present", "top_landing_width_mm",
                  "grate_on_ramp", "bollard_clear_gap_mm"],
    "toilet": ["toilet_kind", "internal_width_mm", "internal_depth_mm", "area_m2",
               "turning_diameter_mm", "door_type", "door_clear_width_mm", "is_new_construction",
               "call_button_present", "grab_bars_present", "openable_from_outside",
               "washbasin_present", "signage_present"],
    "parking": ["total_spaces", "accessible_spaces", "access_aisle_width_mm",
                "aisle_level_with_bay", "surface_slope_pct", "ground_marking_present",
                "guidance_sign_present"],
    "crossing_signal": ["audible_signal_present", "pushbutton_present", "curb_ramps_both_ends",
                        "warning_tactile_present", "crossing_island_present",
                        "island_clear_width_mm"],
    "tactile_paving": ["obstructed", "continuous", "warning_at_start_end_turns",
                       "contrasts_with_pavement", "width_mm"],
    "entrance": ["door_clear_width_mm", "is_new_construction", "threshold_height_mm",
                 "threshold_bevel_slope_pct", "revolving_door", "opening_force_n",
                 "closer_time_s", "platform_depth_mm"],
}

UNIT_SUFFIX = {"_pct": "%", "_mm": "mm", "_m2": "m²", "_n": "N", "_s": "s"}


def test_contract_fields_and_units() -> None:
    assert set(FACILITY_TYPES) == set(SCHEMAS) == set(FACILITY_LABELS) == set(CONTRACT_FIELDS)
    for ftype, names in CONTRACT_FIELDS.items():
        fields = {f.name: f for f in SCHEMAS[ftype]}
        assert set(names) <= set(fields), set(names) - set(fields)
        for f in fields.values():
            assert f.label_zh and f.label_en
            if f.kind == "number":
                suffix = next(s for s in UNIT_SUFFIX if f.name.endswith(s))
                assert f.unit == UNIT_SUFFIX[suffix], f.name
                assert f.minimum is not None and f.maximum is not None and f.typical
            if f.kind == "choice":
                assert len(f.choices) == len(f.choice_labels) >= 2
    assert SCHEMAS["curb_ramp"][0].choices == ("full_width", "three_sided", "other")
    assert {f.name: f for f in SCHEMAS["toilet"]}["door_type"].choices == (
        "sliding", "outward_swing", "inward_swing")


def test_coercion_and_not_measured() -> None:
    m = validate_measurements("toilet", {
        "toilet_kind": " accessible_stall ",
        "internal_width_mm": "1,800",
        "internal_depth_mm": 1500,
        "call_button_present": "是",
        "grab_bars_present": "no",
        "openable_from_outside": 1,
        "signage_present": "TRUE",
        "washbasin_present": None,
        "door_type": "",
        "turning_diameter_mm": float("nan"),
    })
    assert m["toilet_kind"] == "accessible_stall"
    assert m["internal_width_mm"] == 1800.0 and m["internal_depth_mm"] == 1500.0
    assert m["call_button_present"] is True and m["grab_bars_present"] is False
    assert m["openable_from_outside"] is True and m["signage_present"] is True
    for name in ("washbasin_present", "door_type", "turning_diameter_mm"):
        assert name not in m  # not measured, never zero
    assert m["area_m2"] == pytest.approx(2.7)  # derived from width x depth


def test_choice_labels_are_accepted() -> None:
    m = validate_measurements("toilet", {"door_type": "向外开启的平开门"})
    assert m["door_type"] == "outward_swing"
    assert validate_measurements("toilet", {"door_type": "Sliding door"})["door_type"] == "sliding"


def test_defaults_fill_context_flags_only() -> None:
    assert validate_measurements("ramp", {}) == {"in_dwelling": False}
    # automatic_door has no default any more: unrecorded, both branches are judged (issue 12)
    assert validate_measurements("entrance", {}) == {"fire_door": False}
    assert validate_measurements("tactile_paving", {}) == {}


def test_area_is_kept_when_given() -> None:
    m = validate_measurements("toilet", {"area_m2": 4.2, "internal_width_mm": 1000,
                                         "internal_depth_mm": 1000})
    assert m["area_m2"] == 4.2


def test_every_bad_field_is_reported() -> None:
    with pytest.raises(InputError) as info:
        validate_measurements("ramp", {
            "running_slope_pct": 300,
            "clear_width_mm": -5,
            "handrails_both_sides": "maybe",
            "colour": "red",
            "rise_mm": "high",
        })
    fields = {p.field for p in info.value.problems}
    assert fields == {"running_slope_pct", "clear_width_mm", "handrails_both_sides", "colour",
                      "rise_mm"}
    msg = str(info.value)
    assert "300" in msg and "0 to 100 %" in msg and "-5" in msg and "0 to 10000 mm" in msg


def test_bad_choice_and_integer() -> None:
    with pytest.raises(InputError) as info:
        validate_measurements("parking", {"total_spaces": 10.5, "accessible_spaces": True})
    assert {p.field for p in info.value.problems} == {"total_spaces", "accessible_spaces"}
    with pytest.raises(InputError, match="full_width, three_sided, other"):
        validate_measurements("curb_ramp", {"curb_ramp_type": "round"})


def test_unknown_facility_type() -> None:
    with pytest.raises(InputError, match="one of ramp, curb_ramp"):
        validate_measurements("bridge", {})


def test_contradictions_and_implications() -> None:
    with pytest.raises(InputError, match="handrail_present"):
        validate_measurements("ramp", {"handrails_both_sides": True, "handrail_present": False})
    assert validate_measurements("ramp", {"handrails_both_sides": True})["handrail_present"]
    m = validate_measurements("ramp", {"handrail_present": False})
    assert m["handrails_both_sides"] is False and m["double_handrail"] is False
    with pytest.raises(InputError, match="at most `total_spaces`"):
        validate_measurements("parking", {"total_spaces": 5, "accessible_spaces": 6})


def test_non_finite_numbers_are_rejected() -> None:
    with pytest.raises(InputError):
        validate_measurements("ramp", {"rise_mm": math.inf})


@pytest.mark.parametrize("ftype", FACILITY_TYPES)
def test_random_measurements_are_valid_and_mixed(ftype: str) -> None:
    from audit.scoring import evaluate

    rng = np.random.default_rng(7)
    verdicts = set()
    for _ in range(300):
        raw = random_measurements(ftype, rng)
        validate_measurements(ftype, raw)
        verdicts.add(evaluate(ftype, raw).verdict)
    assert {"non_compliant", "compliant"} <= verdicts, verdicts


def test_random_measurements_is_deterministic_and_honours_missing_rate() -> None:
    a = [random_measurements("ramp", np.random.default_rng(3)) for _ in range(2)]
    assert a[0] == a[1]
    rng = np.random.default_rng(0)
    assert all(random_measurements("entrance", rng, missing_rate=1.0) == {} for _ in range(5))
    full = random_measurements("entrance", rng, missing_rate=0.0)
    # every field is drawn, except the measurements of a feature drawn absent
    absent = {i.field for i in IMPLICATIONS["entrance"] if full.get(i.flag) is False}
    assert set(full) == {f.name for f in SCHEMAS["entrance"]} - absent
    for _ in range(50):
        full = random_measurements("entrance", rng, missing_rate=0.0)
        absent = {i.field for i in IMPLICATIONS["entrance"] if full.get(i.flag) is False}
        assert set(full) == {f.name for f in SCHEMAS["entrance"]} - absent
    with pytest.raises(InputError):
        random_measurements("ramp", rng, missing_rate=2)
