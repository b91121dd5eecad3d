"""Vector and tile layers of the map: basemap tiles, district boundaries, street network,
coverage gaps, and the data attribution. Each ``add_*`` function adds one layer to a map."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import folium
import geopandas as gpd
from branca.element import MacroElement
from folium.template import Template

from audit.errors import InputError, Problem
from ui.i18n import translate
from ui.map.labels import escape
from ui.map.network import NETWORK_SIMPLIFY_DEG, NetworkLayer
from ui.map.published import JsonFile, publish
from ui.map.styles import COORD_DECIMALS, DISTRICT_COLOUR, GAPS_COLOUR, NETWORK_COLOUR

#: Douglas-Peucker tolerance (degrees) for district boundaries: about 10 m.
BOUNDARY_SIMPLIFY_DEG = 1e-4
#: Deepest zoom (Leaflet needs it for clustering when there is no tile layer).
MAX_ZOOM = 19

TIANDITU_URL = (
    "https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILECOL={{x}}&TILEROW={{y}}"
    "&TILEMATRIX={{z}}&tk={key}"
)
TILE_CHOICES: tuple[str, ...] = ("none", "osm", "tianditu")


class Attribution(MacroElement):
    """Adds a data attribution (boundaries, OSM, synthetic network) to Leaflet's control."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.attributionControl.addAttribution(
                {{ this.text|tojson }});
        {% endmacro %}"""
    )

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "Attribution"
        self.text = text


class MetricScale(MacroElement):
    """Leaflet's scale bar in metres and kilometres only (folium's ``control_scale`` also draws
    miles and feet, which no one in Yangjiang measures in)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            L.control.scale({imperial: false, metric: true}).addTo({{ this._parent.get_name() }});
        {% endmacro %}"""
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "MetricScale"


class PressKeepsPage(MacroElement):
    """A mouse press on the map or one of its controls (zoom, locate-me, layers, legend) does not
    scroll the page under the pointer before the button is released.

    The map is a frame of the page, and focusing something inside it makes Chromium scroll the
    page until the whole frame is in view: on a press, Leaflet focuses the map container (its
    keyboard handler, which restores only the frame's own scroll) and a link control takes the
    focus itself. When the frame's bottom was below the screen, the release then landed on
    another element and the click was lost (seen on a phone with the locate-me control and the
    legend). Here Leaflet's focus of the container never scrolls, and a press on a control does
    not move the focus; keyboard focus (Tab) is unchanged."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var box = {{ this._parent.get_name() }}.getContainer();
            box.focus = function (options) {
                HTMLElement.prototype.focus.call(this,
                    Object.assign({}, options || {}, {preventScroll: true}));
            };
            box.addEventListener('mousedown', function (e) {
                if (e.target.closest('.leaflet-control, .a11y-legend')) { e.preventDefault(); }
            }, true);
        })();
        {% endmacro %}"""
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "PressKeepsPage"


def add_map_controls(fmap: folium.Map) -> None:
    """What every map of the app has: a metric scale bar at the bottom left, and a press on any
    control keeps the page still."""
    fmap.add_child(MetricScale())
    fmap.add_child(PressKeepsPage())


def geojson_of(gdf: gpd.GeoDataFrame, simplify_deg: float, keep: Sequence[str]) -> dict[str, Any]:
    """GeoJSON dict of ``gdf`` in WGS84, simplified and rounded, with only ``keep`` columns."""
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    out = gdf[[c for c in keep if c in gdf.columns]].copy()
    geoms = gdf.geometry.simplify(simplify_deg, preserve_topology=True)
    out = gpd.GeoDataFrame(out, geometry=geoms.set_precision(10**-COORD_DECIMALS), crs=4326)
    return json.loads(out.to_json(drop_id=True))


class BoundedGeoJson(folium.GeoJson):
    """folium's GeoJson with its bounds known beforehand. folium otherwise walks every
    coordinate in Python whenever the map's bounds are asked for, and streamlit-folium asks on
    every rerun: about 0.8 s of each landing-map rerun went there for the street network."""

    def __init__(self, data: dict[str, Any], *, bounds: Sequence[float], **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        minx, miny, maxx, maxy = (float(b) for b in bounds)
        self._known_bounds: list[list[float | None]] = [[miny, minx], [maxy, maxx]]

    def _get_self_bounds(self) -> list[list[float | None]]:
        return self._known_bounds


class FetchedGeoJson(folium.map.Layer):
    """A GeoJSON layer whose data the browser fetches from ``url`` (a published file, see
    :mod:`ui.map.published`) instead of reading it from the page's script. The layer exists at
    once (the layer control lists it); its features are drawn when the file arrives. ``bounds``
    (min lon, min lat, max lon, max lat) are known beforehand, so no one walks coordinates."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJson(null, {{ this.options|tojson }});
        fetch({{ this.url|tojson }}).then(function (r) {
            if (!r.ok) { throw new Error('map layer ' + r.url + ': HTTP ' + r.status); }
            return r.json();
        }).then(function (data) { {{ this.get_name() }}.addData(data); });
        {% endmacro %}"""
    )

    def __init__(self, url: str, *, bounds: Sequence[float], name: str,
                 style: dict[str, Any], interactive: bool = True) -> None:
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "FetchedGeoJson"
        self.url = url
        self.options = {"style": style, "interactive": interactive}
        minx, miny, maxx, maxy = (float(b) for b in bounds)
        self._known_bounds: list[list[float | None]] = [[miny, minx], [maxy, maxx]]

    def _get_self_bounds(self) -> list[list[float | None]]:
        return self._known_bounds


def add_tiles(fmap: folium.Map, tiles: str, tianditu_key: str = "") -> None:
    """Add the configured basemap: none (vector only), OpenStreetMap or 天地图 (WGS84 ``_w``)."""
    if tiles not in TILE_CHOICES:
        raise InputError(Problem("tiles", tiles, f"one of {', '.join(TILE_CHOICES)}"))
    if tiles == "osm":
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap").add_to(fmap)
    elif tiles == "tianditu":
        if not tianditu_key:
            raise InputError(
                Problem("tianditu_key", tianditu_key, "a 天地图 API key when tiles = tianditu")
            )
        key = quote(tianditu_key, safe="")
        for layer, name, overlay in (("vec", "天地图", False), ("cva", "天地图注记", True)):
            folium.TileLayer(
                tiles=TIANDITU_URL.format(layer=layer, key=key),
                attr="&copy; 天地图 Tianditu",
                name=name,
                subdomains="01234567",
                overlay=overlay,
                max_zoom=MAX_ZOOM,
            ).add_to(fmap)


def add_district_layer(fmap: folium.Map, districts: gpd.GeoDataFrame | None, lang: str,
                       *, fit: bool = True) -> None:
    """District boundaries with their names as tooltips; the view is fitted to them when
    ``fit``."""
    if districts is None or districts.empty:
        return
    name_col = "name_zh" if lang == "zh-Hans" else "name_en"
    data = geojson_of(districts, BOUNDARY_SIMPLIFY_DEG, ["adcode", name_col])
    minx, miny, maxx, maxy = districts.to_crs(4326).total_bounds
    BoundedGeoJson(
        data,
        bounds=(minx, miny, maxx, maxy),
        name=translate(lang, "map.layer.districts"),
        style_function=lambda _f: {
            "color": DISTRICT_COLOUR, "weight": 2, "fill": True, "fillOpacity": 0.03,
        },
        tooltip=folium.GeoJsonTooltip(fields=[name_col], labels=False)
        if name_col in districts.columns
        else None,
    ).add_to(fmap)
    if not fit:
        return
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])


def add_network_layer(
    fmap: folium.Map, network: NetworkLayer | None, label: str | None, lang: str,
    asset_base_url: str,
) -> None:
    """The street network (a prepared :class:`NetworkLayer`), not clickable, fetched by the
    browser from its published file (:attr:`NetworkLayer.document`) under ``asset_base_url``."""
    if network is None or not network.geojson["features"] or network.bounds is None:
        return
    document: JsonFile = network.document
    FetchedGeoJson(
        publish(document, asset_base_url),
        bounds=network.bounds,
        name=label or translate(lang, "map.layer.network"),
        style={"color": NETWORK_COLOUR, "weight": 1.5, "opacity": 0.8},
        interactive=False,
    ).add_to(fmap)


def add_gaps_layer(
    fmap: folium.Map, gaps: gpd.GeoDataFrame | None, label: str | None, lang: str
) -> None:
    """Coverage gaps (street beyond the largest threshold) as one dashed, not clickable layer."""
    if gaps is None or gaps.empty:
        return
    folium.GeoJson(
        geojson_of(gaps, NETWORK_SIMPLIFY_DEG, []),
        name=label or translate(lang, "map.layer.gaps"),
        style_function=lambda _f: {
            "color": GAPS_COLOUR, "weight": 3, "dashArray": "6 4", "fillOpacity": 0.15,
        },
        interactive=False,
    ).add_to(fmap)


def add_attribution(fmap: folium.Map, text: str) -> None:
    """Add ``text`` (escaped) to Leaflet's attribution control, when there is any."""
    if text:
        fmap.add_child(Attribution(escape(text)))
