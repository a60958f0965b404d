"""Asset importers: generic CSV and GeoJSON, atomic and idempotent, and every bad-input path."""

from __future__ import annotations

import pytest

from assetmap.errors import DataFileError
from assetmap.importers import assets
from assetmap.storage.base import AssetQuery
from tests.importers.zoo import ASSET_CSV, point, write_geojson, write_text


def test_csv_import_adds_then_is_idempotent(store, tmp_path):
    path = write_text(tmp_path / "walk.csv", ASSET_CSV)
    first = assets.import_csv(store, path, licence="CC0")
    assert (first.added, first.updated, first.unchanged) == (3, 0, 0)
    second = assets.import_csv(store, path, licence="CC0")
    assert (second.added, second.updated, second.unchanged) == (0, 0, 3)
    bench = next(a for a in store.assets() if a.source_id == "b1")
    assert (bench.category, bench.subcategory, bench.step_free) == ("bench", "listening_bench", True)
    assert bench.languages == ["English", "Gujarati"]
    assert bench.licence == "CC0"


def test_csv_changed_row_updates_by_source_id(store, tmp_path):
    assets.import_csv(store, write_text(tmp_path / "a.csv", ASSET_CSV))
    changed = ASSET_CSV.replace("Chat bench", "Listening bench")
    summary = assets.import_csv(store, write_text(tmp_path / "a.csv", changed))
    assert (summary.added, summary.updated, summary.unchanged) == (0, 1, 2)
    assert store.count_assets(AssetQuery()) == 3
    assert {a.name for a in store.assets()} >= {"Listening bench"}


def test_csv_easting_northing_and_postcode(store, tmp_path):
    postcodes = write_text(tmp_path / "pc.csv", "Postcode,lat,long\nLE1 1AA,52.63212,-1.12498\n")
    text = (
        "name,category,easting,northing,postcode,id\n"
        "Grid hall,community_centre,458800,304500,,g1\n"
        "Postcode club,social_club,,,le11aa,p1\n"
    )
    summary = assets.import_csv(
        store, write_text(tmp_path / "x.csv", text), postcodes=assets.PostcodeIndex(postcodes)
    )
    assert summary.added == 2
    by_id = {a.source_id: a for a in store.assets()}
    assert by_id["p1"].lon == pytest.approx(-1.12498) and by_id["p1"].lat == pytest.approx(52.63212)
    assert -1.2 < by_id["g1"].lon < -1.0 and 52.5 < by_id["g1"].lat < 52.7


def test_geojson_import(store, tmp_path):
    path = write_geojson(
        tmp_path / "a.geojson", [point(-1.13, 52.625, name="Bench", category="bench", id="x")]
    )
    assert assets.import_geojson(store, path).added == 1


def test_geojson_in_bng_is_reprojected(store, tmp_path):
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}}
    path = write_geojson(
        tmp_path / "a.geojson", [point(458800, 304500, name="Hall", category="community_centre")], crs=crs
    )
    assets.import_geojson(store, path)
    (asset,) = store.assets()
    assert -1.2 < asset.lon < -1.0 and 52.5 < asset.lat < 52.7


BAD_ROWS = [
    ("name,category,lat,lon\nFar,bench,40.0,-1.13\n", "row 1: point (-1.13, 40) is outside the UK"),
    (
        "name,category,lat,lon\nOk,bench,52.6,-1.13\nSwapped,bench,-1.13,52.6\n",
        "row 2: latitude and longitude look swapped",
    ),
    ("name,category,lat,lon\nX,spaceport,52.6,-1.13\n", "row 1: unknown category 'spaceport'"),
    ("name,category,subcategory,lat,lon\nX,bench,throne,52.6,-1.13\n", "row 1: unknown subcategory 'throne'"),
    (
        "name,category,lat,lon,id\nA,bench,52.6,-1.13,7\nB,bench,52.61,-1.13,7\n",
        "row 2: duplicate id '7' (also row 1)",
    ),
    ("name,category,lat,lon\nA,bench,52.6,-1.13,extra\n", "row 1: expected 4 fields, found 5"),
    ("name,category,lat,lon\nA,bench,52.6\n", "row 1: expected 4 fields, found 3"),
    ("name,category,lat,lon\nA,bench,fifty,-1.13\n", "row 1: latitude is not a number: 'fifty'"),
    ("name,category,lat,lon\n,bench,52.6,-1.13\n", "row 1: an asset needs a name"),
    ("name,category,lat,lon,step_free\nA,bench,52.6,-1.13,maybe\n", "row 1: step_free must be yes or no"),
    ("name,category\nA,bench\n", "row 1: no location"),
    ("name,category,easting,northing\nA,bench,458800,30450000\n", "row 1: point"),
]


@pytest.mark.parametrize(("text", "message"), BAD_ROWS)
def test_bad_csv_rows_name_file_and_row_and_write_nothing(store, tmp_path, text, message):
    assets.import_csv(store, write_text(tmp_path / "good.csv", ASSET_CSV))
    path = write_text(tmp_path / "bad.csv", text)
    with pytest.raises(DataFileError) as info:
        assets.import_csv(store, path)
    assert str(path) in info.value.message
    assert message in info.value.message
    assert info.value.status == 400
    assert store.count_assets(AssetQuery()) == 3


def test_bng_numbers_without_crs_are_refused(store, tmp_path):
    path = write_geojson(
        tmp_path / "a.geojson", [point(458800, 304500, name="Hall", category="community_centre")]
    )
    with pytest.raises(DataFileError, match="row 1: .*projected metres, so say which CRS"):
        assets.import_geojson(store, path)
    assert store.count_assets(AssetQuery()) == 0


@pytest.mark.parametrize(
    ("features", "message"),
    [
        (
            [{"type": "Feature", "geometry": None, "properties": {}}],
            "row 1: expected a Point, found no geometry",
        ),
        (
            [{"type": "Feature", "geometry": {"type": "Point", "coordinates": ["a", 1]}, "properties": {}}],
            "row 1: invalid coordinates",
        ),
        (
            [{"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}}],
            "row 1: expected a Point, found LineString",
        ),
        ([], "holds no features"),
    ],
)
def test_bad_geojson(store, tmp_path, features, message):
    path = write_geojson(tmp_path / "a.geojson", features)
    with pytest.raises(DataFileError, match=message):
        assets.import_geojson(store, path)
    assert store.count_assets(AssetQuery()) == 0


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.geojson", "name,category\n", "the content is not what the extension '.geojson' says"),
        ("a.csv", "PK\x03\x04rest", "the content is not what the extension '.csv' says"),
        ("a.geojson", "{not json", "not valid JSON"),
        ("a.csv", "", "the content is not what the extension '.csv' says"),
        ("a.xlsx", "whatever", "unsupported file type"),
    ],
)
def test_file_that_is_not_what_it_says(store, tmp_path, name, content, message):
    path = write_text(tmp_path / name, content)
    reader = assets.import_geojson if name.endswith("geojson") else assets.import_csv
    with pytest.raises(DataFileError, match=message):
        reader(store, path)


def test_script_in_text_is_stored_verbatim_for_escaping_at_render(store, tmp_path):
    text = (
        "name,category,lat,lon,description\n"
        '"<script>alert(1)</script>",bench,52.6,-1.13,"""><img src=x onerror=alert(1)>"\n'
    )
    assets.import_csv(store, write_text(tmp_path / "x.csv", text))
    (asset,) = store.assets()
    assert asset.name == "<script>alert(1)</script>"
    assert asset.description == '"><img src=x onerror=alert(1)>'


def test_register_unknown_kind_is_an_error(store, tmp_path):
    path = write_geojson(
        tmp_path / "r.geojson", [point(-1.13, 52.62, kind="zeppelin", subkind="dock", uid="z:1")]
    )
    with pytest.raises(DataFileError, match="row 1: unknown source category zeppelin/dock"):
        assets.import_register(store, path, mapping="registers")


def test_register_maps_skips_and_stamps_verification(store, tmp_path):
    features = [
        point(
            -1.13,
            52.625,
            kind="place_of_worship",
            subkind="gurdwara",
            uid="osm:node/1",
            name="Gurdwara",
            licence="ODbL",
            source_date="2026-08-16 (Overpass)",
        ),
        point(-1.13, 52.626, kind="other", subkind="restaurant_or_other_eatery", uid="fhrs:2", name="Diner"),
        point(
            -1.13,
            52.627,
            kind="place_of_worship",
            subkind="church",
            uid="fhrs:3",
            name="Church",
            possible_duplicate_of="osm:way/9",
        ),
    ]
    summary = assets.import_register(
        store, write_geojson(tmp_path / "r.geojson", features), mapping="registers"
    )
    assert summary.added == 1
    assert sum(summary.skipped.values()) == 2
    (asset,) = store.assets()
    assert (asset.category, asset.subcategory, str(asset.status)) == ("faith", "gurdwara", "verified")
    assert asset.last_verified_at.isoformat().startswith("2026-08-16")
