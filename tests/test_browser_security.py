"""Issue 16's acceptance walk in headless Chromium at 1024×768 and 390×844 (docs/SECURITY-WALK.md).

Two journeys not covered elsewhere in a real browser:

- staff pages by address and sign-in/out: a resident opening bureau and admin pages by URL gets
  the sign-in form and no private data; wrong passwords from one device end in the throttle's
  message with the time in Beijing time to the minute; an inspector opening bureau and admin
  pages is refused in words; sign-out deletes the HttpOnly cookie, and the back button then
  shows the sign-in form, not the inspector's page;
- refused uploads on the public report form: a photo over the size limit and a PDF are refused
  in the browser with a visible Chinese sentence (Streamlit's own English hidden, never
  translated before), and a pixel bomb with the right extension is refused by the library as too
  many pixels, with no report filed.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from test_browser_drafts import PW, _inspector, _session_cookie
from test_browser_report import _wait_idle

pytestmark = pytest.mark.browser

TIMEOUT_MS = 60_000
ERROR = '[data-testid="stAlertContentError"]'


def _database(data_dir: Path) -> Any:
    from audit.settings import Settings
    from audit.storage import open_database

    return open_database(Settings(data_dir=data_dir).effective_database_url)


def _forget_failed_sign_ins(data_dir: Path) -> None:
    """The app server's other browser tests sign in from the same address: lift the throttle."""
    from audit.storage.orm import SignInFailure

    db = _database(data_dir)
    try:
        with db.session(write=True) as s:
            s.execute(sa.delete(SignInFailure))
    finally:
        db.engine.dispose()


def _wait_failures(pg: Any, data_dir: Path, count: int) -> None:
    """Until the app has recorded ``count`` refused sign-ins (this test's, from this device)."""
    from audit.storage.orm import SignInFailure

    db = _database(data_dir)
    try:
        for _ in range(int(TIMEOUT_MS / 200)):
            with db.session() as s:
                if s.scalar(sa.select(sa.func.count()).select_from(SignInFailure)) >= count:
                    return
            pg.wait_for_timeout(200)
    finally:
        db.engine.dispose()
    raise AssertionError(f"the app never recorded {count} refused sign-ins")


def _sign_in(pg: Any, user: str, password: str) -> None:
    pg.get_by_label("用户名").fill(user)
    pg.get_by_label("密码", exact=True).fill(password)
    pg.get_by_role("button", name="登录").click()


def _open_menu(pg: Any, viewport: dict[str, int]) -> None:
    """On a phone the menu (with the sign-out button) is folded away: open it."""
    if viewport["width"] >= 1024:
        return
    pg.locator('[data-testid="stExpandSidebarButton"]').first.click()
    pg.wait_for_function("() => !document.querySelector('[data-testid=stSidebar]').inert",
                         timeout=TIMEOUT_MS)


@pytest.mark.parametrize("viewport", ["desktop", "phone"], indirect=True)
def test_staff_pages_by_address_throttle_time_and_sign_out(
        page: Any, app_url: str, seeded_data_dir: Path, viewport: dict[str, int]) -> None:
    from playwright.sync_api import expect

    pg, recorder = page
    for path in ("review", "admin"):  # a resident, by address
        pg.goto(f"{app_url}/{path}", timeout=TIMEOUT_MS)
        pg.get_by_label("密码", exact=True).wait_for(timeout=TIMEOUT_MS)
        _wait_idle(pg)
        body = pg.locator("body").inner_text()
        assert "居民反映审核" not in body and "账户管理" not in body

    user = _inspector(seeded_data_dir, f"walk16-{viewport['width']}")
    try:
        for n in range(3):  # from this device: three wrong passwords, then the throttle
            _sign_in(pg, user, f"wrong-password-{n}")
            expect(pg.locator(ERROR).first).to_contain_text("用户名或密码错误", timeout=TIMEOUT_MS)
            _wait_failures(pg, seeded_data_dir, n + 1)
        before = datetime.now(UTC)
        _sign_in(pg, user, PW)  # even the right password, until the time it names
        expect(pg.locator(ERROR).first).to_contain_text("此设备登录失败次数过多",
                                                        timeout=TIMEOUT_MS)
        shown = re.search(r"北京时间 (\d\d):(\d\d) 之后", pg.locator(ERROR).first.inner_text())
        assert shown, "the throttle names no time"
        # the first refusal happened within the last minute or so: it lifts 15 minutes later
        expected = {(before + timedelta(minutes=15 - m, hours=8)).strftime("%H:%M")
                    for m in range(3)}
        assert f"{shown[1]}:{shown[2]}" in expected
    finally:
        _forget_failed_sign_ins(seeded_data_dir)

    # signed in and out on the inspector's page in one visit: the form comes back empty for
    # the next person (a phone's page kept the name and the password), and a phone's menu folds
    pg.goto(f"{app_url}/audits", timeout=TIMEOUT_MS)
    _sign_in(pg, user, PW)
    pg.get_by_role("heading", name="设施督导").first.wait_for(timeout=TIMEOUT_MS)
    _open_menu(pg, viewport)
    pg.get_by_role("button", name="退出登录").click()
    pg.get_by_role("heading", name="工作人员登录", level=1).wait_for(timeout=TIMEOUT_MS)
    _wait_idle(pg)
    assert pg.get_by_label("用户名").input_value() == ""
    assert pg.get_by_label("密码", exact=True).input_value() == ""
    if viewport["width"] < 768:
        expect(pg.locator('[data-testid="stExpandSidebarButton"]')).to_be_visible(
            timeout=TIMEOUT_MS)

    pg.goto(f"{app_url}/admin", timeout=TIMEOUT_MS)
    _sign_in(pg, user, PW)
    pg.get_by_text("已登录：").first.wait_for(timeout=TIMEOUT_MS)
    assert _session_cookie(pg)["httpOnly"] is True
    for path in ("review", "admin", "workorders"):  # an inspector, by address
        pg.goto(f"{app_url}/{path}", timeout=TIMEOUT_MS)
        expect(pg.locator(ERROR).first).to_contain_text("督导员角色无权使用此页面",
                                                        timeout=TIMEOUT_MS)
        assert pg.get_by_role("button", name="核实为真实问题").count() == 0

    pg.goto(f"{app_url}/audits", timeout=TIMEOUT_MS)
    pg.get_by_role("heading", name="设施督导").first.wait_for(timeout=TIMEOUT_MS)
    pg.goto(f"{app_url}/sign_in", timeout=TIMEOUT_MS)
    _open_menu(pg, viewport)
    pg.get_by_role("button", name="退出登录").click()
    pg.get_by_label("密码", exact=True).wait_for(timeout=TIMEOUT_MS)
    for _ in range(int(TIMEOUT_MS / 200)):
        if not any(c["name"] == "yj_session" for c in pg.context.cookies()):
            break
        pg.wait_for_timeout(200)
    assert [c for c in pg.context.cookies() if c["name"] == "yj_session"] == []
    if viewport["width"] < 768:  # a phone: the menu folded, the signed-out page is in view
        expect(pg.locator('[data-testid="stExpandSidebarButton"]')).to_be_visible(
            timeout=TIMEOUT_MS)
        assert pg.get_by_label("密码", exact=True).is_visible()

    pg.go_back(timeout=TIMEOUT_MS)  # the inspector's page, from the browser's history
    assert pg.url.endswith("/audits")
    pg.get_by_label("密码", exact=True).wait_for(timeout=TIMEOUT_MS)
    assert pg.get_by_role("heading", name="设施督导").count() == 0
    # the staff page, signed out, is titled for what it shows: the sign-in
    assert pg.get_by_role("heading", name="工作人员登录", level=1).count() == 1
    assert recorder.blocked == []


def _reports_named(data_dir: Path, marker: str) -> int:
    from audit.storage.orm import Report

    db = _database(data_dir)
    try:
        with db.session() as s:
            return int(s.scalar(sa.select(sa.func.count()).select_from(Report).where(
                Report.location_text.contains(marker))) or 0)
    finally:
        db.engine.dispose()


@pytest.mark.parametrize("viewport", ["desktop", "phone"], indirect=True)
def test_refused_photos_say_why_in_chinese_and_file_nothing(
        page: Any, app_url: str, seeded_data_dir: Path, viewport: dict[str, int],
        tmp_path: Path) -> None:
    from PIL import Image
    from playwright.sync_api import expect

    from audit.settings import get_settings

    pg, _recorder = page
    limit = get_settings().photo_max_bytes
    big = tmp_path / "big.jpg"
    big.write_bytes(b"\xff\xd8\xff" + bytes(limit + 1024))
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
    bomb = io.BytesIO()
    side = int((Image.MAX_IMAGE_PIXELS or 89_478_485) ** 0.5) + 100
    Image.new("1", (side, side)).save(bomb, format="PNG")  # ~12 kB, ~90 million pixels

    pg.goto(f"{app_url}/report", timeout=TIMEOUT_MS)
    pg.get_by_text("隐私说明").first.wait_for(timeout=TIMEOUT_MS)
    _wait_idle(pg)
    picker = pg.locator('[data-testid="stFileUploader"] input[type=file]').first
    chip = pg.locator('[data-testid="stFileChip"] [role="alert"]').first
    for path, words in ((big, "此文件太大，未上传"), (pdf, "不接受此类文件")):
        picker.set_input_files(str(path))
        expect(chip).to_contain_text(words, timeout=TIMEOUT_MS)
        expect(chip).to_be_visible()
        assert "Error" not in chip.inner_text() and "must be" not in chip.inner_text()
        pg.locator('[data-testid="stFileChipDeleteBtn"] button').first.click()
        expect(chip).to_have_count(0, timeout=TIMEOUT_MS)

    marker = f"像素炸弹测试 {viewport['width']}"
    picker.set_input_files(files=[{"name": "photo.png", "mimeType": "image/png",
                                   "buffer": bomb.getvalue()}])
    pg.locator('[data-testid="stFileChip"]').first.wait_for(timeout=TIMEOUT_MS)
    _wait_idle(pg)
    pg.get_by_text("盲道被占用").first.click()
    pg.locator('input[aria-label^="位置：地址"]').first.fill(f"{marker} 东风路公交站")
    pg.get_by_role("button", name="提交反映").click()
    expect(pg.locator(ERROR).first).to_contain_text("像素过多", timeout=TIMEOUT_MS)
    assert pg.get_by_text("已收到您的反映").count() == 0
    assert _reports_named(seeded_data_dir, marker) == 0
