"""Work survives a reload (issue 17 item 4), in the library: sign-in sessions behind the cookie
(hash only stored, one-time claim, expiry, revocation, across processes) and inspectors'
automatic drafts (owner only, bounded, hostile content cleaned, removed by a submitted audit)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from audit import auth, drafts, sessions
from audit.actors import ANONYMOUS, SYSTEM, Actor
from audit.errors import InputError, PermissionDenied
from audit.inspect import AuditRequest, save_audit
from audit.scoring import evaluate
from audit.settings import Settings
from audit.storage import Database, open_database
from audit.storage.orm import AuditDraft, SignInSession, User, utcnow

RAMP = {"running_slope_pct": 9.0, "rise_mm": 300}


def _user(db: Database, name: str, role: str = "inspector", *, is_demo: bool = False) -> Actor:
    """An account and its signed-in actor (rows written directly: argon2 is slow on purpose,
    and sign-in itself is tested in tests/test_auth.py)."""
    with db.unit_of_work(SYSTEM, write=True) as repo:
        row = repo.users.add(User(username=name, role=role, password_hash="-", is_demo=is_demo))
        return Actor(row.id, name, role, row.session_epoch)  # type: ignore[arg-type]


def _signed_in(db: Database, actor: Actor, cfg: Settings | None = None) -> str:
    """Sign-in as the app does it: the session row and its claim code, then the cookie token."""
    with db.unit_of_work(actor, write=True) as repo:
        code = sessions.start_session(repo, settings=cfg)
    with db.unit_of_work(SYSTEM, write=True) as repo:
        claimed = sessions.claim_session(repo, code)
    assert claimed is not None
    return claimed.token


def _resume(db: Database, token: str, **kw: Any) -> sessions.ResumedSession | None:
    with db.unit_of_work(SYSTEM, write=True) as repo:
        return sessions.resume_session(repo, token, **kw)


def _rows(db: Database, model: type) -> list[Any]:
    with db.session() as s:
        return list(s.scalars(sa.select(model)))


# ------------------------------------------------------------------------------ sessions
def test_cookie_token_resumes_the_account_and_only_hashes_are_stored(db: Database) -> None:
    actor = _user(db, "insp_a")
    with db.unit_of_work(actor, write=True) as repo:
        code = sessions.start_session(repo)
    with db.unit_of_work(SYSTEM, write=True) as repo:
        claimed = sessions.claim_session(repo, code)
    assert claimed is not None
    with db.unit_of_work(SYSTEM, write=True) as repo:  # the code works once only
        assert sessions.claim_session(repo, code) is None
    resumed = _resume(db, claimed.token)
    assert resumed is not None
    assert resumed.actor == actor and resumed.actor.session_epoch == actor.session_epoch
    assert resumed.expires_at - resumed.signed_in_at == timedelta(seconds=8 * 3600)
    with db.unit_of_work(resumed.actor) as repo:  # a usable signed-in actor
        assert repo.actor.username == "insp_a"
    (row,) = _rows(db, SignInSession)
    stored = json.dumps([str(v) for v in row.__dict__.values()])
    assert claimed.token not in stored and code not in stored
    assert row.token_hash == sessions.digest(claimed.token) and row.claim_hash is None


def test_a_session_started_in_one_process_resumes_in_another(tmp_path: Path,
                                                            sqlite_db: Database) -> None:
    actor = _user(sqlite_db, "insp_b")
    token = _signed_in(sqlite_db, actor)
    other = open_database(str(sqlite_db.engine.url))  # another app process: its own engine
    try:
        resumed = _resume(other, token)
        assert resumed is not None and resumed.actor.username == "insp_b"
    finally:
        other.engine.dispose()


def test_sessions_expire_as_configured(sqlite_db: Database) -> None:
    actor = _user(sqlite_db, "insp_c")
    cfg = Settings(session_ttl_s=600)
    token = _signed_in(sqlite_db, actor, cfg)
    assert _resume(sqlite_db, token, now=utcnow() + timedelta(seconds=590)) is not None
    assert _resume(sqlite_db, token, now=utcnow() + timedelta(seconds=601)) is None
    assert _rows(sqlite_db, SignInSession) == []  # an expired session is deleted
    # a claim code left unused for more than a minute opens nothing
    with sqlite_db.unit_of_work(actor, write=True) as repo:
        code = sessions.start_session(repo)
    with sqlite_db.unit_of_work(SYSTEM, write=True) as repo:
        late = utcnow() + timedelta(seconds=sessions.CLAIM_TTL_S + 1)
        assert sessions.claim_session(repo, code, now=late) is None
    assert _rows(sqlite_db, SignInSession) == []


@pytest.mark.parametrize("change", ["sign_out", "role", "disable", "password", "remove",
                                    "demo_off"])
def test_revoked_rights_end_the_cookie_session(sqlite_db: Database, change: str) -> None:
    admin = _user(sqlite_db, "boss", "admin")
    actor = _user(sqlite_db, "insp_d", is_demo=change == "demo_off")
    token = _signed_in(sqlite_db, actor)
    with sqlite_db.unit_of_work(admin if change != "sign_out" else actor, write=True) as repo:
        if change == "sign_out":
            auth.end_my_sessions(repo)
        elif change == "role":
            auth.set_role(repo, "insp_d", "bureau")
        elif change == "disable":
            auth.disable_user(repo, "insp_d")
        elif change == "password":
            auth.set_password(repo, "insp_d", "Another-Long-Pass-77")
        elif change == "remove":
            repo.users.delete(repo.users.by_name("insp_d"))  # type: ignore[arg-type]
    if change != "demo_off":  # the rows are gone at once, not only refused later
        assert all(r.user_id != actor.user_id for r in _rows(sqlite_db, SignInSession))
    kw = {"settings": Settings(demo_mode=False)} if change == "demo_off" else {}
    assert _resume(sqlite_db, token, **kw) is None


def test_sign_out_route_function_ends_one_session(sqlite_db: Database) -> None:
    actor = _user(sqlite_db, "insp_e")
    token, other = _signed_in(sqlite_db, actor), _signed_in(sqlite_db, actor)
    with sqlite_db.unit_of_work(SYSTEM, write=True) as repo:
        assert sessions.end_session(repo, token) is True
        assert sessions.end_session(repo, token) is False
    assert _resume(sqlite_db, token) is None
    assert _resume(sqlite_db, other) is not None


@pytest.mark.parametrize("bad", ["", "x", "a" * 43 + "'; DROP TABLE users; --", "é" * 43,
                                 "A" * 5000, None, 42, "a\x00" * 30])
def test_malformed_codes_and_tokens_open_nothing(sqlite_db: Database, bad: Any) -> None:
    actor = _user(sqlite_db, "insp_f")
    _signed_in(sqlite_db, actor)
    with sqlite_db.unit_of_work(SYSTEM, write=True) as repo:
        assert sessions.claim_session(repo, bad) is None
        assert sessions.resume_session(repo, bad) is None
        assert sessions.end_session(repo, bad) is False
    assert len(_rows(sqlite_db, SignInSession)) == 1
    # a well-formed but unknown token is simply unknown
    assert _resume(sqlite_db, "A" * 43) is None


def test_only_the_server_may_claim_or_resume(sqlite_db: Database) -> None:
    actor = _user(sqlite_db, "insp_g")
    token = _signed_in(sqlite_db, actor)
    for who in (ANONYMOUS, actor, Actor(actor.user_id, "insp_g", "admin")):
        with pytest.raises(PermissionDenied), sqlite_db.unit_of_work(who, write=True) as repo:
            sessions.resume_session(repo, token)
    with pytest.raises(PermissionDenied), sqlite_db.unit_of_work(ANONYMOUS, write=True) as repo:
        sessions.start_session(repo)
    with pytest.raises(PermissionDenied), sqlite_db.unit_of_work(
            Actor(999, "ghost", "inspector"), write=True) as repo:
        sessions.start_session(repo)


def test_set_role_is_checked_and_refuses_bad_input(sqlite_db: Database) -> None:
    admin = _user(sqlite_db, "boss2", "admin")
    _user(sqlite_db, "insp_h")
    with pytest.raises(InputError) as info, sqlite_db.unit_of_work(admin, write=True) as repo:
        auth.set_role(repo, "insp_h", "system")
    assert info.value.problems[0].field == "role"
    with pytest.raises(InputError), sqlite_db.unit_of_work(admin, write=True) as repo:
        auth.set_role(repo, "boss2", "inspector")  # not one's own role
    with sqlite_db.unit_of_work(admin, write=True) as repo:
        assert auth.set_role(repo, "insp_h", "bureau").role == "bureau"


# ------------------------------------------------------------------------------ drafts
def _draft(db: Database, actor: Actor, key: str = "form1", **content: Any) -> drafts.DraftRecord:
    body = {"measurements": {"running_slope_pct": 9.5, "handrails_both_sides": True},
            "notes": "台阶旁 <script>alert(1)</script>", "name": "=HYPERLINK(\"x\")", **content}
    with db.unit_of_work(actor, write=True) as repo:
        return drafts.save_draft(repo, key, "ramp", body, title="东风路口")


def _list(db: Database, actor: Actor) -> list[drafts.DraftRecord]:
    with db.unit_of_work(actor) as repo:
        return drafts.list_drafts(repo)


def test_drafts_are_kept_listed_replaced_and_deleted(db: Database) -> None:
    actor = _user(db, "insp_i")
    first = _draft(db, actor)
    assert first.content["measurements"] == {"running_slope_pct": 9.5,
                                             "handrails_both_sides": True}
    # user text is kept as the plain text it is (the page shows it as text)
    assert first.content["notes"] == "台阶旁 <script>alert(1)</script>"
    _draft(db, actor, notes="更新")
    (only,) = _list(db, actor)
    assert only.content["notes"] == "更新" and only.title == "东风路口"
    _draft(db, actor, key="form2")
    assert [d.form_key for d in _list(db, actor)] == ["form2", "form1"]  # newest first
    with db.unit_of_work(actor, write=True) as repo:
        assert drafts.delete_draft(repo, "form1") is True
        assert drafts.delete_draft(repo, "form1") is False
    assert [d.form_key for d in _list(db, actor)] == ["form2"]


def test_drafts_are_owner_only(sqlite_db: Database) -> None:
    owner, other = _user(sqlite_db, "insp_j"), _user(sqlite_db, "insp_k")
    admin = _user(sqlite_db, "boss3", "admin")
    _draft(sqlite_db, owner, key="mine")
    for who in (other, admin):  # another account sees nothing and changes nothing
        assert _list(sqlite_db, who) == []
        with sqlite_db.unit_of_work(who, write=True) as repo:
            assert drafts.get_draft(repo, "mine") is None
            assert drafts.delete_draft(repo, "mine") is False
    _draft(sqlite_db, other, key="mine", notes="B's own")  # same key: B's own row
    assert _list(sqlite_db, owner)[0].content["notes"].startswith("台阶旁")
    for who in (ANONYMOUS, Actor(owner.user_id, "insp_j", "bureau"), SYSTEM):
        with pytest.raises(PermissionDenied), sqlite_db.unit_of_work(who, write=True) as repo:
            drafts.list_drafts(repo)
        with pytest.raises(PermissionDenied), sqlite_db.unit_of_work(who, write=True) as repo:
            drafts.save_draft(repo, "x", "ramp", {})


@pytest.mark.parametrize(("key", "ftype", "content", "title", "field"), [
    ("bad key!", "ramp", {}, "", "form_key"),
    ("k" * 65, "ramp", {}, "", "form_key"),
    ("ok", "rocket", {}, "", "facility_type"),
    ("ok", "ramp", {"notes": "长" * 20_000}, "", "content"),
    ("ok", "ramp", {"measurements": {"rise_mm": float("nan")}}, "", "content"),
    ("ok", "ramp", {"x": object()}, "", "content"),
    ("ok", "ramp", {}, "名" * 201, "title"),
])
def test_bad_drafts_are_refused_naming_the_field_and_write_nothing(
        sqlite_db: Database, key: str, ftype: str, content: dict[str, Any], title: str,
        field: str) -> None:
    actor = _user(sqlite_db, "insp_l")
    with pytest.raises(InputError) as info, sqlite_db.unit_of_work(actor, write=True) as repo:
        drafts.save_draft(repo, key, ftype, content, title=title)
    assert field in {p.field for p in info.value.problems}
    assert _rows(sqlite_db, AuditDraft) == []


def test_draft_count_is_bounded(sqlite_db: Database) -> None:
    actor = _user(sqlite_db, "insp_m")
    for i in range(drafts.MAX_DRAFTS_PER_USER):
        _draft(sqlite_db, actor, key=f"f{i}")
    _draft(sqlite_db, actor, key="f0", notes="replacing one is fine")
    with pytest.raises(InputError) as info:
        _draft(sqlite_db, actor, key="one-too-many")
    assert info.value.problems[0].field == "drafts"
    assert len(_rows(sqlite_db, AuditDraft)) == drafts.MAX_DRAFTS_PER_USER


def test_hostile_draft_content_is_cleaned_on_save_and_on_read(sqlite_db: Database) -> None:
    actor = _user(sqlite_db, "insp_n")
    saved = _draft(sqlite_db, actor, measurements={
        "running_slope_pct": "9; DROP", "rise_mm": 300, "nope": 1,
        "__class__": {"x": 1}, "confirmed_values": ["rise_mm", "nope", 5]},
        location={"lon": 999, "lat": 21.8}, facility_version=-3, extra={"a": [1, 2]})
    assert saved.content["measurements"] == {"rise_mm": 300.0, "confirmed_values": ["rise_mm"]}
    assert "location" not in saved.content and "facility_version" not in saved.content
    assert "extra" not in saved.content
    # a row changed behind the app's back is cleaned when read
    with sqlite_db.session(write=True) as s:
        s.execute(sa.update(AuditDraft).values(content={
            "measurements": {"handrails_both_sides": "yes", "rise_mm": True},
            "notes": ["not", "text"], "location": {"lon": 111.9, "lat": 21.8,
                                                   "source": "javascript:", "accuracy": -1}}))
    (back,) = _list(sqlite_db, actor)
    assert back.content == {"measurements": {}, "location": {
        "lon": 111.9, "lat": 21.8, "source": "map", "accuracy": None}}


def test_a_submitted_audit_removes_its_draft(sqlite_db: Database, tmp_path: Path) -> None:
    actor = _user(sqlite_db, "insp_o")
    with sqlite_db.unit_of_work(actor, write=True) as repo:
        fac = repo.create_facility("ramp", 111.98, 21.86)
    _draft(sqlite_db, actor, key="formx")
    _draft(sqlite_db, actor, key="formy")
    cfg = Settings(data_dir=tmp_path)
    request = AuditRequest("ramp", RAMP, facility_id=fac.id, expected_facility_version=fac.version,
                           draft_key="formx", status="draft")
    with sqlite_db.unit_of_work(actor, write=True) as repo:  # an explicit draft keeps it
        save_audit(repo, request, settings=cfg)
    assert {d.form_key for d in _list(sqlite_db, actor)} == {"formx", "formy"}
    with sqlite_db.unit_of_work(actor, write=True) as repo:
        version = repo.get_facility(fac.id).version
        save_audit(repo, AuditRequest("ramp", RAMP, facility_id=fac.id,
                                      expected_facility_version=version, draft_key="formx"),
                   settings=cfg)
    assert [d.form_key for d in _list(sqlite_db, actor)] == ["formy"]
    assert evaluate("ramp", RAMP)  # the audit itself was scored as usual


def test_a_restored_backup_opens_no_session_it_carried(sqlite_db: Database,
                                                       tmp_path: Path) -> None:
    """A backup holds the sessions of its day; after a restore an old cookie opens nothing."""
    from audit.storage import upgrade_to_head
    from audit.storage.backup import backup, restore

    token = _signed_in(sqlite_db, _user(sqlite_db, "insp_restore"))
    photos = tmp_path / "photos"
    photos.mkdir()
    archive = tmp_path / "backup.tar.gz"
    backup(sqlite_db, photos, archive)
    assert len(_rows(sqlite_db, SignInSession)) == 1  # the archive carries it
    target = open_database(f"sqlite:///{tmp_path / 'restored.sqlite3'}")
    try:
        upgrade_to_head(target)
        restore(target, tmp_path / "restored-photos", archive)
        assert [u.username for u in _rows(target, User)] == ["insp_restore"]
        assert _rows(target, SignInSession) == []
        assert _resume(target, token) is None
    finally:
        target.engine.dispose()
