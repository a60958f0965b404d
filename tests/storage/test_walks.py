"""Patch walks in the storage contract, run unchanged against every backend through ``store``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from assetmap.errors import Conflict, InvalidInput, NotFound
from assetmap.models import Asset, WalkPoint

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def points(n, *, start=0, lon=-1.135, lat=52.625, step=0.0001, seconds=10, accuracy=5.0):
    """``n`` points heading east ~7 m apart, ``seconds`` apart from ``T0 + start * seconds``."""
    return [
        WalkPoint(T0 + timedelta(seconds=seconds * i), lon + step * i, lat, accuracy)
        for i in range(start, start + n)
    ]


def new_id():
    return str(uuid.uuid4())


def test_start_makes_a_walk_once_and_a_repeat_changes_nothing(store):
    walk_id = new_id()
    walk, created = store.start_walk(walk_id, username="ann", started_at=T0)
    assert created is True
    assert (walk.id, walk.username, walk.source, walk.started_at, walk.stopped_at) == (
        walk_id,
        "ann",
        "gps",
        T0,
        None,
    )
    assert walk.points == 0 and walk.created_at is not None
    again, created = store.start_walk(walk_id, username="ann", started_at=T0 + timedelta(hours=1))
    assert created is False and again.started_at == T0
    assert len(store.walks()) == 1


def test_a_walk_id_of_another_account_is_a_conflict(store):
    walk_id = new_id()
    store.start_walk(walk_id, username="ann", started_at=T0)
    with pytest.raises(Conflict, match="already used by another account"):
        store.start_walk(walk_id, username="bob", started_at=T0)
    assert store.walk(walk_id).username == "ann"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"source": "bus"}, "source: expected one of gps, gpx"),
        ({"started_at": datetime(2026, 11, 24)}, "started_at: expected a time with a time zone"),
        ({"stopped_at": T0 - timedelta(seconds=1)}, "stopped_at: a walk cannot stop before it started"),
        (
            {"points": [*points(2), WalkPoint(T0, 52.6, -1.1)]},
            "points[2]: latitude and longitude look swapped",
        ),
    ],
    ids=["source", "naive", "stop-before-start", "swapped-point"],
)
def test_bad_start_is_refused_and_nothing_is_written(store, kwargs, message):
    args = {"username": "ann", "started_at": T0} | kwargs
    with pytest.raises(InvalidInput) as err:
        store.start_walk(new_id(), **args)
    assert err.value.message.startswith(message)
    assert store.walks() == []


def test_points_are_stored_once_per_time_and_counted(store):
    walk_id = new_id()
    store.start_walk(walk_id, username="ann", started_at=T0)
    assert store.add_walk_points(walk_id, points(3)) == 3
    assert store.add_walk_points(walk_id, points(3)) == 0  # a retried batch
    assert store.add_walk_points(walk_id, points(4, start=2)) == 3  # overlaps by one
    assert store.walk(walk_id).points == 6
    stored = store.walk_points(walk_id)
    assert [p.t for p in stored] == [T0 + timedelta(seconds=10 * i) for i in range(6)]
    assert stored[0] == points(1)[0]


def test_a_time_given_twice_in_one_batch_keeps_the_first(store):
    walk_id = new_id()
    store.start_walk(walk_id, username="ann", started_at=T0)
    first, second = WalkPoint(T0, -1.13, 52.62, 3.0), WalkPoint(T0, -1.12, 52.62, 3.0)
    assert store.add_walk_points(walk_id, [first, second]) == 1
    assert store.walk_points(walk_id) == [first]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (WalkPoint(T0, float("nan"), 52.62), "points[1]: coordinates missing or not numbers"),
        (WalkPoint(T0, 2.35, 48.85), "points[1]: point (2.35, 48.85) is outside the UK"),
        (WalkPoint(T0, -1.13, 52.62, -1.0), "points[1]: accuracy must be a number of metres >= 0"),
        (WalkPoint(datetime(2026, 11, 24), -1.13, 52.62), "points[1]: the time needs a time zone"),
    ],
    ids=["nan", "paris", "negative-accuracy", "naive-time"],
)
def test_bad_points_are_refused_naming_the_index_and_nothing_is_stored(store, bad, message):
    walk_id = new_id()
    store.start_walk(walk_id, username="ann", started_at=T0)
    before = store.walk_revision()
    with pytest.raises(InvalidInput) as err:
        store.add_walk_points(walk_id, [points(1, start=5)[0], bad])
    assert err.value.message.startswith(message)
    assert store.walk_points(walk_id) == []
    assert store.walk_revision() == before


def test_points_of_an_unknown_walk_are_not_found(store):
    with pytest.raises(NotFound, match="no walk with id"):
        store.add_walk_points(new_id(), points(2))
    with pytest.raises(NotFound):
        store.walk_points(new_id())


def test_stop_is_idempotent_and_late_points_are_still_taken(store):
    walk_id = new_id()
    store.start_walk(walk_id, username="ann", started_at=T0)
    stop = T0 + timedelta(minutes=30)
    assert store.stop_walk(walk_id, stopped_at=stop).stopped_at == stop
    assert store.stop_walk(walk_id, stopped_at=stop + timedelta(minutes=5)).stopped_at == stop
    assert store.add_walk_points(walk_id, points(2)) == 2
    with pytest.raises(InvalidInput, match="cannot stop before it started"):
        store.stop_walk(
            store.start_walk(new_id(), username="ann", started_at=T0)[0].id, stopped_at=T0 - timedelta(1)
        )
    with pytest.raises(NotFound):
        store.stop_walk(new_id(), stopped_at=stop)


def test_uploaded_walk_is_stored_whole_with_its_points(store):
    walk_id = new_id()
    walk, created = store.start_walk(
        walk_id,
        username="ann",
        started_at=T0,
        stopped_at=T0 + timedelta(minutes=1),
        source="gpx",
        points=points(5),
    )
    assert created and walk.source == "gpx" and walk.points == 5
    assert (walk.started_at, walk.stopped_at) == (T0, T0 + timedelta(minutes=1))
    assert store.walk_points(walk_id) == points(5)


def test_walk_revision_grows_only_when_a_route_changes(store):
    walk_id = new_id()
    r0, assets_r0 = store.walk_revision(), store.revision()
    store.start_walk(walk_id, username="ann", started_at=T0)
    store.add_walk_points(walk_id, points(2))
    r1 = store.walk_revision()
    assert r1 > r0
    store.add_walk_points(walk_id, points(2))  # nothing new
    store.stop_walk(walk_id, stopped_at=T0 + timedelta(minutes=1))
    assert store.walk_revision() == r1
    assert store.revision() == assets_r0  # the coverage caches are left alone


def test_assets_are_linked_once_and_counted(store):
    walk_id = new_id()
    store.start_walk(walk_id, username="ann", started_at=T0)
    cafe = store.add_asset(Asset("cafe", "Corner café", -1.135, 52.625), actor="ann")
    bench = store.add_asset(Asset("bench", "Bench", -1.134, 52.625), actor="ann")
    assert store.link_walk_asset(walk_id, cafe.id, action="added") is True
    assert store.link_walk_asset(walk_id, cafe.id, action="seen") is False
    assert store.link_walk_asset(walk_id, bench.id, action="seen") is True
    assert store.walk_assets(walk_id) == [(cafe.id, "added"), (bench.id, "seen")]
    walk = store.walk(walk_id)
    assert (walk.assets_added, walk.assets_seen) == (1, 1)
    with pytest.raises(InvalidInput, match="action: expected one of added, seen"):
        store.link_walk_asset(walk_id, cafe.id, action="liked")
    with pytest.raises(NotFound):
        store.link_walk_asset(walk_id, "no-such-asset", action="added")
    with pytest.raises(NotFound):
        store.link_walk_asset(new_id(), cafe.id, action="added")


def test_walks_lists_newest_first_and_filters_by_account(store):
    old, new, other = new_id(), new_id(), new_id()
    store.start_walk(old, username="ann", started_at=T0)
    store.start_walk(new, username="ann", started_at=T0 + timedelta(days=1))
    store.start_walk(other, username="bob", started_at=T0 + timedelta(days=2))
    assert [w.id for w in store.walks(username="ann")] == [new, old]
    assert [w.id for w in store.walks()] == [other, new, old]
    assert store.walks(username="cal") == []
    with pytest.raises(NotFound):
        store.walk(new_id())


def test_walk_routes_have_two_points_or_more_and_meet_the_bbox(store):
    west, east, single, empty = new_id(), new_id(), new_id(), new_id()
    for walk_id in (west, east, single, empty):
        store.start_walk(walk_id, username="ann", started_at=T0)
    store.add_walk_points(west, points(3, lon=-1.139))
    store.add_walk_points(east, points(3, lon=-1.125))
    store.add_walk_points(single, points(1, lon=-1.125))
    routes = store.walk_routes()
    assert sorted(r.walk_id for r in routes) == sorted([west, east])
    assert all(len(r.points) == 3 and r.started_at == T0 for r in routes)
    assert [p.t for p in routes[0].points] == sorted(p.t for p in routes[0].points)
    assert [r.walk_id for r in store.walk_routes(bbox=(-1.13, 52.62, -1.12, 52.63))] == [east]
    assert store.walk_routes(bbox=(-1.0, 52.0, -0.9, 52.1)) == []


def test_a_deleted_walk_is_gone_with_its_points_and_links_but_not_its_places(store):
    walk_id, other = new_id(), new_id()
    store.start_walk(walk_id, username="ann", started_at=T0)
    store.start_walk(other, username="ann", started_at=T0)
    store.add_walk_points(walk_id, points(5))
    store.add_walk_points(other, points(3, lat=52.63))
    cafe = store.add_asset(Asset("cafe", "Corner café", -1.135, 52.625), actor="ann")
    store.link_walk_asset(walk_id, cafe.id, action="added")
    store.link_walk_asset(other, cafe.id, action="seen")
    revision, walked = store.revision(), store.walk_revision()
    gone = store.delete_walk(walk_id)
    assert (gone.id, gone.points, gone.assets_added) == (walk_id, 5, 1)
    with pytest.raises(NotFound):
        store.walk(walk_id)
    with pytest.raises(NotFound):
        store.walk_points(walk_id)
    assert [w.id for w in store.walks()] == [other]
    assert [r.walk_id for r in store.walk_routes()] == [other]
    assert store.walk_assets(other) == [(cafe.id, "seen")]  # the other walk keeps its link
    assert store.get_asset(cafe.id).name == "Corner café"  # the place stays
    assert store.walk_revision() > walked and store.revision() == revision


def test_deleting_an_unknown_walk_is_not_found_and_changes_nothing(store):
    walk_id = new_id()
    store.start_walk(walk_id, username="ann", started_at=T0)
    walked = store.walk_revision()
    with pytest.raises(NotFound):
        store.delete_walk(new_id())
    assert [w.id for w in store.walks()] == [walk_id] and store.walk_revision() == walked
