"""Patch walks over the web: the capture page's walk API, GPX uploads, and the streets-walked layer.

A connector (or officer, or admin) starts a walk with ``PUT /api/walks/<id>`` (the id is a UUID v4
the phone made, so a retried start is harmless), sends its positions in batches to
``POST /api/walks/<id>/points`` (a retried batch never doubles a point) and stops it with
``POST /api/walks/<id>/stop``. A walk belongs to its account: another account writing to it gets
403. ``/walks`` lists the account's walks (officers and admins see every account's), takes a
GPX file (``POST /walks/gpx``) and deletes a walk (``POST /walks/<id>/delete``: its own account's,
or any by an admin; the places added on it stay). ``GET /api/walks/streets`` is the public map
layer of the streets walked, with no names and no time finer than a month, cached under the
store's walk revision (walk writes leave the store revision, and so the coverage caches, alone).
See ``docs/walks.md``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue

from assetmap import walks
from assetmap.accounts import Role, User
from assetmap.errors import Conflict, Forbidden, InvalidInput, NotFound, TooLarge
from assetmap.models import Walk, WalkPoint
from assetmap.storage.base import Store
from assetmap.web import get_store, params
from assetmap.web.auth import required_account, roles_required
from assetmap.web.cache import app_cache, encode_json
from assetmap.web.errors import cap_upload, megabytes

bp = Blueprint("walks", __name__)

WALKERS = (Role.CONNECTOR, Role.OFFICER, Role.ADMIN)
READERS = (Role.OFFICER, Role.ADMIN)  # may read every account's walks
POINT_FIELDS = frozenset({"lon", "lat", "t", "accuracy"})
CACHE_ENTRIES = 32
_CACHE = "assetmap.cache.walks"


# -- parsing ---------------------------------------------------------------------------------------
def parse_walk_id(raw: str) -> str:
    """A walk id as a canonical UUID v4 string (made by the phone, like a submission's client id)."""
    return params.uuid4(raw, "walk_id")


def _body(allowed: frozenset[str]) -> Mapping[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("expected a JSON object")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(str(k)[:40] for k in unknown)}")
    return body


def parse_points(raw: Any) -> list[WalkPoint]:
    """The ``points`` of a batch; :class:`InvalidInput` naming the first bad one, as ``points[i]``."""
    if not isinstance(raw, list):
        raise InvalidInput("points: expected a list of {lon, lat, t, accuracy}")
    if len(raw) > walks.MAX_POINTS_PER_CALL:
        raise InvalidInput(f"points: at most {walks.MAX_POINTS_PER_CALL} in one call, got {len(raw)}")
    found = [_point(item, i) for i, item in enumerate(raw)]
    walks.check_walk_points(found)
    return found


def _point(item: Any, i: int) -> WalkPoint:
    where = f"points[{i}]"
    if not isinstance(item, dict):
        raise InvalidInput(f"{where}: expected an object with lon, lat, t and accuracy")
    unknown = sorted(set(item) - POINT_FIELDS)
    if unknown:
        raise InvalidInput(f"{where}: unknown field(s): {', '.join(str(k)[:40] for k in unknown)}")
    lon, lat = _number(item.get("lon"), f"{where}: lon"), _number(item.get("lat"), f"{where}: lat")
    accuracy = item.get("accuracy")
    return WalkPoint(
        walks.parse_time(item.get("t"), f"{where}.t"),
        lon,
        lat,
        None if accuracy is None else _number(accuracy, f"{where}: accuracy"),
    )


def _number(raw: Any, what: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise InvalidInput(f"{what} must be a number")
    return float(raw)


# -- access ----------------------------------------------------------------------------------------
def _own_walk(store: Store, user: User, walk_id: str) -> Walk:
    """The walk, if ``user`` may write to it (only its own account may)."""
    walk = store.walk(parse_walk_id(walk_id))
    if walk.username != user.username:
        raise Forbidden("this walk belongs to another account")
    return walk


def walk_for_submission(store: Store, user: User, raw: Any) -> str | None:
    """The ``walk_id`` of a capture submission, checked: None when absent, else one of ``user``'s walks.

    An id that is malformed or not stored is a 400; another account's walk is a 403.
    """
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise InvalidInput("walk_id: expected a UUID v4 string made by the page")
    try:
        walk = store.walk(parse_walk_id(raw))
    except NotFound:
        raise InvalidInput("walk_id: no such walk; start the walk first") from None
    if walk.username != user.username:
        raise Forbidden("walk_id: this walk belongs to another account")
    return walk.id


def link_to_walk(store: Store, walk_id: str | None, asset_id: str | None, action: str) -> None:
    """Record that the asset was added or seen on the walk, when the submission named one."""
    if walk_id is not None and asset_id is not None:
        store.link_walk_asset(walk_id, asset_id, action=action)


# -- the API ---------------------------------------------------------------------------------------
@bp.put("/api/walks/<walk_id>")
@roles_required(*WALKERS)
def start(walk_id: str) -> ResponseReturnValue:
    user = required_account()
    walk_id = parse_walk_id(walk_id)
    body = _body(frozenset({"started_at"}))
    started_at = walks.parse_time(body.get("started_at"), "started_at")
    store = get_store()
    try:
        walk, created = store.start_walk(walk_id, username=user.username, started_at=started_at)
    except Conflict:  # raced with a copy of itself, which then answers as a repeat; else still 409
        walk, created = store.start_walk(walk_id, username=user.username, started_at=started_at)
    return jsonify({"walk": walk.to_dict()}), 201 if created else 200


@bp.post("/api/walks/<walk_id>/points")
@roles_required(*WALKERS)
def add_points(walk_id: str) -> ResponseReturnValue:
    store = get_store()
    walk = _own_walk(store, required_account(), walk_id)
    points = parse_points(_body(frozenset({"points"})).get("points"))
    added = store.add_walk_points(walk.id, points)
    return jsonify({"walk": store.walk(walk.id).to_dict(), "added": added})


@bp.post("/api/walks/<walk_id>/stop")
@roles_required(*WALKERS)
def stop(walk_id: str) -> ResponseReturnValue:
    store = get_store()
    walk = _own_walk(store, required_account(), walk_id)
    stopped_at = walks.parse_time(_body(frozenset({"stopped_at"})).get("stopped_at"), "stopped_at")
    return jsonify({"walk": store.stop_walk(walk.id, stopped_at=stopped_at).to_dict()})


@bp.get("/api/walks/streets")
def streets() -> Response:
    """The streets walked (GeoJSON), public: months and walk counts only."""
    params.only(request.args, ["bbox"])
    box = params.bbox(request.args)
    store = get_store()
    revision = store.walk_revision()  # before any read, so an entry is never older than its key

    def build() -> bytes:
        routes = store.walk_routes(bbox=box)
        ends = float(current_app.config["WALK_PRIVATE_ENDS_M"])
        return encode_json(walks.streets_collection(routes, bbox=box, private_ends_m=ends))

    body = app_cache(_CACHE, CACHE_ENTRIES).get_or_compute(revision, ("streets", box), build)
    return Response(body, mimetype="application/json")


def ward_walked_km(code: str) -> float:
    """Kilometres of walked streets inside the ward, clipped and measured in EPSG:27700.

    Cached under the walk revision and the store revision (the ward's boundary may change).
    """
    store = get_store()
    revision = store.walk_revision()

    def compute() -> float:
        ward = store.ward(code)
        routes = store.walk_routes(bbox=ward.geometry.bounds)
        pieces = [piece for route in routes for piece in walks.route_pieces(route.points)]
        return walks.length_within_m(pieces, ward.geometry) / 1000

    key = ("ward_km", code, store.revision())
    return app_cache(_CACHE, CACHE_ENTRIES).get_or_compute(revision, key, compute)


def _walked_km_by_walk(store: Store) -> dict[str, float]:
    """Kilometres of streets walked on each walk with points (by walk id), measured once per walk
    revision and shared by every view of ``/walks``."""

    def compute() -> dict[str, float]:
        return {r.walk_id: walks.length_m(walks.route_pieces(r.points)) / 1000 for r in store.walk_routes()}

    return app_cache(_CACHE, CACHE_ENTRIES).get_or_compute(store.walk_revision(), ("walk_km",), compute)


@bp.app_template_global("walked_km")
def walked_km(code: str) -> float:
    """:func:`ward_walked_km` for the ward page's template."""
    return ward_walked_km(code)


# -- the page --------------------------------------------------------------------------------------
@bp.get("/walks")
@roles_required(*WALKERS)
def walks_page() -> ResponseReturnValue:
    return _page()


@bp.post("/walks/gpx")
@roles_required(*WALKERS)
def upload_gpx() -> ResponseReturnValue:
    """Store a walk made from an uploaded GPX file's track points, or show why not (nothing stored)."""
    user = required_account()
    limit = int(current_app.config["MAX_GPX_BYTES"])
    try:
        points = walks.parse_gpx(_gpx_bytes(limit), max_bytes=limit)
    except InvalidInput as exc:
        return _page(error=exc.message), 400
    walk, _ = get_store().start_walk(
        str(uuid.uuid4()),
        username=user.username,
        source="gpx",
        started_at=points[0].t,
        stopped_at=points[-1].t,
        points=points,
    )
    km = walks.length_m(walks.route_pieces(points)) / 1000
    flash(f"Walk uploaded: {walk.points} points, {km:.1f} km of streets walked.")
    return redirect(url_for("walks.walks_page"), code=303)


@bp.post("/walks/<walk_id>/delete")
@roles_required(*WALKERS)
def delete(walk_id: str) -> ResponseReturnValue:
    """Delete a walk with its points and links (its own account's, or any by an admin); to /walks."""
    user, store = required_account(), get_store()
    try:
        walk = store.walk(parse_walk_id(walk_id))
        if not _may_delete(user, walk):
            raise Forbidden("this walk belongs to another account")
        gone = store.delete_walk(walk.id)
    except NotFound:  # a second press of the button, or another tab, got there first
        flash("That walk is not stored (perhaps already deleted).")
    else:
        flash(
            f"Walk started {gone.started_at:%Y-%m-%d %H:%M} UTC deleted, with its {gone.points} points; "
            "the places added on it stay on the map."
        )
    return redirect(url_for("walks.walks_page"), code=303)


def _may_delete(user: User, walk: Walk) -> bool:
    return walk.username == user.username or user.role is Role.ADMIN


@bp.url_value_preprocessor
def _limit_upload(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Cap a GPX upload's body at its limit before anything reads it (413 beyond; a file only a
    little over the limit is refused on the page by :func:`walks.parse_gpx`)."""
    if endpoint == "walks.upload_gpx":
        limit = int(current_app.config["MAX_GPX_BYTES"])
        cap_upload(limit, lambda: TooLarge(f"the GPX file is too large (at most {megabytes(limit)})"))


def _gpx_bytes(limit: int) -> bytes:
    """The uploaded file's bytes, reading at most one byte past ``limit``."""
    upload = request.files.get("gpx")
    if upload is None or not upload.filename:
        raise InvalidInput("choose a .gpx file to upload")
    return upload.stream.read(limit + 1)


def _page(*, error: str | None = None) -> str:
    """The account's walks (officers and admins see every account's), and the upload form."""
    store, user = get_store(), required_account()
    everyone = user.role in READERS
    km = _walked_km_by_walk(store)
    rows = [
        {"walk": walk, "km": km.get(walk.id, 0.0), "may_delete": _may_delete(user, walk)}
        for walk in store.walks(username=None if everyone else user.username)
    ]
    limit = int(current_app.config["MAX_GPX_BYTES"])
    return render_template(
        "walks.html",
        rows=rows,
        everyone=everyone,
        error=error,
        max_size=megabytes(limit),
        gap_m=walks.MAX_STEP_M,
        gap_min=walks.MAX_PAUSE_S / 60,
    )
