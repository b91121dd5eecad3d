"""Facility types and their measurement schemas: the vocabulary inspectors record.

One source of truth: these schemas drive the audit form, the XLSForm, the import validator, the
vectorised scorer and the docs. Every field is declared here with everything the engine needs to
read it the way an inspector meant it (docs/SCORING.md explains each in zh and en):

- **unit and hard range**: the unit is in the field name; a value outside ``minimum``–``maximum``
  (a slope of 300 %, a negative width) is impossible and rejected, naming field, value and range;
- **plausible range** (``plausible``, both sides): a value outside it is possible but more likely a
  unit slip (0.8 typed for a rise of 800 mm, a slope typed as 0.15 or in degrees, a force in kgf).
  It is reported as *suspect* with "did you mean" hints (:data:`SLIPS`); until the inspector
  confirms it (listed under :data:`CONFIRM_KEY`) no finding reads it, and ``strict`` rejects it;
- **input resolution** (``resolution``): readings are compared with thresholds after rounding to
  it, so 8.333333333333334 % (1:12 as a double) passes 1:12 while 8.34 % fails;
- **implied presence** (``implies``): a bollard gap can only be measured where there are bollards,
  so a measured gap implies ``bollards_present``; a presence flag set to "no" together with a
  measurement of that feature is a contradiction and rejected, naming both fields;
- **questions** (``question_zh``/``question_en``) for context flags that split a rule into branches
  (new or existing building, automatic door, priority area): the finding asks them when the answer
  decides the verdict.

A field left out, ``None``, ``""`` or NaN means **not measured**: it is dropped, never read as zero.
Two context flags have a documented default (``in_dwelling``, ``fire_door``: ``False``, the
ordinary case) and are filled in when absent.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Literal, TypeGuard

from audit.errors import InputError, Problem

if TYPE_CHECKING:
    import numpy as np

FieldKind = Literal["number", "integer", "bool", "choice"]
ImpliesOn = Literal["recorded", "true", "positive"]

FACILITY_TYPES: tuple[str, ...] = (
    "ramp",
    "curb_ramp",
    "toilet",
    "parking",
    "crossing_signal",
    "tactile_paving",
    "entrance",
)

FACILITY_LABELS: dict[str, tuple[str, str]] = {
    "ramp": ("轮椅坡道", "Wheelchair ramp"),
    "curb_ramp": ("缘石坡道", "Curb ramp"),
    "toilet": ("无障碍厕所/厕位", "Accessible toilet or stall"),
    "parking": ("无障碍机动车停车位", "Accessible parking"),
    "crossing_signal": ("人行横道/过街音响提示装置", "Pedestrian crossing and audible signal"),
    "tactile_paving": ("盲道", "Tactile paving"),
    "entrance": ("无障碍出入口/门", "Accessible entrance and door"),
}

#: The key of a measurement dict that lists the fields whose out-of-range values the inspector
#: has confirmed (a list of field names, or one string separated by spaces or commas, as an ODK
#: ``select_multiple`` exports it). It is stored with the measurements.
CONFIRM_KEY = "confirmed_values"


@dataclass(frozen=True)
class Slip:
    """A typical unit slip: what was typed (``typed_unit``) and how to read it in the field's
    unit (``convert``). Used for "did you mean" hints only, never applied silently."""

    name: str
    typed_unit: str
    convert: Callable[[float], float]
    label_zh: str
    label_en: str


def _degrees_to_pct(x: float) -> float:
    return math.tan(math.radians(x)) * 100 if 0 <= x < 90 else math.nan


#: Slips by name. A field lists the ones that fit its unit in ``slips``.
SLIPS: dict[str, Slip] = {
    "m": Slip("m", "m", lambda x: x * 1000, "按米输入", "typed in metres"),
    "cm": Slip("cm", "cm", lambda x: x * 10, "按厘米输入", "typed in centimetres"),
    "fraction": Slip("fraction", "", lambda x: x * 100, "按小数比值输入", "typed as a fraction"),
    "degrees": Slip("degrees", "°", _degrees_to_pct, "按角度输入", "typed in degrees"),
    "kgf": Slip("kgf", "kgf", lambda x: x * 9.80665, "按公斤力输入", "typed in kgf"),
    "ms": Slip("ms", "ms", lambda x: x / 1000, "按毫秒输入", "typed in milliseconds"),
}
_SLIPS_BY_UNIT: dict[str | None, tuple[str, ...]] = {
    "mm": ("m", "cm"), "%": ("fraction", "degrees"), "N": ("kgf",), "s": ("ms",),
}
#: Input resolution by unit: readings are rounded to it before they are compared.
RESOLUTION_BY_UNIT: dict[str | None, Fraction] = {
    "mm": Fraction(1), "%": Fraction(1, 100), "m²": Fraction(1, 100), "N": Fraction(1, 2),
    "s": Fraction(1, 10), None: Fraction(1),
}


@dataclass(frozen=True)
class MeasurementField:
    """One thing an inspector records for a facility.

    ``minimum``/``maximum`` bound the *possible* values (a value outside is rejected);
    ``plausible`` bounds the *likely* ones (a value outside is suspect, see the module docstring);
    ``zero_plausible`` says that exactly 0 is a likely reading too (no level change at all).
    Neither is a compliance threshold: those live in the ruleset. ``resolution`` is the step
    readings are compared at; ``step`` the increment of a form widget; ``slips`` the unit slips
    suggested as "did you mean" hints. ``implies`` names the presence flag a reading of this field
    implies (``implies_on``: any recorded value, only ``True``, or — for a count — a positive
    value, with 0 implying the flag is false). ``typical`` is the range demo data is drawn from
    and ``demo_p_true`` the share of ``True`` for a demo boolean.
    """

    name: str
    kind: FieldKind
    label_zh: str
    label_en: str
    unit: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    choice_labels: tuple[tuple[str, str], ...] = ()
    help_zh: str = ""
    help_en: str = ""
    default: Any = None
    step: float | None = None
    typical: tuple[float, float] | None = None
    demo_p_true: float = 0.75
    plausible: tuple[float, float] | None = None
    zero_plausible: bool = False
    resolution: Fraction | None = None
    slips: tuple[str, ...] = ()
    implies: str | None = None
    implies_on: ImpliesOn = "recorded"
    question_zh: str = ""
    question_en: str = ""

    @property
    def is_numeric(self) -> bool:
        return self.kind in ("number", "integer")

    @property
    def scale(self) -> tuple[int, int]:
        """``(mul, div)``: a reading ``x`` is ``rint(x * mul / div)`` resolution steps."""
        res = self.resolution if self.resolution is not None else Fraction(1)
        return res.denominator, res.numerator

    def allowed_text(self) -> str:
        """What this field accepts, in words (used in error messages)."""
        if self.kind == "bool":
            return "true or false (yes/no, 1/0, 是/否)"
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        unit = f" {self.unit}" if self.unit else ""
        whole = "a whole number" if self.kind == "integer" else "a number"
        return f"{whole} from {_fmt(self.minimum)} to {_fmt(self.maximum)}{unit}"

    def plausible_text(self) -> str:
        """The plausible range in words, e.g. ``20 to 2000 mm (or 0)``."""
        if self.plausible is None:
            return self.allowed_text()
        unit = f" {self.unit}" if self.unit else ""
        zero = " (or 0)" if self.zero_plausible else ""
        return f"{_fmt(self.plausible[0])} to {_fmt(self.plausible[1])}{unit}{zero}"

    def choice_label(self, choice: str, language: str = "zh") -> str:
        """The label of one choice in ``zh`` or ``en``."""
        zh, en = self.choice_labels[self.choices.index(choice)]
        return zh if language.startswith("zh") else en

    def question(self, language: str = "zh") -> str:
        """The question that records this context flag (its label with a question mark if none
        is declared)."""
        if language.startswith("zh"):
            return self.question_zh or f"{self.label_zh}？"
        return self.question_en or f"{self.label_en}?"


def _fmt(value: float | None) -> str:
    if value is None:
        return "?"
    return f"{value:g}"


def _num(
    name: str,
    unit: str,
    label_zh: str,
    label_en: str,
    maximum: float,
    typical: tuple[float, float],
    plausible: tuple[float, float],
    *,
    minimum: float = 0.0,
    step: float = 1.0,
    zero: bool = False,
    resolution: Fraction | None = None,
    implies: str | None = None,
    help_zh: str = "",
    help_en: str = "",
) -> MeasurementField:
    return MeasurementField(
        name=name,
        kind="number",
        unit=unit,
        label_zh=label_zh,
        label_en=label_en,
        minimum=minimum,
        maximum=maximum,
        step=step,
        typical=typical,
        plausible=plausible,
        zero_plausible=zero,
        resolution=resolution if resolution is not None else RESOLUTION_BY_UNIT[unit],
        slips=_SLIPS_BY_UNIT.get(unit, ()),
        implies=implies,
        help_zh=help_zh,
        help_en=help_en,
    )


def _int(
    name: str,
    label_zh: str,
    label_en: str,
    minimum: int,
    maximum: int,
    typical: tuple[float, float],
    plausible: tuple[float, float],
    *,
    implies: str | None = None,
    implies_on: ImpliesOn = "recorded",
    help_zh: str = "",
    help_en: str = "",
) -> MeasurementField:
    return MeasurementField(
        name=name,
        kind="integer",
        unit=None,
        label_zh=label_zh,
        label_en=label_en,
        minimum=minimum,
        maximum=maximum,
        step=1,
        typical=typical,
        plausible=plausible,
        resolution=Fraction(1),
        implies=implies,
        implies_on=implies_on,
        help_zh=help_zh,
        help_en=help_en,
    )


def _bool(
    name: str,
    label_zh: str,
    label_en: str,
    *,
    default: bool | None = None,
    p_true: float = 0.75,
    implies: str | None = None,
    implies_on: ImpliesOn = "recorded",
    question: tuple[str, str] = ("", ""),
    help_zh: str = "",
    help_en: str = "",
) -> MeasurementField:
    return MeasurementField(
        name=name,
        kind="bool",
        label_zh=label_zh,
        label_en=label_en,
        default=default,
        demo_p_true=p_true,
        implies=implies,
        implies_on=implies_on,
        question_zh=question[0],
        question_en=question[1],
        help_zh=help_zh,
        help_en=help_en,
    )


def _choice(
    name: str,
    label_zh: str,
    label_en: str,
    choices: tuple[tuple[str, str, str], ...],
    *,
    question: tuple[str, str] = ("", ""),
    help_zh: str = "",
    help_en: str = "",
) -> MeasurementField:
    return MeasurementField(
        name=name,
        kind="choice",
        label_zh=label_zh,
        label_en=label_en,
        choices=tuple(c[0] for c in choices),
        choice_labels=tuple((c[1], c[2]) for c in choices),
        question_zh=question[0],
        question_en=question[1],
        help_zh=help_zh,
        help_en=help_en,
    )


_SLOPE_HELP_ZH = ("以百分比记录（高差/水平长度×100），1:12 = 8.33 %，1:20 = 5 %，1:50 = 2 %。"
                  "不要填角度（5° = 8.75 %）或小数比值（0.08 = 8 %）。")
_SLOPE_HELP_EN = ("As a percentage (rise / run × 100): 1:12 = 8.33 %, 1:20 = 5 %, 1:50 = 2 %. "
                  "Not in degrees (5° = 8.75 %) and not as a fraction (0.08 = 8 %).")
_LEVEL_RES = Fraction(1, 2)  # level changes (lips, thresholds) are read to 0.5 mm
_GRAB_BAR_RES = Fraction(10)  # the code gives grab-bar positions to the centimetre (700 mm, 1.40 m)
_Q_NEW = ("这是新建或扩建建筑（是），还是既有建筑改造或改建（否）？",
          "Is this new construction or an extension (yes), or a retrofit of an existing "
          "building (no)?")

SCHEMAS: dict[str, tuple[MeasurementField, ...]] = {
    "ramp": (
        _num("running_slope_pct", "%", "纵向坡度", "Running slope", 100, (3, 13), (1, 35),
             step=0.1, help_zh=_SLOPE_HELP_ZH, help_en=_SLOPE_HELP_EN),
        _num("cross_slope_pct", "%", "横向坡度", "Cross slope", 50, (0, 3.5), (0.1, 15),
             step=0.1, zero=True, help_zh=_SLOPE_HELP_ZH, help_en=_SLOPE_HELP_EN),
        _num("rise_mm", "mm", "坡段提升高度", "Rise of one run", 5000, (60, 950), (20, 2500),
             help_zh="一段坡道起止点之间的高差。", help_en="Height difference between the two "
             "ends of one run (between landings)."),
        _bool("site_constrained", "条件受限（场地无法按 1:12 设置）",
              "Site constrained (a 1:12 ramp cannot be fitted)", p_true=0.3,
              help_zh="GB 55019 2.3.1 的 1:10 例外只适用于条件受限的场地，请如实记录。",
              help_en="The 1:10 exception of GB 55019 2.3.1 applies only where the site is "
              "constrained; record it as found."),
        _num("clear_width_mm", "mm", "通行净宽", "Clear width", 10000, (850, 1700), (500, 6000),
             help_zh="两侧墙面、固定障碍物或扶手之间的净距离。",
             help_en="Between walls, fixed obstacles or handrails."),
        _num("landing_length_mm", "mm", "平台水平长度", "Landing length", 20000, (900, 2100),
             (500, 15000), help_zh="起点、终点和休息平台中最短者。", help_en="The shortest of "
             "the top, bottom and intermediate landings."),
        _num("landing_width_mm", "mm", "平台通行净宽", "Landing clear width", 10000, (800, 1900),
             (500, 6000), help_zh="平台中最窄处。", help_en="The narrowest landing."),
        _bool("handrail_present", "设有扶手（至少一侧）", "Handrail fitted (at least one side)",
              p_true=0.8),
        _bool("handrails_both_sides", "两侧均设扶手", "Handrails on both sides", p_true=0.6,
              implies="handrail_present", implies_on="true"),
        _bool("handrails_continuous", "扶手全长连贯", "Handrails continuous over the full length",
              implies="handrail_present"),
        _num("handrail_height_mm", "mm", "扶手高度（单层或上层）", "Handrail height (single or "
             "upper rail)", 2000, (780, 980), (500, 1300), implies="handrail_present"),
        _bool("double_handrail", "设双层扶手", "Double (two-level) handrail", p_true=0.3,
              implies="handrail_present", implies_on="true"),
        _num("handrail_lower_height_mm", "mm", "下层扶手高度", "Lower handrail height", 2000,
             (600, 760), (400, 1000), implies="double_handrail"),
        _num("handrail_extension_mm", "mm", "扶手起终点水平延伸长度",
             "Handrail horizontal extension at the ends", 2000, (50, 420), (50, 1000), zero=True,
             implies="handrail_present"),
        _num("handrail_wall_clearance_mm", "mm", "扶手内侧与墙面净距",
             "Handrail clearance from the wall", 500, (25, 70), (15, 200),
             implies="handrail_present"),
        _bool("handrail_contrasts", "扶手与背景有明显颜色或亮度对比",
              "Handrail contrasts with its background", implies="handrail_present"),
        _bool("has_open_side", "有临空侧", "Has an open (unwalled) side", p_true=0.5),
        _bool("edge_protection", "临空侧设安全阻挡措施", "Edge protection on the open side"),
        _bool("surface_non_slip", "坡面平整、防滑", "Surface even and non-slip", p_true=0.8),
        _bool("in_dwelling", "位于住宅户内或客房内", "Inside a dwelling or guest room",
              default=False, p_true=0.05,
              help_zh="户内坡道不执行 1.20 m 净宽要求；一般场所请保持“否”。",
              help_en="The 1.20 m width rule does not apply inside dwellings; leave unticked "
              "elsewhere."),
    ),
    "curb_ramp": (
        _choice("curb_ramp_type", "缘石坡道形式", "Curb-ramp type", (
            ("full_width", "全宽式单面坡", "Full-width single slope"),
            ("three_sided", "三面坡", "Three-sided (flared)"),
            ("other", "其他形式", "Other type"),
        ), question=("缘石坡道是哪种形式（全宽式单面坡、三面坡或其他）？",
                     "Which type of curb ramp is it (full-width, three-sided or other)?")),
        _num("running_slope_pct", "%", "坡道（正面）坡度", "Running slope (front)", 100, (3, 12),
             (1, 35), step=0.1, help_zh=_SLOPE_HELP_ZH, help_en=_SLOPE_HELP_EN),
        _num("side_slope_pct", "%", "侧面坡度", "Side (flare) slope", 100, (4, 14), (1, 40),
             step=0.1, help_zh=_SLOPE_HELP_ZH, help_en=_SLOPE_HELP_EN),
        _num("opening_width_mm", "mm", "坡口宽度", "Opening width", 20000, (1000, 3200),
             (500, 20000)),
        _num("footway_width_mm", "mm", "人行道宽度", "Footway width", 20000, (1500, 4500),
             (500, 20000), help_zh="全宽式缘石坡道的宽度应与人行道宽度一致。",
             help_en="A full-width curb ramp spans the whole footway."),
        _num("lip_height_mm", "mm", "坡口与车行道高差", "Lip height above the carriageway", 300,
             (0, 25), (0.5, 200), zero=True, step=0.5, resolution=_LEVEL_RES),
        _bool("warning_tactile_present", "坡道下口设提示盲道", "Warning tactile strip at the "
              "bottom"),
        _num("tactile_setback_mm", "mm", "提示盲道距路缘石距离", "Warning strip set-back from "
             "the curb", 2000, (150, 420), (50, 1500), implies="warning_tactile_present"),
        _num("warning_strip_length_mm", "mm", "提示盲道长度", "Warning strip length", 20000,
             (900, 3200), (300, 20000), implies="warning_tactile_present",
             help_zh="沿路缘石方向量取，应与缘石坡道的宽度相对应。",
             help_en="Measured along the curb; it should match the width of the curb ramp."),
        _num("top_landing_width_mm", "mm", "顶端过渡空间宽度", "Top landing (transition) width",
             10000, (500, 1400), (300, 10000)),
        _bool("grate_on_ramp", "上下坡处设有雨水箅子", "Drain grate on the ramp", p_true=0.2),
        _bool("bollards_present", "设有阻车桩", "Bollards present", p_true=0.4),
        _num("bollard_clear_gap_mm", "mm", "阻车桩净间距", "Clear gap between bollards", 5000,
             (650, 1250), (300, 3000), implies="bollards_present"),
        _bool("surface_non_slip", "坡面平整、防滑", "Surface even and non-slip", p_true=0.8),
    ),
    "toilet": (
        _choice("toilet_kind", "类型", "Kind", (
            ("accessible_toilet", "独立无障碍厕所", "Accessible (unisex) toilet room"),
            ("accessible_stall", "无障碍厕位", "Accessible stall in a public toilet"),
        ), question=("这是独立无障碍厕所，还是公共厕所中的无障碍厕位？",
                     "Is this an accessible toilet room or a stall in a public toilet?")),
        _num("internal_width_mm", "mm", "内部净宽", "Internal width", 10000, (1300, 2500),
             (800, 6000)),
        _num("internal_depth_mm", "mm", "内部净深", "Internal depth", 10000, (1300, 2500),
             (800, 6000)),
        _num("area_m2", "m²", "内部面积", "Internal area", 100, (2.5, 6), (1, 40), step=0.01,
             help_zh="未填写时由净宽 × 净深计算。", help_en="Derived from width × depth when "
             "left empty."),
        _num("turning_diameter_mm", "mm", "轮椅回转空间直径", "Wheelchair turning diameter", 5000,
             (1200, 1800), (800, 3000)),
        _choice("door_type", "门的形式", "Door type", (
            ("sliding", "水平滑动式门（推拉门）", "Sliding door"),
            ("outward_swing", "向外开启的平开门", "Outward-swinging door"),
            ("inward_swing", "向内开启的平开门", "Inward-swinging door"),
        )),
        _num("door_clear_width_mm", "mm", "门通行净宽", "Door clear width", 3000, (720, 1050),
             (500, 2500)),
        _bool("is_new_construction", "新建或扩建", "New construction or extension",
              question=_Q_NEW, help_zh="“否”表示既有建筑改造。", help_en="No means a retrofit "
              "of an existing building."),
        _bool("call_button_present", "设救助呼叫装置", "Emergency call device"),
        _bool("grab_bars_present", "设安全抓杆", "Grab bars"),
        _num("grab_bar_horizontal_height_mm", "mm", "水平安全抓杆距地面高度",
             "Horizontal grab bar height above the floor", 2500, (650, 760), (300, 1200),
             resolution=_GRAB_BAR_RES, implies="grab_bars_present",
             help_zh="按 10 mm 记录（条文写作 700mm）。", help_en="Recorded to 10 mm (the "
             "clause gives 700 mm)."),
        _num("grab_bar_horizontal_length_mm", "mm", "水平安全抓杆长度",
             "Horizontal grab bar length", 3000, (500, 900), (200, 2000),
             implies="grab_bars_present"),
        _num("grab_bar_vertical_height_mm", "mm", "垂直安全抓杆高度",
             "Vertical grab bar height", 3000, (1300, 1500), (800, 2200),
             resolution=_GRAB_BAR_RES, implies="grab_bars_present",
             help_zh="按条文“高1.40m”量取，按 10 mm 记录。",
             help_en="As the clause gives it (\"1.40 m high\"), recorded to 10 mm."),
        _bool("openable_from_outside", "门在紧急情况下可从外面打开", "Door can be opened from "
              "outside in an emergency"),
        _bool("washbasin_present", "设无障碍洗手盆", "Accessible washbasin"),
        _bool("signage_present", "设无障碍标识", "Accessibility sign"),
    ),
    "parking": (
        _int("total_spaces", "停车位总数", "Total parking spaces", 1, 100000, (5, 450),
             (1, 20000)),
        _choice("car_park_class", "公共停车场（库）类别", "Public car park class", (
            ("class_1", "Ⅰ类公共停车场（库）", "Class I public car park"),
            ("class_2", "Ⅱ类公共停车场（库）", "Class II public car park"),
            ("class_3", "Ⅲ类公共停车场（库）", "Class III public car park"),
            ("class_4", "Ⅳ类公共停车场（库）", "Class IV public car park"),
            ("not_public", "非独立公共停车场（库）", "Not an independent public car park"),
        ), question=("这是哪一类公共停车场（库）？", "Which class of public car park is it?"),
            help_zh="按 GB 50763 8.10.2 的分类；不是独立的公共停车场（库）时选最后一项。",
            help_en="As classed for GB 50763 8.10.2; choose the last option for other car "
            "parks."),
        _bool("accessible_bay_present", "设有无障碍停车位", "Accessible parking space provided",
              p_true=0.8),
        _int("accessible_spaces", "无障碍停车位数", "Accessible spaces", 0, 10000, (0, 6),
             (0, 2000), implies="accessible_bay_present", implies_on="positive"),
        _num("access_aisle_width_mm", "mm", "轮椅通道宽度", "Access aisle width", 10000,
             (800, 1600), (500, 5000), implies="accessible_bay_present"),
        _bool("aisle_level_with_bay", "轮椅通道与车位无高差", "Aisle flush with the bay",
              implies="accessible_bay_present"),
        _num("surface_slope_pct", "%", "地面坡度", "Surface slope", 30, (0, 3.5), (0.1, 15),
             step=0.1, zero=True, implies="accessible_bay_present",
             help_zh=_SLOPE_HELP_ZH, help_en=_SLOPE_HELP_EN),
        _bool("ground_marking_present", "设停车线、轮椅通道线和无障碍标志",
              "Bay lines, aisle lines and the access symbol marked",
              implies="accessible_bay_present", implies_on="true"),
        _bool("guidance_sign_present", "设引导标识", "Guidance (wayfinding) signs",
              implies="accessible_bay_present", implies_on="true"),
        _bool("drop_off_zone_present", "设无障碍上/落客区", "Accessible drop-off zone", p_true=0.3),
        _num("drop_off_width_mm", "mm", "上/落客区宽度", "Drop-off zone width", 20000,
             (1800, 3000), (1000, 10000), implies="drop_off_zone_present"),
        _num("drop_off_length_mm", "mm", "上/落客区长度", "Drop-off zone length", 50000,
             (5000, 8500), (2000, 30000), implies="drop_off_zone_present"),
    ),
    "crossing_signal": (
        _bool("priority_area", "位于城市中心区或视觉障碍者集中区域",
              "In a city centre or an area where visually impaired people concentrate",
              p_true=0.5, question=(
                  "该人行横道位于城市中心区或视觉障碍者集中区域吗？",
                  "Is the crossing in a city centre or an area where visually impaired people "
                  "concentrate?")),
        _bool("audible_signal_present", "设过街音响提示装置", "Audible crossing signal",
              p_true=0.5),
        _bool("pushbutton_present", "设行人按钮", "Pedestrian push-button", p_true=0.5),
        _bool("level_difference", "人行横道两端与车行道之间有高差",
              "Level difference between footway and carriageway at the ends", p_true=0.8,
              question=("人行横道两端的人行道与车行道之间有高差吗？",
                        "Is there a level difference between the footway and the carriageway "
                        "at the ends of the crossing?")),
        _bool("curb_ramps_both_ends", "两端设缘石坡道", "Curb ramps at both ends"),
        _bool("warning_tactile_present", "两端设提示盲道", "Warning tactile paving at both ends"),
        _bool("crossing_island_present", "设安全岛", "Refuge island", p_true=0.3),
        _num("island_clear_width_mm", "mm", "安全岛通行净宽", "Refuge island clear width", 20000,
             (900, 2500), (500, 20000), implies="crossing_island_present"),
    ),
    "tactile_paving": (
        _bool("obstructed", "盲道被占用或有障碍物", "Obstructed (poles, trees, bikes, covers)",
              p_true=0.3),
        _bool("continuous", "盲道连续", "Continuous"),
        _bool("warning_at_start_end_turns", "起点、终点和拐弯处设提示盲道",
              "Warning paving at the start, end and turns"),
        _bool("warning_strip_width_ok", "提示盲道宽度满足设计要求",
              "Warning strip width meets the design requirement", p_true=0.7,
              help_zh="GB 55019 2.11.3 条文说明要求提示盲道宽度满足一定要求，但未查到具体数值："
              "按设计文件核对。", help_en="The commentary of GB 55019 2.11.3 regulates the "
              "warning-strip width, but no number was found: check against the design "
              "documents."),
        _bool("contrasts_with_pavement", "与相邻铺面颜色或材质有差异",
              "Contrasts with the surrounding paving"),
        _num("width_mm", "mm", "行进盲道宽度", "Guiding strip width", 2000, (200, 600),
             (150, 1000)),
        _bool("grate_present", "通行路线上有井盖或箅子", "Manhole cover or grate on the route",
              p_true=0.4),
        _num("grate_opening_mm", "mm", "井盖、箅子孔洞宽度或直径（最大处）",
             "Largest grate or cover opening (width or diameter)", 300, (8, 25), (3, 150),
             implies="grate_present"),
        _bool("grate_slots_perpendicular", "条状孔洞垂直于通行方向",
              "Slots perpendicular to the direction of travel", implies="grate_present"),
    ),
    "entrance": (
        _num("door_clear_width_mm", "mm", "门通行净宽", "Door clear width", 5000, (720, 1150),
             (500, 4000)),
        _bool("is_new_construction", "新建或扩建", "New construction or extension",
              question=_Q_NEW, help_zh="“否”表示既有建筑改造。", help_en="No means a retrofit "
              "of an existing building."),
        _bool("automatic_door", "自动门", "Automatic door", p_true=0.2,
              question=("这是自动门吗？", "Is it an automatic door?"),
              help_zh="手动门请选“否”；未记录时按自动门和手动门两种情况判断。",
              help_en="Choose no for a manual door; left unchecked, both cases are judged."),
        _num("auto_door_control_height_mm", "mm", "自动门手动控制装置中心高度",
             "Automatic door: height of the manual control centre", 2500, (780, 1080),
             (500, 1800), implies="automatic_door"),
        _bool("swing_door", "平开门", "Hinged (swing) door", p_true=0.7,
              question=("这是平开门吗？", "Is it a hinged (swing) door?")),
        _bool("fire_door", "防火门", "Fire door", default=False, p_true=0.1,
              question=("这是防火门吗？", "Is it a fire door?"),
              help_zh="非防火门请保持“否”。", help_en="Leave unticked unless it is a fire door."),
        _bool("sill_present", "设有门槛或挡块", "Raised sill or door stop", p_true=0.2,
              help_zh="GB 55019 2.5.3 不允许设门槛和挡块；门口高差另行记录。",
              help_en="GB 55019 2.5.3 forbids sills and door stops; record a level change "
              "separately."),
        _num("threshold_height_mm", "mm", "门口高差", "Level change at the door", 500, (3, 35),
             (3, 300), zero=True, step=0.5, resolution=_LEVEL_RES,
             help_zh="门内外地面的高差（以斜面过渡的部分），没有高差填 0。",
             help_en="Difference in floor level across the door (the bevelled part); 0 when "
             "there is none."),
        _num("threshold_bevel_slope_pct", "%", "高差处斜面坡度", "Bevel slope at the level "
             "change", 100, (5, 25), (1, 100), step=0.1, help_zh=_SLOPE_HELP_ZH,
             help_en=_SLOPE_HELP_EN),
        _bool("revolving_door", "旋转门", "Revolving door", p_true=0.1),
        _num("opening_force_n", "N", "开启力", "Opening force", 500, (10, 40), (5, 200),
             step=0.5),
        _bool("door_closer_present", "设闭门器", "Door closer fitted", p_true=0.6),
        _num("closer_time_s", "s", "闭门时间", "Closing time", 120, (1, 7), (0.5, 30), step=0.1,
             implies="door_closer_present",
             help_zh="从闭门器最大受控角度到完全关闭前 10° 的时间。",
             help_en="From the closer's largest controlled angle to 10° before closed."),
        _num("handle_height_mm", "mm", "把手操作部位高度", "Handle height", 2500, (750, 1150),
             (500, 1500)),
        _bool("doors_in_series", "连续设置多道门", "Doors in series (a lobby)", p_true=0.3),
        _num("door_series_clear_mm", "mm", "两道门之间的净间距（除去门扇摆动空间）",
             "Clear space between doors in series (door swing excluded)", 20000, (1100, 2100),
             (300, 20000), implies="doors_in_series"),
        _bool("level_entrance", "平坡出入口", "Level (step-free, gently sloped) entrance",
              p_true=0.4),
        _num("entrance_slope_pct", "%", "出入口地面坡度", "Slope of the entrance approach", 50,
             (1, 7), (0.1, 30), step=0.1, zero=True,
             help_zh="平坡出入口的坡度不应大于 1:20（5 %）。" + _SLOPE_HELP_ZH,
             help_en="A level entrance slopes at most 1:20 (5 %). " + _SLOPE_HELP_EN),
        _num("platform_depth_mm", "mm", "门前平台净深度", "Platform depth in front of the door",
             20000, (1000, 2100), (500, 20000)),
        _bool("grate_present", "出入口通行路线上有井盖或箅子",
              "Manhole cover or grate on the entrance route", p_true=0.3),
        _num("grate_opening_mm", "mm", "井盖、箅子孔洞宽度或直径（最大处）",
             "Largest grate or cover opening (width or diameter)", 300, (8, 25), (3, 150),
             implies="grate_present"),
        _bool("grate_slots_perpendicular", "条状孔洞垂直于通行方向",
              "Slots perpendicular to the direction of travel", implies="grate_present"),
        _bool("signage_present", "设无障碍标识", "Accessibility sign"),
    ),
}


@dataclass(frozen=True)
class Implication:
    """``field`` recorded implies the presence flag ``flag`` (see :class:`MeasurementField`)."""

    field: str
    flag: str
    on: ImpliesOn

    def implied(self, value: Any) -> bool | None:
        """The value ``value`` of ``field`` implies for ``flag`` (None: it implies nothing)."""
        if self.on == "recorded":
            return True
        if self.on == "true":
            return True if value is True else None
        return bool(value > 0)


#: The implications of each facility type, declared on the fields (``implies``), in schema order.
IMPLICATIONS: dict[str, tuple[Implication, ...]] = {
    t: tuple(Implication(f.name, f.implies, f.implies_on) for f in fields if f.implies)
    for t, fields in SCHEMAS.items()
}

_FIELDS: dict[str, dict[str, MeasurementField]] = {
    t: {f.name: f for f in fields} for t, fields in SCHEMAS.items()
}

_TRUE_WORDS = frozenset({"true", "yes", "y", "1", "是", "有", "t"})
_FALSE_WORDS = frozenset({"false", "no", "n", "0", "否", "无", "f"})


def schema(facility_type: str) -> dict[str, MeasurementField]:
    """Fields of one facility type by name; raises :class:`InputError` for an unknown type."""
    try:
        return _FIELDS[facility_type]
    except (KeyError, TypeError):  # TypeError: an unhashable value such as a list
        raise InputError(
            Problem("facility_type", facility_type, "one of " + ", ".join(FACILITY_TYPES))
        ) from None


def is_missing(value: object) -> bool:
    """True for the values that mean "not measured": None, "", blanks, NaN and pandas NA."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, Decimal):
        return value.is_nan()
    # pandas.NA / NaT / numpy.datetime64('NaT') without importing pandas
    name = type(value).__name__
    if name in ("NAType", "NaTType"):
        return True
    try:
        return bool(value != value)
    except (TypeError, ValueError, ArithmeticError):
        return False


class _Bad(Exception):
    """A value that cannot be coerced: carries the reason shown to the user and its kind."""

    def __init__(self, reason: str, code: str = "type", hints: tuple[Hint, ...] = ()) -> None:
        super().__init__(reason)
        self.code = code
        self.hints = hints


# ---------------------------------------------------------------------------------------------
# Parsing numbers: never guess

_FRACTION_TEXT = re.compile(r"^([+-]?\d+)\s*/\s*(\d+)$")
_PLAIN_TEXT = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_THOUSANDS_TEXT = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_DECIMAL_COMMA_TEXT = re.compile(r"^[+-]?\d+[,，]\d+$")


def parse_number(text: str, spec: MeasurementField) -> float | Fraction:
    """A typed number: ``1200``, ``1,200`` (thousands only), ``8.33``, ``1e3`` or ``25/3``.

    A fraction is returned exactly (a :class:`~fractions.Fraction`); a decimal comma (``1,2``),
    a misplaced thousands separator, ``inf``, ``nan`` or underscores raise ``_Bad`` with a
    message saying what is allowed. Nothing is guessed.
    """
    s = text.strip()
    m = _FRACTION_TEXT.match(s)
    if m:
        if int(m.group(2)) == 0:
            raise _Bad(f"{spec.allowed_text()} (a fraction needs a non-zero denominator)")
        return Fraction(int(m.group(1)), int(m.group(2)))
    if _PLAIN_TEXT.match(s):
        return float(s)
    if _THOUSANDS_TEXT.match(s):
        return float(s.replace(",", ""))
    if _DECIMAL_COMMA_TEXT.match(s):
        point = re.sub("[,，]", ".", s)
        raise _Bad(f"{spec.allowed_text()}, with a decimal point: a comma only separates "
                   f"thousands (1,200); did you mean {point}?", code="decimal_comma")
    if "," in s or "，" in s:
        raise _Bad(f"{spec.allowed_text()}; a comma is accepted only as a thousands separator "
                   "(1,200 or 12,000.5)", code="decimal_comma")
    raise _Bad(spec.allowed_text())


def _exact_to_grid(spec: MeasurementField, value: Fraction) -> float:
    """An exact input rounded exactly to the field's resolution, as a float."""
    mul, div = spec.scale
    steps = round(value * mul / div)  # half to even, exactly
    return float(Fraction(steps * div, mul))


def _is_array(value: object) -> TypeGuard[np.ndarray]:
    """A numpy array (numpy is imported where frames are made; if it is not loaded, no value
    can be one)."""
    numpy = sys.modules.get("numpy")
    return numpy is not None and isinstance(value, numpy.ndarray)


def coerce_value(spec: MeasurementField, value: object) -> object:
    """Coerce one raw value to the field's type and check its hard range (raises ``_Bad``).

    numpy scalars count as their Python kinds (``np.bool_`` is a yes/no, never a width of 1.0).
    Exact numbers (``Fraction``, ``Decimal``, ``"25/3"``) are read exactly and rounded to the
    field's resolution; floats are kept as typed and rounded when compared.
    """
    numpy = sys.modules.get("numpy")  # not imported: no value can be a numpy scalar
    if numpy is not None and isinstance(value, numpy.generic):
        value = value.item()
    if spec.kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float, Fraction, Decimal)):
            if value == 1:
                return True
            if value == 0:
                return False
            raise _Bad(spec.allowed_text())
        if isinstance(value, str):
            word = value.strip().lower()
            if word in _TRUE_WORDS:
                return True
            if word in _FALSE_WORDS:
                return False
        raise _Bad(spec.allowed_text())
    if spec.kind == "choice":
        if isinstance(value, str):
            word = value.strip()
            if word in spec.choices:
                return word
            low = word.lower()
            for key, (zh, en) in zip(spec.choices, spec.choice_labels, strict=True):
                if low in (key.lower(), zh.lower(), en.lower()):
                    return key
        raise _Bad(spec.allowed_text())
    # number / integer
    if isinstance(value, bool):
        raise _Bad(f"{spec.allowed_text()} (a yes/no value is not a measurement)")
    exact: Fraction | None = None
    if isinstance(value, str):
        parsed = parse_number(value, spec)
        if isinstance(parsed, Fraction):
            exact = parsed
        number = float(parsed)
    elif isinstance(value, (Fraction, Decimal, int)):
        try:
            exact = Fraction(value)
        except (ValueError, OverflowError, InvalidOperation):
            raise _Bad(spec.allowed_text()) from None
        number = float(exact) if abs(exact) < 1e300 else math.inf
    else:
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            raise _Bad(spec.allowed_text()) from None
    if math.isnan(number) or not (spec.minimum <= number <= spec.maximum):  # type: ignore[operator]
        raise _Bad(spec.allowed_text(), code="range", hints=hints_for(spec, number))
    if spec.kind == "integer":
        if not number.is_integer() or (exact is not None and exact.denominator != 1):
            raise _Bad(spec.allowed_text())
        return int(number)
    if exact is not None and not isinstance(value, int):
        return _exact_to_grid(spec, exact)
    return number


# ---------------------------------------------------------------------------------------------
# Plausibility: suspect values and "did you mean" hints


@dataclass(frozen=True)
class Hint:
    """A "did you mean" hint: ``given`` typed in ``slip`` units is ``value`` in the field's unit."""

    slip: str
    given: float
    value: float
    unit: str | None

    def text(self, language: str = "en") -> str:
        slip = SLIPS[self.slip]
        unit = f" {self.unit}" if self.unit else ""
        typed = f"{_short(self.given)}{slip.typed_unit and ' ' + slip.typed_unit}"
        if self.slip == "degrees":
            typed = f"{_short(self.given)}°"
        if self.slip == "fraction":
            typed = _short(self.given)
        label = slip.label_zh if language.startswith("zh") else slip.label_en
        return f"{typed} = {_short(self.value)}{unit} ({label})"

    def to_dict(self) -> dict[str, Any]:
        return {"slip": self.slip, "given": self.given, "value": self.value, "unit": self.unit,
                "text_zh": self.text("zh"), "text_en": self.text("en")}


def _short(x: float) -> str:
    text = f"{x:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def hints_for(spec: MeasurementField, value: float) -> tuple[Hint, ...]:
    """The slips that would turn ``value`` into a plausible reading of ``spec``."""
    if spec.plausible is None or not math.isfinite(value):
        return ()
    lo, hi = spec.plausible
    out = []
    for name in spec.slips:
        converted = SLIPS[name].convert(value)
        if math.isfinite(converted) and lo <= converted <= hi and converted != value:
            out.append(Hint(name, value, converted, spec.unit))
    return tuple(out)


def is_plausible(spec: MeasurementField, value: float) -> bool:
    """Whether a valid reading lies in the field's plausible range (or is a plausible 0)."""
    if spec.plausible is None:
        return True
    if value == 0 and spec.zero_plausible:
        return True
    return spec.plausible[0] <= value <= spec.plausible[1]


@dataclass(frozen=True)
class Suspect:
    """A valid value outside its field's plausible range (likely a unit slip)."""

    field: str
    value: float
    unit: str | None
    plausible: tuple[float, float]
    zero_plausible: bool
    hints: tuple[Hint, ...]
    confirmed: bool

    def reason(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        zero = " (or 0)" if self.zero_plausible else ""
        text = (f"outside the plausible range {_fmt(self.plausible[0])} to "
                f"{_fmt(self.plausible[1])}{unit}{zero}")
        if not self.hints:
            text += "."
        if self.hints:
            text += "; did you mean " + " or ".join(h.text("en") for h in self.hints) + "?"
        return text + (f" Correct it, or confirm it by listing `{self.field}` in "
                       f"`{CONFIRM_KEY}`.")

    def problem(self) -> Problem:
        return Problem(self.field, self.value, self.reason(), code="suspect", hints=self.hints)

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "value": self.value, "unit": self.unit,
                "plausible": list(self.plausible), "zero_plausible": self.zero_plausible,
                "hints": [h.to_dict() for h in self.hints], "confirmed": self.confirmed}


def suspect_of(spec: MeasurementField, value: Any, confirmed: bool = False) -> Suspect | None:
    """A :class:`Suspect` when ``value`` (already valid) is outside the plausible range."""
    if not spec.is_numeric or spec.plausible is None or is_plausible(spec, float(value)):
        return None
    return Suspect(spec.name, float(value), spec.unit, spec.plausible, spec.zero_plausible,
                   hints_for(spec, float(value)), confirmed)


def parse_confirmed(
    facility_type: str, raw: object, problems: list[Problem] | None = None
) -> tuple[str, ...]:
    """The field names listed under :data:`CONFIRM_KEY` (a list, or one string separated by
    spaces or commas); names that are not numeric fields of the type are reported."""
    names: Sequence[object]
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return ()
    if isinstance(raw, str):
        names = [n for n in re.split(r"[\s,，;]+", raw) if n]
    elif isinstance(raw, (list, tuple, set)):
        names = list(raw)
    elif _is_array(raw):
        names = list(raw.tolist())
    else:
        names = [raw]
    fields = schema(facility_type)
    numeric = [n for n, f in fields.items() if f.is_numeric]
    good: list[str] = []
    for name in names:
        if isinstance(name, str) and name in fields and fields[name].is_numeric:
            if name not in good:
                good.append(name)
        elif problems is not None:
            problems.append(Problem(CONFIRM_KEY, name, "names of numeric fields of "
                                    f"`{facility_type}`: " + ", ".join(numeric)))
    return tuple(good)


# ---------------------------------------------------------------------------------------------
# Checking a whole set of measurements


@dataclass(frozen=True)
class CheckedMeasurements:
    """One facility's measurements as the engine reads them.

    - ``recorded``: what was recorded, coerced, plus defaults, the derived area and the list of
      confirmed suspect fields (:data:`CONFIRM_KEY`) — what is stored with an audit;
    - ``values``: ``recorded`` plus the presence the measurements imply (``inferred``: flag →
      the field it was inferred from) — what :func:`validate_measurements` returns;
    - ``readable``: ``values`` without the unconfirmed suspect values — what the rules read;
    - ``suspects``: every value outside its plausible range, confirmed or not.
    """

    facility_type: str
    recorded: dict[str, Any]
    values: dict[str, Any]
    readable: dict[str, Any]
    inferred: dict[str, str]
    suspects: tuple[Suspect, ...]
    confirmed: tuple[str, ...]

    @property
    def unconfirmed(self) -> tuple[str, ...]:
        """Fields holding a suspect value the inspector has not confirmed."""
        return tuple(s.field for s in self.suspects if not s.confirmed)


def coerce_fields(
    facility_type: str, raw: Mapping[str, object]
) -> tuple[dict[str, Any], list[Problem]]:
    """Coerce each field on its own: (readable values, one problem per unreadable or unknown
    field). Empty values are left out; :data:`CONFIRM_KEY` is skipped."""
    fields = schema(facility_type)
    good: dict[str, Any] = {}
    problems: list[Problem] = []
    for name, value in raw.items():
        if name == CONFIRM_KEY:
            continue
        spec = fields.get(name)
        if spec is None:
            problems.append(Problem(str(name), value, f"not a field of `{facility_type}`; "
                                    f"known fields: {', '.join(fields)}", code="unknown"))
            continue
        if is_missing(value):
            continue
        try:
            good[name] = coerce_value(spec, value)
        except _Bad as exc:
            problems.append(Problem(name, value, str(exc), code=exc.code, hints=exc.hints))
    return good, problems


def check_measurements(
    facility_type: str, raw: Mapping[str, object], *, strict: bool = False
) -> CheckedMeasurements:
    """Check and coerce one facility's measurements; report every problem at once.

    Raises :class:`audit.errors.InputError` naming each bad field, its value and what is allowed:
    an unknown facility type or field, a value of the wrong type, a number outside the possible
    range, an unknown choice, a contradiction (a presence flag set to "no" with a measurement of
    that feature, naming both), more accessible spaces than spaces, and — with ``strict`` — every
    unconfirmed suspect value.
    """
    fields = schema(facility_type)
    recorded, problems = coerce_fields(facility_type, raw)
    confirmed = parse_confirmed(facility_type, raw.get(CONFIRM_KEY), problems)
    values = {n: recorded[n] for n in fields if n in recorded}
    inferred = infer_presence(facility_type, values, problems)
    for name, spec in fields.items():
        if values.get(name) is None and spec.default is not None:
            values[name] = spec.default
            recorded[name] = spec.default
    infer_absence(facility_type, values, inferred)
    _check_counts(facility_type, values, problems)
    suspects = tuple(
        s for n in fields if n in recorded and n not in inferred
        and (s := suspect_of(fields[n], recorded[n], n in confirmed)) is not None
    )
    if strict:
        problems.extend(s.problem() for s in suspects if not s.confirmed)
    if problems:
        raise InputError(problems, context=f"{facility_type} measurements")
    unconfirmed = {s.field for s in suspects if not s.confirmed}
    readable = {n: v for n, v in values.items() if n not in unconfirmed}
    _derive_area(facility_type, values)
    _derive_area(facility_type, readable)
    out_recorded = {n: recorded[n] for n in fields if n in recorded}
    if facility_type == "toilet" and "area_m2" in values:
        out_recorded["area_m2"] = values["area_m2"]
    kept = tuple(n for n in confirmed if any(s.field == n for s in suspects))
    if kept:
        out_recorded[CONFIRM_KEY] = list(kept)
    order = list(fields)
    return CheckedMeasurements(
        facility_type=facility_type,
        recorded=out_recorded,
        values={n: values[n] for n in order if values.get(n) is not None},
        readable={n: readable[n] for n in order if readable.get(n) is not None},
        inferred=inferred,
        suspects=suspects,
        confirmed=kept,
    )


def validate_measurements(
    facility_type: str, raw: Mapping[str, object], *, strict: bool = False
) -> dict[str, object]:
    """Check and coerce one facility's measurements (see :func:`check_measurements`).

    Returns a new dict holding the measured fields plus defaults, implied presence and derived
    values, in schema order.
    """
    return check_measurements(facility_type, raw, strict=strict).values


def review_measurements(facility_type: str, raw: Mapping[str, object]) -> dict[str, list[Problem]]:
    """Per field, every problem a form shows beside it; raises nothing (for partly filled forms).

    Codes: ``type``/``range``/``decimal_comma`` (the value cannot be read), ``contradiction`` and
    ``count`` (listed under every field involved), ``suspect`` (outside the plausible range, not
    confirmed) and ``suspect_confirmed`` (outside it, confirmed: not a problem, but the form keeps
    showing the confirmation).
    """
    fields = schema(facility_type)
    out: dict[str, list[Problem]] = {}
    good, problems = coerce_fields(facility_type, raw)
    for p in problems:
        out.setdefault(p.field, []).append(p)
    confirmed = parse_confirmed(facility_type, raw.get(CONFIRM_KEY))
    try:
        check_measurements(facility_type, good)
    except InputError as exc:
        for p in exc.problems:
            for name in (p.field, *p.related):
                out.setdefault(name, []).append(p)
    for name, value in good.items():
        found = suspect_of(fields[name], value, name in confirmed)
        if found is not None:
            p = found.problem()
            if found.confirmed:
                p = Problem(p.field, p.value, p.allowed, code="suspect_confirmed", hints=p.hints)
            out.setdefault(name, []).append(p)
    return out


def infer_presence(
    facility_type: str, m: dict[str, Any], problems: list[Problem]
) -> dict[str, str]:
    """Fill the presence flags the recorded values imply (mutates ``m``); report contradictions.

    Returns ``{flag: field it was inferred from}``. Runs to a fixed point, so chains work
    (a lower-rail height implies a double handrail, which implies a handrail).
    """
    inferred: dict[str, str] = {}
    reported: set[tuple[str, str]] = set()
    changed = True
    while changed:
        changed = False
        for imp in IMPLICATIONS[facility_type]:
            value = m.get(imp.field)
            if value is None:
                continue
            want = imp.implied(value)
            if want is None:
                continue
            current = m.get(imp.flag)
            if current is None:
                m[imp.flag] = want
                inferred[imp.flag] = imp.field
                changed = True
            elif current != want and (imp.field, imp.flag) not in reported:
                reported.add((imp.field, imp.flag))
                problems.append(_contradiction(facility_type, imp, m, inferred))
    return inferred


def infer_absence(facility_type: str, m: dict[str, Any], inferred: dict[str, str]) -> None:
    """A flag that is "no" makes the yes/no details it covers "no" and its count 0."""
    changed = True
    while changed:
        changed = False
        for imp in reversed(IMPLICATIONS[facility_type]):
            if imp.on == "recorded" or m.get(imp.flag) is not False or imp.field in m:
                continue
            m[imp.field] = False if imp.on == "true" else 0
            inferred[imp.field] = imp.flag
            changed = True


def _root(name: str, inferred: Mapping[str, str]) -> str:
    seen = {name}
    while name in inferred and inferred[name] not in seen:
        name = inferred[name]
        seen.add(name)
    return name


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _short(float(value)) if isinstance(value, (int, float)) else str(value)


def _contradiction(
    facility_type: str, imp: Implication, m: Mapping[str, Any], inferred: Mapping[str, str]
) -> Problem:
    src = _root(imp.field, inferred)
    via = f"implies `{imp.field}` = true, which " if src != imp.field else ""
    other = _root(imp.flag, inferred)
    if other != imp.flag:
        against = f"`{other}` = {_shown(m.get(other))} (which means `{imp.flag}` = " \
                  f"{_shown(m.get(imp.flag))})"
    else:
        against = f"`{imp.flag}` = {_shown(m.get(imp.flag))}"
    label = _FIELDS[facility_type][imp.flag].label_en
    if imp.implied(m.get(imp.field)) is False:  # a count of 0 says the feature is absent
        text = (f"contradicts {against}: `{src}` = {_shown(m.get(src))} means there is no "
                f"{label.lower()}; correct `{src}` or `{other}`")
    else:
        text = (f"{via}contradicts {against}: `{src}` can only be recorded where "
                f"`{imp.flag}` ({label}) is true; remove `{src}` or correct `{other}`")
    return Problem(src, m.get(src), text, code="contradiction", related=(other,))


def _check_counts(facility_type: str, m: Mapping[str, Any], problems: list[Problem]) -> None:
    if facility_type == "parking":
        total, acc = m.get("total_spaces"), m.get("accessible_spaces")
        if total is not None and acc is not None and acc > total:
            problems.append(Problem("accessible_spaces", acc, f"at most `total_spaces` "
                                    f"({total})", code="count", related=("total_spaces",)))


def _derive_area(facility_type: str, m: dict[str, Any]) -> None:
    if facility_type == "toilet" and m.get("area_m2") is None:
        w, d = m.get("internal_width_mm"), m.get("internal_depth_mm")
        if w is not None and d is not None:
            m["area_m2"] = derive_area_m2(w, d)


def derive_area_m2(width_mm: Any, depth_mm: Any) -> Any:
    """Area in m² from width and depth in mm (works on floats and numpy arrays alike)."""
    return width_mm * depth_mm / 1_000_000
