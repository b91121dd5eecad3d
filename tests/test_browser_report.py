"""Reporting in headless Chromium: keyboard only on a phone, duplicates, and the XSS corpus."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from browser_support import map_frame
from test_reports_xss import XSS_CORPUS

pytestmark = pytest.mark.browser

TIMEOUT_MS = 45_000
MAX_TABS = 80
CODE_RE = re.compile(r"\b[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}\b")
XSS_SPOT = (111.62, 21.60)  # a quiet corner for the XSS reports


def _wait_idle(pg: Any) -> None:
    """Wait until Streamlit has finished rerunning the script (its status widget is gone)."""
    pg.wait_for_timeout(300)
    # the status widget is gone and no element is still marked stale (faded) from the last run
    pg.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && !document.querySelector('[data-stale=\"true\"]')",
        timeout=TIMEOUT_MS,
    )


def _tab_to(pg: Any, predicate_js: str) -> None:
    """Press Tab until ``predicate_js(document.activeElement)`` is true (keyboard only).

    A rerun can redraw the page under the focus, so the walk waits for the app to be idle first
    and goes round the page twice before giving up."""
    _wait_idle(pg)
    for _ in range(2 * MAX_TABS):
        pg.keyboard.press("Tab")
        if pg.evaluate(f"(el => {predicate_js})(document.activeElement)"):
            return
    raise AssertionError(f"focus never reached an element matching {predicate_js}")


def _open_menu_by_keyboard(pg: Any) -> None:
    """On a phone the folded menu's links are out of the Tab order (issue 17 item 14): a
    keyboard user first tabs to the menu button and opens it, as the page offers. A no-op where
    the menu is already open beside the page."""
    _wait_idle(pg)
    if pg.locator('[data-testid="stExpandSidebarButton"]').count() == 0:
        return
    _tab_to(pg, "el.getAttribute('data-testid') === 'stExpandSidebarButton'")
    pg.keyboard.press("Enter")
    pg.wait_for_function(  # the menu is open and its links are back in the Tab order
        "() => !document.querySelector('[data-testid=stExpandSidebarButton]')"
        " && !document.querySelector('[data-testid=stSidebar]').inert", timeout=TIMEOUT_MS)


def _open_report_page(pg: Any, url: str) -> None:
    """Open the app and follow the navigation link to the report page with the keyboard.

    (Loading ``/report`` directly makes Streamlit's frontend probe ``/report/_stcore/...``,
    which logs 404s unrelated to this page.)"""
    pg.goto(url, timeout=TIMEOUT_MS)
    pg.get_by_text("反映无障碍问题").first.wait_for(timeout=TIMEOUT_MS)
    _open_menu_by_keyboard(pg)
    _tab_to(pg, "el.tagName === 'A' && el.innerText.includes('反映无障碍问题')")
    pg.keyboard.press("Enter")
    pg.get_by_text("隐私说明").first.wait_for(timeout=TIMEOUT_MS)


def _keyboard_report(pg: Any, where: str, description: str | None = None) -> str:
    """File a report with the keyboard only; return the code shown."""
    _tab_to(pg, "el.type === 'radio' && (el.closest('[role=radiogroup]') || el.parentElement)"
                ".closest('[data-testid=stRadio]').innerText.includes('盲道被占用')")
    pg.keyboard.press("Space")  # first category
    _wait_idle(pg)
    _tab_to(pg, "el.tagName === 'INPUT' && (el.getAttribute('aria-label') || '')"
                ".startsWith('位置')")
    pg.keyboard.type(where)
    if description is None:
        pg.keyboard.press("Enter")  # Enter in a text field submits the form
    else:
        _tab_to(pg, "el.tagName === 'TEXTAREA'")
        pg.keyboard.type(description)
        _tab_to(pg, "el.tagName === 'BUTTON' && el.innerText.includes('提交反映')")
        pg.keyboard.press("Enter")
    pg.get_by_text("已收到您的反映").wait_for(timeout=TIMEOUT_MS)
    match = CODE_RE.search(pg.locator("code").first.inner_text())
    assert match, "no report code shown"
    return match.group(0)


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_keyboard_only_report_by_typed_location_on_phone(page: Any, app_url: str,
                                                         seeded_data_dir: Path) -> None:
    pg, recorder = page
    _open_report_page(pg, app_url)
    code = _keyboard_report(pg, "江城区南恩路人民医院门口公交站（键盘测试）")
    from audit.storage import open_database

    db = open_database(f"sqlite:///{seeded_data_dir / 'audit.sqlite3'}")
    try:
        with db.session() as s:
            import sqlalchemy as sa

            from audit.storage.orm import Report

            row = s.scalar(sa.select(Report).where(Report.code == code))
            assert row is not None and row.lon is None and row.category == "tactile_blocked"
    finally:
        db.engine.dispose()
    assert recorder.console_errors == []
    assert recorder.blocked == []


def _insert_xss_reports(data_dir: Path) -> list[str]:
    from audit import reports as R
    from audit.actors import SYSTEM
    from audit.storage import open_database
    from audit.storage.repository import Repository

    db = open_database(f"sqlite:///{data_dir / 'audit.sqlite3'}")
    codes: list[str] = []
    try:
        with db.session(write=True) as s:
            for i, payload in enumerate(XSS_CORPUS):
                got = R.create_report(
                    Repository(s, SYSTEM), category="other", description=payload,
                    location_text=payload, lon=XSS_SPOT[0] + 0.02 * i, lat=XSS_SPOT[1],
                )
                codes.append(got.code)
    finally:
        db.engine.dispose()
    return codes


def test_xss_corpus_never_runs_and_shows_literally(page: Any, app_url: str,
                                                   seeded_data_dir: Path) -> None:
    pg, recorder = page
    dialogs: list[str] = []

    def _dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    pg.on("dialog", _dialog)
    codes = _insert_xss_reports(seeded_data_dir)
    # filing through the page clears the app's report cache, so the map shows the new ones
    _open_report_page(pg, app_url)
    typed = _keyboard_report(pg, "XSS 测试地点 " + XSS_CORPUS[0], XSS_CORPUS[1])

    for code, payload in [(typed, XSS_CORPUS[1]), *zip(codes, XSS_CORPUS, strict=True)][:4]:
        pg.goto(f"{app_url}/report_status", timeout=TIMEOUT_MS)
        box = pg.get_by_label("反映编号", exact=True)
        box.wait_for(timeout=TIMEOUT_MS)
        box.focus()
        pg.keyboard.type(code)
        pg.keyboard.press("Enter")
        pg.get_by_text("处理记录").wait_for(timeout=TIMEOUT_MS)
        body = pg.locator("body").inner_text()
        assert payload in body, f"payload not shown literally for {code}"
    assert pg.locator("img[src='x']").count() == 0

    pg.goto(app_url, timeout=TIMEOUT_MS)
    frame = map_frame(pg, TIMEOUT_MS)
    pg.wait_for_timeout(1500)
    assert frame.locator("img[src='x']").count() == 0
    assert frame.locator("svg[onload]").count() == 0
    found = frame.evaluate(
        """(payloads) => new Promise((resolve) => {
            const hits = [];
            let group = null;
            for (const id in window.map._layers) {
                const layer = window.map._layers[id];
                if (!(layer.getLayers && layer._featureGroup)) continue;
                for (const m of layer.getLayers()) {
                    const title = m.options.title || '';
                    if (payloads.some(p => title.includes(p))) { hits.push(m); group = layer; }
                }
            }
            if (!hits.length) { resolve({titles: [], shown: ''}); return; }
            group.zoomToShowLayer(hits[1], () => {
                hits[1].openTooltip();
                const tip = document.querySelector('.leaflet-tooltip');
                resolve({titles: hits.map(m => m.options.title),
                         shown: tip ? tip.innerText : ''});
            });
        })""",
        list(XSS_CORPUS),
    )
    assert len(found["titles"]) == len(XSS_CORPUS)
    # the marker title (a DOM property) and the opened tooltip show the payload literally
    assert any(XSS_CORPUS[1] in t for t in found["titles"])
    assert XSS_CORPUS[1] in found["shown"]
    pg.wait_for_timeout(500)
    assert frame.locator("img[src='x']").count() == 0
    assert dialogs == []
    assert not [m for m in recorder.console_errors if "XSS-RAN" in m]
