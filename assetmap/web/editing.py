"""Editing: connectors, officers and admins correct a place's details and location through a form.

``/assets/<id>/edit`` shows the place's content in a form carrying the version it was loaded at;
saving checks the values with the capture rules (:func:`assetmap.web.capture.parse_submission`)
and writes only the fields that differ from the stored place, through
:meth:`~assetmap.storage.base.Store.update_asset`. If someone changed the place since the form
was loaded, nothing is written: the form comes back (409) holding what the user typed, with the
stored value beside each field that changed meanwhile, and the current version, so saving again
applies the user's values on purpose. Ward-scoped accounts edit only in their wards, and may not
move a place out of them. The status is left as it is. See ``docs/moderation.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from assetmap import taxonomy
from assetmap.accounts import User, can_edit_in_ward
from assetmap.errors import Conflict, Forbidden, InvalidInput
from assetmap.models import ACCESS_ATTRIBUTES, Asset, Status
from assetmap.storage.base import Store
from assetmap.web import capture, get_store
from assetmap.web.auth import current_account, required_account, roles_required

bp = Blueprint("editing", __name__)

EDITORS = capture.CAPTURERS
# The form's fields, in the order the page shows them (all of them editable fields of an asset).
TEXT_FIELDS = ("name", "description", "address", "postcode", "opening_times", "contact")
FORM_FIELDS = (
    "name",
    "category",
    "subcategory",
    "description",
    "address",
    "postcode",
    "opening_times",
    *ACCESS_ATTRIBUTES,
    "languages",
    "contact",
    "lat",
    "lon",
)
LABELS = {
    "name": "Name",
    "category": "Category",
    "subcategory": "Kind",
    "description": "Description",
    "address": "Address",
    "postcode": "Postcode",
    "opening_times": "Opening times",
    "languages": "Languages spoken, separated by commas",
    "contact": "Contact: phone, email or website",
    "lat": "Latitude",
    "lon": "Longitude",
    **{key: key.replace("_", " ").capitalize() for key in ACCESS_ATTRIBUTES},
}
YES_NO = {"true": True, "false": False, "": None}
CLOSED_STATUSES = (Status.CLOSED, Status.MERGED)


# -- who may -----------------------------------------------------------------------------------
def may_edit(user: User | None, asset: Asset) -> bool:
    """Whether ``user`` may edit ``asset``: an editing role, its ward in their scope, and still open."""
    return (
        user is not None
        and user.role in EDITORS
        and asset.status not in CLOSED_STATUSES
        and can_edit_in_ward(user, asset.ward_code)
    )


@bp.app_template_global("may_edit_asset")
def may_edit_asset(asset: Asset) -> bool:
    """:func:`may_edit` for the logged-in user, for templates (the asset page's "Edit" link)."""
    return may_edit(current_account(), asset)


# -- the form's values ---------------------------------------------------------------------------
def form_values(asset: Asset) -> dict[str, str]:
    """The asset's content as the form shows it (all strings)."""
    values = {key: getattr(asset, key) or "" for key in TEXT_FIELDS}
    values |= {key: _yes_no_word(getattr(asset, key)) for key in ACCESS_ATTRIBUTES}
    return values | {
        "category": asset.category,
        "subcategory": asset.subcategory or "",
        "languages": ", ".join(asset.languages),
        "lat": repr(asset.lat),  # repr: the float comes back exactly, so an untouched point is no change
        "lon": repr(asset.lon),
    }


def parse_form(form: Mapping[str, str], *, stored: Asset) -> Asset:
    """The asset the form describes, checked by the capture rules; :class:`InvalidInput` names the field.

    The category must be one counted as an asset (the capture page's choice), or the stored one.
    """
    category = form.get("category", "")
    known = category in taxonomy.categories()
    if not known or (category != stored.category and category not in taxonomy.asset_categories()):
        raise InvalidInput(f"category: {category[:40]!r} is not a category of places")
    subcategory = form.get("subcategory") or None
    subs = taxonomy.categories()[category].subcategories
    if subcategory is not None and subcategory not in subs:
        raise InvalidInput(f"subcategory: choose a kind of {taxonomy.categories()[category].label}")
    body: dict[str, Any] = {key: form.get(key, "") for key in TEXT_FIELDS}
    for key in ACCESS_ATTRIBUTES:
        raw = form.get(key, "")
        if raw not in YES_NO:
            raise InvalidInput(f"{key}: choose yes, no or don't know")
        body[key] = YES_NO[raw]
    body |= {
        "category": category,
        "subcategory": subcategory,
        "languages": form.get("languages", "").split(","),
        "lat": _number(form.get("lat", ""), "lat"),
        "lon": _number(form.get("lon", ""), "lon"),
    }
    return capture.parse_submission(body)


def changed_fields(stored: Asset, edited: Asset) -> dict[str, Any]:
    """The form's fields whose value in ``edited`` differs from ``stored``."""
    return {key: getattr(edited, key) for key in FORM_FIELDS if getattr(edited, key) != getattr(stored, key)}


def _number(raw: str, key: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise InvalidInput(f"{key}: expected a number") from None


def _yes_no_word(value: bool | None) -> str:
    return "" if value is None else str(value).lower()


def _field_of(message: str) -> str:
    """The form field an error message names (``"lon/lat: ..."`` is the location)."""
    key = message.partition(":")[0]
    return "location" if key in {"lon/lat", "lat", "lon"} else key


# -- the page ---------------------------------------------------------------------------------------
@bp.get("/assets/<asset_id>/edit")
@roles_required(*EDITORS)
def edit_page(asset_id: str) -> ResponseReturnValue:
    asset = _editable(get_store(), asset_id)
    return _form(asset, form_values(asset))


@bp.post("/assets/<asset_id>/edit")
@roles_required(*EDITORS)
def save(asset_id: str) -> ResponseReturnValue:
    store = get_store()
    user = required_account()
    asset = _editable(store, asset_id)
    # browsers send a textarea's line breaks as CRLF; stored text has LF
    values = {key: request.form.get(key, "").replace("\r\n", "\n") for key in FORM_FIELDS}
    version = _version(request.form.get("version"))
    try:
        edited = parse_form(values, stored=asset)
    except InvalidInput as exc:
        return _form(asset, values, version=version, error=exc.message), 400
    if (edited.lon, edited.lat) != (asset.lon, asset.lat) and not can_edit_in_ward(
        user, capture.ward_of(store, edited)
    ):
        raise Forbidden("the new location is outside the wards your account may edit in")
    if asset.version != version:
        return _conflict(store, asset, values, based_on=version)
    changes = changed_fields(asset, edited)
    if not changes:
        flash("Nothing changed")
        return redirect(url_for("moderation.asset_page", asset_id=asset_id), 303)
    try:
        store.update_asset(asset_id, changes, expected_version=version, actor=user.username)
    except Conflict:  # changed between the read above and the write
        return _conflict(store, store.get_asset(asset_id), values, based_on=version)
    flash("Saved")
    return redirect(url_for("moderation.asset_page", asset_id=asset_id), 303)


def _editable(store: Store, asset_id: str) -> Asset:
    """The asset, if the logged-in account may edit it; else Forbidden (403) or InvalidInput (400)."""
    asset = store.get_asset(asset_id)  # NotFound -> 404 page
    if not can_edit_in_ward(current_account(), asset.ward_code):
        raise Forbidden("this place is outside the wards your account may edit in")
    if asset.status in CLOSED_STATUSES:
        raise InvalidInput(f"this place is {asset.status}, so it cannot be edited")
    return asset


def _version(raw: str | None) -> int:
    try:
        return int(raw or "")
    except ValueError:
        raise InvalidInput("the form has no valid version of the place; reload the page") from None


def _conflict(store: Store, asset: Asset, values: Mapping[str, str], *, based_on: int) -> ResponseReturnValue:
    """The form again (409), merged so that nobody's change is lost, noting each field changed since.

    A field the user changed keeps the user's value; a field only the other person changed takes
    the stored value (so saving again does not undo their change). Beside each field changed
    since the form's version the stored value is shown, saying which of the two the field holds.
    When that version is not in the audit trail, every field keeps the user's value and the ones
    differing from the stored place are noted.
    """
    now = form_values(asset)
    base = _values_at(store, asset, based_on)
    theirs = [key for key in FORM_FIELDS if (values[key] if base is None else base[key]) != now[key]]
    taken = {key for key in theirs if base is not None and values[key] == base[key]}
    merged = {key: now[key] if key in taken else values[key] for key in FORM_FIELDS}
    notes = {key: (_shown(key, now[key]), key in taken) for key in theirs}
    return _form(asset, merged, conflict=notes), 409


def _values_at(store: Store, asset: Asset, version: int) -> dict[str, str] | None:
    """The form's values of ``asset`` at ``version``, from its audit trail; None if not recorded."""
    for event in reversed(store.audit(str(asset.id))):
        after = event.after or {}
        if after.get("version") == version and all(key in after for key in FORM_FIELDS):
            fields: dict[str, Any] = {key: after[key] for key in FORM_FIELDS}
            return form_values(Asset(**fields))
    return None


def _shown(key: str, value: str) -> str:
    """A stored form value as words for people."""
    if key in ACCESS_ATTRIBUTES:
        return {"true": "yes", "false": "no", "": "don't know"}[value]
    if key == "category":
        return _category_label(value)
    if key == "subcategory":
        labels = (c.subcategories.get(value) for c in taxonomy.categories().values())
        return next((label for label in labels if label), value)
    return value or "(empty)"


def _category_label(category: str) -> str:
    found = taxonomy.categories().get(category)
    return found.label if found else category


def _form(
    asset: Asset,
    values: Mapping[str, str],
    *,
    version: int | None = None,
    error: str | None = None,
    conflict: Mapping[str, tuple[str, bool]] | None = None,
) -> str:
    categories = [c for c in taxonomy.categories().values() if c.layer == "asset" or c.id == asset.category]
    return render_template(
        "asset_edit.html",
        asset=asset,
        values=values,
        version=asset.version if version is None else version,
        error=error,
        error_field=_field_of(error) if error else None,
        conflict=conflict or {},
        conflicted=conflict is not None,
        categories=categories,
        labels=LABELS,
        text_fields=[key for key in TEXT_FIELDS if key != "name"],
        access=ACCESS_ATTRIBUTES,
        limits=capture.MAX_TEXT,
    )
