"""Two-step floating catchment (2SFCA): access that accounts for competition between residents.

Step 1: each asset's ratio ``R_j = S_j / sum(P_i)`` over the demand points within its catchment.
Step 2: each demand point's access ``A_i = sum(R_j)`` over the assets within its catchment
(Luo & Wang 2003). Catchment membership is "cost <= max cost", as in PySAL ``access``.
"""

from __future__ import annotations

import numpy as np

from assetmap.coverage.distance import Pairs


def two_step_fca(
    pairs: Pairs, demand: np.ndarray, supply: np.ndarray, *, cost: np.ndarray, max_cost: float
) -> np.ndarray:
    """2SFCA access per demand point.

    Parameters
    ----------
    pairs
        Candidate demand-supply pairs (at least every pair within ``max_cost``).
    demand
        Demand at each demand point (e.g. residents aged 50+).
    supply
        Supply at each supply point (1 per asset unless weighted).
    cost
        Cost of each pair, in the units of ``max_cost`` (e.g. walking minutes).
    max_cost
        Catchment size; pairs with ``cost <= max_cost`` are in.

    Returns
    -------
    numpy.ndarray
        Supply per unit of demand reachable from each demand point; 0 where none is in reach.
        An asset whose catchment holds no demand serves nobody and adds nothing.

    >>> from assetmap.coverage.distance import Pairs
    >>> p = Pairs(np.array([0, 1]), np.array([0, 0]), np.array([1.0, 1.0]))
    >>> two_step_fca(p, np.array([10.0, 30.0]), np.array([1.0]), cost=p.metres, max_cost=5.0).tolist()
    [0.025, 0.025]
    """
    inside = cost <= max_cost
    d_idx, s_idx = pairs.demand[inside], pairs.supply[inside]
    demand = np.asarray(demand, dtype=float)
    reached = np.bincount(s_idx, weights=demand[d_idx], minlength=len(supply))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(reached > 0, np.asarray(supply, dtype=float) / reached, 0.0)
    return np.bincount(d_idx, weights=ratio[s_idx], minlength=len(demand))
