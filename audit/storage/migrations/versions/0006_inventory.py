"""inventory (issue 14 §5): OSM-tagged accessibility features as inventory items to audit

Revision ID: 0006_inventory
Revises: 0005_photo_contents
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from audit.storage.orm import TZDateTime

revision = "0006_inventory"
down_revision = "0005_photo_contents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inventory_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("osm_type", sa.String(length=8), nullable=False),
        sa.Column("osm_id", sa.BigInteger(), nullable=False),
        sa.Column("facility_type", sa.String(length=32), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("lon", sa.Double(), nullable=False),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("district_code", sa.String(length=12), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("osm_version", sa.Integer(), nullable=True),
        sa.Column("osm_timestamp", TZDateTime(), nullable=True),
        sa.Column("source_file", sa.String(length=200), nullable=False),
        sa.Column("provenance", sa.String(length=32), nullable=False),
        sa.Column("rules_version", sa.String(length=32), nullable=False),
        sa.Column("imported_at", TZDateTime(), nullable=False),
        sa.Column("imported_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["imported_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("osm_type", "osm_id", "facility_type", name="uq_inventory_osm"),
    )
    with op.batch_alter_table("inventory_items", schema=None) as batch_op:
        batch_op.create_index("ix_inventory_cell", ["district_code", "facility_type"])
        batch_op.create_index("ix_inventory_source", ["source_file"])


def downgrade() -> None:
    op.drop_table("inventory_items")
