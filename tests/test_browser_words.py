"""Streamlit's own English words on a Chinese page, and the focus after a report, in headless
Chromium at 390×844 and 1024×768 (issue 17, item 9; the menu of item 10 on the tablet/desktop).

One walk per size: the landing map and the report page (file uploader, help icons, form) show
none of Streamlit's English texts, not even in ``aria-label``/``title``/``placeholder``; a
keyboard-only report ends with the focus on the confirmation that holds the report code.
"""

from __future__ import annotations

from typing import Any

import pytest
from test_browser_report import _keyboard_report, _open_report_page, _wait_idle

from ui.chrome import EXACT, RECEIPT_ID

pytestmark = pytest.mark.browser

TIMEOUT_MS = 45_000
#: Streamlit's English texts named in the issue (plus the other ones ui/chrome.py replaces).
ENGLISH = (*EXACT, "Help for", "per file", "Limit ")

_TEXTS_JS = """() => {
  const parts = [document.body.innerText];
  for (const el of document.querySelectorAll('[aria-label],[title],[placeholder]')) {
    for (const name of ['aria-label', 'title', 'placeholder']) {
      const value = el.getAttribute(name);
      if (value) parts.push(value);
    }
  }
  return parts.join('\\n');
}"""


def _english_left(pg: Any) -> list[str]:
    _wait_idle(pg)
    pg.wait_for_timeout(300)  # the translator runs on the next animation frame
    text = pg.evaluate(_TEXTS_JS)
    return [word for word in ENGLISH if word in text]


@pytest.mark.parametrize("viewport", ["phone", "desktop"], indirect=True)
def test_chinese_pages_hide_streamlit_english_and_focus_the_report_code(
        page: Any, app_url: str, viewport: dict[str, int]) -> None:
    pg, recorder = page
    _open_report_page(pg, app_url)
    assert _english_left(pg) == []
    assert pg.evaluate("document.documentElement.lang") == "zh-Hans"
    if viewport["width"] >= 1024:  # the menu is open beside the page: a resident's menu
        links = pg.locator('[data-testid="stSidebarNav"] a').all_inner_texts()
        joined = " ".join(links)
        assert "工作人员登录" in joined and "工单" not in joined and "设施督导" not in joined
    code = _keyboard_report(pg, f"江城区东风路口（{viewport['width']} 宽屏测试）")
    pg.wait_for_function(
        f"() => document.activeElement && document.activeElement.id === '{RECEIPT_ID}'",
        timeout=TIMEOUT_MS)
    focused = pg.evaluate("[document.activeElement.getAttribute('role'),"
                          " document.activeElement.innerText]")
    assert focused[0] == "status" and code in focused[1]
    assert _english_left(pg) == []
    assert recorder.console_errors == []
    assert recorder.blocked == []
