"""Archives bounded by what they expand to (zip uploads and .tar.gz backups).

A small archive can expand to gigabytes (a "zip bomb"). Every archive this project reads goes
through this module, which checks, with the limits in :class:`audit.settings.Settings`:

- the entry count (``archive_max_entries``);
- the declared uncompressed sizes, one by one and in total (``upload_max_expanded_bytes`` /
  ``backup_max_expanded_bytes``) and against the compressed size (``archive_max_ratio``),
  before anything is decompressed;
- the ACTUAL bytes while streaming, because headers can lie: an entry that yields more than it
  declared, more than the caller's limit or more than the ratio allows is refused at that point.

Entries are read in chunks (:data:`CHUNK`) and never held whole in memory beyond the caller's
limit. Every refusal is an :class:`~audit.errors.InputError` naming the archive, the value and the
limit (setting name included) that was exceeded.
"""

from __future__ import annotations

import io
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final

from audit.errors import InputError, Problem
from audit.settings import Settings, get_settings

CHUNK: Final = 1 << 16
RATIO_FLOOR: Final = 1 << 20
"""Entries smaller than this (1 MiB) are not ratio-checked: small text files compress well."""


def _mb(n: float) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


@dataclass(frozen=True)
class Limits:
    """What one archive may hold and expand to."""

    max_entries: int
    max_total: int
    max_ratio: float
    total_setting: str

    @classmethod
    def upload(cls, settings: Settings | None = None) -> Limits:
        cfg = settings or get_settings()
        return cls(cfg.archive_max_entries, cfg.upload_max_expanded_bytes, cfg.archive_max_ratio,
                   "UPLOAD_MAX_EXPANDED_BYTES")

    @classmethod
    def backup(cls, settings: Settings | None = None) -> Limits:
        cfg = settings or get_settings()
        return cls(cfg.archive_max_entries, cfg.backup_max_expanded_bytes, cfg.archive_max_ratio,
                   "BACKUP_MAX_EXPANDED_BYTES")


def _refuse(field: str, value: str, allowed: str, code: str,
            **params: str | int) -> InputError:
    """The refusal: ``allowed`` for the log and the CLI, ``code`` and ``params`` (limits only,
    never a name from inside the archive) for the sentence a page shows."""
    return InputError(Problem(field, value, allowed, code=code, params=params), "archive")


def _check_entry_count(field: str, n: int, limits: Limits) -> None:
    if n > limits.max_entries:
        raise _refuse(field, f"{n} entries",
                      f"at most {limits.max_entries} entries (ARCHIVE_MAX_ENTRIES)",
                      "archive_entries", max=limits.max_entries)


def _check_ratio(field: str, name: str, expanded: int, compressed: int, limits: Limits) -> None:
    if expanded > RATIO_FLOOR and expanded > limits.max_ratio * max(compressed, 1):
        raise _refuse(field, f"{name}: {_mb(expanded)} from {_mb(compressed)} compressed",
                      f"an entry expanding at most {limits.max_ratio:g} times "
                      "(ARCHIVE_MAX_RATIO)", "archive_ratio", max=f"{limits.max_ratio:g}")


def _check_total(field: str, total: int, limits: Limits) -> None:
    if total > limits.max_total:
        raise _refuse(field, f"expands to more than {_mb(total)}",
                      f"at most {_mb(limits.max_total)} uncompressed ({limits.total_setting})",
                      "archive_total", max=_mb(limits.max_total))


# ---------------------------------------------------------------------------- zip
def open_zip(path: Path | str, limits: Limits, field: str = "attachments") -> zipfile.ZipFile:
    """Open a zip upload after checking its directory: entries, declared sizes and ratios."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _refuse(field, Path(path).name, f"a readable .zip file ({exc})",
                      "archive_unreadable") from None
    try:
        infos = archive.infolist()
        _check_entry_count(field, len(infos), limits)
        total = 0
        for info in infos:
            _check_ratio(field, info.filename, info.file_size, info.compress_size, limits)
            total += info.file_size
            _check_total(field, total, limits)
    except BaseException:
        archive.close()
        raise
    return archive


class _BoundedEntry(io.RawIOBase):
    """A zip entry as a stream that refuses to yield more than its header and ratio allow."""

    def __init__(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits,
                 field: str) -> None:
        self._inner = archive.open(info)
        self._info = info
        self._limits = limits
        self._field = field
        self._done = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        try:
            data = self._inner.read(min(len(buffer), CHUNK))
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise _refuse(self._field, self._info.filename, f"an intact zip entry ({exc})",
                          "archive_entry") from None
        self._done += len(data)
        if self._done > self._info.file_size:
            raise _refuse(self._field, f"{self._info.filename}: more than {_mb(self._done)}",
                          f"no more than its declared {_mb(self._info.file_size)}",
                          "archive_entry")
        _check_ratio(self._field, self._info.filename, self._done, self._info.compress_size,
                     self._limits)
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._inner.close()
        super().close()


def zip_entry(archive: zipfile.ZipFile, name: str, limits: Limits,
              field: str = "attachments") -> IO[bytes]:
    """A bounded stream over one entry: read it in chunks, with your own size limit; it refuses
    to yield more than the entry declared or more than ``limits.max_ratio`` allows."""
    info = archive.getinfo(name)
    return io.BufferedReader(_BoundedEntry(archive, info, limits, field), CHUNK)


def read_zip_entry(archive: zipfile.ZipFile, name: str, limit: int, limits: Limits,
                   field: str = "attachments") -> bytes:
    """At most ``limit`` bytes of one entry, streamed; more than ``limit`` is refused."""
    out = bytearray()
    with zip_entry(archive, name, limits, field) as stream:
        while chunk := stream.read(CHUNK):
            out += chunk
            if len(out) > limit:
                raise _refuse(field, f"{name}: more than {_mb(limit)}", f"at most {_mb(limit)}",
                              "archive_entry_size", max=_mb(limit))
    return bytes(out)


# ---------------------------------------------------------------------------- tar.gz
def check_tar(path: Path, limits: Limits, field: str = "archive") -> list[tarfile.TarInfo]:
    """Stream once through a .tar.gz, checking entries, sizes and the overall ratio.

    Only headers are kept; the data is decompressed chunk by chunk and thrown away, so a bomb is
    refused as soon as it passes a limit. Returns the members for a later extraction.
    """
    compressed = path.stat().st_size
    members: list[tarfile.TarInfo] = []
    total = 0
    try:
        with tarfile.open(path, "r|gz") as tar:
            # stream mode: headers are read one by one, the data between them is decompressed
            # in blocks and skipped, so nothing is held and a bomb stops at its first header
            for member in tar:
                members.append(member)
                _check_entry_count(field, len(members), limits)
                total += member.size
                _check_total(field, total, limits)
                _check_ratio(field, path.name, total, compressed, limits)
    except (tarfile.TarError, OSError, EOFError) as exc:
        allowed = f"a backup made by `python -m audit backup` ({exc})"
        raise _refuse(field, path.name, allowed, "archive_unreadable") from None
    return members


__all__ = ["CHUNK", "Limits", "check_tar", "open_zip", "read_zip_entry", "zip_entry"]
