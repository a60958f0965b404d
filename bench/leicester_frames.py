"""The Leicester data pack as the three frames the coverage engine takes, through the real importer.

Used by ``bench/coverage.py`` and ``tests/coverage``: loads the pack into a throwaway SQLite store
with :func:`assetmap.importers.pack.load_pack` and reads it back with
:func:`assetmap.frames.coverage_inputs`, exactly as the service does before a recompute.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import geopandas as gpd

from assetmap.config import load_config
from assetmap.frames import coverage_inputs
from assetmap.importers.pack import load_pack
from assetmap.storage import open_store

CONFIG = load_config()
PACK = Path(CONFIG["DATA_PACK"])


def load_frames(pack: Path = PACK) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Small areas (LSOA 2011), assets (of the statuses coverage counts) and wards, in WGS84."""
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'leicester.sqlite'}")
        try:
            store.migrate()
            for _ in load_pack(store, pack):
                pass
            return coverage_inputs(store, statuses=CONFIG["COVERAGE_STATUSES"])
        finally:
            store.close()
