"""AppTest: the retrofit plan stays on screen after its download, and becomes work orders in
one step (issue 17 items 4 and 11)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest
from test_app_bureau import BUREAU_USER, app, data_dir  # noqa: F401


def test_plan_stays_after_download_and_creates_orders_in_one_step(
        app: AppTest) -> None:  # noqa: F811
    app.session_state["auth_user"] = BUREAU_USER
    app.switch_page("ui/pages/priorities.py").run()
    app.number_input(key="plan_budget").set_value(200_000.0)
    app.button[0].click().run()
    assert not app.exception, app.exception
    chosen = app.dataframe[0].value
    app.run()  # what a click on the download button does: a rerun without the form submit
    assert not app.exception
    assert app.dataframe[0].value.equals(chosen)  # the plan is still on screen
    app.text_input(key="plan_orders_unit").set_value("江城区住建局")
    create = next(b for b in app.button if str(b.label).startswith("为方案中的"))
    create.click().run()
    assert not app.exception, app.exception
    done = [str(s.value) for s in app.success]
    assert any(f"已创建 {len(chosen)} 张工单" in d or "未重复创建" in d for d in done), done
    app.switch_page("ui/pages/workorders.py").run()
    assert not app.exception
    assert any("江城区住建局" in set(d.value.astype(str).stack()) for d in app.dataframe)


def test_work_order_rows_filter_act_and_create_by_picking(app: AppTest) -> None:  # noqa: F811
    app.session_state["auth_user"] = BUREAU_USER
    app.switch_page("ui/pages/workorders.py").run()
    assert not app.exception, app.exception
    every = len(app.dataframe[1].value)
    app.multiselect(key="wo_f_status").set_value(["planned"]).run()
    planned = app.dataframe[1].value
    assert 0 < len(planned) < every and set(planned["状态"]) == {"已计划"}
    first = int(planned["工单编号"].iloc[0])
    app.selectbox(key="wo_pick").set_value(first).run()
    next(b for b in app.button if b.key == "wo_move_in_progress").click().run()
    assert not app.exception
    assert any("已更新为 施工中" in str(s.value) for s in app.success)
    # a new order for a resident report picked by its code, no numeric id typed
    app.radio(key="wo_target").set_value("report").run()
    box = app.selectbox(key="wo_rid")
    code_label = str(box.options[0])
    assert code_label.split(" · ")[0].count("-") == 1  # offered by its code (e.g. 4985-YWE8)
    box.select_index(0).run()
    app.text_input(key="wo_unit").set_value("阳东区城管局")
    next(b for b in app.button if str(b.label) == "创建").click().run()
    assert not app.exception, app.exception
    assert any("已创建工单" in str(s.value) for s in app.success), [e.value for e in app.error]
    # downloads where the bureau works: every export format of the database
    labels = [e.proto.label for e in app.get("download_button")]
    assert {"CSV（压缩包）", "Excel", "GeoJSON（压缩包）", "GeoPackage"} <= set(labels)
    # and "export what the map shows" on the map
    app.switch_page("ui/pages/map.py").run()
    assert not app.exception, app.exception
    assert [e.proto.label for e in app.get("download_button")][:4] == [
        "CSV（压缩包）", "Excel", "GeoJSON（压缩包）", "GeoPackage"]
