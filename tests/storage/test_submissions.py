"""``Store.asset_by_source``: how a retried capture submission finds the asset it already made."""

from __future__ import annotations

import pytest

from assetmap.errors import Conflict, NotFound
from tests.storage import zoo


def test_asset_by_source_finds_the_one_asset_with_that_key(store):
    first = zoo.asset(source_dataset="capture", source_id="id-1")
    other = zoo.asset(source_dataset="capture", source_id="id-2")
    made = store.add_asset(first, actor="ann")
    store.add_asset(other, actor="ann")
    found = store.asset_by_source("capture", "id-1")
    assert (found.id, found.source_id, found.created_by) == (made.id, "id-1", "ann")


def test_asset_by_source_is_not_found_for_unknown_or_empty_ids(store):
    store.add_asset(zoo.asset(), actor="ann")  # no source id
    for dataset, source_id in [("capture", "nope"), ("", ""), ("capture", "")]:
        with pytest.raises(NotFound):
            store.asset_by_source(dataset, source_id)


def test_a_second_asset_with_the_same_source_key_is_refused(store):
    asset = zoo.asset(source_dataset="capture", source_id="id-1")
    store.add_asset(asset, actor="ann")
    with pytest.raises(Conflict):
        store.add_asset(asset, actor="bob")
    assert store.count_assets() == 1
