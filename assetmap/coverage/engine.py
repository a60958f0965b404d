"""Coverage per small area and per ward: the numbers every map, page and report shows.

:func:`compute_coverage` takes small areas, assets and wards (GeoDataFrames in WGS84) and returns
new frames; it reads and writes nothing else. Distances are measured in British National Grid for
GB data (else the local UTM zone) from each area's population-weighted point; walking time is
straight-line distance × detour factor ÷ speed, until a walk network exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from assetmap import geo, taxonomy
from assetmap.coverage.catchment import two_step_fca
from assetmap.coverage.distance import count_by_group, nearest_by_group, pairs_within
from assetmap.coverage.need import explain, gap_scores, need_factors
from assetmap.coverage.params import NEED_FACTORS, CoverageParams

AREA_INPUT_COLUMNS = (
    "code",
    "name",
    "ward_code",
    "residents_total",
    "residents_50plus",
    "residents_65plus",
    "residents_75plus",
    "imd_score",
    "imd_decile",
    "idaopi_score",
    "loneliness",
)
CONTRIBUTIONS = tuple(f"c_{f}" for f in (*NEED_FACTORS, "distance", "catchment"))


@dataclass(frozen=True)
class CoverageResult:
    """Per-area and per-ward coverage, both sorted by code, geometry in WGS84."""

    areas: gpd.GeoDataFrame
    wards: gpd.GeoDataFrame
    categories: tuple[str, ...]
    crs: str


@cache
def _transformer_to(crs: CRS) -> Transformer:
    # Building a transformer costs tens of milliseconds; pyproj transformers are thread-safe.
    return Transformer.from_crs("EPSG:4326", crs, always_xy=True)


def demand_points(areas: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lon, lat and source of each area's demand point.

    The population-weighted point (``pw_lon``/``pw_lat``) where known, else a point guaranteed to
    lie inside the polygon.
    """
    rep = shapely.point_on_surface(areas.geometry.values)
    has_pw = areas["pw_lon"].notna().to_numpy() & areas["pw_lat"].notna().to_numpy()
    lon = np.where(has_pw, areas["pw_lon"].to_numpy(dtype=float), shapely.get_x(rep))
    lat = np.where(has_pw, areas["pw_lat"].to_numpy(dtype=float), shapely.get_y(rep))
    source = np.where(has_pw, "population_weighted", "point_on_surface")
    return lon, lat, source


def compute_coverage(
    areas: gpd.GeoDataFrame,
    assets: gpd.GeoDataFrame,
    wards: gpd.GeoDataFrame,
    params: CoverageParams,
    *,
    categories: Sequence[str] | None = None,
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

    Returns
    -------
    CoverageResult
        See ``docs/coverage.md`` for every column.
    """
    cats = tuple(categories) if categories is not None else tuple(taxonomy.asset_categories())
    for frame, label in ((areas, "small areas"), (assets, "assets"), (wards, "wards")):
        if frame.crs is None or not frame.crs.equals("EPSG:4326"):
            raise geo.InvalidInput(f"{label}: expected WGS84 (EPSG:4326), got {frame.crs}")
    areas = areas.sort_values("code", kind="stable").reset_index(drop=True)
    wards = wards.sort_values("code", kind="stable").reset_index(drop=True)
    assets = assets[assets["category"].isin(cats)]
    assets = assets.sort_values("id", kind="stable").reset_index(drop=True)
    crs = geo.measuring_crs(areas if not areas.empty else assets)
    to_metres = _transformer_to(crs)

    lon, lat, point_source = demand_points(areas)
    demand_xy = np.column_stack(to_metres.transform(lon, lat)) if len(areas) else np.empty((0, 2))
    a_lon, a_lat = shapely.get_x(assets.geometry.values), shapely.get_y(assets.geometry.values)
    supply_xy = np.column_stack(to_metres.transform(a_lon, a_lat)) if len(assets) else np.empty((0, 2))
    a_cat = assets["category"].to_numpy(dtype=object)

    area_out = _area_access(
        areas, demand_xy=demand_xy, supply_xy=supply_xy, a_cat=a_cat, assets=assets, cats=cats, params=params
    )
    area_out["point_source"] = point_source
    scores = gap_scores(
        need_factors(areas),
        walk_minutes=area_out["walk_min_any"],
        access=area_out["fca_per_1000"],
        need_weights=params.need_weights,
        gap_weights=params.gap_weights,
    )
    area_out = pd.concat([area_out, scores], axis=1)
    area_out["gap_rank"] = area_out["gap_score"].rank(ascending=False, method="min").astype("Int64")
    area_out["why"] = [explain(r) for r in area_out[list(CONTRIBUTIONS)].to_dict("records")]
    area_gdf = gpd.GeoDataFrame(area_out, geometry=areas.geometry.values, crs="EPSG:4326")

    ward_gdf = _ward_summary(area_gdf, assets, wards, cats)
    return CoverageResult(area_gdf, ward_gdf, cats, crs.to_string())


def _area_access(
    areas: gpd.GeoDataFrame,
    *,
    demand_xy: np.ndarray,
    supply_xy: np.ndarray,
    a_cat: np.ndarray,
    assets: gpd.GeoDataFrame,
    cats: tuple[str, ...],
    params: CoverageParams,
) -> pd.DataFrame:
    out = pd.DataFrame({c: areas[c] for c in AREA_INPUT_COLUMNS if c in areas})
    nearest = nearest_by_group(demand_xy, supply_xy, a_cat, cats)
    any_nearest = nearest.min(axis=1) if len(cats) else np.full(len(areas), np.inf)
    # A hair over the radius so float rounding never drops a pair exactly at N minutes.
    pairs = pairs_within(demand_xy, supply_xy, params.radius_m * (1 + 1e-9))
    minutes = params.walk_minutes(pairs.metres)
    within = minutes <= params.minutes
    counts = count_by_group(
        type(pairs)(pairs.demand[within], pairs.supply[within], pairs.metres[within]),
        len(areas),
        a_cat,
        cats,
    )
    for k, c in enumerate(cats):
        out[f"dist_m_{c}"] = nearest[:, k]
        out[f"walk_min_{c}"] = params.walk_minutes(nearest[:, k])
        out[f"n_within_{c}"] = counts[:, k]
    out["dist_m_any"] = any_nearest
    out["walk_min_any"] = params.walk_minutes(any_nearest)
    out["n_within_any"] = counts.sum(axis=1)
    capacity = assets["capacity"].to_numpy(dtype=float) if "capacity" in assets else np.ones(len(assets))
    fca = two_step_fca(
        pairs,
        areas["residents_50plus"].fillna(0).to_numpy(dtype=float),
        capacity,
        cost=minutes,
        max_cost=params.minutes,
    )
    out["fca_per_1000"] = fca * 1000.0
    return out


def assign_wards(points: np.ndarray, wards: gpd.GeoDataFrame) -> np.ndarray:
    """Ward code for each point geometry (the first ward by code on a shared edge), or None."""
    codes = np.full(len(points), None, dtype=object)
    if len(points) == 0 or wards.empty:
        return codes
    # A tree over the points, queried with each (prepared) ward, beats one query per point.
    ward_idx, pt_idx = shapely.STRtree(points).query(wards.geometry.values, predicate="intersects")
    order = np.lexsort((ward_idx, pt_idx))
    pt_idx, ward_idx = pt_idx[order], ward_idx[order]
    first = np.unique(pt_idx, return_index=True)[1]
    codes[pt_idx[first]] = wards["code"].to_numpy(dtype=object)[ward_idx[first]]
    return codes


def _weighted_mean(frame: pd.DataFrame, columns: Sequence[str], weight: str, by: str) -> pd.DataFrame:
    values = frame[list(columns)].astype(float)
    w = frame[weight].fillna(0).astype(float)
    mask = values.notna().mul(w, axis=0)
    num = values.fillna(0).mul(w, axis=0).groupby(frame[by]).sum()
    den = mask.groupby(frame[by]).sum()
    return num / den.where(den > 0)


def _ward_summary(
    areas: gpd.GeoDataFrame, assets: gpd.GeoDataFrame, wards: gpd.GeoDataFrame, cats: tuple[str, ...]
) -> gpd.GeoDataFrame:
    out = pd.DataFrame({"code": wards["code"], "name": wards["name"]}).set_index("code")
    pop = areas.groupby("ward_code")["residents_50plus"].sum(min_count=1)
    out["residents_50plus"] = pop.reindex(out.index)
    out["n_areas"] = areas.groupby("ward_code").size().reindex(out.index).fillna(0).astype(int)

    in_ward = pd.Series(assign_wards(assets.geometry.values, wards), dtype=object)
    tally = pd.DataFrame({"ward": in_ward, "category": assets["category"].to_numpy()})
    tally = tally.groupby(["ward", "category"]).size().unstack(fill_value=0) if len(tally) else pd.DataFrame()
    tally = tally.reindex(index=out.index, columns=list(cats), fill_value=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_1000 = 1000.0 / out["residents_50plus"].where(out["residents_50plus"] > 0)
    for c in cats:
        out[f"n_assets_{c}"] = tally[c].astype(int)
        out[f"assets_per_1000_50plus_{c}"] = tally[c] * per_1000
    out["n_assets"] = tally.sum(axis=1).astype(int)
    out["assets_per_1000_50plus"] = out["n_assets"] * per_1000

    reached = pd.DataFrame({"ward_code": areas["ward_code"], "pop": areas["residents_50plus"].fillna(0)})
    for c in (*cats, "any"):
        reached[c] = reached["pop"] * (areas[f"n_within_{c}"] > 0)
    sums = reached.groupby("ward_code").sum(numeric_only=True).reindex(out.index)
    for c in (*cats, "any"):
        out[f"share_50plus_within_{c}"] = sums[c] / sums["pop"].where(sums["pop"] > 0)

    means = ["walk_min_any", "fca_per_1000", "need_index", "gap_score", *CONTRIBUTIONS]
    finite = areas.assign(walk_min_any=areas["walk_min_any"].replace(np.inf, np.nan))
    out = out.join(_weighted_mean(finite, means, "residents_50plus", "ward_code"))
    out["gap_rank"] = out["gap_score"].rank(ascending=False, method="min").astype("Int64")
    out["why"] = [explain(r) for r in out[list(CONTRIBUTIONS)].to_dict("records")]
    out = out.reset_index()
    return gpd.GeoDataFrame(out, geometry=wards.geometry.values, crs="EPSG:4326")
