"""Several app processes on one database (issue 15 section 4), at the library level: each test
opens a second :class:`Database` (its own engine and pool, as another process has) on the same
database, and checks that what one writes or counts, the other sees.

The three real ``streamlit run`` processes are in tests/test_browser_multiproc.py.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from audit import auth, reports
from audit.actors import ANONYMOUS, SYSTEM, Actor
from audit.errors import InputError
from audit.scoring import evaluate
from audit.settings import Settings
from audit.storage import Database, open_database
from audit.storage.orm import Facility

INSPECTOR = Actor(None, "li", "inspector")
PW = "Multi-Process-Pass-2026"


@pytest.fixture
def pair(db: Database) -> Iterator[tuple[Database, Database]]:
    """``db`` and a second Database on the same database (another process's engine)."""
    other = open_database(db.engine.url.render_as_string(hide_password=False))
    try:
        yield db, other
    finally:
        other.engine.dispose()


def test_data_version_moves_with_every_shown_write_and_only_then(
        pair: tuple[Database, Database], tmp_path: Path) -> None:
    one, two = pair
    start = two.data_version()
    with one.unit_of_work(SYSTEM) as repo:  # a read
        repo.facility_frame()
    assert two.data_version() == start
    with pytest.raises(RuntimeError), one.unit_of_work(INSPECTOR, write=True) as repo:
        repo.create_facility("ramp", 111.98, 21.86)
        raise RuntimeError("rolled back")
    assert two.data_version() == start
    with one.unit_of_work(INSPECTOR, write=True) as repo:  # ORM rows (facility + change log)
        fac = repo.create_facility("ramp", 111.98, 21.86, name="人民路坡道")
    assert two.data_version() == start + 1  # once per transaction, seen by the other engine
    with one.unit_of_work(INSPECTOR, write=True) as repo:  # bulk UPDATEs of findings/facility
        repo.submit_audit(fac.id, evaluate("ramp", {"running_slope_pct": 9.0, "rise_mm": 300}))
    assert two.data_version() == start + 2
    with one.session(write=True) as session:  # a bare Core UPDATE through the session
        session.execute(sa.update(Facility).values(name="人民路 坡道"))
        with contextlib.suppress(RuntimeError), session.begin_nested():
            raise RuntimeError("a savepoint rolled back: the UPDATE before it still counts")
    assert two.data_version() == start + 3
    with one.unit_of_work(SYSTEM, write=True) as repo:
        auth.create_user(repo, "city-admin", PW, "admin")
    after_user = two.data_version()
    assert after_user == start + 4
    cfg = Settings(data_dir=tmp_path)
    with two.unit_of_work(SYSTEM, write=True) as repo:  # a failed sign-in changes no page
        refused = auth.authenticate(repo, "city-admin", "wrong-password-1", settings=cfg,
                                    client_key="somebody")
    assert refused.failure is not None and refused.failure.reason == "bad_credentials"
    assert one.data_version() == after_user


def test_rate_limits_and_lockouts_count_across_processes(
        pair: tuple[Database, Database], tmp_path: Path) -> None:
    one, two = pair
    cfg = Settings(data_dir=tmp_path, report_rate_limit=2, login_max_failures=3,
                   login_client_max_failures=2)
    with one.unit_of_work(SYSTEM, write=True) as repo:
        auth.create_user(repo, "city-admin", PW, "admin")
        salt = reports.client_salt(repo)
    with two.unit_of_work(SYSTEM, write=True) as repo:  # one salt for every process
        assert reports.client_salt(repo) == salt
    key = reports.client_key_for("198.51.100.7", salt)
    for n, db in enumerate((one, two)):
        with db.unit_of_work(ANONYMOUS, write=True) as repo:
            reports.create_report(repo, category="other", location_text=f"江城区 路口 {n}",
                                  client_key=key, settings=cfg)
    with pytest.raises(InputError) as info, one.unit_of_work(ANONYMOUS, write=True) as repo:
        reports.create_report(repo, category="other", location_text="江城区 路口 三",
                              client_key=key, settings=cfg)
    assert info.value.problems[0].field == "rate_limit"

    def sign_in(db: Database, password: str, client: str) -> str | None:
        with db.unit_of_work(SYSTEM, write=True) as repo:
            result = auth.authenticate(repo, "city-admin", password, settings=cfg,
                                       client_key=client)
        return None if result.failure is None else result.failure.reason

    # the per-account lock-out: three failures from three clients, on alternating processes
    reasons = [sign_in(db, f"wrong-{n}-password", f"client-{n}")
               for n, db in enumerate((one, two, one))]
    assert reasons == ["bad_credentials", "bad_credentials", "locked"]
    assert sign_in(two, PW, "office") == "locked"  # the other process refuses the right password
    # the per-client throttle: two failures on one process, the third try on the other
    with one.unit_of_work(SYSTEM, write=True) as repo:
        auth.unlock_user(repo, "city-admin")
    assert sign_in(one, "wrong-a-password", "attacker") == "bad_credentials"
    assert sign_in(two, "wrong-b-password", "attacker") == "bad_credentials"
    assert sign_in(one, PW, "attacker") == "throttled"
    assert sign_in(two, PW, "office") is None


def test_app_caches_show_another_process_write_at_the_next_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from browser_support import empty_app_db

    from ui import cache

    with empty_app_db(tmp_path, monkeypatch) as db:
        other = open_database(db.engine.url.render_as_string(hide_password=False))
        try:
            assert cache.facility_frame().empty
            assert cache.facility_frame().empty  # cached (TTL minutes) under this version
            version = cache.data_version()
            with other.unit_of_work(INSPECTOR, write=True) as repo:  # "another process"
                repo.create_facility("toilet", 111.95, 21.85, name="公园公厕")
            assert cache.data_version() == version + 1
            assert cache.facility_frame()["name"].tolist() == ["公园公厕"]
        finally:
            other.engine.dispose()
