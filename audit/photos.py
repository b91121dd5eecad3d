"""Photos of facilities and reports: checked, normalised, thumbnailed, stored content-addressed.

:func:`store_photo` is the only way in. In order, it

1. rejects a file larger than ``settings.photo_max_bytes`` **before reading or decoding it**;
2. identifies the *real* type from the content with Pillow (JPEG, PNG, HEIC/HEIF via
   ``pillow-heif``) — the file name and extension are ignored, so a text file renamed ``.jpg`` is
   refused;
3. rejects images with more than ``settings.photo_max_pixels`` pixels from the header alone
   (decompression-bomb guard), before decoding the pixels;
4. applies the EXIF orientation, and with ``strip_metadata=True`` drops all EXIF/XMP metadata
   (GPS position, camera and phone model, time) and JPEG comments — residents' photos must use
   that; thumbnails never carry metadata;
5. stores the image under ``settings.photo_dir/<sha[:2]>/<sha256>.<ext>`` and a JPEG thumbnail
   under ``thumbs/``, writing each to a temporary file and renaming it, then adds one ``photos``
   row in the caller's unit of work. With ``settings.photo_store = "database"`` the same two
   contents go into the ``photo_contents`` table instead, under the same relative paths, in the
   same transaction as the row (no files: a second app machine needs only the database).
   The same content stored twice gives the same row. If writing fails (disk full,
   permissions) a :class:`PhotoStorageError` says so and no row is left behind; if the unit of
   work rolls back, the new files are removed.

HEIC photos are stored as JPEG (browsers cannot show HEIC). Stored paths are relative to
``photo_dir``; :func:`photo_file` turns them back into absolute paths, and :func:`photo_bytes`
reads a stored photo from whichever store holds it.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, Final

from PIL import Image, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

from audit.actors import require
from audit.errors import AuditError, InputError, Problem
from audit.fileperm import private_dir
from audit.settings import Settings, get_settings
from audit.storage.orm import Photo

if TYPE_CHECKING:
    from audit.storage.repository import Repository

register_heif_opener()

#: Pillow format name → (stored MIME type, stored format, extension).
ACCEPTED_FORMATS: Final[dict[str, tuple[str, str, str]]] = {
    "JPEG": ("image/jpeg", "JPEG", "jpg"),
    "PNG": ("image/png", "PNG", "png"),
    "HEIF": ("image/jpeg", "JPEG", "jpg"),
}
ACCEPTED_TEXT: Final = "a JPEG, PNG or HEIC photo"
THUMB_MAX_PX: Final = 320
JPEG_QUALITY: Final = 90
THUMB_QUALITY: Final = 80
EXIF_ORIENTATION_TAG: Final = 0x0112
THUMB_DIR: Final = "thumbs"


class PhotoStorageError(AuditError, OSError):
    """The photo could not be written to disk (full, read-only, missing); nothing was stored."""


@dataclass(frozen=True)
class StoredPhoto:
    """What :func:`store_photo_info` returns: the row id and facts about the stored file."""

    photo_id: int
    sha256: str
    mime: str
    width: int
    height: int
    path: str
    thumb_path: str
    size_bytes: int
    created: bool


#: Image metadata that can identify a person or place and is dropped with ``strip_metadata``:
#: EXIF (GPS, camera, time), XMP, the JPEG COM comment, Photoshop/IPTC blocks.
PRIVATE_INFO_KEYS: Final = ("exif", "xmp", "XML:com.adobe.xmp", "comment", "photoshop")


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


def _size(limit: int) -> dict[str, str]:
    """The message parameters of a size problem: the limit in MB."""
    return {"max": f"{limit / (1024 * 1024):.1f}"}


def _read_limited(data: bytes | IO[bytes], limit: int, name: str) -> bytes:
    """The bytes of ``data``; raises InputError before reading when it is over ``limit``."""
    if isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
        if len(raw) > limit:
            raise InputError(Problem(name, _mb(len(raw)), f"at most {_mb(limit)}",
                                     code="photo_size", params=_size(limit)), "photo")
        return raw
    size = getattr(data, "size", None)
    if size is None:
        try:
            pos = data.tell()
            data.seek(0, os.SEEK_END)
            size = data.tell() - pos
            data.seek(pos)
        except (OSError, AttributeError, ValueError):
            size = None
    if size is not None and size > limit:
        raise InputError(Problem(name, _mb(int(size)), f"at most {_mb(limit)}",
                                 code="photo_size", params=_size(limit)), "photo")
    raw = data.read(limit + 1)
    if len(raw) > limit:
        raise InputError(Problem(name, f"more than {_mb(limit)}", f"at most {_mb(limit)}",
                                 code="photo_size", params=_size(limit)), "photo")
    return raw


def _open_checked(raw: bytes, name: str, max_pixels: int) -> Image.Image:
    """Open (header only) and check the real type and pixel count."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # a real image, only too many pixels for Pillow's own guard (which checks the header
        # before the app's limit can): say so, not "not an image"
        raise _too_many_pixels(name, f"more than {Image.MAX_IMAGE_PIXELS:,} pixels",
                               max_pixels) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise InputError(
            Problem(name, "content is not an image", ACCEPTED_TEXT + " (the real content "
                    "is checked, not the file name)", code="photo_format"), "photo"
        ) from None
    if image.format not in ACCEPTED_FORMATS:
        raise InputError(Problem(name, f"{image.format} image", ACCEPTED_TEXT, code="photo_format"),
                         "photo")
    width, height = image.size
    if width * height > max_pixels:
        raise _too_many_pixels(name, f"{width} × {height} pixels", max_pixels)
    return image


def _too_many_pixels(name: str, value: str, max_pixels: int) -> InputError:
    return InputError(
        Problem(name, value, f"at most {max_pixels:,} pixels (larger images are refused as a "
                "decompression-bomb guard)", code="photo_pixels",
                params={"max": f"{max_pixels / 1e6:g}"}), "photo",
    )


def _decode(image: Image.Image, name: str) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
            return ImageOps.exif_transpose(image) or image
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombWarning,
            Image.DecompressionBombError) as exc:
        raise InputError(Problem(name, f"damaged image ({exc})", ACCEPTED_TEXT,
                                 code="photo_format"), "photo") from None


def _encode(image: Image.Image, fmt: str, exif: bytes | None) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        kwargs: dict[str, object] = {"quality": JPEG_QUALITY}
        if exif:
            kwargs["exif"] = exif
        image.save(out, format="JPEG", **kwargs)
    else:
        kwargs = {"optimize": True}
        if exif:
            kwargs["exif"] = exif
        image.save(out, format="PNG", **kwargs)
    return out.getvalue()


def _thumbnail(image: Image.Image) -> bytes:
    thumb = image.copy()
    thumb.info = {}  # a thumbnail carries no metadata at all (EXIF, XMP, JPEG comment ...)
    thumb.thumbnail((THUMB_MAX_PX, THUMB_MAX_PX))
    if thumb.mode in ("RGBA", "LA", "P"):
        rgba = thumb.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        thumb = background
    elif thumb.mode != "RGB":
        thumb = thumb.convert("RGB")
    out = io.BytesIO()
    thumb.save(out, format="JPEG", quality=THUMB_QUALITY)
    return out.getvalue()


def normalise_photo(
    raw: bytes, *, strip_metadata: bool, settings: Settings, field: str = "photo"
) -> tuple[bytes, bytes, str, str, int, int]:
    """Check and normalise image bytes; returns (stored bytes, thumbnail, mime, ext, w, h).

    Pure (no disk, no database): every check of :func:`store_photo` except the size of a stream.
    """
    if len(raw) > settings.photo_max_bytes:
        raise InputError(
            Problem(field, _mb(len(raw)), f"at most {_mb(settings.photo_max_bytes)}",
                    code="photo_size", params=_size(settings.photo_max_bytes)), "photo"
        )
    image = _open_checked(raw, field, settings.photo_max_pixels)
    source_format = str(image.format)
    mime, fmt, ext = ACCEPTED_FORMATS[source_format]
    exif = image.getexif()
    rotated = exif.get(EXIF_ORIENTATION_TAG, 1) not in (1, None)
    decoded = _decode(image, field)
    keep_original = source_format == fmt and not rotated and not strip_metadata
    if keep_original:
        stored = raw
    else:
        kept_exif: bytes | None = None
        if not strip_metadata and len(exif):
            exif[EXIF_ORIENTATION_TAG] = 1
            kept_exif = exif.tobytes()
        if strip_metadata:
            for key in PRIVATE_INFO_KEYS:
                decoded.info.pop(key, None)
        stored = _encode(decoded, fmt, kept_exif)
    width, height = decoded.size
    return stored, _thumbnail(decoded), mime, ext, width, height


def _atomic_write(path: Path, content: bytes) -> bool:
    """Write ``content`` to ``path`` via a temporary file + rename; False if it already existed."""
    if path.is_file() and path.stat().st_size == len(content):
        return False
    private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return True


def photo_file(relative: str, settings: Settings | None = None) -> Path:
    """The absolute path of a stored photo or thumbnail path (as kept in the ``photos`` row)."""
    path = Path(relative)
    return path if path.is_absolute() else (settings or get_settings()).photo_dir / path


def photo_bytes(repo: Repository, relative: str, settings: Settings | None = None) -> bytes | None:
    """The bytes of a stored photo or thumbnail (a ``path``/``thumb_path`` of a ``photos`` row),
    wherever it lives: the configured store first, then the other one (photos stored before the
    setting changed stay readable). ``None`` if neither holds it."""
    cfg = settings or get_settings()
    path = PurePosixPath(relative)
    if path.is_absolute() or ".." in path.parts:  # rows name paths inside the store only
        return None

    def from_folder() -> bytes | None:
        file = cfg.photo_dir / path
        return file.read_bytes() if file.is_file() else None

    def from_database() -> bytes | None:
        return repo.photo_contents.get(relative)

    order = (from_database, from_folder) if cfg.photo_store == "database" else (
        from_folder, from_database)
    for read in order:
        content = read()
        if content is not None:
            return content
    return None


def _write_files(cfg: Settings, contents: tuple[tuple[str, bytes], ...]) -> list[Path]:
    """Write each (relative path, bytes) under the photo folder; returns the files it created."""
    written: list[Path] = []
    try:
        for relative, content in contents:
            target = cfg.photo_dir / relative
            if _atomic_write(target, content):
                written.append(target)
    except OSError as exc:
        remove_files(written)
        msg = (
            f"cannot store the photo under {cfg.photo_dir}: {exc.strerror or exc} "
            "(disk full or not writable?); nothing was saved"
        )
        raise PhotoStorageError(msg) from exc
    return written


def remove_files(paths: list[Path]) -> None:
    """Remove files written for photos whose database transaction did not commit."""
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink()


def store_photo_info(
    repo: Repository,
    data: bytes | IO[bytes],
    *,
    strip_metadata: bool = False,
    settings: Settings | None = None,
    field: str = "photo",
) -> StoredPhoto:
    """Like :func:`store_photo`, returning a :class:`StoredPhoto` with the file facts."""
    require(repo.actor, "photo.add")
    cfg = settings or get_settings()
    raw = _read_limited(data, cfg.photo_max_bytes, field)
    stored, thumb, mime, ext, width, height = normalise_photo(
        raw, strip_metadata=strip_metadata, settings=cfg, field=field
    )
    sha = hashlib.sha256(stored).hexdigest()
    rel, rel_thumb, size = f"{sha[:2]}/{sha}.{ext}", f"{THUMB_DIR}/{sha[:2]}/{sha}.jpg", len(stored)
    contents = ((rel, stored), (rel_thumb, thumb))
    new_files: list[Path] = []
    if cfg.photo_store == "database":  # in the unit of work's own transaction
        for relative, content in contents:
            repo.photo_contents.add(relative, content)
    else:
        new_files = _write_files(cfg, contents)
        # the files exist before the row: if the unit of work does not commit, remove them again
        repo.on_rollback(lambda: remove_files(new_files))
    try:
        row, created = repo.photo_row(
            sha,
            lambda: Photo(sha256=sha, mime=mime, size_bytes=size, width=width, height=height,
                          path=rel, thumb_path=rel_thumb),
        )
    except BaseException:
        remove_files(new_files)
        raise
    return StoredPhoto(row.id, sha, mime, width, height, rel, rel_thumb, size, created)


def store_photo(
    repo: Repository,
    data: bytes | IO[bytes],
    *,
    strip_metadata: bool = False,
    settings: Settings | None = None,
    field: str = "photo",
) -> int:
    """Check, normalise and store one photo in the caller's unit of work; return its row id.

    ``data`` is the file's bytes or a binary stream (a Streamlit ``UploadedFile`` works; its
    ``size`` is checked before anything is read). ``strip_metadata=True`` removes EXIF/XMP
    (GPS position, device, time) — use it for photos from the public. Raises
    :class:`~audit.errors.InputError` (too large, not a JPEG/PNG/HEIC, too many pixels,
    damaged) or :class:`PhotoStorageError` (disk); in both cases nothing is stored. The files
    are written at once and removed again if the unit of work rolls back, so an import or a
    report that fails later leaves no photo behind.
    """
    return store_photo_info(
        repo, data, strip_metadata=strip_metadata, settings=settings, field=field
    ).photo_id


@dataclass(frozen=True)
class OrphanFiles:
    """Photo files, and photo contents stored in the database, that no ``photos`` row names
    (left by a crash between file and row, or by a restore)."""

    files: tuple[Path, ...]
    size_bytes: int
    removed: bool
    #: paths of unnamed contents in the database's photo store (``photo_contents``)
    stored: tuple[str, ...] = ()


def orphan_photo_files(
    repo: Repository,
    *,
    remove: bool = False,
    min_age_s: float = 3600.0,
    settings: Settings | None = None,
) -> OrphanFiles:
    """Find (and with ``remove=True`` delete) photos that no row names, in both stores: files
    under the photo folder and contents in the database.

    Only the operator may do this (``photo.gc``: admin or the CLI). Anything younger than
    ``min_age_s`` is left alone: a photo file is written before its row is committed, so a young
    file may belong to an upload still in progress. The default is a dry run that only lists.
    """
    from datetime import UTC, datetime

    require(repo.actor, "photo.gc")
    if min_age_s < 0:
        raise InputError(Problem("min_age_s", min_age_s, "0 or more seconds"), "photos gc")
    cfg = settings or get_settings()
    root = cfg.photo_dir
    named_paths = repo.photo_contents.named_paths()
    named = {os.path.normpath(photo_file(p, cfg)) for p in named_paths}
    cutoff = _now() - min_age_s
    found: list[Path] = []
    size = 0
    if root.is_dir():
        for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
            if os.path.normpath(path) in named:
                continue
            stat = path.stat()
            if stat.st_mtime > cutoff:
                continue
            found.append(path)
            size += stat.st_size
    stored = repo.photo_contents.unnamed(named_paths, datetime.fromtimestamp(cutoff, UTC))
    size += sum(n for _path, n in stored)
    if remove:
        remove_files(found)
        repo.photo_contents.delete(path for path, _n in stored)
    return OrphanFiles(tuple(found), size, remove, tuple(path for path, _n in stored))


def _now() -> float:
    import time

    return time.time()
