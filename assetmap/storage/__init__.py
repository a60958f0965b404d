"""Persistence: open a store for a database URL; the contract is :class:`~assetmap.storage.base.Store`.

:func:`open_store` picks the backend from the SQLAlchemy URL: ``sqlite:///path/to/file.sqlite``
(created, with its folder, on first use) or ``postgresql+psycopg://user@host/db`` (PostGIS). Call
:meth:`~assetmap.storage.base.Store.migrate` once to create or upgrade the schema. Nothing here
touches a database at import time.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from assetmap.errors import ConfigError
from assetmap.storage.base import AssetIds, AssetQuery, BBox, Store, UpsertCounts
from assetmap.storage.postgis import PostGISStore
from assetmap.storage.sql import SqlStore
from assetmap.storage.sqlite import SQLiteStore

__all__ = [
    "AssetIds",
    "AssetQuery",
    "BBox",
    "PostGISStore",
    "SQLiteStore",
    "SqlStore",
    "Store",
    "UpsertCounts",
    "open_store",
]

_SQLITE_DRIVERS = {"sqlite", "sqlite+pysqlite"}
_POSTGRES_DRIVERS = {"postgresql", "postgresql+psycopg"}


def open_store(url: str) -> SqlStore:
    """Open the store at a SQLAlchemy database URL.

    Parameters
    ----------
    url
        ``sqlite:///relative.sqlite``, ``sqlite:////absolute/path.sqlite`` or
        ``postgresql+psycopg://user[:password]@host[:port]/database`` (``postgresql://`` means
        the same). The SQLite file's folder is created if missing.

    Raises
    ------
    ConfigError
        If the URL cannot be read or names another database or driver.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(
            "cannot read the database URL; expected sqlite:///path or postgresql+psycopg://..."
        ) from None
    if parsed.drivername in _SQLITE_DRIVERS:
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        return SQLiteStore(parsed)
    if parsed.drivername in _POSTGRES_DRIVERS:
        return PostGISStore(parsed.set(drivername="postgresql+psycopg"))
    raise ConfigError(
        f"unsupported database {parsed.drivername!r}; use sqlite:///path or postgresql+psycopg://..."
    )
