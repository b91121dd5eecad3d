"""``python -m audit xlsform OUT.xlsx [--per-type]``: write the offline-capture XLSForm(s)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "xlsform", help="write the ODK/Kobo XLSForm generated from the measurement schema"
    )
    parser.add_argument("out", help="output .xlsx path")
    parser.add_argument(
        "--per-type", action="store_true",
        help="one form per facility type (OUT_<type>.xlsx) instead of one form with a type choice",
    )
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from audit.io.xlsform import write_xlsforms

    for path in write_xlsforms(args.out, per_type=args.per_type):
        print(f"wrote {path}")
    return 0
