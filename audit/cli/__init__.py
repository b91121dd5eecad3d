"""Command-line entry point: ``python -m audit <command> ...`` (the ``yangjiang-audit`` script).

Each command group lives in its own module of this package, which defines
``register(subparsers)``; :data:`COMMANDS` lists them explicitly, in the order ``--help`` shows
them (``_shared`` holds what several commands use and is not a command). Command modules import
only the standard library at module level and load the library inside each command, so
``python -m audit --help`` stays fast.
Exit codes: 0 success, 2 bad input (a readable message on stderr), 1 other failure.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from types import ModuleType

from audit.cli import (
    backup,
    db,
    demo,
    evaluate,
    export,
    imports,
    inventory,
    network,
    photos,
    reach,
    report,
    rescore,
    route,
    users,
    xlsform,
)
from audit.errors import AuditError

#: Every command module, in the order of ``--help``. A new command module is added here.
COMMANDS: tuple[ModuleType, ...] = (
    backup, db, demo, evaluate, export, imports, inventory, network, photos, reach, report,
    rescore,
    route, users, xlsform,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m audit",
        description="阳江无障碍设施督导地图 — accessibility audit tools (GB 55019-2021).",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.func(args)
    except AuditError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, ValueError) else 1
    return int(result or 0)
