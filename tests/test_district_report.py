"""The printable district report: Chromium prints it to PDF; the PDF renders and holds Chinese."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from bureau_fixtures import WEIGHTS, audit, facility
from conftest import skip_or_fail
from PIL import Image

from audit.district_report import district_report_html, find_chromium, write_district_report
from audit.errors import InputError
from audit.rankings import compute_rankings
from audit.storage import Database
from audit.storage.repository import Repository


@pytest.fixture
def seeded(sqlite_db: Database) -> Database:
    with sqlite_db.session(write=True) as s:
        for i in range(6):
            f = facility(s, "curb_ramp", "441702", dx=0.002 * i)
            audit(s, f, "non_compliant" if i % 2 else "compliant", {"major": 1} if i % 2 else None)
        audit(s, facility(s, "toilet", "441702"), "incomplete")
        Repository(s).set_meta("demo_seed", "synthetic")
    return sqlite_db


def test_html_has_tables_chart_map_and_demo_label(seeded: Database) -> None:
    with seeded.session() as s:
        res = compute_rankings(Repository(s), weights=WEIGHTS)
        text = district_report_html(s, "441702", ranking=res)
    assert "江城区 无障碍设施督导报告" in text and "缘石坡道" in text
    assert text.count("<svg") == 2  # chart + map
    assert "合成演示数据" in text and "Noto Sans CJK SC" in text
    with seeded.session() as s, pytest.raises(InputError):
        district_report_html(s, "999999")


def test_pdf_renders_and_contains_chinese(seeded: Database, tmp_path: Path) -> None:
    if find_chromium() is None:
        skip_or_fail("Chromium is not installed")
    if shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None:
        skip_or_fail("poppler-utils (pdftoppm, pdftotext) are not installed")
    out = tmp_path / "jiangcheng.pdf"
    with seeded.session() as s:
        write_district_report(s, "441702", out)
    assert out.read_bytes()[:5] == b"%PDF-"
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "江城区" in text and "阳春市" in text and "缘石坡道" in text
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(out),
                    str(tmp_path / "page")], check=True)
    png = next(tmp_path.glob("page*.png"))
    img = Image.open(png).convert("L")
    lo, hi = img.getextrema()
    dark = sum(img.histogram()[:128]) / (img.width * img.height)
    assert hi - lo > 100 and 0.005 < dark < 0.5  # not blank, not a black page
