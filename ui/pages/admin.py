"""Admin page: create accounts, disable/enable them, clear lock-outs. Thin: widgets → audit.auth."""

from __future__ import annotations

import streamlit as st

from audit.actors import USER_ROLES, Actor
from audit.auth import create_user, list_users, set_active, unlock_user
from audit.errors import AuditError, InputError
from ui import cache
from ui.auth import require_role
from ui.errors import show_error
from ui.i18n import t
from ui.plaintext import md_text
from ui.security import demo_accounts_admin
from ui.timefmt import local_time, zone_note


def _create(actor: Actor) -> None:
    with st.form("admin_create_user", clear_on_submit=True):
        st.markdown(f"#### {t('admin.create.heading')}")
        cols = st.columns(2)
        username = cols[0].text_input(t("auth.username"), key="admin_new_username")
        display = cols[1].text_input(t("admin.display_name"))
        role = cols[0].selectbox(t("admin.role"), USER_ROLES,
                                 format_func=lambda r: t(f"auth.role.{r}"))
        password = cols[1].text_input(t("auth.password"), type="password",
                                      autocomplete="new-password", key="admin_new_password")
        submitted = st.form_submit_button(t("admin.create.button"), type="primary")
    if not submitted:
        return
    try:
        with cache.unit_of_work(actor, write=True) as repo:
            user = create_user(repo, username, password, role, display_name=display)
    except InputError as exc:
        show_error(exc, heading_key="inspect.error.input")
        return
    st.success(t("admin.create.done", name=user.username, role=t(f"auth.role.{user.role}")))


def main() -> None:
    actor = require_role("admin")
    st.title(t("admin.title"))
    demo_accounts_admin(actor)
    _create(actor)
    st.markdown(f"#### {t('admin.users.heading')}")
    with cache.unit_of_work(actor) as repo:
        users = list_users(repo)
    st.caption(zone_note())
    for user in users:
        cols = st.columns([3, 2, 2, 2, 2])
        demo = f" · {t('admin.demo')}" if user.is_demo else ""
        cols[0].markdown(f"**{user.username}** {md_text(user.display_name)}{demo}")
        cols[1].markdown(t(f"auth.role.{user.role}"))
        status = t("admin.active") if user.is_active else t("admin.disabled")
        if user.is_locked():
            status += " · " + t("words.locked_until", until=local_time(user.locked_until))
        cols[2].markdown(status)
        try:
            if user.is_active and user.id != actor.user_id:
                if cols[3].button(t("admin.disable"), key=f"admin_disable_{user.id}"):
                    with cache.unit_of_work(actor, write=True) as repo:
                        set_active(repo, user.username, False)
                    st.rerun()
            elif not user.is_active and cols[3].button(t("admin.enable"),
                                                      key=f"admin_enable_{user.id}"):
                with cache.unit_of_work(actor, write=True) as repo:
                    set_active(repo, user.username, True)
                st.rerun()
            if user.is_locked() and cols[4].button(t("admin.unlock"),
                                                   key=f"admin_unlock_{user.id}"):
                with cache.unit_of_work(actor, write=True) as repo:
                    unlock_user(repo, user.username)
                st.rerun()
        except AuditError as exc:
            show_error(exc)


main()
