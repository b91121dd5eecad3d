"""The accessible-route page in headless Chromium: phone size, keyboard only, no map needed."""

from __future__ import annotations

from typing import Any

import pytest
from test_browser_report import _open_menu_by_keyboard, _tab_to, _wait_idle

pytestmark = pytest.mark.browser

TIMEOUT_MS = 45_000
FIRST_ROUTE_MS = 240_000  # the app builds the demo walk network and its weights on first use


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_keyboard_only_route_is_read_as_text_without_the_map(page: Any, app_url: str) -> None:
    pg, recorder = page
    pg.goto(app_url, timeout=TIMEOUT_MS)
    pg.get_by_text("无障碍路线").first.wait_for(timeout=TIMEOUT_MS)
    _open_menu_by_keyboard(pg)
    _tab_to(pg, "el.tagName === 'A' && el.innerText.includes('无障碍路线')")
    pg.keyboard.press("Enter")
    pg.get_by_text("出行者类型").first.wait_for(timeout=TIMEOUT_MS)
    _tab_to(pg, "el.tagName === 'INPUT' && (el.getAttribute('aria-label') || '') === '起点'")
    pg.keyboard.type("Yangjiang")
    _tab_to(pg, "el.tagName === 'INPUT' && (el.getAttribute('aria-label') || '') === '终点'")
    pg.keyboard.type("111.9700, 21.8600")
    pg.keyboard.press("Enter")  # Enter in a text field submits the form
    pg.get_by_text("逐步路线").wait_for(timeout=FIRST_ROUTE_MS)
    _wait_idle(pg)
    # the step list arrives element by element: read the page once its last step is there
    pg.get_by_text("到达111.970000, 21.860000。").first.wait_for(timeout=TIMEOUT_MS)
    text = pg.locator("[data-testid=stMain]").inner_text()
    assert "手动轮椅路线：全长" in text and "从Yangjiang出发。" in text
    assert "\n1. " in text and "到达111.970000, 21.860000。" in text
    assert "数据：演示路网（合成，非OSM）。" in text
    assert pg.locator("iframe").count() == 0  # the whole answer came without any map
    # every step's "report a barrier here" link is reachable by keyboard and carries the point
    _tab_to(pg, "el.tagName === 'A' && el.innerText.includes('在此处报告障碍')")
    href = pg.evaluate("document.activeElement.getAttribute('href')")
    assert href.startswith("./report?at=111.")
    assert recorder.console_errors == []
    assert recorder.blocked == []
