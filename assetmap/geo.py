"""Coordinate rules: which CRS to store in, which to measure in, and what counts as a plausible place.

Everything is stored and served in WGS84 (EPSG:4326, ``[lon, lat]``) and measured in a projected
CRS: British National Grid (EPSG:27700) for GB data, otherwise the local UTM zone. A frame with no
CRS, or with a CRS other than the one asked for, raises: it is never silently relabelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import geopandas as gpd
import numpy as np
from pyproj import CRS, Transformer

from assetmap.errors import InvalidInput

WGS84 = "EPSG:4326"
BNG = "EPSG:27700"


@cache
def transformer(source: str, target: str) -> Transformer:
    """A ``[lon, lat]``-ordered transformer between two CRS, made once per pair (making one takes
    milliseconds); pyproj transformers are thread-safe since 3.1."""
    return Transformer.from_crs(source, target, always_xy=True)


@dataclass(frozen=True)
class Bounds:
    """A lon/lat box that valid points must fall in."""

    name: str
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    def contains(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        return (lon >= self.min_lon) & (lon <= self.max_lon) & (lat >= self.min_lat) & (lat <= self.max_lat)


# Great Britain and Northern Ireland with their islands (Scilly to Shetland, Northern Ireland to Kent).
UK = Bounds("the UK", -8.7, 49.8, 1.9, 60.9)


def require_crs(frame: gpd.GeoDataFrame, *, source: str) -> CRS:
    """Return the frame's CRS, or raise naming ``source`` when it has none."""
    if frame.crs is None:
        raise InvalidInput(f"{source}: no coordinate reference system; say which CRS the data is in")
    return CRS.from_user_input(frame.crs)


def to_wgs84(frame: gpd.GeoDataFrame, *, source: str) -> gpd.GeoDataFrame:
    """Reproject to WGS84 from whatever CRS the frame declares (raising when it declares none)."""
    require_crs(frame, source=source)
    return frame.to_crs(WGS84)


def measuring_crs(frame: gpd.GeoDataFrame) -> CRS:
    """British National Grid for data inside GB, else the frame's UTM zone.

    The frame must be in WGS84; an empty frame measures in BNG.
    """
    if frame.crs is None or not CRS.from_user_input(frame.crs).equals(CRS.from_user_input(WGS84)):
        raise InvalidInput(f"expected WGS84 (EPSG:4326) to choose a measuring CRS, got {frame.crs}")
    if frame.empty:
        return CRS.from_user_input(BNG)
    minx, miny, maxx, maxy = frame.total_bounds
    if UK.min_lon <= minx and maxx <= UK.max_lon and UK.min_lat <= miny and maxy <= UK.max_lat:
        return CRS.from_user_input(BNG)
    return frame.estimate_utm_crs()


def check_points(lon: np.ndarray, lat: np.ndarray, *, bounds: Bounds = UK) -> list[tuple[int, str]]:
    """Find points that are not numbers, lie outside ``bounds``, or look like swapped lat/lon.

    Returns ``(index, problem)`` pairs, empty when every point is fine.

    >>> check_points(np.array([-1.13]), np.array([52.63]))
    []
    >>> check_points(np.array([52.63]), np.array([-1.13]))[0][1]
    'latitude and longitude look swapped (52.63, -1.13); expected lon, lat inside the UK'
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    problems: list[tuple[int, str]] = []
    finite = np.isfinite(lon) & np.isfinite(lat)
    inside = finite & bounds.contains(lon, lat)
    swapped = finite & ~inside & bounds.contains(lat, lon)
    for i in np.flatnonzero(~inside):
        if not finite[i]:
            problems.append((int(i), "coordinates missing or not numbers"))
        elif swapped[i]:
            problems.append(
                (
                    int(i),
                    f"latitude and longitude look swapped ({lon[i]:g}, {lat[i]:g}); "
                    f"expected lon, lat inside {bounds.name}",
                )
            )
        else:
            problems.append((int(i), f"point ({lon[i]:g}, {lat[i]:g}) is outside {bounds.name}"))
    return problems
