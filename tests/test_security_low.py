"""Issue 16, low items: JPEG comments stripped, orphan photo gc, a late NUL byte in an ODK file,
no server path or database user/host on public pages, private file modes."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from audit.actors import ANONYMOUS, SYSTEM, Actor
from audit.errors import PermissionDenied, StorageUnavailable
from audit.io.odk_import import ImportRejected, import_odk
from audit.photos import orphan_photo_files, store_photo, store_photo_info
from audit.settings import Settings
from audit.storage import Database, open_database, upgrade_to_head
from audit.storage.backup import backup, restore
from audit.storage.orm import Audit, Facility

REPO = Path(__file__).resolve().parent.parent
CSV = REPO / "tests" / "fixtures" / "odk" / "central_submissions.csv"
ADMIN = Actor(1, "admin-wang", "admin")
INSPECTOR = Actor(2, "inspector-chen", "inspector")
SECRET = b"secret-comment: home of Zhang San, 21.8594N 111.9799E"


def _jpeg_with_comment() -> bytes:
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    Image.new("RGB", (64, 48), "red").save(out, format="JPEG", comment=SECRET, exif=exif)
    data = out.getvalue()
    assert SECRET in data
    return data


# ---------------------------------------------------------------------------- JPEG comment
def test_jpeg_comment_stripped_with_other_metadata(sqlite_db: Database, tmp_path: Path) -> None:
    cfg = Settings(data_dir=tmp_path)
    with sqlite_db.unit_of_work(ANONYMOUS, write=True) as repo:
        info = store_photo_info(repo, _jpeg_with_comment(), strip_metadata=True, settings=cfg)
    for rel in (info.path, info.thumb_path):
        data = (cfg.photo_dir / rel).read_bytes()
        assert SECRET not in data and b"PhoneMaker" not in data
        with Image.open(io.BytesIO(data)) as image:
            assert "comment" not in image.info and "exif" not in image.info


def test_thumbnail_never_carries_the_comment(sqlite_db: Database, tmp_path: Path) -> None:
    cfg = Settings(data_dir=tmp_path)
    with sqlite_db.unit_of_work(INSPECTOR, write=True) as repo:
        info = store_photo_info(repo, _jpeg_with_comment(), settings=cfg)
    assert SECRET not in (cfg.photo_dir / info.thumb_path).read_bytes()


# ---------------------------------------------------------------------------- photos gc
def _old(path: Path, age_s: float = 7200) -> None:
    past = time.time() - age_s
    os.utime(path, (past, past))


def test_photos_gc_is_role_checked_dry_run_then_removes_only_orphans(
        sqlite_db: Database, tmp_path: Path) -> None:
    cfg = Settings(data_dir=tmp_path)
    with sqlite_db.unit_of_work(INSPECTOR, write=True) as repo:
        info = store_photo_info(repo, _jpeg_with_comment(), settings=cfg)
    kept = [cfg.photo_dir / info.path, cfg.photo_dir / info.thumb_path]
    for path in kept:
        _old(path)
    orphan = cfg.photo_dir / "ab" / ("ab" + "0" * 62 + ".jpg")
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"left by a crash")
    _old(orphan)
    young = cfg.photo_dir / "cd" / ("cd" + "1" * 62 + ".jpg")
    young.parent.mkdir(parents=True, exist_ok=True)
    young.write_bytes(b"upload in progress")
    for actor in (ANONYMOUS, INSPECTOR, Actor(3, "b", "bureau")):
        with pytest.raises(PermissionDenied), sqlite_db.unit_of_work(actor) as repo:
            orphan_photo_files(repo, remove=True, settings=cfg)
    assert orphan.exists()
    with sqlite_db.unit_of_work(ADMIN) as repo:
        dry = orphan_photo_files(repo, settings=cfg)
    assert dry.files == (orphan,) and dry.size_bytes == len(b"left by a crash")
    assert not dry.removed and orphan.exists()
    with sqlite_db.unit_of_work(ADMIN) as repo:
        done = orphan_photo_files(repo, remove=True, settings=cfg)
    assert done.files == (orphan,) and done.removed
    assert not orphan.exists() and young.exists() and all(p.exists() for p in kept)


def test_photos_gc_cli_dry_run_by_default(tmp_path: Path) -> None:
    env = {"DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", "NETWORK_SOURCE": "demo",
           "A11Y_SETTINGS_FILE": "/nonexistent", "DATABASE_URL": ""}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "audit", *args], env=env, cwd=REPO,
                              capture_output=True, text=True, check=False, timeout=120)

    assert run("db", "upgrade").returncode == 0
    orphan = tmp_path / "photos" / "ef" / ("ef" + "2" * 62 + ".png")
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"x")
    _old(orphan)
    dry = run("photos", "gc")
    assert dry.returncode == 0, dry.stderr
    assert str(orphan) in dry.stdout and "dry run" in dry.stdout and orphan.exists()
    applied = run("photos", "gc", "--apply")
    assert applied.returncode == 0 and "1 orphan photo files" in applied.stdout
    assert not orphan.exists()


# ---------------------------------------------------------------------------- NUL byte
def test_late_nul_byte_in_odk_file_rejected_with_row(db: Database, tmp_path: Path) -> None:
    lines = CSV.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    notes = header.index("notes")
    row2 = lines[2].split(",")
    row2[notes] = "bad\x00note"
    pad = lines[1].split(",")
    pad[notes] = "x" * 70_000  # the NUL lies past the first 64 kB (the binary-file check)
    path = tmp_path / "late_nul.csv"
    path.write_text("\n".join([lines[0], ",".join(pad), ",".join(row2)]) + "\n",
                    encoding="utf-8")
    assert path.read_bytes().index(b"\x00") > 65536
    with pytest.raises(ImportRejected) as exc, db.unit_of_work(SYSTEM, write=True) as repo:
        import_odk(repo, path, settings=Settings(data_dir=tmp_path))
    rows = [(r.row, r.field) for r in exc.value.rows]
    assert rows == [(2, "notes")]
    assert "NUL" in exc.value.rows[0].reason
    with db.session() as s:
        assert s.query(Facility).count() == 0 and s.query(Audit).count() == 0


# ---------------------------------------------------------------------------- public pages
def test_rankings_name_the_inventory_file_not_its_server_path(sqlite_db: Database) -> None:
    from audit.rankings import compute_rankings

    with sqlite_db.unit_of_work(ANONYMOUS) as repo:
        result = compute_rankings(repo)
    assert result.expected_source == "inventory_targets.csv"


def test_public_errors_hide_paths_and_database_user_host() -> None:
    from ui.plaintext import public_error

    text = public_error(ValueError("cannot read /srv/a11y/var/cache/streets.graphml: see "
                                   "postgresql+psycopg://a11y_app:pw@db.internal:5432/a11y"))
    assert "/srv" not in text and "a11y_app" not in text and "db.internal" not in text
    assert "streets" in text
    outage = public_error(StorageUnavailable(
        "database postgresql+psycopg://a11y_app@db.internal:5432/a11y is unavailable"))
    assert "a11y_app" not in outage and "db.internal" not in outage


def test_app_with_unreachable_database_shows_no_user_or_host(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from browser_support import app_test

    from audit.settings import get_settings

    url = "postgresql+psycopg://secret_db_user:pw@127.0.0.1:1/a11y_nowhere"
    with app_test(tmp_path, monkeypatch, 120) as at:
        monkeypatch.setenv("DATABASE_URL", url)
        get_settings.cache_clear()
        at.run()
    assert not at.exception
    shown = " ".join(e.value for e in at.error) + " ".join(m.value for m in at.markdown)
    assert at.error, "the outage is reported"
    assert "secret_db_user" not in shown and "127.0.0.1" not in shown and "a11y_nowhere" \
        not in shown


# ---------------------------------------------------------------------------- file modes
def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_database_backups_and_photos_are_private(tmp_path: Path) -> None:
    data = tmp_path / "new-data"
    db = open_database(f"sqlite:///{data / 'audit.sqlite3'}")
    upgrade_to_head(db)
    cfg = Settings(data_dir=data)
    with db.unit_of_work(ANONYMOUS, write=True) as repo:
        store_photo(repo, _jpeg_with_comment(), strip_metadata=True, settings=cfg)
    assert _mode(data) == 0o700
    assert _mode(data / "audit.sqlite3") == 0o600
    wal = data / "audit.sqlite3-wal"
    assert not wal.exists() or _mode(wal) == 0o600
    files = [p for p in cfg.photo_dir.rglob("*") if p.is_file()]
    folders = [p for p in cfg.photo_dir.rglob("*") if p.is_dir()] + [cfg.photo_dir]
    assert files and all(_mode(p) == 0o600 for p in files)
    assert all(_mode(p) == 0o700 for p in folders)
    archive = tmp_path / "b.tar.gz"
    backup(db, cfg.photo_dir, archive)
    assert _mode(archive) == 0o600
    restored_photos = tmp_path / "restored" / "photos"
    restore(db, restored_photos, archive, force=True)
    assert _mode(data / "audit.sqlite3") == 0o600
    assert all(_mode(p) == 0o600 for p in restored_photos.rglob("*") if p.is_file())
    assert all(_mode(p) == 0o700 for p in restored_photos.rglob("*") if p.is_dir())
    db.engine.dispose()
