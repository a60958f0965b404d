"""The app's coverage follows asset changes by updating its last result, and equals a full recompute."""

from __future__ import annotations

import dataclasses

import pandas as pd

from assetmap.models import Asset, Status
from assetmap.web import get_store
from assetmap.web.coverage import CoverageOptions, _computed, current_coverage, tracked


def same_as_full(app, result) -> None:
    full = _computed(CoverageOptions.from_config(app.config))
    pd.testing.assert_frame_equal(result.areas, full.areas)
    pd.testing.assert_frame_equal(result.wards, full.wards)


def test_a_verified_asset_updates_the_last_result(app):
    with app.app_context():
        store = get_store()
        current_coverage()
        assert tracked().updates == 0
        reported = store.add_asset(Asset("library", "New library", -1.137, 52.627), actor="connector")
        same_as_full(app, current_coverage())  # reported: counts for nothing yet
        store.set_status(reported.id, Status.VERIFIED, expected_version=1, actor="officer")
        result = current_coverage()
        assert tracked().updates == 2
        assert tracked().state.stats is not None and not tracked().state.stats.full
        same_as_full(app, result)
        assert int(result.wards.set_index("code").loc["W1", "n_assets"]) == 3


def test_edits_moves_and_closures_stay_equal_to_a_full_recompute(app):
    with app.app_context():
        store = get_store()
        current_coverage()
        bench = next(a for a in store.assets() if a.category == "bench")
        moved = store.update_asset(bench.id, {"lon": -1.125}, expected_version=bench.version, actor="t")
        same_as_full(app, current_coverage())
        store.set_status(moved.id, Status.CLOSED, expected_version=moved.version, actor="t")
        same_as_full(app, current_coverage())
        added = store.add_asset(Asset("cafe", "Café", -1.126, 52.626, status=Status.VERIFIED), actor="t")
        store.update_asset(
            added.id, {"category": "library", "subcategory": None}, expected_version=1, actor="t"
        )
        result = current_coverage()
        assert tracked().updates == 3
        same_as_full(app, result)


def test_a_write_of_areas_recomputes_in_full(app):
    with app.app_context():
        store = get_store()
        current_coverage()
        store.add_asset(Asset("cafe", "Café", -1.126, 52.626, status=Status.VERIFIED), actor="t")
        current_coverage()
        assert tracked().updates == 1
        store.update_area_fields({"A1": {"imd_decile": 1}})
        result = current_coverage()
        assert tracked().updates == 0
        same_as_full(app, result)


def test_changes_made_while_it_was_computing_are_applied_next_time(app):
    # The revision is read before the inputs, so an update may meet a change it already has.
    with app.app_context():
        store = get_store()
        current_coverage()
        last = tracked()
        added = store.add_asset(Asset("cafe", "Café", -1.126, 52.626, status=Status.VERIFIED), actor="t")
        current_coverage()
        app.extensions["assetmap.coverage.tracked"] = dataclasses.replace(tracked(), revision=last.revision)
        store.update_asset(added.id, {"name": "Café 2"}, expected_version=1, actor="t")
        same_as_full(app, current_coverage())


def test_display_polygons_are_reused_after_an_asset_change_and_stay_right(app):
    from assetmap.web.coverage import _for_display, display_coverage

    with app.app_context():
        store = get_store()
        display_coverage()
        kept = tracked().display["areas"]
        store.add_asset(Asset("cafe", "Café", -1.126, 52.626, status=Status.VERIFIED), actor="t")
        second = display_coverage()
        assert tracked().updates == 1
        assert tracked().display["areas"] is kept  # not simplified again
        expected = _for_display(_computed(CoverageOptions.from_config(app.config)))
        pd.testing.assert_frame_equal(second.areas, expected.areas)
        pd.testing.assert_frame_equal(second.wards, expected.wards)
        store.update_area_fields({"A1": {"imd_decile": 1}})
        third = display_coverage()
        assert tracked().updates == 0
        pd.testing.assert_frame_equal(
            third.areas, _for_display(_computed(CoverageOptions.from_config(app.config))).areas
        )
