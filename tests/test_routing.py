"""Accessible routes per profile (issue 14 §2-3) on small real subgraphs, checked by hand.

The subgraph is a 500 m × 330 m box of central Helsinki (around Mannerheimintie / Simonkatu /
Aleksanterinkatu) cut from the real extract tests/data/osm/Helsinki.osm.pbf — not Yangjiang.
Facts checked by hand in the raw OSM file (and asserted below with pyosmium):

- crossings 313959336, 4436834983 and 297679985 are ``crossing=traffic_signals`` with
  ``traffic_signals:sound=yes``; 313554167 and 313972692 are signalised without a sound tag;
- node 189435774 is reached only by a 38 m ``highway=steps`` way from node 189436169.

Every route is also checked against networkx ``shortest_path_length`` with the same weights.
"""

from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from conftest import data_path

from audit.cli import main as cli_main
from audit.routes import resolve_place
from geodata.coords import from_wgs84
from geodata.errors import InputError
from geodata.network import _longest_present_run
from geodata.pedestrian import load_walk_network, network_elements
from geodata.profiles import (
    PROFILES_FILE,
    load_profiles,
    parse_incline,
    parse_profiles,
    parse_width,
)
from geodata.routing import RoutingNetwork, route, routing_network

osmium = pytest.importorskip("osmium", reason="reading .osm.pbf needs the osmium package")

BOX = (24.9360, 60.1680, 24.9450, 60.1710)  # west, south, east, north
AUDIBLE = (313959336, 4436834983, 297679985)
SILENT_SIGNALS = (313554167, 313972692)
A_BLIND, B_BLIND = 313959319, 5555352087  # Mannerheimintie -> Aleksanterinkatu
STEPS_FROM, STEPS_TO = 189436169, 189435774


def _clip(
    src: Path, dst: Path, box: tuple[float, float, float, float]
) -> dict[int, dict[str, str]]:
    """Write the highway ways of ``src`` inside ``box`` (each cut to its longest run of nodes
    inside) with their nodes to ``dst``; return the raw tags of the nodes written."""
    w, s, e, n = box
    inside: dict[int, Any] = {}
    for o in osmium.FileProcessor(str(src), osmium.osm.NODE):
        if w <= o.location.lon <= e and s <= o.location.lat <= n:
            inside[o.id] = osmium.osm.mutable.Node(
                id=o.id,
                location=osmium.osm.Location(o.location.lon, o.location.lat),
                tags=dict(o.tags),
                version=1,
            )
    ways, used = [], set()
    for o in osmium.FileProcessor(str(src), osmium.osm.WAY):
        if "highway" not in o.tags:
            continue
        run = _longest_present_run([r.ref for r in o.nodes], set(inside))
        if len(run) >= 2:
            ways.append(osmium.osm.mutable.Way(id=o.id, nodes=run, tags=dict(o.tags), version=1))
            used.update(run)
    with osmium.SimpleWriter(str(dst), overwrite=True) as writer:
        for i in sorted(used):
            writer.add_node(inside[i])
        for way in ways:
            writer.add_way(way)
    return {i: dict(inside[i].tags) for i in used}


@pytest.fixture(scope="module")
def box_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[int, dict[str, str]]]:
    out = tmp_path_factory.mktemp("helsinki") / "box.osm"
    return out, _clip(data_path("osm", "Helsinki.osm.pbf"), out, BOX)


@pytest.fixture(scope="module")
def box(box_file) -> tuple[nx.MultiDiGraph, dict[int, dict[str, str]]]:
    return load_walk_network(box_file[0]), box_file[1]


@pytest.fixture(scope="module")
def profiles() -> dict[str, Any]:
    return load_profiles()


def _ll(G: nx.MultiDiGraph, n: int) -> tuple[float, float]:
    return (G.nodes[n]["x"], G.nodes[n]["y"])


def _crossed(r: Any) -> set[str]:
    return {f.element_id for s in r.steps for f in s.features}


def _nx_cost(net: RoutingNetwork, profile: Any, a: Any, b: Any) -> float:
    """The same weights in a networkx DiGraph (cheapest parallel edge), blocked edges removed."""
    w = net.weights(profile)
    D = nx.DiGraph()
    idx = net.idx
    for e in np.flatnonzero(np.isfinite(w.weight)):
        u, v = idx.node_ids[idx.edge_u[e]], idx.node_ids[idx.edge_v[e]]
        if u == v:
            continue
        cost = max(float(w.weight[e]), 1e-9)
        if not D.has_edge(u, v) or D[u][v]["w"] > cost:
            D.add_edge(u, v, w=cost)
    try:
        return float(nx.shortest_path_length(D, a, b, weight="w"))
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        return math.inf


# ----------------------------------------------------------------------------- hand-checked routes


def test_the_box_is_real_osm_not_yangjiang(box) -> None:
    G, raw = box
    assert G.graph["provenance"] == "osm_not_yangjiang"
    for n in AUDIBLE:
        assert raw[n]["crossing"] == "traffic_signals" and raw[n]["traffic_signals:sound"] == "yes"
    for n in SILENT_SIGNALS:
        assert raw[n]["crossing"] == "traffic_signals" and "traffic_signals:sound" not in raw[n]
    steps = [d for u, v, d in G.edges(data=True) if {u, v} == {STEPS_FROM, STEPS_TO}]
    assert steps and all(d["highway"] == "steps" for d in steps)


def test_blind_profile_prefers_crossings_with_audible_signals(box, profiles) -> None:
    G, raw = box
    net = routing_network(G)
    blind = profiles["blind_low_vision"]
    r = net.route(blind, _ll(G, A_BLIND), _ll(G, B_BLIND))
    assert r.found and r.attrs["provenance"] == "osm_not_yangjiang"
    # the unconstrained shortest path (347 m) crosses signalised crossings without sound;
    # the blind route (399 m) takes the three crossings with audible signals instead
    assert r.shortest_length_m == pytest.approx(347.2, abs=1.0)
    assert r.length_m == pytest.approx(399.0, abs=1.0)
    assert r.extra_m == pytest.approx(r.length_m - r.shortest_length_m)
    assert {f"node/{n}" for n in AUDIBLE} <= _crossed(r)
    assert not {f"node/{n}" for n in SILENT_SIGNALS} & _crossed(r)
    avoided = {(h.element_id, h.rule_id) for h in r.avoided}
    assert {(f"node/{n}", "no_audible_signal") for n in SILENT_SIGNALS} <= avoided
    assert all(h.cites for h in r.avoided)
    # the preference alone (only the audible-signal rule) finds another way (398 m, through
    # Hansatunneli) whose every signalised crossing has an audible signal
    data = tomllib.loads(PROFILES_FILE.read_text("utf-8"))
    only = next(p for p in data["profile"] if p["id"] == "blind_low_vision")
    only["rule"] = [x for x in only["rule"] if x["id"] == "no_audible_signal"]
    alone = parse_profiles({"version": "t", "profile": [only]})["blind_low_vision"]
    r2 = net.route(alone, _ll(G, A_BLIND), _ll(G, B_BLIND))
    signals = [
        raw[int(e.split("/")[1])]
        for e in _crossed(r2)
        if e.startswith("node/")
        and raw.get(int(e.split("/")[1]), {}).get("crossing") == "traffic_signals"
    ]
    assert len(signals) >= 2 and all(t["traffic_signals:sound"] == "yes" for t in signals)
    assert not {f"node/{n}" for n in SILENT_SIGNALS} & _crossed(r2)
    assert r2.cost_m == pytest.approx(_nx_cost(net, alone, A_BLIND, B_BLIND))


def _without(profile_id: str, *rule_ids: str) -> Any:
    """A bundled profile without some rules (to see one rule's effect alone)."""
    data = tomllib.loads(PROFILES_FILE.read_text("utf-8"))
    raw = next(p for p in data["profile"] if p["id"] == profile_id)
    raw["rule"] = [x for x in raw["rule"] if x["id"] not in rule_ids]
    return parse_profiles({"version": "test", "profile": [raw]})[profile_id]


KERB = 313972684  # signalised crossing on Mannerheimintie, no kerb tag in OSM
KERB_FROM, KERB_TO = 401354505, 288883172  # 30.2 m across it; 35.9 m by the next crossing


def test_wheelchair_avoids_a_raised_kerb_from_osm_tags_or_from_an_audit(box, profiles) -> None:
    G, _ = box
    # the unknown-crossing penalty is left out to see the kerb rule alone
    wheel = _without("manual_wheelchair", "unknown_crossing")
    ends = (_ll(G, KERB_FROM), _ll(G, KERB_TO))
    lowered, raised = G.copy(), G.copy()
    lowered.nodes[KERB]["kerb"] = "lowered"  # tagged as OSM tags kerbs, on copies of the box
    raised.nodes[KERB]["kerb"] = "raised"
    ok = routing_network(lowered).route(wheel, *ends)
    assert KERB in ok.nodes
    assert ok.length_m == pytest.approx(ok.shortest_length_m) == pytest.approx(30.2, abs=0.5)
    r = routing_network(raised).route(wheel, *ends)
    assert r.found and KERB not in r.nodes and 297679985 in r.nodes
    assert r.length_m == pytest.approx(35.9, abs=0.5) and r.extra_m == pytest.approx(5.7, abs=0.5)
    assert (f"node/{KERB}", "raised_kerb") in {(h.element_id, h.rule_id) for h in r.avoided}
    assert r.cost_m == pytest.approx(_nx_cost(routing_network(raised), wheel, KERB_FROM, KERB_TO))
    full = routing_network(raised).route(profiles["manual_wheelchair"], *ends)
    assert KERB not in full.nodes
    # the crossing untagged, but an audited curb ramp attached to it fails 2.10.2 (lip 0 mm)
    E = network_elements(G)
    states = pd.DataFrame(
        {
            "element_id": E["element_id"],
            "state": RoutingNetwork(G).state,
            "failing_clauses": [()] * len(E),
        }
    )
    at = states.index[states.element_id == f"node/{KERB}"][0]
    states.at[at, "state"] = "audited"
    states.at[at, "failing_clauses"] = ("GB 55019-2021 2.10.2 (curb_ramp.lip)",)
    r2 = RoutingNetwork(G, states).route(wheel, *ends)
    assert r2.nodes == r.nodes
    assert (f"node/{KERB}", "curb_ramp_fails_2_10") in {
        (h.element_id, h.rule_id) for h in r2.avoided
    }
    # a failure outside 2.10 (a tactile-paving clause) does not block a wheelchair
    states.at[at, "failing_clauses"] = ("GB 55019-2021 2.11.2 (tactile_paving.unobstructed)",)
    r3 = RoutingNetwork(G, states).route(wheel, *ends)
    assert KERB in r3.nodes and r3.length_m == pytest.approx(30.2, abs=0.5)


def test_no_accessible_route_behind_steps(box, profiles) -> None:
    G, _ = box
    net = routing_network(G)
    r = net.route(profiles["manual_wheelchair"], _ll(G, STEPS_FROM), _ll(G, STEPS_TO))
    assert not r.found and r.reason == "no_accessible_route"
    assert math.isnan(r.length_m) and r.steps == []
    assert r.shortest_length_m == pytest.approx(37.8, abs=0.5)
    assert [(h.kind, h.rule_id) for h in r.blocking] == [("steps_way", "steps")]
    assert "GB 55019-2021 2.2.1" in r.blocking[0].cites
    assert math.isinf(_nx_cost(net, profiles["manual_wheelchair"], STEPS_FROM, STEPS_TO))
    # a walker takes the steps, at a cost it is told about
    w = net.route(profiles["walker"], _ll(G, STEPS_FROM), _ll(G, STEPS_TO))
    assert w.found and w.extra_m == pytest.approx(0.0)
    assert [s.action for s in w.steps] == ["steps"]
    assert [(h.kind, h.rule_id) for h in w.passed_costs] == [("steps_way", "steps")]


def test_routes_match_networkx_with_the_same_weights(box, profiles) -> None:
    G, _ = box
    net = routing_network(G)
    rng = np.random.default_rng(14)
    ids = net.idx.node_ids
    checked = 0
    for a, b in rng.integers(0, len(ids), (12, 2)):
        for profile in profiles.values():
            r = net.route(profile, _ll(G, ids[a]), _ll(G, ids[b]))
            expected = _nx_cost(net, profile, ids[a], ids[b])
            if r.found:
                assert r.cost_m == pytest.approx(expected, rel=1e-9, abs=1e-6)
                assert r.nodes[0] == ids[a] and r.nodes[-1] == ids[b]
                assert r.length_m >= r.shortest_length_m - 1e-6
                assert sum(s.length_m for s in r.steps) == pytest.approx(r.length_m)
                checked += 1
            else:
                assert math.isinf(expected)
    assert checked > 30


def test_route_reports_unknown_elements_and_unknown_incline(box, profiles) -> None:
    G, _ = box
    wheel = _without("manual_wheelchair", "unknown_crossing")
    r = route(G, wheel, _ll(G, KERB_FROM), _ll(G, KERB_TO))
    # the crossing there is signalised but nothing says what its kerb is like: reported unknown
    assert f"node/{KERB}" in {h.element_id for h in r.unknown}
    assert r.unknown and all(h.state == "unknown" for h in r.unknown)
    assert {h.kind for h in r.unknown} <= wheel.report_unknown
    # no incline tags here and no elevation model: the whole length's incline is unknown
    assert r.incline_checked and r.incline_unknown_m == pytest.approx(r.length_m)
    assert r.steps[0].turn == "start" and all(s.turn != "start" for s in r.steps[1:])


def test_route_refuses_points_far_from_the_network(box, profiles) -> None:
    G, _ = box
    with pytest.raises(InputError) as err:
        route(G, profiles["walker"], (24.90, 60.10), _ll(G, B_BLIND), max_snap_m=100)
    assert err.value.problems[0].field == "origin"
    with pytest.raises(InputError) as err:
        route(G, profiles["walker"], _ll(G, A_BLIND), (200.0, 60.0))
    assert "destination" in str(err.value)


def test_west_oakland_route_is_labelled_not_yangjiang(profiles) -> None:
    G = load_walk_network(data_path("osm", "West-Oakland.osm.bz2"))
    nodes = list(G.nodes)
    r = route(G, profiles["powered_wheelchair"], _ll(G, nodes[0]), _ll(G, nodes[-1]))
    assert r.attrs["provenance"] == "osm_not_yangjiang"
    assert r.attrs["provenance_label_en"].endswith("not Yangjiang")
    assert r.found == math.isfinite(r.cost_m)


# ----------------------------------------------------------------------------- the profiles file


def test_profiles_file_has_the_four_profiles_and_cites_known_clauses(profiles) -> None:
    assert set(profiles) == {
        "manual_wheelchair",
        "powered_wheelchair",
        "blind_low_vision",
        "walker",
    }
    checklist = data_path("standards", "gb55019-checklist.md").read_text("utf-8")
    for p in profiles.values():
        assert p.name_zh and p.name_en and p.rules
        for rule in p.rules:
            assert rule.source and rule.basis in {"code", "osm", "peer", "project"}
            for clause in rule.clauses:
                number = clause.split(" ")[-1]
                assert f"**{number}**" in checklist or f" {number} " in checklist, clause
    wheel = {r.id: r for r in profiles["manual_wheelchair"].rules}
    assert wheel["too_steep"].incline_above_pct == pytest.approx(100 / 12, abs=0.01)  # 1:12
    assert (
        wheel["raised_kerb"].effect == "block"
        and "GB 55019-2021 2.10.2" in wheel["raised_kerb"].cites
    )
    assert wheel["narrow"].width_below_m == 1.20
    assert not any(r.effect == "block" for r in profiles["blind_low_vision"].rules)


def _profiles_data() -> dict[str, Any]:
    return tomllib.loads(PROFILES_FILE.read_text("utf-8"))


@pytest.mark.parametrize(
    ("edit", "field", "allowed"),
    [
        (lambda d: d["profile"][0]["rule"][0].update(effect="forbid"), "effect", "block"),
        (lambda d: d["profile"][0]["rule"][0].update(kinds=["stairs"]), "kinds", "steps_way"),
        (lambda d: d["profile"][0]["rule"][0].update(cites=["GB 55019 2.2.1"]), "cites", "clauses"),
        (lambda d: d["profile"][0]["rule"][0].update(basis="memory"), "basis", "code"),
        (lambda d: d["profile"][0]["rule"][0].update(source=" "), "source", "sentence"),
        (lambda d: d["profile"][0]["rule"][0].update(add_m=5.0), "effect", "no add_m"),
        (
            lambda d: d["profile"][0]["rule"][4].update(incline_above_pct=-1),
            "incline_above_pct",
            "0 <",
        ),
        (lambda d: d["profile"][0]["rule"][5].update(multiplier=0.5), "multiplier", "1 <="),
        (
            lambda d: d["profile"][0]["rule"][5].update(multiplier=float("nan")),
            "multiplier",
            "1 <=",
        ),
        (lambda d: d["profile"][0]["rule"][7].update(add_m=0, state="maybe"), "state", "unknown"),
        (
            lambda d: d["profile"][2]["rule"][4].update(multiplier=1.5),
            "multiplier",
            "0 < value < 1",
        ),
        (lambda d: d["profile"][0]["rule"][1].update(tags=["kerb"]), "tags", "key=value"),
        (
            lambda d: d["profile"][0]["rule"][2].update(failing_clauses=["2.10"]),
            "failing_clauses",
            "GB",
        ),
        (lambda d: d["profile"][0]["rule"][0].update(colour="red"), "colour", "fields"),
        (lambda d: d["profile"][1].update(id="manual_wheelchair"), "id", "new"),
        (lambda d: d["profile"][0].update(report_unknown=["bridge"]), "report_unknown", "crossing"),
        (lambda d: d["profile"][0]["rule"][1].update(id="steps"), "id", "not used before"),
        (lambda d: d.update(profile=[]), "profile", "one or more"),
    ],
)
def test_bad_profile_files_are_refused_naming_field_value_and_allowed(edit, field, allowed) -> None:
    data = _profiles_data()
    edit(data)
    with pytest.raises(InputError) as err:
        parse_profiles(data, "edited")
    assert any(p.field.endswith(field) and allowed in p.allowed for p in err.value.problems), (
        err.value.problems
    )


def test_every_problem_of_a_profile_file_is_reported_at_once(tmp_path: Path) -> None:
    data = _profiles_data()
    data["profile"][0]["rule"][0]["effect"] = "forbid"
    data["profile"][3]["rule"][1]["basis"] = "guess"
    with pytest.raises(InputError) as err:
        parse_profiles(data)
    fields = [p.field for p in err.value.problems]
    assert "profile manual_wheelchair.rule[0].effect" in fields
    assert "profile walker.rule[1].basis" in fields
    bad = tmp_path / "profiles.toml"
    bad.write_text("version = \n", "utf-8")
    with pytest.raises(InputError, match="valid UTF-8 TOML"):
        load_profiles(bad)
    with pytest.raises(InputError, match="an existing TOML file"):
        load_profiles(tmp_path / "missing.toml")


@pytest.mark.parametrize(
    ("text", "pct"),
    [
        ("8%", 8.0),
        ("-12.5%", 12.5),
        ("5,5 %", 5.5),
        ("45°", 100.0),
        ("up", None),
        ("down", None),
        (None, None),
        ("steep", None),
    ],
)
def test_incline_tags_read_as_percent_or_unknown(text, pct) -> None:
    got = parse_incline(text)
    assert got == (pytest.approx(pct) if pct is not None else None)


@pytest.mark.parametrize(
    ("text", "m"), [("1.5", 1.5), ("2 m", 2.0), ("120 cm", 1.2), ("0", None), ("wide", None)]
)
def test_width_tags_read_in_metres(text, m) -> None:
    got = parse_width(text)
    assert got == (pytest.approx(m) if m is not None else None)


# ----------------------------------------------------------------------------- CLI and words


def _lonlat(G: nx.MultiDiGraph, n: int) -> str:
    return f"{G.nodes[n]['x']},{G.nodes[n]['y']}"


def test_cli_route_prints_the_steps_in_words(box, box_file, capsys) -> None:
    G, _ = box
    args = ["route", "--network", str(box_file[0]), "--profile", "blind_low_vision"]
    ends = ["--from", _lonlat(G, A_BLIND), "--to", _lonlat(G, B_BLIND)]
    assert cli_main([*args, *ends, "--lang", "en"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert (
        out[0]
        == "Route for Blind or low vision: 399 m, 52 m longer than the shortest path (347 m)."
    )
    assert "2. Turn right and walk 6 m along Simonkatu." in out
    assert "   – crossing: traffic signals, audible signal." in out
    assert "Barriers avoided (on the shortest path, not on this route):" in out
    assert out[-1] == "Data: OpenStreetMap sample network — not Yangjiang."
    assert cli_main([*args, *ends]) == 0  # Chinese by default
    zh = capsys.readouterr().out.splitlines()
    assert zh[0].startswith(
        "视障（盲人或低视力）路线：全长 399 米"
    ) and "有过街音响提示" in "".join(zh)
    assert zh[-1] == "数据：OpenStreetMap 样例路网（非阳江）。"
    steps = ["--from", _lonlat(G, STEPS_FROM), "--to", _lonlat(G, STEPS_TO)]
    assert cli_main([*args[:-1], "manual_wheelchair", *steps, "--lang", "en", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["found"] is False and data["reason"] == "no_accessible_route"
    assert [r for _, r in data["blocking"]] == ["steps"] and "not Yangjiang" in data["label_en"]
    assert cli_main([*args[:-1], "manual_wheelchair", *steps, "--lang", "en"]) == 0
    text = capsys.readouterr().out
    assert "No accessible route for Manual wheelchair." in text
    assert "steps without a wheelchair ramp (steps; GB 55019-2021 2.2.1" in text


def test_cli_route_refuses_bad_input_and_checks_profile_files(box_file, tmp_path, capsys) -> None:
    net = ["--network", str(box_file[0])]
    assert cli_main(["route", *net, "--profile", "jetpack", "--from", "1,1", "--to", "1,1"]) == 2
    assert "`profile` = 'jetpack'" in capsys.readouterr().err
    assert cli_main(["route", "--profile", "walker", "--from", "x"]) == 2
    assert "`--to`" in capsys.readouterr().err
    far = ["--from", "24.90,60.10", "--to", "24.94,60.169"]
    assert cli_main(["route", *net, "--profile", "walker", *far]) == 2
    err = capsys.readouterr().err
    assert "`origin`" in err and "of the walk network" in err
    bad = tmp_path / "profiles.toml"
    text = PROFILES_FILE.read_text("utf-8").replace(
        'effect = "block"\nkinds = ["steps_way"]', 'effect = "forbid"\nkinds = ["steps_way"]', 1
    )
    bad.write_text(text, "utf-8")
    assert cli_main(["route", "--check-profiles", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "profile manual_wheelchair.rule[0].effect" in err and "'forbid'" in err
    assert cli_main(["route", "--check-profiles", str(PROFILES_FILE)]) == 0
    assert capsys.readouterr().out.startswith("ok: 4 profiles")
    assert cli_main(["route", "--list-profiles"]) == 0
    assert (
        "block raised_kerb [code]: GB 55019-2021 2.10.2, osm:kerb=raised" in capsys.readouterr().out
    )


def test_places_are_typed_by_name_or_in_three_coordinate_systems() -> None:
    places = pd.DataFrame(
        {
            "label": ["Yangjiang", "Yangjiang Hospital", "Pingkang"],
            "kind": ["town", "destination", "town"],
            "lon": [111.96, 111.97, 111.5],
            "lat": [21.85, 21.86, 21.9],
            "is_demo": [False, True, False],
        }
    )
    assert resolve_place("yangjiang", places).kind == "town"  # exact name wins
    assert resolve_place("hospital", places).is_demo is True
    with pytest.raises(InputError, match="one place: 2 match"):
        resolve_place("yang", places, field="--to")
    with pytest.raises(InputError, match="exists"):
        resolve_place("Nowhere", places)
    for bad in ("", "x" * 300, "200, 21"):
        with pytest.raises(InputError):
            resolve_place(bad, places)
    # a point typed in GCJ-02 (高德) or BD-09 (百度) comes back to the same WGS84 point
    lon, lat = 111.9823, 21.8580
    for crs in ("gcj02", "bd09"):
        x, y = from_wgs84(lon, lat, crs)
        p = resolve_place(f"{x:.7f}, {y:.7f}", places, crs=crs)
        assert p.kind == "coordinates"
        assert abs(p.lon - lon) < 1e-5 and abs(p.lat - lat) < 1e-5
    assert resolve_place("111.98，21.86", places).lon == pytest.approx(111.98)
