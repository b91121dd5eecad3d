"""AppTest of sign-in and the inspector page through the real app (streamlit_app.py navigation)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import empty_app_db
from conftest import one_unit_of_work
from streamlit.testing.v1 import AppTest

from audit import auth, inspect
from audit.actors import SYSTEM
from audit.inspect import AuditRequest
from audit.settings import get_settings
from audit.storage import Database
from audit.storage.repository import Repository

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
AUDIT_PAGE = "ui/pages/audits.py"
ADMIN_PAGE = "ui/pages/admin.py"
PW = "inspector-password-1"
SPOT = "111.98000, 21.86000"

# one unit of work per call, as one page action does
create_user = one_unit_of_work(auth.create_user)
save_audit = one_unit_of_work(inspect.save_audit)


@pytest.fixture
def app_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    with empty_app_db(tmp_path, monkeypatch, LOGIN_MAX_FAILURES="2") as db:
        create_user(db, SYSTEM, "insp", PW, "inspector")
        create_user(db, SYSTEM, "boss", PW, "admin")
        yield db


def _text(at: AppTest) -> str:
    kinds = ("markdown", "caption", "success", "info", "warning", "error", "title")
    return "\n".join(str(e.value) for k in kinds for e in getattr(at, k))


def _open(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _sign_in(at: AppTest, username: str = "insp", password: str = PW) -> AppTest:
    at.text_input(key="sign_in_username").set_value(username)
    at.text_input(key="sign_in_password").set_value(password)
    next(b for b in at.button if b.label == "登录").click()
    return at.run()


def _counts(db: Database) -> tuple[int, int]:
    with db.session() as s:
        repo = Repository(s)
        return len(repo.facility_frame()), repo.count_audits(status=None)


def test_sign_in_required_wrong_password_and_lockout(app_db: Database) -> None:
    at = _open(AUDIT_PAGE)
    assert at.text_input(key="sign_in_password") is not None
    assert "设施督导" not in [str(x.value) for x in at.title]
    # the page's one heading says what it is now: the staff sign-in
    assert [str(x.value) for x in at.title] == ["工作人员登录"]
    assert "居民反映问题、查询进度无需登录" in _text(at)
    at = _sign_in(at, password="wrong-password")
    assert "用户名或密码错误" in _text(at)
    at = _sign_in(at, password="wrong-password")
    assert "已锁定" in _text(at)
    at = _sign_in(at)  # right password, but locked
    assert "已锁定" in _text(at)


def test_expired_session_shows_sign_in(app_db: Database) -> None:
    at = _sign_in(_open(AUDIT_PAGE))
    assert "设施督导" in [str(x.value) for x in at.title]
    at.session_state["auth_user"] = {**at.session_state["auth_user"],
                                      "signed_in_at": time.time() - 9 * 3600}
    at.run()
    assert "登录已过期" in _text(at)
    assert "设施督导" not in [str(x.value) for x in at.title]
    # the page's one heading says what it is now: the staff sign-in
    assert [str(x.value) for x in at.title] == ["工作人员登录"]
    assert "居民反映问题、查询进度无需登录" in _text(at)


def test_bureau_cannot_audit(app_db: Database) -> None:
    create_user(app_db, SYSTEM, "buro", PW, "bureau")
    at = _sign_in(_open(AUDIT_PAGE), "buro")
    assert "无权使用此页面" in _text(at)
    # the sign-in worked, and the page itself says so (a phone's sidebar is folded)
    assert [str(s.value) for s in at.main.success] == ["已登录：buro（城管局）"]


def _locate_typed(at: AppTest) -> AppTest:
    at.radio(key="insp_loc_mode").set_value("typed").run()
    at.text_input(key="insp_coords").set_value(SPOT)
    next(b for b in at.button if b.key == "insp_use_coords").click()
    return at.run()


def _field(at: AppTest, name: str) -> object:
    form = at.session_state["insp_form_id"]
    return at.number_input(key=f"{form}:ramp:{name}")


def test_audit_live_verdict_submit_once(app_db: Database) -> None:
    at = _locate_typed(_sign_in(_open(AUDIT_PAGE)))
    assert "已选位置：111.980000, 21.860000" in _text(at)
    _field(at, "running_slope_pct").set_value(10.0)  # type: ignore[attr-defined]
    _field(at, "rise_mm").set_value(400.0)  # type: ignore[attr-defined]
    at.run()
    assert "2.3.1" in "\n".join(str(e.value) for e in at.error)
    # an impossible value is flagged inline and blocks saving
    _field(at, "clear_width_mm").set_value(-5.0)  # type: ignore[attr-defined]
    at.run()
    assert "超出允许范围" in _text(at)
    submit = next(b for b in at.button if b.label == "提交督导记录")
    assert submit.disabled
    _field(at, "clear_width_mm").set_value(None)  # type: ignore[attr-defined]
    at.run()
    form = at.session_state["insp_form_id"]
    next(b for b in at.button if b.label == "提交督导记录").click()
    at.run()
    assert not at.exception, at.exception
    assert "不符合" in _text(at) and _counts(app_db) == (1, 1)
    assert at.session_state["insp_form_id"] != form  # a new form instance
    # the same form instance submitted again (a double tap replayed) stores nothing new
    with app_db.session() as s:
        key = Repository(s).latest_audit(1).idempotency_key  # type: ignore[union-attr]
    assert key == f"{form}:submitted"


def test_duplicate_offer_and_conflict(app_db: Database) -> None:
    from audit.actors import Actor

    first = save_audit(app_db, Actor(1, "insp", "inspector"), AuditRequest(
        "ramp", {"running_slope_pct": 10, "rise_mm": 400}, lon=111.98, lat=21.86))
    at = _locate_typed(_sign_in(_open(AUDIT_PAGE)))
    assert "米内已有 1 个同类设施" in _text(at)
    next(b for b in at.button if b.key == f"insp_dup_{first.facility.id}").click()
    at.run()
    assert f"正在复查设施 #{first.facility.id}" in _text(at)
    # meanwhile another inspector re-audits the same facility
    save_audit(app_db, Actor(2, "boss", "admin"), AuditRequest(
        "ramp", {"running_slope_pct": 7, "rise_mm": 400}, facility_id=first.facility.id,
        expected_facility_version=first.facility.version))
    _field(at, "running_slope_pct").set_value(8.0)  # type: ignore[attr-defined]
    at.run()
    next(b for b in at.button if b.label == "提交督导记录").click()
    at.run()
    assert "其他人修改了该设施" in _text(at)
    assert _counts(app_db) == (1, 2)


def test_admin_creates_user(app_db: Database) -> None:
    at = _sign_in(_open(ADMIN_PAGE), "boss")
    inputs = {i.label: i for i in at.text_input}
    inputs["用户名"].set_value("new.inspector")
    inputs["密码"].set_value("a-long-password")
    next(b for b in at.button if b.label == "创建").click()
    at.run()
    assert "已创建账户 new.inspector" in _text(at)


# ----------------------------------------------------------------- live GPS (component mocked)


def _fake_geolocation(monkeypatch: pytest.MonkeyPatch, answer: dict | None) -> list[str]:
    """Replace the browser component: each call records its key and returns ``answer``."""
    streamlit_js_eval = pytest.importorskip("streamlit_js_eval")
    calls: list[str] = []

    def fake(component_key: str | None = None) -> dict | None:
        calls.append(str(component_key))
        return answer

    monkeypatch.setattr(streamlit_js_eval, "get_geolocation", fake)
    return calls


def _gps_mode(at: AppTest) -> AppTest:
    at.radio(key="insp_loc_mode").set_value("gps").run()
    assert not at.exception, at.exception
    return at


def _get_fix(at: AppTest) -> AppTest:
    next(b for b in at.button if b.label == "获取我的位置（GPS）").click()
    return at.run()


def test_live_gps_good_fix_shows_accuracy_without_confirmation(
    app_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _fake_geolocation(monkeypatch, {
        "coords": {"longitude": 111.981, "latitude": 21.861, "accuracy": 8.4},
        "timestamp": 1,
    })
    at = _gps_mode(_sign_in(_open(AUDIT_PAGE)))
    assert not calls, "the browser is asked only when the inspector presses the button"
    at = _get_fix(at)
    assert not at.exception, at.exception
    assert calls and calls[-1] == "insp_gps_request:1"
    text = _text(at)
    assert "已选位置：111.981000, 21.861000" in text
    assert "GPS 精度 ±8 米" in text
    assert at.session_state["insp_location"]["source"] == "gps"
    assert at.session_state["insp_location"]["accuracy"] == pytest.approx(8.4)
    assert not [c for c in at.checkbox if c.key and c.key.startswith("insp_gps_ok:")]
    n = len(calls)
    at.run()
    assert len(calls) == n, "an answered reading is not asked again on every rerun"


def test_live_gps_poor_fix_needs_explicit_confirmation(
    app_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_geolocation(monkeypatch, {
        "coords": {"longitude": 111.981, "latitude": 21.861, "accuracy": 85.0},
    })
    at = _get_fix(_gps_mode(_sign_in(_open(AUDIT_PAGE))))
    assert not at.exception, at.exception
    limit = f"{get_settings().gps_accuracy_limit_m:g}"
    assert any(limit in str(w.value) for w in at.warning)
    boxes = [c for c in at.checkbox if c.key and c.key.startswith("insp_gps_ok:")]
    assert boxes and boxes[0].value is False


def test_live_gps_denied_explains_and_keeps_the_typed_fallback(
    app_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_geolocation(monkeypatch, {"error": {"code": 1, "message": "User denied"}})
    at = _get_fix(_gps_mode(_sign_in(_open(AUDIT_PAGE))))
    assert not at.exception, at.exception
    assert any("拒绝了位置权限" in str(e.value) for e in at.error)
    assert at.session_state["insp_location"] is None
    # the typed fallback still works
    at.text_input(key="insp_gps_coords").set_value(SPOT)
    at.number_input(key="insp_gps_acc").set_value(12.0)
    next(b for b in at.button if b.key == "insp_use_gps").click()
    at.run()
    assert at.session_state["insp_location"]["accuracy"] == pytest.approx(12.0)
    assert "已选位置：111.980000, 21.860000" in _text(at)


def test_parse_gps_result_rejects_garbage() -> None:
    from ui.inspect_form import GpsFix, parse_gps_result

    assert parse_gps_result({"coords": {"longitude": 1, "latitude": 2}}) == GpsFix(1.0, 2.0, None)
    assert parse_gps_result({"error": {"code": 3}}) == "inspect.gps.error.timeout"
    assert parse_gps_result({"error": {"code": 99}}) == "inspect.gps.error.unavailable"
    assert parse_gps_result({"coords": {"longitude": "x", "latitude": 2}}).startswith("inspect")
    assert parse_gps_result({"coords": {"longitude": float("nan"), "latitude": 2}}) == (
        "inspect.gps.error.unavailable")
    assert parse_gps_result("nope") == "inspect.gps.error.unavailable"
