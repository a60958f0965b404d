"""Initial schema: wards, small areas, assets, audit events, and their spatial indexes.

The tables are the same in both backends. The spatial index is not: SQLite gets an R*Tree virtual
table per spatial table, kept in step by triggers; PostgreSQL gets the PostGIS extension, GIST
indexes, and a generated ``assets.geometry`` point built from ``lon``/``lat``.

Revision ID: 0001
Revises:
Create Date: 2025-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from shapely.geometry.base import BaseGeometry

from assetmap.storage.schema import SRID, Geometry

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# R*Tree bounds of each spatial table, as (min_lon, max_lon, min_lat, max_lat) column names.
RTREE_BOUNDS = {
    "wards": ("min_lon", "max_lon", "min_lat", "max_lat"),
    "small_areas": ("min_lon", "max_lon", "min_lat", "max_lat"),
    "assets": ("lon", "lon", "lat", "lat"),
}


def _bbox() -> list[sa.Column]:
    return [
        sa.Column(name, sa.Float, nullable=False) for name in ("min_lon", "min_lat", "max_lon", "max_lat")
    ]


def _text(name: str) -> sa.Column:
    return sa.Column(name, sa.Text, nullable=False)


def _stamp(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    postgis = op.get_bind().dialect.name == "postgresql"
    if postgis:
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "wards",
        sa.Column("pk", sa.Integer, primary_key=True),
        sa.Column("code", sa.String, nullable=False, unique=True),
        _text("name"),
        sa.Column("geometry", Geometry("MULTIPOLYGON"), nullable=False),
        *_bbox(),
    )
    op.create_table(
        "small_areas",
        sa.Column("pk", sa.Integer, primary_key=True),
        sa.Column("code", sa.String, nullable=False, unique=True),
        _text("name"),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("ward_code", sa.String, index=True),
        sa.Column("geometry", Geometry("MULTIPOLYGON"), nullable=False),
        sa.Column("pw_lon", sa.Float),
        sa.Column("pw_lat", sa.Float),
        *[sa.Column(f"residents_{group}", sa.Float) for group in ("total", "50plus", "65plus", "75plus")],
        sa.Column("imd_score", sa.Float),
        sa.Column("imd_decile", sa.Integer),
        sa.Column("idaopi_score", sa.Float),
        sa.Column("loneliness", sa.Float),
        *_bbox(),
    )
    point: sa.Column[BaseGeometry] = sa.Column(
        "geometry",
        Geometry("POINT"),
        sa.Computed(f"ST_SetSRID(ST_MakePoint(lon, lat), {SRID})", persisted=True),
    )
    op.create_table(
        "assets",
        sa.Column("pk", sa.Integer, primary_key=True),
        sa.Column("id", sa.String, nullable=False, unique=True),
        sa.Column("category", sa.String, nullable=False, index=True),
        sa.Column("subcategory", sa.String),
        _text("name"),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        _text("description"),
        _text("address"),
        sa.Column("postcode", sa.String, nullable=False),
        _text("opening_times"),
        *[
            sa.Column(name, sa.Boolean)
            for name in ("step_free", "seating", "toilets", "hearing_loop", "free_to_use")
        ],
        sa.Column("languages", sa.JSON, nullable=False),
        _text("contact"),
        sa.Column("source_dataset", sa.String, nullable=False),
        sa.Column("source_id", sa.String, nullable=False),
        _text("licence"),
        sa.Column("status", sa.String, nullable=False, index=True),
        _stamp("last_verified_at", nullable=True),
        sa.Column("last_verified_by", sa.String),
        _stamp("created_at"),
        sa.Column("created_by", sa.String, nullable=False),
        _stamp("updated_at"),
        sa.Column("updated_by", sa.String, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("ward_code", sa.String, sa.ForeignKey("wards.code"), index=True),
        *([point] if postgis else []),
    )
    op.create_index(
        "assets_source_key",
        "assets",
        ["source_dataset", "source_id"],
        unique=True,
        sqlite_where=sa.text("source_id <> ''"),
        postgresql_where=sa.text("source_id <> ''"),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("asset_id", sa.String, sa.ForeignKey("assets.id"), nullable=False, index=True),
        sa.Column("action", sa.String, nullable=False),
        sa.Column("actor", sa.String, nullable=False),
        _stamp("at"),
        sa.Column("before", sa.JSON),
        sa.Column("after", sa.JSON),
    )
    if postgis:
        for table in RTREE_BOUNDS:
            op.create_index(f"{table}_geometry_idx", table, ["geometry"], postgresql_using="gist")
    else:
        for table, bounds in RTREE_BOUNDS.items():
            _create_rtree(table, bounds)


def _create_rtree(table: str, bounds: tuple[str, str, str, str]) -> None:
    """An R*Tree ``<table>_rtree`` keyed by ``pk``, and triggers that keep it in step with ``table``."""
    rtree = f"{table}_rtree"
    new = ", ".join(f"new.{c}" for c in bounds)
    assign = ", ".join(
        f"{r} = new.{c}" for r, c in zip(("min_lon", "max_lon", "min_lat", "max_lat"), bounds, strict=True)
    )
    op.execute(f"CREATE VIRTUAL TABLE {rtree} USING rtree(id, min_lon, max_lon, min_lat, max_lat)")
    op.execute(
        f"CREATE TRIGGER {rtree}_insert AFTER INSERT ON {table} "
        f"BEGIN INSERT INTO {rtree} VALUES (new.pk, {new}); END"
    )
    op.execute(
        f"CREATE TRIGGER {rtree}_update AFTER UPDATE OF {', '.join(sorted(set(bounds)))} ON {table} "
        f"BEGIN UPDATE {rtree} SET {assign} WHERE id = new.pk; END"
    )
    op.execute(
        f"CREATE TRIGGER {rtree}_delete AFTER DELETE ON {table} "
        f"BEGIN DELETE FROM {rtree} WHERE id = old.pk; END"
    )


def downgrade() -> None:
    for table in ("audit_events", "assets", "small_areas", "wards"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "sqlite":
        for table in RTREE_BOUNDS:
            op.execute(f"DROP TABLE {table}_rtree")
