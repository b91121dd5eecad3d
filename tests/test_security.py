"""Issue 16 attacks, each refused with nothing lost or changed: demo accounts on a real database,
unchecked writes, revoked rights, resettable rate limits, report codes that open actions."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from browser_support import empty_app_db

from audit import auth
from audit.actors import ANONYMOUS, SYSTEM, Actor
from audit.demo import DEMO_ACCOUNTS, DEMO_DATABASE_FLAG, DemoRefused, seed_demo
from audit.demo.accounts import seed_demo_accounts
from audit.errors import InputError, PermissionDenied
from audit.settings import Settings
from audit.storage import Database, open_database
from audit.storage.orm import Base, User

REPO = Path(__file__).resolve().parent.parent
APP = str(REPO / "streamlit_app.py")
PW = "Real-Admin-Pass-2026"


def snapshot(db: Database) -> str:
    """A hash of every row of every table: any write changes it."""
    digest = hashlib.sha256()
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(sa.select(table).order_by(*table.primary_key.columns)):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


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
        audit_id = repo.submit_audit(fac.id, {"running_slope_pct": 9.0, "rise_mm": 300}).id
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
