"""The per-revision caches of the web layer: encoded items kept by byte size, assembled bodies."""

from __future__ import annotations

import json

import orjson
import pytest

from assetmap.web.cache import RevisionBytesCache, encode_json, encoded_items, json_feature_collection


def test_items_are_dropped_least_recently_used_first_to_stay_within_the_bytes():
    cache = RevisionBytesCache(max_bytes=10)
    cache.put(1, {"a": b"aaaa", "b": b"bbbb"})
    assert cache.get(1, ["a"]) == {"a": b"aaaa"}  # "b" is now the least recently used
    cache.put(1, {"c": b"cccc"})
    assert cache.get(1, ["a", "b", "c"]) == {"a": b"aaaa", "c": b"cccc"}
    cache.put(1, {"a": b"a"})  # replacing a value counts its new size
    cache.put(1, {"d": b"dddd"})
    assert cache.get(1, ["a", "c", "d"]) == {"a": b"a", "c": b"cccc", "d": b"dddd"}


def test_an_item_larger_than_the_cache_is_not_kept_and_keeps_the_others():
    cache = RevisionBytesCache(max_bytes=4)
    cache.put(1, {"a": b"aa", "big": b"12345"})
    assert cache.get(1, ["a", "big"]) == {"a": b"aa"}


def test_a_newer_revision_drops_everything_and_an_older_one_is_not_kept():
    cache = RevisionBytesCache(max_bytes=100)
    cache.put(1, {"a": b"1"})
    assert cache.get(2, ["a"]) == {}
    cache.put(1, {"a": b"1"})  # computed from revision 1 by a slow request: stale, not kept
    assert (cache.get(2, ["a"]), len(cache)) == ({}, 0)
    cache.put(2, {"a": b"2"})
    assert cache.get(1, ["a"]) == {}  # an older request finds nothing, not a newer value
    assert cache.get(2, ["a"]) == {"a": b"2"}


def test_encoded_items_builds_only_what_is_not_cached(app):
    built = []

    def build(keys):
        built.append(list(keys))
        return {k: {"key": k} for k in keys if k != "gone"}

    with app.app_context():
        assert encoded_items(1, "thing", ["a", "b"], build) == [b'{"key":"a"}', b'{"key":"b"}']
        assert encoded_items(1, "thing", ["c", "b", "gone"], build) == [b'{"key":"c"}', b'{"key":"b"}']
        assert encoded_items(1, "other", ["a"], build) == [b'{"key":"a"}']  # each kind apart
        assert encoded_items(2, "thing", ["a"], build) == [b'{"key":"a"}']
    assert built == [["a", "b"], ["c", "gone"], ["a"], ["a"]]


@pytest.mark.parametrize(
    "members",
    [
        {"page": 1, "per_page": 1000, "total": 2, "next": None},
        {"page": 2, "next": "http://localhost/api/assets?page=3&bbox=%3Cscript%3E"},
        {},
    ],
)
def test_a_collection_from_encoded_features_is_the_whole_payload_encoded(members):
    features = [{"type": "Feature", "id": "a", "properties": {"name": "Café <b>"}}, {"id": "b"}]
    whole = {"type": "FeatureCollection", "features": features, **members}
    assert json_feature_collection([orjson.dumps(f) for f in features], members) == orjson.dumps(whole)
    assert json_feature_collection([], members) == orjson.dumps(whole | {"features": []})


def test_a_collection_with_members_orjson_refuses_is_still_the_same_json(app):
    members = {"page": 10**30, "total": 0, "next": None}  # beyond 64 bits: the app's encoder
    with app.app_context():
        body = json_feature_collection([encode_json({"id": "a"})], members)
    assert json.loads(body) == {"type": "FeatureCollection", "features": [{"id": "a"}], **members}


def test_a_new_walk_network_file_raises_the_data_revision(app, tmp_path):
    """Importing a network writes a file, not the store: the caches must still see it."""
    from assetmap.models import Status
    from assetmap.web import get_store
    from assetmap.web.cache import data_revision

    path = tmp_path / "walk_network.npz"
    app.config["WALK_NETWORK"] = str(path)
    with app.app_context():
        seen = [data_revision(), data_revision()]
        path.write_bytes(b"one")
        seen.append(data_revision())
        path.write_bytes(b"two, longer")
        seen.append(data_revision())
        path.unlink()
        seen.append(data_revision())
        asset = get_store().assets()[0]
        get_store().set_status(asset.id, Status.STALE, expected_version=asset.version, actor="test")
        seen.append(data_revision())
    assert seen[0] == seen[1]
    assert all(a < b for a, b in zip(seen[1:], seen[2:], strict=False))
