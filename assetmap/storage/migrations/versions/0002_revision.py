"""Store revision: a one-row counter raised by every write of wards, small areas or assets.

The web layer keys its caches on it (:meth:`assetmap.storage.base.Store.revision`), so a change
made by any process invalidates every worker's cache. Same table in both backends.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "store_revision",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("revision", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(table, [{"id": 1, "revision": 0}])


def downgrade() -> None:
    op.drop_table("store_revision")
