"""Nearest assets and assets within reach, with KD-trees over projected coordinates.

Inputs are ``(n, 2)`` arrays of metres in a projected CRS (never degrees). The demand points are
small areas' population-weighted points; the supply points are assets. :func:`reach_by_group` is
what the engine uses; it gives the same numbers as :func:`nearest_by_group` and
:func:`pairs_within`, which say more plainly what they are.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.spatial import cKDTree


@dataclass(frozen=True)
class Pairs:
    """Demand-supply pairs within a radius, as parallel arrays (a sparse distance matrix)."""

    demand: np.ndarray  # int index into demand points
    supply: np.ndarray  # int index into supply points
    metres: np.ndarray  # straight-line distance


def _tree(xy: np.ndarray) -> cKDTree:
    # An unbalanced tree builds faster and answers the same queries with the same distances.
    return cKDTree(xy, balanced_tree=False)


def group_positions(supply_group: np.ndarray, groups: Sequence[str]) -> np.ndarray:
    """Position of each supply point's group in ``groups`` (the last one if repeated), -1 if absent.

    >>> group_positions(np.array(["cafe", "bus_stop", "park"], dtype=object), ["park", "cafe"]).tolist()
    [1, -1, 0]
    """
    last = {g: k for k, g in enumerate(groups)}
    found = pd.Index(list(last), dtype=object).get_indexer(np.asarray(supply_group, dtype=object))
    return np.array([*last.values(), -1], dtype=np.intp)[found]  # found is -1 where absent


def _sorted_pairs(
    demand: np.ndarray, supply: np.ndarray, metres: np.ndarray, shape: tuple[int, int]
) -> Pairs:
    # Building a CSR matrix sorts by demand (a counting sort) and then each demand's few suppliers:
    # three times faster than an argsort of a combined key. Its values say where each pair came from.
    rows = csr_matrix((np.arange(1, len(demand) + 1), (demand, supply)), shape=shape)
    rows.sort_indices()
    order = rows.data - 1
    return Pairs(
        demand[order].astype(np.intp, copy=False),
        supply[order].astype(np.intp, copy=False),
        metres[order].astype(float, copy=False),
    )


def pairs_within(demand_xy: np.ndarray, supply_xy: np.ndarray, radius_m: float) -> Pairs:
    """All demand-supply pairs no further apart than ``radius_m`` (inclusive), by demand then supply.

    >>> p = pairs_within(np.array([[0.0, 0.0]]), np.array([[3.0, 4.0], [30.0, 0.0]]), 5.0)
    >>> p.supply.tolist(), p.metres.tolist()
    ([0], [5.0])
    """
    if len(demand_xy) == 0 or len(supply_xy) == 0:
        empty = np.empty(0, dtype=np.intp)
        return Pairs(empty, empty.copy(), np.empty(0))
    found = _tree(demand_xy).sparse_distance_matrix(
        _tree(supply_xy), max_distance=radius_m, output_type="ndarray"
    )
    found = found[found["v"] <= radius_m]
    return _sorted_pairs(found["i"], found["j"], found["v"], (len(demand_xy), len(supply_xy)))


def nearest_by_group(
    demand_xy: np.ndarray, supply_xy: np.ndarray, supply_group: np.ndarray, groups: Sequence[str]
) -> np.ndarray:
    """Distance from each demand point to the nearest supply point of each group.

    Returns an ``(n_demand, len(groups))`` array of metres, ``inf`` where a group has no points.
    """
    out = np.full((len(demand_xy), len(groups)), np.inf)
    if len(demand_xy) == 0:
        return out
    position = group_positions(supply_group, groups)
    last = {g: k for k, g in enumerate(groups)}
    for k in last.values():
        members = supply_xy[position == k]
        if len(members):
            out[:, k], _ = _tree(members).query(demand_xy, k=1, workers=-1)
    return out[:, [last[g] for g in groups]]  # a repeated group repeats its column


def reach_by_group(
    demand_xy: np.ndarray,
    supply_xy: np.ndarray,
    supply_group: np.ndarray,
    groups: Sequence[str],
    radius_m: float,
    *,
    workers: int = -1,
    ordered: bool = True,
) -> tuple[np.ndarray, Pairs]:
    """:func:`nearest_by_group`, and :func:`pairs_within` over the supply points in ``groups``, at once.

    One KD-tree per group answers both: its pairs within ``radius_m`` are found first, a demand
    point's nearest is the nearest of its pairs where it has any, and only the other demand
    points are searched. Groups are measured side by side on ``workers`` threads (-1: one per CPU).

    With ``ordered`` the pairs come by demand then supply, as from :func:`pairs_within`. Without,
    sorting them is skipped: they come group by group in the order the KD-trees find them, which
    is fixed by the order of the inputs (the same inputs in the same order give the same pairs in
    the same order), so sums over them stay reproducible.

    >>> nearest, pairs = reach_by_group(
    ...     np.array([[0.0, 0.0]]), np.array([[3.0, 4.0], [30.0, 0.0]]), np.array(["a", "b"]), ["a", "b"], 5.0
    ... )
    >>> nearest.tolist(), pairs.supply.tolist()
    ([[5.0, 30.0]], [0])
    """
    nearest = np.full((len(demand_xy), len(groups)), np.inf)
    position = group_positions(supply_group, groups)
    last = {g: k for k, g in enumerate(groups)}
    members = {k: np.flatnonzero(position == k) for k in last.values()}
    members = {k: idx for k, idx in members.items() if len(idx)}
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    if len(demand_xy) and members:
        demand_tree = _tree(demand_xy)

        def measure(k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            tree = _tree(supply_xy[members[k]])
            near = demand_tree.sparse_distance_matrix(tree, max_distance=radius_m, output_type="ndarray")
            near = near[near["v"] <= radius_m]
            column = nearest[:, k]  # a view: each group writes only its own column
            np.minimum.at(column, near["i"], near["v"])
            todo = np.isinf(column)
            if todo.any():
                column[todo], _ = tree.query(demand_xy[todo], k=1)
            return near["i"], members[k][near["j"]], near["v"]

        threads = (os.cpu_count() or 1) if workers == -1 else workers
        if threads == 1:
            found = [measure(k) for k in members]
        else:
            with ThreadPoolExecutor(max_workers=threads) as pool:
                found = list(pool.map(measure, members))
    demand, supply, metres = (
        np.concatenate([f[i] for f in found]) if found else np.empty(0) for i in range(3)
    )
    demand, supply = demand.astype(np.intp, copy=False), supply.astype(np.intp, copy=False)
    if ordered:
        pairs = _sorted_pairs(demand, supply, metres, (len(demand_xy), len(supply_xy)))
    else:
        pairs = Pairs(demand, supply, metres.astype(float, copy=False))
    return nearest[:, [last[g] for g in groups]], pairs


def count_by_group(
    pairs: Pairs, n_demand: int, supply_group: np.ndarray, groups: Sequence[str]
) -> np.ndarray:
    """How many supply points of each group each demand point has among ``pairs``.

    Returns an ``(n_demand, len(groups))`` integer array (a repeated group is counted in its last column).
    """
    k = group_positions(supply_group, groups)[pairs.supply] if len(pairs.supply) else np.empty(0, np.intp)
    valid = k >= 0
    flat = pairs.demand[valid] * len(groups) + k[valid]
    counts = np.bincount(flat, minlength=n_demand * len(groups))
    return counts.reshape(n_demand, len(groups))
