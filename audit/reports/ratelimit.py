"""Per-client rate limit of anonymous writes (reports and "me too"), counted in the database.

A client is identified by :func:`client_key_for`: a salted hash of its address, so the raw IP is
never stored. The count is read in the writer's transaction (serialised per client on
PostgreSQL), so the limit holds across app processes.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

from audit.actors import Actor
from audit.errors import InputError, Problem
from audit.settings import Settings
from audit.storage.reports import RateKind
from audit.storage.repository import Repository

SALT_FILE: Final = "report_client_salt"


def client_key_for(raw_identity: str, data_dir: Path) -> str:
    """A salted SHA-256 of a client identity (an IP address): the raw value is never stored.

    The salt is a random file under ``data_dir`` created on first use, so keys of one
    installation cannot be matched against another's or reversed with a table of IPs.
    """
    path = Path(data_dir) / SALT_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with path.open("x", encoding="ascii") as handle:
                handle.write(secrets.token_hex(32))
        except FileExistsError:
            pass  # another process created it first
    salt = path.read_text(encoding="ascii").strip()
    return hashlib.sha256(f"{salt}|{raw_identity}".encode()).hexdigest()


def check_rate(
    repo: Repository, client_key: str, settings: Settings, now: datetime, kind: RateKind
) -> None:
    """InputError when ``client_key`` already made the allowed number of writes in the window."""
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


def require_client_key(actor: Actor, client_key: str) -> None:
    if actor.role == "anonymous" and not client_key:
        raise InputError(Problem("client_key", client_key, "required for anonymous reporters"))
