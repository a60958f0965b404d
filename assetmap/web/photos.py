"""Photos of assets: the upload endpoint for the capture page, the list, and the served JPEGs.

``POST /api/assets/<asset_id>/photos`` takes one multipart upload (fields ``photo`` and
``client_id``, a UUID v4 made by the phone) from a connector, officer or admin allowed to edit in
the asset's ward. The image is checked and re-encoded by :func:`assetmap.photos.clean_photo` (JPEG,
PNG or WebP in; an upright JPEG with no metadata out) and stored with an audit event. A retry with
the same ``client_id`` gets the same photo back (``"repeat": true``); the same id from another
account is refused with 409. ``GET /photos/<id>.jpg`` serves the stored JPEG: to the public only
while the asset itself is shown on the public maps (``SHOW_UNVERIFIED``), to accounts always.
``POST /assets/<asset_id>/photos/<photo_id>/remove`` (the form under a photo on the asset's page:
officers and admins for any photo, connectors for their own) takes a photo down: its bytes are
erased and the removal is audited.
See ``docs/photos.md``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, flash, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue

from assetmap.accounts import Role, User, can_edit_in_ward
from assetmap.errors import Conflict, Forbidden, InvalidInput, NotFound
from assetmap.models import Asset, Photo
from assetmap.photos import PhotoTooLarge, check_size, clean_photo
from assetmap.storage.base import Store
from assetmap.web import get_store, pages, params
from assetmap.web.auth import current_account, required_account, roles_required
from assetmap.web.capture import CAPTURERS, parse_client_id
from assetmap.web.errors import cap_upload

bp = Blueprint("photos", __name__)

# Photo ids never change and neither do their bytes; the hour only bounds how long a cached copy
# outlives the asset being hidden or closed. The ETag makes a revalidation cheap.
MAX_AGE_S = 3600
REMOVERS = (Role.OFFICER, Role.ADMIN)  # may take down any photo in their wards; others their own


@bp.url_value_preprocessor
def _limit_upload(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Cap an upload's body at the photo limit before anything reads it (413 beyond)."""
    if endpoint == "photos.upload":
        most = int(current_app.config["MAX_PHOTO_BYTES"])
        cap_upload(most, lambda: PhotoTooLarge(most))


# -- the endpoints ---------------------------------------------------------------------------------
@bp.get("/api/assets/<asset_id>/photos")
def list_photos(asset_id: str) -> ResponseReturnValue:
    """The asset's photos this request may see, oldest first."""
    params.only(request.args, ())
    store = get_store()
    return jsonify({"photos": [photo_json(p) for p in shown_photos(store, store.get_asset(asset_id))]})


@bp.post("/api/assets/<asset_id>/photos")
@roles_required(*CAPTURERS)
def upload(asset_id: str) -> ResponseReturnValue:
    """Check, clean and store one uploaded photo (a repeated client_id gets the stored one back)."""
    user, store = _in_ward(asset_id, "add photos to")
    client_id = parse_client_id(request.form.get("client_id"))
    repeat = _repeated(store, user, client_id, asset_id)
    if repeat is not None:
        return repeat
    config = current_app.config
    clean = clean_photo(
        _uploaded_bytes(int(config["MAX_PHOTO_BYTES"])),
        max_bytes=int(config["MAX_PHOTO_BYTES"]),
        max_pixels=int(config["MAX_PHOTO_PIXELS"]),
    )
    try:
        photo = store.add_photo(
            asset_id,
            clean.data,
            width=clean.width,
            height=clean.height,
            client_id=client_id,
            actor=user.username,
        )
    except Conflict:  # the same id arrived twice at once: the later copy is answered as a repeat
        repeat = _repeated(store, user, client_id, asset_id)
        if repeat is None:
            raise
        return repeat
    return jsonify({"photo": photo_json(photo), "repeat": False}), 201


@bp.get("/photos/<photo_id>.jpg")
def photo_file(photo_id: str) -> ResponseReturnValue:
    store = get_store()
    photo, data = store.photo(photo_id)  # NotFound -> 404
    if not may_see_photos(store.get_asset(photo.asset_id)):
        raise NotFound(f"no photo with id {photo_id[:40]!r}")  # the same answer as for no photo
    response = Response(data, content_type=photo.content_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.set_etag(photo.id)
    response.cache_control.max_age = MAX_AGE_S
    if current_account() is None:
        response.cache_control.public = True
    else:
        response.cache_control.private = True
    return response.make_conditional(request)


@bp.post("/assets/<asset_id>/photos/<photo_id>/remove")
@roles_required(*CAPTURERS)
def remove(asset_id: str, photo_id: str) -> ResponseReturnValue:
    """Take a photo down (the form under it on the asset page); back to that page."""
    user, store = _in_ward(asset_id, "change")
    shown = next((p for p in store.photos(asset_id) if p.id == photo_id), None)
    if shown is not None and not may_remove(user, shown):
        raise Forbidden("only an officer or an administrator may take down a photo someone else added")
    reason = params.reason(request.form)
    _, done = store.remove_photo(asset_id, photo_id, actor=user.username, reason=reason or None)
    flash("Photo removed." if done else "That photo had already been removed.")
    return redirect(url_for("moderation.asset_page", asset_id=asset_id))


def may_remove(user: User | None, photo: Photo) -> bool:
    """Whether ``user`` may take ``photo`` down (the ward rule is checked with the asset)."""
    return user is not None and (user.role in REMOVERS or photo.created_by == user.username)


# -- shared with the asset page --------------------------------------------------------------------
def may_see_photos(asset: Asset) -> bool:
    """Whether this request may see the asset's photos: accounts always, the public only while the
    asset is shown on the public maps (never closed or merged; reported unless SHOW_UNVERIFIED is
    ``"hidden"``)."""
    if current_account() is not None:
        return True
    return str(asset.status) in pages.asset_statuses().split(",")


def shown_photos(store: Store, asset: Asset) -> list[Photo]:
    """The asset's photos, oldest first, if this request may see them; else none."""
    if asset.id is None or not may_see_photos(asset):
        return []
    return store.photos(asset.id)


def photo_json(photo: Photo) -> dict[str, Any]:
    return {
        "id": photo.id,
        "asset_id": photo.asset_id,
        "url": url_for("photos.photo_file", photo_id=photo.id),
        "width": photo.width,
        "height": photo.height,
        "bytes": photo.size_bytes,
        "created_at": photo.created_at.isoformat(),
    }


# -- helpers ---------------------------------------------------------------------------------------
def _in_ward(asset_id: str, doing: str) -> tuple[User, Store]:
    """The account and the store, once the asset is known (else 404) and in the account's wards
    (else 403: "this place is outside the wards your account may <doing>")."""
    user = required_account()
    store = get_store()
    asset = store.get_asset(asset_id)  # NotFound -> 404
    if not can_edit_in_ward(user, asset.ward_code):
        raise Forbidden(f"this place is outside the wards your account may {doing}")
    return user, store


def _repeated(store: Store, user: User, client_id: str, asset_id: str) -> ResponseReturnValue | None:
    """The answer to an upload id already used, or None for a new one."""
    try:
        photo = store.photo_by_client_id(client_id)
    except NotFound:
        return None
    if photo.created_by != user.username:
        raise Conflict("client_id: this upload id was already used by another account")
    if photo.asset_id != asset_id:
        raise Conflict("client_id: this upload id was already used for a photo of another place")
    return jsonify({"photo": photo_json(photo), "repeat": True}), 200


def _uploaded_bytes(max_bytes: int) -> bytes:
    """The bytes of the ``photo`` file field, reading at most one byte more than allowed."""
    upload = request.files.get("photo")
    if upload is None:
        raise InvalidInput("photo: no file sent (expected a file in the form field 'photo')")
    data = upload.stream.read(max_bytes + 1)
    check_size(len(data), max_bytes=max_bytes)
    return data
