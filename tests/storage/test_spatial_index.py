"""Each backend answers bbox and ward queries from its spatial index (R*Tree, GIST)."""

from __future__ import annotations

import pytest

from assetmap.storage import AssetQuery, SqlStore
from tests.conftest import clear
from tests.storage import zoo

QUERIES = [AssetQuery(bbox=(-1.14, 52.62, -1.13, 52.63)), AssetQuery(ward="E05003", categories=["park"])]


def stocked(store: SqlStore) -> SqlStore:
    clear(store)
    store.upsert_wards(zoo.WARDS)
    store.import_assets([zoo.sourced(str(i), zoo.IN_TRIANGLE) for i in range(20)], actor="importer")
    return store


@pytest.mark.parametrize("query", QUERIES, ids=["bbox", "ward"])
def test_sqlite_plan_searches_the_rtree(sqlite_store, query):
    plan = stocked(sqlite_store).explain_assets(query)
    # INDEX 2 is the R*Tree's spatial search (INDEX 1 would be a lookup by id); assets is then
    # searched by key, never scanned whole.
    assert "SCAN assets_rtree VIRTUAL TABLE INDEX 2:" in plan
    assert "SCAN assets" not in plan.splitlines()


@pytest.mark.parametrize("query", QUERIES, ids=["bbox", "ward"])
def test_postgis_plan_uses_the_gist_index(postgis_store, query):
    plan = stocked(postgis_store).explain_assets(query, prefer_index=True)
    # "Index Scan using assets_geometry_idx" or "Bitmap Index Scan on assets_geometry_idx".
    assert "Index Scan" in plan and "assets_geometry_idx" in plan
    assert "Seq Scan" not in plan


def test_postgis_prefer_index_lasts_only_for_the_explain(postgis_store):
    stocked(postgis_store).explain_assets(QUERIES[0], prefer_index=True)
    with postgis_store.engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW enable_seqscan").scalar_one() == "on"


def test_plain_filters_do_not_touch_the_spatial_index(store):
    plan = store.explain_assets(AssetQuery(categories=["park"]), prefer_index=True)
    assert "rtree" not in plan and "geometry_idx" not in plan
