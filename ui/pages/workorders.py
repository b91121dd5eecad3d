"""Bureau page: work orders — overdue list, all orders, time to fix, create, change status.

A status change carries the row version of the order as this page showed it, so the library
refuses it (``ConflictError``) if someone changed the order in between; the page then says so in
the user's language and shows the current orders. Every write clears the cached orders.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from audit.actors import Actor
from audit.errors import AuditError, ConflictError, NotFoundError
from audit.frames import frame_rows
from audit.reports import category_label
from audit.workorders import (
    STATUSES,
    TRANSITIONS,
    create_work_order,
    set_status,
    time_to_fix,
)
from ui import cache
from ui.auth import require_role
from ui.downloads import export_buttons
from ui.errors import error_text, log_error
from ui.i18n import current_language, t
from ui.map import facility_type_label, verdict_label
from ui.words import display_table

DEFAULT_DUE_DAYS = 60  # the form's starting due date: today + this many days
#: Session key: order id → row version of the orders as last shown (the optimistic lock).
SEEN_VERSIONS = "wo_seen_versions"
#: Session key: the (order id, status) of a move button pressed on the last render.
PENDING_MOVE = "wo_pending_move"


def _refresh() -> None:
    """Forget cached orders (and the map's order flags built from them) after a write."""
    cache.work_orders.clear()


def main() -> None:
    actor = require_role("bureau", "admin")
    lang = current_language()
    st.title(t("bureau.wo.title"))
    seen: dict[int, int] = dict(st.session_state.get(SEEN_VERSIONS, {}))  # as last shown
    status_label = {s: t(f"bureau.wo.status.{s}") for s in STATUSES}
    pending = st.session_state.pop(PENDING_MOVE, None)
    if pending is not None:
        _change_status(actor, int(pending[0]), str(pending[1]), seen, status_label)
    orders = cache.work_orders()
    st.session_state[SEEN_VERSIONS] = {
        int(i): int(v) for i, v in zip(orders["work_order_id"], orders["row_version"],
                                        strict=True)
    }
    if orders.empty:
        st.info(t("bureau.wo.empty"))
    else:
        view = _filtered(orders, status_label, lang)
        cols = ["work_order_id", "title", "responsible_unit", "due_date", "status",
                "days_overdue", "district_code", "facility_type", "cost_yuan", "is_demo"]
        overdue = view[view["overdue"]]
        st.subheader(t("bureau.wo.overdue", n=len(overdue)))
        st.dataframe(display_table(overdue, cols), hide_index=True, use_container_width=True)
        st.subheader(t("bureau.wo.all"))
        picked = st.dataframe(display_table(view, cols), hide_index=True, use_container_width=True,
                              on_select="rerun", selection_mode="single-row", key="wo_table")
        rows = list(picked.selection.rows) if picked is not None else []
        _row_actions(actor, view, rows[0] if rows else None, seen, status_label)
        st.subheader(t("bureau.wo.ttf"))
        with cache.unit_of_work(actor) as repo:
            ttf = time_to_fix(repo)
        st.dataframe(display_table(ttf, list(ttf.columns)), hide_index=True,
                     use_container_width=True)
    _create_form(actor, lang)
    _export_section(actor)


def _export_section(actor: Actor) -> None:
    """Facilities, audits, findings, reports (public fields) and work orders, in each format."""
    from audit.io.exports import about, export_tables

    def tables() -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
        with cache.unit_of_work(actor) as repo:
            return export_tables(repo), about(repo)

    st.subheader(t("work.download.heading"))
    st.caption(t("work.download.help"))
    export_buttons(tables, stem="yangjiang_a11y_export", key="wo_export")


def _filtered(orders: pd.DataFrame, status_label: dict[str, str], lang: str) -> pd.DataFrame:
    """The orders the chosen status, district and type filters keep."""
    cols = st.columns(3)
    statuses = cols[0].multiselect(t("work.wo.filter_status"), list(STATUSES),
                                   format_func=lambda s: status_label[s], key="wo_f_status",
                                   placeholder=t("work.wo.all"))
    names = _district_names(lang)
    districts = cols[1].multiselect(
        t("work.wo.filter_district"), sorted(orders["district_code"].dropna().unique()),
        format_func=lambda c: names.get(c, c), key="wo_f_district",
        placeholder=t("work.wo.all"))
    types = cols[2].multiselect(
        t("work.wo.filter_type"), sorted(orders["facility_type"].dropna().unique()),
        format_func=lambda c: facility_type_label(c, lang), key="wo_f_type",
        placeholder=t("work.wo.all"))
    keep = pd.Series(True, index=orders.index)
    if statuses:
        keep &= orders["status"].isin(statuses)
    if districts:
        keep &= orders["district_code"].isin(districts)
    if types:
        keep &= orders["facility_type"].isin(types)
    return orders[keep].reset_index(drop=True)


def _district_names(lang: str) -> dict[str, str]:
    d = cache.districts()
    return dict(zip(d["adcode"], d["name_zh" if lang.startswith("zh") else "name_en"],
                    strict=True))


def _order_label(row: Any) -> str:
    place = row.facility_name if isinstance(row.facility_name, str) else row.report_code
    return f"{row.title or '—'} · {place or '—'} · {row.responsible_unit}"


def _row_actions(actor: Actor, view: pd.DataFrame, selected: int | None, seen: dict[int, int],
                 status_label: dict[str, str]) -> None:
    """The moves the chosen order allows (TRANSITIONS), as buttons, against its seen version."""
    if view.empty:
        return
    labels = {int(r.work_order_id): _order_label(r) for r in frame_rows(view)}
    ids = list(labels)
    default = ids[selected] if selected is not None and selected < len(ids) else None
    if default != st.session_state.get("wo_last_row"):  # a row newly clicked in the table
        st.session_state["wo_last_row"] = default
        if default is not None:
            st.session_state["wo_pick"] = default
    order_id = st.selectbox(t("work.wo.pick"), ids, format_func=lambda i: labels[i],
                            key="wo_pick", index=None, placeholder=t("work.wo.pick_help"))
    if order_id is None:
        return
    status = str(view.loc[view["work_order_id"] == order_id, "status"].iloc[0])
    moves = sorted(TRANSITIONS[status], key=STATUSES.index)
    if not moves:
        st.caption(t("work.wo.final", status=status_label[status]))
        return
    if "verified" in moves:
        st.caption(t("bureau.wo.verify_help"))
    cols = st.columns(len(moves))
    for col, move in zip(cols, moves, strict=True):
        # recorded by a callback, so that a click on what the page showed is applied against
        # the version shown even when the order changed meanwhile and this button is gone from
        # the rerun (the library then refuses it, and the page says so)
        col.button(t("work.wo.move", status=status_label[move]), key=f"wo_move_{move}",
                   on_click=_request_move, args=(int(order_id), move))


def _create_form(actor: Actor, lang: str) -> None:
    """A new order for a facility picked by name, or a report picked by its code."""
    st.subheader(t("bureau.wo.create"))
    kind = st.radio(t("work.wo.target"), ["facility", "report"], horizontal=True,
                    key="wo_target", format_func=lambda k: t(f"work.wo.target_{k}"))
    fid = rid = None
    if kind == "facility":
        fac = cache.facility_frame()
        fac = fac.sort_values(["verdict", "name"])
        names = _district_names(lang)
        labels = {int(r.facility_id): (
            f"{r.name or '—'} · {facility_type_label(r.facility_type, lang)} · "
            f"{names.get(r.district_code, '—')} · {verdict_label(str(r.verdict), lang)}")
            for r in frame_rows(fac)}
        fid = st.selectbox(t("work.wo.facility"), list(labels), format_func=lambda i: labels[i],
                           index=None, key="wo_fid", placeholder=t("work.wo.search"))
    else:
        rep = cache.report_frame()
        labels = {int(r.report_id): f"{r.code} · {category_label(str(r.category), lang)}"
                  for r in frame_rows(rep)}
        rid = st.selectbox(t("work.wo.report"), list(labels), format_func=lambda i: labels[i],
                           index=None, key="wo_rid", placeholder=t("work.wo.search_code"))
    with st.form("wo_create"):
        title = st.text_input(t("bureau.wo.wo_title"), key="wo_title")
        unit = st.text_input(t("bureau.wo.unit"), key="wo_unit")
        due = st.date_input(t("bureau.wo.due"), value=date.today() + timedelta(DEFAULT_DUE_DAYS),
                            key="wo_due")
        cost = st.number_input(t("bureau.wo.cost"), min_value=0.0, step=1000.0, key="wo_cost")
        if st.form_submit_button(t("bureau.wo.submit")):
            try:
                with cache.unit_of_work(actor, write=True) as repo:
                    rec = create_work_order(
                        repo, facility_id=fid, report_id=rid, title=title,
                        responsible_unit=unit, due_date=due, cost_yuan=cost)
                _refresh()
                st.success(t("bureau.wo.created", id=rec.id))
            except AuditError as exc:
                log_error(exc)
                st.error(t("bureau.wo.error", error=error_text(exc)))


def _request_move(order_id: int, status: str) -> None:
    st.session_state[PENDING_MOVE] = (order_id, status)


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
