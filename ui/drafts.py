"""The inspector's automatic drafts on the page (issue 17 item 4): the list to resume from, and
the autosave that keeps the form's values after every change.

The library (:mod:`audit.drafts`) checks the role and keeps every draft to its owner; this
module only shows them and saves the form's plain values. The page decides what goes into a
draft and how a resumed draft fills its widgets.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import streamlit as st

from audit.actors import Actor
from audit.drafts import DraftRecord, delete_draft, list_drafts, save_draft
from audit.errors import AuditError
from ui import cache
from ui.errors import error_text, log_error
from ui.i18n import current_language, t
from ui.map import facility_type_label
from ui.plaintext import md_text
from ui.timefmt import local_time

#: Session-state key: form key → digest of the content last saved (saves only what changed).
SAVED_KEY = "drafts_saved"
#: Session-state key: the resumed draft's title, shown once.
RESUMED_KEY = "drafts_resumed"


def has_content(content: dict[str, Any]) -> bool:
    """Whether the form holds anything worth keeping (a value, a text or a location)."""
    measured = {k: v for k, v in (content.get("measurements") or {}).items() if v is not None}
    texts = any(str(content.get(k) or "").strip() for k in ("notes", "name", "address"))
    return bool(measured) or texts or content.get("location") is not None


def _digest(*parts: Any) -> str:
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def autosave(actor: Actor, form_key: str, facility_type: str, facility_id: int | None,
             content: dict[str, Any], title: str) -> None:
    """Keep the form as the actor's draft when it changed since the last save; a caption says
    when. A refusal (too many drafts, too large) is shown as a sentence; the form stays."""
    if not has_content(content):
        return
    saved: dict[str, str] = st.session_state.setdefault(SAVED_KEY, {})
    digest = _digest(facility_type, facility_id, content, title)
    if saved.get(form_key) != digest:
        try:
            with cache.unit_of_work(actor, write=True) as repo:
                record = save_draft(repo, form_key, facility_type, content,
                                    facility_id=facility_id, title=title[:200])
        except AuditError as exc:
            log_error(exc)
            st.warning(error_text(exc))
            return
        saved[form_key] = digest
        st.session_state[f"{SAVED_KEY}:at:{form_key}"] = record.updated_at
    at = st.session_state.get(f"{SAVED_KEY}:at:{form_key}")
    if at is not None:
        st.caption(t("drafts.autosaved", time=local_time(at)))


def forget_saved(form_key: str) -> None:
    """After a submit: the form's draft is gone, so the next change saves afresh."""
    st.session_state.setdefault(SAVED_KEY, {}).pop(form_key, None)


def draft_list(actor: Actor, current_form: str) -> DraftRecord | None:
    """The actor's drafts, newest first, each with "continue" and "delete", shown when there
    is a draft other than the form being typed; returns the draft chosen to continue (``None``
    when none was)."""
    try:
        with cache.unit_of_work(actor) as repo:
            mine = list_drafts(repo)
    except AuditError as exc:
        log_error(exc)
        return None
    resumed = st.session_state.pop(RESUMED_KEY, None)
    if resumed is not None:
        st.success(t("drafts.resumed", title=md_text(resumed)))
    others = [d for d in mine if d.form_key != current_form]
    if not others:  # only the form being typed: its autosave line says so, nothing moves
        return None
    lang = current_language()
    chosen: DraftRecord | None = None
    with st.expander(t("drafts.heading", n=len(mine)), expanded=True):
        st.caption(t("drafts.help"))
        for draft in mine:
            # the buttons' columns fit their labels (继续填写, 删除草稿, Delete draft) on a
            # tablet beside the open sidebar: at 1/6 of the width each was cut to "继续…"
            cols = st.columns([3, 2, 2], vertical_alignment="center")
            cols[0].markdown(md_text(t("drafts.item", type=facility_type_label(
                draft.facility_type, lang), title=draft.title or t("drafts.untitled"),
                time=local_time(draft.updated_at))))
            if draft.form_key == current_form:
                cols[1].caption(t("drafts.editing"))
                continue
            if cols[1].button(t("drafts.resume"), key=f"draft_resume:{draft.form_key}"):
                chosen = draft
            if cols[2].button(t("drafts.delete"), key=f"draft_delete:{draft.form_key}"):
                try:
                    with cache.unit_of_work(actor, write=True) as repo:
                        delete_draft(repo, draft.form_key)
                except AuditError as exc:
                    log_error(exc)
                    st.warning(error_text(exc))
                else:
                    st.rerun()
    if chosen is not None:
        st.session_state[RESUMED_KEY] = chosen.title or t("drafts.untitled")
    return chosen
