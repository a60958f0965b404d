"""Pilot selection: where k new Connector pilots reach the most under-served residents aged 50+.

A pilot is a small area or a ward. It *reaches* small areas: a ward its own areas; a small area the
areas whose population-weighted points lie within ``reach_m`` of its own. Each small area is worth
``residents_50plus × gap_score`` (need-weighted under-served residents), counted once however many
pilots reach it. :func:`select_pilots` chooses the k pilots worth the most, exactly (PuLP/CBC),
with no two closer than a minimum separation (and, if asked, no two adjacent), then the next best
portfolios by no-good cuts. Wards where Connectors already work are ignored, excluded, or kept as
fixed pilots. Rules no k pilots can meet raise :class:`PlanInfeasible` with the largest k and the
largest separation that can be met, both computed exactly. ``docs/planner.md`` has the model.
"""

from __future__ import annotations

import math
import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse

from assetmap.coverage import CoverageResult
from assetmap.coverage.distance import pairs_within
from assetmap.errors import InvalidInput
from assetmap.planner.milp import Covering, CoveringModel, Solution, clique_cover, most_choosable
from assetmap.planner.params import PilotParams
from assetmap.planner.places import area_points, distances, to_metres

TOLERANCE = 1e-6
"""Relative slack on the reach and the separation: points drawn exactly ``reach_m`` or exactly the
separation apart stay within reach and far enough apart despite rounding (a few micrometres)."""


class PlanInfeasible(InvalidInput):
    """No k pilots meet the rules. The message says why and what would work.

    Attributes
    ----------
    max_k
        The most pilots that meet the rules as asked (0 when none can be placed).
    max_separation_m
        The largest minimum separation at which k pilots can be placed (exact: a distance between
        two candidates, or 0), or None when no separation would do.
    allow_adjacent
        True when k pilots could be placed at the asked separation if adjacent pilots were allowed.
    """

    def __init__(
        self, message: str, *, max_k: int, max_separation_m: float | None, allow_adjacent: bool
    ) -> None:
        super().__init__(message)
        self.max_k = max_k
        self.max_separation_m = max_separation_m
        self.allow_adjacent = allow_adjacent


@dataclass(frozen=True)
class Pick:
    """One pilot and why it is there.

    ``residents_50plus``, ``value`` and ``areas`` count the small areas this pilot reaches that no
    fixed pilot reaches; an area several pilots reach counts for the nearest of them only, so the
    figures of a portfolio's picks add up to its totals.
    """

    code: str
    name: str
    ward_code: str | None
    ward_name: str | None
    need_index: float
    gap_score: float
    residents_50plus: float
    value: float
    areas: tuple[str, ...]
    nearest_pilot_km: float | None  # to the nearest other pilot of the portfolio, fixed ones included
    fixed: bool
    why: str


@dataclass(frozen=True)
class Portfolio:
    """k new pilots chosen together; ``rank`` 1 is the best, each later one the best of the rest."""

    rank: int
    picks: tuple[Pick, ...]
    objective: float  # need-weighted under-served residents aged 50+ newly reached
    residents_50plus: float  # residents aged 50+ newly reached
    status: str  # "optimal" or "stopped at time limit, gap x %"
    optimal: bool
    gap: float | None
    seconds: float


@dataclass(frozen=True)
class PilotPlan:
    """The best portfolio and its alternatives, with the fixed pilots they come on top of."""

    params: PilotParams
    portfolios: tuple[Portfolio, ...]
    fixed: tuple[Pick, ...]
    excluded: tuple[str, ...]  # candidates left out because Connectors already work there
    n_candidates: int
    seconds: float

    @property
    def best(self) -> Portfolio:
        return self.portfolios[0]

    def to_rows(self) -> list[dict[str, Any]]:
        """One row per pilot per portfolio (its new pilots, then the fixed ones), for a CSV."""
        rows = []
        for portfolio in self.portfolios:
            for pick in (*portfolio.picks, *self.fixed):
                rows.append(
                    {
                        "portfolio": portfolio.rank,
                        "status": portfolio.status,
                        "portfolio_value": portfolio.objective,
                        "portfolio_residents_50plus": portfolio.residents_50plus,
                        "role": "fixed" if pick.fixed else "new",
                        "level": self.params.level,
                        "code": pick.code,
                        "name": pick.name,
                        "ward_code": pick.ward_code,
                        "ward_name": pick.ward_name,
                        "need_index": pick.need_index,
                        "gap_score": pick.gap_score,
                        "residents_50plus": pick.residents_50plus,
                        "value": pick.value,
                        "nearest_pilot_km": pick.nearest_pilot_km,
                        "areas": " ".join(pick.areas),
                        "why": pick.why,
                    }
                )
        return rows


@dataclass(frozen=True)
class _Places:
    """Candidate pilots (``n``) and the small areas they reach (``m``), as arrays."""

    code: np.ndarray
    name: np.ndarray
    ward_code: np.ndarray
    ward_name: np.ndarray
    need_index: np.ndarray
    gap_score: np.ndarray
    xy: np.ndarray  # (n, 2) metres
    polygons: np.ndarray  # (n,) WGS84
    area_code: np.ndarray
    area_ward: np.ndarray
    residents: np.ndarray  # (m,) residents aged 50+, missing as 0
    value: np.ndarray  # (m,) residents_50plus × gap_score, missing as 0
    area_xy: np.ndarray  # (m, 2) metres
    reach: sparse.csr_matrix  # (m, n)


def select_pilots(
    coverage: CoverageResult,
    areas: gpd.GeoDataFrame,
    params: PilotParams,
    *,
    programme_wards: Collection[str] = (),
) -> PilotPlan:
    """Choose ``params.k`` pilots reaching the most need-weighted under-served residents aged 50+.

    Parameters
    ----------
    coverage
        A coverage result; reads ``code``, ``name``, ``ward_code``, ``residents_50plus``,
        ``need_index``, ``gap_score`` and polygons of its areas, and ``code``, ``name``,
        ``need_index``, ``gap_score`` and polygons of its wards.
    areas
        The small areas the coverage was computed from, for their ``pw_lon``/``pw_lat``.
    params
        What to choose and under which rules.
    programme_wards
        Codes of the wards where Connectors already work (``params.programme_mode`` says what to
        do with them).

    Returns
    -------
    PilotPlan
        The best portfolio, then up to ``params.alternatives`` others, best first, each optimal for
        what is left once the earlier ones are ruled out (unless the time limit stopped it).

    Raises
    ------
    PlanInfeasible
        When no ``k`` pilots meet the rules.
    InvalidInput
        For a programme ward code the coverage does not have, or areas that do not match.
    """
    start = time.perf_counter()
    places = _places(coverage, areas, params)
    programme = _programme(places, coverage, programme_wards, params.programme_mode)
    apart = distances(places.xy)
    adjacent = _adjacent(places.polygons) if params.no_adjacent else np.zeros_like(apart, dtype=bool)
    rules = _Rules(apart, adjacent, programme.allowed, programme.fixed, places.xy)
    value = np.where(programme.counted, places.value, 0.0)
    fixed = np.flatnonzero(programme.fixed)
    # What a new pilot can add: counted areas that no fixed pilot reaches already.
    fresh = programme.counted & ~_reached_by(places.reach, fixed)
    allowed, cliques = rules.at(params.min_separation_m)
    model = CoveringModel(
        Covering(np.where(fresh, value, 0.0), places.reach, allowed, cliques), params.k, exactly=True
    )
    explain = _Explainer(places, value, rules.apart)
    portfolios: list[Portfolio] = []
    for rank in range(1, params.alternatives + 2):
        solution = model.solve(params.time_limit_s)
        if solution is None:
            if rank == 1:
                raise _infeasible(places, params, rules, programme.excluded)
            break
        chosen = np.array(solution.chosen, dtype=np.intp)
        picks = explain.picks(chosen, pilots=np.concatenate([chosen, fixed]), counted=fresh, fixed=False)
        portfolios.append(_portfolio(rank, solution, picks))
        model.forbid(solution.chosen)
    fixed_picks = explain.picks(fixed, pilots=fixed, counted=programme.counted, fixed=True)
    return PilotPlan(
        params=params,
        portfolios=tuple(portfolios),
        fixed=fixed_picks,
        excluded=tuple(places.code[programme.excluded].tolist()),
        n_candidates=len(places.code),
        seconds=time.perf_counter() - start,
    )


def _places(coverage: CoverageResult, areas: gpd.GeoDataFrame, params: PilotParams) -> _Places:
    cov = coverage.areas
    area_xy = to_metres(*area_points(coverage, areas), coverage.crs)
    residents = cov["residents_50plus"].to_numpy(dtype=float)
    residents = np.where(np.isnan(residents), 0.0, residents)
    value = np.nan_to_num(residents * cov["gap_score"].to_numpy(dtype=float), nan=0.0)
    area_ward = cov["ward_code"].to_numpy(dtype=object)
    wards = coverage.wards.drop_duplicates("code")
    if params.level == "area":
        pairs = pairs_within(area_xy, area_xy, params.reach_m * (1 + TOLERANCE))
        reach = sparse.csr_matrix(
            (np.ones(len(pairs.demand), dtype=bool), (pairs.demand, pairs.supply)), shape=(len(cov), len(cov))
        )
        return _Places(
            code=cov["code"].to_numpy(dtype=object),
            name=cov["name"].to_numpy(dtype=object),
            ward_code=area_ward,
            ward_name=pd.Series(area_ward)
            .map(dict(zip(wards["code"], wards["name"], strict=True)))
            .to_numpy(),
            need_index=cov["need_index"].to_numpy(dtype=float),
            gap_score=cov["gap_score"].to_numpy(dtype=float),
            xy=area_xy,
            polygons=np.asarray(cov.geometry.values),
            area_code=cov["code"].to_numpy(dtype=object),
            area_ward=area_ward,
            residents=residents,
            value=value,
            area_xy=area_xy,
            reach=reach,
        )
    ward_at = pd.Index(wards["code"]).get_indexer(area_ward)
    inside = np.flatnonzero(ward_at >= 0)
    reach = sparse.csr_matrix(
        (np.ones(len(inside), dtype=bool), (inside, ward_at[inside])), shape=(len(cov), len(wards))
    )
    return _Places(
        code=wards["code"].to_numpy(dtype=object),
        name=wards["name"].to_numpy(dtype=object),
        ward_code=wards["code"].to_numpy(dtype=object),
        ward_name=wards["name"].to_numpy(dtype=object),
        need_index=wards["need_index"].to_numpy(dtype=float),
        gap_score=wards["gap_score"].to_numpy(dtype=float),
        xy=_ward_centres(wards, coverage.crs, reach, residents, area_xy),
        polygons=np.asarray(wards.geometry.values),
        area_code=cov["code"].to_numpy(dtype=object),
        area_ward=area_ward,
        residents=residents,
        value=value,
        area_xy=area_xy,
        reach=reach,
    )


def _ward_centres(
    wards: gpd.GeoDataFrame, crs: str, reach: sparse.csr_matrix, residents: np.ndarray, area_xy: np.ndarray
) -> np.ndarray:
    """Each ward's centre: the mean of its areas' points weighted by residents aged 50+.

    A ward without residents aged 50+ is placed at a point inside its polygon.
    """
    member = reach.T.astype(float).multiply(residents[None, :]).tocsr()  # (wards, areas)
    weight = np.asarray(member.sum(axis=1)).ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        xy = (member @ area_xy) / weight[:, None]
    empty = weight <= 0
    if empty.any():
        inside = shapely.point_on_surface(np.asarray(wards.geometry.values)[empty])
        xy[empty] = to_metres(shapely.get_x(inside), shapely.get_y(inside), crs)
    return np.asarray(xy)


def _adjacent(polygons: np.ndarray) -> np.ndarray:
    """``(n, n)`` booleans: the two polygons touch or overlap (a shared corner counts)."""
    n = len(polygons)
    left, right = shapely.STRtree(polygons).query(polygons, predicate="intersects")
    touching = np.zeros((n, n), dtype=bool)
    touching[left, right] = True
    np.fill_diagonal(touching, False)
    return touching


@dataclass(frozen=True)
class _Programme:
    allowed: np.ndarray  # candidates that may be chosen as new pilots (before any separation)
    fixed: np.ndarray  # candidates that are pilots already
    excluded: np.ndarray  # candidates left out
    counted: np.ndarray  # small areas whose residents count


def _programme(places: _Places, coverage: CoverageResult, codes: Collection[str], mode: str) -> _Programme:
    unknown = sorted(set(codes) - set(coverage.wards["code"]))
    if unknown and mode != "ignore":
        raise InvalidInput(f"programme_wards: {unknown[0]} is not a ward of this coverage")
    candidate_in = (
        np.isin(places.ward_code, list(codes)) if mode != "ignore" else np.zeros(len(places.code), bool)
    )
    area_in = (
        np.isin(places.area_ward, list(codes)) if mode == "exclude" else np.zeros(len(places.area_code), bool)
    )
    fixed = candidate_in if mode == "fixed" else np.zeros_like(candidate_in)
    excluded = candidate_in if mode == "exclude" else np.zeros_like(candidate_in)
    return _Programme(allowed=~candidate_in, fixed=fixed, excluded=excluded, counted=~area_in)


@dataclass(frozen=True)
class _Rules:
    """Which candidates may be chosen together at a given separation."""

    apart: np.ndarray  # (n, n) metres
    adjacent: np.ndarray  # (n, n) booleans, all False unless adjacency is refused
    allowed: np.ndarray  # before separation
    fixed: np.ndarray
    xy: np.ndarray

    def at(self, separation_m: float, *, adjacency: bool = True) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
        """The candidates allowed at this separation, and cliques of those in conflict."""
        conflict = self.apart < separation_m * (1 - TOLERANCE)
        if adjacency:
            conflict |= self.adjacent
        np.fill_diagonal(conflict, False)
        allowed = self.allowed & ~conflict[self.fixed].any(axis=0)
        conflict &= allowed[:, None] & allowed[None, :]
        return allowed, clique_cover(conflict, self.xy)

    def most(self, separation_m: float, *, cap: int, time_limit_s: float, adjacency: bool = True) -> int:
        """How many new pilots (up to ``cap``) can be placed at this separation."""
        allowed, cliques = self.at(separation_m, adjacency=adjacency)
        return most_choosable(allowed, cliques, cap=cap, time_limit_s=time_limit_s)


def _reached_by(reach: sparse.csr_matrix, chosen: np.ndarray) -> np.ndarray:
    return np.asarray(reach[:, chosen].sum(axis=1)).ravel() > 0


def _portfolio(rank: int, solution: Solution, picks: tuple[Pick, ...]) -> Portfolio:
    return Portfolio(
        rank=rank,
        picks=picks,
        objective=solution.objective,
        residents_50plus=float(sum(p.residents_50plus for p in picks)),
        status=solution.status,
        optimal=solution.optimal,
        gap=solution.gap,
        seconds=solution.seconds,
    )


@dataclass(frozen=True)
class _Explainer:
    """Turns chosen candidates into :class:`Pick` rows."""

    places: _Places
    value: np.ndarray  # (m,) each small area's value, with programme exclusions applied
    apart: np.ndarray  # (n, n) metres between candidates

    def picks(
        self, members: np.ndarray, *, pilots: np.ndarray, counted: np.ndarray, fixed: bool
    ) -> tuple[Pick, ...]:
        """A pick for each of ``members``, most valuable first.

        ``pilots`` are all the portfolio's pilots (for the nearest other one); ``counted`` the
        small areas that count for these members.
        """
        places = self.places
        owner = _nearest_owner(places, members, counted)
        picks = []
        for k, i in enumerate(members):
            mine = owner == k
            others = pilots[pilots != i]
            nearest = float(self.apart[i, others].min()) / 1000 if len(others) else None
            residents = float(places.residents[mine].sum())
            areas = tuple(places.area_code[mine].tolist())
            picks.append(
                Pick(
                    code=str(places.code[i]),
                    name=str(places.name[i]),
                    ward_code=_text(places.ward_code[i]),
                    ward_name=_text(places.ward_name[i]),
                    need_index=float(places.need_index[i]),
                    gap_score=float(places.gap_score[i]),
                    residents_50plus=residents,
                    value=float(self.value[mine].sum()),
                    areas=areas,
                    nearest_pilot_km=nearest,
                    fixed=fixed,
                    why=_why(
                        places.need_index[i],
                        places.gap_score[i],
                        n_areas=len(areas),
                        residents=residents,
                        nearest_km=nearest,
                        fixed=fixed,
                    ),
                )
            )
        return tuple(sorted(picks, key=lambda p: (-p.value, p.code)))


def _nearest_owner(places: _Places, members: np.ndarray, counted: np.ndarray) -> np.ndarray:
    """For each small area, the position in ``members`` of the nearest member reaching it (-1: none)."""
    if len(members) == 0:
        return np.full(len(places.area_code), -1)
    reaches = places.reach[:, members].toarray() & counted[:, None]
    metres = np.where(reaches, distances(places.area_xy, places.xy[members]), np.inf)
    return np.where(reaches.any(axis=1), np.argmin(metres, axis=1), -1)


def _why(
    need: float, gap: float, *, n_areas: int, residents: float, nearest_km: float | None, fixed: bool
) -> str:
    """One line a reader can check against the map.

    >>> print(_why(0.8123, 0.7, n_areas=3, residents=1520.0, nearest_km=2.44, fixed=False))
    ... # doctest: +NORMALIZE_WHITESPACE
    need 0.81, gap 0.70; reaches 3 small areas with 1,520 residents aged 50+ not otherwise reached;
    2.4 km from the nearest other pilot
    """
    parts = [f"need {_two(need)}, gap {_two(gap)}"]
    areas = f"{n_areas} small area{'' if n_areas == 1 else 's'}"
    if fixed:
        parts.append(f"Connectors already work here: {areas}, {residents:,.0f} residents aged 50+")
    else:
        parts.append(f"reaches {areas} with {residents:,.0f} residents aged 50+ not otherwise reached")
    if nearest_km is not None:
        parts.append(f"{nearest_km:.1f} km from the nearest other pilot")
    return "; ".join(parts)


def _text(value: Any) -> str | None:
    return None if pd.isna(value) else str(value)


def _two(x: float) -> str:
    return "unknown" if math.isnan(x) else f"{x:.2f}"


def _infeasible(places: _Places, params: PilotParams, rules: _Rules, excluded: np.ndarray) -> PlanInfeasible:
    """Why no k pilots fit, with the largest k and the largest separation that do."""
    k, separation, limit = params.k, params.min_separation_m, params.time_limit_s
    max_k = rules.most(separation, cap=k, time_limit_s=limit)
    max_separation = (
        _largest_separation(rules, k, below=separation, time_limit_s=limit) if separation > 0 else None
    )
    allow_adjacent = (
        params.no_adjacent and rules.most(separation, cap=k, time_limit_s=limit, adjacency=False) >= k
    )
    what = "small areas" if params.level == "area" else "wards"
    rules_text = [f"{_km(separation)} apart"] if separation > 0 else []
    if params.no_adjacent:
        rules_text.append("non-adjacent")
    if rules_text:
        head = f"at most {max_k} pilot{'' if max_k == 1 else 's'} can be {' and '.join(rules_text)}"
        if rules.fixed.any():
            head += " (counting the programme wards kept as fixed pilots)"
    else:
        head = f"only {max_k} {what} can be chosen"
        if excluded.any():
            head += f" ({int(excluded.sum())} are in programme wards, which are excluded)"
        elif rules.fixed.any():
            head += " besides the programme wards kept as fixed pilots"
    lower = [f"k to {max_k}"] if max_k > 0 else []
    if max_separation:
        lower.append(f"the separation to {_km(_round_down(max_separation * (1 + TOLERANCE)))}")
    ways = [f"lower {' or '.join(lower)}"] if lower else []
    if max_separation == 0:
        ways.append("drop the separation")
    if allow_adjacent:
        ways.append("allow adjacent pilots")
    advice = " or ".join(ways) if ways else "no pilot can be placed under these rules"
    return PlanInfeasible(
        f"k = {k} is too many: {head}; {advice}",
        max_k=max_k,
        max_separation_m=max_separation,
        allow_adjacent=allow_adjacent,
    )


def _largest_separation(rules: _Rules, k: int, *, below: float, time_limit_s: float) -> float | None:
    """The largest separation under ``below`` at which k pilots fit, or None if none does.

    It is always 0 or a distance between two candidates (the closest pair of the best portfolio, or
    a pilot and a fixed one), so a bisection over the distinct distances finds it exactly.
    """
    relevant = np.flatnonzero(rules.allowed | rules.fixed)
    pairs = rules.apart[np.ix_(relevant, relevant)][np.triu_indices(len(relevant), 1)]
    values = np.unique(np.concatenate([[0.0], pairs[pairs < below]]))

    def fits(i: int) -> bool:
        return rules.most(float(values[i]), cap=k, time_limit_s=time_limit_s) >= k

    if not fits(0):
        return None
    low, high = 0, len(values)  # fits(low); values[high] (or ``below``) does not
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if fits(middle) else (low, middle)
    return float(values[low])


def _round_down(metres: float) -> float:
    """Down to 10 m from 1 km up, else to the metre, so the advice still fits.

    >>> _round_down(2137.4), _round_down(812.9)
    (2130.0, 812.0)
    """
    step = 10.0 if metres >= 1000 else 1.0
    return math.floor(metres / step) * step


def _km(metres: float) -> str:
    """
    >>> _km(2000.0), _km(2130.0), _km(812.0)
    ('2 km', '2.13 km', '812 m')
    """
    return f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"
