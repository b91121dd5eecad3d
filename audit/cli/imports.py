"""``python -m audit import odk FILE [--attachments ZIP] [--crs wgs84|gcj02|bd09]``."""

from __future__ import annotations

import argparse
import sys

from audit.cli._shared import unit_of_work

BAR_WIDTH = 30


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("import", help="import field data: odk")
    sub = parser.add_subparsers(dest="import_command", required=True)
    odk = sub.add_parser(
        "odk", help="import an ODK Central / KoboToolbox CSV or JSON export of the XLSForm"
    )
    odk.add_argument("file", help="submissions export (.csv or .json)")
    odk.add_argument("--attachments", help="zip of the submissions' photos")
    odk.add_argument("--crs", default="wgs84", choices=["wgs84", "gcj02", "bd09"],
                     help="coordinate system of the positions (GPS gives wgs84)")
    odk.add_argument("--accept-poor-gps", action="store_true",
                     help="accept positions less accurate than gps_accuracy_limit_m")
    odk.add_argument("--strict", action="store_true",
                     help="reject rows with values outside their plausible range that the form "
                     "did not confirm (default: import them and list them as suspect)")
    odk.add_argument("--no-snap", action="store_true",
                     help="do not load the street network to snap new facilities")
    odk.set_defaults(func=_odk)


def _bar(done: int, total: int) -> None:
    filled = BAR_WIDTH * done // max(total, 1)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total}")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def _odk(args: argparse.Namespace) -> int:
    from audit.io.odk_import import ImportRejected, import_odk
    from audit.settings import get_settings

    settings = get_settings()
    network = None
    if not args.no_snap:
        from geodata.network import resolve_network

        network = resolve_network(settings.network_source, settings.data_dir)
    try:
        with unit_of_work(write=True) as repo:
            report = import_odk(
                repo, args.file, attachments=args.attachments, crs=args.crs, network=network,
                progress=_bar if sys.stderr.isatty() else None,
                accept_poor_gps=args.accept_poor_gps, strict=args.strict,
            )
    except ImportRejected as exc:
        print(f"error: {exc.context}", file=sys.stderr)
        for row in exc.rows:
            print(f"  {row}", file=sys.stderr)
        return 2
    print(
        f"{report.source}: {report.rows} rows, {report.imported} imported "
        f"({report.created_facilities} new facilities, {report.reaudits} re-audits, "
        f"{report.photos} photos), {report.already_imported} already imported"
    )
    for row in report.suspect:
        print(f"  suspect, not scored until confirmed: {row}")
    return 0
