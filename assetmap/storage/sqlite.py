"""The SQLite backend: one file, WAL mode, foreign keys on, and an R*Tree per spatial table.

Geometry is stored as WKB. The migration gives ``wards``, ``small_areas`` and ``assets`` each an
R*Tree (``<table>_rtree``, keyed by the table's integer ``pk``) that triggers keep in step. A
spatial condition here is "``pk`` is among the R*Tree hits for this box", which SQLite answers from
the index; the R*Tree holds single-precision boxes, so :class:`~assetmap.storage.sql.SqlStore`
refines the candidates with shapely.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import Column, Float, Integer, MetaData, Table, create_engine, event, select
from sqlalchemy.engine import URL, Connection
from sqlalchemy.sql.elements import ColumnElement

from assetmap.storage.base import BBox
from assetmap.storage.schema import SPATIAL_TABLES, assets
from assetmap.storage.sql import SqlStore

_rtree_metadata = MetaData()
RTREES = {
    table.name: Table(
        f"{table.name}_rtree",
        _rtree_metadata,
        Column("id", Integer, primary_key=True),
        *[Column(name, Float) for name in ("min_lon", "max_lon", "min_lat", "max_lat")],
    )
    for table in SPATIAL_TABLES
}


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy emits BEGIN itself (see _on_begin), so DDL and reads are transactional too.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _in_rtree(table: Table, min_lon: Any, min_lat: Any, max_lon: Any, max_lat: Any) -> ColumnElement[bool]:
    """Rows of ``table`` whose R*Tree box meets the box (numbers or SQL values)."""
    rtree = RTREES[table.name]
    hits = select(rtree.c.id).where(
        rtree.c.max_lon >= min_lon,
        rtree.c.min_lon <= max_lon,
        rtree.c.max_lat >= min_lat,
        rtree.c.min_lat <= max_lat,
    )
    return table.c.pk.in_(hits)


def _on_begin(conn: Connection) -> None:
    # Writers take the write lock up front, so a read-then-write never meets a stale snapshot.
    writing = conn.get_execution_options().get("assetmap_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


class SQLiteStore(SqlStore):
    """A store in a SQLite file (see :func:`assetmap.storage.open_store`)."""

    exact = False
    explain_prefix = "EXPLAIN QUERY PLAN"

    def __init__(self, url: URL) -> None:
        engine = create_engine(url)
        event.listen(engine, "connect", _on_connect)
        event.listen(engine, "begin", _on_begin)
        super().__init__(engine)

    def _within_box(self, table: Table, bbox: BBox) -> ColumnElement[bool]:
        return _in_rtree(table, *bbox)

    def _asset_near_box(self, box: Sequence[ColumnElement[float]]) -> ColumnElement[bool]:
        return _in_rtree(assets, *box)

    def _within_polygon(self, polygon: BaseGeometry) -> ColumnElement[bool]:
        return self._within_box(assets, polygon.bounds)
