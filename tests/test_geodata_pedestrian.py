"""Pedestrian network (issue 14 §1): tags kept from real OSM extracts, elements, attachment, states.

The expected counts of the Helsinki extract are checked twice: against the raw file, read
independently with pyosmium, and in the loaded network.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest
from conftest import data_path

from audit.errors import InputError
from geodata import pedestrian
from geodata.demo_network import build_demo_network, demo_network, demo_walk_network
from geodata.network import load_network
from geodata.pedestrian import (
    attach_points,
    element_counts,
    element_states,
    load_tag_rules,
    load_walk_network,
    network_elements,
)

osmium = pytest.importorskip("osmium", reason="reading .osm.pbf needs the osmium package")

HELSINKI = ("osm", "Helsinki.osm.pbf")
OAKLAND = ("osm", "West-Oakland.osm.bz2")
VERDICTS = ("non_compliant", "incomplete", "compliant")  # worst first


Tags = dict[str, str]
Raw = tuple[dict[int, Tags], dict[int, tuple[Tags, list[int]]]]


def _raw(path: Path) -> Raw:
    """Every node's tags and every way's tags and node list, read with pyosmium."""
    nodes: dict[int, dict[str, str]] = {}
    ways: dict[int, tuple[dict[str, str], list[int]]] = {}
    for obj in osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY):
        if isinstance(obj, osmium.osm.Node):
            nodes[obj.id] = dict(obj.tags)
        elif isinstance(obj, osmium.osm.Way):
            ways[obj.id] = (dict(obj.tags), [n.ref for n in obj.nodes])
    return nodes, ways


@pytest.fixture(scope="module")
def raw_helsinki() -> Raw:
    return _raw(data_path(*HELSINKI))


@pytest.fixture(scope="module")
def helsinki() -> nx.MultiDiGraph:
    return load_walk_network(data_path(*HELSINKI))


def _edge_osmids(G: nx.MultiDiGraph, key: str, value: str) -> set[int]:
    out: set[int] = set()
    for *_, d in G.edges(data=True):
        if d.get(key) == value:
            ids = d["osmid"] if isinstance(d["osmid"], list) else [d["osmid"]]
            out.update(int(i) for i in ids)
    return out


def test_raw_helsinki_counts_read_independently(raw_helsinki) -> None:
    nodes, ways = raw_helsinki
    assert sum(t.get("highway") == "crossing" for t in nodes.values()) == 620
    assert sum(t.get("footway") == "sidewalk" for t, _ in ways.values()) == 212
    assert sum(t.get("traffic_signals:sound") == "yes" for t in nodes.values()) == 67


def test_helsinki_walk_network_keeps_the_pedestrian_tags(helsinki, raw_helsinki) -> None:
    G = helsinki
    nodes, ways = raw_helsinki
    assert G.graph["provenance"] == "osm_not_yangjiang"
    assert G.graph["provenance_label_en"] == "OpenStreetMap sample network — not Yangjiang"
    assert "非阳江" in G.graph["provenance_label_zh"] and G.graph["synthetic"] is False
    # every crossing and every audible signal of the file is a node of the network, with its tags
    crossing = {n for n, d in G.nodes(data=True) if d.get("highway") == "crossing"}
    assert crossing == {n for n, t in nodes.items() if t.get("highway") == "crossing"}
    assert len(crossing) == 620
    sound = {n for n, d in G.nodes(data=True) if d.get("traffic_signals:sound") == "yes"}
    assert len(sound) == 67
    for n in sound:
        assert G.nodes[n]["traffic_signals:sound"] == nodes[n]["traffic_signals:sound"]
    # ways: every sidewalk / crossing / steps way with two or more nodes inside the extract
    present = set(nodes)
    for key, value in (("footway", "sidewalk"), ("footway", "crossing"), ("highway", "steps")):
        raw = {i for i, (t, _) in ways.items() if t.get(key) == value}
        kept = _edge_osmids(G, key, value)
        inside = {i for i in raw if sum(r in present for r in ways[i][1]) >= 2}
        assert kept == inside, (key, value)
    sidewalks = {i for i, (t, _) in ways.items() if t.get("footway") == "sidewalk"}
    kept = _edge_osmids(G, "footway", "sidewalk")
    assert len(kept) == 200  # the other 12 of the 212 have a single node inside the extract
    assert all(sum(r in present for r in ways[i][1]) == 1 for i in sidewalks - kept)
    # way tags reach the edges unchanged
    for *_, d in G.edges(data=True):
        if d.get("footway") == "sidewalk" and "surface" in d:
            assert d["surface"] == ways[int(d["osmid"])][0]["surface"]
    # every kept tag the file has on a street way or a network node is on the network
    rules = load_tag_rules()
    keys = {k for *_, d in G.edges(data=True) for k in d}
    raw_way_keys = {k for t, _ in ways.values() if "highway" in t for k in t} & set(rules.keep_way)
    assert {"incline", "surface", "width", "wheelchair", "footway"} <= raw_way_keys <= keys
    node_keys = {k for _, d in G.nodes(data=True) for k in d}
    raw_node_keys = {k for n in G.nodes for k in nodes[n]} & set(rules.keep_node)
    assert {"crossing", "tactile_paving", "traffic_signals:sound", "wheelchair"} <= raw_node_keys
    assert raw_node_keys <= node_keys


def test_helsinki_elements_and_states(helsinki) -> None:
    E = network_elements(helsinki)
    counts = element_counts(E)
    assert counts["crossing_node"] == 620
    assert counts["elevator_node"] == 11
    sidewalk_ids = {int(i) for i in E.loc[E.kind == "sidewalk_way", "osmid"]}
    assert len(sidewalk_ids) == 200
    assert E.attrs["provenance"] == "osm_not_yangjiang"
    no_audits = pd.DataFrame(columns=["element_id", "facility_id", "verdict", "failing_clauses"])
    S = element_states(E, no_audits, verdict_order=VERDICTS)
    assert len(S) == len(E) and set(S.state) == {"osm_reported", "unknown"}
    merged = S.merge(E[["element_id", "tags"]], on="element_id")
    audible = merged[merged.tags.map(lambda t: t.get("traffic_signals:sound") == "yes")]
    assert len(audible) == 67 and (audible.state == "osm_reported").all()
    assert audible.evidence.map(lambda e: "traffic_signals:sound=yes" in e).all()
    # an element without any reporting tag is unknown, never assumed
    bare = merged[merged.tags.map(lambda t: set(t) <= {"highway", "crossing", "name"})]
    assert len(bare) and (bare.state == "unknown").all()
    assert S.attrs["provenance_label_en"].endswith("not Yangjiang")


def test_old_loader_reads_the_clipped_helsinki_extract() -> None:
    # ways running out of the extract are cut to the part inside it (osmnx refused them before)
    G = load_network(data_path(*HELSINKI))
    assert G.number_of_nodes() > 1000
    assert G.graph["provenance"] == "osm_not_yangjiang"
    assert G.graph["source_label_en"] == "© OpenStreetMap contributors (ODbL)"


def test_west_oakland_walk_network() -> None:
    path = data_path(*OAKLAND)
    G = load_walk_network(path)
    assert G.graph["provenance"] == "osm_not_yangjiang"
    import bz2
    import xml.etree.ElementTree as ET

    root = ET.fromstring(bz2.decompress(path.read_bytes()))
    sidewalk_ways = {
        int(w.get("id")) for w in root.iter("way")
        if any(t.get("k") == "sidewalk" and t.get("v") == "right" for t in w.iter("tag"))
    }
    footways = {
        int(w.get("id")) for w in root.iter("way")
        if any(t.get("k") == "highway" and t.get("v") == "footway" for t in w.iter("tag"))
    }
    assert len(sidewalk_ways) == 3 and len(footways) == 7
    E = network_elements(G)
    assert {int(i) for i in E.loc[E.kind == "street_with_sidewalk", "osmid"]} == sidewalk_ways
    foot_nodes = set(E.loc[E.kind == "footway_node", "node"])
    expected = {
        n for u, v, d in G.edges(data=True) if d.get("highway") == "footway" for n in (u, v)
    }
    assert expected <= foot_nodes
    # the plain loader labels it the same way
    assert load_network(path).graph["provenance_label_en"].endswith("not Yangjiang")


def test_demo_walk_network_is_synthetic_deterministic_and_tagged() -> None:
    G = demo_walk_network()
    assert G.graph["synthetic"] is True and G.graph["provenance"] == "synthetic"
    assert G.graph["provenance_label_en"] == "synthetic demo network"
    assert load_walk_network("demo").number_of_nodes() == G.number_of_nodes()
    plain = demo_network()
    assert plain.graph["provenance"] == "synthetic"
    # the plain demo network is unchanged: no crossing added to it
    assert not any(d.get("highway") == "crossing" for _, d in plain.nodes(data=True))
    assert nx.is_weakly_connected(G)
    assert G.number_of_nodes() > plain.number_of_nodes()
    # same street length: crossings split streets, they add no length
    total = sum(d["length"] for *_, d in G.edges(data=True))
    plain_total = sum(d["length"] for *_, d in plain.edges(data=True))
    assert total == pytest.approx(plain_total, rel=1e-6)
    again = pedestrian.load_walk_network("demo")
    assert sorted(G.nodes(data=True))[-30:] == sorted(again.nodes(data=True))[-30:]
    E = network_elements(G)
    counts = element_counts(E)
    assert counts["crossing_node"] > 500 and counts["kerb_node"] > 200
    assert counts["street_with_sidewalk"] > 1000 and counts["footway_node"] > 1000
    crossings = E[E.kind == "crossing_node"]
    kerbs = crossings.tags.map(lambda t: t.get("kerb"))
    assert {"lowered", "raised", "flush"} <= set(kerbs.dropna()) and kerbs.isna().any()
    assert all(G.nodes[n].get("synthetic") is True for n in crossings.node)
    S = element_states(
        E, pd.DataFrame(columns=["element_id", "facility_id", "verdict", "failing_clauses"]),
        verdict_order=VERDICTS,
    )
    assert {"osm_reported", "unknown"} <= set(S.state)
    assert S.attrs["synthetic"] is True


def test_plain_demo_network_build_is_unchanged_by_the_walk_variant() -> None:
    before = build_demo_network()
    demo_walk_network()
    after = build_demo_network()
    assert before.number_of_nodes() == after.number_of_nodes()
    assert before.number_of_edges() == after.number_of_edges()


# ----------------------------------------------------------------------------- a small network


@pytest.fixture
def small() -> Iterator[nx.MultiDiGraph]:
    """Four nodes in Jiangcheng along a line running east, about 100 m apart.

    1 crossing (kerb=raised) --sidewalk-- 2 --residential-- 3 --footway-- 4 (kerb=fixme)
    """
    G = nx.MultiDiGraph(crs="EPSG:4326", synthetic=False, provenance="osm_yangjiang",
                        provenance_label_zh="OpenStreetMap 阳江路网",
                        provenance_label_en="OpenStreetMap network of Yangjiang")
    lon0, lat0, step = 111.98, 21.86, 0.001
    tags = {1: {"highway": "crossing", "kerb": "raised"}, 4: {"kerb": "fixme"}}
    for n in range(1, 5):
        G.add_node(n, x=lon0 + (n - 1) * step, y=lat0, **tags.get(n, {}))
    ways = {(1, 2): {"highway": "footway", "footway": "sidewalk", "surface": "paving_stones"},
            (2, 3): {"highway": "residential"}, (3, 4): {"highway": "footway"}}
    for i, ((u, v), d) in enumerate(ways.items()):
        for a, b in ((u, v), (v, u)):
            G.add_edge(a, b, key=0, osmid=100 + i, length=103.3, **d)
    yield G


def test_small_network_elements(small) -> None:
    E = network_elements(small).set_index("element_id")
    assert E.loc["node/1", "kind"] == "crossing_node"
    assert E.loc["node/1", "reported"] == {"kerb": "raised"}
    assert E.loc["node/4", "kind"] == "kerb_node"
    assert E.loc["node/4", "unrecognised"] == {"kerb": "fixme"}
    assert E.loc["node/3", "kind"] == "footway_node"  # ends a footway
    assert "node/2" in E.index  # ends the sidewalk
    edges = E[E.on == "edge"]
    assert list(edges.kind) == ["sidewalk_way"]  # the residential street is no element
    assert edges.iloc[0].reported == {"surface": "paving_stones"}


def test_attach_points_by_type_and_distance(small) -> None:
    lon0, lat0 = 111.98, 21.86
    lons = [lon0 + 0.0001, lon0 + 0.0005, lon0 + 0.002, lon0 + 0.0001, lon0 + 0.0001, lon0]
    lats = [lat0, lat0 + 0.0001, lat0 + 0.0001, lat0, lat0 + 0.01, lat0]
    targets = [
        ["crossing_node", "crossing_way"],  # near node 1 -> the crossing
        ["sidewalk_way"],  # beside the middle of the sidewalk edge
        ["footway_node"],  # near node 3
        ["sidewalk_way"],  # near node 1 but a sidewalk is wanted: the edge
        ["crossing_node"],  # 1.1 km north: too far
        [],  # a type that is not attached
    ]
    A = attach_points(small, lons, lats, targets, max_distance_m=100)
    assert list(A.attached) == [True, True, True, True, False, False]
    assert list(A.element_id[:4]) == ["node/1", "edge/1/2/0", "node/3", "edge/1/2/0"]
    assert list(A.kind[:4]) == ["crossing_node", "sidewalk_way", "footway_node", "sidewalk_way"]
    assert A.distance_m[0] == pytest.approx(10.3, abs=0.3)
    assert A.distance_m[1] == pytest.approx(11.1, abs=0.3)  # to the line, not to a node
    assert A.distance_m[3] == pytest.approx(0.0, abs=0.01)  # on the line
    assert A.distance_m[4] == pytest.approx(1106, abs=5)
    far = f"{A.distance_m[4]:.0f} m away (limit 100 m)"
    assert A.reason[4] == f"the nearest crossing_node element is {far}"
    assert "not attached" in A.reason[5]
    # the limit is inclusive: a point exactly at the limit is attached, just beyond is not
    d = float(A.distance_m[0])
    assert attach_points(small, lons[:1], lats[:1], targets[:1], max_distance_m=d).attached[0]
    assert not attach_points(
        small, lons[:1], lats[:1], targets[:1], max_distance_m=d - 0.01
    ).attached[0]
    # a kind the network lacks
    none = attach_points(small, [lon0], [lat0], [["steps_way"]], max_distance_m=100)
    assert not none.attached[0] and "no steps_way element" in none.reason[0]
    assert A.attrs["provenance"] == "osm_yangjiang"


@pytest.mark.parametrize(
    ("lons", "lats", "targets", "limit", "field"),
    [
        ([111.98], [21.86], [["crossing_nod"]], 100, "targets[0]"),
        ([111.98], [21.86], ["crossing_node"], 100, "targets[0]"),
        ([111.98], [21.86], [["crossing_node"], ["kerb_node"]], 100, "targets"),
        ([111.98], [21.86], [["crossing_node"]], -1, "max_distance_m"),
        ([111.98], [21.86], [["crossing_node"]], float("nan"), "max_distance_m"),
        ([111.98], [21.86], [["crossing_node"]], "far", "max_distance_m"),
        ([float("nan")], [21.86], [["crossing_node"]], 100, "point.lon"),
        ([21.86], [111.98], [["crossing_node"]], 100, "point"),
    ],
)
def test_attach_points_refuses_bad_input(small, lons, lats, targets, limit, field) -> None:
    with pytest.raises(InputError) as err:
        attach_points(small, lons, lats, targets, max_distance_m=limit)
    assert field in str(err.value)


def test_element_states_three_states_and_why(small) -> None:
    E = network_elements(small)
    attached = pd.DataFrame(
        {
            "element_id": ["node/1", "node/1", "edge/1/2/0", "node/3", None],
            "facility_id": [11, 12, 13, 14, 15],
            "verdict": ["compliant", "non_compliant", "unaudited", None, "compliant"],
            "failing_clauses": [(), ("GB 55019-2021 2.10.3",), (), (), ()],
        }
    )
    S = element_states(E, attached, verdict_order=VERDICTS).set_index("element_id")
    one = S.loc["node/1"]
    assert one.state == "audited" and one.verdict == "non_compliant"  # the worst one
    assert one.failing_clauses == ("GB 55019-2021 2.10.3",) and one.facility_ids == (11, 12)
    assert one.reason_code == "audit"
    # the sidewalk has an unaudited facility but a surface tag: OSM-reported
    assert S.loc["edge/1/2/0", "state"] == "osm_reported"
    assert S.loc["edge/1/2/0", "evidence"] == ("surface=paving_stones",)
    # node 3: attached, not audited, no tag -> unknown, saying so
    assert S.loc["node/3", "state"] == "unknown"
    assert S.loc["node/3", "reason_code"] == "attached_unaudited"
    # node 4: kerb=fixme is not a fact -> unknown, naming the value
    assert S.loc["node/4", "reason_code"] == "unrecognised_tags"
    assert S.loc["node/4", "evidence"] == ("kerb=fixme",)
    assert S.loc["node/2", "reason_code"] == "no_evidence"
    assert set(S.state) <= set(pedestrian.STATES)
    # an unknown verdict or missing columns are refused
    with pytest.raises(InputError, match="verdict"):
        element_states(E, attached.assign(verdict="great"), verdict_order=VERDICTS)
    with pytest.raises(InputError, match="failing_clauses"):
        element_states(E, attached.drop(columns="failing_clauses"), verdict_order=VERDICTS)


def test_tag_rules_file_is_validated(tmp_path: Path) -> None:
    rules = load_tag_rules()
    assert "traffic_signals:sound" in rules.keep_node and "footway" in rules.keep_way
    assert rules.values["incline"] is None and "raised" in (rules.values["kerb"] or ())
    good = pedestrian.TAGS_FILE.read_text("utf-8")
    elevator = 'report = ["wheelchair"]\n\n[[kind]]\nid = "crossing_way"'
    cases = {
        "bad_match.toml": (good.replace('match = ["highway=steps"]', 'match = ["highway"]'),
                           "'key=value'"),
        "unknown_report.toml": (good.replace(elevator, elevator.replace("wheelchair", "colour")),
                                "a key listed in [values]"),
        "extra.toml": (good + "\n[surprise]\nx = 1\n", "surprise"),
        "bad_on.toml": (good.replace('on = "edge"', 'on = "area"', 1), "'node' or 'edge'"),
        "broken.toml": ("[keep\n", "valid UTF-8 TOML"),
    }
    for name, (text, message) in cases.items():
        path = tmp_path / name
        path.write_text(text, "utf-8")
        with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]")):
            load_tag_rules(path)
    with pytest.raises(InputError, match="an existing TOML file"):
        load_tag_rules(tmp_path / "missing.toml")
    assert rules.kind_ids[-1] == "footway_node" and "crossing_node" in rules.kind_ids
