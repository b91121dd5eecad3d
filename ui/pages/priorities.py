"""Bureau page: retrofit priority list and the exact budgeted plan, with an Excel download."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from audit.actors import SYSTEM, Actor, permitted
from audit.errors import AuditError, InputError
from ui import cache
from ui.auth import require_role
from ui.errors import error_text, log_error
from ui.i18n import t
from ui.plan_view import plan_table
from ui.state import LANG

DEFAULT_BUDGET_YUAN = 500_000.0  # the form's starting value; the bureau types its own budget
DEFAULT_DUE_DAYS = 60  # the plan orders' starting due date: today + this many days
PLAN = "plan_result"  # session key: the last computed plan, kept across reruns


#: Machine columns of the plan workbook that get a person's header (words.col.<column>).
PLAN_COLUMNS: tuple[str, ...] = (
    "candidate_id", "kind", "facility_id", "report_id", "district_code", "fix_type", "type_zh",
    "name", "lon", "lat", "n_fail", "severity", "importance", "cost_yuan", "priority", "is_demo",
    "fixes",
)


def _headers() -> dict[str, str]:
    return {c: t(f"words.col.{c}") for c in PLAN_COLUMNS}


def main() -> None:
    actor = require_role("bureau", "admin")
    lang = st.session_state.get(LANG, "zh-Hans")
    st.title(t("bureau.plan.title"))
    st.caption(t("bureau.plan.intro"))
    from audit.priority import IMPORTANCE_METHODS

    importance = st.radio(t("reach.importance.label"), IMPORTANCE_METHODS, horizontal=True,
                          format_func=lambda m: t(f"reach.importance.{m}"),
                          key="plan_importance")
    try:
        data = cache.candidates(importance)
    except AuditError as exc:
        log_error(exc)
        st.error(t("reach.unavailable", error=error_text(exc)))
        return
    limit = data.get("reach_limit_m") or 0.0
    st.caption(t(f"reach.importance.{importance}_help", limit=f"{limit:g}"))
    if data["destinations_synthetic"]:
        st.warning(t("bureau.plan.synthetic"))
    if data["network_synthetic"]:
        st.info(t("bureau.plan.synthetic_network"))
    cand: pd.DataFrame = data["table"]
    if cand.empty:
        st.info(t("bureau.plan.none"))
        return
    districts = cache.districts()
    names = dict(zip(districts["adcode"], districts["name_zh" if lang.startswith("zh")
                                                     else "name_en"], strict=True))
    with st.form("plan_form"):
        budget = st.number_input(t("bureau.plan.budget"), value=DEFAULT_BUDGET_YUAN, step=10_000.0,
                                 key="plan_budget")
        scope = st.selectbox(t("bureau.plan.scope"), ["*", *names],
                             format_func=lambda c: t("bureau.plan.citywide") if c == "*"
                             else names[c], key="plan_scope")
        run = st.form_submit_button(t("bureau.plan.run"))
    if run:
        from audit.priority import greedy_plan, optimise_plan

        pool = cand if scope == "*" else cand[cand["district_code"] == scope]
        try:
            plan = optimise_plan(pool, budget)
            greedy = greedy_plan(pool, budget)
        except InputError as exc:
            log_error(exc)
            st.error(t("bureau.plan.bad_budget", error=error_text(exc)))
            return
        # kept in the session: the plan stays on screen after its download (a rerun)
        st.session_state[PLAN] = {"plan": plan, "greedy": greedy.total_priority}
    if st.session_state.get(PLAN):
        _show_plan(actor, st.session_state[PLAN]["plan"], st.session_state[PLAN]["greedy"],
                   data, lang, names)
    with st.expander(t("bureau.plan.candidates", n=len(cand))):
        st.dataframe(plan_table(cand, lang, names), hide_index=True, use_container_width=True)


def _show_plan(actor: Actor, plan: Any, greedy: float, data: dict[str, Any], lang: str,
               names: dict[str, str]) -> None:
    from audit.io.exports import about, plan_xlsx_bytes
    from audit.priority import plan_summary

    st.success(t("bureau.plan.summary", n=len(plan.selected),
                 cost=f"{plan.total_cost_yuan:,.0f}", priority=f"{plan.total_priority:.1f}",
                 greedy=f"{greedy:.1f}"))
    st.dataframe(plan_table(plan.selected, lang, names), hide_index=True, use_container_width=True)
    with cache.unit_of_work(SYSTEM) as repo:
        note = about(repo)
    note["assumptions"] = (f"unit costs: {data['params_source']}; destinations: "
                           f"{data['destinations_source']}"
                           + (" (SYNTHETIC)" if data["destinations_synthetic"] else ""))
    st.download_button(t("bureau.plan.download"),
                       plan_xlsx_bytes(plan.selected, plan_summary(plan), note, _headers()),
                       file_name="retrofit_plan.xlsx", key="plan_download",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml"
                            ".sheet")
    _plan_orders_form(actor, plan.selected)


def _plan_orders_form(actor: Actor, selected: pd.DataFrame) -> None:
    """Create one work order per plan row, in one step (audit.workorders)."""
    from audit.workorders import create_plan_work_orders

    if not permitted(actor, "workorder.manage") or selected.empty:
        return
    with st.form("plan_orders"):
        st.markdown(f"#### {t('work.plan.heading')}")
        unit = st.text_input(t("bureau.wo.unit"), key="plan_orders_unit")
        due = st.date_input(t("bureau.wo.due"), key="plan_orders_due",
                            value=date.today() + timedelta(days=DEFAULT_DUE_DAYS))
        go = st.form_submit_button(t("work.plan.create", n=len(selected)))
    if not go:
        return
    try:
        with cache.unit_of_work(actor, write=True) as repo:
            done = create_plan_work_orders(repo, selected, responsible_unit=unit, due_date=due)
    except AuditError as exc:
        log_error(exc)
        st.error(t("bureau.wo.error", error=error_text(exc)))
        return
    cache.work_orders.clear()
    st.success(t("work.plan.created", n=len(done.created), skipped=len(done.skipped)))


main()
