"""Backup → restore round trip on SQLite and PostGIS: identical rows, hashes and photos."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from audit.actors import Actor
from audit.errors import InputError
from audit.scoring import evaluate
from audit.storage import Database, open_database, upgrade_to_head
from audit.storage.backup import BackupError, backup, restore, table_fingerprints
from audit.storage.orm import Base
from audit.storage.repository import Repository

INSPECTOR = Actor(None, "inspector-chen", "inspector")


def _fill(db: Database, photo_dir: Path) -> None:
    with db.session(write=True) as s:
        repo = Repository(s, INSPECTOR)
        for i in range(5):
            fac = repo.create_facility("ramp", 111.98 + i * 0.001, 21.86, name=f"坡道{i}")
            m = {"running_slope_pct": 6.0 + i, "rise_mm": 200 + 100 * i}
            repo.submit_audit(fac.id, evaluate("ramp", m))
    data = b"not really a jpeg, but bytes with a hash"
    sha = hashlib.sha256(data).hexdigest()
    (photo_dir / sha[:2]).mkdir(parents=True)
    (photo_dir / sha[:2] / f"{sha}.jpg").write_bytes(data)


def _empty_twin(db: Database, tmp_path: Path) -> Database:
    if db.dialect == "sqlite":
        twin = open_database(f"sqlite:///{tmp_path / 'restored.sqlite3'}")
        upgrade_to_head(twin)
        return twin
    with db.engine.begin() as conn:  # same PostGIS database, emptied
        names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    return db


def test_round_trip_gives_identical_tables_and_photos(db: Database, tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    _fill(db, photos)
    before = table_fingerprints(db)
    archive = tmp_path / "backup.tar.gz"
    result = backup(db, photos, archive)
    assert result.tables["audits"] == 5 and result.photos == 1
    target = _empty_twin(db, tmp_path)
    assert table_fingerprints(target)["audits"][0] == 0
    restored_photos = tmp_path / "restored-photos"
    restore(target, restored_photos, archive)
    assert table_fingerprints(target) == before
    files = [p for p in restored_photos.rglob("*") if p.is_file()]
    assert len(files) == 1
    assert hashlib.sha256(files[0].read_bytes()).hexdigest() == files[0].stem


def test_restore_refuses_a_database_with_data(db: Database, tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    _fill(db, photos)
    archive = tmp_path / "b.tar.gz"
    backup(db, photos, archive)
    with pytest.raises(BackupError, match="not empty"):
        restore(db, photos, archive)


def test_bad_archive_names_are_rejected(sqlite_db: Database, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"\.tar\.gz"):
        backup(sqlite_db, tmp_path, tmp_path / "backup.zip")
    bogus = tmp_path / "bogus.tar.gz"
    bogus.write_bytes(b"garbage")
    with pytest.raises(InputError, match="backup made by"):
        restore(sqlite_db, tmp_path, bogus)
    assert not list(tmp_path.glob("*.partial"))
