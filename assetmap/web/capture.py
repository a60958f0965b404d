"""Capture: connectors, officers and admins add a place from the street, once, without duplicates.

``POST /api/submissions`` takes one JSON submission. It carries a client-made id (a UUID v4): the
new asset keeps it as its source id under the source dataset ``capture``, so a retried submission
finds the asset it already made and gets the same answer back (``"repeat": true``) instead of a
second asset; the same id from another account is refused with 409. Before creating anything the
point is checked for places already on the map (same category within 50 m, or a similar name
within 150 m); those are offered back with 409 unless the submission says ``confirm_new`` or
names one of them in ``same_as``, which records that the place was seen instead. See
``docs/capture.md``.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from flask import Blueprint, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue

from assetmap import taxonomy
from assetmap.accounts import Role, User, can_edit_in_ward
from assetmap.errors import Conflict, Forbidden, InvalidInput, NotFound
from assetmap.geo import BNG, UK, WGS84, check_points, transformer
from assetmap.lifecycle import MERGE_TARGET_STATUSES, search_box
from assetmap.models import ACCESS_ATTRIBUTES, Asset, Status
from assetmap.storage.base import AssetQuery, Store
from assetmap.storage.rows import ward_codes_at
from assetmap.web import get_store, pages, params
from assetmap.web.auth import required_account, roles_required
from assetmap.web.walks import link_to_walk, walk_for_submission

bp = Blueprint("capture", __name__)

CAPTURERS = (Role.CONNECTOR, Role.OFFICER, Role.ADMIN)
CAPTURE_DATASET = "capture"
SAME_CATEGORY_M = 50.0
SIMILAR_NAME_M = 150.0
NAME_SIMILARITY = 0.8  # difflib ratio of the normalised names (or of their sorted words)
MAX_TEXT = {
    "name": 200,
    "description": 2000,
    "address": 300,
    "postcode": 10,
    "opening_times": 500,
    "contact": 300,
}
MAX_LANGUAGES = 20
MAX_LANGUAGE = 40
FIELDS = frozenset(
    {"client_id", "lon", "lat", "category", "subcategory", "languages", "confirm_new", "same_as", "walk_id"}
    | set(MAX_TEXT)
    | set(ACCESS_ATTRIBUTES)
)


@dataclass(frozen=True)
class Candidate:
    asset: Asset
    distance_m: float

    def to_dict(self) -> dict[str, Any]:
        a = self.asset
        return {
            "id": a.id,
            "name": a.name,
            "category": a.category,
            "distance_m": round(self.distance_m, 1),
            "status": str(a.status),
        }


# -- pure rules ------------------------------------------------------------------------------------
def name_key(name: str) -> str:
    """A name folded for comparison: no accents, case or punctuation, single spaces.

    >>> name_key("  St. Peter's  CAFÉ ")
    'st peter s cafe'
    >>> name_key("")
    ''
    """
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join(re.sub(r"[\W_]+", " ", plain).split())


def similar_names(a: str, b: str, *, threshold: float = NAME_SIMILARITY) -> bool:
    """Whether two names look like the same place's.

    True when the folded names (:func:`name_key`), or their words sorted, have a
    :class:`difflib.SequenceMatcher` ratio of at least ``threshold``. Empty names are never similar.

    >>> similar_names("Age UK Leicester", "age-uk leicester")
    True
    >>> similar_names("Leicester Age UK", "Age UK Leicester")
    True
    >>> similar_names("Library", "Bench"), similar_names("", "")
    (False, False)
    """
    ka, kb = name_key(a), name_key(b)
    if not ka or not kb:
        return False
    sa, sb = " ".join(sorted(ka.split())), " ".join(sorted(kb.split()))
    return (
        max(difflib.SequenceMatcher(None, ka, kb).ratio(), difflib.SequenceMatcher(None, sa, sb).ratio())
        >= threshold
    )


def duplicate_candidates(new: Asset, nearby: Sequence[Asset]) -> list[Candidate]:
    """Places on the map that ``new`` may be: same category within 50 m, or a similar name within 150 m.

    Closed and merged assets are never offered. Nearest first (ties by name, then id).
    """
    keep = [a for a in nearby if a.status in MERGE_TARGET_STATUSES]
    if not keep:
        return []
    to_bng = transformer(WGS84, BNG)
    x0, y0 = to_bng.transform(new.lon, new.lat)
    xs, ys = to_bng.transform(np.array([a.lon for a in keep]), np.array([a.lat for a in keep]))
    metres = np.hypot(np.asarray(xs) - x0, np.asarray(ys) - y0)
    found = [
        Candidate(a, float(m))
        for a, m in zip(keep, metres, strict=True)
        if (a.category == new.category and m <= SAME_CATEGORY_M)
        or (m <= SIMILAR_NAME_M and similar_names(a.name, new.name))
    ]
    return sorted(found, key=lambda c: (c.distance_m, c.asset.name, c.asset.id or ""))


# -- parsing ---------------------------------------------------------------------------------------
def parse_client_id(raw: Any) -> str:
    """The submission's id as a canonical UUID v4 string."""
    return params.uuid4(raw, "client_id")


def parse_submission(body: Mapping[str, Any]) -> Asset:
    """The asset a submission describes, as reported; raises :class:`InvalidInput` naming the field."""
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(unknown)}")
    lon, lat = _number(body.get("lon"), "lon"), _number(body.get("lat"), "lat")
    problems = check_points(np.array([lon]), np.array([lat]))
    if problems:
        raise InvalidInput(f"lon/lat: {problems[0][1]}")
    text = {key: _text(body.get(key), key, limit) for key, limit in MAX_TEXT.items()}
    if not text["name"]:
        raise InvalidInput("name: a place needs a name")
    category, subcategory = body.get("category"), body.get("subcategory")
    if not isinstance(category, str) or not (subcategory is None or isinstance(subcategory, str)):
        raise InvalidInput("category: expected a category id (and optionally a subcategory id)")
    access = {key: _yes_no(body.get(key), key) for key in ACCESS_ATTRIBUTES}
    asset = Asset(
        category=category,
        subcategory=subcategory or None,
        lon=lon,
        lat=lat,
        languages=_languages(body.get("languages")),
        status=Status.REPORTED,
        name=text["name"],
        description=text["description"],
        address=text["address"],
        postcode=text["postcode"],
        opening_times=text["opening_times"],
        contact=text["contact"],
        step_free=access["step_free"],
        seating=access["seating"],
        toilets=access["toilets"],
        hearing_loop=access["hearing_loop"],
        free_to_use=access["free_to_use"],
    )
    return asset.validated()  # unknown category/subcategory -> InvalidInput naming it


def _number(raw: Any, key: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise InvalidInput(f"{key}: expected a number")
    return float(raw)


def _text(raw: Any, key: str, limit: int) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise InvalidInput(f"{key}: expected text")
    value = raw.strip()
    if len(value) > limit:
        raise InvalidInput(f"{key}: too long (at most {limit} characters)")
    return value


def _yes_no(raw: Any, key: str) -> bool | None:
    if raw is None or isinstance(raw, bool):
        return raw
    raise InvalidInput(f"{key}: expected true, false or null (not known)")


def _languages(raw: Any) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise InvalidInput("languages: expected a list of language names")
    names = [x.strip() for x in raw if x.strip()]
    if len(names) > MAX_LANGUAGES or any(len(x) > MAX_LANGUAGE for x in names):
        raise InvalidInput(
            f"languages: at most {MAX_LANGUAGES} languages of at most {MAX_LANGUAGE} characters each"
        )
    return names


# -- the page ------------------------------------------------------------------------------------
@bp.get("/capture")
@roles_required(*CAPTURERS)
def capture_page() -> ResponseReturnValue:
    store = get_store()
    wards = store.wards()
    if wards:
        bounds = [w.geometry.bounds for w in wards]
        bbox = (
            min(b[0] for b in bounds),
            min(b[1] for b in bounds),
            max(b[2] for b in bounds),
            max(b[3] for b in bounds),
        )
    else:
        bbox = (UK.min_lon, UK.min_lat, UK.max_lon, UK.max_lat)
    parts = pages.leaflet_map(bbox)
    categories = [
        {"id": c.id, "label": c.label, "subcategories": list(c.subcategories.items())}
        for c in taxonomy.categories().values()
        if c.layer == "asset"
    ]
    centre = [(bbox[1] + bbox[3]) / 2, (bbox[0] + bbox[2]) / 2]  # Leaflet's [lat, lon]
    data = {"map": parts.name, "centre": centre, "categories": categories}
    return render_template(
        "capture.html",
        map=parts,
        data=data,
        categories=categories,
        access=[(name, name.replace("_", " ").capitalize()) for name in ACCESS_ATTRIBUTES],
        limits=MAX_TEXT,
    )


# -- the endpoint ----------------------------------------------------------------------------------
@bp.post("/api/submissions")
@roles_required(*CAPTURERS)
def submit() -> ResponseReturnValue:
    user = required_account()
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("expected a JSON object")
    store = get_store()
    client_id = parse_client_id(body.get("client_id"))
    walk_id = walk_for_submission(store, user, body.get("walk_id"))  # docs/walks.md
    earlier = _earlier(store, user, client_id)
    if earlier is not None:
        return _repeat_answer(store, earlier, walk_id)
    asset = parse_submission(body)
    if not can_edit_in_ward(user, ward_of(store, asset)):
        raise Forbidden("this place is outside the wards your account may add to")
    if not isinstance(body.get("confirm_new", False), bool):
        raise InvalidInput("confirm_new: expected true or false")
    same_as = body.get("same_as")
    if same_as is not None:
        seen = _record_seen(store, user, asset, same_as, client_id)
        link_to_walk(store, walk_id, same_as, "seen")
        return seen
    if body.get("confirm_new") is not True:
        candidates = _candidates(store, asset)
        if candidates:
            message = "places like this are already on the map nearby; is it one of them?"
            payload = {"status": 409, "message": message, "candidates": [c.to_dict() for c in candidates]}
            return jsonify(payload), 409
    new = dataclasses.replace(asset, source_dataset=CAPTURE_DATASET, source_id=client_id)
    try:
        created = store.add_asset(new, actor=user.username)
    except Conflict:  # the same id arrived twice at once: the later copy is answered as a repeat
        earlier = _earlier(store, user, client_id)
        if earlier is None:
            raise
        return _repeat_answer(store, earlier, walk_id)
    link_to_walk(store, walk_id, created.id, "added")
    return jsonify({"asset": _summary(created), "outcome": "created", "repeat": False}), 201


def _earlier(store: Store, user: User, client_id: str) -> Asset | None:
    """The place an earlier try of this submission id created, or None for a new id."""
    try:
        asset = store.asset_by_source(CAPTURE_DATASET, client_id)
    except NotFound:
        return None
    if asset.created_by != user.username:
        raise Conflict("client_id: this submission id was already used by another account")
    return asset


def _repeat_answer(store: Store, asset: Asset, walk_id: str | None) -> ResponseReturnValue:
    """Answer a repeat as the first try was answered.

    The walk link is written again (linking is idempotent): a first try that stored the place but
    failed before its link, and so got no answer, is retried by the outbox and mended here.
    """
    link_to_walk(store, walk_id, asset.id, "added")
    return jsonify({"asset": _summary(asset), "outcome": "created", "repeat": True}), 200


def ward_of(store: Store, asset: Asset) -> str | None:
    """The ward storage would record for the asset's point (its rule: :func:`ward_codes_at`)."""
    nearby = store.wards(bbox=(asset.lon, asset.lat, asset.lon, asset.lat))
    return ward_codes_at(nearby, np.array([asset.lon]), np.array([asset.lat]))[0]


def _candidates(store: Store, asset: Asset) -> list[Candidate]:
    box = search_box(asset, radius_m=SIMILAR_NAME_M)
    nearby = store.assets(AssetQuery(bbox=box, statuses=[s.value for s in MERGE_TARGET_STATUSES]))
    return duplicate_candidates(asset, nearby)


def _record_seen(store: Store, user: User, asset: Asset, same_as: Any, client_id: str) -> ResponseReturnValue:
    """Record that ``user`` saw the existing place ``same_as`` (one of the candidates) instead of adding one.

    Officers and admins verify it (stamping last verified at/by). A connector re-verifies a place
    already checked (verified, or stale for want of a recent check): it is verified again, stamped
    by the connector, which keeps it from going stale. A connector's sighting of a place still
    awaiting its first check (reported) is kept as a note in its history for the officer who
    decides, the status unchanged. A repeated submission id records nothing new.
    """
    offered = {c.asset.id: c.asset for c in _candidates(store, asset)}
    if not isinstance(same_as, str) or same_as not in offered:
        raise InvalidInput("same_as: expected the id of one of the places offered as already on the map")
    target = offered[same_as]
    if not can_edit_in_ward(user, target.ward_code):
        raise Forbidden("that place is outside the wards your account may add to")
    if any((e.after or {}).get("note", {}).get("submission") == client_id for e in store.audit(same_as)):
        return jsonify({"asset": _summary(target), "outcome": "seen", "repeat": True}), 200
    note = {"submission": client_id}
    if user.role in (Role.OFFICER, Role.ADMIN):
        status, outcome = Status.VERIFIED, "verified"
    elif target.status in (Status.VERIFIED, Status.STALE):
        status, outcome = Status.VERIFIED, "re-verified by a connector"
    else:
        status, outcome = target.status, "seen by a connector"
    note["outcome"] = outcome
    updated = store.set_status(
        same_as, status, expected_version=target.version, actor=user.username, note=note
    )
    return jsonify({"asset": _summary(updated), "outcome": outcome, "repeat": False}), 200


def _summary(asset: Asset) -> dict[str, Any]:
    return {
        "id": asset.id,
        "name": asset.name,
        "category": asset.category,
        "status": str(asset.status),
        "url": url_for("moderation.asset_page", asset_id=asset.id),
    }
