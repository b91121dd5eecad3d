"""Sign-in for the app: who is using this browser session, and page guards by role.

Stable API for every page (inspector, bureau, admin):

- ``current_actor() -> Actor`` — the signed-in user as an :class:`audit.actors.Actor`, or
  :data:`audit.actors.ANONYMOUS` when nobody is signed in or the sign-in is older than
  ``settings.session_ttl_s`` (then the session is cleared and the next guard says it expired).
- ``require_role(*roles) -> Actor`` — at the top of a page: returns the actor when its role is
  one of ``roles``; otherwise shows the sign-in form (or a "not allowed" message for a signed-in
  user of another role) and calls ``st.stop()``.
- ``sign_in_form()`` / ``sign_out_button()`` — the widgets themselves.

The library checks roles again on every write (:func:`audit.actors.require`); these guards only
decide what a page shows. Session state keeps plain data only (user id, name, role, sign-in time).
"""

from __future__ import annotations

import contextlib
import json
import math
import time
from typing import Any

import streamlit as st

from audit.actors import ANONYMOUS, SYSTEM, Actor
from audit.auth import AuthenticationFailed, authenticate, end_my_sessions
from audit.errors import AuditError, PermissionDenied
from audit.sessions import resume_session, start_session
from audit.settings import get_settings
from ui import cache
from ui.errors import error_text, log_error
from ui.i18n import t
from ui.security import change_password_form, client_key, first_run_hint
from ui.session_routes import CLAIM_PATH, COOKIE_NAME
from ui.timefmt import local_clock

#: Session-state key of the signed-in user: {"user_id", "username", "role", "signed_in_at"}.
AUTH_KEY = "auth_user"
#: Set when a sign-in expired, so the guard can say why the form is shown again.
EXPIRED_KEY = "auth_expired"
#: Set when the account was disabled, changed or signed out elsewhere since this sign-in.
REVOKED_KEY = "auth_revoked"
#: The sign-in's one-time claim code, until the page has posted it for the cookie.
CLAIM_KEY = "auth_claim_code"
#: Set at sign-out, until the page has asked the server to delete the cookie.
END_COOKIE_KEY = "auth_end_cookie"
#: The cookie token already tried in this browser session (so a stale cookie is asked once).
COOKIE_TRIED_KEY = "auth_cookie_tried"
#: The sign-in form's fields (emptied at sign-out).
USERNAME_FIELD = "sign_in_username"
PASSWORD_FIELD = "sign_in_password"


def _now() -> float:
    return time.time()


def _cookie_token() -> str:
    """The sign-in cookie this browser sent when it connected ('' when none)."""
    try:
        return str(st.context.cookies.get(COOKIE_NAME) or "")
    except (AttributeError, RuntimeError):  # no browser request behind this run
        return ""


def _resume_from_cookie() -> dict[str, Any] | None:
    """After a reload or reconnect: the session the browser's cookie opens, once per browser
    session and token (the server checks expiry, role, sign-out and the account)."""
    token = _cookie_token()
    if not token or st.session_state.get(COOKIE_TRIED_KEY) == token:
        return None
    st.session_state[COOKIE_TRIED_KEY] = token
    try:
        with cache.unit_of_work(SYSTEM, write=True) as repo:
            resumed = resume_session(repo, token)
    except AuditError as exc:
        log_error(exc)
        return None
    if resumed is None:
        return None
    actor = resumed.actor
    user = {"user_id": actor.user_id, "username": actor.username, "role": actor.role,
            "session_epoch": actor.session_epoch,
            "signed_in_at": resumed.signed_in_at.timestamp()}
    st.session_state[AUTH_KEY] = user
    return user


def current_actor() -> Actor:
    """The signed-in user, or ANONYMOUS (nobody signed in, or the sign-in has expired).
    After a reload, the sign-in cookie's session is resumed."""
    user: dict[str, Any] | None = st.session_state.get(AUTH_KEY) or _resume_from_cookie()
    if not user:
        return ANONYMOUS
    age = _now() - float(user.get("signed_in_at", 0))
    if age > get_settings().session_ttl_s:
        del st.session_state[AUTH_KEY]
        st.session_state[EXPIRED_KEY] = True
        return ANONYMOUS
    epoch = user.get("session_epoch")
    actor = Actor(int(user["user_id"]), str(user["username"]), user["role"],
                  None if epoch is None else int(epoch))
    if actor.session_epoch is not None:
        try:  # the account may have been disabled, demoted or signed out elsewhere
            with cache.unit_of_work(actor):
                pass
        except PermissionDenied:
            del st.session_state[AUTH_KEY]
            st.session_state[REVOKED_KEY] = True
            return ANONYMOUS
    return actor


def sign_in(username: str, password: str) -> Actor:
    """Check the credentials and remember the user in this session (raises on failure)."""
    # its own unit of work: a refused attempt (failure count, lock-out) is committed, then raised;
    # the client key first (its salt may be created on first use, in a unit of work of its own)
    key = client_key()
    with cache.unit_of_work(SYSTEM, write=True) as repo:
        result = authenticate(repo, username, password, client_key=key)
    actor = result.actor_or_raise()
    try:  # the server-side session the cookie will carry across reloads
        with cache.unit_of_work(actor, write=True) as repo:
            st.session_state[CLAIM_KEY] = start_session(repo)
    except AuditError as exc:  # signed in all the same, only not across a reload
        log_error(exc)
    st.session_state[AUTH_KEY] = {
        "user_id": actor.user_id,
        "username": actor.username,
        "role": actor.role,
        "session_epoch": actor.session_epoch,
        "signed_in_at": _now(),
    }
    st.session_state.pop(EXPIRED_KEY, None)
    st.session_state.pop(REVOKED_KEY, None)
    return actor


def sign_out() -> None:
    """End every open session of the signed-in account (all tabs and browsers), then forget the
    user here."""
    actor = current_actor()
    if actor.user_id is not None:
        with contextlib.suppress(AuditError), cache.unit_of_work(actor, write=True) as repo:
            end_my_sessions(repo)
    st.session_state.pop(AUTH_KEY, None)
    st.session_state.pop(EXPIRED_KEY, None)
    st.session_state.pop(CLAIM_KEY, None)
    st.session_state[END_COOKIE_KEY] = True
    st.session_state[COOKIE_TRIED_KEY] = _cookie_token()
    # the sign-in form comes back empty: a phone's browser kept the last user's name and
    # password in it (a shared tablet's next user could sign in with them)
    for key in (USERNAME_FIELD, PASSWORD_FIELD):
        st.session_state[key] = ""


def sync_cookie() -> None:
    """Once per sign-in or sign-out: the page posts the claim code to the app server, which
    sets the HttpOnly cookie (or asks it to delete the cookie). Called on every run by
    streamlit_app.py; renders nothing visible."""
    code = st.session_state.pop(CLAIM_KEY, None)
    ending = st.session_state.pop(END_COOKIE_KEY, False)
    if code is None and not ending:
        return
    path = CLAIM_PATH if code is not None else CLAIM_PATH + "/end"
    body = json.dumps(code or "")  # a url-safe random code; JSON-quoted all the same
    st.html(
        "<script>fetch(window.location.origin + " + json.dumps(path) + ", {method: 'POST', "
        "credentials: 'same-origin', headers: {'Content-Type': 'text/plain'}, body: " + body
        + "}).catch(function () {});</script>",
        unsafe_allow_javascript=True,
    )


def sign_in_form() -> None:
    """The sign-in form; on success the page reruns signed in."""
    if st.session_state.get(EXPIRED_KEY):
        st.info(t("auth.expired"))
    if st.session_state.get(REVOKED_KEY):
        st.info(t("security.account_changed"))
    first_run_hint()
    with st.form("sign_in_form"):
        st.markdown(f"#### {t('auth.heading')}")
        username = st.text_input(t("auth.username"), key=USERNAME_FIELD,
                                 autocomplete="username")
        password = st.text_input(t("auth.password"), type="password", key=PASSWORD_FIELD,
                                 autocomplete="current-password")
        submitted = st.form_submit_button(t("auth.sign_in"), type="primary")
    if not submitted:
        return
    try:
        sign_in(username, password)
    except AuthenticationFailed as exc:
        if exc.reason in ("locked", "throttled") and exc.locked_until is not None:
            # when the account or this device may try again, in Beijing time to the minute
            minutes = max(1, math.ceil(get_settings().login_lockout_s / 60))
            st.error(t(f"auth.error.{exc.reason}", until=local_clock(exc.locked_until),
                       minutes=minutes))
        else:
            st.error(t(f"auth.error.{exc.reason}"))
        return
    except AuditError as exc:
        log_error(exc)
        st.error(t("auth.error.storage", error=error_text(exc)))
        return
    st.rerun()


def sign_out_button() -> None:
    """'Signed in as …' and a sign-out button in the sidebar (nothing when signed out)."""
    actor = current_actor()
    if actor.user_id is None:
        return
    with st.sidebar:
        st.caption(t("auth.signed_in_as", name=actor.username, role=t(f"auth.role.{actor.role}")))
        if st.button(t("auth.sign_out"), key="sign_out_button"):
            sign_out()
            st.rerun()
        change_password_form(actor)


def require_role(*roles: str) -> Actor:
    """Return the actor if its role is one of ``roles``; otherwise show sign-in and stop."""
    actor = current_actor()
    if actor.role in roles:
        sign_out_button()
        return actor
    if actor.user_id is None:  # a staff page opened signed out: the sign-in page's heading
        # and words, so the page has a title a screen reader can find, and a resident who came
        # by a shared address reads that reporting needs no account
        st.title(t("words.sign_in.title"))
        st.caption(t("words.sign_in.intro"))
        sign_in_form()
    else:  # signed in, on a page of another role: say so on the page (a phone's sidebar,
        # where "signed in as" sits, is folded), and where to go instead
        sign_out_button()
        st.success(t("auth.signed_in_as", name=actor.username,
                     role=t(f"auth.role.{actor.role}")))
        st.error(t("auth.forbidden", role=t(f"auth.role.{actor.role}")))
    st.stop()
    raise RuntimeError("unreachable: st.stop() ends the script run")  # pragma: no cover
