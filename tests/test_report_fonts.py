"""The report's Chinese comes out in the packaged Noto Sans SC, whatever fonts the system has."""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess
import warnings
from pathlib import Path

import pandas as pd
import pytest
from bureau_fixtures import WEIGHTS, audit, facility
from conftest import skip_or_fail
from fontTools.ttLib import TTFont

from audit.actors import SYSTEM
from audit.io.district_report import (
    compliance_chart_svg,
    district_report_html,
    find_chromium,
    print_pdf,
    write_district_report,
)
from audit.io.report_fonts import FONT_FAMILY, embed_font, font_path, subset_woff
from audit.rankings import compute_rankings
from audit.storage import Database

#: Debian's Latin font folders (fonts-dejavu, fonts-liberation come with Chromium)
LATIN_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype/liberation")
CHINESE = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")


@pytest.fixture
def seeded(sqlite_db: Database) -> Database:
    """Two facility types in 江城区, one compliant and one failing audit each (both charted)."""
    with sqlite_db.session(write=True) as s:
        for n, ftype in enumerate(("curb_ramp", "toilet")):
            for verdict in ("compliant", "non_compliant"):
                f = facility(s, ftype, "441702", dx=0.001 * n + (0.003 if verdict == "compliant"
                                                                  else 0.0))
                audit(s, f, verdict, {"critical": 1} if verdict == "non_compliant" else None)
    return sqlite_db


def _table() -> pd.DataFrame:
    return pd.DataFrame({
        "type_zh": ["缘石坡道", "无障碍卫生间"], "decided": [4, 2], "rankable": [True, False],
        "compliance_rate": [0.75, 0.5], "ci_low": [0.3, 0.09], "ci_high": [0.95, 0.91],
    })


def test_the_font_is_the_packaged_otf_not_a_system_font() -> None:
    import pylopdf_fonts_zh_cn

    path = font_path()
    assert path.suffix == ".otf" and path.parent == Path(pylopdf_fonts_zh_cn.__file__).parent
    font = TTFont(str(path), lazy=True)
    assert font["name"].getDebugName(1) == FONT_FAMILY
    assert "OFL" in font["name"].getDebugName(13) or "Open Font" in font["name"].getDebugName(13)


def test_chart_svg_keeps_chinese_as_text_laid_out_with_the_packaged_font() -> None:
    from matplotlib import font_manager

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s) DejaVu Sans" would raise
        svg = compliance_chart_svg(_table())
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    chinese = [t for t in texts if CHINESE.search(t)]
    assert "缘石坡道" in chinese and "无障碍卫生间" in chinese
    assert any(t.startswith("合格率 %（误差线") for t in chinese)
    assert all(f"font-family: '{FONT_FAMILY}'" in tag
               for tag in re.findall(r"<text[^>]*>", svg) if "font-family" in tag)
    # matplotlib resolves the family to the packaged file (no system font can stand in for it)
    found = font_manager.findfont(font_manager.FontProperties(family=[FONT_FAMILY]),
                                  fallback_to_default=False)
    assert Path(found) == font_path()
    cmap = TTFont(found, lazy=True).getBestCmap()
    assert all(ord(c) in cmap for t in chinese for c in t if CHINESE.match(c))


def test_html_embeds_a_subset_holding_every_character_it_uses(seeded: Database) -> None:
    with seeded.unit_of_work(SYSTEM) as repo:
        text = district_report_html(repo, "441702",
                                    ranking=compute_rankings(repo, weights=WEIGHTS))
    match = re.search(r'@font-face \{ font-family: "Noto Sans SC";[^}]*'
                      r"url\(data:font/woff;base64,([A-Za-z0-9+/=]+)\)", text)
    assert match, "no embedded web font"
    woff = base64.b64decode(match[1])
    assert 5_000 < len(woff) < 600_000  # a subset, not the 8 MB font
    cmap = TTFont(io.BytesIO(woff)).getBestCmap()
    body = text.replace(match[0], "")
    used = {c for c in body if CHINESE.match(c)}
    assert len(used) > 100 and not [c for c in used if ord(c) not in cmap]
    assert f'font-family: "{FONT_FAMILY}", "Noto Sans CJK SC", sans-serif' in text


def test_subset_is_cut_to_the_text_given() -> None:
    small = TTFont(io.BytesIO(subset_woff("阳江"))).getBestCmap()
    assert {ord("阳"), ord("江")} <= set(small) and ord("春") not in small


def test_embedding_needs_a_head() -> None:
    with pytest.raises(ValueError, match="</head>"):
        embed_font("<p>阳江</p>")
    assert embed_font("<html><head></head><body>阳江</body></html>").count("@font-face") == 1


def _no_cjk_fonts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Chromium (fontconfig) sees only Latin system fonts: a machine without CJK fonts."""
    dirs = [d for d in LATIN_FONT_DIRS if Path(d).is_dir()]
    if not dirs:
        pytest.fail(f"none of {LATIN_FONT_DIRS} exists; add this machine's Latin font folder")
    conf = tmp_path / "fonts.conf"
    conf.write_text("<?xml version='1.0'?><fontconfig>"
                    + "".join(f"<dir>{d}</dir>" for d in dirs)
                    + f"<cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>")
    monkeypatch.setenv("FONTCONFIG_FILE", str(conf))


def _page_png(html_text: str, tmp_path: Path, name: str) -> bytes:
    pdf = print_pdf(html_text, tmp_path / f"{name}.pdf")
    subprocess.run(["pdftoppm", "-r", "30", "-png", "-singlefile", str(pdf),
                    str(tmp_path / name)], check=True)
    return (tmp_path / f"{name}.png").read_bytes()


def _needs_chromium_and_poppler() -> None:
    if find_chromium() is None:
        skip_or_fail("Chromium is not installed", needs="chromium")
    if any(shutil.which(t) is None for t in ("pdftoppm", "pdftotext")):
        skip_or_fail("poppler-utils (pdftoppm, pdftotext) are not installed", needs="poppler")


def test_pdf_draws_chinese_glyphs_without_system_cjk_fonts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _needs_chromium_and_poppler()
    _no_cjk_fonts(tmp_path, monkeypatch)
    page = (f"<html><head></head><body style='font: 120px \"{FONT_FAMILY}\", sans-serif'>"
            "{}</body></html>")
    # control: without the embedded font, two different words print as the same empty boxes,
    # so this environment really lacks CJK fonts
    bare = [_page_png(page.format(w), tmp_path, f"bare{i}") for i, w in enumerate(("阳江", "春市"))]
    assert bare[0] == bare[1], "a system CJK font is still visible; the test proves nothing"
    ours = [_page_png(embed_font(page.format(w)), tmp_path, f"ours{i}")
            for i, w in enumerate(("阳江", "春市"))]
    assert ours[0] != ours[1] and bare[0] not in ours


def test_report_pdf_without_system_cjk_fonts_holds_the_chinese(
    seeded: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _needs_chromium_and_poppler()
    _no_cjk_fonts(tmp_path, monkeypatch)
    out = tmp_path / "jiangcheng.pdf"
    with seeded.unit_of_work(SYSTEM) as repo:
        write_district_report(repo, "441702", out)
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True,
                          check=True).stdout
    # body text, table cells and the chart's SVG axis label (text kept as text)
    assert "江城区" in text and "缘石坡道" in text and "误差线" in text
