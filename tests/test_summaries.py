"""Ward and city summaries of a coverage result (assetmap.summaries), on a tiny zoo.

Two square wards side by side (about 680 m wide); A1 in the west ward has a bench and a café
within 70 m of its centre; A2 in the east ward has none within reach (the nearest is about 700 m
away); A3 in the east ward has no residents and no need data, so no gap score.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

import pytest
from shapely.geometry import Point, box

from assetmap import summaries, taxonomy
from assetmap.coverage import CoverageParams, CoverageResult, compute_coverage
from assetmap.errors import NotFound
from assetmap.frames import areas_frame, assets_frame, wards_frame
from assetmap.models import Asset, SmallArea, Status, Ward

WEST, EAST = box(-1.14, 52.62, -1.13, 52.63), box(-1.13, 52.62, -1.12, 52.63)


def _area(code: str, ward: str, shape, point, **measures) -> SmallArea:
    return SmallArea(code, f"Area {code}", "lsoa11", ward, shape, point, **measures)


def _asset(category: str, name: str, lon: float, lat: float, **fields) -> Asset:
    return Asset(category, name, lon, lat, id=f"{category}-{name}", **fields)


NEED = {
    "residents_total": 1000,
    "residents_50plus": 400,
    "residents_65plus": 200,
    "residents_75plus": 80,
    "imd_score": 30.0,
    "imd_decile": 2,
    "idaopi_score": 0.3,
    "loneliness": 25.0,
}
AREAS = [
    _area("A1", "W1", WEST, Point(-1.135, 52.625), **NEED),
    _area("A2", "W2", box(-1.13, 52.625, -1.12, 52.63), Point(-1.125, 52.6275), **NEED),
    _area("A3", "W2", box(-1.13, 52.62, -1.12, 52.625), Point(-1.125, 52.6225)),
]
VERIFIED = datetime(2024, 5, 1, tzinfo=UTC)
CHECKED = {"status": Status.VERIFIED, "last_verified_at": VERIFIED, "licence": "OGL"}
ASSETS = [
    _asset("bench", "Bench", -1.1355, 52.6255, **CHECKED),
    _asset("cafe", "Café", -1.1345, 52.6245, **CHECKED),
]


@pytest.fixture(scope="module")
def result() -> CoverageResult:
    wards = wards_frame([Ward("W1", "West", WEST), Ward("W2", "East", EAST)])
    return compute_coverage(areas_frame(AREAS), assets_frame(ASSETS), wards, CoverageParams())


def test_city_figures_are_defined_as_the_ward_figures(result):
    city = summaries.city_figures(result)
    assert city["residents_50plus"] == 400  # average ward: (400 + 400) / 2
    assert city["n_assets"] == 1  # average ward: (2 + 0) / 2
    assert city["assets_per_1000_50plus"] == pytest.approx(2.5)  # 2 assets per 800 residents 50+
    assert city["share_50plus_within_any"] == pytest.approx(0.5)  # A1's 400 of 800
    w1_gap, w2_gap = result.wards.set_index("code")["gap_score"]
    assert city["gap_score"] == pytest.approx((w1_gap + w2_gap) / 2)  # equal residents, A3 has none


def test_headline_figures_for_a_ward(result):
    figures = {f.key: f for f in summaries.headline_figures(result, "W1", minutes=10)}
    assert figures["n_assets"].ward == 2 and figures["n_assets"].city == 1
    assert figures["share_50plus_within_any"].ward_text == "100%"
    assert figures["share_50plus_within_any"].city_text == "50%"
    assert "10 minutes" in figures["share_50plus_within_any"].label
    assert figures["residents_50plus"].city_basis == "average ward"
    assert figures["gap_score"].city_basis == "whole city"


def test_category_rows_follow_the_taxonomy(result):
    rows = summaries.category_rows(result, "W1")
    assert [r.category for r in rows] == taxonomy.asset_categories()
    by_id = {r.category: r for r in rows}
    assert by_id["bench"].count == 1 and by_id["bench"].label == "Bench"
    assert by_id["cafe"].per_1000 == pytest.approx(2.5)  # 1 per 400 aged 50+
    assert by_id["cafe"].city_per_1000 == pytest.approx(1.25)  # 1 per 800
    assert by_id["library"].count == 0 and by_id["library"].share_within == 0
    assert sum(r.count for r in summaries.category_rows(result, "W2")) == 0


def test_ranked_areas_put_the_largest_gap_first_and_missing_last(result):
    ranked = summaries.ranked_areas(result)
    assert ranked["code"].tolist() == ["A2", "A1", "A3"]
    assert ranked["ward_name"].tolist() == ["East", "West", "East"]
    assert ranked["gap_rank"].iloc[0] == 1 and math.isnan(ranked["gap_score"].iloc[2])
    contributions = ranked[[f"c_{f}" for f in summaries.CONTRIBUTION_FACTORS]].sum(axis=1)
    assert contributions.iloc[:2].tolist() == pytest.approx(ranked["gap_score"].iloc[:2].tolist())


def test_ranked_wards(result):
    ranked = summaries.ranked_wards(result)
    assert ranked["code"].tolist() == ["W2", "W1"]
    assert {"why", "c_distance", "share_50plus_within_any"} <= set(ranked.columns)


def test_underserved_areas_are_the_wards_own_with_a_score(result):
    rows = summaries.underserved_areas(result, "W2")
    assert [r.code for r in rows] == ["A2"]  # A3 has no gap score
    assert rows[0].walk_min_any is not None and rows[0].walk_min_any > 10
    assert rows[0].n_within_any == 0 and rows[0].gap_rank == 1
    assert rows[0].why.startswith("walk to the nearest asset")
    assert summaries.underserved_areas(result, "W1", top=0) == ()


def test_unknown_ward_is_not_found(result):
    with pytest.raises(NotFound, match="no ward with code 'W9'"):
        summaries.ward_summary(result, "W9", assets=[], params=CoverageParams(), generated=date(2025, 1, 1))


def test_asset_rows_leave_out_merged_and_context_and_sort_by_taxonomy():
    assets = [
        _asset("cafe", "zebra café", 0, 0, status=Status.REPORTED),
        _asset("bench", "Bench", 0, 0, subcategory="memorial_bench", status=Status.STALE),
        _asset("cafe", "Annie's", 0, 0, status=Status.VERIFIED, last_verified_at=VERIFIED),
        _asset("cafe", "Old copy", 0, 0, status=Status.MERGED),
        _asset("bus_stop", "Stop", 0, 0, status=Status.VERIFIED),
    ]
    rows = summaries.asset_rows(assets)
    assert [r.name for r in rows] == ["Bench", "Annie's", "zebra café"]
    assert rows[0].subcategory_label == "Memorial bench" and rows[0].status == "stale"
    assert rows[1].category_label == "Café" and rows[1].last_verified == date(2024, 5, 1)
    assert rows[2].last_verified is None


def test_licence_notes_key_the_most_common_first():
    rows = summaries.asset_rows(
        [
            _asset("cafe", "a", 0, 0, licence="ODbL"),
            _asset("cafe", "b", 0, 0, licence="OGL"),
            _asset("cafe", "c", 0, 0, licence="OGL"),
            _asset("cafe", "d", 0, 0, licence="  "),
        ]
    )
    keyed, notes = summaries.licence_notes(rows)
    assert [(n.key, n.text, n.count) for n in notes] == [
        ("L1", "OGL", 2),
        ("L2", "ODbL", 1),
        ("L3", "not recorded", 1),
    ]
    assert [r.licence_key for r in keyed] == ["L2", "L1", "L1", "L3"]


def test_ward_summary_puts_it_together(result):
    stamp = datetime(2025, 3, 2, 10, 0, tzinfo=UTC)
    assets = [*ASSETS, _asset("cafe", "Gone", 0, 0, status=Status.MERGED, updated_at=stamp)]
    assets[0] = Asset(**{**assets[0].__dict__, "updated_at": datetime(2025, 2, 1, tzinfo=UTC)})
    summary = summaries.ward_summary(
        result, "W1", assets=assets, params=CoverageParams(minutes=12), generated=date(2025, 4, 1)
    )
    assert (summary.name, summary.gap_rank, summary.n_wards, summary.n_areas) == ("West", 2, 2, 1)
    assert summary.minutes == 12 and summary.detour_factor == 1.3
    assert [a.name for a in summary.assets] == ["Bench", "Café"]
    assert summary.data_as_of == date(2025, 2, 1)  # the merged asset's later change does not count
    assert summary.verified == (date(2024, 5, 1), date(2024, 5, 1))
    assert [(n.text, n.count) for n in summary.licences] == [("OGL", 2)]
    assert any("Indices of Deprivation 2019" in source for _, source, _ in summary.sources)


def test_empty_and_missing_values():
    assert summaries.data_as_of([]) is None and summaries.verified_range([]) is None
    assert summaries.format_value(math.inf, "minutes") == "–"
    assert summaries.format_value(float("nan"), "score") == "–"
    assert summaries.format_value(0.0, "share") == "0%"
