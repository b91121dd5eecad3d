"""The work-order page: optimistic locking against what the page showed, and a fresh list after
every write (AppTest, SQLite)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from browser_support import empty_app_db
from streamlit.testing.v1 import AppTest

from audit.actors import SYSTEM, Actor
from audit.storage import Database
from audit.workorders import create_work_order, set_status

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
PAGE = "ui/pages/workorders.py"
CHEN = Actor(None, "chen", "bureau")
WU = Actor(None, "wu", "bureau")


@pytest.fixture
def order_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Database, int]]:
    with empty_app_db(tmp_path, monkeypatch) as db:
        with db.unit_of_work(SYSTEM, write=True) as repo:
            fid = repo.create_facility("ramp", 111.98, 21.86, name="坡道").id
        with db.unit_of_work(CHEN, write=True) as repo:
            order = create_work_order(repo, facility_id=fid, responsible_unit="江城区住建局",
                                      due_date=date(2030, 1, 1))
        yield db, order.id


def _page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["auth_user"] = {"user_id": 1, "username": "chen", "role": "bureau",
                                     "signed_in_at": time.time()}
    at.switch_page(PAGE).run()  # straight to the page (the default page is not rendered)
    assert not at.exception, at.exception
    return at


def _status_column(at: AppTest) -> list[str]:
    return list(at.dataframe[1].value["状态"])  # "all work orders"


def _pick(at: AppTest, order_id: int) -> AppTest:
    """Pick the order in the list: the page then offers the moves the workflow allows."""
    return at.selectbox(key="wo_pick").set_value(order_id).run()


def _move(at: AppTest, status: str) -> AppTest:
    at.button(key=f"wo_move_{status}").click()
    return at.run()


def _apply(at: AppTest, order_id: int, status: str) -> AppTest:
    return _move(_pick(at, order_id), status)


def test_a_change_made_meanwhile_is_not_overwritten(order_db: tuple[Database, int]) -> None:
    db, order_id = order_db
    at = _page()
    assert _status_column(at) == ["已计划"]
    _pick(at, order_id)
    with db.unit_of_work(WU, write=True) as repo:  # another bureau user, after the page showed
        set_status(repo, order_id, "in_progress")
    _move(at, "in_progress")
    assert not at.exception
    errors = [e.value for e in at.error]
    assert errors == [f"工单 {order_id} 刚被其他人修改，未作更改。请查看下方最新状态后再操作。"]
    assert "version" not in errors[0] and not at.success  # a sentence, no developer message
    with db.unit_of_work(CHEN) as repo:
        history = repo.history("work_order", order_id)
    assert [h["actor"] for h in history] == ["bureau:chen", "bureau:wu"]  # nothing overwritten
    at.run()  # the list was refreshed after the refusal: it shows the current status
    assert _status_column(at) == ["施工中"]


def test_a_change_shows_at_once_and_the_next_one_uses_the_new_version(
        order_db: tuple[Database, int]) -> None:
    _, order_id = order_db
    at = _page()
    _apply(at, order_id, "in_progress")
    assert [s.value for s in at.success] == [f"工单 {order_id} 已更新为 施工中。"]
    at.run()
    assert _status_column(at) == ["施工中"]  # the cached list was cleared by the write
    _apply(at, order_id, "done")
    assert not at.error and [s.value for s in at.success] == [f"工单 {order_id} 已更新为 已完工。"]
    # orders are picked from the list, never typed: only the orders that exist are offered
    assert len(at.selectbox(key="wo_pick").options) == 1
