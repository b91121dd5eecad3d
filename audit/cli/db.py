"""``python -m audit db ...``: prepare and inspect the database."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("db", help="database: upgrade | status")
    sub = parser.add_subparsers(dest="db_command", required=True)
    up = sub.add_parser("upgrade", help="apply migrations up to head (safe to repeat)")
    up.set_defaults(func=_upgrade)
    st = sub.add_parser("status", help="show the database URL and schema revision")
    st.set_defaults(func=_status)


def _upgrade(args: argparse.Namespace) -> int:
    from audit.settings import get_settings
    from audit.storage import open_database, upgrade_to_head
    from audit.storage.db import redact
    from audit.storage.migrate import current_revision

    db = open_database(get_settings().effective_database_url)
    db.ping()
    upgrade_to_head(db)
    print(f"database {redact(db.engine.url.render_as_string(False))}: at {current_revision(db)}")
    return 0


def _status(args: argparse.Namespace) -> int:
    from audit.settings import get_settings
    from audit.storage import open_database
    from audit.storage.migrate import current_revision

    db = open_database(get_settings().effective_database_url)
    db.ping()
    print(f"url: {db.url}\nrevision: {current_revision(db)}")
    return 0
