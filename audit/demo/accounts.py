"""Demo accounts (DEMO ONLY), created when ``demo_mode`` is on, passwords public in the README."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from audit.auth import create_user, get_user
from audit.demo.common import claim_demo_database
from audit.settings import Settings, get_settings

if TYPE_CHECKING:
    import numpy as np

    from audit.storage.repository import Repository

#: Demo accounts (username, role, password). DEMO ONLY: created only when demo_mode is on, and
#: the passwords are public (README). Never use them on a real deployment.
DEMO_ACCOUNTS: Final[tuple[tuple[str, str, str], ...]] = (
    ("demo-inspector", "inspector", "demo-inspector-pw"),
    ("demo-bureau", "bureau", "demo-bureau-pw"),
    ("demo-admin", "admin", "demo-admin-pw"),
)


def seed_demo_accounts(
    repo: Repository, rng: np.random.Generator | None = None, *, settings: Settings | None = None
) -> str:
    """Create the demo accounts (DEMO ONLY, public passwords) when ``demo_mode`` is on.

    Only in an empty database (no real record), which becomes a demo database; otherwise
    :class:`~audit.demo.common.DemoRefused` is raised and nothing is written (see
    :func:`~audit.demo.common.claim_demo_database`). Existing demo accounts are left alone, so
    this is safe to repeat. ``repo`` acts for the system (or
    an admin: creating accounts needs ``user.manage``). ``rng`` is accepted for the uniform
    ``seed_demo_*`` signature; the passwords are fixed because the README documents them.
    Returns a one-line summary for the CLI.
    """
    cfg = settings or get_settings()
    if not cfg.demo_mode:
        return "demo accounts: not created (demo_mode is off)"
    claim_demo_database(repo)
    created: list[str] = []
    for username, role, password in DEMO_ACCOUNTS:
        if get_user(repo, username) is not None:
            continue
        create_user(
            repo, username, password, role,
            display_name=f"Demo {role} (synthetic)", is_demo=True,
        )
        created.append(username)
    names = ", ".join(created) if created else "none (already present)"
    return f"demo accounts created: {names} — demo-only passwords, see README"
