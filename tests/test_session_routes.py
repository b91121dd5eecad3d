"""The app server's session routes (ui/session_routes.py): the cookie's attributes, the origin
check, one-time codes, and sign-out deleting the cookie (requests built directly; the Chromium
test tests/test_browser_drafts.py drives the real server)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import ui.session_routes as routes
from audit.actors import SYSTEM, Actor
from audit.sessions import resume_session, start_session
from audit.storage import Database
from audit.storage.orm import User


@pytest.fixture
def db(sqlite_db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    monkeypatch.setattr(routes, "_database", lambda: sqlite_db)
    yield sqlite_db


def _request(origin: str | None = "http://app.test", *, scheme: str = "http",
             cookie: str = "", proto: str = "") -> routes.Request:
    headers = [(b"host", b"app.test")]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    if cookie:
        headers.append((b"cookie", f"{routes.COOKIE_NAME}={cookie}".encode()))
    if proto:
        headers.append((b"x-forwarded-proto", proto.encode()))
    return routes.Request({"type": "http", "method": "POST", "scheme": scheme,
                           "path": routes.CLAIM_PATH, "headers": headers,
                           "server": ("app.test", 443 if scheme == "https" else 80)})


def _code(db: Database) -> str:
    with db.unit_of_work(SYSTEM, write=True) as repo:
        row = repo.users.add(User(username="insp", role="inspector", password_hash="-"))
        actor = Actor(row.id, "insp", "inspector", row.session_epoch)
    with db.unit_of_work(actor, write=True) as repo:
        return start_session(repo)


def _set_cookie(response: routes.Response) -> str:
    return response.headers.get("set-cookie", "")


def test_claim_sets_an_httponly_strict_cookie_once(db: Database) -> None:
    code = _code(db)
    response = routes.claim(_request(), code)
    assert response.status_code == 204
    cookie = _set_cookie(response)
    assert cookie.startswith(f"{routes.COOKIE_NAME}=")
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite", "path", "max-age"} <= attributes
    assert "samesite=strict" in cookie.lower() and "secure" not in attributes
    assert 8 * 3600 - 60 <= int(cookie.lower().split("max-age=")[1].split(";")[0]) <= 8 * 3600
    token = cookie.split(";")[0].split("=", 1)[1]
    with db.unit_of_work(SYSTEM, write=True) as repo:
        assert resume_session(repo, token) is not None
    assert routes.claim(_request(), code).status_code == 400  # one time only
    assert _set_cookie(routes.claim(_request(), code)) == ""


@pytest.mark.parametrize(("scheme", "proto", "trusted"), [("https", "", ""),
                                                         ("http", "https", "X-Forwarded-For")])
def test_cookie_is_secure_over_https(db: Database, monkeypatch: pytest.MonkeyPatch,
                                     tmp_path: Path, scheme: str, proto: str,
                                     trusted: str) -> None:
    monkeypatch.setenv("TRUSTED_PROXY_HEADER", trusted)
    from audit.settings import get_settings

    get_settings.cache_clear()
    try:
        cookie = _set_cookie(routes.claim(
            _request("https://app.test" if scheme == "https" else "http://app.test",
                     scheme=scheme, proto=proto), _code(db)))
    finally:
        get_settings.cache_clear()
    assert "; secure" in cookie.lower()


def test_forwarded_proto_is_ignored_without_a_trusted_proxy(db: Database) -> None:
    cookie = _set_cookie(routes.claim(_request(proto="https"), _code(db)))
    assert cookie and "secure" not in cookie.lower()


@pytest.mark.parametrize("origin", [None, "http://evil.test", "null", "http://app.test.evil"])
def test_other_origins_are_refused(db: Database, origin: str | None) -> None:
    code = _code(db)
    response = routes.claim(_request(origin), code)
    assert response.status_code == 403 and _set_cookie(response) == ""
    assert routes.claim(_request(), code).status_code == 204  # the code was not used up
    assert routes.end(_request(origin)).status_code == 403


def test_sign_out_route_ends_the_session_and_deletes_the_cookie(db: Database) -> None:
    cookie = _set_cookie(routes.claim(_request(), _code(db)))
    token = cookie.split(";")[0].split("=", 1)[1]
    response = routes.end(_request(cookie=token))
    assert response.status_code == 204
    deleted = _set_cookie(response).lower()
    assert deleted.startswith(f"{routes.COOKIE_NAME}=") and "max-age=0" in deleted
    with db.unit_of_work(SYSTEM, write=True) as repo:
        assert resume_session(repo, token) is None
