"""AppTest of the reach section of the rankings page (issue 14 §4) on a small real network.

The walk network is the Helsinki box of tests/test_routing.py (real OSM, not Yangjiang) and one
key destination sits at the top of its steps (node 189435774): a wheelchair reaches it from the
three nodes of the landing alone, the unconstrained network from eight within 50 m.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import empty_app_db
from conftest import data_path
from streamlit.testing.v1 import AppTest
from test_routing import BOX, STEPS_TO, _clip

from audit.storage import Database

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")

pytest.importorskip("osmium", reason="reading .osm.pbf needs the osmium package")


@pytest.fixture
def app_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    box = tmp_path / "box.osm"
    raw = _clip(data_path("osm", "Helsinki.osm.pbf"), box, BOX)
    assert STEPS_TO in raw
    from geodata.pedestrian import load_walk_network

    G = load_walk_network(box)
    dest = tmp_path / "dest.csv"
    dest.write_text(f"category,name,lon,lat\nhospital,Steps top,{G.nodes[STEPS_TO]['x']},"
                    f"{G.nodes[STEPS_TO]['y']}\n", encoding="utf-8")
    with empty_app_db(tmp_path, monkeypatch, NETWORK_SOURCE=str(box),
                      DESTINATIONS_FILE=str(dest), REACH_LIMIT_M="50") as db:
        yield db


def test_rankings_page_shows_reach_per_profile_labelled_not_yangjiang(app_db: Database) -> None:
    at = AppTest.from_file(APP, default_timeout=240)
    at.switch_page("ui/pages/rankings.py").run()
    assert not at.exception, at.exception
    assert not [d for d in at.dataframe if "可达比例（%）" in d.value.columns]  # not until asked
    at.toggle(key="reach_show").set_value(True).run()
    assert not at.exception, at.exception
    assert any("不是阳江的结果" in str(w.value) for w in at.warning)
    table = next(d.value for d in at.dataframe if "可达比例（%）" in d.value.columns)
    assert list(table["区县"]) == ["全网"] and list(table["关键目的地"]) == ["医院"]
    assert list(table["出行人群"]) == ["手动轮椅"]
    row = table.iloc[0]
    n = int(row["网络节点数"])
    assert row["可达比例（%）"] == pytest.approx(round(300 / n, 1))
    assert row["无障碍物时（%）"] == pytest.approx(round(800 / n, 1))
    assert row["被阻断的节点"] == 5
    assert any("本路网的节点不在任何区内" in str(i.value) for i in at.info)  # no district here
    at.selectbox(key="reach_profile").set_value("blind_low_vision").run()
    table = next(d.value for d in at.dataframe if "可达比例（%）" in d.value.columns)
    assert list(table["出行人群"]) == ["视障（盲人或低视力）"]
    assert table.iloc[0]["被阻断的节点"] == 0
