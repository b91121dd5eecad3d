"""The public map: pure folium builders (DataFrames in, ``folium.Map`` out). No streamlit here.

Modules:

- :mod:`ui.map.styles`: marker shapes, colours and glyphs per verdict / report status, CSS.
- :mod:`ui.map.labels`: verdicts, facility types and statuses in words; tooltips; escaping.
- :mod:`ui.map.markers`: facilities and reports as browser-built marker-cluster layers.
- :mod:`ui.map.network`: the street-network layer under a vertex cap (geometry in
  :mod:`geodata.lines`).
- :mod:`ui.map.layers`: tiles, district boundaries, network, coverage gaps, attribution.
- :mod:`ui.map.legend`: the legend.
- :mod:`ui.map.build`: :func:`build_map`, the whole map.

Pages import from here (``from ui.map import build_map``); the names below are the surface.
"""

from __future__ import annotations

from ui.map.build import DEFAULT_ZOOM, YANGJIANG_CENTRE, build_map
from ui.map.labels import (
    escape,
    facility_id_from_tooltip,
    facility_tooltip,
    facility_type_label,
    report_status_label,
    verdict_label,
)
from ui.map.layers import TILE_CHOICES, add_map_controls, add_tiles
from ui.map.legend import legend_html
from ui.map.markers import facility_rows, report_rows
from ui.map.network import MAX_NETWORK_VERTICES, NetworkLayer, network_layer
from ui.map.styles import (
    OTHER_REPORT_STYLE,
    REPORT_STATUS_STYLES,
    VERDICT_STYLES,
    VERDICTS,
    WORK_ORDER_FLAGS,
    MarkerStyle,
)

__all__ = [
    "DEFAULT_ZOOM",
    "MAX_NETWORK_VERTICES",
    "OTHER_REPORT_STYLE",
    "REPORT_STATUS_STYLES",
    "TILE_CHOICES",
    "VERDICTS",
    "VERDICT_STYLES",
    "WORK_ORDER_FLAGS",
    "YANGJIANG_CENTRE",
    "MarkerStyle",
    "NetworkLayer",
    "add_map_controls",
    "add_tiles",
    "build_map",
    "escape",
    "facility_id_from_tooltip",
    "facility_rows",
    "facility_tooltip",
    "facility_type_label",
    "legend_html",
    "network_layer",
    "report_rows",
    "report_status_label",
    "verdict_label",
]
