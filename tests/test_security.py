"""Issue 16 attacks, each refused with nothing lost or changed: demo accounts on a real database,
unchecked writes, revoked rights, resettable rate limits, report codes that open actions."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from browser_support import empty_app_db
from bureau_fixtures import snapshot

from audit import auth
from audit.actors import ANONYMOUS, SYSTEM, Actor
from audit.demo import DEMO_ACCOUNTS, DEMO_DATABASE_FLAG, DemoRefused, seed_demo
from audit.demo.accounts import seed_demo_accounts
from audit.errors import InputError, PermissionDenied
from audit.scoring import evaluate
from audit.settings import Settings
from audit.storage import Database, open_database, upgrade_to_head
from audit.storage.orm import Base, User

REPO = Path(__file__).resolve().parent.parent
APP = str(REPO / "streamlit_app.py")
PW = "Real-Admin-Pass-2026"


def _cli(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "audit", *args], input=stdin, env=env, cwd=REPO,
                          capture_output=True, text=True, check=False)


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin",
            "A11Y_SETTINGS_FILE": "/nonexistent", **extra}


@pytest.fixture
def real_db(db: Database) -> Database:
    """A database with real data: an admin account and a facility."""
    with db.unit_of_work(SYSTEM, write=True) as repo:
        auth.create_user(repo, "city-admin", PW, "admin")
        repo.create_facility("ramp", 111.98, 21.86, name="人民路坡道")
    return db


# ------------------------------------------------------------------ item 1: demo accounts
def test_demo_seed_is_refused_on_a_real_database(real_db: Database, tmp_path: Path) -> None:
    before = snapshot(real_db)
    on = Settings(data_dir=tmp_path, demo_mode=True)
    for attempt in (lambda r: seed_demo(r, n_facilities=5),
                    lambda r: seed_demo_accounts(r, settings=on)):
        with pytest.raises(DemoRefused, match="holds real data") as info, \
                real_db.unit_of_work(SYSTEM, write=True) as repo:
            attempt(repo)
        assert "DEMO_MODE=false" in str(info.value)
        assert "users add" in str(info.value)
        assert snapshot(real_db) == before
    with real_db.unit_of_work(SYSTEM) as repo:
        assert auth.demo_account_names(repo) == []
        assert repo.get_meta(DEMO_DATABASE_FLAG) is None


def test_demo_seed_marks_an_empty_database_and_repeats_safely(sqlite_db: Database) -> None:
    with sqlite_db.unit_of_work(SYSTEM, write=True) as repo:
        assert seed_demo(repo, n_facilities=8).seeded
    with sqlite_db.unit_of_work(SYSTEM, write=True) as repo:
        assert repo.get_meta(DEMO_DATABASE_FLAG) == "true"
        assert not seed_demo(repo, n_facilities=8).seeded  # a demo database: no error, no copy
        assert auth.demo_account_names(repo) == sorted(n for n, _, _ in DEMO_ACCOUNTS)
    # real data added to the demo database: the seeder refuses from now on
    with sqlite_db.unit_of_work(SYSTEM, write=True) as repo:
        auth.create_user(repo, "real-inspector", PW, "inspector")
    with pytest.raises(DemoRefused), sqlite_db.unit_of_work(SYSTEM, write=True) as repo:
        seed_demo(repo, n_facilities=8)


def test_cli_demo_seed_refuses_a_real_database(tmp_path: Path) -> None:
    env = _env(tmp_path)
    made = _cli(env, "users", "add", "city-admin", "--role", "admin", "--password-stdin",
                stdin=PW + "\n")
    assert made.returncode == 0, made.stderr  # first run: creates and migrates the database
    assert PW not in made.stdout + made.stderr
    refused = _cli(env, "demo", "seed")
    assert refused.returncode == 1
    assert "holds real data" in refused.stderr and "Traceback" not in refused.stderr
    db = open_database(f"sqlite:///{tmp_path / 'audit.sqlite3'}")
    try:
        with db.unit_of_work(SYSTEM) as repo:
            assert [u.username for u in auth.list_users(repo)] == ["city-admin"]
            assert not repo.has_facilities()
    finally:
        db.engine.dispose()
    # the admin changes a password from the CLI (stdin, never argv)
    changed = _cli(env, "users", "password", "city-admin", "--password-stdin",
                   stdin="Brand-New-Pass-77\n")
    assert changed.returncode == 0, changed.stderr
    short = _cli(env, "users", "password", "city-admin", "--password-stdin", stdin="x\n")
    assert short.returncode == 2 and "password" in short.stderr


def test_demo_accounts_cannot_sign_in_with_demo_mode_off(sqlite_db: Database,
                                                         tmp_path: Path) -> None:
    on = Settings(data_dir=tmp_path, demo_mode=True)
    off = Settings(data_dir=tmp_path, demo_mode=False)
    with sqlite_db.unit_of_work(SYSTEM, write=True) as repo:
        seed_demo_accounts(repo, settings=on)
        auth.create_user(repo, "city-admin", PW, "admin")
    for name, _role, password in DEMO_ACCOUNTS:
        with sqlite_db.unit_of_work(SYSTEM, write=True) as repo:
            result = auth.authenticate(repo, name, password, settings=off)
        assert result.failure is not None and result.failure.reason == "demo_account"
        with sqlite_db.unit_of_work(SYSTEM, write=True) as repo:
            assert auth.authenticate(repo, name, password, settings=on).actor is not None
    admin = Actor(auth_id(sqlite_db, "city-admin"), "city-admin", "admin")
    inspector = Actor(auth_id(sqlite_db, "demo-inspector"), "demo-inspector", "inspector")
    before = snapshot(sqlite_db)
    with pytest.raises(PermissionDenied), sqlite_db.unit_of_work(inspector, write=True) as repo:
        auth.remove_demo_accounts(repo)
    assert snapshot(sqlite_db) == before
    with sqlite_db.unit_of_work(admin, write=True) as repo:
        removed = auth.remove_demo_accounts(repo)
    assert removed == sorted(n for n, _, _ in DEMO_ACCOUNTS)
    with sqlite_db.unit_of_work(SYSTEM) as repo:
        assert auth.demo_account_names(repo) == []
        assert [u.username for u in auth.list_users(repo)] == ["city-admin"]


def auth_id(db: Database, username: str) -> int:
    with db.session() as s:
        found = s.scalar(sa.select(User.id).where(User.username == username))
    assert found is not None
    return int(found)


def test_users_change_their_own_password(db: Database) -> None:
    with db.unit_of_work(SYSTEM, write=True) as repo:
        auth.create_user(repo, "li", PW, "inspector")
    me = Actor(auth_id(db, "li"), "li", "inspector")
    before = snapshot(db)
    with pytest.raises(InputError, match="current_password"), \
            db.unit_of_work(me, write=True) as repo:
        auth.change_own_password(repo, "not-my-password", "Another-Pass-99")
    with pytest.raises(PermissionDenied), db.unit_of_work(ANONYMOUS, write=True) as repo:
        auth.change_own_password(repo, PW, "Another-Pass-99")
    with pytest.raises(InputError, match="password"), db.unit_of_work(me, write=True) as repo:
        auth.change_own_password(repo, PW, "short")
    assert snapshot(db) == before
    with db.unit_of_work(me, write=True) as repo:
        auth.change_own_password(repo, PW, "Another-Pass-99")
    with db.unit_of_work(SYSTEM, write=True) as repo:
        assert auth.authenticate(repo, "li", PW).failure is not None
    with db.unit_of_work(SYSTEM, write=True) as repo:
        assert auth.authenticate(repo, "li", "Another-Pass-99").actor is not None


@pytest.fixture
def app_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    with empty_app_db(tmp_path, monkeypatch, DEMO_MODE="false") as db:
        yield db


def _page_text(at: Any) -> str:
    return " ".join(str(e.value) for kind in ("warning", "info", "markdown", "error")
                    for e in getattr(at, kind))


def test_app_banner_while_demo_accounts_exist_and_first_run_hint(app_env: Database) -> None:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=90).run()
    assert not at.exception
    at.switch_page("ui/pages/admin.py").run()
    assert "python -m audit users add" in _page_text(at)  # no account yet: the first-run path
    with app_env.unit_of_work(SYSTEM, write=True) as repo:
        seed_demo_accounts(repo, settings=Settings(demo_mode=True))
    st.cache_data.clear()  # the names are cached for a minute; a new process starts with none
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert not at.exception
    text = _page_text(at)
    assert "demo-admin" in text and "DEMO_MODE" not in text  # the zh banner (demo mode off)
    assert "演示账号" in text
    at.switch_page("ui/pages/report.py").run()
    assert "demo-admin" in _page_text(at)  # on every page
    assert "python -m audit users add" not in _page_text(at)


# ------------------------------------------------------------------ item 7: unchecked writes
def _jpeg() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(out, format="JPEG")
    return out.getvalue()


def test_anonymous_cannot_attach_a_photo_to_a_submitted_audit(sqlite_db: Database,
                                                             tmp_path: Path) -> None:
    from audit.photos import store_photo

    cfg = Settings(data_dir=tmp_path)
    with sqlite_db.unit_of_work(SYSTEM, write=True) as repo:
        fac = repo.create_facility("ramp", 111.98, 21.86)
        ev = evaluate("ramp", {"running_slope_pct": 9.0, "rise_mm": 300})
        audit_id = repo.submit_audit(fac.id, ev).id
    with sqlite_db.unit_of_work(ANONYMOUS, write=True) as repo:
        photo_id = store_photo(repo, _jpeg(), settings=cfg)  # residents may upload (reports)
    before = snapshot(sqlite_db)
    for actor in (ANONYMOUS, Actor(None, "b", "bureau")):
        with pytest.raises(PermissionDenied, match=r"audit\.submit"), \
                sqlite_db.unit_of_work(actor, write=True) as repo:
            repo.attach_photo(audit_id, photo_id)
    assert snapshot(sqlite_db) == before
    with sqlite_db.unit_of_work(ANONYMOUS) as repo:
        assert repo.facility_detail(fac.id)["photos"] == []  # nothing on the public map


def test_set_meta_needs_admin_or_system(sqlite_db: Database) -> None:
    before = snapshot(sqlite_db)
    for role in ("anonymous", "inspector", "bureau"):
        actor = Actor(None, role, role)  # type: ignore[arg-type]
        with pytest.raises(PermissionDenied, match=r"meta\.write"), \
                sqlite_db.unit_of_work(actor, write=True) as repo:
            repo.set_meta(DEMO_DATABASE_FLAG, "true")
    assert snapshot(sqlite_db) == before


# ------------------------------------------------------------------ item 6: revoked rights
def _sign_in(db: Database, username: str, password: str = PW) -> Actor:
    with db.unit_of_work(SYSTEM, write=True) as repo:
        result = auth.authenticate(repo, username, password)
    return result.actor_or_raise()


def _new_report(db: Database, tmp_path: Path) -> int:
    from audit import reports

    with db.unit_of_work(SYSTEM, write=True) as repo:
        return reports.create_report(repo, category="tactile_blocked",
                                     location_text="东风路 公交站 北侧",
                                     settings=Settings(data_dir=tmp_path)).report_id


def test_a_disabled_or_demoted_account_cannot_act_in_its_open_session(db: Database,
                                                                     tmp_path: Path) -> None:
    from audit import reports

    with db.unit_of_work(SYSTEM, write=True) as repo:
        auth.create_user(repo, "wang", PW, "bureau")
        auth.create_user(repo, "zhao", PW, "bureau")
    report_id = _new_report(db, tmp_path)
    wang, zhao = _sign_in(db, "wang"), _sign_in(db, "zhao")
    with db.unit_of_work(SYSTEM, write=True) as repo:
        auth.disable_user(repo, "wang")
    with db.session(write=True) as s:  # demoted by the admin (role changed in the database)
        s.execute(sa.update(User).where(User.username == "zhao").values(role="inspector"))
    before = snapshot(db)
    for actor in (wang, zhao):
        with pytest.raises(PermissionDenied, match="sign in again"), \
                db.unit_of_work(actor, write=True) as repo:
            reports.verify_report(repo, report_id)
        with pytest.raises(PermissionDenied), db.unit_of_work(actor) as repo:
            reports.contact_of(repo, report_id)  # reads of an ended session are refused too
    assert snapshot(db) == before


def test_sign_out_ends_every_session_of_the_account(db: Database, tmp_path: Path) -> None:
    from audit import reports

    with db.unit_of_work(SYSTEM, write=True) as repo:
        auth.create_user(repo, "wang", PW, "bureau")
    report_id = _new_report(db, tmp_path)
    office, phone = _sign_in(db, "wang"), _sign_in(db, "wang")
    with db.unit_of_work(office, write=True) as repo:
        auth.end_my_sessions(repo)  # signs out in the office
    before = snapshot(db)
    with pytest.raises(PermissionDenied), db.unit_of_work(phone, write=True) as repo:
        reports.verify_report(repo, report_id)
    assert snapshot(db) == before
    again = _sign_in(db, "wang")  # a new sign-in works
    with db.unit_of_work(again, write=True) as repo:
        reports.verify_report(repo, report_id)
    # a new password set by an admin ends the open sessions too
    with db.unit_of_work(SYSTEM, write=True) as repo:
        auth.set_password(repo, "wang", "Changed-By-Admin-1")
    with pytest.raises(PermissionDenied), db.unit_of_work(again) as repo:
        reports.contact_of(repo, report_id)


def test_app_session_of_a_disabled_account_ends(app_env: Database) -> None:
    from streamlit.testing.v1 import AppTest

    with app_env.unit_of_work(SYSTEM, write=True) as repo:
        auth.create_user(repo, "insp", PW, "inspector")
    at = AppTest.from_file(APP, default_timeout=90)
    at.switch_page("ui/pages/audits.py").run()
    at.text_input(key="sign_in_username").set_value("insp")
    at.text_input(key="sign_in_password").set_value(PW)
    next(b for b in at.button if b.proto.form_id == "sign_in_form").click()
    at.run()
    assert not at.exception
    assert not any(i.key == "sign_in_username" for i in at.text_input)  # signed in
    with app_env.unit_of_work(SYSTEM, write=True) as repo:
        auth.disable_user(repo, "insp")
    at.run()
    assert any(i.key == "sign_in_username" for i in at.text_input)  # back to the sign-in form
    assert "停用" in _page_text(at)  # the zh message: account disabled or changed


# ------------------------------------------------------------------ item 5: rate limits
def test_client_identity_takes_what_the_client_cannot_choose() -> None:
    from audit.reports.ratelimit import UNKNOWN_CLIENT, client_identity

    xff = {"X-Forwarded-For": "6.6.6.6, 10.9.8.7, 198.51.100.7"}
    # no trusted header: the socket address; forged headers change nothing
    assert client_identity("203.0.113.5", xff, "") == "203.0.113.5"
    assert client_identity(None, {}, "") == UNKNOWN_CLIENT  # no address: one shared bucket
    assert client_identity("not-an-ip", {}, "") == UNKNOWN_CLIENT
    # behind the trusted proxy: the address it appended (rightmost), not the client's leftmost
    assert client_identity("10.0.0.1", xff, "x-forwarded-for") == "198.51.100.7"
    assert client_identity("10.0.0.1", xff, "X-Forwarded-For", hops=2) == "10.9.8.7"
    assert client_identity("10.0.0.1", {}, "X-Forwarded-For") == UNKNOWN_CLIENT
    assert client_identity("10.0.0.1", {"X-Forwarded-For": "a, <b>"}, "X-Forwarded-For") == \
        UNKNOWN_CLIENT


def _report_count(db: Database) -> int:
    from audit.storage.orm import Report

    with db.session() as s:
        return int(s.scalar(sa.select(sa.func.count()).select_from(Report)) or 0)


def test_spoofed_forwarded_for_does_not_multiply_the_quota(sqlite_db: Database,
                                                           tmp_path: Path) -> None:
    from audit import reports
    from audit.reports.ratelimit import client_identity

    cfg = Settings(data_dir=tmp_path, report_rate_limit=5, trusted_proxy_header="X-Forwarded-For")
    accepted = 0
    with sqlite_db.unit_of_work(SYSTEM, write=True) as repo:
        salt = reports.client_salt(repo)
    for n in range(7):  # 7 reports, each with a different forged leftmost address
        headers = {"X-Forwarded-For": f"10.66.0.{n}, 198.51.100.7"}
        key = reports.client_key_for(
            client_identity("10.0.0.1", headers, cfg.trusted_proxy_header), salt)
        before = snapshot(sqlite_db)
        try:
            with sqlite_db.unit_of_work(ANONYMOUS, write=True) as repo:
                reports.create_report(repo, category="other", location_text=f"江城区 路口 {n}",
                                      client_key=key, settings=cfg)
            accepted += 1
        except InputError as exc:
            assert exc.problems[0].field == "rate_limit"
            assert snapshot(sqlite_db) == before
    assert accepted == 5


def test_global_cap_on_public_reports_holds_across_processes(tmp_path: Path) -> None:
    from audit import reports

    path = tmp_path / "shared.sqlite3"
    first = open_database(f"sqlite:///{path}")
    upgrade_to_head(first)
    second = open_database(f"sqlite:///{path}")  # another app process on the same database
    cfg = Settings(data_dir=tmp_path, report_global_per_minute=3)
    try:
        for n in range(3):
            db = (first, second)[n % 2]
            with db.unit_of_work(ANONYMOUS, write=True) as repo:
                reports.create_report(repo, category="other", location_text=f"海陵岛 码头 {n}",
                                      client_key=f"client-{n}", settings=cfg)
        before = snapshot(first)
        with pytest.raises(InputError) as info, second.unit_of_work(ANONYMOUS, write=True) as repo:
            reports.create_report(repo, category="other", location_text="海陵岛 码头 新",
                                  client_key="client-new", settings=cfg)
        assert info.value.problems[0].field == "rate_limit_global"
        assert "per minute" in str(info.value)
        assert snapshot(first) == before
        # staff filing for residents are not capped by the public limit
        with first.unit_of_work(SYSTEM, write=True) as repo:
            reports.create_report(repo, category="other", location_text="海陵岛 码头 电话",
                                  settings=cfg)
        assert _report_count(first) == 4
    finally:
        first.engine.dispose()
        second.engine.dispose()


def test_a_new_tab_gets_no_fresh_quota(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    with empty_app_db(tmp_path, monkeypatch, REPORT_RATE_LIMIT="2") as db:
        for n in range(3):
            tab = AppTest.from_file(APP, default_timeout=90).run()  # a new tab each time
            tab.switch_page("ui/pages/report.py").run()
            tab.radio(key="report_category").set_value("tactile_blocked")
            tab.text_input(key="report_location_text").set_value(f"东风路 {n} 号 公交站")
            next(b for b in tab.button if b.label == "提交反映").click()
            tab.run()
            assert not tab.exception
        assert _report_count(db) == 2
        assert any("2" in str(e.value) for e in tab.error)  # the third tab was refused


# ------------------------------------------------------------------ item 8: report secrets
def test_public_code_opens_nothing_and_the_secret_reopens(db: Database, tmp_path: Path) -> None:
    from audit import reports

    cfg = Settings(data_dir=tmp_path, report_reopen_limit=1)
    with db.unit_of_work(ANONYMOUS, write=True) as repo:
        receipt = reports.create_report(repo, category="toilet_unusable",
                                        location_text="人民广场 公厕", client_key="resident",
                                        settings=cfg)
    assert receipt.secret and receipt.secret not in repr(receipt)
    with db.unit_of_work(SYSTEM, write=True) as repo:
        reports.mark_fixed(repo, receipt.report_id, note="已开锁")
    # the attacker has the public code (map tooltip), not the token
    with db.unit_of_work(ANONYMOUS) as repo:
        public = reports.status_by_code(repo, receipt.code)
        assert public["timeline"] == [] and not public["can_reopen"] and not public["owner"]
        assert reports.allowed_actions(public, ANONYMOUS) == ()
        assert receipt.secret not in repr(public)
    before = snapshot(db)
    near = receipt.secret[:-1] + ("2" if receipt.secret[-1] != "2" else "3")  # one symbol off
    for guess in ("", receipt.code, near, None):
        with pytest.raises(PermissionDenied, match="secret token"), \
                db.unit_of_work(ANONYMOUS, write=True) as repo:
            reports.reopen_report(repo, receipt.code, "forged", secret=guess,  # type: ignore[arg-type]
                                  settings=cfg)
    assert snapshot(db) == before
    with db.session() as s:  # the token itself is never stored
        dumped = " ".join(repr(tuple(r)) for t in Base.metadata.sorted_tables
                          for r in s.execute(sa.select(t)))
    assert receipt.secret not in dumped
    # the reporter, with the token: detail and reopening
    with db.unit_of_work(ANONYMOUS) as repo:
        mine = reports.status_by_code(repo, receipt.code, secret=receipt.secret)
    assert mine["owner"] and mine["can_reopen"] and mine["timeline"][-1]["text"] == "已开锁"
    with db.unit_of_work(ANONYMOUS, write=True) as repo:
        reports.reopen_report(repo, receipt.code, "又锁上了", secret=receipt.secret, settings=cfg)
    with db.unit_of_work(SYSTEM, write=True) as repo:
        reports.mark_fixed(repo, receipt.report_id)
    before = snapshot(db)
    with pytest.raises(InputError) as info, db.unit_of_work(ANONYMOUS, write=True) as repo:
        reports.reopen_report(repo, receipt.code, "再开", secret=receipt.secret, settings=cfg)
    assert info.value.problems[0].field == "rate_limit"  # reopening is rate-limited
    assert snapshot(db) == before


def test_demo_reports_cannot_be_reopened_with_their_public_codes(sqlite_db: Database) -> None:
    from audit import reports

    with sqlite_db.unit_of_work(SYSTEM, write=True) as repo:
        seed_demo(repo, n_facilities=30)
    frame = None
    with sqlite_db.unit_of_work(ANONYMOUS) as repo:
        frame = repo.report_frame()
    fixed = frame[frame["status"] == "fixed"]["code"].tolist()
    assert fixed, "the demo has fixed reports"
    before = snapshot(sqlite_db)
    for code in fixed:
        with pytest.raises(PermissionDenied), \
                sqlite_db.unit_of_work(ANONYMOUS, write=True) as repo:
            reports.reopen_report(repo, code, "anonymous reopen")
    assert snapshot(sqlite_db) == before


# ------------------------------------------------------------------ low: lock-out, staff names
def test_one_client_cannot_lock_out_an_account(db: Database, tmp_path: Path) -> None:
    cfg = Settings(data_dir=tmp_path, login_max_failures=5, login_client_max_failures=3)
    with db.unit_of_work(SYSTEM, write=True) as repo:
        auth.create_user(repo, "city-admin", PW, "admin")
    reasons = []
    for n in range(10):  # the attacker tries to lock the admin out
        with db.unit_of_work(SYSTEM, write=True) as repo:
            result = auth.authenticate(repo, "city-admin", f"guess-{n}-xxxx", settings=cfg,
                                       client_key="attacker")
        assert result.failure is not None
        reasons.append(result.failure.reason)
    assert reasons[:3] == ["bad_credentials"] * 3 and set(reasons[3:]) == {"throttled"}
    with db.unit_of_work(SYSTEM, write=True) as repo:  # even the right password, from there
        throttled = auth.authenticate(repo, "city-admin", PW, settings=cfg, client_key="attacker")
    assert throttled.failure is not None and throttled.failure.reason == "throttled"
    with db.session() as s:
        row = s.scalar(sa.select(User).where(User.username == "city-admin"))
        assert row is not None and row.locked_until is None and row.failed_logins == 3
    with db.unit_of_work(SYSTEM, write=True) as repo:  # the admin, from the office
        ok = auth.authenticate(repo, "city-admin", PW, settings=cfg, client_key="office")
    assert ok.actor is not None


def test_a_throttled_client_is_told_when_it_may_try_again(db: Database, tmp_path: Path) -> None:
    """The throttle's refusal carries the moment it lifts (the oldest failure still counted
    plus the window), so the page can say when, in Beijing time to the minute (issue 16 walk)."""
    from datetime import UTC, datetime, timedelta

    cfg = Settings(data_dir=tmp_path, login_max_failures=5, login_client_max_failures=3,
                   login_lockout_s=900)
    start = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    with db.unit_of_work(SYSTEM, write=True) as repo:
        auth.create_user(repo, "city-clerk", PW, "bureau")
    for minute in (0, 4, 9):  # three refusals, the first at 03:00 UTC
        with db.unit_of_work(SYSTEM, write=True) as repo:
            auth.authenticate(repo, "city-clerk", "nope-nope", settings=cfg, client_key="kiosk",
                              now=start + timedelta(minutes=minute))
    for minute in (10, 14):  # throttled tries are not counted: the time stays put
        with db.unit_of_work(SYSTEM, write=True) as repo:
            refused = auth.authenticate(repo, "city-clerk", PW, settings=cfg, client_key="kiosk",
                                        now=start + timedelta(minutes=minute))
        assert refused.failure is not None and refused.failure.reason == "throttled"
        assert refused.failure.locked_until == start + timedelta(minutes=15)
        assert "after 2026-12-01 03:15 UTC" in str(refused.failure)
    with db.unit_of_work(SYSTEM, write=True) as repo:  # the first refusal left the window
        ok = auth.authenticate(repo, "city-clerk", PW, settings=cfg, client_key="kiosk",
                               now=start + timedelta(minutes=15, seconds=1))
    assert ok.actor is not None


def test_public_facility_detail_names_no_staff_account(sqlite_db: Database) -> None:
    inspector = Actor(None, "zhang.inspector", "inspector")
    with sqlite_db.unit_of_work(inspector, write=True) as repo:
        fac = repo.create_facility("ramp", 111.98, 21.86)
        repo.submit_audit(fac.id, evaluate("ramp", {"running_slope_pct": 9.0, "rise_mm": 300}))
    with sqlite_db.unit_of_work(ANONYMOUS) as repo:
        public = repo.facility_detail(fac.id)
        staff = repo.facility_detail(fac.id, staff_names=True)
    assert "zhang.inspector" not in repr(public)
    assert staff["audits"][0]["inspector"] == "zhang.inspector"


def test_secret_tokens_avoid_look_alikes_and_match_however_typed() -> None:
    """A token is 4 groups of 5 capitals and digits without 0/O, 1/I/L, U/V; typed in small
    letters, without dashes or with spaces it still matches; a token of the older URL-safe
    form (already handed out) keeps matching exactly as issued."""
    from audit.reports.records import (
        SECRET_ALPHABET,
        new_secret,
        normalise_secret,
        secret_hash,
    )

    tokens = {new_secret() for _ in range(200)}
    assert len(tokens) == 200
    for token in tokens:
        groups = token.split("-")
        assert [len(g) for g in groups] == [5, 5, 5, 5]
        assert set("".join(groups)) <= set(SECRET_ALPHABET)
        assert not set("0O1IL") & set(token)
    token = next(iter(tokens))
    for typed in (token.lower(), token.replace("-", ""), " " + token.replace("-", " ") + " "):
        assert normalise_secret(typed) == token
        assert secret_hash(typed) == secret_hash(token)
    old = "UB_U0aEYW7EyFZRlIqj6Hw"  # token_urlsafe(16), the earlier form
    assert normalise_secret(old) == old and secret_hash(old.lower()) != secret_hash(old)
