"""Coverage after one asset is added, moved, re-categorised or closed, without measuring everything again.

:func:`start_coverage` runs :func:`~assetmap.coverage.engine.compute_coverage` and keeps what a
later update needs (a :class:`CoverageState`: the projected area points, every area-asset pair
within reach, nearest distances, counts and each asset's 2SFCA ratio). :func:`update_coverage`
takes that state, the new asset frame and the ids of the assets that changed, and returns the state
of the new inputs, whose ``result`` is the frames ``compute_coverage`` gives on them
bit for bit (``docs/coverage.md``, "Incremental updates").

Only areas near a change are measured again. A changed asset is removed where it was and added where
it is now; removing touches the areas within reach of the old point (their pairs, counts and 2SFCA)
and the areas whose nearest asset of its category it was (searched again among that category);
adding touches the areas within reach of the new point and lowers the nearest distance wherever the
new point is closer. Another asset's 2SFCA ratio ``R_j`` depends only on the residents within its
own reach, which no asset change alters, so only areas within reach of a changed asset get a new
``fca_per_1000`` value; the areas reaching other assets of a changed category have theirs added up
again, measuring nothing, in the engine's order of addition, so the last bits agree too. Need and
gap scores are percentile ranks over all areas and ward figures are sums
over all areas: both are worked out again over every area (O(n log n), a few milliseconds).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS
from scipy.spatial import cKDTree

from assetmap.coverage.distance import group_positions, reach_by_group
from assetmap.coverage.engine import (
    AREA_INPUT_COLUMNS,
    CoverageResult,
    _Assets,
    _by_code,
    _counted_assets,
    _finish_areas,
    _first_polygon,
    _stable_argsort,
    _to_metres,
    _ward_summary,
    compute_coverage,
    demand_points,
)
from assetmap.coverage.need import need_factors, need_scores
from assetmap.coverage.params import CoverageParams
from assetmap.errors import InvalidInput

if TYPE_CHECKING:
    from assetmap.network import WalkGraph


@dataclass(frozen=True)
class UpdateStats:
    """How much an update measured: the areas whose figures were worked out again.

    ``recounted``: areas within reach of a changed asset's old or new point (pairs, counts and 2SFCA
    recomputed). ``searched``: areas whose nearest asset of a category was a removed or moved one,
    so that category was searched again for them. ``lowered``: areas whose nearest distance the new
    point lowered. ``resummed``: areas whose 2SFCA sum was added up again, measuring nothing, to keep
    the engine's order of addition (every area reaching an asset of a changed category; see
    :func:`_engine_order`). ``full``: the update was a full recompute (there are no small areas, so
    the assets choose the measuring CRS).
    """

    recounted: np.ndarray
    searched: np.ndarray
    lowered: np.ndarray
    resummed: np.ndarray
    full: bool = False


@dataclass
class CoverageState:
    """A coverage result and what :func:`update_coverage` needs to update it.

    Assets live in append-only slots (a removed asset's slot is marked dead); ``pair_*`` are the
    area-asset pairs within reach, grouped by category in the order the engine sums them.
    An update never changes the state it is given: it works on a copy and returns that.
    """

    result: CoverageResult
    params: CoverageParams
    asset_ward_column: str | None
    codes: np.ndarray  # area codes, sorted
    ward_codes: np.ndarray  # ward codes, sorted
    ward_codes_distinct: np.ndarray  # what ``tally`` counts by
    demand_xy: np.ndarray
    demand_rank: np.ndarray  # each area's position in the demand KD-tree's order
    residents: np.ndarray  # residents aged 50+, missing as 0
    point_source: np.ndarray
    need: pd.DataFrame
    slot_of: dict[object, int]
    slot_id: np.ndarray
    slot_xy: np.ndarray
    slot_cat: np.ndarray  # position in the result's categories
    slot_capacity: np.ndarray
    slot_ward: np.ndarray  # position in the distinct ward codes, -1 outside every ward
    alive: np.ndarray
    ratio: np.ndarray  # 2SFCA R_j per slot
    pair_area: np.ndarray
    pair_slot: np.ndarray
    pair_metres: np.ndarray
    nearest: np.ndarray  # (n_areas, n_categories) metres
    counts: np.ndarray  # (n_areas, n_categories)
    fca: np.ndarray  # per resident aged 50+ (not per 1000)
    tally: np.ndarray  # (n_distinct_ward_codes, n_categories) assets per ward code
    stats: UpdateStats | None = None


def start_coverage(
    areas: gpd.GeoDataFrame,
    assets: gpd.GeoDataFrame,
    wards: gpd.GeoDataFrame,
    params: CoverageParams,
    *,
    categories: Sequence[str] | None = None,
    asset_ward_column: str | None = None,
) -> CoverageState:
    """:func:`compute_coverage` (straight lines), and the state :func:`update_coverage` starts from."""
    result = compute_coverage(
        areas, assets, wards, params, categories=categories, asset_ward_column=asset_ward_column
    )
    cats = result.categories
    areas, wards = _by_code(areas), _by_code(wards)
    counted = _counted_assets(assets, cats, ward_column=asset_ward_column)
    order = _stable_argsort(counted.id)
    counted = _Assets(
        counted.id[order],
        counted.category[order],
        counted.points[order],
        counted.capacity[order],
        None if counted.ward_code is None else counted.ward_code[order],
    )
    lon, lat, source = demand_points(areas)
    demand_xy, supply_xy = _to_metres(
        CRS.from_user_input(result.crs), areas["code"].to_numpy(), (lon, lat, source), counted, parallel=False
    )
    # The same search as the engine's, on the same inputs in the same order: the same pairs in the same order.
    nearest, pairs = reach_by_group(
        demand_xy, supply_xy, counted.category, cats, params.reach_m, ordered=False
    )
    residents = areas["residents_50plus"].fillna(0).to_numpy(dtype=float)
    capacity = counted.capacity.astype(float)
    ratio = _ratios(pairs.demand, pairs.supply, residents, capacity)
    fca = np.bincount(pairs.demand, weights=ratio[pairs.supply], minlength=len(areas)).astype(float)
    distinct = pd.unique(wards["code"].to_numpy(dtype=object))
    slot_ward = _wards_of(counted.points, counted.ward_code, wards, distinct)
    cat = group_positions(counted.category, cats)
    tally = np.zeros((len(distinct), len(cats)), dtype=np.int64)
    np.add.at(tally, (slot_ward[slot_ward >= 0], cat[slot_ward >= 0]), 1)
    counts = np.zeros((len(areas), len(cats)), dtype=np.int64)
    np.add.at(counts, (pairs.demand, cat[pairs.supply]), 1)
    return CoverageState(
        result=result,
        params=params,
        asset_ward_column=asset_ward_column,
        codes=areas["code"].to_numpy(dtype=object),
        ward_codes=wards["code"].to_numpy(dtype=object),
        ward_codes_distinct=distinct,
        demand_xy=demand_xy,
        demand_rank=_tree_rank(demand_xy),
        residents=residents,
        point_source=source,
        need=need_scores(need_factors(areas), need_weights=params.need_weights),
        slot_of={a: i for i, a in enumerate(counted.id.tolist())},
        slot_id=counted.id,
        slot_xy=supply_xy,
        slot_cat=cat,
        slot_capacity=capacity,
        slot_ward=slot_ward,
        alive=np.ones(len(counted.id), dtype=bool),
        ratio=ratio,
        pair_area=pairs.demand,
        pair_slot=pairs.supply,
        pair_metres=pairs.metres,
        nearest=nearest,
        counts=counts,
        fca=fca,
        tally=tally,
    )


def update_coverage(
    previous: CoverageState,
    areas: gpd.GeoDataFrame,
    assets_after: gpd.GeoDataFrame,
    wards: gpd.GeoDataFrame,
    params: CoverageParams,
    *,
    changed: str | Sequence[object],
    network: WalkGraph | None = None,
) -> CoverageState:
    """The state of the new inputs, after the assets ``changed`` were added, moved, changed or removed.

    Parameters
    ----------
    previous
        The state of the inputs before the change (:func:`start_coverage` or an earlier update).
    areas, wards
        The same small areas and wards as before (checked by code).
    assets_after
        Every asset after the change, as :func:`compute_coverage` takes them (with the ward column
        ``previous`` was started with, if any); only the rows of ``changed`` are read.
    params
        The same parameters as before.
    changed
        Ids of the assets that changed: added, moved, re-categorised, re-weighted, or removed (an id
        no longer in ``assets_after``, or no longer of a counted category). A status change to or
        from a status that counts is an addition or a removal, as storage filters by status.
    network
        Not supported yet: given, :class:`~assetmap.errors.InvalidInput` is raised (recompute with
        :func:`compute_coverage`, which measures along the network).

    Returns
    -------
    CoverageState
        ``result`` equals ``compute_coverage`` on the new inputs; ``stats`` says what was measured.
    """
    ids = [changed] if isinstance(changed, str) else list(changed)
    if params != previous.params:
        raise InvalidInput("update_coverage: the parameters differ from the previous run's; recompute")
    areas, wards = _by_code(areas), _by_code(wards)
    if not np.array_equal(areas["code"].to_numpy(dtype=object), previous.codes) or not np.array_equal(
        wards["code"].to_numpy(dtype=object), previous.ward_codes
    ):
        raise InvalidInput("update_coverage: the small areas or wards differ from the previous run's")
    if network is not None:
        raise InvalidInput(
            "update_coverage measures straight lines; with a walk network, recompute with compute_coverage"
        )
    if not len(previous.codes):  # no areas: nothing to measure, and the assets choose the measuring CRS
        state = start_coverage(
            areas,
            assets_after,
            wards,
            params,
            categories=previous.result.categories,
            asset_ward_column=previous.asset_ward_column,
        )
        empty = np.empty(0, dtype=np.intp)
        return replace(state, stats=UpdateStats(empty, empty, empty, empty, full=True))
    state = _copy(previous)
    touched: dict[str, list[np.ndarray]] = {"recounted": [], "searched": [], "lowered": [], "categories": []}
    rows = assets_after[assets_after["id"].isin(ids)]
    new = _counted_assets(rows, previous.result.categories, ward_column=previous.asset_ward_column)
    for asset_id in dict.fromkeys(ids):
        slot = state.slot_of.get(asset_id)
        if slot is not None and state.alive[slot]:
            _remove(state, slot, touched)
        here = np.flatnonzero(new.id == asset_id)
        if len(here):
            _add(state, new, int(here[-1]), wards, touched)
    recounted = _union(touched["recounted"])
    resummed = _union([recounted, *(_engine_order(state, k) for k in _union(touched["categories"]).tolist())])
    _refresh_fca(state, resummed)
    result = _result(state, areas, wards)
    stats = UpdateStats(recounted, _union(touched["searched"]), _union(touched["lowered"]), resummed)
    return replace(state, result=result, stats=stats)


# --- the steps -----------------------------------------------------------------------------------


def _copy(state: CoverageState) -> CoverageState:
    """A copy the update may change: the arrays it changes in place, and the slot index."""
    return replace(
        state,
        slot_of=dict(state.slot_of),
        nearest=state.nearest.copy(),
        counts=state.counts.copy(),
        fca=state.fca.copy(),
        alive=state.alive.copy(),
        tally=state.tally.copy(),
    )


def _distances(state: CoverageState, xy: np.ndarray) -> np.ndarray:
    """Metres from every area point to ``xy``, as the KD-trees compute them (bit for bit)."""
    d = state.demand_xy - xy
    return np.sqrt(d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1])


def _remove(state: CoverageState, slot: int, touched: dict[str, list[np.ndarray]]) -> None:
    k = state.slot_cat[slot]
    state.alive[slot] = False
    touched["categories"].append(np.array([k]))
    metres = _distances(state, state.slot_xy[slot])
    mine = state.pair_slot == slot
    reached = state.pair_area[mine]
    touched["recounted"].append(reached)
    state.counts[reached, k] -= 1
    keep = ~mine
    state.pair_area, state.pair_slot = state.pair_area[keep], state.pair_slot[keep]
    state.pair_metres = state.pair_metres[keep]
    # The areas this asset was nearest to (or as near as another): search the category again.
    was_nearest = np.flatnonzero(metres == state.nearest[:, k])
    touched["searched"].append(was_nearest)
    members = np.flatnonzero(state.alive & (state.slot_cat == k))
    if len(was_nearest):
        if len(members):
            state.nearest[was_nearest, k], _ = cKDTree(state.slot_xy[members]).query(
                state.demand_xy[was_nearest], k=1
            )
        else:
            state.nearest[was_nearest, k] = np.inf
    if state.slot_ward[slot] >= 0:
        state.tally[state.slot_ward[slot], k] -= 1


def _add(
    state: CoverageState,
    new: _Assets,
    row: int,
    wards: gpd.GeoDataFrame,
    touched: dict[str, list[np.ndarray]],
) -> None:
    slot = len(state.alive)
    k = int(group_positions(new.category[row : row + 1], state.result.categories)[0])
    _, xy = _to_metres(
        CRS.from_user_input(state.result.crs),
        np.empty(0, dtype=object),
        (np.empty(0), np.empty(0), np.empty(0, dtype=object)),
        _Assets(
            new.id[row : row + 1],
            new.category[row : row + 1],
            new.points[row : row + 1],
            new.capacity[row : row + 1],
            None,
        ),
        parallel=False,
    )
    metres = _distances(state, xy[0])
    touched["categories"].append(np.array([k]))
    ward = _wards_of(
        new.points[row : row + 1],
        None if new.ward_code is None else new.ward_code[row : row + 1],
        wards,
        state.ward_codes_distinct,
    )[0]
    state.slot_of[new.id[row]] = slot
    state.slot_id = np.append(state.slot_id, np.array([new.id[row]], dtype=object))
    state.slot_xy = np.vstack([state.slot_xy, xy])
    state.slot_cat = np.append(state.slot_cat, k)
    state.slot_capacity = np.append(state.slot_capacity, float(new.capacity[row]))
    state.slot_ward = np.append(state.slot_ward, ward)
    state.alive = np.append(state.alive, True)
    lowered = np.flatnonzero(metres < state.nearest[:, k])
    touched["lowered"].append(lowered)
    state.nearest[lowered, k] = metres[lowered]
    # In reach: by the engine's test, in the order the engine's KD-tree walk meets the areas.
    reached = np.flatnonzero(metres <= state.params.reach_m)
    reached = reached[np.argsort(state.demand_rank[reached], kind="stable")]
    touched["recounted"].append(reached)
    state.counts[reached, k] += 1
    state.ratio = np.append(
        state.ratio,
        _ratios(reached, np.zeros(len(reached), np.intp), state.residents, state.slot_capacity[-1:]),
    )
    # The engine lists pairs category by category: the new ones join their category's (at its end;
    # _engine_order then puts the category's pairs in the engine's order).
    at = int(np.searchsorted(state.slot_cat[state.pair_slot], k, side="right"))
    state.pair_area = np.insert(state.pair_area, at, reached)
    state.pair_slot = np.insert(state.pair_slot, at, np.full(len(reached), slot))
    state.pair_metres = np.insert(state.pair_metres, at, metres[reached])
    if ward >= 0:
        state.tally[ward, k] += 1


def _engine_order(state: CoverageState, k: int) -> np.ndarray:
    """Put category ``k``'s pairs in the order the engine adds them up; the areas that have any.

    The engine sums an area's 2SFCA ratios category by category, each category's assets in the order
    of its KD-tree over them (built in id order). A changed asset changes that tree, and with it the
    order, so the sums' last bits, of areas anywhere in the category's reach, not only near the
    change. Rebuilding the tree costs O(m log m) in the category's ``m`` assets, and re-summing
    those areas O(pairs): no distance is measured, and the sums come out bit-identical.
    """
    members = np.flatnonzero(state.alive & (state.slot_cat == k))
    members = members[_stable_argsort(state.slot_id[members])]
    rank = np.zeros(len(state.alive), dtype=np.intp)
    rank[members] = _tree_rank(state.slot_xy[members])
    at = np.flatnonzero(state.slot_cat[state.pair_slot] == k)
    order = at[np.argsort(rank[state.pair_slot[at]], kind="stable")]
    for name in ("pair_area", "pair_slot", "pair_metres"):
        column = getattr(state, name).copy()
        column[at] = column[order]
        setattr(state, name, column)
    return np.unique(state.pair_area[at])


def _refresh_fca(state: CoverageState, areas: np.ndarray) -> None:
    """2SFCA again for ``areas`` (positions), summing their pairs in the order the state keeps."""
    mine = np.isin(state.pair_area, areas)
    sums = np.bincount(
        state.pair_area[mine], weights=state.ratio[state.pair_slot[mine]], minlength=len(state.codes)
    )
    state.fca[areas] = sums[areas]


def _result(state: CoverageState, areas: gpd.GeoDataFrame, wards: gpd.GeoDataFrame) -> CoverageResult:
    """The frames, put together as :func:`compute_coverage` puts them together."""
    previous: CoverageResult = state.result
    cats, params, nearest = previous.categories, state.params, state.nearest
    columns: dict[str, object] = {c: areas[c] for c in AREA_INPUT_COLUMNS if c in areas}
    any_nearest = nearest.min(axis=1) if len(cats) else np.full(len(areas), np.inf)
    for k, c in enumerate(cats):
        columns[f"dist_m_{c}"] = nearest[:, k]
        columns[f"walk_min_{c}"] = params.walk_minutes(nearest[:, k])
        columns[f"n_within_{c}"] = state.counts[:, k]
    columns["dist_m_any"] = any_nearest
    columns["walk_min_any"] = params.walk_minutes(any_nearest)
    columns["n_within_any"] = state.counts.sum(axis=1)
    columns["fca_per_1000"] = state.fca * 1000.0
    area_out = pd.DataFrame(columns, index=areas.index)
    area_gdf = _finish_areas(area_out, areas, point_source=state.point_source, need=state.need, params=params)
    code_at = pd.Index(state.ward_codes_distinct).get_indexer(wards["code"].to_numpy(dtype=object))
    ward_gdf = _ward_summary(area_gdf, state.tally[code_at], wards, cats)
    return CoverageResult(area_gdf, ward_gdf, cats, previous.crs, previous.distance_model)


# --- helpers -------------------------------------------------------------------------------------


def _ratios(area: np.ndarray, slot: np.ndarray, residents: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """2SFCA ``R_j`` per slot from its pairs, summed in the order given (as :func:`two_step_fca`)."""
    reached = np.bincount(slot, weights=residents[area], minlength=len(capacity))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(reached > 0, capacity / reached, 0.0)


def _tree_rank(xy: np.ndarray) -> np.ndarray:
    """Each point's position in the order the engine's (unbalanced) KD-tree lists its points."""
    rank = np.empty(len(xy), dtype=np.intp)
    if len(xy):
        rank[cKDTree(xy, balanced_tree=False).indices] = np.arange(len(xy))
    return rank


def _wards_of(
    points: np.ndarray, given: np.ndarray | None, wards: gpd.GeoDataFrame, distinct: np.ndarray
) -> np.ndarray:
    """Position in ``distinct`` of each point's ward code (given, or by the engine's rule); -1: none."""
    if given is not None:
        return pd.Index(distinct).get_indexer(given)
    first = _first_polygon(np.asarray(points), np.asarray(wards.geometry.values))
    code_at = pd.Index(distinct).get_indexer(wards["code"].to_numpy(dtype=object))
    return np.append(code_at, -1)[first]


def _union(parts: list[np.ndarray]) -> np.ndarray:
    return np.unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.intp)
