"""Yangjiang city data and spatial operations (no streamlit, no database).

Public API (see README "geodata"):

- districts: :data:`DISTRICTS`, :func:`load_districts`, :func:`load_city_outline`,
  :func:`load_towns`, :func:`district_of`, :func:`district_of_many`
- provenance: :mod:`geodata.registry` (:func:`attribution`)
- coordinate systems: :mod:`geodata.coords` (WGS84 ⇄ GCJ-02 ⇄ BD-09, :func:`coords.to_wgs84`)
- CRS conventions: :mod:`geodata.crs` (WGS84 storage, UTM 49N metres)
- street network: :mod:`geodata.network` (``load_network``, ``fetch_network``,
  ``resolve_network``), :func:`edges_gdf`, :func:`nodes_gdf`
- snapping: :mod:`geodata.snap`; network coverage: :mod:`geodata.coverage`
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from geodata import coords, crs, registry
    from geodata.districts import (
        district_of,
        district_of_many,
        load_city_outline,
        load_districts,
        load_towns,
    )
    from geodata.names import CITY_ADCODE, DISTRICTS
    from geodata.registry import attribution

__all__ = [
    "CITY_ADCODE",
    "DISTRICTS",
    "attribution",
    "coords",
    "crs",
    "district_of",
    "district_of_many",
    "edges_gdf",
    "load_city_outline",
    "load_districts",
    "load_towns",
    "nodes_gdf",
    "registry",
]

# The names above load on first use, so importing a light module such as ``geodata.errors`` (which
# ``audit.errors`` and the CLI do) does not import geopandas.
_LAZY: dict[str, str] = {
    "coords": "geodata.coords",
    "crs": "geodata.crs",
    "registry": "geodata.registry",
    "attribution": "geodata.registry",
    # plain names, without the boundaries (and geopandas) of geodata.districts
    "CITY_ADCODE": "geodata.names",
    "DISTRICTS": "geodata.names",
    **dict.fromkeys(
        (
            "district_of",
            "district_of_many",
            "load_city_outline",
            "load_districts",
            "load_towns",
        ),
        "geodata.districts",
    ),
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'geodata' has no attribute {name!r}")
    loaded = importlib.import_module(module)
    value = loaded if module == f"geodata.{name}" else getattr(loaded, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def edges_gdf(G: Any) -> Any:
    """Edges of a street graph as a GeoDataFrame (see :func:`geodata.network.edges_gdf`)."""
    from geodata.network import edges_gdf as _edges

    return _edges(G)


def nodes_gdf(G: Any) -> Any:
    """Nodes of a street graph as a GeoDataFrame (see :func:`geodata.network.nodes_gdf`)."""
    from geodata.network import nodes_gdf as _nodes

    return _nodes(G)
