"""Edge inclines of the walk network from an optional elevation model (a GeoTIFF DEM) (issue 14 §2).

OSM ``incline`` tags are rare. Where a city has a digital elevation model, :func:`add_dem_inclines`
reads it with rasterio (an optional dependency, ``pip install .[dem]``; imported only here, only
when a DEM is given) and gives every edge of the network the slope it has on the model, in
percent, as the edge attribute :data:`DEM_KEY`. :func:`edge_inclines` then merges, per edge:

- ``osm``: the edge's OSM ``incline`` tag where it states a slope (``5%``, ``3°``) — it wins;
- ``dem``: else the DEM's slope, where the model has data along the whole edge;
- ``unknown``: else. Nothing is guessed where the DEM has no data (nodata, outside the file).

How a slope is taken from the model (the choices and why):

- The network's edges are measured in a local transverse Mercator projection centred on the
  network (metres true to well under 0.1 % across a city, wherever it is), sampled every
  ``max(10 m, the DEM's pixel size)`` along their line, and the sample points are reprojected to
  the DEM's CRS with pyproj (any CRS the file declares; a file without one is refused).
- Heights are interpolated bilinearly between pixel centres (a plane is reproduced exactly;
  nearest-pixel sampling would turn every pixel edge into a step).
- An edge's incline is its **steepest sub-segment** between consecutive samples, not the
  end-to-end grade: a person meets the steepest part of a way, and a way that climbs and falls
  again has an end-to-end grade near zero. Samples are no closer than one pixel, since below
  that the model only interpolates and the sub-segment grade would amplify its noise.
- Every sample must have data (all four pixels around it): one nodata pixel makes the edge
  unknown.
- Bridges and tunnels (``bridge=*``/``tunnel=*`` other than ``no``) and elevators get no DEM
  incline: the model holds the ground (or water) under a bridge and the hill above a tunnel.

Limits (see docs/ROUTING.md): a 30 m model (SRTM, ASTER, Copernicus GLO-30) smooths kerbs, curb
ramps and short ramps away, and integer-metre heights add up to ±1 m per pixel of noise; a DEM
slope is no substitute for a measured ramp. Heights are taken to be metres.

Only the window of the raster covering the network is read, and a window larger than
:data:`MAX_WINDOW_CELLS` cells is refused before it is read (a 30 m DEM of 150 km × 150 km
fits; resample a finer DEM first). Every refusal is an :class:`InputError` naming the field
``dem_file``, the value and what is allowed.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from geodata.errors import InputError, Problem
from geodata.graphindex import GraphIndex, _pair_codes, graph_index
from geodata.profiles import parse_incline

if TYPE_CHECKING:
    import networkx as nx

#: the settings field (and CLI option) naming the DEM file; every error names it
FIELD = "dem_file"
#: edge attribute holding the DEM slope in percent (absolute), set by :func:`add_dem_inclines`
DEM_KEY = "dem_incline_pct"
#: graph labels written with the DEM inclines (cleared from a source that carries them)
GRAPH_KEYS = ("dem_name", "dem_sha256", "dem_crs", "dem_pixel_m", "dem_spacing_m", "dem_edges")
#: bumped when the sampling changes: part of the compact cache key
METHOD_VERSION = "1"
#: the most raster cells read (float32: 4 bytes each, plus a byte of mask: at most 125 MB)
MAX_WINDOW_CELLS = 25_000_000
#: the closest spacing of samples along an edge (metres); never closer than one pixel
MIN_SPACING_M = 10.0
#: edges shorter than this get no DEM slope (a grade over less is no grade)
MIN_EDGE_M = 1.0
#: tags whose presence (other than ``=no``) keeps the DEM off an edge
EXCLUDE_TAGS = ("bridge", "tunnel")
EXCLUDE_HIGHWAYS = frozenset({"elevator"})
SOURCES = ("unknown", "osm", "dem")
ALLOWED = "a readable GeoTIFF elevation model (.tif) with a CRS, covering the walk network"


@dataclass(frozen=True)
class DemInfo:
    """What was read: the file's name and SHA-256, its CRS, its pixel size near the network (m),
    the sample spacing (m) and how many directed edges got a DEM slope."""

    name: str
    sha256: str
    crs: str
    pixel_m: float
    spacing_m: float
    edges: int

    def labels(self) -> dict[str, Any]:
        return dict(zip(GRAPH_KEYS, (self.name, self.sha256, self.crs, self.pixel_m,
                                     self.spacing_m, self.edges), strict=True))


def _problem(value: Any, allowed: str = ALLOWED, code: str = "") -> InputError:
    return InputError(Problem(FIELD, str(value), allowed, code=code))


def file_sha256(path: Path | str) -> str:
    with Path(path).open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def dem_path(value: Path | str | None) -> Path | None:
    """The DEM file a setting or option names (``None``/empty: no DEM); a missing file raises."""
    if value is None or not str(value).strip():
        return None
    path = Path(str(value).strip()).expanduser()
    if not path.is_file():
        raise _problem(value, "an existing GeoTIFF file (or empty for no elevation model)")
    return path


def _rasterio(value: Any) -> Any:
    try:
        import rasterio
    except ImportError:
        raise _problem(value, "an elevation model needs the optional package rasterio "
                              "(pip install '.[dem]'); leave dem_file empty without it",
                       code="missing_dependency") from None
    return rasterio


def _open(path: Path) -> Any:
    """The dataset, checked: a GeoTIFF with a CRS and at least one band."""
    rasterio = _rasterio(path)
    from rasterio.errors import RasterioError

    try:
        ds = rasterio.open(str(path.resolve()))
    except (RasterioError, OSError) as exc:
        raise _problem(path, f"{ALLOWED} (not readable: {str(exc)[:120]})") from None
    try:
        if ds.driver != "GTiff":
            raise _problem(path, f"{ALLOWED} (this is a {ds.driver} raster)")
        if ds.crs is None:
            raise _problem(path, f"{ALLOWED} (this file declares no CRS)")
        if ds.count < 1 or ds.width < 2 or ds.height < 2:
            raise _problem(path, f"{ALLOWED} (it needs one band of at least 2 × 2 pixels)")
    except BaseException:
        ds.close()
        raise
    return ds


def check_dem(path: Path | str) -> None:
    """Open the DEM and check it (GeoTIFF, CRS, a band) without reading pixels: fail early."""
    _open(Path(path)).close()


def _local_crs(idx: GraphIndex) -> str:
    lon0 = float(np.mean([idx.node_lon.min(), idx.node_lon.max()]))
    lat0 = float(np.mean([idx.node_lat.min(), idx.node_lat.max()]))
    return (f"+proj=tmerc +lat_0={lat0:.6f} +lon_0={lon0:.6f} +k=1 +x_0=0 +y_0=0 "
            "+ellps=WGS84 +units=m +no_defs")


def _samples(
    geoms: np.ndarray, spacing: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Points every ``<= spacing`` m along each line (ends included): x, y, the edge of each
    sample, and each edge's sub-segment length (0 for an empty or degenerate line)."""
    coords, which = shapely.get_coordinates(geoms, return_index=True)
    m = len(geoms)
    step = np.zeros(len(coords))
    same = np.zeros(len(coords), dtype=bool)
    same[1:] = which[1:] == which[:-1]
    step[1:] = np.where(same[1:], np.hypot(*(coords[1:] - coords[:-1]).T), 0.0)
    length = np.bincount(which, weights=step, minlength=m)
    # one increasing key for all lines: each line starts 1 m after the previous one ended
    start = np.concatenate([[0.0], np.cumsum(length + 1.0)[:-1]])
    key = start[which] + (np.cumsum(step) - np.cumsum(step)[np.searchsorted(which, which)])
    nseg = np.maximum(np.ceil(length / spacing), 1).astype(np.int64)
    counts = np.where(np.bincount(which, minlength=m) > 0, nseg + 1, 0)
    edge = np.repeat(np.arange(m), counts)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    k = np.arange(len(edge)) - first[edge]
    seg = np.divide(length, nseg, out=np.zeros(m), where=nseg > 0)
    at = start[edge] + k * seg[edge]
    x = np.interp(at, key, coords[:, 0]) if len(key) else np.empty(0)
    y = np.interp(at, key, coords[:, 1]) if len(key) else np.empty(0)
    return x, y, edge, seg


def _excluded(G: Any, m: int) -> np.ndarray:
    """Edges on a bridge or in a tunnel, and elevators: no DEM slope for them."""
    out = np.zeros(m, dtype=bool)
    for key in EXCLUDE_TAGS:  # bridge=yes|viaduct|..., tunnel=yes|building_passage|...: not "no"
        out |= _parsed(_edge_column(G, key),
                       lambda v: float(_joined(v).strip().lower() not in ("", "no"))) == 1.0
    out |= _parsed(_edge_column(G, "highway"),
                   lambda v: float(bool(set(_joined(v).split(";")) & EXCLUDE_HIGHWAYS))) == 1.0
    return out


def _joined(value: Any) -> str:
    """A tag value as one string (osmnx merges a way's values into a list: joined with ';')."""
    if isinstance(value, list | tuple | set):
        return ";".join(str(v) for v in value)
    return str(value)


def dem_slopes(
    G: nx.MultiDiGraph | Any, path: Path | str, *, max_cells: int | None = None
) -> tuple[np.ndarray, DemInfo]:
    """The DEM slope of every edge position of ``G`` in percent (NaN: unknown) and what was read.

    ``G``: an osmnx-style graph or a :class:`geodata.compact.CompactNetwork` (WGS84);
    ``max_cells``: the most raster cells read (default :data:`MAX_WINDOW_CELLS`)."""
    if max_cells is None:
        max_cells = MAX_WINDOW_CELLS
    from pyproj import Transformer

    from geodata.crs import WGS84

    def transformer(src: str, dst: str) -> Any:  # not geodata.crs's small shared cache
        return Transformer.from_crs(src, dst, always_xy=True)

    path = Path(path)
    idx = graph_index(G)
    m = len(idx.edge_u)
    sha = file_sha256(path)
    with _open(path) as ds:
        dem_crs = ds.crs.to_wkt()
        crs_name = str(ds.crs)
        local = _local_crs(idx)
        to_local = transformer(WGS84, local)
        # each two-way pair once (the same line both ways has the same absolute slope)
        src = _twins(idx)
        todo = np.flatnonzero(src == np.arange(m))
        geoms = shapely.transform(
            idx.edge_geom[todo], lambda c: np.column_stack(to_local.transform(c[:, 0], c[:, 1]))
        )
        to_dem = transformer(local, dem_crs)
        # pixel size near the network, in metres (any CRS: measured in the local projection)
        cx, cy = to_dem.transform(0.0, 0.0)
        a = ds.transform
        col, row = _apply(~a, cx, cy)
        corners = [_apply(a, col, row), _apply(a, col + 1, row), _apply(a, col, row + 1)]
        back = transformer(dem_crs, local)
        px, py = back.transform([c[0] for c in corners], [c[1] for c in corners])
        pixel_m = float(max(math.hypot(px[1] - px[0], py[1] - py[0]),
                            math.hypot(px[2] - px[0], py[2] - py[0])))
        if not math.isfinite(pixel_m) or pixel_m <= 0:
            raise _problem(path, f"{ALLOWED} (its pixel size cannot be measured here)")
        spacing = max(MIN_SPACING_M, pixel_m)
        sx, sy, edge, seg = _samples(geoms, spacing)
        dx, dy = to_dem.transform(sx, sy)
        dx, dy = np.asarray(dx, float), np.asarray(dy, float)
        fin = np.isfinite(dx) & np.isfinite(dy)
        if not fin.any():
            raise _problem(path, f"{ALLOWED} (it does not overlap the network)")
        cols, rows = _apply(~a, dx[fin], dy[fin])
        pad = 2
        c0 = max(int(np.floor(np.min(cols))) - pad, 0)
        r0 = max(int(np.floor(np.min(rows))) - pad, 0)
        c1 = min(int(np.ceil(np.max(cols))) + pad, ds.width)
        r1 = min(int(np.ceil(np.max(rows))) + pad, ds.height)
        if c1 - c0 < 2 or r1 - r0 < 2:
            raise _problem(path, f"{ALLOWED} (it does not overlap the network)")
        cells = (c1 - c0) * (r1 - r0)
        if cells > max_cells:
            raise _problem(
                path,
                f"{ALLOWED}; the part covering the network is {c1 - c0} × {r1 - r0} pixels, more "
                f"than {max_cells:,} (resample it to a coarser grid, e.g. 5-30 m)",
                code="too_large",
            )
        from rasterio.windows import Window

        window = Window(c0, r0, c1 - c0, r1 - r0)
        # in memory: the window as float32 (4 bytes a cell) and its mask (1 byte), no copies
        z = ds.read(1, window=window, out_dtype="float32")
        z[ds.read_masks(1, window=window) == 0] = np.nan  # nodata (and masked) pixels
    z[~np.isfinite(z)] = np.nan
    height = _bilinear(z, cols - c0, rows - r0)
    elev = np.full(len(sx), np.nan)
    elev[fin] = height
    once = _steepest(elev, edge, seg, len(todo))
    once[np.asarray(shapely.length(geoms)) < MIN_EDGE_M] = np.nan
    where = np.full(m, -1, dtype=np.int64)
    where[todo] = np.arange(len(todo))
    slope = once[where[src]]
    slope[_excluded(G, m)] = np.nan
    info = DemInfo(path.name, sha, crs_name, round(pixel_m, 2), round(spacing, 2),
                   int(np.isfinite(slope).sum()))
    return slope, info


def _twins(idx: GraphIndex) -> np.ndarray:
    """Per edge position, the position whose slope it takes: itself, or, for the second edge of
    a two-way pair (``idx.undirected`` False), its reverse twin."""
    m = len(idx.edge_u)
    src = np.arange(m)
    second = np.flatnonzero(~idx.undirected)
    if not second.size:
        return src
    fwd, rev = _pair_codes(idx.edge_u, idx.edge_v, idx.edge_key, max(len(idx.node_ids), 1))
    if isinstance(fwd, np.ndarray):
        order = np.argsort(fwd, kind="stable")
        known = fwd[order]
        at = np.minimum(np.searchsorted(known, rev[second]), m - 1)
        hit = known[at] == rev[second]
        src[second[hit]] = order[at[hit]]
        return src
    where = {code: i for i, code in enumerate(fwd)}
    for e in second.tolist():
        src[e] = where.get(rev[e], e)
    return src


def _apply(t: Any, x: Any, y: Any) -> tuple[Any, Any]:
    """An affine transform of points (scalars or arrays), spelt out (no operator overloads)."""
    return t.a * x + t.b * y + t.c, t.d * x + t.e * y + t.f


def _bilinear(z: np.ndarray, col: np.ndarray, row: np.ndarray) -> np.ndarray:
    """Heights at fractional pixel positions (pixel centres at +0.5); NaN where any of the four
    pixels around a point has no data or lies outside."""
    h, w = z.shape
    c, r = col - 0.5, row - 0.5
    j0, i0 = np.floor(c).astype(np.int64), np.floor(r).astype(np.int64)
    ok = (i0 >= 0) & (j0 >= 0) & (i0 + 1 < h) & (j0 + 1 < w)
    out = np.full(len(c), np.nan)
    i, j = i0[ok], j0[ok]
    fc, fr = c[ok] - j, r[ok] - i
    out[ok] = ((z[i, j] * (1 - fc) + z[i, j + 1] * fc) * (1 - fr)
               + (z[i + 1, j] * (1 - fc) + z[i + 1, j + 1] * fc) * fr)
    return out  # a NaN neighbour makes the sum NaN


def _steepest(elev: np.ndarray, edge: np.ndarray, seg: np.ndarray, m: int) -> np.ndarray:
    """Per edge: the steepest grade (%) between consecutive samples; NaN if a sample has none."""
    out = np.full(m, np.nan)
    if not len(edge):
        return out
    same = edge[1:] == edge[:-1]
    grade = np.abs(np.diff(elev)) / np.where(seg[edge[1:]] > 0, seg[edge[1:]], np.nan) * 100.0
    bad = np.bincount(edge[np.isnan(elev)], minlength=m) > 0
    pairs = same & np.isfinite(grade)
    steep = np.full(m, -np.inf)
    np.maximum.at(steep, edge[1:][pairs], grade[pairs])
    known = np.isfinite(steep) & ~bad
    out[known] = steep[known]
    return out


def add_dem_inclines(
    G: nx.MultiDiGraph | Any, path: Path | str, *, max_cells: int | None = None
) -> DemInfo:
    """Give every edge of ``G`` its DEM slope (:data:`DEM_KEY`, percent; absent: unknown) and
    label the graph with what was read (:data:`GRAPH_KEYS`). ``G`` is changed in place: an
    osmnx-style graph gets edge attributes, a compact network a tag column."""
    slope, info = dem_slopes(G, path, max_cells=max_cells)
    clear_dem(G)
    if hasattr(G, "edge_tag_dicts"):
        text = pd.Series([f"{v:.2f}" if np.isfinite(v) else None for v in slope], dtype=object)
        G.edge_tags[DEM_KEY] = pd.Categorical(text)
    else:
        edges = (d for nbrs in G._adj.values() for kd in nbrs.values() for d in kd.values())
        for d, v in zip(edges, slope.tolist(), strict=True):
            if math.isfinite(v):
                d[DEM_KEY] = round(v, 2)
    G.graph.update(info.labels())
    return info


def clear_dem(G: nx.MultiDiGraph | Any) -> None:
    """Remove DEM slopes and labels from ``G`` (a source file must not bring its own)."""
    for key in GRAPH_KEYS:
        G.graph.pop(key, None)
    if hasattr(G, "edge_tag_dicts"):
        G.edge_tags.pop(DEM_KEY, None)
        return
    for nbrs in G._adj.values():
        for kd in nbrs.values():
            for d in kd.values():
                d.pop(DEM_KEY, None)


def edge_inclines(G: nx.MultiDiGraph | Any) -> tuple[np.ndarray, np.ndarray]:
    """Per edge position: the incline in percent (NaN: unknown) and its source
    (``osm`` | ``dem`` | ``unknown``, see the module docstring): the OSM tag wins."""
    osm = _parsed(_edge_column(G, "incline"), lambda v: parse_incline(_one(v)))
    dem = _parsed(_edge_column(G, DEM_KEY), _number)
    has_osm, has_dem = np.isfinite(osm), np.isfinite(dem)
    pct = np.where(has_osm, osm, dem)
    source = np.full(len(pct), "unknown", dtype=object)
    source[has_dem & ~has_osm] = "dem"
    source[has_osm] = "osm"
    return pct, source


def _edge_column(G: Any, key: str) -> np.ndarray:
    """One attribute of every edge position (``None`` where absent), as an object array."""
    if hasattr(G, "edge_column"):  # a compact network (name/highway live in its index)
        out = np.full(G.number_of_edges(), None, dtype=object)
        values = G.edge_column(key)
        if values is not None:
            present = ~pd.isna(values)
            out[present] = values[present]
        return out
    vals = [d.get(key) for nbrs in G._adj.values() for kd in nbrs.values() for d in kd.values()]
    out = np.empty(len(vals), dtype=object)
    out[:] = vals
    return out


def _parsed(values: np.ndarray, parse: Any) -> np.ndarray:
    """``parse`` of each value (each distinct one once) as floats, NaN where it gives None."""
    out = np.full(len(values), np.nan)
    seen: dict[Any, float] = {}
    for i in np.flatnonzero(values != None).tolist():  # noqa: E711 (elementwise)
        v = values[i]
        key = v if isinstance(v, str | float | int) else repr(v)
        got = seen.get(key)
        if got is None:
            res = parse(v)
            got = seen[key] = math.nan if res is None else float(res)
        out[i] = got
    return out


def _one(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list | tuple):  # osmnx merges a way's values into a list
        return None if len(set(map(str, value))) != 1 else str(value[0])
    return str(value)


def _number(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) and out >= 0 else None


def dem_label(G: nx.MultiDiGraph | Any) -> dict[str, Any] | None:
    """What DEM the network's inclines come from (name, pixel size ...), or ``None``."""
    if not G.graph.get("dem_sha256"):
        return None
    return {k: G.graph.get(k) for k in GRAPH_KEYS}


__all__ = [
    "DEM_KEY",
    "FIELD",
    "MAX_WINDOW_CELLS",
    "METHOD_VERSION",
    "DemInfo",
    "add_dem_inclines",
    "check_dem",
    "clear_dem",
    "dem_label",
    "dem_path",
    "dem_slopes",
    "edge_inclines",
    "file_sha256",
]
