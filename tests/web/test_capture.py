"""Capture submissions (assetmap.web.capture): roles, CSRF, validation, idempotency, duplicates."""

from __future__ import annotations

import uuid

import pytest

from assetmap.errors import NotFound
from assetmap.models import Asset, Status
from assetmap.storage.sql import SqlStore
from assetmap.web import get_store
from assetmap.web.capture import similar_names
from tests.conftest import Account

PASSWORD = "correct horse battery"
SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
CLEAR = (-1.138, 52.628)  # in the west ward, over 150 m from every zoo asset
BENCH = (-1.1355, 52.6255)  # the zoo's verified bench


@pytest.fixture
def people(app):
    """A connector, an officer, a connector scoped to the east ward, and a reported bench at CLEAR."""
    with app.app_context():
        store = get_store()
        store.create_user("ann", PASSWORD, role="connector")
        store.create_user("bob", PASSWORD, role="connector")
        store.create_user("olga", PASSWORD, role="officer")
        store.create_user("cal", PASSWORD, role="connector", wards=["W2"])
        bench = next(a for a in store.assets() if a.name == "Bench")
        reported = store.add_asset(Asset("bench", "Green bench", -1.1368, 52.6288), actor="bob")
    return {"bench": bench.id, "reported": reported.id}


class Capturer(Account):
    """A logged-in account that sends capture submissions."""

    def __init__(self, app, username):
        super().__init__(app, username, PASSWORD)

    def submit(self, *, csrf=True, **fields):
        return self.send("POST", "/api/submissions", submission(**fields), csrf=csrf)


def submission(**fields):
    body = {
        "client_id": str(uuid.uuid4()),
        "lon": CLEAR[0],
        "lat": CLEAR[1],
        "category": "cafe",
        "name": "Corner café",
        "step_free": True,
        "toilets": None,
        "languages": ["English", "Gujarati"],
        "opening_times": "Mon-Fri 9-4",
    }
    body.update(fields)
    return {k: v for k, v in body.items() if v is not ...}


def count(app):
    with app.app_context():
        return get_store().count_assets()


def stored(app, asset_id):
    with app.app_context():
        return get_store().get_asset(asset_id)


# -- who may ---------------------------------------------------------------------------------------
def test_the_public_gets_401_and_nothing_is_made(app, people):
    before = count(app)
    response = Capturer(app, None).submit()
    assert response.status_code == 401 and response.get_json()["message"] == "log in to do this"
    assert count(app) == before


def test_a_post_without_the_csrf_token_is_refused(app, people):
    before = count(app)
    assert Capturer(app, "ann").submit(csrf=False).status_code == 400
    assert count(app) == before


@pytest.mark.parametrize("name", ["ann", "olga"])
def test_a_connector_or_officer_adds_a_reported_asset_as_its_author(app, people, name):
    before = count(app)
    response = Capturer(app, name).submit()
    assert response.status_code == 201
    body = response.get_json()
    assert body["repeat"] is False and body["asset"]["url"] == f"/assets/{body['asset']['id']}"
    asset = stored(app, body["asset"]["id"])
    assert (asset.status, asset.created_by, asset.ward_code, asset.source_dataset) == (
        Status.REPORTED,
        name,
        "W1",
        "capture",
    )
    assert (asset.step_free, asset.toilets, asset.languages) == (True, None, ["English", "Gujarati"])
    assert asset.last_verified_at is None
    assert count(app) == before + 1


def test_a_scoped_connector_may_add_only_inside_their_wards(app, people):
    cal = Capturer(app, "cal")
    response = cal.submit()  # CLEAR is in W1
    assert response.status_code == 403 and "outside the wards" in response.get_json()["message"]
    assert cal.submit(lon=-1.10, lat=52.60).status_code == 403  # outside every ward
    assert cal.submit(lon=-1.121, lat=52.621).status_code == 201  # in W2


def test_an_unscoped_connector_may_add_outside_every_ward(app, people):
    response = Capturer(app, "ann").submit(lon=-1.10, lat=52.60)
    assert response.status_code == 201
    assert stored(app, response.get_json()["asset"]["id"]).ward_code is None


# -- validation ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"colour": "red"}, "unknown field(s): colour"),
        ({"client_id": "not-a-uuid"}, "client_id: expected a UUID v4"),
        ({"client_id": str(uuid.uuid1())}, "client_id: expected a UUID v4"),
        ({"client_id": ...}, "client_id: expected a UUID v4"),
        ({"lon": "x"}, "lon: expected a number"),
        ({"lat": True}, "lat: expected a number"),
        ({"lon": CLEAR[1], "lat": CLEAR[0]}, "lon/lat: latitude and longitude look swapped"),
        ({"lon": 10.0, "lat": 10.0}, "lon/lat: point (10, 10) is outside the UK"),
        ({"category": "zoo"}, "unknown category 'zoo'"),
        ({"subcategory": "zoo"}, "unknown subcategory 'zoo' for category 'cafe'"),
        ({"name": "  "}, "name: a place needs a name"),
        ({"name": "x" * 201}, "name: too long (at most 200 characters)"),
        ({"description": 3}, "description: expected text"),
        ({"step_free": "yes"}, "step_free: expected true, false or null"),
        ({"languages": "English"}, "languages: expected a list"),
        ({"same_as": "nope"}, "same_as: expected the id of one of the places offered"),
        ({"confirm_new": "yes"}, "confirm_new: expected true or false"),
    ],
)
def test_bad_submissions_are_refused_naming_the_field(app, people, fields, message):
    before = count(app)
    response = Capturer(app, "ann").submit(**fields)
    assert response.status_code == 400
    assert message in response.get_json()["message"]
    assert count(app) == before


def test_a_body_that_is_not_a_json_object_is_refused(app, people):
    ann = Capturer(app, "ann")
    response = ann.client.post("/api/submissions", json=[1], headers={"X-CSRFToken": ann.csrf})
    assert response.status_code == 400 and response.get_json()["message"] == "expected a JSON object"


# -- idempotency -----------------------------------------------------------------------------------
def test_a_repeated_submission_returns_the_same_asset_and_makes_no_other(app, people):
    ann = Capturer(app, "ann")
    body = submission()
    first = ann.submit(**body)
    assert first.status_code == 201
    after_first = count(app)
    again = ann.submit(**{**body, "name": "Changed on retry"})
    assert again.status_code == 200
    assert again.get_json()["repeat"] is True
    assert again.get_json()["asset"]["id"] == first.get_json()["asset"]["id"]
    assert count(app) == after_first
    assert stored(app, first.get_json()["asset"]["id"]).name == "Corner café"


def test_another_account_reusing_a_submission_id_gets_409(app, people):
    body = submission()
    assert Capturer(app, "ann").submit(**body).status_code == 201
    before = count(app)
    response = Capturer(app, "bob").submit(**body)
    assert response.status_code == 409 and "another account" in response.get_json()["message"]
    assert count(app) == before


def test_a_copy_racing_the_first_is_answered_as_a_repeat(app, people, monkeypatch):
    """The first copy is stored after the second's look-up but before its insert."""
    body = submission()
    with app.app_context():
        first = get_store().add_asset(
            Asset("cafe", "Corner café", *CLEAR, source_dataset="capture", source_id=body["client_id"]),
            actor="ann",
        )
    real = SqlStore.asset_by_source
    calls = []

    def late(self, dataset, source_id):
        calls.append(source_id)
        if len(calls) == 1:
            raise NotFound("not yet")
        return real(self, dataset, source_id)

    monkeypatch.setattr(SqlStore, "asset_by_source", late)
    before = count(app)
    response = Capturer(app, "ann").submit(**{**body, "confirm_new": True})
    assert response.status_code == 200 and response.get_json()["repeat"] is True
    assert response.get_json()["asset"]["id"] == first.id and len(calls) == 2  # noqa: PLR2004
    assert count(app) == before


# -- duplicates ------------------------------------------------------------------------------------
def test_same_category_within_50_m_is_offered_and_confirm_new_adds_anyway(app, people):
    ann = Capturer(app, "ann")
    body = submission(category="bench", name="Seat by the path", lon=BENCH[0] + 0.0003, lat=BENCH[1])
    before = count(app)
    response = ann.submit(**body)
    assert response.status_code == 409
    [candidate] = response.get_json()["candidates"]
    assert candidate["id"] == people["bench"] and candidate["name"] == "Bench"
    assert candidate["status"] == "verified" and 15 < candidate["distance_m"] < 25  # noqa: PLR2004
    assert count(app) == before
    assert ann.submit(**{**body, "confirm_new": True}).status_code == 201
    assert count(app) == before + 1


def test_a_similar_name_within_150_m_is_offered_whatever_its_category(app, people):
    # ~100 m north of the verified Café, as a library named the same but for case and punctuation
    response = Capturer(app, "ann").submit(category="library", name="CAFE!", lon=-1.1345, lat=52.6254)
    assert response.status_code == 409
    assert [c["name"] for c in response.get_json()["candidates"]] == ["Café"]


def test_names_compare_without_case_accents_punctuation_or_word_order():
    assert similar_names("St Peter's Café", "st peters cafe")
    assert similar_names("Leicester Age UK", "Age UK, Leicester")
    assert not similar_names("Library", "Luncheon club")


def test_same_as_by_a_connector_notes_the_sighting_without_changing_status(app, people):
    ann = Capturer(app, "ann")
    body = submission(category="bench", name="Green bench", same_as=people["reported"])
    before = count(app)
    response = ann.submit(**body)
    assert response.status_code == 200 and response.get_json()["outcome"] == "seen by a connector"
    asset = stored(app, people["reported"])
    assert (asset.status, asset.version, asset.last_verified_at) == (Status.REPORTED, 2, None)
    assert count(app) == before
    again = ann.submit(**body)  # a retry records nothing more
    assert again.get_json()["repeat"] is True and stored(app, people["reported"]).version == 2  # noqa: PLR2004
    page = ann.client.get(f"/assets/{people['reported']}").get_data(as_text=True)
    assert "seen by a connector" in page


def test_same_as_by_a_connector_on_a_verified_asset_re_verifies_it(app, people):
    body = submission(category="bench", name="Bench", lon=BENCH[0], lat=BENCH[1], same_as=people["bench"])
    response = Capturer(app, "ann").submit(**body)
    assert response.status_code == 200 and response.get_json()["outcome"] == "re-verified by a connector"
    asset = stored(app, people["bench"])
    assert (asset.status, asset.version, asset.last_verified_by) == (Status.VERIFIED, 2, "ann")
    with app.app_context():
        [*_, event] = get_store().audit(people["bench"])
    assert event.after["note"] == {"submission": body["client_id"], "outcome": "re-verified by a connector"}


def test_same_as_by_a_connector_brings_a_stale_asset_back(app, people):
    with app.app_context():
        store = get_store()
        store.set_status(people["bench"], Status.STALE, expected_version=1, actor="mark-stale")
    body = submission(category="bench", name="Bench", lon=BENCH[0], lat=BENCH[1], same_as=people["bench"])
    response = Capturer(app, "ann").submit(**body)
    assert response.status_code == 200 and response.get_json()["outcome"] == "re-verified by a connector"
    asset = stored(app, people["bench"])
    assert (asset.status, asset.last_verified_by) == (Status.VERIFIED, "ann")


def test_same_as_by_an_officer_verifies_the_existing_asset(app, people):
    body = submission(category="bench", name="Green bench", same_as=people["reported"])
    response = Capturer(app, "olga").submit(**body)
    assert response.status_code == 200 and response.get_json()["outcome"] == "verified"
    asset = stored(app, people["reported"])
    assert (asset.status, asset.last_verified_by) == (Status.VERIFIED, "olga")


# -- escaping --------------------------------------------------------------------------------------
def test_a_captured_script_name_is_escaped_on_the_asset_page(app, people):
    ann = Capturer(app, "ann")
    response = ann.submit(name=SCRIPT, description=SCRIPT)
    page = ann.client.get(response.get_json()["asset"]["url"]).get_data(as_text=True)
    assert SCRIPT not in page and ESCAPED in page


# -- the page --------------------------------------------------------------------------------------
def test_the_capture_page_is_for_logged_in_capturers(app, people):
    response = app.test_client().get("/capture")
    assert response.status_code == 302 and response.location == "/login?next=/capture"
    ann = Capturer(app, "ann")
    page = ann.client.get("/capture").get_data(as_text=True)
    assert '<option value="bench">Bench</option>' in page and 'id="step_free-unknown"' in page
    assert 'href="/capture">Add a place</a>' in ann.client.get("/").get_data(as_text=True)
    assert "Add a place</a>" not in app.test_client().get("/").get_data(as_text=True)
