"""JSON API under ``/api/``: wards, small areas and assets as GeoJSON, coverage, the gap ranking.

Each handler parses its query (:mod:`assetmap.web.params`), asks the store or the coverage engine
(:mod:`assetmap.web.coverage`) and renders JSON. A query parameter an endpoint does not take is a
400, like a bad value; errors are ``{"status", "message"}`` (:mod:`assetmap.web.errors`). The
endpoints are described by the OpenAPI document at ``/api/openapi.json``
(:mod:`assetmap.web.openapi`) and in ``docs/api.md``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import numpy as np
import pandas as pd
from flask import Blueprint, Response, current_app, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from shapely.geometry import mapping

from assetmap import taxonomy
from assetmap.coverage import CoverageResult
from assetmap.coverage.engine import CONTRIBUTIONS
from assetmap.errors import NotFound
from assetmap.models import ASSET_FIELDS
from assetmap.storage.base import AssetQuery
from assetmap.web import get_store, openapi, params
from assetmap.web.cache import cached_json, cached_response, encoded_items, json_feature_collection
from assetmap.web.coverage import CoverageOptions, current_coverage, display_coverage
from assetmap.web.params import COVERAGE_PARAMETERS

bp = Blueprint("api", __name__)

# The query parameters each endpoint takes; anything else is a 400.
QUERY_PARAMETERS: dict[str, tuple[str, ...]] = {
    "api.health": (),
    "api.openapi_document": (),
    "api.categories": (),
    "api.wards": ("bbox", *COVERAGE_PARAMETERS),
    "api.ward": COVERAGE_PARAMETERS,
    "api.areas": ("ward", "bbox", *COVERAGE_PARAMETERS),
    "api.assets": ("bbox", "category", "ward", "status", "page", "per_page"),
    "api.asset": (),
    "api.coverage_wards": COVERAGE_PARAMETERS,
    "api.coverage_areas": COVERAGE_PARAMETERS,
    "api.gaps": ("level", "limit", *COVERAGE_PARAMETERS),
}

WARD_PROPERTIES = (
    "code",
    "name",
    "residents_50plus",
    "n_assets",
    "assets_per_1000_50plus",
    "share_50plus_within_any",
    "need_index",
    "gap_score",
    "gap_rank",
    "why",
)
AREA_PROPERTIES = (
    "code",
    "name",
    "ward_code",
    "residents_50plus",
    "walk_min_any",
    "n_within_any",
    "fca_per_1000",
    "need_index",
    "gap_score",
    "gap_rank",
    "why",
    *CONTRIBUTIONS,
)
GAP_COLUMNS = {
    "area": AREA_PROPERTIES,
    "ward": (*WARD_PROPERTIES, "walk_min_any", "fca_per_1000", *CONTRIBUTIONS),
}
# Who created, changed or verified an asset is kept for the audit trail, not published.
PUBLIC_ASSET_FIELDS = tuple(
    f for f in ASSET_FIELDS if f not in {"lon", "lat", "created_by", "updated_by", "last_verified_by"}
)


@bp.before_request
def _only_known_parameters() -> None:
    params.only(request.args, QUERY_PARAMETERS.get(request.endpoint or "", ()))


@bp.after_request
def _no_sniffing(response: Response) -> Response:
    # JSON carries text from the data (names, descriptions): never let a browser read it as HTML.
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/health")
def health() -> ResponseReturnValue:
    store = get_store()
    return jsonify({"status": "ok", "wards": len(store.wards()), "assets": store.count_assets(AssetQuery())})


@bp.get("/openapi.json")
def openapi_document() -> ResponseReturnValue:
    return jsonify(openapi.document())


@bp.get("/categories")
def categories() -> ResponseReturnValue:
    return jsonify(
        {
            "categories": [
                {
                    "id": c.id,
                    "label": c.label,
                    "layer": c.layer,
                    "subcategories": [{"id": k, "label": v} for k, v in c.subcategories.items()],
                }
                for c in taxonomy.categories().values()
            ]
        }
    )


@bp.get("/wards")
def wards() -> ResponseReturnValue:
    box = params.bbox(request.args)
    options = _coverage_options()

    def build() -> dict[str, Any]:
        codes = None if box is None else [w.code for w in get_store().wards(bbox=box)]
        result = display_coverage(options)
        collection = _collection(_rows(result.wards, codes), WARD_PROPERTIES)
        return collection | {"parameters": _described(options, result)}

    return cached_json(build)


@bp.get("/wards/<code>")
def ward(code: str) -> ResponseReturnValue:
    options = _coverage_options()
    get_store().ward(code)  # NotFound for an unknown code
    result = display_coverage(options)
    features = _collection(_rows(result.wards, [code]), WARD_PROPERTIES)["features"]
    if not features:
        raise NotFound(f"no ward with code {code!r}")
    return jsonify(features[0] | {"parameters": _described(options, result)})


@bp.get("/areas")
def areas() -> ResponseReturnValue:
    ward_code, box = params.ward(request.args), params.bbox(request.args)
    options = _coverage_options()
    store = get_store()
    if ward_code is not None:
        store.ward(ward_code)  # NotFound for an unknown code

    def build() -> dict[str, Any]:
        codes = None
        if ward_code is not None or box is not None:
            codes = [a.code for a in store.areas(kind=options.kind, ward=ward_code, bbox=box)]
        result = display_coverage(options)
        collection = _collection(_rows(result.areas, codes), AREA_PROPERTIES)
        return collection | {"parameters": _described(options, result)}

    return cached_json(build)


@bp.get("/assets")
def assets() -> ResponseReturnValue:
    query, page = params.asset_query(request.args)

    def build(revision: int) -> bytes:
        store = get_store()
        found = store.asset_ids(query)
        features = encoded_items(revision, "asset feature", found.ids, _asset_features)
        more = page.offset + len(found.ids) < found.total
        members = {
            "page": page.number,
            "per_page": page.size,
            "total": found.total,
            "next": _page_link(page.number + 1) if more else None,
        }
        return json_feature_collection(features, members)

    return cached_response(build)


@bp.get("/assets/<asset_id>")
def asset(asset_id: str) -> ResponseReturnValue:
    return jsonify(_asset_feature(get_store().get_asset(asset_id).to_dict()))


def _coverage_rows(level: str) -> ResponseReturnValue:
    """Coverage per ward or per area (``level`` names the frame), without geometry."""
    options = _coverage_options()
    result = current_coverage(options)
    frame = result.wards if level == "wards" else result.areas
    return jsonify(
        {"parameters": _described(options, result), level: _records(frame.drop(columns="geometry"))}
    )


@bp.get("/coverage/wards")
def coverage_wards() -> ResponseReturnValue:
    return _coverage_rows("wards")


@bp.get("/coverage/areas")
def coverage_areas() -> ResponseReturnValue:
    return _coverage_rows("areas")


@bp.get("/gaps")
def gaps() -> ResponseReturnValue:
    level, limit = params.level(request.args), params.limit(request.args)
    options = _coverage_options()
    result = current_coverage(options)
    frame = result.areas if level == "area" else result.wards
    ranked = frame[frame["gap_rank"].notna()].sort_values(["gap_rank", "code"], kind="stable")
    return jsonify(
        {
            "level": level,
            "parameters": _described(options, result),
            "ranked": len(ranked),
            "gaps": _records(ranked[list(GAP_COLUMNS[level])].head(limit)),
        }
    )


def _coverage_options() -> CoverageOptions:
    return params.coverage_options(request.args, current_app.config)


def _described(options: CoverageOptions, result: CoverageResult) -> dict[str, Any]:
    """The parameters a coverage response was computed with."""
    return {
        "minutes": options.params.minutes,
        "categories": list(result.categories),
        "kind": options.kind,
        "need_weights": dict(options.params.need_weights),
        "gap_weights": dict(options.params.gap_weights),
    }


def _rows(frame: pd.DataFrame, codes: list[str] | None) -> pd.DataFrame:
    return frame if codes is None else frame[frame["code"].isin(codes)]


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts: Python scalars, and ``None`` for missing and infinite values."""
    missing = frame.isna() | frame.isin([np.inf, -np.inf])
    return frame.astype(object).mask(missing, None).to_dict("records")


def _collection(frame: pd.DataFrame, columns: tuple[str, ...]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of ``frame``'s polygons with ``columns`` as properties."""
    rows = _records(pd.DataFrame(frame[list(columns)]))
    features = [
        {"type": "Feature", "id": row["code"], "geometry": mapping(shape), "properties": row}
        for row, shape in zip(rows, frame.geometry.values, strict=True)
    ]
    return {"type": "FeatureCollection", "features": features}


def _asset_features(ids: list[str]) -> dict[str, dict[str, Any]]:
    """The GeoJSON features of the assets with these ids, by id."""
    return {r["id"]: _asset_feature(r) for r in get_store().asset_records_by_id(ids)}


def _asset_feature(values: dict[str, Any]) -> dict[str, Any]:
    """A GeoJSON point feature of an asset given as :meth:`~assetmap.models.Asset.to_dict`."""
    return {
        "type": "Feature",
        "id": values["id"],
        "geometry": {"type": "Point", "coordinates": [values["lon"], values["lat"]]},
        "properties": {f: values[f] for f in PUBLIC_ASSET_FIELDS},
    }


def _page_link(number: int) -> str:
    args = request.args.to_dict(flat=False) | {"page": [str(number)]}
    return f"{url_for('api.assets', _external=True)}?{urlencode(args, doseq=True)}"
