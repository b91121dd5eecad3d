"""Work survives a reload (issue 17 item 4) in headless Chromium at 1024×768 and 390×844.

Sign in → the app server sets the HttpOnly, SameSite=Strict session cookie → type a location and
a measurement → the draft is saved automatically → reload the page → still signed in (no
sign-in form) → the draft is listed → continue it → the typed values are back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser_support import LABEL_FITS_JS
from test_browser_tablet import _number

pytestmark = pytest.mark.browser

TIMEOUT_MS = 60_000
PW = "drafts-inspector-pw"
SLOPE = "纵向坡度 (%)"


def _inspector(data_dir: Path, name: str) -> str:
    from audit.actors import SYSTEM
    from audit.auth import create_user, get_user
    from audit.settings import Settings
    from audit.storage import open_database

    db = open_database(Settings(data_dir=data_dir).effective_database_url)
    with db.unit_of_work(SYSTEM, write=True) as repo:
        if get_user(repo, name) is None:
            create_user(repo, name, PW, "inspector")
    db.engine.dispose()
    return name


def _session_cookie(pg: Any) -> dict[str, Any]:
    for _ in range(int(TIMEOUT_MS / 200)):
        found = [c for c in pg.context.cookies() if c["name"] == "yj_session"]
        if found:
            return dict(found[0])
        pg.wait_for_timeout(200)
    raise AssertionError("the app server never set the sign-in cookie")


def _wait_draft_saved(pg: Any, data_dir: Path, user: str) -> None:
    """Until the user's draft in the database holds the typed slope (the autosave of that
    change has committed)."""
    import sqlalchemy as sa

    from audit.settings import Settings
    from audit.storage import open_database
    from audit.storage.orm import AuditDraft, User

    db = open_database(Settings(data_dir=data_dir).effective_database_url)
    try:
        for _ in range(int(TIMEOUT_MS / 200)):
            with db.session() as s:
                contents = list(s.scalars(sa.select(AuditDraft.content).join(
                    User, User.id == AuditDraft.user_id).where(User.username == user)))
            if any((c.get("measurements") or {}).get("running_slope_pct") == 10 for c in contents):
                return
            pg.wait_for_timeout(200)
    finally:
        db.engine.dispose()
    raise AssertionError("the typed slope never reached the draft")


@pytest.mark.parametrize("viewport", ["desktop", "phone"], indirect=True)
def test_reload_keeps_sign_in_and_draft(page: Any, app_url: str, seeded_data_dir: Path,
                                        viewport: dict[str, int]) -> None:
    from playwright.sync_api import expect

    pg, recorder = page
    user = _inspector(seeded_data_dir, f"drafts-{viewport['width']}")
    pg.goto(f"{app_url}/audits", timeout=TIMEOUT_MS)
    pg.get_by_label("用户名").fill(user)
    pg.get_by_label("密码").fill(PW)
    pg.get_by_role("button", name="登录").click()
    pg.get_by_role("heading", name="设施督导").first.wait_for(timeout=TIMEOUT_MS)
    cookie = _session_cookie(pg)
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict"
    assert cookie["expires"] > 0  # expires with the session, not a browser-session cookie
    assert pg.evaluate("document.cookie").find("yj_session") == -1  # hidden from scripts

    # an unsaved audit: a typed location and one measurement
    pg.get_by_text("粘贴坐标", exact=True).click()
    pg.get_by_label("坐标（经度, 纬度）").fill("111.98100, 21.86100")
    pg.get_by_role("button", name="使用", exact=True).click()
    pg.get_by_text("已选位置").first.wait_for(timeout=TIMEOUT_MS)
    _number(pg, SLOPE, "10")
    pg.get_by_text("已自动保存草稿").first.wait_for(timeout=TIMEOUT_MS)
    _wait_draft_saved(pg, seeded_data_dir, user)

    pg.reload(timeout=TIMEOUT_MS)
    pg.get_by_role("heading", name="设施督导").first.wait_for(timeout=TIMEOUT_MS)
    # still signed in after the reload: the account's line, and no sign-in form (the signed-in
    # sidebar has its own "当前密码", "新密码" fields, hence the exact label)
    pg.get_by_text(f"已登录：{user}").first.wait_for(timeout=TIMEOUT_MS)
    assert pg.get_by_label("密码", exact=True).count() == 0
    # the draft's buttons show their whole labels (a tablet beside the open sidebar cut them to
    # "继续…" and "删除…" when their columns were a sixth of the width each)
    for name in ("继续填写", "删除草稿"):
        button = pg.get_by_role("button", name=name).first
        button.wait_for(timeout=TIMEOUT_MS)
        assert button.evaluate(LABEL_FITS_JS), f"{name} is cut short at {viewport['width']} px"
    pg.get_by_role("button", name="继续填写").first.click()
    pg.get_by_text("已恢复草稿").first.wait_for(timeout=TIMEOUT_MS)
    expect(pg.get_by_label(SLOPE, exact=True).first).to_have_value("10", timeout=TIMEOUT_MS)
    assert pg.get_by_text("已选位置：111.981000, 21.861000").count() >= 1
    assert recorder.blocked == []
