"""``GET /api/search``: wards by name, postcodes from the pack's postcode file, bad queries."""

from __future__ import annotations

import pytest
from shapely.geometry import box

from assetmap.models import Ward
from assetmap.web import get_store
from assetmap.web.search import POSTCODE_FILE

# LE1 1AA lies in the zoo's west ward, LE2 2BB in the east ward, LE9 9ZZ outside both.
POSTCODES = "Postcode,lat,long\nLE1 1AA,52.6250,-1.1350\nLE2 2BB,52.6250,-1.1250\nLE9 9ZZ,52.5000,-1.3000\n"


@pytest.fixture
def pack(tmp_path, app):
    """A data pack holding only a tiny postcode file, set as the app's ``DATA_PACK``."""
    path = tmp_path / "pack" / POSTCODE_FILE
    path.parent.mkdir(parents=True)
    path.write_text(POSTCODES, encoding="utf-8")
    app.config["DATA_PACK"] = str(tmp_path / "pack")
    return path


def search(client, query: str):
    response = client.get("/api/search", query_string={"q": query})
    assert response.mimetype == "application/json"
    return response


def test_ward_name_matches_any_part_any_case(client, pack):
    body = search(client, "ST").get_json()
    assert [w["code"] for w in body["wards"]] == ["W2", "W1"]  # both contain "st"; by name
    assert body["wards"][1] == {"code": "W1", "name": "West", "url": "/wards/W1"}
    assert body["postcode"] is None and body["message"] is None


def test_names_starting_with_the_query_come_first(client, app, pack):
    with app.app_context():
        north = box(-1.14, 52.63, -1.13, 52.64), box(-1.13, 52.63, -1.12, 52.64)
        get_store().upsert_wards([Ward("W3", "Northwest", north[0]), Ward("W4", "Western", north[1])])
    assert [w["name"] for w in search(client, "west").get_json()["wards"]] == ["West", "Western", "Northwest"]


def test_ward_code_matches(client, pack):
    assert [w["name"] for w in search(client, "w1").get_json()["wards"]] == ["West"]


def test_ward_names_are_returned_as_data_not_markup(client, pack):
    body = search(client, "script").get_json()
    assert body["wards"][0]["name"] == "East <script>alert(1)</script>"  # JSON; the page sets textContent


def test_postcode_is_placed_in_its_ward(client, pack):
    body = search(client, " le1  1aa ").get_json()
    assert body["query"] == "le1 1aa"
    assert body["postcode"] == {
        "postcode": "LE1 1AA",
        "lon": -1.135,
        "lat": 52.625,
        "ward": {"code": "W1", "name": "West", "url": "/wards/W1"},
    }
    assert body["wards"] == [] and body["message"] is None
    assert search(client, "LE22BB").get_json()["postcode"]["ward"]["code"] == "W2"


def test_postcode_outside_every_ward(client, pack):
    found = search(client, "LE9 9ZZ").get_json()["postcode"]
    assert found["postcode"] == "LE9 9ZZ" and found["ward"] is None


def test_unknown_postcode_says_so(client, pack):
    body = search(client, "LE5 5ZZ").get_json()
    assert body["postcode"] is None and body["wards"] == []
    assert body["message"] == "Postcode LE5 5ZZ was not found among Leicester's postcodes."


def test_nothing_found(client, pack):
    body = search(client, "Narnia").get_json()
    assert body["wards"] == [] and body["postcode"] is None
    assert body["message"].startswith("No ward name matches")


def test_postcode_file_is_read_once(client, pack):
    assert search(client, "LE1 1AA").get_json()["postcode"] is not None
    pack.write_text("Postcode,lat,long\n", encoding="utf-8")
    assert search(client, "LE2 2BB").get_json()["postcode"]["ward"]["code"] == "W2"  # still cached


def test_no_postcode_file_means_no_postcode_answers(client, app, tmp_path):
    app.config["DATA_PACK"] = str(tmp_path / "empty")
    body = search(client, "LE1 1AA").get_json()
    assert body["postcode"] is None and "not found" in body["message"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({}, "q must be a ward name or a postcode of at least 2 characters"),
        ({"q": "  "}, "q must be a ward name or a postcode of at least 2 characters"),
        ({"q": "a"}, "q must be a ward name or a postcode of at least 2 characters"),
        ({"q": "x" * 101}, "q must be at most 100 characters"),
        ({"q": "West", "limit": "3"}, "unknown parameter 'limit'; expected q"),
    ],
)
def test_bad_queries_are_400_json(client, query, message):
    response = client.get("/api/search", query_string=query)
    assert response.status_code == 400
    assert response.get_json() == {"status": 400, "message": message}
