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
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd

from audit.actors import require
from audit.errors import ConflictError, InputError, NotFoundError, Problem
from audit.frames import frame_rows
from audit.storage.orm import WorkOrder, utcnow
from audit.storage.repository import AuditRecord, Repository

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


def _row(repo: Repository, order_id: int) -> WorkOrder:
    row = repo.work_orders.get(order_id)
    if row is None:
        msg = f"work order {order_id} does not exist"
        raise NotFoundError(msg)
    return row


def create_work_order(
    repo: Repository,
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
    require(repo.actor, "workorder.manage")
    problems: list[Problem] = []
    if facility_id is None and report_id is None:
        problems.append(Problem("facility_id/report_id", None, "a facility or a report (or both)",
                                code="target_required"))
    if facility_id is not None and not repo.facility_exists(facility_id):
        problems.append(Problem("facility_id", facility_id, "an existing facility id",
                                code="not_found"))
    report = repo.reports.get(report_id) if report_id is not None else None
    if report_id is not None and report is None:
        problems.append(Problem("report_id", report_id, "an existing report id",
                                code="not_found"))
    if not isinstance(responsible_unit, str) or not responsible_unit.strip() or len(
            responsible_unit) > MAX_UNIT:
        problems.append(Problem("responsible_unit", responsible_unit,
                                f"the responsible unit's name, 1 to {MAX_UNIT} characters",
                                code="length", params={"min": 1, "max": MAX_UNIT}))
    if not isinstance(title, str) or len(title) > MAX_TITLE:
        problems.append(Problem("title", title, f"text of at most {MAX_TITLE} characters",
                                code="length", params={"min": 0, "max": MAX_TITLE}))
    if not isinstance(due_date, date) or isinstance(due_date, datetime):
        problems.append(Problem("due_date", due_date, "a date (YYYY-MM-DD)", code="date"))
    if cost_yuan is not None and (
        isinstance(cost_yuan, bool) or not isinstance(cost_yuan, int | float)
        or not math.isfinite(cost_yuan) or cost_yuan < 0
    ):
        problems.append(Problem("cost_yuan", cost_yuan, "a number of yuan ≥ 0, or empty",
                                code="min", params={"min": 0}))
    if problems:
        raise InputError(problems, "work order")
    if facility_id is None and report is not None:
        facility_id = report.facility_id
    row = repo.work_orders.add(WorkOrder(
        facility_id=facility_id, report_id=report_id, title=title.strip(),
        responsible_unit=responsible_unit.strip(), due_date=due_date,
        cost_yuan=None if cost_yuan is None else float(cost_yuan), status="planned",
        is_demo=is_demo,
    ))
    record = WorkOrderRecord.of(row)
    repo.log("work_order", row.id, "create", None, _view(record))
    return record


@dataclass(frozen=True)
class PlanOrders:
    """What :func:`create_plan_work_orders` did: the orders created and the plan rows skipped
    because their facility or report already has an open order (by candidate id)."""

    created: list[WorkOrderRecord]
    skipped: list[str]


def create_plan_work_orders(
    repo: Repository,
    plan: pd.DataFrame,
    *,
    responsible_unit: str,
    due_date: date,
) -> PlanOrders:
    """One planned work order per row of a retrofit plan (:func:`audit.priority.optimise_plan`'s
    ``selected``: ``candidate_id, facility_id, report_id, name, cost_yuan, is_demo``), in the
    caller's unit of work — all of them or none: every row is checked before anything is
    written, and a failure while writing rolls the whole unit of work back. A row whose facility
    or report already has an open order is skipped (listed), never doubled."""
    require(repo.actor, "workorder.manage")
    needed = {"candidate_id", "facility_id", "report_id", "name", "cost_yuan"}
    missing = sorted(needed - set(plan.columns))
    if missing:
        raise InputError(Problem("plan", missing, "a retrofit plan with the columns "
                                 + ", ".join(sorted(needed))))
    if plan.empty:
        raise InputError(Problem("plan", 0, "a plan with at least one selected fix"))
    open_facilities, open_reports = repo.work_orders.open_targets(OPEN_STATUSES)
    todo: list[dict[str, Any]] = []
    skipped: list[str] = []
    problems: list[Problem] = []
    for i, row in enumerate(frame_rows(plan)):
        fid = _id_or_none(row.facility_id)
        rid = _id_or_none(row.report_id)
        if fid is None and rid is None:
            problems.append(Problem(f"plan[{i}].facility_id", row.candidate_id,
                                    "a row naming a facility or a report"))
            continue
        if (rid is not None and rid in open_reports) or (rid is None and fid in open_facilities):
            skipped.append(str(row.candidate_id))
            continue
        cost = row.cost_yuan
        todo.append({"facility_id": fid, "report_id": rid, "title": str(row.name)[:MAX_TITLE],
                     "cost_yuan": None if cost is None or pd.isna(cost) else float(cost),
                     "is_demo": bool(getattr(row, "is_demo", False))})
    if problems:
        raise InputError(problems, "retrofit plan")
    created = [create_work_order(repo, responsible_unit=responsible_unit, due_date=due_date,
                                 **item) for item in todo]
    return PlanOrders(created, skipped)


def _id_or_none(value: Any) -> int | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return int(value)


def latest_compliant_audit_after(
    repo: Repository, facility_id: int, after: datetime
) -> AuditRecord | None:
    """The newest submitted compliant audit of a facility submitted after ``after``."""
    row = repo.work_orders.latest_compliant_audit_after(facility_id, after)
    return None if row is None else AuditRecord.of(row)


def set_status(
    repo: Repository,
    order_id: int,
    status: str,
    *,
    expected_row_version: int | None = None,
    audit_id: int | None = None,
    now: datetime | None = None,
) -> WorkOrderRecord:
    """Move a work order to ``status``; ``verified`` needs a new compliant audit (see module).

    With ``expected_row_version`` (the version the caller read) the change is refused with
    :class:`~audit.errors.ConflictError` if someone else changed the order since.
    """
    require(repo.actor, "workorder.manage")
    row = _row(repo, order_id)
    if status not in STATUSES:
        raise InputError(Problem("status", status, f"one of {', '.join(STATUSES)}",
                                 code="choice",
                                 params={"choices": STATUSES, "kind": "work_order_status"}))
    # a stale view first: judged against the order as it is now, a move could look wrong
    if expected_row_version is not None and row.row_version != expected_row_version:
        msg = (f"work order {order_id} was changed by someone else (version {row.row_version}, "
               f"you edited version {expected_row_version}); reload it — nothing was overwritten")
        raise ConflictError(msg)
    if status not in TRANSITIONS[row.status]:
        allowed = ", ".join(sorted(TRANSITIONS[row.status])) or "none (final)"
        raise InputError(Problem(
            "status", status, f"from {row.status!r} only: {allowed}", code="transition",
            params={"current": row.status, "choices": tuple(sorted(TRANSITIONS[row.status])),
                    "kind": "work_order_status"}), f"work order {order_id}")
    at = now or utcnow()
    before = _view(WorkOrderRecord.of(row))
    if status == "verified":
        if row.facility_id is None:
            raise InputError(Problem("facility_id", None,
                                     "link the report to a facility and audit it before verifying",
                                     code="verify_needs_facility"))
        assert row.done_at is not None
        proof: AuditRecord | None
        if audit_id is not None:
            proof = repo.find_audit(audit_id)
            problems: list[Problem] = []
            if proof is None or proof.facility_id != row.facility_id:
                problems.append(Problem("audit_id", audit_id,
                                        f"an audit of facility {row.facility_id}",
                                        code="verify_proof"))
            elif proof.status != "submitted" or proof.verdict != "compliant":
                problems.append(Problem("audit_id", audit_id,
                                        f"a submitted compliant audit (it is {proof.verdict})",
                                        code="verify_proof"))
            elif proof.submitted_at is None or proof.submitted_at <= row.done_at:
                problems.append(Problem("audit_id", audit_id,
                                        f"an audit submitted after the fix was done "
                                        f"({row.done_at:%Y-%m-%d %H:%M} UTC)", code="verify_proof"))
            if problems:
                raise InputError(problems, f"verify work order {order_id}")
        else:
            proof = latest_compliant_audit_after(repo, row.facility_id, row.done_at)
            if proof is None:
                raise InputError(Problem(
                    "audit", None,
                    f"a new compliant audit of facility {row.facility_id} submitted after the "
                    f"order was done ({row.done_at:%Y-%m-%d %H:%M} UTC); ask an inspector to "
                    "re-audit it", code="verify_proof"), f"verify work order {order_id}")
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
    repo.flush_or_conflict(f"work order {order_id}")
    record = WorkOrderRecord.of(row)
    repo.log("work_order", row.id, f"status:{status}", before, _view(record))
    return record


def work_order_frame(repo: Repository, *, today: date | None = None) -> pd.DataFrame:
    """All work orders with place, district, type and an ``overdue`` flag (for UI, map, export)."""
    day = today or datetime.now(UTC).date()
    frame = repo.work_orders.frame()
    for col in ("created_at", "done_at", "verified_at"):
        frame[col] = pd.to_datetime(frame[col], utc=True)
    frame["is_demo"] = frame["is_demo"].astype(bool)
    due = pd.to_datetime(frame["due_date"])
    frame["overdue"] = frame["status"].isin(OPEN_STATUSES) & (due < pd.Timestamp(day))
    frame["days_overdue"] = np.where(frame["overdue"], (pd.Timestamp(day) - due).dt.days, 0)
    return frame


def overdue_orders(repo: Repository, *, today: date | None = None) -> pd.DataFrame:
    """Planned or in-progress orders past their due date, most overdue first."""
    frame = work_order_frame(repo, today=today)
    return frame[frame["overdue"]].sort_values("days_overdue", ascending=False).reset_index(
        drop=True)


def time_to_fix(repo: Repository) -> pd.DataFrame:
    """Days from creation to done and to verified, per district × facility type.

    Columns: ``district_code, facility_type, orders, done, verified, median_days_to_done,
    mean_days_to_done, median_days_to_verified``.
    """
    f = work_order_frame(repo)
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


__all__ = [
    "OPEN_STATUSES",
    "STATUSES",
    "TRANSITIONS",
    "PlanOrders",
    "WorkOrderRecord",
    "create_plan_work_orders",
    "create_work_order",
    "latest_compliant_audit_after",
    "overdue_orders",
    "set_status",
    "time_to_fix",
    "work_order_frame",
]
