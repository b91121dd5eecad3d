"""Work orders: from a gap (non-compliant facility) or a resident report to a verified fix.

Statuses ``planned → in_progress → done → verified`` (and ``done → in_progress`` for rework).
``verified`` needs proof: a NEW submitted audit of the facility, **compliant**, submitted after
the order was marked done. Every change checks ``workorder.manage`` and is written to the change
log in the same transaction; optimistic locking (``row_version``) stops two people overwriting
each other.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
import sqlalchemy.orm as so

from audit.actors import SYSTEM, Actor, require
from audit.errors import ConflictError, InputError, NotFoundError, Problem
from audit.storage import Database
from audit.storage.orm import Audit, Facility, Report, WorkOrder, utcnow
from audit.storage.repository import Repository

STATUSES: tuple[str, ...] = ("planned", "in_progress", "done", "verified")
#: allowed moves: from → to
TRANSITIONS: dict[str, frozenset[str]] = {
    "planned": frozenset({"in_progress"}),
    "in_progress": frozenset({"done", "planned"}),
    "done": frozenset({"verified", "in_progress"}),
    "verified": frozenset(),
}
OPEN_STATUSES: tuple[str, ...] = ("planned", "in_progress")
MAX_TITLE = 300
MAX_UNIT = 200


@dataclass(frozen=True)
class WorkOrderRecord:
    """A work order as plain data."""

    id: int
    facility_id: int | None
    report_id: int | None
    title: str
    responsible_unit: str
    due_date: date | None
    cost_yuan: float | None
    status: str
    verified_audit_id: int | None
    created_at: datetime
    updated_at: datetime
    done_at: datetime | None
    verified_at: datetime | None
    row_version: int
    is_demo: bool

    @classmethod
    def of(cls, row: WorkOrder) -> WorkOrderRecord:
        return cls(**{f: getattr(row, f) for f in cls.__dataclass_fields__})


def _view(record: WorkOrderRecord) -> dict[str, Any]:
    """The change-log view of an order (dates as ISO text)."""
    view = asdict(record)
    view["due_date"] = record.due_date.isoformat() if record.due_date else None
    return view


def _row(session: so.Session, order_id: int) -> WorkOrder:
    row = session.get(WorkOrder, order_id)
    if row is None:
        msg = f"work order {order_id} does not exist"
        raise NotFoundError(msg)
    return row


def create_work_order(
    session: so.Session,
    actor: Actor,
    *,
    facility_id: int | None = None,
    report_id: int | None = None,
    title: str = "",
    responsible_unit: str,
    due_date: date,
    cost_yuan: float | None = None,
    is_demo: bool = False,
) -> WorkOrderRecord:
    """Create a planned work order for a facility gap or a resident report (or both)."""
    require(actor, "workorder.manage")
    problems: list[Problem] = []
    if facility_id is None and report_id is None:
        problems.append(Problem("facility_id/report_id", None, "a facility or a report (or both)"))
    if facility_id is not None and session.get(Facility, facility_id) is None:
        problems.append(Problem("facility_id", facility_id, "an existing facility id"))
    report = session.get(Report, report_id) if report_id is not None else None
    if report_id is not None and report is None:
        problems.append(Problem("report_id", report_id, "an existing report id"))
    if not isinstance(responsible_unit, str) or not responsible_unit.strip() or len(
            responsible_unit) > MAX_UNIT:
        problems.append(Problem("responsible_unit", responsible_unit,
                                f"the responsible unit's name, 1 to {MAX_UNIT} characters"))
    if not isinstance(title, str) or len(title) > MAX_TITLE:
        problems.append(Problem("title", title, f"text of at most {MAX_TITLE} characters"))
    if not isinstance(due_date, date) or isinstance(due_date, datetime):
        problems.append(Problem("due_date", due_date, "a date (YYYY-MM-DD)"))
    if cost_yuan is not None and (
        isinstance(cost_yuan, bool) or not isinstance(cost_yuan, int | float)
        or not math.isfinite(cost_yuan) or cost_yuan < 0
    ):
        problems.append(Problem("cost_yuan", cost_yuan, "a number of yuan ≥ 0, or empty"))
    if problems:
        raise InputError(problems, "work order")
    if facility_id is None and report is not None:
        facility_id = report.facility_id
    row = WorkOrder(
        facility_id=facility_id, report_id=report_id, title=title.strip(),
        responsible_unit=responsible_unit.strip(), due_date=due_date,
        cost_yuan=None if cost_yuan is None else float(cost_yuan), status="planned",
        is_demo=is_demo,
    )
    session.add(row)
    session.flush()
    record = WorkOrderRecord.of(row)
    Repository(session, actor).log("work_order", row.id, "create", None, _view(record))
    return record


def latest_compliant_audit_after(
    session: so.Session, facility_id: int, after: datetime
) -> Audit | None:
    """The newest submitted compliant audit of a facility submitted after ``after``."""
    return session.scalar(
        sa.select(Audit)
        .where(Audit.facility_id == facility_id, Audit.status == "submitted",
               Audit.verdict == "compliant", Audit.submitted_at > after)
        .order_by(Audit.submitted_at.desc(), Audit.id.desc())
        .limit(1)
    )


def set_status(
    session: so.Session,
    actor: Actor,
    order_id: int,
    status: str,
    *,
    expected_row_version: int | None = None,
    audit_id: int | None = None,
    now: datetime | None = None,
) -> WorkOrderRecord:
    """Move a work order to ``status``; ``verified`` needs a new compliant audit (see module)."""
    require(actor, "workorder.manage")
    row = _row(session, order_id)
    if status not in STATUSES:
        raise InputError(Problem("status", status, f"one of {', '.join(STATUSES)}"))
    if status not in TRANSITIONS[row.status]:
        allowed = ", ".join(sorted(TRANSITIONS[row.status])) or "none (final)"
        raise InputError(Problem("status", status,
                                 f"from {row.status!r} only: {allowed}"), f"work order {order_id}")
    if expected_row_version is not None and row.row_version != expected_row_version:
        msg = (f"work order {order_id} was changed by someone else (version {row.row_version}, "
               f"you edited version {expected_row_version}); reload it — nothing was overwritten")
        raise ConflictError(msg)
    at = now or utcnow()
    before = _view(WorkOrderRecord.of(row))
    if status == "verified":
        if row.facility_id is None:
            raise InputError(Problem("facility_id", None,
                                     "link the report to a facility and audit it before verifying"))
        assert row.done_at is not None
        if audit_id is not None:
            proof = session.get(Audit, audit_id)
            problems: list[Problem] = []
            if proof is None or proof.facility_id != row.facility_id:
                problems.append(Problem("audit_id", audit_id,
                                        f"an audit of facility {row.facility_id}"))
            elif proof.status != "submitted" or proof.verdict != "compliant":
                problems.append(Problem("audit_id", audit_id,
                                        f"a submitted compliant audit (it is {proof.verdict})"))
            elif proof.submitted_at is None or proof.submitted_at <= row.done_at:
                problems.append(Problem("audit_id", audit_id,
                                        f"an audit submitted after the fix was done "
                                        f"({row.done_at:%Y-%m-%d %H:%M} UTC)"))
            if problems:
                raise InputError(problems, f"verify work order {order_id}")
        else:
            proof = latest_compliant_audit_after(session, row.facility_id, row.done_at)
            if proof is None:
                raise InputError(Problem(
                    "audit", None,
                    f"a new compliant audit of facility {row.facility_id} submitted after the "
                    f"order was done ({row.done_at:%Y-%m-%d %H:%M} UTC); ask an inspector to "
                    "re-audit it"), f"verify work order {order_id}")
        assert proof is not None
        row.verified_audit_id = proof.id
        row.verified_at = at
    elif status == "done":
        row.done_at = at
        row.verified_at = None
    elif row.status == "done":  # rework
        row.done_at = None
    row.status = status
    row.updated_at = at
    try:
        session.flush()
    except so.exc.StaleDataError as exc:
        msg = f"work order {order_id} was saved by someone else at the same moment; reload it"
        raise ConflictError(msg) from exc
    record = WorkOrderRecord.of(row)
    Repository(session, actor).log("work_order", row.id, f"status:{status}", before,
                                   _view(record))
    return record


def work_order_frame(session: so.Session, *, today: date | None = None) -> pd.DataFrame:
    """All work orders with place, district, type and an ``overdue`` flag (for UI, map, export)."""
    day = today or datetime.now(UTC).date()
    stmt = (
        sa.select(
            WorkOrder.id.label("work_order_id"), WorkOrder.facility_id, WorkOrder.report_id,
            WorkOrder.title, WorkOrder.responsible_unit, WorkOrder.due_date, WorkOrder.cost_yuan,
            WorkOrder.status, WorkOrder.verified_audit_id, WorkOrder.created_at,
            WorkOrder.done_at, WorkOrder.verified_at, WorkOrder.row_version, WorkOrder.is_demo,
            Facility.facility_type,
            sa.func.coalesce(Facility.district_code, Report.district_code).label("district_code"),
            sa.func.coalesce(Facility.lon, Report.lon).label("lon"),
            sa.func.coalesce(Facility.lat, Report.lat).label("lat"),
            Facility.name.label("facility_name"), Report.code.label("report_code"),
            Report.category.label("report_category"),
        )
        .outerjoin(Facility, Facility.id == WorkOrder.facility_id)
        .outerjoin(Report, Report.id == WorkOrder.report_id)
        .order_by(WorkOrder.id)
    )
    rows = session.execute(stmt).all()
    frame = pd.DataFrame(rows, columns=list(stmt.selected_columns.keys()))
    for col in ("created_at", "done_at", "verified_at"):
        frame[col] = pd.to_datetime(frame[col], utc=True)
    frame["is_demo"] = frame["is_demo"].astype(bool)
    due = pd.to_datetime(frame["due_date"])
    frame["overdue"] = frame["status"].isin(OPEN_STATUSES) & (due < pd.Timestamp(day))
    frame["days_overdue"] = np.where(frame["overdue"], (pd.Timestamp(day) - due).dt.days, 0)
    return frame


def overdue_orders(session: so.Session, *, today: date | None = None) -> pd.DataFrame:
    """Planned or in-progress orders past their due date, most overdue first."""
    frame = work_order_frame(session, today=today)
    return frame[frame["overdue"]].sort_values("days_overdue", ascending=False).reset_index(
        drop=True)


def time_to_fix(session: so.Session) -> pd.DataFrame:
    """Days from creation to done and to verified, per district × facility type.

    Columns: ``district_code, facility_type, orders, done, verified, median_days_to_done,
    mean_days_to_done, median_days_to_verified``.
    """
    f = work_order_frame(session)
    f["facility_type"] = f["facility_type"].fillna(f["report_category"])
    f["to_done"] = (f["done_at"] - f["created_at"]).dt.total_seconds() / 86400
    f["to_verified"] = (f["verified_at"] - f["created_at"]).dt.total_seconds() / 86400
    if f.empty:
        return pd.DataFrame(columns=["district_code", "facility_type", "orders", "done",
                                     "verified", "median_days_to_done", "mean_days_to_done",
                                     "median_days_to_verified"])
    g = f.groupby(["district_code", "facility_type"], dropna=False)
    return g.agg(
        orders=("work_order_id", "size"),
        done=("done_at", "count"),
        verified=("verified_at", "count"),
        median_days_to_done=("to_done", "median"),
        mean_days_to_done=("to_done", "mean"),
        median_days_to_verified=("to_verified", "median"),
    ).reset_index()


# ----------------------------------------------------------------------------- demo

DEMO_UNITS: tuple[str, ...] = (
    "演示：江城区住房和城乡建设局 (demo unit)",
    "演示：市城管综合执法局市政科 (demo unit)",
    "演示：市交通运输局 (demo unit)",
)
DEMO_ORDERS = 24


def seed_demo_workorders(db: Database, rng: np.random.Generator) -> str:
    """Deterministic synthetic work orders on demo non-compliant facilities (is_demo=True).

    Some are planned, some in progress (a few overdue), some done, and — where the synthetic
    follow-up audit is compliant — verified through :func:`set_status` (the real rule).
    """
    from audit.demo import DEMO_INSPECTOR, START
    from audit.model import random_measurements

    actor = Actor(None, "演示城管局 demo-bureau", "system")
    with db.session(write=True) as s:
        repo = Repository(s, SYSTEM)
        if s.scalar(sa.select(WorkOrder.id).where(WorkOrder.is_demo.is_(True)).limit(1)):
            return "demo work orders already present"
        frame = repo.facility_frame(verdicts=["non_compliant"])
        frame = frame[frame["is_demo"]]
        if frame.empty:
            return "no demo work orders (no non-compliant demo facility)"
        pick = rng.choice(len(frame), size=min(DEMO_ORDERS, len(frame)), replace=False)
        verified = 0
        for j, i in enumerate(sorted(int(p) for p in pick)):
            fac = frame.iloc[i]
            created = START + timedelta(days=200 + float(rng.random() * 300))
            due = (created + timedelta(days=int(30 + rng.integers(0, 90)))).date()
            order = create_work_order(
                s, actor, facility_id=int(fac["facility_id"]),
                title=f"演示整改：{fac['name']}（合成数据）",
                responsible_unit=DEMO_UNITS[j % len(DEMO_UNITS)], due_date=due,
                cost_yuan=float(5000 + 1000 * rng.integers(0, 30)), is_demo=True,
            )
            row = s.get(WorkOrder, order.id)
            assert row is not None
            row.created_at = row.updated_at = created
            stage = j % 4  # 0 planned, 1 in progress, 2 done, 3 done + re-audit
            if stage >= 1:
                set_status(s, actor, order.id, "in_progress",
                           now=created + timedelta(days=3))
            if stage >= 2:
                done_at = created + timedelta(days=float(10 + rng.random() * 40))
                set_status(s, actor, order.id, "done", now=done_at)
            if stage == 3:
                auditor = Repository(s, DEMO_INSPECTOR)
                ftype = str(fac["facility_type"])
                from audit.scoring import evaluate

                for attempt in range(20):
                    m = random_measurements(ftype, rng, missing_rate=0.0)
                    evaluation = evaluate(ftype, m)
                    if evaluation.verdict == "compliant" or attempt == 19:
                        break
                audit = auditor.submit_audit(
                    int(fac["facility_id"]), evaluation,
                    submitted_at=done_at + timedelta(days=5), source="demo",
                    notes="演示整改后复查（合成） / synthetic demo follow-up audit",
                    idempotency_key=f"demo-wo-{order.id}", is_demo=True,
                )
                if audit.verdict == "compliant":
                    set_status(s, actor, order.id, "verified", audit_id=audit.id,
                               now=done_at + timedelta(days=6))
                    verified += 1
    n = len(pick)
    return f"{n} synthetic demo work orders ({verified} verified by a compliant follow-up audit)"


__all__ = [
    "OPEN_STATUSES",
    "STATUSES",
    "TRANSITIONS",
    "WorkOrderRecord",
    "create_work_order",
    "latest_compliant_audit_after",
    "overdue_orders",
    "seed_demo_workorders",
    "set_status",
    "time_to_fix",
    "work_order_frame",
]
