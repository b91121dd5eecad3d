"""One PostgreSQL database per pytest-xdist worker, so parallel workers never share tables.

With ``pytest -n N`` every worker (``PYTEST_XDIST_WORKER`` = ``gw0``, ``gw1``, ...) derives
``<db>_<worker>`` from ``TEST_DATABASE_URL``, drops any leftover of that name, creates it with the
``postgis`` extension and points ``TEST_DATABASE_URL`` of its own process (and so of the
subprocesses it starts) at it; the database is dropped when the worker ends. Without xdist
nothing changes. conftest.py calls these from ``pytest_configure``/``pytest_unconfigure``.
"""

from __future__ import annotations

import os
import re

import sqlalchemy as sa

_WORKER = re.compile(r"^gw\d+$")


def worker_url(base_url: str, worker: str) -> str:
    """``base_url`` with its database name suffixed by ``_<worker>``."""
    if not _WORKER.match(worker):
        raise ValueError(f"PYTEST_XDIST_WORKER={worker!r}: expected gw<number>")
    return derived_url(base_url, worker)


def derived_url(base_url: str, suffix: str) -> str:
    """``base_url`` with its database name suffixed by ``_<suffix>``."""
    url = sa.make_url(base_url)
    if not url.database:
        raise ValueError("TEST_DATABASE_URL names no database")
    return url.set(database=f"{url.database}_{suffix}").render_as_string(hide_password=False)


def _admin(base_url: str) -> sa.Engine:
    return sa.create_engine(base_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)


def _drop(conn: sa.Connection, name: str) -> None:
    quoted = conn.dialect.identifier_preparer.quote(name)
    conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")


def create_worker_database(base_url: str, worker: str) -> str:
    """(Re)create this worker's database with PostGIS; return its URL."""
    return create_database(base_url, worker_url(base_url, worker))


def create_database(base_url: str, url: str) -> str:
    """(Re)create the database of ``url`` with PostGIS (connecting as ``base_url``); return
    ``url``."""
    name = sa.make_url(url).database
    assert name is not None
    admin = _admin(base_url)
    try:
        with admin.connect() as conn:
            _drop(conn, name)
            quoted = conn.dialect.identifier_preparer.quote(name)
            conn.exec_driver_sql(f"CREATE DATABASE {quoted} TEMPLATE template0")
    finally:
        admin.dispose()
    engine = _admin(url)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS postgis")
    finally:
        engine.dispose()
    return url


def drop_worker_database(base_url: str, worker: str) -> None:
    """Drop this worker's database (best effort is the caller's choice)."""
    drop_database(base_url, worker_url(base_url, worker))


def drop_database(base_url: str, url: str) -> None:
    """Drop the database of ``url`` (connecting as ``base_url``)."""
    name = sa.make_url(url).database
    assert name is not None
    admin = _admin(base_url)
    try:
        with admin.connect() as conn:
            _drop(conn, name)
    finally:
        admin.dispose()


def current_worker() -> str | None:
    """The xdist worker id of this process, or ``None`` when not under xdist."""
    return os.environ.get("PYTEST_XDIST_WORKER") or None
