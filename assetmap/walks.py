"""Patch walks: checking recorded points, cutting a route into streets walked, and measuring them.

A walk's route is its points in time order. Where two consecutive points are more than
:data:`MAX_STEP_M` apart or :data:`MAX_PAUSE_S` apart in time, or where a point's accuracy is worse
than :data:`MAX_ACCURACY_M` (that point is dropped), the route is cut: a jump (lost signal, a bus
ride, a fix from a mast) is never drawn as a street. What is left are pieces of two or more points,
as WGS84 LineStrings. Lengths are measured in British National Grid (EPSG:27700), never in degrees.
:func:`streets_collection` turns the pieces into the public map layer, which carries only each
piece's month and how many walks that month had: no account, no day or time, and leaves out the
streets around where each walk started and ended (:func:`without_ends`), which may be someone's
door. Pure functions; no I/O, no flask. See ``docs/walks.md``.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
import numpy as np
import shapely
from defusedxml import DefusedXmlException
from pyproj import Transformer
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry

from assetmap.errors import InvalidInput
from assetmap.geo import BNG, WGS84, check_points, transformer
from assetmap.models import WalkPoint, WalkRoute

MAX_STEP_M = 100.0
MAX_PAUSE_S = 300.0
MAX_ACCURACY_M = 50.0
SIMPLIFY_M = 5.0  # display tolerance of the map layer
MAX_POINTS_PER_CALL = 5000
COORD_DECIMALS = 6  # about 0.1 m
PRIVATE_ENDS_M = 150.0  # the public layer leaves out at least half this around a walk's two ends


def _to_bng() -> Transformer:
    return transformer(WGS84, BNG)


def _to_wgs84() -> Transformer:
    return transformer(BNG, WGS84)


def _reproject(geoms: Sequence[BaseGeometry], transformer: Transformer) -> np.ndarray:
    def move(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return np.asarray(shapely.transform(np.asarray(geoms, dtype=object), move))


def check_walk_points(points: Sequence[WalkPoint], *, where: str = "points[{}]", first: int = 0) -> None:
    """Raise :class:`InvalidInput` naming the first bad point, as ``points[i]: problem``.

    ``where`` is formatted with the point's index counted from ``first``.

    A point needs a timezone-aware time, lon/lat inside the UK (not swapped, not NaN) and an
    accuracy that is unknown (None) or a finite number of metres >= 0.

    >>> from datetime import UTC, datetime
    >>> check_walk_points([WalkPoint(datetime(2026, 11, 1, tzinfo=UTC), -1.13, 52.63, 5.0)])
    >>> check_walk_points([])
    """
    if not points:
        return
    lon = np.array([p.lon for p in points], dtype=float)
    lat = np.array([p.lat for p in points], dtype=float)
    problems = check_points(lon, lat)
    if problems:
        index, problem = problems[0]
        raise InvalidInput(f"{where.format(index + first)}: {problem}")
    for index, p in enumerate(points):
        if p.t.tzinfo is None or p.t.utcoffset() is None:
            raise InvalidInput(f"{where.format(index + first)}: the time needs a time zone (e.g. Z for UTC)")
        if p.accuracy is not None and not (np.isfinite(p.accuracy) and p.accuracy >= 0):
            raise InvalidInput(f"{where.format(index + first)}: accuracy must be a number of metres >= 0")


def route_pieces(
    points: Sequence[WalkPoint],
    *,
    max_step_m: float = MAX_STEP_M,
    max_pause_s: float = MAX_PAUSE_S,
    max_accuracy_m: float = MAX_ACCURACY_M,
) -> list[LineString]:
    """The walked pieces of a route, as WGS84 LineStrings in time order.

    Points are put in time order; points less accurate than ``max_accuracy_m`` are dropped and
    the route is cut where they were; it is cut too between consecutive points more than
    ``max_step_m`` metres (measured in EPSG:27700) or ``max_pause_s`` seconds apart. Pieces of a
    single point are left out. Points with unknown accuracy are kept.

    >>> from datetime import UTC, datetime, timedelta
    >>> t0 = datetime(2026, 11, 1, tzinfo=UTC)
    >>> route_pieces([])
    []
    >>> route_pieces([WalkPoint(t0, -1.13, 52.63)])
    []
    >>> [len(p.coords) for p in route_pieces(
    ...     [WalkPoint(t0 + timedelta(seconds=10 * i), -1.13 + 0.0001 * i, 52.63) for i in range(3)])]
    [3]
    """
    if len(points) < 2:  # noqa: PLR2004 - a line needs two points
        return []
    ordered = sorted(points, key=lambda p: p.t)
    accuracy = np.array([np.nan if p.accuracy is None else p.accuracy for p in ordered], dtype=float)
    kept = np.flatnonzero(~(accuracy > max_accuracy_m))  # NaN (unknown) compares False: kept
    if len(kept) < 2:  # noqa: PLR2004
        return []
    lon = np.array([ordered[i].lon for i in kept], dtype=float)
    lat = np.array([ordered[i].lat for i in kept], dtype=float)
    seconds = np.array([ordered[i].t.timestamp() for i in kept], dtype=float)
    x, y = _to_bng().transform(lon, lat)
    step = np.hypot(np.diff(np.asarray(x)), np.diff(np.asarray(y)))
    cut = (step > max_step_m) | (np.diff(seconds) > max_pause_s) | (np.diff(kept) > 1)
    starts = np.concatenate([[0], np.flatnonzero(cut) + 1])
    stops = np.concatenate([starts[1:], [len(kept)]])
    return [
        LineString(np.column_stack([lon[a:b], lat[a:b]]))
        for a, b in zip(starts, stops, strict=True)
        if b - a >= 2  # noqa: PLR2004
    ]


def length_m(lines: Sequence[BaseGeometry]) -> float:
    """Total length in metres, measured in British National Grid.

    >>> round(length_m([LineString([(-1.13, 52.63), (-1.13, 52.631)])]))
    111
    >>> length_m([])
    0.0
    """
    if not lines:
        return 0.0
    return float(shapely.length(_reproject(lines, _to_bng())).sum())


def length_within_m(lines: Sequence[BaseGeometry], area: BaseGeometry) -> float:
    """Metres of ``lines`` inside ``area`` (a WGS84 polygon), clipped and measured in EPSG:27700.

    >>> from shapely.geometry import box
    >>> ward = box(-1.14, 52.62, -1.12, 52.63)
    >>> round(length_within_m([LineString([(-1.13, 52.629), (-1.13, 52.632)])], ward))
    111
    >>> length_within_m([], box(-1.14, 52.62, -1.12, 52.63))
    0.0
    """
    if not lines:
        return 0.0
    projected = _reproject(lines, _to_bng())
    clip = _reproject([area], _to_bng())[0]
    return float(shapely.length(shapely.intersection(projected, clip)).sum())


def without_ends(
    pieces: Sequence[LineString], *, seed: str, radius_m: float = PRIVATE_ENDS_M
) -> list[BaseGeometry]:
    """One walk's ``pieces`` (in time order, WGS84) without what lies near where it started and ended.

    Around the first point of the first piece and the last point of the last piece, a circle of
    ``radius_m`` metres (EPSG:27700) is cut out; each circle's centre is moved off the true point by
    up to ``radius_m / 2``, in a direction and by a distance fixed by ``seed`` (the walk's id: the
    same walk is always cut the same way). Everything within ``radius_m / 2`` of either end is
    always gone, and the cut edge is at no fixed distance from where the walk began. ``radius_m``
    0 keeps everything.

    >>> line = LineString([(-1.13, 52.63), (-1.13, 52.64)])  # about 1.1 km due north
    >>> [trimmed] = without_ends([line], seed="walk-1")
    >>> 800 < length_m([trimmed]) < 1000
    True
    >>> without_ends([line], seed="walk-1", radius_m=0) == [line]
    True
    """
    if radius_m <= 0 or not pieces:
        return list(pieces)
    projected = _reproject(pieces, _to_bng())
    ends = np.array([projected[0].coords[0], projected[-1].coords[-1]])
    rng = np.random.default_rng(int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big"))
    angle = rng.uniform(0.0, 2 * np.pi, size=2)
    shift = radius_m / 2 * np.sqrt(rng.uniform(0.0, 1.0, size=2))  # uniform over the small disc
    centres = ends + np.column_stack([shift * np.cos(angle), shift * np.sin(angle)])
    private = shapely.union_all(shapely.buffer(shapely.points(centres), radius_m, quad_segs=16))
    kept = shapely.get_parts(shapely.difference(projected, private))
    kept = kept[~shapely.is_empty(kept) & (shapely.length(kept) > 0)]
    if not len(kept):
        return []
    return list(_reproject(list(kept), _to_wgs84()))


def simplified(lines: Sequence[BaseGeometry], *, tolerance_m: float = SIMPLIFY_M) -> list[BaseGeometry]:
    """``lines`` simplified (Douglas-Peucker, ``tolerance_m`` metres in EPSG:27700), back in WGS84."""
    if not lines:
        return []
    thinned = shapely.simplify(_reproject(lines, _to_bng()), tolerance_m, preserve_topology=False)
    return [line for line in _reproject(list(thinned), _to_wgs84()) if not line.is_empty]


def month_of(at: datetime) -> str:
    """``YYYY-MM`` of a time, in UTC.

    >>> from datetime import UTC, datetime
    >>> month_of(datetime(2026, 11, 30, 23, 59, tzinfo=UTC))
    '2026-11'
    """
    return f"{at.year:04d}-{at.month:02d}"


def streets_collection(
    routes: Sequence[WalkRoute],
    *,
    bbox: tuple[float, float, float, float] | None = None,
    private_ends_m: float = PRIVATE_ENDS_M,
) -> dict[str, Any]:
    """The streets walked as a GeoJSON FeatureCollection, for the public map.

    One LineString feature per walked piece (:func:`route_pieces`, then :func:`without_ends` with
    ``private_ends_m``, then :func:`simplified`), with
    only ``{"month": "YYYY-MM", "walks": n}``: the month the walk started (UTC) and how many walks
    of that month are in the collection. Features are ordered by month and then by position, not
    by walk, so pieces cannot be told apart by walk. With ``bbox`` only pieces meeting it are kept
    (whole, not clipped).

    >>> streets_collection([])
    {'type': 'FeatureCollection', 'features': []}
    """
    pieces: list[tuple[str, BaseGeometry]] = []
    walks: Counter[str] = Counter()
    box = None if bbox is None else shapely.box(*bbox)
    for route in routes:
        lines = simplified(
            without_ends(route_pieces(route.points), seed=route.walk_id, radius_m=private_ends_m)
        )
        if box is not None:
            lines = [line for line in lines if line.intersects(box)]
        if lines:
            month = month_of(route.started_at)
            walks[month] += 1
            pieces += [(month, line) for line in lines]
    features = [
        {
            "type": "Feature",
            "geometry": {
                "type": "LineString",
                "coordinates": np.round(shapely.get_coordinates(line), COORD_DECIMALS).tolist(),
            },
            "properties": {"month": month, "walks": walks[month]},
        }
        for month, line in sorted(pieces, key=lambda p: (p[0], p[1].bounds))
    ]
    return {"type": "FeatureCollection", "features": features}


# -- GPX files -------------------------------------------------------------------------------------
def _local(tag: str) -> str:
    """An element's name without its namespace (GPX 1.0 and 1.1 differ only there)."""
    return tag.rsplit("}", 1)[-1]


def parse_time(raw: object, key: str) -> datetime:
    """An ISO 8601 time with a time zone (``Z`` or an offset); :class:`InvalidInput` naming ``key``.

    >>> parse_time("2026-11-24T10:00:00Z", "t").isoformat()
    '2026-11-24T10:00:00+00:00'
    """
    try:
        at = datetime.fromisoformat(raw.strip()) if isinstance(raw, str) else None
    except ValueError:
        at = None
    if at is None:
        raise InvalidInput(f"{key}: expected an ISO 8601 time such as 2026-11-24T10:00:00Z")
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidInput(f"{key}: the time needs a time zone (e.g. Z for UTC)")
    return at


def parse_gpx(data: bytes, *, max_bytes: int) -> list[WalkPoint]:
    """The track points of a GPX 1.0 or 1.1 file, in time order.

    DTDs, entities and external references are refused (defusedxml). Waypoints and route points
    are not a walk and are ignored; every track point needs a ``<time>``. Raises
    :class:`InvalidInput` when the file is too large, is not GPX, has no track points, or has a
    point that is outside the UK, swapped or without a time (naming the point, counted from 1).

    >>> parse_gpx(b"<gpx><trk><trkseg/></trk></gpx>", max_bytes=1000)
    Traceback (most recent call last):
    ...
    assetmap.errors.InvalidInput: the GPX file has no track points
    """
    if len(data) > max_bytes:
        raise InvalidInput(f"the GPX file is too large (at most {max_bytes / 1_048_576:g} MB)")
    try:
        root = SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise InvalidInput("the file declares a DTD or entities, which a GPX file must not") from None
    except (ParseError, ValueError):
        raise InvalidInput("the file is not GPX: it is not well-formed XML") from None
    if _local(root.tag) != "gpx":
        raise InvalidInput(f"the file is not GPX: its root element is <{_local(root.tag)[:40]}>, not <gpx>")
    found = [el for el in root.iter() if _local(el.tag) == "trkpt"]
    if not found:
        raise InvalidInput("the GPX file has no track points")
    points = [_track_point(el, n) for n, el in enumerate(found, start=1)]
    check_walk_points(points, where="track point {}", first=1)
    return sorted(points, key=lambda p: p.t)


def _track_point(el: Element, n: int) -> WalkPoint:
    try:
        lat, lon = float(el.attrib["lat"]), float(el.attrib["lon"])
    except (KeyError, ValueError):
        raise InvalidInput(f"track point {n}: lat and lon must be numbers") from None
    times = [child.text for child in el if _local(child.tag) == "time"]
    if not times:
        raise InvalidInput(f"track point {n}: it has no <time>; a walk needs the time of each point")
    return WalkPoint(parse_time(times[0], f"track point {n}"), lon, lat, None)
