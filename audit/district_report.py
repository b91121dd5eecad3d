"""A printable district report in Chinese: HTML with tables, charts and a map, printed to PDF.

The HTML is self-contained (charts and the map snapshot are inline SVG drawn with matplotlib,
fonts "Noto Sans CJK SC"); :func:`print_pdf` prints it with headless Chromium
(``chromium --headless --print-to-pdf``). No map tiles: the map is the district boundary and the
audited facilities coloured by verdict. Demo data and synthetic inputs are labelled on the page.
"""

from __future__ import annotations

import html
import io
import shutil
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import sqlalchemy.orm as so

from audit.actors import SYSTEM, Actor
from audit.errors import InputError, Problem
from audit.rankings import RankingResult, compute_rankings
from audit.storage.repository import Repository

CJK_FONT = "Noto Sans CJK SC"
VERDICT_COLOURS = {"compliant": "#1a9850", "non_compliant": "#d73027", "incomplete": "#fdae61"}
VERDICT_ZH = {"compliant": "合规", "non_compliant": "不合规", "incomplete": "信息不全"}
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


def _mpl() -> object:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["font.family"] = [CJK_FONT, "DejaVu Sans"]
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
    ax.set_xlabel("合规率 %（误差线：95% Wilson 区间；灰色：覆盖率不足，不参与排名）")
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


def _table_html(table: pd.DataFrame) -> str:
    head = ("<tr><th>排名</th><th>设施类型</th><th>已督导</th><th>不合规</th><th>合规率</th>"
            "<th>95% 区间</th><th>严重度加权缺口分</th><th>每设施缺口分</th><th>应查数</th>"
            "<th>覆盖率</th><th>居民反映（另计）</th></tr>")
    rows = []
    for r in table.itertuples(index=False):
        pct = "—" if pd.isna(r.compliance_rate) else f"{r.compliance_rate * 100:.0f}%"
        ci = "—" if pd.isna(r.ci_low) else f"{r.ci_low * 100:.0f}–{r.ci_high * 100:.0f}%"
        cov = "—" if pd.isna(r.coverage) else f"{r.coverage * 100:.0f}%"
        rank = str(r.rank) if r.rankable else "覆盖不足"
        gpa = "—" if pd.isna(r.gap_per_audited) else f"{r.gap_per_audited:.2f}"
        exp = "—" if pd.isna(r.expected) else str(r.expected)
        cls = "" if r.rankable else ' class="thin"'
        rows.append(
            f"<tr{cls}><td>{html.escape(rank)}</td><td>{html.escape(r.type_zh)}</td>"
            f"<td>{r.audited}</td><td>{r.non_compliant}</td><td>{pct}</td><td>{ci}</td>"
            f"<td>{r.gap_points:.0f}</td><td>{gpa}</td><td>{exp}</td><td>{cov}</td>"
            f"<td>{r.resident_reports}</td></tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def district_report_html(session: so.Session, district_code: str, *,
                         actor: Actor = SYSTEM, ranking: RankingResult | None = None) -> str:
    """The report page of one district (Chinese), self-contained HTML."""
    import geodata
    from geodata.registry import attribution

    names = {str(k): v for k, v in geodata.DISTRICTS.items()}
    if district_code not in names:
        raise InputError(Problem("district", district_code,
                                 "one of " + ", ".join(f"{k} {v[0]}" for k, v in names.items())))
    repo = Repository(session, actor)
    res = ranking or compute_rankings(repo)
    table = res.table[res.table["district_code"] == district_code]
    by_district = compute_rankings(repo, group_by=["district_code"],
                                   coverage_threshold=res.coverage_threshold).table
    facilities = repo.facility_frame(districts=[district_code])
    name_zh = names[district_code][0]
    demo = res.is_demo
    demo_html = (
        '<p class="demo">⚠ 本报告基于<strong>合成演示数据</strong>，不代表阳江实际情况。</p>'
        if demo else "")
    drows = "".join(
        f"<tr><td>{'' if not r.rankable else r.rank}</td><td>{html.escape(r.district_zh)}</td>"
        f"<td>{r.audited}</td><td>{r.non_compliant}</td>"
        f"<td>{'—' if pd.isna(r.gap_per_audited) else f'{r.gap_per_audited:.2f}'}</td>"
        f"<td>{'—' if pd.isna(r.coverage) else f'{r.coverage * 100:.0f}%'}</td></tr>"
        for r in by_district.itertuples(index=False))
    weights = "，".join(f"{k}={v:g}" for k, v in res.weights.items())
    demo_tail = "设施与督导记录为合成演示数据。" if demo else ""
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!DOCTYPE html>
<html lang="zh-Hans"><head><meta charset="utf-8">
<title>{html.escape(name_zh)} 无障碍设施督导报告</title>
<style>
@page {{ size: A4; margin: 14mm; }}
body {{ font-family: "{CJK_FONT}", sans-serif; font-size: 10.5pt; color: #111; }}
h1 {{ font-size: 18pt; margin: 0 0 4pt; }} h2 {{ font-size: 13pt; margin: 14pt 0 6pt; }}
table {{ border-collapse: collapse; width: 100%; font-size: 9pt; }}
th, td {{ border: 1px solid #999; padding: 2pt 4pt; text-align: right; }}
th {{ background: #eee; }} td:nth-child(2) {{ text-align: left; }}
tr.thin td {{ color: #888; font-style: italic; }}
.demo {{ border: 2px solid #d73027; padding: 4pt; color: #a50026; }}
.note {{ font-size: 8.5pt; color: #444; }} svg {{ max-width: 100%; height: auto; }}
.page {{ page-break-before: always; }}
</style></head><body>
<h1>{html.escape(name_zh)} 无障碍设施督导报告</h1>
<p>依据 GB 55019-2021《建筑与市政工程无障碍通用规范》· 生成时间 {generated}</p>
{demo_html}
<h2>一、按设施类型排名（{html.escape(name_zh)}）</h2>
{_table_html(table)}
<p class="note">排名按“每设施严重度加权缺口分”从高到低（1 = 问题最重）；
覆盖率（已督导 ÷ 应查数）低于 {res.coverage_threshold * 100:.0f}% 的格子标为“覆盖不足”，
不参与排名。合规率 = 合规 ÷（合规 + 不合规），括号为 95% Wilson 区间。
严重度权重（来自规则集）：{html.escape(weights)}。居民反映数单列，不计入合规排名。
应查数来源：{html.escape(res.expected_source)}（默认值为假设，待城管局替换）。</p>
<h2>二、合规率与置信区间</h2>
{compliance_chart_svg(table)}
<h2>三、全市各区县对比</h2>
<table><tr><th>排名</th><th>区县</th><th>已督导</th><th>不合规</th><th>每设施缺口分</th>
<th>覆盖率</th></tr>{drows}</table>
<div class="page"></div>
<h2>四、督导点位图（{html.escape(name_zh)}）</h2>
{map_svg(district_code, facilities)}
<p class="note">数据来源：{html.escape(attribution())}。{demo_tail}</p>
</body></html>"""


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


def write_district_report(session: so.Session, district_code: str, out: Path | str, *,
                          actor: Actor = SYSTEM) -> Path:
    """Write the report as PDF (``.pdf``) or HTML (any other suffix)."""
    text = district_report_html(session, district_code, actor=actor)
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

