"""The revision log: which assets the writes after a revision changed (Store.changes_since)."""

from __future__ import annotations

import pytest
from sqlalchemy import delete

from assetmap.errors import Conflict
from assetmap.models import Status, Ward
from assetmap.storage.base import Changes
from assetmap.storage.schema import revision_log
from tests.storage import zoo


@pytest.fixture
def placed(store):
    store.upsert_wards(zoo.WARDS)
    store.upsert_areas([zoo.area("A1", zoo.ABBEY)])
    return store


def test_no_writes_since_is_no_change(placed):
    now = placed.revision()
    assert placed.changes_since(now) == Changes(revision=now, asset_ids=frozenset())


def test_asset_writes_are_listed_by_id(placed):
    start = placed.revision()
    first = placed.add_asset(zoo.asset(), actor="ann")
    second = placed.add_asset(zoo.asset(zoo.IN_BELGRAVE), actor="ann")
    placed.set_status(first.id, Status.CLOSED, expected_version=1, actor="bob")
    changes = placed.changes_since(start)
    assert changes == Changes(revision=placed.revision(), asset_ids=frozenset({first.id, second.id}))
    middle = start + 2  # after both adds, before the status change
    assert placed.changes_since(middle) == Changes(placed.revision(), frozenset({first.id}))


def test_imports_list_what_they_created_or_changed_only(placed):
    placed.import_assets([zoo.sourced("1"), zoo.sourced("2")], actor="ann")
    start = placed.revision()
    placed.import_assets(
        [zoo.sourced("1", description="Renamed"), zoo.sourced("2"), zoo.sourced("3")], actor="ann"
    )
    by_source = {a.source_id: a.id for a in placed.assets()}
    assert placed.changes_since(start).asset_ids == {by_source["1"], by_source["3"]}


def test_an_import_is_one_revision_however_many_assets_it_changes(placed):
    placed.import_assets([zoo.sourced(str(i)) for i in range(5)], actor="ann")
    start = placed.revision()
    placed.import_assets([zoo.sourced(str(i), description="Renamed") for i in range(5)], actor="ann")
    assert placed.revision() == start + 1
    with placed.engine.connect() as conn:
        [logged] = conn.execute(revision_log.select().where(revision_log.c.revision > start)).all()
    assert len(logged.asset_ids) == 5  # noqa: PLR2004
    placed.import_assets([zoo.sourced(str(i), description="Renamed") for i in range(5)], actor="ann")
    assert placed.revision() == start + 1  # nothing changed: no revision


def test_wards_or_areas_written_since_means_derive_everything_again(placed):
    start = placed.revision()
    placed.add_asset(zoo.asset(), actor="ann")
    placed.upsert_wards([Ward(zoo.ABBEY.code, "Abbey Park", zoo.ABBEY.geometry)])
    assert placed.changes_since(start) is None
    after_wards = placed.revision()
    placed.update_area_fields({"A1": {"imd_decile": 3}})
    assert placed.changes_since(after_wards) is None


def test_a_failed_write_logs_nothing(placed):
    created = placed.add_asset(zoo.asset(), actor="ann")
    start = placed.revision()
    with pytest.raises(Conflict):
        placed.set_status(created.id, Status.CLOSED, expected_version=9, actor="bob")
    assert placed.changes_since(start) == Changes(start, frozenset())


def test_a_log_that_no_longer_reaches_back_says_so(placed):
    start = placed.revision()
    placed.add_asset(zoo.asset(), actor="ann")
    placed.add_asset(zoo.asset(), actor="ann")
    with placed.engine.begin() as conn:  # as if the oldest entries had been pruned
        conn.execute(delete(revision_log).where(revision_log.c.revision == start + 1))
    assert placed.changes_since(start) is None
    assert placed.changes_since(start + 1) is not None


def test_a_revision_from_before_the_log_began_means_derive_everything_again(placed):
    placed.add_asset(zoo.asset(), actor="ann")
    with placed.engine.begin() as conn:
        conn.execute(delete(revision_log))
    assert placed.changes_since(placed.revision() - 1) is None
