# ruff: noqa: F811  (the app_db fixture is imported from test_app_report)
"""The bureau review page: anonymous and inspector cannot moderate; bureau can."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from test_app_report import APP, CONTACT, _seed, app_db  # noqa: F401  (fixture)

from audit.storage import Database
from audit.storage.orm import Report

REVIEW_PAGE = "ui/pages/review.py"


def _as(role: str | None) -> object:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=90)
    if role is not None:
        at.session_state["auth_user"] = {"user_id": 1, "username": f"{role}-t", "role": role,
                                         "signed_in_at": time.time()}
    at.switch_page(REVIEW_PAGE).run()  # straight to the page (the default page is not rendered)
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("role", [None, "inspector"])
def test_anonymous_and_inspector_see_no_queue(app_db: Database, role: str | None) -> None:
    got = _seed(app_db, location_text="东门口", contact=CONTACT)
    at = _as(role)
    texts = " ".join(str(e.value) for kind in ("text", "markdown", "caption", "title")
                     for e in getattr(at, kind))
    assert got.code not in texts and CONTACT not in texts
    assert not any(b.key == "review_verify" for b in at.button)
    if role is None:
        assert any(i.key == "sign_in_username" for i in at.text_input)  # sign-in form
    else:
        assert at.error  # forbidden for this role


def test_bureau_verifies_and_reads_the_contact(app_db: Database) -> None:
    got = _seed(app_db, location_text="东门口", contact=CONTACT)
    at = _as("bureau")
    assert any(got.code in str(o) for o in at.selectbox(key="review_report_id").options)
    assert CONTACT not in " ".join(str(e.value) for e in at.text)
    next(b for b in at.button if b.key == "review_show_contact").click()
    at.run()
    assert any(e.value == CONTACT for e in at.text)
    next(b for b in at.button if b.key == "review_verify").click()
    at.run()
    assert not at.exception
    with app_db.session() as s:
        assert s.scalar(sa.select(Report.status).where(Report.id == got.report_id)) == "confirmed"


def test_the_page_offers_what_allowed_actions_allows(app_db: Database) -> None:
    """A fixed report: reopen and link are offered, verify/start/fix/reject are not."""
    from audit import reports as R
    from audit.actors import SYSTEM

    got = _seed(app_db, location_text="东门口", lon=111.98, lat=21.86)
    with app_db.unit_of_work(SYSTEM, write=True) as repo:
        R.mark_fixed(repo, got.report_id)
    at = _as("bureau")
    at.multiselect(key="review_statuses").set_value(["fixed"]).run()
    assert not at.exception
    buttons = {b.key for b in at.button}
    assert not buttons & {"review_verify", "review_start", "review_fix"}
    forms = {f.proto.form_id for f in at.button if f.proto.form_id}
    assert forms == {"review_reopen", "review_link"}


def test_viewing_a_contact_is_logged_once_per_view_not_per_rerun(app_db: Database) -> None:
    """Issue 17 item 11: reruns (any other widget) do not read the contact again."""
    from audit.storage.orm import ChangeLog

    def reads() -> int:
        with app_db.session() as s:
            return int(s.scalar(sa.select(sa.func.count()).select_from(ChangeLog).where(
                ChangeLog.action == "read_contact")) or 0)

    _seed(app_db, location_text="东门口", contact=CONTACT)
    at = _as("bureau")
    next(b for b in at.button if b.key == "review_show_contact").click()
    at.run()
    assert any(e.value == CONTACT for e in at.text) and reads() == 1
    at.run()
    at.run()  # two reruns: still shown, not read again
    assert any(e.value == CONTACT for e in at.text) and reads() == 1
    next(b for b in at.button if b.key == "review_hide_contact").click()
    at.run()
    assert CONTACT not in " ".join(str(e.value) for e in at.text)
    next(b for b in at.button if b.key == "review_show_contact").click()
    at.run()
    assert reads() == 2  # a new view is a new read, logged
