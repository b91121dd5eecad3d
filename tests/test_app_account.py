"""The signed-in user's own account section and the sign-in refusals, as a person sees them
(AppTest, SQLite)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import empty_app_db
from conftest import one_unit_of_work
from streamlit.testing.v1 import AppTest

from audit import auth
from audit.actors import SYSTEM
from audit.storage import Database

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
AUDIT_PAGE = "ui/pages/audits.py"
PW = "inspector-password-1"
NEW = "a-new-password-22"
FIELDS = ("own_password_current", "own_password_new", "own_password_again")
create_user = one_unit_of_work(auth.create_user)


@pytest.fixture
def app_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    # the per-client throttle (3 refusals) before the per-account lock-out (10)
    with empty_app_db(tmp_path, monkeypatch, LOGIN_MAX_FAILURES="10",
                      LOGIN_CLIENT_MAX_FAILURES="3", LOGIN_LOCKOUT_S="900") as db:
        create_user(db, SYSTEM, "insp", PW, "inspector")
        yield db


def _sign_in(at: AppTest, password: str = PW) -> AppTest:
    at.text_input(key="sign_in_username").set_value("insp")
    at.text_input(key="sign_in_password").set_value(password)
    next(b for b in at.button if b.label == "登录").click()
    return at.run()


def _open() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.switch_page(AUDIT_PAGE).run()  # straight to the page (the default page is not rendered)
    assert not at.exception, at.exception
    return at


def _change(at: AppTest, current: str, new: str, again: str) -> AppTest:
    for key, value in zip(FIELDS, (current, new, again), strict=True):
        at.text_input(key=key).set_value(value)
    at.button(key="own_password_change").click()
    return at.run()


def test_password_change_says_what_is_wrong_and_leaves_no_password_on_the_page(
        app_db: Database) -> None:
    at = _sign_in(_open())
    at = _change(at, PW, "short", "short")
    errors = " ".join(e.value for e in at.error)
    assert "密码" in errors and "8" in errors  # the field in words and what is allowed
    assert "password =" not in errors and "characters" not in errors  # no developer text
    at = _change(at, PW, NEW, NEW)
    assert "密码已修改。" in [s.value for s in at.success]
    assert [at.text_input(key=k).value for k in FIELDS] == ["", "", ""]  # emptied
    with app_db.unit_of_work(SYSTEM, write=True) as repo:
        assert auth.authenticate(repo, "insp", NEW).actor is not None


def test_too_many_refusals_from_one_device_say_how_long_to_wait(app_db: Database) -> None:
    at = _open()
    for _ in range(3):
        at = _sign_in(at, "wrong-password")
    at = _sign_in(at)  # even the right password, from this device, for a while
    errors = " ".join(e.value for e in at.error)
    assert "此设备登录失败次数过多" in errors and "15 分钟" in errors
