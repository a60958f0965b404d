"""Photo uploads and serving (assetmap.web.photos): roles, limits, idempotency, metadata, visibility."""

from __future__ import annotations

import re
import uuid
from io import BytesIO

import pytest
from PIL import Image

from assetmap.models import Asset, Status
from assetmap.web import get_store
from tests.conftest import Account

PASSWORD = "correct horse battery"
SCRIPT = "<script>alert(1)</script>"
GPS_IFD = 0x8825


def jpeg(size=(400, 200), *, orientation=None, gps=False) -> bytes:
    """A JPEG whose left quarter is blue and the rest red, with optional EXIF orientation and GPS."""
    image = Image.new("RGB", size, (255, 0, 0))
    image.paste((0, 0, 255), (0, 0, size[0] // 4, size[1]))
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (52.0, 37.0, 30.0), 3: "W", 4: (1.0, 8.0, 0.5)}
    out = BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


@pytest.fixture
def zoo(app):
    """Accounts (connectors ann and bob, officer olga, cal limited to the east ward W2) and assets: the
    verified café (W1), a reported bench (W1) and a reported place whose name is a script tag."""
    with app.app_context():
        store = get_store()
        for name, role, wards in [
            ("ann", "connector", []),
            ("bob", "connector", []),
            ("olga", "officer", []),
            ("cal", "connector", ["W2"]),
        ]:
            store.create_user(name, PASSWORD, role=role, wards=wards)
        cafe = next(a for a in store.assets() if a.name == "Café")
        reported = store.add_asset(Asset("bench", "Green bench", -1.1368, 52.6288), actor="bob")
        script = store.add_asset(Asset("cafe", SCRIPT, -1.137, 52.627), actor="bob")
    return {"cafe": cafe.id, "reported": reported.id, "script": script.id}


class Uploader(Account):
    """An account (or the public) that uploads photos with the CSRF header."""

    def __init__(self, app, username):
        super().__init__(app, username, PASSWORD)

    def upload(self, asset_id, data=None, *, client_id=None, csrf=True, filename="photo.jpg", **extra):
        form = {"client_id": client_id or str(uuid.uuid4()), **extra}
        if data is not ...:
            form["photo"] = (BytesIO(jpeg() if data is None else data), filename, "image/jpeg")
        return self.client.post(
            f"/api/assets/{asset_id}/photos",
            data=form,
            headers=self.headers(csrf=csrf),
            content_type="multipart/form-data",
        )


def photo_count(app) -> int:
    from assetmap.storage import schema

    with app.app_context():
        with get_store().engine.connect() as conn:
            return len(conn.execute(schema.photos.select()).all())


def revision(app) -> int:
    with app.app_context():
        return get_store().revision()


def message(response) -> str:
    return response.get_json()["message"]


# -- who may ---------------------------------------------------------------------------------------
def test_the_public_gets_401_and_nothing_is_stored(app, zoo):
    response = Uploader(app, None).upload(zoo["cafe"])
    assert response.status_code == 401 and message(response) == "log in to do this"
    assert photo_count(app) == 0


def test_an_upload_without_the_csrf_token_is_refused(app, zoo):
    assert Uploader(app, "ann").upload(zoo["cafe"], csrf=False).status_code == 400
    assert photo_count(app) == 0


@pytest.mark.parametrize("name", ["ann", "olga"])
def test_a_connector_or_officer_adds_a_photo(app, zoo, name):
    before = revision(app)
    response = Uploader(app, name).upload(zoo["cafe"])
    assert response.status_code == 201
    body = response.get_json()
    photo = body["photo"]
    assert body["repeat"] is False
    assert set(photo) == {"id", "asset_id", "url", "width", "height", "bytes", "created_at"}
    assert (photo["asset_id"], photo["url"]) == (zoo["cafe"], f"/photos/{photo['id']}.jpg")
    assert (photo["width"], photo["height"]) == (400, 200)
    with app.app_context():
        store = get_store()
        [stored] = store.photos(zoo["cafe"])
        event = store.audit(zoo["cafe"])[-1]
    assert (stored.id, stored.created_by, stored.size_bytes) == (photo["id"], name, photo["bytes"])
    assert (event.action, event.actor) == ("photo", name)
    assert revision(app) == before  # coverage does not change


def test_a_scoped_connector_adds_photos_only_inside_their_wards(app, zoo):
    response = Uploader(app, "cal").upload(zoo["cafe"])  # the café is in W1
    assert response.status_code == 403 and "outside the wards" in message(response)
    assert photo_count(app) == 0


def test_an_unknown_asset_is_404(app, zoo):
    response = Uploader(app, "ann").upload("nothing-here")
    assert response.status_code == 404 and message(response) == "no asset with id 'nothing-here'"


# -- a retry never makes a second photo ------------------------------------------------------------
def test_a_repeat_from_the_same_account_returns_the_same_photo(app, zoo):
    ann = Uploader(app, "ann")
    client_id = str(uuid.uuid4())
    first = ann.upload(zoo["cafe"], client_id=client_id)
    again = ann.upload(zoo["cafe"], jpeg((50, 50)), client_id=client_id)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == {"photo": first.get_json()["photo"], "repeat": True}
    assert photo_count(app) == 1


def test_a_client_id_used_by_another_account_is_409(app, zoo):
    client_id = str(uuid.uuid4())
    assert Uploader(app, "ann").upload(zoo["cafe"], client_id=client_id).status_code == 201
    response = Uploader(app, "bob").upload(zoo["cafe"], client_id=client_id)
    assert response.status_code == 409 and "already used by another account" in message(response)
    assert photo_count(app) == 1


def test_a_client_id_reused_for_another_asset_is_409(app, zoo):
    ann = Uploader(app, "ann")
    client_id = str(uuid.uuid4())
    assert ann.upload(zoo["cafe"], client_id=client_id).status_code == 201
    response = ann.upload(zoo["reported"], client_id=client_id)
    assert response.status_code == 409 and "a photo of another place" in message(response)
    assert photo_count(app) == 1


# -- bad uploads -----------------------------------------------------------------------------------
def truncated() -> bytes:
    noise = Image.effect_noise((300, 300), 64).convert("RGB")
    out = BytesIO()
    noise.save(out, "JPEG")
    return out.getvalue()[:5000]


@pytest.mark.parametrize(
    ("upload", "expected"),
    [
        ({"client_id": "not-a-uuid"}, "client_id: expected a UUID v4 string made by the page"),
        ({"client_id": str(uuid.uuid1())}, "client_id: expected a UUID v4 string made by the page"),
        ({"data": ...}, "photo: no file sent (expected a file in the form field 'photo')"),
        ({"data": b"just some text\n"}, "photo: not a JPEG, PNG or WebP image"),
        ({"data": b""}, "photo: the file is empty"),
        ({"data": truncated()}, "photo: the image is truncated or damaged and cannot be read"),
    ],
)
def test_bad_uploads_are_400_naming_the_problem_and_store_nothing(app, zoo, upload, expected):
    response = Uploader(app, "ann").upload(zoo["cafe"], **upload)
    assert response.status_code == 400 and message(response) == expected
    assert photo_count(app) == 0


def test_a_file_over_the_byte_limit_is_413(app, zoo):
    app.config["MAX_PHOTO_BYTES"] = 1024  # the body still fits the allowance for the form's framing
    data = jpeg((400, 400))
    assert len(data) > 1024
    response = Uploader(app, "ann").upload(zoo["cafe"], data)
    assert response.status_code == 413
    assert message(response) == "photo: the file is too large (at most 1024 bytes)"
    assert photo_count(app) == 0


def test_a_body_far_over_the_byte_limit_is_413_before_it_is_read(app, zoo):
    """Refused on its Content-Length, before the CSRF check reads the form (no token is sent)."""
    app.config["MAX_PHOTO_BYTES"] = 1024
    response = Uploader(app, "ann").upload(zoo["cafe"], b"\xff\xd8" + bytes(200_000), csrf=False)
    assert response.status_code == 413
    assert message(response) == "photo: the file is too large (at most 1024 bytes)"
    assert photo_count(app) == 0


def test_an_image_over_the_pixel_limit_is_400(app, zoo):
    app.config["MAX_PHOTO_PIXELS"] = 10_000
    response = Uploader(app, "ann").upload(zoo["cafe"], jpeg((200, 100)))
    assert response.status_code == 400
    assert message(response) == "photo: 200 × 100 pixels is too many (at most 0.01 megapixels)"
    assert photo_count(app) == 0


# -- what is stored and served ---------------------------------------------------------------------
def test_the_served_photo_has_no_gps_and_is_upright(app, zoo):
    data = jpeg(orientation=6, gps=True)
    assert Image.open(BytesIO(data)).getexif().get_ifd(GPS_IFD)  # the upload carries GPS
    photo = Uploader(app, "ann").upload(zoo["cafe"], data).get_json()["photo"]
    assert (photo["width"], photo["height"]) == (200, 400)
    response = app.test_client().get(photo["url"])
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    served = response.get_data()
    assert len(served) == photo["bytes"]
    image = Image.open(BytesIO(served))
    assert image.size == (200, 400) and len(image.getexif()) == 0 and b"Exif" not in served
    blue, red = image.convert("RGB").getpixel((100, 20)), image.convert("RGB").getpixel((100, 380))
    assert blue[2] > 200 > blue[0] and red[0] > 200 > red[2]  # the left quarter is now at the top


def test_the_served_photo_is_cacheable(app, zoo):
    photo = Uploader(app, "ann").upload(zoo["cafe"]).get_json()["photo"]
    client = app.test_client()
    response = client.get(photo["url"])
    assert response.headers["ETag"] == f'"{photo["id"]}"'
    assert response.cache_control.public and response.cache_control.max_age == 3600
    again = client.get(photo["url"], headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""


def test_an_unknown_photo_is_404(client):
    assert client.get("/photos/nothing-here.jpg").status_code == 404


def test_the_api_lists_an_assets_photos_oldest_first(app, zoo):
    ann = Uploader(app, "ann")
    first = ann.upload(zoo["cafe"]).get_json()["photo"]
    second = ann.upload(zoo["cafe"], jpeg((60, 60))).get_json()["photo"]
    response = app.test_client().get(f"/api/assets/{zoo['cafe']}/photos")
    assert response.status_code == 200 and response.get_json() == {"photos": [first, second]}
    bad = app.test_client().get(f"/api/assets/{zoo['cafe']}/photos?colour=red")
    assert bad.status_code == 400 and message(bad).startswith("unknown parameter 'colour'")


# -- who sees a photo ------------------------------------------------------------------------------
def test_photos_of_a_reported_asset_follow_show_unverified(app, zoo):
    photo = Uploader(app, "ann").upload(zoo["reported"]).get_json()["photo"]
    public = app.test_client()
    assert public.get(photo["url"]).status_code == 200  # "distinct": reported places are shown
    app.config["SHOW_UNVERIFIED"] = "hidden"
    assert public.get(photo["url"]).status_code == 404
    assert public.get(f"/api/assets/{zoo['reported']}/photos").get_json() == {"photos": []}
    assert photo["url"] not in public.get(f"/assets/{zoo['reported']}").get_data(as_text=True)
    staff = Uploader(app, "bob").client
    response = staff.get(photo["url"])
    assert response.status_code == 200 and response.cache_control.private
    assert photo["url"] in staff.get(f"/assets/{zoo['reported']}").get_data(as_text=True)


def test_photos_of_a_closed_asset_are_not_public(app, zoo):
    photo = Uploader(app, "ann").upload(zoo["cafe"]).get_json()["photo"]
    with app.app_context():
        get_store().set_status(zoo["cafe"], Status.CLOSED, expected_version=1, actor="olga")
    assert app.test_client().get(photo["url"]).status_code == 404
    assert Uploader(app, "olga").client.get(photo["url"]).status_code == 200


# -- the asset page --------------------------------------------------------------------------------
def test_the_asset_page_shows_photos_with_escaped_alt_text_and_the_history(app, zoo):
    photo = Uploader(app, "ann").upload(zoo["script"]).get_json()["photo"]
    page = app.test_client().get(f"/assets/{zoo['script']}").get_data(as_text=True)
    img = re.search(r'<img src="([^"]+)" alt="([^"]*)" width="(\d+)" height="(\d+)"', page)
    assert img is not None
    assert img.groups() == (photo["url"], "Photo of &lt;script&gt;alert(1)&lt;/script&gt;", "400", "200")
    assert SCRIPT not in page
    assert re.search(r"<td>a connector</td>\s*<td>photo added", page)


def test_an_asset_page_without_photos_has_no_photo_section(app, zoo):
    page = app.test_client().get(f"/assets/{zoo['cafe']}").get_data(as_text=True)
    assert "<h2>Photos</h2>" not in page and "<img" not in page


def test_a_body_without_a_length_is_cut_off_at_the_photo_limit(app, zoo):
    """A streamed (chunked) body has no Content-Length: reading it stops past the photo limit."""
    app.config["MAX_PHOTO_BYTES"] = 1024
    ann = Uploader(app, "ann")
    boundary = "photo-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="client_id"\r\n\r\n{uuid.uuid4()}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="p.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + bytes(200_000)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = ann.client.post(
        f"/api/assets/{zoo['cafe']}/photos",
        input_stream=BytesIO(body),
        content_type=f"multipart/form-data; boundary={boundary}",
        headers={"X-CSRFToken": ann.csrf},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413
    assert message(response) == "photo: the file is too large (at most 1024 bytes)"
    assert photo_count(app) == 0


# -- taking a photo down ---------------------------------------------------------------------------
def remove(uploader, asset_id, photo_id, *, reason="", follow=False):
    form = {"csrf_token": uploader.csrf, "reason": reason}
    url = f"/assets/{asset_id}/photos/{photo_id}/remove"
    return uploader.client.post(url, data=form, follow_redirects=follow)


def test_an_officer_takes_a_photo_down_from_the_asset_page(app, zoo):
    kept = Uploader(app, "ann").upload(zoo["cafe"], jpeg((60, 60))).get_json()["photo"]
    photo = Uploader(app, "ann").upload(zoo["cafe"]).get_json()["photo"]
    olga = Uploader(app, "olga")
    page = olga.client.get(f"/assets/{zoo['cafe']}").get_data(as_text=True)
    assert f'action="/assets/{zoo["cafe"]}/photos/{photo["id"]}/remove"' in page
    before = revision(app)
    response = remove(olga, zoo["cafe"], photo["id"], reason="a  face is\nrecognisable")
    assert response.status_code == 302 and response.location == f"/assets/{zoo['cafe']}"
    page = olga.client.get(response.location).get_data(as_text=True)
    assert "Photo removed." in page and photo["url"] not in page and kept["url"] in page
    assert revision(app) == before  # coverage does not depend on photos
    for client in (app.test_client(), olga.client):
        assert client.get(photo["url"]).status_code == 404
        assert client.get(f"/api/assets/{zoo['cafe']}/photos").get_json() == {"photos": [kept]}
    assert re.search(r"<td>olga</td>\s*<td>photo removed<br>Reason: a face is recognisable</td>", page)
    public = app.test_client().get(f"/assets/{zoo['cafe']}").get_data(as_text=True)
    assert re.search(r"<td>an officer</td>\s*<td>photo removed</td>", public)  # no name, no reason
    assert "recognisable" not in public


def test_removing_twice_says_so_and_audits_once(app, zoo):
    photo = Uploader(app, "ann").upload(zoo["cafe"]).get_json()["photo"]
    olga = Uploader(app, "olga")
    assert remove(olga, zoo["cafe"], photo["id"]).status_code == 302
    again = remove(olga, zoo["cafe"], photo["id"], follow=True)  # a double-pressed button
    assert again.status_code == 200 and "That photo had already been removed." in again.get_data(as_text=True)
    with app.app_context():
        actions = [e.action for e in get_store().audit(zoo["cafe"])]
    assert actions.count("photo removed") == 1


def test_a_retried_upload_does_not_bring_a_removed_photo_back(app, zoo):
    ann, client_id = Uploader(app, "ann"), str(uuid.uuid4())
    photo = ann.upload(zoo["cafe"], client_id=client_id).get_json()["photo"]
    remove(Uploader(app, "olga"), zoo["cafe"], photo["id"])
    retried = ann.upload(zoo["cafe"], client_id=client_id)  # the phone never saw the first answer
    assert retried.status_code == 200 and retried.get_json()["repeat"] is True
    assert app.test_client().get(f"/api/assets/{zoo['cafe']}/photos").get_json() == {"photos": []}
    assert photo_count(app) == 1


def test_others_photos_are_taken_down_only_by_officers_and_admins_in_their_wards(app, zoo):
    photo = Uploader(app, "ann").upload(zoo["cafe"]).get_json()["photo"]  # the café is in W1
    with app.app_context():
        get_store().create_user("oscar", PASSWORD, role="officer", wards=["W2"])
    bob = Uploader(app, "bob")
    bob_page = bob.client.get(f"/assets/{zoo['cafe']}").get_data(as_text=True)
    oscar = Uploader(app, "oscar")
    oscar_page = oscar.client.get(f"/assets/{zoo['cafe']}").get_data(as_text=True)
    assert "Remove this photo" not in bob_page and "Remove this photo" not in oscar_page
    refused = remove(bob, zoo["cafe"], photo["id"])  # a connector, not the one who added it
    assert refused.status_code == 403
    assert "only an officer or an administrator may take down a photo someone else added" in refused.get_data(
        as_text=True
    )
    refused = remove(oscar, zoo["cafe"], photo["id"])
    assert refused.status_code == 403
    assert "outside the wards your account may change" in refused.get_data(as_text=True)
    assert app.test_client().get(photo["url"]).status_code == 200


def test_a_connector_takes_down_a_photo_they_added(app, zoo):
    ann = Uploader(app, "ann")
    mine = ann.upload(zoo["cafe"]).get_json()["photo"]
    theirs = Uploader(app, "bob").upload(zoo["cafe"], jpeg((60, 60))).get_json()["photo"]
    page = ann.client.get(f"/assets/{zoo['cafe']}").get_data(as_text=True)
    assert f"/photos/{mine['id']}/remove" in page and f"/photos/{theirs['id']}/remove" not in page
    response = remove(ann, zoo["cafe"], mine["id"], reason="the wrong café")
    assert response.status_code == 302
    assert "Photo removed." in ann.client.get(response.location).get_data(as_text=True)
    assert app.test_client().get(mine["url"]).status_code == 404
    assert app.test_client().get(theirs["url"]).status_code == 200


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (("other asset", ""), (404, "no photo with id")),
        (("unknown photo", ""), (404, "no photo with id")),
        (("unknown asset", ""), (404, "no asset with id")),
        (("long reason", "x" * 501), (400, "reason: too long (at most 500 characters)")),
    ],
)
def test_a_bad_removal_is_refused_and_removes_nothing(app, zoo, case, expected):
    (which, reason), (status, text) = case, expected
    photo = Uploader(app, "ann").upload(zoo["cafe"]).get_json()["photo"]
    asset_id, photo_id = {
        "other asset": (zoo["reported"], photo["id"]),
        "unknown photo": (zoo["cafe"], "nope"),
        "unknown asset": ("nope", photo["id"]),
    }.get(which, (zoo["cafe"], photo["id"]))
    response = remove(Uploader(app, "olga"), asset_id, photo_id, reason=reason)
    assert response.status_code == status
    assert text in response.get_data(as_text=True)
    assert app.test_client().get(photo["url"]).status_code == 200


def test_the_moderation_queue_shows_a_reported_places_photos(app, zoo):
    photo = Uploader(app, "ann").upload(zoo["reported"]).get_json()["photo"]
    script_photo = Uploader(app, "ann").upload(zoo["script"]).get_json()["photo"]
    page = Uploader(app, "olga").client.get("/moderation").get_data(as_text=True)
    assert re.search(rf'<img class="queue-photo" src="{photo["url"]}" alt="Photo 1 of Green bench"', page)
    alt = "Photo 1 of &lt;script&gt;alert(1)&lt;/script&gt;"
    assert re.search(rf'<img class="queue-photo" src="{script_photo["url"]}" alt="{re.escape(alt)}"', page)
    assert SCRIPT not in page
    assert page.count('class="queue-photo"') == 2  # the two reported places with a photo, no others
