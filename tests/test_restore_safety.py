"""Restore must not harm (issue 16 item 2): tampered or damaged backups are refused before
anything live changes; a good one is swapped in whole. On SQLite and PostGIS; on PostGIS also as a
role that is not a superuser."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from audit.actors import Actor
from audit.errors import InputError
from audit.scoring import evaluate
from audit.storage import Database, open_database
from audit.storage.backup import BackupError, backup, restore, table_fingerprints
from audit.storage.repository import Repository

INSPECTOR = Actor(None, "inspector-chen", "inspector")
PHOTO = b"photo bytes of the backup"
PHOTO_SHA = hashlib.sha256(PHOTO).hexdigest()
PHOTO_REL = f"{PHOTO_SHA[:2]}/{PHOTO_SHA}.jpg"


def _add(db: Database, n: int, name: str) -> None:
    with db.session(write=True) as s:
        repo = Repository(s, INSPECTOR)
        for i in range(n):
            fac = repo.create_facility("ramp", 111.98 + i * 0.001, 21.86, name=f"{name}{i}")
            repo.submit_audit(fac.id, evaluate(
                "ramp", {"running_slope_pct": 6.0 + i, "rise_mm": 200 + 100 * i}))


@pytest.fixture
def made(db: Database, tmp_path: Path) -> Iterator[tuple[Database, Path, Path, dict]]:
    """A backup of 3 facilities; then the live database moves on (5 more) — the 'live' state."""
    photos = tmp_path / "photos"
    (photos / PHOTO_SHA[:2]).mkdir(parents=True)
    (photos / PHOTO_REL).write_bytes(PHOTO)
    _add(db, 3, "backed-up")
    archive = tmp_path / "good.tar.gz"
    backup(db, photos, archive)
    _add(db, 5, "live")
    yield db, photos, archive, table_fingerprints(db)


def _rewrite(src: Path, dst: Path, *, replace: dict[str, bytes] | None = None,
             manifest: dict | None = None, extra: dict[str, bytes] | None = None) -> Path:
    """A copy of a backup with members replaced/added (and optionally a new manifest)."""
    replace = dict(replace or {})
    if manifest is not None:
        replace["manifest.json"] = json.dumps(manifest).encode()
    with tarfile.open(src, "r:gz") as tin, tarfile.open(dst, "w:gz") as tout:
        for member in tin.getmembers():
            data = replace.pop(member.name, None)
            if data is None:
                f = tin.extractfile(member)
                data = f.read() if f else b""
            info = tarfile.TarInfo(member.name)
            info.size = len(data)
            tout.addfile(info, io.BytesIO(data))
        for name, data in {**replace, **(extra or {})}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tout.addfile(info, io.BytesIO(data))
    return dst


def _manifest(archive: Path) -> dict:
    with tarfile.open(archive, "r:gz") as tar:
        f = tar.extractfile("manifest.json")
        assert f is not None
        return dict(json.loads(f.read()))


def _db_member(archive: Path) -> str:
    return str(_manifest(archive)["database_file"])


def _photo_files(photos: Path) -> dict[str, bytes]:
    return {p.relative_to(photos).as_posix(): p.read_bytes()
            for p in photos.rglob("*") if p.is_file()}


def test_manifest_with_paths_outside_the_photo_store_is_refused(made, tmp_path: Path) -> None:
    db, photos, archive, live = made
    before_files = _photo_files(photos)
    manifest = _manifest(archive)
    evil = {"../evil.txt": b"owned", "/tmp/abs-evil.txt": b"owned",
            "ab/../../x.txt": b"owned"}
    for rel, data in evil.items():
        manifest["photos"][rel] = hashlib.sha256(data).hexdigest()
    bad = _rewrite(archive, tmp_path / "evil.tar.gz", manifest=manifest,
                   extra={f"photos/{rel}": data for rel, data in evil.items()})
    with pytest.raises(InputError) as exc:
        restore(db, photos, bad, force=True)
    refused = {p.value for p in exc.value.problems if p.field == "manifest.photos"}
    assert refused == set(evil)
    assert "a path inside the photo store" in str(exc.value)
    assert table_fingerprints(db) == live
    assert _photo_files(photos) == before_files
    assert not (tmp_path / "evil.txt").exists() and not Path("/tmp/abs-evil.txt").exists()


def test_corrupt_database_is_refused_live_unchanged(made, tmp_path: Path) -> None:
    db, photos, archive, live = made
    name = _db_member(archive)
    garbage = b"SQLite format 3\x00" + os.urandom(8192) if db.dialect == "sqlite" \
        else b"PGDMP" + os.urandom(8192)
    manifest = _manifest(archive)
    manifest["database_sha256"] = hashlib.sha256(garbage).hexdigest()  # hash fits, data doesn't
    bad = _rewrite(archive, tmp_path / "corrupt.tar.gz", replace={name: garbage},
                   manifest=manifest)
    with pytest.raises(BackupError, match="nothing was changed"):
        restore(db, photos, bad, force=True)
    assert table_fingerprints(db) == live
    if db.dialect == "sqlite":
        live_file = Path(db.engine.url.database or "")
        assert not list(live_file.parent.glob(".a11y-restore-*"))
        assert not live_file.with_name(live_file.name + ".rollback").exists()


def test_hash_mismatches_are_refused_live_unchanged(made, tmp_path: Path) -> None:
    db, photos, archive, live = made
    before_files = _photo_files(photos)
    swapped_photo = _rewrite(archive, tmp_path / "p.tar.gz",
                             replace={f"photos/{PHOTO_REL}": b"other bytes"})
    with pytest.raises(BackupError, match="sha256"):
        restore(db, photos, swapped_photo, force=True)
    manifest = _manifest(archive)
    manifest["database_sha256"] = "0" * 64
    wrong_db_hash = _rewrite(archive, tmp_path / "d.tar.gz", manifest=manifest)
    with pytest.raises(BackupError, match="sha256"):
        restore(db, photos, wrong_db_hash, force=True)
    manifest = _manifest(archive)
    manifest["tables"]["facilities"]["sha256"] = "1" * 64
    wrong_rows = _rewrite(archive, tmp_path / "t.tar.gz", manifest=manifest)
    with pytest.raises(BackupError, match="facilities"):
        restore(db, photos, wrong_rows, force=True)
    assert table_fingerprints(db) == live
    assert _photo_files(photos) == before_files


def test_good_backup_replaces_the_live_data(made, tmp_path: Path) -> None:
    db, _photos, archive, live = made
    want = _manifest(archive)["tables"]
    restored_photos = tmp_path / "restored-photos"
    result = restore(db, restored_photos, archive, force=True)
    got = table_fingerprints(db)
    assert got != live
    assert {k: (v["rows"], v["sha256"]) for k, v in want.items()} == got
    assert result.tables["facilities"] == 3
    assert _photo_files(restored_photos) == {PHOTO_REL: PHOTO}
    _add(db, 1, "after-restore")  # the restored tables take new rows (sequences, constraints)
    assert table_fingerprints(db)["facilities"][0] == 4
    if db.dialect == "postgresql":
        with db.engine.connect() as conn:
            schemas = conn.execute(sa.text(
                "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'a11y_r%'")).scalars().all()
            indexes = set(conn.exec_driver_sql(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'facilities' "
                "AND schemaname = 'public'").scalars())
            fks = conn.exec_driver_sql(
                "SELECT count(*) FROM pg_constraint WHERE contype = 'f' "
                "AND conrelid = 'public.audits'::regclass").scalar()
        assert schemas == []
        assert {"ix_facilities_geom", "ix_facilities_lon_lat"} <= indexes
        assert fks and fks >= 1
    else:
        live_file = Path(db.engine.url.database or "")
        assert not live_file.with_name(live_file.name + ".rollback").exists()


def test_postgres_restore_as_a_role_that_is_not_superuser(postgis_db: Database,
                                                         tmp_path: Path) -> None:
    """The app's role owns its tables and may create schemas, nothing more: restore still works
    (before: pg_restore exited 1 on the PostGIS extension although the rows had been loaded)."""
    db = postgis_db
    with db.engine.connect() as conn:
        is_super = conn.exec_driver_sql(
            "SELECT rolsuper FROM pg_roles WHERE rolname = current_user").scalar()
        me = conn.exec_driver_sql("SELECT current_user").scalar()
        dbname = conn.exec_driver_sql("SELECT current_database()").scalar()
    if not is_super:
        pytest.skip("the test role is already not a superuser: every other restore test shows it")
    photos = tmp_path / "photos"
    photos.mkdir()
    _add(db, 3, "backed-up")
    archive = tmp_path / "b.tar.gz"
    backup(db, photos, archive)
    _add(db, 2, "live")
    role = f"a11y_restore_probe_{os.getpid()}"
    tables = sa.inspect(db.engine).get_table_names()
    with db.engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE ROLE "{role}" NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE')
        conn.exec_driver_sql(f'GRANT CREATE, CONNECT ON DATABASE "{dbname}" TO "{role}"')
        conn.exec_driver_sql(f'GRANT USAGE, CREATE ON SCHEMA public TO "{role}"')
        for t in tables:
            if t != "spatial_ref_sys":
                conn.exec_driver_sql(f'ALTER TABLE public."{t}" OWNER TO "{role}"')
    app = open_database(db.engine.url.render_as_string(hide_password=False))

    @sa.event.listens_for(app.engine, "connect")
    def _as_app_role(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        with dbapi_conn.cursor() as cur:
            cur.execute(f'SET ROLE "{role}"')
        dbapi_conn.commit()

    try:
        with app.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT rolsuper FROM pg_roles "
                                        "WHERE rolname = current_user").scalar() is False
        restore(app, tmp_path / "restored", archive, force=True)
        assert table_fingerprints(app)["facilities"][0] == 3
    finally:
        app.engine.dispose()
        with db.engine.begin() as conn:
            conn.exec_driver_sql(f'REASSIGN OWNED BY "{role}" TO "{me}"')
            conn.exec_driver_sql(f'DROP OWNED BY "{role}"')
            conn.exec_driver_sql(f'DROP ROLE "{role}"')
