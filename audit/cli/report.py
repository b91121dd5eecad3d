"""``python -m audit report --district 441702 OUT.pdf``: the printable district report."""

from __future__ import annotations

import argparse

from audit.cli._shared import unit_of_work


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "report", help="printable district report in Chinese (PDF via headless Chromium, or HTML)"
    )
    parser.add_argument("--district", required=True, help="district adcode, e.g. 441702")
    parser.add_argument("out", help="output .pdf (printed by Chromium) or .html")
    parser.set_defaults(func=_report)


def _report(args: argparse.Namespace) -> int:
    from audit.io.district_report import write_district_report

    with unit_of_work() as repo:
        path = write_district_report(repo, args.district, args.out)
    print(f"report written to {path}")
    return 0
