"""Patch walks over the web (assetmap.web.walks): roles, ownership, idempotency, GPX, the public layer."""

from __future__ import annotations

import io
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pyproj import Transformer

from assetmap.web import get_store
from tests.conftest import Account, csrf_token

PASSWORD = "correct horse battery"
T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
WEST = (-1.138, 52.628)  # in the west ward, away from the zoo's assets


@pytest.fixture
def people(app):
    with app.app_context():
        store = get_store()
        store.create_user("ann", PASSWORD, role="connector")
        store.create_user("bob", PASSWORD, role="connector")
        store.create_user("olga", PASSWORD, role="officer")


class Walker(Account):
    """A logged-in account that starts, feeds and stops walks."""

    def __init__(self, app, username):
        super().__init__(app, username, PASSWORD)

    def start(self, walk_id, started_at=T0, **kw):
        return self.send("PUT", f"/api/walks/{walk_id}", {"started_at": started_at.isoformat()}, **kw)

    def points(self, walk_id, points, **kw):
        return self.send("POST", f"/api/walks/{walk_id}/points", {"points": points}, **kw)

    def stop(self, walk_id, stopped_at, **kw):
        return self.send("POST", f"/api/walks/{walk_id}/stop", {"stopped_at": stopped_at.isoformat()}, **kw)


def track(n, *, start=0, lon=WEST[0], lat=WEST[1], step=0.0002, seconds=15, accuracy=8.0):
    """``n`` JSON points heading east ~14 m apart, ``seconds`` apart."""
    return [
        {
            "lon": lon + step * i,
            "lat": lat,
            "t": (T0 + timedelta(seconds=seconds * i)).isoformat().replace("+00:00", "Z"),
            "accuracy": accuracy,
        }
        for i in range(start, start + n)
    ]


def new_id():
    return str(uuid.uuid4())


def stored_points(app, walk_id):
    with app.app_context():
        return get_store().walk_points(walk_id)


# -- who may ---------------------------------------------------------------------------------------
def test_the_public_gets_401_on_every_write(app, people):
    public, walk_id = Walker(app, None), new_id()
    for response in (
        public.start(walk_id),
        public.points(walk_id, track(2)),
        public.stop(walk_id, T0),
    ):
        assert response.status_code == 401
        assert response.get_json()["message"] == "log in to do this"
    with app.app_context():
        assert get_store().walks() == []


def test_a_write_without_the_csrf_token_is_refused(app, people):
    ann = Walker(app, "ann")
    response = ann.start(new_id(), csrf=False)
    assert response.status_code == 400
    assert "CSRF" in response.get_json()["message"]


def test_another_accounts_walk_is_409_to_start_and_403_to_write(app, people):
    ann, bob, walk_id = Walker(app, "ann"), Walker(app, "bob"), new_id()
    assert ann.start(walk_id).status_code == 201
    response = bob.start(walk_id)
    assert response.status_code == 409
    assert response.get_json()["message"] == "this walk id is already used by another account"
    for response in (bob.points(walk_id, track(2)), bob.stop(walk_id, T0 + timedelta(hours=1))):
        assert response.status_code == 403
        assert response.get_json()["message"] == "this walk belongs to another account"
    assert stored_points(app, walk_id) == []
    assert "No walks yet." in bob.client.get("/walks").get_data(as_text=True)  # only his own
    officer_page = Walker(app, "olga").client.get("/walks").get_data(as_text=True)  # officers read all
    assert "Every account&#39;s walks (1)" in officer_page and "<td>ann</td>" in officer_page


# -- the walk API ----------------------------------------------------------------------------------
def test_start_is_201_then_200_on_repeat(app, people):
    ann, walk_id = Walker(app, "ann"), new_id()
    first = ann.start(walk_id)
    assert first.status_code == 201
    walk = first.get_json()["walk"]
    assert (walk["id"], walk["username"], walk["source"], walk["points"]) == (walk_id, "ann", "gps", 0)
    assert walk["started_at"] == "2026-11-24T10:00:00+00:00"
    again = ann.start(walk_id, started_at=T0 + timedelta(minutes=3))
    assert again.status_code == 200
    assert again.get_json()["walk"]["started_at"] == walk["started_at"]


@pytest.mark.parametrize(
    ("walk_id", "body", "message"),
    [
        ("not-a-uuid", {"started_at": "2026-11-24T10:00:00Z"}, "walk_id: expected a UUID v4"),
        (str(uuid.uuid1()), {"started_at": "2026-11-24T10:00:00Z"}, "walk_id: expected a UUID v4"),
        (None, {"started_at": "yesterday"}, "started_at: expected an ISO 8601 time"),
        (None, {"started_at": "2026-11-24T10:00:00"}, "started_at: the time needs a time zone"),
        (None, {"started_at": "2026-11-24T10:00:00Z", "name": "x"}, "unknown field(s): name"),
        (None, ["2026-11-24T10:00:00Z"], "expected a JSON object"),
    ],
    ids=["not-uuid", "uuid1", "not-a-time", "naive", "unknown-field", "not-object"],
)
def test_bad_start_is_400_and_stores_nothing(app, people, walk_id, body, message):
    ann = Walker(app, "ann")
    response = ann.send("PUT", f"/api/walks/{walk_id or new_id()}", body)
    assert response.status_code == 400
    assert response.get_json()["message"].startswith(message)
    with app.app_context():
        assert get_store().walks() == []


def test_points_are_stored_once_even_when_a_batch_is_retried(app, people):
    ann, walk_id = Walker(app, "ann"), new_id()
    ann.start(walk_id)
    first = ann.points(walk_id, track(5))
    assert first.status_code == 200
    assert first.get_json()["walk"]["points"] == 5 and first.get_json()["added"] == 5
    retried = ann.points(walk_id, track(5))
    assert retried.get_json()["walk"]["points"] == 5 and retried.get_json()["added"] == 0
    overlapping = ann.points(walk_id, track(4, start=3))
    assert overlapping.get_json()["walk"]["points"] == 7
    assert len(stored_points(app, walk_id)) == 7


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"lon": 52.628, "lat": -1.138}, "points[2]: latitude and longitude look swapped"),
        ({"lon": 2.35, "lat": 48.85}, "points[2]: point (2.35, 48.85) is outside the UK"),
        ({"lon": "NaN"}, "points[2]: lon must be a number"),
        ({"lat": None}, "points[2]: lat must be a number"),
        ({"t": "soon"}, "points[2].t: expected an ISO 8601 time"),
        ({"accuracy": -3}, "points[2]: accuracy must be a number of metres >= 0"),
        ({"speed": 1.2}, "points[2]: unknown field(s): speed"),
    ],
    ids=["swapped", "outside-uk", "lon-text", "lat-null", "bad-time", "negative-accuracy", "unknown"],
)
def test_a_bad_point_is_400_naming_its_index_and_nothing_is_stored(app, people, bad, message):
    ann, walk_id = Walker(app, "ann"), new_id()
    ann.start(walk_id)
    batch = track(4)
    batch[2] = batch[2] | bad
    response = ann.points(walk_id, batch)
    assert response.status_code == 400
    assert response.get_json()["message"].startswith(message)
    assert stored_points(app, walk_id) == []


def test_nan_coordinates_are_refused(app, people):
    ann, walk_id = Walker(app, "ann"), new_id()
    ann.start(walk_id)
    body = '{"points": [{"lon": NaN, "lat": 52.6, "t": "2026-11-24T10:00:00Z", "accuracy": 5}]}'
    response = ann.client.post(
        f"/api/walks/{walk_id}/points",
        data=body,
        headers={"X-CSRFToken": ann.csrf, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.get_json()["message"].startswith("points[0]: coordinates missing or not numbers")


def test_more_than_5000_points_in_one_call_is_400(app, people):
    ann, walk_id = Walker(app, "ann"), new_id()
    ann.start(walk_id)
    response = ann.points(walk_id, track(5001, step=0.0000001, seconds=1))
    assert response.status_code == 400
    assert response.get_json()["message"] == "points: at most 5000 in one call, got 5001"
    assert stored_points(app, walk_id) == []


def test_points_of_an_unknown_walk_are_404(app, people):
    response = Walker(app, "ann").points(new_id(), track(2))
    assert response.status_code == 404


def test_stop_is_idempotent_and_late_points_are_taken(app, people):
    ann, walk_id = Walker(app, "ann"), new_id()
    ann.start(walk_id)
    stop = T0 + timedelta(minutes=20)
    first = ann.stop(walk_id, stop)
    assert first.status_code == 200 and first.get_json()["walk"]["stopped_at"] == stop.isoformat()
    assert ann.stop(walk_id, stop + timedelta(minutes=1)).get_json()["walk"]["stopped_at"] == stop.isoformat()
    assert ann.points(walk_id, track(3)).get_json()["walk"]["points"] == 3
    early = ann.stop(ann.start(new_id()).get_json()["walk"]["id"], T0 - timedelta(minutes=1))
    assert early.status_code == 400
    assert early.get_json()["message"] == "stopped_at: a walk cannot stop before it started"


# -- submissions on a walk -------------------------------------------------------------------------
def submission(**fields):
    return {
        "client_id": new_id(),
        "lon": WEST[0],
        "lat": WEST[1],
        "category": "cafe",
        "name": "Corner café",
        "confirm_new": True,
    } | fields


def test_a_place_added_on_a_walk_is_linked_to_it(app, people):
    ann, walk_id = Walker(app, "ann"), new_id()
    ann.start(walk_id)
    response = ann.send("POST", "/api/submissions", submission(walk_id=walk_id))
    assert response.status_code == 201
    asset_id = response.get_json()["asset"]["id"]
    with app.app_context():
        assert get_store().walk_assets(walk_id) == [(asset_id, "added")]
    seen = ann.send(
        "POST", "/api/submissions", submission(walk_id=walk_id, same_as=asset_id, confirm_new=False)
    )
    assert seen.status_code == 200
    with app.app_context():
        walk = get_store().walk(walk_id)
    assert (walk.assets_added, walk.assets_seen) == (1, 0)  # an asset is linked to a walk once


def test_a_retry_mends_a_walk_link_its_first_try_did_not_write(app, people, monkeypatch):
    ann, walk_id = Walker(app, "ann"), new_id()
    ann.start(walk_id)
    with app.app_context():
        store = get_store()

    def fail(*args, **kwargs):
        raise RuntimeError("the server stopped between the place and its walk link")

    body = submission(walk_id=walk_id)
    monkeypatch.setattr(store, "link_walk_asset", fail)
    failed = ann.send("POST", "/api/submissions", body)  # the place is stored, its link is not
    assert failed.status_code == 500  # so the outbox keeps the item and sends it again
    with app.app_context():
        assert get_store().walk_assets(walk_id) == []
    monkeypatch.undo()
    retried = ann.send("POST", "/api/submissions", body)  # the outbox sends the same item again
    assert retried.status_code == 200
    assert retried.get_json()["repeat"] is True
    asset_id = retried.get_json()["asset"]["id"]
    with app.app_context():
        assert get_store().walk_assets(walk_id) == [(asset_id, "added")]
    assert ann.send("POST", "/api/submissions", body).status_code == 200  # and again: still one link
    with app.app_context():
        assert get_store().walk_assets(walk_id) == [(asset_id, "added")]


def test_a_place_seen_on_a_walk_is_linked_as_seen(app, people):
    ann, walk_id = Walker(app, "ann"), new_id()
    ann.start(walk_id)
    with app.app_context():
        bench = next(a for a in get_store().assets() if a.name == "Bench")
    body = submission(lon=bench.lon, lat=bench.lat, category="bench", name="Bench", same_as=bench.id)
    del body["confirm_new"]
    response = ann.send("POST", "/api/submissions", body | {"walk_id": walk_id})
    assert response.status_code == 200
    with app.app_context():
        assert get_store().walk_assets(walk_id) == [(bench.id, "seen")]


@pytest.mark.parametrize(
    ("walk_id", "status", "message"),
    [
        ("unknown", 400, "walk_id: no such walk; start the walk first"),
        ("garbage", 400, "walk_id: expected a UUID v4"),
        (7, 400, "walk_id: expected a UUID v4"),
        ("bobs", 403, "walk_id: this walk belongs to another account"),
    ],
)
def test_a_submission_on_a_bad_walk_is_refused_and_adds_nothing(app, people, walk_id, status, message):
    ann, bob = Walker(app, "ann"), Walker(app, "bob")
    bobs = new_id()
    bob.start(bobs)
    walk_id = {"unknown": new_id(), "garbage": "not-a-uuid", "bobs": bobs}.get(walk_id, walk_id)
    with app.app_context():
        before = get_store().count_assets()
    response = ann.send("POST", "/api/submissions", submission(walk_id=walk_id))
    assert response.status_code == status
    assert response.get_json()["message"].startswith(message)
    with app.app_context():
        assert get_store().count_assets() == before


# -- GPX -------------------------------------------------------------------------------------------
def gpx(points, *, ns="http://www.topografix.com/GPX/1/1"):
    rows = "".join(
        f'<trkpt lat="{lat}" lon="{lon}"><ele>60</ele><time>{t}</time></trkpt>' for lon, lat, t in points
    )
    head = f'<?xml version="1.0"?><gpx version="1.1" xmlns="{ns}">'
    return f"{head}<trk><trkseg>{rows}</trkseg></trk></gpx>".encode()


def gpx_points(n, *, lon=WEST[0], lat=WEST[1]):
    return [
        (lon + 0.0002 * i, lat, (T0 + timedelta(seconds=15 * i)).strftime("%Y-%m-%dT%H:%M:%SZ"))
        for i in range(n)
    ]


def upload(client, data, *, name="walk.gpx", token=None):
    form = {"gpx": (io.BytesIO(data), name), "csrf_token": token or csrf_token(client, "/walks")}
    return client.post("/walks/gpx", data=form, content_type="multipart/form-data")


def test_the_walks_page_needs_a_capturer(app, people):
    assert Walker(app, None).client.get("/walks").status_code == 302  # to the login page
    page = Walker(app, "ann").client.get("/walks")
    assert page.status_code == 200
    assert "No walks yet." in page.get_data(as_text=True)


def test_a_gpx_upload_makes_a_walk_listed_on_the_page(app, people):
    ann = Walker(app, "ann")
    response = upload(ann.client, gpx(gpx_points(10)))
    assert response.status_code == 303
    page = ann.client.get("/walks").get_data(as_text=True)
    assert "Walk uploaded: 10 points, 0.1 km of streets walked." in page
    assert "GPX upload" in page
    with app.app_context():
        (walk,) = get_store().walks(username="ann")
    assert (walk.source, walk.points, walk.started_at, walk.stopped_at) == (
        "gpx",
        10,
        T0,
        T0 + timedelta(seconds=135),
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"hello, not xml", "the file is not GPX: it is not well-formed XML"),
        (b"<kml><Document/></kml>", "the file is not GPX: its root element is &lt;kml&gt;"),
        (gpx([]), "the GPX file has no track points"),
        (gpx(gpx_points(3, lon=2.35, lat=48.85)), "track point 1: point (2.35, 48.85) is outside the UK"),
        (
            b'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY x "boom">]><gpx><trk><trkseg>'
            b'<trkpt lat="52.6" lon="-1.1"><time>&x;</time></trkpt></trkseg></trk></gpx>',
            "the file declares a DTD or entities",
        ),
        (
            b'<gpx><trk><trkseg><trkpt lat="52.62" lon="-1.13"/></trkseg></trk></gpx>',
            "track point 1: it has no &lt;time&gt;",
        ),
    ],
    ids=["not-xml", "kml", "no-points", "outside-uk", "dtd", "no-time"],
)
def test_a_bad_gpx_file_is_explained_on_the_page_and_nothing_is_stored(app, people, data, message):
    ann = Walker(app, "ann")
    response = upload(ann.client, data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert get_store().walks() == []


def test_a_gpx_file_over_the_limit_is_refused(app, people):
    app.config["MAX_GPX_BYTES"] = 2000
    ann = Walker(app, "ann")
    response = upload(ann.client, gpx(gpx_points(60)))
    assert response.status_code == 400
    assert "the GPX file is too large" in response.get_data(as_text=True)
    with app.app_context():
        assert get_store().walks() == []


def test_a_gpx_file_far_over_the_limit_is_413_before_it_is_read(app, people):
    """Refused on its Content-Length, before the CSRF check reads the form (no token is sent)."""
    app.config["MAX_GPX_BYTES"] = 2**20
    ann = Walker(app, "ann")
    form = {"gpx": (io.BytesIO(b"<gpx>" + bytes(2 * 2**20)), "walk.gpx")}
    response = ann.client.post("/walks/gpx", data=form, content_type="multipart/form-data")
    assert response.status_code == 413
    assert "the GPX file is too large (at most 1 MB)" in response.get_data(as_text=True)
    with app.app_context():
        assert get_store().walks() == []


def test_a_gpx_body_without_a_length_is_cut_off_at_the_limit(app, people):
    app.config["MAX_GPX_BYTES"] = 2**20
    ann = Walker(app, "ann")
    boundary = "gpx-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{ann.csrf}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="gpx"; filename="walk.gpx"\r\n\r\n'
        ).encode()
        + bytes(2 * 2**20)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = ann.client.post(
        "/walks/gpx",
        input_stream=io.BytesIO(body),
        content_type=f"multipart/form-data; boundary={boundary}",
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413
    assert "the GPX file is too large (at most 1 MB)" in response.get_data(as_text=True)
    with app.app_context():
        assert get_store().walks() == []


def test_a_gpx_upload_needs_the_csrf_token(app, people):
    ann = Walker(app, "ann")
    response = upload(ann.client, gpx(gpx_points(3)), token="forged")
    assert response.status_code == 400
    with app.app_context():
        assert get_store().walks() == []


# -- the public layer and the ward page ------------------------------------------------------------
def test_streets_layer_is_public_split_at_jumps_and_private(app, people):
    app.config["WALK_PRIVATE_ENDS_M"] = 0  # whole walks: these are too short to show otherwise
    ann, walk_id = Walker(app, "ann"), new_id()
    ann.start(walk_id)
    first = track(5)
    jump = track(5, start=5, lon=WEST[0] + 0.01)  # a jump of ~680 m after the fifth point
    ann.points(walk_id, first + jump)
    body = app.test_client().get("/api/walks/streets").get_json()
    assert body["type"] == "FeatureCollection"
    assert len(body["features"]) == 2
    for feature in body["features"]:
        assert feature["geometry"]["type"] == "LineString"
        assert feature["properties"] == {"month": "2026-11", "walks": 1}
    text = app.test_client().get("/api/walks/streets").get_data(as_text=True)
    assert "ann" not in text and "10:00" not in text


def test_streets_layer_follows_new_points_and_the_bbox(app, people):
    app.config["WALK_PRIVATE_ENDS_M"] = 0
    client = app.test_client()
    assert client.get("/api/walks/streets").get_json()["features"] == []
    ann, walk_id = Walker(app, "ann"), new_id()
    ann.start(walk_id)
    ann.points(walk_id, track(3))
    assert len(client.get("/api/walks/streets").get_json()["features"]) == 1  # not the cached empty one
    far = client.get("/api/walks/streets?bbox=-1.0,52.0,-0.9,52.1").get_json()
    assert far["features"] == []
    bad = client.get("/api/walks/streets?bbox=1,2,3")
    assert bad.status_code == 400
    assert client.get("/api/walks/streets?user=ann").status_code == 400


def test_streets_layer_leaves_out_the_ends_of_each_walk(app, people):
    ann, walk_id = Walker(app, "ann"), new_id()
    ann.start(walk_id)
    points = track(60)  # about 800 m due east, from the connector's door
    ann.points(walk_id, points)
    [feature] = app.test_client().get("/api/walks/streets").get_json()["features"]
    to_bng = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    door = to_bng.transform(points[0]["lon"], points[0]["lat"])
    drawn = [to_bng.transform(lon, lat) for lon, lat in feature["geometry"]["coordinates"]]
    assert min(((x - door[0]) ** 2 + (y - door[1]) ** 2) ** 0.5 for x, y in drawn) >= 75 - 0.01
    app.config["WALK_PRIVATE_ENDS_M"] = 0  # a new setting is a new app in practice; here, a new answer
    [whole] = app.test_client().get("/api/walks/streets?bbox=-1.2,52.5,-1.0,52.7").get_json()["features"]
    assert whole["geometry"]["coordinates"][0] == [points[0]["lon"], points[0]["lat"]]


def test_walk_writes_leave_the_store_revision_alone(app, people):
    with app.app_context():
        before = get_store().revision()
    ann, walk_id = Walker(app, "ann"), new_id()
    ann.start(walk_id)
    ann.points(walk_id, track(3))
    with app.app_context():
        assert get_store().revision() == before


def test_ward_page_says_how_far_was_walked_in_the_ward(app, people):
    client = app.test_client()
    page = client.get("/wards/W1").get_data(as_text=True)
    assert "0.0 km walked in this ward on patch walks" in page
    ann, walk_id = Walker(app, "ann"), new_id()
    ann.start(walk_id)
    # West to east along 52.625, from -1.1385 in W1 across the boundary at -1.13 into W2: the
    # part in W1 is 0.0085 degrees of longitude, about 575 m.
    points = track(40, lon=-1.1385, lat=52.625, step=0.0005, seconds=10, accuracy=5.0)
    ann.points(walk_id, points)
    west = client.get("/wards/W1").get_data(as_text=True)
    assert re.search(r"0\.[56] km walked in this ward on patch walks", west)


# -- deleting a walk -------------------------------------------------------------------------------
def delete(walker, walk_id, *, follow=False):
    form = {"csrf_token": walker.csrf}
    return walker.client.post(f"/walks/{walk_id}/delete", data=form, follow_redirects=follow)


def test_a_connector_deletes_their_walk_and_its_places_stay(app, people):
    ann, walk_id = Walker(app, "ann"), new_id()
    ann.start(walk_id)
    ann.points(walk_id, track(60))
    placed = ann.send("POST", "/api/submissions", submission(walk_id=walk_id)).get_json()["asset"]["id"]
    page = ann.client.get("/walks").get_data(as_text=True)
    assert f'action="/walks/{walk_id}/delete"' in page
    assert len(app.test_client().get("/api/walks/streets").get_json()["features"]) == 1
    response = delete(ann, walk_id)
    assert response.status_code == 303 and response.location == "/walks"
    page = ann.client.get("/walks").get_data(as_text=True)
    assert "deleted, with its 60 points; the places added on it stay on the map." in page
    assert "No walks yet." in page
    assert app.test_client().get("/api/walks/streets").get_json()["features"] == []  # not the cached layer
    with app.app_context():
        assert get_store().walks() == []
        assert get_store().get_asset(placed).name == "Corner café"
    again = delete(ann, walk_id, follow=True)  # a second press
    assert (
        again.status_code == 200
        and "That walk is not stored (perhaps already deleted)." in again.get_data(as_text=True)
    )


def test_only_the_walks_account_or_an_admin_deletes_it(app, people):
    ann, bob, olga, walk_id = Walker(app, "ann"), Walker(app, "bob"), Walker(app, "olga"), new_id()
    with app.app_context():
        get_store().create_user("ada", PASSWORD, role="admin")
    ann.start(walk_id)
    ann.points(walk_id, track(5))
    assert f"/walks/{walk_id}/delete" not in olga.client.get("/walks").get_data(as_text=True)  # sees, may not
    for other in (bob, olga):
        refused = delete(other, walk_id)
        assert refused.status_code == 403
        assert "this walk belongs to another account" in refused.get_data(as_text=True)
    with app.app_context():
        assert get_store().walk(walk_id).points == 5
    ada = Walker(app, "ada")
    assert f"/walks/{walk_id}/delete" in ada.client.get("/walks").get_data(as_text=True)
    assert delete(ada, walk_id).status_code == 303
    with app.app_context():
        assert get_store().walks() == []


def test_a_bad_walk_id_to_delete_is_400_and_the_csrf_token_is_needed(app, people):
    ann, walk_id = Walker(app, "ann"), new_id()
    ann.start(walk_id)
    assert delete(ann, "not-a-uuid").status_code == 400
    forged = ann.client.post(f"/walks/{walk_id}/delete", data={"csrf_token": "forged"})
    assert forged.status_code == 400
    with app.app_context():
        assert [w.id for w in get_store().walks()] == [walk_id]
