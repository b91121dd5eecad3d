"""AppTest of the accessible-route page (issue 14 §3) through the real app, on the demo network."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import empty_app_db
from streamlit.testing.v1 import AppTest

from audit.storage import Database

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
ROUTE_PAGE = "ui/pages/route.py"
REPORT_PAGE = "ui/pages/report.py"
NEAR_SEAT = "111.9700, 21.8600"  # about 1 km from the Yangjiang town point, on the demo grid


@pytest.fixture
def app_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    with empty_app_db(tmp_path, monkeypatch) as db:
        yield db


def _texts(at: AppTest, kind: str) -> list[str]:
    return [str(e.value) for e in getattr(at, kind)]


def _ask_wheelchair_route(at: AppTest) -> None:
    """Open the route page and ask for a manual-wheelchair route Yangjiang -> NEAR_SEAT."""
    at.switch_page(ROUTE_PAGE).run()
    assert not at.exception, at.exception
    at.radio(key="route_profile").set_value("manual_wheelchair")
    at.text_input(key="route_origin").set_value("Yangjiang")
    at.text_input(key="route_destination").set_value(NEAR_SEAT)
    next(b for b in at.button if b.label == "查找路线").click()
    at.run()
    assert not at.exception, at.exception


def test_route_page_answers_in_words_with_report_links(app_db: Database) -> None:
    at = AppTest.from_file(APP, default_timeout=240).run()
    _ask_wheelchair_route(at)
    lines = _texts(at, "text")
    assert lines[0].startswith("手动轮椅路线：全长") and lines[1] == "从Yangjiang出发。"
    assert any(line.startswith("1. ") for line in lines)
    assert lines[-1] == "数据：演示路网（合成，非OSM）。"
    assert any("合成的演示路网" in w for w in _texts(at, "warning"))
    links = [m for m in _texts(at, "markdown") if "在此处报告障碍" in m]
    steps = [line for line in lines if line[:1].isdigit()]
    assert len(links) == len(steps) and all("./report?at=111." in m for m in links)
    # a place nobody knows, and a point far from any street, are refused in words
    at.text_input(key="route_origin").set_value("Nowhere-town")
    next(b for b in at.button if b.label == "查找路线").click()
    at.run()
    assert any("没有名为“Nowhere\\-town”" in e for e in _texts(at, "error"))
    at.text_input(key="route_origin").set_value("110.0, 30.0")
    next(b for b in at.button if b.label == "查找路线").click()
    at.run()
    assert any("离步行路网太远" in e for e in _texts(at, "error"))


def test_report_page_takes_the_point_of_a_route_link(app_db: Database) -> None:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["at"] = "111.970012,21.860034"
    at.run()
    at.switch_page(REPORT_PAGE).run()
    assert not at.exception, at.exception
    assert at.session_state["report_point"] == (111.97001, 21.86003)


@pytest.mark.parametrize(
    ("value", "point"),
    [("111.97,21.86", (111.97, 21.86)), ("200,21", None), ("a,b", None), ("1,2,3", None),
     ("", None), (None, None), ("1" * 100, None), ("nan,1", None)],
)
def test_report_link_points_are_validated(value: object, point: object) -> None:
    from ui.reports_data import point_from_link

    assert point_from_link(value, 5) == point


def test_route_page_says_when_inclines_come_from_an_elevation_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DEM_FILE set: an unreadable file is the server's fault, said in words (not blamed on the
    origin); once the file is a valid GeoTIFF (a 2 % plane over the demo network, 250 m grid),
    the answer says how much of the route's incline comes from it, and which model it is."""
    import numpy as np
    import rasterio
    from affine import Affine

    dem = tmp_path / "yangjiang_dem.tif"
    dem.write_text("not a raster", "utf-8")
    with empty_app_db(tmp_path, monkeypatch, DEM_FILE=str(dem)):
        at = AppTest.from_file(APP, default_timeout=240).run()
        _ask_wheelchair_route(at)
        assert any("高程模型无法使用" in e for e in _texts(at, "error"))
        assert not any("出发地" in e for e in _texts(at, "error"))
        assert not list((tmp_path / "cache").rglob("walk-*.npz"))
        w, h = 440, 500
        x = 530_000 + (np.arange(w) + 0.5) * 250.0
        z = np.tile(0.02 * (x - 530_000), (h, 1)).astype("float32")
        with rasterio.open(dem, "w", driver="GTiff", width=w, height=h, count=1,
                           dtype="float32", crs="EPSG:32649",
                           transform=Affine(250.0, 0.0, 530_000.0, 0.0, -250.0, 2_500_000.0)) as ds:
            ds.write(z, 1)
        next(b for b in at.button if b.label == "查找路线").click()
        at.run()
        assert not at.exception, at.exception
        assert not _texts(at, "error")
        lines = _texts(at, "text")
        assert any("的坡度取自高程模型（网格约 250 米）" in line for line in lines)
        caption = next(c for c in _texts(at, "caption") if "高程模型" in c)
        # the file name is shown as plain text (Markdown-escaped), with the grid size
        assert r"yangjiang\_dem\.tif（网格约 250 米）" in caption, caption
