"""``python -m audit network ...``: download (osmnx), inspect and build street networks.

- ``fetch --district 441702|city --network-type walk``: download OSM with osmnx, cache GraphML under
  ``DATA_DIR/cache/networks`` (progress on stderr; fails fast without internet);
- ``info SOURCE``: size, extent and label of ``demo``, ``auto`` or a .osm/.osm.pbf/.graphml file;
- ``demo [--out FILE]``: build the synthetic demo network (optionally save GraphML).
"""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("network", help="street network: fetch | info | demo")
    sub = parser.add_subparsers(dest="network_command", required=True)
    fetch = sub.add_parser("fetch", help="download the OSM street network with osmnx and cache it")
    fetch.add_argument(
        "--district", default="city", help="441702 | 441704 | 441721 | 441781 | city"
    )
    fetch.add_argument("--network-type", default="walk", help="osmnx network type (default walk)")
    fetch.add_argument("--refresh", action="store_true", help="download again even if cached")
    fetch.add_argument("--timeout", type=float, default=180.0, help="download timeout, seconds")
    fetch.set_defaults(func=_fetch)
    info = sub.add_parser("info", help="describe a network: demo | auto | PATH")
    info.add_argument("source", help="demo, auto (the app's setting) or a .osm/.osm.pbf/.graphml")
    info.add_argument("--json", action="store_true", help="print JSON")
    info.set_defaults(func=_info)
    demo = sub.add_parser("demo", help="build the synthetic demo network")
    demo.add_argument("--out", help="save it as GraphML here")
    demo.set_defaults(func=_demo)


def _progress(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _fetch(args: argparse.Namespace) -> int:
    import osmnx as ox

    from audit.settings import get_settings
    from geodata.network import cache_dir_for, fetch_network

    settings = get_settings()
    ox.settings.log_console = True  # osmnx logs each Overpass request: visible progress
    path = fetch_network(
        args.district,
        args.network_type,
        cache_dir_for(settings.data_dir),
        boundary_file=settings.boundary_file,
        refresh=args.refresh,
        timeout_s=args.timeout,
        progress=_progress,
    )
    print(path)
    return 0


def _info(args: argparse.Namespace) -> int:
    from audit.settings import get_settings
    from geodata.network import load_network, network_info, resolve_network

    settings = get_settings()
    if args.source.strip().lower() == "auto":
        G = resolve_network("auto", settings.data_dir, boundary_file=settings.boundary_file)
    else:
        G = load_network(args.source)
    info = network_info(G)
    if args.json:
        print(json.dumps(info, ensure_ascii=False, indent=2, default=str))
    else:
        for key, value in info.items():
            print(f"{key}: {value}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from geodata.demo_network import main as demo_main

    return demo_main(["--out", args.out] if args.out else [])
