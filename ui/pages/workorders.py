"""Bureau page: work orders — overdue list, all orders, time to fix, create, change status.

A status change carries the row version of the order as this page showed it, so the library
refuses it (``ConflictError``) if someone changed the order in between; the page then says so in
the user's language and shows the current orders. Every write clears the cached orders.
"""

from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

from audit.actors import Actor
from audit.errors import AuditError, ConflictError, NotFoundError
from audit.workorders import STATUSES, create_work_order, set_status, time_to_fix
from ui import cache
from ui.auth import require_role
from ui.errors import error_text, log_error
from ui.i18n import t
from ui.words import display_table

DEFAULT_DUE_DAYS = 60  # the form's starting due date: today + this many days
#: Session key: order id → row version of the orders as last shown (the optimistic lock).
SEEN_VERSIONS = "wo_seen_versions"


def _refresh() -> None:
    """Forget cached orders (and the map's order flags built from them) after a write."""
    cache.work_orders.clear()


def main() -> None:
    actor = require_role("bureau", "admin")
    st.title(t("bureau.wo.title"))
    seen: dict[int, int] = dict(st.session_state.get(SEEN_VERSIONS, {}))  # as last shown
    orders = cache.work_orders()
    st.session_state[SEEN_VERSIONS] = {
        int(i): int(v) for i, v in zip(orders["work_order_id"], orders["row_version"],
                                        strict=True)
    }
    status_label = {s: t(f"bureau.wo.status.{s}") for s in STATUSES}
    if orders.empty:
        st.info(t("bureau.wo.empty"))
    else:
        cols = ["work_order_id", "title", "responsible_unit", "due_date", "status",
                "days_overdue", "district_code", "facility_type", "cost_yuan", "is_demo"]
        overdue = orders[orders["overdue"]]
        st.subheader(t("bureau.wo.overdue", n=len(overdue)))
        st.dataframe(display_table(overdue, cols), hide_index=True, use_container_width=True)
        st.subheader(t("bureau.wo.all"))
        st.dataframe(display_table(orders, cols), hide_index=True, use_container_width=True)
        st.subheader(t("bureau.wo.ttf"))
        with cache.unit_of_work(actor) as repo:
            ttf = time_to_fix(repo)
        st.dataframe(display_table(ttf, list(ttf.columns)), hide_index=True,
                     use_container_width=True)
    left, right = st.columns(2)
    with left, st.form("wo_create"):
        st.subheader(t("bureau.wo.create"))
        fid = st.number_input(t("bureau.wo.facility_id"), min_value=0, step=1, key="wo_fid")
        rid = st.number_input(t("bureau.wo.report_id"), min_value=0, step=1, key="wo_rid")
        title = st.text_input(t("bureau.wo.wo_title"), key="wo_title")
        unit = st.text_input(t("bureau.wo.unit"), key="wo_unit")
        due = st.date_input(t("bureau.wo.due"), value=date.today() + timedelta(DEFAULT_DUE_DAYS),
                            key="wo_due")
        cost = st.number_input(t("bureau.wo.cost"), min_value=0.0, step=1000.0, key="wo_cost")
        if st.form_submit_button(t("bureau.wo.submit")):
            try:
                with cache.unit_of_work(actor, write=True) as repo:
                    rec = create_work_order(
                        repo, facility_id=int(fid) or None, report_id=int(rid) or None,
                        title=title, responsible_unit=unit, due_date=due, cost_yuan=cost)
                _refresh()
                st.success(t("bureau.wo.created", id=rec.id))
            except AuditError as exc:
                log_error(exc)
                st.error(t("bureau.wo.error", error=error_text(exc)))
    with right, st.form("wo_status"):
        st.subheader(t("bureau.wo.change"))
        oid = st.number_input(t("bureau.wo.order"), min_value=1, step=1, key="wo_oid")
        new = st.selectbox(t("bureau.wo.new_status"), list(STATUSES),
                           format_func=lambda s: status_label[s], key="wo_new_status")
        st.caption(t("bureau.wo.verify_help"))
        if st.form_submit_button(t("bureau.wo.apply")):
            _change_status(actor, int(oid), new, seen, status_label)


def _change_status(actor: Actor, order_id: int, status: str, seen: dict[int, int],
                   status_label: dict[str, str]) -> None:
    """Apply a status change against the version of the order the user saw."""
    if order_id not in seen:
        st.error(t("bureau.wo.not_found", id=order_id))
        return
    try:
        with cache.unit_of_work(actor, write=True) as repo:
            rec = set_status(repo, order_id, status, expected_row_version=seen[order_id])
    except ConflictError:
        _refresh()
        st.error(t("bureau.wo.conflict", id=order_id))
        return
    except NotFoundError:
        _refresh()
        st.error(t("bureau.wo.not_found", id=order_id))
        return
    except AuditError as exc:
        log_error(exc)
        st.error(t("bureau.wo.error", error=error_text(exc)))
        return
    _refresh()
    st.success(t("bureau.wo.changed", id=rec.id, status=status_label[rec.status]))


main()
