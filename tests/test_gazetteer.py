"""Place search (Chinese, pinyin, English, codes) and the nearest street name: pure geodata."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely

from geodata.gazetteer import (
    MAX_QUERY_CHARS,
    Gazetteer,
    Place,
    StreetIndex,
    normalise,
    pinyin_keys,
    street_places,
)

# two streets near Jiangcheng (WGS84); 0.001 degree of latitude is about 111 m
A = shapely.LineString([(111.980, 21.860), (111.990, 21.860)])  # 东风路, ~1 km east-west
A2 = shapely.LineString([(111.990, 21.860), (111.991, 21.860)])  # short piece of 东风路
B = shapely.LineString([(111.980, 21.870), (111.980, 21.880)])  # 演示路 12, north-south


def _gazetteer() -> Gazetteer:
    return Gazetteer.of([
        Place("district", "江城区", "Jiangcheng District", 111.95, 21.86),
        Place("town", "", "Zhigong", 111.61, 21.74),
        *street_places(["东风路", "东风路", "演示路 12", None], [A, A2, B, A],
                       {"演示路 12": "Demo Rd 12"}),
        Place("facility", "人民医院无障碍坡道", "人民医院无障碍坡道", 111.98, 21.86, "17"),
        Place("report", "R7K-3QX", "R7K-3QX", 111.98, 21.87, "R7K-3QX"),
        Place("street", "bad", "bad", math.nan, 21.0),
    ])


def test_normalise_folds_width_case_spaces_and_punctuation() -> None:
    assert normalise(" Demo Rd-12 ") == "demord12"
    assert normalise("ＤＥＭＯ　Ｒｄ") == "demord"  # full-width letters and space
    assert pinyin_keys("演示路 12") == ("yanshilu12", "ysl12")
    assert pinyin_keys("Zhigong") == ()


@pytest.mark.parametrize(
    ("query", "kind", "name"),
    [
        ("江城", "district", "江城区"),
        ("jiangcheng", "district", "江城区"),
        ("Jiangcheng District", "district", "江城区"),
        ("jcq", "district", "江城区"),
        ("zhigong", "town", ""),
        ("dongfeng lu", "street", "东风路"),
        ("东风", "street", "东风路"),
        ("demo rd 12", "street", "演示路 12"),
        ("yan shi lu 12", "street", "演示路 12"),
        ("人民医院", "facility", "人民医院无障碍坡道"),
        ("r7k3qx", "report", "R7K-3QX"),
    ],
)
def test_search_takes_chinese_pinyin_english_and_codes(query: str, kind: str, name: str) -> None:
    hit = _gazetteer().search(query)[0]
    assert (hit.kind, hit.name_zh) == (kind, name)


def test_search_ranks_exact_before_prefix_before_substring_and_limits() -> None:
    g = Gazetteer.of([Place("street", f"演示路 {i}", f"Demo Rd {i}", 111.9, 21.8)
                      for i in (112, 12, 1, 312)])
    # exact, then prefixes (shorter names first), then substrings
    assert [p.name_en for p in g.search("demo rd 1")] == ["Demo Rd 1", "Demo Rd 12",
                                                          "Demo Rd 112"]
    assert [p.name_en for p in g.search("12")] == ["Demo Rd 12", "Demo Rd 112", "Demo Rd 312"]
    assert [p.name_en for p in g.search("Demo Rd 1", limit=2)] == ["Demo Rd 1", "Demo Rd 12"]
    assert g.search("demo", limit=0) == []


@pytest.mark.parametrize("query", ["", "   ", "--", "不存在的地方", "x" * (MAX_QUERY_CHARS * 50)])
def test_search_without_match_or_with_hostile_input_is_empty(query: str) -> None:
    assert _gazetteer().search(query) == []


def test_places_without_coordinates_are_left_out() -> None:
    g = _gazetteer()
    assert all(math.isfinite(p.lon) for p in g.places)
    assert g.search("bad") == []


def test_street_places_one_per_name_at_its_longest_edge_or_spaced_for_labels() -> None:
    one = street_places(["东风路", "东风路", "演示路 12"], [A, A2, B])
    assert [(p.name_zh, p.name_en) for p in one] == [("东风路", "Dongfenglu"),
                                                     ("演示路 12", "Yanshilu 12")]
    assert one[0].lon == pytest.approx(111.985)  # middle of the long edge, not the short one
    spaced = street_places(["东风路", "东风路"], [A, A2], spacing_m=200)
    assert len(spaced) == 2  # the two middles are ~560 m apart
    assert len(street_places(["东风路", "东风路"], [A, A2], spacing_m=2000)) == 1
    assert street_places([], []) == []
    assert street_places([None, ""], [A, B]) == []
    with pytest.raises(ValueError, match="differ in length"):
        street_places(["东风路"], [A, B])


def test_osm_list_names_use_the_first_name() -> None:
    places = street_places([["东风路", "Dongfeng Road"]], np.array([A], dtype=object))
    assert places[0].name_zh == "东风路"


def test_nearest_street_names_the_street_and_distance() -> None:
    index = StreetIndex(["东风路", "演示路 12", None], [A, B, shapely.LineString(
        [(111.985, 21.8605), (111.986, 21.8605)])], {"演示路 12": "Demo Rd 12"})
    assert len(index) == 2
    near = index.nearest(111.985, 21.8609)  # ~100 m north of 东风路
    assert near is not None and near.name_zh == "东风路" and near.name_en == "Dongfenglu"
    assert near.distance_m == pytest.approx(100, abs=3)
    near_b = index.nearest(111.9801, 21.875)
    assert near_b is not None and near_b.name_en == "Demo Rd 12"
    assert near_b.distance_m == pytest.approx(10.4, abs=1)


@pytest.mark.parametrize(("lon", "lat", "max_m"), [
    (111.985, 21.865, 250),  # ~550 m from either street
    (111.985, 21.8609, 50),  # 100 m away, limit 50 m
    (math.nan, 21.86, 250),
    (111.985, math.inf, 250),
])
def test_nearest_street_is_none_when_far_or_not_a_point(lon: float, lat: float,
                                                        max_m: float) -> None:
    index = StreetIndex(["东风路", "演示路 12"], [A, B])
    assert index.nearest(lon, lat, max_m=max_m) is None


def test_empty_street_index_finds_nothing() -> None:
    assert StreetIndex([], []).nearest(111.98, 21.86) is None
    with pytest.raises(ValueError, match="differ in length"):
        StreetIndex(["a"], [])


def test_spaced_labels_match_the_all_pairs_greedy_choice() -> None:
    """The cell-filed spacing keeps exactly the points the plain greedy rule keeps (each point
    at least the spacing from every point kept before it), on random points and orders."""
    from geodata.gazetteer import _spaced

    rng = np.random.default_rng(7)
    for spacing in (50.0, 200.0, 1000.0):
        x, y = rng.uniform(0, 3000, 400).tolist(), rng.uniform(0, 3000, 400).tolist()
        order = rng.permutation(400).tolist()
        brute: list[int] = []
        for j in order:
            if all(math.hypot(x[j] - x[k], y[j] - y[k]) >= spacing for k in brute):
                brute.append(j)
        assert _spaced(order, x, y, spacing) == brute


def test_each_streets_first_spaced_label_is_its_one_place() -> None:
    """The place search takes each street's first map label (ui.cache): it is the one place
    street_places gives per name, the middle of the longest edge."""
    names = ["东风路", "东风路", "演示路 12", "东风路"]
    geoms = [A2, A, B, shapely.LineString([(111.970, 21.860), (111.975, 21.860)])]
    spaced = street_places(names, geoms, spacing_m=100)
    first = {p.name_zh: p for p in reversed(spaced)}
    assert len(spaced) == 4
    assert [first[n] for n in sorted(first)] == street_places(names, geoms)
