"""Photos kept in the database (``PHOTO_STORE=database``, issue 15 section 4): the same API as the
folder, content-addressed by the same hash, bounded as before, rolled back with the unit of work,
covered by ``photos gc`` and by backup/restore (also across the two settings, and from a backup
made before the table existed)."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from PIL import Image

from audit.actors import SYSTEM, Actor
from audit.errors import InputError
from audit.photos import orphan_photo_files, photo_bytes, store_photo_info
from audit.settings import Settings
from audit.storage import Database, open_database, upgrade_to_head
from audit.storage.backup import MANIFEST, _fingerprints, backup, restore, table_fingerprints
from audit.storage.migrate import alembic_config
from audit.storage.orm import Base, PhotoContent

INSPECTOR = Actor(None, "inspector-chen", "inspector")


def _jpeg(colour: str = "blue") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, format="JPEG")
    return out.getvalue()


def _contents(db: Database) -> dict[str, bytes]:
    with db.session() as s:
        return {r.path: bytes(r.data) for r in s.scalars(sa.select(PhotoContent))}


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_database_store_keeps_photos_in_the_database_only(db: Database, tmp_path: Path) -> None:
    cfg = Settings(data_dir=tmp_path, photo_store="database", photo_max_bytes=64 * 1024)
    with db.unit_of_work(INSPECTOR, write=True) as repo:
        info = store_photo_info(repo, _jpeg(), settings=cfg)
        again = store_photo_info(repo, _jpeg(), settings=cfg)  # the same row and bytes
    assert again.photo_id == info.photo_id and not again.created
    assert _files(cfg.photo_dir) == []  # nothing on this machine's disk
    stored = _contents(db)
    assert set(stored) == {info.path, info.thumb_path}
    assert hashlib.sha256(stored[info.path]).hexdigest() == info.sha256
    with db.unit_of_work(SYSTEM) as repo:  # read back through the one API
        assert photo_bytes(repo, info.path, cfg) == stored[info.path]
        with Image.open(io.BytesIO(photo_bytes(repo, info.thumb_path, cfg) or b"")) as thumb:
            assert thumb.format == "JPEG"
        assert photo_bytes(repo, "../../etc/passwd", cfg) is None
    with pytest.raises(RuntimeError), db.unit_of_work(INSPECTOR, write=True) as repo:
        store_photo_info(repo, _jpeg("red"), settings=cfg)
        raise RuntimeError("a later step failed")  # the photo goes with the transaction
    with pytest.raises(InputError) as info_big, db.unit_of_work(INSPECTOR, write=True) as repo:
        store_photo_info(repo, b"\xff" * (64 * 1024 + 1), settings=cfg)
    assert info_big.value.problems[0].field == "photo"
    assert set(_contents(db)) == {info.path, info.thumb_path}


def test_photos_stay_readable_after_the_setting_changes(sqlite_db: Database,
                                                        tmp_path: Path) -> None:
    folder = Settings(data_dir=tmp_path)
    database = Settings(data_dir=tmp_path, photo_store="database")
    with sqlite_db.unit_of_work(INSPECTOR, write=True) as repo:
        old = store_photo_info(repo, _jpeg("green"), settings=folder)
        new = store_photo_info(repo, _jpeg("yellow"), settings=database)
    with sqlite_db.unit_of_work(SYSTEM) as repo:
        for cfg in (folder, database):
            assert photo_bytes(repo, old.path, cfg) == (folder.photo_dir / old.path).read_bytes()
            assert photo_bytes(repo, new.path, cfg) == _contents(sqlite_db)[new.path]


def test_gc_finds_unnamed_photos_in_both_stores(sqlite_db: Database, tmp_path: Path) -> None:
    cfg = Settings(data_dir=tmp_path, photo_store="database")
    with sqlite_db.unit_of_work(INSPECTOR, write=True) as repo:
        kept = store_photo_info(repo, _jpeg(), settings=cfg)
    with sqlite_db.session(write=True) as s:  # left by a crash or a restore: no row names it
        s.add(PhotoContent(path="ab/orphan.jpg", data=b"x" * 10, size_bytes=10,
                           created_at=datetime.now(UTC) - timedelta(days=1)))
        s.add(PhotoContent(path="ab/young.jpg", data=b"y", size_bytes=1))
    orphan_file = cfg.photo_dir / "cd" / "orphan.jpg"
    orphan_file.parent.mkdir(parents=True)
    orphan_file.write_bytes(b"z" * 5)
    with sqlite_db.unit_of_work(SYSTEM) as repo:
        dry = orphan_photo_files(repo, min_age_s=60, settings=cfg)
    assert dry.stored == ("ab/orphan.jpg",) and not dry.removed
    with sqlite_db.unit_of_work(SYSTEM, write=True) as repo:
        done = orphan_photo_files(repo, remove=True, min_age_s=0, settings=cfg)
    assert set(done.stored) == {"ab/orphan.jpg", "ab/young.jpg"} and done.files == (orphan_file,)
    assert done.size_bytes == 16 and not orphan_file.exists()
    assert set(_contents(sqlite_db)) == {kept.path, kept.thumb_path}


def test_backup_and_restore_across_the_two_settings(sqlite_db: Database, tmp_path: Path) -> None:
    in_db = Settings(data_dir=tmp_path / "a", photo_store="database")
    with sqlite_db.unit_of_work(INSPECTOR, write=True) as repo:
        info = store_photo_info(repo, _jpeg(), settings=in_db)
    archive = tmp_path / "db-photos.tar.gz"
    assert backup(sqlite_db, in_db.photo_dir, archive).photos == 0  # they are in the database
    twin = open_database(f"sqlite:///{tmp_path / 'twin.sqlite3'}")
    upgrade_to_head(twin)
    try:
        restore(twin, tmp_path / "b" / "photos", archive)
        assert _contents(twin) == _contents(sqlite_db)
        assert table_fingerprints(twin) == table_fingerprints(sqlite_db)
        # a backup with photo files, restored where photos live in the database
        folder = Settings(data_dir=tmp_path / "c")
        with twin.unit_of_work(INSPECTOR, write=True) as repo:
            extra = store_photo_info(repo, _jpeg("red"), settings=folder)
        archive2 = tmp_path / "file-photos.tar.gz"
        assert backup(twin, folder.photo_dir, archive2).photos == 2
        restore(sqlite_db, tmp_path / "unused", archive2, force=True, photo_store="database")
        stored = _contents(sqlite_db)
        assert {info.path, extra.path, extra.thumb_path} <= set(stored)
        assert stored[extra.path] == (folder.photo_dir / extra.path).read_bytes()
        assert not (tmp_path / "unused").exists()
    finally:
        twin.engine.dispose()


def test_a_backup_from_before_the_photo_table_restores(tmp_path: Path) -> None:
    """An archive made at schema 0003 (no data version, no photo table) restores into today's
    schema, which it is then migrated to; its photo files land in the folder."""
    old_path = tmp_path / "old.sqlite3"
    old = open_database(f"sqlite:///{old_path}")
    command.upgrade(alembic_config(old), "0003_security")
    with old.engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO facilities (facility_type, name, address, lon, lat, "
                             "created_at, version, is_demo) VALUES ('ramp', '老坡道', '', 111.98, "
                             "21.86, '2026-01-01 00:00:00', 1, 0)")
    # the tables an archive of that schema held: those the old database has (data_version, which
    # backups never fingerprint, and every table added since 0003 are missing from it)
    names = ({t.name for t in Base.metadata.sorted_tables}
             & set(sa.inspect(old.engine).get_table_names())) - {"data_version"}
    assert not names & {"photo_contents", "inventory_items"}
    with old.engine.connect() as conn:
        prints = _fingerprints(conn, names)
    old.engine.dispose()
    photo = b"an old photo file"
    sha = hashlib.sha256(photo).hexdigest()
    manifest = {"format": 2, "dialect": "sqlite", "database_file": "database.sqlite3",
                "database_sha256": hashlib.sha256(old_path.read_bytes()).hexdigest(),
                "tables": {k: {"rows": n, "sha256": h} for k, (n, h) in prints.items()},
                "photos": {f"{sha[:2]}/{sha}.jpg": sha}}
    archive = tmp_path / "old.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in ((MANIFEST, json.dumps(manifest).encode()),
                           ("database.sqlite3", old_path.read_bytes()),
                           (f"photos/{sha[:2]}/{sha}.jpg", photo)):
            member = tarfile.TarInfo(name)
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
    live = open_database(f"sqlite:///{tmp_path / 'live.sqlite3'}")
    upgrade_to_head(live)
    try:
        restore(live, tmp_path / "photos", archive)
        assert (tmp_path / "photos" / sha[:2] / f"{sha}.jpg").read_bytes() == photo
        with live.unit_of_work(SYSTEM, write=True) as repo:  # migrated: today's code works
            assert repo.facility_frame()["name"].tolist() == ["老坡道"]
            store_photo_info(repo, _jpeg(), settings=Settings(data_dir=tmp_path,
                                                              photo_store="database"))
        assert live.data_version() >= 1
    finally:
        live.engine.dispose()
