"""Photos in the store, on every backend.

``add_photo``, ``photos``, ``photo``, ``photo_by_client_id`` and ``remove_photo``.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from assetmap.errors import Conflict, InvalidInput, NotFound
from assetmap.storage import schema
from tests.storage import zoo

JPEG = b"\xff\xd8\xff\xe0 not really a jpeg, the store does not decode \xff\xd9"


def add(store, asset_id, client_id="c-1", *, data=JPEG, actor="ann", width=40, height=30):
    return store.add_photo(asset_id, data, width=width, height=height, client_id=client_id, actor=actor)


def count_photos(store) -> int:
    with store.engine.connect() as conn:
        return len(conn.execute(schema.photos.select()).all())


@pytest.fixture
def asset_id(store) -> str:
    made = store.add_asset(zoo.asset(), actor="import")
    assert made.id is not None
    return made.id


def test_a_photo_is_stored_with_what_the_app_keeps(store, asset_id):
    before = datetime.now(UTC)
    photo = add(store, asset_id)
    assert len(photo.id) == 32 and int(photo.id, 16) >= 0  # uuid4 hex
    assert (photo.asset_id, photo.client_id, photo.created_by) == (asset_id, "c-1", "ann")
    assert (photo.width, photo.height, photo.size_bytes) == (40, 30, len(JPEG))
    assert photo.content_type == "image/jpeg"
    assert before <= photo.created_at <= datetime.now(UTC)
    stored, data = store.photo(photo.id)
    assert stored == photo and data == JPEG
    assert store.photos(asset_id) == [photo]
    assert store.photo_by_client_id("c-1") == photo


def test_photos_are_listed_oldest_first_and_only_the_assets_own(store, asset_id):
    other = store.add_asset(zoo.asset(zoo.IN_BELGRAVE), actor="import").id
    first = add(store, asset_id, "c-1")
    theirs = add(store, other, "c-2")
    second = add(store, asset_id, "c-3", data=JPEG + b"!")
    assert [p.id for p in store.photos(asset_id)] == [first.id, second.id]
    assert [p.id for p in store.photos(other)] == [theirs.id]
    assert store.photo(second.id)[1] == JPEG + b"!"


def test_an_asset_without_photos_has_an_empty_list(store, asset_id):
    assert store.photos(asset_id) == []


def test_a_photo_is_audited_but_does_not_raise_the_revision(store, asset_id):
    revision = store.revision()
    version = store.get_asset(asset_id).version
    photo = add(store, asset_id)
    assert store.revision() == revision
    assert store.get_asset(asset_id).version == version
    event = store.audit(asset_id)[-1]
    assert (event.action, event.actor, event.before) == ("photo", "ann", None)
    assert event.after == {"photo": {"id": photo.id, "width": 40, "height": 30, "bytes": len(JPEG)}}
    assert event.at == photo.created_at


def test_a_client_id_is_used_once(store, asset_id):
    add(store, asset_id, "c-1")
    events = len(store.audit(asset_id))
    with pytest.raises(Conflict, match="client id 'c-1' is already stored"):
        add(store, asset_id, "c-1", actor="bob")
    assert count_photos(store) == 1 and len(store.audit(asset_id)) == events


def test_a_photo_of_an_unknown_asset_is_not_found_and_writes_nothing(store):
    with pytest.raises(NotFound, match="no asset with id 'nope'"):
        add(store, "nope")
    assert count_photos(store) == 0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"data": b""}, "needs its image bytes"),
        ({"width": 0}, "width and height"),
        ({"height": -3}, "width and height"),
        ({"width": True}, "width and height"),
        ({"width": 4.0}, "width and height"),
    ],
)
def test_bad_photos_are_refused_and_write_nothing(store, asset_id, fields, message):
    with pytest.raises(InvalidInput, match=message):
        add(store, asset_id, **fields)
    assert count_photos(store) == 0 and len(store.audit(asset_id)) == 1


def test_an_empty_client_id_is_refused(store, asset_id):
    with pytest.raises(InvalidInput, match="client id"):
        add(store, asset_id, "")
    assert count_photos(store) == 0


def test_unknown_photos_and_assets_are_not_found(store, asset_id):
    add(store, asset_id)
    with pytest.raises(NotFound, match="no photo with id 'nope'"):
        store.photo("nope")
    with pytest.raises(NotFound, match="no photo with the client id 'c-2'"):
        store.photo_by_client_id("c-2")
    with pytest.raises(NotFound, match="no asset"):
        store.photos("nope")


# -- removal ---------------------------------------------------------------------------------------
def stored_bytes(store, photo_id) -> bytes:
    with store.engine.connect() as conn:
        return bytes(conn.execute(schema.photos.select().where(schema.photos.c.id == photo_id)).one().data)


def test_a_removed_photo_is_gone_but_its_row_and_client_id_stay(store, asset_id):
    kept = add(store, asset_id, "c-1")
    photo = add(store, asset_id, "c-2")
    revision = store.revision()
    before = datetime.now(UTC)
    removed, done = store.remove_photo(asset_id, photo.id, actor="olga", reason="a face is recognisable")
    assert done is True
    assert removed.removed_by == "olga" and removed.removed_at is not None
    assert before <= removed.removed_at <= datetime.now(UTC)
    assert store.photos(asset_id) == [kept]
    with pytest.raises(NotFound, match="no photo with id"):
        store.photo(photo.id)
    assert stored_bytes(store, photo.id) == b""  # the image itself is erased, not just hidden
    assert store.photo_by_client_id("c-2") == removed  # a retried upload is still recognised
    assert store.revision() == revision
    event = store.audit(asset_id)[-1]
    assert (event.action, event.actor, event.at) == ("photo removed", "olga", removed.removed_at)
    assert event.before == {"photo": {"id": photo.id}}
    assert event.after == {
        "photo": {"id": photo.id, "removed": True},
        "note": {"reason": "a face is recognisable"},
    }


def test_removing_a_removed_photo_changes_nothing(store, asset_id):
    photo = add(store, asset_id)
    first, _ = store.remove_photo(asset_id, photo.id, actor="olga")
    events = len(store.audit(asset_id))
    again, done = store.remove_photo(asset_id, photo.id, actor="oscar", reason="twice")
    assert done is False
    assert again == first  # still removed by the first officer, at the first time
    assert len(store.audit(asset_id)) == events
    assert store.audit(asset_id)[-1].after == {"photo": {"id": photo.id, "removed": True}}  # no reason given


def test_removing_an_unknown_photo_is_not_found_and_writes_nothing(store, asset_id):
    add(store, asset_id)
    events = len(store.audit(asset_id))
    other = store.add_asset(zoo.asset(zoo.IN_BELGRAVE), actor="import").id
    photo = store.photos(asset_id)[0]
    with pytest.raises(NotFound, match="no photo with id 'nope' of asset"):
        store.remove_photo(asset_id, "nope", actor="olga")
    with pytest.raises(NotFound, match=f"no photo with id '{photo.id}' of asset '{other}'"):
        store.remove_photo(other, photo.id, actor="olga")  # a photo is removed through its own asset
    assert len(store.audit(asset_id)) == events and store.photos(asset_id) == [photo]
