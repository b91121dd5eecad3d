"""Storage: SQLAlchemy engine factory, ORM, repository and Alembic migrations.

``upgrade_to_head`` loads lazily: Alembic is needed to migrate, not to read or write, so a
process that only queries (the bureau pages, a cold ``compute_rankings``) never imports it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from audit.storage.db import Database, make_engine, open_database

if TYPE_CHECKING:
    from audit.storage.migrate import upgrade_to_head

__all__ = ["Database", "make_engine", "open_database", "upgrade_to_head"]


def __getattr__(name: str) -> Any:
    if name == "upgrade_to_head":
        from audit.storage.migrate import upgrade_to_head

        return upgrade_to_head
    raise AttributeError(f"module 'audit.storage' has no attribute {name!r}")
