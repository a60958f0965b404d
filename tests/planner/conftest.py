"""Fixtures for the planner tests: hand-made instances drawn in metres, and the Leicester pack.

Everything is drawn in British National Grid metres as offsets from ``ORIGIN`` (inside Leicester)
and handed to the planner in WGS84, so expected distances are plain arithmetic on the offsets.

- :func:`plan_instance` makes a coverage result directly (residents, gap and need given by hand),
  so a test knows each small area's value ``residents_50plus × gap_score`` exactly.
- :func:`coverage_frames` makes the engine's three input frames, for the what-if and site tests
  that run the real coverage engine.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

from assetmap.coverage import CoverageParams, CoverageResult, compute_coverage
from assetmap.geo import BNG, WGS84

BENCH = Path(__file__).resolve().parents[2] / "bench"
ORIGIN = (458_000.0, 304_000.0)
_TO_WGS84 = Transformer.from_crs(BNG, WGS84, always_xy=True)

# Reach 400 m (1 m/s, detour 1.5, 10 minutes): minutes = metres / 40.
WALK = CoverageParams(speed_mps=1.0, detour_factor=1.5, minutes=10.0)


def lonlat(xy: Sequence[Sequence[float]]) -> tuple[np.ndarray, np.ndarray]:
    """Offsets in metres from ``ORIGIN`` to lon/lat arrays."""
    pts = np.asarray(xy, dtype=float).reshape(-1, 2)
    lon, lat = _TO_WGS84.transform(pts[:, 0] + ORIGIN[0], pts[:, 1] + ORIGIN[1])
    return np.asarray(lon), np.asarray(lat)


def squares(centres: Sequence[Sequence[float]], side: float) -> np.ndarray:
    """Squares of ``side`` metres around offsets, as WGS84 polygons."""
    c = np.asarray(centres, dtype=float).reshape(-1, 2) + ORIGIN
    boxes = shapely.box(c[:, 0] - side / 2, c[:, 1] - side / 2, c[:, 0] + side / 2, c[:, 1] + side / 2)
    return np.asarray(gpd.GeoSeries(boxes, crs=BNG).to_crs(WGS84).values)


def plan_instance(
    xy: Sequence[Sequence[float]],
    *,
    residents: Sequence[float],
    gap: Sequence[float],
    wards: Sequence[str] | None = None,
    side: float = 100.0,
) -> tuple[CoverageResult, gpd.GeoDataFrame]:
    """A coverage result and its small-area frame for areas at offsets ``xy``.

    Area ``i`` is ``A<i>`` (zero-padded), a square of ``side`` metres around its point, with the
    residents and gap score given; its need index is its gap score. Wards (``wards[i]`` per area,
    default all in ``W1``) are the union of their areas' squares; their gap and need are the
    resident-weighted means, as in the engine.
    """
    n = len(xy)
    codes = [f"A{i:02d}" for i in range(n)]
    ward_of = list(wards) if wards is not None else ["W1"] * n
    lon, lat = lonlat(xy)
    polygons = squares(xy, side)
    table = pd.DataFrame(
        {
            "code": codes,
            "name": [f"Area {c}" for c in codes],
            "ward_code": ward_of,
            "residents_50plus": np.asarray(residents, dtype=float),
            "need_index": np.asarray(gap, dtype=float),
            "gap_score": np.asarray(gap, dtype=float),
        }
    )
    area_frame = gpd.GeoDataFrame(table, geometry=polygons, crs=WGS84)
    ward_rows = []
    for code, group in table.groupby("ward_code", sort=True):
        weight = group["residents_50plus"].to_numpy()
        mean = float(np.average(group["gap_score"], weights=weight)) if weight.sum() > 0 else np.nan
        ward_rows.append({"code": code, "name": f"Ward {code}", "need_index": mean, "gap_score": mean})
    ward_polygons = [
        shapely.union_all(polygons[table["ward_code"].to_numpy() == r["code"]]) for r in ward_rows
    ]
    ward_frame = gpd.GeoDataFrame(pd.DataFrame(ward_rows), geometry=ward_polygons, crs=WGS84)
    inputs = gpd.GeoDataFrame({"code": codes, "pw_lon": lon, "pw_lat": lat}, geometry=polygons, crs=WGS84)
    coverage = CoverageResult(area_frame, ward_frame, categories=(), crs=BNG)
    return coverage, inputs


def coverage_frames(
    areas: Sequence[dict], assets: Sequence[dict], wards: Sequence[dict]
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The engine's inputs from specs in metres from ``ORIGIN``.

    Areas: ``code``, ``ward_code``, ``xy`` (the pw point, centre of a 200 m square),
    ``residents_50plus`` and optionally ``imd_score`` (default 10). Assets: ``id``, ``category``,
    ``xy``. Wards: ``code``, ``name``, ``box`` (x0, y0, x1, y1).
    """
    lon, lat = lonlat([a["xy"] for a in areas])
    area_frame = gpd.GeoDataFrame(
        {
            "code": [a["code"] for a in areas],
            "name": [a["code"] for a in areas],
            "ward_code": [a["ward_code"] for a in areas],
            "residents_total": [2.0 * a["residents_50plus"] for a in areas],
            "residents_50plus": [float(a["residents_50plus"]) for a in areas],
            "residents_65plus": [0.5 * a["residents_50plus"] for a in areas],
            "residents_75plus": [0.2 * a["residents_50plus"] for a in areas],
            "imd_score": [float(a.get("imd_score", 10.0)) for a in areas],
            "imd_decile": [5.0] * len(areas),
            "idaopi_score": [0.1] * len(areas),
            "loneliness": [25.0] * len(areas),
            "pw_lon": lon,
            "pw_lat": lat,
        },
        geometry=squares([a["xy"] for a in areas], 200.0),
        crs=WGS84,
    )
    a_lon, a_lat = lonlat([s["xy"] for s in assets]) if assets else (np.empty(0), np.empty(0))
    asset_frame = gpd.GeoDataFrame(
        {
            "id": [s["id"] for s in assets],
            "category": [s["category"] for s in assets],
            "name": [s.get("name", s["id"]) for s in assets],
        },
        geometry=gpd.points_from_xy(a_lon, a_lat),
        crs=WGS84,
    )
    boxes = np.array([w["box"] for w in wards], dtype=float) + np.array(ORIGIN * 2)
    ward_frame = gpd.GeoDataFrame(
        {"code": [w["code"] for w in wards], "name": [w["name"] for w in wards]},
        geometry=gpd.GeoSeries(shapely.box(*boxes.T), crs=BNG).to_crs(WGS84).values,
        crs=WGS84,
    )
    return area_frame, asset_frame, ward_frame


# A street of six areas 500 m apart in two wards; a library at the west end, a café in the middle.
STREET_WARDS = [
    {"code": "W1", "name": "West", "box": (-250, -250, 1250, 250)},
    {"code": "W2", "name": "East", "box": (1250, -250, 2750, 250)},
]
STREET_AREAS = [
    {"code": f"S{i}", "ward_code": "W1" if i < 3 else "W2", "xy": (500.0 * i, 0.0), "residents_50plus": r}
    for i, r in enumerate([100, 200, 300, 400, 500, 0])
]
STREET_ASSETS = [
    {"id": "lib1", "category": "library", "xy": (0.0, 100.0), "name": "West Library"},
    {"id": "cafe1", "category": "cafe", "xy": (1000.0, 100.0), "name": "Middle Café"},
    {"id": "hall1", "category": "community_centre", "xy": (2000.0, 150.0), "name": "East Hall"},
    {"id": "church1", "category": "faith", "xy": (1500.0, -150.0), "name": "St Anne's"},
    {"id": "mosque1", "category": "faith", "xy": (2500.0, -100.0), "name": "Masjid"},
]
STREET_CATEGORIES = ("library", "cafe", "community_centre", "faith")


@pytest.fixture(scope="session")
def street() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    return coverage_frames(STREET_AREAS, STREET_ASSETS, STREET_WARDS)


@pytest.fixture(scope="session")
def street_coverage(street) -> CoverageResult:
    return compute_coverage(*street, WALK, categories=STREET_CATEGORIES)


def _bench_module(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def leicester() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The real Leicester pack, loaded by the importer into a throwaway store, as engine frames."""
    return _bench_module("leicester_frames").load_frames()
