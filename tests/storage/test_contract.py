"""The storage contract, run unchanged against every backend through the ``store`` fixture."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC

import pytest
from shapely.geometry import Point, Polygon, box

from assetmap.errors import Conflict, InvalidInput, NotFound
from assetmap.models import Status, Ward
from assetmap.storage import AssetIds, AssetQuery, UpsertCounts, sql
from tests.storage import zoo


def names(assets):
    return sorted(a.name for a in assets)


# -- wards -----------------------------------------------------------------------------------------
def test_upsert_wards_counts_added_updated_unchanged(store):
    assert store.upsert_wards(zoo.WARDS) == UpsertCounts(added=3)
    renamed = Ward(zoo.ABBEY.code, "Abbey Park", zoo.ABBEY.geometry)
    assert store.upsert_wards([renamed, zoo.BELGRAVE]) == UpsertCounts(updated=1, unchanged=1)
    assert store.ward(zoo.ABBEY.code).name == "Abbey Park"


def test_wards_come_back_ordered_by_name_with_their_geometry(store):
    store.upsert_wards(zoo.WARDS)
    found = store.wards()
    assert [w.name for w in found] == ["Abbey", "Belgrave", "Castle"]
    assert found[2].geometry.equals(zoo.CASTLE.geometry)
    assert found[2].geometry.geom_type == "MultiPolygon"


def test_wards_bbox_is_exact_not_just_the_index(store):
    store.upsert_wards(zoo.WARDS)
    lon, lat = zoo.OUTSIDE_TRIANGLE  # inside Castle's bounding box, outside the triangle
    assert store.wards(bbox=(lon - 0.001, lat - 0.001, lon + 0.001, lat + 0.001)) == []
    assert [w.code for w in store.wards(bbox=(-1.125, 52.621, -1.119, 52.622))] == ["E05002", "E05003"]


def test_empty_store_has_no_wards_and_unknown_ward_is_not_found(store):
    assert store.wards() == []
    with pytest.raises(NotFound) as err:
        store.ward("E05999")
    assert err.value.status == 404
    assert err.value.message == "no ward with code 'E05999'"


@pytest.mark.parametrize(
    ("geometry", "message"),
    [
        (Point(-1.13, 52.62), "ward E05009: expected a polygon or multipolygon, got Point"),
        (box(52.62, -1.14, 52.63, -1.13), "ward E05009: latitude and longitude look swapped"),
        (box(450000, 300000, 451000, 301000), "ward E05009: point (450000, 300000) is outside the UK"),
        (
            Polygon([(-1.14, 52.62), (-1.13, 52.63), (-1.13, 52.62), (-1.14, 52.63)]),
            "ward E05009: invalid polygon (Self-intersection",
        ),
    ],
    ids=["point", "swapped", "projected", "bow-tie"],
)
def test_bad_ward_geometry_is_refused_and_nothing_is_written(store, geometry, message):
    with pytest.raises(InvalidInput) as err:
        store.upsert_wards([zoo.ABBEY, Ward("E05009", "Bad", geometry)])
    assert err.value.status == 400
    assert err.value.message.startswith(message)
    assert store.wards() == []


def test_duplicate_ward_codes_in_one_call_are_refused(store):
    with pytest.raises(InvalidInput, match="code 'E05001' appears more than once"):
        store.upsert_wards([zoo.ABBEY, zoo.ABBEY])
    assert store.wards() == []


# -- small areas -----------------------------------------------------------------------------------
def test_areas_upsert_and_filter_by_kind_ward_and_bbox(store):
    areas = [zoo.area("E01002", zoo.BELGRAVE), zoo.area("E01001", zoo.ABBEY, pw_point=Point(-1.137, 52.622))]
    oa = zoo.area("E00001", zoo.ABBEY, kind="oa11")
    assert store.upsert_areas([*areas, oa]) == UpsertCounts(added=3)
    assert store.upsert_areas(areas) == UpsertCounts(unchanged=2)
    assert [a.code for a in store.areas()] == ["E01001", "E01002"]
    assert [a.code for a in store.areas(kind="oa11")] == ["E00001"]
    assert [a.code for a in store.areas(ward=zoo.BELGRAVE.code)] == ["E01002"]
    assert [a.code for a in store.areas(bbox=(-1.126, 52.60, -1.10, 52.70))] == ["E01002"]
    first = store.areas()[0]
    assert first.pw_point.equals(Point(-1.137, 52.622))
    assert first.name == "Area E01001"
    assert first.residents_total is None


def test_update_area_fields_sets_values_and_counts_changes(store):
    store.upsert_areas([zoo.area("E01001", zoo.ABBEY), zoo.area("E01002", zoo.BELGRAVE)])
    values = {
        "E01001": {"imd_score": 31.5, "imd_decile": 2, "pw_point": Point(-1.136, 52.621)},
        "E01002": {"loneliness": 21.0},
    }
    assert store.update_area_fields(values) == UpsertCounts(updated=2)
    assert store.update_area_fields({"E01001": {"imd_score": 31.5}}) == UpsertCounts(unchanged=1)
    first, second = store.areas()
    assert (first.imd_score, first.imd_decile, first.loneliness) == (31.5, 2, None)
    assert first.pw_point.equals(Point(-1.136, 52.621))
    assert second.loneliness == 21.0


def test_update_area_fields_unknown_code_writes_nothing(store):
    store.upsert_areas([zoo.area("E01001", zoo.ABBEY)])
    with pytest.raises(NotFound) as err:
        store.update_area_fields({"E01001": {"imd_score": 1.0}, "E01999": {"imd_score": 2.0}})
    assert err.value.status == 404
    assert err.value.message == "no small area with code 'E01999'"
    assert store.areas()[0].imd_score is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"geometry": box(0, 0, 1, 1)}, "cannot set geometry on small area E01001"),
        ({"imd_score": "high"}, "small area E01001, imd_score: expected a number, got 'high'"),
        ({"imd_decile": 2.5}, "small area E01001, imd_decile: expected a whole number, got 2.5"),
        (
            {"pw_point": Point(52.62, -1.13)},
            "small area E01001, pw_point: latitude and longitude look swapped",
        ),
    ],
    ids=["geometry", "text-for-number", "fraction", "swapped-point"],
)
def test_update_area_fields_refuses_bad_fields(store, fields, message):
    store.upsert_areas([zoo.area("E01001", zoo.ABBEY)])
    with pytest.raises(InvalidInput) as err:
        store.update_area_fields({"E01001": fields})
    assert err.value.status == 400
    assert err.value.message.startswith(message)


# -- assets: creating and reading ------------------------------------------------------------------
def test_add_asset_fills_in_id_ward_timestamps_and_version(store):
    store.upsert_wards(zoo.WARDS)
    created = store.add_asset(zoo.asset(name="  Pop-in  ", subcategory="pop_in_cafe"), actor="ann")
    assert len(created.id) == 32
    assert (created.name, created.ward_code, created.version, created.created_by) == (
        "Pop-in",
        "E05001",
        1,
        "ann",
    )
    assert created.created_at.tzinfo is UTC and created.updated_at == created.created_at
    assert store.get_asset(created.id) == created


@pytest.mark.parametrize(
    ("where", "ward"),
    [
        (zoo.IN_ABBEY, "E05001"),
        (zoo.IN_BELGRAVE, "E05002"),
        (zoo.ON_SHARED_EDGE, "E05001"),
        (zoo.IN_TRIANGLE, "E05003"),
        (zoo.OUTSIDE_TRIANGLE, None),
        (zoo.OUTSIDE_ALL, None),
    ],
    ids=["abbey", "belgrave", "shared-edge", "triangle", "triangle-bbox-only", "outside"],
)
def test_ward_is_assigned_by_point_in_polygon(store, where, ward):
    store.upsert_wards(zoo.WARDS)
    assert store.add_asset(zoo.asset(where), actor="ann").ward_code == ward


def test_wards_loaded_after_assets_are_assigned_to_them(store):
    added = store.add_asset(zoo.asset(zoo.IN_BELGRAVE), actor="ann")
    assert added.ward_code is None
    store.upsert_wards(zoo.WARDS)
    assert store.get_asset(added.id).ward_code == "E05002"
    assert store.get_asset(added.id).version == 1


def test_unknown_asset_is_not_found(store):
    with pytest.raises(NotFound) as err:
        store.get_asset("nope")
    assert err.value.status == 404
    assert err.value.message == "no asset with id 'nope'"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"category": "zoo"}, "unknown category 'zoo'; expected one of bench, community_centre"),
        ({"subcategory": "mosque"}, "unknown subcategory 'mosque' for category 'cafe'"),
        ({"name": "   "}, "an asset needs a name"),
        (
            {"lon": 52.625, "lat": -1.135},
            "latitude and longitude look swapped (52.625, -1.135); expected lon, lat",
        ),
        ({"lon": -1.135, "lat": 48.0}, "point (-1.135, 48) is outside the UK"),
        ({"lon": float("nan")}, "coordinates missing or not numbers"),
        ({"lon": "west"}, "coordinates must be numbers"),
        ({"step_free": "yes"}, "step_free must be true, false or unknown (null)"),
        ({"languages": "English"}, "languages must be a list of language names"),
        ({"status": "lost"}, "unknown status 'lost'; expected one of reported, verified"),
    ],
    ids=[
        "category",
        "subcategory",
        "name",
        "swapped",
        "outside-uk",
        "nan",
        "text-coordinate",
        "bool",
        "languages",
        "status",
    ],
)
def test_add_asset_refuses_invalid_values(store, fields, message):
    with pytest.raises(InvalidInput) as err:
        store.add_asset(zoo.asset(**fields), actor="ann")
    assert err.value.status == 400
    assert err.value.message.startswith(message)
    assert store.count_assets() == 0


def test_add_asset_with_a_stored_source_key_conflicts(store):
    store.import_assets([zoo.sourced("1")], actor="importer")
    with pytest.raises(Conflict) as err:
        store.add_asset(zoo.sourced("1"), actor="ann")
    assert err.value.status == 409
    assert "same source dataset and source id" in err.value.message
    assert store.count_assets() == 1


# -- assets: querying ------------------------------------------------------------------------------
@pytest.fixture
def placed(store):
    """The zoo's wards and one asset at each zoo point; returns {name: asset}."""
    store.upsert_wards(zoo.WARDS)
    spots = {
        "abbey cafe": (zoo.IN_ABBEY, "cafe", Status.VERIFIED),
        "belgrave bench": (zoo.IN_BELGRAVE, "bench", Status.REPORTED),
        "edge library": (zoo.ON_SHARED_EDGE, "library", Status.VERIFIED),
        "triangle park": (zoo.IN_TRIANGLE, "park", Status.STALE),
        "corner park": (zoo.OUTSIDE_TRIANGLE, "park", Status.REPORTED),
        "far faith": (zoo.OUTSIDE_ALL, "faith", Status.CLOSED),
    }
    return {
        name: store.add_asset(zoo.asset(where, name=name, category=category, status=status), actor="ann")
        for name, (where, category, status) in spots.items()
    }


def test_empty_store_has_no_assets(store):
    assert store.assets() == []
    assert store.count_assets(AssetQuery(bbox=(-2, 52, -1, 53))) == 0


def test_assets_are_ordered_by_id_and_paginated(store, placed):
    ids = sorted(a.id for a in placed.values())
    assert [a.id for a in store.assets()] == ids
    assert [a.id for a in store.assets(AssetQuery(limit=2, offset=1))] == ids[1:3]
    assert store.assets(AssetQuery(offset=6)) == []
    assert store.count_assets(AssetQuery(limit=2, offset=1)) == 6


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (AssetQuery(bbox=(-1.14, 52.62, -1.13, 52.63)), ["abbey cafe", "edge library"]),
        (AssetQuery(bbox=(-1.1125, 52.6275, -1.1115, 52.6285)), ["corner park"]),
        (AssetQuery(bbox=(-1.0, 52.0, -0.9, 53.0)), []),
        (AssetQuery(bbox=(*zoo.IN_ABBEY, *zoo.IN_ABBEY)), ["abbey cafe"]),
        (AssetQuery(bbox=(-1.14, 52.625, -1.13, 52.625)), ["abbey cafe", "edge library"]),
        (AssetQuery(ward="E05001"), ["abbey cafe", "edge library"]),
        (AssetQuery(ward="E05002"), ["belgrave bench", "edge library"]),
        (AssetQuery(ward="E05003"), ["triangle park"]),
        (AssetQuery(categories=["park", "faith"]), ["corner park", "far faith", "triangle park"]),
        (AssetQuery(categories=[]), []),
        (AssetQuery(statuses=["verified", "stale"]), ["abbey cafe", "edge library", "triangle park"]),
        (AssetQuery(ward="E05003", categories=["park"], statuses=["reported"]), []),
        (AssetQuery(bbox=(-1.2, 52.5, -1.0, 52.7), categories=["park"]), ["corner park", "triangle park"]),
    ],
    ids=[
        "bbox",
        "bbox-tiny",
        "bbox-empty",
        "bbox-point",
        "bbox-line",
        "ward",
        "ward-shares-edge",
        "ward-triangle",
        "categories",
        "no-categories",
        "statuses",
        "all-filters",
        "bbox-category",
    ],
)
def test_asset_filters(store, placed, query, expected):
    assert names(store.assets(query)) == expected
    assert store.count_assets(query) == len(expected)


def test_ward_filter_paginates_after_the_exact_test(store, placed):
    everything = store.assets(AssetQuery(ward="E05002"))
    assert store.assets(AssetQuery(ward="E05002", offset=1, limit=5)) == everything[1:]
    assert store.count_assets(AssetQuery(ward="E05002", limit=1)) == 2


@pytest.mark.parametrize(
    "query",
    [
        AssetQuery(),
        AssetQuery(limit=2, offset=1),
        AssetQuery(limit=0),
        AssetQuery(offset=6),
        AssetQuery(offset=10**30),  # past any table: never sent to the database
        AssetQuery(bbox=(-1.14, 52.62, -1.13, 52.63)),
        AssetQuery(bbox=(-1.2, 52.5, -1.0, 52.7), limit=2, offset=1),
        AssetQuery(bbox=(-1.2, 52.5, -1.0, 52.7), offset=10**30),
        AssetQuery(bbox=(-1.0, 52.0, -0.9, 53.0)),
        AssetQuery(bbox=(*zoo.IN_ABBEY, *zoo.IN_ABBEY)),
        AssetQuery(ward="E05002"),
        AssetQuery(ward="E05002", offset=1, limit=5),
        AssetQuery(ward="E05003"),  # the triangle: the corner park is in its box, not in it
        AssetQuery(ward="E05003", categories=["park"], statuses=["reported"]),
        AssetQuery(categories=["park", "faith"], limit=1, offset=1),
        AssetQuery(statuses=["verified", "stale"]),
        AssetQuery(bbox=(-1.2, 52.5, -1.0, 52.7), ward="E05001", categories=["cafe", "library"]),
    ],
    ids=[
        "all",
        "page",
        "limit-0",
        "past-the-end",
        "far-past-the-end",
        "bbox",
        "bbox-page",
        "bbox-far-past-the-end",
        "bbox-empty",
        "bbox-point",
        "ward",
        "ward-page",
        "ward-triangle",
        "ward-all-filters",
        "categories-page",
        "statuses",
        "bbox-ward-categories",
    ],
)
def test_asset_ids_are_the_page_of_assets_and_their_count(store, placed, query):
    every = [a.id for a in store.assets(dataclasses.replace(query, limit=None, offset=0))]
    stop = None if query.limit is None else query.offset + query.limit
    assert store.asset_ids(query) == AssetIds(every[query.offset : stop], len(every))
    assert store.count_assets(query) == len(every)


def test_asset_ids_of_the_zoo_by_hand(store, placed):
    ids = {name: a.id for name, a in placed.items()}
    in_order = sorted([ids["belgrave bench"], ids["edge library"]])
    assert store.asset_ids(AssetQuery(ward="E05002")) == AssetIds(in_order, 2)
    assert store.asset_ids(AssetQuery(ward="E05002", offset=1)) == AssetIds(in_order[1:], 2)
    assert store.asset_ids(AssetQuery(ward="E05003")) == AssetIds([ids["triangle park"]], 1)
    assert store.asset_ids(AssetQuery(offset=99)) == AssetIds([], 6)


def test_asset_ids_refuse_bad_queries(store, placed):
    with pytest.raises(NotFound, match="no ward with code 'E05999'"):
        store.asset_ids(AssetQuery(ward="E05999"))
    with pytest.raises(InvalidInput, match="offset must be a whole number of 0 or more"):
        store.asset_ids(AssetQuery(offset=-1))


def test_asset_records_by_id_are_the_assets_as_dicts_in_id_order(store, placed):
    store.add_asset(zoo.asset(languages=["en", "pa"], status=Status.VERIFIED, step_free=True), actor="ann")
    every = store.assets()
    some = [a.id for a in every[::2]]
    assert store.asset_records_by_id(list(reversed(some))) == [a.to_dict() for a in every[::2]]
    assert store.asset_records_by_id([every[0].id, "nope", every[0].id]) == [every[0].to_dict()]
    assert store.asset_records_by_id([]) == []


def test_asset_records_by_id_reads_in_chunks(store, placed, monkeypatch):
    monkeypatch.setattr(sql, "_CHUNK", 2)
    every = store.assets()
    assert store.asset_records_by_id([a.id for a in every]) == [a.to_dict() for a in every]


@pytest.mark.parametrize(
    ("query", "error", "message"),
    [
        (AssetQuery(ward="E05999"), NotFound, "no ward with code 'E05999'"),
        (AssetQuery(categories=["zoo"]), InvalidInput, "unknown category 'zoo'"),
        (AssetQuery(statuses=["lost"]), InvalidInput, "unknown status 'lost'"),
        (AssetQuery(bbox=(-1.1, 52.6, -1.2, 52.7)), InvalidInput, "bbox must be min_lon, min_lat"),
        (AssetQuery(bbox=(-1.1, 52.6, "x", 52.7)), InvalidInput, "bbox must be four numbers"),
        (AssetQuery(limit=-1), InvalidInput, "limit must be a whole number of 0 or more"),
        (AssetQuery(offset=-1), InvalidInput, "offset must be a whole number of 0 or more"),
    ],
    ids=["ward", "category", "status", "bbox-order", "bbox-text", "limit", "offset"],
)
def test_bad_queries_are_refused(store, query, error, message):
    with pytest.raises(error) as err:
        store.assets(query)
    assert err.value.status == (404 if error is NotFound else 400)
    assert err.value.message.startswith(message)


# -- assets: import --------------------------------------------------------------------------------
def test_import_twice_adds_then_leaves_everything_unchanged(store):
    store.upsert_wards(zoo.WARDS)
    batch = [zoo.sourced("1"), zoo.sourced("2", zoo.IN_BELGRAVE, languages=["en", "gu"])]
    assert store.import_assets(batch, actor="importer") == UpsertCounts(added=2)
    before = {a.id: a for a in store.assets()}
    assert store.import_assets(batch, actor="importer") == UpsertCounts(unchanged=2)
    assert {a.id: a for a in store.assets()} == before
    assert all(a.version == 1 and len(store.audit(a.id)) == 1 for a in before.values())
    assert sorted(a.ward_code for a in before.values()) == ["E05001", "E05002"]


def test_import_updates_changed_assets_as_a_new_version_with_audit(store):
    store.upsert_wards(zoo.WARDS)
    store.import_assets([zoo.sourced("1"), zoo.sourced("2")], actor="importer")
    moved = zoo.sourced("2", zoo.IN_BELGRAVE, opening_times="Mo-Fr 09:00-17:00")
    assert store.import_assets([zoo.sourced("1"), moved], actor="nightly") == UpsertCounts(
        updated=1, unchanged=1
    )
    [updated] = [a for a in store.assets() if a.source_id == "2"]
    assert (updated.version, updated.ward_code, updated.updated_by) == (2, "E05002", "nightly")
    created, change = store.audit(updated.id)
    assert (change.action, change.actor) == ("update", "nightly")
    assert change.before["opening_times"] == "" and change.after["opening_times"] == "Mo-Fr 09:00-17:00"


def test_reimport_keeps_a_verification(store):
    store.import_assets([zoo.sourced("1")], actor="importer")
    [first] = store.assets()
    store.set_status(first.id, Status.VERIFIED, expected_version=1, actor="ann")
    store.import_assets([zoo.sourced("1", description="Now with cake")], actor="importer")
    again = store.get_asset(first.id)
    assert (again.status, again.last_verified_by, again.description) == (
        Status.VERIFIED,
        "ann",
        "Now with cake",
    )


def test_import_with_one_bad_asset_writes_nothing(store):
    batch = [zoo.sourced("1"), zoo.sourced("2"), zoo.sourced("3", category="zoo")]
    with pytest.raises(InvalidInput) as err:
        store.import_assets(batch, actor="importer")
    assert err.value.status == 400
    assert err.value.message.startswith("asset '3' of 'zoo': unknown category 'zoo'")
    assert store.count_assets() == 0


def test_import_with_swapped_coordinates_names_the_asset(store):
    batch = [zoo.sourced("1"), zoo.sourced("2", (52.625, -1.135))]
    with pytest.raises(InvalidInput) as err:
        store.import_assets(batch, actor="importer")
    assert err.value.message == (
        "asset '2' of 'zoo': latitude and longitude look swapped (52.625, -1.135); "
        "expected lon, lat inside the UK"
    )
    assert store.count_assets() == 0


def test_import_refuses_a_repeated_source_id(store):
    with pytest.raises(InvalidInput) as err:
        store.import_assets([zoo.sourced("1"), zoo.sourced("7"), zoo.sourced("7")], actor="importer")
    assert err.value.status == 400
    assert err.value.message == "source id '7' appears more than once in this import of 'zoo'"
    assert store.count_assets() == 0


def test_import_needs_source_ids(store):
    with pytest.raises(InvalidInput, match=r"asset 2 \('Nameless'\) needs a source dataset and source id"):
        store.import_assets([zoo.sourced("1"), zoo.asset(name="Nameless")], actor="importer")
    assert store.count_assets() == 0


def test_import_of_nothing_does_nothing(store):
    assert store.import_assets([], actor="importer") == UpsertCounts()


# -- assets: editing -------------------------------------------------------------------------------
def test_update_asset_writes_a_new_version_and_an_audit_event(store):
    store.upsert_wards(zoo.WARDS)
    created = store.add_asset(zoo.asset(), actor="ann")
    updated = store.update_asset(
        created.id, {"name": "Corner café", "lon": zoo.IN_BELGRAVE[0]}, expected_version=1, actor="bob"
    )
    assert (updated.name, updated.version, updated.ward_code, updated.updated_by) == (
        "Corner café",
        2,
        "E05002",
        "bob",
    )
    assert updated.created_at == created.created_at < updated.updated_at
    assert store.get_asset(created.id) == updated
    assert names(store.assets(AssetQuery(bbox=(-1.126, 52.62, -1.124, 52.63)))) == ["Corner café"]
    event = store.audit(created.id)[-1]
    assert (event.action, event.actor, event.before["name"], event.after["name"]) == (
        "update",
        "bob",
        "Zoo café",
        "Corner café",
    )


def test_update_asset_with_a_stale_version_conflicts_and_writes_nothing(store):
    created = store.add_asset(zoo.asset(), actor="ann")
    store.update_asset(created.id, {"name": "First"}, expected_version=1, actor="bob")
    with pytest.raises(Conflict) as err:
        store.update_asset(created.id, {"name": "Second"}, expected_version=1, actor="cat")
    assert err.value.status == 409
    assert err.value.message.startswith(f"asset {created.id} is at version 2, not 1")
    assert store.get_asset(created.id).name == "First"
    assert len(store.audit(created.id)) == 2


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"status": "verified"}, "cannot change status; changeable fields: category, name"),
        ({"version": 5, "colour": "red"}, "cannot change colour, version"),
        ({"category": "zoo"}, "unknown category 'zoo'"),
        ({"lat": 60.95}, "point (-1.135, 60.95) is outside the UK"),
        ({"description": None}, "description must be text"),
    ],
    ids=["status", "unknown-fields", "category", "outside-uk", "null-text"],
)
def test_update_asset_refuses_bad_changes(store, changes, message):
    created = store.add_asset(zoo.asset(), actor="ann")
    with pytest.raises(InvalidInput) as err:
        store.update_asset(created.id, changes, expected_version=1, actor="bob")
    assert err.value.status == 400
    assert err.value.message.startswith(message)
    assert store.get_asset(created.id) == created


def test_update_unknown_asset_is_not_found(store):
    with pytest.raises(NotFound, match="no asset with id 'nope'"):
        store.update_asset("nope", {"name": "x"}, expected_version=1, actor="bob")


def test_update_to_the_same_content_writes_nothing(store):
    created = store.add_asset(zoo.asset(), actor="ann")
    assert store.update_asset(created.id, {"name": created.name}, expected_version=1, actor="bob") == created
    assert len(store.audit(created.id)) == 1


def test_set_status_verified_stamps_verification_and_is_audited(store):
    created = store.add_asset(zoo.asset(), actor="ann")
    verified = store.set_status(created.id, "verified", expected_version=1, actor="vic")
    assert (verified.status, verified.version, verified.last_verified_by) == (Status.VERIFIED, 2, "vic")
    assert verified.last_verified_at == verified.updated_at and verified.last_verified_at.tzinfo is UTC
    closed = store.set_status(created.id, Status.CLOSED, expected_version=2, actor="vic")
    assert (closed.status, closed.last_verified_by) == (Status.CLOSED, "vic")
    actions = [
        (e.action, e.before and e.before["status"], e.after["status"]) for e in store.audit(created.id)
    ]
    assert actions == [
        ("create", None, "reported"),
        ("status", "reported", "verified"),
        ("status", "verified", "closed"),
    ]


def test_set_status_keeps_a_note_with_the_audit_event_only(store):
    target = store.add_asset(zoo.asset(name="Hall"), actor="ann")
    created = store.add_asset(zoo.asset(), actor="ann")
    merged = store.set_status(
        created.id, Status.MERGED, expected_version=1, actor="vic", note={"merged_into": target.id}
    )
    assert merged.status is Status.MERGED and not hasattr(merged, "note")
    *_, event = store.audit(created.id)
    assert event.after is not None and event.after["note"] == {"merged_into": target.id}
    assert event.after["status"] == "merged" and "note" not in event.before
    store.set_status(created.id, Status.CLOSED, expected_version=2, actor="vic")
    assert "note" not in store.audit(created.id)[-1].after


def test_set_status_refuses_stale_versions_and_unknown_statuses(store):
    created = store.add_asset(zoo.asset(), actor="ann")
    with pytest.raises(Conflict) as err:
        store.set_status(created.id, Status.VERIFIED, expected_version=3, actor="vic")
    assert err.value.status == 409
    with pytest.raises(InvalidInput, match="unknown status 'lost'"):
        store.set_status(created.id, "lost", expected_version=1, actor="vic")
    with pytest.raises(NotFound):
        store.set_status("nope", Status.VERIFIED, expected_version=1, actor="vic")
    assert store.get_asset(created.id) == created


def test_audit_events_are_json_ready_and_oldest_first(store):
    created = store.add_asset(zoo.asset(languages=["en"]), actor="ann")
    store.update_asset(created.id, {"languages": ["en", "pa"]}, expected_version=1, actor="bob")
    events = store.audit(created.id)
    assert [e.action for e in events] == ["create", "update"]
    assert events[0].at <= events[1].at and events[0].at.tzinfo is UTC
    assert events[0].before is None and events[0].after == created.to_dict()
    assert events[1].after["languages"] == ["en", "pa"]
    json.dumps([e.before for e in events] + [e.after for e in events])


def test_audit_of_unknown_asset_is_not_found(store):
    with pytest.raises(NotFound):
        store.audit("nope")
