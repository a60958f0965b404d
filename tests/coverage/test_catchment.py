"""Two-step floating catchment (assetmap.coverage.catchment), by hand and against PySAL ``access``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assetmap.coverage import CoverageParams, compute_coverage
from assetmap.coverage.catchment import two_step_fca
from assetmap.coverage.distance import Pairs


def _pairs(demand: list[int], supply: list[int], cost: list[float]) -> Pairs:
    return Pairs(np.array(demand, dtype=np.intp), np.array(supply, dtype=np.intp), np.array(cost, float))


def test_two_step_fca_shares_an_asset_between_the_areas_that_reach_it():
    # Areas of 100 and 300 people both reach asset 0: R0 = 1 / 400. Area 0 also reaches asset 1
    # alone: R1 = 1 / 100. A0 = 1/400 + 1/100 = 0.0125; A1 = 1/400 = 0.0025. Area 2 reaches nothing.
    pairs = _pairs([0, 0, 1], [0, 1, 0], [5.0, 7.5, 7.5])
    fca = two_step_fca(pairs, np.array([100.0, 300.0, 50.0]), np.ones(2), cost=pairs.metres, max_cost=10.0)
    assert fca.tolist() == pytest.approx([0.0125, 0.0025, 0.0])


def test_two_step_fca_catchment_includes_cost_equal_to_max_cost():
    pairs = _pairs([0, 1], [0, 0], [10.0, 10.000001])
    # Only area 0 is in: R0 = 1 / 100.
    assert two_step_fca(
        pairs, np.array([100.0, 100.0]), np.ones(1), cost=pairs.metres, max_cost=10.0
    ).tolist() == [
        0.01,
        0.0,
    ]


def test_two_step_fca_weights_by_supply():
    pairs = _pairs([0, 1], [0, 0], [1.0, 1.0])
    # Capacity 3 shared by 100 + 200 people: 3 / 300 each.
    assert two_step_fca(
        pairs, np.array([100.0, 200.0]), np.array([3.0]), cost=pairs.metres, max_cost=5.0
    ) == (pytest.approx([0.01, 0.01]))


def test_asset_whose_catchment_has_no_residents_adds_nothing():
    # Asset 0 reaches only an empty area (PySAL would give it 1 / 0 = inf); asset 1 serves area 1.
    pairs = _pairs([0, 1], [0, 1], [1.0, 1.0])
    fca = two_step_fca(pairs, np.array([0.0, 50.0]), np.ones(2), cost=pairs.metres, max_cost=5.0)
    assert fca.tolist() == [0.0, 0.02]


def test_two_step_fca_with_no_pairs_is_zero_everywhere():
    empty = _pairs([], [], [])
    assert two_step_fca(
        empty, np.array([10.0, 20.0]), np.ones(3), cost=empty.metres, max_cost=5.0
    ).tolist() == [
        0.0,
        0.0,
    ]


@st.composite
def catchments(draw):
    n_demand, n_supply = draw(st.integers(1, 8)), draw(st.integers(0, 8))
    links = draw(
        st.lists(
            st.tuples(st.integers(0, n_demand - 1), st.integers(0, max(n_supply - 1, 0)), st.floats(0, 20)),
            max_size=30 if n_supply else 0,
            unique_by=lambda t: t[:2],
        )
    )
    links.sort()
    demand = np.array(draw(st.lists(st.integers(0, 1000), min_size=n_demand, max_size=n_demand)), float)
    supply = np.array(draw(st.lists(st.integers(1, 5), min_size=n_supply, max_size=n_supply)), float)
    pairs = _pairs([d for d, _, _ in links], [s for _, s, _ in links], [c for _, _, c in links])
    return pairs, demand, supply


@settings(max_examples=100, deadline=None)
@given(catchments())
def test_two_step_fca_hands_out_exactly_the_supply_that_has_residents_in_reach(case):
    pairs, demand, supply = case
    fca = two_step_fca(pairs, demand, supply, cost=pairs.metres, max_cost=10.0)
    assert (fca >= 0).all()
    inside = pairs.metres <= 10.0
    reached = np.bincount(pairs.supply[inside], weights=demand[pairs.demand[inside]], minlength=len(supply))
    # sum_i P_i A_i = sum_j S_j over assets with anyone in their catchment (Luo & Wang 2003).
    assert (demand * fca).sum() == pytest.approx(supply[reached > 0].sum())


@settings(max_examples=100, deadline=None)
@given(catchments(), st.data())
def test_adding_an_asset_never_lowers_access(case, data):
    pairs, demand, supply = case
    before = two_step_fca(pairs, demand, supply, cost=pairs.metres, max_cost=10.0)
    reach = data.draw(
        st.lists(
            st.tuples(st.integers(0, len(demand) - 1), st.floats(0, 20)),
            unique_by=lambda t: t[0],
            max_size=len(demand),
        )
    )
    new = len(supply)
    grown = _pairs(
        [*pairs.demand, *(d for d, _ in reach)],
        [*pairs.supply, *([new] * len(reach))],
        [*pairs.metres, *(c for _, c in reach)],
    )
    after = two_step_fca(grown, demand, np.append(supply, 1.0), cost=grown.metres, max_cost=10.0)
    assert (after >= before - 1e-12).all()


def _pysal_fca(baselines, areas, counted, metres, params) -> pd.Series:
    i, j = np.indices(metres.shape)
    cost = pd.DataFrame(
        {
            "origin": areas["code"].to_numpy()[i.ravel()],
            "dest": counted["id"].to_numpy()[j.ravel()],
            "cost": params.walk_minutes(metres.ravel()),
        }
    )
    demand = pd.Series(areas["residents_50plus"].to_numpy(float), index=areas["code"].to_numpy())
    supply = pd.Series(1.0, index=counted["id"].to_numpy())
    return baselines.pysal_two_stage_fca(cost, demand, supply, max_cost=params.minutes)


@pytest.mark.e2e
def test_matches_pysal_access_on_leicester(leicester, leicester_metres, baselines):
    areas, assets, wards = leicester
    metres, counted = leicester_metres
    params = CoverageParams()
    ours = compute_coverage(areas, assets, wards, params).areas.set_index("code").loc[areas["code"]]
    theirs = _pysal_fca(baselines, areas, counted, metres, params)
    # PySAL leaves out an area with no asset within reach (NaN); the 2SFCA sum over no assets is 0.
    assert theirs.isna().to_numpy().tolist() == (ours["n_within_any"] == 0).to_numpy().tolist()
    theirs = theirs.fillna(0.0)
    assert len(theirs) == 192
    assert ours["fca_per_1000"].to_numpy() == pytest.approx(theirs.to_numpy() * 1000.0, rel=1e-9, abs=1e-9)


def test_matches_pysal_access_on_the_zoo(zoo, zoo_result, zoo_params, zoo_categories, baselines):
    areas, assets, _ = zoo
    counted = assets[assets["category"].isin(zoo_categories)].reset_index(drop=True)
    # Dense metres between the zoo's BNG offsets (conftest): pw points and asset points.
    pw = np.array([[250, 250], [750, 250], [1250, 250], [1750, 250]], float)
    xy = np.array(
        [[250, 550], [750, 630], [1250, 600], [1750, 570], [2500, 500], [450, 250], [250, -160]], float
    )
    assert counted["id"].tolist() == ["s1", "s2", "s3", "s4", "s5", "s6", "s7"]
    metres = np.hypot(pw[:, None, 0] - xy[None, :, 0], pw[:, None, 1] - xy[None, :, 1])
    theirs = _pysal_fca(baselines, areas, counted, metres, zoo_params)
    ours = zoo_result.areas.set_index("code")["fca_per_1000"]
    assert ours[["A1", "A2", "A3"]].to_numpy() == pytest.approx(
        theirs[["A1", "A2", "A3"]].to_numpy() * 1000.0
    )
    # s4 reaches only A4, which has no residents: PySAL divides by zero (inf); the engine counts it as 0.
    assert theirs["A4"] == np.inf
    assert ours["A4"] == 0.0
