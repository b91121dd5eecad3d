"""Rate limits of anonymous writes (reports and "me too"), counted in the database.

A client is identified by :func:`client_identity` (the address the server or the trusted proxy
saw, never a value the client chooses freely) and :func:`client_key_for` (a salted hash of it,
so the raw IP is never stored). The salt is kept in the database (:func:`client_salt`), so every
app process and machine on it hashes one client alike. The count is read in the writer's
transaction (serialised per client on PostgreSQL), so the limit holds across app processes;
opening a new tab or clearing cookies does not reset it. On top of the per-client limit, new
public reports are capped per minute for everyone together (``report_global_per_minute``), which
bounds what a client with many addresses can do.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Final

from audit.actors import Actor, require
from audit.errors import InputError, Problem
from audit.settings import Settings
from audit.storage.reports import RateKind
from audit.storage.repository import Repository

#: ``app_meta`` key of the installation's client-key salt.
SALT_META_KEY: Final = "client_key_salt"
#: The identity of clients whose address is unknown: they share one bucket (a tab reset or a
#: cookie wipe cannot give a fresh quota).
UNKNOWN_CLIENT: Final = "unknown-client"
GLOBAL_WINDOW_S: Final = 60


def _address(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_identity(
    remote_address: object,
    headers: Mapping[str, str] | None,
    trusted_header: str,
    hops: int = 1,
) -> str:
    """The address to rate-limit on, from what the client cannot choose.

    Without ``trusted_header``: the socket's remote address (a new tab, a cleared cookie or a
    forged header change nothing). Behind a trusted reverse proxy that appends the client
    address to ``trusted_header`` (e.g. ``X-Forwarded-For``): the entry ``hops`` from the right,
    i.e. the one the trusted proxy wrote, never the client-controlled leftmost one. Anything
    missing or not an IP address gives :data:`UNKNOWN_CLIENT`, one shared bucket.
    """
    if trusted_header:
        raw = ""
        for key, value in (headers or {}).items():
            if key.lower() == trusted_header.lower():
                raw = value
        entries = [e.strip() for e in raw.split(",") if e.strip()]
        chosen = _address(entries[-hops]) if len(entries) >= hops else None
    else:
        chosen = _address(remote_address)
    return chosen or UNKNOWN_CLIENT


def client_salt(repo: Repository) -> str:
    """The installation's random salt for client keys (admin or system: ``meta.write``).

    Kept in the database (``app_meta``), created on first use (the first process to commit one
    wins), so every app process and every machine on the database hashes a client alike: a
    client's rate limit and sign-in throttle count the same wherever its request lands.
    """
    require(repo.actor, "meta.write")
    salt = repo.get_meta(SALT_META_KEY)
    return salt if salt is not None else repo.meta_setdefault(SALT_META_KEY, secrets.token_hex(32))


def client_key_for(raw_identity: str, salt: str) -> str:
    """A salted SHA-256 of a client identity (an IP address): the raw value is never stored.

    ``salt`` is :func:`client_salt`: keys of one installation cannot be matched against
    another's or reversed with a table of IPs.
    """
    if not salt:
        raise ValueError("client_key_for needs the installation's salt (client_salt)")
    return hashlib.sha256(f"{salt}|{raw_identity}".encode()).hexdigest()


def check_rate(
    repo: Repository, client_key: str, settings: Settings, now: datetime, kind: RateKind
) -> None:
    """InputError when ``client_key`` already made the allowed number of writes in the window."""
    if kind == "report" and repo.actor.role == "anonymous":
        _check_global(repo, settings, now)
    if not client_key:
        return
    repo.reports.lock_client(client_key)
    since = now - timedelta(seconds=settings.report_rate_window_s)
    used = repo.reports.recent_by_client(kind, client_key, since)
    if used >= settings.report_rate_limit:
        minutes = math.ceil(settings.report_rate_window_s / 60)
        raise InputError(
            Problem(
                "rate_limit",
                used,
                f"at most {settings.report_rate_limit} per {minutes} minutes from one device; "
                "please try again later",
            ),
            "report",
        )


def _check_global(repo: Repository, settings: Settings, now: datetime) -> None:
    """InputError when everyone together already filed the allowed public reports this minute."""
    repo.reports.lock_client("global-report-cap")
    used = repo.reports.recent_reports(now - timedelta(seconds=GLOBAL_WINDOW_S))
    if used >= settings.report_global_per_minute:
        raise InputError(
            Problem(
                "rate_limit_global",
                used,
                f"at most {settings.report_global_per_minute} new reports per minute from "
                "everyone together; the service is busy, please try again in a minute",
            ),
            "report",
        )


def require_client_key(actor: Actor, client_key: str) -> None:
    if actor.role == "anonymous" and not client_key:
        raise InputError(Problem("client_key", client_key, "required for anonymous reporters"))
