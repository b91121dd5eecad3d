"""Behaviour kept by the plain-mypy fixes: the code was reshaped for the type checker only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from audit.errors import InputError
from audit.io.odk_import import read_records
from audit.storage import Database, open_database


@pytest.fixture
def sqlite_statements(tmp_path: Path) -> tuple[Database, list[str]]:
    db = open_database(f"sqlite:///{tmp_path / 'begin.sqlite3'}")
    seen: list[str] = []

    @sa.event.listens_for(db.engine, "before_cursor_execute")
    def _record(_conn: Any, _cur: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    return db, seen


def test_write_session_takes_the_sqlite_write_lock_up_front(
    sqlite_statements: tuple[Database, list[str]],
) -> None:
    db, seen = sqlite_statements
    with db.session(write=True) as s:
        s.execute(sa.text("SELECT 1"))
    assert "BEGIN IMMEDIATE" in seen
    seen.clear()
    with db.session() as s:
        s.execute(sa.text("SELECT 1"))
    assert "BEGIN" in seen and "BEGIN IMMEDIATE" not in seen
    db.engine.dispose()


def test_csv_row_longer_than_its_header_names_the_header_width(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("a,b,c\n1,2,3\n1,2,3,4\n", encoding="utf-8")
    with pytest.raises(InputError, match="at most 3 cells"):
        read_records(path)


def test_csv_without_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="header row"):
        read_records(path)
