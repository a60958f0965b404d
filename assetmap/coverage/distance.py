"""Nearest assets and assets within reach, with KD-trees over projected coordinates.

Inputs are ``(n, 2)`` arrays of metres in a projected CRS (never degrees). The demand points are
small areas' population-weighted points; the supply points are assets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
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


def pairs_within(demand_xy: np.ndarray, supply_xy: np.ndarray, radius_m: float) -> Pairs:
    """All demand-supply pairs no further apart than ``radius_m`` (inclusive).

    >>> p = pairs_within(np.array([[0.0, 0.0]]), np.array([[3.0, 4.0], [30.0, 0.0]]), 5.0)
    >>> p.supply.tolist(), p.metres.tolist()
    ([0], [5.0])
    """
    if len(demand_xy) == 0 or len(supply_xy) == 0:
        empty = np.empty(0, dtype=np.intp)
        return Pairs(empty, empty.copy(), np.empty(0))
    sparse = _tree(demand_xy).sparse_distance_matrix(
        _tree(supply_xy), max_distance=radius_m, output_type="ndarray"
    )
    # sparse_distance_matrix drops exact zeros from nothing, but keep only <= radius explicitly.
    sparse = sparse[sparse["v"] <= radius_m]
    # Sort by (demand, supply): one argsort of a combined key (pairs are unique, so it is exact).
    order = np.argsort(sparse["i"].astype(np.int64) * len(supply_xy) + sparse["j"])
    return Pairs(
        sparse["i"][order].astype(np.intp),
        sparse["j"][order].astype(np.intp),
        sparse["v"][order].astype(float),
    )


def nearest_by_group(
    demand_xy: np.ndarray, supply_xy: np.ndarray, supply_group: np.ndarray, groups: Sequence[str]
) -> np.ndarray:
    """Distance from each demand point to the nearest supply point of each group.

    Returns an ``(n_demand, len(groups))`` array of metres, ``inf`` where a group has no points.
    """
    out = np.full((len(demand_xy), len(groups)), np.inf)
    if len(demand_xy) == 0:
        return out
    for k, group in enumerate(groups):
        members = supply_xy[supply_group == group]
        if len(members):
            out[:, k], _ = _tree(members).query(demand_xy, k=1, workers=-1)
    return out


def count_by_group(
    pairs: Pairs, n_demand: int, supply_group: np.ndarray, groups: Sequence[str]
) -> np.ndarray:
    """How many supply points of each group each demand point has among ``pairs``.

    Returns an ``(n_demand, len(groups))`` integer array.
    """
    position = pd.Series({g: k for k, g in enumerate(groups)}, dtype=float)  # a repeated group: last wins
    group_of_supply = position.reindex(np.asarray(supply_group, dtype=object)).fillna(-1).to_numpy(np.intp)
    k = group_of_supply[pairs.supply] if len(pairs.supply) else np.empty(0, dtype=np.intp)
    valid = k >= 0
    flat = pairs.demand[valid] * len(groups) + k[valid]
    counts = np.bincount(flat, minlength=n_demand * len(groups))
    return counts.reshape(n_demand, len(groups))
