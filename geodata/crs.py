"""CRS conventions: store WGS84 (EPSG:4326), measure in metres in UTM zone 49N (EPSG:32649).

A CRS mismatch raises :class:`geodata.errors.InputError`; nothing here silently reprojects data
whose CRS is unknown. :func:`check_lonlat` is the one place that validates raw lon/lat input (NaN,
out of range, swapped), for many points or, through :func:`check_point`, for one.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from geodata.errors import InputError, Problem

if TYPE_CHECKING:
    import geopandas as gpd
    import numpy as np
    from pyproj import Transformer

WGS84 = "EPSG:4326"
METRIC_CRS = "EPSG:32649"  # UTM zone 49N: Yangjiang lies at 111.3-112.4 E, inside 108-114 E
MAX_REPORTED = 5  # how many offending points an error message lists before summarising


def _crs(value: Any) -> Any:
    """``pyproj.CRS.from_user_input(value)``, importing pyproj on first use (see transformer)."""
    from pyproj import CRS

    return CRS.from_user_input(value)


@lru_cache(maxsize=8)
def transformer(src: str, dst: str) -> Transformer:
    """A cached ``always_xy`` transformer from ``src`` to ``dst``.

    pyproj is imported here, on first use, not with the module: validating a point (which the
    storage layer does on every write) must not cost a cold process pyproj's start-up."""
    from pyproj import Transformer

    return Transformer.from_crs(src, dst, always_xy=True)


def lonlat_to_metric(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    """Project WGS84 lon/lat (scalars or arrays) to UTM 49N metres."""
    import numpy as np

    x, y = transformer(WGS84, METRIC_CRS).transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.asarray(x, float), np.asarray(y, float)


def metric_to_lonlat(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """Unproject UTM 49N metres to WGS84 lon/lat."""
    import numpy as np

    lon, lat = transformer(METRIC_CRS, WGS84).transform(np.asarray(x, float), np.asarray(y, float))
    return np.asarray(lon, float), np.asarray(lat, float)


def require_crs(gdf: gpd.GeoDataFrame | gpd.GeoSeries, expected: str, what: str = "data") -> None:
    """Raise :class:`InputError` unless ``gdf`` has exactly the ``expected`` CRS."""
    if gdf.crs is None:
        raise InputError(
            Problem(f"{what}.crs", None, f"a declared CRS ({expected}); set it, e.g. .set_crs()")
        )
    if _crs(gdf.crs) != _crs(expected):
        raise InputError(
            Problem(f"{what}.crs", str(gdf.crs), f"{expected}; reproject explicitly with .to_crs()")
        )


def require_same_crs(*frames: gpd.GeoDataFrame | gpd.GeoSeries) -> None:
    """Raise :class:`InputError` when the frames do not all share one declared CRS."""
    crss = [f.crs for f in frames]
    if any(c is None for c in crss) or len({_crs(c).to_string() for c in crss}) > 1:
        raise InputError(
            Problem("crs", [str(c) for c in crss], "inputs in one declared CRS; reproject first")
        )


def to_metric(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``gdf`` (which must be in WGS84 or already UTM 49N) in UTM 49N metres."""
    if gdf.crs is not None and _crs(gdf.crs) == _crs(METRIC_CRS):
        return gdf
    require_crs(gdf, WGS84)
    return gdf.to_crs(METRIC_CRS)


_NUMBER_TEXT = "a number in decimal degrees (WGS84)"
_MISSING_TEXT = "a finite lon and lat (the coordinate is missing or NaN): fill it in or drop it"
_SWAPPED_TEXT = (
    "lon in [-180, 180] and lat in [-90, 90]: this looks like lat/lon swapped "
    "(Yangjiang is about lon 111.8, lat 21.9); pass (lon, lat) in that order"
)
_RANGE_TEXT = "lon in [-180, 180] and lat in [-90, 90] (decimal degrees, WGS84)"


def _components(label: str, lon_bad: bool, lat_bad: bool) -> list[str]:
    """The coordinates at fault: ``label.lon`` and/or ``label.lat``."""
    names = [f"{label}.lon"] if lon_bad else []
    return [*names, f"{label}.lat"] if lat_bad else names or [label]


def check_lonlat(lon: Any, lat: Any, field: str = "point") -> tuple[np.ndarray, np.ndarray]:
    """Validate WGS84 lon/lat input and return them as float arrays (at least 1-d).

    The project's one lon/lat validator (:func:`check_point` applies it to a single pair).
    Raises :class:`InputError` listing every bad point: missing (NaN/None), out of range, or
    apparently swapped (a latitude of 111 looks like a Yangjiang longitude). Each problem names
    the coordinate at fault: ``field.lon`` / ``field.lat`` for one point, ``field[i].lon`` /
    ``field[i].lat`` in a list of several.
    """
    import numpy as np

    try:
        lons = np.atleast_1d(np.asarray(lon, dtype=float))
        lats = np.atleast_1d(np.asarray(lat, dtype=float))
    except (TypeError, ValueError, OverflowError) as exc:
        raise InputError(
            Problem(field, (lon, lat), f"numbers in decimal degrees (lon, lat) ({exc})")
        ) from None
    if lons.ndim > 1 or lats.ndim > 1:
        raise InputError(
            Problem(field, (lon, lat), "a flat list of lon values and one of lat values")
        )
    if lons.shape != lats.shape:
        raise InputError(
            Problem(field, (lons.shape, lats.shape), "lon and lat arrays of the same length")
        )
    problems: list[Problem] = []
    lon_nan, lat_nan = ~np.isfinite(lons), ~np.isfinite(lats)
    nan = lon_nan | lat_nan
    lon_out = ~nan & (np.abs(lons) > 180)
    lat_out = ~nan & (np.abs(lats) > 90)
    swapped = lat_out & (np.abs(lons) <= 90)
    out = (lon_out | lat_out) & ~swapped
    for mask, lon_bad, lat_bad, allowed in (
        (nan, lon_nan, lat_nan, _MISSING_TEXT),
        (swapped, lon_out, lat_out, _SWAPPED_TEXT),
        (out, lon_out, lat_out, _RANGE_TEXT),
    ):
        idx = np.flatnonzero(mask)
        for i in idx[:MAX_REPORTED]:
            label = field if lons.size == 1 else f"{field}[{i}]"
            for name in _components(label, bool(lon_bad[i]), bool(lat_bad[i])):
                problems.append(Problem(name, (float(lons[i]), float(lats[i])), allowed))
        if idx.size > MAX_REPORTED:
            problems.append(
                Problem(field, f"... and {idx.size - MAX_REPORTED} more such points", allowed)
            )
    if problems:
        raise InputError(problems)
    return lons, lats


def check_point(lon: object, lat: object, *, field: str = "location") -> tuple[float, float]:
    """Validate one WGS84 coordinate pair and return it as two floats.

    Each coordinate must be one number (``"111.9"`` is read as a number); the pair then passes
    :func:`check_lonlat`, so the rules and messages are the same for one point and for many.
    Problems name ``field.lon`` / ``field.lat``.
    """
    problems: list[Problem] = []
    values: list[float] = []
    for name, value in ((f"{field}.lon", lon), (f"{field}.lat", lat)):
        try:
            values.append(float(value))  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            problems.append(Problem(name, value, _NUMBER_TEXT))
    if problems:
        raise InputError(problems)
    lons, lats = check_lonlat(values[0], values[1], field=field)
    return float(lons[0]), float(lats[0])
