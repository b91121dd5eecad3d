"""The data version: one counter in the database, raised by every write that changes what pages
show, in that write's own transaction.

Several app processes (or machines) on one database each cache query results; they key those
caches on this counter (``ui/cache.py``), so a write committed by one process is seen by every
other as soon as it reads the counter again. The counter is a row, not a sequence: it becomes
visible exactly when the write it counts does (a sequence would move before the commit, and a
reader could cache the old rows under the new number).

No write can forget it: :func:`track_writes` hooks the session factory of every
:class:`~audit.storage.Database`. A flush that inserts, updates or deletes ORM rows, or a
bulk ``INSERT``/``UPDATE``/``DELETE`` run through the session, marks the transaction; just
before it commits, the counter is raised once in the same transaction. Writes no page shows
(:data:`UNSHOWN_TABLES`, sign-in sessions and drafts among them, and the sign-in failure
count and lock of an account) do not raise it, so failed sign-ins cannot flush every
process's caches.
"""

from __future__ import annotations

from typing import Any, Final

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy import event

from audit.storage.orm import AuditDraft, DataVersion, SignInFailure, SignInSession, User

#: The one row of ``data_version``.
ROW_ID: Final = 1
#: Tables whose writes change nothing a page shows.
UNSHOWN_TABLES: Final = frozenset({
    DataVersion.__tablename__, SignInFailure.__tablename__,
    # sessions and drafts are read uncached, by their owner only
    SignInSession.__tablename__, AuditDraft.__tablename__,
})
#: Per mapped class: attributes whose change alone does not change what pages show.
UNSHOWN_ATTRIBUTES: Final[dict[type, frozenset[str]]] = {
    User: frozenset({"failed_logins", "locked_until", "password_hash"}),
}
_CHANGED: Final = "audit_data_changed"


def read_version(session: so.Session) -> int:
    """The current data version (0 when the row does not exist yet)."""
    value = session.scalar(sa.select(DataVersion.version).where(DataVersion.id == ROW_ID))
    return int(value or 0)


def upsert(session: so.Session, model: type) -> Any:
    """``INSERT`` for ``model`` with ``ON CONFLICT`` clauses on this session's backend."""
    # the dialect's module, imported when first used: importing SQLAlchemy's PostgreSQL
    # package costs every SQLite process about 40 ms of a cold start
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(model)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(model)


def bump(session: so.Session) -> None:
    """Raise the data version by one in the session's transaction (creating the row if needed)."""
    stmt = upsert(session, DataVersion).values(id=ROW_ID, version=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[DataVersion.id], set_={"version": DataVersion.version + 1}
    )
    session.execute(stmt)


def set_version(session: so.Session, value: int) -> None:
    """Set the data version (a restore moves it past every value a process may have cached)."""
    stmt = upsert(session, DataVersion).values(id=ROW_ID, version=value)
    session.execute(stmt.on_conflict_do_update(index_elements=[DataVersion.id],
                                               set_={"version": value}))


def _shown_change(obj: object, deleted: bool) -> bool:
    table = getattr(obj, "__tablename__", None)
    if table in UNSHOWN_TABLES:
        return False
    unshown = UNSHOWN_ATTRIBUTES.get(type(obj))
    if unshown is None or deleted:
        return True
    state = sa.inspect(obj)
    if state.pending or state.transient:
        return True
    return any(
        attr.history.has_changes() for attr in state.attrs if attr.key not in unshown
    )


def _after_flush(session: so.Session, _context: Any) -> None:
    if session.info.get(_CHANGED):
        return
    if any(_shown_change(o, False) for o in (*session.new, *session.dirty)) or any(
        _shown_change(o, True) for o in session.deleted
    ):
        session.info[_CHANGED] = True


def _do_orm_execute(state: so.ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) not in UNSHOWN_TABLES:
        state.session.info[_CHANGED] = True


def _before_commit(session: so.Session) -> None:
    if session.in_nested_transaction():  # a savepoint: the outer transaction counts it
        return
    session.flush()  # pending rows are flushed after this hook; count them now
    if session.info.pop(_CHANGED, False):
        bump(session)


def _after_transaction_end(session: so.Session, transaction: so.SessionTransaction) -> None:
    if transaction.parent is None:  # the real transaction ended (a savepoint's end keeps it)
        session.info.pop(_CHANGED, None)


def track_writes(factory: so.sessionmaker[so.Session]) -> None:
    """Make every session of ``factory`` raise the data version when it commits a shown write."""
    if event.contains(factory, "before_commit", _before_commit):
        return
    event.listen(factory, "after_flush", _after_flush)
    event.listen(factory, "do_orm_execute", _do_orm_execute)
    event.listen(factory, "before_commit", _before_commit)
    event.listen(factory, "after_transaction_end", _after_transaction_end)
