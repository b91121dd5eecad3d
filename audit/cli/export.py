"""``python -m audit export --format {csv,xlsx,geojson,gpkg} OUT``: export the database."""

from __future__ import annotations

import argparse

from audit.cli._shared import unit_of_work
from audit.io import EXPORT_FORMATS  # light: loads no export library


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "export",
        help="export facilities, audits with findings, reports (public fields) and work orders",
    )
    parser.add_argument("--format", required=True, help=f"one of {', '.join(EXPORT_FORMATS)}")
    parser.add_argument("out", help="output file (xlsx, gpkg) or new folder (csv, geojson)")
    parser.set_defaults(func=_export)


def _export(args: argparse.Namespace) -> int:
    from audit.io.exports import export_database

    with unit_of_work() as repo:
        path = export_database(repo, args.format, args.out)
    print(f"exported ({args.format}) to {path}")
    return 0
