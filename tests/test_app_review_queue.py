# ruff: noqa: F811  (the app_db fixture is imported from test_app_report)
"""Issue 17 item 11: the moderation queue is a filterable table (status, district, category)
with the actions the library allows on each row, and a map of the filtered reports."""

from __future__ import annotations

import time
from typing import Any

import pytest
import sqlalchemy as sa
from test_app_report import APP, _seed, app_db  # noqa: F401  (fixture)

from audit.storage import Database
from audit.storage.orm import Report

REVIEW_PAGE = "ui/pages/review.py"


def _bureau() -> Any:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["auth_user"] = {"user_id": 1, "username": "bureau-t", "role": "bureau",
                                     "signed_in_at": time.time()}
    at.switch_page(REVIEW_PAGE).run()  # straight to the page (the default page is not rendered)
    assert not at.exception, at.exception
    return at


def _codes(at: Any) -> list[str]:
    return list(at.dataframe[0].value["报告编号"])


def test_queue_table_filters_by_status_district_and_category(app_db: Database) -> None:
    ramp = _seed(app_db, category="ramp_steep", location_text="东风路 12 号", lon=111.98,
                 lat=21.86)
    tactile = _seed(app_db, category="tactile_blocked", location_text="<b>南恩路</b> 公交站",
                    lon=111.97, lat=21.85)
    typed = _seed(app_db, category="tactile_blocked", location_text="只写了地址的反映")
    with app_db.session() as s:
        districts = dict(s.execute(sa.select(Report.code, Report.district_code)).all())
    assert districts[ramp.code] is not None and districts[typed.code] is None
    at = _bureau()
    assert sorted(_codes(at)) == sorted([ramp.code, tactile.code, typed.code])
    table = at.dataframe[0].value
    row = table[table["报告编号"] == ramp.code].iloc[0]
    # words, not codes: the category, status and district names and the local time
    assert row["类别"] != "ramp_steep" and row["状态"] == "新反映" and "区" in row["区县"]
    assert "城管局已核实" in row["处理"] and "已派工单" in row["处理"]
    assert table[table["报告编号"] == tactile.code].iloc[0]["位置描述"] == "<b>南恩路</b> 公交站"
    assert any("共 3 条报告" in c.value and "有位置的 2 条" in c.value for c in at.caption)

    at.multiselect(key="review_categories").set_value(["tactile_blocked"]).run()
    assert sorted(_codes(at)) == sorted([tactile.code, typed.code])
    at.multiselect(key="review_districts").set_value(["-"]).run()  # reports with no district
    assert _codes(at) == [typed.code]
    assert any("共 1 条报告" in c.value and "有位置的 0 条" in c.value for c in at.caption)
    at.multiselect(key="review_districts").set_value([districts[ramp.code]]).run()
    same = [c for c in (tactile.code,) if districts[c] == districts[ramp.code]]
    assert (_codes(at) if at.dataframe else []) == same
    at.multiselect(key="review_categories").set_value(["ramp_steep"]).run()
    assert _codes(at) == [ramp.code]
    options = at.selectbox(key="review_report_id").options
    assert len(options) == 1 and str(options[0]).startswith(ramp.code)

    at.multiselect(key="review_statuses").set_value(["fixed"]).run()
    assert not at.dataframe and "没有符合筛选条件的报告。" in [i.value for i in at.info]
    at.multiselect(key="review_districts").set_value([]).run()
    at.multiselect(key="review_categories").set_value([]).run()
    assert not at.dataframe and "没有符合条件的反映。" in [i.value for i in at.info]
    assert not at.exception, at.exception


def test_queue_map_shows_the_filtered_reports(app_db: Database,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import folium
    import streamlit_folium

    drawn: list[folium.Map] = []
    monkeypatch.setattr(streamlit_folium, "st_folium",
                        lambda fmap, **kw: drawn.append(fmap) or {})
    ramp = _seed(app_db, category="ramp_steep", location_text="东风路", lon=111.98, lat=21.86)
    tactile = _seed(app_db, category="tactile_blocked", location_text="南恩路", lon=111.97,
                    lat=21.85)
    _seed(app_db, category="tactile_blocked", location_text="只写了地址")
    at = _bureau()

    def markers() -> list[str]:
        """Each report marker of the last map drawn: "<radius> <tooltip text>"."""
        out = []
        for marker in drawn[-1]._children.values():
            if isinstance(marker, folium.CircleMarker):
                tips = [c.text for c in marker._children.values()
                        if isinstance(c, folium.Tooltip)]
                out.append(f"{marker.options.get('radius')} {' '.join(tips)}")
        return out

    shown = markers()
    assert len(shown) == 2  # the typed-only report has no place on the map
    assert any(ramp.code in m for m in shown) and any(tactile.code in m for m in shown)
    at.multiselect(key="review_categories").set_value(["ramp_steep"]).run()
    shown = markers()
    assert len(shown) == 1 and ramp.code in shown[0] and shown[0].startswith("10 ")  # picked
