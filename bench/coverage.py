"""Time the coverage engine on Leicester and on a national-size copy of it, against GeoPandas and PySAL.

Run ``.venv/bin/python bench/coverage.py`` (a couple of minutes on 2 cores). Cases:

- **Leicester**: the real pack (192 LSOAs, 888 counted assets, 21 wards).
- **national**: Leicester's LSOA points, assets and wards tiled 28 x 28 times, 15 km apart, across a
  420 km square of British National Grid (150,528 small areas, 696,192 assets, 16,464 wards), each
  point moved by seeded Gaussian jitter (sd 30 m) so no two tiles are identical; the same frames
  every run, areas listed by code and assets by id, as storage lists them.

Methods, each timed as the median of several runs after one warm-up run:

- ``assetmap compute_coverage``: the full recompute (every output column, areas and wards) as the
  service runs it: the asset frame carries the ward storage recorded for each asset when it was
  saved (``asset_ward_column="ward_code"``). Leicester's frame comes from storage; the national
  frame's column is filled once with ``assign_wards`` (storage's rule) before the timing.
- the same without that column: the engine places every asset in its ward by testing points
  against ward polygons; the results are checked to be the same frames.
- ``assetmap distance step``: only what (a) computes (nearest distance and count within the walk
  per category and "any"), with the engine's own functions, for a like-for-like ratio.
- ``(a) geopandas``: buffer each pw point by the radius + ``sjoin`` to count, ``sjoin_nearest``
  for distance, per category (``bench/baselines.py``).
- ``(b) PySAL access 2SFCA`` on a cost table of every pair within the walk, and
  ``assetmap two_step_fca`` on the same table.

The ratio column is each method's median divided by the full recompute's in the same case.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import geopandas as gpd  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import scipy  # noqa: E402
import shapely  # noqa: E402
from baselines import geopandas_counts_nearest, pysal_two_stage_fca  # noqa: E402
from leicester_frames import load_frames  # noqa: E402
from pyproj import Transformer  # noqa: E402
from timing import machine, median_seconds  # noqa: E402

from assetmap import taxonomy  # noqa: E402
from assetmap.coverage import CoverageParams, CoverageResult, compute_coverage  # noqa: E402
from assetmap.coverage.catchment import two_step_fca  # noqa: E402
from assetmap.coverage.distance import Pairs, count_by_group, pairs_within, reach_by_group  # noqa: E402
from assetmap.coverage.engine import assign_wards, demand_points  # noqa: E402
from assetmap.frames import ASSET_WARD_COLUMN  # noqa: E402
from assetmap.geo import BNG, WGS84  # noqa: E402

SIDE = 28
SPACING_M = 15_000.0
GRID_ORIGIN_M = (-300_000.0, -200_000.0)  # where tile (0, 0) goes, relative to Leicester
JITTER_M = 30.0
SEED = 20_240_501
REPEATS = {"Leicester": 7, "national": 3}
TO_BNG = Transformer.from_crs(WGS84, BNG, always_xy=True)  # built once, as the engine caches its own


def national_frames(
    areas: gpd.GeoDataFrame, assets: gpd.GeoDataFrame, wards: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Leicester tiled ``SIDE`` x ``SIDE`` times across BNG; codes and ids get a ``-<tile>`` suffix.

    The same points every run: the importer gives assets random ids, so the jitter is drawn with the
    assets in the order of their position; areas are then listed by code and assets by id, as
    storage lists them, each asset with the ward it lies in (``ward_code``), as storage records it
    when an asset is saved.
    """
    rng = np.random.default_rng(SEED)
    assets = assets.iloc[np.lexsort((assets.geometry.y, assets.geometry.x, assets["category"]))]
    by_id = np.argsort(assets["id"].to_numpy(dtype=object), kind="stable")
    gx, gy = np.meshgrid(np.arange(SIDE), np.arange(SIDE), indexing="ij")
    offsets = np.column_stack([gx.ravel(), gy.ravel()]) * SPACING_M + GRID_ORIGIN_M
    n = len(offsets)
    to_bng = Transformer.from_crs(WGS84, BNG, always_xy=True)
    to_wgs84 = Transformer.from_crs(BNG, WGS84, always_xy=True)

    def points(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x, y = to_bng.transform(lon, lat)
        xy = np.column_stack([np.tile(x, n), np.tile(y, n)]) + np.repeat(offsets, len(x), axis=0)
        xy += rng.normal(0.0, JITTER_M, xy.shape)
        return to_wgs84.transform(xy[:, 0], xy[:, 1])

    def polygons(frame: gpd.GeoDataFrame) -> np.ndarray:
        tiled = np.tile(np.asarray(frame.to_crs(BNG).geometry.values), n)
        shift = np.repeat(offsets, len(frame), axis=0)
        _, owner = shapely.get_coordinates(tiled, return_index=True)
        moved = shapely.transform(tiled, lambda coords: coords + shift[owner])
        return np.asarray(gpd.GeoSeries(moved, crs=BNG).to_crs(WGS84).values)

    def suffixed(values: pd.Series) -> np.ndarray:
        tags = np.repeat([f"-{t:03d}" for t in range(n)], len(values))
        return (pd.Series(np.tile(values.to_numpy(dtype=object), n)) + tags).to_numpy()

    big_areas = pd.DataFrame({c: np.tile(areas[c].to_numpy(), n) for c in areas.columns if c != "geometry"})
    big_areas["code"], big_areas["ward_code"] = suffixed(areas["code"]), suffixed(areas["ward_code"])
    big_areas["pw_lon"], big_areas["pw_lat"] = points(areas["pw_lon"].to_numpy(), areas["pw_lat"].to_numpy())
    lon, lat = points(shapely.get_x(assets.geometry.values), shapely.get_y(assets.geometry.values))
    big_assets = gpd.GeoDataFrame(
        {"id": suffixed(assets["id"]), "category": np.tile(assets["category"].to_numpy(), n)},
        geometry=gpd.points_from_xy(lon, lat),
        crs=WGS84,
    )
    rows = (np.arange(n)[:, None] * len(assets) + by_id[None, :]).ravel()
    big_assets = big_assets.iloc[rows].reset_index(drop=True)  # each tile in id order
    in_id_order = np.argsort(big_assets["id"].to_numpy().astype(np.dtypes.StringDType()), kind="stable")
    big_assets = big_assets.iloc[in_id_order].reset_index(drop=True)
    big_wards = gpd.GeoDataFrame(
        {"code": suffixed(wards["code"]), "name": np.tile(wards["name"].to_numpy(), n)},
        geometry=polygons(wards),
        crs=WGS84,
    )
    big_assets[ASSET_WARD_COLUMN] = assign_wards(big_assets.geometry.values, big_wards)
    big_areas = gpd.GeoDataFrame(big_areas, geometry=polygons(areas), crs=WGS84)
    return big_areas.sort_values("code", kind="stable").reset_index(drop=True), big_assets, big_wards


def projected(areas: gpd.GeoDataFrame, assets: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Demand and asset points in BNG metres, as the engine measures them."""
    lon, lat, _ = demand_points(areas)
    demand = np.column_stack(TO_BNG.transform(lon, lat))
    supply = np.column_stack(
        TO_BNG.transform(shapely.get_x(assets.geometry.values), shapely.get_y(assets.geometry.values))
    )
    return demand, supply


def distance_step(
    areas: gpd.GeoDataFrame, assets: gpd.GeoDataFrame, cats: list[str], params: CoverageParams
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest metres and counts within the walk per category, with the engine's functions."""
    demand, supply = projected(areas, assets)
    group = assets["category"].to_numpy(dtype=object)
    nearest, pairs = reach_by_group(demand, supply, group, cats, params.reach_m)
    return nearest, count_by_group(pairs, len(demand), group, cats)


def finished_columns(result: CoverageResult) -> list[tuple[dict[str, np.ndarray], np.ndarray, object]]:
    """``result``'s areas and wards frames as numpy columns, geometry and CRS."""
    return [
        ({c: f[c].to_numpy() for c in f.columns if c != f.geometry.name}, f.geometry.values, f.crs)
        for f in (result.areas, result.wards)
    ]


def assemble_only(parts: list[tuple[dict[str, np.ndarray], np.ndarray, object]]) -> list[gpd.GeoDataFrame]:
    """Frames built from finished columns, computing nothing: a floor under any full recompute."""
    return [
        gpd.GeoDataFrame(pd.DataFrame(columns, copy=False), geometry=geometry, crs=crs)
        for columns, geometry, crs in parts
    ]


def run_case(
    case: str, frames: tuple[gpd.GeoDataFrame, ...], params: CoverageParams
) -> tuple[list[tuple[str, str, float]], list[str]]:
    """Time every method on one case; return table rows and summary lines."""
    areas, assets, wards = frames
    cats = taxonomy.asset_categories()
    counted = assets[assets["category"].isin(cats)].reset_index(drop=True)
    repeats = REPEATS[case]
    ours, result = median_seconds(
        lambda: compute_coverage(areas, assets, wards, params, asset_ward_column=ASSET_WARD_COLUMN), repeats
    )
    unplaced = assets.drop(columns=ASSET_WARD_COLUMN)
    placing, same = median_seconds(lambda: compute_coverage(areas, unplaced, wards, params), repeats)
    same_frames = same.areas.equals(result.areas) and same.wards.equals(result.wards)
    step, _ = median_seconds(lambda: distance_step(areas, counted, cats, params), repeats)
    geo, theirs = median_seconds(lambda: geopandas_counts_nearest(areas, counted, cats, params), repeats)
    parts = finished_columns(result)
    assembly, _ = median_seconds(lambda: assemble_only(parts), repeats)

    demand, supply = projected(areas, counted)
    pairs = pairs_within(demand, supply, params.reach_m)
    minutes = params.walk_minutes(pairs.metres)
    cost = pd.DataFrame(
        {
            "origin": areas["code"].to_numpy()[pairs.demand],
            "dest": counted["id"].to_numpy()[pairs.supply],
            "cost": minutes,
        }
    )
    residents = pd.Series(areas["residents_50plus"].to_numpy(float), index=areas["code"].to_numpy())
    capacity = pd.Series(1.0, index=counted["id"].to_numpy())
    pysal, ref = median_seconds(
        lambda: pysal_two_stage_fca(cost, residents, capacity, max_cost=params.minutes), repeats
    )
    fca, _ = median_seconds(
        lambda: two_step_fca(
            Pairs(pairs.demand, pairs.supply, minutes),
            residents.to_numpy(),
            capacity.to_numpy(),
            cost=minutes,
            max_cost=params.minutes,
        ),
        repeats,
    )

    n = f"{len(areas):,} areas, {len(counted):,} assets, {len(wards):,} wards"
    rows = [
        (case, f"assetmap compute_coverage (full recompute, as the service runs it; {n})", ours),
        (case, "assetmap compute_coverage, placing each asset in its ward itself", placing),
        (case, "assetmap distance step only (same outputs as (a))", step),
        (case, "building the output frames alone, from finished columns (no computing)", assembly),
        (case, "(a) geopandas buffer + sjoin, sjoin_nearest", geo),
        (case, "(b) PySAL access two_stage_fca (given the cost table)", pysal),
        (case, "assetmap two_step_fca (same cost table as (b))", fca),
    ]
    got = result.areas.set_index("code").loc[areas["code"]]
    return rows, [
        f"{case}: compute_coverage is {geo / ours:.1f}x faster than (a) ({geo / placing:.1f}x when it places "
        f"the assets in wards itself); the distance step alone is {geo / step:.1f}x faster than (a); "
        f"two_step_fca is {pysal / fca:.0f}x faster than (b)",
        f"{case}: placing the assets in wards itself, the same areas and wards frames: {same_frames}",
        f"{case}: (a) / 10 = {geo / 10 * 1000:.1f} ms; the distance step plus building the output frames "
        f"from finished columns take {(step + assembly) * 1000:.1f} ms before any 2SFCA, need or gap work",
        *agreement(
            case, got, theirs.loc[areas["code"]], ref=ref, pairs=pairs, counted=counted, params=params
        ),
        f"{case}: measuring CRS {result.crs}",
    ]


def agreement(
    case: str,
    got: pd.DataFrame,
    theirs: pd.DataFrame,
    *,
    ref: pd.Series,
    pairs: Pairs,
    counted: gpd.GeoDataFrame,
    params: CoverageParams,
) -> list[str]:
    """How far the engine's outputs are from (a) and (b), as printable lines."""
    cats = taxonomy.asset_categories()
    dist_gap = max(
        float(np.max(np.abs(np.where(np.isinf(got[c]), 0.0, got[c] - theirs[c])), initial=0.0))
        for c in got.columns
        if c.startswith("dist_m_")
    )
    # (a)'s buffer is a 64-gon inside the circle: it misses assets less than 0.56 m inside the radius.
    band = pairs.metres > params.radius_m * np.cos(np.pi / 64)
    in_band = count_by_group(
        Pairs(pairs.demand[band], pairs.supply[band], pairs.metres[band]),
        len(got),
        counted["category"].to_numpy(dtype=object),
        cats,
    )
    in_band = np.column_stack([in_band, in_band.sum(axis=1)])
    missed = np.column_stack(
        [(got[f"n_within_{c}"] - theirs[f"n_within_{c}"]).to_numpy() for c in (*cats, "any")]
    )
    explained = bool(((missed >= 0) & (missed <= in_band)).all())
    fca_gap = float(np.max(np.abs(got["fca_per_1000"].to_numpy() - ref.fillna(0.0).to_numpy() * 1000.0)))
    return [
        f"{case}: nearest distance vs (a): max |difference| {dist_gap:.2e} m",
        f"{case}: counts vs (a): {int((missed != 0).sum())} of {missed.size:,} area-category counts differ; "
        f"all by assets (a)'s 64-gon buffer leaves out (< 0.56 m inside the radius): {explained}",
        f"{case}: fca_per_1000 vs (b): max |difference| {fca_gap:.2e}",
    ]


def versions() -> str:
    return (
        f"Python {sys.version.split()[0]}, numpy {np.__version__}, scipy {scipy.__version__}, "
        f"shapely {shapely.__version__}, pandas {pd.__version__}, geopandas {gpd.__version__}"
    )


def main() -> None:
    started = time.perf_counter()
    params = CoverageParams()
    leicester = load_frames()
    rows, notes = run_case("Leicester", leicester, params)
    print("timed Leicester", file=sys.stderr)
    # Built after timing Leicester, so its millions of objects do not slow Leicester's garbage collection.
    counted = leicester[1][leicester[1]["category"].isin(taxonomy.asset_categories())]
    national = national_frames(leicester[0], counted, leicester[2])
    national_rows, national_notes = run_case("national", national, params)
    print("timed national", file=sys.stderr)

    ours = {case: seconds for case, method, seconds in rows + national_rows if "full recompute" in method}
    width = max(len(method) for _, method, _ in rows + national_rows)
    print(machine(versions()))
    print(
        f"median of {REPEATS['Leicester']} (Leicester) / {REPEATS['national']} (national) runs after one "
        "warm-up; ratio = median / the full recompute's median in the same case"
    )
    print(f"| case      | {'method':<{width}} | median s | ratio |")
    print(f"|-----------|{'-' * (width + 2)}|---------:|------:|")
    for case, method, seconds in rows + national_rows:
        print(f"| {case:<9} | {method:<{width}} | {seconds:8.3f} | {seconds / ours[case]:5.3f} |")
    print()
    print("\n".join(notes + national_notes))
    print(f"total bench time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
