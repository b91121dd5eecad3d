"""Yangjiang's districts: bundled or bureau boundaries, the city outline, towns, ``district_of``.

The bundled boundaries are the AMap-derived WGS84 file (see ``data/PROVENANCE.md``); the bureau can
replace them with its official file through the ``boundary_file`` setting — any GeoJSON/GeoPackage
with an adcode column and a name column, in any declared CRS.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata import registry
from geodata.crs import WGS84, check_lonlat
from geodata.errors import InputError, Problem
from geodata.names import CITY_ADCODE as CITY_ADCODE
from geodata.names import CITY_NAME as CITY_NAME
from geodata.names import DISTRICTS as DISTRICTS

_ADCODE_COLUMNS = ("adcode", "code", "district_code", "区划代码", "ADCODE")
_NAME_COLUMNS = ("name_zh", "name", "NAME", "名称")
_MAX_REPORTED = 5


def _bundled_path() -> Path:
    return registry.path_of("districts")


def _pick(columns: pd.Index, candidates: tuple[str, ...]) -> str | None:
    for c in candidates:
        if c in columns:
            return c
    return None


def _normalise_code(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _read(path: Path) -> gpd.GeoDataFrame:
    if not path.is_file():
        raise InputError(
            Problem("boundary_file", str(path), "an existing GeoJSON or GeoPackage file")
        )
    fast = _read_plain_geojson(path)
    if fast is not None:
        return fast
    try:
        return gpd.read_file(path)
    except Exception as exc:
        raise InputError(
            Problem(
                "boundary_file",
                str(path),
                f"a readable GeoJSON/GeoPackage file with district polygons ({exc})",
            )
        ) from None


_WGS84_NAMES = ("EPSG::4326", "EPSG:4326", "CRS84")


def _read_plain_geojson(path: Path) -> gpd.GeoDataFrame | None:
    """A WGS84 GeoJSON FeatureCollection read with ``json`` and shapely, or ``None`` to let
    ``geopandas.read_file`` handle the file (another format, a declared non-WGS84 CRS, damage).

    The app reads its boundaries this way so that it never loads GDAL (pyogrio, ~30 MiB).
    """
    if path.suffix.lower() not in (".geojson", ".json"):
        return None
    try:
        data = json.loads(path.read_bytes())
        features = data["features"]
        crs = data.get("crs")
        if crs is not None and not any(
            n in str(crs.get("properties", {}).get("name", "")) for n in _WGS84_NAMES
        ):
            return None
        props = [dict(f.get("properties") or {}) for f in features]
        geoms = [json.dumps(f["geometry"]) if f.get("geometry") else None for f in features]
        return gpd.GeoDataFrame(
            pd.DataFrame(props), geometry=shapely.from_geojson(geoms), crs=WGS84
        )
    except Exception:  # anything odd: geopandas reads it, or reports it as before
        return None


def _validate(raw: gpd.GeoDataFrame, source: str) -> gpd.GeoDataFrame:
    """Check a boundary table and normalise it to the public columns; report every problem."""
    problems: list[Problem] = []
    code_col = _pick(raw.columns, _ADCODE_COLUMNS)
    name_col = _pick(raw.columns, _NAME_COLUMNS)
    if code_col is None:
        problems.append(
            Problem(
                f"{source} columns", list(raw.columns),
                f"a column named one of {_ADCODE_COLUMNS}")
        )
    if name_col is None:
        problems.append(
            Problem(
                f"{source} columns", list(raw.columns),
                f"a column named one of {_NAME_COLUMNS}")
        )
    if raw.crs is None:
        problems.append(
            Problem(f"{source} crs", None, "a declared CRS (GeoJSON is WGS84; set it in the file)")
        )
    if problems:
        raise InputError(problems, context="boundary file")
    assert code_col is not None and name_col is not None
    df = raw.to_crs(WGS84)
    codes = df[code_col].map(_normalise_code)
    keep = codes != CITY_ADCODE
    df, codes = df[keep], codes[keep]
    unknown = sorted(set(codes) - set(DISTRICTS))
    if unknown:
        problems.append(
            Problem(
                f"{source} {code_col}", unknown, f"Yangjiang district adcodes: {sorted(DISTRICTS)}"
            )
        )
    dup = sorted(codes[codes.duplicated()].unique())
    if dup:
        problems.append(Problem(f"{source} {code_col}", dup, "each district once (dissolve first)"))
    missing = sorted(set(DISTRICTS) - set(codes))
    if missing:
        problems.append(Problem(f"{source} {code_col}", missing, "all four districts present"))
    geom = df.geometry
    bad_type = ~geom.geom_type.isin(["Polygon", "MultiPolygon"])
    if bad_type.any():
        problems.append(
            Problem(f"{source} geometry", sorted(set(geom[bad_type].geom_type.astype(str))),
                    "Polygon or MultiPolygon for every district")
        )
    else:
        lon_ok = geom.bounds.minx.ge(109).all() and geom.bounds.maxx.le(114).all()
        lat_ok = geom.bounds.miny.ge(20).all() and geom.bounds.maxy.le(23.5).all()
        if not (lon_ok and lat_ok):
            problems.append(
                Problem(f"{source} bounds", tuple(round(v, 3) for v in df.total_bounds),
                        "polygons around Yangjiang (about lon 111-113, lat 21-23) in the declared "
                        "CRS; check the CRS of the file (GCJ-02/BD-09 must be converted first)")
            )
    if problems:
        raise InputError(problems, context="boundary file")
    geometry = shapely.make_valid(geom.values)
    out = gpd.GeoDataFrame(
        {
            "adcode": codes.to_numpy(),
            "name_zh": [DISTRICTS[c][0] for c in codes],
            "name_en": [DISTRICTS[c][1] for c in codes],
            "name_source": df[name_col].astype(str).to_numpy(),
        },
        geometry=geometry,
        crs=WGS84,
    )
    return out.sort_values("adcode").reset_index(drop=True)


@lru_cache(maxsize=8)
def _load_cached(path_str: str, mtime: float) -> gpd.GeoDataFrame:
    path = Path(path_str)
    return _validate(_read(path), path.name)


def load_districts(boundary_file: Path | str | None = None) -> gpd.GeoDataFrame:
    """The four districts: columns ``adcode, name_zh, name_en, name_source, geometry`` (EPSG:4326).

    ``boundary_file`` (the ``boundary_file`` setting) replaces the bundled AMap-derived file; it is
    validated and any problem raises :class:`InputError` listing all of them. A copy is returned.
    """
    path = Path(boundary_file) if boundary_file else _bundled_path()
    if not path.is_file():
        raise InputError(
            Problem("boundary_file", str(path), "an existing GeoJSON or GeoPackage file")
        )
    return _load_cached(str(path.resolve()), path.stat().st_mtime).copy()


def load_city_outline(boundary_file: Path | str | None = None) -> gpd.GeoDataFrame:
    """One row: the city (441700) outline, the union of the districts (EPSG:4326)."""
    d = load_districts(boundary_file)
    geom = shapely.union_all(d.geometry.values)
    return gpd.GeoDataFrame(
        {"adcode": [CITY_ADCODE], "name_zh": [CITY_NAME[0]], "name_en": [CITY_NAME[1]]},
        geometry=[geom],
        crs=WGS84,
    )


def load_towns() -> gpd.GeoDataFrame:
    """The 44 GeoNames populated places: ``name, district_guess, adcode, geometry`` (EPSG:4326)."""
    path = Path(registry.path_of("towns"))
    g = _read_plain_geojson(path)
    if g is None:
        g = gpd.read_file(path)
    zh_to_code = {zh: code for code, (zh, _en) in DISTRICTS.items()}
    g["adcode"] = g["district_guess"].map(zh_to_code)
    return g[["name", "district_guess", "adcode", "geometry"]]


@lru_cache(maxsize=8)
def _index(path_str: str | None) -> tuple[shapely.STRtree, np.ndarray]:
    d = load_districts(path_str)
    geoms = d.geometry.values
    shapely.prepare(geoms)
    return shapely.STRtree(geoms), d["adcode"].to_numpy(dtype=object)


def district_of_many(
    lons: Any,
    lats: Any,
    *,
    outside: Literal["raise", "none"] = "raise",
    boundary_file: Path | str | None = None,
) -> np.ndarray:
    """District code for each point (object array of str, or ``None`` outside when allowed).

    NaN or swapped coordinates always raise :class:`InputError`. A point outside the city raises
    (naming the point) unless ``outside="none"``.
    """
    lon, lat = check_lonlat(lons, lats)
    tree, codes = _index(str(boundary_file) if boundary_file else None)
    pts = shapely.points(lon, lat)
    inp, hit = tree.query(pts, predicate="intersects")
    result = np.full(lon.shape, None, dtype=object)
    # first match wins for points exactly on a shared border
    order = np.argsort(inp, kind="stable")[::-1]
    result[inp[order]] = codes[hit[order]]
    if outside == "raise":
        missing = np.flatnonzero(pd.isna(result))
        if missing.size:
            problems = [
                Problem(
                    "point" if lon.size == 1 else f"point[{i}]",
                    (float(lon[i]), float(lat[i])),
                    "a WGS84 lon/lat inside Yangjiang (441700); check the coordinate system "
                    "(GCJ-02/BD-09 need converting) and the order (lon, lat)",
                )
                for i in missing[:_MAX_REPORTED]
            ]
            if missing.size > _MAX_REPORTED:
                problems.append(
                    Problem("points", f"... and {missing.size - _MAX_REPORTED} more", "inside")
                )
            raise InputError(problems, context="point outside the city")
    elif outside != "none":
        raise InputError(Problem("outside", outside, "'raise' or 'none'"))
    return result


def district_of(
    lon: Any, lat: Any, *, boundary_file: Path | str | None = None
) -> str | np.ndarray:
    """District code of a point (scalars → ``str``) or of many points (arrays → numpy array).

    A point outside the city, NaN, or swapped lon/lat raises :class:`InputError`.
    """
    codes = district_of_many(lon, lat, outside="raise", boundary_file=boundary_file)
    if np.ndim(lon) == 0 and np.ndim(lat) == 0:
        return str(codes[0])
    return codes.astype(str)
