"""The app server's session routes (issue 17 item 4): set and clear the HttpOnly sign-in cookie.

Streamlit's pages cannot send a ``Set-Cookie`` header, and a cookie written by JavaScript cannot
be HttpOnly. So :mod:`serve` (``streamlit run serve.py``) mounts these two routes beside the app:

- ``POST /_session`` with the one-time claim code made at sign-in
  (:func:`audit.sessions.start_session`): sets the cookie to a fresh random token
  (:func:`audit.sessions.claim_session`), ``HttpOnly; SameSite=Strict; Path=/``, ``Secure`` when
  served over https, expiring with the session;
- ``POST /_session/end``: ends the session of the cookie's token and deletes the cookie.

Both refuse a request whose ``Origin`` is not this server (another site cannot plant or end a
session). They act as ``system``; the code or token is the proof. The database comes from the
settings, so every app process behind a proxy shares the sessions.
"""

from __future__ import annotations

import functools
import logging
from typing import Any, Final
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from audit.actors import SYSTEM
from audit.errors import AuditError
from audit.sessions import claim_session, end_session
from audit.settings import get_settings
from audit.storage.orm import utcnow

log = logging.getLogger(__name__)

#: Name of the sign-in cookie (its value is the session token; the page reads it on reload).
COOKIE_NAME: Final = "yj_session"
#: Path of the claim route; the sign-out route is ``CLAIM_PATH + "/end"``.
CLAIM_PATH: Final = "/_session"
#: Largest request body the routes read (a claim code is ~43 characters).
MAX_BODY_BYTES: Final = 256


@functools.cache
def _database() -> Any:
    from audit.storage import open_database

    return open_database(get_settings().effective_database_url)


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if not origin:
        return False
    parts = urlsplit(origin)
    return bool(parts.netloc) and parts.netloc == request.headers.get("host", "")


def _secure(request: Request) -> bool:
    if request.url.scheme == "https":
        return True
    proto = request.headers.get("x-forwarded-proto", "") if get_settings().trusted_proxy_header \
        else ""
    return proto.split(",")[-1].strip().lower() == "https"


async def _body(request: Request) -> str:
    data = b""
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_BODY_BYTES:
            return ""
    return data.decode("ascii", errors="replace").strip()


def claim(request: Request, code: str) -> Response:
    """Exchange ``code`` for the cookie (204), or refuse (403 another origin, 400 bad code)."""
    if not _same_origin(request):
        return Response(status_code=403)
    try:
        with _database().unit_of_work(SYSTEM, write=True) as repo:
            claimed = claim_session(repo, code)
    except AuditError as exc:
        log.error("session claim failed: %s", exc)
        return Response(status_code=503)
    if claimed is None:
        return Response(status_code=400)
    response = Response(status_code=204)
    max_age = max(0, int((claimed.expires_at - utcnow()).total_seconds()))
    response.set_cookie(COOKIE_NAME, claimed.token, max_age=max_age, path="/", httponly=True,
                        samesite="strict", secure=_secure(request))
    response.headers["Cache-Control"] = "no-store"
    return response


def end(request: Request) -> Response:
    """End the cookie's session and delete the cookie (204; 403 from another origin)."""
    if not _same_origin(request):
        return Response(status_code=403)
    token = request.cookies.get(COOKIE_NAME, "")
    if token:
        try:
            with _database().unit_of_work(SYSTEM, write=True) as repo:
                end_session(repo, token)
        except AuditError as exc:
            log.error("session end failed: %s", exc)
    response = Response(status_code=204)
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="strict",
                           secure=_secure(request))
    response.headers["Cache-Control"] = "no-store"
    return response


async def _claim_endpoint(request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool

    code = await _body(request)
    return await run_in_threadpool(claim, request, code)


async def _end_endpoint(request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(end, request)


def routes() -> list[Route]:
    """The routes :mod:`serve` mounts beside the Streamlit app."""
    return [
        Route(CLAIM_PATH, _claim_endpoint, methods=["POST"]),
        Route(CLAIM_PATH + "/end", _end_endpoint, methods=["POST"]),
    ]
