"""User accounts: argon2 password hashing, roles, sign-in with lock-out.

Passwords are hashed with argon2id (``argon2-cffi``) and never logged, stored or echoed in clear.
After ``settings.login_max_failures`` wrong passwords in a row an account is locked for
``settings.login_lockout_s`` seconds; an admin may unlock it earlier. Every account change is
written to the change log (without the hash).

Public API (each function works in the caller's unit of work, a
:class:`~audit.storage.repository.Repository`; the acting user is the repository's actor):

- :func:`create_user`, :func:`list_users`, :func:`set_active` (disable/enable), :func:`set_role`,
  :func:`unlock_user`, :func:`set_password` — need an actor with the ``user.manage`` permission;
- :func:`remove_demo_accounts` — ``user.manage``; :func:`change_own_password` — the signed-in
  user themself; :func:`has_accounts`, :func:`demo_account_names` — reads;
- :func:`authenticate` → :class:`SignInResult` (the actor, or the :class:`AuthenticationFailed`
  to raise once the unit of work has committed the failure count).

The demo accounts and their public passwords are synthetic data: :mod:`audit.demo.accounts`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from audit.actors import SYSTEM, USER_ROLES, Actor, require
from audit.errors import AuditError, InputError, NotFoundError, PermissionDenied, Problem
from audit.settings import Settings, get_settings
from audit.storage.orm import User, utcnow

if TYPE_CHECKING:
    from audit.storage.repository import Repository

log = logging.getLogger(__name__)

MIN_PASSWORD_LEN: Final = 8
MAX_PASSWORD_LEN: Final = 256
USERNAME_PATTERN: Final = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MAX_DISPLAY_NAME_LEN: Final = 128

_HASHER: Final = PasswordHasher()
# verified against when the username is unknown, so timing does not reveal which names exist
_DUMMY_HASH: Final = _HASHER.hash("not-a-real-password-only-for-timing")

FailureReason = Literal["bad_credentials", "locked", "disabled", "demo_account", "throttled"]


class AuthenticationFailed(AuditError):
    """Sign-in refused. ``reason`` is ``bad_credentials``, ``locked`` or ``disabled``.

    The message never says whether the username exists (``bad_credentials`` covers both).
    ``locked_until`` is set when the account is locked, and for ``throttled``, when the client
    may try again.
    """

    def __init__(self, reason: FailureReason, locked_until: datetime | None = None) -> None:
        self.reason: FailureReason = reason
        self.locked_until = locked_until
        texts = {
            "bad_credentials": "wrong username or password",
            "locked": "account locked after too many failed sign-ins"
            + (f" until {locked_until:%Y-%m-%d %H:%M} UTC" if locked_until else "")
            + "; wait or ask an admin to unlock it",
            "disabled": "account disabled; ask an admin",
            "throttled": "too many failed sign-ins from this device; try again"
            + (f" after {locked_until:%Y-%m-%d %H:%M} UTC" if locked_until else " later"),
            "demo_account": "demo accounts cannot sign in when DEMO_MODE is off; "
            "an admin should remove them",
        }
        super().__init__(texts[reason])


@dataclass(frozen=True)
class UserRecord:
    """A user account without its password hash (safe to show and keep in session state)."""

    id: int
    username: str
    display_name: str
    role: str
    is_active: bool
    failed_logins: int
    locked_until: datetime | None
    created_at: datetime
    is_demo: bool

    @classmethod
    def of(cls, row: User) -> UserRecord:
        return cls(
            id=row.id,
            username=row.username,
            display_name=row.display_name,
            role=row.role,
            is_active=row.is_active,
            failed_logins=row.failed_logins,
            locked_until=row.locked_until,
            created_at=row.created_at,
            is_demo=row.is_demo,
        )

    def is_locked(self, now: datetime | None = None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or utcnow())

    def actor(self) -> Actor:
        return Actor(self.id, self.username, self.role)  # type: ignore[arg-type]


def _public_view(record: UserRecord) -> dict[str, object]:
    return {
        "username": record.username,
        "display_name": record.display_name,
        "role": record.role,
        "is_active": record.is_active,
        "locked_until": record.locked_until,
        "is_demo": record.is_demo,
    }


def _password_problems(password: object) -> list[Problem]:
    if not isinstance(password, str):
        return [Problem("password", "(hidden)", "text", code="required")]
    if not MIN_PASSWORD_LEN <= len(password) <= MAX_PASSWORD_LEN:
        return [
            Problem(
                "password",
                f"(hidden, {len(password)} characters)",
                f"{MIN_PASSWORD_LEN} to {MAX_PASSWORD_LEN} characters",
                code="length",
                params={"min": MIN_PASSWORD_LEN, "max": MAX_PASSWORD_LEN, "hidden": True},
            )
        ]
    if not password.strip():
        return [Problem("password", "(hidden, blank)", "not only spaces", code="blank")]
    return []


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (checks the length rules first)."""
    problems = _password_problems(password)
    if problems:
        raise InputError(problems, "password")
    return _HASHER.hash(password)


def _normalise_username(username: object) -> str:
    return username.strip().lower() if isinstance(username, str) else ""


def create_user(
    repo: Repository,
    username: str,
    password: str,
    role: str,
    *,
    display_name: str = "",
    is_demo: bool = False,
) -> UserRecord:
    """Create an account; every problem (name taken, bad role, short password) at once."""
    actor = repo.actor
    require(actor, "user.manage")
    name = _normalise_username(username)
    problems: list[Problem] = []
    if not USERNAME_PATTERN.match(name):
        problems.append(
            Problem(
                "username",
                username,
                "2 to 64 characters: lower-case letters, digits, '.', '_' or '-', "
                "starting with a letter or digit",
                code="username",
            )
        )
    if role not in USER_ROLES:
        problems.append(Problem("role", role, f"one of {', '.join(USER_ROLES)}", code="choice",
                                params={"choices": USER_ROLES, "kind": "role"}))
    if not isinstance(display_name, str) or len(display_name) > MAX_DISPLAY_NAME_LEN:
        problems.append(
            Problem("display_name", display_name, f"at most {MAX_DISPLAY_NAME_LEN} characters",
                    code="length", params={"min": 0, "max": MAX_DISPLAY_NAME_LEN})
        )
    problems.extend(_password_problems(password))
    if name and repo.users.name_taken(name):
        problems.append(Problem("username", name, "a name not already taken", code="taken"))
    if problems:
        raise InputError(problems, "user")
    row = repo.users.add(
        User(
            username=name,
            display_name=display_name.strip(),
            role=role,
            password_hash=_HASHER.hash(password),
            is_demo=is_demo,
        )
    )
    record = UserRecord.of(row)
    repo.log("user", row.id, "create", None, _public_view(record))
    log.info("user %s created with role %s by %s", name, role, actor.label)
    return record


def list_users(repo: Repository) -> list[UserRecord]:
    """All accounts, by username."""
    require(repo.actor, "user.manage")
    return [UserRecord.of(r) for r in repo.users.all()]


def get_user(repo: Repository, username: str) -> UserRecord | None:
    """One account by username (case-insensitive), or ``None``."""
    row = repo.users.by_name(_normalise_username(username))
    return None if row is None else UserRecord.of(row)


def _change(repo: Repository, username: str, action: str, **values: object) -> UserRecord:
    actor = repo.actor
    require(actor, "user.manage")
    name = _normalise_username(username)
    row = repo.users.by_name(name)
    if row is None:
        msg = f"user {username!r} does not exist"
        raise NotFoundError(msg)
    if action == "disable" and actor.user_id == row.id:
        raise InputError(Problem("username", name, "another account than your own",
                                 code="own_account"))
    before = _public_view(UserRecord.of(row))
    for key, value in values.items():
        setattr(row, key, value)
    if "session_epoch" in values:  # the account's sessions end: the cookies open nothing
        repo.sign_in_sessions.delete_of_user(row.id)
    repo.flush_or_conflict(f"user {name!r}")
    record = UserRecord.of(row)
    repo.log("user", row.id, action, before, _public_view(record))
    log.info("user %s: %s by %s", name, action, actor.label)
    return record


def set_active(repo: Repository, username: str, active: bool) -> UserRecord:
    """Disable (``active=False``) or re-enable an account. An admin cannot disable themself.
    Disabling ends every open session of the account at its next action."""
    extra = {} if active else {"session_epoch": _next_epoch(repo, username)}
    return _change(repo, username, "enable" if active else "disable", is_active=active, **extra)


def set_role(repo: Repository, username: str, role: str) -> UserRecord:
    """Give an account another role (admin action). Its open sessions end (the next action and
    a reload ask to sign in again), so rights end when revoked. An admin cannot change their
    own role (that could leave no admin)."""
    require(repo.actor, "user.manage")
    if role not in USER_ROLES:
        raise InputError(Problem("role", role, f"one of {', '.join(USER_ROLES)}", code="choice",
                                 params={"choices": USER_ROLES, "kind": "role"}))
    row = repo.users.by_name(_normalise_username(username))
    if row is not None and row.id == repo.actor.user_id:
        raise InputError(Problem("username", row.username, "another account than your own",
                                 code="own_account"))
    return _change(repo, username, "set_role", role=role,
                   session_epoch=_next_epoch(repo, username))


def _next_epoch(repo: Repository, username: str) -> int:
    row = repo.users.by_name(_normalise_username(username))
    return 0 if row is None else row.session_epoch + 1


def end_my_sessions(repo: Repository) -> None:
    """Sign-out: end every open session of the signed-in account (all browsers and tabs)."""
    actor = repo.actor
    require(actor, "account.own")
    row = repo.users.by_id(actor.user_id) if actor.user_id is not None else None
    if row is None:
        msg = f"{actor.label} is not a signed-in account"
        raise PermissionDenied(msg)
    row.session_epoch += 1
    repo.sign_in_sessions.delete_of_user(row.id)
    repo.flush_or_conflict(f"user {row.username!r}")
    repo.log("user", row.id, "sign_out_everywhere", None, None)


def disable_user(repo: Repository, username: str) -> UserRecord:
    """Disable an account: it can no longer sign in; its audits stay."""
    return set_active(repo, username, False)


def unlock_user(repo: Repository, username: str) -> UserRecord:
    """Clear a lock-out and the failure count."""
    return _change(repo, username, "unlock", failed_logins=0, locked_until=None)


def has_accounts(repo: Repository) -> bool:
    """Whether any account exists; when none does, the first admin is made with the CLI
    (``python -m audit users add NAME --role admin``)."""
    return repo.users.any()


def demo_account_names(repo: Repository) -> list[str]:
    """Usernames of the demo accounts (their passwords are public): every page warns while
    any exists."""
    return repo.users.demo_names()


def remove_demo_accounts(repo: Repository) -> list[str]:
    """Delete every demo account (admin action); returns their names. Their synthetic audits
    and facilities stay, unlinked. Logged in the change log."""
    require(repo.actor, "user.manage")
    removed: list[str] = []
    for row in repo.users.all():
        if not row.is_demo:
            continue
        if row.id == repo.actor.user_id:
            raise InputError(Problem("username", row.username, "another account than your own",
                                             code="own_account"))
        before = _public_view(UserRecord.of(row))
        repo.users.delete(row)
        repo.log("user", row.id, "remove_demo", before, None)
        removed.append(row.username)
    log.info("demo accounts removed by %s: %s", repo.actor.label, ", ".join(removed) or "none")
    return removed


def change_own_password(repo: Repository, current_password: str, new_password: str) -> None:
    """The signed-in user changes their own password; the current one must be given."""
    actor = repo.actor
    require(actor, "account.own")
    row = repo.users.by_id(actor.user_id) if actor.user_id is not None else None
    if row is None or row.username != actor.username:
        msg = f"{actor.label} is not a signed-in account (sign in first)"
        raise PermissionDenied(msg)
    if not _verify(row.password_hash, current_password):
        raise InputError(Problem("current_password", "(hidden)", "your current password",
                                 code="wrong_password"))
    problems = _password_problems(new_password)
    if problems:
        raise InputError(problems, "password")
    row.password_hash = _HASHER.hash(new_password)
    repo.flush_or_conflict(f"user {row.username!r}")
    repo.log("user", row.id, "change_own_password", None, None)
    log.info("user %s changed their password", row.username)


def set_password(repo: Repository, username: str, password: str) -> UserRecord:
    """Set a new password (admin action); also clears a lock-out and ends the account's open
    sessions."""
    problems = _password_problems(password)
    if problems:
        raise InputError(problems, "password")
    return _change(
        repo, username, "set_password",
        password_hash=_HASHER.hash(password), failed_logins=0, locked_until=None,
        session_epoch=_next_epoch(repo, username),
    )


@dataclass(frozen=True)
class SignInResult:
    """The outcome of a sign-in attempt: the signed-in actor, or why it was refused.

    :func:`authenticate` returns the refusal instead of raising it, so that the failure count
    and a lock-out it wrote are committed with the caller's unit of work; the caller raises
    afterwards with :meth:`actor_or_raise`.
    """

    actor: Actor | None
    failure: AuthenticationFailed | None = None

    def actor_or_raise(self) -> Actor:
        """The signed-in actor; raises the :class:`AuthenticationFailed` of a refused attempt."""
        if self.failure is not None:
            raise self.failure
        assert self.actor is not None
        return self.actor


def authenticate(
    repo: Repository,
    username: str,
    password: str,
    *,
    now: datetime | None = None,
    settings: Settings | None = None,
    client_key: str = "",
) -> SignInResult:
    """Check a username and password; return a :class:`SignInResult`. Never raises a refusal.

    A refusal (``bad_credentials`` / ``locked`` / ``disabled``) is returned, not raised: a wrong
    password increments the failure count, and the ``login_max_failures``-th failure locks the
    account for ``login_lockout_s`` seconds, and those writes must be committed even though the
    sign-in fails. So run it in its own write unit of work and raise after it has committed::

        with db.unit_of_work(SYSTEM, write=True) as repo:
            result = authenticate(repo, username, password)
        actor = result.actor_or_raise()

    While locked, even the right password is refused. Success resets the count.

    Before any of that, a per-client throttle: a ``client_key`` (salted hash of the address)
    with ``login_client_max_failures`` refused attempts within ``login_lockout_s`` is refused as
    ``throttled`` without touching any account, so one client cannot lock out other people's
    accounts (the per-account lock needs more failures than one client may make).
    """
    cfg = settings or get_settings()
    moment = now or utcnow()
    name = _normalise_username(username)
    failure: AuthenticationFailed | None = None
    actor: Actor | None = None
    since = moment - timedelta(seconds=cfg.login_lockout_s)
    # the throttle holds while the window holds max failures; a throttled try is not recorded,
    # so it lifts once the oldest failure that still counts leaves the window
    recent = repo.users.failure_times_since(client_key, since) if client_key else []
    throttled = len(recent) >= cfg.login_client_max_failures
    row = repo.users.by_name(name) if name and not throttled else None
    if throttled:
        _verify(_DUMMY_HASH, password)
        lifts = recent[len(recent) - cfg.login_client_max_failures] + timedelta(
            seconds=cfg.login_lockout_s)
        failure = AuthenticationFailed("throttled", lifts)
    elif row is None:
        _verify(_DUMMY_HASH, password)
        failure = AuthenticationFailed("bad_credentials")
    elif row.locked_until is not None and row.locked_until > moment:
        failure = AuthenticationFailed("locked", row.locked_until)
    elif row.is_demo and not cfg.demo_mode:
        _verify(_DUMMY_HASH, password)
        failure = AuthenticationFailed("demo_account")
    elif not _verify(row.password_hash, password):
        row.failed_logins += 1
        if row.failed_logins >= cfg.login_max_failures:
            row.locked_until = moment + timedelta(seconds=cfg.login_lockout_s)
            row.failed_logins = 0
            repo.acting_as(SYSTEM).log(
                "user", row.id, "lock", None, {"locked_until": row.locked_until}
            )
            failure = AuthenticationFailed("locked", row.locked_until)
        else:
            failure = AuthenticationFailed("bad_credentials")
    elif not row.is_active:
        failure = AuthenticationFailed("disabled")
    elif row.role not in USER_ROLES:
        # A row written outside the library (SQL, an old backup) with a role no person may hold,
        # such as "system", would otherwise sign in with that role's permissions.
        log.error("user %r has the stored role %r, not one of %s; refused", name, row.role,
                  ", ".join(USER_ROLES))
        failure = AuthenticationFailed("disabled")
    else:
        row.failed_logins = 0
        row.locked_until = None
        if _HASHER.check_needs_rehash(row.password_hash):
            row.password_hash = _HASHER.hash(password)
        actor = Actor(row.id, row.username, row.role, row.session_epoch)
    if failure is not None:
        if client_key and failure.reason != "throttled":
            repo.users.add_failure(client_key, moment)
        log.warning("sign-in refused for %r: %s", name, failure.reason)
        return SignInResult(None, failure)
    assert actor is not None
    log.info("user %s signed in", name)
    return SignInResult(actor)


def _verify(password_hash: str, password: object) -> bool:
    if not isinstance(password, str):
        return False
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
