"""Public page: check a report's status by its code; reopen a report closed as fixed.

Shows only public fields (never the contact). User text is written with ``st.text``. Below,
report counts by district with the caveat that they reflect who reports.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from audit import reports as R
from audit.actors import ANONYMOUS, ROLES
from audit.errors import AuditError
from ui import cache
from ui import reports_data as D
from ui.i18n import t
from ui.timefmt import local_time, zone_note

CODE = "status_code"  # the code last looked up (normalised) or None
CODE_INPUT = "status_code_input"
SECRET = "status_secret"  # the reporter's secret token given with the code (or "")
SECRET_INPUT = "status_secret_input"
REOPEN_COMMENT = "status_reopen_comment"
MESSAGE = "status_message"
LINK_TAKEN = "status_link_taken"  # the ?code= of the link already looked up


def _when(value: Any) -> str:
    return local_time(value)


def _code_from_link() -> None:
    """A link from the receipt (``?code=ABCD-2345``) fills in the code and looks it up once; the
    secret token never travels in a link (it would stay in browser history and server logs)."""
    linked = st.query_params.get("code")
    if not linked or st.session_state.get(LINK_TAKEN) == linked:
        return
    st.session_state[LINK_TAKEN] = linked
    try:
        code = R.normalise_code(linked)
    except AuditError:
        return  # a mangled link: the form stays empty, as if it had no code
    st.session_state[CODE_INPUT] = code
    st.session_state[CODE] = code


def _lookup_form() -> None:
    with st.form("status_form", enter_to_submit=True):
        st.text_input(t("reports.status.code"), key=CODE_INPUT, help=t("reports.status.code_help"),
                      max_chars=20)
        st.text_input(t("security.secret.input"), key=SECRET_INPUT, type="password",
                      help=t("security.secret.input_help"), max_chars=64)
        if st.form_submit_button(t("reports.status.lookup"), type="primary"):
            st.session_state.pop(MESSAGE, None)
            st.session_state[SECRET] = str(st.session_state.get(SECRET_INPUT) or "").strip()
            try:
                st.session_state[CODE] = R.normalise_code(st.session_state.get(CODE_INPUT, ""))
            except AuditError as exc:
                st.session_state[CODE] = None
                D.show_error(exc)


def _show(view: dict[str, Any]) -> None:
    st.subheader(view["code"])
    if view["is_demo"]:
        st.warning(t("reports.status.demo"))
    cols = st.columns(3)
    cols[0].metric(t("reports.status.status"), D.status_label(view["status"]))
    cols[1].metric(t("reports.status.supports"), int(view["support_count"]))
    cols[2].metric(t("reports.status.category"), D.category_label(view["category"]))
    if view["duplicate_of_code"]:
        st.info(t("reports.status.duplicate_of", code=view["duplicate_of_code"]))
    if view["public_reason"]:
        D.plain(t("reports.status.reason"), view["public_reason"])
    D.plain(t("reports.status.location"), view["location_text"])
    D.plain(t("reports.status.district"), D.district_label(view["district_code"]))
    D.plain(t("reports.status.description"), view["description"])
    D.plain(t("reports.status.created"), _when(view["created_at"]))
    D.plain(t("reports.status.updated"), _when(view["updated_at"]))
    st.caption(zone_note())
    if view["facility_id"] is not None:
        st.caption(t("reports.status.facility", id=int(view["facility_id"])))
    if view["photo_id"] is not None:
        st.caption(t("reports.status.photo"))
    st.markdown(f"#### {t('reports.status.timeline')}")
    if not view["owner"] and st.session_state.get(SECRET):
        st.warning(t("security.secret.wrong"))  # typed, but not this report's token
    if not view["owner"] and not view["timeline"]:
        st.info(t("security.secret.detail_hidden"))
        return
    for entry in view["timeline"]:
        role_key = f"reports.role.{entry['role']}"
        action_key = f"reports.action.{entry['action']}"
        st.text(
            t("reports.status.timeline_item", at=_when(entry["at"]),
              role=t(role_key) if entry["role"] in ROLES else entry["role"],
              action=t(action_key))
            + (f" — {entry['text']}" if entry["text"] else "")
        )
    if view["can_reopen"]:
        _reopen(view)


def _reopen(view: dict[str, Any]) -> None:
    st.markdown(f"#### {t('reports.status.reopen_heading')}")
    st.write(t("reports.status.reopen_help"))
    with st.form("reopen_form"):
        comment = st.text_area(t("reports.status.reopen_comment"), key=REOPEN_COMMENT,
                               max_chars=R.MAX_COMMENT_CHARS)
        if st.form_submit_button(t("reports.status.reopen_button")):
            try:
                with D.repository(ANONYMOUS, write=True) as repo:
                    R.reopen_report(repo, view["code"], comment,
                                    secret=str(st.session_state.get(SECRET) or ""),
                                    expected_row_version=int(view["row_version"]))
            except (AuditError, ValueError) as exc:
                D.show_error(exc)
            else:
                st.session_state[MESSAGE] = "reports.status.reopened"
                cache.report_frame.clear()
                st.rerun()


def district_counts_section() -> None:
    """Counts by district with the "who reports" caveat (never used in any ranking)."""
    st.markdown(f"### {t('reports.counts.heading')}")
    try:
        with D.repository() as repo:
            counts = R.district_counts(repo)
    except AuditError as exc:
        D.show_error(exc)
        return
    st.warning(t(counts.caveat_key), icon=":material/info:")
    frame = counts.frame
    table = pd.DataFrame({
        t("reports.counts.district"): [D.district_label(c) for c in frame["district_code"]],
        t("reports.counts.reports"): frame["reports"],
        t("reports.counts.open"): frame["open"],
        t("reports.counts.fixed"): frame["fixed"],
        t("reports.counts.supports"): frame["supports"],
    })
    st.dataframe(table, hide_index=True)


def render() -> None:
    """The status page."""
    st.title(t("reports.status.title"))
    st.write(t("reports.status.intro"))
    _code_from_link()
    _lookup_form()
    if st.session_state.get(MESSAGE):
        st.success(t(st.session_state[MESSAGE]))
    code = st.session_state.get(CODE)
    if code:
        try:
            with D.repository() as repo:
                view = R.status_by_code(repo, code,
                                        secret=str(st.session_state.get(SECRET) or ""))
        except AuditError as exc:
            D.show_error(exc)
        else:
            _show(view)
    district_counts_section()


render()
