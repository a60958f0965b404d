"""A tiny synthetic place near Leicester for the storage tests, small enough to check by hand.

Three wards: two squares side by side sharing the edge lon -1.13, and a triangle whose bounding box
contains a point (``OUTSIDE_TRIANGLE``) that is not in the triangle, which an index alone would
wrongly count. Points are ``(lon, lat)``, WGS84.

    52.63 +---------+---------+  .
          |  E05001 |  E05002 |  |\\     ·  OUTSIDE_TRIANGLE (-1.112, 52.628)
          |  Abbey  | Belgrave|  | \\
          |    *    *    *    |  |* \\   (IN_TRIANGLE -1.118, 52.622)
    52.62 +---------+---------+  +---+
        -1.14     -1.13     -1.12  -1.11
"""

from __future__ import annotations

import dataclasses
from typing import Any

from shapely.geometry import Polygon, box

from assetmap.models import Asset, SmallArea, Ward

ABBEY = Ward("E05001", "Abbey", box(-1.14, 52.62, -1.13, 52.63))
BELGRAVE = Ward("E05002", "Belgrave", box(-1.13, 52.62, -1.12, 52.63))
CASTLE = Ward("E05003", "Castle", Polygon([(-1.12, 52.62), (-1.11, 52.62), (-1.12, 52.63)]))
WARDS = [CASTLE, ABBEY, BELGRAVE]  # not in name order on purpose

IN_ABBEY = (-1.135, 52.625)
IN_BELGRAVE = (-1.125, 52.625)
ON_SHARED_EDGE = (-1.13, 52.625)
IN_TRIANGLE = (-1.118, 52.622)
OUTSIDE_TRIANGLE = (-1.112, 52.628)
OUTSIDE_ALL = (-1.10, 52.60)


def asset(where: tuple[float, float] = IN_ABBEY, **fields: Any) -> Asset:
    """A valid café at ``where`` (lon, lat), with any field overridden."""
    lon, lat = where
    return dataclasses.replace(Asset(category="cafe", name="Zoo café", lon=lon, lat=lat), **fields)


def sourced(source_id: str, where: tuple[float, float] = IN_ABBEY, **fields: Any) -> Asset:
    """An asset as an importer makes it: from dataset ``zoo`` with ``source_id``."""
    return asset(where, source_dataset="zoo", source_id=source_id, name=f"Asset {source_id}", **fields)


def area(code: str, ward: Ward, **fields: Any) -> SmallArea:
    """A small area filling the south-west quarter of ``ward``'s bounding box."""
    min_lon, min_lat, max_lon, max_lat = ward.geometry.bounds
    quarter = box(min_lon, min_lat, (min_lon + max_lon) / 2, (min_lat + max_lat) / 2)
    return dataclasses.replace(SmallArea(code, f"Area {code}", "lsoa11", ward.code, quarter), **fields)
