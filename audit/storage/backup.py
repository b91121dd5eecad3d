"""Backup and restore of the database and the photo store, as one ``.tar.gz`` archive.

- SQLite: Python's online backup API (consistent while the app keeps running).
- PostgreSQL: ``pg_dump --format=custom`` / ``pg_restore`` (the client tools must be installed).
- Photos: every file under the photo directory, with its sha256 in the manifest.

The manifest records per-table row counts and a content hash of every table, so a restore can
be proved identical (:func:`table_fingerprints`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from audit.errors import AuditError, InputError, Problem
from audit.io.archives import Limits, check_tar
from audit.storage import Database
from audit.storage.orm import Base

MANIFEST = "manifest.json"
FORMAT_VERSION = 1


class BackupError(AuditError, RuntimeError):
    """A backup or restore step failed; the message says which and why."""


@dataclass(frozen=True)
class BackupResult:
    archive: Path
    tables: dict[str, int]
    photos: int


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    if isinstance(value, bytes | memoryview):
        return hashlib.sha256(bytes(value)).hexdigest()
    return value


def table_fingerprints(db: Database) -> dict[str, tuple[int, str]]:
    """Per table: (row count, sha256 over the rows in primary-key order) — backend-neutral."""
    out: dict[str, tuple[int, str]] = {}
    with db.session() as s:
        for table in Base.metadata.sorted_tables:
            cols = [c for c in table.columns if c.name != "geom"]  # geom mirrors lon/lat
            rows = s.execute(sa.select(*cols).order_by(*table.primary_key.columns)).all()
            digest = hashlib.sha256()
            for row in rows:
                digest.update(json.dumps([_canonical(v) for v in row], default=str).encode())
            out[table.name] = (len(rows), digest.hexdigest())
    return out


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _pg_args(db: Database) -> tuple[list[str], dict[str, str]]:
    url = db.engine.url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    args = ["-h", url.host or "localhost", "-p", str(url.port or 5432), "-U", url.username or ""]
    return [*args, "-d", url.database or ""], env


def _run(cmd: list[str], env: dict[str, str] | None = None) -> None:
    if shutil.which(cmd[0]) is None:
        msg = (
            f"`{cmd[0]}` is not installed; install the PostgreSQL client tools (postgresql-client)"
        )
        raise BackupError(msg)
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        msg = f"`{cmd[0]}` failed (exit {proc.returncode}): {proc.stderr.strip()[:500]}"
        raise BackupError(msg)


def backup(db: Database, photo_dir: Path, archive: Path) -> BackupResult:
    """Write the database and photos to ``archive`` (.tar.gz). Nothing is written on failure."""
    archive = Path(archive)
    if archive.suffixes[-2:] != [".tar", ".gz"]:
        raise InputError(Problem("archive", str(archive), "a file name ending in .tar.gz"))
    if not archive.parent.is_dir():
        raise InputError(Problem("archive", str(archive), "a path in an existing folder"))
    fingerprints = table_fingerprints(db)
    with tempfile.TemporaryDirectory(prefix="a11y-backup-") as tmp:
        work = Path(tmp)
        if db.dialect == "sqlite":
            db_file = work / "database.sqlite3"
            source = sqlite3.connect(db.engine.url.database or "")
            try:
                target = sqlite3.connect(db_file)
                with target:
                    source.backup(target)
                target.close()
            finally:
                source.close()
        elif db.dialect == "postgresql":
            db_file = work / "database.pgdump"
            args, env = _pg_args(db)
            _run(["pg_dump", "--format=custom", "--no-owner", "-f", str(db_file), *args], env)
        else:
            raise BackupError(f"backup of {db.dialect} databases is not supported")
        photos: dict[str, str] = {}
        if photo_dir.is_dir():
            for path in sorted(p for p in photo_dir.rglob("*") if p.is_file()):
                photos[path.relative_to(photo_dir).as_posix()] = _sha256(path)
        manifest = {
            "format": FORMAT_VERSION,
            "created_at": datetime.now(UTC).isoformat(),
            "dialect": db.dialect,
            "database_file": db_file.name,
            "tables": {name: {"rows": n, "sha256": h} for name, (n, h) in fingerprints.items()},
            "photos": photos,
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
        partial = archive.with_name(archive.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(work / MANIFEST, arcname=MANIFEST)
            tar.add(db_file, arcname=db_file.name)
            for rel in photos:
                tar.add(photo_dir / rel, arcname=f"photos/{rel}")
        partial.replace(archive)
    return BackupResult(archive, {k: v[0] for k, v in fingerprints.items()}, len(photos))


def read_manifest(archive: Path) -> dict[str, Any]:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            member = tar.extractfile(MANIFEST)
            if member is None:
                raise KeyError(MANIFEST)
            return dict(json.loads(member.read()))
    except (OSError, KeyError, tarfile.TarError, json.JSONDecodeError) as exc:
        raise InputError(
            Problem("archive", str(archive), f"a backup made by `python -m audit backup` ({exc})")
        ) from exc


def _is_empty(db: Database) -> bool:
    insp = sa.inspect(db.engine)
    if not insp.has_table("facilities"):
        return True
    with db.engine.connect() as conn:
        return not any(
            conn.execute(sa.select(sa.func.count()).select_from(t)).scalar()
            for t in Base.metadata.sorted_tables
            if insp.has_table(t.name)
        )


def restore(db: Database, photo_dir: Path, archive: Path, *, force: bool = False) -> BackupResult:
    """Restore ``archive`` into ``db`` and ``photo_dir``; a non-empty database needs ``force``.

    After restoring, every table's fingerprint and every photo's sha256 are checked against the
    manifest; a mismatch raises :class:`BackupError`.
    """
    check_tar(Path(archive), Limits.backup())  # a bomb is refused before anything is extracted
    manifest = read_manifest(archive)
    if manifest.get("dialect") != db.dialect:
        raise InputError(
            Problem(
                "archive",
                str(archive),
                f"a {db.dialect} backup (this one is from {manifest.get('dialect')}); "
                "use `python -m audit export` to move data between backends",
            )
        )
    if not force and not _is_empty(db):
        msg = f"database {db.url} is not empty; pass --force to overwrite it with the backup"
        raise BackupError(msg)
    with tempfile.TemporaryDirectory(prefix="a11y-restore-") as tmp:
        work = Path(tmp)
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(work, filter="data")
        db_file = work / str(manifest["database_file"])
        if db.dialect == "sqlite":
            db.engine.dispose()
            source = sqlite3.connect(db_file)
            try:
                target = sqlite3.connect(db.engine.url.database or "")
                with target:
                    source.backup(target)
                target.close()
            finally:
                source.close()
        else:
            args, env = _pg_args(db)
            _run(["pg_restore", "--clean", "--if-exists", "--no-owner", *args, str(db_file)], env)
            db.engine.dispose()
        for rel, digest in dict(manifest.get("photos", {})).items():
            src = work / "photos" / rel
            if _sha256(src) != digest:
                raise BackupError(f"photo {rel} in the archive does not match its sha256")
            dst = photo_dir / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    got = table_fingerprints(db)
    want = {k: (v["rows"], v["sha256"]) for k, v in manifest["tables"].items()}
    bad = sorted(k for k in want if got.get(k) != want[k])
    if bad:
        raise BackupError(f"restored tables differ from the backup: {', '.join(bad)}")
    return BackupResult(Path(archive), {k: v[0] for k, v in got.items()}, len(manifest["photos"]))
