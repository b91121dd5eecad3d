"""``python -m audit photos gc [--apply] [--min-age-minutes N]``: orphan photo files.

A photo file is written before its database row is committed; a crash in between leaves a file
no row names. ``gc`` lists such files, and photo contents in the database (``PHOTO_STORE=
database``) that no row names, as a dry run by default, and removes them with ``--apply``.
"""

from __future__ import annotations

import argparse

from audit.cli._shared import unit_of_work


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("photos", help="photo store maintenance: gc")
    sub = parser.add_subparsers(dest="photos_command", required=True)
    gc = sub.add_parser("gc", help="list (or with --apply remove) photo files no record names")
    gc.add_argument("--apply", action="store_true", help="remove them (default: only list)")
    gc.add_argument("--min-age-minutes", type=float, default=60.0,
                    help="leave files younger than this alone (uploads in progress); default 60")
    gc.set_defaults(func=_gc)


def _gc(args: argparse.Namespace) -> int:
    from audit.photos import orphan_photo_files

    with unit_of_work() as repo:
        result = orphan_photo_files(repo, remove=args.apply,
                                    min_age_s=args.min_age_minutes * 60)
    for path in result.files:
        print(path)
    for stored in result.stored:
        print(f"database:{stored}")
    verb = "removed" if result.removed else "found (dry run; --apply removes them)"
    print(f"{len(result.files)} orphan photo files and {len(result.stored)} orphan photos in the "
          f"database, {result.size_bytes} bytes, {verb}")
    return 0
