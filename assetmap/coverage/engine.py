"""Coverage per small area and per ward: the numbers every map, page and report shows.

:func:`compute_coverage` takes small areas, assets and wards (GeoDataFrames in WGS84) and returns
new frames; it reads and writes nothing else. Distances are measured in British National Grid for
GB data (else the local UTM zone) from each area's population-weighted point; walking time is
straight-line distance × detour factor ÷ speed or, given a walk network (:mod:`assetmap.network`),
network distance ÷ speed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import cache, partial
from typing import TYPE_CHECKING, Any, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from assetmap import geo, taxonomy
from assetmap.coverage.catchment import two_step_fca
from assetmap.coverage.distance import Pairs, count_by_group, group_positions, reach_by_group
from assetmap.coverage.need import explain_all, need_factors, need_scores, with_gaps
from assetmap.coverage.params import NEED_FACTORS, CoverageParams
from assetmap.errors import InvalidInput
from assetmap.models import AREA_MEASURES

if TYPE_CHECKING:
    from assetmap.network import WalkGraph

AREA_INPUT_COLUMNS = ("code", "name", "ward_code", *AREA_MEASURES)
CONTRIBUTIONS = tuple(f"c_{f}" for f in (*NEED_FACTORS, "distance", "catchment"))
PARALLEL_FROM = 20_000  # areas + assets from which the work is shared out over threads

T = TypeVar("T")


@dataclass(frozen=True)
class CoverageResult:
    """Per-area and per-ward coverage, both sorted by code, geometry in WGS84.

    ``distance_model`` says how the distances were measured: ``straight_line`` (× the detour
    factor for walking time) or ``network`` (along the walk network).
    """

    areas: gpd.GeoDataFrame
    wards: gpd.GeoDataFrame
    categories: tuple[str, ...]
    crs: str
    distance_model: str = "straight_line"


@dataclass(frozen=True)
class _Assets:
    """The assets that count (of the categories measured), as the arrays the engine needs."""

    id: np.ndarray
    category: np.ndarray
    points: np.ndarray  # shapely points
    capacity: np.ndarray
    ward_code: np.ndarray | None  # as given on the asset layer, if asked to trust it


@cache
def _transformer_to(crs: CRS) -> Transformer:
    # Building a transformer costs tens of milliseconds; pyproj transformers are thread-safe.
    return Transformer.from_crs("EPSG:4326", crs, always_xy=True)


def demand_points(areas: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lon, lat and source of each area's demand point.

    The population-weighted point (``pw_lon``/``pw_lat``) where known, else a point guaranteed to
    lie inside the polygon.
    """
    lon = areas["pw_lon"].to_numpy(dtype=float, copy=True)
    lat = areas["pw_lat"].to_numpy(dtype=float, copy=True)
    has_pw = ~np.isnan(lon) & ~np.isnan(lat)
    if not has_pw.all():
        inside = shapely.point_on_surface(np.asarray(areas.geometry.values)[~has_pw])
        lon[~has_pw], lat[~has_pw] = shapely.get_x(inside), shapely.get_y(inside)
    source = np.where(has_pw, "population_weighted", "point_on_surface")
    return lon, lat, source


def compute_coverage(
    areas: gpd.GeoDataFrame,
    assets: gpd.GeoDataFrame,
    wards: gpd.GeoDataFrame,
    params: CoverageParams,
    *,
    categories: Sequence[str] | None = None,
    asset_ward_column: str | None = None,
    network: WalkGraph | None = None,
) -> CoverageResult:
    """Coverage of small areas and wards by assets.

    Parameters
    ----------
    areas
        Small areas: polygons plus :data:`AREA_INPUT_COLUMNS`, ``pw_lon`` and ``pw_lat``.
    assets
        Asset points with ``id`` and ``category``; only ``categories`` count (default: every
        taxonomy category on the asset layer). An optional ``capacity`` column weights 2SFCA.
    wards
        Ward polygons with ``code`` and ``name``.
    params
        Walking model and weights.
    categories
        Categories to measure; "any" in the output means any of these.
    asset_ward_column
        A column of ``assets`` that already holds each asset's ward code, worked out by the same
        rule as :func:`assign_wards` against these wards (storage does so when it saves an asset).
        Given, it is trusted and the engine does not test points against ward polygons.
    network
        A walk network of the place, measured in the same CRS as the areas: distances are then
        network metres and walking time is metres ÷ speed, with no detour factor. ``None``:
        straight lines.

    Returns
    -------
    CoverageResult
        See ``docs/coverage.md`` for every column.

    Notes
    -----
    The work runs on a few threads inside the call (one KD-tree per category, the sort of asset ids,
    placing assets in wards); the numbers are the same whatever order they finish in.
    """
    cats = tuple(categories) if categories is not None else tuple(taxonomy.asset_categories())
    if len(set(cats)) < len(cats):
        raise InvalidInput(f"categories: each category may be listed once, got {', '.join(cats)}")
    for frame, label in ((areas, "small areas"), (assets, "assets"), (wards, "wards")):
        if frame.crs is None or not frame.crs.equals("EPSG:4326"):
            raise InvalidInput(f"{label}: expected WGS84 (EPSG:4326), got {frame.crs}")
    areas, wards = _by_code(areas), _by_code(wards)
    counted = _counted_assets(assets, cats, ward_column=asset_ward_column)
    crs = geo.measuring_crs(
        areas if not areas.empty else gpd.GeoDataFrame(geometry=counted.points, crs=assets.crs)
    )
    lon, lat, point_source = demand_points(areas)
    # Sorting asset ids and placing assets in wards let go of the GIL for the most part, so they run
    # alongside the projection. On small inputs threads cost more in hand-overs than they save.
    parallel = len(areas) + len(counted.id) >= PARALLEL_FROM
    params, measure = _distance_model(params, crs, network, parallel=parallel)
    with ThreadPoolExecutor(max_workers=2) if parallel else _InThisThread() as pool:
        by_id = pool.submit(_stable_argsort, counted.id)
        tally = pool.submit(_ward_tally, counted, wards, cats)
        demand_xy, supply_xy = _to_metres(
            crs, areas["code"].to_numpy(), (lon, lat, point_source), counted, parallel=parallel
        )
        # Assets in id order: that fixes the order 2SFCA adds up in, whatever the order of the input.
        order = by_id.result()
        category = counted.category[order]
        # The KD-tree searches let go of the GIL: the need scores are worked out meanwhile. Unordered
        # pairs are enough, as the inputs come in a fixed order (areas by code, assets by id).
        reach = pool.submit(measure, demand_xy, supply_xy[order], category, cats, params.reach_m)
        need = need_scores(need_factors(areas), need_weights=params.need_weights)
        area_out = _area_access(
            areas,
            reach.result(),
            category=category,
            capacity=counted.capacity[order],
            cats=cats,
            params=params,
        )
        area_gdf = _finish_areas(area_out, areas, point_source=point_source, need=need, params=params)
        ward_gdf = _ward_summary(area_gdf, tally.result(), wards, cats)
    model = "straight_line" if network is None else "network"
    return CoverageResult(area_gdf, ward_gdf, cats, crs.to_string(), model)


def _distance_model(
    params: CoverageParams, crs: CRS, network: WalkGraph | None, *, parallel: bool
) -> tuple[CoverageParams, Callable[..., tuple[np.ndarray, Pairs]]]:
    """The parameters and the ``reach_by_group`` to measure with: straight lines, or along ``network``."""
    if network is None:
        return params, partial(reach_by_group, workers=-1 if parallel else 1, ordered=False)
    from assetmap.network.paths import reach_by_group as along  # assetmap.network imports coverage

    if not CRS.from_user_input(network.crs).equals(crs):
        raise InvalidInput(
            f"walk network: measured in {network.crs}, but these small areas are measured in {crs}; "
            "import the network of the same place"
        )
    # Network metres are walked as they are: the detour factor stands in for a network, so it is 1.
    return replace(params, detour_factor=1.0), partial(along, graph=network)


class _InThisThread(Executor):
    """An executor that runs each task at once, in the thread that submits it."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        done: Future[T] = Future()
        try:
            done.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to whoever asks for the result, as a pool would
            done.set_exception(exc)
        return done


def _counted_assets(assets: gpd.GeoDataFrame, cats: tuple[str, ...], *, ward_column: str | None) -> _Assets:
    """The assets of ``cats``, in the order given."""
    keep = assets["category"].isin(cats).to_numpy()

    def column(name: str, dtype: type) -> np.ndarray:
        return assets[name].to_numpy(dtype=dtype)[keep]

    return _Assets(
        id=column("id", object),
        category=column("category", object),
        points=np.asarray(assets.geometry.values)[keep],
        capacity=column("capacity", float) if "capacity" in assets else np.ones(int(keep.sum())),
        ward_code=column(ward_column, object) if ward_column is not None else None,
    )


def _stable_argsort(values: np.ndarray) -> np.ndarray:
    """Indices that sort ``values`` as ``sort_values(kind="stable")`` would.

    >>> _stable_argsort(np.array(["b", "a", "b"], dtype=object)).tolist()
    [1, 0, 2]
    """
    try:
        if len(values) < 2 or bool(np.all(values[:-1] <= values[1:])):
            return np.arange(len(values))  # already in order, as storage lists assets
    except TypeError:  # values that do not compare (mixed types): let pandas order them
        pass
    if pd.api.types.infer_dtype(values, skipna=False) == "string":
        # NumPy's variable-width strings sort in code point order, like str, and faster than objects.
        return np.argsort(values.astype(np.dtypes.StringDType()), kind="stable")
    return pd.Series(values).sort_values(kind="stable").index.to_numpy()


def _to_metres(
    crs: CRS,
    codes: np.ndarray,
    demand: tuple[np.ndarray, np.ndarray, np.ndarray],
    counted: _Assets,
    *,
    parallel: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Demand points (lon, lat, source) and assets in metres; one that cannot be measured raises."""
    lon, lat, source = demand
    a_lon, a_lat = shapely.get_x(counted.points), shapely.get_y(counted.points)
    x, y = np.concatenate([lon, a_lon]), np.concatenate([lat, a_lat])
    transform = _transformer_to(crs).transform
    # pyproj lets go of the GIL while it transforms: the two halves run on two cores.
    half = len(x) // 2 if parallel else 0
    with ThreadPoolExecutor(max_workers=1) if parallel else _InThisThread() as side:
        first = side.submit(transform, x[:half], y[:half], inplace=True)
        transform(x[half:], y[half:], inplace=True)
        first.result()
    xy = np.column_stack([x, y])
    bad = np.flatnonzero(~np.isfinite(xy).all(axis=1))
    if len(bad) and bad[0] < len(lon):
        i = bad[0]
        point = "pw_lon/pw_lat" if source[i] == "population_weighted" else "a point on its polygon"
        raise InvalidInput(
            f"small areas: {codes[i]}: {point} ({lon[i]}, {lat[i]}) cannot be measured in {crs}"
        )
    if len(bad):
        i = bad[0] - len(lon)
        raise InvalidInput(
            f"assets: {counted.id[i]}: lon/lat ({a_lon[i]}, {a_lat[i]}) cannot be measured in {crs}"
        )
    return xy[: len(lon)], xy[len(lon) :]


def _finish_areas(
    area_out: pd.DataFrame,
    areas: gpd.GeoDataFrame,
    *,
    point_source: np.ndarray,
    need: pd.DataFrame,
    params: CoverageParams,
) -> gpd.GeoDataFrame:
    """The area frame from the access columns: point source, gap scores, rank, reasons, polygons."""
    area_out["point_source"] = point_source
    scores = with_gaps(
        need,
        walk_minutes=area_out["walk_min_any"],
        access=area_out["fca_per_1000"],
        gap_weights=params.gap_weights,
    )
    area_out = pd.concat([area_out, scores], axis=1)
    area_out["gap_rank"] = area_out["gap_score"].rank(ascending=False, method="min").astype("Int64")
    area_out["why"] = explain_all(area_out[list(CONTRIBUTIONS)]).tolist()
    return gpd.GeoDataFrame(area_out, geometry=areas.geometry.values, crs="EPSG:4326", copy=False)


def _by_code(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``frame`` sorted by ``code`` (stable), with a fresh index; storage lists them so already."""
    if not frame["code"].is_monotonic_increasing:
        frame = frame.sort_values("code", kind="stable")
    return frame.reset_index(drop=True)


def _area_access(
    areas: gpd.GeoDataFrame,
    reach: tuple[np.ndarray, Pairs],
    *,
    category: np.ndarray,
    capacity: np.ndarray,
    cats: tuple[str, ...],
    params: CoverageParams,
) -> pd.DataFrame:
    """Distance, walk and count columns per category, and 2SFCA, from :func:`reach_by_group`'s result."""
    columns: dict[str, object] = {c: areas[c] for c in AREA_INPUT_COLUMNS if c in areas}
    nearest, pairs = reach
    any_nearest = nearest.min(axis=1) if len(cats) else np.full(len(areas), np.inf)
    counts = count_by_group(pairs, len(areas), category, cats)
    for k, c in enumerate(cats):
        columns[f"dist_m_{c}"] = nearest[:, k]
        columns[f"walk_min_{c}"] = params.walk_minutes(nearest[:, k])
        columns[f"n_within_{c}"] = counts[:, k]
    columns["dist_m_any"] = any_nearest
    columns["walk_min_any"] = params.walk_minutes(any_nearest)
    columns["n_within_any"] = counts.sum(axis=1)
    # Every pair is within reach: the catchment is the same set of assets the counts count.
    fca = two_step_fca(
        pairs,
        areas["residents_50plus"].fillna(0).to_numpy(dtype=float),
        capacity,
        cost=pairs.metres,
        max_cost=params.reach_m,
    )
    columns["fca_per_1000"] = fca * 1000.0
    return pd.DataFrame(columns, index=areas.index)


def assign_wards(points: np.ndarray, wards: gpd.GeoDataFrame) -> np.ndarray:
    """Ward code for each point geometry, or None outside every ward.

    A point on a boundary shared by several wards (or inside overlapping wards) gets the smallest
    code, whatever the order of ``wards``.
    """
    codes = wards["code"].to_numpy(dtype=object)
    order = np.argsort(codes, kind="stable")
    first = _first_polygon(np.asarray(points), np.asarray(wards.geometry.values)[order])
    out = np.full(len(points), None, dtype=object)
    out[first >= 0] = codes[order][first[first >= 0]]
    return out


def _first_polygon(points: np.ndarray, polygons: np.ndarray) -> np.ndarray:
    """Index of the first polygon each point lies in or on, -1 when none."""
    none = np.iinfo(np.intp).max
    first = np.full(len(points), none, dtype=np.intp)
    if len(points) and len(polygons):
        # A tree over the points, queried with each (prepared) polygon, beats one query per point.
        poly_idx, pt_idx = shapely.STRtree(points).query(polygons, predicate="intersects")
        np.minimum.at(first, pt_idx, poly_idx)
    first[first == none] = -1
    return first


def _ward_tally(counted: _Assets, wards: gpd.GeoDataFrame, cats: tuple[str, ...]) -> np.ndarray:
    """Assets of each category per ward, an ``(n_wards, n_cats)`` array; ``wards`` sorted by code.

    Wards sharing a code share the tally of that code.
    """
    code_at, codes = pd.factorize(wards["code"])
    if counted.ward_code is not None:
        ward = pd.Index(codes).get_indexer(counted.ward_code)
    else:
        first = _first_polygon(counted.points, np.asarray(wards.geometry.values))
        ward = np.append(code_at, -1)[first]  # first is -1 outside every ward
    cat = group_positions(counted.category, cats)
    inside = (ward >= 0) & (cat >= 0)
    tally = np.bincount(ward[inside] * len(cats) + cat[inside], minlength=len(codes) * len(cats))
    return tally.reshape(len(codes), len(cats))[code_at]


def _ward_summary(
    areas: gpd.GeoDataFrame, tally: np.ndarray, wards: gpd.GeoDataFrame, cats: tuple[str, ...]
) -> gpd.GeoDataFrame:
    """Per-ward figures from the areas' results and the asset ``tally``; ``wards`` sorted by code.

    Sums over a ward's areas skip missing values; a ward with none has no figure (NaN). Means are
    weighted by residents aged 50+. Wards sharing a code share the figures of that code.
    """
    code_at, codes = pd.factorize(wards["code"])
    ward = pd.Index(codes).get_indexer(areas["ward_code"])
    inside = ward >= 0
    ward = ward[inside]

    def sums(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per ward: the sum of the values that are there, and how much weight they had."""
        values = np.asarray(values, dtype=float)[inside]
        there = ~np.isnan(values)
        total = np.bincount(ward[there], weights=values[there], minlength=len(codes))
        return total[code_at], np.bincount(ward[there], minlength=len(codes))[code_at]

    def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)

    pop_raw = areas["residents_50plus"].to_numpy(dtype=float)
    pop_sum, pop_n = sums(pop_raw)
    pop = np.where(pop_n > 0, pop_sum, np.nan)
    columns: dict[str, object] = {
        "code": wards["code"].to_numpy(),
        "name": wards["name"].to_numpy(),
        "residents_50plus": pop,
        "n_areas": np.bincount(ward, minlength=len(codes))[code_at],
    }
    per_1000 = ratio(np.full(len(pop), 1000.0), pop)
    for k, c in enumerate(cats):
        columns[f"n_assets_{c}"] = tally[:, k]
        columns[f"assets_per_1000_50plus_{c}"] = tally[:, k] * per_1000
    columns["n_assets"] = tally.sum(axis=1)
    columns["assets_per_1000_50plus"] = columns["n_assets"] * per_1000

    weight = np.nan_to_num(pop_raw, nan=0.0)
    weight_sum, _ = sums(weight)
    for c in (*cats, "any"):
        reached, _ = sums(weight * (areas[f"n_within_{c}"].to_numpy() > 0))
        columns[f"share_50plus_within_{c}"] = ratio(reached, weight_sum)

    for c in ("walk_min_any", "fca_per_1000", "need_index", "gap_score", *CONTRIBUTIONS):
        values = areas[c].to_numpy(dtype=float)
        values = np.where(np.isinf(values), np.nan, values) if c == "walk_min_any" else values
        there = ~np.isnan(values)
        num, _ = sums(np.where(there, values * weight, np.nan))
        den, _ = sums(np.where(there, weight, np.nan))
        columns[c] = ratio(num, den)
    out = pd.DataFrame(columns)
    out["gap_rank"] = out["gap_score"].rank(ascending=False, method="min").astype("Int64")
    out["why"] = explain_all(out[list(CONTRIBUTIONS)]).tolist()
    return gpd.GeoDataFrame(out, geometry=wards.geometry.values, crs="EPSG:4326", copy=False)
