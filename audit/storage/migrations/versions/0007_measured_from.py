"""re-audits (issue 17 item 5): where each carried-forward measurement of an audit came from

A partial re-audit combines the latest measurement of each field (docs/SCORING.md §3a); the
audit stores the combined measurements and, in ``measured_from``, the audit and date of each
value it carried forward. Existing audits measured everything themselves: ``{}``.

Revision ID: 0007_measured_from
Revises: 0006_inventory
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_measured_from"
down_revision = "0006_inventory"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ALTER TABLE ... ADD COLUMN on both dialects: no batch copy of ``audits``, whose
    # rows other tables reference
    op.add_column("audits", sa.Column("measured_from", sa.JSON(), nullable=False,
                                      server_default=sa.text("'{}'")))


def downgrade() -> None:
    op.drop_column("audits", "measured_from")  # SQLite >= 3.35 drops a column in place
