"""The inspection worklist page (AppTest, SQLite): an inspector picks a district and gets the
walking round, the printable list and the XLSForm; an anonymous visitor gets the sign-in."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import empty_app_db
from inventory_fixtures import write_synthetic_pbf
from streamlit.testing.v1 import AppTest

from audit.actors import SYSTEM
from audit.inventory import import_inventory
from audit.storage import Database
from geodata.demo_network import demo_walk_network

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
PAGE = "ui/pages/inventory.py"


@pytest.fixture
def inventory_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    with empty_app_db(tmp_path, monkeypatch) as db:
        pbf = write_synthetic_pbf(tmp_path / "synthetic-yangjiang.osm.pbf", demo_walk_network())
        with db.unit_of_work(SYSTEM, write=True) as repo:
            import_inventory(repo, pbf)
        yield db


def _page(role: str | None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    if role:
        at.session_state["auth_user"] = {"user_id": 1, "username": "li", "role": role,
                                         "signed_in_at": time.time()}
    at.switch_page(PAGE).run()  # straight to the page (the default page is not rendered)
    assert not at.exception, at.exception
    return at


def test_inspector_builds_the_worklist_of_a_district(inventory_db: Database) -> None:
    at = _page("inspector")
    sources = at.dataframe[0].value
    assert list(sources["来源文件"]) == ["synthetic-yangjiang.osm.pbf"]
    assert list(sources["数据来源"]) == ["OpenStreetMap 阳江数据"]
    assert at.selectbox(key="worklist_where").value == "441702"
    next(b for b in at.button if b.label == "生成巡查路线").click()
    at.run()
    assert not at.exception, at.exception
    text = " ".join(str(m.value) for m in at.markdown)
    assert "20 个待督导点位" in text and "已督导 0 个" in text
    stops = at.dataframe[1].value
    assert list(stops["序号"]) == [str(i) for i in range(1, 21)]
    assert "人行横道/过街音响提示装置" in set(stops["设施类型"])
    assert not any("非阳江" in str(w.value) for w in at.warning)  # Yangjiang data
    labels = [d.proto.label for d in at.get("download_button")]
    assert labels == ["下载可打印清单（HTML）", "下载 ODK/Kobo 表单（XLSForm，点位已预填）"]


def test_visitors_must_sign_in(inventory_db: Database) -> None:
    at = _page(None)
    assert not at.dataframe
    assert any(b.label for b in at.button)  # the sign-in form, nothing of the worklist


def test_without_an_inventory_only_the_admin_is_shown_the_command(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An inspector is told in words that the list comes from the administrator; the server
    command is shown to the administrator, who can run it."""
    with empty_app_db(tmp_path, monkeypatch):
        inspector = _page("inspector")
        said = [i.value for i in inspector.info] + [c.value for c in inspector.caption]
        assert any("尚未导入巡查清单" in s for s in said)
        assert not any("python -m" in s for s in said)
        admin = _page("admin")
        shown = " ".join(c.value for c in admin.caption)
        assert "python -m audit inventory import" in shown
