"""AppTest: work survives a reload (issue 17 item 4) on the real app. A new AppTest is a new
browser session, as a reload is: the sign-in comes back from the cookie's server-side session,
and the inspector's unsaved audit comes back from its automatic draft."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from browser_support import empty_app_db
from conftest import one_unit_of_work
from streamlit.testing.v1 import AppTest

from audit import auth, sessions
from audit.actors import SYSTEM
from audit.storage import Database
from audit.storage.orm import AuditDraft, SignInSession

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
AUDIT_PAGE = "ui/pages/audits.py"
PW = "inspector-password-1"
SPOT = "111.98000, 21.86000"

create_user = one_unit_of_work(auth.create_user)


@pytest.fixture
def app_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    with empty_app_db(tmp_path, monkeypatch) as db:
        create_user(db, SYSTEM, "insp", PW, "inspector")
        create_user(db, SYSTEM, "boss", PW, "admin")
        yield db


def _text(at: AppTest) -> str:
    kinds = ("markdown", "caption", "success", "info", "warning", "error", "title")
    return "\n".join(str(e.value) for k in kinds for e in getattr(at, k))


def _open(page: str = AUDIT_PAGE) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _sign_in(at: AppTest, username: str = "insp") -> AppTest:
    at.text_input(key="sign_in_username").set_value(username)
    at.text_input(key="sign_in_password").set_value(PW)
    next(b for b in at.button if b.label == "登录").click()
    return at.run()


def _cookie(monkeypatch: pytest.MonkeyPatch, token: str) -> None:
    """The browser's cookie (AppTest cannot send one; the Chromium test sends a real one)."""
    import ui.auth

    monkeypatch.setattr(ui.auth, "_cookie_token", lambda: token)


def _claim_after_sign_in(db: Database) -> str:
    """What the page's script posts to /_session: the claim code is only stored hashed, so
    start a session as the route would see it, from the row the sign-in made."""
    with db.session() as s:
        rows = list(s.scalars(sa.select(SignInSession)))
    assert len(rows) == 1 and rows[0].claim_hash and rows[0].token_hash is None
    with db.unit_of_work(SYSTEM) as repo:
        user = repo.users.by_name("insp")
        assert user is not None
        actor = auth.UserRecord.of(user).actor()
    from audit.actors import Actor

    signed = Actor(actor.user_id, actor.username, actor.role, user.session_epoch)
    with db.unit_of_work(signed, write=True) as repo:
        code = sessions.start_session(repo)
    with db.unit_of_work(SYSTEM, write=True) as repo:
        claimed = sessions.claim_session(repo, code)
    assert claimed is not None
    return claimed.token


def test_reload_keeps_the_sign_in_until_sign_out(app_db: Database,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    at = _sign_in(_open())
    assert "设施督导" in [str(x.value) for x in at.title]
    token = _claim_after_sign_in(app_db)
    _cookie(monkeypatch, token)
    again = _open()  # a reload: a new browser session with the cookie
    assert not any(w.key == "sign_in_password" for w in again.text_input)
    assert "设施督导" in [str(x.value) for x in again.title]
    next(b for b in again.button if b.key == "sign_out_button").click()
    again.run()
    assert not again.exception, again.exception
    with app_db.session() as s:  # sign-out ended every session of the account
        assert list(s.scalars(sa.select(SignInSession))) == []
    third = _open()  # the same cookie after sign-out opens nothing
    assert any(w.key == "sign_in_password" for w in third.text_input)
    assert "设施督导" not in [str(x.value) for x in third.title]


def test_a_forged_cookie_opens_nothing(app_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    _cookie(monkeypatch, "A" * 43)
    at = _open()
    assert any(w.key == "sign_in_password" for w in at.text_input)


def _locate_typed(at: AppTest) -> AppTest:
    at.radio(key="insp_loc_mode").set_value("typed").run()
    at.text_input(key="insp_coords").set_value(SPOT)
    next(b for b in at.button if b.key == "insp_use_coords").click()
    return at.run()


def _field(at: AppTest, name: str) -> object:
    form = at.session_state["insp_form_id"]
    return at.number_input(key=f"{form}:ramp:{name}")


def _drafts(db: Database) -> list[AuditDraft]:
    with db.session() as s:
        return list(s.scalars(sa.select(AuditDraft)))


def test_unsaved_audit_is_kept_resumed_after_reload_and_removed_by_submit(
        app_db: Database) -> None:
    at = _locate_typed(_sign_in(_open()))
    form = at.session_state["insp_form_id"]
    _field(at, "running_slope_pct").set_value(10.0)  # type: ignore[attr-defined]
    at.run()
    at.text_area(key=f"insp_notes:{form}").set_value("<b>台阶</b> =1+1").run()
    assert not at.exception, at.exception
    assert "已自动保存草稿" in _text(at)
    (draft,) = _drafts(app_db)
    assert draft.form_key == form and draft.content["measurements"] == {"running_slope_pct": 10.0}
    # a reload: a new session, signed in again; the draft is listed and resumes the form
    again = _sign_in(_open())
    assert "我的草稿（1）" in [e.label for e in again.expander]
    assert again.session_state["insp_form_id"] != form
    next(b for b in again.button if b.key == f"draft_resume:{form}").click()
    again.run()
    assert not again.exception, again.exception
    assert again.session_state["insp_form_id"] == form
    assert _field(again, "running_slope_pct").value == 10.0  # type: ignore[attr-defined]
    assert again.text_area(key=f"insp_notes:{form}").value == "<b>台阶</b> =1+1"
    assert "已选位置：111.980000, 21.860000" in _text(again)
    assert "已恢复草稿" in _text(again)
    _field(again, "rise_mm").set_value(400.0)  # type: ignore[attr-defined]
    again.run()
    assert _drafts(app_db)[0].content["measurements"]["rise_mm"] == 400.0  # still autosaving
    next(b for b in again.button if b.label == "提交督导记录").click()
    again.run()
    assert not again.exception, again.exception
    assert "不符合" in _text(again)
    assert _drafts(app_db) == []  # the submitted audit removed its draft


def test_another_inspector_never_sees_the_draft(app_db: Database) -> None:
    _locate_typed(_sign_in(_open()))
    assert len(_drafts(app_db)) == 1  # a location alone is worth keeping
    other = _sign_in(_open(), "boss")
    assert not any("我的草稿" in e.label for e in other.expander)
