"""Need index and gap score, with the contribution of each factor so a page can say *why*.

Every factor is put on a common 0-1 scale by its percentile rank among the areas being compared
(0 = least need in the city, 1 = most; ties share their average rank; missing values stay
missing). The need index is the weighted mean of the need factors an area has. The gap score is
the weighted sum of need, distance deficit (walk to the nearest asset) and catchment deficit (low
2SFCA access). Contributions are the weighted terms, so they add up to the score exactly.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from assetmap.coverage.params import NEED_FACTORS

FACTOR_LABELS = {
    "idaopi": "older people's income deprivation (IDAOPI)",
    "loneliness": "modelled loneliness",
    "imd": "overall deprivation (IMD)",
    "age75_share": "share of over-50s aged 75+",
    "distance": "walk to the nearest asset",
    "catchment": "few assets for the number of over-50s nearby (2SFCA)",
}


def percentile_scale(values: pd.Series) -> pd.Series:
    """Percentile rank in [0, 1]: 0 for the lowest value, 1 for the highest, NaN kept.

    A single valid value scores 0.5; ``inf`` ranks above every finite value.

    >>> percentile_scale(pd.Series([3.0, 1.0, 2.0, None])).tolist()
    [1.0, 0.0, 0.5, nan]
    """
    valid = values.notna()
    n = int(valid.sum())
    out = pd.Series(np.nan, index=values.index, dtype=float)
    if n == 1:
        out[valid] = 0.5
    elif n > 1:
        out[valid] = (values[valid].rank(method="average") - 1.0) / (n - 1)
    return out


def need_factors(areas: pd.DataFrame) -> pd.DataFrame:
    """Raw need factor values per area (higher = more need), from small-area columns."""
    with np.errstate(divide="ignore", invalid="ignore"):
        age75 = areas["residents_75plus"] / areas["residents_50plus"]
    return pd.DataFrame(
        {
            "idaopi": areas["idaopi_score"],
            "loneliness": areas["loneliness"],
            "imd": areas["imd_score"],
            "age75_share": age75.where(areas["residents_50plus"] > 0),
        },
        index=areas.index,
    ).astype(float)


def need_scores(factors: pd.DataFrame, *, need_weights: Mapping[str, float]) -> pd.DataFrame:
    """Scaled factors, the need index and each factor's share of it: what needs no distances.

    Returns ``s_<factor>``, ``need_index`` and ``share_<factor>`` (the weighted terms of the need
    index; they sum to it). :func:`gap_scores` is :func:`with_gaps` of this.
    """
    scaled = factors.apply(percentile_scale)
    w = pd.Series({f: float(need_weights.get(f, 0.0)) for f in NEED_FACTORS})
    present = scaled[list(NEED_FACTORS)].notna()
    weight_present = present.mul(w, axis=1).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        need_share = scaled[list(NEED_FACTORS)].fillna(0.0).mul(w, axis=1).div(weight_present, axis=0)
    need_share = need_share.where(weight_present > 0)
    out = pd.DataFrame(index=factors.index)
    for f in NEED_FACTORS:
        out[f"s_{f}"] = scaled[f]
    out["need_index"] = need_share.sum(axis=1, min_count=1)
    for f in NEED_FACTORS:
        out[f"share_{f}"] = need_share[f]
    return out


def with_gaps(
    need: pd.DataFrame, *, walk_minutes: pd.Series, access: pd.Series, gap_weights: Mapping[str, float]
) -> pd.DataFrame:
    """:func:`gap_scores` from :func:`need_scores` and the areas' walks and 2SFCA access."""
    total = sum(float(gap_weights.get(p, 0.0)) for p in ("need", "distance", "catchment"))
    g_need = float(gap_weights.get("need", 0.0)) / total
    g_dist = float(gap_weights.get("distance", 0.0)) / total
    g_catch = float(gap_weights.get("catchment", 0.0)) / total

    out = need[[f"s_{f}" for f in NEED_FACTORS] + ["need_index"]].copy()
    out["deficit_distance"] = percentile_scale(walk_minutes.astype(float))
    out["deficit_catchment"] = 1.0 - percentile_scale(access.astype(float))
    for f in NEED_FACTORS:
        out[f"c_{f}"] = g_need * need[f"share_{f}"]
    out["c_distance"] = g_dist * out["deficit_distance"]
    out["c_catchment"] = g_catch * out["deficit_catchment"]
    out["gap_score"] = out[[f"c_{f}" for f in (*NEED_FACTORS, "distance", "catchment")]].sum(
        axis=1, min_count=1
    )
    # Without need data there is no gap score, and no contribution to one either.
    out.loc[out["need_index"].isna(), ["gap_score", "c_distance", "c_catchment"]] = np.nan
    return out


def gap_scores(
    factors: pd.DataFrame,
    *,
    walk_minutes: pd.Series,
    access: pd.Series,
    need_weights: Mapping[str, float],
    gap_weights: Mapping[str, float],
) -> pd.DataFrame:
    """Scaled factors, need index, deficits, gap score and contributions per area.

    Parameters
    ----------
    factors
        Raw need factors (columns as :data:`~assetmap.coverage.params.NEED_FACTORS`).
    walk_minutes
        Minutes to the nearest asset (``inf`` when none exists).
    access
        2SFCA access (higher is better).
    need_weights, gap_weights
        Weights as in :class:`~assetmap.coverage.params.CoverageParams`.

    Returns
    -------
    pandas.DataFrame
        ``s_<factor>`` scaled values, ``need_index``, ``deficit_distance``, ``deficit_catchment``,
        ``gap_score`` and ``c_<factor>`` contributions (``c_*`` sum to ``gap_score``).
    """
    need = need_scores(factors, need_weights=need_weights)
    return with_gaps(need, walk_minutes=walk_minutes, access=access, gap_weights=gap_weights)


def explain(row: Mapping[str, float], *, top: int = 3) -> str:
    """A short sentence naming the factors that contribute most to an area's gap score.

    >>> explain({"c_idaopi": 0.2, "c_distance": 0.1, "c_imd": 0.0, "c_catchment": float("nan")}, top=2)
    "older people's income deprivation (IDAOPI) (0.20), walk to the nearest asset (0.10)"
    """
    frame = pd.DataFrame({f"c_{f}": [row.get(f"c_{f}")] for f in FACTOR_LABELS}, dtype=float)
    return str(explain_all(frame, top=top)[0])


def explain_all(contributions: pd.DataFrame, *, top: int = 3) -> np.ndarray:
    """:func:`explain` for every row of a frame of ``c_<factor>`` columns, as an object array.

    The ``top`` largest positive contributions, largest first (equal ones in reverse alphabetical
    order of the factor), each as "label (0.00)"; "no factor stands out" when none is positive.
    A missing column or value contributes nothing.

    >>> explain_all(pd.DataFrame({"c_imd": [0.3, 0.0], "c_distance": [0.3, None]})).tolist()
    ['overall deprivation (IMD) (0.30), walk to the nearest asset (0.30)', 'no factor stands out']
    """
    factors = list(FACTOR_LABELS)
    values = contributions.reindex(columns=[f"c_{f}" for f in factors]).to_numpy(dtype=float)
    positive = values > 0
    name_rank = np.argsort(np.argsort(factors))
    # Sort each row by value, largest first, then by factor name, last first; what is not positive goes last.
    order = np.lexsort(
        (np.broadcast_to(-name_rank, values.shape), np.where(positive, -values, np.inf)), axis=1
    )[:, :top]
    rows = np.arange(len(values))[:, None]
    chosen = positive[rows, order]
    # A sentence strings together a few of a few hundred phrases "label (0.12)": number the phrases
    # and the distinct sentences, and write each distinct sentence once rather than once per row.
    texts, text_at = _two_decimals(values[rows, order][chosen])
    phrase = np.full(order.shape, -1, dtype=np.int64)
    phrase[chosen] = order[chosen] * len(texts) + text_at
    sentence_at = np.zeros(len(values), dtype=np.int64)
    first = np.arange(len(values))
    for r in range(order.shape[1]):
        key = sentence_at * (len(factors) * len(texts) + 1) + phrase[:, r] + 1
        _, first, sentence_at = np.unique(key, return_index=True, return_inverse=True)
    words = [
        ", ".join(
            f"{FACTOR_LABELS[factors[p // len(texts)]]} ({texts[p % len(texts)]})" for p in row if p >= 0
        )
        or "no factor stands out"
        for row in phrase[first].tolist()
    ]
    return np.array(words, dtype=object)[sentence_at]


def _two_decimals(values: np.ndarray) -> tuple[list[str], np.ndarray]:
    """``f"{v:.2f}"`` for each positive value, as distinct texts and each value's index into them.

    Python rounds a float's exact binary value, half to even. ``rint(v * 100)`` agrees wherever
    ``v * 100`` is not within 1e-6 of a half (its rounding error is below 1e-8 for ``v < 1e6``);
    the few values that are, or are larger, are formatted by Python itself.
    """
    scaled = values * 100.0
    with np.errstate(invalid="ignore"):  # inf - inf
        sure = (np.abs(scaled - np.floor(scaled) - 0.5) >= 1e-6) & (values < 1e6)
    hundredths, sure_at = np.unique(np.rint(scaled[sure]), return_inverse=True)
    texts = [f"{int(h) // 100}.{int(h) % 100:02d}" for h in hundredths]
    texts += [f"{v:.2f}" for v in values[~sure]]
    at = np.empty(len(values), dtype=np.intp)
    at[sure] = sure_at.reshape(-1)
    at[~sure] = len(hundredths) + np.arange(int((~sure).sum()))
    return texts, at
