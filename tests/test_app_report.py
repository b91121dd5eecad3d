"""AppTest of the report pages through the real app (streamlit_app.py navigation)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from browser_support import empty_app_db
from streamlit.testing.v1 import AppTest

from audit import reports as R
from audit.actors import ANONYMOUS, Actor
from audit.settings import get_settings
from audit.storage import Database
from audit.storage.orm import Report, ReportContact
from audit.storage.repository import Repository

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
REPORT_PAGE = "ui/pages/report.py"
STATUS_PAGE = "ui/pages/report_status.py"
BUREAU = Actor(3, "bureau-t", "bureau")
CONTACT = "wechat-private-998877"
XSS = '<img src=x onerror=alert(1)>[link](javascript:alert(2))</textarea><script>alert(3)</script>'


@pytest.fixture
def app_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    """A fresh SQLite database under a temporary DATA_DIR that the app will use."""
    with empty_app_db(tmp_path, monkeypatch) as db:
        yield db


def _open(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert not at.exception
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _fill(at: AppTest, *, category: str | None = "tactile_blocked", where: str = "",
          description: str = "", contact: str = "") -> AppTest:
    if category is not None:
        at.radio(key="report_category").set_value(category)
    at.text_input(key="report_location_text").set_value(where)
    at.text_area(key="report_description").set_value(description)
    at.text_input(key="report_contact").set_value(contact)
    submit = next(b for b in at.button if b.label == "提交反映")
    submit.click()
    return at.run()


def _all_text(at: AppTest) -> str:
    parts = [str(e.value) for kind in ("markdown", "text", "caption", "success", "info",
                                       "warning", "error", "code", "title", "subheader")
             for e in getattr(at, kind)]
    return "\n".join(parts)


def _seed(db: Database, **kw: object) -> R.ReportReceipt:
    kw.setdefault("category", "tactile_blocked")
    with db.session(write=True) as s:
        return R.create_report(Repository(s, ANONYMOUS), client_key="seed", **kw)  # type: ignore[arg-type]


def test_empty_form_shows_every_validation_message(app_db: Database) -> None:
    at = _fill(_open(REPORT_PAGE), category=None)
    assert not at.exception
    errors = "\n".join(e.value for e in at.error)
    assert "请选择问题类别" in errors
    assert "请写下位置" in errors
    with app_db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Report)) == 0


def test_typed_location_report_gives_a_code_and_hides_contact(app_db: Database) -> None:
    at = _fill(_open(REPORT_PAGE), where="阳江市江城区东风三路公交站", description="电动车压盲道",
               contact=CONTACT)
    assert not at.exception and not at.error
    assert at.success[0].value == "已收到您的反映，谢谢！"
    code = at.code[0].value
    assert R.normalise_code(code) == code
    assert CONTACT not in _all_text(at)
    with app_db.session() as s:
        row = s.scalar(sa.select(Report).where(Report.code == code))
        assert row is not None and row.lon is None and row.status == "new"
        assert s.get(ReportContact, row.id).contact == CONTACT  # type: ignore[union-attr]
        assert len(row.client_key) == 64  # a salted hash, not an address
    # "report another" returns to an empty form
    next(b for b in at.button if b.key == "report_again").click()
    at.run()
    assert at.text_input(key="report_location_text").value == ""


def test_duplicate_suggestion_and_me_too(app_db: Database) -> None:
    first = _seed(app_db, location_text="东风路公交站", description="盲道被占")
    at = _fill(_open(REPORT_PAGE), where="东风路公交站南侧")
    assert not at.exception
    assert at.subheader[0].value == "附近已有类似的反映"
    assert any(first.code in m.value for m in at.markdown)
    at.text_input(key=f"metoo_comment_{first.report_id}").set_value("我每天路过")
    next(b for b in at.button if b.key == f"metoo_{first.report_id}").click()
    at.run()
    assert not at.exception
    assert first.code in at.success[0].value and "1 人附议" in at.success[0].value
    with app_db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Report)) == 1
        assert s.get(Report, first.report_id).support_count == 1  # type: ignore[union-attr]


def test_duplicate_suggestion_by_point_then_submit_anyway(app_db: Database) -> None:
    first = _seed(app_db, lon=111.98, lat=21.86)
    at = _open(REPORT_PAGE)
    at.session_state["report_point"] = (111.9801, 21.8601)
    at = _fill(at, where="")
    assert any(first.code in m.value for m in at.markdown)
    assert any("距离约" in c.value for c in at.caption)
    next(b for b in at.button if b.key == "report_submit_anyway").click()
    at.run()
    assert not at.exception and at.code
    with app_db.session() as s:
        rows = s.scalars(sa.select(Report).order_by(Report.id)).all()
    assert len(rows) == 2 and rows[1].district_code == "441702"


def test_status_lookup_shows_public_fields_literally(app_db: Database) -> None:
    got = _seed(app_db, location_text="学校门口", description=XSS, contact=CONTACT)
    at = _open(STATUS_PAGE)
    at.text_input(key="status_code_input").set_value(got.code.lower().replace("-", ""))
    next(b for b in at.button if b.label == "查询").click()
    at.run()
    assert not at.exception and not at.error
    assert any(e.value == XSS for e in at.text)  # shown literally, as plain text
    assert all(XSS not in m.value for m in at.markdown)  # never parsed as markdown
    text = _all_text(at)
    assert CONTACT not in text
    assert "各区县居民反映数量" in text and "谁在反映" in text  # counts carry the caveat


def test_status_lookup_unknown_and_malformed_codes(app_db: Database) -> None:
    at = _open(STATUS_PAGE)
    at.text_input(key="status_code_input").set_value("ABCD-2345")
    next(b for b in at.button if b.label == "查询").click()
    at.run()
    assert "没有找到这个编号" in at.error[0].value
    at.text_input(key="status_code_input").set_value("nope")
    next(b for b in at.button if b.label == "查询").click()
    at.run()
    assert "编号格式不对" in at.error[0].value
    # 8 symbols, but a 1: the message names the symbols a code never uses, and those are
    # exactly the letters and digits missing from the codes' alphabet
    at.text_input(key="status_code_input").set_value("XXXX-1234")
    next(b for b in at.button if b.label == "查询").click()
    at.run()
    message = at.error[0].value
    assert "编号格式不对" in message and "0、1、I、L、O" in message
    from audit.reports.records import CODE_ALPHABET

    never = {c for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in CODE_ALPHABET}
    assert never == {"0", "1", "I", "L", "O"}


def test_resident_reopens_a_report_closed_as_fixed(app_db: Database) -> None:
    got = _seed(app_db, location_text="人民广场厕所")
    with app_db.session(write=True) as s:
        R.mark_fixed(Repository(s, BUREAU), got.report_id, note="已开锁")
    at = _open(STATUS_PAGE)
    at.text_input(key="status_code_input").set_value(got.code)
    at.text_input(key="status_secret_input").set_value(got.secret)  # the reporter's token
    next(b for b in at.button if b.label == "查询").click()
    at.run()
    assert any(e.value == "已开锁" for e in at.text)
    reopen = next(b for b in at.button if b.label == "重新打开这条反映")
    reopen.click()
    at.run()
    assert "请填写说明" in at.error[0].value  # the comment is required
    at.text_area(key="status_reopen_comment").set_value("今天又锁上了")
    next(b for b in at.button if b.label == "重新打开这条反映").click()
    at.run()
    assert not at.exception
    assert at.success[0].value == "已重新打开，城管局会再次处理。"
    with app_db.session() as s:
        assert s.get(Report, got.report_id).status == "confirmed"  # type: ignore[union-attr]


def test_rate_limit_message_in_the_page(app_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPORT_RATE_LIMIT", "1")
    get_settings.cache_clear()
    at = _fill(_open(REPORT_PAGE), where="第一个地点")
    assert at.code
    next(b for b in at.button if b.key == "report_again").click()
    at.run()
    at = _fill(at, where="第二个地点", category="other")
    assert at.error, (_all_text(at), at.exception)
    assert "分钟内最多提交 1 次" in at.error[0].value


def test_receipt_link_code_wrong_token_and_a_token_typed_loosely(app_db: Database) -> None:
    """The receipt's status link carries the code (never the token); a token that does not fit
    says so instead of looking like no token; and a token typed in small letters without its
    dashes still opens the details (tokens avoid look-alike symbols such as 0/O and 1/I/L)."""
    got = _seed(app_db, location_text="人民广场厕所")
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["code"] = got.code.lower()
    at.run()
    at.switch_page(STATUS_PAGE).run()
    assert not at.exception, at.exception
    assert at.text_input(key="status_code_input").value == got.code  # filled in from the link
    assert at.subheader[0].value == got.code  # and looked up at once
    assert not at.warning or all("私密凭证与这个反映不符" not in w.value for w in at.warning)
    wrong = got.secret[:-1] + ("2" if got.secret[-1] != "2" else "3")
    at.text_input(key="status_secret_input").set_value(wrong)
    next(b for b in at.button if b.label == "查询").click()
    at.run()
    assert any("私密凭证与这个反映不符" in w.value for w in at.warning)
    at.text_input(key="status_secret_input").set_value(got.secret.replace("-", "").lower())
    next(b for b in at.button if b.label == "查询").click()
    at.run()
    assert not any("私密凭证与这个反映不符" in w.value for w in at.warning)
    assert not any("仅限持有回执私密凭证" in i.value for i in at.info)  # the details are open
