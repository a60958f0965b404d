"""Fixtures for the coverage engine tests: the synthetic zoo, a frame builder and the Leicester pack.

The zoo is drawn in British National Grid metres around ``ORIGIN`` (near lon -1.13, lat 52.63)
and handed to the engine in WGS84, so every expected distance in the tests is plain arithmetic
on the offsets below. Leicester frames and the PySAL / GeoPandas references come from ``bench/``
(loaded by path, as ``bench/`` is not a package).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from copy import deepcopy
from pathlib import Path
from types import ModuleType

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Transformer

from assetmap import taxonomy
from assetmap.coverage import CoverageParams, CoverageResult, compute_coverage
from assetmap.geo import BNG, WGS84
from assetmap.models import AREA_MEASURES

BENCH = Path(__file__).resolve().parents[2] / "bench"

ORIGIN = (458_000.0, 304_000.0)
_TO_WGS84 = Transformer.from_crs(BNG, WGS84, always_xy=True)

# Radius 400 m; minutes = metres / 40 (1.5 detour at 1 m/s).
ZOO_PARAMS = CoverageParams(speed_mps=1.0, detour_factor=1.5, minutes=10.0)
ZOO_CATEGORIES = ("cafe", "library", "faith", "health", "social_club", "park")

# Three 1 km square wards in a row; W3 has an asset but no small areas.
ZOO_WARDS = [
    {"code": "W1", "name": "West", "box": (0, 0, 1000, 1000)},
    {"code": "W2", "name": "Middle", "box": (1000, 0, 2000, 1000)},
    {"code": "W3", "name": "East", "box": (2000, 0, 3000, 1000)},
]
# 500 m square areas along the south edge; pw point at each square's centre. A4 has no residents.
ZOO_AREAS = [
    {
        "code": "A1",
        "ward_code": "W1",
        "box": (0, 0, 500, 500),
        "pw": (250, 250),
        "residents_50plus": 100,
        "residents_75plus": 10,
        "idaopi_score": 0.1,
        "loneliness": 20.0,
        "imd_score": 10.0,
    },
    {
        "code": "A2",
        "ward_code": "W1",
        "box": (500, 0, 1000, 500),
        "pw": (750, 250),
        "residents_50plus": 300,
        "residents_75plus": 90,
        "idaopi_score": 0.4,
        "loneliness": 30.0,
        "imd_score": 40.0,
    },
    {
        "code": "A3",
        "ward_code": "W2",
        "box": (1000, 0, 1500, 500),
        "pw": (1250, 250),
        "residents_50plus": 200,
        "residents_75plus": 80,
        "idaopi_score": 0.2,
        "loneliness": None,
        "imd_score": 20.0,
    },
    {
        "code": "A4",
        "ward_code": "W2",
        "box": (1500, 0, 2000, 500),
        "pw": (1750, 250),
        "residents_50plus": 0,
        "residents_75plus": 0,
        "idaopi_score": 0.3,
        "loneliness": 25.0,
        "imd_score": 30.0,
    },
]
ZOO_ASSETS = [
    {"id": "s1", "category": "cafe", "xy": (250, 550)},  # 300 m north of A1
    {"id": "s2", "category": "cafe", "xy": (750, 630)},  # 380 m north of A2
    {"id": "s3", "category": "library", "xy": (1250, 600)},  # 350 m north of A3
    {"id": "s4", "category": "faith", "xy": (1750, 570)},  # 320 m north of A4
    {"id": "s5", "category": "health", "xy": (2500, 500)},  # in W3, 790.6 m from A4
    {"id": "s6", "category": "social_club", "xy": (450, 250)},  # 200 m east of A1, 300 m west of A2
    {"id": "s7", "category": "cafe", "xy": (250, -160)},  # 410 m south of A1, outside every ward
    {"id": "b1", "category": "bus_stop", "xy": (260, 260)},  # context layer: never counted
]


def to_lonlat(x: Sequence[float], y: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """BNG offsets from ``ORIGIN`` to lon/lat arrays."""
    lon, lat = _TO_WGS84.transform(np.asarray(x, float) + ORIGIN[0], np.asarray(y, float) + ORIGIN[1])
    return np.asarray(lon), np.asarray(lat)


def _boxes(rows: list[dict]) -> gpd.GeoSeries:
    boxes = shapely.box(*np.array([r["box"] for r in rows], dtype=float).reshape(-1, 4).T)
    return gpd.GeoSeries(shapely.transform(boxes, lambda c: c + ORIGIN), crs=BNG).to_crs(WGS84)


def build_frames(
    areas: list[dict], assets: list[dict], wards: list[dict]
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Areas, assets and wards in WGS84 from specs in BNG metres from ``ORIGIN``.

    Area specs need ``code``, ``ward_code``, ``box`` and ``pw`` (or None) and may give any
    engine input column; asset specs need ``id``, ``category``, ``xy`` and may give ``capacity``.
    """
    area_cols = ("name", *AREA_MEASURES)
    pw = np.array([r["pw"] if r["pw"] is not None else (np.nan, np.nan) for r in areas], float).reshape(-1, 2)
    pw_lon, pw_lat = to_lonlat(pw[:, 0], pw[:, 1])  # pyproj turns NaN into inf: put NaN back
    pw_lon[np.isnan(pw[:, 0])], pw_lat[np.isnan(pw[:, 1])] = np.nan, np.nan
    area_frame = gpd.GeoDataFrame(
        {
            "code": [r["code"] for r in areas],
            "ward_code": [r["ward_code"] for r in areas],
            **{
                c: np.array([r.get(c, r["code"] if c == "name" else None) for r in areas], dtype=object)
                for c in area_cols
            },
            "pw_lon": pw_lon,
            "pw_lat": pw_lat,
        },
        geometry=_boxes(areas).values,
        crs=WGS84,
    )
    numeric = [c for c in area_cols if c != "name"]
    area_frame[numeric] = area_frame[numeric].astype(float)

    xy = np.array([r["xy"] for r in assets], float).reshape(-1, 2)
    lon, lat = to_lonlat(xy[:, 0], xy[:, 1])
    asset_frame = gpd.GeoDataFrame(
        {"id": [r["id"] for r in assets], "category": [r["category"] for r in assets]},
        geometry=gpd.points_from_xy(lon, lat),
        crs=WGS84,
    )
    if any("capacity" in r for r in assets):
        asset_frame["capacity"] = [float(r.get("capacity", 1.0)) for r in assets]

    ward_frame = gpd.GeoDataFrame(
        {"code": [r["code"] for r in wards], "name": [r["name"] for r in wards]},
        geometry=_boxes(wards).values,
        crs=WGS84,
    )
    return area_frame, asset_frame, ward_frame


def _bench_module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def zoo_specs() -> Callable[[], dict[str, list[dict]]]:
    """Fresh copies of the zoo's specs, to change one thing and rebuild with ``frames_builder``."""

    def copies() -> dict[str, list[dict]]:
        return {"areas": deepcopy(ZOO_AREAS), "assets": deepcopy(ZOO_ASSETS), "wards": deepcopy(ZOO_WARDS)}

    return copies


@pytest.fixture(scope="session")
def zoo_params() -> CoverageParams:
    return ZOO_PARAMS


@pytest.fixture(scope="session")
def zoo_categories() -> tuple[str, ...]:
    return ZOO_CATEGORIES


@pytest.fixture(scope="session")
def zoo() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    return build_frames(ZOO_AREAS, ZOO_ASSETS, ZOO_WARDS)


@pytest.fixture(scope="session")
def zoo_result(zoo) -> CoverageResult:
    return compute_coverage(*zoo, ZOO_PARAMS, categories=ZOO_CATEGORIES)


@pytest.fixture(scope="session")
def frames_builder() -> Callable[..., tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]]:
    """:func:`build_frames`, as a fixture so hypothesis tests can use it."""
    return build_frames


@pytest.fixture(scope="session")
def baselines() -> ModuleType:
    """``bench/baselines.py``: the GeoPandas and PySAL reference implementations."""
    return _bench_module("baselines")


@pytest.fixture(scope="session")
def leicester() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The real Leicester pack, loaded by the pack importer into a throwaway store, as engine frames."""
    return _bench_module("leicester_frames").load_frames()


@pytest.fixture(scope="session")
def leicester_metres(leicester) -> tuple[np.ndarray, gpd.GeoDataFrame]:
    """Straight-line metres (BNG) from every Leicester pw point to every counted asset, and those assets.

    Computed densely with GeoPandas, independently of the engine's KD-trees.
    """
    areas, assets, _ = leicester
    counted = assets[assets["category"].isin(taxonomy.asset_categories())].reset_index(drop=True)
    demand = gpd.GeoSeries(gpd.points_from_xy(areas["pw_lon"], areas["pw_lat"]), crs=WGS84).to_crs(BNG)
    supply = counted.geometry.to_crs(BNG)
    metres = np.hypot(
        demand.x.to_numpy()[:, None] - supply.x.to_numpy()[None, :],
        demand.y.to_numpy()[:, None] - supply.y.to_numpy()[None, :],
    )
    return metres, counted
