"""Offline browser assets: which third-party files the map needs and where the app serves them.

The files come from npm packages (``package.json``), are copied by ``python -m ui.install_assets``
into ``static/vendor/`` (gitignored) and are served by Streamlit static file serving at
``/app/static/vendor/...``. :func:`localise` rewrites every folium element's ``default_js`` /
``default_css`` to those URLs and refuses any resource it does not know, so no CDN URL can slip
into a page. streamlit-folium collects exactly these lists and loads them in its iframe.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import branca.element
import folium
from jinja2 import Template

REPO_ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = REPO_ROOT / "node_modules"
STATIC_DIR = REPO_ROOT / "static"
VENDOR_DIR = STATIC_DIR / "vendor"
#: URL path under which Streamlit serves ``static/`` when ``server.enableStaticServing`` is on.
STREAMLIT_STATIC_URL = "/app/static"


@dataclass(frozen=True)
class VendorFile:
    """One file (or directory) of an npm package copied into ``static/vendor``."""

    package: str
    path: str  # relative to the package root

    @property
    def source(self) -> Path:
        return NODE_MODULES / self.package / self.path

    @property
    def target(self) -> Path:
        return VENDOR_DIR / self.package / self.path

    @property
    def url_path(self) -> str:
        return f"vendor/{self.package}/{self.path}"


# Files referenced by folium resource names. Directories are copied whole because the CSS in
# them refers to sibling images/fonts.
LEAFLET_JS = VendorFile("leaflet", "dist/leaflet.js")
LEAFLET_CSS = VendorFile("leaflet", "dist/leaflet.css")
LEAFLET_IMAGES = VendorFile("leaflet", "dist/images")
JQUERY_JS = VendorFile("jquery", "dist/jquery.min.js")
BOOTSTRAP_JS = VendorFile("bootstrap", "dist/js/bootstrap.bundle.min.js")
BOOTSTRAP_CSS = VendorFile("bootstrap", "dist/css/bootstrap.min.css")
FONTAWESOME_CSS = VendorFile("@fortawesome/fontawesome-free", "css/all.min.css")
FONTAWESOME_FONTS = VendorFile("@fortawesome/fontawesome-free", "webfonts")
AWESOME_MARKERS_JS = VendorFile("leaflet.awesome-markers", "dist/leaflet.awesome-markers.min.js")
AWESOME_MARKERS_CSS = VendorFile("leaflet.awesome-markers", "dist/leaflet.awesome-markers.css")
AWESOME_MARKERS_IMAGES = VendorFile("leaflet.awesome-markers", "dist/images")
CLUSTER_JS = VendorFile("leaflet.markercluster", "dist/leaflet.markercluster.js")
CLUSTER_CSS = VendorFile("leaflet.markercluster", "dist/MarkerCluster.css")
CLUSTER_DEFAULT_CSS = VendorFile("leaflet.markercluster", "dist/MarkerCluster.Default.css")
LOCATE_JS = VendorFile("leaflet.locatecontrol", "dist/L.Control.Locate.min.js")
LOCATE_CSS = VendorFile("leaflet.locatecontrol", "dist/L.Control.Locate.min.css")

#: folium resource name -> local file. ``None`` drops the resource on purpose:
#: - glyphicons_css: Bootstrap 3 glyph font; no element of our maps uses glyphicon icons, and the
#:   only npm source (bootstrap@3) would load a second, conflicting Bootstrap stylesheet.
#: - awesome_rotate_css: folium's own 3-rule stylesheet for rotated awesome-markers, served only
#:   from a GitHub CDN; we never rotate markers.
RESOURCES: dict[str, VendorFile | None] = {
    "leaflet": LEAFLET_JS,
    "leaflet_css": LEAFLET_CSS,
    "jquery": JQUERY_JS,
    "bootstrap": BOOTSTRAP_JS,
    "bootstrap_css": BOOTSTRAP_CSS,
    "glyphicons_css": None,
    "awesome_markers_font_css": FONTAWESOME_CSS,
    "awesome_markers": AWESOME_MARKERS_JS,
    "awesome_markers_css": AWESOME_MARKERS_CSS,
    "awesome_rotate_css": None,
    "markerclusterjs": CLUSTER_JS,
    "markerclustercss": CLUSTER_CSS,
    "markerclusterdefaultcss": CLUSTER_DEFAULT_CSS,
    "Control_locate_min_js": LOCATE_JS,
    "Control_locate_min_css": LOCATE_CSS,
}

#: Everything ``install_assets`` copies (resources plus the images/fonts their CSS refers to).
VENDOR_FILES: tuple[VendorFile, ...] = (
    *(f for f in RESOURCES.values() if f is not None),
    LEAFLET_IMAGES,
    FONTAWESOME_FONTS,
    AWESOME_MARKERS_IMAGES,
)


def _needs_jquery(element: branca.element.Element) -> bool:
    """folium's templates that call jQuery: popups, GeoJSON loaded by URL, layers kept in front."""
    return (isinstance(element, folium.Popup)
            or (isinstance(element, folium.GeoJson) and not element.embed)
            or (isinstance(element, folium.Map) and bool(element.objects_to_stay_in_front)))


def _needs_awesome_markers(element: branca.element.Element) -> bool:
    return isinstance(element, folium.Icon)


#: Resources folium lists for every map that only some elements use. streamlit-folium loads a
#: map's scripts one after another before drawing it, so each unused one delays every map: a
#: resource here is kept only when the map has an element that uses it. Bootstrap (script and
#: stylesheet) is never kept: none of folium's elements that we draw uses it.
USED_BY: dict[str, Callable[[branca.element.Element], bool]] = {
    "jquery": _needs_jquery,
    "bootstrap": lambda _element: False,
    "bootstrap_css": lambda _element: False,
    "awesome_markers": _needs_awesome_markers,
    "awesome_markers_css": _needs_awesome_markers,
    "awesome_markers_font_css": _needs_awesome_markers,
}


class DefaultIconPath(branca.element.MacroElement):
    """Tells Leaflet where its default marker images are before the map's first marker is made.

    Leaflet otherwise reads the folder from leaflet.css, and streamlit-folium adds the
    stylesheets only just before it runs the map's script: when the stylesheet is not applied
    yet, Leaflet falls back to the stylesheet's own folder without a trailing slash
    (``.../distmarker-icon.png``), the image is not found and the pin is invisible."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "L.Icon.Default.imagePath = {{ this.path|tojson }};"
        "{% endmacro %}"
    )

    def __init__(self, path: str) -> None:
        super().__init__()
        self._name = "DefaultIconPath"
        self.path = path


def _has_default_icon(element: branca.element.Element) -> bool:
    """An ``L.marker`` without an icon of its own (folium's CircleMarker is a Marker too)."""
    return (isinstance(element, folium.Marker) and not isinstance(element, folium.CircleMarker)
            and element.icon is None)


class MissingAssetError(RuntimeError):
    """A map element asks for a browser resource that is not vendored locally."""


def missing_vendor_files() -> list[Path]:
    """Vendored files not yet installed (empty when ``make setup`` has run)."""
    return [f.target for f in VENDOR_FILES if not f.target.exists()]


def _walk(element: branca.element.Element) -> Iterator[branca.element.Element]:
    yield element
    for child in list(element._children.values()):
        yield from _walk(child)


def localise(fmap: folium.Map, base_url: str = STREAMLIT_STATIC_URL) -> folium.Map:
    """Point every JS/CSS resource of ``fmap`` (and its children) at ``base_url``/vendor/...,
    leaving out the ones no element of this map uses (:data:`USED_BY`).

    ``base_url`` is ``/app/static`` inside Streamlit, or e.g. ``http://127.0.0.1:8000/static``
    for a standalone HTML file. Raises :class:`MissingAssetError` naming any resource that has
    no local copy, so a new folium plugin cannot silently pull from a CDN.
    """
    base = base_url.rstrip("/")
    unknown: list[str] = []
    elements = list(_walk(fmap))
    unused = {name for name, uses in USED_BY.items() if not any(uses(e) for e in elements)}
    for element in elements:
        for attr in ("default_js", "default_css"):
            links = getattr(element, attr, None)
            if not links:
                continue
            local: list[tuple[str, str]] = []
            for name, url in links:
                if name not in RESOURCES:
                    unknown.append(f"{type(element).__name__}.{name} ({url})")
                    continue
                vendored = RESOURCES[name]
                if vendored is not None and name not in unused:
                    local.append((name, f"{base}/{vendored.url_path}"))
            # instance attribute: never mutate folium's class-level lists
            setattr(element, attr, local)
    if any(_has_default_icon(e) for e in elements):
        first = DefaultIconPath(f"{base}/{LEAFLET_IMAGES.url_path}/")
        fmap.add_child(first)
        fmap._children.move_to_end(first.get_name(), last=False)  # before any marker
    if unknown:
        raise MissingAssetError(
            "no local copy of: " + ", ".join(unknown) + "; add it to package.json and "
            "ui/assets.RESOURCES"
        )
    return fmap
