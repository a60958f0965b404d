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
from assetmap.config import load_config
from assetmap.errors import ConfigError, InvalidInput
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
    collection = walks.streets_collection(routes, private_ends_m=0)  # whole walks, to see every piece
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
    collection = walks.streets_collection([a, b], bbox=near_a, private_ends_m=0)
    assert [f["properties"] for f in collection["features"]] == [{"month": "2026-11", "walks": 1}]


# -- the ends of a walk, which may be someone's door -----------------------------------------------
def metres_from(line, point):
    """Distances in metres (EPSG:27700) from ``point`` (a WalkPoint) to each vertex of a WGS84 line."""
    to_bng = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    px, py = to_bng.transform(point.lon, point.lat)
    return [((x - px) ** 2 + (y - py) ** 2) ** 0.5 for x, y in (to_bng.transform(*c) for c in line.coords)]


@pytest.mark.parametrize("seed", ["walk-a", "walk-b", "walk-c", "walk-d", "walk-e"])
def test_the_layer_never_draws_within_half_the_radius_of_either_end(seed):
    route = [at(20 * i, 15 * i) for i in range(51)]  # 1 km due east
    kept = walks.without_ends(walks.route_pieces(route), seed=seed, radius_m=150)
    assert len(kept) == 1
    assert min(metres_from(kept[0], route[0])) >= 75 - 0.01
    assert min(metres_from(kept[0], route[-1])) >= 75 - 0.01
    assert 1000 - 2 * 225 - 0.01 <= walks.length_m(kept) <= 1000 - 2 * 75 + 0.01


def test_where_the_cut_falls_depends_on_the_walk_not_on_its_start():
    route = [at(20 * i, 15 * i) for i in range(51)]
    pieces = walks.route_pieces(route)
    first = {seed: walks.without_ends(pieces, seed=seed)[0].coords[0] for seed in ("a", "b", "c", "d")}
    assert len(set(first.values())) == 4  # four walks from one door end their cut in four places
    assert walks.without_ends(pieces, seed="a")[0].coords[0] == first["a"]  # and a walk always the same


def test_a_round_walk_from_home_hides_the_home_and_a_short_one_shows_nothing():
    loop = [at(20 * i, 15 * i) for i in range(26)]  # a 500 m square, starting and ending at the door
    loop += [at(500, 390 + 15 * i, north=20 * i) for i in range(1, 26)]
    loop += [at(500 - 20 * i, 780 + 15 * i, north=500) for i in range(1, 26)]
    loop += [at(0, 1155 + 15 * i, north=500 - 20 * i) for i in range(1, 26)]  # back to the door
    kept = walks.without_ends(walks.route_pieces(loop), seed="loop")
    assert kept and all(min(metres_from(line, loop[0])) >= 75 - 0.01 for line in kept)
    short = [at(20 * i, 15 * i) for i in range(4)]  # 60 m from the door and back in: nothing public
    assert walks.without_ends(walks.route_pieces(short), seed="short") == []
    assert walks.streets_collection([WalkRoute("short", T0, tuple(short))]) == {
        "type": "FeatureCollection",
        "features": [],
    }


def test_the_layer_trims_by_default_and_whole_walks_with_radius_0():
    route = tuple(at(20 * i, 15 * i) for i in range(51))
    trimmed = walks.streets_collection([WalkRoute("w", T0, route)])
    whole = walks.streets_collection([WalkRoute("w", T0, route)], private_ends_m=0)
    [start] = [f["geometry"]["coordinates"][0] for f in whole["features"]]
    assert start == [round(route[0].lon, 6), round(route[0].lat, 6)]
    [cut] = [f["geometry"]["coordinates"][0] for f in trimmed["features"]]
    assert cut != start


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


# -- settings --------------------------------------------------------------------------------------
def test_walk_settings_defaults_and_environment(tmp_path):
    missing = tmp_path / "missing.json"
    config = load_config(environ={}, instance_path=missing)
    assert (config["MAX_GPX_BYTES"], config["WALK_PRIVATE_ENDS_M"]) == (5 * 1024 * 1024, 150)
    env = {"ASSETMAP_MAX_GPX_BYTES": "2000", "ASSETMAP_WALK_PRIVATE_ENDS_M": "0"}
    config = load_config(environ=env, instance_path=missing)
    assert (config["MAX_GPX_BYTES"], config["WALK_PRIVATE_ENDS_M"]) == (2000, 0)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"MAX_GPX_BYTES": 0}, "MAX_GPX_BYTES: expected a whole number of bytes >= 1"),
        ({"WALK_PRIVATE_ENDS_M": -1}, "WALK_PRIVATE_ENDS_M: expected metres from 0 to 1000, got -1"),
        ({"WALK_PRIVATE_ENDS_M": 1001}, "WALK_PRIVATE_ENDS_M: expected metres from 0 to 1000"),
        ({"WALK_PRIVATE_ENDS_M": float("nan")}, "WALK_PRIVATE_ENDS_M"),
        ({"WALK_PRIVATE_ENDS_M": "150"}, "WALK_PRIVATE_ENDS_M"),
        ({"WALK_PRIVATE_ENDS_M": True}, "WALK_PRIVATE_ENDS_M"),
    ],
)
def test_bad_walk_settings_are_refused(tmp_path, overrides, message):
    with pytest.raises(ConfigError, match=message):
        load_config(overrides, environ={}, instance_path=tmp_path / "missing.json")
