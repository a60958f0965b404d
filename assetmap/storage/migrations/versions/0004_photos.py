"""Photos: cleaned JPEGs of assets, added from the capture page (see :mod:`assetmap.photos`).

Same table in both backends (``data`` is a BLOB in SQLite, ``bytea`` in PostgreSQL). ``client_id``
is unique, so a retried upload is found instead of stored twice.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "photos",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("asset_id", sa.String, sa.ForeignKey("assets.id"), nullable=False, index=True),
        sa.Column("client_id", sa.String, nullable=False, unique=True),
        sa.Column("created_by", sa.String, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("size_bytes", sa.Integer, nullable=False),
        sa.Column("content_type", sa.String, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("photos")
