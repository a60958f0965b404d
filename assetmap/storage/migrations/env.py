"""Alembic environment for assetmap: runs the migrations in ``versions/`` on one connection.

:meth:`assetmap.storage.sql.SqlStore.migrate` passes its own connection in
``config.attributes["connection"]``, so the SQLite connection settings (WAL, foreign keys,
transactional DDL) apply. Run from the ``alembic`` command line instead, the database comes from
the ``sqlalchemy.url`` option and is opened the same way through :func:`assetmap.storage.open_store`.
Only online migrations are supported; offline ``--sql`` output is not.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from assetmap.storage import open_store, schema


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=schema.metadata,
        include_object=schema.is_managed,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    if context.is_offline_mode():
        raise SystemExit("assetmap migrations run online only; drop --sql")
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run(connection)
        return
    store = open_store(context.config.get_main_option("sqlalchemy.url") or "")
    try:
        with store.engine.connect() as conn:
            run(conn)
    finally:
        store.close()


main()
