"""``python -m audit inventory ...``: OpenStreetMap features as the inventory to audit.

- ``import FILE.osm.pbf``: store the OSM-tagged accessibility features of the file (crossings,
  kerbs, toilets and entrances with ``wheelchair=*``, disabled parking) as inventory items
  (rules: ``audit/data/inventory_tags.toml``); re-importing the same file updates it;
- ``list``: the imported source files and the item counts per district and type;
- ``worklist (--district CODE | --source FILE) [--network SRC] [--html OUT] [--xlsform OUT]``:
  the unaudited items as a walking round on the street network, printed, and optionally written
  as a printable HTML page and an ODK/Kobo XLSForm with the items as choices.
"""

from __future__ import annotations

import argparse
import sys

from audit.cli._shared import unit_of_work


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("inventory", help="OSM inventory to audit: import | list | "
                                   "worklist")
    sub = parser.add_subparsers(dest="inventory_command", required=True)
    imp = sub.add_parser("import", help="import the accessibility features of an OSM file")
    imp.add_argument("file", help=".osm.pbf (or .osm / .osm.bz2) file")
    imp.set_defaults(func=_import)
    lst = sub.add_parser("list", help="imported sources and counts per district and type")
    lst.set_defaults(func=_list)
    wl = sub.add_parser("worklist", help="an inspector's walking round of unaudited items")
    where = wl.add_mutually_exclusive_group(required=True)
    where.add_argument("--district", help="441702 | 441704 | 441721 | 441781")
    where.add_argument("--source", help="an imported source file name (items outside Yangjiang)")
    wl.add_argument("--network", help="demo | auto | a .osm/.osm.pbf/.graphml file "
                    "(default: the network_source setting)")
    wl.add_argument("--type", action="append", dest="types", help="only this facility type "
                    "(repeatable)")
    wl.add_argument("--html", help="write a printable HTML worklist here")
    wl.add_argument("--xlsform", help="write an ODK/Kobo XLSForm (.xlsx) with the items here")
    wl.add_argument("--lang", default="zh", choices=["zh", "en"], help="language of the output")
    wl.set_defaults(func=_worklist)


def _import(args: argparse.Namespace) -> int:
    from audit.inventory import PROVENANCE, import_inventory

    with unit_of_work(write=True, upgrade=True) as repo:
        r = import_inventory(repo, args.file)
    print(f"{r.source_file} ({PROVENANCE[r.provenance][1]}): {r.found} inventory items, "
          f"{r.inserted} new, {r.updated} updated, {r.unchanged} unchanged, {r.removed} removed")
    for ftype, n in sorted(r.by_type.items()):
        print(f"  {ftype}: {n}")
    if r.ways_without_location:
        print(f"  {r.ways_without_location} ways left out: none of their nodes is in the file")
    return 0


def _list(args: argparse.Namespace) -> int:
    from audit.inventory import PROVENANCE, inventory_counts, inventory_sources

    with unit_of_work() as repo:
        sources = inventory_sources(repo)
        counts = inventory_counts(repo)
    if sources.empty:
        print("no inventory imported yet: python -m audit inventory import FILE.osm.pbf")
        return 0
    for row in sources.itertuples(index=False):
        print(f"{row.source_file} ({PROVENANCE[str(row.provenance)][1]}): {row.items} items, "
              f"{row.in_districts} inside the four districts")
    for row in counts.itertuples(index=False):
        print(f"  {row.district_code} {row.facility_type}: {row.expected}")
    return 0


def _worklist(args: argparse.Namespace) -> int:
    from audit.inventory import worklist
    from audit.io.worklist import write_worklist_html, write_worklist_xlsform
    from audit.settings import get_settings
    from geodata.pedestrian import load_walk_network

    settings = get_settings()
    source = args.network or settings.network_source
    if source.strip().lower() == "auto":
        from geodata.network import resolve_network

        network = resolve_network(source, settings.data_dir)
    else:
        network = load_walk_network(source)
    with unit_of_work() as repo:
        wl = worklist(repo, network, district_code=args.district, source_file=args.source,
                      facility_types=args.types,
                      progress=lambda m: print(m, file=sys.stderr, flush=True))
    from audit.io.worklist import worklist_lines

    for line in worklist_lines(wl, args.lang):
        print(line)
    if args.html:
        print(write_worklist_html(wl, args.html, lang=args.lang))
    if args.xlsform:
        print(write_worklist_xlsform(wl, args.xlsform))
    return 0
