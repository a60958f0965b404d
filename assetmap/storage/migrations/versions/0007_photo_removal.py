"""Photo removal: officers can take a photo down; its row stays, its bytes are erased.

``removed_at`` and ``removed_by`` say who removed a photo and when. The row is kept so that a
phone retrying the original upload (same ``client_id``) is answered as a repeat instead of storing
the photo again. Same columns in both backends.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("photos", sa.Column("removed_at", sa.DateTime(timezone=True)))
    op.add_column("photos", sa.Column("removed_by", sa.String))


def downgrade() -> None:
    with op.batch_alter_table("photos") as batch:
        batch.drop_column("removed_by")
        batch.drop_column("removed_at")
