"""The moderation queue, its decisions and the asset page (assetmap.web.moderation)."""

from __future__ import annotations

import json
import re

import pytest

from assetmap.models import Asset, Status
from assetmap.web import get_store
from tests.conftest import csrf_token, logged_in_client

PASSWORD = "correct horse battery"
SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
ACTIONS = ("verify", "reject", "close", "merge")


@pytest.fixture
def zoo(app):
    """Accounts of every role and a few reported assets around the zoo's verified Bench.

    ``dup`` is a reported bench about 13 m from Bench; ``far`` a verified bench about 180 m away;
    ``shut`` a closed bench and ``books`` a library, both next to ``dup``; ``east`` a reported
    café named with a script tag in the east ward (also named with one).
    """
    with app.app_context():
        store = get_store()
        store.create_user("ann", PASSWORD, role="connector")
        store.create_user("olga", PASSWORD, role="officer")
        store.create_user("adam", PASSWORD, role="admin")
        store.create_user("wes", PASSWORD, role="officer", wards=["W2"])
        bench = store.assets()[0] if store.assets()[0].name == "Bench" else store.assets()[1]
        ids = {"bench": bench.id}
        for key, asset, actor in [
            ("dup", Asset("bench", "Bench (again)", -1.1356, 52.6256), "ann"),
            ("far", Asset("bench", "Far bench", -1.1355, 52.6272, status=Status.VERIFIED), "olga"),
            ("shut", Asset("bench", "Old bench", -1.1357, 52.6256, status=Status.CLOSED), "olga"),
            ("books", Asset("library", "Library", -1.1356, 52.6257), "ann"),
            ("east", Asset("cafe", SCRIPT, -1.125, 52.625), "ann"),
        ]:
            ids[key] = store.add_asset(asset, actor=actor).id
    return ids


def client_for(app, username):
    return logged_in_client(app, username, PASSWORD)


def stored(app, asset_id):
    with app.app_context():
        return get_store().get_asset(asset_id)


def events(app, asset_id):
    with app.app_context():
        return get_store().audit(asset_id)


def decide(client, asset_id, action, *, version=1, **fields):
    data = {"csrf_token": csrf_token(client, "/login"), "version": str(version), **fields}
    return client.post(f"/moderation/{asset_id}/{action}", data=data)


def text(response):
    return response.get_data(as_text=True)


# -- who may ---------------------------------------------------------------------------------------
def test_the_queue_is_for_officers_and_admins_only(app, zoo):
    response = app.test_client().get("/moderation")
    assert response.status_code == 302 and response.location == "/login?next=/moderation"
    assert client_for(app, "ann").get("/moderation").status_code == 403
    for name in ("olga", "adam"):
        assert client_for(app, name).get("/moderation").status_code == 200


@pytest.mark.parametrize("action", ACTIONS)
def test_the_public_is_sent_to_log_in_and_a_connector_is_refused(app, zoo, action):
    asset_id = zoo["dup"]
    public = app.test_client()
    response = decide(public, asset_id, action, target=zoo["bench"])
    assert response.status_code == 302 and response.location.startswith("/login?next=/moderation/")
    response = decide(client_for(app, "ann"), asset_id, action, target=zoo["bench"])
    assert response.status_code == 403
    assert stored(app, asset_id).version == 1 and len(events(app, asset_id)) == 1


@pytest.mark.parametrize("name", ["olga", "adam"])
@pytest.mark.parametrize(
    ("action", "status"),
    [
        ("verify", Status.VERIFIED),
        ("reject", Status.CLOSED),
        ("close", Status.CLOSED),
        ("merge", Status.MERGED),
    ],
)
def test_officers_and_admins_may_decide(app, zoo, name, action, status):
    response = decide(client_for(app, name), zoo["dup"], action, target=zoo["bench"])
    assert response.status_code == 302 and response.location == "/moderation"
    asset = stored(app, zoo["dup"])
    assert (asset.status, asset.version, asset.updated_by) == (status, 2, name)


def test_a_ward_scoped_officer_sees_and_decides_only_in_their_wards(app, zoo):
    client = client_for(app, "wes")
    page = text(client.get("/moderation"))
    assert ESCAPED in page and "Bench (again)" not in page
    assert decide(client, zoo["dup"], "verify").status_code == 403
    assert stored(app, zoo["dup"]).status is Status.REPORTED
    assert decide(client, zoo["east"], "verify").status_code == 302


def test_a_decision_without_the_csrf_token_is_refused(app, zoo):
    client = client_for(app, "olga")
    response = client.post(f"/moderation/{zoo['dup']}/verify", data={"version": "1"})
    assert response.status_code == 400
    assert "CSRF token is missing" in text(response)
    assert stored(app, zoo["dup"]).status is Status.REPORTED


# -- the queue -------------------------------------------------------------------------------------
def test_the_queue_lists_reported_assets_oldest_first_with_who_and_where(app, zoo):
    page = text(client_for(app, "olga").get("/moderation"))
    names = ["Bench (again)", "Library", ESCAPED]
    positions = [page.find(f">{n}</a>") for n in names]
    assert all(p > 0 for p in positions) and positions == sorted(positions)
    assert "Far bench" not in page.split("<tbody>")[1].split("Merge Bench (again) into")[0]
    assert f'href="/assets/{zoo["dup"]}"' in page
    assert "by ann" in page and ">West<" in page and "3 reported assets" in page


def test_merge_candidates_are_same_category_within_150_m_and_still_on_the_map(app, zoo):
    page = text(client_for(app, "olga").get("/moderation"))
    row = page.split(f'id="asset-{zoo["dup"]}"')[1].split("</tr>")[0]
    targets = re.findall(r'name="target" value="([0-9a-f]+)"', row)
    assert targets == [zoo["bench"]]  # not the far bench, the closed one, the library or itself
    assert re.search(r"\(verified, 1[0-9] m\)", row)
    books = page.split(f'id="asset-{zoo["books"]}"')[1].split("</tr>")[0]
    assert 'name="target"' not in books and "No asset of the same category within 150 m" in books


def test_the_queue_and_the_asset_page_escape_names(app, zoo):
    client = client_for(app, "olga")
    for path in ("/moderation", f"/assets/{zoo['east']}"):
        page = text(client.get(path))
        assert SCRIPT not in page and ESCAPED in page, path
    public = text(app.test_client().get(f"/assets/{zoo['east']}"))
    assert SCRIPT not in public and ESCAPED in public


# -- what each decision records --------------------------------------------------------------------
def test_verify_stamps_the_verification_and_audits_it(app, zoo):
    decide(client_for(app, "olga"), zoo["dup"], "verify")
    asset = stored(app, zoo["dup"])
    assert (asset.status, asset.last_verified_by) == (Status.VERIFIED, "olga")
    event = events(app, zoo["dup"])[-1]
    assert (event.action, event.actor, event.before["status"], event.after["status"]) == (
        "status",
        "olga",
        "reported",
        "verified",
    )
    assert event.after["note"] == {"outcome": "verified"}


@pytest.mark.parametrize("action", ["reject", "close"])
def test_reject_and_close_both_close_and_say_which_with_the_reason(app, zoo, action):
    decide(client_for(app, "olga"), zoo["dup"], action, reason="  not a   real place ")
    assert stored(app, zoo["dup"]).status is Status.CLOSED
    event = events(app, zoo["dup"])[-1]
    outcome = "rejected" if action == "reject" else "closed"
    assert event.after["note"] == {"outcome": outcome, "reason": "not a real place"}


def test_merge_records_the_target_and_the_asset_page_links_it(app, zoo):
    decide(client_for(app, "olga"), zoo["dup"], "merge", target=zoo["bench"])
    assert stored(app, zoo["dup"]).status is Status.MERGED
    assert events(app, zoo["dup"])[-1].after["note"] == {"outcome": "merged", "merged_into": zoo["bench"]}
    page = text(app.test_client().get(f"/assets/{zoo['dup']}"))
    assert f'merged into\n  <a href="/assets/{zoo["bench"]}">Bench</a>' in page


@pytest.mark.parametrize("target", ["far", "shut", "books", "dup", "nonsense", None])
def test_merge_into_anything_but_a_candidate_is_refused(app, zoo, target):
    fields = {} if target is None else {"target": zoo.get(target, target)}
    response = decide(client_for(app, "olga"), zoo["dup"], "merge", **fields)
    assert response.status_code == 400
    assert "same category within 150 m" in text(response)
    assert stored(app, zoo["dup"]).status is Status.REPORTED and len(events(app, zoo["dup"])) == 1


def test_bad_requests_are_refused_and_change_nothing(app, zoo):
    client = client_for(app, "olga")
    assert decide(client, zoo["dup"], "delete").status_code == 404
    assert decide(client, "no-such-asset", "verify").status_code == 404
    response = decide(client, zoo["dup"], "verify", version="one")
    assert response.status_code == 400 and "no valid asset version" in text(response)
    response = decide(client, zoo["far"], "reject")
    assert response.status_code == 400 and "a verified asset cannot be given the action" in text(response)
    response = decide(client, zoo["dup"], "reject", reason="x" * 501)
    assert response.status_code == 400 and "too long" in text(response)
    assert stored(app, zoo["dup"]).version == 1 and stored(app, zoo["far"]).version == 1


# -- conflicts ---------------------------------------------------------------------------------
@pytest.mark.parametrize("action", ACTIONS)
def test_a_decision_on_an_asset_changed_since_the_page_loaded_is_a_409_changing_nothing(app, zoo, action):
    client = client_for(app, "olga")
    page = text(client.get("/moderation"))
    version = re.search(
        rf'action="/moderation/{zoo["dup"]}/{action}">.*?name="version" value="(\d+)"', page, re.S
    ).group(1)
    with app.app_context():  # someone else edits it meanwhile
        get_store().update_asset(zoo["dup"], {"name": "Bench by the pond"}, expected_version=1, actor="ann")
    response = decide(client, zoo["dup"], action, version=version, target=zoo["bench"])
    assert response.status_code == 409
    assert "Changed by someone else" in text(response) and "Nothing is lost" in text(response)
    asset = stored(app, zoo["dup"])
    assert (asset.status, asset.version, asset.name) == (Status.REPORTED, 2, "Bench by the pond")
    assert [e.action for e in events(app, zoo["dup"])] == ["create", "update"]


# -- the asset page ----------------------------------------------------------------------------
def test_an_unknown_asset_is_a_404_page(client):
    response = client.get("/assets/nope")
    assert response.status_code == 404 and "no asset with id" in text(response)


def test_the_asset_page_shows_details_and_history(app, zoo):
    decide(client_for(app, "olga"), zoo["dup"], "reject", reason="duplicate of a photo")
    page = text(app.test_client().get(f"/assets/{zoo['dup']}"))
    assert "<h1>Bench (again)</h1>" in page and "Status: <strong>closed</strong>" in page
    assert "Last verified</dt><dd>never" in page and "Licence</dt><dd>not recorded" in page
    assert "Category</dt><dd>Bench</dd>" in page and '<a href="/wards/W1">West</a>' in page
    assert "added (reported)" in page and "status reported → closed (rejected)" in page
    with app.app_context():
        get_store().update_asset(
            zoo["far"], {"subcategory": "listening_bench"}, expected_version=1, actor="x"
        )
    page = text(app.test_client().get(f"/assets/{zoo['far']}"))
    assert "Category</dt><dd>Bench: Listening bench</dd>" in page and "edited: subcategory" in page


def test_the_public_sees_roles_and_officers_see_names_and_reasons(app, zoo):
    decide(client_for(app, "olga"), zoo["dup"], "reject", reason="duplicate of a photo")
    public = text(app.test_client().get(f"/assets/{zoo['dup']}"))
    history = public.split("<h2>History</h2>")[1]
    assert "a connector" in history and "an officer" in history
    assert "olga" not in history and "ann" not in history and "duplicate of a photo" not in history
    officer = text(client_for(app, "adam").get(f"/assets/{zoo['dup']}")).split("<h2>History</h2>")[1]
    assert "olga" in officer and "ann" in officer and "Reason: duplicate of a photo" in officer
    connector = text(client_for(app, "ann").get(f"/assets/{zoo['dup']}")).split("<h2>History</h2>")[1]
    assert "olga" not in connector and "an officer" in connector


def test_the_asset_page_names_imports_and_the_stale_rule_without_names(app, zoo):
    with app.app_context():
        store = get_store()
        asset = store.set_status(zoo["far"], Status.STALE, expected_version=1, actor="system:stale")
    page = text(app.test_client().get(f"/assets/{asset.id}"))
    assert "the automatic re-verification rule" in page and "status verified → stale" in page
    page = text(app.test_client().get(f"/assets/{zoo['bench']}"))
    assert "a data import" in page  # the zoo's assets were imported by "test", not an account


# -- the maps --------------------------------------------------------------------------------------
def page_settings(response):
    match = re.search(r'<script type="application/json" id="page-data">(.*?)</script>', text(response), re.S)
    return json.loads(match.group(1))


def test_maps_show_reported_assets_distinctly_by_default(client):
    response = client.get("/")
    assert "reported" in page_settings(response)["statuses"].split(",")
    assert "Dashed outline: reported, not yet verified" in text(response)


@pytest.mark.parametrize("path", ["/", "/wards/W1"])
def test_maps_can_hide_reported_assets(app, path):
    app.config["SHOW_UNVERIFIED"] = "hidden"
    response = app.test_client().get(path)
    assert page_settings(response)["statuses"].split(",") == ["verified", "stale"]
    assert "Dashed outline" not in text(response)


def test_officers_reverify_a_stale_asset_from_its_page(app, zoo):
    with app.app_context():
        get_store().set_status(zoo["far"], Status.STALE, expected_version=1, actor="system:stale")
    assert "Verify again" not in text(app.test_client().get(f"/assets/{zoo['far']}"))
    client = client_for(app, "olga")
    page = text(client.get(f"/assets/{zoo['far']}"))
    assert "Verify again" in page and 'name="version" value="2"' in page
    response = decide(client, zoo["far"], "verify", version=2, back="asset")
    assert response.status_code == 302 and response.location == f"/assets/{zoo['far']}"
    asset = stored(app, zoo["far"])
    assert (asset.status, asset.last_verified_by) == (Status.VERIFIED, "olga")


def test_a_long_queue_is_paged_oldest_first(app, zoo, monkeypatch):
    from assetmap.web import moderation

    monkeypatch.setattr(moderation, "QUEUE_PAGE_SIZE", 2)
    client = client_for(app, "olga")
    first, second = text(client.get("/moderation")), text(client.get("/moderation?page=2"))
    # three reported in the zoo fixture (dup, books, east), oldest first: two, then one
    assert "3 reported assets: 1 to 2 shown (page 1 of 2)" in first
    assert "3 reported assets: 3 to 3 shown (page 2 of 2)" in second
    assert first.index("Bench (again)") < first.index("Library") and ESCAPED not in first
    assert ESCAPED in second and 'rel="prev"' in second and 'rel="next"' not in second
    for bad in ("0", "3", "x", "-1", "²", "9" * 5000):
        response = client.get(f"/moderation?page={bad}")
        assert response.status_code == 400 and "page must be a whole number from 1 to 2" in text(response)
