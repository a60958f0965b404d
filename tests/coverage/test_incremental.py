"""Incremental coverage updates (assetmap.coverage.incremental): the same frames as a full recompute.

Towns are drawn as in ``test_engine`` (BNG metres from the zoo's ORIGIN; reach 400 m); each test
applies one change (add, move, re-categorise, remove, or a status change, which storage turns into an
add or a remove) and compares :func:`update_coverage` with :func:`compute_coverage` on the new inputs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from assetmap.coverage import CoverageParams, compute_coverage
from assetmap.coverage.incremental import start_coverage, update_coverage
from assetmap.errors import InvalidInput
from assetmap.frames import ASSET_WARD_COLUMN
from tests.coverage.test_engine import CATS, towns

REACH_M = 400.0


def assert_same(got, expected):
    """The same frames, bit for bit (2SFCA's sums added up in the engine's order)."""
    pd.testing.assert_frame_equal(got.areas, expected.areas, check_exact=True)
    pd.testing.assert_frame_equal(got.wards, expected.wards, check_exact=True)
    assert got.categories == expected.categories and got.crs == expected.crs


change = st.one_of(
    st.tuples(st.just("add"), st.sampled_from(CATS), st.integers(-200, 3200), st.integers(-200, 1200)),
    st.tuples(st.just("move"), st.integers(0, 9), st.integers(-200, 3200), st.integers(-200, 1200)),
    st.tuples(st.just("recategorise"), st.integers(0, 9), st.sampled_from(CATS)),
    st.tuples(st.just("remove"), st.integers(0, 9)),
    st.tuples(st.just("close"), st.integers(0, 9)),  # status to one that does not count: gone from the frame
    st.tuples(st.just("reopen"), st.sampled_from(CATS), st.integers(-200, 3200), st.integers(-200, 1200)),
)


def apply(assets: list[dict], step: tuple, *, new_id: str = "s99") -> tuple[list[dict], list[str]]:
    """The asset specs after ``step``, and the ids that changed (``new_id`` if one is added)."""
    assets = [dict(a) for a in assets]
    kind = step[0]
    if kind in ("add", "reopen"):
        return [*assets, {"id": new_id, "category": step[1], "xy": step[2:]}], [new_id]
    if not assets:
        return assets, ["s00"]  # nothing to change: an id that is not there changes nothing
    i = step[1] % len(assets)
    changed = [assets[i]["id"]]
    if kind == "move":
        assets[i]["xy"] = step[2:]
    elif kind == "recategorise":
        assets[i]["category"] = step[2]
    else:
        del assets[i]
    return assets, changed


@settings(max_examples=30, deadline=None)
@given(town=towns(), steps=st.lists(change, min_size=1, max_size=3))
def test_updates_give_the_frames_a_full_recompute_gives(frames_builder, zoo_specs, zoo_params, town, steps):
    areas, assets = town
    wards = zoo_specs()["wards"]
    state = start_coverage(*frames_builder(areas, assets, wards), zoo_params, categories=CATS)
    for n, step in enumerate(steps):  # one change at a time, each update starting from the last
        assets, changed = apply(assets, step, new_id=f"s9{n}")
        frames = frames_builder(areas, assets, wards)
        state = update_coverage(state, *frames, zoo_params, changed=changed)
        assert_same(state.result, compute_coverage(*frames, zoo_params, categories=CATS))


@settings(max_examples=25, deadline=None)
@given(town=towns(min_areas=1), step=change)
def test_only_areas_near_the_change_are_measured_again(frames_builder, zoo_specs, zoo_params, town, step):
    areas, assets = town
    wards = zoo_specs()["wards"]
    state = start_coverage(*frames_builder(areas, assets, wards), zoo_params, categories=CATS)
    after, changed = apply(assets, step)
    new = update_coverage(state, *frames_builder(areas, after, wards), zoo_params, changed=changed)
    # Points of the changed asset, before and after, and each area's distance to the nearer one.
    points = [a["xy"] for a in (*assets, *after) if a["id"] in changed]
    pw = np.array([a["pw"] if a["pw"] is not None else (np.nan, np.nan) for a in areas], float)
    boxes = np.array([a["box"] for a in areas], float)
    centre = np.where(np.isnan(pw), (boxes[:, :2] + boxes[:, 2:]) / 2, pw)  # point_on_surface of a square
    near = (
        np.array([min((np.hypot(*(c - p)) for p in points), default=np.inf) for c in centre]) <= REACH_M + 1.0
    )  # a pw-less area's point is computed in lon/lat: allow a metre
    # Counts and 2SFCA: only areas within reach of the change (a tighter bound than 2 x reach).
    assert set(new.stats.recounted.tolist()) <= set(np.flatnonzero(near).tolist())
    # A category searched again only for the areas whose nearest of it was the changed asset.
    before = state.result.areas
    for i in new.stats.searched.tolist():
        d_old = np.hypot(*(centre[i] - np.array(points[0], float)))
        assert any(before[f"dist_m_{c}"].iloc[i] == pytest.approx(d_old, abs=1.0) for c in CATS)
    # An added asset lowers exactly the nearest distances it is reported to lower.
    if step[0] in ("add", "reopen"):
        dist = [f"dist_m_{c}" for c in CATS]
        went_down = (new.result.areas[dist].to_numpy() < before[dist].to_numpy()).any(axis=1)
        assert new.stats.lowered.tolist() == np.flatnonzero(went_down).tolist()
    assert not new.stats.full


def test_an_update_leaves_the_state_it_was_given_alone(zoo, zoo_params, zoo_categories):
    areas, assets, wards = zoo
    state = start_coverage(areas, assets, wards, zoo_params, categories=zoo_categories)
    before = state.result.areas.copy()
    counts, pairs = state.counts.copy(), state.pair_area.copy()
    update_coverage(state, areas, assets[assets["id"] != "s6"], wards, zoo_params, changed="s6")
    pd.testing.assert_frame_equal(state.result.areas, before)
    assert (state.counts == counts).all() and (state.pair_area == pairs).all()
    assert state.stats is None


def test_no_change_changes_nothing(zoo, zoo_params, zoo_categories):
    state = start_coverage(*zoo, zoo_params, categories=zoo_categories)
    new = update_coverage(state, *zoo, zoo_params, changed=[])
    assert_same(new.result, state.result)
    assert len(new.stats.recounted) == len(new.stats.searched) == len(new.stats.lowered) == 0


def test_other_areas_or_parameters_are_refused(zoo, zoo_params, zoo_categories):
    areas, assets, wards = zoo
    state = start_coverage(areas, assets, wards, zoo_params, categories=zoo_categories)
    with pytest.raises(InvalidInput, match="parameters differ"):
        update_coverage(state, areas, assets, wards, CoverageParams(), changed="s1")
    with pytest.raises(InvalidInput, match="small areas or wards differ"):
        update_coverage(state, areas.iloc[1:], assets, wards, zoo_params, changed="s1")
    with pytest.raises(InvalidInput, match="recompute with compute_coverage"):
        update_coverage(state, areas, assets, wards, zoo_params, changed="s1", network=object())


def test_the_ward_column_storage_records_is_used(frames_builder, zoo_specs, zoo_params, zoo_categories):
    specs = zoo_specs()
    areas, assets, wards = frames_builder(**specs)
    assets[ASSET_WARD_COLUMN] = ["W1", "W1", "W2", "W2", "W3", "W1", None, "W1"]
    state = start_coverage(
        areas, assets, wards, zoo_params, categories=zoo_categories, asset_ward_column=ASSET_WARD_COLUMN
    )
    moved = assets.copy()
    moved.loc[moved["id"] == "s5", ASSET_WARD_COLUMN] = "W2"  # storage re-placed it: trusted as given
    new = update_coverage(state, areas, moved, wards, zoo_params, changed="s5")
    expected = compute_coverage(
        areas, moved, wards, zoo_params, categories=zoo_categories, asset_ward_column=ASSET_WARD_COLUMN
    )
    assert_same(new.result, expected)
    assert new.result.wards.set_index("code")["n_assets_health"].tolist() == [0, 1, 0]


@pytest.mark.e2e
@pytest.mark.parametrize("kind", ["add", "move", "remove", "recategorise"])
def test_leicester_updates_equal_a_full_recompute(leicester, kind):
    areas, assets, wards = leicester
    params = CoverageParams()
    state = start_coverage(areas, assets, wards, params, asset_ward_column=ASSET_WARD_COLUMN)
    cats = state.result.categories
    counted = assets[assets["category"].isin(cats)]
    rng = np.random.default_rng(5)
    after = assets.copy()
    for row in rng.choice(len(counted), size=3, replace=False):  # three changes, one update each
        target = counted.iloc[row]
        if kind == "add":
            after = pd.concat([after, counted.iloc[[row]].assign(id=f"new-{row}")], ignore_index=True)
            changed = f"new-{row}"
        elif kind == "move":
            after.loc[after["id"] == target["id"], "geometry"] = shapely.Point(
                target.geometry.x + 0.002, target.geometry.y - 0.001
            )
            changed = target["id"]
        elif kind == "remove":
            after = after[after["id"] != target["id"]]
            changed = target["id"]
        else:
            other = next(c for c in cats if c != target["category"])
            after.loc[after["id"] == target["id"], "category"] = other
            changed = target["id"]
        state = update_coverage(state, areas, after, wards, params, changed=changed)
        expected = compute_coverage(areas, after, wards, params, asset_ward_column=ASSET_WARD_COLUMN)
        assert_same(state.result, expected)
        assert len(state.stats.recounted) < len(areas) / 2
