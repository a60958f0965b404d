"""The planner end to end on the real Leicester pack (192 LSOAs, 21 wards), against independent checks.

Distances here are measured afresh with GeoPandas (pw points to British National Grid), not with the
planner's own code; spopt's maximal covering model checks the objective without a separation.
"""

from __future__ import annotations

import csv
import itertools

import geopandas as gpd
import numpy as np
import pulp
import pytest

from assetmap.config import PROJECT_ROOT, load_config
from assetmap.coverage import CoverageParams, compute_coverage
from assetmap.geo import BNG, WGS84
from assetmap.planner import PilotParams, PlanInfeasible, SiteParams, select_pilots, suggest_sites, what_if

pytestmark = pytest.mark.e2e

CONFIG = load_config()
WALK = CoverageParams.from_config(CONFIG)


@pytest.fixture(scope="module")
def city(leicester):
    areas, assets, wards = leicester
    coverage = compute_coverage(areas, assets, wards, WALK, asset_ward_column="ward_code")
    metres = gpd.GeoSeries(gpd.points_from_xy(areas["pw_lon"], areas["pw_lat"]), crs=WGS84).to_crs(BNG)
    xy = np.column_stack([metres.x, metres.y])
    apart = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    return areas, assets, wards, coverage, apart


@pytest.fixture(scope="module")
def programme() -> list[str]:
    with (PROJECT_ROOT / "data" / "programme" / "connector_wards.csv").open(encoding="utf-8") as fh:
        return [row["ward_code"] for row in csv.DictReader(fh)]


def _index(areas, codes):
    position = {c: i for i, c in enumerate(areas["code"])}
    return [position[c] for c in codes]


def test_five_pilots_two_km_apart_proven_optimal(city):
    areas, _, _, coverage, apart = city
    plan = select_pilots(coverage, areas, PilotParams.from_config(CONFIG, k=5, min_separation_m=2000.0))
    assert len(plan.portfolios) == 1 + CONFIG["PLANNER_ALTERNATIVES"] >= 4
    assert all(p.status == "optimal" and p.optimal for p in plan.portfolios)
    portfolios = [frozenset(p.code for p in portfolio.picks) for portfolio in plan.portfolios]
    assert len(set(portfolios)) == len(portfolios) and all(len(p) == 5 for p in portfolios)
    objectives = [p.objective for p in plan.portfolios]
    assert objectives == sorted(objectives, reverse=True)
    for portfolio in portfolios:
        chosen = _index(areas, portfolio)
        assert min(apart[a, b] for a, b in itertools.combinations(chosen, 2)) >= 2000.0 - 1e-3
    best = plan.best
    assert best.residents_50plus > 0 and sum(p.value for p in best.picks) == pytest.approx(best.objective)
    for pick in best.picks:
        others = [i for i in _index(areas, portfolios[0]) if i != _index(areas, [pick.code])[0]]
        assert pick.nearest_pilot_km == pytest.approx(
            apart[_index(areas, [pick.code])[0], others].min() / 1000
        )


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # spopt builds its PuLP model the PuLP 3 way
def test_without_separation_the_objective_is_spopts(city):
    from spopt.locate import MCLP

    areas, _, _, coverage, apart = city
    plan = select_pilots(coverage, areas, PilotParams.from_config(CONFIG, k=5, alternatives=0))
    weights = (coverage.areas["residents_50plus"] * coverage.areas["gap_score"]).fillna(0).to_numpy()
    model = MCLP.from_cost_matrix(apart, weights, service_radius=CONFIG["PLANNER_REACH_M"], p_facilities=5)
    model.solve(pulp.COIN_CMD(path=pulp.PULP_CBC_CMD.pulp_cbc_path, msg=False))
    assert plan.best.objective == pytest.approx(pulp.value(model.problem.objective), rel=1e-9)


def test_programme_wards_fixed_and_excluded(city, programme):
    areas, _, _, coverage, apart = city
    in_programme = np.flatnonzero(coverage.areas["ward_code"].isin(programme).to_numpy())
    fixed = select_pilots(
        coverage,
        areas,
        PilotParams.from_config(CONFIG, k=5, min_separation_m=2000.0, programme_mode="fixed", alternatives=0),
        programme_wards=programme,
    )
    assert {p.code for p in fixed.fixed} == set(coverage.areas["code"].to_numpy()[in_programme])
    chosen = _index(areas, [p.code for p in fixed.best.picks])
    assert apart[np.ix_(chosen, in_programme)].min() >= 2000.0 - 1e-3
    assert fixed.best.status == "optimal"
    excluded = select_pilots(
        coverage,
        areas,
        PilotParams.from_config(
            CONFIG, k=5, min_separation_m=2000.0, programme_mode="exclude", alternatives=0
        ),
        programme_wards=programme,
    )
    assert not {p.ward_code for p in excluded.best.picks} & set(programme)
    assert not {a for p in excluded.best.picks for a in p.areas} & set(
        coverage.areas["code"].iloc[in_programme]
    )


def test_wards_not_adjacent(city):
    areas, _, wards, coverage, _ = city
    plan = select_pilots(
        coverage, areas, PilotParams.from_config(CONFIG, k=5, level="ward", no_adjacent=True)
    )
    polygons = wards.set_index("code").geometry
    for portfolio in plan.portfolios:
        codes = [p.code for p in portfolio.picks]
        assert not any(polygons[a].intersects(polygons[b]) for a, b in itertools.combinations(codes, 2))


def test_too_many_pilots_too_far_apart(city):
    areas, _, _, coverage, apart = city
    with pytest.raises(PlanInfeasible) as caught:
        select_pilots(coverage, areas, PilotParams.from_config(CONFIG, k=10, min_separation_m=4000.0))
    error = caught.value
    assert 1 <= error.max_k < 10 and error.max_separation_m is not None and error.max_separation_m < 4000
    assert (
        f"at most {error.max_k} pilots can be 4 km apart; lower k to {error.max_k} or the separation to"
        in (error.message)
    )
    # Both relaxations work, and neither can be pushed further.
    ok = select_pilots(
        coverage, areas, PilotParams.from_config(CONFIG, k=error.max_k, min_separation_m=4000.0)
    )
    assert ok.best.optimal
    at = select_pilots(
        coverage, areas, PilotParams(k=10, min_separation_m=error.max_separation_m, alternatives=0)
    )
    chosen = _index(areas, [p.code for p in at.best.picks])
    assert min(apart[a, b] for a, b in itertools.combinations(chosen, 2)) == pytest.approx(
        error.max_separation_m
    )
    with pytest.raises(PlanInfeasible):
        select_pilots(coverage, areas, PilotParams(k=10, min_separation_m=error.max_separation_m + 0.01))


def test_suggested_libraries_bring_in_what_they_say(city):
    areas, assets, wards, coverage, _ = city
    found = suggest_sites(
        coverage, areas, assets, WALK, SiteParams.from_config(CONFIG, category="library", k=3)
    )
    assert found.optimal and len(found.sites) == 3 and found.residents_50plus > 0
    assert {s.category for s in found.sites} <= set(CONFIG["PLANNER_SITE_CATEGORIES"])
    change = what_if(
        areas, assets, wards, WALK, found.points(), baseline=coverage, asset_ward_column="ward_code"
    )
    assert change.city["new_50plus_library"] == pytest.approx(found.residents_50plus)
    new = [c for c in change.areas.columns if c.startswith("new_50plus_")]
    assert (change.areas[new].to_numpy() >= 0).all()
    assert change.wards["new_50plus_library"].sum() == pytest.approx(found.residents_50plus)
