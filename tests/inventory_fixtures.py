"""A synthetic OSM file for the inventory tests (written here, not OSM data)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import networkx as nx
import osmium

DISTRICT = "441702"
STAMP = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


def _crossings(walk: nx.MultiDiGraph, n: int) -> list[tuple[int, float, float]]:
    import geodata

    nodes = [(k, d["x"], d["y"]) for k, d in walk.nodes(data=True)
             if d.get("highway") == "crossing"]
    codes = geodata.district_of_many([x for _, x, _ in nodes], [y for _, _, y in nodes],
                                     outside="none")
    inside = [p for p, c in zip(nodes, codes, strict=True) if c == DISTRICT]
    inside.sort(key=lambda p: (p[1], p[2]))
    return inside[:n]


def write_synthetic_pbf(path: Path, walk: nx.MultiDiGraph, *, drop_last: bool = False,
                        toilet_tag: str = "yes") -> Path:
    """A SYNTHETIC OSM file in Yangjiang: crossings and kerbs on demo-network crossing nodes (made
    up here, not OSM data), one toilet, one disabled parking space (a way), one entrance, and
    one car park with only wheelchair=yes (not counted)."""
    pts = _crossings(walk, 14)
    if drop_last:
        pts = pts[:-1]
    writer = osmium.SimpleWriter(str(path), overwrite=True)
    try:
        oid = 1000
        for i, (_, lon, lat) in enumerate(pts):
            tags = {"highway": "crossing", "crossing": "traffic_signals",
                    "traffic_signals:sound": "yes" if i % 2 else "no"}
            if i < 3:
                tags["kerb"] = "lowered"
            writer.add_node(osmium.osm.mutable.Node(id=oid + i, location=(lon, lat), tags=tags,
                                                    version=3, timestamp=STAMP))
        lon0, lat0 = pts[0][1], pts[0][2]
        extra = [
            (2001, {"amenity": "toilets", "wheelchair": toilet_tag}),
            (2002, {"entrance": "main", "wheelchair": "limited"}),
            (2003, {"amenity": "parking", "wheelchair": "yes"}),
            (2004, {"entrance": "main"}),  # no wheelchair tag: not an item
        ]
        for k, (nid, tags) in enumerate(extra):
            writer.add_node(osmium.osm.mutable.Node(id=nid, location=(lon0 + 0.001 * (k + 1),
                                                                      lat0), tags=tags))
        corners = [(3001, lon0, lat0 + 0.001), (3002, lon0 + 0.0001, lat0 + 0.001),
                   (3003, lon0 + 0.0001, lat0 + 0.0011)]
        for nid, x, y in corners:
            writer.add_node(osmium.osm.mutable.Node(id=nid, location=(x, y), tags={}))
        writer.add_way(osmium.osm.mutable.Way(
            id=4001, nodes=[3001, 3002, 3003, 3001],
            tags={"amenity": "parking_space", "parking_space": "disabled"}))
    finally:
        writer.close()
    return path


