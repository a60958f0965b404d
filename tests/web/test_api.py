"""The JSON API on the web zoo: golden values, filters, pagination and every bad-input path.

The zoo (``tests/conftest.py``): wards W1 'West' (-1.14..-1.13) and W2 'East <script>...' (-1.13..
-1.12) between latitudes 52.62 and 52.63; areas A1 in W1 and A2 in W2, each with 400 residents
aged 50+ and the same need measures; a verified bench and a verified café in W1, about 65 m from
A1's point and 645 m and more from A2's.

Hand-checked at the default 10-minute walk (461.5 m straight line): A1 reaches both assets, A2
none. Each asset's catchment holds only A1's 400 people, so A1's 2SFCA access is 2 / 400 = 5 per
1,000 and A2's is 0. Equal need measures rank equal, so both need indexes are 0.5; A1 has the
shorter walk and the better access, so its distance and catchment deficits are 0 and A2's are 1.
Gap scores: A1 0.5 × 0.5 = 0.25; A2 0.25 + 0.25 + 0.25 = 0.75. Need contributions are
0.5 × weight × 0.5: IDAOPI 0.0875, loneliness 0.0625, IMD 0.0625, aged 75+ 0.0375. A2's walk
is 645.5 m × 1.3 / 60 = 13.99 minutes, in reach at 15 minutes.
"""

from __future__ import annotations

import json
import math

import pytest
from flask import request
from shapely.geometry import box

from assetmap.models import Asset, Status, Ward
from assetmap.storage import AssetQuery, open_store
from assetmap.web import api, get_store, params
from assetmap.web.cache import encode_json

EAST = "East <script>alert(1)</script>"
NEED_PARTS = {"c_idaopi": 0.0875, "c_loneliness": 0.0625, "c_imd": 0.0625, "c_age75_share": 0.0375}
PUBLIC_ASSET_FIELDS = {
    "id",
    "category",
    "subcategory",
    "name",
    "description",
    "address",
    "postcode",
    "opening_times",
    "step_free",
    "seating",
    "toilets",
    "hearing_loop",
    "free_to_use",
    "languages",
    "contact",
    "source_dataset",
    "source_id",
    "licence",
    "status",
    "last_verified_at",
    "created_at",
    "updated_at",
    "version",
    "ward_code",
}


def get_ok(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


def by_code(features):
    return {f["id"]: f for f in features}


def ring(feature):
    """The outer ring of a (Multi)Polygon feature as a set of corners."""
    coords = feature["geometry"]["coordinates"]
    outer = coords[0][0] if feature["geometry"]["type"] == "MultiPolygon" else coords[0]
    return {tuple(xy) for xy in outer}


# -- wards ------------------------------------------------------------------------------------
def test_wards_are_geojson_with_headline_coverage(client):
    body = get_ok(client, "/api/wards")
    assert body["type"] == "FeatureCollection"
    wards = by_code(body["features"])
    assert set(wards) == {"W1", "W2"}
    west, east = wards["W1"]["properties"], wards["W2"]["properties"]
    assert west == {
        "code": "W1",
        "name": "West",
        "residents_50plus": 400.0,
        "n_assets": 2,
        "assets_per_1000_50plus": 5.0,
        "share_50plus_within_any": 1.0,
        "need_index": 0.5,
        "gap_score": pytest.approx(0.25),
        "gap_rank": 2,
        "why": "older people's income deprivation (IDAOPI) (0.09), modelled loneliness (0.06), "
        "overall deprivation (IMD) (0.06)",
    }
    assert (east["n_assets"], east["share_50plus_within_any"], east["gap_rank"]) == (0, 0.0, 1)
    assert east["gap_score"] == pytest.approx(0.75)
    assert east["why"].startswith("walk to the nearest asset (0.25), few assets for the number")
    assert body["parameters"]["minutes"] == 10.0 and body["parameters"]["kind"] == "lsoa11"


def test_ward_polygons_keep_their_corners_in_lon_lat_order(client):
    wards = by_code(get_ok(client, "/api/wards")["features"])
    # Squares have nothing to simplify; the round trip through British National Grid is exact to 6 dp.
    assert ring(wards["W1"]) == {(-1.14, 52.62), (-1.13, 52.62), (-1.13, 52.63), (-1.14, 52.63)}
    assert ring(wards["W2"]) == {(-1.13, 52.62), (-1.12, 52.62), (-1.12, 52.63), (-1.13, 52.63)}


def test_script_in_a_ward_name_comes_back_verbatim_as_json(client):
    response = client.get("/api/wards")
    assert response.mimetype == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    names = {f["properties"]["name"] for f in response.get_json()["features"]}
    assert EAST in names  # JSON is data: escaping is the renderer's job


def test_wards_filtered_by_bbox(client):
    east_only = get_ok(client, "/api/wards?bbox=-1.125,52.621,-1.121,52.629")
    assert [f["id"] for f in east_only["features"]] == ["W2"]
    nowhere = get_ok(client, "/api/wards?bbox=0,0,1,1")
    assert nowhere["features"] == []


def test_one_ward(client):
    body = get_ok(client, "/api/wards/W2")
    assert body["type"] == "Feature" and body["id"] == "W2"
    assert body["properties"]["name"] == EAST
    assert body["properties"]["gap_rank"] == 1
    assert body["parameters"]["need_weights"] == {
        "idaopi": 0.35,
        "loneliness": 0.25,
        "imd": 0.25,
        "age75_share": 0.15,
    }


def test_unknown_ward_is_404(client):
    response = client.get("/api/wards/W9")
    assert response.status_code == 404
    assert response.get_json() == {"status": 404, "message": "no ward with code 'W9'"}


def test_wards_at_a_longer_walk(client):
    east = by_code(get_ok(client, "/api/wards?minutes=15")["features"])["W2"]["properties"]
    assert east["share_50plus_within_any"] == 1.0  # the café is a 14-minute walk from A2


# -- small areas ----------------------------------------------------------------------------
def test_areas_are_geojson_with_coverage_and_contributions(client):
    body = get_ok(client, "/api/areas")
    areas = by_code(body["features"])
    assert set(areas) == {"A1", "A2"}
    a1, a2 = areas["A1"]["properties"], areas["A2"]["properties"]
    assert a1["ward_code"] == "W1" and a1["n_within_any"] == 2 and a1["fca_per_1000"] == pytest.approx(5.0)
    assert a1["walk_min_any"] == pytest.approx(1.41, abs=0.01)
    assert a2["n_within_any"] == 0 and a2["fca_per_1000"] == 0.0
    assert a2["walk_min_any"] == pytest.approx(13.99, abs=0.01)
    for props, distance, gap in ((a1, 0.0, 0.25), (a2, 0.25, 0.75)):
        assert props["need_index"] == 0.5 and props["residents_50plus"] == 400.0
        assert props["gap_score"] == pytest.approx(gap)
        assert props["c_distance"] == props["c_catchment"] == pytest.approx(distance)
        assert {k: props[k] for k in NEED_PARTS} == pytest.approx(NEED_PARTS)
        contributions = sum(v for k, v in props.items() if k.startswith("c_"))
        assert contributions == pytest.approx(props["gap_score"])
    assert (a1["gap_rank"], a2["gap_rank"]) == (2, 1)
    assert ring(areas["A2"]) == {(-1.13, 52.62), (-1.12, 52.62), (-1.12, 52.63), (-1.13, 52.63)}


def test_areas_filtered_by_ward_and_bbox(client):
    assert [f["id"] for f in get_ok(client, "/api/areas?ward=W2")["features"]] == ["A2"]
    assert [f["id"] for f in get_ok(client, "/api/areas?bbox=-1.139,52.621,-1.135,52.629")["features"]] == [
        "A1"
    ]
    assert get_ok(client, "/api/areas?ward=W2&bbox=-1.139,52.621,-1.135,52.629")["features"] == []


def test_areas_of_another_kind(client):
    body = get_ok(client, "/api/areas?kind=oa11")  # the zoo has no Output Areas
    assert body["features"] == [] and body["parameters"]["kind"] == "oa11"


def test_areas_of_an_unknown_ward_are_404(client):
    response = client.get("/api/areas?ward=W9")
    assert response.status_code == 404
    assert response.get_json() == {"status": 404, "message": "no ward with code 'W9'"}


# -- assets ---------------------------------------------------------------------------------
def test_assets_are_geojson_points_with_public_fields(client):
    body = get_ok(client, "/api/assets")
    assert (body["type"], body["page"], body["per_page"], body["total"], body["next"]) == (
        "FeatureCollection",
        1,
        1000,
        2,
        None,
    )
    points = {f["properties"]["name"]: f for f in body["features"]}
    assert set(points) == {"Bench", "Café"}
    bench = points["Bench"]
    assert bench["geometry"] == {"type": "Point", "coordinates": [-1.1355, 52.6255]}
    assert bench["id"] == bench["properties"]["id"]
    assert set(bench["properties"]) == PUBLIC_ASSET_FIELDS  # never who created or verified it
    props = bench["properties"]
    assert (props["category"], props["subcategory"], props["status"]) == ("bench", "bench", "verified")
    assert (props["ward_code"], props["source_dataset"], props["version"]) == ("W1", "zoo", 1)
    assert props["last_verified_at"] is not None and props["step_free"] is None


def test_assets_paginate(client):
    first = get_ok(client, "/api/assets?per_page=1&category=bench,cafe")
    assert (first["page"], first["per_page"], first["total"], len(first["features"])) == (1, 1, 2, 1)
    assert first["next"].startswith("http://localhost/api/assets?")
    assert (
        "per_page=1" in first["next"]
        and "page=2" in first["next"]
        and "category=bench%2Ccafe" in first["next"]
    )
    second = get_ok(client, first["next"].removeprefix("http://localhost"))
    assert (second["page"], second["total"], second["next"]) == (2, 2, None)
    assert {f["id"] for f in first["features"] + second["features"]} == {
        f["id"] for f in get_ok(client, "/api/assets")["features"]
    }
    beyond = get_ok(client, "/api/assets?per_page=1&page=3")
    assert (beyond["features"], beyond["total"], beyond["next"]) == ([], 2, None)
    far = get_ok(client, f"/api/assets?page={10**30}")  # never becomes an offset the database refuses
    assert far["features"] == [] and far["total"] == 2


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("bbox=-1.136,52.625,-1.135,52.626", {"Bench"}),
        ("bbox=-1.12,52.62,-1.11,52.63", set()),
        ("category=cafe", {"Café"}),
        ("category=cafe,bench", {"Bench", "Café"}),
        ("category=cafe&category=bench", {"Bench", "Café"}),
        ("category=library", set()),
        ("ward=W1", {"Bench", "Café"}),
        ("ward=W2", set()),
        ("status=verified,stale", {"Bench", "Café"}),
        ("status=reported", set()),
        ("ward=W1&category=bench&status=verified&bbox=-1.14,52.62,-1.13,52.63", {"Bench"}),
        ("category=", {"Bench", "Café"}),  # empty means not given
    ],
)
def test_asset_filters(client, query, names):
    body = get_ok(client, f"/api/assets?{query}")
    assert {f["properties"]["name"] for f in body["features"]} == names
    assert body["total"] == len(names)


def test_asset_filters_follow_changes(app, client):
    with app.app_context():
        store = get_store()
        cafe = next(a for a in store.assets() if a.category == "cafe")
        store.set_status(cafe.id, Status.CLOSED, expected_version=cafe.version, actor="test")
    assert {f["properties"]["name"] for f in get_ok(client, "/api/assets?status=closed")["features"]} == {
        "Café"
    }


@pytest.fixture
def varied(app):
    """The zoo plus 24 assets in both wards with every kind of field value, some verified."""
    fields = [
        {},
        {"step_free": True, "seating": False, "languages": ["en", "pa", "gu"]},
        {"description": '<script>alert(1)</script> & "quotes"', "address": "1 High St\nLeicester"},
        {"opening_times": "Mo-Fr 09:00-17:00", "postcode": "LE1 1AA", "contact": "0116 000 0000"},
        {"subcategory": "cafe", "free_to_use": None, "hearing_loop": True, "toilets": False},
        {"licence": "OGL-UK-3.0", "name": "Ünïcödé 👋 café"},
    ]
    assets = [
        Asset(
            **{
                "category": "cafe" if i % 3 else "library",
                "name": f"Place {i:02d}",
                "lon": -1.1395 + i * 0.0007,
                "lat": 52.6205 + (i % 7) * 0.0013,
                "source_dataset": "varied",
                "source_id": str(i),
            }
            | fields[i % len(fields)]
        )
        for i in range(24)
    ]
    with app.app_context():
        store = get_store()
        store.import_assets(assets, actor="test")
        for asset in store.assets(AssetQuery(categories=["library"])):
            store.set_status(asset.id, Status.VERIFIED, expected_version=asset.version, actor="test")
    return app


def old_body(app, url):
    """The body of ``url`` as the endpoint built it before the feature cache, from ``Asset`` objects."""
    with app.test_request_context(url):
        query, page = params.asset_query(request.args)
        store = get_store()
        total = store.count_assets(query)
        found = [a.to_dict() for a in store.assets(query)] if page.offset < total else []
        more = page.offset + len(found) < total
        return encode_json(
            {
                "type": "FeatureCollection",
                "features": [api._asset_feature(a) for a in found],
                "page": page.number,
                "per_page": page.size,
                "total": total,
                "next": api._page_link(page.number + 1) if more else None,
            }
        )


ASSET_URLS = [
    "/api/assets?per_page=5&page=2",  # the first features: all built
    "/api/assets",  # some cached, the rest built
    "/api/assets?per_page=1000",  # another URL, every feature cached
    "/api/assets?per_page=7&page=4",
    "/api/assets?per_page=7&page=5",  # past the end
    "/api/assets?ward=W1",
    "/api/assets?ward=W2&category=cafe,library",
    "/api/assets?bbox=-1.135,52.62,-1.125,52.63&status=verified",
    "/api/assets?bbox=-1.2,52.5,-1.0,52.7&per_page=3&page=2",
    "/api/assets?bbox=-1.0,52.0,-0.9,53.0",
]


def test_asset_pages_are_byte_for_byte_the_features_built_one_by_one(varied):
    client = varied.test_client()
    for url in ASSET_URLS:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.data == old_body(varied, url), url
    assert len(get_ok(client, "/api/assets")["features"]) == 26


def test_a_page_beyond_64_bits_is_the_same_json(varied):
    url = f"/api/assets?page={10**30}"
    assert get_ok(varied.test_client(), url) == json.loads(old_body(varied, url))


def test_cached_features_are_not_read_again(varied, monkeypatch):
    client = varied.test_client()
    get_ok(client, "/api/assets")
    with varied.app_context():
        store = get_store()
    reads = []
    monkeypatch.setattr(store, "asset_records_by_id", lambda ids: reads.append(ids) or [])
    body = get_ok(client, "/api/assets?ward=W1&per_page=10")  # a new URL, every feature cached
    assert (len(body["features"]), reads) == (10, [])


def test_an_edit_reaches_the_cached_features(app, client):
    get_ok(client, "/api/assets")  # caches both features
    with app.app_context():
        store = get_store()
        cafe = next(a for a in store.assets() if a.category == "cafe")
        store.update_asset(cafe.id, {"name": "Café Nouveau"}, expected_version=cafe.version, actor="t")
    for url in ("/api/assets?category=cafe", "/api/assets"):  # a new URL, and the cached response
        [feature] = [f for f in get_ok(client, url)["features"] if f["id"] == cafe.id]
        assert (feature["properties"]["name"], feature["properties"]["version"]) == ("Café Nouveau", 2)


def test_a_write_by_another_process_reaches_the_cached_features(app, client):
    get_ok(client, "/api/assets")
    other = open_store(app.config["DATABASE_URL"])
    try:
        cafe = next(a for a in other.assets() if a.category == "cafe")
        other.set_status(cafe.id, Status.CLOSED, expected_version=cafe.version, actor="t")
    finally:
        other.close()
    [feature] = get_ok(client, "/api/assets?category=cafe")["features"]
    assert feature["properties"]["status"] == "closed"


def test_new_ward_boundaries_reach_the_cached_features(app, client):
    # Redrawing wards moves assets to another ward without a new asset version.
    assert {f["properties"]["ward_code"] for f in get_ok(client, "/api/assets")["features"]} == {"W1"}
    with app.app_context():
        store = get_store()
        west, east = store.ward("W1"), store.ward("W2")
        store.upsert_wards(
            [
                Ward("W1", west.name, box(-1.14, 52.62, -1.136, 52.63)),
                Ward("W2", east.name, box(-1.136, 52.62, -1.12, 52.63)),
            ]
        )
    features = get_ok(client, "/api/assets?per_page=10")["features"]
    assert {f["properties"]["ward_code"] for f in features} == {"W2"}


def test_one_asset(client):
    some = get_ok(client, "/api/assets?category=cafe")["features"][0]
    body = get_ok(client, f"/api/assets/{some['id']}")
    assert body == some


def test_unknown_asset_is_404(client):
    response = client.get("/api/assets/nope")
    assert response.status_code == 404
    assert response.get_json() == {"status": 404, "message": "no asset with id 'nope'"}


# -- taxonomy, coverage tables and the gap ranking -------------------------------------------
def test_categories(client):
    categories = get_ok(client, "/api/categories")["categories"]
    assert [c["id"] for c in categories][:3] == ["bench", "community_centre", "cafe"]
    bus = next(c for c in categories if c["id"] == "bus_stop")
    assert bus == {
        "id": "bus_stop",
        "label": "Bus stop",
        "layer": "context",
        "subcategories": [
            {"id": "bus_stop", "label": "Bus stop"},
            {"id": "bus_station", "label": "Bus station bay"},
        ],
    }


def test_coverage_tables_have_every_column_and_no_infinity(client):
    wards = {r["code"]: r for r in get_ok(client, "/api/coverage/wards")["wards"]}
    assert wards["W2"]["name"] == EAST and wards["W1"]["n_assets_bench"] == 1
    areas = {r["code"]: r for r in get_ok(client, "/api/coverage/areas")["areas"]}
    a2 = areas["A2"]
    assert a2["dist_m_library"] is None and a2["walk_min_library"] is None  # no library at all: inf
    assert a2["dist_m_bench"] == pytest.approx(713, abs=1)
    assert a2["dist_m_cafe"] == pytest.approx(645.5, abs=1) and a2["n_within_cafe"] == 0
    assert "geometry" not in a2 and a2["point_source"] == "population_weighted"
    assert all(v is None or not isinstance(v, float) or math.isfinite(v) for v in a2.values())


def test_coverage_recomputed_for_minutes_and_category(client):
    areas = {r["code"]: r for r in get_ok(client, "/api/coverage/areas?minutes=15")["areas"]}
    assert areas["A2"]["n_within_any"] == 1  # the café, 14 minutes away
    body = get_ok(client, "/api/coverage/wards?category=bench")
    assert body["parameters"]["categories"] == ["bench"]
    west = {r["code"]: r for r in body["wards"]}["W1"]
    assert west["n_assets"] == 1 and "n_assets_cafe" not in west
    # The default result is unchanged by the requests above.
    assert {r["code"]: r for r in get_ok(client, "/api/coverage/wards")["wards"]}["W1"]["n_assets"] == 2


def test_gaps_rank_the_most_under_served_first(client):
    body = get_ok(client, "/api/gaps")
    assert (body["level"], body["ranked"]) == ("area", 2)
    assert [(g["code"], g["gap_rank"]) for g in body["gaps"]] == [("A2", 1), ("A1", 2)]
    top = body["gaps"][0]
    assert top["gap_score"] == pytest.approx(0.75) and top["c_distance"] == pytest.approx(0.25)
    assert top["why"] == (
        "walk to the nearest asset (0.25), few assets for the number of over-50s nearby (2SFCA) (0.25), "
        "older people's income deprivation (IDAOPI) (0.09)"
    )
    wards = get_ok(client, "/api/gaps?level=ward&limit=1")
    assert [(g["code"], g["name"]) for g in wards["gaps"]] == [("W2", EAST)]
    assert wards["ranked"] == 2


def test_gaps_with_other_weights(client):
    # Need only: both areas have the same need, so they tie for first place, in code order.
    body = get_ok(client, "/api/gaps?gap_weights=need:1")
    assert [(g["code"], g["gap_rank"], g["gap_score"]) for g in body["gaps"]] == [
        ("A1", 1, 0.5),
        ("A2", 1, 0.5),
    ]
    assert body["parameters"]["gap_weights"] == {"need": 1.0}
    # IDAOPI only: the contributions are IDAOPI and the access deficits.
    top = get_ok(client, "/api/gaps?need_weights=idaopi:1&limit=1")["gaps"][0]
    assert top["c_idaopi"] == pytest.approx(0.25) and top["c_imd"] == 0.0


def test_gaps_follow_a_new_asset(app, client):
    assert get_ok(client, "/api/gaps?limit=1")["gaps"][0]["code"] == "A2"
    with app.app_context():
        get_store().add_asset(
            Asset("library", "Library", -1.125, 52.6251, status=Status.VERIFIED), actor="test"
        )
    gaps = get_ok(client, "/api/gaps")["gaps"]
    assert {g["code"]: g["n_within_any"] for g in gaps} == {"A1": 2, "A2": 1}


def test_health(client):
    assert get_ok(client, "/api/health") == {"status": "ok", "wards": 2, "assets": 2}


# -- bad input ------------------------------------------------------------------------------
BBOX = "bbox must be four numbers: min_lon,min_lat,max_lon,max_lat"
COUNTED = "bench, community_centre, cafe, faith, library, park, social_club, care, health, other"
STATUSES = "reported, verified, stale, closed, merged"
NEED_EXAMPLE = "idaopi:0.4,loneliness:0.3,imd:0.2,age75_share:0.1"
NEED_SHAPE = f"need_weights must be factor:weight pairs separated by commas, e.g. {NEED_EXAMPLE}"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/api/assets?bbox=-1.2,52.6,-1.1", f"{BBOX}; got 3 values"),
        ("/api/assets?bbox=-1.2,52.6,-1.1,52.7,1", f"{BBOX}; got 5 values"),
        ("/api/assets?bbox=west,south,east,north", f"{BBOX}; got 'west,south,east,north'"),
        ("/api/assets?bbox=-1.2,nan,-1.1,52.7", f"{BBOX}, all finite; got '-1.2,nan,-1.1,52.7'"),
        ("/api/assets?bbox=-1.2,52.6,inf,52.7", f"{BBOX}, all finite; got '-1.2,52.6,inf,52.7'"),
        (
            "/api/wards?bbox=-1.1,52.6,-1.2,52.7",
            "bbox: min_lon must be less than max_lon and min_lat less than max_lat",
        ),
        (
            "/api/areas?bbox=-1.2,52.7,-1.1,52.7",
            "bbox: min_lon must be less than max_lon and min_lat less than max_lat",
        ),
        (
            "/api/assets?bbox=-200,52.6,-1.1,52.7",
            "bbox: longitudes must lie in -180..180 and latitudes in -90..90",
        ),
        (
            "/api/assets?bbox=52.6,-1.2,52.7,91",
            "bbox: longitudes must lie in -180..180 and latitudes in -90..90",
        ),
        ("/api/assets?bbox=1,2,3,4&bbox=1,2,3,4", "bbox may be given once, not 2 times"),
        (
            "/api/assets?category=cafe,pub",
            "category 'pub' is unknown; expected one of bench, community_centre, cafe, faith, library, "
            "park, social_club, care, health, other, bus_stop",
        ),
        ("/api/coverage/wards?category=pub", f"category 'pub' is unknown; expected one of {COUNTED}"),
        (
            "/api/gaps?category=bus_stop",
            f"category 'bus_stop' is a context layer, not counted by coverage; expected one of {COUNTED}",
        ),
        ("/api/assets?status=open", f"status 'open' is unknown; expected one of {STATUSES}"),
        ("/api/assets?status=verified,VERIFIED", f"status 'VERIFIED' is unknown; expected one of {STATUSES}"),
        ("/api/assets?page=0", "page must be a whole number of 1 or more; got '0'"),
        ("/api/assets?page=x", "page must be a whole number of 1 or more; got 'x'"),
        ("/api/assets?page=-1", "page must be a whole number of 1 or more; got '-1'"),
        ("/api/assets?page=1.5", "page must be a whole number of 1 or more; got '1.5'"),
        ("/api/assets?per_page=99999", "per_page must be a whole number from 1 to 5000; got '99999'"),
        ("/api/assets?per_page=0", "per_page must be a whole number from 1 to 5000; got '0'"),
        ("/api/coverage/areas?minutes=0", "minutes must be a number more than 0 and at most 60; got '0'"),
        ("/api/coverage/areas?minutes=61", "minutes must be a number more than 0 and at most 60; got '61'"),
        ("/api/wards?minutes=ten", "minutes must be a number more than 0 and at most 60; got 'ten'"),
        ("/api/gaps?minutes=nan", "minutes must be a number more than 0 and at most 60; got 'nan'"),
        ("/api/gaps?minutes=-5", "minutes must be a number more than 0 and at most 60; got '-5'"),
        (
            "/api/gaps?need_weights=idaopi",
            f"{NEED_SHAPE}; got 'idaopi'",
        ),
        (
            "/api/gaps?need_weights=idaopi:0.4,loneliness:lots",
            f"{NEED_SHAPE}; got 'loneliness:lots'",
        ),
        (
            "/api/gaps?need_weights=idaopi:nan",
            f"{NEED_SHAPE}; got 'idaopi:nan'",
        ),
        ("/api/gaps?need_weights=idaopi:1,idaopi:2", "need_weights: 'idaopi' is given twice"),
        (
            "/api/gaps?need_weights=idaopi:0.4,crime:0.6",
            "need_weights: unknown factor 'crime'; expected idaopi, loneliness, imd, age75_share",
        ),
        ("/api/gaps?need_weights=idaopi:-1", "need_weights: weights must be non-negative numbers"),
        ("/api/gaps?need_weights=idaopi:0,imd:0", "need_weights: at least one weight must be positive"),
        (
            "/api/coverage/wards?gap_weights=need:1,walk:1",
            "gap_weights: unknown factor 'walk'; expected need, distance, catchment",
        ),
        ("/api/gaps?level=city", "level must be one of area, ward; got 'city'"),
        ("/api/gaps?limit=0", "limit must be a whole number from 1 to 1000; got '0'"),
        ("/api/gaps?limit=1001", "limit must be a whole number from 1 to 1000; got '1001'"),
        ("/api/areas?kind=msoa", "kind must be one of lsoa11, oa11; got 'msoa'"),
        (
            "/api/assets?categroy=cafe",
            "unknown parameter 'categroy'; expected bbox, category, ward, status, page, per_page",
        ),
        ("/api/categories?x=1", "unknown parameter 'x'; this endpoint takes no parameters"),
        ("/api/assets/nope?page=2", "unknown parameter 'page'; this endpoint takes no parameters"),
    ],
)
def test_bad_input_is_a_400_naming_the_parameter(client, url, message):
    response = client.get(url)
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    assert response.get_json() == {"status": 400, "message": message}


def test_long_bad_values_are_cut_short_in_the_message(client):
    message = client.get("/api/assets?page=" + "9" * 5000 + "x").get_json()["message"]
    assert message == "page must be a whole number of 1 or more; got '" + "9" * 40 + "...'"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/api/wards/W9", "no ward with code 'W9'"),
        ("/api/areas?ward=W9", "no ward with code 'W9'"),
        ("/api/assets?ward=W9", "no ward with code 'W9'"),
        ("/api/assets/0123", "no asset with id '0123'"),
    ],
)
def test_unknown_ward_or_asset_is_a_404(client, url, message):
    response = client.get(url)
    assert response.status_code == 404
    assert response.get_json() == {"status": 404, "message": message}


def test_a_bad_parameter_wins_over_an_unknown_ward(client):
    response = client.get("/api/wards/W9?minutes=0")
    assert response.status_code == 400
    assert response.get_json()["message"].startswith("minutes must be")
