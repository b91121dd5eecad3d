"""The map page in Streamlit's AppTest: rendered text, filters, language switch, detail panel."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import app_test, seeded_tmp_dir
from streamlit.testing.v1 import AppTest

from ui import state

REPO = Path(__file__).resolve().parent.parent
TIMEOUT_S = 60


@pytest.fixture(scope="module")
def data_dir() -> Iterator[Path]:
    with seeded_tmp_dir("a11y-apptest-") as tmp:
        yield tmp


@pytest.fixture
def app(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    with app_test(data_dir, monkeypatch, TIMEOUT_S) as at:
        yield at


def _markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_map_page_renders_in_chinese_with_demo_label(app: AppTest) -> None:
    app.run()
    assert not app.exception
    assert [t.value for t in app.title] == ["无障碍设施地图"]
    warnings = [w.value for w in app.warning]
    assert "演示数据（合成）/ Demo data (synthetic)" in warnings
    assert any("合成" in w and "路网" in w for w in warnings)
    assert "当前显示" in _markdown(app)
    labels = {m.label for m in app.multiselect}
    assert {"设施类型", "行政区", "督导结论"} <= labels


def test_switch_to_english(app: AppTest) -> None:
    app.run()
    app.radio(key=state.LANG).set_value("en").run()
    assert not app.exception
    assert [t.value for t in app.title] == ["Accessibility facility map"]
    assert "Showing" in _markdown(app)
    assert {"Facility type", "District", "Audit verdict"} <= {m.label for m in app.multiselect}


def test_verdict_filter_changes_the_count(app: AppTest) -> None:
    app.run()
    before = _markdown(app)
    app.multiselect(key="map_filter_verdicts").set_value(["non_compliant"]).run()
    assert not app.exception
    after = _markdown(app)
    assert before != after


def _first_non_compliant(data_dir: Path) -> int:
    from audit.settings import Settings
    from audit.storage import open_database
    from audit.storage.repository import Repository

    db = open_database(Settings(data_dir=data_dir, database_url="").effective_database_url)
    with db.session() as session:
        frame = Repository(session).facility_frame(verdicts=["non_compliant"])
    db.engine.dispose()
    return int(frame["facility_id"].iloc[0])


def test_selecting_a_facility_shows_findings_failing_first(
    app: AppTest, data_dir: Path
) -> None:
    app.run()
    app.multiselect(key="map_filter_verdicts").set_value(["non_compliant"]).run()
    box = app.selectbox(key=state.SELECTED_FACILITY)
    assert len(box.options) > 1, "demo data must contain non-compliant facilities"
    # the selection a map click keeps (AppTest cannot click inside the Leaflet iframe); the
    # map page restores the kept selection into its picker on each run
    app.session_state[state.KEPT_FACILITY] = _first_non_compliant(data_dir)
    app.run()
    assert not app.exception
    assert app.subheader, "the detail panel names the facility"
    assert app.table, "findings are shown as a table"
    findings = app.table[0].value
    statuses = list(findings["结果"])
    assert statuses[0] == "不通过", statuses
    assert {"实测值", "限值", "标准条款"} <= set(findings.columns)
