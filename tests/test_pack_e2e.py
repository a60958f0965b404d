"""End to end on the real Leicester data pack: load it, re-load it, report coverage from the CLI."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from assetmap.config import load_config
from assetmap.importers.pack import load_pack
from assetmap.storage import open_store
from assetmap.storage.base import AssetQuery
from tests.conftest import clear

pytestmark = pytest.mark.e2e

PACK = Path(load_config()["DATA_PACK"])


@pytest.fixture(scope="module", params=["sqlite", "postgis"])
def loaded(request, tmp_path_factory):
    """The pack loaded once per backend: the store's URL, the store and the first load's summaries."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('pack') / 'leicester.sqlite'}"
    else:
        url = request.getfixturevalue("postgis_url")
    store = open_store(url)
    store.migrate()
    clear(store)
    first = {step.label: summary for step, summary in load_pack(store, PACK)}
    yield url, store, first
    clear(store)
    store.close()


def test_pack_loads_every_geography_and_statistic(loaded):
    _, store, first = loaded
    assert first["wards"].added == 21
    areas = store.areas(kind="lsoa11")
    assert len(areas) == 192
    assert all(a.pw_point is not None for a in areas)
    # Totals published in the pack's SOURCES-stats.md (mid-2020 single year of age).
    assert sum(a.residents_total for a in areas) == 354_036
    assert sum(a.residents_50plus for a in areas) == 96_960
    assert sum(a.residents_65plus for a in areas) == 43_602
    assert all(a.imd_score is not None and a.idaopi_score is not None for a in areas)
    # 182 LSOA codes match the 2021 file directly; the other 10 are interpolated by area.
    assert all(a.loneliness is not None and 19.0 <= a.loneliness <= 34.0 for a in areas)
    assert {a.ward_code for a in areas} == {w.code for w in store.wards()}


def test_pack_assets_by_category_with_licences(loaded):
    _, store, first = loaded
    faith = store.assets(AssetQuery(categories=["faith"]))
    libraries = store.assets(AssetQuery(categories=["library"]))
    buses = store.count_assets(AssetQuery(categories=["bus_stop"]))
    assert len(libraries) == 18  # 17 static libraries and the Children's Bookbus; prison library skipped
    assert len(faith) > 250
    assert buses == 2069
    assert all(a.licence for a in faith + libraries)
    skipped = first["registers (faith, cafés, care, GP, clubs, community centres, bus stops)"].skipped
    assert skipped["restaurant: not a community asset"] == 477


def test_reloading_the_pack_changes_nothing(loaded):
    _, store, _ = loaded
    before = store.count_assets(AssetQuery())
    again = list(load_pack(store, PACK))
    assert all(s.added == 0 and s.updated == 0 and s.unchanged > 0 for _, s in again)
    assert store.count_assets(AssetQuery()) == before


def test_coverage_report_cli(loaded, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from assetmap.cli import main

    url, _, _ = loaded
    monkeypatch.setenv("ASSETMAP_DATABASE_URL", url)
    monkeypatch.setenv("ASSETMAP_WALK_NETWORK", "")  # straight lines, whatever instance/ holds
    result = CliRunner().invoke(main, ["coverage-report", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:2] == ["rank", "ward"]
    assert len([line for line in lines if line[:1].isdigit()]) == 21
    with (tmp_path / "wards.csv").open() as fh:
        wards = list(csv.DictReader(fh))
    gaps = [float(w["gap_score"]) for w in wards]
    assert len(wards) == 21 and all(0 <= g <= 1 for g in gaps)
    with (tmp_path / "areas.csv").open() as fh:
        areas = list(csv.DictReader(fh))
    assert len(areas) == 192
    assert {
        "walk_min_faith",
        "n_within_library",
        "fca_per_1000",
        "need_index",
        "gap_score",
        "c_idaopi",
        "why",
    } <= set(areas[0])
    geo = json.loads((tmp_path / "areas.geojson").read_text())
    assert len(geo["features"]) == 192


def test_stored_asset_wards_give_the_same_coverage_as_placing_assets(loaded):
    """The service trusts the ward storage recorded for each asset; it must be the engine's own rule."""
    from assetmap.config import load_config as config
    from assetmap.coverage import CoverageParams, compute_coverage
    from assetmap.coverage.engine import assign_wards
    from assetmap.frames import ASSET_WARD_COLUMN, coverage_inputs

    _, store, _ = loaded
    areas, assets, wards = coverage_inputs(store, statuses=config()["COVERAGE_STATUSES"])
    placed_codes = pd.Series(assign_wards(assets.geometry.values, wards), dtype=object)
    assert assets[ASSET_WARD_COLUMN].fillna("outside").tolist() == placed_codes.fillna("outside").tolist()
    assert assets[ASSET_WARD_COLUMN].notna().sum() > 800
    params = CoverageParams()
    given = compute_coverage(areas, assets, wards, params, asset_ward_column=ASSET_WARD_COLUMN)
    placed = compute_coverage(areas, assets.drop(columns=ASSET_WARD_COLUMN), wards, params)
    assert given.wards.equals(placed.wards) and given.areas.equals(placed.areas)
