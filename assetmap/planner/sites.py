"""Suggest the best k new sites for a category: where a new asset would bring the most residents aged
50+ within a walk of one for the first time.

A maximal covering location problem (Church & ReVelle, 1974), solved exactly with PuLP/CBC. Demand:
the small areas with no asset of the category within ``minutes`` now, each worth its residents aged
50+. Candidates: existing community buildings (assets of the configured categories) or the small
areas' population-weighted points. A candidate reaches an area when it is within the engine's own
reach (:attr:`~assetmap.coverage.CoverageParams.reach_m`, from the same points), so placing the
suggested sites with :func:`~assetmap.planner.whatif.what_if` brings exactly the residents said here
within reach.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse

from assetmap import taxonomy
from assetmap.coverage import CoverageParams, CoverageResult
from assetmap.coverage.distance import pairs_within
from assetmap.coverage.engine import assign_wards
from assetmap.errors import InvalidInput
from assetmap.planner.milp import Covering, CoveringModel
from assetmap.planner.params import SiteParams
from assetmap.planner.places import area_points, distances, to_metres
from assetmap.planner.whatif import NewAsset


@dataclass(frozen=True)
class Site:
    """A suggested site and the small areas it would bring within reach.

    An area that several suggested sites reach counts for the nearest only, so the sites' figures
    add up to the suggestion's total.
    """

    kind: str  # "building" or "area"
    ref: str  # the asset's id or the small area's code
    name: str
    category: str | None  # the building's own category; None for a small area's point
    lon: float
    lat: float
    ward_code: str | None
    ward_name: str | None
    areas: tuple[str, ...]
    residents_50plus: float
    why: str


@dataclass(frozen=True)
class SiteSuggestion:
    """The best sites (fewer than k when no more would add anyone), best first, and the totals."""

    params: SiteParams
    sites: tuple[Site, ...]
    residents_50plus: float  # newly within reach of the category
    residents_without: float  # residents aged 50+ in areas with none of the category within reach now
    areas_without: int
    n_candidates: int
    minutes: float
    status: str
    optimal: bool
    gap: float | None
    seconds: float

    def points(self) -> list[NewAsset]:
        """The sites as hypothetical assets, for :func:`~assetmap.planner.whatif.what_if`."""
        return [NewAsset(s.lon, s.lat, self.params.category) for s in self.sites]

    def to_rows(self) -> list[dict[str, Any]]:
        """One row per site, for a CSV."""
        return [
            {
                "rank": rank,
                "category": self.params.category,
                "kind": s.kind,
                "ref": s.ref,
                "name": s.name,
                "building_category": s.category,
                "lon": s.lon,
                "lat": s.lat,
                "ward_code": s.ward_code,
                "ward_name": s.ward_name,
                "residents_50plus": s.residents_50plus,
                "areas": " ".join(s.areas),
                "why": s.why,
                "status": self.status,
            }
            for rank, s in enumerate(self.sites, start=1)
        ]


@dataclass(frozen=True)
class _Candidates:
    kind: str
    ref: np.ndarray
    name: np.ndarray
    category: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    ward_code: np.ndarray


def suggest_sites(
    coverage: CoverageResult,
    areas: gpd.GeoDataFrame,
    assets: gpd.GeoDataFrame,
    coverage_params: CoverageParams,
    params: SiteParams,
) -> SiteSuggestion:
    """The ``params.k`` sites bringing the most residents aged 50+ within reach of ``params.category``.

    Parameters
    ----------
    coverage
        Coverage as it is, computed with ``coverage_params``; reads each area's ``code``,
        ``ward_code``, ``residents_50plus`` and ``n_within_<category>``, and the wards' names.
    areas
        The small areas the coverage was computed from, for their ``pw_lon``/``pw_lat``.
    assets
        Asset points (WGS84) with ``id`` and ``category`` (and ``name`` if known); those of
        ``params.building_categories`` are the candidate buildings.
    coverage_params
        The walking model the coverage used: its reach decides which areas a site reaches.
    params
        The category, k and the kind of candidates.

    Raises
    ------
    InvalidInput
        When the coverage does not measure the category.
    """
    start = time.perf_counter()
    if params.category not in coverage.categories:
        raise InvalidInput(
            f"category: {params.category!r} is not measured by this coverage; "
            f"expected one of {', '.join(coverage.categories)}"
        )
    cov = coverage.areas
    residents = cov["residents_50plus"].fillna(0.0).to_numpy(dtype=float)
    without = (cov[f"n_within_{params.category}"].to_numpy() == 0) & (residents > 0)
    candidates = _candidates(coverage, areas, assets, params)
    area_xy = to_metres(*area_points(coverage, areas), coverage.crs)
    site_xy = to_metres(candidates.lon, candidates.lat, coverage.crs)
    pairs = pairs_within(area_xy[without], site_xy, coverage_params.reach_m)
    rows = np.flatnonzero(without)[pairs.demand]
    reach = sparse.csr_matrix(
        (np.ones(len(rows), dtype=bool), (rows, pairs.supply)), shape=(len(cov), len(candidates.ref))
    )
    useful = np.asarray(reach.sum(axis=0)).ravel() > 0
    covering = Covering(np.where(without, residents, 0.0), reach, useful)
    solution = CoveringModel(covering, params.k, exactly=False).solve(params.time_limit_s)
    assert solution is not None  # choosing at most k (even none) is always possible
    chosen = np.array(solution.chosen, dtype=np.intp)
    label = taxonomy.categories()[params.category].label
    explained = _explain(
        coverage,
        candidates,
        chosen,
        covering=covering,
        metres=distances(area_xy, site_xy[chosen]),
        why=lambda n, residents: _why(n, residents, label=label, minutes=coverage_params.minutes),
    )
    # A site that adds nobody costs the solver nothing, so it may be chosen: leave it out.
    sites = tuple(s for s in explained if s.residents_50plus > 0)
    return SiteSuggestion(
        params=params,
        sites=sites,
        residents_50plus=float(sum(s.residents_50plus for s in sites)),
        residents_without=float(residents[without].sum()),
        areas_without=int(without.sum()),
        n_candidates=len(candidates.ref),
        minutes=coverage_params.minutes,
        status=solution.status,
        optimal=solution.optimal,
        gap=solution.gap,
        seconds=time.perf_counter() - start,
    )


def _candidates(
    coverage: CoverageResult, areas: gpd.GeoDataFrame, assets: gpd.GeoDataFrame, params: SiteParams
) -> _Candidates:
    if params.candidates == "areas":
        lon, lat = area_points(coverage, areas)
        cov = coverage.areas
        return _Candidates(
            kind="area",
            ref=cov["code"].to_numpy(dtype=object),
            name=cov["name"].to_numpy(dtype=object),
            category=np.full(len(cov), None, dtype=object),
            lon=lon,
            lat=lat,
            ward_code=cov["ward_code"].to_numpy(dtype=object),
        )
    if assets.crs is None or not assets.crs.equals("EPSG:4326"):
        raise InvalidInput(f"assets: expected WGS84 (EPSG:4326), got {assets.crs}")
    buildings = assets[assets["category"].isin(params.building_categories).to_numpy()]
    points = np.asarray(buildings.geometry.values)
    names = buildings["name"] if "name" in buildings else buildings["id"]
    return _Candidates(
        kind="building",
        ref=buildings["id"].astype(str).to_numpy(dtype=object),
        name=names.fillna("").astype(str).to_numpy(dtype=object),
        category=buildings["category"].to_numpy(dtype=object),
        lon=np.asarray(shapely.get_x(points), dtype=float),
        lat=np.asarray(shapely.get_y(points), dtype=float),
        ward_code=assign_wards(points, coverage.wards),
    )


def _explain(
    coverage: CoverageResult,
    candidates: _Candidates,
    chosen: np.ndarray,
    *,
    covering: Covering,
    metres: np.ndarray,
    why: Callable[[int, float], str],
) -> list[Site]:
    """A :class:`Site` for each chosen candidate, most residents first.

    ``metres`` holds the distance from each small area to each chosen candidate.
    """
    if len(chosen) == 0:
        return []
    cov = coverage.areas
    reaches = covering.reach[:, chosen].toarray() & (covering.weights > 0)[:, None]
    owner = np.where(reaches.any(axis=1), np.argmin(np.where(reaches, metres, np.inf), axis=1), -1)
    ward_names = dict(zip(coverage.wards["code"], coverage.wards["name"], strict=True))
    sites = []
    for k, i in enumerate(chosen):
        mine = owner == k
        ward = candidates.ward_code[i]
        residents = float(covering.weights[mine].sum())
        sites.append(
            Site(
                kind=candidates.kind,
                ref=str(candidates.ref[i]),
                name=str(candidates.name[i]),
                category=candidates.category[i],
                lon=float(candidates.lon[i]),
                lat=float(candidates.lat[i]),
                ward_code=None if pd.isna(ward) else str(ward),
                ward_name=ward_names.get(ward),
                areas=tuple(cov["code"].to_numpy()[mine].tolist()),
                residents_50plus=residents,
                why=why(int(mine.sum()), residents),
            )
        )
    return sorted(sites, key=lambda s: (-s.residents_50plus, s.ref))


def _why(n_areas: int, residents: float, *, label: str, minutes: float) -> str:
    """Why a site is suggested.

    >>> _why(2, 840.0, label="Library", minutes=10.0)
    "within 10 minutes' walk of 2 small areas with no Library asset yet: 840 residents aged 50+"
    """
    return (
        f"within {minutes:g} minutes' walk of {n_areas} small area{'' if n_areas == 1 else 's'} "
        f"with no {label} asset yet: {residents:,.0f} residents aged 50+"
    )
