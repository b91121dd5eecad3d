"""Audited facilities attached to the pedestrian-network elements they serve (issue 14 §1)."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from audit.actors import SYSTEM
from audit.cli import main as cli_main
from audit.errors import InputError
from audit.network_attach import (
    ATTACH_FILE,
    attach_facilities,
    failing_clauses,
    load_attach_rules,
    network_state,
)
from audit.scoring import evaluate
from audit.storage import Database
from geodata.crs import lonlat_to_metric, metric_to_lonlat
from geodata.demo_network import demo_walk_network
from geodata.pedestrian import network_elements

LIMIT_M = 100.0


@pytest.fixture(scope="module")
def walk() -> nx.MultiDiGraph:
    return demo_walk_network()


def _near(lon: float, lat: float, east_m: float) -> tuple[float, float]:
    x, y = lonlat_to_metric(np.array([lon]), np.array([lat]))
    lo, la = metric_to_lonlat(x + east_m, y)
    return float(lo[0]), float(la[0])


def _first(E: pd.DataFrame, kind: str, **tags: str) -> pd.Series:
    rows = E[E.kind == kind]
    for key, value in tags.items():
        rows = rows[rows.tags.map(lambda t, k=key, v=value: t.get(k) == v)]
    return rows.iloc[0]


def test_attach_rules_are_data_and_validated(tmp_path: Path) -> None:
    rules = load_attach_rules()
    assert rules.targets["curb_ramp"][0] == "crossing_node"
    assert rules.targets["tactile_paving"] == ("sidewalk_way", "street_with_sidewalk")
    assert rules.targets["toilet"] == ()
    assert rules.verdict_order[0] == "non_compliant"
    good = ATTACH_FILE.read_text("utf-8")
    cases = {
        "type.toml": (good.replace("toilet = []", "lavatory = []"), "targets.lavatory"),
        "kind.toml": (good.replace('ramp = ["footway_node"]', 'ramp = ["door"]'), "targets.ramp"),
        "order.toml": (good.replace('"incomplete", ', ""), "verdicts.worst_first"),
        "broken.toml": ("[targets\n", "valid UTF-8 TOML"),
    }
    for name, (text, message) in cases.items():
        path = tmp_path / name
        path.write_text(text, "utf-8")
        with pytest.raises(InputError, match=message):
            load_attach_rules(path)
    with pytest.raises(InputError, match="an existing TOML file"):
        load_attach_rules(tmp_path / "missing.toml")


def test_facilities_attach_to_the_element_they_serve(walk: nx.MultiDiGraph) -> None:
    E = network_elements(walk)
    crossing = _first(E, "crossing_node", crossing="traffic_signals")
    street = _first(E, "street_with_sidewalk")
    foot = _first(E, "footway_node")
    rows = [
        (1, "curb_ramp", *_near(crossing.lon, crossing.lat, 4.0)),
        (2, "crossing_signal", *_near(crossing.lon, crossing.lat, -3.0)),
        (3, "tactile_paving", street.lon, street.lat),
        (4, "entrance", *_near(foot.lon, foot.lat, 2.0)),
        (5, "toilet", foot.lon, foot.lat),
        (6, "ramp", *_near(foot.lon, foot.lat, 5000.0)),
    ]
    facilities = pd.DataFrame(
        {
            "facility_id": [r[0] for r in rows],
            "facility_type": [r[1] for r in rows],
            "lon": [r[2] for r in rows],
            "lat": [r[3] for r in rows],
            "verdict": ["non_compliant", "compliant", "unaudited", "compliant", "compliant",
                        "compliant"],
            "failing_clauses": [("GB 55019-2021 2.10.2 (curb_ramp.slope)",), (), (), (), (), ()],
        }
    )
    A = attach_facilities(walk, facilities, snap_limit_m=LIMIT_M).set_index("facility_id")
    assert A.loc[1, "element_id"] == crossing.element_id
    assert A.loc[2, "element_id"] == crossing.element_id
    assert A.loc[1, "distance_m"] == pytest.approx(4.0, abs=0.05)
    assert A.loc[3, "element_kind"] in ("street_with_sidewalk", "sidewalk_way")
    assert A.loc[3, "distance_m"] < 1.0
    assert A.loc[4, "element_kind"] == "footway_node"
    assert A.loc[4, "distance_m"] <= 2.05
    assert not A.loc[5, "attached"] and "not attached" in A.loc[5, "reason"]
    assert not A.loc[6, "attached"] and "limit 100 m" in A.loc[6, "reason"]
    assert A.attrs["provenance"] == "synthetic"
    # bad input names the field
    with pytest.raises(InputError, match="facility_type"):
        attach_facilities(walk, facilities.assign(facility_type="bench"), snap_limit_m=LIMIT_M)
    with pytest.raises(InputError, match="failing_clauses"):
        attach_facilities(walk, facilities.drop(columns="failing_clauses"), snap_limit_m=LIMIT_M)
    with pytest.raises(InputError, match="max_distance_m"):
        attach_facilities(walk, facilities, snap_limit_m=-5)


def test_network_state_from_stored_audits(
    sqlite_db: Database,
    walk: nx.MultiDiGraph,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    E = network_elements(walk)
    crossing = _first(E, "crossing_node", crossing="uncontrolled")
    other = E[(E.kind == "crossing_node") & (E.element_id != crossing.element_id)].iloc[0]
    with sqlite_db.unit_of_work(SYSTEM, write=True) as repo:
        lon, lat = _near(crossing.lon, crossing.lat, 3.0)
        steep = repo.create_facility("curb_ramp", lon, lat, name="test ramp")
        repo.submit_audit(steep.id, evaluate(
            "curb_ramp", {"curb_ramp_type": "full_width", "running_slope_pct": 15.0}))
        # a second audit supersedes the first: the element carries the latest one
        repo.submit_audit(steep.id, evaluate(
            "curb_ramp", {"curb_ramp_type": "full_width", "running_slope_pct": 16.0}))
        lon2, lat2 = _near(other.lon, other.lat, -2.0)
        pending = repo.create_facility("curb_ramp", lon2, lat2, name="not yet audited")
        latest = repo.latest_audit(steep.id)
        assert latest is not None
        expected = {
            f"{f['reference']} ({f['rule_id']})"
            for f in (latest.evaluation or {})["findings"] if f["status"] == "fail"
        }
        assert failing_clauses(repo, [latest.id]) == {latest.id: tuple(sorted(expected))}
        attached, states = network_state(repo, walk, snap_limit_m=LIMIT_M)
    assert expected and any("running_slope" in c or "slope" in c for c in expected)
    A = attached.set_index("facility_id")
    assert A.loc[steep.id, "element_id"] == crossing.element_id
    assert A.loc[pending.id, "element_id"] == other.element_id
    S = states.set_index("element_id")
    one = S.loc[crossing.element_id]
    assert one.state == "audited" and one.verdict == latest.verdict == "non_compliant"
    assert set(one.failing_clauses) == expected and one.facility_ids == (steep.id,)
    two = S.loc[other.element_id]
    assert two.state != "audited" and two.verdict is None
    if two.state == "unknown":
        assert two.reason_code in ("attached_unaudited", "unrecognised_tags")
    else:
        assert two.reason_code == "osm_tags"
    assert set(states.state) <= {"audited", "osm_reported", "unknown"}
    assert (states.state == "audited").sum() == 1
    assert states.attrs["provenance_label_en"] == "synthetic demo network"

    # the CLI gives the same counts, labelled
    monkeypatch.setenv("DATABASE_URL", str(sqlite_db.engine.url))
    from audit.settings import get_settings

    get_settings.cache_clear()
    try:
        assert cli_main(["network", "elements", "demo", "--audits", "--json"]) == 0
    finally:
        get_settings.cache_clear()
    summary = json.loads(capsys.readouterr().out)
    assert summary["label_en"] == "synthetic demo network"
    assert summary["facilities_attached"] == 2
    assert summary["elements"]["crossing_node"]["audited"] == 1
    expected_counts = states[states.kind == "crossing_node"].state.value_counts().to_dict()
    assert summary["elements"]["crossing_node"] == {
        s: int(expected_counts.get(s, 0)) for s in summary["elements"]["crossing_node"]
    }
    assert cli_main(["network", "elements", "/nonexistent/x.osm"]) == 2
    assert "an existing file" in capsys.readouterr().err


def test_route_on_the_demo_network_avoids_a_curb_ramp_that_fails_its_audit(
    sqlite_db: Database, walk: nx.MultiDiGraph
) -> None:
    from audit.routes import describe_route, routing_for
    from geodata.profiles import load_profiles

    wheel = load_profiles()["manual_wheelchair"]
    E = network_elements(walk)
    crossing = _first(E, "crossing_node", crossing="traffic_signals", kerb="lowered")
    node = crossing.node
    before, after = sorted(set(walk.successors(node)))[:2]
    ends = [(walk.nodes[n]["x"], walk.nodes[n]["y"]) for n in (before, after)]
    with sqlite_db.unit_of_work(SYSTEM, write=True) as repo:
        plain = routing_for(repo, walk, snap_limit_m=LIMIT_M).route(wheel, *ends)
        lon, lat = _near(crossing.lon, crossing.lat, 2.0)
        ramp = repo.create_facility("curb_ramp", lon, lat, name="route test ramp")
        repo.submit_audit(ramp.id, evaluate(
            "curb_ramp", {"curb_ramp_type": "full_width", "running_slope_pct": 16.0}))
        net = routing_for(repo, walk, snap_limit_m=LIMIT_M)
    assert node in plain.nodes  # a lowered kerb: the wheelchair crosses here
    r = net.route(wheel, *ends)
    assert node not in r.nodes
    hits = r.avoided if r.found else r.blocking
    got = {(h.rule_id, h.element_id) for h in hits}
    assert ("curb_ramp_fails_2_10", crossing.element_id) in got
    lines = describe_route(r, wheel, "zh-Hans", origin="甲", destination="乙", net=net)
    assert lines[-1] == "数据：演示路网（合成，非OSM）。"
    assert any("督导不合格的缘石坡道" in line for line in lines)
