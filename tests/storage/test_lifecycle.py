"""Opening stores, migrating them, and the schema the migrations build matching ``schema.py``."""

from __future__ import annotations

import warnings

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from shapely.geometry import box
from sqlalchemy import event

from assetmap.errors import ConfigError
from assetmap.models import Ward
from assetmap.storage import PostGISStore, SQLiteStore, open_store, schema
from tests.conftest import clear
from tests.storage import zoo


def test_migrate_again_changes_nothing(store):
    store.add_asset(zoo.asset(), actor="ann")
    store.migrate()
    store.migrate()
    assert store.count_assets() == 1
    with store.engine.connect() as conn:
        version = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all()
    assert version == [newest_migration()]


def newest_migration() -> str:
    """The head of the migration scripts, read from the scripts themselves."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from assetmap.storage.sql import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    [head] = ScriptDirectory.from_config(config).get_heads()
    return head


def test_migrations_build_exactly_the_declared_schema(store):
    with store.engine.connect() as conn, warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Did not recognize type 'geometry'")  # PostGIS, reflected
        context = MigrationContext.configure(
            conn, opts={"include_object": schema.is_managed, "compare_type": True}
        )
        assert compare_metadata(context, schema.metadata) == []


def test_open_sqlite_store_creates_its_folder_and_sets_wal_and_foreign_keys(tmp_path):
    path = tmp_path / "new" / "deeper" / "assetmap.sqlite"
    store = open_store(f"sqlite:///{path}")
    try:
        assert isinstance(store, SQLiteStore)
        store.migrate()
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    finally:
        store.close()
    assert path.is_file()


def test_sqlite_writes_take_the_write_lock_at_begin_and_reads_do_not(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'assetmap.sqlite'}")
    store.migrate()
    begins = []
    event.listen(
        store.engine,
        "before_cursor_execute",
        lambda conn, cursor, statement, *args: (
            begins.append(statement) if statement.startswith("BEGIN") else None
        ),
    )
    try:
        store.add_asset(zoo.asset(), actor="ann")
        store.assets()
    finally:
        store.close()
    assert begins == ["BEGIN IMMEDIATE", "BEGIN"]


def test_sqlite_rtree_follows_inserts_updates_and_deletes(sqlite_store):
    clear(sqlite_store)
    sqlite_store.upsert_wards(zoo.WARDS)
    sqlite_store.upsert_wards([Ward(zoo.ABBEY.code, "Abbey", box(-1.16, 52.60, -1.15, 52.61))])
    with sqlite_store.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM wards WHERE code = 'E05002'")
        boxes = conn.exec_driver_sql(
            "SELECT w.code, r.min_lon, r.max_lon, r.min_lat, r.max_lat "
            "FROM wards_rtree r LEFT JOIN wards w ON r.id = w.pk ORDER BY r.id"
        ).all()
    # R*Tree boxes are single precision, rounded outwards.
    assert [code for code, *_ in boxes] == ["E05003", "E05001"]
    assert boxes[1][1:] == pytest.approx((-1.16, -1.15, 52.60, 52.61), abs=1e-5)


def test_open_postgres_store(postgis_url):
    store = open_store(postgis_url.replace("postgresql+psycopg://", "postgresql://"))
    try:
        assert isinstance(store, PostGISStore)
        assert store.engine.url.drivername == "postgresql+psycopg"
    finally:
        store.close()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://localhost/assetmap", "unsupported database 'mysql'"),
        ("postgresql+psycopg2://localhost/assetmap", "unsupported database 'postgresql+psycopg2'"),
        ("not a url", "cannot read the database URL"),
    ],
)
def test_unknown_databases_are_a_config_error(url, message):
    with pytest.raises(ConfigError) as err:
        open_store(url)
    assert err.value.status == 500
    assert err.value.message.startswith(message)
