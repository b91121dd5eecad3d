"""photos in the database (issue 15 section 4): with PHOTO_STORE=database the photo and
thumbnail bytes live in ``photo_contents`` (bytea / BLOB), so a second machine needs nothing but
DATABASE_URL

Revision ID: 0005_photo_contents
Revises: 0004_data_version
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from audit.storage.orm import TZDateTime

revision = "0005_photo_contents"
down_revision = "0004_data_version"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "photo_contents",
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("created_at", TZDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("path"),
    )


def downgrade() -> None:
    op.drop_table("photo_contents")
