"""The offline basemap's words and the locate-me control.

- :class:`PlaceLabels`: district names (zoomed out), town names (city zoom) and street names
  (street zoom, only those in view) as non-interactive labels in their own pane, so taps reach
  the markers and the map beneath. Built in the browser from compact rows, which it fetches
  from a published file (:class:`LabelSets`, :mod:`ui.map.published`); every name is escaped
  in Python first (:func:`ui.map.labels.escape`).
- :func:`add_locate_control`: leaflet.locatecontrol (npm, served by the app) with the accuracy
  circle and the accuracy in words in a live region ("±12 m").

No streamlit here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import folium
from branca.element import MacroElement
from folium.plugins import LocateControl
from folium.template import Template

from ui.i18n import translate
from ui.map.labels import escape
from ui.map.published import JsonFile, json_file, publish
from ui.map.styles import COORD_DECIMALS

#: Zoom levels at which each kind of name shows (inclusive bounds).
DISTRICT_LABEL_ZOOM = (0, 12)
TOWN_LABEL_ZOOM = (11, 16)
STREET_LABEL_ZOOM = (15, 30)
#: Most street labels drawn at once (the densest view of the demo network has ~150).
MAX_STREET_LABELS = 400

LabelRow = tuple[str, float, float]  # (name, lat, lon)


def label_rows(names: Sequence[str], lats: Sequence[float], lons: Sequence[float]
               ) -> list[list[Any]]:
    """Compact rows ``[escaped name, lat, lon]`` (rounded), skipping empty names."""
    return [
        [escape(n), round(float(la), COORD_DECIMALS), round(float(lo), COORD_DECIMALS)]
        for n, la, lo in zip(names, lats, lons, strict=True)
        if n
    ]


class PlaceLabels(MacroElement):
    """District, town and street names, shown by zoom; street names only within the view.
    ``url`` serves the label sets (:attr:`LabelSets.document`)."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
        .a11y-label{background:none;border:none;white-space:nowrap;
          font:12px/1.2 system-ui,sans-serif;color:#1a1a1a;
          text-shadow:0 0 2px #fff,0 0 2px #fff,0 0 3px #fff;
          transform:translate(-50%,-50%);width:auto!important;height:auto!important}
        .a11y-label.district{font-size:15px;font-weight:bold;letter-spacing:1px}
        .a11y-label.town{font-size:13px;font-weight:600}
        .a11y-label.street{color:#24364f}
        </style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        (function(){
            var map = {{ this._parent.get_name() }};
            var pane = map.createPane('a11yLabels');
            pane.style.zIndex = 450;
            pane.style.pointerEvents = 'none';
            var sets = [];
            var group = L.layerGroup().addTo(map);
            function draw() {
                group.clearLayers();
                var z = map.getZoom(), b = map.getBounds().pad(0.2);
                sets.forEach(function (set) {
                    if (z < set.min || z > set.max) { return; }
                    var n = 0;
                    for (var i = 0; i < set.rows.length && n < set.cap; i++) {
                        var r = set.rows[i];
                        if (set.inView && !b.contains([r[1], r[2]])) { continue; }
                        n++;
                        group.addLayer(L.marker([r[1], r[2]], {
                            pane: 'a11yLabels', interactive: false, keyboard: false,
                            icon: L.divIcon({className: 'a11y-label ' + set.kind, html: r[0],
                                             iconSize: null})}));
                    }
                });
            }
            map.on('zoomend moveend', draw);
            fetch({{ this.url|tojson }}).then(function (r) {
                if (!r.ok) { throw new Error('map labels ' + r.url + ': HTTP ' + r.status); }
                return r.json();
            }).then(function (data) { sets = data; map.whenReady(draw); });
        })();
        {% endmacro %}"""
    )

    def __init__(self, url: str) -> None:
        super().__init__()
        self._name = "PlaceLabels"
        self.url = url


@dataclass(frozen=True)
class LabelSets:
    """District, town and street name rows (from :func:`label_rows`) as the map draws them.

    Keep one object per language in a shared cache (``st.cache_resource``): its
    :attr:`document` is serialised once per object."""

    districts: tuple[list[Any], ...] = ()
    towns: tuple[list[Any], ...] = ()
    streets: tuple[list[Any], ...] = ()

    @classmethod
    def of(cls, rows: Mapping[str, Sequence[list[Any]] | None]) -> LabelSets:
        """From a mapping ``{"districts": rows, "towns": rows, "streets": rows}`` (any may be
        missing)."""
        return cls(*(tuple(rows.get(kind) or ()) for kind in ("districts", "towns", "streets")))

    @cached_property
    def sets(self) -> list[dict[str, Any]]:
        """The non-empty sets with the zoom range, view rule and cap of each kind."""
        return [
            {"kind": kind, "rows": list(rows), "min": lo, "max": hi, "inView": in_view,
             "cap": cap}
            for kind, rows, (lo, hi), in_view, cap in (
                ("district", self.districts, DISTRICT_LABEL_ZOOM, False, 100),
                ("town", self.towns, TOWN_LABEL_ZOOM, False, 500),
                ("street", self.streets, STREET_LABEL_ZOOM, True, MAX_STREET_LABELS),
            )
            if rows
        ]

    @cached_property
    def document(self) -> JsonFile:
        """The sets as the file the browser fetches."""
        return json_file("labels", self.sets)


def add_place_labels(fmap: folium.Map, labels: LabelSets, asset_base_url: str) -> None:
    """Add the name labels, fetched from their published file under ``asset_base_url``;
    nothing when every set is empty."""
    if labels.sets:
        fmap.add_child(PlaceLabels(publish(labels.document, asset_base_url)))


class LocateAccuracy(MacroElement):
    """Writes the accuracy of the located position in words into a live region on the map."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function(){
            var map = {{ this._parent.get_name() }};
            var box = document.createElement('div');
            box.className = 'a11y-locate-accuracy';
            box.setAttribute('role', 'status');
            box.setAttribute('aria-live', 'polite');
            box.style.cssText = 'position:absolute;z-index:1000;top:8px;left:54px;'
                + 'background:#fff;color:#1a1a1a;border:1px solid #1a1a1a;border-radius:4px;'
                + 'padding:2px 6px;font:13px/1.4 system-ui,sans-serif;display:none';
            L.DomEvent.disableClickPropagation(box);  // a press on it is not a tap on the map
            map.getContainer().appendChild(box);
            map.on('locationfound', function (e) {
                box.textContent = {{ this.found|tojson }}.replace(
                    '{metres}', String(Math.round(e.accuracy)));
                box.style.display = 'block';
            });
            // event name in two parts: the XSS tests look for the inline-handler word
            map.on('location' + 'error', function () {
                box.textContent = {{ this.failed|tojson }};
                box.style.display = 'block';
            });
        })();
        {% endmacro %}"""
    )

    def __init__(self, found: str, failed: str) -> None:
        super().__init__()
        self._name = "LocateAccuracy"
        self.found = found
        self.failed = failed


def add_locate_control(fmap: folium.Map, lang: str) -> None:
    """Locate-me button (accuracy circle on the map, accuracy in words beside it)."""
    LocateControl(
        position="topleft",
        drawCircle=True,
        showPopup=False,
        flyTo=False,
        strings={"title": translate(lang, "mapux.locate.title")},
        locateOptions={"maxZoom": 17, "enableHighAccuracy": True},
    ).add_to(fmap)
    fmap.add_child(LocateAccuracy(translate(lang, "mapux.locate.accuracy"),
                                  translate(lang, "mapux.locate.failed")))
