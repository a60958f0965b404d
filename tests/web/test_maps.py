"""Map scaffolding: class breaks, colour scales, asset symbols and the folium map."""

from __future__ import annotations

import math
import re

import geopandas as gpd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from assetmap import taxonomy
from assetmap.errors import InvalidInput
from assetmap.web import maps

VENDOR = {"js": [("leaflet", "/vendor/leaflet.js")], "css": [("leaflet_css", "/vendor/leaflet.css")]}
LEICESTER = (-1.22, 52.58, -1.05, 52.69)


def test_class_breaks_find_natural_groups():
    assert maps.class_breaks([1, 2, 3, 10, 11, 12, 30, 31], k=3) == [3.0, 12.0, 31.0]


def test_class_breaks_quantiles():
    assert maps.class_breaks(range(1, 11), k=2, scheme="quantiles") == [5.5, 10.0]


def test_class_breaks_ignore_missing_and_infinite_values():
    assert maps.class_breaks([float("nan"), 1.0, float("inf"), 2.0, -float("inf")], k=5) == [1.0, 2.0]


def test_class_breaks_of_few_or_no_values():
    assert maps.class_breaks([0.4, 0.4, 0.4]) == [0.4]
    assert maps.class_breaks([0.2, 0.1], k=5) == [0.1, 0.2]
    assert maps.class_breaks([]) == []
    assert maps.class_breaks([float("nan")]) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"k": 0}, "k >= 1"), ({"scheme": "jenks_by_eye"}, "unknown classification 'jenks_by_eye'")],
)
def test_class_breaks_refuse_bad_options(kwargs, message):
    with pytest.raises(InvalidInput, match=message):
        maps.class_breaks([1, 2, 3], **kwargs)


@given(
    st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=1, max_size=40),
    st.integers(min_value=1, max_value=7),
    st.randoms(),
)
def test_class_breaks_cover_every_value_whatever_the_order(values, k, rnd):
    breaks = maps.class_breaks(values, k=k)
    assert 1 <= len(breaks) <= k
    assert breaks == sorted(set(breaks))  # strictly increasing
    assert breaks[-1] == max(values)  # every value falls in a class
    shuffled = list(values)
    rnd.shuffle(shuffled)
    assert maps.class_breaks(shuffled, k=k) == breaks


def test_colours_run_light_to_dark_where_worse_is():
    assert maps.colours_for(5) == list(maps.SEQUENTIAL)
    assert maps.colours_for(5, worse="low") == list(reversed(maps.SEQUENTIAL))
    assert maps.colours_for(3) == ["#fde725", "#21918c", "#440154"]
    assert maps.colours_for(1) == ["#21918c"]
    assert maps.colours_for(0) == []
    with pytest.raises(InvalidInput, match="worse must be"):
        maps.colours_for(2, worse="sideways")


def test_scale_has_one_colour_per_class():
    scale = maps.scale([0.9, 0.1, 0.5, 0.45, 0.12, 0.88, float("nan")], k=3, worse="low")
    assert scale["min"] == 0.1
    assert len(scale["breaks"]) == len(scale["colours"]) == 3
    assert scale["colours"][0] == maps.SEQUENTIAL[-1]  # low is worse: darkest first


def test_metric_scales_for_the_page():
    rows = {
        "gap_score": [0.2, 0.6],
        "assets_per_1000_50plus": [1.0, 3.0],
        "share_50plus_within_any": [0.5, 1.0],
        "need_index": [0.1, 0.9],
    }
    scales = maps.metric_scales(rows, maps.ward_metrics(7))
    assert [s["key"] for s in scales] == list(rows)
    share = scales[2]
    assert share["label"] == "Aged 50+ within 7 minutes' walk" and share["kind"] == "share"
    assert share["breaks"] == [0.5, 1.0] and share["colours"] == ["#440154", "#fde725"]


def test_every_category_has_a_distinct_readable_symbol():
    symbols = maps.category_symbols()
    assert [s["id"] for s in symbols] == list(taxonomy.categories())
    assert len({s["glyph"] for s in symbols}) == len(symbols)  # letters alone tell them apart
    assert len({(s["colour"], s["shape"]) for s in symbols}) == len(symbols)
    for s in symbols:
        assert s["shape"] in {"circle", "square", "diamond"}
        assert maps.contrast_ratio(s["text"], s["colour"]) >= 4.5, s["id"]
        assert s["subcategories"] == taxonomy.categories()[s["id"]].subcategories


def test_contrast_ratio_is_symmetric():
    assert maps.contrast_ratio("#ffffff", "#ffffff") == 1.0
    assert maps.contrast_ratio("#0072B2", "#ffffff") == maps.contrast_ratio("#ffffff", "#0072B2")


def test_page_map_loads_only_what_it_is_given():
    parts = maps.page_map(bbox=LEICESTER, **VENDOR)
    assert str(parts.head).split("\n") == [
        '<script src="/vendor/leaflet.js"></script>',
        '<link rel="stylesheet" href="/vendor/leaflet.css"/>',
    ]
    assert f'id="{parts.name}"' in parts.html
    assert f"var {parts.name} = L.map(" in parts.script
    assert "[[52.58, -1.22], [52.69, -1.05]]" in parts.script  # fitted, as [lat, lon]
    for text in (parts.head, parts.html, parts.script):
        assert "http" not in text and "viewport" not in text
    assert "tileLayer" not in parts.script


def test_page_map_with_a_basemap():
    tiles = {"url": "https://tiles.example.org/{z}/{x}/{y}.png", "attribution": "© Example"}
    parts = maps.page_map(bbox=LEICESTER, tiles=tiles, **VENDOR)
    assert re.findall(r"https?://[^\"'\s]+", parts.script) == [tiles["url"]]
    assert "L.tileLayer(" in parts.script


def test_page_map_needs_a_finite_box():
    with pytest.raises(InvalidInput, match="finite bounding box"):
        maps.page_map(bbox=(math.nan, 52.0, -1.0, 53.0), **VENDOR)


def test_reach_bbox_grows_in_metres():
    point = gpd.GeoDataFrame(geometry=gpd.points_from_xy([-1.13], [52.63]), crs="EPSG:4326")
    min_lon, min_lat, max_lon, max_lat = maps.reach_bbox(point, 1000)
    assert (max_lat - min_lat) * 111_200 == pytest.approx(2000, rel=0.01)
    assert (max_lon - min_lon) * 111_200 * math.cos(math.radians(52.63)) == pytest.approx(2000, rel=0.01)
    with pytest.raises(InvalidInput, match="no geometry"):
        maps.reach_bbox(point.iloc[:0], 1000)


def test_reach_bbox_refuses_projected_frames():
    point = gpd.GeoDataFrame(geometry=gpd.points_from_xy([450000], [300000]), crs="EPSG:27700")
    with pytest.raises(InvalidInput, match="expected WGS84"):
        maps.reach_bbox(point, 10)
