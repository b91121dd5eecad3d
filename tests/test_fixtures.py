"""The shared fixtures give what they promise (tests/conftest.py)."""

from __future__ import annotations

import stat
from pathlib import Path

from audit.fileperm import FILE_MODE
from audit.storage import Database, open_database, upgrade_to_head


def _dump(db: Database) -> list[list[str]]:
    """Every statement that rebuilds the database, schema and rows (sqlite3's iterdump), each as
    its sorted lines, in sorted order: a batch migration rebuilds a table with its constraints
    and indexes in set order, which varies between processes, and that order means nothing."""
    raw = db.engine.raw_connection()
    try:
        dump = raw.driver_connection.iterdump()  # type: ignore[union-attr]
        return sorted(sorted(line.rstrip(", ") for line in stmt.split("\n")) for stmt in dump)
    finally:
        raw.close()


def test_sqlite_db_is_the_same_as_migrating_a_new_file(sqlite_db: Database, tmp_path: Path) -> None:
    fresh = open_database(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    upgrade_to_head(fresh)
    try:
        assert _dump(sqlite_db) == _dump(fresh)
    finally:
        fresh.engine.dispose()
    copied = Path(str(sqlite_db.engine.url.database))
    assert stat.S_IMODE(copied.stat().st_mode) == FILE_MODE
