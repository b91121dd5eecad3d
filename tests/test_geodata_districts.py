"""Bundled districts, bureau boundary files and ``district_of``."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

import geodata
from audit.errors import InputError
from geodata import registry
from geodata.crs import METRIC_CRS


def test_load_districts_contract() -> None:
    d = geodata.load_districts()
    assert list(d["adcode"]) == ["441702", "441704", "441721", "441781"]
    assert list(d["name_en"]) == [
        "Jiangcheng District", "Yangdong District", "Yangxi County", "Yangchun City",
    ]
    assert list(d["name_zh"]) == ["江城区", "阳东区", "阳西县", "阳春市"]
    assert d.crs.to_epsg() == 4326
    areas_km2 = d.to_crs(METRIC_CRS).area / 1e6
    # PROVENANCE.md: 844, 1720, 1470, 4035 km2
    assert np.allclose(areas_km2, [844, 1720, 1470, 4035], rtol=0.01)
    assert geodata.DISTRICTS["441781"] == ("阳春市", "Yangchun City")


def test_city_outline_and_towns() -> None:
    city = geodata.load_city_outline()
    assert len(city) == 1 and city["adcode"].iloc[0] == "441700"
    assert city.to_crs(METRIC_CRS).area.iloc[0] / 1e6 == pytest.approx(8068, rel=0.01)
    towns = geodata.load_towns()
    assert len(towns) == 44 and towns["adcode"].notna().all()


def test_district_of_scalar_and_vector_agree_with_town_guesses() -> None:
    assert geodata.district_of(111.9627, 21.8556) == "441702"  # Yangjiang city centre
    assert geodata.district_of(111.7869, 22.1729) == "441781"  # Chuncheng
    towns = geodata.load_towns()
    codes = geodata.district_of(towns.geometry.x.to_numpy(), towns.geometry.y.to_numpy())
    assert isinstance(codes, np.ndarray) and codes.shape == (44,)
    assert (codes == towns["adcode"].to_numpy()).all()


def test_point_outside_the_city_is_named() -> None:
    with pytest.raises(InputError) as err:
        geodata.district_of(113.26, 23.13)  # Guangzhou
    assert "113.26" in str(err.value) and "inside Yangjiang" in str(err.value)
    out = geodata.district_of_many([111.96, 113.26], [21.86, 23.13], outside="none")
    assert out[0] == "441702" and out[1] is None
    with pytest.raises(InputError, match=r"point\[1\]"):
        geodata.district_of_many([111.96, 113.26], [21.86, 23.13])


def test_nan_and_swapped_coordinates_say_what_to_do() -> None:
    with pytest.raises(InputError, match="missing or NaN"):
        geodata.district_of(float("nan"), 21.86)
    with pytest.raises(InputError, match="swapped"):
        geodata.district_of(21.86, 111.96)
    with pytest.raises(InputError) as err:
        geodata.district_of([111.96, np.nan, 21.9], [21.86, 21.8, 111.9])
    assert len(err.value.problems) == 2  # every problem at once


def test_bureau_file_replaces_the_bundled_one(tmp_path: Path) -> None:
    simplified = gpd.read_file(registry.path_of("districts_simplified"))
    bureau = simplified.rename(columns={"adcode": "区划代码", "name": "名称"})[
        ["区划代码", "名称", "geometry"]
    ].to_crs(METRIC_CRS)
    path = tmp_path / "official.gpkg"
    bureau.to_file(path)
    d = geodata.load_districts(path)
    assert list(d["adcode"]) == ["441702", "441704", "441721", "441781"]
    assert d.crs.to_epsg() == 4326  # reprojected from UTM
    assert d["name_en"].iloc[0] == "Jiangcheng District"
    assert geodata.district_of(111.9627, 21.8556, boundary_file=path) == "441702"


def test_bad_bureau_files_list_every_problem(tmp_path: Path) -> None:
    d = geodata.load_districts()
    no_cols = d[["geometry"]]
    p1 = tmp_path / "nocols.geojson"
    no_cols.to_file(p1)
    with pytest.raises(InputError) as err:
        geodata.load_districts(p1)
    assert len(err.value.problems) == 2 and "adcode" in str(err.value)
    wrong = d.assign(adcode=["441702", "441702", "999999", "441781"])
    wrong = wrong[["adcode", "name_zh", "geometry"]]
    p2 = tmp_path / "wrong.geojson"
    wrong.to_file(p2)
    with pytest.raises(InputError) as err:
        geodata.load_districts(p2)
    text = str(err.value)
    assert "999999" in text and "each district once" in text and "441704" in text
    p3 = tmp_path / "broken.geojson"
    p3.write_text("{not json", "utf-8")
    with pytest.raises(InputError, match="readable GeoJSON"):
        geodata.load_districts(p3)
    with pytest.raises(InputError, match="existing"):
        geodata.load_districts(tmp_path / "missing.gpkg")
