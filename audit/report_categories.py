"""What residents can report: the barrier categories and the facility type each concerns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class ReportCategory:
    """One kind of barrier a resident can report, and the facility type it concerns."""

    key: str
    label_zh: str
    label_en: str
    facility_type: str | None


#: What residents can report (data; the facility types are those of :mod:`audit.model`).
REPORT_CATEGORIES: Final[dict[str, ReportCategory]] = {
    c.key: c
    for c in (
        ReportCategory(
            "tactile_blocked", "盲道被占用/中断", "Tactile paving blocked or broken",
            "tactile_paving",
        ),
        ReportCategory(
            "curb_ramp_missing", "缺少缘石坡道/坡道", "Missing curb ramp or ramp", "curb_ramp"
        ),
        ReportCategory("ramp_steep", "坡道过陡或过窄", "Ramp too steep or too narrow", "ramp"),
        ReportCategory(
            "toilet_unusable", "无障碍厕所锁闭/损坏/被占用",
            "Accessible toilet locked, broken or occupied", "toilet",
        ),
        ReportCategory(
            "parking_occupied", "无障碍车位被占用", "Accessible parking space occupied", "parking"
        ),
        ReportCategory(
            "crossing_signal", "过街音响缺失/故障",
            "Audible crossing signal missing or broken", "crossing_signal",
        ),
        ReportCategory(
            "entrance_barrier", "入口有台阶/门过窄", "Step at the entrance or door too narrow",
            "entrance",
        ),
        ReportCategory("other", "其他", "Other", None),
    )
}


def category_label(key: str, lang: str) -> str:
    """The category in the UI language (unknown keys are shown as they are)."""
    cat = REPORT_CATEGORIES.get(key)
    if cat is None:
        return key
    return cat.label_zh if lang == "zh-Hans" else cat.label_en
