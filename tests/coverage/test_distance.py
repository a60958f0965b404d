"""Nearest assets and assets within reach (assetmap.coverage.distance)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from assetmap import taxonomy
from assetmap.coverage import CoverageParams, compute_coverage
from assetmap.coverage.distance import Pairs, count_by_group, nearest_by_group, pairs_within, reach_by_group

DEMAND = np.array([[0.0, 0.0], [100.0, 0.0]])
SUPPLY = np.array([[3.0, 4.0], [30.0, 40.0], [100.0, 60.0], [160.0, 80.0]])
GROUP = np.array(["cafe", "cafe", "library", "library"], dtype=object)


def test_pairs_within_keeps_pairs_up_to_and_including_the_radius():
    pairs = pairs_within(DEMAND, SUPPLY, 50.0)
    # (0,0): s0 at 5 m, s1 at 50 m (exactly the radius: kept), s2 at 116.6 m.
    # (100,0): s1 at hypot(70, 40) = 80.6 m, s2 at 60 m, s3 at 100 m: none within 50 m.
    assert pairs.demand.tolist() == [0, 0]
    assert pairs.supply.tolist() == [0, 1]
    assert pairs.metres.tolist() == pytest.approx([5.0, 50.0])


def test_pairs_within_sorts_by_demand_then_supply():
    pairs = pairs_within(DEMAND, SUPPLY, 120.0)
    # (0,0): s0 5, s1 50, s2 hypot(100, 60) = 116.62; (100,0): s0 hypot(97, 4) = 97.08, s1 80.62,
    # s2 60, s3 100.
    assert list(zip(pairs.demand.tolist(), pairs.supply.tolist(), strict=True)) == [
        (0, 0),
        (0, 1),
        (0, 2),
        (1, 0),
        (1, 1),
        (1, 2),
        (1, 3),
    ]
    assert pairs.metres == pytest.approx([5.0, 50.0, 116.619038, 97.082439, 80.622577, 60.0, 100.0])


@pytest.mark.parametrize(("demand", "supply"), [(np.empty((0, 2)), SUPPLY), (DEMAND, np.empty((0, 2)))])
def test_pairs_within_empty_input_gives_no_pairs(demand, supply):
    pairs = pairs_within(demand, supply, 1000.0)
    assert len(pairs.demand) == len(pairs.supply) == len(pairs.metres) == 0
    assert pairs.demand.dtype == np.intp


def test_nearest_by_group_per_group_and_inf_for_an_empty_group():
    out = nearest_by_group(DEMAND, SUPPLY, GROUP, ["cafe", "library", "park"])
    # cafe: (0,0) -> s0 5 m; (100,0) -> s1 80.62 m. library: (0,0) -> s2 116.62 m; (100,0) -> s2 60 m.
    assert out[:, 0] == pytest.approx([5.0, 80.622577])
    assert out[:, 1] == pytest.approx([116.619038, 60.0])
    assert np.isinf(out[:, 2]).all()


def test_nearest_by_group_with_no_demand_points():
    assert nearest_by_group(np.empty((0, 2)), SUPPLY, GROUP, ["cafe"]).shape == (0, 1)


def test_count_by_group_ignores_groups_not_asked_for():
    pairs = Pairs(np.array([0, 0, 1, 1, 1]), np.array([0, 2, 1, 2, 3]), np.zeros(5))
    counts = count_by_group(pairs, 3, GROUP, ["library", "cafe"])
    # Demand 0: s0 cafe, s2 library. Demand 1: s1 cafe, s2 and s3 library. Demand 2: nothing.
    assert counts.tolist() == [[1, 1], [2, 1], [0, 0]]
    assert count_by_group(pairs, 3, GROUP, ["park"]).tolist() == [[0], [0], [0]]


def test_count_by_group_with_no_pairs():
    empty = Pairs(np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp), np.empty(0))
    assert count_by_group(empty, 2, GROUP, ["cafe"]).tolist() == [[0], [0]]


coords = arrays(
    np.float64,
    st.tuples(st.integers(0, 12), st.just(2)),
    elements=st.floats(0, 1000, allow_nan=False).map(round),
)


@settings(max_examples=60, deadline=None)
@given(demand=coords, supply=coords, radius=st.floats(0, 600))
def test_pairs_within_matches_brute_force(demand, supply, radius):
    pairs = pairs_within(demand, supply, radius)
    dist = np.hypot(*(demand[:, None, :] - supply[None, :, :]).transpose(2, 0, 1))
    expected = np.argwhere(dist <= radius)
    assert np.array_equal(np.column_stack([pairs.demand, pairs.supply]).reshape(-1, 2), expected)
    assert pairs.metres == pytest.approx(dist[dist <= radius])


@settings(max_examples=60, deadline=None)
@given(demand=coords, supply=coords, data=st.data())
def test_counts_are_never_negative_and_add_up_to_the_pairs(demand, supply, data):
    groups = np.array(
        data.draw(
            st.lists(
                st.sampled_from(["cafe", "library", "bus_stop"]), min_size=len(supply), max_size=len(supply)
            )
        ),
        dtype=object,
    )
    pairs = pairs_within(demand, supply, 300.0)
    counts = count_by_group(pairs, len(demand), groups, ["cafe", "library"])
    assert (counts >= 0).all()
    assert counts.sum() == np.isin(groups[pairs.supply], ["cafe", "library"]).sum()


@settings(max_examples=60, deadline=None)
@given(
    demand=coords,
    supply=coords,
    radius=st.floats(0, 600),
    workers=st.sampled_from([1, 2, -1]),
    data=st.data(),
)
def test_reach_by_group_is_nearest_by_group_and_pairs_within(demand, supply, radius, workers, data):
    labels = ["cafe", "library", "bus_stop"]
    groups_of = st.lists(st.sampled_from(labels), min_size=len(supply), max_size=len(supply))
    supply_group = np.array(data.draw(groups_of), dtype=object)
    groups = data.draw(st.lists(st.sampled_from(labels[:2]), max_size=3))  # may repeat a group
    nearest, pairs = reach_by_group(demand, supply, supply_group, groups, radius, workers=workers)
    assert np.array_equal(nearest, nearest_by_group(demand, supply, supply_group, groups))
    # The pairs are those of pairs_within among the supply points in the groups, in the same order.
    every = pairs_within(demand, supply, radius)
    keep = np.isin(supply_group[every.supply], groups)
    assert np.array_equal(pairs.demand, every.demand[keep])
    assert np.array_equal(pairs.supply, every.supply[keep])
    assert np.array_equal(pairs.metres, every.metres[keep])
    # Unordered: the same pairs, and the same order every time for the same inputs.
    loose = [
        reach_by_group(demand, supply, supply_group, groups, radius, workers=w, ordered=False) for w in (1, 2)
    ]
    assert all(np.array_equal(n, nearest) for n, _ in loose)
    first, again = (p for _, p in loose)
    for name in ("demand", "supply", "metres"):
        assert np.array_equal(getattr(first, name), getattr(again, name))
    found = sorted(zip(first.demand.tolist(), first.supply.tolist(), first.metres.tolist(), strict=True))
    assert found == list(
        zip(pairs.demand.tolist(), pairs.supply.tolist(), pairs.metres.tolist(), strict=True)
    )


@pytest.mark.e2e
def test_agrees_with_geopandas_on_leicester(leicester, leicester_metres, baselines):
    """Nearest distances equal GeoPandas ``sjoin_nearest``; counts equal buffer + ``sjoin``.

    The buffer is a 64-gon inside the circle, so it can miss an asset less than
    ``radius * (1 - cos(pi / 64))`` (0.56 m) inside the radius; those are the only differences allowed.
    """
    areas, assets, wards = leicester
    metres, counted = leicester_metres
    params = CoverageParams()
    cats = taxonomy.asset_categories()
    ours = compute_coverage(areas, assets, wards, params).areas.set_index("code").loc[areas["code"]]
    theirs = baselines.geopandas_counts_nearest(areas, assets, cats, params).loc[areas["code"]]
    in_band = (metres > params.radius_m * np.cos(np.pi / 64)) & (metres <= params.radius_m)
    for cat in (*cats, "any"):
        assert ours[f"dist_m_{cat}"].to_numpy() == pytest.approx(theirs[f"dist_m_{cat}"].to_numpy(), abs=1e-6)
        members = np.ones(len(counted), bool) if cat == "any" else (counted["category"] == cat).to_numpy()
        missed = (ours[f"n_within_{cat}"] - theirs[f"n_within_{cat}"]).to_numpy()
        assert (missed >= 0).all()
        assert (missed <= in_band[:, members].sum(axis=1)).all(), cat
