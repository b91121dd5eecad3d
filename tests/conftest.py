"""Shared fixtures: databases on both backends, and the CI rule that nothing needed is skipped.

Tests that need PostGIS or Chromium skip with a reason on a bare laptop, and fail in CI
(``CI=true``) where .ci/run has installed and started them (tests/skips.py). The run ends with
one line counting those skips and saying how to enable them.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from skips import in_ci, pytest_terminal_summary, require_postgis_url, skip_or_fail
from worker_db import create_worker_database, current_worker, drop_worker_database, worker_url

from audit.actors import Actor
from audit.storage import Database, open_database, upgrade_to_head
from audit.storage.orm import Base

__all__ = ["pytest_terminal_summary", "skip_or_fail"]  # the hook, and the helper tests import

# Browser fixtures (app server, Chromium) live in tests/browser_support.py; registering them once
# here gives every test module the same session-scoped app and browser.
pytest_plugins = ["browser_support"]

IN_CI = in_ci()
_BASE_URL = pytest.StashKey[str]()
#: Test fixtures kept in the repository, each with its source and licence (PROVENANCE.md there).
DATA_DIR = Path(__file__).resolve().parent / "data"


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist, give this worker its own PostGIS database (tests/worker_db.py)."""
    worker, base = current_worker(), os.environ.get("TEST_DATABASE_URL", "")
    if worker is None or not base:
        return
    config.stash[_BASE_URL] = base
    try:
        os.environ["TEST_DATABASE_URL"] = create_worker_database(base, worker)
    except Exception:  # unreachable server: the PostGIS tests report it (skip, or fail in CI)
        os.environ["TEST_DATABASE_URL"] = worker_url(base, worker)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Drop this worker's database (xdist workers end with the session, not ``unconfigure``)."""
    worker, base = current_worker(), session.config.stash.get(_BASE_URL, "")
    if worker is not None and base:
        os.environ["TEST_DATABASE_URL"] = base
        with contextlib.suppress(Exception):  # the server may be gone; a rerun recreates it
            drop_worker_database(base, worker)


#: Test modules sharing the session's app server and Chromium (tests/browser_support.py): under
#: pytest-xdist they all run on one worker, so the app and the browser start once, not per worker.
BROWSER_MODULES = "tests/test_browser_"
#: The two load tests (8 writer processes each) run one after the other on one worker, as they did
#: in one process: side by side on 2 cores their 16 writers starved each other into timeouts.
LOAD_MODULE = "tests/test_load.py::"


if importlib.util.find_spec("xdist") is not None:

    def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
        """``--dist load``, except that the browser modules, and the load tests, form one unit."""
        if config.getvalue("dist") != "load":
            return None
        from xdist.scheduler import LoadScopeScheduling

        class BrowserTogether(LoadScopeScheduling):  # type: ignore[misc]
            def _split_scope(self, nodeid: str) -> str:
                if nodeid.startswith(BROWSER_MODULES):
                    return "browser"
                return "load" if nodeid.startswith(LOAD_MODULE) else nodeid

        return BrowserTogether(config, log)


def data_path(*parts: str) -> Path:
    """A fixture file under tests/data; a missing one is a broken checkout, so it fails."""
    path = DATA_DIR.joinpath(*parts)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: test fixture missing from tests/data (see PROVENANCE.md)")
    return path


def one_unit_of_work(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn(repo, ...)`` as ``call(db, actor, ...)``: each call runs in its own write unit of work
    acting for ``actor``, as one page action or one CLI command does."""

    def call(db: Database, actor: Actor, *args: Any, **kwargs: Any) -> Any:
        with db.unit_of_work(actor, write=True) as repo:
            return fn(repo, *args, **kwargs)

    call.__name__ = call.__qualname__ = fn.__name__
    call.__doc__ = fn.__doc__
    return call


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated to head once per test process (the migrations take a few
    hundred milliseconds; hundreds of tests need a fresh database)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    db = open_database(f"sqlite:///{path}")
    upgrade_to_head(db)
    db.engine.dispose()  # the last connection closing checkpoints the WAL into the file
    leftovers = [p.name for p in path.parent.iterdir() if p != path]
    assert not leftovers, f"the template left files beside it: {leftovers}"
    return path


@pytest.fixture
def sqlite_db(tmp_path: Path, _sqlite_template: Path) -> Iterator[Database]:
    """A fresh SQLite database at head: a byte copy of the session's migrated template (with its
    owner-only file mode), the same as migrating a new file (tests/test_fixtures.py)."""
    target = tmp_path / "test.sqlite3"
    shutil.copy2(_sqlite_template, target)
    db = open_database(f"sqlite:///{target}")
    yield db
    db.engine.dispose()


@pytest.fixture(scope="session")
def _postgis_engine() -> Iterator[Database]:
    db = open_database(require_postgis_url())
    try:
        db.ping()
    except Exception as exc:  # any failure to connect: skip or fail with the reason
        skip_or_fail(f"cannot reach PostgreSQL at TEST_DATABASE_URL: {exc}", needs="postgis")
    with db.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(sa.text(f'DROP TABLE IF EXISTS "{table.name}" CASCADE'))
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    upgrade_to_head(db)
    yield db
    db.engine.dispose()


@pytest.fixture
def postgis_db(_postgis_engine: Database) -> Iterator[Database]:
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with _postgis_engine.engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    yield _postgis_engine


@pytest.fixture(params=["sqlite", "postgis"])
def db(request: pytest.FixtureRequest) -> Database:
    """The same test on SQLite and on PostGIS."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_db")
    return request.getfixturevalue("postgis_db")


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing() -> Iterator[None]:
    """Argon2id with its smallest costs in the test processes (RFC 9106's defaults cost about a
    third of a second of CPU per hash, and the suite hashes and verifies hundreds of passwords).
    The same code paths run; only the cost parameters differ. App servers and CLI subprocesses
    the tests start keep the real defaults."""
    from argon2 import PasswordHasher

    from audit import auth

    real = auth._HASHER, auth._DUMMY_HASH
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    auth._HASHER, auth._DUMMY_HASH = cheap, cheap.hash("not-a-real-password-only-for-timing")
    yield
    auth._HASHER, auth._DUMMY_HASH = real
