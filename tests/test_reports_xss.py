"""User text is escaped wherever the report layer renders it (folium tooltips, legend, HTML).

The same corpus drives the Chromium test (tests/test_browser_report.py).
"""

from __future__ import annotations

import html
import json
import re

import pandas as pd

from ui.map import build_map, report_rows

#: Each payload would log "XSS-RAN" or alert if it ever ran as script.
XSS_CORPUS: tuple[str, ...] = (
    "<script>console.error('XSS-RAN');alert(1)</script>",
    "<img src=x onerror=\"console.error('XSS-RAN');alert(2)\">",
    "<svg onload=\"console.error('XSS-RAN');alert(3)\">",
    "[click me](javascript:alert(4))",
    "</textarea><script>console.error('XSS-RAN')</script>",
    "\"><iframe src=\"javascript:alert(6)\"></iframe>",
    "<a href=\"javascript:alert(7)\">link</a>",
    "'; alert(8); //",
    "<b onmouseover=\"console.error('XSS-RAN')\">hover</b>",
    "javascript:alert(10)",
)


def _frame() -> pd.DataFrame:
    n = len(XSS_CORPUS)
    return pd.DataFrame({
        "report_id": range(1, n + 1),
        "code": [f"AAAA-{i:04d}" for i in range(n)],
        "category": ["other"] * n,
        "lon": [111.9 + 0.01 * i for i in range(n)],
        "lat": [21.85] * n,
        "district_code": ["441702"] * n,
        "status": ["new"] * n,
        "support_count": [0] * n,
        "created_at": pd.Timestamp("2026-01-01", tz="UTC"),
        "description": list(XSS_CORPUS),
        "location_text": list(XSS_CORPUS),
        "is_demo": [False] * n,
    })


def test_report_rows_escape_every_payload() -> None:
    rows = report_rows(_frame(), ["new"])
    assert len(rows) == len(XSS_CORPUS)
    for row, payload in zip(rows, XSS_CORPUS, strict=True):
        for text in (t for t in row if isinstance(t, str)):
            assert "<" not in text and ">" not in text and '"' not in text
        assert html.unescape(row[-1]) == payload  # the text itself is kept


def test_rendered_map_html_contains_only_escaped_report_text() -> None:
    empty = pd.DataFrame(columns=["facility_id", "lat", "lon", "verdict", "name"])
    page = build_map(empty, lang="zh-Hans", reports=_frame()).get_root().render()
    for payload in XSS_CORPUS:
        if "<" in payload:
            assert payload not in page
    # decode the marker data array the browser receives: tooltips are HTML-escaped strings
    arrays = re.findall(r"var data = (\[\[.*?\]\]);", page)
    assert arrays, "report marker data not found in the rendered map"
    tooltips = [row[-1] for array in arrays for row in json.loads(array)
                if isinstance(row[-1], str)]
    for payload in XSS_CORPUS:
        assert any(html.escape(payload, quote=True) in tip for tip in tooltips)
        assert all(payload not in tip for tip in tooltips if "<" in payload)
