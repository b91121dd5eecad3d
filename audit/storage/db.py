"""Engine factory and units of work for SQLite (default) and PostgreSQL/PostGIS.

The persistence boundary of the library is :meth:`Database.unit_of_work`: one session (one
transaction) and the acting :class:`~audit.actors.Actor`, handed to library functions as a
:class:`~audit.storage.repository.Repository`. It commits when the block ends normally and rolls
back (running the repository's rollback hooks, e.g. removing photo files written meanwhile) on any
error. Engine-level operations (migrations, backup/restore, :meth:`Database.ping`) take the
:class:`Database` itself.

SQLite runs in WAL mode with foreign keys on and a busy timeout; write sessions start with
``BEGIN IMMEDIATE`` so that concurrent writers queue instead of failing on a lock upgrade.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy import event

from audit.errors import CorruptDatabase, StorageUnavailable
from audit.fileperm import private_file

if TYPE_CHECKING:
    from audit.actors import Actor
    from audit.storage.repository import Repository

SQLITE_BUSY_TIMEOUT_MS = 30_000
_IMMEDIATE = "audit_begin_immediate"
#: execution options of a write session (a Mapping: SQLAlchemy allows options of our own)
_WRITE_OPTIONS: Mapping[str, Any] = {_IMMEDIATE: True}


def redact(url: str) -> str:
    """The URL without its password, safe for messages and logs."""
    return sa.make_url(url).render_as_string(hide_password=True)


def _configure_sqlite(engine: sa.Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (SQLAlchemy pysqlite recipe)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "handle_error")
    def _on_error(context: sa.engine.ExceptionContext) -> BaseException | None:
        orig = context.original_exception
        if isinstance(orig, sqlite3.DatabaseError) and _is_corruption(orig):
            return CorruptDatabase(str(engine.url.database), str(orig))
        return None

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        immediate = conn.get_execution_options().get(_IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


#: SQLite result codes of a damaged file: SQLITE_CORRUPT, SQLITE_NOTADB
_CORRUPTION_CODES = frozenset({11, 26})


def _is_corruption(exc: sqlite3.DatabaseError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return (code & 0xFF) in _CORRUPTION_CODES
    text = str(exc).lower()
    return "file is not a database" in text or "malformed" in text


def make_engine(url: str, **kwargs: Any) -> sa.Engine:
    """Create an engine for ``url`` with the project's per-backend settings."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:" and \
                not parsed.database.startswith("file:"):
            # a new database file is the app's alone: 0600 in a 0700 folder (SQLite gives its
            # -wal and -shm files the database file's mode)
            private_file(Path(parsed.database))
        engine = sa.create_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if parsed.get_backend_name() == "postgresql":
        from audit.storage.orm import add_postgresql_predicates

        add_postgresql_predicates()
    return sa.create_engine(url, **kwargs)


@dataclass
class Database:
    """An engine plus a session factory; open one session per user action."""

    engine: sa.Engine
    factory: so.sessionmaker[so.Session]

    def __post_init__(self) -> None:
        from audit.storage.dataversion import track_writes

        track_writes(self.factory)  # every shown write raises the data version as it commits

    @property
    def url(self) -> str:
        return redact(self.engine.url.render_as_string(hide_password=False))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def unit_of_work(self, actor: Actor, *, write: bool = False) -> Iterator[Repository]:
        """One unit of work for ``actor``: a :class:`Repository` on a fresh session.

        Everything done through the repository is one transaction: committed when the block ends
        normally, rolled back on any error, after which the repository's rollback hooks run (see
        :meth:`Repository.on_rollback`). ``write=True`` takes the SQLite write lock up front so
        that concurrent writers queue (no effect on PostgreSQL); use it for every unit of work
        that may write.
        """
        from audit.storage.repository import Repository

        repo: Repository | None = None
        try:
            with self.session(write=write) as session:
                repo = Repository(session, actor)
                repo.check_account()
                yield repo
        except BaseException:
            if repo is not None:
                repo.rolled_back()
            raise

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[so.Session]:
        """A bare session that commits on success and rolls back on any error.

        Library functions take a :meth:`unit_of_work` instead; a bare session is for the storage
        layer itself and for tests that inspect tables. ``write=True`` takes the SQLite write
        lock up front (no effect on PostgreSQL).
        """
        try:
            session = self.factory()
            if write and self.dialect == "sqlite":
                session.connection(execution_options=_WRITE_OPTIONS)
        except sa.exc.OperationalError as exc:
            raise StorageUnavailable(self._outage_message(exc)) from exc
        try:
            yield session
            session.commit()
        except sa.exc.OperationalError as exc:
            session.rollback()
            if _is_connection_error(exc):
                raise StorageUnavailable(self._outage_message(exc)) from exc
            raise
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def data_version(self) -> int:
        """The data version (see :mod:`audit.storage.dataversion`): one cheap read; it changes
        whenever a committed write changed what pages show, on any process."""
        from audit.storage.dataversion import read_version

        with self.session() as session:
            return read_version(session)

    def ping(self) -> None:
        """Raise :class:`StorageUnavailable` with a clear message if the database is unreachable."""
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except sa.exc.OperationalError as exc:
            raise StorageUnavailable(self._outage_message(exc)) from exc

    def _outage_message(self, exc: Exception) -> str:
        first = str(getattr(exc, "orig", exc)).strip().splitlines()[0:1]
        reason = first[0] if first else type(exc).__name__
        return f"database {self.url} is unavailable ({reason}); check that it is running"


def _is_connection_error(exc: sa.exc.OperationalError) -> bool:
    return bool(exc.connection_invalidated) or "connect" in str(exc.orig).lower()


def open_database(url: str | None = None, **engine_kwargs: Any) -> Database:
    """Open the database at ``url`` (default: from settings). Does not migrate."""
    if url is None:
        from audit.settings import get_settings

        url = get_settings().effective_database_url
    engine = make_engine(url, **engine_kwargs)
    factory = so.sessionmaker(bind=engine, expire_on_commit=False)
    return Database(engine=engine, factory=factory)
