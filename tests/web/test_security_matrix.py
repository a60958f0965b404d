"""Every write endpoint, every kind of user: who is let in, who is refused, and that refusals write nothing.

Issue 5, item 9. ``WHO_MAY`` lists each endpoint that accepts a write method (POST, PUT, PATCH,
DELETE) with the roles allowed to use it; a test fails when the app has a write endpoint the table
does not list, so a new one cannot be added unchecked. For each endpoint and each of anonymous,
connector, officer and admin:

- refused: anonymous gets 401 (under ``/api/``) or a redirect to the log-in page, a logged-in user
  of another role gets 403; in both cases no row of any table changes and the store revision stays;
- let in: the answer is neither 401/403 nor a redirect to log in (the empty body may still be
  refused as invalid input, 400, which is not the gate's business).

And every write endpoint except the ones exempt from CSRF (with the reason in the app factory)
refuses a request without the CSRF token from a user it would otherwise let in, writing nothing.
The same gate is checked for the pages that only some roles may see.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from assetmap.models import Asset
from assetmap.storage import schema
from assetmap.web import get_store
from tests.conftest import csrf_token, logged_in_client

PASSWORD = "correct horse battery"
ROLES = ("anonymous", "connector", "officer", "admin")
ACCOUNTS = frozenset({"connector", "officer", "admin"})
MODERATORS = frozenset({"officer", "admin"})
ANYONE = frozenset(ROLES)

WHO_MAY: dict[str, frozenset[str]] = {
    "auth.login": ANYONE,
    "auth.logout": ANYONE,  # logging out when not logged in does nothing
    "planner.api_whatif": ANYONE,  # a read-only computation (see the app factory)
    "capture.submit": ACCOUNTS,
    "photos.upload": ACCOUNTS,
    "walks.start": ACCOUNTS,
    "walks.add_points": ACCOUNTS,
    "walks.stop": ACCOUNTS,
    "walks.upload_gpx": ACCOUNTS,
    "walks.delete": ACCOUNTS,  # and only the walk's own account or an admin (tests/web/test_walks.py)
    "editing.save": ACCOUNTS,  # and the ward rule (tests/web/test_editing.py)
    "moderation.decide": MODERATORS,
    "photos.remove": ACCOUNTS,  # others' photos: officers and admins only (tests/web/test_photos.py)
    "bulk.preview": MODERATORS,
    "bulk.commit": MODERATORS,
}
CSRF_EXEMPT = {"planner.api_whatif"}
PAGES: dict[str, frozenset[str]] = {  # GET pages only some may see; {asset} is a reported asset
    "/capture": ACCOUNTS,
    "/assets/{asset}/edit": ACCOUNTS,
    "/walks": ACCOUNTS,
    "/moderation": MODERATORS,
    "/bulk": MODERATORS,
}


@pytest.fixture
def world(app):
    """One account of each role and a reported asset to act on; the URL of each write endpoint."""
    with app.app_context():
        store = get_store()
        for role in ACCOUNTS:
            store.create_user(role, PASSWORD, role=role)
        reported = store.add_asset(Asset("bench", "Green bench", -1.1368, 52.6288), actor="connector")
    args = {"asset_id": reported.id, "action": "verify", "walk_id": str(uuid.uuid4()), "photo_id": "unknown"}
    urls = {}
    for rule in app.url_map.iter_rules():
        if rule.methods & {"POST", "PUT", "PATCH", "DELETE"}:
            method = sorted(rule.methods & {"POST", "PUT", "PATCH", "DELETE"})[0]
            urls[rule.endpoint] = (
                method,
                rule.build({k: args[k] for k in rule.arguments}, append_unknown=False)[1],
            )
    return urls


def snapshot(app) -> tuple:
    """The store revision and the number of rows in every table."""
    with app.app_context():
        store = get_store()
        with store.engine.connect() as conn:
            counts = tuple(
                conn.execute(select(func.count()).select_from(table)).scalar_one()
                for table in schema.metadata.sorted_tables
            )
        return store.revision(), counts


def user(app, role):
    client = logged_in_client(app, None if role == "anonymous" else role, PASSWORD)
    return client, csrf_token(client, "/login" if role == "anonymous" else "/")


def send(client, method, url, token):
    headers = {"X-CSRFToken": token} if token else {}
    if url.startswith("/api/"):
        return client.open(url, method=method, json={}, headers=headers)
    return client.open(url, method=method, data={"csrf_token": token} if token else {}, headers=headers)


def refused(response, role, url) -> bool:
    if role == "anonymous":
        if url.startswith("/api/"):
            return response.status_code == 401
        return response.status_code == 302 and "/login" in response.headers["Location"]
    return response.status_code == 403


def test_the_table_lists_every_write_endpoint(app, world):
    assert set(world) == set(WHO_MAY)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(WHO_MAY))
def test_who_may_write(app, world, endpoint, role):
    method, url = world[endpoint]
    client, token = user(app, role)
    before = snapshot(app)
    response = send(client, method, url, token)
    if role in WHO_MAY[endpoint]:
        assert response.status_code not in (401, 403), response.get_data(as_text=True)
        assert not (response.status_code == 302 and "/login" in response.headers.get("Location", ""))
    else:
        assert refused(response, role, url), (response.status_code, response.get_data(as_text=True)[:300])
        assert snapshot(app) == before


@pytest.mark.parametrize("endpoint", sorted(set(WHO_MAY) - CSRF_EXEMPT))
def test_every_write_needs_the_csrf_token(app, world, endpoint):
    method, url = world[endpoint]
    assert "admin" in WHO_MAY[endpoint]  # an administrator may use every write endpoint
    client, _ = user(app, "admin")
    before = snapshot(app)
    response = send(client, method, url, None)
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    assert snapshot(app) == before


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", sorted(PAGES))
def test_who_may_see_the_working_pages(app, world, path, role):
    client, _ = user(app, role)
    response = client.get(path.format(asset=world["editing.save"][1].split("/")[2]))
    if role in PAGES[path]:
        assert response.status_code == 200
    else:
        assert refused(response, role, path)
