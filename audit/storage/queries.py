"""Read-side aggregates for the bureau: rankings cells, failing findings, resident reports.

Every aggregate runs in the database, as one SQLAlchemy Core statement that is the same on
SQLite and PostgreSQL/PostGIS (no dialect branching, no JSON in SQL, nothing parsed in Python,
no cache). The "current" marker, kept by the repository in the transaction that submits an
audit (``findings.is_current``, and the facility's ``current_verdict``/``current_submitted_at``),
selects the latest submitted audit of each facility; each aggregate reads one partial covering
index that holds only current rows, without a join, so its cost follows the number of
facilities, never the length of the history. Each returns plain rows (dicts; no pandas, so a
cold process answers quickly); the domain modules (:mod:`audit.rankings`, :mod:`audit.priority`)
turn these few rows into rankings and candidate lists.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from audit.storage.orm import AUDITS, FACILITIES, FINDINGS, INVENTORY, REPORTS

if TYPE_CHECKING:
    from audit.storage.repository import Repository

#: the failing current findings, written exactly as the partial index ``ix_findings_current_fail``
#: is defined, so both SQLite and PostgreSQL can answer from that index
CURRENT_FAILING = sa.and_(
    FINDINGS.c.is_current, FINDINGS.c.status == sa.literal_column("'fail'")
)


def _rows(rows: Sequence[Any], columns: list[str]) -> list[dict[str, Any]]:
    return [dict(zip(columns, r, strict=True)) for r in rows]


def _filters(
    district_col: Any, type_col: Any, time_col: Any,
    facility_types: Iterable[str] | None,
    districts: Iterable[str] | None,
    since: datetime | None,
    until: datetime | None,
) -> list[sa.ColumnElement[bool]]:
    """Conditions on the facility (type, district) and on its current audit's time."""
    conds: list[sa.ColumnElement[bool]] = []
    if facility_types is not None:
        conds.append(type_col.in_(list(facility_types)))
    if districts is not None:
        conds.append(district_col.in_([str(d) for d in districts]))
    if since is not None:
        conds.append(time_col >= since)
    if until is not None:
        conds.append(time_col <= until)
    return conds


def current_verdict_counts(
    repo: Repository,
    *,
    facility_types: Iterable[str] | None = None,
    districts: Iterable[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[dict[str, Any]]:
    """Facilities per district × type × verdict of their current (latest submitted) audit.

    Keys ``district_code, facility_type, verdict, n, is_demo`` (``is_demo``: any facility of
    the group is synthetic demo data). ``since``/``until`` filter on the current audit's time.
    """
    demo = sa.func.max(sa.case((FACILITIES.c.is_demo, 1), else_=0))
    conds = _filters(FACILITIES.c.district_code, FACILITIES.c.facility_type,
                     FACILITIES.c.current_submitted_at, facility_types, districts, since, until)
    keys = (FACILITIES.c.district_code, FACILITIES.c.facility_type, FACILITIES.c.current_verdict)
    stmt = (
        sa.select(*keys, sa.func.count().label("n"), demo.label("is_demo"))
        .where(FACILITIES.c.current_verdict.is_not(None), *conds)
        .group_by(*keys)
    )
    rows = _rows(repo.session.execute(stmt).all(),
                 ["district_code", "facility_type", "verdict", "n", "is_demo"])
    for row in rows:
        row["n"], row["is_demo"] = int(row["n"]), bool(row["is_demo"])
    return rows


def current_failing_counts(
    repo: Repository,
    *,
    by: str = "cell",
    facility_types: Iterable[str] | None = None,
    districts: Iterable[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[dict[str, Any]]:
    """Failing findings of the current audits, counted per severity.

    ``by="cell"``: keys ``district_code, facility_type, severity, n``;
    ``by="facility"``: keys ``facility_id, severity, n`` (a facility has one current audit).
    A failing finding makes its audit non-compliant, so these are the failing clauses of the
    current non-compliant audits.
    """
    if by == "cell":
        keys: list[Any] = [FINDINGS.c.district_code, FINDINGS.c.facility_type]
        names = ["district_code", "facility_type"]
    elif by == "facility":
        keys, names = [FINDINGS.c.facility_id], ["facility_id"]
    else:
        raise ValueError(f"by={by!r}: 'cell' or 'facility'")
    conds = _filters(FINDINGS.c.district_code, FINDINGS.c.facility_type, AUDITS.c.submitted_at,
                     facility_types, districts, since, until)
    stmt = sa.select(*keys, FINDINGS.c.severity, sa.func.count().label("n")).select_from(
        FINDINGS
    )
    if since is not None or until is not None:  # the current audit's time: one row by key
        stmt = stmt.join(AUDITS, AUDITS.c.id == FINDINGS.c.audit_id)
    stmt = stmt.where(CURRENT_FAILING, *conds).group_by(*keys, FINDINGS.c.severity)
    rows = _rows(repo.session.execute(stmt).all(), [*names, "severity", "n"])
    for row in rows:
        row["n"] = int(row["n"])
    return rows


def open_report_counts(repo: Repository, closed_statuses: Sequence[str]) -> list[dict[str, Any]]:
    """Open resident reports per district and category: ``district_code, category, n``.

    Only public columns are read; contact details live in another table and are never touched.
    """
    stmt = (
        sa.select(REPORTS.c.district_code, REPORTS.c.category, sa.func.count().label("n"))
        .where(REPORTS.c.status.not_in(list(closed_statuses)))
        .group_by(REPORTS.c.district_code, REPORTS.c.category)
    )
    return _rows(repo.session.execute(stmt).all(), ["district_code", "category", "n"])


def located_reports(repo: Repository, statuses: Sequence[str]) -> list[dict[str, Any]]:
    """Reports in ``statuses`` that have a location, by id: the public fields a fix needs.

    Keys ``report_id, category, lon, lat, district_code, facility_id, code, is_demo``.
    """
    stmt = (
        sa.select(REPORTS.c.id.label("report_id"), REPORTS.c.category, REPORTS.c.lon, REPORTS.c.lat,
                  REPORTS.c.district_code, REPORTS.c.facility_id, REPORTS.c.code, REPORTS.c.is_demo)
        .where(REPORTS.c.status.in_(list(statuses)), REPORTS.c.lon.is_not(None))
        .order_by(REPORTS.c.id)
    )
    return [dict(r._mapping) for r in repo.session.execute(stmt)]


#: the ``basis`` of a coverage target counted from imported OSM inventory items
INVENTORY_BASIS = "osm_inventory"


def inventory_count_rows(repo: Repository) -> list[dict[str, Any]]:
    """Inventory items per district × facility type (inside the four districts only): keys
    ``district_code, facility_type, expected, basis`` with ``basis = "osm_inventory"``."""
    stmt = (
        sa.select(INVENTORY.c.district_code, INVENTORY.c.facility_type,
                  sa.func.count().label("expected"))
        .where(INVENTORY.c.district_code.is_not(None))
        .group_by(INVENTORY.c.district_code, INVENTORY.c.facility_type)
        .order_by(INVENTORY.c.district_code, INVENTORY.c.facility_type)
    )
    rows: list[Any] = list(repo.session.execute(stmt))
    return [{"district_code": d, "facility_type": f, "expected": int(n),
             "basis": INVENTORY_BASIS} for d, f, n in rows]


__all__ = [
    "CURRENT_FAILING",
    "INVENTORY_BASIS",
    "current_failing_counts",
    "current_verdict_counts",
    "inventory_count_rows",
    "located_reports",
    "open_report_counts",
]
