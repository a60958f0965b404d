"""Bulk upload (assetmap.web.bulk): roles, preview without writing, atomic commit, tokens, bad files."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from assetmap.config import load_config
from assetmap.errors import ConfigError
from assetmap.models import Status
from assetmap.web import get_store
from tests.conftest import csrf_token, logged_in_client

PASSWORD = "correct horse battery"
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
# Three places in the zoo's wards (real Leicester coordinates): two in West, one in East.
GOOD_CSV = (
    "name,category,lat,lon,source_id,step_free,description\n"
    "Chat bench,bench,52.6251,-1.1352,b1,yes,By the pond\n"
    "Corner café,cafe,52.6262,-1.1381,c1,no,\n"
    "East hall,community_centre,52.6241,-1.1253,h1,,Hall with a lift\n"
)
GOOD_GEOJSON = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [-1.1371, 52.6272]},
            "properties": {"name": "Library corner", "category": "library", "id": "L1"},
        },
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [-1.1262, 52.6233]},
            "properties": {"name": "East bench", "category": "bench", "id": "B9", "seating": True},
        },
    ],
}


@pytest.fixture
def bulk_app(app, tmp_path):
    """The web zoo app with its pending uploads in ``tmp_path`` and accounts of every role."""
    app.config["BULK_DIR"] = str(tmp_path / "bulk")
    with app.app_context():
        store = get_store()
        store.create_user("ann", PASSWORD, role="connector")
        store.create_user("olga", PASSWORD, role="officer")
        store.create_user("otto", PASSWORD, role="officer")
        store.create_user("adam", PASSWORD, role="admin")
        store.create_user("wes", PASSWORD, role="officer", wards=["W2"])
    return app


def client_for(app, username):
    return logged_in_client(app, username, PASSWORD)


def text(response):
    return response.get_data(as_text=True)


def upload(client, content, *, filename="places.csv", dataset="council-list", licence="OGL v3", csrf=True):
    body = content.encode("utf-8") if isinstance(content, str) else content
    data = {"dataset": dataset, "licence": licence, "file": (io.BytesIO(body), filename)}
    if csrf:
        data["csrf_token"] = csrf_token(client, "/bulk")
    return client.post("/bulk/preview", data=data, content_type="multipart/form-data")


def token_of(response):
    match = re.search(r'name="token" value="([^"]+)"', text(response))
    return match.group(1) if match else None


def commit(client, token):
    return client.post("/bulk/commit", data={"csrf_token": csrf_token(client, "/bulk"), "token": token})


def state(app):
    """How many assets the store holds, and its revision."""
    with app.app_context():
        store = get_store()
        return len(store.assets()), store.revision()


def assets_of(app, dataset="council-list"):
    with app.app_context():
        return {a.source_id: a for a in get_store().assets() if a.source_dataset == dataset}


def counts(response):
    """The preview's counts: new, updated, unchanged, with problems."""
    page = text(response)
    return tuple(
        int(re.search(rf'class="count-{kind}">(\d+)<', page).group(1))
        for kind in ("new", "updates", "unchanged", "error")
    )


# -- who may ---------------------------------------------------------------------------------------
def test_the_public_logs_in_first_and_a_connector_is_refused(bulk_app):
    anonymous = bulk_app.test_client()
    response = anonymous.get("/bulk")
    assert response.status_code == 302 and response.location == "/login?next=/bulk"
    assert anonymous.post("/bulk/preview").status_code in (302, 400)  # no CSRF token: refused either way
    ann = client_for(bulk_app, "ann")
    assert ann.get("/bulk").status_code == 403
    assert upload(ann, GOOD_CSV).status_code == 403
    assert commit(ann, "x" * 32).status_code == 403
    assert "Bulk upload" not in text(ann.get("/"))
    assert state(bulk_app)[0] == 2


@pytest.mark.parametrize("name", ["olga", "adam"])
def test_officers_and_admins_get_the_form_and_the_header_link(bulk_app, name):
    client = client_for(bulk_app, name)
    page = client.get("/bulk")
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in text(page) and 'name="csrf_token"' in text(page)
    assert '<a href="/bulk">Bulk upload</a>' in text(client.get("/"))


def test_a_preview_without_the_csrf_token_is_refused(bulk_app):
    response = upload(client_for(bulk_app, "olga"), GOOD_CSV, csrf=False)
    assert response.status_code == 400 and "CSRF" in text(response)


# -- preview, then commit --------------------------------------------------------------------------
def test_preview_of_a_good_csv_writes_nothing_and_commit_adds_every_row(bulk_app):
    olga = client_for(bulk_app, "olga")
    before = state(bulk_app)
    response = upload(olga, GOOD_CSV)
    assert response.status_code == 200
    assert counts(response) == (3, 0, 0, 0)
    page = text(response)
    assert "Chat bench" in page and "52.62510, -1.13520" in page and "West" in page
    assert "Corner café" in page and "East hall" in page
    assert state(bulk_app) == before  # the preview wrote nothing
    token = token_of(response)
    assert token

    done = commit(olga, token)
    assert done.status_code == 303 and done.location == f"/bulk/result/{token}"
    result = olga.get(done.location)
    assert result.status_code == 200
    assert re.search(r'class="count-added">3<', text(result))
    assert state(bulk_app)[0] == before[0] + 3 and state(bulk_app)[1] > before[1]
    stored = assets_of(bulk_app)
    assert set(stored) == {"b1", "c1", "h1"}
    bench = stored["b1"]
    assert (bench.status, bench.licence, bench.step_free, bench.description) == (
        Status.REPORTED,
        "OGL v3",
        True,
        "By the pond",
    )
    assert (bench.created_by, bench.ward_code, stored["h1"].ward_code) == ("olga", "W1", "W2")
    assert f'href="/assets/{bench.id}"' in text(result)
    with bulk_app.app_context():
        (event,) = get_store().audit(bench.id)
    assert (event.action, event.actor) == ("create", "olga")


def test_the_same_file_again_is_unchanged_and_a_changed_one_updates_without_duplicates(bulk_app):
    olga = client_for(bulk_app, "olga")
    assert commit(olga, token_of(upload(olga, GOOD_CSV))).status_code == 303
    after_first = state(bulk_app)

    again = upload(olga, GOOD_CSV)
    assert counts(again) == (0, 0, 3, 0)
    done = commit(olga, token_of(again))
    assert re.search(r'class="count-unchanged">3<', text(olga.get(done.location)))
    assert state(bulk_app) == after_first  # nothing written, not even the revision

    changed = upload(olga, GOOD_CSV.replace("Chat bench", "Listening bench"))
    assert counts(changed) == (0, 1, 2, 0)
    bench_id = assets_of(bulk_app)["b1"].id
    assert f'updates <a href="/assets/{bench_id}">Chat bench</a>' in text(changed)
    done = commit(olga, token_of(changed))
    assert re.search(r'class="count-updated">1<', text(olga.get(done.location)))
    stored = assets_of(bulk_app)
    assert len(stored) == 3 and stored["b1"].name == "Listening bench" and stored["b1"].version == 2
    assert state(bulk_app)[0] == after_first[0]


def test_a_reupload_keeps_an_officers_verification(bulk_app):
    olga = client_for(bulk_app, "olga")
    commit(olga, token_of(upload(olga, GOOD_CSV)))
    bench = assets_of(bulk_app)["b1"]
    with bulk_app.app_context():
        get_store().set_status(bench.id, Status.VERIFIED, expected_version=bench.version, actor="olga")
    commit(olga, token_of(upload(olga, GOOD_CSV.replace("By the pond", "By the big pond"))))
    again = assets_of(bulk_app)["b1"]
    assert (again.status, again.description) == (Status.VERIFIED, "By the big pond")


def test_a_good_geojson_previews_and_commits(bulk_app):
    adam = client_for(bulk_app, "adam")
    before = state(bulk_app)
    response = upload(adam, json.dumps(GOOD_GEOJSON), filename="places.geojson", dataset="parks-team")
    assert response.status_code == 200 and counts(response) == (2, 0, 0, 0)
    assert "Library corner" in text(response) and "52.62720, -1.13710" in text(response)
    assert state(bulk_app) == before
    commit(adam, token_of(response))
    stored = assets_of(bulk_app, "parks-team")
    assert set(stored) == {"L1", "B9"} and stored["B9"].seating is True
    assert stored["B9"].ward_code == "W2" and stored["L1"].created_by == "adam"


def test_a_geojson_in_british_national_grid_is_reprojected(bulk_app):
    bng = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}},
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [458800, 304500]},
                "properties": {"name": "Grid hall", "category": "community_centre"},
            }
        ],
    }
    response = upload(client_for(bulk_app, "olga"), json.dumps(bng), filename="grid.geojson")
    assert counts(response) == (1, 0, 0, 0)
    lat, lon = (float(x) for x in re.search(r"(52\.\d{5}), (-1\.\d{5})", text(response)).groups())
    assert 52.5 < lat < 52.7 and -1.2 < lon < -1.0


# -- rows with problems ----------------------------------------------------------------------------
def test_one_bad_row_is_listed_with_its_number_and_blocks_the_commit(bulk_app):
    olga = client_for(bulk_app, "olga")
    before = state(bulk_app)
    bad = GOOD_CSV + "Moon base,spaceport,52.6255,-1.1355,m1,,\n"
    response = upload(olga, bad)
    assert response.status_code == 200
    assert counts(response) == (3, 0, 0, 1)
    page = text(response)
    row = re.search(r'<tr class="outcome-error">(.*?)</tr>', page, re.S).group(1)
    assert '<td class="num">4</td>' in row and "Moon base" in row
    assert "<strong>category</strong>: unknown category &#39;spaceport&#39;" in row
    assert "1 row has problems, so nothing can be" in page
    assert token_of(response) is None and 'action="/bulk/commit"' not in page
    assert state(bulk_app) == before
    assert not any(Path(bulk_app.config["BULK_DIR"]).glob("*/assets.json"))  # nothing kept to commit


ROW_PROBLEMS = [
    ("Swapped,bench,-1.1355,52.6255,s1,,", "location", "latitude and longitude look swapped"),
    ("Far,bench,40.0,-1.13,f1,,", "location", "point (-1.13, 40) is outside the UK"),
    (",bench,52.6255,-1.1355,e1,,", "name", "an asset needs a name"),
    ("Blank,,52.6255,-1.1355,e2,,", "category", "missing category"),
    ("Bad lat,bench,fifty,-1.1355,n1,,", "location", "latitude is not a number: &#39;fifty&#39;"),
    ("No place,bench,,,n2,,", "location", "no location"),
    ("Maybe,bench,52.6255,-1.1355,y1,maybe,", "step_free", "step_free must be yes or no"),
    ("Again,bench,52.6256,-1.1356,b1,,", "source_id", "duplicate id &#39;b1&#39; (also row 1)"),
    ("Metres,bench,304500,458800,g1,,", "location", "projected metres, so say which CRS"),
]


@pytest.mark.parametrize(("line", "field", "message"), ROW_PROBLEMS)
def test_each_kind_of_bad_row_is_named_with_row_field_and_message(bulk_app, line, field, message):
    response = upload(client_for(bulk_app, "olga"), GOOD_CSV + line + "\n")
    assert response.status_code == 200
    rows = re.findall(r'<tr class="outcome-error">(.*?)</tr>', text(response), re.S)
    assert len(rows) == 1
    assert '<td class="num">4</td>' in rows[0]
    assert f"<strong>{field}</strong>: " in rows[0] and message in rows[0]
    assert token_of(response) is None


def test_every_problem_of_a_row_is_listed(bulk_app):
    response = upload(client_for(bulk_app, "olga"), GOOD_CSV + ",spaceport,,,x1,perhaps,\n")
    (row,) = re.findall(r'<tr class="outcome-error">(.*?)</tr>', text(response), re.S)
    for field in ("location", "category", "name", "step_free"):
        assert f"<strong>{field}</strong>: " in row


def test_a_scoped_officer_cannot_upload_outside_their_wards(bulk_app):
    response = upload(client_for(bulk_app, "wes"), GOOD_CSV)  # wes may edit only in W2 (East)
    assert counts(response) == (1, 0, 0, 2)
    assert text(response).count("outside the wards your account may edit") == 2
    assert token_of(response) is None


# -- files that cannot be read ---------------------------------------------------------------------
BROKEN = [
    ("places.csv", b"PK\x03\x04\x14\x00binary", "the content is not what the extension &#39;.csv&#39; says"),
    ("places.geojson", b"name,category\nA,bench\n", "the content is not what the extension"),
    ("places.geojson", b"{not json", "not valid JSON"),
    ("places.geojson", b'{"type": "Feature"}', "expected a GeoJSON FeatureCollection"),
    ("places.geojson", b'{"type": "FeatureCollection", "features": []}', "holds no features"),
    ("places.csv", "name,category,lat,lon\nCafé,cafe,52.6,-1.13\n".encode("latin-1"), "not UTF-8 text"),
    ("places.csv", b"name,category,lat,lon\nA,bench,52.6\n", "places.csv, row 1: expected 4 fields, found 3"),
    ("places.csv", b"name,category,lat,lon\n", "no data rows"),
    ("places.xlsx", b"whatever", "expected a .csv or .geojson file"),
    ("places.csv", b"", "the file is empty"),
    ("places.csv", b" \n\n", "the file is empty"),
    (
        "places.geojson",
        json.dumps({**GOOD_GEOJSON, "crs": {"type": "name", "properties": {"name": "EPSG:999999"}}}).encode(),
        "unknown coordinate reference system",
    ),
    ("places.geojson", json.dumps({**GOOD_GEOJSON, "crs": "EPSG:27700"}).encode(), "the crs member must be"),
    (
        "places.geojson",
        json.dumps({**GOOD_GEOJSON, "crs": {"type": "name", "properties": "EPSG:27700"}}).encode(),
        "the crs member must be",
    ),
    (
        "places.geojson",
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [{"type": "Feature", "geometry": None, "properties": {}}],
            }
        ).encode(),
        "places.geojson, feature 1: expected a Point, found no geometry",
    ),
]


@pytest.mark.parametrize(("filename", "content", "message"), BROKEN)
def test_a_broken_file_gets_a_page_level_error_and_nothing_is_kept(bulk_app, filename, content, message):
    before = state(bulk_app)
    response = upload(client_for(bulk_app, "olga"), content, filename=filename)
    assert response.status_code == 400
    page = text(response)
    assert message in page and "Nothing has been saved." in page
    assert 'role="alert"' in page and 'value="council-list"' in page  # the form again, as it was
    assert "/tmp" not in page and "assetmap-bulk-" not in page  # no server paths
    assert state(bulk_app) == before
    assert not Path(bulk_app.config["BULK_DIR"]).exists()


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"dataset": ""}, "Give the source dataset name."),
        ({"licence": "  "}, "Give the licence."),
        ({"dataset": "x" * 101}, "at most 100 characters"),
        ({"dataset": "Capture"}, "kept for places added on the capture page"),
        ({"filename": ""}, "Choose a CSV or GeoJSON file to upload."),
    ],
)
def test_a_form_without_what_it_needs_is_refused(bulk_app, form, message):
    response = upload(client_for(bulk_app, "olga"), GOOD_CSV, **form)
    assert response.status_code == 400 and message in text(response)
    assert state(bulk_app)[0] == 2


def test_a_file_over_the_bulk_limit_is_refused_with_413(bulk_app):
    bulk_app.config["MAX_BULK_BYTES"] = len(GOOD_CSV.encode()) - 1
    response = upload(client_for(bulk_app, "olga"), GOOD_CSV)
    assert response.status_code == 413
    assert "the file is larger than" in text(response) and "split it" in text(response)
    assert state(bulk_app)[0] == 2


def test_a_file_with_more_rows_than_allowed_is_refused(bulk_app):
    bulk_app.config["MAX_BULK_ROWS"] = 2
    response = upload(client_for(bulk_app, "olga"), GOOD_CSV)
    assert response.status_code == 400 and "more than 2 rows; split the file" in text(response)


def test_a_request_over_the_app_limit_gets_a_clear_413_page_and_json_under_api(bulk_app):
    bulk_app.config["MAX_CONTENT_LENGTH"] = 2**19
    olga = client_for(bulk_app, "olga")
    big = "name,category,lat,lon\n" + "Bench,bench,52.6255,-1.1355\n" * 20_000
    response = upload(olga, big)
    assert response.status_code == 413
    assert "The request is too large: at most 0.5 MB is accepted." in text(response)
    assert "<h1>413</h1>" in text(response)
    headers = {"X-CSRFToken": csrf_token(olga, "/bulk")}
    api = olga.post("/api/submissions", data="x" * 2**20, content_type="application/json", headers=headers)
    assert api.status_code == 413
    assert api.get_json() == {
        "status": 413,
        "message": "The request is too large: at most 0.5 MB is accepted.",
    }
    assert state(bulk_app)[0] == 2


# -- tokens ----------------------------------------------------------------------------------------
def test_an_unknown_or_malformed_token_commits_nothing(bulk_app):
    olga = client_for(bulk_app, "olga")
    before = state(bulk_app)
    for token in ("A" * 32, "../../etc", ""):
        response = commit(olga, token)
        assert response.status_code == 404 and "No upload has this token" in text(response)
    assert olga.get("/bulk/result/" + "A" * 32).status_code == 404
    assert state(bulk_app) == before


def test_another_users_token_is_refused_and_its_owner_can_still_commit(bulk_app):
    olga, otto = client_for(bulk_app, "olga"), client_for(bulk_app, "otto")
    token = token_of(upload(olga, GOOD_CSV))
    before = state(bulk_app)
    response = commit(otto, token)
    assert response.status_code == 403 and "previewed by another account" in text(response)
    assert state(bulk_app) == before
    done = commit(olga, token)
    assert done.status_code == 303 and state(bulk_app)[0] == before[0] + 3
    assert otto.get(done.location).status_code == 403  # nor may otto read the result


def test_a_token_commits_once(bulk_app):
    olga = client_for(bulk_app, "olga")
    token = token_of(upload(olga, GOOD_CSV))
    assert commit(olga, token).status_code == 303
    after = state(bulk_app)
    again = commit(olga, token)
    assert again.status_code == 409 and "committed already; nothing was written again" in text(again)
    assert state(bulk_app) == after
    with bulk_app.app_context():
        bench = get_store().asset_by_source("council-list", "b1")
        assert len(get_store().audit(bench.id)) == 1


def test_an_expired_preview_cannot_be_committed(bulk_app):
    olga = client_for(bulk_app, "olga")
    token = token_of(upload(olga, GOOD_CSV))
    meta_path = Path(bulk_app.config["BULK_DIR"]) / token / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["created_at"] = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    meta_path.write_text(json.dumps(meta))
    response = commit(olga, token)
    assert response.status_code == 404 and "expired" in text(response)
    assert state(bulk_app)[0] == 2 and not meta_path.parent.exists()


def test_a_failed_commit_writes_nothing_and_the_token_stays_usable(bulk_app):
    """The store refuses the write (a point edited to lie outside the UK): all or none, token kept."""
    olga = client_for(bulk_app, "olga")
    token = token_of(upload(olga, GOOD_CSV))
    folder = Path(bulk_app.config["BULK_DIR"]) / token
    items = json.loads((folder / "assets.json").read_text())
    items[2]["lat"] = 99.0  # stands for data the store refuses on write
    (folder / "assets.json").write_text(json.dumps(items))
    before = state(bulk_app)
    response = commit(olga, token)
    assert response.status_code == 400 and "outside the UK" in text(response)
    assert state(bulk_app) == before  # not even the first two rows
    assert (folder / "assets.json").is_file()


# -- escaping --------------------------------------------------------------------------------------
def test_script_in_names_is_escaped_on_every_page_and_stored_as_text(bulk_app):
    olga = client_for(bulk_app, "olga")
    hostile = (
        "name,category,lat,lon,source_id,description\n"
        f'"{SCRIPT}",bench,52.6251,-1.1352,x1,"{IMG.replace(chr(34), chr(34) * 2)}"\n'
        f'"{IMG.replace(chr(34), chr(34) * 2)}",cafe,52.6262,-1.1381,x2,\n'
        f'"{SCRIPT}",{SCRIPT},52.6262,-1.1381,x3,\n'
    )
    bad = upload(olga, hostile, filename=f"{SCRIPT}.csv", dataset=IMG)
    page = text(bad)
    assert SCRIPT not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    good = upload(olga, "\n".join(hostile.splitlines()[:3]) + "\n", dataset=IMG)
    assert SCRIPT not in text(good) and "<img src=x" not in text(good)
    result = olga.get(commit(olga, token_of(good)).location)
    assert SCRIPT not in text(result) and "<img src=x" not in text(result)
    stored = assets_of(bulk_app, IMG)
    assert stored["x1"].name == SCRIPT and stored["x2"].name == IMG and stored["x1"].description == IMG


# -- configuration ---------------------------------------------------------------------------------
def test_upload_limits_are_validated(tmp_path):
    none = tmp_path / "none.json"  # no instance file: a developer's own settings must not count
    config = load_config({}, environ={}, instance_path=none)
    assert (config["MAX_REQUEST_BYTES"], config["MAX_BULK_BYTES"], config["MAX_BULK_ROWS"]) == (
        25 * 2**20,
        20 * 2**20,
        50_000,
    )
    env = load_config({}, environ={"ASSETMAP_MAX_BULK_ROWS": "10"}, instance_path=none)
    assert env["MAX_BULK_ROWS"] == 10
    for bad, message in [
        ({"MAX_REQUEST_BYTES": 0}, "MAX_REQUEST_BYTES: expected a whole number >= 1"),
        ({"MAX_BULK_ROWS": "many"}, "MAX_BULK_ROWS: expected a whole number >= 1"),
        ({"MAX_BULK_BYTES": True}, "MAX_BULK_BYTES: expected a whole number >= 1"),
        ({"MAX_BULK_BYTES": 30 * 2**20}, "a bulk file must fit in a request"),
        ({"BULK_DIR": ""}, "BULK_DIR: expected a folder path"),
    ]:
        with pytest.raises(ConfigError, match=message):
            load_config(bad, environ={}, instance_path=none)


def test_the_app_limits_requests_by_max_request_bytes(tmp_path):
    from assetmap.web import create_app
    from tests.conftest import TEST_SECRET_KEY

    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}",
            "SECRET_KEY": TEST_SECRET_KEY,
            "MAX_REQUEST_BYTES": 2000,
            "MAX_BULK_BYTES": 1000,
        }
    )
    assert app.config["MAX_CONTENT_LENGTH"] == 2000
