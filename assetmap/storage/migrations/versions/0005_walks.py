"""Patch walks: walks, their points, the assets added or seen on them, and their own revision counter.

Same tables in both backends (see :mod:`assetmap.walks` and ``docs/walks.md``). A point is unique
per (walk, time), so a retried batch never doubles one; an asset is linked to a walk once.
``walk_revision`` is raised by writes that change walk routes; the streets-walked map layer is
cached under it, apart from the store revision that keys the coverage caches.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "walks",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("username", sa.String, nullable=False, index=True),
        sa.Column("source", sa.String, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        *[sa.Column(name, sa.Float) for name in ("min_lon", "min_lat", "max_lon", "max_lat")],
    )
    op.create_table(
        "walk_points",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("walk_id", sa.String, sa.ForeignKey("walks.id"), nullable=False),
        sa.Column("t", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("accuracy", sa.Float),
        sa.UniqueConstraint("walk_id", "t", name="walk_points_walk_t_key"),
    )
    op.create_table(
        "walk_assets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("walk_id", sa.String, sa.ForeignKey("walks.id"), nullable=False),
        sa.Column("asset_id", sa.String, sa.ForeignKey("assets.id"), nullable=False, index=True),
        sa.Column("action", sa.String, nullable=False),
        sa.UniqueConstraint("walk_id", "asset_id", name="walk_assets_walk_asset_key"),
    )
    table = op.create_table(
        "walk_revision",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("revision", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(table, [{"id": 1, "revision": 0}])


def downgrade() -> None:
    op.drop_table("walk_revision")
    op.drop_table("walk_assets")
    op.drop_table("walk_points")
    op.drop_table("walks")
