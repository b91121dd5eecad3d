"""Fault: the disk fills up while a photo is saved.

Where the test runs as root and may mount, the photo directory is a tiny tmpfs filled to the
brim (a real ENOSPC from the kernel); elsewhere the file write is replaced by one raising
``OSError(ENOSPC)`` after the first file (so the clean-up of a half-written pair is exercised).
Either way: a clear :class:`PhotoStorageError`, no audit/report/photo row, no file left behind,
and the same action succeeds once space is free again.
"""

from __future__ import annotations

import errno
import io
import os
import subprocess
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from conftest import one_unit_of_work
from PIL import Image

import audit.photos as photos
from audit.actors import ANONYMOUS, SYSTEM
from audit.io import odk_import
from audit.photos import PhotoStorageError
from audit.reports import file_report as _file_report
from audit.settings import Settings
from audit.storage import Database
from audit.storage.orm import Audit, AuditPhoto, Facility, Photo, Report

# one unit of work per call, as one page action or CLI command
import_odk = one_unit_of_work(odk_import.import_odk)
store_photo = one_unit_of_work(photos.store_photo)
file_report = one_unit_of_work(_file_report)


ODK = Path(__file__).resolve().parent / "fixtures" / "odk"
FILLER = ".filler"


def _jpeg(seed: int = 1) -> bytes:
    """A ~24 kB JPEG of noise (noise does not compress)."""
    pixels = (np.random.default_rng(seed).random((160, 160, 3)) * 255).astype("uint8")
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="JPEG", quality=90)
    return out.getvalue()


def _fill(directory: Path) -> None:
    fd = os.open(directory / FILLER, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)


def _try_mount(target: Path) -> bool:
    if os.geteuid() != 0:
        return False
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(target)],
                            capture_output=True, check=False)
    return result.returncode == 0


class FullDisk:
    """The settings of a data directory whose photo store is full, and a way to free it."""

    def __init__(self, cfg: Settings, free: Callable[[], None], real: bool) -> None:
        self.cfg = cfg
        self.free = free
        self.real = real

    def files(self) -> list[Path]:
        return sorted(p for p in self.cfg.photo_dir.rglob("*")
                      if p.is_file() and p.name != FILLER)


@pytest.fixture
def full_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FullDisk]:
    cfg = Settings(data_dir=tmp_path / "data")
    cfg.photo_dir.mkdir(parents=True)
    if _try_mount(cfg.photo_dir):
        try:
            _fill(cfg.photo_dir)
            yield FullDisk(cfg, lambda: (cfg.photo_dir / FILLER).unlink(), real=True)
        finally:
            subprocess.run(["umount", "-l", str(cfg.photo_dir)], check=False)
        return
    real_write = photos._atomic_write
    calls = {"n": 0}

    def failing_write(path: Path, content: bytes) -> bool:
        calls["n"] += 1
        if calls["n"] % 2 == 0:  # the first file of each photo lands, the second does not
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real_write(path, content)

    monkeypatch.setattr(photos, "_atomic_write", failing_write)
    yield FullDisk(cfg, lambda: monkeypatch.setattr(photos, "_atomic_write", real_write),
                   real=False)


def _rows(db: Database) -> dict[str, int]:
    with db.session() as s:
        return {t.__tablename__: int(s.scalar(sa.select(sa.func.count()).select_from(t)) or 0)
                for t in (Audit, Facility, Photo, AuditPhoto, Report)}


def _assert_clear(exc: PhotoStorageError, full: FullDisk) -> None:
    message = str(exc)
    assert "No space left on device" in message and "nothing was saved" in message
    assert str(full.cfg.photo_dir) in message
    assert full.files() == [], "a half-saved photo file was left behind"


def test_store_photo_disk_full(sqlite_db: Database, full_disk: FullDisk) -> None:
    with pytest.raises(PhotoStorageError) as info:
        store_photo(sqlite_db, SYSTEM, _jpeg(), settings=full_disk.cfg)
    _assert_clear(info.value, full_disk)
    assert _rows(sqlite_db)["photos"] == 0
    full_disk.free()
    assert store_photo(sqlite_db, SYSTEM, _jpeg(), settings=full_disk.cfg) > 0
    assert len(full_disk.files()) == 2  # photo + thumbnail


def test_odk_import_with_photo_disk_full(sqlite_db: Database, full_disk: FullDisk,
                                         tmp_path: Path) -> None:
    zipped = tmp_path / "attachments.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("media/ramp_a.jpg", _jpeg())
    with pytest.raises(PhotoStorageError) as info:
        import_odk(sqlite_db, SYSTEM, ODK / "central_submissions.csv", attachments=zipped,
                   settings=full_disk.cfg)
    _assert_clear(info.value, full_disk)
    assert set(_rows(sqlite_db).values()) == {0}, "the audit was half-saved"
    full_disk.free()
    report = import_odk(sqlite_db, SYSTEM, ODK / "central_submissions.csv", attachments=zipped,
                        settings=full_disk.cfg)
    assert (report.imported, report.photos) == (3, 1)
    assert _rows(sqlite_db)["audit_photos"] == 1


def test_resident_report_with_photo_disk_full(sqlite_db: Database, full_disk: FullDisk) -> None:
    fields = {"category": "tactile_blocked", "location_text": "东风路 公交站 北侧",
              "description": "盲道被电动车占用", "contact": "138 0000 0000"}
    with pytest.raises(PhotoStorageError) as info:
        file_report(sqlite_db, ANONYMOUS, photo=_jpeg(), client_key="k1",
                    settings=full_disk.cfg, **fields)
    _assert_clear(info.value, full_disk)
    assert _rows(sqlite_db)["reports"] == 0 and _rows(sqlite_db)["photos"] == 0
    full_disk.free()
    receipt = file_report(sqlite_db, ANONYMOUS, photo=_jpeg(), client_key="k1",
                          settings=full_disk.cfg, **fields)
    assert receipt.code and _rows(sqlite_db)["reports"] == 1
