"""What-if: place hypothetical assets and see who is newly within a walk, and how gap scores move.

:func:`what_if` adds the points to the asset layer, recomputes coverage with the same engine and
parameters, and compares it with the coverage as it is (which may be passed in, so only the new
state is computed). Residents aged 50+ are "newly within N minutes" in a small area that had no
asset (of any category, or of a given category) within ``params.minutes`` before and has one
after; as adding assets never takes one away, these counts are never negative. Gap scores are
relative (percentile scales within the run), so an area whose own access did not change can still
see its gap score move a little when others improve.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd

from assetmap import geo, taxonomy
from assetmap.coverage import CoverageParams, CoverageResult, compute_coverage
from assetmap.coverage.engine import assign_wards
from assetmap.errors import InvalidInput

if TYPE_CHECKING:
    from assetmap.network import WalkGraph

MAX_POINTS = 50


class NewAsset(NamedTuple):
    """A hypothetical asset: WGS84 ``lon``/``lat`` and a category counted by coverage."""

    lon: float
    lat: float
    category: str


@dataclass(frozen=True)
class WhatIf:
    """The change the hypothetical assets make.

    Attributes
    ----------
    areas
        Per small area (by code): ``code``, ``name``, ``ward_code``, ``residents_50plus``,
        ``new_50plus_any`` and ``new_50plus_<c>`` for each category placed (residents aged 50+
        newly within ``minutes``; 0 where nothing changed), ``gap_before``, ``gap_after``,
        ``gap_change``.
    wards
        Per ward (by code): ``code``, ``name``, ``residents_50plus``, the ``new_50plus_*`` sums, and
        the ward gap scores (resident-weighted means) before, after and their change.
    city
        The same for the whole city: ``residents_50plus``, ``new_50plus_*``, ``gap_before``,
        ``gap_after``, ``gap_change``, ``share_within_any_before`` and ``share_within_any_after``.
    points
        The points as placed, with the ward each falls in (``ward_code``, None outside every ward).
    categories
        The categories placed, in first-seen order.
    minutes
        The walk that counts as within reach.
    after
        The coverage with the hypothetical assets.
    """

    areas: pd.DataFrame
    wards: pd.DataFrame
    city: dict[str, float]
    points: tuple[dict[str, Any], ...]
    categories: tuple[str, ...]
    minutes: float
    after: CoverageResult


def what_if(
    areas: gpd.GeoDataFrame,
    assets: gpd.GeoDataFrame,
    wards: gpd.GeoDataFrame,
    params: CoverageParams,
    points: Sequence[NewAsset | tuple[Any, Any, Any]],
    *,
    baseline: CoverageResult | None = None,
    asset_ward_column: str | None = None,
    network: WalkGraph | None = None,
) -> WhatIf:
    """Coverage with hypothetical assets added, against coverage as it is.

    Parameters
    ----------
    areas, assets, wards, params
        As for :func:`~assetmap.coverage.compute_coverage`.
    points
        1 to 50 ``(lon, lat, category)`` in WGS84; each category must be one coverage counts.
    baseline
        Coverage of exactly these inputs, if already at hand; its categories are kept.
    asset_ward_column
        As for :func:`~assetmap.coverage.compute_coverage`; the new points get their ward by the
        engine's rule (:func:`~assetmap.coverage.engine.assign_wards`).
    network
        As for :func:`~assetmap.coverage.compute_coverage`: the walk network the baseline was
        measured along, if any; the new places are measured along it too.

    Raises
    ------
    InvalidInput
        For no points or too many, a point that is not a number or lies outside the UK (or looks
        like swapped lat/lon), or a category coverage does not count; the message names the point.
    """
    categories = baseline.categories if baseline is not None else tuple(taxonomy.asset_categories())
    lon, lat, kinds = _check_points(points, categories)
    if assets.crs is None or not assets.crs.equals(geo.WGS84):
        raise InvalidInput(f"assets: expected WGS84 (EPSG:4326), got {assets.crs}")
    if baseline is None:
        baseline = compute_coverage(
            areas, assets, wards, params, asset_ward_column=asset_ward_column, network=network
        )
    placed = gpd.GeoDataFrame(
        {"id": _new_ids(assets["id"], len(kinds)), "category": kinds},
        geometry=gpd.points_from_xy(lon, lat),
        crs=geo.WGS84,
    )
    in_ward = assign_wards(np.asarray(placed.geometry.values), wards)
    if asset_ward_column is not None:
        placed[asset_ward_column] = in_ward
    more = pd.concat([assets, placed], ignore_index=True)
    after = compute_coverage(
        areas,
        more,
        wards,
        params,
        categories=categories,
        asset_ward_column=asset_ward_column,
        network=network,
    )
    if not baseline.areas["code"].equals(after.areas["code"]):
        raise InvalidInput("baseline: it was computed from other small areas than the ones given")
    placed_categories = tuple(dict.fromkeys(kinds))
    area_change = _area_change(baseline, after, placed_categories)
    ward_change = _ward_change(baseline, after, area_change)
    return WhatIf(
        areas=area_change,
        wards=ward_change,
        city=_city_change(area_change, baseline, after),
        points=tuple(
            {"lon": x, "lat": y, "category": c, "ward_code": w}
            for x, y, c, w in zip(lon.tolist(), lat.tolist(), kinds, in_ward.tolist(), strict=True)
        ),
        categories=placed_categories,
        minutes=params.minutes,
        after=after,
    )


def _check_points(
    points: Sequence[NewAsset | tuple[Any, Any, Any]], categories: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    if isinstance(points, str | bytes) or not 1 <= len(points) <= MAX_POINTS:
        count = "a string" if isinstance(points, str | bytes) else len(points)
        raise InvalidInput(f"points: expected 1 to {MAX_POINTS} points (lon, lat, category), got {count}")
    lon, lat, kinds = np.empty(len(points)), np.empty(len(points)), []
    for i, point in enumerate(points):
        try:
            x, y, category = point
            lon[i], lat[i] = _number(x), _number(y)
        except (TypeError, ValueError):
            raise InvalidInput(
                f"points[{i}]: expected (lon, lat, category) with numbers, got {point!r:.80}"
            ) from None
        kinds.append(_category(i, category, categories))
    problems = geo.check_points(lon, lat)
    if problems:
        i, problem = problems[0]
        raise InvalidInput(f"points[{i}]: {problem}")
    return lon, lat, kinds


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError
    return float(value)


def _category(i: int, category: Any, counted: Sequence[str]) -> str:
    if not isinstance(category, str):
        raise InvalidInput(f"points[{i}]: the category must be text, got {category!r:.40}")
    try:
        taxonomy.check(category)
    except InvalidInput as exc:
        raise InvalidInput(f"points[{i}]: {exc.message}") from None
    if category not in counted:
        raise InvalidInput(
            f"points[{i}]: category {category!r} is not counted by coverage; "
            f"expected one of {', '.join(counted)}"
        )
    return str(category)


def _new_ids(existing: pd.Series, n: int) -> list[Any]:
    """Ids for the hypothetical assets, of the same kind as the existing ones and clashing with none.

    >>> _new_ids(pd.Series([3, 7]), 2), _new_ids(pd.Series(["a1"]), 2)
    ([-1, -2], ['what-if 1', 'what-if 2'])
    """
    if pd.api.types.is_integer_dtype(existing) and not existing.empty:
        low = min(int(existing.min()), 0)
        return [low - i for i in range(1, n + 1)]
    taken = set(existing.astype(str))
    names = [f"what-if {i}" for i in range(1, n + 1)]
    while taken.intersection(names):
        names = [f"{name}'" for name in names]
    return names


def _area_change(before: CoverageResult, after: CoverageResult, placed: Sequence[str]) -> pd.DataFrame:
    old, new = before.areas, after.areas
    residents = old["residents_50plus"].fillna(0.0).to_numpy(dtype=float)
    columns: dict[str, Any] = {c: old[c].to_numpy() for c in ("code", "name", "ward_code")}
    columns["residents_50plus"] = old["residents_50plus"].to_numpy(dtype=float)
    for c in ("any", *placed):
        newly = (old[f"n_within_{c}"].to_numpy() == 0) & (new[f"n_within_{c}"].to_numpy() > 0)
        columns[f"new_50plus_{c}"] = np.where(newly, residents, 0.0)
    columns["gap_before"] = old["gap_score"].to_numpy(dtype=float)
    columns["gap_after"] = new["gap_score"].to_numpy(dtype=float)
    columns["gap_change"] = columns["gap_after"] - columns["gap_before"]
    return pd.DataFrame(columns)


def _ward_change(before: CoverageResult, after: CoverageResult, areas: pd.DataFrame) -> pd.DataFrame:
    new_columns = [c for c in areas.columns if c.startswith("new_50plus_")]
    sums = areas.groupby("ward_code", sort=False)[new_columns].sum()
    out = before.wards[["code", "name", "residents_50plus"]].copy()
    out = out.join(sums, on="code").fillna(dict.fromkeys(new_columns, 0.0))
    out["gap_before"] = before.wards["gap_score"].to_numpy(dtype=float)
    out["gap_after"] = after.wards["gap_score"].to_numpy(dtype=float)
    out["gap_change"] = out["gap_after"] - out["gap_before"]
    return pd.DataFrame(out).reset_index(drop=True)


def _city_change(areas: pd.DataFrame, before: CoverageResult, after: CoverageResult) -> dict[str, float]:
    residents = areas["residents_50plus"].fillna(0.0).to_numpy(dtype=float)
    city: dict[str, float] = {"residents_50plus": float(residents.sum())}
    for c in (c for c in areas.columns if c.startswith("new_50plus_")):
        city[c] = float(areas[c].sum())
    for label, result in (("before", before), ("after", after)):
        gap = result.areas["gap_score"].to_numpy(dtype=float)
        there = ~np.isnan(gap) & (residents > 0)
        city[f"gap_{label}"] = _mean(gap[there], residents[there])
        within = result.areas["n_within_any"].to_numpy() > 0
        city[f"share_within_any_{label}"] = _mean(within.astype(float), residents)
    city["gap_change"] = city["gap_after"] - city["gap_before"]
    return city


def _mean(values: np.ndarray, weights: np.ndarray) -> float:
    total = float(weights.sum())
    return float((values * weights).sum() / total) if total > 0 else math.nan
