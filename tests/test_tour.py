"""Walking rounds (geodata.tour): 2-opt never lengthens the round it starts from; a small case
checked by hand; network distances on a tiny graph."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from geodata.errors import InputError
from geodata.tour import (
    nearest_neighbour_order,
    network_distance_matrix,
    plan_round,
    tour_length,
    two_opt,
)


def _line(xs: list[float]) -> np.ndarray:
    x = np.asarray(xs, float)
    return np.abs(x[:, None] - x[None, :])


def test_hand_checked_round_on_a_line() -> None:
    # stops at x = 0, -4, -3, 1, 5 (metres), start at 0.
    # nearest neighbour: 0 → 1 (1 m), then -3 and 5 are both 4 m away: the lower index (-3, stop 2)
    # → -4 (1 m) → 5 (9 m): 15 m. 2-opt: 0 → -4 → -3 → 1 → 5 = 4 + 1 + 4 + 4 = 13 m, the optimum
    # (brute force below).
    d = _line([0, -4, -3, 1, 5])
    rnd = plan_round(d, 0)
    assert rnd.initial_order.tolist() == [0, 3, 2, 1, 4]
    assert rnd.initial_length_m == 15.0
    assert rnd.order.tolist() == [0, 1, 2, 3, 4]
    assert rnd.length_m == 13.0
    best = min(tour_length(d, (0, *p)) for p in itertools.permutations(range(1, 5)))
    assert best == 13.0


def square_matrices(symmetric: bool) -> st.SearchStrategy[np.ndarray]:
    def build(n: int) -> st.SearchStrategy[np.ndarray]:
        values = st.floats(0, 1000, allow_nan=False, allow_infinity=False)
        return arrays(float, (n, n), elements=values)

    def shape(m: np.ndarray) -> np.ndarray:
        m = (m + m.T) / 2 if symmetric else m.copy()
        np.fill_diagonal(m, 0.0)
        return m

    return st.integers(1, 12).flatmap(build).map(shape)


@settings(max_examples=60, deadline=None)
@given(d=st.booleans().flatmap(square_matrices), data=st.data())
def test_round_never_longer_than_its_starting_order(d: np.ndarray, data: st.DataObject) -> None:
    n = d.shape[0]
    start = data.draw(st.integers(0, n - 1))
    first = nearest_neighbour_order(d, start)
    assert sorted(first.tolist()) == list(range(n)) and first[0] == start
    better = two_opt(d, first)
    assert sorted(better.tolist()) == list(range(n)) and better[0] == start
    assert tour_length(d, better) <= tour_length(d, first) + 1e-9
    # from any visiting order, not only nearest neighbour
    shuffled = np.concatenate([[start], data.draw(st.permutations(
        [i for i in range(n) if i != start]))]).astype(int)
    assert tour_length(d, two_opt(d, shuffled)) <= tour_length(d, shuffled) + 1e-9


def test_bad_matrices_and_orders_are_refused() -> None:
    with pytest.raises(InputError, match="square"):
        nearest_neighbour_order(np.zeros((2, 3)))
    with pytest.raises(InputError, match="finite"):
        plan_round(np.array([[0.0, np.inf], [1.0, 0.0]]))
    with pytest.raises(InputError, match="start"):
        nearest_neighbour_order(np.zeros((2, 2)), 5)
    with pytest.raises(InputError, match="exactly once"):
        two_opt(np.zeros((3, 3)), [0, 1, 1])
    assert plan_round(np.zeros((0, 0))).length_m == 0.0


def _tiny_graph() -> nx.MultiDiGraph:
    """Three nodes on a street (a - b - c, 100 m + 200 m) and a detached node d."""
    G = nx.MultiDiGraph(crs="EPSG:4326")
    for n, x in (("a", 111.9800), ("b", 111.9810), ("c", 111.9830), ("d", 111.9900)):
        G.add_node(n, x=x, y=21.86)
    for u, v, length in (("a", "b", 100.0), ("b", "c", 200.0)):
        G.add_edge(u, v, length=length)
        G.add_edge(v, u, length=length)
    return G


def test_network_distances_use_the_street_and_flag_unconnected_pairs() -> None:
    G = _tiny_graph()
    dm = network_distance_matrix(G, [111.9800, 111.9830, 111.9900], [21.86, 21.86, 21.86])
    assert dm.metres[0, 1] == pytest.approx(300.0)  # along the street, not the straight line
    assert dm.on_network[0, 1] and not dm.on_network[0, 2]
    # d is not connected: the straight line (about 1,034 m at this latitude) stands in
    assert dm.metres[0, 2] == pytest.approx(1034, abs=5)
    assert np.allclose(dm.metres, dm.metres.T)
    assert dm.snap_m.max() < 1.0
    # a stop far from every node (another city) is off the network: straight lines only
    far = network_distance_matrix(G, [111.9800, 111.9830, 24.94], [21.86, 21.86, 60.17],
                                  max_snap_m=100.0)
    assert far.on_network[0, 1] and not far.on_network[0, 2] and not far.on_network[2, 1]
    assert far.metres[0, 2] > 7_000_000
