"""The one lon/lat validator (geodata.crs) and geodata's own error hierarchy."""

from __future__ import annotations

import math

import numpy as np
import pytest

from audit.errors import AuditError
from audit.errors import InputError as AuditInputError
from geodata.crs import check_lonlat, check_point
from geodata.errors import GeodataError, InputError, NetworkUnavailable, ProjectError
from geodata.network import fetch_network


def _fields(exc: pytest.ExceptionInfo[InputError]) -> list[str]:
    return [p.field for p in exc.value.problems]


def test_check_point_returns_floats_and_reads_numeric_text() -> None:
    assert check_point(111.95, 21.86) == (111.95, 21.86)
    x, y = check_point(" 111.95 ", "21.86")
    assert (x, y) == (111.95, 21.86) and isinstance(x, float)


@pytest.mark.parametrize(
    ("lon", "lat", "fields", "words"),
    [
        (300.0, 21.86, ["location.lon"], "lon in [-180, 180]"),
        (21.86, 211.9, ["location.lat"], "swapped"),
        (math.nan, 21.86, ["location.lon"], "missing or NaN"),
        (math.inf, math.nan, ["location.lon", "location.lat"], "missing or NaN"),
        ("east", None, ["location.lon", "location.lat"], "a number in decimal degrees"),
        ([1.0, 2.0], 21.86, ["location.lon"], "a number in decimal degrees"),
    ],
)
def test_check_point_names_the_bad_coordinate(lon: object, lat: object, fields: list[str],
                                              words: str) -> None:
    with pytest.raises(InputError) as err:
        check_point(lon, lat)
    assert _fields(err) == fields
    assert words in str(err.value)


def test_one_pair_and_many_points_share_the_rules() -> None:
    with pytest.raises(InputError) as one:
        check_point(21.86, 111.95, field="point")
    with pytest.raises(InputError) as many:
        check_lonlat([111.95, 21.86], [21.86, 111.95])
    assert _fields(one) == ["point.lat"] and _fields(many) == ["point[1].lat"]
    assert one.value.problems[0].allowed == many.value.problems[0].allowed
    lons, lats = check_lonlat([111.95, 111.96], [21.86, 21.87])
    assert lons.dtype == np.float64 and lats.tolist() == [21.86, 21.87]


def test_geodata_errors_are_caught_as_audit_errors() -> None:
    assert AuditInputError is InputError and issubclass(InputError, ValueError)
    assert issubclass(NetworkUnavailable, RuntimeError)
    assert issubclass(GeodataError, ProjectError) and AuditError is ProjectError
    with pytest.raises(AuditError):
        check_point(500, 500)


def test_fetch_network_needs_a_cache_folder_from_the_caller() -> None:
    with pytest.raises(InputError) as err:
        fetch_network("441702", "walk")
    assert _fields(err) == ["cache_dir"]
