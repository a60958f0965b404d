"""``GET /api/search?q=``: find a ward by name (or code), or a postcode and the ward it lies in.

Postcodes are placed with the data pack's postcode file (``<DATA_PACK>/osm/
ons_nspl_may2025_postcodes_LE.csv``, ONS National Statistics Postcode Lookup), read once, on the
first postcode search, by :class:`~assetmap.importers.assets.PostcodeIndex`. A query that is not a
postcode is only matched against ward names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import shapely
from flask import Blueprint, current_app, jsonify, request, url_for
from flask.typing import ResponseReturnValue

from assetmap.errors import InvalidInput
from assetmap.importers.assets import PostcodeIndex, normalise_postcode
from assetmap.models import Ward
from assetmap.web import get_store

POSTCODE_FILE = Path("osm") / "ons_nspl_may2025_postcodes_LE.csv"
MIN_QUERY, MAX_QUERY = 2, 100
MAX_WARDS = 10

bp = Blueprint("search", __name__)


@bp.get("/search")
def search() -> ResponseReturnValue:
    query = _query(request.args.get("q"))
    unknown = [name for name in request.args if name != "q"]
    if unknown:
        raise InvalidInput(f"unknown parameter {unknown[0][:40]!r}; expected q")
    wards = get_store().wards()
    code = normalise_postcode(query)
    found = _postcode(code, wards) if code else None
    matches = _ward_matches(query, wards)
    message = None
    if code and found is None:
        message = f"Postcode {code} was not found among Leicester's postcodes."
    elif found is None and not matches:
        message = "No ward name matches; try part of a name, or a full postcode such as LE1 1AA."
    return jsonify(
        {"query": query, "wards": [_ward_json(w) for w in matches], "postcode": found, "message": message}
    )


def _query(raw: str | None) -> str:
    query = " ".join((raw or "").split())
    if len(query) < MIN_QUERY:
        raise InvalidInput(f"q must be a ward name or a postcode of at least {MIN_QUERY} characters")
    if len(query) > MAX_QUERY:
        raise InvalidInput(f"q must be at most {MAX_QUERY} characters")
    return query


def _ward_matches(query: str, wards: list[Ward]) -> list[Ward]:
    """Wards whose name contains ``query`` (names starting with it first), or whose code it is."""
    needle = query.casefold()
    hits = [w for w in wards if needle in w.name.casefold() or needle == w.code.casefold()]
    hits.sort(key=lambda w: (not w.name.casefold().startswith(needle), w.name.casefold()))
    return hits[:MAX_WARDS]


def _postcode(code: str, wards: list[Ward]) -> dict[str, Any] | None:
    """The postcode's point and ward, or None when it is not in the postcode file."""
    index = postcode_index()
    point = index.lookup(code) if index is not None else None
    if point is None:
        return None
    lon, lat = point
    # A point on a shared boundary goes to the first ward by code, as the coverage engine does.
    inside = sorted(
        (w for w in wards if shapely.covers(w.geometry, shapely.Point(lon, lat))), key=lambda w: w.code
    )
    return {"postcode": code, "lon": lon, "lat": lat, "ward": _ward_json(inside[0]) if inside else None}


def postcode_index() -> PostcodeIndex | None:
    """The app's postcode index (loaded on its first lookup), or None when the pack has no file."""
    path = Path(current_app.config["DATA_PACK"]) / POSTCODE_FILE
    cached = current_app.extensions.get("assetmap.postcodes")
    if cached is None or cached.path != path:
        if not path.is_file():
            current_app.logger.warning("postcode search unavailable: %s is missing", path)
            return None
        cached = PostcodeIndex(path)
        current_app.extensions["assetmap.postcodes"] = cached
    index: PostcodeIndex = cached
    return index


def _ward_json(ward: Ward) -> dict[str, str]:
    return {"code": ward.code, "name": ward.name, "url": url_for("pages.ward", code=ward.code)}
