"""Photos: real-type check, size and pixel limits, EXIF orientation and stripping, storage."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import one_unit_of_work
from PIL import Image

from audit import photos
from audit.actors import SYSTEM
from audit.errors import InputError
from audit.photos import PhotoStorageError, photo_file
from audit.settings import Settings
from audit.storage import Database
from audit.storage.orm import Photo

# one unit of work per stored photo, as one upload does
store_photo = one_unit_of_work(photos.store_photo)
store_photo_info = one_unit_of_work(photos.store_photo_info)


GPS_IFD = 0x8825
MAKE_TAG = 0x010F
ORIENTATION = 0x0112


def _jpeg(size: tuple[int, int] = (40, 20), *, orientation: int | None = None,
          gps: bool = False) -> bytes:
    image = Image.new("RGB", size, "red")
    image.paste((0, 0, 255), (0, 0, size[0] // 2, size[1]))  # left half blue
    exif = Image.Exif()
    exif[MAKE_TAG] = "SyntheticPhone"
    if orientation is not None:
        exif[ORIENTATION] = orientation
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (21.0, 51.0, 30.0), 3: "E", 4: (111.0, 58.0, 0.0)}
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def _png(size: tuple[int, int] = (30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (0, 128, 0, 128)).save(out, format="PNG")
    return out.getvalue()


def _rows(db: Database) -> int:
    with db.session() as s:
        return int(s.scalar(sa.select(sa.func.count()).select_from(Photo)) or 0)


@pytest.fixture
def cfg(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, photo_max_bytes=1024 * 1024, photo_max_pixels=1_000_000)


def test_jpeg_stored_content_addressed_with_thumbnail(sqlite_db: Database, cfg: Settings) -> None:
    data = _jpeg()
    info = store_photo_info(sqlite_db, SYSTEM, data, settings=cfg)
    assert info.mime == "image/jpeg" and (info.width, info.height) == (40, 20)
    stored = photo_file(info.path, cfg)
    assert stored.parent.parent == cfg.photo_dir and stored.stem == info.sha256
    assert stored.read_bytes() == data  # no rotation, no stripping: the original bytes
    with Image.open(photo_file(info.thumb_path, cfg)) as thumb:
        assert thumb.format == "JPEG"
    # same content again: same row, no new file
    assert store_photo(sqlite_db, SYSTEM, io.BytesIO(data), settings=cfg) == info.photo_id
    assert _rows(sqlite_db) == 1
    assert not list(cfg.photo_dir.rglob(".tmp-*"))


def test_png_and_heic_accepted(sqlite_db: Database, cfg: Settings) -> None:
    png = store_photo_info(sqlite_db, SYSTEM, _png(), settings=cfg)
    assert png.mime == "image/png"
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "yellow").save(out, format="HEIF")
    heic = store_photo_info(sqlite_db, SYSTEM, out.getvalue(), settings=cfg)
    assert heic.mime == "image/jpeg" and (heic.width, heic.height) == (64, 48)
    with Image.open(photo_file(heic.path, cfg)) as img:
        assert img.format == "JPEG"


def test_exif_orientation_applied(sqlite_db: Database, cfg: Settings) -> None:
    info = store_photo_info(sqlite_db, SYSTEM, _jpeg((40, 20), orientation=6), settings=cfg)
    assert (info.width, info.height) == (20, 40)  # rotated 90°
    with Image.open(photo_file(info.path, cfg)) as img:
        assert img.size == (20, 40)
        assert img.getexif().get(ORIENTATION, 1) == 1
        assert img.getexif().get(MAKE_TAG) == "SyntheticPhone"  # kept unless stripping


def test_strip_metadata_removes_gps_and_device(sqlite_db: Database, cfg: Settings) -> None:
    data = _jpeg(gps=True)
    with Image.open(io.BytesIO(data)) as original:
        assert original.getexif().get(GPS_IFD) is not None
    info = store_photo_info(sqlite_db, SYSTEM, data, strip_metadata=True, settings=cfg)
    with Image.open(photo_file(info.path, cfg)) as img:
        exif = img.getexif()
        assert GPS_IFD not in exif and MAKE_TAG not in exif
        assert not img.getexif().get_ifd(GPS_IFD)


def test_text_renamed_jpg_rejected(sqlite_db: Database, cfg: Settings, tmp_path: Path) -> None:
    fake = tmp_path / "photo.jpg"
    fake.write_text("this is not a photo\n" * 10)
    with fake.open("rb") as handle, pytest.raises(InputError) as info:
        store_photo(sqlite_db, SYSTEM, handle, settings=cfg)
    assert "JPEG, PNG or HEIC" in str(info.value)
    assert _rows(sqlite_db) == 0 and not cfg.photo_dir.exists()


def test_other_image_type_rejected(sqlite_db: Database, cfg: Settings) -> None:
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="GIF")
    with pytest.raises(InputError, match="GIF"):
        store_photo(sqlite_db, SYSTEM, out.getvalue(), settings=cfg)
    assert _rows(sqlite_db) == 0


def test_200_mb_upload_rejected_before_reading(sqlite_db: Database, cfg: Settings,
                                               tmp_path: Path) -> None:
    big = tmp_path / "huge.jpg"
    with big.open("wb") as handle:  # sparse: no 200 MB really written
        handle.truncate(200 * 1024 * 1024)

    class NoRead(io.FileIO):
        def read(self, size: int = -1) -> bytes:  # pragma: no cover - must not be called
            raise AssertionError("read before the size check")

    with NoRead(big, "rb") as handle, pytest.raises(InputError) as info:
        store_photo(sqlite_db, SYSTEM, handle, settings=cfg)
    assert "200.0 MB" in str(info.value) and "at most 1.0 MB" in str(info.value)
    assert _rows(sqlite_db) == 0


def test_decompression_bomb_rejected_from_header(sqlite_db: Database, tmp_path: Path) -> None:
    cfg = Settings(data_dir=tmp_path, photo_max_pixels=10_000)
    out = io.BytesIO()
    Image.new("1", (2000, 2000)).save(out, format="PNG")  # tiny file, 4 million pixels
    assert len(out.getvalue()) < 10_000
    with pytest.raises(InputError, match="decompression-bomb"):
        store_photo(sqlite_db, SYSTEM, out.getvalue(), settings=cfg)
    assert _rows(sqlite_db) == 0


def test_image_past_pillows_own_guard_is_named_a_pixel_problem(sqlite_db: Database,
                                                               tmp_path: Path) -> None:
    """A real PNG with more pixels than Pillow's guard (which trips before the app's own limit
    is checked) is refused as too many pixels, not as "not an image" (security walk, issue 16)."""
    side = int((Image.MAX_IMAGE_PIXELS or 89_478_485) ** 0.5) + 100
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, format="PNG")  # ~12 kB on disk
    with pytest.raises(InputError) as info:
        store_photo(sqlite_db, SYSTEM, out.getvalue(), settings=Settings(data_dir=tmp_path))
    problem = info.value.problems[0]
    assert problem.code == "photo_pixels", problem
    assert "pixels" in str(problem.value) and problem.params == {"max": "60"}
    assert _rows(sqlite_db) == 0


def test_disk_failure_leaves_no_row(sqlite_db: Database, tmp_path: Path) -> None:
    blocker = tmp_path / "data" / "photos"
    blocker.parent.mkdir()
    blocker.write_text("a file where the photo directory should be")
    cfg = Settings(data_dir=tmp_path / "data")
    with pytest.raises(PhotoStorageError, match="nothing was saved"):
        store_photo(sqlite_db, SYSTEM, _jpeg(), settings=cfg)
    assert _rows(sqlite_db) == 0


def test_database_failure_removes_new_files(sqlite_db: Database, cfg: Settings) -> None:
    with sqlite_db.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE audit_photos"))
        conn.execute(sa.text("DROP TABLE photos"))
    with pytest.raises(sa.exc.OperationalError):
        store_photo(sqlite_db, SYSTEM, _jpeg(), settings=cfg)
    leftovers = [p for p in cfg.photo_dir.rglob("*") if p.is_file()] if os.path.isdir(
        cfg.photo_dir) else []
    assert leftovers == []
