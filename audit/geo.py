"""Small geodesic helpers shared by storage and domain code (no database, no UI).

Coordinates are validated by :func:`geodata.crs.check_point` (one pair) and
:func:`geodata.crs.check_lonlat` (many), the project's one lon/lat validator.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy is imported on first use: a cold process that never measures a
    # distance (the rankings) does not pay for it
    import numpy as np
    from numpy.typing import ArrayLike, NDArray

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean radius


def haversine_m(
    lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike
) -> NDArray[np.float64]:
    """Great-circle distance in metres (vectorised)."""
    import numpy as np

    lon1r, lat1r, lon2r, lat2r = (
        np.radians(np.asarray(a, dtype=float)) for a in (lon1, lat1, lon2, lat2)
    )
    a = (
        np.sin((lat2r - lat1r) / 2) ** 2
        + np.cos(lat1r) * np.cos(lat2r) * np.sin((lon2r - lon1r) / 2) ** 2
    )
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(a)), dtype=float)


def degree_box(lat: float, radius_m: float) -> tuple[float, float]:
    """Half-widths (dlon, dlat) in degrees of a box that contains a circle of ``radius_m``."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlon = dlat / max(math.cos(math.radians(lat)), 1e-6)
    return dlon * 1.01, dlat * 1.01
