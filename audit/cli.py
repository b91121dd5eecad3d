"""Command-line entry point: ``python -m audit <command> ...``.

Each command group lives in its own module ``audit/cli_<group>.py`` that defines
``register(subparsers)``; this module discovers them, so adding a command never edits this file.
Exit codes: 0 success, 2 bad input (a readable message on stderr), 1 other failure.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

import audit
from audit.errors import AuditError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m audit",
        description="阳江无障碍设施督导地图 — accessibility audit tools (GB 55019-2021).",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(audit.__path__), key=lambda m: m.name):
        if info.name.startswith("cli_"):
            module = importlib.import_module(f"audit.{info.name}")
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
