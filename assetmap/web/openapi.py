"""The OpenAPI 3.1 document of the API, served at ``/api/openapi.json``.

Written by hand as data. ``tests/web/test_openapi.py`` holds it to the app: the same paths,
methods and path and query parameters; every documented parameter accepted with its example value
and refused with a bad one; every response valid against its schema.
"""

from __future__ import annotations

from typing import Any

from assetmap import taxonomy, walks
from assetmap.coverage.engine import CONTRIBUTIONS
from assetmap.coverage.params import GAP_PARTS, NEED_FACTORS
from assetmap.importers.boundaries import AREA_KINDS
from assetmap.models import ACCESS_ATTRIBUTES, Status
from assetmap.planner import params as planner_params
from assetmap.web import params

_NUMBER = {"type": ["number", "null"]}
_INTEGER = {"type": ["integer", "null"]}
_TEXT = {"type": "string"}
_TEXT_OR_NULL = {"type": ["string", "null"]}
_TIME = {"type": ["string", "null"], "format": "date-time"}


def _ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _object(properties: dict[str, Any], *, closed: bool = True) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "required": list(properties), "properties": properties}
    if closed:
        schema["additionalProperties"] = False
    return schema


def _query(name: str, description: str, schema: dict[str, Any], example: Any, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "description": description,
        "schema": schema,
        "example": example,
    } | extra


def _list_query(name: str, description: str, items: dict[str, Any], example: list[Any]) -> dict[str, Any]:
    """A comma-separated list parameter (``name=a,b``)."""
    schema = {"type": "array", "items": items, "minItems": 1}
    return _query(name, description, schema, example, style="form", explode=False)


def _parameters() -> dict[str, Any]:
    counted = taxonomy.asset_categories()
    return {
        "bbox": _query(
            "bbox",
            "Only what meets this box: min_lon,min_lat,max_lon,max_lat in WGS84 degrees, each minimum "
            "less than its maximum.",
            {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4},
            [-1.22, 52.58, -1.05, 52.69],
            style="form",
            explode=False,
        ),
        "category": _list_query(
            "category",
            "Only assets of these categories (taxonomy ids, see /api/categories).",
            {"type": "string", "enum": list(taxonomy.categories())},
            ["cafe", "library"],
        ),
        "status": _list_query(
            "status",
            "Only assets with these statuses. Default: every status.",
            {"type": "string", "enum": [s.value for s in Status]},
            ["verified", "stale"],
        ),
        "ward": _query(
            "ward", "Only what lies in this ward (a ward code); unknown codes are a 404.", _TEXT, "E05010458"
        ),
        "page": _query("page", "Page number, from 1.", {"type": "integer", "minimum": 1, "default": 1}, 2),
        "per_page": _query(
            "per_page",
            "Assets per page.",
            {
                "type": "integer",
                "minimum": 1,
                "maximum": params.PER_PAGE_MAX,
                "default": params.PER_PAGE_DEFAULT,
            },
            100,
        ),
        "minutes": _query(
            "minutes",
            "The walk that counts as within reach, in minutes. Default: the app's WALK_MINUTES (10).",
            {"type": "number", "exclusiveMinimum": 0, "maximum": params.MINUTES_MAX},
            15,
        ),
        "coverage_category": _list_query(
            "category",
            "Measure only these categories; 'any' then means any of them. Default: every category on "
            "the asset layer.",
            {"type": "string", "enum": counted},
            ["cafe", "library"],
        ),
        "need_weights": _query(
            "need_weights",
            f"Weights of the need factors ({', '.join(NEED_FACTORS)}) as factor:weight pairs; they "
            "replace the configured weights, a factor left out weighs 0.",
            {"type": "string", "pattern": r"^[a-z0-9_]+:[0-9.eE+-]+(,[a-z0-9_]+:[0-9.eE+-]+)*$"},
            params.WEIGHTS_EXAMPLE["need_weights"],
        ),
        "gap_weights": _query(
            "gap_weights",
            f"Weights of the parts of the gap score ({', '.join(GAP_PARTS)}) as part:weight pairs; they "
            "replace the configured weights, a part left out weighs 0.",
            {"type": "string", "pattern": r"^[a-z0-9_]+:[0-9.eE+-]+(,[a-z0-9_]+:[0-9.eE+-]+)*$"},
            params.WEIGHTS_EXAMPLE["gap_weights"],
        ),
        "kind": _query(
            "kind",
            "Kind of small area coverage is computed over.",
            {"type": "string", "enum": list(AREA_KINDS), "default": "lsoa11"},
            "lsoa11",
        ),
        "level": _query(
            "level",
            "Rank small areas or wards.",
            {"type": "string", "enum": list(params.LEVELS), "default": "area"},
            "ward",
        ),
        "limit": _query(
            "limit",
            "How many of the most under-served to return.",
            {"type": "integer", "minimum": 1, "maximum": params.LIMIT_MAX, "default": params.LIMIT_DEFAULT},
            5,
        ),
        "q": _query(
            "q",
            "A ward name or part of one (2 to 100 characters), a ward code, or a full postcode.",
            {"type": "string", "minLength": 2, "maxLength": 100},
            "Abbey",
            required=True,
        ),
        "plan_level": _query(
            "level",
            "Choose pilots among small areas (LSOAs) or wards.",
            {"type": "string", "enum": list(planner_params.LEVELS), "default": "area"},
            "ward",
        ),
        "k": _query(
            "k",
            "How many to choose: new pilots (default 5) or sites (default 3).",
            {"type": "integer", "minimum": 1, "maximum": planner_params.MAX_PILOTS},
            1,
        ),
        "separation_km": _query(
            "separation_km",
            "No two pilots closer than this, centre to centre, in km.",
            {"type": "number", "minimum": 0, "maximum": planner_params.MAX_SEPARATION_M / 1000, "default": 2},
            0,
        ),
        "no_adjacent": _query(
            "no_adjacent",
            "Also refuse two pilots whose polygons touch.",
            {
                "type": "string",
                "enum": ["on", "off", "true", "false", "1", "0", "yes", "no"],
                "default": "off",
            },
            "on",
        ),
        "programme": _query(
            "programme",
            "The wards where Community Connectors already work: leave them out (exclude), keep them as "
            "pilots and choose k more (fixed), or treat them like any other (ignore).",
            {"type": "string", "enum": ["exclude", "fixed", "ignore"], "default": "exclude"},
            "fixed",
        ),
        "site_category": _query(
            "category",
            "The kind of place to site (a category coverage counts).",
            {"type": "string", "enum": counted},
            "cafe",
            required=True,
        ),
        "candidates": _query(
            "candidates",
            "Where sites may go: existing community buildings (PLANNER_SITE_CATEGORIES) or small "
            "areas' population-weighted points.",
            {"type": "string", "enum": list(planner_params.SITE_CANDIDATES), "default": "buildings"},
            "areas",
        ),
        "ward_code": {
            "name": "code",
            "in": "path",
            "required": True,
            "description": "Ward code.",
            "schema": _TEXT,
            "example": "E05010458",
        },
        "asset_id": {
            "name": "asset_id",
            "in": "path",
            "required": True,
            "description": "Asset id.",
            "schema": _TEXT,
            "example": "00066c1b89a046b185906a89d8ceab8d",
        },
    }


_COVERAGE = ["minutes", "coverage_category", "need_weights", "gap_weights", "kind"]


def _schemas() -> dict[str, Any]:
    counted = taxonomy.asset_categories()
    contributions = dict.fromkeys(CONTRIBUTIONS, _NUMBER)
    ward_properties = {
        "code": _TEXT,
        "name": _TEXT,
        "residents_50plus": _NUMBER,
        "n_assets": {"type": "integer", "minimum": 0},
        "assets_per_1000_50plus": _NUMBER,
        "share_50plus_within_any": _NUMBER,
        "need_index": _NUMBER,
        "gap_score": _NUMBER,
        "gap_rank": _INTEGER,
        "why": _TEXT,
    }
    area_properties = {
        "code": _TEXT,
        "name": _TEXT,
        "ward_code": _TEXT_OR_NULL,
        "residents_50plus": _NUMBER,
        "walk_min_any": {**_NUMBER, "description": "null when no asset is measured"},
        "n_within_any": {"type": "integer", "minimum": 0},
        "fca_per_1000": _NUMBER,
        "need_index": _NUMBER,
        "gap_score": _NUMBER,
        "gap_rank": _INTEGER,
        "why": _TEXT,
        **contributions,
    }
    asset_properties = {
        "id": _TEXT,
        "category": _TEXT,
        "subcategory": _TEXT_OR_NULL,
        "name": _TEXT,
        "description": _TEXT,
        "address": _TEXT,
        "postcode": _TEXT,
        "opening_times": _TEXT,
        **{a: {"type": ["boolean", "null"]} for a in ACCESS_ATTRIBUTES},
        "languages": {"type": "array", "items": _TEXT},
        "contact": _TEXT,
        "source_dataset": _TEXT,
        "source_id": _TEXT,
        "licence": _TEXT,
        "status": {"type": "string", "enum": [s.value for s in Status]},
        "last_verified_at": _TIME,
        "created_at": _TIME,
        "updated_at": _TIME,
        "version": {"type": "integer"},
        "ward_code": _TEXT_OR_NULL,
    }
    cell = {"type": ["number", "string", "null"]}
    return {
        "Error": _object({"status": {"type": "integer"}, "message": _TEXT}),
        "Health": _object(
            {"status": {"const": "ok"}, "wards": {"type": "integer"}, "assets": {"type": "integer"}}
        ),
        "Polygon": _object(
            {"type": {"enum": ["Polygon", "MultiPolygon"]}, "coordinates": {"type": "array"}}, closed=False
        ),
        "Point": _object(
            {
                "type": {"const": "Point"},
                "coordinates": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
            }
        ),
        "CoverageParameters": _object(
            {
                "minutes": {"type": "number"},
                "categories": {"type": "array", "items": _TEXT},
                "kind": _TEXT,
                "need_weights": {"type": "object", "additionalProperties": {"type": "number"}},
                "gap_weights": {"type": "object", "additionalProperties": {"type": "number"}},
            }
        ),
        "WardProperties": _object(ward_properties),
        "WardFeature": _feature("Polygon", "WardProperties"),
        "Ward": _feature("Polygon", "WardProperties", parameters=True),
        "Wards": _collection("WardFeature", parameters=True),
        "AreaProperties": _object(area_properties),
        "AreaFeature": _feature("Polygon", "AreaProperties"),
        "Areas": _collection("AreaFeature", parameters=True),
        "AssetProperties": _object(asset_properties),
        "Asset": _feature("Point", "AssetProperties"),
        "Assets": _object(
            {
                "type": {"const": "FeatureCollection"},
                "features": {"type": "array", "items": _ref("schemas", "Asset")},
                "page": {"type": "integer", "minimum": 1},
                "per_page": {"type": "integer", "minimum": 1},
                "total": {"type": "integer", "minimum": 0, "description": "assets matching the filters"},
                "next": {
                    "type": ["string", "null"],
                    "format": "uri",
                    "description": "the next page, or null",
                },
            }
        ),
        "Search": _object(
            {
                "query": _TEXT,
                "wards": {"type": "array", "items": _ref("schemas", "WardLink")},
                "postcode": {
                    "anyOf": [
                        {"type": "null"},
                        _object(
                            {
                                "postcode": _TEXT,
                                "lon": {"type": "number"},
                                "lat": {"type": "number"},
                                "ward": {"anyOf": [{"type": "null"}, _ref("schemas", "WardLink")]},
                            }
                        ),
                    ]
                },
                "message": {**_TEXT_OR_NULL, "description": "what to tell the user when nothing was found"},
            }
        ),
        "WardLink": _object({"code": _TEXT, "name": _TEXT, "url": _TEXT}),
        "Categories": _object(
            {
                "categories": {
                    "type": "array",
                    "items": _object(
                        {
                            "id": _TEXT,
                            "label": _TEXT,
                            "layer": {"enum": ["asset", "context"]},
                            "subcategories": {
                                "type": "array",
                                "items": _object({"id": _TEXT, "label": _TEXT}),
                            },
                        }
                    ),
                }
            }
        ),
        "CoverageWardRow": _object(
            {
                **ward_properties,
                "n_areas": {"type": "integer"},
                "walk_min_any": _NUMBER,
                "fca_per_1000": _NUMBER,
            }
        )
        | {"additionalProperties": cell},
        "CoverageAreaRow": _object({**area_properties, "point_source": _TEXT})
        | {"additionalProperties": cell},
        "CoverageWards": _object(
            {
                "parameters": _ref("schemas", "CoverageParameters"),
                "wards": {"type": "array", "items": _ref("schemas", "CoverageWardRow")},
            }
        ),
        "CoverageAreas": _object(
            {
                "parameters": _ref("schemas", "CoverageParameters"),
                "areas": {"type": "array", "items": _ref("schemas", "CoverageAreaRow")},
            }
        ),
        "PlanPick": _object(
            {
                "code": _TEXT,
                "name": _TEXT,
                "ward_code": _TEXT_OR_NULL,
                "ward_name": _TEXT_OR_NULL,
                "need_index": _NUMBER,
                "gap_score": _NUMBER,
                "residents_50plus": _NUMBER,
                "value": _NUMBER,
                "areas": {"type": "array", "items": _TEXT},
                "nearest_pilot_km": _NUMBER,
                "fixed": {"type": "boolean"},
                "why": _TEXT,
            }
        ),
        "Plan": _object(
            {
                "parameters": _object(
                    {
                        "level": {"enum": list(planner_params.LEVELS)},
                        "k": {"type": "integer"},
                        "min_separation_m": {"type": "number"},
                        "no_adjacent": {"type": "boolean"},
                        "programme_mode": {"enum": list(planner_params.PROGRAMME_MODES)},
                        "alternatives": {"type": "integer"},
                        "reach_m": {"type": "number"},
                        "time_limit_s": {"type": "number"},
                    }
                ),
                "n_candidates": {"type": "integer"},
                "excluded": {"type": "array", "items": _TEXT},
                "fixed": {"type": "array", "items": _ref("schemas", "PlanPick")},
                "portfolios": {
                    "type": "array",
                    "minItems": 1,
                    "items": _object(
                        {
                            "rank": {"type": "integer", "minimum": 1},
                            "status": _TEXT,
                            "optimal": {"type": "boolean"},
                            "gap": _NUMBER,
                            "objective": _NUMBER,
                            "residents_50plus": _NUMBER,
                            "seconds": {"type": "number"},
                            "picks": {"type": "array", "items": _ref("schemas", "PlanPick")},
                        }
                    ),
                },
            }
        ),
        "PlanError": _object(
            {
                "status": {"type": "integer"},
                "message": _TEXT,
                "max_k": {"type": "integer", "description": "the most pilots that meet the rules"},
                "max_separation_m": {
                    "type": ["number", "null"],
                    "description": "the largest separation at which k pilots fit",
                },
                "allow_adjacent": {
                    "type": "boolean",
                    "description": "k pilots fit if neighbours are allowed",
                },
            }
        )
        | {"required": ["status", "message"]},
        "WhatIfRequest": _object(
            {
                "points": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 50,
                    "items": _object(
                        {"lon": {"type": "number"}, "lat": {"type": "number"}, "category": {"enum": counted}}
                    ),
                }
            }
        ),
        "WhatIf": _object(
            {
                "minutes": {"type": "number"},
                "categories": {"type": "array", "items": _TEXT},
                "points": {"type": "array", "items": {"type": "object"}},
                "city": {"type": "object", "additionalProperties": _NUMBER},
                "wards": {"type": "array", "items": {"type": "object"}},
                "areas": {"type": "array", "items": {"type": "object"}},
            }
        ),
        "Sites": _object(
            {
                "category": _TEXT,
                "k": {"type": "integer"},
                "candidates": {"enum": list(planner_params.SITE_CANDIDATES)},
                "n_candidates": {"type": "integer"},
                "minutes": {"type": "number"},
                "status": _TEXT,
                "optimal": {"type": "boolean"},
                "residents_50plus": _NUMBER,
                "residents_without": _NUMBER,
                "areas_without": {"type": "integer"},
                "sites": {
                    "type": "array",
                    "items": _object(
                        {
                            "kind": {"enum": ["building", "area"]},
                            "ref": _TEXT,
                            "name": _TEXT,
                            "category": _TEXT_OR_NULL,
                            "lon": {"type": "number"},
                            "lat": {"type": "number"},
                            "ward_code": _TEXT_OR_NULL,
                            "ward_name": _TEXT_OR_NULL,
                            "areas": {"type": "array", "items": _TEXT},
                            "residents_50plus": _NUMBER,
                            "why": _TEXT,
                        }
                    ),
                },
            }
        ),
        "Gaps": _object(
            {
                "level": {"enum": list(params.LEVELS)},
                "parameters": _ref("schemas", "CoverageParameters"),
                "ranked": {"type": "integer", "minimum": 0, "description": "rows with a gap score"},
                "gaps": {
                    "type": "array",
                    "items": {
                        "anyOf": [
                            _ref("schemas", "AreaProperties"),
                            _object(
                                {
                                    **ward_properties,
                                    "walk_min_any": _NUMBER,
                                    "fca_per_1000": _NUMBER,
                                    **contributions,
                                }
                            ),
                        ]
                    },
                },
            }
        ),
    }


def _feature(geometry: str, properties: str, *, parameters: bool = False) -> dict[str, Any]:
    members: dict[str, Any] = {
        "type": {"const": "Feature"},
        "id": _TEXT,
        "geometry": _ref("schemas", geometry),
        "properties": _ref("schemas", properties),
    }
    if parameters:
        members["parameters"] = _ref("schemas", "CoverageParameters")
    return _object(members)


def _collection(feature: str, *, parameters: bool = False) -> dict[str, Any]:
    members: dict[str, Any] = {
        "type": {"const": "FeatureCollection"},
        "features": {"type": "array", "items": _ref("schemas", feature)},
    }
    if parameters:
        members["parameters"] = _ref("schemas", "CoverageParameters")
    return _object(members)


def _get(
    summary: str,
    description: str,
    schema: str,
    parameters: list[str],
    *,
    not_found: bool = False,
    bad_request: str | None = None,
) -> dict[str, Any]:
    responses = {
        "200": _json(_ref("schemas", schema), "OK"),
        "400": _ref("responses", "BadRequest")
        if bad_request is None
        else _json(
            _ref("schemas", bad_request),
            "A parameter is malformed or out of range, or no plan meets the rules.",
        ),
    }
    if not_found:
        responses["404"] = _ref("responses", "NotFound")
    return {
        "get": {
            "summary": summary,
            "description": description,
            "parameters": [_ref("parameters", p) for p in parameters],
            "responses": responses,
        }
    }


def _paths() -> dict[str, Any]:
    return {
        "/api/health": _get("Health", "The service is up; how many wards and assets it holds.", "Health", []),
        "/api/openapi.json": _get("This document", "The OpenAPI document of the API.", "OpenAPI", []),
        "/api/categories": _get(
            "Asset taxonomy",
            "Categories in taxonomy order with their subcategories; layer 'asset' is counted by "
            "coverage, 'context' (bus stops) is shown on maps only.",
            "Categories",
            [],
        ),
        "/api/search": _get(
            "Find a ward or a postcode",
            "Wards whose name contains q (names starting with it first, at most 10) or whose code it "
            "is; when q is a postcode, its point and the ward it lies in.",
            "Search",
            ["q"],
        ),
        "/api/wards": _get(
            "Wards with coverage (GeoJSON)",
            "Every ward, or those meeting bbox, with headline coverage figures; polygons simplified "
            "for display (10 m).",
            "Wards",
            ["bbox", *_COVERAGE],
        ),
        "/api/wards/{code}": _get(
            "One ward with coverage (GeoJSON Feature)",
            "As /api/wards, for one ward.",
            "Ward",
            ["ward_code", *_COVERAGE],
            not_found=True,
        ),
        "/api/areas": _get(
            "Small areas with coverage (GeoJSON)",
            "Small areas of one kind, optionally of one ward and/or meeting bbox, with their coverage "
            "and gap-score contributions; polygons simplified for display (10 m).",
            "Areas",
            ["ward", "bbox", *_COVERAGE],
            not_found=True,
        ),
        "/api/assets": _get(
            "Assets (GeoJSON points, paginated)",
            "Assets ordered by id, filtered by bbox, ward, category and status (all optional, "
            "combined with AND); page and per_page choose the page, next links to the following one.",
            "Assets",
            ["bbox", "category", "ward", "status", "page", "per_page"],
            not_found=True,
        ),
        "/api/assets/{asset_id}": _get(
            "One asset (GeoJSON Feature)", "One asset by id.", "Asset", ["asset_id"], not_found=True
        ),
        "/api/coverage/wards": _get(
            "Coverage per ward",
            "Every coverage column per ward (docs/coverage.md), without geometry; infinite and "
            "missing values are null.",
            "CoverageWards",
            _COVERAGE,
        ),
        "/api/coverage/areas": _get(
            "Coverage per small area",
            "Every coverage column per small area (docs/coverage.md), without geometry; infinite and "
            "missing values are null.",
            "CoverageAreas",
            _COVERAGE,
        ),
        "/api/gaps": _get(
            "Gap ranking",
            "Small areas or wards with a gap score, most under-served first (ties by code), with the "
            "reasons (why) and each factor's contribution.",
            "Gaps",
            ["level", "limit", *_COVERAGE],
        ),
        "/api/planner": _get(
            "Pilot plan",
            "The k pilots (small areas or wards) reaching the most need-weighted under-served residents "
            "aged 50+ under the separation rules, proven optimal by CBC, then the best alternatives "
            "(docs/planner.md). When no k pilots meet the rules, a 400 says how many do and at which "
            "separation k would.",
            "Plan",
            ["plan_level", "k", "separation_km", "no_adjacent", "programme"],
            bad_request="PlanError",
        ),
        "/api/sites": _get(
            "Best new sites for a kind of place",
            "The k candidate sites that bring the most residents aged 50+ newly within the walk of "
            "that kind of place (an exact maximal covering), each with the areas it reaches.",
            "Sites",
            ["site_category", "k", "candidates"],
        ),
        "/api/whatif": {
            "post": {
                "summary": "What if there were new places here",
                "description": "Coverage with 1 to 50 hypothetical places added: residents aged 50+ "
                "newly within the walk, for the city and the wards and small areas that change, and "
                "the change in gap scores.",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("schemas", "WhatIfRequest")}},
                },
                "responses": {
                    "200": _json(_ref("schemas", "WhatIf"), "OK"),
                    "400": _ref("responses", "BadRequest"),
                },
            }
        },
        "/api/submissions": {
            "post": {
                "summary": "Add a place from the capture page (connectors, officers, admins)",
                "description": "One place, sent once per client_id (a UUID v4): a repeat from the same "
                "account returns the same asset with repeat true. Nearby places that may be the same "
                "are offered with 409 unless confirm_new or same_as is given. Needs a logged-in "
                "session and the CSRF token in the X-CSRFToken header. See docs/capture.md.",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
                "responses": {
                    "200": _json({"type": "object"}, "A repeat, or a sighting of an existing place"),
                    "201": _json({"type": "object"}, "Created as reported"),
                    "400": _ref("responses", "BadRequest"),
                    "401": _json(_ref("schemas", "Error"), "Not logged in"),
                    "403": _json(_ref("schemas", "Error"), "Wrong role or outside the account's wards"),
                    "409": _json(
                        {"type": "object"}, "Nearby candidates, or the client_id used by another account"
                    ),
                },
            }
        },
    }


def _walk_schemas() -> dict[str, Any]:
    """Patch walks (docs/walks.md): a walk as the API returns it, and the streets-walked layer."""
    count = {"type": "integer", "minimum": 0}
    line = {
        "type": "object",
        "required": ["type", "coordinates"],
        "properties": {
            "type": {"const": "LineString"},
            "coordinates": {
                "type": "array",
                "minItems": 2,
                "items": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
            },
        },
    }
    street = _object(
        {
            "type": {"const": "Feature"},
            "geometry": line,
            "properties": _object(
                {
                    "month": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"},
                    "walks": {"type": "integer", "minimum": 1},
                }
            ),
        }
    )
    walk = _object(
        {
            "id": _TEXT,
            "username": _TEXT,
            "source": {"enum": ["gps", "gpx"]},
            "started_at": {"type": "string", "format": "date-time"},
            "stopped_at": _TIME,
            "created_at": _TIME,
            "points": count,
            "assets_added": count,
            "assets_seen": count,
        }
    )
    return {
        "WalkStreets": _object(
            {"type": {"const": "FeatureCollection"}, "features": {"type": "array", "items": street}}
        ),
        "Walk": walk,
        "WalkAnswer": _object({"walk": _ref("schemas", "Walk")}, closed=False),
    }


def _walk_paths() -> dict[str, Any]:
    """The walk endpoints: the capture page's writes (an account's own walks) and the public layer."""
    walk_id = {
        "name": "walk_id",
        "in": "path",
        "required": True,
        "description": "The walk's id: a UUID v4 made by the phone.",
        "schema": _TEXT,
        "example": "1b4e28ba-2fa1-4d2b-883f-0016d3cca427",
    }
    errors = {
        "400": _ref("responses", "BadRequest"),
        "401": _json(_ref("schemas", "Error"), "Not logged in"),
        "403": _json(_ref("schemas", "Error"), "Wrong role, or another account's walk"),
        "404": _json(_ref("schemas", "Error"), "No walk with that id"),
    }

    def write(summary: str, description: str, body: dict[str, Any], ok: dict[str, Any]) -> dict[str, Any]:
        return {
            "summary": summary,
            "description": description + " Needs a logged-in session (connector, officer or admin) "
            "and the CSRF token in the X-CSRFToken header. See docs/walks.md.",
            "parameters": [walk_id],
            "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
            "responses": ok | errors,
        }

    answer = _json(_ref("schemas", "WalkAnswer"), "The walk")
    time = {"type": "string", "format": "date-time"}
    point = _object({"lon": {"type": "number"}, "lat": {"type": "number"}, "t": time, "accuracy": _NUMBER})
    point["required"] = ["lon", "lat", "t"]
    return {
        "/api/walks/streets": _get(
            "Streets walked on patch walks (GeoJSON)",
            f"Each walk's route as LineStrings, cut where consecutive points are over "
            f"{walks.MAX_STEP_M:g} m or {walks.MAX_PAUSE_S / 60:g} minutes apart or a point is less "
            f"accurate than {walks.MAX_ACCURACY_M:g} m, simplified ({walks.SIMPLIFY_M:g} m), with the "
            "streets near each walk's start and end left out (WALK_PRIVATE_ENDS_M). Properties are "
            "only the month walked and how many walks that month had: no accounts, no times.",
            "WalkStreets",
            ["bbox"],
        ),
        "/api/walks/{walk_id}": {
            "put": write(
                "Start a patch walk",
                "201 for a new walk, 200 for a repeat by the same account (nothing changes), 409 "
                "when the id is another account's walk.",
                _object({"started_at": time}),
                {
                    "200": answer,
                    "201": answer,
                    "409": _json(_ref("schemas", "Error"), "Another account's walk id"),
                },
            )
        },
        "/api/walks/{walk_id}/points": {
            "post": write(
                "Add positions to a walk",
                f"At most {walks.MAX_POINTS_PER_CALL} points a call; a point whose time is already "
                "stored is ignored, so a retried batch never doubles one. A bad point is a 400 "
                "naming its index, and nothing is stored. A stopped walk still takes late points.",
                _object({"points": {"type": "array", "items": point, "maxItems": walks.MAX_POINTS_PER_CALL}}),
                {
                    "200": _json(
                        _object({"walk": _ref("schemas", "Walk"), "added": {"type": "integer"}}), "OK"
                    )
                },
            )
        },
        "/api/walks/{walk_id}/stop": {
            "post": write(
                "Stop a walk",
                "Idempotent: the first stop time is kept.",
                _object({"stopped_at": time}),
                {"200": answer},
            )
        },
    }


def _photo_schemas() -> dict[str, Any]:
    """Photos of assets (docs/photos.md): one photo as the API describes it."""
    size = {"type": "integer", "minimum": 1}
    photo = _object(
        {
            "id": _TEXT,
            "asset_id": _TEXT,
            "url": {"type": "string", "description": "Where the JPEG is served: /photos/<id>.jpg"},
            "width": size,
            "height": size,
            "bytes": size,
            "created_at": {"type": "string", "format": "date-time"},
        }
    )
    return {
        "Photo": photo,
        "Photos": _object({"photos": {"type": "array", "items": _ref("schemas", "Photo")}}),
        "PhotoAnswer": _object({"photo": _ref("schemas", "Photo"), "repeat": {"type": "boolean"}}),
    }


def _photo_paths() -> dict[str, Any]:
    """The photo endpoints: an asset's photos, and an upload from the capture page."""
    answer = _ref("schemas", "PhotoAnswer")
    error = _ref("schemas", "Error")
    upload = {
        "type": "object",
        "required": ["photo", "client_id"],
        "properties": {
            "photo": {"type": "string", "contentMediaType": "application/octet-stream"},
            "client_id": {"type": "string", "format": "uuid"},
        },
    }
    return {
        "/api/assets/{asset_id}/photos": {
            "get": {
                "summary": "An asset's photos",
                "description": "Oldest first. The public gets them only while the asset is shown on "
                "the public maps (not closed or merged; reported ones unless SHOW_UNVERIFIED is "
                "hidden), else an empty list; logged-in accounts always. See docs/photos.md.",
                "parameters": [_ref("parameters", "asset_id")],
                "responses": {
                    "200": _json(_ref("schemas", "Photos"), "OK"),
                    "400": _ref("responses", "BadRequest"),
                    "404": _ref("responses", "NotFound"),
                },
            },
            "post": {
                "summary": "Add a photo to an asset (connectors, officers, admins)",
                "description": "multipart/form-data with the file in photo and a client_id (a UUID v4 "
                "made by the phone). JPEG, PNG or WebP, decided by decoding it; at most MAX_PHOTO_BYTES "
                "(413 beyond) and MAX_PHOTO_PIXELS. Stored as an upright JPEG, at most 1600 px on its "
                "longest side, with no metadata (no EXIF, GPS, XMP, ICC profile or comments). A "
                "repeat of a client_id by the same account answers 200 with the same photo and "
                "repeat true. Needs a logged-in session allowed to edit in the asset's ward and the "
                "CSRF token in the X-CSRFToken header. See docs/photos.md.",
                "parameters": [_ref("parameters", "asset_id")],
                "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": upload}}},
                "responses": {
                    "200": _json(answer, "A repeat: the photo already stored under this client_id"),
                    "201": _json(answer, "Stored"),
                    "400": _json(
                        error,
                        "A bad client_id; no file; not a JPEG, PNG or WebP image; "
                        "truncated or damaged; too many pixels",
                    ),
                    "401": _json(error, "Not logged in"),
                    "403": _json(error, "Wrong role or outside the account's wards"),
                    "404": _ref("responses", "NotFound"),
                    "409": _json(error, "The client_id was used by another account or for another asset"),
                    "413": _json(error, "The file is larger than MAX_PHOTO_BYTES"),
                },
            },
        }
    }


def document() -> dict[str, Any]:
    """The OpenAPI document as a JSON-ready dict."""
    schemas = (
        _schemas()
        | _walk_schemas()
        | _photo_schemas()
        | {"OpenAPI": {"type": "object", "required": ["openapi", "paths"]}}
    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "assetmap API",
            "version": "1",
            "description": "Community assets mapped against need for people aged 50+. GeoJSON in "
            'WGS84 ([lon, lat]). Errors are JSON: {"status": <HTTP status>, "message": <text>}. '
            "A query parameter an endpoint does not take is a 400. See docs/api.md.",
        },
        "servers": [{"url": "/"}],
        "paths": _paths() | _walk_paths() | _photo_paths(),
        "components": {
            "parameters": _parameters(),
            "schemas": schemas,
            "responses": {
                "BadRequest": _json(
                    _ref("schemas", "Error"), "A parameter is malformed, out of range or unknown."
                ),
                "NotFound": _json(_ref("schemas", "Error"), "No ward or asset with that code or id."),
            },
        },
    }
