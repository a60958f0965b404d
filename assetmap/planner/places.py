"""Where things are, in metres: small areas' demand points, candidate points and the distances between them.

The planner measures in the coverage result's own CRS (British National Grid for GB data), from the
same population-weighted points the coverage engine uses, so "within reach" means the same here as
in every coverage figure.
"""

from __future__ import annotations

from functools import cache

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS, Transformer
from scipy.spatial.distance import cdist

from assetmap.coverage import CoverageResult
from assetmap.coverage.engine import demand_points
from assetmap.errors import InvalidInput
from assetmap.geo import WGS84


@cache
def _transformer(crs: str) -> Transformer:
    return Transformer.from_crs(WGS84, CRS.from_user_input(crs), always_xy=True)


def to_metres(lon: np.ndarray, lat: np.ndarray, crs: str) -> np.ndarray:
    """``(n, 2)`` coordinates in ``crs`` (a projected CRS in metres) of WGS84 lon/lat.

    >>> to_metres(np.array([-1.13]), np.array([52.63]), "EPSG:27700").round(-3).tolist()
    [[459000.0, 304000.0]]
    """
    x, y = _transformer(crs).transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.column_stack([np.asarray(x, dtype=float), np.asarray(y, dtype=float)])


def area_points(coverage: CoverageResult, areas: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Lon and lat of each of ``coverage.areas``' demand points, in its row order.

    ``areas`` is the small-area frame the coverage was computed from (it holds ``pw_lon`` and
    ``pw_lat``, which the result does not); rows are matched by ``code``. The points are the
    engine's own (:func:`~assetmap.coverage.engine.demand_points`).
    """
    missing_columns = {"code", "pw_lon", "pw_lat"} - set(areas.columns)
    if missing_columns:
        raise InvalidInput(
            f"areas: no {sorted(missing_columns)[0]} column; pass the frame the coverage came from"
        )
    by_code = areas.drop_duplicates("code").set_index("code")
    codes = pd.Index(coverage.areas["code"])
    missing = codes.difference(by_code.index)
    if len(missing):
        raise InvalidInput(f"areas: {missing[0]} is in the coverage but not among the small areas given")
    lon, lat, _ = demand_points(by_code.loc[codes])
    return lon, lat


def distances(xy: np.ndarray, other: np.ndarray | None = None) -> np.ndarray:
    """Straight-line metres between every point of ``xy`` and every point of ``other`` (or ``xy``).

    >>> distances(np.array([[0.0, 0.0], [3.0, 4.0]])).tolist()
    [[0.0, 5.0], [5.0, 0.0]]
    """
    return cdist(xy, xy if other is None else other)
