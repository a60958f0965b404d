"""The tables as SQLAlchemy Core objects, and the column types that carry geometry and time.

Both backends share these definitions: :class:`Geometry` is a WKB blob in SQLite and a PostGIS
``geometry(kind, 4326)`` in PostgreSQL, shapely on the Python side either way; :class:`UTCDateTime`
always hands back timezone-aware UTC datetimes. The spatial indexes (SQLite R*Tree tables and their
triggers, PostGIS GIST indexes and the generated ``assets.geometry`` point) are backend specific
and live in the Alembic migrations, not here; the migrations are what create the schema.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator, TypeEngine, UserDefinedType

SRID = 4326


class _PostGISGeometry(UserDefinedType[bytes]):
    """``geometry(kind, 4326)``, exchanged with the driver as WKB."""

    cache_ok = True

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def get_col_spec(self, **kw: Any) -> str:
        return f"geometry({self.kind}, {SRID})"

    def bind_expression(self, bindvalue: Any) -> ColumnElement[Any]:
        return func.ST_GeomFromWKB(bindvalue, SRID, type_=self)

    def column_expression(self, col: Any) -> ColumnElement[Any]:
        # Typed as the column (the Geometry decorator), so its result processing still applies.
        return func.ST_AsBinary(col, type_=col.type)


class Geometry(TypeDecorator[BaseGeometry]):
    """A WGS84 geometry: shapely in Python, WKB in SQLite, PostGIS ``geometry`` in PostgreSQL.

    Parameters
    ----------
    kind
        The PostGIS geometry type, e.g. ``"MULTIPOLYGON"`` (SQLite does not check it).
    """

    impl = LargeBinary
    cache_ok = True

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(_PostGISGeometry(self.kind))
        return dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value: BaseGeometry | None, dialect: Dialect) -> bytes | None:
        return None if value is None else shapely.to_wkb(value)

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> BaseGeometry | None:
        return None if value is None else shapely.from_wkb(bytes(value))


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _bbox_columns() -> list[Column[float]]:
    return [Column(name, Float, nullable=False) for name in ("min_lon", "min_lat", "max_lon", "max_lat")]


metadata = MetaData()

wards = Table(
    "wards",
    metadata,
    Column("pk", Integer, primary_key=True),
    Column("code", String, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("geometry", Geometry("MULTIPOLYGON"), nullable=False),
    *_bbox_columns(),
)

small_areas = Table(
    "small_areas",
    metadata,
    Column("pk", Integer, primary_key=True),
    Column("code", String, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("kind", String, nullable=False),
    Column("ward_code", String, index=True),
    Column("geometry", Geometry("MULTIPOLYGON"), nullable=False),
    Column("pw_lon", Float),
    Column("pw_lat", Float),
    Column("residents_total", Float),
    Column("residents_50plus", Float),
    Column("residents_65plus", Float),
    Column("residents_75plus", Float),
    Column("imd_score", Float),
    Column("imd_decile", Integer),
    Column("idaopi_score", Float),
    Column("loneliness", Float),
    *_bbox_columns(),
)

assets = Table(
    "assets",
    metadata,
    Column("pk", Integer, primary_key=True),
    Column("id", String, nullable=False, unique=True),
    Column("category", String, nullable=False, index=True),
    Column("subcategory", String),
    Column("name", Text, nullable=False),
    Column("lon", Float, nullable=False),
    Column("lat", Float, nullable=False),
    Column("description", Text, nullable=False),
    Column("address", Text, nullable=False),
    Column("postcode", String, nullable=False),
    Column("opening_times", Text, nullable=False),
    Column("step_free", Boolean),
    Column("seating", Boolean),
    Column("toilets", Boolean),
    Column("hearing_loop", Boolean),
    Column("free_to_use", Boolean),
    Column("languages", JSON, nullable=False),
    Column("contact", Text, nullable=False),
    Column("source_dataset", String, nullable=False),
    Column("source_id", String, nullable=False),
    Column("licence", Text, nullable=False),
    Column("status", String, nullable=False, index=True),
    Column("last_verified_at", UTCDateTime),
    Column("last_verified_by", String),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", String, nullable=False),
    Column("version", Integer, nullable=False),
    Column("ward_code", String, ForeignKey("wards.code"), index=True),
    Index(
        "assets_source_key",
        "source_dataset",
        "source_id",
        unique=True,
        sqlite_where=text("source_id <> ''"),
        postgresql_where=text("source_id <> ''"),
    ),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("asset_id", String, ForeignKey("assets.id"), nullable=False, index=True),
    Column("action", String, nullable=False),
    Column("actor", String, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("before", JSON(none_as_null=True)),
    Column("after", JSON(none_as_null=True)),
)

# One row: a counter raised by every write that changes wards, areas or assets, in the same
# transaction, so any process can tell cheaply whether what it derived from them is still current.
store_revision = Table(
    "store_revision",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("revision", BigInteger, nullable=False),
)

# What each revision changed, written with it (the newest LOGGED_REVISIONS of them): ``asset_ids``
# lists the assets a write changed, or is NULL when it changed wards, areas or too many assets to
# list. A process that derived something at revision r brings it up to date from the rows after r.
revision_log = Table(
    "revision_log",
    metadata,
    Column("revision", BigInteger, primary_key=True, autoincrement=False),
    Column("asset_ids", JSON(none_as_null=True)),
)

# Accounts (assetmap.accounts): ``username_key`` is the name in lower case, so names are unique
# ignoring case; ``wards`` is the list of ward codes the account is limited to (empty: none).
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String, nullable=False),
    Column("username_key", String, nullable=False, unique=True),
    Column("password_hash", String, nullable=False),
    Column("role", String, nullable=False),
    Column("wards", JSON, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# Patch walks (assetmap.walks, docs/walks.md): ``id`` is the UUID the phone made; the bbox columns
# are the box of the walk's points (null until it has one), so the map layer finds walks in a bbox
# without reading their points. A point is stored once per (walk, time); an asset once per walk.
walks = Table(
    "walks",
    metadata,
    Column("id", String, primary_key=True),
    Column("username", String, nullable=False, index=True),
    Column("source", String, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("stopped_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    *[Column(name, Float) for name in ("min_lon", "min_lat", "max_lon", "max_lat")],
)

walk_points = Table(
    "walk_points",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("walk_id", String, ForeignKey("walks.id"), nullable=False),
    Column("t", UTCDateTime, nullable=False),
    Column("lon", Float, nullable=False),
    Column("lat", Float, nullable=False),
    Column("accuracy", Float),
    UniqueConstraint("walk_id", "t", name="walk_points_walk_t_key"),
)

walk_assets = Table(
    "walk_assets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("walk_id", String, ForeignKey("walks.id"), nullable=False),
    Column("asset_id", String, ForeignKey("assets.id"), nullable=False, index=True),
    Column("action", String, nullable=False),
    UniqueConstraint("walk_id", "asset_id", name="walk_assets_walk_asset_key"),
)

# Like store_revision, but raised by writes that change walk routes: the streets-walked layer is
# cached under it, so recording a walk never invalidates the coverage caches.
walk_revision = Table(
    "walk_revision",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("revision", BigInteger, nullable=False),
)

# Photos of assets (assetmap.photos): the cleaned JPEG in ``data``, and what the app keeps about
# it on purpose as columns. ``client_id`` is the phone's id for the upload, so a retry is found.
photos = Table(
    "photos",
    metadata,
    Column("id", String, primary_key=True),
    Column("asset_id", String, ForeignKey("assets.id"), nullable=False, index=True),
    Column("client_id", String, nullable=False, unique=True),
    Column("created_by", String, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("content_type", String, nullable=False),
    Column("data", LargeBinary, nullable=False),  # empty once the photo is removed
    Column("removed_at", UTCDateTime),
    Column("removed_by", String),
)

SPATIAL_TABLES = (wards, small_areas, assets)


def is_managed(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic's ``include_object`` filter: skip what the migrations build by hand, per backend.

    That is the SQLite R*Tree tables, PostGIS's own tables, the GIST indexes and the generated
    ``assets.geometry`` point of PostgreSQL; everything else is compared with :data:`metadata`.
    """
    if type_ == "table":
        return not reflected or name in metadata.tables
    if type_ == "column":
        return not (reflected and compare_to is None and obj.table.name == "assets" and name == "geometry")
    if type_ == "index":
        return not (name or "").endswith("_geometry_idx")
    return True
