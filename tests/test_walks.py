"""The pure patch-walk rules (assetmap.walks): cutting routes, measuring, the public layer, GPX."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer
from shapely.geometry import LineString, box

from assetmap import walks
from assetmap.errors import InvalidInput
from assetmap.models import WalkPoint, WalkRoute

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
TO_WGS84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
ORIGIN = (458000.0, 304000.0)  # British National Grid, in Leicester


def at(metres_east, seconds, accuracy=5.0, *, north=0.0):
    """A point ``metres_east`` (and ``north``) of ORIGIN, measured in EPSG:27700, at T0 + seconds."""
    lon, lat = TO_WGS84.transform(ORIGIN[0] + metres_east, ORIGIN[1] + north)
    return WalkPoint(T0 + timedelta(seconds=seconds), lon, lat, accuracy)


def lengths(pieces):
    return [round(walks.length_m([p])) for p in pieces]


# -- cutting a route -------------------------------------------------------------------------------
def test_a_steady_walk_is_one_piece_of_its_length():
    route = [at(20 * i, 15 * i) for i in range(11)]
    assert lengths(walks.route_pieces(route)) == [200]


def test_a_jump_of_over_100_m_cuts_the_route_and_is_not_drawn():
    route = [at(0, 0), at(50, 30), at(100, 60), at(250, 90), at(300, 120)]  # 150 m from 100 to 250
    assert lengths(walks.route_pieces(route)) == [100, 50]


def test_just_under_100_m_and_exactly_5_minutes_still_join():
    assert lengths(walks.route_pieces([at(0, 0), at(99.9, 300)])) == [100]
    assert walks.route_pieces([at(0, 0), at(100.1, 300)]) == []


def test_a_pause_of_over_5_minutes_cuts_the_route():
    route = [at(0, 0), at(30, 20), at(60, 40 + 301), at(90, 360 + 20)]
    assert lengths(walks.route_pieces(route)) == [30, 30]


def test_an_inaccurate_point_is_dropped_and_cuts_the_route():
    route = [at(0, 0), at(20, 10), at(40, 20, accuracy=51.0), at(60, 30), at(80, 40)]
    assert lengths(walks.route_pieces(route)) == [20, 20]


def test_unknown_accuracy_is_kept():
    route = [at(0, 0, None), at(20, 10, None), at(40, 20, None)]
    assert lengths(walks.route_pieces(route)) == [40]


@pytest.mark.parametrize(
    "route",
    [[], [at(0, 0)], [at(0, 0), at(500, 10)], [at(0, 0, 80.0), at(10, 5, 80.0)]],
    ids=["empty", "one-point", "one-jump", "all-inaccurate"],
)
def test_routes_with_nothing_walked_have_no_pieces(route):
    assert walks.route_pieces(route) == []


@settings(max_examples=50, deadline=None)
@given(
    steps=st.lists(
        st.tuples(st.floats(0, 150), st.floats(1, 400), st.one_of(st.none(), st.floats(0, 80))),
        min_size=0,
        max_size=30,
    ),
    seed=st.integers(0, 1000),
)
def test_pieces_do_not_depend_on_input_order_and_never_hold_a_jump(steps, seed):
    route, x, t = [], 0.0, 0.0
    for dx, dt, accuracy in steps:
        x, t = x + dx, t + dt
        route.append(at(x, t, accuracy))
    shuffled = route[:]
    random.Random(seed).shuffle(shuffled)
    pieces = walks.route_pieces(route)
    assert [p.wkt for p in walks.route_pieces(shuffled)] == [p.wkt for p in pieces]
    for piece in pieces:
        coords = list(piece.coords)
        assert len(coords) >= 2
        segments = [LineString(pair) for pair in zip(coords, coords[1:], strict=False)]
        assert all(walks.length_m([s]) <= walks.MAX_STEP_M + 1e-6 for s in segments)
    assert walks.length_m(pieces) <= x + 1e-3


# -- measuring -------------------------------------------------------------------------------------
def test_length_within_clips_to_the_area():
    line = LineString([(at(0, 0).lon, at(0, 0).lat), (at(400, 0).lon, at(400, 0).lat)])
    half = box(at(0, 0).lon - 0.01, at(0, 0).lat - 0.01, at(200, 0).lon, at(0, 0).lat + 0.01)
    assert round(walks.length_within_m([line], half)) == 200
    assert walks.length_within_m([line], box(-1.0, 52.0, -0.9, 52.1)) == 0.0


def test_simplified_drops_points_on_a_straight_street_only():
    straight = walks.route_pieces([at(10 * i, 5 * i) for i in range(20)])
    (thin,) = walks.simplified(straight)
    assert len(thin.coords) == 2
    corner = walks.route_pieces([at(0, 0), at(50, 30), at(50, 60, north=50)])
    assert len(walks.simplified(corner)[0].coords) == 3


# -- the public layer ------------------------------------------------------------------------------
def test_streets_collection_keeps_only_month_and_walk_count():
    routes = [
        WalkRoute("a", T0, tuple(at(20 * i, 15 * i) for i in range(5))),
        WalkRoute("b", T0 + timedelta(days=1), (at(0, 0, north=300), at(50, 30, north=300))),
        WalkRoute("c", datetime(2026, 12, 1, 9, tzinfo=UTC), (at(0, 0, north=600), at(500, 1))),  # a jump
        WalkRoute("d", datetime(2026, 10, 31, 23, tzinfo=UTC), (at(0, 0, north=900), at(40, 20, north=900))),
    ]
    collection = walks.streets_collection(routes)
    props = [f["properties"] for f in collection["features"]]
    assert props == [
        {"month": "2026-10", "walks": 1},
        {"month": "2026-11", "walks": 2},
        {"month": "2026-11", "walks": 2},
    ]
    assert all(f["geometry"]["type"] == "LineString" for f in collection["features"])
    assert collection["features"][0]["geometry"]["coordinates"][0] == [
        round(at(0, 0, north=900).lon, 6),
        round(at(0, 0, north=900).lat, 6),
    ]


def test_streets_collection_bbox_keeps_pieces_that_meet_it():
    a = WalkRoute("a", T0, (at(0, 0), at(50, 30)))
    b = WalkRoute("b", T0, (at(0, 0, north=2000), at(50, 30, north=2000)))
    near_a = (at(0, 0).lon - 0.001, at(0, 0).lat - 0.001, at(0, 0).lon + 0.001, at(0, 0).lat + 0.001)
    collection = walks.streets_collection([a, b], bbox=near_a)
    assert [f["properties"] for f in collection["features"]] == [{"month": "2026-11", "walks": 1}]


# -- GPX -------------------------------------------------------------------------------------------
def gpx(body, ns=' xmlns="http://www.topografix.com/GPX/1/0"'):
    return f'<?xml version="1.0" encoding="UTF-8"?><gpx version="1.0"{ns}>{body}</gpx>'.encode()


TRACK = (
    "<wpt lat='52.0' lon='-1.0'><time>2026-11-24T09:00:00Z</time></wpt>"
    "<trk><trkseg>"
    "<trkpt lat='52.6301' lon='-1.1301'><time>2026-11-24T10:00:10Z</time></trkpt>"
    "<trkpt lat='52.63' lon='-1.13'><time>2026-11-24T10:00:00Z</time></trkpt>"
    "</trkseg><trkseg>"
    "<trkpt lat='52.6302' lon='-1.1302'><time>2026-11-24T11:00:20+01:00</time></trkpt>"
    "</trkseg></trk>"
)


@pytest.mark.parametrize(
    "ns", ["", ' xmlns="http://www.topografix.com/GPX/1/0"', ' xmlns="http://www.topografix.com/GPX/1/1"']
)
def test_gpx_track_points_in_time_order_waypoints_ignored(ns):
    points = walks.parse_gpx(gpx(TRACK, ns), max_bytes=10_000)
    assert [(p.lon, p.lat) for p in points] == [(-1.13, 52.63), (-1.1301, 52.6301), (-1.1302, 52.6302)]
    assert [p.t for p in points] == [T0, T0 + timedelta(seconds=10), T0 + timedelta(seconds=20)]
    assert all(p.accuracy is None for p in points)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (gpx(TRACK) + b" " * 10_000, "the GPX file is too large"),
        (b"\x89PNG\r\n", "the file is not GPX: it is not well-formed XML"),
        (
            b"<gpx><trk><trkseg><trkpt lat='x' lon='-1.1'><time>2026-11-24T10:00:00Z</time></trkpt>"
            b"</trkseg></trk></gpx>",
            "track point 1: lat and lon must be numbers",
        ),
        (
            gpx("<trk><trkseg><trkpt lat='52.63' lon='-1.13'><time>10am</time></trkpt></trkseg></trk>"),
            "track point 1: expected an ISO 8601 time",
        ),
        (
            gpx(
                "<trk><trkseg><trkpt lat='52.63' lon='-1.13'><time>2026-11-24T10:00:00Z</time></trkpt>"
                "<trkpt lat='-1.13' lon='52.63'><time>2026-11-24T10:00:09Z</time></trkpt></trkseg></trk>"
            ),
            "track point 2: latitude and longitude look swapped",
        ),
        (b'<!DOCTYPE gpx SYSTEM "http://example.invalid/gpx.dtd"><gpx/>', "the file declares a DTD"),
        (
            b'<!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><gpx>&b;</gpx>',
            "the file declares a DTD",
        ),
    ],
    ids=["too-large", "binary", "bad-lat", "bad-time", "swapped", "external-dtd", "entity-expansion"],
)
def test_bad_gpx_is_refused_with_a_reason(data, message):
    with pytest.raises(InvalidInput) as err:
        walks.parse_gpx(data, max_bytes=10_000)
    assert err.value.message.startswith(message)
