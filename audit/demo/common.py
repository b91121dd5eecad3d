"""What every demo seeder shares: the seed, the synthetic time span and the acting demo roles."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from audit.actors import SYSTEM, Actor, require
from audit.errors import AuditError

if TYPE_CHECKING:
    from audit.storage.repository import Repository

DEMO_SEED: Final = 20_211_125
#: Synthetic audits start on this day and spread over SPAN_DAYS.
START: Final = datetime(2025, 3, 1, tzinfo=UTC)
SPAN_DAYS: Final = 600
#: The demo inspector who "submits" the synthetic audits (a system role: no account, no password).
DEMO_INSPECTOR: Final = Actor(None, "演示督导员 demo-inspector", "system")
#: The demo bureau who moderates synthetic reports and manages synthetic work orders.
DEMO_BUREAU: Final = Actor(None, "演示城管局 demo-bureau", "system")
#: Synthetic residents report as the system.
DEMO_RESIDENT: Final = SYSTEM

#: ``app_meta`` key marking a database as a demo database (value ``"true"``), set by the first
#: demo seeder that runs on an empty database.
DEMO_DATABASE_FLAG: Final = "demo_database"


class DemoRefused(AuditError, RuntimeError):
    """Demo data or demo accounts were asked for on a database that holds real data."""


def claim_demo_database(repo: Repository) -> None:
    """Refuse unless the database holds no real (non-demo) record; then mark it a demo database.

    Every demo seeder calls this first, so demo accounts (public passwords) and synthetic data
    can only ever be created in an empty database, which is marked by
    :data:`DEMO_DATABASE_FLAG`. A database that already holds real accounts, facilities,
    audits, reports or work orders is refused with :class:`DemoRefused`, nothing written.
    """
    require(repo.actor, "meta.write")
    real = repo.real_record_counts()
    if real:
        found = ", ".join(f"{n} {what}" for what, n in real.items())
        msg = (
            f"this database holds real data ({found}): demo accounts and demo data are only "
            "created in an empty database. Nothing was added. For a real deployment set "
            "DEMO_MODE=false and create the first administrator with "
            "`python -m audit users add NAME --role admin`."
        )
        raise DemoRefused(msg)
    if repo.get_meta(DEMO_DATABASE_FLAG) != "true":
        repo.set_meta(DEMO_DATABASE_FLAG, "true")
