"""Chinese coordinate systems: WGS84 ⇄ GCJ-02 (高德/腾讯, "Mars") ⇄ BD-09 (百度).

Why hand-written: the PyPI candidates (eviltransform 0.1.1, coord-convert 0.2.1, prcoords 1.0.2,
coordtransform) are unmaintained since 2018-2019 or scalar-only; none is vectorised with numpy.
This module implements the widely published GCJ-02 obfuscation formula (the constants below are the
Krasovsky-1940 ellipsoid parameters and trigonometric offsets used by every open implementation,
e.g. eviltransform and prcoords) and the BD-09 formula, vectorised with numpy. The inverses are
iterative (fixed-point on the forward transform) so the round trip stays far below 0.5 m.

Every function takes lon, lat as floats or numpy arrays and returns the same shape (floats for
scalars). Points outside China (a rough bounding box, as in the published algorithm) pass through
unchanged, as the obfuscation does not apply there.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

import numpy as np

from geodata.errors import InputError, Problem

InputCRS = Literal["wgs84", "gcj02", "bd09"]
INPUT_CRS_NAMES: tuple[str, ...] = get_args(InputCRS)

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0  # BD-09 constant
_BD_DLON = 0.0065
_BD_DLAT = 0.006
# Rough China bounding box of the published algorithm (outside it GCJ-02 equals WGS84).
_CHINA_LON = (72.004, 137.8347)
_CHINA_LAT = (0.8293, 55.8271)
_TOL_DEG = 1e-10  # iterative inverse stops below this (about 1e-5 m)
_MAX_ITER = 30


def _as_arrays(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray, bool]:
    scalar = np.ndim(lon) == 0 and np.ndim(lat) == 0
    try:
        x = np.asarray(lon, dtype=float)
        y = np.asarray(lat, dtype=float)
        if x.shape != y.shape:
            x, y = np.broadcast_arrays(x, y)
    except (TypeError, ValueError, OverflowError) as exc:
        raise InputError(
            Problem("point", (lon, lat), f"numbers in decimal degrees (lon, lat) ({exc})")
        ) from None
    return x, y, scalar


def _out(x: np.ndarray, y: np.ndarray, scalar: bool) -> tuple[Any, Any]:
    if scalar:
        return float(x), float(y)
    return x, y


def in_china(lon: Any, lat: Any) -> Any:
    """True where the point is inside the rough China box where GCJ-02 applies."""
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    res = (x >= _CHINA_LON[0]) & (x <= _CHINA_LON[1]) & (y >= _CHINA_LAT[0]) & (y <= _CHINA_LAT[1])
    return bool(res) if np.ndim(res) == 0 else res


def _gcj_delta(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 offset (dlon, dlat) in degrees at WGS84 (x, y)."""
    dx = x - 105.0
    dy = y - 35.0
    sq = np.sqrt(np.abs(dx))
    common = (20.0 * np.sin(6.0 * dx * np.pi) + 20.0 * np.sin(2.0 * dx * np.pi)) * 2.0 / 3.0
    tlat = -100.0 + 2.0 * dx + 3.0 * dy + 0.2 * dy * dy + 0.1 * dx * dy + 0.2 * sq + common
    tlat += (20.0 * np.sin(dy * np.pi) + 40.0 * np.sin(dy / 3.0 * np.pi)) * 2.0 / 3.0
    tlat += (160.0 * np.sin(dy / 12.0 * np.pi) + 320.0 * np.sin(dy * np.pi / 30.0)) * 2.0 / 3.0
    tlon = 300.0 + dx + 2.0 * dy + 0.1 * dx * dx + 0.1 * dx * dy + 0.1 * sq + common
    tlon += (20.0 * np.sin(dx * np.pi) + 40.0 * np.sin(dx / 3.0 * np.pi)) * 2.0 / 3.0
    tlon += (150.0 * np.sin(dx / 12.0 * np.pi) + 300.0 * np.sin(dx / 30.0 * np.pi)) * 2.0 / 3.0
    rad = y / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (tlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (tlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    return dlon, dlat


def _wgs_to_gcj(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    dlon, dlat = _gcj_delta(x, y)
    inside = in_china(x, y)
    return np.where(inside, x + dlon, x), np.where(inside, y + dlat, y)


def _gcj_to_bd(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    bx = z * np.cos(theta) + _BD_DLON
    by = z * np.sin(theta) + _BD_DLAT
    inside = in_china(x, y)
    return np.where(inside, bx, x), np.where(inside, by, y)


def _invert(
    forward: Any, tx: np.ndarray, ty: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Solve forward(x, y) = (tx, ty) by fixed-point iteration starting from (tx, ty)."""
    x = tx.copy()
    y = ty.copy()
    for _ in range(_MAX_ITER):
        fx, fy = forward(x, y)
        ex = fx - tx
        ey = fy - ty
        x = x - ex
        y = y - ey
        err = np.nanmax(np.maximum(np.abs(ex), np.abs(ey))) if ex.size else 0.0
        if not err > _TOL_DEG:
            break
    return x, y


def wgs84_to_gcj02(lon: Any, lat: Any) -> tuple[Any, Any]:
    """WGS84 → GCJ-02 (高德/腾讯)."""
    x, y, s = _as_arrays(lon, lat)
    return _out(*_wgs_to_gcj(x, y), s)


def gcj02_to_wgs84(lon: Any, lat: Any) -> tuple[Any, Any]:
    """GCJ-02 → WGS84 (iterative inverse, residual < 1e-5 m)."""
    x, y, s = _as_arrays(lon, lat)
    return _out(*_invert(_wgs_to_gcj, x, y), s)


def gcj02_to_bd09(lon: Any, lat: Any) -> tuple[Any, Any]:
    """GCJ-02 → BD-09 (百度)."""
    x, y, s = _as_arrays(lon, lat)
    return _out(*_gcj_to_bd(x, y), s)


def bd09_to_gcj02(lon: Any, lat: Any) -> tuple[Any, Any]:
    """BD-09 → GCJ-02 (iterative inverse)."""
    x, y, s = _as_arrays(lon, lat)
    return _out(*_invert(_gcj_to_bd, x, y), s)


def wgs84_to_bd09(lon: Any, lat: Any) -> tuple[Any, Any]:
    """WGS84 → BD-09."""
    x, y, s = _as_arrays(lon, lat)
    return _out(*_gcj_to_bd(*_wgs_to_gcj(x, y)), s)


def bd09_to_wgs84(lon: Any, lat: Any) -> tuple[Any, Any]:
    """BD-09 → WGS84."""
    x, y, s = _as_arrays(lon, lat)
    gx, gy = _invert(_gcj_to_bd, x, y)
    return _out(*_invert(_wgs_to_gcj, gx, gy), s)


def to_wgs84(lon: Any, lat: Any, crs: str) -> tuple[Any, Any]:
    """Convert input coordinates in ``crs`` ("wgs84", "gcj02" or "bd09") to WGS84.

    Every import path (CSV, forms, ODK) calls this at the boundary with the CRS the user declared.
    An unknown name raises :class:`InputError`.
    """
    key = str(crs).strip().lower().replace("-", "").replace("_", "")
    if key == "wgs84":
        x, y, s = _as_arrays(lon, lat)
        return _out(x.copy(), y.copy(), s)
    if key == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if key == "bd09":
        return bd09_to_wgs84(lon, lat)
    raise InputError(
        Problem(
            "crs",
            crs,
            "one of wgs84 (GPS, OpenStreetMap, 天地图), gcj02 (高德/腾讯), bd09 (百度)",
        )
    )


def from_wgs84(lon: Any, lat: Any, crs: str) -> tuple[Any, Any]:
    """Convert WGS84 coordinates to ``crs`` ("wgs84", "gcj02" or "bd09"), e.g. for export."""
    key = str(crs).strip().lower().replace("-", "").replace("_", "")
    if key == "wgs84":
        x, y, s = _as_arrays(lon, lat)
        return _out(x.copy(), y.copy(), s)
    if key == "gcj02":
        return wgs84_to_gcj02(lon, lat)
    if key == "bd09":
        return wgs84_to_bd09(lon, lat)
    raise InputError(Problem("crs", crs, f"one of {', '.join(INPUT_CRS_NAMES)}"))


def transform_geometry(geom: Any, crs_from: str, crs_to: str = "wgs84") -> Any:
    """Convert a shapely geometry (lon/lat coordinates) between the three systems."""
    import shapely

    if crs_to.lower() != "wgs84":
        if crs_from.lower() != "wgs84":
            geom = transform_geometry(geom, crs_from, "wgs84")

        def fwd(c: np.ndarray) -> np.ndarray:
            return np.column_stack(from_wgs84(c[:, 0], c[:, 1], crs_to))

        return shapely.transform(geom, fwd)

    def inv(c: np.ndarray) -> np.ndarray:
        return np.column_stack(to_wgs84(c[:, 0], c[:, 1], crs_from))

    return shapely.transform(geom, inv)
