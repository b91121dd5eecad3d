"""Codes and names of Yangjiang and its four districts: plain data, cheap to import.

Kept apart from :mod:`geodata.districts` (boundaries, geopandas) so that code needing only the
names — the ranking tables, for one — does not load the geometry stack.
"""

from __future__ import annotations

CITY_ADCODE = "441700"
CITY_NAME = ("阳江市", "Yangjiang City")
DISTRICTS: dict[str, tuple[str, str]] = {
    "441702": ("江城区", "Jiangcheng District"),
    "441704": ("阳东区", "Yangdong District"),
    "441721": ("阳西县", "Yangxi County"),
    "441781": ("阳春市", "Yangchun City"),
}

__all__ = ["CITY_ADCODE", "CITY_NAME", "DISTRICTS"]
