"""The pure helpers behind the SQL store: ward lookup for points and query boxes."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from assetmap.storage.rows import bbox_shape, ward_codes_at
from tests.storage import zoo

POINTS = [
    zoo.IN_ABBEY,
    zoo.IN_BELGRAVE,
    zoo.ON_SHARED_EDGE,
    zoo.IN_TRIANGLE,
    zoo.OUTSIDE_TRIANGLE,
    zoo.OUTSIDE_ALL,
]
LON, LAT = (np.array(v) for v in zip(*POINTS, strict=True))


def test_ward_codes_at_hand_checked_points():
    assert ward_codes_at(zoo.WARDS, LON, LAT) == ["E05001", "E05002", "E05001", "E05003", None, None]


def test_ward_codes_at_without_wards_or_points():
    assert ward_codes_at([], LON, LAT) == [None] * len(POINTS)
    assert ward_codes_at(zoo.WARDS, np.array([]), np.array([])) == []


@given(st.permutations(zoo.WARDS))
def test_ward_codes_at_does_not_depend_on_ward_order(wards):
    assert ward_codes_at(wards, LON, LAT) == ward_codes_at(zoo.WARDS, LON, LAT)


def test_bbox_shape_has_the_right_dimension():
    assert bbox_shape((-1.1, 52.6, -1.1, 52.6)).geom_type == "Point"
    assert bbox_shape((-1.2, 52.6, -1.1, 52.6)).geom_type == "LineString"
    assert bbox_shape((-1.2, 52.6, -1.1, 52.7)).area > 0
