"""``python -m audit demo seed``: add the synthetic demo data to an empty database."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("demo", help="synthetic demo data")
    sub = parser.add_subparsers(dest="demo_command", required=True)
    seed = sub.add_parser("seed", help="seed demo data if the database is empty (idempotent)")
    seed.add_argument("--force", action="store_true", help="seed even when demo_mode is off")
    seed.set_defaults(func=_seed)


def _seed(args: argparse.Namespace) -> int:
    from audit.actors import SYSTEM
    from audit.demo import seed_demo
    from audit.settings import get_settings
    from audit.storage import open_database, upgrade_to_head

    settings = get_settings()
    if not settings.demo_mode and not args.force:
        print("demo_mode is off: no demo data seeded (use --force to seed anyway)")
        return 0
    db = open_database(settings.effective_database_url)
    upgrade_to_head(db)
    with db.unit_of_work(SYSTEM, write=True) as repo:
        result = seed_demo(repo)
    print(result.message)
    return 0
