"""Entry point of the app: page config, session state, navigation by role. Routes only.

Pages are registered in ``PAGES`` below: adding a page is one line
``PageSpec(group, "ui/pages/<file>.py", "nav.<key>", icon)``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import NoReturn

import streamlit as st

from audit.errors import AuditError, StorageUnavailable
from ui import auth, cache, chrome, security, state, widgets
from ui.errors import error_text, log_error
from ui.i18n import t
from ui.phone import install_phone_layout
from ui.plaintext import public_error

LOG = logging.getLogger("yangjiang_a11y.app")


@dataclass(frozen=True)
class PageSpec:
    """One page: navigation group key, script path, title key, Material icon, default flag."""

    group: str
    path: str
    title_key: str
    icon: str
    default: bool = False


#: Role groups in navigation order (keys into the ``nav.group`` catalogue table).
GROUPS: tuple[str, ...] = ("public", "inspector", "bureau", "admin")
#: The roles whose menu lists each group's pages (the pages check the role themselves; a page of
#: another group stays reachable by its address, where it asks to sign in).
GROUP_ROLES: dict[str, frozenset[str]] = {
    "public": frozenset({"anonymous", "inspector", "bureau", "admin"}),
    "inspector": frozenset({"inspector", "admin"}),
    "bureau": frozenset({"bureau", "admin"}),
    "admin": frozenset({"admin"}),
}
#: Shown in the menu only to someone not signed in.
SIGN_IN = PageSpec("public", "ui/pages/sign_in.py", "words.sign_in.nav", ":material/login:")

PAGES: tuple[PageSpec, ...] = (
    PageSpec("public", "ui/pages/map.py", "nav.map", ":material/map:", default=True),
    PageSpec("public", "ui/pages/report.py", "reports.nav.report", ":material/report:"),
    PageSpec("public", "ui/pages/report_status.py", "reports.nav.status", ":material/search:"),
    PageSpec("public", "ui/pages/route.py", "route.nav.route", ":material/accessible:"),
    PageSpec("bureau", "ui/pages/review.py", "reports.nav.review", ":material/fact_check:"),
    PageSpec("public", "ui/pages/rankings.py", "bureau.nav.rankings", ":material/leaderboard:"),
    PageSpec("bureau", "ui/pages/priorities.py", "bureau.nav.priorities", ":material/savings:"),
    PageSpec("bureau", "ui/pages/workorders.py", "bureau.nav.workorders", ":material/build:"),
    PageSpec("inspector", "ui/pages/audits.py", "inspect.nav.audits", ":material/checklist:"),
    PageSpec("inspector", "ui/pages/inventory.py", "inventory.nav.worklist", ":material/route:"),
    PageSpec("admin", "ui/pages/admin.py", "admin.nav.title", ":material/manage_accounts:"),
)


def main() -> None:
    """Build the navigation and run the selected page."""
    st.set_page_config(page_title=t("app.title"), page_icon="♿",
                       layout="wide")
    cache.new_rerun()  # data caches key on the database's data version, read once per rerun
    state.init_state()
    widgets.sidebar()
    state.keep_language_in_url()
    chrome.install()
    install_phone_layout()
    page = st.navigation(navigation(auth.current_actor().role))
    auth.sync_cookie()
    st.sidebar.caption(t("app.title"))
    try:
        demo = cache.has_demo_data()
    except StorageUnavailable as exc:
        _storage_error(exc)
    except (AuditError, ImportError, AttributeError) as exc:
        log_error(exc)
        st.error(t("app.storage_error", error=error_text(exc)))
        st.stop()
    network, _ = _network_info()
    widgets.notice_banner(widgets.provenance_notices(demo_data=demo, network=network)
                          + security.demo_account_notices())
    try:
        page.run()
    except StorageUnavailable as exc:  # the database failed while the page ran
        _storage_error(exc)


def navigation(role: str) -> dict[str, list[st.Page]]:
    """The menu for ``role``: its groups' pages (group titles are the role names), the sign-in
    link when nobody is signed in; every other page is registered hidden (out of the menu)."""
    menu: dict[str, list[st.Page]] = {}
    hidden: list[st.Page] = []
    sign_in = SIGN_IN if role == "anonymous" else None
    for group in GROUPS:
        visible = role in GROUP_ROLES[group]
        for spec in [s for s in (*PAGES, SIGN_IN) if s.group == group]:
            shown = visible and (spec is not SIGN_IN or sign_in is not None)
            page = st.Page(spec.path, title=t(spec.title_key), icon=spec.icon,
                           default=spec.default, visibility="visible" if shown else "hidden",
                           url_path=_url_path(spec))
            if shown:
                menu.setdefault(t(f"nav.group.{group}"), []).append(page)
            else:
                hidden.append(page)
    # the landing map lives at "/"; "/map" (a bookmarked or shared address of it) opens it too,
    # instead of Streamlit's English "Page not found" dialog
    hidden.append(st.Page(_open_landing_map, title=t("nav.map"), url_path=LANDING_ALIAS,
                          visibility="hidden"))
    first = next(iter(menu))
    menu[first].extend(hidden)  # reachable by address, never listed
    return menu


#: the landing map's second address
LANDING_ALIAS = "map"


def _url_path(spec: PageSpec) -> str:
    """A page's address: its file's name. The default page is served at "/" but still holds
    a name of its own, which must not be the alias's."""
    name = spec.path.rsplit("/", 1)[-1].removesuffix(".py")
    return f"{name}-home" if spec.default else name


def _open_landing_map() -> None:
    st.switch_page(next(spec.path for spec in PAGES if spec.default))


def _storage_error(exc: StorageUnavailable) -> NoReturn:
    """One clear message for a damaged or unreachable database; no server path, user or host
    on the page (the full reason goes to the server log for the operator)."""
    LOG.error("%s", exc)
    st.error(public_error(exc))
    st.stop()


def _network_info() -> tuple[dict[str, object] | None, str | None]:
    try:
        return cache.network_info(), None
    except (AuditError, ImportError, AttributeError, OSError, ValueError) as exc:
        log_error(exc)
        return None, error_text(exc)


main()
