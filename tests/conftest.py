"""Shared fixtures: databases on both backends, and the CI rule that nothing needed is skipped.

Tests that need PostGIS or Chromium skip with a reason on a bare laptop, and fail in CI
(``CI=true``) where .ci/run has installed and started them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from audit.actors import Actor
from audit.storage import Database, open_database, upgrade_to_head
from audit.storage.orm import Base

# Browser fixtures (app server, Chromium) live in tests/browser_support.py; registering them once
# here gives every test module the same session-scoped app and browser.
pytest_plugins = ["browser_support"]

IN_CI = os.environ.get("CI", "").lower() == "true"
SHARED_DIR = Path(__file__).resolve().parents[2] / "shared"


def skip_or_fail(reason: str) -> None:
    """Skip with ``reason`` on a laptop; fail in CI, where a skip would hide a broken set-up."""
    if IN_CI:
        pytest.fail(f"required in CI but unavailable: {reason}", pytrace=False)
    pytest.skip(reason)


def one_unit_of_work(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn(repo, ...)`` as ``call(db, actor, ...)``: each call runs in its own write unit of work
    acting for ``actor``, as one page action or one CLI command does."""

    def call(db: Database, actor: Actor, *args: Any, **kwargs: Any) -> Any:
        with db.unit_of_work(actor, write=True) as repo:
            return fn(repo, *args, **kwargs)

    call.__name__ = call.__qualname__ = fn.__name__
    call.__doc__ = fn.__doc__
    return call


def shared_path(*parts: str) -> Path:
    """A file under ../shared (read-only project material); skip/fail when it is missing."""
    path = SHARED_DIR.joinpath(*parts)
    if not path.exists():
        skip_or_fail(f"{path} not found (the ../shared folder is beside the repo in CI)")
    return path


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    db = open_database(f"sqlite:///{tmp_path / 'test.sqlite3'}")
    upgrade_to_head(db)
    yield db
    db.engine.dispose()


@pytest.fixture(scope="session")
def _postgis_engine() -> Iterator[Database]:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url:
        skip_or_fail("TEST_DATABASE_URL is not set (PostgreSQL with PostGIS); .ci/run sets it")
    db = open_database(url)
    try:
        db.ping()
    except Exception as exc:  # any failure to connect: skip or fail with the reason
        skip_or_fail(f"cannot reach PostgreSQL at TEST_DATABASE_URL: {exc}")
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
