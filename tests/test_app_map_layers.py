"""Map analysis layers: coverage gaps, district choropleth, work-order status, report statuses.

Pure builder checks run on small frames; the page checks run the real app in AppTest against a
seeded demo database and the bundled (synthetic) demo network.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd
import pytest
import streamlit as st
from browser_support import app_env, app_test, seeded_tmp_dir
from published_support import published_bodies
from shapely.geometry import LineString
from streamlit.testing.v1 import AppTest

from audit.actors import SYSTEM
from audit.settings import Settings, get_settings
from ui import cache, state
from ui.i18n import LANGUAGES, catalogue, translate
from ui.map import (
    REPORT_STATUS_STYLES,
    WORK_ORDER_FLAGS,
    build_map,
    facility_rows,
    legend_html,
    report_status_label,
)

REPO = Path(__file__).resolve().parent.parent
TIMEOUT_S = 120


def _facilities() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "facility_id": [1, 2, 3],
            "facility_type": ["ramp", "toilet", "ramp"],
            "name": ["A", "B", "C"],
            "lon": [111.98, 111.99, 112.0],
            "lat": [21.85, 21.86, 21.87],
            "verdict": ["compliant", "non_compliant", "incomplete"],
        }
    )


# ------------------------------------------------------------------ report statuses


def test_report_status_styles_and_labels_match_the_workflow() -> None:
    from audit.reports import STATUSES

    assert set(REPORT_STATUS_STYLES) == set(STATUSES)
    for lang in LANGUAGES:
        labels = {k.split(".", 1)[1] for k in catalogue(lang) if k.startswith("report_status.")}
        assert labels == {*STATUSES, "unknown"}, lang
        for status in STATUSES:
            assert report_status_label(status, lang) != status


def test_unknown_report_status_never_shows_the_raw_code() -> None:
    assert report_status_label("weird_code", "en") == "Other status"
    assert report_status_label("weird_code", "zh-Hans") == "其他状态"


# ------------------------------------------------------------------ work orders on markers


def test_facility_rows_flag_only_facilities_with_open_orders() -> None:
    rows = facility_rows(_facilities(), ["ramp", "toilet"], {2: "overdue", 3: "open"})
    assert len(rows[0]) == 6, "no work order: the row carries no extra field"
    assert rows[1][6] == WORK_ORDER_FLAGS.index("overdue")
    assert rows[2][6] == WORK_ORDER_FLAGS.index("open")


def test_work_order_suffix_and_legend_are_text_not_colour() -> None:
    fmap = build_map(_facilities(), lang="en", work_orders={2: "open"})
    html = fmap.get_root().render()
    assert "open work order" in html and "work order OVERDUE" in html
    assert "a11y-wo" in html, "a text badge on the marker"
    assert "Open work order (1 shown)" in html, "legend counts shown facilities with an order"
    plain = build_map(_facilities(), lang="en").get_root().render()
    assert "Open work order (" not in plain


# ------------------------------------------------------------------ gaps and choropleth


def test_gaps_layer_uses_its_label_in_layer_control_and_legend() -> None:
    gaps = gpd.GeoDataFrame(
        geometry=[LineString([(111.98, 21.85), (111.99, 21.86)])], crs=4326
    )
    label = translate("zh-Hans", "map.layer.gaps_for", distance="500", type="缘石坡道")
    html = build_map(_facilities(), lang="zh-Hans", gaps=gaps, gaps_label=label)
    rendered = html.get_root().render()
    hits = rendered.count(label) + rendered.count(json.dumps(label)[1:-1])
    assert hits >= 2, "legend and layer control both name the layer"
    assert "#d1495b" in rendered


def test_choropleth_layer_is_added_and_explained() -> None:
    import geodata
    from ui.bureau_charts import rankings_choropleth_layer

    districts = geodata.load_districts()
    table = pd.DataFrame({
        "district_code": list(districts["adcode"]), "district_zh": list(districts["name_zh"]),
        "district_en": list(districts["name_en"]), "gap_per_audited": [3.0, 1.0, 2.0, 0.5],
        "coverage": [0.5, 0.4, 0.1, 0.6], "rankable": [True, True, False, True],
        "rank": pd.array([1, 3, pd.NA, 4], dtype="Int64"),
    })
    layer = rankings_choropleth_layer(table, districts, "en")
    legend = translate("en", "map.choropleth.legend")
    html = build_map(_facilities(), lang="en", districts=districts, choropleth=layer,
                     choropleth_label=legend).get_root().render()
    assert legend in html
    assert translate("en", "map.choropleth.thin") in html
    assert "coverage 10%, rank " + translate("en", "bureau.rank.not_rankable") in html


def test_legend_without_optional_layers_has_no_choropleth_entry() -> None:
    html = legend_html("en", verdict_counts={}, report_statuses=[], network_label=None,
                       show_gaps=False)
    assert translate("en", "map.choropleth.thin") not in html


# ------------------------------------------------------------------ the page in AppTest


@pytest.fixture(scope="module")
def data_dir() -> Iterator[Path]:
    with seeded_tmp_dir("a11y-layers-") as tmp:
        yield tmp


@pytest.fixture
def app(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    with app_test(data_dir, monkeypatch, TIMEOUT_S) as at:
        yield at


def _db(data_dir: Path):  # type: ignore[no-untyped-def]
    from audit.storage import open_database

    return open_database(Settings(data_dir=data_dir, database_url="").effective_database_url)


def test_coverage_gaps_table_and_synthetic_caveat(app: AppTest, data_dir: Path) -> None:
    app.run()
    assert not app.exception
    assert not app.dataframe, "no coverage is computed until a type is chosen"
    box = app.selectbox(key="map_coverage_type")
    assert box.value is None
    box.set_value("curb_ramp").run()
    assert not app.exception
    assert any("合成的演示路网" in w.value for w in app.warning)
    table = app.dataframe[0].value
    assert list(table.columns) == ["区县", "街道长度（公里）", "300 米以内", "500 米以内"]
    assert set(table["区县"]) == {"江城区", "阳东区", "阳西县", "阳春市"}
    assert all(str(v).endswith("%") for v in table["500 米以内"])

    # the same figures as the library on the same inputs
    import geodata
    from audit.storage.repository import Repository
    from geodata.coverage import network_coverage
    from geodata.network import resolve_network

    db = _db(data_dir)
    with db.session() as session:
        src = Repository(session).facility_frame(verdicts=["compliant"],
                                                 facility_types=["curb_ramp"])
    db.engine.dispose()
    graph = resolve_network("demo", data_dir)
    expected = network_coverage(graph, src["lon"].to_numpy(), src["lat"].to_numpy(),
                                geodata.load_districts()).by_district
    share = {r.name_zh: f"{r.within_500m_share:.1%}" for r in expected.itertuples()}
    assert dict(zip(table["区县"], table["500 米以内"], strict=True)) == share
    captions = " ".join(c.value for c in app.caption)
    assert f"以 {len(src)} 个达标设施为起点" in captions


def test_coverage_is_cached_by_type_and_data_version(data_dir: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in app_env(data_dir).items():
        if key != "PYTHONPATH":
            monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    st.cache_data.clear()
    frame = pd.DataFrame({"facility_id": [1, 2], "lon": [111.98, 111.99], "lat": [21.85, 21.86]})
    moved = frame.assign(lon=[111.98, 111.995])
    assert cache.source_version(frame) == cache.source_version(frame.iloc[::-1])
    assert cache.source_version(frame) != cache.source_version(moved)
    assert cache.source_version(frame.iloc[:0]) == "empty"
    first = cache.coverage("ramp")
    again = cache.coverage("ramp")
    assert again is not None and again["version"] == first["version"]
    assert first["facility_type"] == "ramp"
    st.cache_data.clear()
    get_settings.cache_clear()


def test_choropleth_toggle_is_off_by_default_and_adds_caption(app: AppTest) -> None:
    app.run()
    toggle = app.toggle(key="map_choropleth")
    assert toggle.value is False
    assert not any("区县着色" in c.value for c in app.caption)
    toggle.set_value(True).run()
    assert not app.exception
    captions = " ".join(c.value for c in app.caption)
    assert "督导覆盖率低于 30%" in captions
    assert "合成演示督导数据" in captions


def test_detail_panel_lists_the_facility_work_orders(app: AppTest, data_dir: Path) -> None:
    from audit.workorders import work_order_frame

    db = _db(data_dir)
    with db.unit_of_work(SYSTEM) as repo:
        orders = work_order_frame(repo)
    db.engine.dispose()
    orders = orders[orders["facility_id"].notna()]
    assert not orders.empty, "demo seed creates work orders"
    fid = int(orders["facility_id"].iloc[0])
    mine = orders[orders["facility_id"] == fid]
    app.run()
    # the selection a map tap or the picker keeps (the map page restores it on each run)
    app.session_state[state.KEPT_FACILITY] = fid
    app.run()
    assert not app.exception
    assert "#### 工单" in [m.value for m in app.markdown]
    tables = [t.value for t in app.table if "截止日期" in t.value.columns]
    assert tables, "a work-order table with due dates"
    shown = tables[0]
    assert len(shown) == len(mine)
    zh_status = {s: translate("zh-Hans", f"bureau.wo.status.{s}") for s in mine["status"]}
    assert set(shown["状态"]) == set(zh_status.values())
    assert not set(shown["状态"]) & {"planned", "in_progress", "done", "verified"}
    n_overdue = int(mine["overdue"].sum())
    assert sum(str(v).startswith("已逾期") for v in shown["逾期"]) == n_overdue


def test_map_html_marks_facilities_with_open_orders(data_dir: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in app_env(data_dir).items():
        if key != "PYTHONPATH":
            monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    st.cache_data.clear()
    st.cache_resource.clear()
    flags = cache.work_order_flags()
    frame = cache.facility_frame()
    assert flags, "demo seed has open work orders on facilities"
    assert set(flags.values()) <= {"open", "overdue"}
    rows = facility_rows(frame, sorted(frame["facility_type"].astype(str).unique()), flags)
    flagged = {r[3] for r in rows if len(r) > 6}
    assert flagged == set(flags) & set(frame["facility_id"].astype(int))
    fmap = build_map(frame, lang="zh-Hans", work_orders=flags)
    assert isinstance(fmap, folium.Map)
    st.cache_data.clear()
    st.cache_resource.clear()
    get_settings.cache_clear()


def test_line_layers_give_their_bounds_without_walking_their_coordinates(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The network and district layers know their bounds (streamlit-folium asks for the map's
    bounds on every rerun; folium would walk every coordinate in Python): the same bounds as
    folium computes, and folium's coordinate walk is never called."""
    from ui.map.network import network_layer

    edges = gpd.GeoDataFrame(
        {"highway": ["residential", "primary"]},
        geometry=[LineString([(111.90, 21.80), (111.95, 21.83)]),
                  LineString([(111.95, 21.83), (112.01, 21.79)])], crs=4326)
    layer = network_layer(edges)
    assert layer.bounds == pytest.approx((111.90, 21.79, 112.01, 21.83))
    first = build_map(_facilities(), lang="en", network_edges=layer, network_label="n")
    expected = first.get_bounds()

    def walked(*_a: object, **_k: object) -> object:
        raise AssertionError("folium walked the coordinates")

    monkeypatch.setattr(folium.features, "get_bounds", walked)
    again = build_map(_facilities(), lang="en", network_edges=layer, network_label="n")
    assert again.get_bounds() == expected


def test_the_map_rendered_once_gives_streamlit_folium_the_same_arguments(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The landing map passes ``render=False`` to st_folium (one render instead of two): the
    component gets exactly the same script, header, HTML and asset links as with the default."""
    import streamlit_folium

    import geodata
    from ui.map.network import network_layer

    edges = gpd.GeoDataFrame(geometry=[LineString([(111.90, 21.80), (111.95, 21.83)])],
                             crs=4326)
    got: list[dict[str, object]] = []
    monkeypatch.setattr(streamlit_folium, "_component_func",
                        lambda **kw: got.append(kw))
    for render in (True, False):
        fmap = build_map(_facilities(), lang="en", districts=geodata.load_districts(),
                         network_edges=network_layer(edges), network_label="n",
                         labels={"districts": [["Jiangcheng", 21.86, 111.95]]})
        streamlit_folium.st_folium(fmap, key="m", render=render, returned_objects=[])
    assert len(got) == 2
    for name in ("script", "header", "html", "css_links", "js_links"):
        assert got[0][name] == got[1][name], name
    assert "Jiangcheng" in str(got[1]["script"])
    # the place labels travel as a published file the script fetches
    labels = [body for name, body in published_bodies(str(got[1]["script"])).items()
              if name.startswith("labels-")]
    assert len(labels) == 1 and b'["Jiangcheng",21.86,111.95]' in labels[0]
