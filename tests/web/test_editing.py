"""Editing a place through the web form, with version conflicts that lose nothing (assetmap.web.editing)."""

from __future__ import annotations

import html
import re

import pytest

from assetmap.models import Asset, Status
from assetmap.web import get_store
from assetmap.web.coverage import current_coverage
from tests.conftest import csrf_token
from tests.web.test_moderation import client_for, events, stored, text

PASSWORD = "correct horse battery"
SCRIPT = "<script>alert(1)</script>"
SCRIPT_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
IMG = '"><img src=x onerror=alert(1)>'
IMG_ESCAPED = "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"


@pytest.fixture
def zoo(app):
    """Accounts of every role, the zoo's verified Bench (west ward W1), a closed and an east-ward place.

    ``wes`` is a connector scoped to the east ward W2.
    """
    with app.app_context():
        store = get_store()
        store.create_user("ann", PASSWORD, role="connector")
        store.create_user("olga", PASSWORD, role="officer")
        store.create_user("adam", PASSWORD, role="admin")
        store.create_user("wes", PASSWORD, role="connector", wards=["W2"])
        bench = next(a for a in store.assets() if a.name == "Bench")
        shut = store.add_asset(
            Asset("bench", "Old bench", -1.1357, 52.6256, status=Status.CLOSED), actor="olga"
        )
        east = store.add_asset(Asset("cafe", "East café", -1.125, 52.625), actor="ann")
    return {"bench": str(bench.id), "shut": str(shut.id), "east": str(east.id)}


def form_of(client, asset_id):
    """The edit form's fields as the page fills them in (what a browser would send untouched)."""
    return fields_of(text(client.get(f"/assets/{asset_id}/edit")))


def fields_of(page):
    """The fields of the edit form in ``page``, as a browser would send them."""
    fields = dict(
        re.findall(r'<input type="(?:hidden|text|number)" [^>]*?name="(\w+)" value="([^"]*)"', page)
    )
    radios = r'<input type="radio" id="[\w-]+" name="(\w+)" value="(\w*)" checked>'
    fields |= dict(re.findall(radios, page))
    fields["description"] = re.search(r'<textarea id="description"[^>]*>([^<]*)</textarea>', page).group(1)
    for name in ("category", "subcategory"):
        select = re.search(rf'<select id="{name}".*?</select>', page, re.S).group(0)
        fields[name] = re.search(r'<option value="(\w+)" selected>', select).group(1)
    return {key: html.unescape(value) for key, value in fields.items()}


def save(client, asset_id, **changes):
    data = form_of(client, asset_id) | changes
    return client.post(f"/assets/{asset_id}/edit", data=data)


# -- who may ---------------------------------------------------------------------------------------
def test_the_public_is_sent_to_log_in(app, zoo):
    public = app.test_client()
    path = f"/assets/{zoo['bench']}/edit"
    response = public.get(path)
    assert response.status_code == 302 and response.location == f"/login?next={path}"
    response = public.post(path, data={"name": "Hacked", "version": "1", "csrf_token": csrf_token(public)})
    assert response.status_code == 302 and response.location.startswith("/login?next=")
    assert stored(app, zoo["bench"]).name == "Bench"


@pytest.mark.parametrize("name", ["ann", "olga", "adam"])
def test_connectors_officers_and_admins_may_edit(app, zoo, name):
    client = client_for(app, name)
    assert client.get(f"/assets/{zoo['bench']}/edit").status_code == 200
    response = save(client, zoo["bench"], name="Bench by the pond")
    assert response.status_code == 303 and response.location == f"/assets/{zoo['bench']}"
    asset = stored(app, zoo["bench"])
    assert (asset.name, asset.version, asset.updated_by) == ("Bench by the pond", 2, name)
    assert "Saved" in text(client.get(response.location))


def test_a_ward_scoped_connector_edits_only_in_their_ward(app, zoo):
    client = client_for(app, "wes")
    response = client.get(f"/assets/{zoo['bench']}/edit")
    assert response.status_code == 403 and "outside the wards" in text(response)
    other = client_for(app, "ann")  # the scoped connector cannot load the form, so post a full one
    data = form_of(other, zoo["bench"]) | {"csrf_token": csrf_token(client), "name": "Mine now"}
    assert client.post(f"/assets/{zoo['bench']}/edit", data=data).status_code == 403
    assert stored(app, zoo["bench"]).version == 1
    assert save(client, zoo["east"], name="East café, upstairs").status_code == 303
    assert stored(app, zoo["east"]).name == "East café, upstairs"


def test_a_ward_scoped_connector_cannot_move_a_place_out_of_their_ward(app, zoo):
    client = client_for(app, "wes")
    response = save(client, zoo["east"], lon="-1.135")  # into the west ward
    assert response.status_code == 403 and "new location is outside" in text(response)
    assert stored(app, zoo["east"]).version == 1


def test_the_edit_link_shows_only_to_accounts_that_may_edit(app, zoo):
    link = f'href="/assets/{zoo["bench"]}/edit"'
    assert link not in text(app.test_client().get(f"/assets/{zoo['bench']}"))
    assert link not in text(client_for(app, "wes").get(f"/assets/{zoo['bench']}"))
    for name in ("ann", "olga", "adam"):
        assert link in text(client_for(app, name).get(f"/assets/{zoo['bench']}"))
    assert "/edit" not in text(client_for(app, "olga").get(f"/assets/{zoo['shut']}"))


def test_a_closed_place_cannot_be_edited(app, zoo):
    client = client_for(app, "olga")
    response = client.get(f"/assets/{zoo['shut']}/edit")
    assert response.status_code == 400 and "this place is closed, so it cannot be edited" in text(response)
    data = {"csrf_token": csrf_token(client), "version": "1", "name": "Reopened"}
    response = client.post(f"/assets/{zoo['shut']}/edit", data=data)
    assert response.status_code == 400 and "cannot be edited" in text(response)
    assert stored(app, zoo["shut"]).name == "Old bench"


def test_an_unknown_place_is_404(app, zoo):
    assert client_for(app, "ann").get("/assets/nope/edit").status_code == 404


def test_a_save_without_the_csrf_token_is_refused(app, zoo):
    client = client_for(app, "ann")
    data = form_of(client, zoo["bench"]) | {"name": "Forged"}
    del data["csrf_token"]
    response = client.post(f"/assets/{zoo['bench']}/edit", data=data)
    assert response.status_code == 400 and "CSRF token is missing" in text(response)
    assert stored(app, zoo["bench"]).version == 1 and len(events(app, zoo["bench"])) == 1


# -- saving -----------------------------------------------------------------------------------------
def test_a_save_writes_exactly_the_changed_fields_and_an_audit_event(app, zoo):
    client = client_for(app, "ann")
    before = stored(app, zoo["bench"])
    response = save(
        client,
        zoo["bench"],
        name="Pond bench",
        opening_times="Always",
        step_free="true",
        languages="English, Urdu",
    )
    assert response.status_code == 303
    after = stored(app, zoo["bench"])
    assert (after.name, after.opening_times, after.step_free, after.languages) == (
        "Pond bench",
        "Always",
        True,
        ["English", "Urdu"],
    )
    assert after.status is Status.VERIFIED  # an edit leaves the status as it was
    assert (after.lon, after.lat, after.category, after.subcategory) == (
        before.lon,
        before.lat,
        before.category,
        before.subcategory,
    )
    event = events(app, zoo["bench"])[-1]
    assert (event.action, event.actor) == ("update", "ann")
    changed = {k for k in event.after if event.before.get(k) != event.after.get(k)}
    assert changed == {
        "name",
        "opening_times",
        "step_free",
        "languages",
        "version",
        "updated_at",
        "updated_by",
    }
    page = text(client.get(f"/assets/{zoo['bench']}"))
    assert "edited: languages, name, opening times, step free" in page


def test_a_save_with_nothing_changed_writes_nothing(app, zoo):
    client = client_for(app, "ann")
    response = save(client, zoo["bench"])
    assert response.status_code == 303 and response.location == f"/assets/{zoo['bench']}"
    assert stored(app, zoo["bench"]).version == 1 and len(events(app, zoo["bench"])) == 1
    assert "Nothing changed" in text(client.get(response.location))


def test_the_category_and_kind_can_change_together(app, zoo):
    client = client_for(app, "olga")
    assert save(client, zoo["bench"], category="park", subcategory="park").status_code == 303
    asset = stored(app, zoo["bench"])
    assert (asset.category, asset.subcategory) == ("park", "park")


def test_moving_a_place_changes_the_ward_figures(app, zoo):
    client = client_for(app, "olga")

    def counts():
        wards = client.get("/api/wards").get_json()["features"]
        return {f["id"]: f["properties"]["n_assets"] for f in wards}

    before = counts()
    with app.app_context():
        west_before = int(current_coverage().wards.set_index("code").loc["W1", "n_assets"])
    assert save(client, zoo["bench"], lon="-1.1255", lat="52.6255").status_code == 303
    assert stored(app, zoo["bench"]).ward_code == "W2"
    after = counts()
    assert (after["W1"], after["W2"]) == (before["W1"] - 1, before["W2"] + 1)
    with app.app_context():
        assert int(current_coverage().wards.set_index("code").loc["W1", "n_assets"]) == west_before - 1


# -- conflicts --------------------------------------------------------------------------------------
def test_a_stale_version_is_409_keeping_the_users_values_and_showing_the_stored_ones(app, zoo):
    client = client_for(app, "ann")
    form = form_of(client, zoo["bench"])  # loaded at version 1
    with app.app_context():
        get_store().update_asset(
            zoo["bench"], {"name": "Their bench", "contact": "0116 000"}, expected_version=1, actor="olga"
        )
    mine = form | {"name": "My bench", "opening_times": "Mornings"}
    response = client.post(f"/assets/{zoo['bench']}/edit", data=mine)
    page = text(response)
    assert response.status_code == 409
    assert "Changed by someone else" in page
    assert 'value="My bench"' in page and 'value="Mornings"' in page  # nothing typed is lost
    # both changed the name: the field keeps the user's, the stored one is shown beside it
    assert 'id="name-stored">Now stored: <strong>Their bench</strong> (the field keeps your value)' in page
    # only they changed the contact: the field takes theirs, so saving again does not undo it
    assert 'id="contact-stored">Changed meanwhile to <strong>0116 000</strong>' in page
    assert 'name="contact" value="0116 000"' in page
    assert 'id="opening_times-stored"' not in page  # unchanged by them: nothing to show
    assert 'name="version" value="2"' in page
    asset = stored(app, zoo["bench"])
    assert (asset.name, asset.opening_times, asset.version) == ("Their bench", "", 2)


def test_saving_again_after_a_409_applies_the_users_values(app, zoo):
    client = client_for(app, "ann")
    form = form_of(client, zoo["bench"])
    with app.app_context():
        get_store().update_asset(zoo["bench"], {"contact": "0116 000"}, expected_version=1, actor="olga")
    conflict = client.post(f"/assets/{zoo['bench']}/edit", data=form | {"name": "My bench"})
    assert conflict.status_code == 409
    response = client.post(f"/assets/{zoo['bench']}/edit", data=fields_of(text(conflict)))
    assert response.status_code == 303
    asset = stored(app, zoo["bench"])
    # the user's change is applied over the new version, and the other change is not undone
    assert (asset.name, asset.contact, asset.version) == ("My bench", "0116 000", 3)
    assert "edited: name" in text(client.get(f"/assets/{zoo['bench']}"))


def test_a_description_with_line_breaks_sent_as_crlf_is_no_change(app, zoo):
    client = client_for(app, "ann")
    with app.app_context():
        get_store().update_asset(
            zoo["bench"], {"description": "Line one\nLine two"}, expected_version=1, actor="olga"
        )
    response = save(client, zoo["bench"], description="Line one\r\nLine two")
    assert response.status_code == 303 and stored(app, zoo["bench"]).version == 2


def test_a_status_change_meanwhile_is_a_409_with_no_field_marked(app, zoo):
    client = client_for(app, "ann")
    form = form_of(client, zoo["bench"])
    with app.app_context():
        get_store().set_status(zoo["bench"], Status.STALE, expected_version=1, actor="olga")
    response = client.post(f"/assets/{zoo['bench']}/edit", data=form | {"name": "Mine"})
    page = text(response)
    assert response.status_code == 409 and "-stored" not in page and 'value="Mine"' in page
    assert "none of the fields you see was changed" in page


# -- bad input --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"lat": "48.85", "lon": "2.35"}, "point (2.35, 48.85) is outside"),
        ({"lat": "-1.1355", "lon": "52.6255"}, "latitude and longitude look swapped"),
        ({"lat": "north"}, "lat: expected a number"),
        ({"category": "spaceport"}, "category: &#39;spaceport&#39; is not a category of places"),
        ({"category": "bus_stop", "subcategory": "bus_stop"}, "is not a category of places"),
        ({"category": "library", "subcategory": "listening_bench"}, "subcategory: choose a kind of Library"),
        ({"name": "x" * 201}, "name: too long (at most 200 characters)"),
        ({"description": "x" * 2001}, "description: too long (at most 2000 characters)"),
        ({"name": "   "}, "name: a place needs a name"),
        ({"seating": "maybe"}, "seating: choose yes, no or don"),
        ({"languages": ",".join(["Urdu"] * 21)}, "languages: at most 20 languages"),
    ],
)
def test_invalid_values_are_400_keeping_the_users_values(app, zoo, changes, message):
    client = client_for(app, "ann")
    response = save(client, zoo["bench"], opening_times="Tuesdays", **changes)
    page = text(response)
    assert response.status_code == 400
    assert message in page
    assert 'class="field-error"' in page and "Not saved" in page
    assert 'value="Tuesdays"' in page
    assert stored(app, zoo["bench"]).version == 1 and len(events(app, zoo["bench"])) == 1


def test_a_missing_version_is_400(app, zoo):
    client = client_for(app, "ann")
    data = form_of(client, zoo["bench"]) | {"name": "New"}
    del data["version"]
    response = client.post(f"/assets/{zoo['bench']}/edit", data=data)
    assert response.status_code == 400 and "no valid version" in text(response)
    assert stored(app, zoo["bench"]).version == 1


# -- escaping ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("raw", "escaped"), [(SCRIPT, SCRIPT_ESCAPED), (IMG, IMG_ESCAPED)])
def test_user_text_is_escaped_on_the_form_the_409_page_and_the_asset_page(app, zoo, raw, escaped):
    client = client_for(app, "ann")
    assert save(client, zoo["bench"], name=raw, description=raw).status_code == 303
    assert stored(app, zoo["bench"]).name == raw
    form_page = text(client.get(f"/assets/{zoo['bench']}/edit"))
    asset_page = text(client.get(f"/assets/{zoo['bench']}"))
    form = form_of(client, zoo["bench"])  # version 2
    with app.app_context():
        get_store().update_asset(zoo["bench"], {"contact": raw}, expected_version=2, actor="olga")
    conflict = client.post(f"/assets/{zoo['bench']}/edit", data=form | {"opening_times": raw})
    assert conflict.status_code == 409
    invalid = save(client, zoo["bench"], lat="nope", address=raw)
    assert invalid.status_code == 400
    for page in (form_page, asset_page, text(conflict), text(invalid)):
        assert raw not in page
        assert escaped in page
