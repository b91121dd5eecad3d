"""Facility types and their measurement schemas: the vocabulary inspectors record.

One source of truth: these schemas drive the audit form, the XLSForm, the import validator, the
vectorised scorer and the docs. Every numeric field carries its unit in its name and a plausible
range; a value outside it is a typing or unit mistake (a slope of 300 %, a negative width), not a
measurement, and is rejected with a message that names the field, the value and the range.

A field left out, ``None``, ``""`` or NaN means **not measured**: it is dropped, never read as zero.
A few context flags have a documented default (``in_dwelling``, ``automatic_door``, ``fire_door``:
``False``, the ordinary case) and are filled in when absent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from audit.errors import InputError, Problem

FieldKind = Literal["number", "integer", "bool", "choice"]

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


@dataclass(frozen=True)
class MeasurementField:
    """One thing an inspector records for a facility.

    ``minimum``/``maximum`` bound the *plausible* values (input validation), not the compliant
    ones: compliance thresholds live in the ruleset. ``step`` is the input resolution for forms;
    ``typical`` is the range demo data is drawn from (a mix of compliant and non-compliant values)
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

    @property
    def is_numeric(self) -> bool:
        return self.kind in ("number", "integer")

    def allowed_text(self) -> str:
        """What this field accepts, in words (used in error messages)."""
        if self.kind == "bool":
            return "true or false (yes/no, 1/0, 是/否)"
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        unit = f" {self.unit}" if self.unit else ""
        whole = "a whole number" if self.kind == "integer" else "a number"
        return f"{whole} from {_fmt(self.minimum)} to {_fmt(self.maximum)}{unit}"

    def choice_label(self, choice: str, language: str = "zh") -> str:
        """The label of one choice in ``zh`` or ``en``."""
        zh, en = self.choice_labels[self.choices.index(choice)]
        return zh if language.startswith("zh") else en


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
    *,
    minimum: float = 0.0,
    step: float = 1.0,
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
    *,
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
        help_zh=help_zh,
        help_en=help_en,
    )


def _choice(
    name: str,
    label_zh: str,
    label_en: str,
    choices: tuple[tuple[str, str, str], ...],
    *,
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
        help_zh=help_zh,
        help_en=help_en,
    )


_SLOPE_HELP_ZH = "以百分比记录（高差/水平长度×100），1:12 = 8.33 %，1:20 = 5 %，1:50 = 2 %。"
_SLOPE_HELP_EN = "As a percentage (rise / run × 100): 1:12 = 8.33 %, 1:20 = 5 %, 1:50 = 2 %."

SCHEMAS: dict[str, tuple[MeasurementField, ...]] = {
    "ramp": (
        _num("running_slope_pct", "%", "纵向坡度", "Running slope", 100, (3, 13), step=0.1,
             help_zh=_SLOPE_HELP_ZH, help_en=_SLOPE_HELP_EN),
        _num("cross_slope_pct", "%", "横向坡度", "Cross slope", 50, (0, 3.5), step=0.1,
             help_zh=_SLOPE_HELP_ZH, help_en=_SLOPE_HELP_EN),
        _num("rise_mm", "mm", "坡段提升高度", "Rise of one run", 5000, (60, 950),
             help_zh="一段坡道起止点之间的高差。", help_en="Height difference between the two "
             "ends of one run (between landings)."),
        _num("clear_width_mm", "mm", "通行净宽", "Clear width", 10000, (850, 1700),
             help_zh="两侧墙面、固定障碍物或扶手之间的净距离。",
             help_en="Between walls, fixed obstacles or handrails."),
        _num("landing_length_mm", "mm", "平台水平长度", "Landing length", 20000, (900, 2100),
             help_zh="起点、终点和休息平台中最短者。", help_en="The shortest of the top, bottom "
             "and intermediate landings."),
        _num("landing_width_mm", "mm", "平台通行净宽", "Landing clear width", 10000, (800, 1900),
             help_zh="平台中最窄处。", help_en="The narrowest landing."),
        _bool("handrail_present", "设有扶手（至少一侧）", "Handrail fitted (at least one side)",
              p_true=0.8),
        _bool("handrails_both_sides", "两侧均设扶手", "Handrails on both sides", p_true=0.6),
        _bool("handrails_continuous", "扶手全长连贯", "Handrails continuous over the full length"),
        _num("handrail_height_mm", "mm", "扶手高度（单层或上层）", "Handrail height (single or "
             "upper rail)", 2000, (780, 980)),
        _bool("double_handrail", "设双层扶手", "Double (two-level) handrail", p_true=0.3),
        _num("handrail_lower_height_mm", "mm", "下层扶手高度", "Lower handrail height", 2000,
             (600, 760)),
        _num("handrail_extension_mm", "mm", "扶手起终点水平延伸长度",
             "Handrail horizontal extension at the ends", 2000, (0, 420)),
        _num("handrail_wall_clearance_mm", "mm", "扶手内侧与墙面净距",
             "Handrail clearance from the wall", 500, (25, 70)),
        _bool("handrail_contrasts", "扶手与背景有明显颜色或亮度对比",
              "Handrail contrasts with its background"),
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
        )),
        _num("running_slope_pct", "%", "坡道（正面）坡度", "Running slope (front)", 100, (3, 12),
             step=0.1, help_zh=_SLOPE_HELP_ZH, help_en=_SLOPE_HELP_EN),
        _num("side_slope_pct", "%", "侧面坡度", "Side (flare) slope", 100, (4, 14), step=0.1,
             help_zh=_SLOPE_HELP_ZH, help_en=_SLOPE_HELP_EN),
        _num("opening_width_mm", "mm", "坡口宽度", "Opening width", 20000, (1000, 3200)),
        _num("footway_width_mm", "mm", "人行道宽度", "Footway width", 20000, (1500, 4500),
             help_zh="全宽式缘石坡道的宽度应与人行道宽度一致。",
             help_en="A full-width curb ramp spans the whole footway."),
        _num("lip_height_mm", "mm", "坡口与车行道高差", "Lip height above the carriageway", 300,
             (0, 25)),
        _bool("warning_tactile_present", "坡道下口设提示盲道", "Warning tactile strip at the "
              "bottom"),
        _num("tactile_setback_mm", "mm", "提示盲道距路缘石距离", "Warning strip set-back from "
             "the curb", 2000, (150, 420)),
        _num("top_landing_width_mm", "mm", "顶端过渡空间宽度", "Top landing (transition) width",
             10000, (500, 1400)),
        _bool("grate_on_ramp", "上下坡处设有雨水箅子", "Drain grate on the ramp", p_true=0.2),
        _bool("bollards_present", "设有阻车桩", "Bollards present", p_true=0.4),
        _num("bollard_clear_gap_mm", "mm", "阻车桩净间距", "Clear gap between bollards", 5000,
             (650, 1250)),
        _bool("surface_non_slip", "坡面平整、防滑", "Surface even and non-slip", p_true=0.8),
    ),
    "toilet": (
        _choice("toilet_kind", "类型", "Kind", (
            ("accessible_toilet", "独立无障碍厕所", "Accessible (unisex) toilet room"),
            ("accessible_stall", "无障碍厕位", "Accessible stall in a public toilet"),
        )),
        _num("internal_width_mm", "mm", "内部净宽", "Internal width", 10000, (1300, 2500)),
        _num("internal_depth_mm", "mm", "内部净深", "Internal depth", 10000, (1300, 2500)),
        _num("area_m2", "m²", "内部面积", "Internal area", 100, (2.5, 6), step=0.01,
             help_zh="未填写时由净宽 × 净深计算。", help_en="Derived from width × depth when "
             "left empty."),
        _num("turning_diameter_mm", "mm", "轮椅回转空间直径", "Wheelchair turning diameter", 5000,
             (1200, 1800)),
        _choice("door_type", "门的形式", "Door type", (
            ("sliding", "水平滑动式门（推拉门）", "Sliding door"),
            ("outward_swing", "向外开启的平开门", "Outward-swinging door"),
            ("inward_swing", "向内开启的平开门", "Inward-swinging door"),
        )),
        _num("door_clear_width_mm", "mm", "门通行净宽", "Door clear width", 3000, (720, 1050)),
        _bool("is_new_construction", "新建或扩建", "New construction or extension",
              help_zh="“否”表示既有建筑改造。", help_en="No means a retrofit of an existing "
              "building."),
        _bool("call_button_present", "设救助呼叫装置", "Emergency call device"),
        _bool("grab_bars_present", "设安全抓杆", "Grab bars"),
        _bool("openable_from_outside", "门在紧急情况下可从外面打开", "Door can be opened from "
              "outside in an emergency"),
        _bool("washbasin_present", "设无障碍洗手盆", "Accessible washbasin"),
        _bool("signage_present", "设无障碍标识", "Accessibility sign"),
    ),
    "parking": (
        _int("total_spaces", "停车位总数", "Total parking spaces", 1, 100000, (5, 450)),
        _int("accessible_spaces", "无障碍停车位数", "Accessible spaces", 0, 10000, (0, 6)),
        _num("access_aisle_width_mm", "mm", "轮椅通道宽度", "Access aisle width", 10000,
             (800, 1600)),
        _bool("aisle_level_with_bay", "轮椅通道与车位无高差", "Aisle flush with the bay"),
        _num("surface_slope_pct", "%", "地面坡度", "Surface slope", 30, (0, 3.5), step=0.1,
             help_zh=_SLOPE_HELP_ZH, help_en=_SLOPE_HELP_EN),
        _bool("ground_marking_present", "设停车线、轮椅通道线和无障碍标志",
              "Bay lines, aisle lines and the access symbol marked"),
        _bool("guidance_sign_present", "设引导标识", "Guidance (wayfinding) signs"),
        _bool("drop_off_zone_present", "设无障碍上/落客区", "Accessible drop-off zone", p_true=0.3),
        _num("drop_off_width_mm", "mm", "上/落客区宽度", "Drop-off zone width", 20000,
             (1800, 3000)),
        _num("drop_off_length_mm", "mm", "上/落客区长度", "Drop-off zone length", 50000,
             (5000, 8500)),
    ),
    "crossing_signal": (
        _bool("priority_area", "位于城市中心区或视觉障碍者集中区域",
              "In a city centre or an area where visually impaired people concentrate",
              p_true=0.5),
        _bool("audible_signal_present", "设过街音响提示装置", "Audible crossing signal",
              p_true=0.5),
        _bool("pushbutton_present", "设行人按钮", "Pedestrian push-button", p_true=0.5),
        _bool("curb_ramps_both_ends", "两端设缘石坡道", "Curb ramps at both ends"),
        _bool("warning_tactile_present", "两端设提示盲道", "Warning tactile paving at both ends"),
        _bool("crossing_island_present", "设安全岛", "Refuge island", p_true=0.3),
        _num("island_clear_width_mm", "mm", "安全岛通行净宽", "Refuge island clear width", 20000,
             (900, 2500)),
    ),
    "tactile_paving": (
        _bool("obstructed", "盲道被占用或有障碍物", "Obstructed (poles, trees, bikes, covers)",
              p_true=0.3),
        _bool("continuous", "盲道连续", "Continuous"),
        _bool("warning_at_start_end_turns", "起点、终点和拐弯处设提示盲道",
              "Warning paving at the start, end and turns"),
        _bool("contrasts_with_pavement", "与相邻铺面颜色或材质有差异",
              "Contrasts with the surrounding paving"),
        _num("width_mm", "mm", "行进盲道宽度", "Guiding strip width", 2000, (200, 600)),
    ),
    "entrance": (
        _num("door_clear_width_mm", "mm", "门通行净宽", "Door clear width", 5000, (720, 1150)),
        _bool("is_new_construction", "新建或扩建", "New construction or extension",
              help_zh="“否”表示既有建筑改造。", help_en="No means a retrofit of an existing "
              "building."),
        _bool("automatic_door", "自动门", "Automatic door", default=False, p_true=0.2,
              help_zh="手动门请保持“否”。", help_en="Leave unticked for a manual door."),
        _bool("fire_door", "防火门", "Fire door", default=False, p_true=0.1,
              help_zh="非防火门请保持“否”。", help_en="Leave unticked unless it is a fire door."),
        _num("threshold_height_mm", "mm", "门口高差（门槛）", "Threshold / level change at the "
             "door", 500, (0, 35)),
        _num("threshold_bevel_slope_pct", "%", "高差处斜面坡度", "Bevel slope at the level "
             "change", 100, (5, 25), step=0.1, help_zh=_SLOPE_HELP_ZH,
             help_en=_SLOPE_HELP_EN),
        _bool("revolving_door", "旋转门", "Revolving door", p_true=0.1),
        _num("opening_force_n", "N", "开启力", "Opening force", 500, (10, 40), step=0.5),
        _bool("door_closer_present", "设闭门器", "Door closer fitted", p_true=0.6),
        _num("closer_time_s", "s", "闭门时间", "Closing time", 120, (1, 7), step=0.1,
             help_zh="从闭门器最大受控角度到完全关闭前 10° 的时间。",
             help_en="From the closer's largest controlled angle to 10° before closed."),
        _num("handle_height_mm", "mm", "把手操作部位高度", "Handle height", 2500, (750, 1150)),
        _bool("level_entrance", "平坡出入口", "Level (step-free, gently sloped) entrance",
              p_true=0.4),
        _num("platform_depth_mm", "mm", "门前平台净深度", "Platform depth in front of the door",
             20000, (1000, 2100)),
        _bool("signage_present", "设无障碍标识", "Accessibility sign"),
    ),
}

#: Pairs (a, b) per facility type where ``a`` true implies ``b`` true. A missing ``b`` is derived
#: from ``a`` true, a missing ``a`` from ``b`` false; a contradiction is an input error.
IMPLICATIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "ramp": (("handrails_both_sides", "handrail_present"), ("double_handrail", "handrail_present")),
    "curb_ramp": (),
    "toilet": (),
    "parking": (),
    "crossing_signal": (),
    "tactile_paving": (),
    "entrance": (),
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
    # pandas.NA / NaT / numpy.datetime64('NaT') without importing pandas
    name = type(value).__name__
    if name in ("NAType", "NaTType"):
        return True
    try:
        return bool(value != value)
    except (TypeError, ValueError):
        return False


class _Bad(Exception):
    """A value that cannot be coerced: carries the reason shown to the user."""


def coerce_value(spec: MeasurementField, value: object) -> object:
    """Coerce one raw value to the field's type and check its range (raises ``_Bad``)."""
    if spec.kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
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
        if type(value).__name__ == "bool_":  # numpy.bool_
            return bool(value)
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
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        raise _Bad(spec.allowed_text())
    if isinstance(value, str):
        try:
            number = float(value.strip().replace(",", ""))
        except ValueError:
            raise _Bad(spec.allowed_text()) from None
    else:
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            raise _Bad(spec.allowed_text()) from None
    if math.isnan(number) or not (spec.minimum <= number <= spec.maximum):  # type: ignore[operator]
        raise _Bad(spec.allowed_text())
    if spec.kind == "integer":
        if not number.is_integer():
            raise _Bad(spec.allowed_text())
        return int(number)
    return number


def validate_measurements(facility_type: str, raw: Mapping[str, object]) -> dict[str, object]:
    """Check and coerce one facility's measurements; report every problem at once.

    Returns a new dict holding only measured fields (plus defaults and derived values) in schema
    order. Raises :class:`audit.errors.InputError` naming each bad field, its value and what is
    allowed: an unknown facility type or field, a value of the wrong type, a number outside the
    plausible range, an unknown choice, or measurements that contradict each other.
    """
    fields = schema(facility_type)
    problems: list[Problem] = []
    coerced: dict[str, object] = {}
    for name, value in raw.items():
        spec = fields.get(name)
        if spec is None:
            problems.append(Problem(str(name), value, f"not a field of `{facility_type}`; "
                                    f"known fields: {', '.join(fields)}"))
            continue
        if is_missing(value):
            continue
        try:
            coerced[name] = coerce_value(spec, value)
        except _Bad as exc:
            problems.append(Problem(name, value, str(exc)))
    if problems:
        raise InputError(problems, context=f"{facility_type} measurements")
    out = {n: coerced.get(n, f.default) for n, f in fields.items()}
    _derive(facility_type, out, problems)
    if problems:
        raise InputError(problems, context=f"{facility_type} measurements")
    return {n: v for n, v in out.items() if v is not None}


def _derive(facility_type: str, m: dict[str, Any], problems: list[Problem]) -> None:
    """Fill derived fields and report contradictions (mutates ``m``)."""
    for a, b in IMPLICATIONS[facility_type]:
        if m.get(a) is True and m.get(b) is False:
            problems.append(Problem(a, True, f"contradicts `{b}` = false: set `{b}` to true or "
                                    f"leave it empty"))
        elif m.get(a) is True and m.get(b) is None:
            m[b] = True
        elif m.get(b) is False and m.get(a) is None:
            m[a] = False
    if facility_type == "toilet" and m.get("area_m2") is None:
        w, d = m.get("internal_width_mm"), m.get("internal_depth_mm")
        if w is not None and d is not None:
            m["area_m2"] = derive_area_m2(w, d)
    if facility_type == "parking":
        total, acc = m.get("total_spaces"), m.get("accessible_spaces")
        if total is not None and acc is not None and acc > total:
            problems.append(Problem("accessible_spaces", acc, f"at most `total_spaces` "
                                    f"({total})"))


def derive_area_m2(width_mm: Any, depth_mm: Any) -> Any:
    """Area in m² from width and depth in mm (works on floats and numpy arrays alike)."""
    return width_mm * depth_mm / 1_000_000
