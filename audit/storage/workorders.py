"""SQL of work orders (the workflow rules are in :mod:`audit.workorders`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from audit.storage.orm import Audit, Facility, Report, WorkOrder

if TYPE_CHECKING:  # pandas is imported where a frame is made, not by a cold process
    import pandas as pd


class WorkOrderStore:
    """Queries of the ``work_orders`` table within one unit of work."""

    def __init__(self, session: so.Session) -> None:
        self.session = session

    def get(self, order_id: int) -> WorkOrder | None:
        return self.session.get(WorkOrder, order_id)

    def add(self, row: WorkOrder) -> WorkOrder:
        """Insert an order and give it its id."""
        self.session.add(row)
        self.session.flush()
        return row

    def any_demo(self) -> bool:
        """True when a synthetic demo work order exists."""
        found = self.session.scalar(
            sa.select(WorkOrder.id).where(WorkOrder.is_demo.is_(True)).limit(1)
        )
        return found is not None

    def latest_compliant_audit_after(self, facility_id: int, after: datetime) -> Audit | None:
        """The newest submitted compliant audit of a facility submitted after ``after``."""
        return self.session.scalar(
            sa.select(Audit)
            .where(Audit.facility_id == facility_id, Audit.status == "submitted",
                   Audit.verdict == "compliant", Audit.submitted_at > after)
            .order_by(Audit.submitted_at.desc(), Audit.id.desc())
            .limit(1)
        )

    def open_targets(self, open_statuses: Sequence[str]) -> tuple[set[int], set[int]]:
        """(facility ids, report ids) that already have an order in ``open_statuses``."""
        rows = self.session.execute(
            sa.select(WorkOrder.facility_id, WorkOrder.report_id)
            .where(WorkOrder.status.in_(list(open_statuses)))
        ).all()
        return ({int(f) for f, _ in rows if f is not None},
                {int(r) for _, r in rows if r is not None})

    def frame(self) -> pd.DataFrame:
        """Every order with its facility's or report's place, district and type (one row each)."""
        stmt = (
            sa.select(
                WorkOrder.id.label("work_order_id"), WorkOrder.facility_id, WorkOrder.report_id,
                WorkOrder.title, WorkOrder.responsible_unit, WorkOrder.due_date,
                WorkOrder.cost_yuan, WorkOrder.status, WorkOrder.verified_audit_id,
                WorkOrder.created_at, WorkOrder.done_at, WorkOrder.verified_at,
                WorkOrder.row_version, WorkOrder.is_demo,
                Facility.facility_type,
                sa.func.coalesce(Facility.district_code, Report.district_code)
                .label("district_code"),
                sa.func.coalesce(Facility.lon, Report.lon).label("lon"),
                sa.func.coalesce(Facility.lat, Report.lat).label("lat"),
                Facility.name.label("facility_name"), Report.code.label("report_code"),
                Report.category.label("report_category"),
            )
            .outerjoin(Facility, Facility.id == WorkOrder.facility_id)
            .outerjoin(Report, Report.id == WorkOrder.report_id)
            .order_by(WorkOrder.id)
        )
        rows = self.session.execute(stmt).all()
        import pandas as pd

        return pd.DataFrame(rows, columns=list(stmt.selected_columns.keys()))
