"""Fixtures shared by the whole test suite.

``store`` runs a test once per backend: a SQLite file and a PostgreSQL + PostGIS database, each
created and migrated once per session and emptied before every test. The PostgreSQL database is a
fresh ``assetmap_test_<random>`` made through the server in ``ASSETMAP_TEST_PG_URL`` (default: the
local ``postgres`` database as user ``postgres``) and dropped at the end. If that server cannot be
reached the PostGIS tests fail; they are never skipped.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import URL, make_url

from assetmap.storage import SqlStore, open_store, schema

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BACKENDS = ("sqlite", "postgis")
TEST_SECRET_KEY = "test-only-secret-key-" + "x" * 32  # the web app refuses keys under 32 characters


def _libpq(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _admin(url: URL, statement: sql.Composable) -> None:
    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        conn.execute(statement)


def clear(store: SqlStore) -> None:
    """Delete every row (children first), leaving the schema and spatial indexes in place."""
    with store.engine.begin() as conn:
        for table in reversed(schema.metadata.sorted_tables):
            conn.execute(table.delete())


def _migrated(url: str) -> Iterator[SqlStore]:
    store = open_store(url)
    store.migrate()
    yield store
    store.close()


@pytest.fixture(scope="session")
def postgis_url() -> Iterator[str]:
    """URL of a PostgreSQL database made for this session and dropped after it."""
    server = make_url(os.environ.get("ASSETMAP_TEST_PG_URL", DEFAULT_PG_URL))
    name = f"assetmap_test_{secrets.token_hex(4)}"
    _admin(server, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        _admin(server, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("store") / "assetmap.sqlite"
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def sqlite_store(sqlite_url: str) -> Iterator[SqlStore]:
    yield from _migrated(sqlite_url)


@pytest.fixture(scope="session")
def postgis_store(postgis_url: str) -> Iterator[SqlStore]:
    yield from _migrated(postgis_url)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest) -> SqlStore:
    """An empty, migrated store; the test runs once per backend."""
    backend: SqlStore = request.getfixturevalue(f"{request.param}_store")
    clear(backend)
    return backend


def load_web_zoo(store: SqlStore) -> None:
    """Two square wards, one small area in each, two verified assets in the west ward only.

    The east ward's name carries a script tag so every render path can be checked for escaping.
    """
    from shapely.geometry import Point, box

    from assetmap.models import Asset, SmallArea, Status, Ward

    west, east = box(-1.14, 52.62, -1.13, 52.63), box(-1.13, 52.62, -1.12, 52.63)
    store.upsert_wards([Ward("W1", "West", west), Ward("W2", "East <script>alert(1)</script>", east)])
    store.upsert_areas(
        [
            SmallArea(
                "A1",
                "Area 1",
                "lsoa11",
                "W1",
                west,
                Point(-1.135, 52.625),
                1000,
                400,
                200,
                80,
                30.0,
                2,
                0.3,
                25.0,
            ),
            SmallArea(
                "A2",
                "Area 2",
                "lsoa11",
                "W2",
                east,
                Point(-1.125, 52.625),
                1000,
                400,
                200,
                80,
                30.0,
                2,
                0.3,
                25.0,
            ),
        ]
    )
    store.import_assets(
        [
            Asset(
                "bench",
                "Bench",
                -1.1355,
                52.6255,
                source_dataset="zoo",
                source_id="1",
                status=Status.VERIFIED,
            ),
            Asset(
                "cafe", "Café", -1.1345, 52.6245, source_dataset="zoo", source_id="2", status=Status.VERIFIED
            ),
        ],
        actor="test",
    )


@pytest.fixture
def app(tmp_path: Path):
    """A Flask app on a fresh SQLite file holding the web zoo."""
    from assetmap.web import create_app

    url = f"sqlite:///{tmp_path / 'web.sqlite'}"
    store = open_store(url)
    store.migrate()
    load_web_zoo(store)
    store.close()
    # No walk network: a developer's instance/walk_network.npz must not change what tests measure.
    return create_app(
        {"DATABASE_URL": url, "TESTING": True, "WALK_NETWORK": "", "SECRET_KEY": TEST_SECRET_KEY}
    )


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token from a form on ``path`` (the login form, or the header's logout form)."""
    import re

    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def logged_in_client(app, username: str | None, password: str):
    """A test client of ``app`` logged in as ``username`` (anonymous when None)."""
    client = app.test_client()
    if username is not None:
        form = {"username": username, "password": password, "csrf_token": csrf_token(client)}
        assert client.post("/login", data=form).status_code == 302
    return client


class Account:
    """A test client logged in as ``username`` (the public when None), with its CSRF token for
    JSON and multipart writes (``X-CSRFToken``)."""

    def __init__(self, app, username: str | None, password: str):
        self.client = logged_in_client(app, username, password)
        self.csrf = csrf_token(self.client)

    def headers(self, *, csrf: bool = True) -> dict[str, str]:
        return {"X-CSRFToken": self.csrf} if csrf else {}

    def send(self, method: str, path: str, body, *, csrf: bool = True):
        return self.client.open(path, method=method, json=body, headers=self.headers(csrf=csrf))
