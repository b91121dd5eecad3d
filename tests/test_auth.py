"""Accounts: hashing, roles, lock-out, disable, demo accounts, CLI (SQLite and PostGIS)."""

from __future__ import annotations

import logging
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from conftest import one_unit_of_work

from audit import auth
from audit.actors import ANONYMOUS, SYSTEM, Actor
from audit.auth import AuthenticationFailed, UserRecord
from audit.demo.accounts import DEMO_ACCOUNTS
from audit.demo.accounts import seed_demo_accounts as _seed_demo_accounts
from audit.errors import InputError, PermissionDenied
from audit.settings import Settings
from audit.storage import Database
from audit.storage.orm import ChangeLog, User, utcnow

REPO = Path(__file__).resolve().parent.parent
PW = "correct horse battery"


# Each call below runs in its own unit of work, as one page action or CLI command does.
create_user = one_unit_of_work(auth.create_user)
list_users = one_unit_of_work(auth.list_users)
set_active = one_unit_of_work(auth.set_active)
disable_user = one_unit_of_work(auth.disable_user)
unlock_user = one_unit_of_work(auth.unlock_user)


def get_user(db: Database, username: str) -> UserRecord | None:
    with db.unit_of_work(SYSTEM) as repo:
        return auth.get_user(repo, username)


def authenticate(db: Database, username: str, password: str, **kw: Any) -> Actor:
    """Sign in as the app does: the attempt commits, then a refusal is raised."""
    with db.unit_of_work(SYSTEM, write=True) as repo:
        result = auth.authenticate(repo, username, password, **kw)
    return result.actor_or_raise()


def seed_demo_accounts(db: Database, rng: Any, *, settings: Settings) -> str:
    with db.unit_of_work(SYSTEM, write=True) as repo:
        return _seed_demo_accounts(repo, rng, settings=settings)


def _settings(tmp_path: Path, **kw: object) -> Settings:
    return Settings(data_dir=tmp_path, login_max_failures=3, login_lockout_s=600, **kw)


def test_create_and_authenticate(db: Database, tmp_path: Path) -> None:
    user = create_user(db, SYSTEM, "Li.Wei", PW, "inspector", display_name="李伟")
    assert user.username == "li.wei" and user.role == "inspector"
    actor = authenticate(db, "LI.WEI", PW, settings=_settings(tmp_path))
    assert actor == Actor(user.id, "li.wei", "inspector")
    with db.session() as s:
        stored = s.scalar(sa.select(User.password_hash).where(User.id == user.id))
    assert stored is not None and stored.startswith("$argon2id$") and PW not in stored


def test_wrong_password_and_unknown_user_same_message(db: Database, tmp_path: Path) -> None:
    create_user(db, SYSTEM, "insp1", PW, "inspector")
    errors = []
    for name, pw in (("insp1", "wrong password"), ("nobody", PW)):
        with pytest.raises(AuthenticationFailed) as info:
            authenticate(db, name, pw, settings=_settings(tmp_path))
        errors.append(info.value)
    assert {e.reason for e in errors} == {"bad_credentials"}
    assert str(errors[0]) == str(errors[1])


def test_lockout_after_max_failures_then_unlock(db: Database, tmp_path: Path) -> None:
    cfg = _settings(tmp_path)
    create_user(db, SYSTEM, "insp1", PW, "inspector")
    now = utcnow()
    for _ in range(2):
        with pytest.raises(AuthenticationFailed) as info:
            authenticate(db, "insp1", "bad-password", settings=cfg, now=now)
        assert info.value.reason == "bad_credentials"
    with pytest.raises(AuthenticationFailed) as info:
        authenticate(db, "insp1", "bad-password", settings=cfg, now=now)
    assert info.value.reason == "locked"
    # even the right password is refused while locked
    with pytest.raises(AuthenticationFailed) as info:
        authenticate(db, "insp1", PW, settings=cfg, now=now + timedelta(seconds=10))
    assert info.value.reason == "locked" and "unlock" in str(info.value)
    # after the lock-out period it works again
    assert authenticate(db, "insp1", PW, settings=cfg, now=now + timedelta(seconds=601))
    # lock again and have an admin unlock it
    for _ in range(3):
        with pytest.raises(AuthenticationFailed):
            authenticate(db, "insp1", "bad-password", settings=cfg)
    assert get_user(db, "insp1").is_locked()  # type: ignore[union-attr]
    unlock_user(db, SYSTEM, "insp1")
    assert authenticate(db, "insp1", PW, settings=cfg).username == "insp1"


def test_success_resets_failure_count(db: Database, tmp_path: Path) -> None:
    cfg = _settings(tmp_path)
    create_user(db, SYSTEM, "insp1", PW, "inspector")
    for _ in range(2):
        with pytest.raises(AuthenticationFailed):
            authenticate(db, "insp1", "bad-password", settings=cfg)
    authenticate(db, "insp1", PW, settings=cfg)
    for _ in range(2):
        with pytest.raises(AuthenticationFailed) as info:
            authenticate(db, "insp1", "bad-password", settings=cfg)
        assert info.value.reason == "bad_credentials"


def test_disabled_account(db: Database, tmp_path: Path) -> None:
    admin = create_user(db, SYSTEM, "boss", PW, "admin").actor()
    create_user(db, SYSTEM, "insp1", PW, "inspector")
    disable_user(db, admin, "insp1")
    with pytest.raises(AuthenticationFailed) as info:
        authenticate(db, "insp1", PW, settings=_settings(tmp_path))
    assert info.value.reason == "disabled"
    set_active(db, admin, "insp1", True)
    assert authenticate(db, "insp1", PW, settings=_settings(tmp_path))
    with pytest.raises(InputError):
        disable_user(db, admin, "boss")  # not yourself


@pytest.mark.parametrize("stored_role", ["system", "anonymous", "Admin", ""])
def test_a_stored_role_no_person_may_hold_cannot_sign_in(
    db: Database, tmp_path: Path, stored_role: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A row written outside the library (SQL, an old backup) with a role such as "system" is
    refused at sign-in, and a session already open with it ends, instead of acting with that
    role's permissions."""
    create_user(db, SYSTEM, "insp1", PW, "inspector")
    actor = authenticate(db, "insp1", PW, settings=_settings(tmp_path))
    with db.engine.begin() as conn:
        conn.execute(sa.update(User).where(User.username == "insp1").values(role=stored_role))
    with caplog.at_level(logging.ERROR, logger="audit.auth"), pytest.raises(
        AuthenticationFailed
    ) as info:
        authenticate(db, "insp1", PW, settings=_settings(tmp_path))
    assert info.value.reason == "disabled"
    assert f"stored role {stored_role!r}" in caplog.text
    forged = Actor(actor.user_id, actor.username, stored_role, actor.session_epoch)  # type: ignore[arg-type]
    with pytest.raises(PermissionDenied), db.unit_of_work(forged):
        pass


def test_bad_input_reports_every_problem_and_writes_nothing(db: Database) -> None:
    create_user(db, SYSTEM, "taken", PW, "bureau")
    with pytest.raises(InputError) as info:
        create_user(db, SYSTEM, "taken", "short", "mayor")
    fields = [p.field for p in info.value.problems]
    assert sorted(fields) == ["password", "role", "username"]
    assert "short" not in str(info.value)  # the password is never echoed
    assert [u.username for u in list_users(db, SYSTEM)] == ["taken"]


def test_only_admins_manage_users(db: Database) -> None:
    insp = create_user(db, SYSTEM, "insp1", PW, "inspector").actor()
    for actor in (insp, ANONYMOUS, Actor(None, "b", "bureau")):
        with pytest.raises(PermissionDenied):
            create_user(db, actor, "new1", PW, "inspector")
        with pytest.raises(PermissionDenied):
            list_users(db, actor)


def test_password_never_logged(db: Database, tmp_path: Path,
                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    create_user(db, SYSTEM, "insp1", PW, "inspector")
    with pytest.raises(AuthenticationFailed):
        authenticate(db, "insp1", "secret-typo-123", settings=_settings(tmp_path))
    authenticate(db, "insp1", PW, settings=_settings(tmp_path))
    assert PW not in caplog.text and "secret-typo-123" not in caplog.text
    with db.session() as s:
        logged = " ".join(str(r.before) + str(r.after) for r in s.scalars(sa.select(ChangeLog)))
    assert PW not in logged and "argon2" not in logged


def test_demo_accounts_only_in_demo_mode(db: Database, tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    off = Settings(data_dir=tmp_path, demo_mode=False)
    assert "not created" in seed_demo_accounts(db, rng, settings=off)
    assert list_users(db, SYSTEM) == []
    on = Settings(data_dir=tmp_path, demo_mode=True)
    seed_demo_accounts(db, rng, settings=on)
    seed_demo_accounts(db, rng, settings=on)  # idempotent
    users = {u.username: u for u in list_users(db, SYSTEM)}
    assert set(users) == {name for name, _, _ in DEMO_ACCOUNTS}
    assert all(u.is_demo for u in users.values())
    for name, role, password in DEMO_ACCOUNTS:
        assert authenticate(db, name, password, settings=on).role == role


def test_cli_users(tmp_path: Path) -> None:
    env = {"DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", "A11Y_SETTINGS_FILE": "/nonexistent"}

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "audit", *args], input=stdin, env=env,
                              cwd=REPO, capture_output=True, text=True, check=False)

    assert run("db", "upgrade").returncode == 0
    done = run("users", "add", "--role", "inspector", "zhang3", "--password-stdin",
               stdin=PW + "\n")
    assert done.returncode == 0, done.stderr
    assert PW not in done.stdout + done.stderr
    bad = run("users", "add", "--role", "inspector", "zhang3", "--password-stdin", stdin="x\n")
    assert bad.returncode == 2 and "username" in bad.stderr and "password" in bad.stderr
    assert run("users", "disable", "zhang3").returncode == 0
    listing = run("users", "list")
    assert listing.returncode == 0 and "zhang3" in listing.stdout
    line = next(x for x in listing.stdout.splitlines() if x.startswith("zhang3"))
    assert line.split()[1:3] == ["inspector", "no"]
    assert run("users", "disable", "ghost").returncode != 0


def test_a_refused_sign_in_is_returned_and_committed_not_raised(db: Database,
                                                                tmp_path: Path) -> None:
    """authenticate() returns the refusal, so its unit of work commits the failure count."""
    cfg = _settings(tmp_path)
    create_user(db, SYSTEM, "insp1", PW, "inspector")
    with db.unit_of_work(SYSTEM, write=True) as repo:
        result = auth.authenticate(repo, "insp1", "bad-password", settings=cfg)
    assert result.actor is None and result.failure is not None
    assert result.failure.reason == "bad_credentials"
    with pytest.raises(AuthenticationFailed):
        result.actor_or_raise()
    with db.session() as s:
        assert s.scalar(sa.select(User.failed_logins).where(User.username == "insp1")) == 1
    # a caller that rolls its unit of work back keeps nothing: the contract is explicit
    with pytest.raises(RuntimeError), db.unit_of_work(SYSTEM, write=True) as repo:
        auth.authenticate(repo, "insp1", "bad-password", settings=cfg)
        raise RuntimeError("the caller failed after the attempt")
    with db.session() as s:
        assert s.scalar(sa.select(User.failed_logins).where(User.username == "insp1")) == 1
    with db.unit_of_work(SYSTEM, write=True) as repo:
        ok = auth.authenticate(repo, "insp1", PW, settings=cfg)
    assert ok.failure is None and ok.actor_or_raise().username == "insp1"
