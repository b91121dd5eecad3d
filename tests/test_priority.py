"""Retrofit priority: exact knapsack vs greedy, budgets, network importance, candidates."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from bureau_fixtures import WEIGHTS, audit, facility, report

from audit.errors import InputError
from audit.priority import (
    build_candidates,
    greedy_plan,
    load_destinations,
    load_retrofit_params,
    network_distances,
    optimise_plan,
)
from audit.storage import Database
from audit.storage.repository import Repository
from geodata.network import load_network


def _cands(costs: list[float], prios: list[float], districts: list[str] | None = None
           ) -> pd.DataFrame:
    n = len(costs)
    return pd.DataFrame({"candidate_id": [f"C{i}" for i in range(n)], "cost_yuan": costs,
                         "priority": prios, "district_code": districts or ["441702"] * n})


def test_milp_beats_greedy_where_greedy_is_suboptimal() -> None:
    c = _cands([6000, 5000, 5000], [7.0, 5.0, 5.0])
    greedy = greedy_plan(c, 10_000)
    exact = optimise_plan(c, 10_000)
    assert list(greedy.selected.candidate_id) == ["C0"] and greedy.total_priority == 7.0
    assert sorted(exact.selected.candidate_id) == ["C1", "C2"]
    assert exact.total_priority == pytest.approx(10.0) and exact.status == "optimal"
    assert exact.total_cost_yuan <= 10_000


def test_milp_matches_brute_force() -> None:
    rng = np.random.default_rng(3)
    for _ in range(15):
        n = 10
        costs = rng.integers(1, 40, n).astype(float) * 1000
        prios = rng.random(n) * 10
        budget = float(rng.integers(20, 120)) * 1000
        best = max(
            (sum(prios[list(s)]) for k in range(n + 1) for s in itertools.combinations(range(n), k)
             if sum(costs[list(s)]) <= budget), default=0.0)
        plan = optimise_plan(_cands(list(costs), list(prios)), budget)
        assert plan.total_priority == pytest.approx(best, rel=1e-9)
        assert plan.total_cost_yuan <= budget


def test_budget_per_district() -> None:
    c = _cands([5000, 5000, 5000, 5000], [4.0, 3.0, 2.0, 1.0],
               ["441702", "441702", "441704", "441704"])
    plan = optimise_plan(c, {"441702": 5000, "441704": 10_000})
    assert sorted(plan.selected.candidate_id) == ["C0", "C2", "C3"]


@pytest.mark.parametrize("budget", [-5, float("nan"), "lots", True])
def test_bad_budget_is_rejected(budget: object) -> None:
    with pytest.raises(InputError) as exc:
        optimise_plan(_cands([1.0], [1.0]), budget)  # type: ignore[arg-type]
    assert exc.value.problems[0].field == "budget_yuan"
    with pytest.raises(InputError):
        optimise_plan(_cands([1.0], [1.0]), {"441702": -1})


def test_network_distance_is_along_the_streets() -> None:
    G = load_network("demo")
    nodes = list(G.nodes(data=True))
    da, db = nodes[0][1], nodes[40][1]
    d_same = network_distances(G, [da["x"]], [da["y"]], [da["x"]], [da["y"]], 300.0)
    assert d_same[0] == pytest.approx(0.0, abs=1e-6)
    d_ab = network_distances(G, [db["x"]], [db["y"]], [da["x"]], [da["y"]], 300.0)[0]
    from audit.geo import haversine_m

    crow = float(np.asarray(haversine_m(da["x"], da["y"], [db["x"]], [db["y"]]))[0])
    assert np.isfinite(d_ab) and d_ab >= crow * 0.999
    far = network_distances(G, [100.0], [40.0], [da["x"]], [da["y"]], 300.0)
    assert np.isinf(far[0])  # off the network: no location bonus


def test_candidates_from_facilities_and_confirmed_reports(sqlite_db: Database) -> None:
    params = load_retrofit_params()
    G = load_network("demo")
    node = next(iter(G.nodes(data=True)))[1]
    with sqlite_db.session(write=True) as s:
        bad = facility(s, "curb_ramp", "441702")
        audit(s, bad, "non_compliant", {"critical": 1, "minor": 2})
        audit(s, facility(s, "curb_ramp", "441702"), "compliant")
        report(s, "441704", "toilet_unusable", status="confirmed", code="C1")
        report(s, "441704", "toilet_unusable", status="new", code="N1")
        report(s, "441702", "curb_ramp_missing", status="confirmed", facility_id=bad, code="C2")
    dest = pd.DataFrame({"category": ["hospital"], "name": ["h"], "lon": [node["x"]],
                         "lat": [node["y"]], "is_demo": [True]})
    with sqlite_db.session() as s:
        c = build_candidates(Repository(s), G=G, destinations=dest, params=params,
                             weights=WEIGHTS)
    t = c.table.set_index("candidate_id")
    assert sorted(t.index) == ["F1", "R1"]  # new report excluded; C2 covered by facility 1
    f1 = t.loc["F1"]
    unit = params["unit_costs"]["curb_ramp"]
    assert f1.severity == 5 + 2 * 1
    assert f1.cost_yuan == unit["base_yuan"] + 3 * unit["per_item_yuan"]
    assert f1.priority == pytest.approx(
        f1.severity * f1.importance / (f1.cost_yuan / params["unit_yuan"]))
    assert t.loc["R1"].severity == WEIGHTS["major"] and t.loc["R1"].fix_type == "toilet"
    assert c.destinations_synthetic and c.network_synthetic


def test_bundled_destinations_are_labelled_synthetic() -> None:
    d = load_destinations()
    assert d["is_demo"].all() and d["name"].str.contains("synthetic").all()
    assert set(d["category"]) == set(load_retrofit_params()["weights"])


def test_reduction_matches_a_plain_milp_on_a_larger_instance() -> None:
    from scipy.optimize import Bounds, LinearConstraint, milp

    rng = np.random.default_rng(9)
    n = 150
    costs = rng.integers(20, 400, n).astype(float) * 100
    prios = rng.random(n) * 20
    budget = float(costs.sum() / 4)
    plain = milp(c=-prios, constraints=LinearConstraint(costs[None, :], -np.inf, [budget]),
                 integrality=np.ones(n), bounds=Bounds(0, 1), options={"mip_rel_gap": 0.0})
    plan = optimise_plan(_cands(list(costs), list(prios)), budget)
    assert plan.status == "optimal"
    assert plan.total_priority == pytest.approx(-plain.fun, rel=1e-9)
