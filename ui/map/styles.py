"""How the map draws things: marker shapes, colours and glyphs, line colours, the marker CSS.

Every verdict has its own colour **and** shape **and** glyph (✓ ✗ ? –), so a verdict is never
carried by colour alone. No folium here: plain data shared by the markers, layers and legend.
"""

from __future__ import annotations

from dataclasses import dataclass

VERDICTS: tuple[str, ...] = ("non_compliant", "incomplete", "compliant", "unaudited")


@dataclass(frozen=True)
class MarkerStyle:
    """How one category is drawn: CSS shape class, fill colour and glyph (never colour alone)."""

    shape: str  # circle | square | diamond | pin
    colour: str  # fill; white glyph on it has >= 4.5:1 contrast
    glyph: str


VERDICT_STYLES: dict[str, MarkerStyle] = {
    "compliant": MarkerStyle("circle", "#1b6e34", "✓"),
    "non_compliant": MarkerStyle("square", "#b3261e", "✗"),
    "incomplete": MarkerStyle("diamond", "#7a4a00", "?"),
    "unaudited": MarkerStyle("circle", "#55595e", "–"),
}

#: One style per status of :data:`audit.reports.STATUSES` (a test keeps them in step);
#: rejected and duplicate reports are not on the public map but may appear in bureau views.
REPORT_STATUS_STYLES: dict[str, MarkerStyle] = {
    "new": MarkerStyle("pin", "#6a1b9a", "!"),
    "confirmed": MarkerStyle("pin", "#6a1b9a", "‼"),
    "in_progress": MarkerStyle("pin", "#0b5394", "…"),
    "fixed": MarkerStyle("pin", "#1b6e34", "✓"),
    "rejected": MarkerStyle("pin", "#55595e", "✗"),
    "duplicate": MarkerStyle("pin", "#55595e", "="),
}
OTHER_REPORT_STYLE = MarkerStyle("pin", "#55595e", "!")

#: Work-order flags of a facility row (index 6): none, an open order, an overdue open order.
WORK_ORDER_FLAGS: tuple[str, ...] = ("none", "open", "overdue")

#: Line colours of the vector layers (the legend draws the same colours).
DISTRICT_COLOUR = "#1a1a1a"
NETWORK_COLOUR = "#3d5a80"
GAPS_COLOUR = "#d1495b"

#: Decimal places kept for coordinates sent to the browser (1e-5 degree is about 1 m).
COORD_DECIMALS = 5

MARKER_CSS = """
<style>
.a11y-mk{display:flex;align-items:center;justify-content:center;color:#fff;
  font:bold 13px/1 system-ui,sans-serif;border:2px solid #fff;box-shadow:0 0 0 1px #1a1a1a;
  box-sizing:border-box;width:22px;height:22px}
.a11y-mk.circle{border-radius:50%}
.a11y-mk.square{border-radius:2px}
.a11y-mk.diamond{transform:rotate(45deg);width:19px;height:19px;margin:1px}
.a11y-mk.diamond span{transform:rotate(-45deg)}
.a11y-mk.pin{border-radius:50% 50% 50% 0;}
.a11y-mk{position:relative}
.a11y-wo{position:absolute;top:-8px;right:-9px;background:#fff;color:#1a1a1a;
  border:1px solid #1a1a1a;border-radius:3px;font:bold 9px/1 system-ui,sans-serif;
  padding:1px 2px;white-space:nowrap}
.a11y-mk.diamond .a11y-wo{transform:rotate(-45deg)}
.a11y-legend .a11y-wo{position:static;margin-right:2px}
.a11y-legend .swatch{display:inline-block;width:18px;height:12px;border:1px solid #333}
.a11y-cluster{background:#ffffff;border:3px solid #1a1a1a;border-radius:50%;color:#1a1a1a;
  font:bold 13px/1 system-ui,sans-serif;display:flex;align-items:center;
  justify-content:center;width:36px;height:36px;box-sizing:border-box}
.a11y-cluster.reports{border-style:dashed;border-color:#6a1b9a;color:#4a0d6e}
.a11y-legend{position:absolute;z-index:1000;bottom:40px;left:8px;background:#fff;
  color:#1a1a1a;border:1px solid #1a1a1a;border-radius:4px;padding:6px 8px;
  font:13px/1.4 system-ui,sans-serif;max-width:60%}
.a11y-legend h2{font-size:13px;margin:0 0 2px 0;font-weight:bold}
.a11y-legend summary{cursor:pointer;font-weight:bold}
.a11y-legend ul{list-style:none;margin:0 0 4px 0;padding:0}
.a11y-legend li{display:flex;align-items:center;gap:6px;margin:2px 0}
.a11y-legend .a11y-mk{width:18px;height:18px;font-size:11px}
.a11y-legend .a11y-mk.diamond{width:15px;height:15px}
.a11y-legend .line{display:inline-block;width:18px;height:0;border-top:3px solid}
.a11y-legend .synthetic{color:#7a4a00;font-weight:bold}
.leaflet-container{background:#f4f1ea}
.a11y-choro-label{transform:translate(-50%,-50%);white-space:nowrap;background:#fff;
  border:1px solid #1a1a1a;border-radius:3px;padding:1px 4px;font:bold 12px/1.3 system-ui,
  sans-serif;color:#1a1a1a;width:max-content}
.leaflet-control-attribution{white-space:nowrap;overflow:hidden;text-overflow:ellipsis;
  max-width:calc(100vw - 90px);cursor:pointer}
.leaflet-control-attribution:hover,.leaflet-control-attribution:focus-within{white-space:normal}
</style>
"""
