"""Security widgets shared by every page: the demo-account banner, the first-run hint, changing
one's own password and removing the demo accounts. Thin: widgets → :mod:`audit.auth`."""

from __future__ import annotations

from typing import Any

import streamlit as st

from audit.actors import Actor
from audit.auth import change_own_password, remove_demo_accounts
from audit.errors import AuditError, InputError, PermissionDenied
from audit.reports.ratelimit import client_identity, client_key_for
from audit.settings import get_settings
from ui import cache
from ui.errors import show_error
from ui.i18n import t


def client_key() -> str:
    """A salted hash of this client's address for rate limits and the sign-in throttle (the raw
    IP is never stored), from :func:`audit.reports.ratelimit.client_identity`: the remote address
    Streamlit sees, or behind a trusted proxy the address that proxy appended; when there is none
    every such client shares one bucket, so a new tab never gets a fresh quota. The salt lives in
the database, so every app process counts one client alike."""
    cfg = get_settings()
    try:
        remote: object = st.context.ip_address
        headers: dict[str, str] = dict(st.context.headers)
    except (AttributeError, RuntimeError):
        remote, headers = None, {}
    identity = client_identity(remote, headers, cfg.trusted_proxy_header, cfg.trusted_proxy_hops)
    return client_key_for(identity, cache.client_salt())


def demo_account_banner() -> None:
    """A warning on every page while any demo account (public password) exists."""
    names = cache.demo_account_names()
    if not names:
        return
    key = "banner_on" if get_settings().demo_mode else "banner_off"
    message = t(f"security.demo_accounts.{key}", names=", ".join(names))
    st.sidebar.warning(message)
    st.warning(message)


def first_run_hint() -> None:
    """On the sign-in form: how to create the first administrator when no account exists."""
    if not cache.has_accounts():
        st.info(t("security.first_run"))


#: Session keys of the three password fields, and of the outcome of the last change.
PASSWORD_FIELDS = ("own_password_current", "own_password_new", "own_password_again")
PASSWORD_OUTCOME = "own_password_outcome"


def change_password_form(actor: Actor) -> None:
    """The signed-in user changes their own password (current password required). The outcome
    is shown inside the section (on a phone the sidebar below it is off-screen), and after a
    change the three fields are emptied, so no password stays on the page."""
    with st.expander(t("security.password.heading"),
                     expanded=PASSWORD_OUTCOME in st.session_state):
        labels = ("security.password.current", "security.password.new",
                  "security.password.again")
        for key, label in zip(PASSWORD_FIELDS, labels, strict=True):
            st.text_input(t(label), type="password", key=key,
                          autocomplete="current-password" if key == PASSWORD_FIELDS[0]
                          else "new-password")
        st.button(t("security.password.button"), key="own_password_change",
                  on_click=_change_own_password, args=(actor,))
        outcome = st.session_state.pop(PASSWORD_OUTCOME, None)
        if outcome is None:
            return
        kind, payload = outcome
        if kind == "success":
            st.success(payload)
        elif kind == "input":
            show_error(payload, heading_key="inspect.error.input")
        else:
            st.error(payload)


def _change_own_password(actor: Actor) -> None:
    """The button's callback: runs before the page, so it may empty the fields it read."""
    current, new, again = (str(st.session_state.get(k) or "") for k in PASSWORD_FIELDS)
    outcome: tuple[str, Any]
    if new != again:
        outcome = ("error", t("security.password.mismatch"))
    else:
        try:
            with cache.unit_of_work(actor, write=True) as repo:
                change_own_password(repo, current, new)
        except InputError as exc:
            outcome = (("error", t("security.password.wrong_current"))
                       if any(p.field == "current_password" for p in exc.problems)
                       else ("input", exc))
        except PermissionDenied:
            outcome = ("error", t("security.account_changed"))
        else:
            outcome = ("success", t("security.password.done"))
            for key in PASSWORD_FIELDS:
                st.session_state[key] = ""
    st.session_state[PASSWORD_OUTCOME] = outcome


def demo_accounts_admin(actor: Actor) -> None:
    """Admin page: list the demo accounts and offer to remove them."""
    st.markdown(f"#### {t('security.demo_accounts.heading')}")
    names = cache.demo_account_names()
    if not names:
        st.caption(t("security.demo_accounts.none"))
        return
    st.warning(t("security.demo_accounts.listed", names=", ".join(names)))
    if st.button(t("security.demo_accounts.remove"), key="remove_demo_accounts", type="primary"):
        try:
            with cache.unit_of_work(actor, write=True) as repo:
                removed = remove_demo_accounts(repo)
        except AuditError as exc:
            show_error(exc)
            return
        cache.demo_account_names.clear()
        st.success(t("security.demo_accounts.removed", names=", ".join(removed)))
