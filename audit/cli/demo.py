"""``python -m audit demo seed``: add the synthetic demo data to an empty database."""

from __future__ import annotations

import argparse

from audit.cli._shared import unit_of_work


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("demo", help="synthetic demo data")
    sub = parser.add_subparsers(dest="demo_command", required=True)
    seed = sub.add_parser("seed", help="seed demo data if the database is empty (idempotent)")
    seed.add_argument("--force", action="store_true", help="seed even when demo_mode is off")
    seed.set_defaults(func=_seed)


def _seed(args: argparse.Namespace) -> int:
    from audit.demo import seed_demo
    from audit.settings import get_settings

    if not get_settings().demo_mode and not args.force:
        print("demo_mode is off: no demo data seeded (use --force to seed anyway)")
        return 0
    with unit_of_work(write=True, upgrade=True) as repo:
        result = seed_demo(repo)
    print(result.message)
    return 0
