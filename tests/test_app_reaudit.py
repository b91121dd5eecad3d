"""AppTest of a partial re-audit on the inspector page (issue 17 item 5): the previous
measurements are shown beside the empty inputs (never copied in), the live verdict reads the
combined state, the history sits above the submit button, and the stored verdict stays 不合格."""

from __future__ import annotations

from datetime import UTC, datetime

from bureau_fixtures import GOOD_RAMP, facility
from test_app_audits import AUDIT_PAGE, _open, _sign_in, _text, app_db  # noqa: F401

from audit.actors import Actor
from audit.scoring import evaluate
from audit.storage import Database
from audit.storage.repository import Repository

T0 = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)  # 16:30 in Asia/Shanghai


def test_partial_reaudit_form_shows_previous_values_and_keeps_the_verdict(
        app_db: Database) -> None:  # noqa: F811
    bad = {**GOOD_RAMP, "running_slope_pct": 12.0, "clear_width_mm": 1000.0}
    with app_db.unit_of_work(Actor(None, "insp", "inspector"), write=True) as repo:
        fid = facility(repo.session, "ramp", "441702")
        first = repo.submit_audit(fid, evaluate("ramp", bad), submitted_at=T0)
        version = repo.get_facility(fid).version
    at = _sign_in(_open(AUDIT_PAGE))
    at.session_state["insp_facility_id"] = fid
    at.session_state["insp_facility_version"] = version
    at.run()
    assert not at.exception, at.exception
    form = at.session_state["insp_form_id"]
    width = at.number_input(key=f"{form}:ramp:clear_width_mm")
    slope = at.number_input(key=f"{form}:ramp:running_slope_pct")
    assert width.value is None and slope.value is None  # shown beside, not copied in
    captions = [str(c.value) for c in at.caption]
    assert "上次：1000 mm（第 1 版，2026-03-02 16:30）· 不填写则沿用" in captions
    assert "沿用设施当前的测量值" in _text(at)
    # the XLSForm for offline capture is downloaded here, not from the command line
    assert "下载 XLSForm 表单（ODK / KoboToolbox）" in [
        e.proto.label for e in at.get("download_button")]
    # the history is drawn before the submit button
    order = [getattr(e, "label", None) or str(getattr(e, "value", "")) for e in at.main]
    flat = "\n".join(order)
    assert flat.index("历史记录") < flat.index("提交督导记录")
    slope.set_value(6.0).run()  # only the fixed item re-measured
    assert "不合格" in _text(at) and "资料不全" not in _text(at)
    next(b for b in at.button if b.label == "提交督导记录").click()
    at.run()
    assert not at.exception, at.exception
    assert "沿用了以前的测量值" in _text(at)
    with app_db.session() as s:
        latest = Repository(s).latest_audit(fid)
    assert latest is not None and latest.sequence == 2
    assert latest.verdict == "non_compliant" and latest.measurements["running_slope_pct"] == 6.0
    assert latest.measured_from["clear_width_mm"]["audit_id"] == first.id
