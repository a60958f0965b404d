"""What-if (assetmap.planner.whatif) on the street drawn in conftest, with the real coverage engine.

The street: areas S0-S5 500 m apart along y = 0 (S0-S2 in W1, S3-S5 in W2), reach 400 m. Before
anything is added only S1 (200 residents aged 50+) has no asset within 10 minutes: the library is
510 m away, the café too.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assetmap.coverage import compute_coverage
from assetmap.errors import InvalidInput
from assetmap.planner import NewAsset, what_if
from tests.planner.conftest import STREET_CATEGORIES, WALK, lonlat


def at(x: float, y: float, category: str) -> NewAsset:
    lon, lat = lonlat([(x, y)])
    return NewAsset(float(lon[0]), float(lat[0]), category)


def test_a_library_next_to_the_unserved_area(street, street_coverage):
    change = what_if(*street, WALK, [at(500, 50, "library")], baseline=street_coverage)
    areas = change.areas.set_index("code")
    assert areas["new_50plus_any"].tolist() == [0, 200, 0, 0, 0, 0]
    assert areas["new_50plus_library"].tolist() == [0, 200, 0, 0, 0, 0]  # S2 is 502 m away
    wards = change.wards.set_index("code")
    assert wards["new_50plus_any"].tolist() == [200, 0]
    assert change.city["new_50plus_any"] == 200 and change.city["new_50plus_library"] == 200
    assert change.city["residents_50plus"] == 1500
    assert change.city["share_within_any_before"] == pytest.approx(1300 / 1500)
    assert change.city["share_within_any_after"] == 1.0
    assert change.categories == ("library",) and change.minutes == 10.0
    assert change.points[0]["ward_code"] == "W1" and change.points[0]["category"] == "library"
    # S1 no longer has the longest walk: its gap score falls.
    assert areas.loc["S1", "gap_change"] < 0
    assert areas["gap_change"].to_numpy() == pytest.approx(areas["gap_after"] - areas["gap_before"])
    assert change.city["gap_change"] == pytest.approx(change.city["gap_after"] - change.city["gap_before"])


def test_a_cafe_brings_new_cafe_access_but_no_new_access_overall(street, street_coverage):
    change = what_if(*street, WALK, [at(1500, 0, "cafe")], baseline=street_coverage)
    areas = change.areas.set_index("code")
    assert areas["new_50plus_cafe"].tolist() == [0, 0, 0, 400, 0, 0]  # S2 had the café already
    assert areas["new_50plus_any"].sum() == 0
    assert change.wards.set_index("code")["new_50plus_cafe"].tolist() == [0, 400]


def test_several_categories_at_once(street, street_coverage):
    points = [at(500, 50, "library"), at(1500, 0, "cafe"), at(2000, 0, "library")]
    change = what_if(*street, WALK, points, baseline=street_coverage)
    assert change.categories == ("library", "cafe")
    assert change.city["new_50plus_library"] == 200 + 500
    assert change.city["new_50plus_cafe"] == 400


def test_without_a_baseline_the_same(street, street_coverage):
    points = [at(500, 50, "library")]
    given_ = what_if(*street, WALK, points, baseline=street_coverage)
    computed = what_if(*street, WALK, points)
    # Without a baseline the taxonomy's categories are measured; the new counts agree.
    assert given_.city["new_50plus_library"] == computed.city["new_50plus_library"] == 200


def test_asset_ward_column_is_filled_for_new_points(street):
    areas, assets, wards = street
    assets = assets.assign(ward_code=["W1", "W1", "W2", "W2", "W2"])
    baseline = compute_coverage(
        areas, assets, wards, WALK, categories=STREET_CATEGORIES, asset_ward_column="ward_code"
    )
    change = what_if(
        areas, assets, wards, WALK, [at(2400, 0, "library")], baseline=baseline, asset_ward_column="ward_code"
    )
    assert change.after.wards.set_index("code")["n_assets_library"].tolist() == [1, 1]


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(-600, 3100, allow_nan=False),
            st.floats(-600, 600, allow_nan=False),
            st.sampled_from(STREET_CATEGORIES),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_adding_assets_never_takes_anyone_out_of_reach(street, street_coverage, points):
    change = what_if(*street, WALK, [at(x, y, c) for x, y, c in points], baseline=street_coverage)
    new = [c for c in change.areas.columns if c.startswith("new_50plus_")]
    assert (change.areas[new].to_numpy() >= 0).all()
    assert (change.wards[new].to_numpy() >= 0).all()
    assert all(change.city[c] >= 0 for c in new)
    before, after = street_coverage.areas, change.after.areas
    for c in ("any", *STREET_CATEGORIES):
        assert (after[f"n_within_{c}"] >= before[f"n_within_{c}"]).all()
    assert change.wards[new].sum().to_numpy() == pytest.approx(change.areas[new].sum().to_numpy())


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ([], "points: expected 1 to 50 points (lon, lat, category), got 0"),
        ([(-1.13, 52.63, "library")] * 51, "points: expected 1 to 50 points (lon, lat, category), got 51"),
        (
            [(-1.13, 52.63, "library"), (2.35, 48.85, "library")],
            "points[1]: point (2.35, 48.85) is outside the UK",
        ),
        (
            [(52.63, -1.13, "library")],
            "points[0]: latitude and longitude look swapped (52.63, -1.13); expected lon, lat inside the UK",
        ),
        ([(math.nan, 52.63, "library")], "points[0]: coordinates missing or not numbers"),
        ([("west", 52.63, "library")], "points[0]: expected (lon, lat, category) with numbers"),
        ([(-1.13, 52.63)], "points[0]: expected (lon, lat, category) with numbers"),
        ([(-1.13, 52.63, "castle")], "points[0]: unknown category 'castle'; expected one of bench"),
        ([(-1.13, 52.63, ["cafe"])], "points[0]: the category must be text, got ['cafe']"),
        ([(-1.13, 52.63, "bus_stop")], "points[0]: category 'bus_stop' is not counted by coverage"),
        (
            [(-1.13, 52.63, "park")],
            "points[0]: category 'park' is not counted by coverage; expected one of library",
        ),
    ],
)
def test_bad_points(street, street_coverage, points, message):
    with pytest.raises(InvalidInput) as caught:
        what_if(*street, WALK, points, baseline=street_coverage)
    assert caught.value.message.startswith(message)
    assert caught.value.status == 400


def test_baseline_of_other_areas_is_refused(street, street_coverage):
    areas, assets, wards = street
    with pytest.raises(InvalidInput, match="baseline: it was computed from other small areas"):
        what_if(areas.iloc[1:], assets, wards, WALK, [at(0, 0, "cafe")], baseline=street_coverage)


def test_assets_must_be_wgs84(street, street_coverage):
    areas, assets, wards = street
    with pytest.raises(InvalidInput, match=r"assets: expected WGS84 \(EPSG:4326\), got EPSG:27700"):
        what_if(areas, assets.to_crs(27700), wards, WALK, [at(0, 0, "cafe")], baseline=street_coverage)


def test_new_ids_clash_with_nothing(street, street_coverage):
    areas, assets, wards = street
    assets = assets.assign(id=["what-if 1", "b", "c", "d", "e"])
    change = what_if(areas, assets, wards, WALK, [at(500, 50, "library")], baseline=street_coverage)
    assert change.city["new_50plus_library"] == 200
    assert np.isfinite(change.after.areas["fca_per_1000"]).all()
