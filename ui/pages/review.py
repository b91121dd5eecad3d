"""Bureau page: moderation queue of resident reports (bureau and admin roles only).

Every button calls one library function of :mod:`audit.reports`, which checks the role again
and logs the action with actor and time. User text is written with ``st.text``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from audit import reports as R
from audit.actors import Actor
from audit.errors import AuditError
from audit.frames import frame_rows
from audit.settings import get_settings
from ui import cache
from ui import reports_data as D
from ui.auth import require_role
from ui.i18n import t
from ui.timefmt import local_time, zone_note
from ui.words import action_label, actor_label

SELECTED = "review_report_id"
STATUS_FILTER = "review_statuses"
MESSAGE = "review_message"
CONTACT_SHOWN = "review_contact_for"
#: How far to look for facilities to link and nearby reports (metres).
LINK_RADIUS_KEY = "report_duplicate_radius_m"
NEARBY_FACTOR = 2


def _act(actor: Actor, action: str, func: Any, *args: Any, **kwargs: Any) -> None:
    """Run one moderation action in its own unit of work; report the outcome."""
    try:
        with D.repository(actor, write=True) as repo:
            func(repo, *args, **kwargs)
    except (AuditError, ValueError) as exc:
        D.show_error(exc)
        return
    st.session_state[MESSAGE] = t("reports.review.done", action=t(f"reports.action.{action}"))
    st.session_state.pop(CONTACT_SHOWN, None)
    cache.report_frame.clear()
    st.rerun()


def _queue(actor: Actor) -> pd.DataFrame | None:
    statuses = st.multiselect(
        t("reports.review.status_filter"), list(R.STATUSES), default=list(R.OPEN_STATUSES),
        format_func=D.status_label, key=STATUS_FILTER, select_all=False,
        placeholder=t("words.chrome.choose"),
    )
    with D.repository(actor) as repo:
        return R.moderation_queue(repo, statuses or R.OPEN_STATUSES)


def _detail(actor: Actor, row: pd.Series) -> None:
    report_id = int(row["report_id"])
    version = int(row["row_version"])
    with D.repository(actor) as repo:
        view = R.status_by_code(repo, str(row["code"]))
    if view["is_demo"]:
        st.warning(t("reports.status.demo"))
    st.text(f"{view['code']} · {D.status_label(view['status'])} · "
            f"{D.category_label(view['category'])} · {D.district_label(view['district_code'])}")
    D.plain(t("reports.status.location"), view["location_text"])
    D.plain(t("reports.status.description"), view["description"])
    if view["lon"] is not None:
        st.caption(f"{view['lon']:.5f}, {view['lat']:.5f}")
    st.caption(t("reports.status.supports") + f": {int(view['support_count'])}")

    st.markdown(f"#### {t('reports.review.contact_heading')}")
    if not bool(row["has_contact"]):
        st.caption(t("reports.review.no_contact"))
    elif (shown := st.session_state.get(CONTACT_SHOWN)) and shown["report_id"] == report_id:
        # read (and logged) once when asked for; reruns show what was read, reading nothing
        st.text(shown["contact"])
        if st.button(t("work.review.hide_contact"), key="review_hide_contact"):
            st.session_state[CONTACT_SHOWN] = None
            st.rerun()
    elif st.button(t("reports.review.show_contact"), key="review_show_contact"):
        with D.repository(actor, write=True) as repo:
            contact = R.contact_of(repo, report_id) or ""
        st.session_state[CONTACT_SHOWN] = {"report_id": report_id, "contact": contact}
        st.rerun()

    st.markdown(f"#### {t('reports.review.actions')}")
    allowed = set(R.allowed_actions(view, actor))  # the library's rules, never re-encoded here
    cols = st.columns(3)
    if "verify" in allowed and cols[0].button(t("reports.review.verify"), key="review_verify"):
        _act(actor, "verify", R.verify_report, report_id, expected_row_version=version)
    if "start" in allowed and cols[1].button(t("reports.review.start"), key="review_start"):
        _act(actor, "start", R.start_work, report_id, expected_row_version=version)
    if "fix" in allowed:
        note = st.text_input(t("reports.review.note"), key="review_note",
                             max_chars=R.MAX_REASON_CHARS)
        if cols[2].button(t("reports.review.fix"), key="review_fix"):
            _act(actor, "fix", R.mark_fixed, report_id, note=note, expected_row_version=version)
    if "reject" in allowed:
        with st.form("review_reject"):
            reason = st.text_input(t("reports.review.reason"), max_chars=R.MAX_REASON_CHARS)
            if st.form_submit_button(t("reports.review.reject")):
                _act(actor, "reject", R.reject_report, report_id, reason,
                     expected_row_version=version)
    if "mark_duplicate" in allowed:
        _duplicate_form(actor, view, report_id, version)
    if "link_facility" in allowed:
        _link_form(actor, view, report_id, version)
    if R.WORK_ORDER_ACTION in allowed:
        _work_order_form(actor, report_id)
    if "reopen" in allowed:
        with st.form("review_reopen"):
            comment = st.text_input(t("reports.review.comment"), max_chars=R.MAX_COMMENT_CHARS)
            if st.form_submit_button(t("reports.review.reopen")):
                _act(actor, "reopen", R.reopen_report, report_id, comment,
                     expected_row_version=version)
    st.markdown(f"#### {t('reports.review.history')}")
    with D.repository(actor) as repo:
        history = repo.history("report", report_id)
    for entry in history:
        st.text(f"{local_time(entry['at'])} · {actor_label(entry['actor'])} · "
                f"{action_label(entry['action'])}")
    st.caption(zone_note())


def _duplicate_form(actor: Actor, view: dict[str, Any], report_id: int, version: int) -> None:
    options: list[str] = []
    if view["lon"] is not None:
        radius = getattr(get_settings(), LINK_RADIUS_KEY) * NEARBY_FACTOR
        with D.repository(actor) as repo:
            near = R.find_duplicates(repo, view["category"], lon=view["lon"], lat=view["lat"],
                                     radius_m=radius)
        options = [c.code for c in near if c.report_id != report_id]
    with st.form("review_duplicate"):
        if options:
            st.caption(t("reports.review.nearby") + ": " + ", ".join(options))
        original = st.text_input(t("reports.review.original"), max_chars=20)
        if st.form_submit_button(t("reports.review.duplicate")):
            _act(actor, "mark_duplicate", R.mark_duplicate, report_id, original,
                 expected_row_version=version)


def _link_form(actor: Actor, view: dict[str, Any], report_id: int, version: int) -> None:
    if view["lon"] is None:
        return
    radius = getattr(get_settings(), LINK_RADIUS_KEY) * NEARBY_FACTOR
    ftype = R.REPORT_CATEGORIES[view["category"]].facility_type
    with D.repository(actor) as repo:
        near = repo.nearby_facilities(ftype, view["lon"], view["lat"], radius)
    with st.form("review_link"):
        if not near:
            st.caption(t("reports.review.no_facility", radius=f"{radius:g}"))
        choice = st.selectbox(
            t("reports.review.facility"), [f.id for f, _ in near],
            format_func=lambda i: next(f"{f.name} (#{f.id}, {d:.0f} m)" for f, d in near
                                       if f.id == i),
        )
        if st.form_submit_button(t("reports.review.link")) and choice is not None:
            _act(actor, "link_facility", R.link_facility, report_id, int(choice),
                 expected_row_version=version)


def _work_order_form(actor: Actor, report_id: int) -> None:
    with st.form("review_work_order"):
        unit = st.text_input(t("reports.review.unit"), max_chars=200)
        due = st.date_input(t("reports.review.due"), value=None, format="YYYY-MM-DD")
        if st.form_submit_button(t("reports.review.work_order")):
            if due is None:
                st.error(t("reports.review.due_missing"))
                return
            _act(actor, "work_order", R.create_work_order_for, report_id,
                 responsible_unit=unit, due_date=due)


def render() -> None:
    """The moderation page."""
    actor = require_role("bureau", "admin")
    st.title(t("reports.review.title"))
    st.write(t("reports.review.intro"))
    if st.session_state.get(MESSAGE):
        st.success(st.session_state.pop(MESSAGE))
    try:
        queue = _queue(actor)
    except AuditError as exc:
        D.show_error(exc)
        return
    if queue is None or queue.empty:
        st.info(t("reports.review.empty"))
        return
    ids = [int(i) for i in queue["report_id"]]
    if st.session_state.get(SELECTED) not in ids:
        st.session_state[SELECTED] = ids[0]
    labels = {
        int(r.report_id): t("reports.review.option", code=r.code, status=D.status_label(r.status),
                            category=D.category_label(r.category),
                            location=(r.location_text or "—")[:40])
        for r in frame_rows(queue)
    }
    st.selectbox(t("reports.review.select"), ids, format_func=labels.__getitem__, key=SELECTED)
    row = queue.loc[queue["report_id"] == st.session_state[SELECTED]].iloc[0]
    _detail(actor, row)


render()
