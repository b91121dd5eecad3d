"""Storage: SQLAlchemy engine factory, ORM, repository and Alembic migrations."""

from __future__ import annotations

from audit.storage.db import Database, make_engine, open_database
from audit.storage.migrate import upgrade_to_head

__all__ = ["Database", "make_engine", "open_database", "upgrade_to_head"]
