"""findings as rows, and the current-audit marker

Adds ``audits.is_current`` (the latest submitted audit of each facility), the facility's copy of
that audit's verdict and time (``facilities.current_verdict``, ``current_submitted_at``) and the
``findings`` table (one row per audit × rule), and backfills them from the stored audits: each
audit's evaluation JSON becomes its finding rows (:func:`audit.storage.findings.finding_row`,
the same conversion the repository uses), in batches, so a large database is never held in
memory. A finding's ``obligation`` (``requirement`` or ``advice``, from ruleset 2.0.0 on) is
copied; evaluations made before advice clauses existed read ``requirement``.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from audit.storage.findings import finding_row
from audit.storage.orm import TZDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BATCH = 2000

# Light table descriptions for the backfill (not the ORM: it changes with later revisions).
_audits = sa.table(
    "audits",
    sa.column("id", sa.Integer),
    sa.column("facility_id", sa.Integer),
    sa.column("status", sa.String),
    sa.column("sequence", sa.Integer),
    sa.column("ruleset_id", sa.String),
    sa.column("ruleset_version", sa.String),
    sa.column("evaluation", sa.JSON),
    sa.column("is_current", sa.Boolean),
)
_facilities = sa.table(
    "facilities",
    sa.column("id", sa.Integer),
    sa.column("district_code", sa.String),
    sa.column("facility_type", sa.String),
    sa.column("current_verdict", sa.String),
    sa.column("current_submitted_at", TZDateTime()),
)
_audits_time = sa.column("submitted_at", TZDateTime())
_audits_verdict = sa.column("verdict", sa.String)
_findings = sa.table(
    "findings",
    *(sa.column(name) for name in (
        "audit_id", "facility_id", "district_code", "facility_type", "rule_id", "status",
        "severity", "measured_value",
        "measured_text", "measured_unit", "threshold_text", "clause", "reference",
        "provisional", "obligation", "ruleset_id", "ruleset_version", "is_current",
    )),
)


def upgrade() -> None:
    with op.batch_alter_table("facilities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("current_verdict", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("current_submitted_at", TZDateTime(), nullable=True))
        batch_op.create_index(
            "ix_facilities_current",
            ["district_code", "facility_type", "current_verdict", "is_demo",
             "current_submitted_at"],
            unique=False,
            sqlite_where=sa.text("current_verdict IS NOT NULL"),
            postgresql_where=sa.text("current_verdict IS NOT NULL"),
        )
    with op.batch_alter_table("audits", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_current", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_index(
            "ux_audits_current_facility",
            ["facility_id"],
            unique=True,
            sqlite_where=sa.text("is_current = 1"),
            postgresql_where=sa.text("is_current"),
        )

    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("district_code", sa.String(length=12), nullable=True),
        sa.Column("facility_type", sa.String(length=32), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("measured_value", sa.Double(), nullable=True),
        sa.Column("measured_text", sa.String(length=200), nullable=True),
        sa.Column("measured_unit", sa.String(length=16), nullable=True),
        sa.Column("threshold_text", sa.Text(), nullable=False),
        sa.Column("clause", sa.String(length=32), nullable=False),
        sa.Column("reference", sa.String(length=80), nullable=False),
        sa.Column("provisional", sa.Boolean(), nullable=False),
        sa.Column("obligation", sa.String(length=16), nullable=False),
        sa.Column("ruleset_id", sa.String(length=64), nullable=False),
        sa.Column("ruleset_version", sa.String(length=64), nullable=False),
        sa.Column("is_current", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(["audit_id"], ["audits.id"]),
        sa.ForeignKeyConstraint(["facility_id"], ["facilities.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("audit_id", "rule_id", name="uq_findings_audit_rule"),
    )
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_findings_current_fail",
            ["district_code", "facility_type", "severity", "facility_id", "is_current", "status"],
            unique=False,
            sqlite_where=sa.text("is_current = 1 AND status = 'fail'"),
            postgresql_where=sa.text("is_current AND status = 'fail'"),
        )
    _backfill(op.get_bind())


def _backfill(conn: sa.Connection) -> None:
    """Mark each facility's latest submitted audit current (and copy its verdict and time to
    the facility); write every audit's finding rows."""
    ranked = (
        sa.select(
            _audits.c.id,
            sa.func.row_number()
            .over(partition_by=_audits.c.facility_id,
                  order_by=(_audits.c.sequence.desc(), _audits.c.id.desc()))
            .label("rn"),
        )
        .where(_audits.c.status == "submitted")
        .subquery()
    )
    latest = sa.select(ranked.c.id).where(ranked.c.rn == 1)
    conn.execute(sa.update(_audits).where(_audits.c.id.in_(latest)).values(is_current=True))
    current = sa.table("audits", sa.column("facility_id"), sa.column("is_current"),
                       _audits_verdict, _audits_time).alias("cur")

    def of_current(col: sa.ColumnClause[Any]) -> sa.ScalarSelect[Any]:
        return (sa.select(col).where(current.c.facility_id == _facilities.c.id,
                                     current.c.is_current).scalar_subquery())

    conn.execute(sa.update(_facilities).values(
        current_verdict=of_current(current.c.verdict),
        current_submitted_at=of_current(current.c.submitted_at),
    ))
    last_id = 0
    while True:
        batch = conn.execute(
            sa.select(_audits.c.id, _audits.c.facility_id, _facilities.c.district_code,
                      _facilities.c.facility_type, _audits.c.ruleset_id,
                      _audits.c.ruleset_version, _audits.c.evaluation, _audits.c.is_current)
            .join(_facilities, _facilities.c.id == _audits.c.facility_id)
            .where(_audits.c.id > last_id)
            .order_by(_audits.c.id)
            .limit(BATCH)
        ).all()
        if not batch:
            return
        rows: list[dict[str, Any]] = []
        for r in batch:
            m = r._mapping
            evaluation = m["evaluation"]
            findings = evaluation.get("findings") if isinstance(evaluation, dict) else None
            district = m["district_code"]
            rows.extend(
                finding_row(f, audit_id=int(m["id"]), facility_id=int(m["facility_id"]),
                            district_code=None if district is None else str(district),
                            facility_type=str(m["facility_type"]),
                            ruleset_id=str(m["ruleset_id"]),
                            ruleset_version=str(m["ruleset_version"]),
                            is_current=bool(m["is_current"]))
                for f in findings or []
            )
        if rows:
            conn.execute(sa.insert(_findings), rows)
        last_id = int(batch[-1]._mapping["id"])


def downgrade() -> None:
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_index("ix_findings_current_fail")
    op.drop_table("findings")
    with op.batch_alter_table("audits", schema=None) as batch_op:
        batch_op.drop_index("ux_audits_current_facility")
        batch_op.drop_column("is_current")
    with op.batch_alter_table("facilities", schema=None) as batch_op:
        batch_op.drop_index("ix_facilities_current")
        batch_op.drop_column("current_submitted_at")
        batch_op.drop_column("current_verdict")
