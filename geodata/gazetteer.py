"""A local gazetteer: find streets, towns, districts, facilities, destinations and report codes
by Chinese, pinyin or English, offline; and name the street nearest to a point.

Pure: plain values in, plain values out (no database, no streamlit). Pinyin comes from
:mod:`pypinyin` (its bundled dictionary), so ``jiangcheng``, ``jcq`` (initials), ``江城`` and
``Jiangcheng`` all find 江城区. pypinyin is loaded without its phrase dictionary (its documented
``PYPINYIN_NO_PHRASES`` switch): the phrases only choose between readings of a polyphonic
character inside a known word, and they cost each app process about 45 MB (56 MB with, 13 MB
without, measured); every character then gets its most common reading.
"""

from __future__ import annotations

import math
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import shapely

os.environ.setdefault("PYPINYIN_NO_PHRASES", "true")  # read once, when pypinyin is imported
from pypinyin import lazy_pinyin

from geodata.crs import lonlat_to_metric

#: Kinds of place, in the order results of equal quality are listed.
KINDS: tuple[str, ...] = ("district", "town", "street", "destination", "facility", "report")
#: Zoom level the map jumps to for each kind of place.
KIND_ZOOM: dict[str, int] = {
    "district": 11, "town": 14, "street": 17, "destination": 17, "facility": 18, "report": 18,
}
#: Longest query considered (characters); longer input is cut, never an error.
MAX_QUERY_CHARS = 80
#: Nearest-street lookups farther than this (metres) say "no street nearby".
NEAREST_STREET_MAX_M = 250.0

_DROP = re.compile(r"[\s\-_.,·，。、/()（）\[\]【】'\"]+")
_HAN = re.compile(r"[\u3400-\u9fff]")


def normalise(text: str) -> str:
    """Fold width and case and drop spaces and punctuation: ``" Demo Rd-12 "`` → ``demord12``."""
    return _DROP.sub("", unicodedata.normalize("NFKC", text).casefold())


@lru_cache(maxsize=65_536)
def pinyin_keys(text: str) -> tuple[str, ...]:
    """Full pinyin and initials of the Han characters of ``text`` (other characters kept).

    ``"演示路 12"`` → ``("yanshilu12", "ysl12")``; text without Han characters → ``()``.
    """
    if not _HAN.search(text):
        return ()
    syllables = [s for s in lazy_pinyin(text) if s.strip()]
    full = normalise("".join(syllables))
    initials = normalise("".join(s.strip()[0] if _is_syllable(s) else s for s in syllables))
    return tuple(dict.fromkeys(k for k in (full, initials) if k))


def _is_syllable(chunk: str) -> bool:
    return chunk.strip().isascii() and chunk.strip().isalpha()


def pinyin_name(text: str) -> str:
    """A readable romanisation for a name without an English one: ``江城区`` → ``Jiangchengqu``."""
    if not _HAN.search(text):
        return text
    out = "".join(lazy_pinyin(text))
    return out[:1].upper() + out[1:]


@dataclass(frozen=True)
class Place:
    """One searchable place (WGS84). ``ref`` is the facility id or report code, else empty."""

    kind: str
    name_zh: str
    name_en: str
    lon: float
    lat: float
    ref: str = ""

    @property
    def zoom(self) -> int:
        return KIND_ZOOM.get(self.kind, 16)

    def keys(self) -> tuple[str, ...]:
        """Normalised search keys: both names, the pinyin (full and initials), the ref."""
        raw = [self.name_zh, self.name_en, self.ref]
        keys = [normalise(k) for k in raw if k]
        keys.extend(pinyin_keys(self.name_zh))
        return tuple(dict.fromkeys(k for k in keys if k))


@dataclass(frozen=True)
class Gazetteer:
    """Places and their search keys; :meth:`search` ranks exact, prefix, then substring hits."""

    places: tuple[Place, ...]
    _keys: tuple[tuple[str, ...], ...] = field(repr=False, default=())

    @classmethod
    def of(cls, places: Iterable[Place]) -> Gazetteer:
        """Index ``places`` (places without finite coordinates are left out)."""
        kept = tuple(p for p in places if math.isfinite(p.lon) and math.isfinite(p.lat))
        return cls(kept, tuple(p.keys() for p in kept))

    def __len__(self) -> int:
        return len(self.places)

    def search(self, query: str, limit: int = 8) -> list[Place]:
        """Up to ``limit`` places matching ``query`` (Chinese, pinyin with or without spaces,
        initials, English, report code), best first; ``[]`` for an empty query."""
        q = normalise(str(query)[:MAX_QUERY_CHARS])
        if not q or limit <= 0:
            return []
        kind_rank = {k: i for i, k in enumerate(KINDS)}
        scored: list[tuple[int, int, int, int]] = []
        for i, keys in enumerate(self._keys):
            best = 3
            for key in keys:
                if key == q:
                    best = 0
                    break
                if key.startswith(q):
                    best = min(best, 1)
                elif q in key:
                    best = min(best, 2)
            if best < 3:
                place = self.places[i]
                scored.append((best, kind_rank.get(place.kind, len(KINDS)),
                               len(place.name_zh or place.name_en), i))
        scored.sort()
        return [self.places[i] for *_, i in scored[:limit]]


def _edge_names(values: Sequence[Any]) -> list[str]:
    """Street names of edges as plain strings (OSM may give a list; the first name counts)."""
    out: list[str] = []
    for value in values:
        if isinstance(value, list | tuple | np.ndarray):
            value = value[0] if len(value) else ""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            value = ""
        out.append(str(value).strip())
    return out


def _name_codes(values: Sequence[Any]) -> tuple[np.ndarray, list[str]]:
    """Per edge, the position of its street name in the returned list (sorted), or -1 when it
    has none: the names of :func:`_edge_names`, read per distinct value, not per edge."""
    import pandas as pd

    column = pd.Series(values, dtype=object)
    try:
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
    except TypeError:  # unhashable values: OSM lists of names
        codes, uniques = pd.factorize(pd.Series(_edge_names(values), dtype=object),
                                      use_na_sentinel=True)
    cleaned = _edge_names(list(uniques))
    names = sorted({n for n in cleaned if n})
    position = {n: i for i, n in enumerate(names)}
    remap = np.array([position.get(n, -1) for n in cleaned] + [-1], dtype=np.int64)
    return remap[codes], names  # code -1 (no value) reads the trailing -1


def _named_edges(
    names: Sequence[Any], geometries: Sequence[Any]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """The geometries as an array, the positions of the edges that have a street name and a
    line, their name codes, and the names (see :func:`_name_codes`)."""
    codes, labels = _name_codes(names)
    geoms = np.asarray(geometries, dtype=object)
    if len(codes) != len(geoms):
        raise ValueError(f"names ({len(codes)}) and geometries ({len(geoms)}) differ in length")
    idx = np.flatnonzero((codes >= 0) & ~shapely.is_empty(geoms) & ~shapely.is_missing(geoms))
    return geoms, idx, codes[idx], labels


def street_places(
    names: Sequence[Any],
    geometries: Sequence[Any],
    english: Mapping[str, str] | None = None,
    *,
    spacing_m: float | None = None,
) -> list[Place]:
    """Places of named streets from edge names and WGS84 line geometries.

    Each name gets a point at the middle of its longest edge. With ``spacing_m`` (map labels),
    a long street gets more points: the middles of its edges, longest first, at least
    ``spacing_m`` apart. ``english`` maps a Chinese name to its English name (the demo network
    has them); otherwise the English name is the pinyin. Work per edge is vectorised: a city's
    network has hundreds of thousands of edges and a few thousand names.
    """
    geoms, idx, code, labels = _named_edges(names, geometries)
    if not idx.size:
        return []
    mids = shapely.line_interpolate_point(geoms[idx], 0.5, normalized=True)
    lon, lat = shapely.get_x(mids), shapely.get_y(mids)
    x, y = lonlat_to_metric(lon, lat)
    length = shapely.length(geoms[idx])  # degrees: enough to rank the edges of one street
    # by name (sorted), then longest first, then edge order
    order = np.lexsort((np.arange(idx.size), -length, code))
    starts = np.flatnonzero(np.r_[True, np.diff(code[order]) != 0])
    ends = np.r_[starts[1:], order.size]
    english = english or {}
    places: list[Place] = []
    xs, ys = x.tolist(), y.tolist()
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        name = labels[int(code[order[a]])]
        edges = order[a:b].tolist()
        chosen = edges[:1] if spacing_m is None else _spaced(edges, xs, ys, spacing_m)
        en = english.get(name) or pinyin_name(name)
        places.extend(Place("street", name, en, float(lon[j]), float(lat[j])) for j in chosen)
    return places


def _spaced(order: list[int], x: Sequence[float], y: Sequence[float],
            spacing_m: float) -> list[int]:
    """Greedily, in ``order``, the points at least ``spacing_m`` from every point kept before.

    Kept points are filed in square cells of side ``spacing_m``, so each candidate is compared
    only with those in its own and the eight neighbouring cells (any closer point lies there):
    the same choice as comparing with all of them, in time linear in the points."""
    kept: list[int] = []
    cells: dict[tuple[int, int], list[int]] = {}
    limit = spacing_m * spacing_m
    near = [(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
    for j in order:
        xj, yj = x[j], y[j]
        cx, cy = math.floor(xj / spacing_m), math.floor(yj / spacing_m)
        clear = True
        for dx, dy in near:
            for k in cells.get((cx + dx, cy + dy), ()):
                if (xj - x[k]) ** 2 + (yj - y[k]) ** 2 < limit:
                    clear = False
                    break
            if not clear:
                break
        if clear:
            kept.append(j)
            cells.setdefault((cx, cy), []).append(j)
    return kept


@dataclass(frozen=True)
class NearestStreet:
    """The street nearest to a point: its names and the distance in metres."""

    name_zh: str
    name_en: str
    distance_m: float


class StreetIndex:
    """Named street edges in metres (UTM 49N) for :meth:`nearest` look-ups."""

    def __init__(self, names: Sequence[Any], geometries: Sequence[Any],
                 english: Mapping[str, str] | None = None) -> None:
        geoms, idx, self._codes, self._labels = _named_edges(names, geometries)
        self._english = dict(english or {})
        metric = shapely.transform(geoms[idx], _to_metric) if idx.size else geoms[idx]
        self._tree = shapely.STRtree(metric)

    def __len__(self) -> int:
        return len(self._codes)

    def nearest(self, lon: float, lat: float,
                max_m: float = NEAREST_STREET_MAX_M) -> NearestStreet | None:
        """The named street within ``max_m`` metres of (lon, lat) WGS84, else None."""
        if not (math.isfinite(lon) and math.isfinite(lat)) or not len(self._codes):
            return None
        x, y = lonlat_to_metric(np.array([lon]), np.array([lat]))
        point = shapely.Point(float(x[0]), float(y[0]))
        hit, dist = self._tree.query_nearest(point, max_distance=max_m, return_distance=True)
        if len(hit) == 0:
            return None
        name = self._labels[int(self._codes[int(hit[0])])]
        return NearestStreet(name, self._english.get(name) or pinyin_name(name), float(dist[0]))


def _to_metric(coords: np.ndarray) -> np.ndarray:
    x, y = lonlat_to_metric(coords[:, 0], coords[:, 1])
    return np.column_stack([x, y])


__all__ = [
    "KINDS",
    "KIND_ZOOM",
    "NEAREST_STREET_MAX_M",
    "Gazetteer",
    "NearestStreet",
    "Place",
    "StreetIndex",
    "normalise",
    "pinyin_keys",
    "pinyin_name",
    "street_places",
]
