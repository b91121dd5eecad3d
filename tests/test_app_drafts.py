# ruff: noqa: F811  (the app_db fixture is imported from test_app_audits)
"""AppTest: work survives a reload (issue 17 item 4) on the real app. A new AppTest is a new
browser session, as a reload is: the sign-in comes back from the cookie's server-side session,
and the inspector's unsaved audit comes back from its automatic draft."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from test_app_audits import (  # noqa: F401  (app_db is a fixture)
    AUDIT_PAGE,
    _field,
    _locate_typed,
    _open,
    _sign_in,
    _text,
    app_db,
)

from audit import auth, sessions
from audit.actors import SYSTEM
from audit.storage import Database
from audit.storage.orm import AuditDraft, SignInSession


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
    at = _sign_in(_open(AUDIT_PAGE))
    assert "设施督导" in [str(x.value) for x in at.title]
    token = _claim_after_sign_in(app_db)
    _cookie(monkeypatch, token)
    again = _open(AUDIT_PAGE)  # a reload: a new browser session with the cookie
    assert not any(w.key == "sign_in_password" for w in again.text_input)
    assert "设施督导" in [str(x.value) for x in again.title]
    next(b for b in again.button if b.key == "sign_out_button").click()
    again.run()
    assert not again.exception, again.exception
    with app_db.session() as s:  # sign-out ended every session of the account
        assert list(s.scalars(sa.select(SignInSession))) == []
    third = _open(AUDIT_PAGE)  # the same cookie after sign-out opens nothing
    assert any(w.key == "sign_in_password" for w in third.text_input)
    assert "设施督导" not in [str(x.value) for x in third.title]


def test_a_forged_cookie_opens_nothing(app_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    _cookie(monkeypatch, "A" * 43)
    at = _open(AUDIT_PAGE)
    assert any(w.key == "sign_in_password" for w in at.text_input)


def _drafts(db: Database) -> list[AuditDraft]:
    with db.session() as s:
        return list(s.scalars(sa.select(AuditDraft)))


def test_unsaved_audit_is_kept_resumed_after_reload_and_removed_by_submit(
        app_db: Database) -> None:
    at = _locate_typed(_sign_in(_open(AUDIT_PAGE)))
    form = at.session_state["insp_form_id"]
    _field(at, "running_slope_pct").set_value(10.0)  # type: ignore[attr-defined]
    at.run()
    at.text_area(key=f"insp_notes:{form}").set_value("<b>台阶</b> =1+1").run()
    assert not at.exception, at.exception
    assert "已自动保存草稿" in _text(at)
    (draft,) = _drafts(app_db)
    assert draft.form_key == form and draft.content["measurements"] == {"running_slope_pct": 10.0}
    # a reload: a new session, signed in again; the draft is listed and resumes the form
    again = _sign_in(_open(AUDIT_PAGE))
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
    _locate_typed(_sign_in(_open(AUDIT_PAGE)))
    assert len(_drafts(app_db)) == 1  # a location alone is worth keeping
    other = _sign_in(_open(AUDIT_PAGE), "boss")
    assert not any("我的草稿" in e.label for e in other.expander)


def _place_of(at: object, key: str) -> int:
    """Which of the page's top-level elements holds the widget ``key``: the browser keeps a
    field (and what is being typed into it) only while its place stays the same."""
    main = at.main  # type: ignore[attr-defined]

    def holds(node: object) -> bool:
        if getattr(node, "key", None) == key:
            return True
        return any(holds(child) for child in getattr(node, "children", {}).values())

    return next(i for i, child in main.children.items() if holds(child))


def test_the_first_autosave_does_not_move_the_form(app_db: Database) -> None:
    """The first automatic draft used to add "my drafts" above the form on the next run, so
    every field moved down one place and the browser redrew them: a value typed at that moment
    was lost (seen in Chromium on a tablet). The list is shown when there is another draft to
    go to; its place on the page is the same with or without it."""
    at = _locate_typed(_sign_in(_open(AUDIT_PAGE)))
    form = at.session_state["insp_form_id"]
    before = _place_of(at, "insp_type")
    _field(at, "running_slope_pct").set_value(10.0)  # type: ignore[attr-defined]
    at.run()
    assert "已自动保存草稿" in _text(at)
    _field(at, "rise_mm").set_value(400.0)  # type: ignore[attr-defined]
    at.run()
    assert not at.exception, at.exception
    assert _place_of(at, "insp_type") == before
    assert not any("我的草稿" in e.label for e in at.expander)  # only this form's draft
    assert _field(at, "rise_mm").value == 400.0  # type: ignore[attr-defined]
    assert _drafts(app_db)[0].form_key == form
