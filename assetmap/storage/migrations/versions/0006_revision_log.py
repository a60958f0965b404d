"""Revision log: which assets each store revision changed, so derived data can follow in step.

Each write that raises the store revision also writes a row here with the ids of the assets it
changed, or none when it changed wards or small areas (see
:meth:`assetmap.storage.base.Store.changes_since`). Revisions made before this migration are not
logged, so the first reader after it derives everything again. Same table in both backends.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "revision_log",
        sa.Column("revision", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("asset_ids", sa.JSON(none_as_null=True)),
    )


def downgrade() -> None:
    op.drop_table("revision_log")
