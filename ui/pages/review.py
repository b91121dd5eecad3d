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
from ui.i18n import current_language, pick, t
from ui.timefmt import local_time, zone_note
from ui.words import action_label, actor_label

SELECTED = "review_report_id"
STATUS_FILTER = "review_statuses"
DISTRICT_FILTER = "review_districts"
CATEGORY_FILTER = "review_categories"
TABLE = "review_table"
#: The table row selection last applied to the picker (a later pick in the picker wins).
TABLE_APPLIED = "review_table_applied"
MAP_HEIGHT_PX = 360
#: Stand-in for "no district" in the district filter (reports typed only, or outside).
NO_DISTRICT = "-"
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
    """The queue for the chosen statuses (the library's query), then narrowed by district and
    category; the filters fold away on a phone."""
    cols = st.columns(3)
    statuses = cols[0].multiselect(
        t("reports.review.status_filter"), list(R.STATUSES), default=list(R.OPEN_STATUSES),
        format_func=D.status_label, key=STATUS_FILTER, select_all=False,
        placeholder=t("words.chrome.choose"),
    )
    with D.repository(actor) as repo:
        queue = R.moderation_queue(repo, statuses or R.OPEN_STATUSES)
    from geodata.districts import DISTRICTS

    districts = cols[1].multiselect(
        t("review.queue.filter_district"), [*DISTRICTS, NO_DISTRICT], key=DISTRICT_FILTER,
        format_func=lambda c: D.district_label(None if c == NO_DISTRICT else c),
        placeholder=t("review.queue.all"), select_all=False)
    categories = cols[2].multiselect(
        t("review.queue.filter_category"), list(R.REPORT_CATEGORIES), key=CATEGORY_FILTER,
        format_func=D.category_label, placeholder=t("review.queue.all"), select_all=False)
    if districts:
        codes = queue["district_code"].astype(object).where(queue["district_code"].notna(),
                                                            NO_DISTRICT)
        queue = queue[codes.isin(districts)]
    if categories:
        queue = queue[queue["category"].isin(categories)]
    return queue.reset_index(drop=True)


def _table(actor: Actor, queue: pd.DataFrame) -> None:
    """The filtered queue as a table (a click on a row picks that report below), with the
    actions the library allows on each row."""
    rows = list(frame_rows(queue))
    table = pd.DataFrame({
        t("review.queue.col_code"): [r.code for r in rows],
        t("review.queue.col_category"): [D.category_label(r.category) for r in rows],
        t("review.queue.col_status"): [D.status_label(r.status) for r in rows],
        t("review.queue.col_district"): [D.district_label(r.district_code) for r in rows],
        t("review.queue.col_location"): [str(r.location_text or "—") for r in rows],
        t("review.queue.col_created"): [local_time(r.created_at) for r in rows],
        t("review.queue.col_supports"): [int(r.support_count) for r in rows],
        t("reports.review.actions"): [
            pick(current_language(), "、", ", ").join(
                t(f"reports.action.{a}") for a in R.allowed_actions({"status": r.status}, actor))
            for r in rows],
    })
    event = st.dataframe(table, hide_index=True, width="stretch", key=TABLE,
                         on_select="rerun", selection_mode="single-row")
    picked = list(getattr(getattr(event, "selection", None), "rows", []) or [])
    if picked and picked != st.session_state.get(TABLE_APPLIED) and picked[0] < len(rows):
        st.session_state[SELECTED] = int(rows[picked[0]].report_id)
    st.session_state[TABLE_APPLIED] = picked


def _queue_map(queue: pd.DataFrame, selected: int | None) -> None:
    """The filtered reports that have a location, on a map (the picked one larger)."""
    import html

    import folium
    from streamlit_folium import st_folium

    from ui.assets import localise
    from ui.map import YANGJIANG_CENTRE, add_map_controls, add_tiles

    located = [r for r in frame_rows(queue) if pd.notna(r.lon) and pd.notna(r.lat)]
    st.caption(t("review.queue.count", n=len(queue), located=len(located)))
    if not located:
        return
    fmap = folium.Map(location=YANGJIANG_CENTRE, zoom_start=11, tiles=None)
    cfg = get_settings()
    try:
        add_tiles(fmap, cfg.tiles, cfg.tianditu_key)
    except AuditError:
        add_tiles(fmap, "none")
    add_map_controls(fmap)
    for r in located:
        chosen = int(r.report_id) == selected
        label = f"{r.code} · {D.category_label(r.category)} · {D.status_label(r.status)}"
        folium.CircleMarker((float(r.lat), float(r.lon)), radius=10 if chosen else 6,
                            color="#b5179e" if chosen else "#d62828", fill=True,
                            tooltip=html.escape(label)).add_to(fmap)
    fmap.fit_bounds([[min(r.lat for r in located), min(r.lon for r in located)],
                     [max(r.lat for r in located), max(r.lon for r in located)]],
                    max_zoom=16)
    localise(fmap)
    st_folium(fmap, key="review_map", height=MAP_HEIGHT_PX, use_container_width=True,
              returned_objects=[])


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
        filtered = st.session_state.get(DISTRICT_FILTER) or st.session_state.get(CATEGORY_FILTER)
        st.info(t("review.queue.none" if filtered else "reports.review.empty"))
        return
    _table(actor, queue)
    ids = [int(i) for i in queue["report_id"]]
    if st.session_state.get(SELECTED) not in ids:
        st.session_state[SELECTED] = ids[0]
    labels = {
        int(r.report_id): t("reports.review.option", code=r.code, status=D.status_label(r.status),
                            category=D.category_label(r.category),
                            location=(r.location_text or "—")[:40])
        for r in frame_rows(queue)
    }
    _queue_map(queue, st.session_state.get(SELECTED))
    st.selectbox(t("reports.review.select"), ids, format_func=labels.__getitem__, key=SELECTED)
    row = queue.loc[queue["report_id"] == st.session_state[SELECTED]].iloc[0]
    _detail(actor, row)


render()
