"""A printable district report in Chinese: HTML with tables, charts and a map, printed to PDF.

The HTML is rendered from the Jinja2 template ``templates/district_report.html.j2`` (autoescape
on) and is self-contained (charts and the map snapshot are inline SVG drawn with matplotlib, text
kept as text; the CJK font Noto Sans SC comes from a PyPI package and is embedded as a subset web
font, see :mod:`audit.io.report_fonts`); :func:`print_pdf` prints it with headless Chromium
(``chromium --headless --print-to-pdf``). No map tiles: the map is the district boundary and the
audited facilities coloured by verdict. Demo data and synthetic inputs are labelled on the page.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2
import pandas as pd
from markupsafe import Markup

from audit.errors import InputError, Problem
from audit.frames import frame_rows
from audit.io.report_fonts import FONT_FAMILY, embed_font, use_in_matplotlib
from audit.rankings import RankingResult, compute_rankings, source_parts
from audit.storage.repository import Repository

CJK_FONT = "Noto Sans CJK SC"
#: A printed report is read by people: its time is Asia/Shanghai, to the minute.
REPORT_ZONE = ZoneInfo("Asia/Shanghai")
VERDICT_COLOURS = {"compliant": "#1a9850", "non_compliant": "#d73027", "incomplete": "#fdae61"}
#: The verdict words of the UI (ui/i18n/zh-Hans.toml [verdict]; a test holds them equal).
VERDICT_ZH = {"compliant": "合格", "non_compliant": "不合格", "incomplete": "资料不全"}
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


def _mpl() -> object:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    use_in_matplotlib(plt)  # the packaged CJK font, not whatever the system has
    plt.rcParams["svg.fonttype"] = "none"  # text stays text: searchable in the PDF
    plt.rcParams["axes.unicode_minus"] = False
    return plt


def _svg(fig: object) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")  # type: ignore[attr-defined]
    _mpl().close(fig)  # type: ignore[attr-defined]
    text = buf.getvalue()
    return text[text.index("<svg"):]


def compliance_chart_svg(table: pd.DataFrame) -> str:
    """Horizontal bars of compliance rate per facility type with 95 % Wilson intervals."""
    plt = _mpl()
    t = table[table["decided"] > 0].sort_values("compliance_rate")
    fig, ax = plt.subplots(figsize=(7, 0.45 * max(len(t), 2) + 1))  # type: ignore[attr-defined]
    y = range(len(t))
    colours = ["#4575b4" if r else "#bbbbbb" for r in t["rankable"]]
    ax.barh(list(y), t["compliance_rate"] * 100, color=colours)
    err_lo = ((t["compliance_rate"] - t["ci_low"]) * 100).clip(lower=0)
    err_hi = ((t["ci_high"] - t["compliance_rate"]) * 100).clip(lower=0)
    ax.errorbar(t["compliance_rate"] * 100, list(y), xerr=[err_lo, err_hi], fmt="none",
                ecolor="black", capsize=3)
    ax.set_yticks(list(y), list(t["type_zh"]))
    ax.set_xlim(0, 100)
    ax.set_xlabel("合格率 %（误差线：95% Wilson 区间；灰色：覆盖率不足，不参与排名）")
    return _svg(fig)


def map_svg(district_code: str, facilities: pd.DataFrame) -> str:
    """The district boundary and its audited facilities by verdict (no tiles)."""
    import geodata

    plt = _mpl()
    d = geodata.load_districts()
    d = d[d["adcode"].astype(str) == district_code]
    fig, ax = plt.subplots(figsize=(6.5, 6))  # type: ignore[attr-defined]
    d.boundary.plot(ax=ax, color="#333333", linewidth=1)
    for verdict, colour in VERDICT_COLOURS.items():
        sel = facilities[facilities["verdict"] == verdict]
        marker = {"compliant": "o", "non_compliant": "X", "incomplete": "s"}[verdict]
        ax.scatter(sel["lon"], sel["lat"], s=14, c=colour, marker=marker,
                   label=f"{VERDICT_ZH[verdict]}（{len(sel)}）", edgecolors="none")
    ax.set_axis_off()
    ax.set_aspect("equal")
    ax.legend(loc="lower left", fontsize=9)
    return _svg(fig)


TEMPLATE = "district_report.html.j2"


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    """The template environment: templates from this package, autoescape on for every file."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("audit.io", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _percent(value: float) -> str:
    return "—" if pd.isna(value) else f"{value * 100:.0f}%"


def _decimal(value: float) -> str:
    return "—" if pd.isna(value) else f"{value:.2f}"


def _type_rows(table: pd.DataFrame) -> list[dict[str, object]]:
    """The rows of the by-type table as display text (the template only places them)."""
    rows: list[dict[str, object]] = []
    for r in frame_rows(table):
        rows.append({
            "rankable": bool(r.rankable),
            "rank": str(r.rank) if r.rankable else "覆盖不足",
            "type_zh": r.type_zh,
            "audited": r.audited,
            "non_compliant": r.non_compliant,
            "rate": _percent(r.compliance_rate),
            "ci": "—" if pd.isna(r.ci_low) else f"{r.ci_low * 100:.0f}–{r.ci_high * 100:.0f}%",
            "gap_points": f"{r.gap_points:.0f}",
            "gap_per_audited": _decimal(r.gap_per_audited),
            "expected": "—" if pd.isna(r.expected) else str(r.expected),
            "expected_source": source_zh(r.expected_source),
            "coverage": _percent(r.coverage),
            "resident_reports": r.resident_reports,
        })
    return rows


_SOURCE_ZH = {"osm_inventory": "OSM 清单计数", "features": "调用方提供的计数",
              "targets": "假设目标（{file}）"}


def source_zh(source: str) -> str:
    """Where a cell's expected count came from, in Chinese (the report's language)."""
    parts = [_SOURCE_ZH[kind].format(file=file) for kind, file in source_parts(source)]
    return " + ".join(parts) or "—"


def _district_rows(table: pd.DataFrame) -> list[dict[str, object]]:
    """The rows of the city-wide district comparison as display text."""
    return [
        {
            "rank": r.rank if r.rankable else "",
            "district_zh": r.district_zh,
            "audited": r.audited,
            "non_compliant": r.non_compliant,
            "gap_per_audited": _decimal(r.gap_per_audited),
            "coverage": _percent(r.coverage),
        }
        for r in frame_rows(table)
    ]


def district_report_html(repo: Repository, district_code: str, *,
                         ranking: RankingResult | None = None) -> str:
    """The report page of one district (Chinese), self-contained HTML.

    Rendered from ``templates/district_report.html.j2`` with autoescape on: names, sources and
    every figure are escaped; only the two SVG drawings made here are inserted as markup.
    """
    import geodata
    from geodata.registry import attribution

    names = {str(k): v for k, v in geodata.DISTRICTS.items()}
    if district_code not in names:
        raise InputError(Problem("district", district_code,
                                 "one of " + ", ".join(f"{k} {v[0]}" for k, v in names.items())))
    res = ranking or compute_rankings(repo)
    table = res.table[res.table["district_code"] == district_code]
    by_district = compute_rankings(repo, group_by=["district_code"],
                                   coverage_threshold=res.coverage_threshold).table
    facilities = repo.facility_frame(districts=[district_code])
    return embed_font(_environment().get_template(TEMPLATE).render(
        name_zh=names[district_code][0],
        fonts=(FONT_FAMILY, CJK_FONT),
        generated=datetime.now(UTC).astimezone(REPORT_ZONE).strftime("%Y-%m-%d %H:%M（北京时间）"),
        demo=res.is_demo,
        type_rows=_type_rows(table),
        threshold_pct=f"{res.coverage_threshold * 100:.0f}",
        weights="，".join(f"{k}={v:g}" for k, v in res.weights.items()),
        expected_source=source_zh(res.expected_source),
        chart_svg=Markup(compliance_chart_svg(table)),  # our own matplotlib SVG
        district_rows=_district_rows(by_district),
        map_svg=Markup(map_svg(district_code, facilities)),  # our own matplotlib SVG
        attribution=attribution(),
    ))


def find_chromium() -> str | None:
    """The Chromium executable on PATH, if any."""
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def print_pdf(html_text: str, out: Path | str, *, timeout_s: float = 120.0) -> Path:
    """Print HTML to PDF with headless Chromium; the PDF appears only when printing succeeded."""
    path = Path(out)
    if not path.parent.is_dir():
        raise InputError(Problem("out", str(path), "a path in an existing folder"))
    browser = find_chromium()
    if browser is None:
        raise InputError(Problem("chromium", None, "Chromium installed (apt install chromium)"))
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "report.html"
        src.write_text(html_text, encoding="utf-8")
        pdf = Path(tmp) / "report.pdf"
        cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
               f"--user-data-dir={tmp}/profile", f"--print-to-pdf={pdf}", src.as_uri()]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s,
                              check=False)
        if not pdf.is_file() or pdf.stat().st_size == 0:
            msg = (f"chromium did not print the report (exit {proc.returncode}): "
                   f"{proc.stderr[-500:]}")
            raise RuntimeError(msg)
        shutil.move(str(pdf), path)
    return path


def write_district_report(repo: Repository, district_code: str, out: Path | str) -> Path:
    """Write the report as PDF (``.pdf``) or HTML (any other suffix)."""
    text = district_report_html(repo, district_code)
    path = Path(out)
    if path.suffix.lower() == ".pdf":
        return print_pdf(text, path)
    if not path.parent.is_dir():
        raise InputError(Problem("out", str(path), "a path in an existing folder"))
    path.write_text(text, encoding="utf-8")
    return path


__all__ = [
    "CJK_FONT",
    "compliance_chart_svg",
    "district_report_html",
    "find_chromium",
    "map_svg",
    "print_pdf",
    "write_district_report",
]

