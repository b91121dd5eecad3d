"""``python -m audit backup ARCHIVE`` and ``python -m audit restore ARCHIVE``."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    b = subparsers.add_parser("backup", help="write the database and photos to a .tar.gz archive")
    b.add_argument("archive", type=Path, help="output file, e.g. backup-2026-11-28.tar.gz")
    b.set_defaults(func=_backup)
    r = subparsers.add_parser("restore", help="restore a backup archive (checks every table)")
    r.add_argument("archive", type=Path)
    r.add_argument("--force", action="store_true", help="overwrite a database that holds data")
    r.set_defaults(func=_restore)


def _backup(args: argparse.Namespace) -> int:
    from audit.settings import get_settings
    from audit.storage import open_database
    from audit.storage.backup import backup

    settings = get_settings()
    db = open_database(settings.effective_database_url)
    db.ping()
    result = backup(db, settings.photo_dir, args.archive)
    rows = sum(result.tables.values())
    print(f"backup written to {result.archive}: {rows} rows, {result.photos} photos")
    return 0


def _restore(args: argparse.Namespace) -> int:
    from audit.settings import get_settings
    from audit.storage import open_database, upgrade_to_head
    from audit.storage.backup import restore

    settings = get_settings()
    db = open_database(settings.effective_database_url)
    db.ping()
    upgrade_to_head(db)
    result = restore(db, settings.photo_dir, args.archive, force=args.force,
                     photo_store=settings.photo_store)
    rows = sum(result.tables.values())
    print(f"restored {rows} rows and {result.photos} photos; every table matches the backup")
    return 0
