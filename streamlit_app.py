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
from ui import cache, security, state, widgets
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

PAGES: tuple[PageSpec, ...] = (
    PageSpec("public", "ui/pages/map.py", "nav.map", ":material/map:", default=True),
    PageSpec("public", "ui/pages/report.py", "reports.nav.report", ":material/report:"),
    PageSpec("public", "ui/pages/report_status.py", "reports.nav.status", ":material/search:"),
    PageSpec("bureau", "ui/pages/review.py", "reports.nav.review", ":material/fact_check:"),
    PageSpec("public", "ui/pages/rankings.py", "bureau.nav.rankings", ":material/leaderboard:"),
    PageSpec("bureau", "ui/pages/priorities.py", "bureau.nav.priorities", ":material/savings:"),
    PageSpec("bureau", "ui/pages/workorders.py", "bureau.nav.workorders", ":material/build:"),
    PageSpec("inspector", "ui/pages/audits.py", "inspect.nav.audits", ":material/checklist:"),
    PageSpec("admin", "ui/pages/admin.py", "admin.nav.title", ":material/manage_accounts:"),
)


def main() -> None:
    """Build the navigation and run the selected page."""
    st.set_page_config(page_title=t("app.title"), page_icon="♿",
                       layout="wide")
    state.init_state()
    widgets.sidebar()
    install_phone_layout()
    navigation: dict[str, list[st.Page]] = {}
    for group in GROUPS:
        pages = [
            st.Page(spec.path, title=t(spec.title_key), icon=spec.icon, default=spec.default,
                    url_path=spec.path.rsplit("/", 1)[-1].removesuffix(".py"))
            for spec in PAGES
            if spec.group == group
        ]
        if pages:
            navigation[t(f"nav.group.{group}")] = pages
    page = st.navigation(navigation)
    st.sidebar.caption(t("app.title"))
    try:
        demo = cache.has_demo_data()
    except StorageUnavailable as exc:
        _storage_error(exc)
    except (AuditError, ImportError, AttributeError) as exc:
        st.error(t("app.storage_error", error=public_error(exc)))
        st.stop()
    network, _ = _network_info()
    widgets.provenance_banner(demo_data=demo, network=network)
    security.demo_account_banner()
    try:
        page.run()
    except StorageUnavailable as exc:  # the database failed while the page ran
        _storage_error(exc)


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
        return None, public_error(exc)


main()
