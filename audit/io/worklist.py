"""An inspector's worklist (:func:`audit.inventory.worklist`) as text, printable HTML and an
ODK/Kobo XLSForm with the stops pre-filled as choices.

The HTML is rendered from ``templates/worklist.html.j2`` with autoescape on (OSM tags are text
written by anyone); times are Asia/Shanghai to the minute; an extract outside Yangjiang says so
at the top. The form is :func:`audit.io.xlsform.write_xlsform` with a first question "which
stop", whose choices are the stops in walking order.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from audit.errors import InputError, Problem
from audit.frames import frame_rows
from audit.inventory import Worklist
from audit.io.xlsform import WorklistStop, write_xlsform
from audit.model import FACILITY_TYPES

TEMPLATE = "worklist.html.j2"
LOCAL_TZ = ZoneInfo("Asia/Shanghai")
LANGS = ("zh", "en")
ODBL = "© OpenStreetMap contributors, ODbL 1.0 (https://www.openstreetmap.org/copyright)"

#: the words of the printed worklist (an export: plain text, both languages)
TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "lang": "zh-Hans", "title": "无障碍设施巡查清单", "generated": "生成时间",
        "summary": "{stops} 个待督导点位，步行约 {km} 公里（初始顺序 {start_km} 公里）；"
                   "清单共 {total} 个，已督导 {audited} 个{more}",
        "more": "，另有 {n} 个未列入（超出每轮上限）",
        "not_yangjiang": "本清单来自 OpenStreetMap 样例数据，不是阳江。",
        "network": "路网", "stop": "序号", "type": "设施类型", "osm": "OSM 对象",
        "tags": "OSM 标签", "position": "位置（WGS84）", "leg": "距上一点（米）", "done": "已查",
        "empty": "该范围内所有清单点位均已督导，或尚无清单。",
        "method": "顺序：从最西端的点位出发，按最近邻排序，再经 2-opt 改进，距离为路网步行距离"
                  "（“*”表示两点在路网上不连通，按直线距离计）。“已督导”指：同类型、已提交督导"
                  "的设施位于该点位吸附距离内（每个设施只对应最近的一个点位）。",
        "attribution": "点位数据：" + ODBL, "where_source": "来源文件",
    },
    "en": {
        "lang": "en", "title": "Accessibility inspection worklist", "generated": "Generated",
        "summary": "{stops} stops to audit, about {km} km on foot (starting order {start_km} km); "
                   "{total} inventory items, {audited} already audited{more}",
        "more": ", {n} more left out (over the per-round limit)",
        "not_yangjiang": "This worklist comes from an OpenStreetMap sample extract: it is not "
                         "Yangjiang.",
        "network": "Street network", "stop": "Stop", "type": "Facility type",
        "osm": "OSM object", "tags": "OSM tags", "position": "Position (WGS84)",
        "leg": "From previous (m)", "done": "Done",
        "empty": "Every inventory item here is audited, or no inventory is imported.",
        "method": "Order: from the westernmost item, nearest neighbour first, improved by 2-opt, "
                  "on walking distances along the network (“*”: the two stops are not connected "
                  "on the network; straight-line distance used). “Audited”: a facility of the "
                  "same type with a submitted audit lies within the snap distance of the item "
                  "(each facility counts for its nearest item only).",
        "attribution": "Inventory data: " + ODBL, "where_source": "Source file",
    },
}


def _check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise InputError(Problem("lang", lang, "zh or en"))
    return lang


def _where(wl: Worklist, lang: str) -> str:
    import geodata

    if wl.district_code is not None:
        names = geodata.DISTRICTS.get(wl.district_code)
        if names is not None:
            return names[0] if lang == "zh" else names[1]
        return wl.district_code
    return f"{TEXT[lang]['where_source']} {wl.source_file}"


def _tags(tags: Any) -> str:
    if not isinstance(tags, Mapping):
        return ""
    return "; ".join(f"{k}={v}" for k, v in sorted(tags.items()))


def display_rows(wl: Worklist, lang: str = "zh") -> list[dict[str, str]]:
    """The stops as display text (stop, type, osm, tags, position, leg)."""
    _check_lang(lang)
    out = []
    for r in frame_rows(wl.stops):
        leg = f"{float(r.leg_m):,.0f}" + ("" if r.leg_on_network else " *")
        out.append({
            "stop": str(int(r.stop)),
            "type": str(r.type_zh if lang == "zh" else r.type_en),
            "osm": f"{r.osm_type}/{int(r.osm_id)}",
            "tags": _tags(r.tags),
            "position": f"{float(r.lat):.6f}, {float(r.lon):.6f}",
            "leg": leg,
        })
    return out


def summary(wl: Worklist, lang: str = "zh") -> str:
    t = TEXT[_check_lang(lang)]
    more = t["more"].format(n=wl.left_out) if wl.left_out else ""
    return t["summary"].format(stops=len(wl.stops), km=f"{wl.length_m / 1000:.1f}",
                               start_km=f"{wl.start_order_length_m / 1000:.1f}",
                               total=wl.total_items, audited=wl.audited, more=more)


def worklist_lines(wl: Worklist, lang: str = "zh") -> list[str]:
    """The worklist as plain-text lines (the CLI prints them)."""
    t = TEXT[_check_lang(lang)]
    lines = [f"{t['title']} — {_where(wl, lang)}", summary(wl, lang)]
    if wl.not_yangjiang:
        lines.append(t["not_yangjiang"])
    for r in display_rows(wl, lang):
        lines.append(f"{r['stop']:>4}. {r['type']} | {r['osm']} | {r['position']} | "
                     f"+{r['leg']} m | {r['tags']}")
    return lines


def worklist_html(wl: Worklist, lang: str = "zh") -> str:
    """The printable worklist page, self-contained HTML (autoescaped)."""
    from audit.io.district_report import CJK_FONT, _environment
    from audit.io.report_fonts import FONT_FAMILY, embed_font

    t = TEXT[_check_lang(lang)]
    html = _environment().get_template(TEMPLATE).render(
        t=t, where=_where(wl, lang), fonts=(FONT_FAMILY, CJK_FONT),
        generated=datetime.now(UTC).astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
        summary=summary(wl, lang), not_yangjiang=wl.not_yangjiang,
        network_label=wl.network_label_zh if lang == "zh" else wl.network_label_en,
        rows=display_rows(wl, lang),
    )
    return embed_font(html) if lang == "zh" else html


def write_worklist_html(wl: Worklist, out: Path | str, *, lang: str = "zh") -> Path:
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(worklist_html(wl, lang), encoding="utf-8")
    return path


def worklist_stops(wl: Worklist) -> list[WorklistStop]:
    """The stops as XLSForm choices (name ``s<stop>_<osm type>_<osm id>``, labels plain text)."""
    out = []
    for zh, en in zip(display_rows(wl, "zh"), display_rows(wl, "en"), strict=True):
        name = f"s{zh['stop']}_{zh['osm'].replace('/', '_')}"
        out.append(WorklistStop(name, f"{zh['stop']}. {zh['type']} {zh['osm']}",
                                f"{en['stop']}. {en['type']} {en['osm']}"))
    return out


def write_worklist_xlsform(wl: Worklist, out: Path | str) -> Path:
    """An ODK/Kobo XLSForm for the worklist's facility types, its stops pre-filled as choices."""
    if wl.stops.empty:
        raise InputError(Problem("worklist", "no stops", "at least one unaudited item"))
    present = set(wl.stops["facility_type"])
    types = [t for t in FACILITY_TYPES if t in present]
    return write_xlsform(out, types, stops=worklist_stops(wl))


__all__ = [
    "TEXT",
    "display_rows",
    "summary",
    "worklist_html",
    "worklist_lines",
    "worklist_stops",
    "write_worklist_html",
    "write_worklist_xlsform",
]
