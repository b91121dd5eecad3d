"""Inspector / bureau page: the OSM inventory still to audit, as a walking round per district,
with a printable list and an ODK/Kobo form to download."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from audit.actors import SYSTEM
from audit.errors import AuditError
from audit.model import FACILITY_LABELS, FACILITY_TYPES
from ui import cache
from ui.auth import require_role
from ui.i18n import t
from ui.plaintext import md_text, public_error
from ui.state import LANG

SOURCE_PREFIX = "source:"


def _sources_table(sources: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        t("inventory.col.file"): sources["source_file"],
        t("inventory.col.provenance"): sources["provenance"].map(
            lambda p: t(f"inventory.provenance.{p}")),
        t("inventory.col.items"): sources["items"],
        t("inventory.col.in_districts"): sources["in_districts"],
    })


def _stops_table(rows: list[dict[str, str]]) -> pd.DataFrame:
    keys = ("stop", "type", "osm", "tags", "position", "leg")
    return pd.DataFrame({t(f"inventory.col.{k}"): [r[k] for r in rows] for k in keys})


def main() -> None:
    actor = require_role("inspector", "bureau", "admin")
    lang = st.session_state.get(LANG, "zh-Hans")
    zh = lang.startswith("zh")
    st.title(t("inventory.page.title"))
    st.caption(t("inventory.page.intro"))
    sources = cache.inventory_sources()
    if sources.empty:
        st.info(t("inventory.page.none"))
        if actor.role == "admin":  # the one who can import it: how, on the server
            st.caption(t("inventory.page.none_admin"))
        return
    st.subheader(t("inventory.page.sources"))
    st.dataframe(_sources_table(sources), hide_index=True, use_container_width=True)
    districts = cache.districts()
    names = dict(zip(districts["adcode"], districts["name_zh" if zh else "name_en"],
                     strict=True))
    options = [*names, *(SOURCE_PREFIX + f for f, p in
                         zip(sources["source_file"], sources["provenance"], strict=True)
                         if p == "osm_not_yangjiang")]
    with st.form("worklist_form"):
        where = st.selectbox(
            t("inventory.page.where"), options, key="worklist_where",
            format_func=lambda o: t("inventory.page.source_option",
                                    file=o.removeprefix(SOURCE_PREFIX))
            if o.startswith(SOURCE_PREFIX) else names[o])
        types = st.multiselect(t("inventory.page.types"), list(FACILITY_TYPES),
                               format_func=lambda x: FACILITY_LABELS[x][0 if zh else 1],
                               key="worklist_types")
        run = st.form_submit_button(t("inventory.page.build"))
    if not run:
        return
    from audit.inventory import worklist
    from audit.io.worklist import display_rows, worklist_html, write_worklist_xlsform

    source = where.removeprefix(SOURCE_PREFIX) if where.startswith(SOURCE_PREFIX) else None
    try:
        with cache.unit_of_work(SYSTEM) as repo:
            wl = worklist(repo, cache.network(), district_code=None if source else where,
                          source_file=source, facility_types=types or None)
    except AuditError as exc:
        st.error(public_error(exc))
        return
    if wl.not_yangjiang:
        st.warning(t("inventory.page.not_yangjiang"))
    label = wl.network_label_zh if zh else wl.network_label_en
    if label:
        st.caption(t("inventory.page.network", label=md_text(label)))
    if wl.stops.empty:
        st.success(t("inventory.page.all_done"))
        return
    st.write(t("inventory.page.summary", stops=len(wl.stops), km=f"{wl.length_m / 1000:.1f}",
               start_km=f"{wl.start_order_length_m / 1000:.1f}", total=wl.total_items,
               audited=wl.audited))
    if wl.left_out:
        st.info(t("inventory.page.left_out", n=wl.left_out))
    rows = display_rows(wl, "zh" if zh else "en")
    if not wl.stops["leg_on_network"].all():
        st.caption(t("inventory.page.off_network"))
    st.dataframe(_stops_table(rows), hide_index=True, use_container_width=True)
    tag = source or where
    st.download_button(t("inventory.page.download_html"),
                       worklist_html(wl, "zh" if zh else "en").encode("utf-8"),
                       file_name=f"worklist_{tag}.html", mime="text/html",
                       key="worklist_html")
    with tempfile.TemporaryDirectory() as tmp:
        form = write_worklist_xlsform(wl, Path(tmp) / "worklist.xlsx")
        data = form.read_bytes()
    st.download_button(t("inventory.page.download_xlsform"), data,
                       file_name=f"worklist_{tag}.xlsx", key="worklist_xlsform",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


main()
