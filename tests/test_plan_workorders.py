"""A whole retrofit plan becomes work orders in one step (issue 17 item 11): one order per plan
row, all or none, never doubled, role-checked."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa
from bureau_fixtures import facility, report

from audit.actors import Actor
from audit.errors import InputError, PermissionDenied
from audit.storage import Database
from audit.storage.orm import WorkOrder
from audit.workorders import create_plan_work_orders, create_work_order

BUREAU = Actor(7, "chen", "bureau")
DUE = date(2030, 6, 1)


def _plan(rows: list[dict[str, object]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["candidate_id", "facility_id", "report_id", "name",
                                       "cost_yuan", "is_demo"])


def _orders(db: Database) -> list[tuple[int | None, int | None, str, float | None]]:
    with db.session() as s:
        return [tuple(r) for r in s.execute(  # type: ignore[misc]
            sa.select(WorkOrder.facility_id, WorkOrder.report_id, WorkOrder.title,
                      WorkOrder.cost_yuan).order_by(WorkOrder.id))]


def test_plan_orders_all_or_none_and_never_doubled(sqlite_db: Database) -> None:
    db = sqlite_db
    with db.unit_of_work(BUREAU, write=True) as repo:
        f1 = facility(repo.session, "ramp", "441702")
        f2 = facility(repo.session, "toilet", "441704")
        r1 = report(repo.session, "441721", "tactile_blocked", status="verified")
        create_work_order(repo, facility_id=f2, responsible_unit="住建", due_date=DUE)
    plan = _plan([
        {"candidate_id": f"F{f1}", "facility_id": f1, "report_id": None, "name": "坡道",
         "cost_yuan": 20000.0, "is_demo": False},
        {"candidate_id": f"F{f2}", "facility_id": f2, "report_id": None, "name": "卫生间",
         "cost_yuan": 8000.0, "is_demo": False},
        {"candidate_id": f"R{r1}", "facility_id": float("nan"), "report_id": r1,
         "name": "R1 (tactile_blocked)", "cost_yuan": float("nan"), "is_demo": False},
    ])
    # a bad row anywhere: nothing written
    bad = pd.concat([plan, _plan([{"candidate_id": "X", "facility_id": None, "report_id": None,
                                   "name": "?", "cost_yuan": 1.0, "is_demo": False}])])
    before = _orders(db)
    with pytest.raises(InputError) as caught, db.unit_of_work(BUREAU, write=True) as repo:
        create_plan_work_orders(repo, bad, responsible_unit="城管", due_date=DUE)
    assert caught.value.problems[0].field == "plan[3].facility_id"
    # a failure while writing the last order (no such facility) rolls the earlier ones back
    gone = pd.concat([plan, _plan([{"candidate_id": "F9999", "facility_id": 9999,
                                    "report_id": None, "name": "?", "cost_yuan": 1.0,
                                    "is_demo": False}])])
    with pytest.raises(InputError) as caught, db.unit_of_work(BUREAU, write=True) as repo:
        create_plan_work_orders(repo, gone, responsible_unit="城管", due_date=DUE)
    assert caught.value.problems[0].field == "facility_id"
    assert _orders(db) == before
    with db.unit_of_work(BUREAU, write=True) as repo:
        done = create_plan_work_orders(repo, plan, responsible_unit="城管", due_date=DUE)
    assert [o.facility_id for o in done.created] == [f1, None]
    assert done.skipped == [f"F{f2}"]  # already has an open order
    assert _orders(db)[1:] == [(f1, None, "坡道", 20000.0), (None, r1, "R1 (tactile_blocked)",
                                                               None)]
    with db.unit_of_work(BUREAU, write=True) as repo:  # the same plan again doubles nothing
        again = create_plan_work_orders(repo, plan, responsible_unit="城管", due_date=DUE)
    assert again.created == [] and len(again.skipped) == 3
    with pytest.raises(PermissionDenied), \
            db.unit_of_work(Actor(8, "wu", "inspector"), write=True) as repo:
        create_plan_work_orders(repo, plan, responsible_unit="城管", due_date=DUE)
    with pytest.raises(InputError), db.unit_of_work(BUREAU, write=True) as repo:
        create_plan_work_orders(repo, plan.iloc[0:0], responsible_unit="城管", due_date=DUE)
