"""Suggest the best k new sites (assetmap.planner.sites), checked by hand on the street and against
brute force: every set of k candidates placed with :func:`what_if`, the real engine counting."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from assetmap.coverage import compute_coverage
from assetmap.errors import InvalidInput
from assetmap.planner import SiteParams, suggest_sites, what_if
from tests.planner.conftest import STREET_CATEGORIES, WALK, coverage_frames

BUILDINGS = ("community_centre", "faith", "library")


def ask(**kw) -> SiteParams:
    return SiteParams(**{"building_categories": BUILDINGS, **kw})


def test_street_libraries_by_hand(street, street_coverage):
    areas, assets, _ = street
    one = suggest_sites(street_coverage, areas, assets, WALK, ask(category="library", k=1))
    # Without a library in reach: S1-S4 (S5 has nobody aged 50+). The hall is 150 m from S4 (500).
    assert [s.ref for s in one.sites] == ["hall1"]
    site = one.sites[0]
    assert (site.kind, site.name, site.category, site.ward_code, site.ward_name) == (
        "building",
        "East Hall",
        "community_centre",
        "W2",
        "East",
    )
    assert site.areas == ("S4",) and site.residents_50plus == 500
    assert (
        site.why
        == "within 10 minutes' walk of 1 small area with no Library asset yet: 500 residents aged 50+"
    )
    assert (one.residents_without, one.areas_without, one.n_candidates) == (1400, 4, 4)
    assert one.status == "optimal" and one.optimal
    two = suggest_sites(street_coverage, areas, assets, WALK, ask(category="library", k=3))
    # St Anne's reaches S3 (400); nothing else reaches S1 or S2, so only two sites add anyone.
    assert [s.ref for s in two.sites] == ["hall1", "church1"] and two.residents_50plus == 900


def test_area_candidates(street, street_coverage):
    areas, assets, _ = street
    found = suggest_sites(
        street_coverage, areas, assets, WALK, ask(category="library", k=2, candidates="areas")
    )
    assert [(s.kind, s.ref, s.category) for s in found.sites] == [("area", "S4", None), ("area", "S3", None)]
    assert found.residents_50plus == 900 and found.n_candidates == 6


def test_nothing_to_gain(street):
    areas, assets, wards = street
    everywhere = what_if(areas, assets, wards, WALK, _points_at(areas, list(areas["code"]), "library"))
    found = suggest_sites(everywhere.after, areas, assets, WALK, ask(category="library", k=2))
    assert found.sites == () and found.residents_50plus == 0 and found.areas_without == 0
    assert found.status == "optimal"


def test_suggestions_match_brute_force_and_what_if():
    rng = np.random.default_rng(11)
    n = 12
    area_specs = [
        {
            "code": f"R{i:02d}",
            "ward_code": "W1",
            "xy": tuple(rng.uniform(0, 1500, 2)),
            "residents_50plus": int(rng.integers(0, 400)),
        }
        for i in range(n)
    ]
    asset_specs = [
        {"id": f"a{i}", "category": str(c), "xy": tuple(rng.uniform(0, 1500, 2))}
        for i, c in enumerate(rng.choice(["faith", "community_centre", "library", "cafe"], size=10))
    ]
    frames = coverage_frames(
        area_specs, asset_specs, [{"code": "W1", "name": "All", "box": (-500, -500, 2000, 2000)}]
    )
    areas, assets, wards = frames
    coverage = compute_coverage(*frames, WALK, categories=STREET_CATEGORIES)
    for candidates in ("buildings", "areas"):
        found = suggest_sites(coverage, areas, assets, WALK, ask(category="cafe", k=2, candidates=candidates))
        points = _candidate_points(areas, assets, candidates)
        best = max(
            what_if(*frames, WALK, [points[i], points[j]], baseline=coverage).city["new_50plus_cafe"]
            for i, j in itertools.combinations(range(len(points)), 2)
        )
        assert found.residents_50plus == pytest.approx(best)
        assert best > 0
        placed = what_if(*frames, WALK, found.points(), baseline=coverage)
        assert placed.city["new_50plus_cafe"] == pytest.approx(found.residents_50plus)
        assert sum(s.residents_50plus for s in found.sites) == pytest.approx(found.residents_50plus)
        assert len({a for s in found.sites for a in s.areas}) == sum(len(s.areas) for s in found.sites)


def test_to_rows(street, street_coverage):
    areas, assets, _ = street
    rows = suggest_sites(street_coverage, areas, assets, WALK, ask(category="library", k=2)).to_rows()
    assert [(r["rank"], r["ref"], r["residents_50plus"], r["areas"]) for r in rows] == [
        (1, "hall1", 500.0, "S4"),
        (2, "church1", 400.0, "S3"),
    ]
    assert rows[0]["category"] == "library" and rows[0]["building_category"] == "community_centre"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"category": "castle"}, "category: expected a category counted by coverage (bench, "),
        ({"category": "bus_stop"}, "category: expected a category counted by coverage"),
        ({"k": 0}, "k: expected a whole number from 1 to 10, got 0"),
        ({"k": 11}, "k: expected a whole number from 1 to 10, got 11"),
        ({"candidates": "parks"}, "candidates: expected one of buildings, areas, got 'parks'"),
        (
            {"building_categories": ("castle",)},
            "building_categories: expected a category counted by coverage",
        ),
        (
            {"building_categories": "faith"},
            "building_categories: expected a list of categories, got 'faith'",
        ),
        ({"building_categories": ()}, "building_categories: at least one category is needed"),
        ({"time_limit_s": -1}, "time_limit_s: expected a number of seconds more than 0 to 600, got -1"),
    ],
)
def test_invalid_parameters(change, message):
    with pytest.raises(InvalidInput) as caught:
        SiteParams(**{"category": "library", "building_categories": BUILDINGS, **change})
    assert caught.value.message.startswith(message)


def test_category_not_measured(street, street_coverage):
    areas, assets, _ = street
    with pytest.raises(InvalidInput, match="category: 'park' is not measured by this coverage"):
        suggest_sites(street_coverage, areas, assets, WALK, ask(category="park"))


def _points_at(areas, codes, category):
    rows = areas.set_index("code").loc[codes]
    return [(float(r.pw_lon), float(r.pw_lat), category) for r in rows.itertuples()]


def _candidate_points(areas, assets, candidates):
    if candidates == "areas":
        return [(float(r.pw_lon), float(r.pw_lat), "cafe") for r in areas.itertuples()]
    buildings = assets[assets["category"].isin(BUILDINGS)]
    return [(float(p.x), float(p.y), "cafe") for p in buildings.geometry]
