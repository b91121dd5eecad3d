"""``python -m audit route ...``: an accessible route per profile, told step by step in words.

- ``route --profile manual_wheelchair --from PLACE --to PLACE [--network demo|PATH] [--dem TIF]``:
  PLACE is a facility name, a key destination, a GeoNames town, or ``lon,lat``
  (``--crs wgs84|gcj02|bd09``); ``--dem`` fills inclines from an elevation model;
  ``--audits`` attaches the database's facilities (their verdicts count as the profile says);
  ``--lang zh-Hans|en``; ``--json`` prints the route as data;
- ``route --list-profiles``: the profiles and their rules, with what each cites;
- ``route --check-profiles FILE``: validate an edited profiles file (every problem at once).

Results on the Helsinki / West Oakland extracts say they are not Yangjiang; on the demo network,
that it is synthetic (the last line of the answer).
"""

from __future__ import annotations

import argparse
import json
import math


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "route", help="accessible route per profile (wheelchair, blind, walker), in words"
    )
    parser.add_argument("--profile", help="profile id (see --list-profiles)")
    parser.add_argument("--from", dest="origin", help="place name, town, or 'lon,lat'")
    parser.add_argument("--to", dest="destination", help="place name, town, or 'lon,lat'")
    parser.add_argument(
        "--network", default="demo", help="demo (synthetic, default) or a .osm/.osm.pbf/.graphml"
    )
    parser.add_argument(
        "--dem", default="", metavar="FILE",
        help="elevation model (GeoTIFF) for inclines where OSM has none (default: none)",
    )
    parser.add_argument(
        "--crs", default="wgs84", help="CRS of typed coordinates: wgs84 | gcj02 | bd09"
    )
    parser.add_argument(
        "--audits", action="store_true", help="attach the database's audited facilities"
    )
    parser.add_argument("--lang", default="zh-Hans", help="zh-Hans (default) | en")
    parser.add_argument("--profiles", help="a profiles TOML file (default: the bundled one)")
    parser.add_argument("--json", action="store_true", help="print the route as JSON")
    parser.add_argument("--list-profiles", action="store_true", help="list profiles and rules")
    parser.add_argument("--check-profiles", metavar="FILE", help="validate a profiles file")
    parser.set_defaults(func=_route)


def _route(args: argparse.Namespace) -> int:
    from audit.errors import InputError, Problem
    from geodata.profiles import get_profile, load_profiles

    if args.check_profiles:
        profiles = load_profiles(args.check_profiles)
        rules = sum(len(p.rules) for p in profiles.values())
        print(f"ok: {len(profiles)} profiles, {rules} rules")
        return 0
    if args.list_profiles:
        for p in load_profiles(args.profiles).values():
            print(f"{p.id}: {p.name_zh} / {p.name_en}")
            for r in p.rules:
                cost = "" if r.effect == "block" else f" (+{r.add_m:g} m, x{r.multiplier:g})"
                print(f"  {r.effect}{cost} {r.id} [{r.basis}]: {', '.join(r.cites)}")
        return 0
    missing = [
        Problem(f"--{name}", None, "required for a route")
        for name, value in (("profile", args.profile), ("from", args.origin),
                            ("to", args.destination))
        if not value
    ]
    if missing:
        raise InputError(missing)
    from audit.routes import LANGS, describe_route, place_table, resolve_place, routing_for
    from audit.settings import get_settings
    from geodata.elevation import add_dem_inclines, dem_path
    from geodata.pedestrian import load_walk_network

    if args.lang not in LANGS:
        raise InputError(Problem("--lang", args.lang, f"one of {list(LANGS)}"))
    profile = get_profile(args.profile, args.profiles)
    snap = get_settings().snap_limit_m
    G = load_walk_network(args.network)
    dem = dem_path(args.dem)
    if dem is not None:
        add_dem_inclines(G, dem)
    if args.audits:
        from audit.cli._shared import unit_of_work

        with unit_of_work() as repo:
            places = place_table(repo)
            net = routing_for(repo, G, snap_limit_m=snap)
    else:
        places = place_table()
        net = routing_for(None, G, snap_limit_m=snap)
    a = resolve_place(args.origin, places, crs=args.crs, field="--from")
    b = resolve_place(args.destination, places, crs=args.crs, field="--to")
    route = net.route(profile, (a.lon, a.lat), (b.lon, b.lat), max_snap_m=snap)
    if args.json:
        out = {
            "profile": profile.id, "found": route.found, "reason": route.reason,
            "length_m": route.length_m if route.found else None,
            "shortest_length_m": (
                route.shortest_length_m if math.isfinite(route.shortest_length_m) else None
            ),
            "extra_m": route.extra_m if route.found else None,
            "steps": [
                {"step": s.index, "action": s.action, "turn": s.turn, "name": s.name,
                 "length_m": round(s.length_m, 1), "lon": s.lon, "lat": s.lat}
                for s in route.steps
            ],
            "avoided": [(h.element_id, h.rule_id) for h in route.avoided],
            "blocking": [(h.element_id, h.rule_id) for h in route.blocking],
            "unknown": [h.element_id for h in route.unknown],
            "incline_unknown_m": round(route.incline_unknown_m, 1),
            "incline_dem_m": round(route.incline_dem_m, 1),
            "dem": (route.dem or {}).get("dem_name"),
            "label_zh": route.attrs.get("provenance_label_zh"),
            "label_en": route.attrs.get("provenance_label_en"),
            "synthetic": route.attrs.get("synthetic"),
        }
        print(json.dumps(out, ensure_ascii=False, indent=2, allow_nan=False, default=str))
    else:
        for line in describe_route(
            route, profile, args.lang, origin=a.label, destination=b.label, net=net
        ):
            print(line)
    return 0
