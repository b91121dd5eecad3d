"""Helpers shared by the report pages: the client key, units of work, labels, error messages.

User text is never rendered as Markdown or HTML here: :func:`plain` writes it with ``st.text``,
so a description such as ``<img src=x onerror=alert(1)>`` or ``[x](javascript:…)`` shows
literally.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import streamlit as st

from audit import reports as R
from audit.actors import ANONYMOUS, Actor
from audit.errors import AuditError, ConflictError, InputError, NotFoundError, PermissionDenied
from audit.settings import get_settings
from audit.storage.repository import Repository
from ui import cache
from ui.errors import error_lines, log_error, problem_sentence
from ui.i18n import current_language, pick, t
from ui.map import report_status_label


def client_key() -> str:
    """A salted hash identifying this client for the rate limit; the raw IP is never stored.

    The address comes from :func:`audit.reports.ratelimit.client_identity`: the remote address
    Streamlit sees, or behind a trusted proxy the address that proxy appended; when there is none
    every such client shares one bucket, so a new tab never gets a fresh quota.
    """
    from ui.security import client_key as key

    return key()


@contextmanager
def repository(actor: Actor = ANONYMOUS, *, write: bool = False) -> Iterator[Repository]:
    """A unit of work for ``actor`` (committed on success, rolled back on error)."""
    with cache.unit_of_work(actor, write=write) as repo:
        yield repo


def category_label(key: str) -> str:
    """The category in the session's language."""
    return R.category_label(key, current_language())


def status_label(status: str) -> str:
    """The report status in words."""
    return report_status_label(status, current_language())


def district_label(code: str | None) -> str:
    """The district name, or "no district" for typed-only or outside points."""
    from geodata.districts import DISTRICTS

    if code is None or code not in DISTRICTS:
        return t("reports.counts.no_district")
    zh, en = DISTRICTS[code]
    return pick(current_language(), zh, en)


def point_from_link(value: Any, decimals: int) -> tuple[float, float] | None:
    """The ``?at=lon,lat`` of a "report a barrier here" link (the route page), or None when it
    is missing or not two numbers in WGS84 range."""
    if not isinstance(value, str) or len(value) > LINK_MAX_CHARS:
        return None
    parts = value.split(",")
    try:
        lon, lat = (float(p) for p in parts) if len(parts) == 2 else (float("nan"),) * 2
    except ValueError:
        return None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return None
    return round(lon, decimals), round(lat, decimals)


def plain(label: str, value: object) -> None:
    """A caption (from the catalogue) followed by user text shown literally, never parsed."""
    st.caption(label)
    st.text(str(value) if value not in (None, "") else "—")


#: longest ``?at=`` value a link may carry
LINK_MAX_CHARS = 64

_LIMITS: dict[str, dict[str, Any]] = {
    "location_text": {"min": R.MIN_LOCATION_CHARS, "max": R.MAX_LOCATION_CHARS},
    "description": {"max": R.MAX_DESCRIPTION_CHARS},
    "contact": {"max": R.MAX_CONTACT_CHARS},
    "comment": {"max": R.MAX_COMMENT_CHARS},
    "reason": {"max": R.MAX_REASON_CHARS},
    "note": {"max": R.MAX_REASON_CHARS},
}
_KNOWN = {"category", "location", "location_text", "description", "contact", "comment",
          "reason", "note", "code", "status", "original", "facility_id", "photo"}


def error_messages(exc: Exception) -> list[str]:
    """Catalogue messages for a library error (one per problem); never a traceback."""
    if isinstance(exc, InputError):
        out: list[str] = []
        for problem in exc.problems:
            name = problem.field.split(".")[0].split("[")[0]
            if name == "rate_limit":
                settings = get_settings()
                out.append(t("reports.error.rate_limit", limit=settings.report_rate_limit,
                             minutes=max(1, settings.report_rate_window_s // 60)))
            elif name == "rate_limit_global":
                out.append(t("security.rate.global",
                             limit=get_settings().report_global_per_minute))
            elif name == "photo" or name.startswith("photo"):
                out.append(problem_sentence(problem, current_language()))
            elif name in _KNOWN:
                out.append(t(f"reports.error.{name}", **_LIMITS.get(name, {})))
            else:
                out.append(problem_sentence(problem, current_language()))
        return out
    if isinstance(exc, NotFoundError):
        return [t("reports.error.not_found")]
    if isinstance(exc, ConflictError):
        return [t("reports.error.conflict")]
    if isinstance(exc, PermissionDenied):
        return [t("reports.error.permission")]
    return error_lines(exc)


def show_error(exc: Exception) -> None:
    """Show a library error in the user's language (text, not Markdown)."""
    log_error(exc)
    messages = error_messages(exc)
    st.error(t("reports.error.heading") + "\n\n" + "\n".join(f"- {m}" for m in messages))


__all__ = [
    "AuditError",
    "category_label",
    "client_key",
    "district_label",
    "error_messages",
    "plain",
    "repository",
    "show_error",
    "status_label",
]
