"""Behaviour kept by the plain-mypy fixes: the code was reshaped for the type checker only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from audit.errors import InputError
from audit.frames import csv_line_numbers, frame_rows
from audit.io.odk_import import read_records
from audit.priority import load_destinations
from audit.rankings import load_inventory_targets
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


# Found by strict mypy: the row number came from the frame's index label (typed Hashable), which
# counts data rows only, so a file opening with "#" comment lines (as both shipped files do) got
# its bad rows reported several lines too early.
def test_inventory_problem_names_the_file_line_below_the_comments(tmp_path: Path) -> None:
    path = tmp_path / "inventory.csv"
    path.write_text("# bureau's inventory\n# second note\ndistrict_code,facility_type,expected\n"
                    "441702,ramp,3\n\n441702,nosuchtype,-1\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_inventory_targets(path)
    assert {p.field for p in exc.value.problems} == {
        "inventory_targets_file row 6 facility_type", "inventory_targets_file row 6 expected"}


def test_destinations_problem_names_the_file_line_below_the_comments(tmp_path: Path) -> None:
    path = tmp_path / "destinations.csv"
    path.write_text("# real places\ncategory,name,lon,lat\nhospital,A,111.98,21.86\n"
                    "# a comment between rows\nnosuch,B,111.98,21.86\nhospital,C,400,21.86\n",
                    encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_destinations(path, categories={"hospital": 1.0})
    assert [p.field for p in exc.value.problems] == [
        "destinations_file row 5 category", "destinations_file row 6 lon/lat"]


def test_csv_line_numbers_fall_back_to_positions_when_pandas_reads_differently(
    tmp_path: Path,
) -> None:
    path = tmp_path / "quoted.csv"
    path.write_text('a,b\n1,"two\nlines"\n3,4\n', encoding="utf-8")  # 2 rows on 3 lines
    frame = pd.read_csv(path, comment="#")
    assert len(frame) == 2
    assert csv_line_numbers(path, len(frame)) == [2, 3]
    plain = tmp_path / "plain.csv"
    plain.write_text("# c\na,b\n1,2 # trailing comment\n3,4\n", encoding="utf-8")
    assert csv_line_numbers(plain, len(pd.read_csv(plain, comment="#"))) == [3, 4]


def test_frame_rows_are_the_named_rows_in_order() -> None:
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}, index=[10, 5])
    assert [(r.a, r.b) for r in frame_rows(frame)] == [(1, "x"), (2, "y")]
