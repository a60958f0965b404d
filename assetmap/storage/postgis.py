"""The PostgreSQL + PostGIS backend: geometry columns in SRID 4326 with GIST indexes.

``wards.geometry`` and ``small_areas.geometry`` are MultiPolygons; ``assets.geometry`` is a Point
that PostgreSQL generates from ``lon``/``lat`` (so it can never disagree with them). Spatial
conditions are answered from the GIST index and exact, so nothing is refined in Python:
``ST_Intersects`` with the query box for wards and areas, ``ST_Covers`` with a ward polygon for
assets, and for assets in a box a bounding-box overlap (``&&``) that the shared SQL makes exact
with a test on ``lon`` and ``lat``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import Table, create_engine, func, literal, literal_column
from sqlalchemy.engine import URL, Connection
from sqlalchemy.sql.elements import ColumnClause, ColumnElement

from assetmap.storage.base import BBox
from assetmap.storage.rows import bbox_shape
from assetmap.storage.schema import Geometry, assets
from assetmap.storage.sql import SqlStore

# The generated point column exists only in PostgreSQL, so it is not part of the shared table.
ASSET_POINT: ColumnClause[Any] = literal_column("assets.geometry")


class PostGISStore(SqlStore):
    """A store in a PostgreSQL database with PostGIS (see :func:`assetmap.storage.open_store`)."""

    exact = True
    explain_prefix = "EXPLAIN"

    def __init__(self, url: URL) -> None:
        super().__init__(create_engine(url, pool_pre_ping=True))

    def _within_box(self, table: Table, bbox: BBox) -> ColumnElement[bool]:
        geometry = ASSET_POINT if table is assets else table.c.geometry
        return func.ST_Intersects(geometry, literal(bbox_shape(bbox), type_=Geometry("GEOMETRY")))

    def _asset_near_box(self, box: Sequence[ColumnElement[float]]) -> ColumnElement[bool]:
        # Bounding boxes overlap (&&), by the GIST index; single-precision boxes can let a point
        # just outside through, which the caller's test on lon and lat then drops.
        return ASSET_POINT.op("&&")(func.ST_MakeEnvelope(*box, 4326))

    def _within_polygon(self, polygon: BaseGeometry) -> ColumnElement[bool]:
        return func.ST_Covers(literal(polygon, type_=Geometry("GEOMETRY")), ASSET_POINT)

    def _explain(self, conn: Connection, *, prefer_index: bool) -> None:
        if prefer_index:
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
