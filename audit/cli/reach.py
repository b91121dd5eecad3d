"""``python -m audit reach ...``: reach per district × profile × destination category (issue 14 §4).

- ``reach [--network demo|PATH] [--dem TIF] [--destinations CSV] [--limit M] [--audits]``: the
  share of network nodes that reach a key destination within ``M`` metres (default: setting
  ``reach_limit_m``) for each profile, beside the unconstrained network;
- ``--barriers N``: also the N barriers whose fix restores the most reach, with the method;
- ``--json``: the rows as data.

The last line says what the data is: a synthetic network or destinations, or an OpenStreetMap
sample that is not Yangjiang.
"""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "reach", help="reach of key destinations per district and profile, and barrier impact"
    )
    parser.add_argument(
        "--network", default="demo", help="demo (synthetic, default) or a .osm/.osm.pbf/.graphml"
    )
    parser.add_argument(
        "--dem", default="", metavar="FILE",
        help="elevation model (GeoTIFF) for inclines where OSM has none (default: none)",
    )
    parser.add_argument("--destinations", help="key destinations CSV (category,name,lon,lat)")
    parser.add_argument("--limit", type=float, default=None, help="reach limit in metres")
    parser.add_argument(
        "--audits", action="store_true", help="attach the database's audited facilities"
    )
    parser.add_argument("--barriers", type=int, default=0, metavar="N",
                        help="also list the N barriers whose fix restores the most reach")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    parser.set_defaults(func=_reach)


def _reach(args: argparse.Namespace) -> int:
    from audit.errors import InputError, Problem
    from audit.frames import frame_rows
    from audit.priority import load_destinations
    from audit.reach import barrier_impacts, city_reach
    from audit.routes import routing_for
    from audit.settings import get_settings
    from geodata.elevation import add_dem_inclines, dem_path
    from geodata.pedestrian import load_walk_network

    if not 0 <= args.barriers <= 10_000:
        raise InputError(Problem("--barriers", args.barriers, "a whole number 0–10,000"))
    dest = load_destinations(args.destinations) if args.destinations else load_destinations()
    G = load_walk_network(args.network)
    dem = dem_path(args.dem)
    if dem is not None:
        add_dem_inclines(G, dem)
    snap = get_settings().snap_limit_m
    if args.audits:
        from audit.cli._shared import unit_of_work

        with unit_of_work() as repo:
            net = routing_for(repo, G, snap_limit_m=snap)
    else:
        net = routing_for(None, G, snap_limit_m=snap)
    report = city_reach(net, destinations=dest, limit_m=args.limit)
    table = report.table
    top = barrier_impacts(net, destinations=dest, limit_m=report.limit_m).head(args.barriers) \
        if args.barriers else None
    label = f"{report.label_zh} / {report.label_en}"
    if report.destinations_synthetic:
        label += " — key destinations: synthetic demo data / 关键目的地为合成演示数据"
    if args.json:
        out = {
            "limit_m": report.limit_m, "weighting": "nodes", "label": label,
            "synthetic": report.network_synthetic or report.destinations_synthetic,
            "provenance": report.provenance, "unsnapped_destinations": dict(report.unsnapped),
            "rows": [
                {k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
                for row in table.drop(columns=["district_zh", "profile_zh"]).to_dict("records")
            ],
            "barriers": [] if top is None else [
                {k: getattr(r, k) for k in ("element_id", "kind", "state", "profile_id",
                                            "rules", "method")}
                | {"restored_nodes": int(r.restored_nodes)}
                for r in frame_rows(top)
            ],
        }
        print(json.dumps(out, ensure_ascii=False, indent=2, allow_nan=False, default=str))
        return 0
    print(f"reach within {report.limit_m:g} m (share of network nodes; unconstrained network "
          "beside it)")
    print("district | profile | category | reached | unconstrained | lost")
    for r in table.itertuples():
        share = "—" if r.nodes == 0 else f"{r.share:.1%}"
        base = "—" if r.nodes == 0 else f"{r.share_unconstrained:.1%}"
        print(f"{r.district_en} | {r.profile_en} | {r.category} | {share} ({r.reached}/{r.nodes})"
              f" | {base} ({r.reached_unconstrained}) | {r.lost}")
    for cat, n in sorted(report.unsnapped.items()):
        if n:
            print(f"{n} {cat} destination(s) farther than {get_settings().snap_limit_m:g} m from "
                  "the network: left out")
    if top is not None:
        print(f"barriers whose fix restores the most reach ({top.attrs.get('method', '')}; "
              "(node, category) pairs newly within the limit)")
        for b in frame_rows(top):
            print(f"{b.element_id} | {b.kind} | {b.state} | {b.profile_id} | {b.rules} | "
                  f"{int(b.restored_nodes)}")
    print(label)
    return 0
