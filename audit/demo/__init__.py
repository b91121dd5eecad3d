"""Deterministic synthetic demo data, clearly labelled as such — all of it, in this one package.

No real audit data for Yangjiang exists yet. The demo database shows what the tool does with
**synthetic** facilities placed near real GeoNames towns inside the real district boundaries
(:mod:`audit.demo.facilities`), synthetic measurements (:mod:`audit.demo.measurements`), resident
reports in every workflow status (:mod:`audit.demo.reports`), work orders
(:mod:`audit.demo.workorders`) and demo accounts with public passwords
(:mod:`audit.demo.accounts`). Every demo record has ``is_demo = True``, its name says 演示 / demo,
and ``app_meta.demo_seed`` records the seed, so the UI and every export can say so.

Domain modules never import this package: the seeders call the library's public functions, so
the demo follows the same rules (roles, validation, workflow, change log) as real data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from audit.demo.accounts import DEMO_ACCOUNTS, seed_demo_accounts
from audit.demo.common import (
    DEMO_BUREAU,
    DEMO_DATABASE_FLAG,
    DEMO_INSPECTOR,
    DEMO_RESIDENT,
    DEMO_SEED,
    START,
    DemoRefused,
    claim_demo_database,
)
from audit.demo.facilities import DEMO_FACILITIES, seed_demo_facilities
from audit.demo.measurements import random_measurements
from audit.demo.reports import seed_demo_reports
from audit.demo.workorders import seed_demo_workorders
from audit.storage.repository import Repository


@dataclass(frozen=True)
class SeedResult:
    seeded: bool
    facilities: int
    audits: int
    message: str


def seed_demo(
    repo: Repository, *, seed: int = DEMO_SEED, n_facilities: int = DEMO_FACILITIES
) -> SeedResult:
    """Fill an empty database with deterministic demo data; do nothing if it holds any facility.

    Raises :class:`DemoRefused` (nothing written) when the database holds any real record:
    demo accounts and data only ever go into an empty database, which is then marked as a demo
    database (``app_meta.demo_database``).

    Everything goes into the caller's unit of work (``repo`` acting for the system; open it with
    ``write=True``), so either all the demo data is there or none. Order (the random draws
    depend on it): demo accounts, facilities with their audits, then reports and work orders,
    which build on the facilities.
    """
    claim_demo_database(repo)
    accounts = seed_demo_accounts(repo)
    if repo.has_facilities():
        message = f"database already holds facilities: demo data not added; {accounts}"
        return SeedResult(False, 0, 0, message)
    rng = np.random.default_rng(seed)
    n_audits = seed_demo_facilities(repo, rng, seed=seed, n_facilities=n_facilities)
    notes = [seed_demo_reports(repo, rng), seed_demo_workorders(repo, rng)]
    message = f"demo data seeded (synthetic): {n_facilities} facilities, {n_audits} audits"
    message += "; " + "; ".join([*notes, accounts])
    return SeedResult(True, n_facilities, n_audits, message)


__all__ = [
    "DEMO_ACCOUNTS",
    "DEMO_BUREAU",
    "DEMO_DATABASE_FLAG",
    "DEMO_FACILITIES",
    "DEMO_INSPECTOR",
    "DEMO_RESIDENT",
    "DEMO_SEED",
    "START",
    "DemoRefused",
    "SeedResult",
    "claim_demo_database",
    "random_measurements",
    "seed_demo",
    "seed_demo_accounts",
    "seed_demo_facilities",
    "seed_demo_reports",
    "seed_demo_workorders",
]
