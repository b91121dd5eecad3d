"""``python -m audit network ...``: download (osmnx), inspect and build street networks.

- ``fetch --district 441702|city --network-type walk``: download OSM with osmnx, cache GraphML under
  ``DATA_DIR/cache/networks`` (progress on stderr; fails fast without internet);
- ``info SOURCE``: size, extent and label of ``demo``, ``auto`` or a .osm/.osm.pbf/.graphml file;
- ``demo [--out FILE]``: build the synthetic demo network (optionally save GraphML);
- ``compact [SOURCE] [--walk] [--dem FILE]``: build (or check) the compact array file the app reads
  for the ``network_source`` setting (or SOURCE) under ``DATA_DIR/cache``, so the app never loads
  osmnx; the walk network takes its inclines from the elevation model ``--dem`` (default: the
  ``dem_file`` setting) where OSM has no ``incline`` tag;
- ``elements SOURCE [--audits] [--json]``: the pedestrian network of ``demo`` or an OSM file, its
  accessibility elements (crossings, kerbs, sidewalks ...) by kind and state (audited /
  OSM-reported / unknown), with the facilities of the database attached when ``--audits``.
"""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "network", help="street network: fetch | info | demo | compact | elements"
    )
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
    compact = sub.add_parser(
        "compact", help="build the app's compact network file (cached by content hash)"
    )
    compact.add_argument("source", nargs="?", default=None,
                         help="demo, auto or a network file (default: the network_source setting)")
    compact.add_argument("--walk", action="store_true",
                         help="the walk network with pedestrian tags (the route page's)")
    compact.add_argument("--dem", default=None, metavar="FILE",
                         help="elevation model (GeoTIFF) for the walk network's inclines "
                              "(default: the dem_file setting; '' for none); implies --walk")
    compact.set_defaults(func=_compact)
    elements = sub.add_parser(
        "elements", help="pedestrian-network elements by kind and state: demo | PATH"
    )
    elements.add_argument("source", help="demo or a .osm/.osm.pbf/.graphml file")
    elements.add_argument(
        "--audits", action="store_true",
        help="attach the database's facilities (within the snap_limit_m setting)",
    )
    elements.add_argument("--json", action="store_true", help="print JSON")
    elements.set_defaults(func=_elements)


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


def _compact(args: argparse.Namespace) -> int:
    import time

    from audit.settings import get_settings
    from geodata.compact import resolve_compact, resolve_walk

    settings = get_settings()
    source = str(args.source if args.source is not None else settings.network_source)
    t0 = time.perf_counter()
    if args.walk or args.dem is not None:
        dem = settings.dem_file if args.dem is None else args.dem
        net = resolve_walk(source, settings.data_dir, settings.cache_dir, dem=dem)
    else:
        net = resolve_compact(source, settings.data_dir, settings.cache_dir)
    print(f"{net.number_of_nodes()} nodes, {net.number_of_edges()} edges "
          f"({net.graph.get('provenance_label_en', '')}) ready in "
          f"{time.perf_counter() - t0:.2f} s; cache folder {settings.cache_dir}")
    if net.graph.get("dem_sha256"):
        g = net.graph
        print(f"inclines from the elevation model {g['dem_name']} (pixel {g['dem_pixel_m']} m, "
              f"sampled every {g['dem_spacing_m']} m): {g['dem_edges']} of "
              f"{net.number_of_edges()} edges")
    return 0


def _elements(args: argparse.Namespace) -> int:
    import pandas as pd

    from audit.settings import get_settings
    from geodata.pedestrian import element_states, load_walk_network, network_elements

    G = load_walk_network(args.source)
    attached_n = None
    if args.audits:
        from audit.cli._shared import unit_of_work
        from audit.network_attach import network_state

        with unit_of_work() as repo:
            attached, states = network_state(repo, G, snap_limit_m=get_settings().snap_limit_m)
        attached_n = int(attached["attached"].sum())
    else:
        from audit.network_attach import load_attach_rules

        none = pd.DataFrame(columns=["element_id", "facility_id", "verdict", "failing_clauses"])
        states = element_states(
            network_elements(G), none, verdict_order=load_attach_rules().verdict_order
        )
    table = states.groupby(["kind", "state"]).size().unstack(fill_value=0)
    summary = {
        "label_zh": G.graph.get("provenance_label_zh"),
        "label_en": G.graph.get("provenance_label_en"),
        "elements": {
            str(kind): {str(state): int(n) for state, n in row.items()}
            for kind, row in table.iterrows()
        },
        "facilities_attached": attached_n,
    }
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print(f"{summary['label_zh']} / {summary['label_en']}")
        for kind, counts in summary["elements"].items():
            print(f"{kind}: " + ", ".join(f"{s} {n}" for s, n in counts.items()))
        if attached_n is not None:
            print(f"facilities attached: {attached_n}")
    return 0
