"""Reusable Streamlit widgets: the sidebar, the demo-data banner, the facility detail panel.

Each widget reads plain data (dicts, DataFrames) and renders it; text comes from the catalogues
via :func:`ui.i18n.t`, rule titles from the ruleset (``title_zh`` / ``title_en``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd
import streamlit as st

from audit.frames import frame_rows
from audit.scoring import SEVERITY_ORDER, STATUS_ORDER
from ui import state
from ui.i18n import LANGUAGES, current_language, pick, t, translate
from ui.map import facility_type_label, verdict_label
from ui.plaintext import md_table, md_text
from ui.timefmt import local_time, zone_note
from ui.words import audit_status_label, whole_points

#: Root font size (CSS) when the large-text option is on; Streamlit sizes text in rem.
LARGE_TEXT_CSS = "<style>html { font-size: 125% !important; }</style>"


def sidebar() -> None:
    """Language switch (中文 / English) and the large-text option; call once per run."""
    with st.sidebar:
        st.radio(
            translate("zh-Hans", "sidebar.language"),
            options=list(LANGUAGES),
            key=state.LANG,
            format_func=lambda code: translate(code, "language_name"),
            horizontal=True,
        )
        st.toggle(t("sidebar.large_text"), key=state.LARGE_TEXT)
    if st.session_state.get(state.LARGE_TEXT):
        st.html(LARGE_TEXT_CSS)


@contextmanager
def progress_while(text: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar for the work inside the block, gone when the block ends, whether it
    succeeded or was refused: the message that follows speaks for the outcome. Yields the
    ``progress(done, total)`` callback the library's long operations take."""
    bar = st.progress(0.0, text=text)

    def progress(done: int, total: int) -> None:
        bar.progress(done / max(total, 1), text=text)

    try:
        yield progress
    finally:
        bar.empty()


def provenance_notices(*, demo_data: bool, network: dict[str, Any] | None) -> list[str]:
    """The labels of synthetic content on this page: demo data, a synthetic street network.

    ``network`` is :func:`ui.cache.network_info` (or None when no network is loaded).
    """
    lang = current_language()
    messages: list[str] = []
    if demo_data:
        messages.append(t("banner.demo_data"))
    if network and network.get("synthetic"):
        label = pick(lang, network.get("label_zh", ""), network.get("label_en", ""))
        messages.append(t("banner.synthetic_network", label=label or t("map.layer.network")))
    return messages


def notice_banner(messages: list[str]) -> None:
    """Permanent notices (synthetic data, public demo accounts): each in the sidebar, and all of
    them in ONE box on the page, a line each, so that on a phone the page's title and content
    start within the first screen instead of below a stack of boxes."""
    if not messages:
        return
    for message in messages:
        st.sidebar.warning(message)
    st.warning("  \n".join(messages))


def ordered_findings(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Findings in the library's order: failing clauses first, then not measured, advice,
    pass, not applicable; within a status by severity (critical first), then clause."""
    return sorted(
        findings,
        key=lambda f: (
            STATUS_ORDER.get(str(f.get("status")), len(STATUS_ORDER)),
            SEVERITY_ORDER.get(str(f.get("severity")), len(SEVERITY_ORDER)),
            str(f.get("clause", "")),
        ),
    )


def _fmt(value: Any, lang: str = "en") -> str:
    """A measured value or threshold as short text.

    Ruleset dicts carry ready-made text (``text_zh``/``text_en``, else ``text``); other dicts
    are shown as key=value pairs.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, dict) and ("text_zh" in value or "text" in value):
        text = pick(lang, str(value.get("text_zh") or ""), str(value.get("text_en") or ""))
        return text or str(value.get("text") or "—")
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_fmt(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_fmt(v) for v in value)
    return str(value)


def findings_table(findings: list[dict[str, Any]], lang: str) -> pd.DataFrame:
    """The findings as a display table (failing first) with measured vs threshold."""
    rows = []
    for f in ordered_findings(findings):
        title = pick(lang, str(f.get("title_zh", "")), str(f.get("title_en", "")))
        if f.get("provisional"):
            title = f"{title} ({translate(lang, 'detail.provisional_mark')})"
        rows.append(
            {
                translate(lang, "detail.col.status"): translate(
                    lang, f"finding_status.{f.get('status')}"
                ),
                translate(lang, "detail.col.severity"): translate(
                    lang, f"severity.{f.get('severity')}"
                ),
                translate(lang, "detail.col.clause"): str(
                    f.get("reference") or f"{f.get('standard', '')} {f.get('clause', '')}"
                ).strip(),
                translate(lang, "detail.col.title"): title,
                translate(lang, "detail.col.measured"): _fmt(f.get("measured"), lang),
                translate(lang, "detail.col.threshold"): _fmt(f.get("threshold"), lang),
            }
        )
    return pd.DataFrame(rows)


def _photo_content(photo: dict[str, Any]) -> bytes | None:
    """The thumbnail (else the photo) of a stored photo, from whichever store holds it."""
    from audit.actors import SYSTEM
    from audit.photos import photo_bytes
    from ui import cache

    with cache.unit_of_work(SYSTEM) as repo:
        for key in ("thumb_path", "path"):
            raw = photo.get(key)
            content = photo_bytes(repo, str(raw)) if raw else None
            if content is not None:
                return content
    return None


def work_order_table(orders: pd.DataFrame, lang: str) -> pd.DataFrame:
    """One facility's work orders for display: status in words, due date, overdue flag."""
    rows = []
    for row in frame_rows(orders.sort_values("work_order_id", ascending=False)):
        overdue = bool(row.overdue)
        rows.append(
            {
                translate(lang, "detail.wo.id"): int(row.work_order_id),
                translate(lang, "detail.wo.title"): str(row.title or "—"),
                translate(lang, "detail.wo.unit"): str(row.responsible_unit or "—"),
                translate(lang, "detail.wo.status"): translate(
                    lang, f"bureau.wo.status.{row.status}"
                ),
                translate(lang, "detail.wo.due"): _fmt(row.due_date),
                translate(lang, "detail.wo.overdue"): translate(
                    lang, "detail.wo.overdue_days", days=int(row.days_overdue)
                )
                if overdue
                else translate(lang, "detail.wo.not_overdue"),
            }
        )
    return pd.DataFrame(rows)


def coverage_table(by_district: pd.DataFrame, thresholds_m: tuple[float, ...],
                   lang: str) -> pd.DataFrame:
    """Per-district coverage for display: street km and the share within each threshold (%)."""
    name_col = "name_zh" if lang == "zh-Hans" else "name_en"
    out = pd.DataFrame(
        {
            translate(lang, "map.coverage.district"): by_district.get(
                name_col, by_district["adcode"]
            ).astype(str),
            translate(lang, "map.coverage.street_km"): by_district["street_km"].astype(float)
            .round(1),
        }
    )
    for threshold in thresholds_m:
        share = by_district[f"within_{threshold:g}m_share"].astype(float)
        out[translate(lang, "map.coverage.within", distance=f"{threshold:g}")] = [
            "—" if math.isnan(v) else f"{v:.1%}" for v in share
        ]
    return out


def facility_detail(detail: dict[str, Any], work_orders: pd.DataFrame | None = None) -> None:
    """Render one facility: verdict, latest findings (failing first), work orders, photos,
    audit history. ``work_orders`` is this facility's rows of ``work_order_frame`` (None when
    they could not be read: the section is then left out)."""
    lang = current_language()
    fac = detail["facility"]
    audits = detail.get("audits") or []
    latest_eval = (audits[0].get("evaluation") or {}) if audits else {}
    verdict = str(fac.get("verdict") or latest_eval.get("verdict") or "unaudited")
    st.subheader(md_text(fac["name"]) or "—")  # user text: shown literally, never parsed
    st.markdown(
        f"**{t('detail.type')}:** {facility_type_label(str(fac['facility_type']), lang)}  \n"
        f"**{t('detail.verdict')}:** {verdict_label(verdict, lang)}  \n"
        f"**{t('detail.address')}:** {md_text(fac.get('address')) or '—'}",
        help=None,
    )
    if fac.get("is_demo"):
        st.caption(t("banner.demo_data"))
    if not audits:
        st.info(t("detail.no_audit"))
    else:
        latest = audits[0]
        evaluation = latest.get("evaluation") or {}
        st.markdown(f"#### {t('detail.findings')}")
        st.caption(
            t(
                "detail.ruleset",
                ruleset=evaluation.get("ruleset_id", "—"),
                version=evaluation.get("ruleset_version", "—"),
                date=local_time(latest.get("submitted_at")),
            )
        )
        findings = evaluation.get("findings") or []
        if findings:
            st.table(md_table(findings_table(findings, lang)))
            if any(f.get("provisional") for f in findings):
                st.caption(t("detail.provisional_note"))
        else:
            st.info(t("detail.no_findings"))
    if work_orders is not None:
        st.markdown(f"#### {t('detail.wo.heading')}")
        if work_orders.empty:
            st.caption(t("detail.wo.none"))
        else:
            st.table(md_table(work_order_table(work_orders, lang)))
    st.markdown(f"#### {t('detail.photos')}")
    photos = [p for p in (_photo_content(ph) for ph in detail.get("photos") or []) if p]
    if photos:
        st.image(photos, width=200)
    else:
        st.caption(t("detail.no_photos"))
    if audits:
        st.markdown(f"#### {t('detail.history')}")
        history = pd.DataFrame(
            [
                {
                    t("detail.col.version"): a.get("version"),
                    t("detail.col.submitted_at"): local_time(a.get("submitted_at")),
                    t("detail.col.inspector"): a.get("inspector") or "—",
                    t("detail.col.audit_status"): audit_status_label(a.get("status")),
                    t("detail.verdict"): verdict_label(
                        str((a.get("evaluation") or {}).get("verdict", "")), lang
                    ),
                    t("detail.col.score"): whole_points((a.get("evaluation") or {}).get("score")),
                }
                for a in audits
            ]
        )
        st.table(md_table(history))
        st.caption(zone_note())
