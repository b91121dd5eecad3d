"""Work orders: lifecycle with proof of fix, roles, validation, overdue, time-to-fix, demo."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
import sqlalchemy as sa
from bureau_fixtures import T0, audit, facility, report

from audit.actors import ANONYMOUS, SYSTEM, Actor
from audit.errors import ConflictError, InputError, PermissionDenied
from audit.storage import Database
from audit.storage.orm import WorkOrder
from audit.storage.repository import Repository
from audit.workorders import (
    create_work_order,
    overdue_orders,
    set_status,
    time_to_fix,
    work_order_frame,
)

BUREAU = Actor(7, "chen", "bureau")


def test_lifecycle_requires_a_new_compliant_audit(db: Database) -> None:
    with db.unit_of_work(BUREAU, write=True) as repo:
        s = repo.session
        fid = facility(s, "ramp", "441702")
        audit(s, fid, "non_compliant", {"critical": 1}, at=T0)
        old_ok = audit(s, fid, "compliant", at=T0 + timedelta(days=1))
        wo = create_work_order(repo, facility_id=fid, title="修坡道",
                               responsible_unit="江城区住建局", due_date=date(2025, 9, 1),
                               cost_yuan=20000)
        with pytest.raises(InputError):  # planned → verified is not a move
            set_status(repo, wo.id, "verified")
        set_status(repo, wo.id, "in_progress", now=T0 + timedelta(days=5))
        done = set_status(repo, wo.id, "done", now=T0 + timedelta(days=10))
        assert done.done_at is not None
        with pytest.raises(InputError):  # no audit after the fix
            set_status(repo, wo.id, "verified")
        with pytest.raises(InputError):  # an old compliant audit is no proof
            set_status(repo, wo.id, "verified", audit_id=old_ok)
        bad = audit(s, fid, "non_compliant", {"minor": 1}, at=T0 + timedelta(days=11))
        with pytest.raises(InputError):
            set_status(repo, wo.id, "verified", audit_id=bad)
        proof = audit(s, fid, "compliant", at=T0 + timedelta(days=12))
        v = set_status(repo, wo.id, "verified", now=T0 + timedelta(days=13))
        assert v.status == "verified" and v.verified_audit_id == proof
        history = Repository(s).history("work_order", wo.id)
        assert [h["action"] for h in history] == [
            "create", "status:in_progress", "status:done", "status:verified"]
        assert history[-1]["actor"] == "bureau:chen"
        with pytest.raises(InputError):  # verified is final
            set_status(repo, wo.id, "done")


@pytest.mark.parametrize("role", ["anonymous", "inspector"])
def test_only_bureau_may_manage(sqlite_db: Database, role: str) -> None:
    actor = ANONYMOUS if role == "anonymous" else Actor(3, "li", "inspector")
    with sqlite_db.unit_of_work(actor, write=True) as repo:
        fid = facility(repo.session, "ramp", "441702")
        with pytest.raises(PermissionDenied):
            create_work_order(repo, facility_id=fid, responsible_unit="x",
                              due_date=date(2025, 1, 1))


def test_bad_input_lists_every_problem_and_writes_nothing(sqlite_db: Database) -> None:
    with pytest.raises(InputError) as exc, sqlite_db.unit_of_work(BUREAU, write=True) as repo:
        create_work_order(repo, facility_id=999, responsible_unit=" ",
                          due_date="tomorrow", cost_yuan=-5)  # type: ignore[arg-type]
    fields = {p.field for p in exc.value.problems}
    assert fields == {"facility_id", "responsible_unit", "due_date", "cost_yuan"}
    with sqlite_db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(WorkOrder)) == 0


def test_report_order_overdue_and_time_to_fix(sqlite_db: Database) -> None:
    with sqlite_db.unit_of_work(BUREAU, write=True) as repo:
        s = repo.session
        fid = facility(s, "toilet", "441704")
        rid = report(s, "441704", "toilet_unusable", status="confirmed", facility_id=fid)
        late = create_work_order(repo, report_id=rid, responsible_unit="阳东区城管",
                                 due_date=date(2025, 3, 1))
        assert late.facility_id == fid  # taken from the report's linked facility
        ok = create_work_order(repo, facility_id=fid, responsible_unit="阳东区城管",
                               due_date=date(2025, 12, 1))
        row = s.get(WorkOrder, ok.id)
        assert row is not None
        row.created_at = T0
        set_status(repo, ok.id, "in_progress", now=T0 + timedelta(days=1))
        set_status(repo, ok.id, "done", now=T0 + timedelta(days=8))
    with sqlite_db.unit_of_work(BUREAU) as repo:
        over = overdue_orders(repo, today=date(2025, 6, 1))
        assert list(over.work_order_id) == [late.id] and over.days_overdue.iloc[0] == 92
        frame = work_order_frame(repo, today=date(2025, 6, 1))
        assert frame.loc[frame.work_order_id == late.id, "report_code"].iloc[0] == "R1"
        ttf = time_to_fix(repo)
    cell = ttf[(ttf.district_code == "441704") & (ttf.facility_type == "toilet")].iloc[0]
    assert (cell.orders, cell.done, cell.verified) == (2, 1, 0)
    assert cell.median_days_to_done == pytest.approx(8.0)


def test_demo_work_orders_are_deterministic(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from audit.demo import seed_demo
    from audit.demo.workorders import seed_demo_workorders
    from audit.storage import open_database, upgrade_to_head

    frames = []
    for k in range(2):
        db = open_database(f"sqlite:///{tmp_path / f'd{k}.sqlite3'}")
        upgrade_to_head(db)
        with db.unit_of_work(SYSTEM, write=True) as repo:
            result = seed_demo(repo, n_facilities=40)  # the demo seed includes the work orders
        assert "synthetic demo work orders" in result.message
        with db.unit_of_work(SYSTEM) as repo:
            f = work_order_frame(repo)
        frames.append(f[["facility_id", "status", "due_date", "cost_yuan", "title"]])
        assert f.is_demo.all() and f.title.str.contains("合成").all()
        with db.unit_of_work(SYSTEM, write=True) as repo:
            again = seed_demo_workorders(repo, np.random.default_rng(5))
        assert again.startswith("demo work orders")
        db.engine.dispose()
    assert frames[0].equals(frames[1])
    assert set(frames[0].status) >= {"planned", "in_progress", "done"}


def test_a_stale_row_version_is_refused_and_changes_nothing(db: Database) -> None:
    with db.unit_of_work(BUREAU, write=True) as repo:
        fid = facility(repo.session, "ramp", "441702")
        order = create_work_order(repo, facility_id=fid, responsible_unit="江城区住建局",
                                  due_date=date(2025, 9, 1))
    seen = order.row_version  # both bureau users open the page at this version
    with db.unit_of_work(BUREAU, write=True) as repo:
        moved = set_status(repo, order.id, "in_progress", expected_row_version=seen)
    assert moved.row_version == seen + 1
    with pytest.raises(ConflictError, match="changed by someone else"), \
            db.unit_of_work(Actor(8, "wu", "bureau"), write=True) as repo:
        set_status(repo, order.id, "in_progress", expected_row_version=seen)
    with db.unit_of_work(BUREAU) as repo:
        row = repo.work_orders.get(order.id)
        assert row is not None and (row.status, row.row_version) == ("in_progress", seen + 1)
        assert [h["action"] for h in repo.history("work_order", order.id)] == [
            "create", "status:in_progress"]
