"""Bureau pages in Streamlit's AppTest: rankings (public), plan and work orders (bureau only)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import app_test, seeded_tmp_dir
from streamlit.testing.v1 import AppTest

REPO = Path(__file__).resolve().parent.parent
TIMEOUT_S = 90
BUREAU_USER = {"user_id": 1, "username": "chen", "role": "bureau", "signed_in_at": 4e9}


@pytest.fixture(scope="module")
def data_dir() -> Iterator[Path]:
    with seeded_tmp_dir("a11y-bureau-apptest-") as tmp:
        yield tmp


@pytest.fixture
def app(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    with app_test(data_dir, monkeypatch, TIMEOUT_S) as at:
        yield at


def test_rankings_page_is_public_and_labels_demo_and_thin_cells(app: AppTest) -> None:
    app.switch_page("ui/pages/rankings.py").run()
    assert not app.exception
    assert [t.value for t in app.title] == ["无障碍缺口排名（区县 × 设施类型）"]
    assert any("演示数据（合成）：排名" in w.value for w in app.warning)
    table = app.dataframe[0].value
    assert len(table) == 4 * 7
    # where the expected counts come from, in words: no file name on the page
    shown = [c.value for c in app.caption] + [str(v) for v in table["应查数来源"]]
    assert not any(".csv" in s for s in shown), [s for s in shown if ".csv" in s]
    assert "假设目标数（未清点，为设定的估计值）" in set(table["应查数来源"])
    flags = set(table["可排名"])
    assert flags <= {"参与排名", "覆盖不足，不排名"} and "参与排名" in flags
    ranked = table[table["可排名"] == "参与排名"]["排名"].dropna().astype(int).tolist()
    assert ranked == list(range(1, len(ranked) + 1))
    app.radio(key="rank_group").set_value("district").run()
    assert not app.exception and len(app.dataframe[0].value) == 4


def test_plan_and_work_orders_need_the_bureau_role(app: AppTest) -> None:
    app.switch_page("ui/pages/priorities.py").run()
    assert not app.exception
    assert not any(t.value == "整改优先级与预算方案" for t in app.title)  # sign-in shown instead


def test_plan_page_optimises_within_budget(app: AppTest) -> None:
    app.session_state["auth_user"] = BUREAU_USER
    app.switch_page("ui/pages/priorities.py").run()
    assert not app.exception
    assert any("合成演示数据" in w.value for w in app.warning)
    app.number_input(key="plan_budget").set_value(200_000.0)
    app.button[0].click().run()  # the form's submit button
    assert not app.exception
    done = [s.value for s in app.success]
    assert done and "选中" in done[0]
    chosen = app.dataframe[0].value
    assert 0 < chosen["估算费用（元）"].sum() <= 200_000


def test_plan_stays_on_screen_after_its_excel_download(app: AppTest) -> None:
    """Issue 17 item 4: pressing the download button reruns the page; the computed plan (kept
    in the session) is still shown, with its download, and nothing was recomputed."""
    app.session_state["auth_user"] = BUREAU_USER
    app.switch_page("ui/pages/priorities.py").run()
    app.number_input(key="plan_budget").set_value(150_000.0)
    app.button[0].click().run()
    before = app.dataframe[0].value
    summary = [s.value for s in app.success]
    assert summary and len(before) > 0
    computed = app.session_state["plan_result"]
    download = app.get("download_button")
    assert [d.key for d in download] == ["plan_download"]
    download[0].click().run()  # type: ignore[attr-defined]
    assert not app.exception, app.exception
    assert [s.value for s in app.success] == summary
    assert app.dataframe[0].value.equals(before)
    assert app.session_state["plan_result"] is computed  # shown again, not recomputed
    assert [d.key for d in app.get("download_button")] == ["plan_download"]
    app.run()  # any later rerun (another widget, a language switch) keeps it too
    assert [s.value for s in app.success] == summary


def test_work_orders_page_lists_overdue_and_refuses_bad_verify(app: AppTest) -> None:
    app.session_state["auth_user"] = BUREAU_USER
    app.switch_page("ui/pages/workorders.py").run()
    assert not app.exception
    assert any(s.value.startswith("逾期工单") for s in app.subheader)
    app.selectbox(key="wo_pick").set_value(1).run()  # demo order 1 is planned
    # a planned order offers only the moves the library allows: never "verified" directly
    moves = [str(b.label) for b in app.button if str(b.key).startswith("wo_move_")]
    assert moves == ["改为“施工中”"]
    assert not any("已验收" in m for m in moves)


def test_choropleth_layer_marks_thin_districts() -> None:
    import folium
    import pandas as pd

    import geodata
    from ui.bureau_charts import rankings_choropleth_layer

    d = geodata.load_districts()
    table = pd.DataFrame({
        "district_code": list(d["adcode"]), "district_zh": list(d["name_zh"]),
        "district_en": list(d["name_en"]), "gap_per_audited": [3.0, 1.0, 2.0, 0.5],
        "coverage": [0.5, 0.4, 0.1, 0.6], "rankable": [True, True, False, True],
        "rank": pd.array([1, 3, pd.NA, 4], dtype="Int64"),
    })
    layer = rankings_choropleth_layer(table, d, "zh-Hans")
    m = folium.Map()
    layer.add_to(m)
    html = m.get_root().render()
    assert html.count("每设施缺口分") == 4
    assert "阳西县：每设施缺口分 2.00，覆盖率 10%，排名 覆盖不足，不排名" in html


def test_plan_table_names_facility_types_in_english() -> None:
    """The English plan shows each fix's facility type by its name, not its data key
    (AppTest cannot run this page in English: its radios' labels are translated in the test's
    process, in the default language)."""
    import pandas as pd

    from ui.plan_view import plan_table as _table

    frame = pd.DataFrame({
        "candidate_id": ["F1", "R2"], "district_code": ["441702", "441704"],
        "fix_type": ["parking", "curb_ramp"], "type_zh": ["无障碍停车位", "缘石坡道"],
        "name": ["a", "b"], "severity": ["critical", "major"], "importance": [1.0, 2.0],
        "cost_yuan": [1000.0, 2000.0], "priority": [0.5, 0.25]})
    english = _table(frame, "en", {}).iloc[:, 2].tolist()
    assert english == ["Accessible parking", "Curb ramp"], english
    assert _table(frame, "zh-Hans", {}).iloc[:, 2].tolist() == ["无障碍停车位", "缘石坡道"]
