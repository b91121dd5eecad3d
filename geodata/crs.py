"""CRS conventions: store WGS84 (EPSG:4326), measure in metres in UTM zone 49N (EPSG:32649).

A CRS mismatch raises :class:`audit.errors.InputError`; nothing here silently reprojects data whose
CRS is unknown. :func:`check_lonlat` is the one place that validates raw lon/lat input (NaN, out of
range, swapped).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
from pyproj import CRS, Transformer

from audit.errors import InputError, Problem

if TYPE_CHECKING:
    import geopandas as gpd

WGS84 = "EPSG:4326"
METRIC_CRS = "EPSG:32649"  # UTM zone 49N: Yangjiang lies at 111.3-112.4 E, inside 108-114 E
MAX_REPORTED = 5  # how many offending points an error message lists before summarising


@lru_cache(maxsize=8)
def transformer(src: str, dst: str) -> Transformer:
    """A cached ``always_xy`` transformer from ``src`` to ``dst``."""
    return Transformer.from_crs(src, dst, always_xy=True)


def lonlat_to_metric(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    """Project WGS84 lon/lat (scalars or arrays) to UTM 49N metres."""
    x, y = transformer(WGS84, METRIC_CRS).transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.asarray(x, float), np.asarray(y, float)


def metric_to_lonlat(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """Unproject UTM 49N metres to WGS84 lon/lat."""
    lon, lat = transformer(METRIC_CRS, WGS84).transform(np.asarray(x, float), np.asarray(y, float))
    return np.asarray(lon, float), np.asarray(lat, float)


def require_crs(gdf: gpd.GeoDataFrame | gpd.GeoSeries, expected: str, what: str = "data") -> None:
    """Raise :class:`InputError` unless ``gdf`` has exactly the ``expected`` CRS."""
    if gdf.crs is None:
        raise InputError(
            Problem(f"{what}.crs", None, f"a declared CRS ({expected}); set it, e.g. .set_crs()")
        )
    if CRS.from_user_input(gdf.crs) != CRS.from_user_input(expected):
        raise InputError(
            Problem(f"{what}.crs", str(gdf.crs), f"{expected}; reproject explicitly with .to_crs()")
        )


def require_same_crs(*frames: gpd.GeoDataFrame | gpd.GeoSeries) -> None:
    """Raise :class:`InputError` when the frames do not all share one declared CRS."""
    crss = [f.crs for f in frames]
    if any(c is None for c in crss) or len({CRS.from_user_input(c).to_string() for c in crss}) > 1:
        raise InputError(
            Problem("crs", [str(c) for c in crss], "inputs in one declared CRS; reproject first")
        )


def to_metric(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``gdf`` (which must be in WGS84 or already UTM 49N) in UTM 49N metres."""
    if gdf.crs is not None and CRS.from_user_input(gdf.crs) == CRS.from_user_input(METRIC_CRS):
        return gdf
    require_crs(gdf, WGS84)
    return gdf.to_crs(METRIC_CRS)


def check_lonlat(lon: Any, lat: Any, field: str = "point") -> tuple[np.ndarray, np.ndarray]:
    """Validate WGS84 lon/lat input and return them as float arrays (at least 1-d).

    Raises :class:`InputError` listing every bad point: missing (NaN/None), out of range, or
    apparently swapped (a latitude of 111 looks like a Yangjiang longitude).
    """
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
    nan = ~np.isfinite(lons) | ~np.isfinite(lats)
    swapped = ~nan & (np.abs(lats) > 90) & (np.abs(lons) <= 90)
    out = ~nan & ~swapped & ((np.abs(lats) > 90) | (np.abs(lons) > 180))
    for mask, allowed in (
        (nan, "a finite lon and lat (the coordinate is missing or NaN): fill it in or drop it"),
        (
            swapped,
            "lon in [-180, 180] and lat in [-90, 90]: this looks like lat/lon swapped "
            "(Yangjiang is about lon 111.8, lat 21.9); pass (lon, lat) in that order",
        ),
        (out, "lon in [-180, 180] and lat in [-90, 90] (decimal degrees, WGS84)"),
    ):
        idx = np.flatnonzero(mask)
        for i in idx[:MAX_REPORTED]:
            label = field if lons.size == 1 else f"{field}[{i}]"
            problems.append(Problem(label, (float(lons[i]), float(lats[i])), allowed))
        if idx.size > MAX_REPORTED:
            problems.append(
                Problem(field, f"... and {idx.size - MAX_REPORTED} more such points", allowed)
            )
    if problems:
        raise InputError(problems)
    return lons, lats
