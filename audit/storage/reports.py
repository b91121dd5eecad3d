"""SQL of resident reports, their supports ("me too") and private contacts.

The workflow rules (who may do what, which status follows which, validation) are in
:mod:`audit.reports`; everything here is a query or a write of rows, the same on SQLite and
PostGIS (PostGIS pre-filters spatially with its index; the final distance is computed by the
caller with the same haversine on both).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Literal

import sqlalchemy as sa
import sqlalchemy.orm as so

from audit.geo import degree_box
from audit.storage.orm import ChangeLog, Report, ReportContact, ReportSupport, point_ewkt

if TYPE_CHECKING:  # pandas is imported where a frame is made, not by a cold process
    import pandas as pd

#: Rows a client's rate limit counts: reports filed, or supports given.
RateKind = Literal["report", "support"]


class ReportStore:
    """Queries of ``reports``, ``report_supports`` and ``report_contacts`` in one unit of work."""

    def __init__(self, session: so.Session) -> None:
        self.session = session

    @property
    def _postgres(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    # ------------------------------------------------------------------ rows
    def get(self, report_id: int) -> Report | None:
        return self.session.get(Report, report_id)

    def by_code(self, code: str) -> Report | None:
        """The report with this (normalised) code, or ``None``."""
        return self.session.scalar(sa.select(Report).where(Report.code == code))

    def code_of(self, report_id: int) -> str | None:
        return self.session.scalar(sa.select(Report.code).where(Report.id == report_id))

    def any(self) -> bool:
        """True when the table holds any report."""
        return self.session.scalar(sa.select(Report.id).limit(1)) is not None

    def _insert_unique(self, row: Report | ReportSupport) -> bool:
        """Insert ``row`` in a savepoint; ``False`` (nothing inserted) on a unique-key clash."""
        try:
            with self.session.begin_nested():
                self.session.add(row)
                self.session.flush()
        except sa.exc.IntegrityError:
            return False
        return True

    def insert_new(self, row: Report) -> bool:
        """Insert a new report; ``False`` (and nothing inserted) when its code is already taken."""
        return self._insert_unique(row)

    def add_contact(self, report_id: int, contact: str, at: datetime) -> None:
        self.session.add(ReportContact(report_id=report_id, contact=contact, created_at=at))

    def contact(self, report_id: int) -> ReportContact | None:
        return self.session.get(ReportContact, report_id)

    # ------------------------------------------------------------------ rate limit
    def lock_client(self, client_key: str) -> None:
        """Serialise writers of one client on PostgreSQL (SQLite write sessions are serial)."""
        if self._postgres:
            key = int.from_bytes(hashlib.sha256(client_key.encode()).digest()[:8], "big",
                                 signed=True)
            self.session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})

    def recent_resident_reopens(self, report_id: int, since: datetime) -> int:
        """How many times residents (not the bureau) reopened this report at or after ``since``."""
        used = self.session.scalar(
            sa.select(sa.func.count()).select_from(ChangeLog).where(
                ChangeLog.entity == "report", ChangeLog.entity_id == report_id,
                ChangeLog.action == "reopen", ChangeLog.at >= since,
                ~ChangeLog.actor.startswith("bureau:"), ~ChangeLog.actor.startswith("admin:"),
                ~ChangeLog.actor.startswith("system:"),
            )
        )
        return int(used or 0)

    def recent_reports(self, since: datetime) -> int:
        """How many reports anyone made at or after ``since`` (the global cap)."""
        used = self.session.scalar(
            sa.select(sa.func.count()).select_from(Report).where(Report.created_at >= since)
        )
        return int(used or 0)

    def recent_by_client(self, kind: RateKind, client_key: str, since: datetime) -> int:
        """How many reports (or supports) ``client_key`` made at or after ``since``."""
        table = Report if kind == "report" else ReportSupport
        used = self.session.scalar(
            sa.select(sa.func.count())
            .select_from(table)
            .where(table.client_key == client_key, table.created_at >= since)
        )
        return int(used or 0)

    # ------------------------------------------------------------------ duplicates
    def open_near(
        self, category: str, statuses: Sequence[str], lon: float, lat: float, radius_m: float
    ) -> list[Report]:
        """Reports of ``category`` in ``statuses`` whose point may lie within ``radius_m``
        (a superset: the caller keeps those whose haversine distance is within the radius)."""
        stmt = sa.select(Report).where(Report.category == category,
                                       Report.status.in_(list(statuses)))
        if self._postgres:
            here = sa.func.ST_GeogFromText(sa.bindparam("here", point_ewkt(lon, lat)))
            stmt = stmt.where(
                Report.geom.is_not(None),
                sa.func.ST_DWithin(sa.literal_column("reports.geom::geography"), here,
                                   radius_m * 1.01),
            )
        else:
            dlon, dlat = degree_box(lat, radius_m)
            stmt = stmt.where(
                Report.lon.between(lon - dlon, lon + dlon),
                Report.lat.between(lat - dlat, lat + dlat),
            )
        return list(self.session.scalars(stmt))

    def open_matching_text(
        self, category: str, statuses: Sequence[str], text: str, min_chars: int
    ) -> list[Report]:
        """Reports of ``category`` in ``statuses`` whose typed location (of at least
        ``min_chars`` characters) contains the lower-case ``text``, or is contained in it; most
        supported first."""
        needle = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = (
            sa.select(Report)
            .where(
                Report.category == category,
                Report.status.in_(list(statuses)),
                sa.func.length(Report.location_text) >= min_chars,
                sa.or_(
                    sa.func.lower(Report.location_text).like(f"%{needle}%", escape="\\"),
                    sa.literal(text).contains(sa.func.lower(Report.location_text)),
                ),
            )
            .order_by(Report.support_count.desc(), Report.id)
        )
        return list(self.session.scalars(stmt))

    # ------------------------------------------------------------------ supports
    def support_by_key(self, idempotency_key: str) -> ReportSupport | None:
        return self.session.scalar(
            sa.select(ReportSupport).where(ReportSupport.idempotency_key == idempotency_key)
        )

    def supported_by_client(self, report_id: int, client_key: str) -> bool:
        found = self.session.scalar(
            sa.select(ReportSupport.id)
            .where(ReportSupport.report_id == report_id, ReportSupport.client_key == client_key)
            .limit(1)
        )
        return found is not None

    def insert_support(self, entry: ReportSupport) -> bool:
        """Insert a support; ``False`` (nothing inserted) when its idempotency key was used."""
        return self._insert_unique(entry)

    def add_support(self, entry: ReportSupport) -> None:
        self.session.add(entry)

    def add_to_support_count(self, report_id: int, n: int) -> None:
        """``support_count = support_count + n`` in the database (concurrent supporters add up)."""
        self.session.execute(
            sa.update(Report)
            .where(Report.id == report_id)
            .values(support_count=Report.support_count + n)
            .execution_options(synchronize_session=False)
        )

    def move_supports(self, from_id: int, to_id: int) -> int:
        """Move every support of one report to another; returns how many moved."""
        result = self.session.execute(
            sa.update(ReportSupport)
            .where(ReportSupport.report_id == from_id)
            .values(report_id=to_id)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def code_and_support_count(self, report_id: int) -> tuple[str, int]:
        code, count = self.session.execute(
            sa.select(Report.code, Report.support_count).where(Report.id == report_id)
        ).one()
        return str(code), int(count)

    def refresh_support_count(self, row: Report) -> None:
        self.session.flush()
        self.session.refresh(row, ["support_count"])

    # ------------------------------------------------------------------ read models
    def moderation_frame(self, statuses: Iterable[str]) -> pd.DataFrame:
        """Reports in ``statuses``, new first then oldest first; contacts only as a flag."""
        has_contact = sa.exists().where(ReportContact.report_id == Report.id)
        stmt = (
            sa.select(
                Report.id.label("report_id"), Report.code, Report.category, Report.status,
                Report.description, Report.location_text, Report.lon, Report.lat,
                Report.district_code, Report.support_count, Report.facility_id,
                Report.photo_id, Report.created_at, Report.row_version, Report.is_demo,
                has_contact.label("has_contact"),
            )
            .where(Report.status.in_(list(statuses)))
            .order_by(sa.case((Report.status == "new", 0), else_=1), Report.created_at,
                      Report.id)
        )
        rows = self.session.execute(stmt).all()
        import pandas as pd

        return pd.DataFrame(rows, columns=list(stmt.selected_columns.keys()))

    def counts_by_district(
        self, open_statuses: Sequence[str], hidden_statuses: Sequence[str]
    ) -> dict[str | None, sa.Row[tuple[int, int, int, int]]]:
        """Per district: ``reports``, ``open``, ``fixed`` and ``supports`` (hidden statuses left
        out); the key ``None`` gathers reports with no district."""
        stmt = (
            sa.select(
                Report.district_code,
                sa.func.count().label("reports"),
                sa.func.sum(sa.case((Report.status.in_(list(open_statuses)), 1), else_=0))
                .label("open"),
                sa.func.sum(sa.case((Report.status == "fixed", 1), else_=0)).label("fixed"),
                sa.func.sum(Report.support_count).label("supports"),
            )
            .where(Report.status.not_in(list(hidden_statuses)))
            .group_by(Report.district_code)
        )
        return {r.district_code: r for r in self.session.execute(stmt)}
