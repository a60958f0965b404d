"""Static ward maps (assetmap.mapimage), on the tiny zoo of tests/test_summaries.py."""

from __future__ import annotations

import struct

import geopandas as gpd
import matplotlib.pyplot as plt
import pytest

from assetmap import mapimage, taxonomy
from assetmap.coverage import CoverageParams, compute_coverage
from assetmap.errors import NotFound
from assetmap.frames import areas_frame, assets_frame, wards_frame
from assetmap.models import Ward
from tests.test_summaries import AREAS, ASSETS, EAST, WEST


@pytest.fixture(scope="module")
def result():
    wards = wards_frame([Ward("W1", "West", WEST), Ward("W2", "East", EAST)])
    return compute_coverage(areas_frame(AREAS), assets_frame(ASSETS), wards, CoverageParams())


def _png_size(png: bytes) -> tuple[int, int]:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    return struct.unpack(">II", png[16:24])


def test_map_is_a_png_of_the_asked_size(result):
    png = mapimage.ward_map_png(
        result, "W1", assets_frame(ASSETS), labels=["A1"], width_in=4, height_in=3, dpi=50
    )
    assert _png_size(png) == (200, 150)
    assert plt.get_fignums() == []  # nothing left behind in pyplot


def test_map_draws_a_ward_with_an_unscored_area_and_no_assets(result):
    empty = gpd.GeoDataFrame({"category": []}, geometry=[], crs="EPSG:4326")
    png = mapimage.ward_map_png(result, "W2", empty, labels=["A2", "not-here"], dpi=40)
    assert _png_size(png) == (280, 192)


def test_unknown_ward_is_not_found(result):
    with pytest.raises(NotFound):
        mapimage.ward_map_png(result, "W9", assets_frame(ASSETS))


def test_every_category_has_its_own_marker():
    styles = [mapimage.category_style(c) for c in taxonomy.categories()]
    assert len({marker for marker, _ in styles}) == len(styles)


def test_fit_extent_keeps_the_bounds_inside():
    x0, y0, x1, y1 = mapimage.fit_extent((10, 20, 30, 100), 1.5)
    assert x0 < 10 and y0 < 20 and x1 > 30 and y1 > 100
    assert (x1 - x0) / (y1 - y0) == pytest.approx(1.5)


@pytest.mark.parametrize("level", ["ward", "area"])
def test_plan_map_is_a_png_of_the_whole_city(result, level):
    picks = ["W2"] if level == "ward" else [result.areas["code"].iloc[0]]
    fixed = ["W1"] if level == "ward" else []
    png = mapimage.plan_map_png(
        result,
        level=level,
        picks=picks,
        reached=list(result.areas["code"]),
        fixed=fixed,
        width_in=4,
        height_in=3,
        dpi=50,
    )
    assert _png_size(png) == (200, 150)
    assert plt.get_fignums() == []
