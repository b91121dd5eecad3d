"""Sign-in sessions that survive a reload or a reconnect (issue 17 item 4).

At sign-in the app creates a session row for the account (:func:`start_session`) and gets a
one-time *claim code*, valid for :data:`CLAIM_TTL_S` seconds. The browser posts that code to the
app server's session route, which exchanges it (:func:`claim_session`) for an opaque random
token and sets it as an HttpOnly, SameSite=Strict cookie; JavaScript never sees the token. On a
reload the page reads the cookie and resumes the session (:func:`resume_session`).

Only SHA-256 digests of codes and tokens are stored, so a copy of the database does not open
anyone's session. Every state is in the database, so any of several app processes may serve the
next request. A session ends:

- when ``settings.session_ttl_s`` has passed since sign-in (the same expiry as before);
- at sign-out (:func:`audit.auth.end_my_sessions` deletes every session of the account, and the
  route deletes the cookie with :func:`end_session`);
- when the account is disabled, removed, gets a new password or another role
  (:func:`resume_session` compares the role and the account's session epoch stored at sign-in,
  and :mod:`audit.auth` deletes the rows when it changes an account);
- for a demo account once ``DEMO_MODE`` is off.

Exchanging, resuming and ending by token are done by the app server acting as ``system``
(permission ``session.resume``): the code or token is the proof, so no person's role may call
them directly.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from audit.actors import USER_ROLES, Actor, require
from audit.errors import PermissionDenied
from audit.settings import Settings, get_settings
from audit.storage.orm import SignInSession, User, utcnow

if TYPE_CHECKING:
    from audit.storage.repository import Repository

log = logging.getLogger(__name__)

#: Seconds within which the browser must exchange the claim code for its cookie.
CLAIM_TTL_S: Final = 60
#: Random bytes in a claim code and in a session token (256 bits).
SECRET_BYTES: Final = 32
#: What a code or token may look like (``secrets.token_urlsafe``); anything else is refused
#: before the database is asked.
SECRET_PATTERN: Final = re.compile(r"^[A-Za-z0-9_-]{40,64}$")


@dataclass(frozen=True)
class ResumedSession:
    """A session found by its cookie: the actor (with its session epoch, so every unit of work
    checks the account again), when it signed in and when the session ends."""

    actor: Actor
    signed_in_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class ClaimedSession:
    """The cookie's token (give it to the browser only, as an HttpOnly cookie) and its expiry."""

    token: str
    expires_at: datetime


def digest(secret: str) -> str:
    """The stored form of a code or token: its SHA-256, hex."""
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def _well_formed(secret: object) -> bool:
    return isinstance(secret, str) and SECRET_PATTERN.fullmatch(secret) is not None


def start_session(repo: Repository, *, now: datetime | None = None,
                  settings: Settings | None = None) -> str:
    """For the signed-in account of ``repo.actor`` (right after :func:`audit.auth.authenticate`):
    create its session row and return the one-time claim code for the browser."""
    actor = repo.actor
    require(actor, "account.own")
    row = repo.users.by_id(actor.user_id) if actor.user_id is not None else None
    if row is None or row.username != actor.username or row.role != actor.role:
        msg = f"{actor.label} is not a signed-in account (sign in first)"
        raise PermissionDenied(msg)
    cfg = settings or get_settings()
    moment = now or utcnow()
    repo.sign_in_sessions.delete_expired(moment)
    code = secrets.token_urlsafe(SECRET_BYTES)
    repo.sign_in_sessions.add(SignInSession(
        user_id=row.id, role=row.role, session_epoch=row.session_epoch,
        token_hash=None, claim_hash=digest(code),
        claim_expires_at=moment + timedelta(seconds=CLAIM_TTL_S),
        created_at=moment, expires_at=moment + timedelta(seconds=cfg.session_ttl_s),
    ))
    return code


def claim_session(repo: Repository, code: str, *, now: datetime | None = None
                  ) -> ClaimedSession | None:
    """Exchange a claim code (once, within :data:`CLAIM_TTL_S`) for the session's cookie token;
    ``None`` for an unknown, used, expired or malformed code."""
    require(repo.actor, "session.resume")
    if not _well_formed(code):
        return None
    moment = now or utcnow()
    row = repo.sign_in_sessions.by_claim(digest(code))
    if row is None:
        return None
    if row.claim_expires_at is None or row.claim_expires_at <= moment or row.expires_at <= moment:
        repo.sign_in_sessions.delete(row)
        return None
    token = secrets.token_urlsafe(SECRET_BYTES)
    row.token_hash = digest(token)
    row.claim_hash = None
    row.claim_expires_at = None
    repo.flush_or_conflict("sign-in session")
    return ClaimedSession(token, row.expires_at)


def _still_valid(row: SignInSession, user: User | None, moment: datetime, cfg: Settings) -> bool:
    return (
        row.expires_at > moment
        and user is not None
        and user.is_active
        and user.role == row.role
        and user.role in USER_ROLES
        and user.session_epoch == row.session_epoch
        and not (user.is_demo and not cfg.demo_mode)
    )


def resume_session(repo: Repository, token: str, *, now: datetime | None = None,
                   settings: Settings | None = None) -> ResumedSession | None:
    """The session a cookie's token opens, or ``None`` (unknown, malformed, expired, or the
    account disabled, removed, signed out, given another role or password since). A session
    found no longer valid is deleted."""
    require(repo.actor, "session.resume")
    if not _well_formed(token):
        return None
    cfg = settings or get_settings()
    moment = now or utcnow()
    row = repo.sign_in_sessions.by_token(digest(token))
    if row is None:
        return None
    user = repo.users.by_id(row.user_id)
    if not _still_valid(row, user, moment, cfg):
        repo.sign_in_sessions.delete(row)
        log.info("sign-in session of user id %s ended (expired or account changed)", row.user_id)
        return None
    assert user is not None
    actor = Actor(user.id, user.username, user.role, user.session_epoch)  # type: ignore[arg-type]
    return ResumedSession(actor, row.created_at, row.expires_at)


def end_session(repo: Repository, token: str) -> bool:
    """Delete the session of this cookie token (sign-out); whether there was one."""
    require(repo.actor, "session.resume")
    if not _well_formed(token):
        return False
    row = repo.sign_in_sessions.by_token(digest(token))
    if row is None:
        return False
    repo.sign_in_sessions.delete(row)
    return True
