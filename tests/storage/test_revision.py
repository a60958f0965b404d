"""The store revision: raised by every committed write of wards, areas or assets, and only by those."""

from __future__ import annotations

import pytest

from assetmap.errors import Conflict, InvalidInput, NotFound
from assetmap.models import Status, Ward
from assetmap.storage import AssetQuery
from tests.storage import zoo


def raises_revision(store, write) -> bool:
    before = store.revision()
    write()
    return store.revision() > before


def test_every_kind_of_write_raises_the_revision(store):
    assert raises_revision(store, lambda: store.upsert_wards(zoo.WARDS))
    renamed = Ward(zoo.ABBEY.code, "Abbey Park", zoo.ABBEY.geometry)
    assert raises_revision(store, lambda: store.upsert_wards([renamed]))
    assert raises_revision(store, lambda: store.upsert_areas([zoo.area("A1", zoo.ABBEY)]))
    assert raises_revision(store, lambda: store.update_area_fields({"A1": {"imd_decile": 3}}))
    assert raises_revision(store, lambda: store.import_assets([zoo.sourced("1")], actor="ann"))
    assert raises_revision(
        store, lambda: store.import_assets([zoo.sourced("1", description="Renamed")], actor="ann")
    )
    created = store.add_asset(zoo.asset(), actor="ann")
    assert raises_revision(
        store, lambda: store.update_asset(created.id, {"name": "New"}, expected_version=1, actor="bob")
    )
    assert raises_revision(
        store, lambda: store.set_status(created.id, Status.CLOSED, expected_version=2, actor="bob")
    )


def test_add_asset_raises_the_revision(store):
    assert raises_revision(store, lambda: store.add_asset(zoo.asset(), actor="ann"))


def test_reads_and_writes_that_change_nothing_keep_the_revision(store):
    store.upsert_wards(zoo.WARDS)
    store.upsert_areas([zoo.area("A1", zoo.ABBEY)])
    created = store.add_asset(zoo.asset(), actor="ann")
    before = store.revision()
    store.wards(), store.ward(zoo.ABBEY.code), store.areas(), store.assets(AssetQuery(ward="E05001"))
    store.count_assets(), store.get_asset(created.id), store.audit(created.id), store.asset_ids()
    store.asset_records_by_id([created.id])
    store.upsert_wards(zoo.WARDS)  # unchanged
    store.upsert_areas([zoo.area("A1", zoo.ABBEY)])  # unchanged
    store.update_asset(created.id, {"name": created.name}, expected_version=1, actor="bob")
    store.import_assets([], actor="ann")
    assert store.revision() == before


@pytest.mark.parametrize(
    ("write", "error"),
    [
        (lambda s, a: s.upsert_wards([zoo.BELGRAVE, zoo.BELGRAVE]), InvalidInput),
        (lambda s, a: s.update_area_fields({"A1": {"imd_decile": 3}, "nope": {}}), NotFound),
        (
            lambda s, a: s.import_assets([zoo.sourced("2"), zoo.sourced("3", lon=500.0)], actor="x"),
            InvalidInput,
        ),
        (lambda s, a: s.update_asset(a.id, {"name": "New"}, expected_version=7, actor="x"), Conflict),
        (lambda s, a: s.set_status(a.id, Status.CLOSED, expected_version=7, actor="x"), Conflict),
        (lambda s, a: s.add_asset(zoo.sourced("1"), actor="x"), Conflict),  # fails after its insert
    ],
    ids=["wards", "area-fields", "import", "update", "status", "add-duplicate"],
)
def test_a_failed_write_keeps_the_revision(store, write, error):
    store.upsert_wards(zoo.WARDS)
    store.upsert_areas([zoo.area("A1", zoo.ABBEY)])
    store.import_assets([zoo.sourced("1")], actor="ann")
    [asset] = store.assets()
    before = store.revision()
    with pytest.raises(error):
        write(store, asset)
    assert store.revision() == before
    assert store.assets() == [asset]


def test_revision_is_shared_by_every_connection_to_the_database(store):
    from assetmap.storage import open_store

    other = open_store(store.engine.url.render_as_string(hide_password=False))
    try:
        before = other.revision()
        store.add_asset(zoo.asset(), actor="ann")
        assert other.revision() > before
    finally:
        other.close()
