"""Backup and restore of the database and the photo store, as one ``.tar.gz`` archive.

- SQLite: Python's online backup API (consistent while the app keeps running).
- PostgreSQL: ``pg_dump --format=custom`` / ``pg_restore`` (the client tools must be installed).
- Photos: every file under the photo directory, with its sha256 in the manifest; photos kept in
  the database (``PHOTO_STORE=database``, table ``photo_contents``) are part of the database.
  A restore puts the archive's photo files where ``photo_store`` says: the folder, or the
  database.

The manifest records per-table row counts and a content hash of every table, so a restore can
be proved identical (:func:`table_fingerprints`), plus the sha256 of the database file.

A restore never harms the live data (:func:`restore`): the archive is bounded
(:mod:`audit.archives`), its manifest validated (photo paths confined to the photo store), every
hash checked and the database opened and fingerprinted in a temporary place (SQLite: a file
beside the live one; PostgreSQL: a new schema) BEFORE anything live changes. Only then is it
swapped in atomically (``os.replace`` / ``ALTER TABLE .. SET SCHEMA`` in one transaction), with
the previous database kept as a rollback copy until the restored one has been checked in place.
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
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import sqlalchemy as sa

from audit.archives import CHUNK, Limits, check_tar
from audit.errors import AuditError, InputError, Problem
from audit.fileperm import open_private, private_dir, private_file
from audit.storage import Database
from audit.storage.orm import Base

MANIFEST = "manifest.json"
FORMAT_VERSION = 2
SUPPORTED_FORMATS = (1, 2)
#: Tables outside backups' fingerprints: the data version is a cache token, not data (a restore
#: raises it past both the live and the restored value, see :func:`restore`).
UNFINGERPRINTED = frozenset({"data_version"})
#: Tables newer than some backups of a supported format: an older backup has no rows for them.
ADDED_LATER = frozenset({"photo_contents", "inventory_items"})
#: Columns added to existing tables since the oldest supported backup, with the value a row of
#: an older archive gets when its table is migrated: a fingerprint leaves such a value out (and
#: the column, where the table lacks it), so an old archive checks against its restored rows,
#: while any other value is fingerprinted as usual.
ADDED_LATER_COLUMNS: dict[str, dict[str, Any]] = {"audits": {"measured_from": {}}}


def _tables(names: set[str] | None = None) -> list[sa.Table]:
    """The tables a backup fingerprints (only ``names`` when given), in dependency order."""
    return [t for t in Base.metadata.sorted_tables if t.name not in UNFINGERPRINTED
            and (names is None or t.name in names)]


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


def table_fingerprints(db: Database, names: set[str] | None = None
                       ) -> dict[str, tuple[int, str]]:
    """Per table (every backed-up table, or only ``names``): (row count, sha256 over the rows in
    primary-key order) — backend-neutral."""
    with db.engine.connect() as conn:
        return _fingerprints(conn, names)


def _fingerprints(conn: sa.Connection, names: set[str] | None = None
                  ) -> dict[str, tuple[int, str]]:
    out: dict[str, tuple[int, str]] = {}
    for table in _tables(names):
        late = ADDED_LATER_COLUMNS.get(table.name, {})
        present = ({c["name"] for c in sa.inspect(conn).get_columns(table.name)} if late
                   else None)
        cols = [c for c in table.columns if c.name != "geom"  # geom mirrors lon/lat
                and (present is None or c.name in present)]
        defaults = [(k, late[c.name]) for k, c in enumerate(cols) if c.name in late]
        rows = conn.execute(sa.select(*cols).order_by(*table.primary_key.columns))
        digest = hashlib.sha256()
        n = 0
        for row in rows:
            n += 1
            values = [_canonical(v) for v in row]
            for k, default in reversed(defaults):
                if row[k] == default or row[k] is None:
                    del values[k]
            digest.update(json.dumps(values, default=str).encode())
        out[table.name] = (n, digest.hexdigest())
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
            "database_sha256": _sha256(db_file),
            "tables": {name: {"rows": n, "sha256": h} for name, (n, h) in fingerprints.items()},
            "photos": photos,
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
        partial = archive.with_name(archive.name + ".partial")
        with os.fdopen(open_private(partial), "wb") as raw, \
                tarfile.open(fileobj=raw, mode="w:gz") as tar:
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
            return dict(json.loads(member.read(MANIFEST_MAX_BYTES)))
    except (OSError, KeyError, tarfile.TarError, json.JSONDecodeError, TypeError,
            ValueError) as exc:
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
            for t in _tables()
            if insp.has_table(t.name)
        )


# ---------------------------------------------------------------------------- validation
MANIFEST_MAX_BYTES = 64 * 1024 * 1024
_HEX = frozenset("0123456789abcdef")


def _is_sha256(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 64 and set(value) <= _HEX


def _confined(rel: Any) -> bool:
    """A photo path that stays inside the photo store: relative, no ``..``, no odd characters."""
    if not isinstance(rel, str) or not rel or "\\" in rel or "\0" in rel:
        return False
    path = PurePosixPath(rel)
    return not path.is_absolute() and all(part not in ("", ".", "..") for part in path.parts) \
        and rel == path.as_posix()


def _validate_manifest(manifest: dict[str, Any], members: dict[str, tarfile.TarInfo],
                       dialect: str) -> list[Problem]:
    """Every problem with the manifest and the archive's members (empty list: all good)."""
    problems: list[Problem] = []
    fmt = manifest.get("format")
    if fmt not in SUPPORTED_FORMATS:
        problems.append(Problem("manifest.format", fmt, f"one of {SUPPORTED_FORMATS}"))
    if manifest.get("dialect") != dialect:
        problems.append(Problem(
            "manifest.dialect", manifest.get("dialect"),
            f"a {dialect} backup; use `python -m audit export` to move data between backends"))
    db_file = manifest.get("database_file")
    expected = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}.get(dialect)
    if db_file != expected:
        problems.append(Problem("manifest.database_file", db_file, f"{expected!r}"))
    elif not (db_file in members and members[db_file].isfile()):
        problems.append(Problem("manifest.database_file", db_file, "a file in the archive"))
    digest = manifest.get("database_sha256")
    if (fmt != 1 or digest is not None) and not _is_sha256(digest):
        problems.append(Problem("manifest.database_sha256", digest, "a sha256 hex digest"))
    tables = manifest.get("tables")
    known = {t.name for t in _tables()}
    if not isinstance(tables, dict) or not known - ADDED_LATER <= set(tables) <= known or not all(
            isinstance(v, dict) and isinstance(v.get("rows"), int) and _is_sha256(v.get("sha256"))
            for v in tables.values()):
        problems.append(Problem("manifest.tables", sorted(tables) if isinstance(tables, dict)
                                else tables, f"rows and sha256 of the tables {sorted(known)}"))
    photos = manifest.get("photos")
    if not isinstance(photos, dict):
        problems.append(Problem("manifest.photos", type(photos).__name__, "a mapping"))
        return problems
    for rel, sha in photos.items():
        if not _confined(rel):
            problems.append(Problem("manifest.photos", rel, "a path inside the photo store"))
        elif not _is_sha256(sha):
            problems.append(Problem(f"manifest.photos[{rel}]", sha, "a sha256 hex digest"))
        elif not (f"photos/{rel}" in members and members[f"photos/{rel}"].isfile()):
            problems.append(Problem("manifest.photos", rel, "a regular file in the archive"))
    return problems


def _extract(archive: Path, wanted: dict[str, Path]) -> dict[str, str]:
    """Stream the ``wanted`` members (archive name → target file) out; returns their sha256."""
    digests: dict[str, str] = {}
    with tarfile.open(archive, "r|gz") as tar:
        for member in tar:
            target = wanted.get(member.name)
            if target is None or not member.isfile():
                continue
            source = tar.extractfile(member)
            assert source is not None
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            h = hashlib.sha256()
            with _private_open(target) as out:
                while chunk := source.read(CHUNK):
                    h.update(chunk)
                    out.write(chunk)
            digests[member.name] = h.hexdigest()
    return digests


def _private_open(path: Path) -> Any:
    """Open ``path`` for writing, created with mode 0600."""
    return os.fdopen(open_private(path), "wb")


def _check_fingerprints(got: dict[str, tuple[int, str]], manifest: dict[str, Any]) -> None:
    want = {k: (v["rows"], v["sha256"]) for k, v in manifest["tables"].items()}
    # a table newer than the backup must come back empty
    want.update({k: _EMPTY for k in got if k not in want and k in ADDED_LATER})
    bad = sorted(k for k in want if got.get(k) != want[k])
    if bad:
        raise BackupError(f"the backup's tables do not match its manifest: {', '.join(bad)}; "
                          "nothing was changed")


_EMPTY = (0, hashlib.sha256().hexdigest())


# ---------------------------------------------------------------------------- restore
def restore(db: Database, photo_dir: Path, archive: Path, *, force: bool = False,
            photo_store: str = "folder") -> BackupResult:
    """Restore ``archive`` into ``db`` and ``photo_dir``; a non-empty database needs ``force``.

    The archive's photo files go to ``photo_dir``, or with ``photo_store="database"`` into the
    database (``photo_contents``). The database ends at the newest schema (an older backup is
    migrated) with a data version above both the old and the restored one, so every app
    process's cache drops what it held.

    Everything is checked before anything live changes (see the module docstring); a refused
    backup raises :class:`InputError` (bad archive or manifest) or :class:`BackupError` (a hash
    or fingerprint mismatch, a database that does not open) and leaves the database and the photo
    store exactly as they were.
    """
    archive = Path(archive)
    if db.dialect not in ("sqlite", "postgresql"):
        raise BackupError(f"restore of {db.dialect} databases is not supported")
    members = {m.name: m for m in check_tar(archive, Limits.backup())}
    manifest = read_manifest(archive)
    problems = _validate_manifest(manifest, members, db.dialect)
    if problems:
        raise InputError(problems, f"backup {archive.name} refused, nothing was changed")
    if not force and not _is_empty(db):
        msg = f"database {db.url} is not empty; pass --force to overwrite it with the backup"
        raise BackupError(msg)
    live_file = Path(db.engine.url.database or "") if db.dialect == "sqlite" else None
    base = live_file.parent if live_file is not None else None  # same file system: atomic swap
    with tempfile.TemporaryDirectory(prefix=".a11y-restore-", dir=base) as tmp:
        work = Path(tmp)
        os.chmod(work, 0o700)
        db_name = str(manifest["database_file"])
        photos: dict[str, str] = dict(manifest["photos"])
        wanted = {db_name: work / "db" / db_name}
        wanted.update({f"photos/{rel}": work / "photos" / rel for rel in photos})
        digests = _extract(archive, wanted)
        bad = [rel for rel, sha in photos.items() if digests.get(f"photos/{rel}") != sha]
        if bad:
            raise BackupError(f"photos in the archive do not match their sha256: "
                              f"{', '.join(sorted(bad)[:5])}; nothing was changed")
        want_db = manifest.get("database_sha256")
        if want_db is not None and digests.get(db_name) != want_db:
            raise BackupError(f"{db_name} in the archive does not match its sha256; "
                              "nothing was changed")
        version = _data_version_or_zero(db)
        if live_file is not None:
            got = _restore_sqlite(db, live_file, wanted[db_name], manifest)
        else:
            got = _restore_postgres(db, wanted[db_name], manifest)
        _after_restore(db, version)
        if photo_store == "database":
            _install_photos_in_database(db, work / "photos", photos)
        else:
            _install_photos(work / "photos", photo_dir, photos)
    return BackupResult(archive, {k: v[0] for k, v in got.items()}, len(photos))


def _data_version_or_zero(db: Database) -> int:
    try:
        return db.data_version()
    except sa.exc.DBAPIError:  # a database from before the data version
        return 0


def _after_restore(db: Database, version_before: int) -> None:
    """Migrate a restored older schema to the newest, then move the data version past both the
    live value before the restore and the restored one."""
    from audit.storage.dataversion import read_version, set_version
    from audit.storage.migrate import upgrade_to_head

    upgrade_to_head(db)
    with db.session(write=True) as session:
        set_version(session, max(version_before, read_version(session)) + 1)


def _install_photos_in_database(db: Database, source: Path, photos: dict[str, str]) -> None:
    """Put the checked photos into the database's photo store, one per transaction (each is
    bounded in size; an identical content already there is kept)."""
    from audit.storage.photos import PhotoContentStore

    for rel in photos:
        with db.session(write=True) as session:
            PhotoContentStore(session).add(rel, (source / rel).read_bytes())


def _install_photos(source: Path, photo_dir: Path, photos: dict[str, str]) -> None:
    """Copy the checked photos in (content-addressed: an existing identical file is kept)."""
    for rel, sha in photos.items():
        dst = photo_dir / rel
        if dst.is_file() and _sha256(dst) == sha:
            continue
        private_dir(dst.parent)
        tmp = dst.with_name(f".{dst.name}.restoring")
        shutil.copyfile(source / rel, tmp)
        os.chmod(tmp, 0o600)
        os.replace(tmp, dst)


def _sqlite_check(path: Path, names: set[str]) -> dict[str, tuple[int, str]]:
    """Open a candidate SQLite file read-only, check its integrity, return its fingerprints."""
    try:
        raw = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = raw.execute("PRAGMA integrity_check").fetchall()
        finally:
            raw.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"the database in the backup does not open ({exc}); nothing was "
                          "changed") from None
    if result != [("ok",)]:
        raise BackupError(f"the database in the backup is damaged ({result[0][0]}); nothing was "
                          "changed")
    engine = sa.create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    try:
        with engine.connect() as conn:
            return _fingerprints(conn, names)
    except sa.exc.DBAPIError as exc:
        raise BackupError(f"the database in the backup cannot be read "
                          f"({str(exc.orig).splitlines()[0]}); nothing was changed") from None
    finally:
        engine.dispose()


def _restore_sqlite(db: Database, live: Path, candidate: Path,
                    manifest: dict[str, Any]) -> dict[str, tuple[int, str]]:
    names = set(manifest["tables"])  # an older backup lacks the tables added since
    _check_fingerprints(_sqlite_check(candidate, names), manifest)
    # the live file: fold its WAL in, keep a rollback copy, then swap atomically
    db.engine.dispose()
    rollback = live.with_name(live.name + ".rollback")
    if live.exists():
        source = sqlite3.connect(live)
        try:
            source.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            rollback.unlink(missing_ok=True)  # a stale copy of an interrupted restore
            target = sqlite3.connect(private_file(rollback))
            with target:
                source.backup(target)
            target.close()
        finally:
            source.close()
    os.chmod(candidate, 0o600)
    for suffix in ("-wal", "-shm"):  # empty after the checkpoint; stale for the new file
        Path(f"{live}{suffix}").unlink(missing_ok=True)
    os.replace(candidate, live)
    try:
        got = table_fingerprints(db, names)
        _check_fingerprints(got, manifest)
    except BaseException:
        db.engine.dispose()
        if rollback.exists():
            os.replace(rollback, live)
        raise
    rollback.unlink(missing_ok=True)
    return got


def _copy_blocks(dump: Path, tables: list[str]) -> Iterator[tuple[str, list[str], Iterator[bytes]]]:
    """The data of ``tables`` in a pg_dump custom file as (table, columns, COPY text lines).

    ``pg_restore -f -`` only converts the file to SQL text (it never connects to a server), and
    its output is streamed line by line, so no privilege is needed and nothing is held whole.
    """
    if shutil.which("pg_restore") is None:
        raise BackupError("`pg_restore` is not installed; install the PostgreSQL client tools "
                          "(postgresql-client)")
    cmd = ["pg_restore", "--data-only", "--no-owner", "-f", "-"]
    for name in tables:
        cmd += ["--table", name]
    with subprocess.Popen([*cmd, str(dump)], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None
        lines = iter(proc.stdout)
        for line in lines:
            if not line.startswith(b"COPY public."):
                continue
            head = line.decode().strip()
            name, _, rest = head[len("COPY public."):].partition(" ")
            columns = [c.strip().strip('"') for c in rest.split("(", 1)[1].split(")", 1)[0]
                       .split(",")]

            def rows(src: Iterator[bytes] = lines) -> Iterator[bytes]:
                for row in src:
                    if row == b"\\.\n":
                        return
                    yield row

            yield name.strip('"'), columns, rows()
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        if proc.wait() != 0:
            raise BackupError(f"the database dump in the backup cannot be read "
                              f"(pg_restore exit {proc.returncode}: {err.strip()[:300]}); "
                              "nothing was changed")


def _restore_postgres(db: Database, dump: Path,
                      manifest: dict[str, Any]) -> dict[str, tuple[int, str]]:
    """Load the dump into a new schema, check it there, then swap it in within one transaction.

    The new schema's tables copy the live tables' structure (columns, defaults, indexes,
    constraints; fresh sequences), take the dump's rows through COPY, get their foreign keys
    back (checked over all rows) and are fingerprinted against the manifest. Then, in the same
    transaction, each live table moves to a rollback schema and its new twin into ``public``.
    After the commit the live tables are checked again; a mismatch moves the old ones back. The
    rollback schema is dropped last. Needs only ownership of the tables and CREATE on the
    database and the public schema — no superuser.
    """
    tag = datetime.now(UTC).strftime("%Y%m%d%H%M%S") + f"_{os.getpid()}"
    staging, rollback = f"a11y_restore_{tag}", f"a11y_rollback_{tag}"
    names = [t.name for t in Base.metadata.sorted_tables]
    db.engine.dispose()
    with db.engine.connect() as conn:
        try:
            with conn.begin():
                _stage(conn, staging, names, dump)
                # (execution_options changes this connection in place: set, use, reset)
                conn.execution_options(schema_translate_map={None: staging})
                staged = _fingerprints(conn, set(manifest["tables"]) | ADDED_LATER)
                conn.execution_options(schema_translate_map=None)
                _check_fingerprints(staged, manifest)
                conn.exec_driver_sql(f'CREATE SCHEMA "{rollback}"')
                for name in reversed(names):
                    conn.exec_driver_sql(f'ALTER TABLE public."{name}" SET SCHEMA "{rollback}"')
                    conn.exec_driver_sql(f'ALTER TABLE "{staging}"."{name}" SET SCHEMA public')
                conn.exec_driver_sql(f'DROP SCHEMA "{staging}"')
        except sa.exc.DBAPIError as exc:
            raise BackupError(f"the backup could not be loaded for checking "
                              f"({str(exc.orig).strip().splitlines()[0]}); nothing was "
                              "changed") from None
        try:
            got = _fingerprints(conn, set(manifest["tables"]) | ADDED_LATER)
            conn.rollback()
            _check_fingerprints(got, manifest)
        except BaseException:
            conn.rollback()
            with conn.begin():
                for name in names:
                    conn.exec_driver_sql(f'DROP TABLE public."{name}" CASCADE')
                    conn.exec_driver_sql(f'ALTER TABLE "{rollback}"."{name}" SET SCHEMA public')
                conn.exec_driver_sql(f'DROP SCHEMA "{rollback}"')
            raise
        with conn.begin():
            conn.exec_driver_sql(f'DROP SCHEMA "{rollback}" CASCADE')
    return got


def _serial_columns(conn: sa.Connection, table: str) -> list[str]:
    """The columns of ``table`` (a quoted qualified name) whose default draws on a sequence."""
    return list(conn.execute(sa.text(
        "SELECT a.attname FROM pg_attribute a JOIN pg_attrdef d "
        "ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
        "WHERE a.attrelid = CAST(:t AS regclass) AND "
        "pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%'"), {"t": table}).scalars())


def _stage(conn: sa.Connection, staging: str, names: list[str], dump: Path) -> None:
    """Tables in ``staging`` shaped like the live ones (same names of indexes and constraints),
    filled from the dump; keys, unique constraints, indexes and foreign keys are added after the
    rows, so the rows' order in the dump does not matter and every row is checked by them."""
    conn.exec_driver_sql(f'CREATE SCHEMA "{staging}"')
    later: list[str] = []  # DDL run after the rows are in, in this order
    foreign: list[str] = []
    for name in names:
        table = f'"{staging}"."{name}"'
        conn.exec_driver_sql(
            f'CREATE TABLE {table} (LIKE public."{name}" INCLUDING ALL EXCLUDING INDEXES)')
        # serial columns: a sequence of the new table's own, not the live table's
        for col in _serial_columns(conn, f'public."{name}"'):
            seq = f'"{staging}"."{name}_{col}_seq"'
            conn.exec_driver_sql(f'CREATE SEQUENCE {seq} OWNED BY {table}."{col}"')
            conn.exec_driver_sql(f'ALTER TABLE {table} ALTER COLUMN "{col}" '
                                 f"SET DEFAULT nextval('{seq}')")
        path = conn.exec_driver_sql("SHOW search_path").scalar()
        conn.exec_driver_sql("SET LOCAL search_path = pg_catalog")  # fully qualified defs
        live = {"t": f'public."{name}"'}
        for con, kind, definition in conn.execute(sa.text(
                "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = CAST(:t AS regclass) AND contype IN ('p', 'u', 'f', 'x') "
                "ORDER BY contype DESC"), live).all():
            definition = str(definition).replace("REFERENCES public.",
                                                 f'REFERENCES "{staging}".')
            ddl = f'ALTER TABLE {table} ADD CONSTRAINT "{con}" {definition}'
            (foreign if kind == "f" else later).append(ddl)
        for (definition,) in conn.execute(sa.text(
                "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "WHERE i.indrelid = CAST(:t AS regclass) AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"), live).all():
            later.append(str(definition).replace(" ON public.", f' ON "{staging}".', 1))
        conn.execute(sa.text("SELECT set_config('search_path', :p, true)"), {"p": path})
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur:
        for name, columns, rows in _copy_blocks(dump, names):
            if name not in names:
                continue
            cols = ", ".join(f'"{c}"' for c in columns)
            with cur.copy(f'COPY "{staging}"."{name}" ({cols}) FROM STDIN') as copy:
                for row in rows:
                    copy.write(row)
    for ddl in later + foreign:
        conn.exec_driver_sql(ddl)
    for name in names:
        for col in _serial_columns(conn, f'"{staging}"."{name}"'):
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('\"{staging}\".\"{name}\"', '{col}'), "
                f'COALESCE((SELECT max("{col}") FROM "{staging}"."{name}"), 0) + 1, false)')
