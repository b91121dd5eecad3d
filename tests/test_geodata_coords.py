"""WGS84 ⇄ GCJ-02 ⇄ BD-09, including the real check against a GCJ-02 copy of the districts."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from conftest import data_path

from audit.errors import InputError
from geodata import coords, load_districts
from geodata.crs import METRIC_CRS, lonlat_to_metric

# Reference values computed with prcoords 1.0.2 (public domain, PyPI), an independent
# implementation: (wgs lon, lat) -> (gcj lon, lat), (bd lon, lat).
REFERENCE = [
    (
        (111.96, 21.86),
        (111.96501569086313, 21.857208705296557),
        (111.97146775606488, 21.863536087582922),
    ),
    (
        (116.3975, 39.9087),
        (116.40374357265176, 39.91010349934476),
        (116.4101165864734, 39.91644274963076),
    ),
    (
        (111.78, 22.17),
        (111.78515478321262, 22.167164086061952),
        (111.79169947452628, 22.17283702411808),
    ),
]


def _metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    x1, y1 = lonlat_to_metric(lon1, lat1)
    x2, y2 = lonlat_to_metric(lon2, lat2)
    return np.hypot(x1 - x2, y1 - y2)


@pytest.mark.parametrize(("wgs", "gcj", "bd"), REFERENCE)
def test_forward_matches_an_independent_implementation(wgs, gcj, bd) -> None:
    assert coords.wgs84_to_gcj02(*wgs) == pytest.approx(gcj, abs=1e-9)
    assert coords.wgs84_to_bd09(*wgs) == pytest.approx(bd, abs=1e-9)
    assert coords.gcj02_to_bd09(*gcj) == pytest.approx(bd, abs=1e-9)


def test_round_trips_under_half_a_metre_inside_china() -> None:
    rng = np.random.default_rng(1)
    lon = rng.uniform(74, 134, 20000)
    lat = rng.uniform(19, 53, 20000)
    pairs = [
        (coords.wgs84_to_gcj02, coords.gcj02_to_wgs84),
        (coords.wgs84_to_bd09, coords.bd09_to_wgs84),
        (coords.gcj02_to_bd09, coords.bd09_to_gcj02),
    ]
    for fwd, inv in pairs:
        fx, fy = fwd(lon, lat)
        assert fx.shape == lon.shape
        moved = np.hypot(fx - lon, fy - lat)
        assert moved.min() > 1e-4  # really transformed
        bx, by = inv(fx, fy)
        err_deg = np.hypot(bx - lon, by - lat)
        assert err_deg.max() * 111_320 < 0.5


def test_scalars_give_floats_arrays_keep_shape_and_outside_china_passes_through() -> None:
    x, y = coords.wgs84_to_gcj02(111.9, 21.9)
    assert isinstance(x, float) and isinstance(y, float)
    arr = np.array([[111.9, 112.0], [111.8, 111.7]])
    gx, gy = coords.gcj02_to_wgs84(arr, arr * 0 + 21.9)
    assert gx.shape == (2, 2) and gy.shape == (2, 2)
    assert coords.wgs84_to_bd09(2.35, 48.85) == (2.35, 48.85)  # Paris
    assert coords.bd09_to_wgs84(-122.3, 37.8) == (-122.3, 37.8)


def test_to_wgs84_dispatches_and_rejects_unknown_names() -> None:
    wgs = (111.96, 21.86)
    for name, fwd in (("gcj02", coords.wgs84_to_gcj02), ("BD-09", coords.wgs84_to_bd09)):
        back = coords.to_wgs84(*fwd(*wgs), name)
        assert back == pytest.approx(wgs, abs=1e-8)
    assert coords.to_wgs84(*wgs, "wgs84") == wgs
    with pytest.raises(InputError, match="gcj02"):
        coords.to_wgs84(*wgs, "baidu")


def test_real_gcj02_district_file_lines_up_after_conversion() -> None:
    path = data_path("geodata", "yangjiang_441700_full_datav_gcj02_anzhou99.json")
    gcj = gpd.read_file(path)
    gcj["adcode"] = gcj["adcode"].astype(str)
    wgs = load_districts().set_index("adcode")
    for _, row in gcj.iterrows():
        ref = wgs.loc[row["adcode"], "geometry"]
        raw = shapely.make_valid(row.geometry)
        conv = shapely.make_valid(coords.transform_geometry(raw, "gcj02", "wgs84"))
        to_m = gpd.GeoSeries([ref, raw, conv], crs=4326).to_crs(METRIC_CRS)
        ref_m, raw_m, conv_m = to_m.iloc[0], to_m.iloc[1], to_m.iloc[2]
        iou = ref_m.intersection(conv_m).area / ref_m.union(conv_m).area
        centroid_m = ref_m.centroid.distance(conv_m.centroid)
        raw_off_m = ref_m.centroid.distance(raw_m.centroid)
        assert centroid_m < 30, (row["adcode"], centroid_m)
        assert iou > 0.99, (row["adcode"], iou)
        assert 450 < raw_off_m < 750, (row["adcode"], raw_off_m)  # the raw file is ~600 m off
