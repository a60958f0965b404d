"""Convert stored records to the GeoDataFrames the coverage engine takes, and back to plain rows.

The one place where lists of model objects become frames (WGS84, EPSG:4326). Storage returns
models; analysis takes frames; this module sits between them and does no I/O of its own except
through the store it is handed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from assetmap.geo import WGS84
from assetmap.models import AREA_MEASURES, Asset, SmallArea, Ward

if TYPE_CHECKING:
    from assetmap.storage.base import Store

AREA_COLUMNS = ("code", "name", "kind", "ward_code", *AREA_MEASURES)
ASSET_WARD_COLUMN = "ward_code"
"""The column of :func:`assets_frame` holding the ward storage placed each asset in when it was saved
(re-placed whenever wards are imported): pass it to the engine as ``asset_ward_column``."""


def wards_frame(wards: Iterable[Ward]) -> gpd.GeoDataFrame:
    """Wards as a frame with ``code``, ``name`` and polygon geometry."""
    wards = list(wards)
    return gpd.GeoDataFrame(
        {"code": [w.code for w in wards], "name": [w.name for w in wards]},
        geometry=[w.geometry for w in wards],
        crs=WGS84,
    )


def areas_frame(areas: Iterable[SmallArea]) -> gpd.GeoDataFrame:
    """Small areas as a frame: attributes, ``pw_lon``/``pw_lat`` and polygon geometry."""
    areas = list(areas)
    data: dict[str, list] = {c: [getattr(a, c) for a in areas] for c in AREA_COLUMNS}
    data["pw_lon"] = [a.pw_point.x if a.pw_point is not None else np.nan for a in areas]
    data["pw_lat"] = [a.pw_point.y if a.pw_point is not None else np.nan for a in areas]
    frame = pd.DataFrame(data)
    frame[list(AREA_MEASURES)] = frame[list(AREA_MEASURES)].astype(float)
    return gpd.GeoDataFrame(frame, geometry=[a.geometry for a in areas], crs=WGS84)


def assets_frame(assets: Iterable[Asset]) -> gpd.GeoDataFrame:
    """Assets as a point frame with ``id``, ``category``, ``subcategory``, ``name``, ``status`` and
    ``ward_code`` (see :data:`ASSET_WARD_COLUMN`)."""
    assets = list(assets)
    return gpd.GeoDataFrame(
        {
            "id": [a.id for a in assets],
            "category": [a.category for a in assets],
            "subcategory": [a.subcategory for a in assets],
            "name": [a.name for a in assets],
            "status": [str(a.status) for a in assets],
            ASSET_WARD_COLUMN: [a.ward_code for a in assets],
        },
        geometry=gpd.points_from_xy([a.lon for a in assets], [a.lat for a in assets]),
        crs=WGS84,
    )


def coverage_inputs(
    store: Store, *, statuses: Sequence[str], kind: str = "lsoa11"
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Areas, assets (of the given statuses) and wards from a store, ready for the engine."""
    from assetmap.storage.base import AssetQuery

    return (
        areas_frame(store.areas(kind=kind)),
        assets_frame(store.assets(AssetQuery(statuses=list(statuses)))),
        wards_frame(store.wards()),
    )
