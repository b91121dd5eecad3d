"""``python -m audit report --district 441702 OUT.pdf``: the printable district report."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "report", help="printable district report in Chinese (PDF via headless Chromium, or HTML)"
    )
    parser.add_argument("--district", required=True, help="district adcode, e.g. 441702")
    parser.add_argument("out", help="output .pdf (printed by Chromium) or .html")
    parser.set_defaults(func=_report)


def _report(args: argparse.Namespace) -> int:
    from audit.actors import SYSTEM
    from audit.io.district_report import write_district_report
    from audit.settings import get_settings
    from audit.storage import open_database

    db = open_database(get_settings().effective_database_url)
    with db.unit_of_work(SYSTEM) as repo:
        path = write_district_report(repo, args.district, args.out)
    print(f"report written to {path}")
    return 0
