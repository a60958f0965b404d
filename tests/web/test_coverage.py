"""Coverage in the web layer: the cache follows every change, and display polygons stay a tiling."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import Polygon

from assetmap.models import Asset, Status
from assetmap.web import get_store
from assetmap.web.coverage import CoverageOptions, current_coverage, display_coverage, simplified


def west_assets(result) -> int:
    return int(result.wards.set_index("code").loc["W1", "n_assets"])


def test_default_coverage_is_cached_until_an_asset_is_added(app):
    with app.app_context():
        first = current_coverage()
        assert current_coverage() is first
        assert current_coverage(CoverageOptions.from_config(app.config)) is first
        get_store().add_asset(Asset("library", "Library", -1.137, 52.627, status=Status.VERIFIED), actor="t")
        second = current_coverage()
        assert second is not first
        assert (west_assets(first), west_assets(second)) == (2, 3)


def test_cache_follows_an_edit_that_keeps_the_count(app):
    # Moving an asset to the other ward changes no count or status: the key must still change.
    with app.app_context():
        store = get_store()
        before = current_coverage()
        bench = next(a for a in store.assets() if a.category == "bench")
        store.update_asset(bench.id, {"lon": -1.125}, expected_version=bench.version, actor="t")
        after = current_coverage()
        assert (west_assets(before), west_assets(after)) == (2, 1)


def test_cache_follows_a_status_change(app):
    with app.app_context():
        store = get_store()
        before = current_coverage()
        cafe = next(a for a in store.assets() if a.category == "cafe")
        store.set_status(cafe.id, Status.CLOSED, expected_version=cafe.version, actor="t")
        assert (west_assets(before), west_assets(current_coverage())) == (2, 1)


def test_other_options_are_computed_and_not_cached(app):
    with app.app_context():
        default = current_coverage()
        longer = CoverageOptions.from_config(app.config, minutes=15)
        first, second = current_coverage(longer), current_coverage(longer)
        assert first is not second and first is not default
        assert current_coverage() is default
        assert first.areas.set_index("code").loc["A2", "n_within_any"] == 1


def test_display_coverage_is_cached_with_the_result(app):
    with app.app_context():
        display = display_coverage()
        assert display_coverage() is display
        assert display.wards.drop(columns="geometry").equals(
            current_coverage().wards.drop(columns="geometry")
        )


def wiggly_pair() -> gpd.GeoDataFrame:
    """Two neighbours in Leicester sharing an edge with 1-metre zigzags (about 1.5e-5 degrees)."""
    lats = np.linspace(52.62, 52.63, 101)
    lons = -1.13 + np.where(np.arange(101) % 2, 1.5e-5, 0.0)
    edge = list(zip(lons, lats, strict=True))
    west = Polygon([(-1.14, 52.62), *edge, (-1.14, 52.63)])
    east = Polygon([*edge, (-1.12, 52.63), (-1.12, 52.62)])
    return gpd.GeoDataFrame({"code": ["W", "E"]}, geometry=[west, east], crs="EPSG:4326")


def test_simplified_polygons_keep_their_shared_edge():
    frame = wiggly_pair()
    out = simplified(frame)
    assert out.crs == frame.crs and list(out["code"]) == ["W", "E"]
    assert shapely.get_num_coordinates(out.geometry.values).sum() < 20  # from 208
    assert shapely.coverage_is_valid(out.geometry.values)  # no gaps or overlaps between them
    metres = gpd.GeoSeries(out.geometry.values, crs=4326).to_crs(27700)
    before = frame.geometry.to_crs(27700)
    assert (metres.hausdorff_distance(before, align=False) < 10).all()


def test_simplified_overlapping_polygons_stay_valid():
    frame = wiggly_pair()
    frame.loc[1, "geometry"] = shapely.buffer(frame.geometry[1], 0.001)  # now overlaps its neighbour
    out = simplified(frame)
    assert out.geometry.is_valid.all()
    assert (
        shapely.get_num_coordinates(out.geometry.values).sum()
        < shapely.get_num_coordinates(frame.geometry.values).sum()
    )


def test_cache_follows_a_write_by_another_process(app):
    # Another gunicorn worker or the CLI writes through its own connection: the revision it raises
    # lives in the database, so this app's cached coverage and responses are dropped too.
    from assetmap.storage import open_store

    client = app.test_client()
    with app.app_context():
        before = current_coverage()
        assert client.get("/api/assets?category=library").get_json()["total"] == 0
        other = open_store(app.config["DATABASE_URL"])
        try:
            other.add_asset(Asset("library", "Library", -1.137, 52.627, status=Status.VERIFIED), actor="t")
        finally:
            other.close()
        assert (west_assets(before), west_assets(current_coverage())) == (2, 3)
        assert client.get("/api/assets?category=library").get_json()["total"] == 1
        wards = client.get("/api/wards").get_json()["features"]
        assert next(f for f in wards if f["id"] == "W1")["properties"]["n_assets"] == 3
