"""Checking values for storage, and converting between model objects and table rows.

Pure functions, no database: what :class:`~assetmap.storage.sql.SqlStore` writes has passed
through here first, so a value the database would refuse is an :class:`InvalidInput` with a
message naming the record instead. Also the point-in-ward lookup both backends share.
"""

from __future__ import annotations

import math
import numbers
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry
from sqlalchemy.engine import Row

from assetmap import geo, taxonomy
from assetmap.errors import InvalidInput
from assetmap.models import (
    ACCESS_ATTRIBUTES,
    ASSET_CONTENT_FIELDS,
    ASSET_FIELDS,
    Asset,
    SmallArea,
    Status,
    Ward,
)
from assetmap.storage.base import AssetQuery, BBox

# Fields an edit or an import may change; status and verification change only through set_status.
EDITABLE_FIELDS = tuple(
    f for f in ASSET_CONTENT_FIELDS if f not in {"status", "last_verified_at", "last_verified_by"}
)
_TEXT_FIELDS = (
    "description",
    "address",
    "postcode",
    "opening_times",
    "contact",
    "source_dataset",
    "source_id",
    "licence",
)


def _number(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"expected a number, got {value!r}")
    if math.isnan(value):
        return None
    if math.isinf(value):
        raise ValueError("expected a finite number")
    return float(value)


def _whole(value: Any) -> int | None:
    number = _number(value)
    if number is not None and not number.is_integer():
        raise ValueError(f"expected a whole number, got {value!r}")
    return None if number is None else int(number)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {value!r}")
    return value


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value)


def _point_columns(value: Any) -> dict[str, float | None]:
    if value is None:
        return {"pw_lon": None, "pw_lat": None}
    if not isinstance(value, Point) or value.is_empty:
        raise ValueError("expected a point")
    problems = geo.check_points(np.array([value.x]), np.array([value.y]))
    if problems:
        raise ValueError(problems[0][1])
    return {"pw_lon": value.x, "pw_lat": value.y}


_AREA_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "name": _text,
    "ward_code": _optional_text,
    "residents_total": _number,
    "residents_50plus": _number,
    "residents_65plus": _number,
    "residents_75plus": _number,
    "imd_score": _number,
    "imd_decile": _whole,
    "idaopi_score": _number,
    "loneliness": _number,
}
# Small-area fields update_area_fields may set (everything but code, kind and the polygon) ...
AREA_FIELDS = ("pw_point", *_AREA_CONVERTERS)
# ... and the columns they are stored in.
AREA_VALUE_COLUMNS = ("pw_lon", "pw_lat", *_AREA_CONVERTERS)


def area_values(code: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """Columns for some small-area fields, converted and checked."""
    unknown = sorted(set(values) - set(AREA_FIELDS))
    if unknown:
        raise InvalidInput(
            f"cannot set {', '.join(unknown)} on small area {code}; settable fields: {', '.join(AREA_FIELDS)}"
        )
    out: dict[str, Any] = {}
    for name, value in values.items():
        try:
            out.update(_point_columns(value) if name == "pw_point" else {name: _AREA_CONVERTERS[name](value)})
        except ValueError as exc:
            raise InvalidInput(f"small area {code}, {name}: {exc}") from None
    return out


def polygon_columns(geometry: Any, *, what: str) -> dict[str, Any]:
    """A checked MultiPolygon and its bounding box, or :class:`InvalidInput` naming ``what``."""
    if isinstance(geometry, Polygon):
        geometry = MultiPolygon([geometry])
    if not isinstance(geometry, MultiPolygon) or geometry.is_empty:
        kind = "nothing" if geometry is None else geometry.geom_type
        raise InvalidInput(f"{what}: expected a polygon or multipolygon, got {kind}")
    if not geometry.is_valid:
        raise InvalidInput(f"{what}: invalid polygon ({shapely.is_valid_reason(geometry)})")
    min_lon, min_lat, max_lon, max_lat = geometry.bounds
    problems = geo.check_points(np.array([min_lon, max_lon]), np.array([min_lat, max_lat]))
    if problems:
        raise InvalidInput(f"{what}: {problems[0][1]} (a corner of its bounding box)")
    return {
        "geometry": geometry,
        "min_lon": min_lon,
        "min_lat": min_lat,
        "max_lon": max_lon,
        "max_lat": max_lat,
    }


def _code(value: Any, *, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"every {what} needs a code")
    return value


def ward_row(ward: Ward) -> dict[str, Any]:
    """The ``wards`` row for a ward, checked; :class:`InvalidInput` names the ward."""
    code = _code(ward.code, what="ward")
    try:
        name = _text(ward.name)
    except ValueError as exc:
        raise InvalidInput(f"ward {code}, name: {exc}") from None
    return {"code": code, "name": name, **polygon_columns(ward.geometry, what=f"ward {code}")}


def area_row(area: SmallArea) -> dict[str, Any]:
    """The ``small_areas`` row for a small area, checked; :class:`InvalidInput` names the area."""
    code = _code(area.code, what="small area")
    if not isinstance(area.kind, str) or not area.kind:
        raise InvalidInput(f"small area {code}: kind must be a name such as 'lsoa11'")
    values = area_values(code, {name: getattr(area, name) for name in AREA_FIELDS})
    return {
        "code": code,
        "kind": area.kind,
        **values,
        **polygon_columns(area.geometry, what=f"small area {code}"),
    }


def ward_from_row(row: Row[*tuple[Any, ...]]) -> Ward:
    """A ward from a ``wards`` row."""
    return Ward(code=row.code, name=row.name, geometry=row.geometry)


def area_from_row(row: Row[*tuple[Any, ...]]) -> SmallArea:
    """A small area from a ``small_areas`` row."""
    pw_point = None if row.pw_lon is None else Point(row.pw_lon, row.pw_lat)
    fields = {name: getattr(row, name) for name in _AREA_CONVERTERS}
    return SmallArea(code=row.code, kind=row.kind, geometry=row.geometry, pw_point=pw_point, **fields)


def asset_from_row(row: Row[*tuple[Any, ...]]) -> Asset:
    """An asset from a row of the ``assets`` columns named like its fields."""
    fields = row._asdict()
    return Asset(**{**fields, "status": Status(fields["status"]), "languages": list(fields["languages"])})


def asset_row(asset: Asset) -> dict[str, Any]:
    """The ``assets`` row for an asset (without ``pk``)."""
    row = {name: getattr(asset, name) for name in ASSET_FIELDS}
    return {**row, "status": str(asset.status), "languages": list(asset.languages)}


def editable(asset: Asset) -> dict[str, Any]:
    """The asset's :data:`EDITABLE_FIELDS`, for comparing content."""
    return {name: getattr(asset, name) for name in EDITABLE_FIELDS}


def _check_values(asset: Asset) -> Asset:
    """Type checks that :meth:`Asset.validated` leaves to storage, so the database never refuses a value."""
    for name in _TEXT_FIELDS:
        if not isinstance(getattr(asset, name), str):
            raise InvalidInput(f"{name} must be text")
    for name in ACCESS_ATTRIBUTES:
        if getattr(asset, name) not in (None, True, False):
            raise InvalidInput(f"{name} must be true, false or unknown (null)")
    if isinstance(asset.languages, str) or not all(isinstance(s, str) for s in asset.languages):
        raise InvalidInput("languages must be a list of language names")
    verified = asset.last_verified_at
    if verified is not None and (not isinstance(verified, datetime) or verified.tzinfo is None):
        raise InvalidInput("last_verified_at must be a timezone-aware date and time")
    if not isinstance(asset.last_verified_by, str | None):
        raise InvalidInput("last_verified_by must be text")
    return asset


def _label(asset: Asset) -> str:
    """How an error names an asset of a batch (by its source id), or nothing for a one-off asset."""
    return f"asset {asset.source_id!r} of {asset.source_dataset!r}: " if asset.source_id else ""


def checked_assets(assets_in: Sequence[Asset]) -> list[Asset]:
    """Validate assets for writing: category, text, types and coordinates inside the UK.

    Returns validated copies. Raises :class:`InvalidInput` for the first bad asset, naming it by
    source id when it has one.
    """
    out = []
    for asset in assets_in:
        try:
            out.append(_check_values(asset.validated()))
        except InvalidInput as exc:
            raise InvalidInput(_label(asset) + exc.message) from None
    problems = geo.check_points(np.array([a.lon for a in out]), np.array([a.lat for a in out]))
    if problems:
        index, problem = problems[0]
        raise InvalidInput(_label(out[index]) + problem)
    return out


def check_import_keys(assets_in: Sequence[Asset]) -> None:
    """Raise :class:`InvalidInput` unless every asset has a source key, and no key repeats."""
    for number, asset in enumerate(assets_in, start=1):
        if not asset.source_dataset or not asset.source_id:
            raise InvalidInput(
                f"asset {number} ({asset.name!r}) needs a source dataset and source id: "
                "an import matches stored assets by them"
            )
    counts = Counter((a.source_dataset, a.source_id) for a in assets_in)
    repeated = [key for key, n in counts.items() if n > 1]
    if repeated:
        dataset, source_id = repeated[0]
        raise InvalidInput(f"source id {source_id!r} appears more than once in this import of {dataset!r}")


def checked_query(query: AssetQuery) -> AssetQuery:
    """Return ``query`` if its filters are usable, else raise :class:`InvalidInput`."""
    if query.bbox is not None:
        checked_bbox(query.bbox)
    for category in query.categories or ():
        taxonomy.check(category)
    for status in query.statuses or ():
        checked_status(status)
    if query.limit is not None and (not isinstance(query.limit, int) or query.limit < 0):
        raise InvalidInput("limit must be a whole number of 0 or more")
    if not isinstance(query.offset, int) or query.offset < 0:
        raise InvalidInput("offset must be a whole number of 0 or more")
    return query


def checked_bbox(bbox: BBox) -> BBox:
    """The bbox as four finite floats, each minimum at most its maximum, or :class:`InvalidInput`."""
    try:
        min_lon, min_lat, max_lon, max_lat = (float(v) for v in bbox)
    except (TypeError, ValueError):
        raise InvalidInput("bbox must be four numbers: min_lon, min_lat, max_lon, max_lat") from None
    if (
        not all(map(math.isfinite, (min_lon, min_lat, max_lon, max_lat)))
        or min_lon > max_lon
        or min_lat > max_lat
    ):
        raise InvalidInput(
            "bbox must be min_lon, min_lat, max_lon, max_lat with each minimum at most its maximum"
        )
    return min_lon, min_lat, max_lon, max_lat


def bbox_shape(bbox: BBox) -> BaseGeometry:
    """The box as a geometry: a point or a line when it has no area (a flat polygon meets nothing).

    >>> bbox_shape((-1.1, 52.6, -1.1, 52.6)).wkt
    'POINT (-1.1 52.6)'
    """
    min_lon, min_lat, max_lon, max_lat = bbox
    if (min_lon, min_lat) == (max_lon, max_lat):
        return Point(min_lon, min_lat)
    if min_lon == max_lon or min_lat == max_lat:
        return LineString([(min_lon, min_lat), (max_lon, max_lat)])
    return shapely.box(min_lon, min_lat, max_lon, max_lat)


def checked_status(value: Any) -> Status:
    """``value`` as a :class:`Status`, or :class:`InvalidInput` listing the statuses."""
    try:
        return Status(value)
    except ValueError:
        raise InvalidInput(
            f"unknown status {value!r}; expected one of {', '.join(s.value for s in Status)}"
        ) from None


def ward_codes_at(ward_list: Sequence[Ward], lon: np.ndarray, lat: np.ndarray) -> list[str | None]:
    """The code of the ward covering each point, or ``None`` outside every ward.

    A point on a boundary shared by several wards gets the smallest code, so the answer does not
    depend on the order of ``ward_list``.

    >>> ward_codes_at([], np.array([-1.1]), np.array([52.6]))
    [None]
    """
    codes = np.full(len(lon), None, dtype=object)
    if not ward_list:
        return codes.tolist()
    ordered = sorted(ward_list, key=lambda w: w.code)
    tree = shapely.STRtree([w.geometry for w in ordered])
    point_idx, ward_idx = tree.query(shapely.points(lon, lat), predicate="covered_by")
    order = np.lexsort((ward_idx, point_idx))
    point_idx, ward_idx = point_idx[order], ward_idx[order]
    _, first = np.unique(point_idx, return_index=True)
    codes[point_idx[first]] = np.array([w.code for w in ordered], dtype=object)[ward_idx[first]]
    return codes.tolist()
