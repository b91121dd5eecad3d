"""Demo data: deterministic, labelled synthetic everywhere, and never duplicated by a re-run."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from audit.actors import SYSTEM
from audit.demo import seed_demo
from audit.storage import Database, open_database, upgrade_to_head
from audit.storage.orm import Audit, Facility, Report, WorkOrder
from audit.storage.repository import Repository


def _snapshot(db: Database) -> list[tuple[object, ...]]:
    with db.session() as s:
        return [
            tuple(r)
            for r in s.execute(
                sa.select(
                    Facility.facility_type,
                    Facility.lon,
                    Facility.lat,
                    Facility.district_code,
                    Audit.verdict,
                    Audit.score,
                )
                .join(Audit, Audit.facility_id == Facility.id)
                .order_by(Audit.id)
            )
        ]


def test_demo_seed_is_deterministic_labelled_and_idempotent(tmp_path: Path) -> None:
    dbs = []
    for name in ("a", "b"):
        db = open_database(f"sqlite:///{tmp_path / name}.sqlite3")
        upgrade_to_head(db)
        with db.unit_of_work(SYSTEM, write=True) as repo:
            first = seed_demo(repo, n_facilities=40)
        assert first.seeded and first.facilities == 40
        dbs.append(db)
    assert _snapshot(dbs[0]) == _snapshot(dbs[1])
    db = dbs[0]
    with db.unit_of_work(SYSTEM, write=True) as repo:
        again = seed_demo(repo, n_facilities=40)
    assert not again.seeded
    with db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Facility)) == 40
        assert s.scalar(sa.select(sa.func.count()).where(Facility.is_demo.is_(False))) == 0
        assert s.scalar(sa.select(sa.func.count()).where(Audit.is_demo.is_(False))) == 0
        assert s.scalar(sa.select(sa.func.count()).where(Report.is_demo.is_(False))) == 0
        assert s.scalar(sa.select(sa.func.count()).where(WorkOrder.is_demo.is_(False))) == 0
        names = s.scalars(sa.select(Facility.name)).all()
        assert all("演示" in n and "demo" in n for n in names)
        assert Repository(s).has_demo_data()
        verdicts = set(s.scalars(sa.select(Audit.verdict)))
    # a realistic mix, not all one verdict
    assert {"compliant", "non_compliant"} <= verdicts
