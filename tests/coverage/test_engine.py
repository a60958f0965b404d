"""Coverage per small area and per ward (assetmap.coverage.engine), on the zoo drawn in conftest.

Zoo distances are BNG metres from each area's pw point; with the zoo's walking model
(1 m/s, detour 1.5, 10 minutes) minutes = metres / 40 and the reach is 400 m.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from assetmap import taxonomy
from assetmap.coverage import CoverageParams, compute_coverage
from assetmap.coverage.engine import CONTRIBUTIONS, assign_wards
from assetmap.errors import InvalidInput

INF = math.inf


def _col(frame: pd.DataFrame, column: str) -> list:
    return frame.set_index("code")[column].tolist()


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        # cafe: A1 s1 300; A2 s2 380; A3 s2 hypot(500, 380); A4 s2 hypot(1000, 380). s7 (410 m from A1) loses.
        ("dist_m_cafe", [300.0, 380.0, 628.012739, 1069.766330]),
        # library: s3 at hypot(1000, 350), hypot(500, 350), 350, hypot(500, 350).
        ("dist_m_library", [1059.481005, 610.327781, 350.0, 610.327781]),
        ("dist_m_faith", [1533.753566, 1049.952380, 593.632883, 320.0]),  # s4: hypot(1500, 320) ...
        ("dist_m_health", [2263.846285, 1767.766953, 1274.754878, 790.569415]),  # s5: hypot(2250, 250) ...
        ("dist_m_social_club", [200.0, 300.0, 800.0, 1300.0]),
        ("dist_m_park", [INF] * 4),
        ("dist_m_any", [200.0, 300.0, 350.0, 320.0]),
        ("walk_min_any", [5.0, 7.5, 8.75, 8.0]),
        ("walk_min_cafe", [7.5, 9.5, 15.700318, 26.744158]),
        ("walk_min_park", [INF] * 4),
    ],
)
def test_zoo_distances(zoo_result, column, expected):
    assert _col(zoo_result.areas, column) == pytest.approx(expected, abs=1e-3)


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ("n_within_cafe", [1, 1, 0, 0]),  # s1 (A1, 300 m) and s2 (A2, 380 m); s7 is 410 m from A1
        ("n_within_library", [0, 0, 1, 0]),
        ("n_within_faith", [0, 0, 0, 1]),
        ("n_within_health", [0, 0, 0, 0]),
        ("n_within_social_club", [1, 1, 0, 0]),  # s6 serves A1 (200 m) and A2 (300 m)
        ("n_within_park", [0, 0, 0, 0]),
        ("n_within_any", [2, 2, 1, 1]),
    ],
)
def test_zoo_counts_within_ten_minutes(zoo_result, column, expected):
    assert _col(zoo_result.areas, column) == expected


def test_zoo_two_step_fca(zoo_result):
    # R(s1) = 1/100, R(s2) = 1/300, R(s3) = 1/200, R(s6) = 1/(100 + 300); s4 reaches only A4 (0 people).
    # A1 = 1/100 + 1/400; A2 = 1/300 + 1/400; A3 = 1/200; A4 = 0.  Per 1000 residents aged 50+.
    assert _col(zoo_result.areas, "fca_per_1000") == pytest.approx([12.5, 35 / 6, 5.0, 0.0])


def test_zoo_need_and_gap(zoo_result):
    # Worked in test_need.test_gap_scores_by_hand from the same inputs.
    areas = zoo_result.areas
    assert _col(areas, "need_index") == pytest.approx([0.0, 0.925, 0.35 / 0.75, 0.525 / 0.85])
    assert _col(areas, "gap_score") == pytest.approx([0.0, 0.6291667, 0.65, 0.7254902])
    assert _col(areas, "gap_rank") == [4, 3, 2, 1]
    assert _col(areas, "why")[0] == "no factor stands out"
    assert _col(areas, "why")[2] == (
        "walk to the nearest asset (0.25), few assets for the number of over-50s nearby (2SFCA) (0.17), "
        "share of over-50s aged 75+ (0.10)"
    )
    assert math.isnan(_col(areas, "s_age75_share")[3])  # A4 has nobody aged 50+
    assert _col(areas, "point_source") == ["population_weighted"] * 4


def test_zoo_wards(zoo_result):
    wards = zoo_result.wards.set_index("code")
    # W1: s1, s2 (cafe), s6 (social club); W2: s3, s4; W3: s5 and no areas. s7 is outside every ward.
    assert wards["n_assets"].tolist() == [3, 2, 1]
    assert wards["n_assets_cafe"].tolist() == [2, 0, 0]
    assert wards["n_areas"].tolist() == [2, 2, 0]
    assert wards["residents_50plus"].tolist()[:2] == [400.0, 200.0]
    # Per 1000 aged 50+: W1 3 / 400, W2 2 / 200; W3 has nobody to divide by.
    assert wards["assets_per_1000_50plus"].tolist()[:2] == pytest.approx([7.5, 10.0])
    assert wards.loc["W3"].filter(like="per_1000").isna().all()
    # Shares of residents aged 50+ within 10 minutes: all of W1 reaches a cafe; W2's only faith
    # venue serves A4, where nobody is 50+.
    assert wards["share_50plus_within_cafe"].tolist()[:2] == [1.0, 0.0]
    assert wards["share_50plus_within_library"].tolist()[:2] == [0.0, 1.0]
    assert wards["share_50plus_within_faith"].tolist()[:2] == [0.0, 0.0]
    assert wards["share_50plus_within_any"].tolist()[:2] == [1.0, 1.0]
    assert math.isnan(wards.loc["W3", "share_50plus_within_any"])
    # Means weighted by residents aged 50+: W1 (100 * 5 + 300 * 7.5) / 400; W2 only A3 has weight.
    assert wards["walk_min_any"].tolist()[:2] == pytest.approx([6.875, 8.75])
    assert wards["fca_per_1000"].tolist()[:2] == pytest.approx([7.5, 5.0])
    assert wards["gap_score"].tolist()[:2] == pytest.approx([0.75 * 0.6291667, 0.65])
    assert wards["gap_rank"].tolist()[:2] == [2, 1]
    assert pd.isna(wards.loc["W3", "gap_rank"])


def test_outputs_are_sorted_by_code_and_in_wgs84(zoo_result):
    assert zoo_result.areas["code"].tolist() == ["A1", "A2", "A3", "A4"]
    assert zoo_result.wards["code"].tolist() == ["W1", "W2", "W3"]
    assert zoo_result.areas.crs == zoo_result.wards.crs == "EPSG:4326"
    assert zoo_result.crs == "EPSG:27700"


def test_default_categories_are_the_taxonomy_asset_layer(zoo, zoo_params):
    result = compute_coverage(*zoo, zoo_params)
    assert result.categories == tuple(taxonomy.asset_categories())
    assert "bus_stop" not in result.categories
    # The bus stop b1 is 14 m from A1 but is a context layer: A1's nearest asset is still s6.
    assert _col(result.areas, "dist_m_any")[0] == pytest.approx(200.0, abs=1e-3)


def test_capacity_weights_the_two_step_fca(frames_builder, zoo_specs, zoo_params, zoo_categories):
    specs = zoo_specs()
    specs["assets"][5]["capacity"] = 3.0  # s6: 3 / 400 instead of 1 / 400
    result = compute_coverage(*frames_builder(**specs), zoo_params, categories=zoo_categories)
    assert _col(result.areas, "fca_per_1000") == pytest.approx([17.5, 1000 / 300 + 7.5, 5.0, 0.0])


def test_population_weighted_point_falls_back_to_a_point_inside_the_area(
    frames_builder, zoo_specs, zoo_params, zoo_categories
):
    specs = zoo_specs()
    specs["areas"][3]["pw"] = None
    result = compute_coverage(*frames_builder(**specs), zoo_params, categories=zoo_categories)
    assert _col(result.areas, "point_source") == ["population_weighted"] * 3 + ["point_on_surface"]
    # A4 is a 500 m square centred on its old pw point; point_on_surface lands within a metre of it.
    assert _col(result.areas, "dist_m_faith")[3] == pytest.approx(320.0, abs=1.0)


def test_no_assets_means_infinite_distance_and_nothing_within_reach(zoo, zoo_params, zoo_categories):
    areas, assets, wards = zoo
    result = compute_coverage(areas, assets.iloc[:0], wards, zoo_params, categories=zoo_categories)
    for cat in (*zoo_categories, "any"):
        assert np.isinf(result.areas[f"dist_m_{cat}"]).all()
        assert (result.areas[f"n_within_{cat}"] == 0).all()
    assert (result.areas["fca_per_1000"] == 0).all()
    assert result.wards["n_assets"].tolist() == [0, 0, 0]
    assert result.wards["share_50plus_within_any"].tolist()[:2] == [0.0, 0.0]
    assert result.wards["walk_min_any"].isna().all()  # infinite walks are left out of ward means


def test_no_areas_gives_empty_area_frame_and_wards_without_residents(zoo, zoo_params, zoo_categories):
    areas, assets, wards = zoo
    result = compute_coverage(areas.iloc[:0], assets, wards, zoo_params, categories=zoo_categories)
    assert result.areas.empty
    assert {"dist_m_any", "n_within_any", "fca_per_1000", "gap_score", "why"} <= set(result.areas.columns)
    assert result.wards["n_assets"].tolist() == [3, 2, 1]
    assert result.wards["residents_50plus"].isna().all()


def test_nothing_at_all(zoo, zoo_params, zoo_categories):
    areas, assets, wards = zoo
    result = compute_coverage(
        areas.iloc[:0], assets.iloc[:0], wards.iloc[:0], zoo_params, categories=zoo_categories
    )
    assert result.areas.empty and result.wards.empty
    assert result.crs == "EPSG:27700"


@pytest.mark.parametrize("which", [0, 1, 2])
@pytest.mark.parametrize("crs", [None, "EPSG:27700"])
def test_frames_not_in_wgs84_are_refused(zoo, zoo_params, which, crs):
    frames = list(zoo)
    frames[which] = frames[which].to_crs(crs) if crs else frames[which].set_crs(None, allow_override=True)
    label = ("small areas", "assets", "wards")[which]
    with pytest.raises(InvalidInput) as info:
        compute_coverage(*frames, zoo_params)
    assert info.value.status == 400
    got = "None" if crs is None else "EPSG:27700"
    assert info.value.message == f"{label}: expected WGS84 (EPSG:4326), got {got}"


def test_assign_wards_gives_a_point_on_a_shared_edge_to_the_first_ward():
    wards = gpd.GeoDataFrame(
        {"code": ["A", "B"]}, geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)], crs="EPSG:4326"
    )
    points = shapely.points([[0.5, 0.5], [1.0, 0.5], [1.5, 0.5], [5.0, 5.0]])
    assert assign_wards(points, wards).tolist() == ["A", "A", "B", None]
    # The smallest code wins by itself, not because the caller sorted the wards.
    assert assign_wards(points, wards.iloc[::-1]).tolist() == ["A", "A", "B", None]
    assert assign_wards(points[:0], wards).tolist() == []
    assert assign_wards(points, wards.iloc[:0]).tolist() == [None] * 4


def test_wards_given_on_the_assets_are_trusted(frames_builder, zoo_specs, zoo_params, zoo_categories):
    areas, assets, wards = frames_builder(**zoo_specs())
    assets["ward_code"] = assign_wards(assets.geometry.values, wards)
    from_polygons = compute_coverage(areas, assets, wards, zoo_params, categories=zoo_categories)
    given = compute_coverage(
        areas, assets, wards, zoo_params, categories=zoo_categories, asset_ward_column="ward_code"
    )
    pd.testing.assert_frame_equal(given.wards, from_polygons.wards, check_exact=True)
    pd.testing.assert_frame_equal(given.areas, from_polygons.areas, check_exact=True)
    # Trusted, not checked: s5 (in W3) said to be in W1 counts in W1.
    assets.loc[assets["id"] == "s5", "ward_code"] = "W1"
    moved = compute_coverage(
        areas, assets, wards, zoo_params, categories=zoo_categories, asset_ward_column="ward_code"
    )
    assert _col(moved.wards, "n_assets") == [4, 2, 0]


def test_an_asset_exactly_the_walk_away_is_within_reach(frames_builder, zoo_specs):
    # 7 minutes at 1.1 m/s with detour 1.5 is 308 m, but in floats walk_minutes(radius_m) is a hair over 7,
    # and the asset comes back from WGS84 about 2e-7 m further than 308 m.
    params = CoverageParams(speed_mps=1.1, detour_factor=1.5, minutes=7.0)
    assert params.radius_m == pytest.approx(308.0)
    assert params.walk_minutes(params.radius_m) > params.minutes
    area = zoo_specs()["areas"][0]  # pw point (250, 250), 100 residents aged 50+
    asset = {"id": "e1", "category": "cafe", "xy": (250 + 308, 250)}
    result = compute_coverage(
        *frames_builder([area], [asset], zoo_specs()["wards"]), params, categories=["cafe"]
    )
    assert _col(result.areas, "dist_m_cafe") == pytest.approx([308.0])
    assert _col(result.areas, "n_within_cafe") == [1]
    assert _col(result.areas, "fca_per_1000") == pytest.approx([10.0])  # 1 asset / 100 residents
    assert result.wards.set_index("code").loc["W1", "share_50plus_within_any"] == 1.0


@pytest.mark.parametrize(
    ("column", "message"),
    [
        ("pw_lon", "small areas: A1: pw_lon/pw_lat (inf, {lat}) cannot be measured in EPSG:27700"),
        ("pw_lat", "small areas: A1: pw_lon/pw_lat ({lon}, inf) cannot be measured in EPSG:27700"),
        ("geometry", "assets: s1: lon/lat (inf, {lat}) cannot be measured in EPSG:27700"),
    ],
)
def test_an_infinite_point_is_refused_with_its_name(zoo, zoo_params, zoo_categories, column, message):
    areas, assets, wards = (frame.copy() for frame in zoo)
    if column == "geometry":
        lon, lat = assets.geometry.x[0], assets.geometry.y[0]
        assets.loc[0, "geometry"] = shapely.Point(np.inf, lat)
    else:
        lon, lat = areas.loc[0, "pw_lon"], areas.loc[0, "pw_lat"]
        areas.loc[0, column] = np.inf
    with pytest.raises(InvalidInput) as info:
        compute_coverage(areas, assets, wards, zoo_params, categories=zoo_categories)
    assert info.value.status == 400
    assert info.value.message == message.format(lon=lon, lat=lat)


def test_a_category_listed_twice_is_refused(zoo, zoo_params):
    with pytest.raises(InvalidInput) as info:
        compute_coverage(*zoo, zoo_params, categories=["cafe", "park", "cafe"])
    assert info.value.message == "categories: each category may be listed once, got cafe, park, cafe"


def test_asset_on_a_ward_corner_counts_once_in_the_first_ward_by_code(
    frames_builder, zoo_specs, zoo_params, zoo_categories
):
    specs = zoo_specs()
    specs["assets"].append({"id": "e1", "category": "park", "xy": (1000, 1000)})  # corner of W1 and W2
    specs["wards"].reverse()
    wards = compute_coverage(*frames_builder(**specs), zoo_params, categories=zoo_categories).wards
    assert _col(wards, "n_assets_park") == [1, 0, 0]


def test_ward_contributions_add_up_when_an_area_has_no_need_data(
    frames_builder, zoo_specs, zoo_params, zoo_categories
):
    specs = zoo_specs()
    specs["areas"][1].update(idaopi_score=None, loneliness=None, imd_score=None, residents_75plus=None)
    result = compute_coverage(*frames_builder(**specs), zoo_params, categories=zoo_categories)
    w1 = result.wards.set_index("code").loc["W1"]
    # A2's gap score is unknown, so W1's is A1's alone, and so are its contributions.
    assert w1[list(CONTRIBUTIONS)].sum() == pytest.approx(w1["gap_score"])


# --- properties -------------------------------------------------------------------------------

CATS = ("cafe", "library", "faith")
maybe = st.one_of(st.none(), st.floats(0, 100))


@st.composite
def towns(draw, *, min_areas: int = 0):
    """Area and asset specs scattered over the zoo's three wards (BNG metres from ORIGIN)."""
    areas = []
    for i in range(draw(st.integers(min_areas, 6))):
        x, y = draw(st.integers(50, 2950)), draw(st.integers(50, 950))
        r50 = draw(st.one_of(st.none(), st.integers(0, 800)))
        areas.append(
            {
                "code": f"A{i}",
                "ward_code": f"W{x // 1000 + 1}",
                "box": (x - 50, y - 50, x + 50, y + 50),
                "pw": draw(st.sampled_from([(x, y), (x, y), None])),
                "residents_50plus": r50,
                "residents_75plus": None if r50 is None else draw(st.integers(0, r50)),
                "idaopi_score": draw(maybe),
                "loneliness": draw(maybe),
                "imd_score": draw(maybe),
            }
        )
    assets = [
        {
            "id": f"s{i:02d}",
            "category": draw(st.sampled_from(CATS)),
            "xy": (draw(st.integers(-200, 3200)), draw(st.integers(-200, 1200))),
        }
        for i in range(draw(st.integers(0, 10)))
    ]
    return areas, assets


@settings(max_examples=25, deadline=None)
@given(town=towns(), data=st.data())
def test_results_do_not_depend_on_row_order(frames_builder, zoo_specs, zoo_params, town, data):
    areas, assets = town
    wards = zoo_specs()["wards"]
    expected = compute_coverage(*frames_builder(areas, assets, wards), zoo_params, categories=CATS)
    shuffled = [data.draw(st.permutations(rows)) for rows in (areas, assets, wards)]
    got = compute_coverage(*frames_builder(*shuffled), zoo_params, categories=CATS)
    pd.testing.assert_frame_equal(got.areas, expected.areas, check_exact=True)
    pd.testing.assert_frame_equal(got.wards, expected.wards, check_exact=True)


@settings(max_examples=25, deadline=None)
@given(
    town=towns(min_areas=1),
    extra=st.tuples(st.sampled_from(CATS), st.integers(-200, 3200), st.integers(-200, 1200)),
)
def test_adding_an_asset_never_lowers_anyones_access(frames_builder, zoo_specs, zoo_params, town, extra):
    areas, assets = town
    wards = zoo_specs()["wards"]
    before = compute_coverage(*frames_builder(areas, assets, wards), zoo_params, categories=CATS).areas
    added = [*assets, {"id": "zz", "category": extra[0], "xy": extra[1:]}]
    after = compute_coverage(*frames_builder(areas, added, wards), zoo_params, categories=CATS).areas
    for cat in (*CATS, "any"):
        assert (after[f"dist_m_{cat}"] <= before[f"dist_m_{cat}"]).all()
        assert (after[f"n_within_{cat}"] >= before[f"n_within_{cat}"]).all()
    assert (after["fca_per_1000"] >= before["fca_per_1000"] * (1 - 1e-12)).all()


@settings(max_examples=25, deadline=None)
@given(town=towns())
def test_shares_scores_and_counts_stay_in_range(frames_builder, zoo_specs, zoo_params, town):
    result = compute_coverage(*frames_builder(*town, zoo_specs()["wards"]), zoo_params, categories=CATS)
    areas, wards = result.areas, result.wards
    counts = [c for c in areas if c.startswith("n_within_")]
    assert (areas[counts] >= 0).all().all()
    assert (wards.filter(regex="^n_assets") >= 0).all().all()
    assert (areas["fca_per_1000"] >= 0).all()
    unit = pd.concat(
        [
            areas.filter(regex="^(s_|deficit_|need_index|gap_score)"),
            wards.filter(regex="^(share_50plus_within_|need_index|gap_score)"),
        ]
    )
    assert ((unit >= -1e-12) & (unit <= 1 + 1e-12) | unit.isna()).all().all()


@settings(max_examples=25, deadline=None)
@given(town=towns())
def test_contributions_add_up_to_the_gap_score(frames_builder, zoo_specs, zoo_params, town):
    result = compute_coverage(*frames_builder(*town, zoo_specs()["wards"]), zoo_params, categories=CATS)
    areas = result.areas[result.areas["gap_score"].notna()]
    assert areas[list(CONTRIBUTIONS)].sum(axis=1).to_numpy() == pytest.approx(areas["gap_score"].to_numpy())
    # Ward means of the contributions add up too, also when some areas have no gap score.
    wards = result.wards[result.wards["gap_score"].notna()]
    assert wards[list(CONTRIBUTIONS)].sum(axis=1).to_numpy() == pytest.approx(wards["gap_score"].to_numpy())
