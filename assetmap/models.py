"""The data model: wards, small areas, community assets and audit events.

Plain dataclasses, independent of storage and web. Geometries are shapely objects in WGS84
(EPSG:4326, x = longitude, y = latitude). Validation that needs no database lives here, so an
importer, the API and the capture page all apply the same rules.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from assetmap import taxonomy
from assetmap.errors import InvalidInput

ACCESS_ATTRIBUTES = ("step_free", "seating", "toilets", "hearing_loop", "free_to_use")


class Status(StrEnum):
    """Lifecycle of an asset."""

    REPORTED = "reported"
    VERIFIED = "verified"
    STALE = "stale"
    CLOSED = "closed"
    MERGED = "merged"


@dataclass
class Ward:
    code: str
    name: str
    geometry: BaseGeometry


@dataclass
class SmallArea:
    """An LSOA (2011 by default) or Output Area with its residents and need measures."""

    code: str
    name: str
    kind: str  # "lsoa11" or "oa11"
    ward_code: str | None
    geometry: BaseGeometry
    pw_point: Point | None = None  # population-weighted point
    residents_total: float | None = None
    residents_50plus: float | None = None
    residents_65plus: float | None = None
    residents_75plus: float | None = None
    imd_score: float | None = None
    imd_decile: int | None = None
    idaopi_score: float | None = None
    loneliness: float | None = None  # modelled % of adults often/sometimes lonely


# Residents and need measures of a small area, loaded from the statistics files.
AREA_MEASURES = (
    "residents_total",
    "residents_50plus",
    "residents_65plus",
    "residents_75plus",
    "imd_score",
    "imd_decile",
    "idaopi_score",
    "loneliness",
)


@dataclass
class Asset:
    """A community asset: somewhere an older person can go."""

    category: str
    name: str
    lon: float
    lat: float
    subcategory: str | None = None
    id: str | None = None
    description: str = ""
    address: str = ""
    postcode: str = ""
    opening_times: str = ""
    step_free: bool | None = None
    seating: bool | None = None
    toilets: bool | None = None
    hearing_loop: bool | None = None
    free_to_use: bool | None = None
    languages: list[str] = field(default_factory=list)
    contact: str = ""
    source_dataset: str = ""
    source_id: str = ""
    licence: str = ""
    status: Status = Status.REPORTED
    last_verified_at: datetime | None = None
    last_verified_by: str | None = None
    created_at: datetime | None = None
    created_by: str | None = None
    updated_at: datetime | None = None
    updated_by: str | None = None
    version: int = 0
    ward_code: str | None = None

    def validated(self) -> Asset:
        """Return a copy with the category checked and text trimmed.

        Raises
        ------
        InvalidInput
            On an unknown category or status, an empty name, or coordinates that are not numbers.
        """
        category, sub = taxonomy.check(self.category, self.subcategory)
        name = (self.name or "").strip()
        if not name:
            raise InvalidInput("an asset needs a name")
        try:
            status = Status(self.status)
        except ValueError:
            raise InvalidInput(
                f"unknown status {self.status!r}; expected one of {', '.join(s.value for s in Status)}"
            ) from None
        try:
            lon, lat = float(self.lon), float(self.lat)
        except (TypeError, ValueError):
            raise InvalidInput("coordinates must be numbers") from None
        return dataclasses.replace(
            self, category=category, subcategory=sub, name=name, status=status, lon=lon, lat=lat
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (datetimes as ISO 8601 strings)."""
        out = dataclasses.asdict(self)
        out["status"] = str(self.status)
        for key, value in out.items():
            if isinstance(value, datetime):
                out[key] = value.isoformat()
        return out


ASSET_FIELDS = tuple(f.name for f in dataclasses.fields(Asset))
# Fields that describe the asset itself; bookkeeping fields are set by storage.
ASSET_CONTENT_FIELDS = tuple(
    f
    for f in ASSET_FIELDS
    if f not in {"id", "created_at", "created_by", "updated_at", "updated_by", "version", "ward_code"}
)


@dataclass
class AuditEvent:
    """One create, update or status change of an asset: who, when, before and after."""

    asset_id: str
    action: str  # "create", "update", "status", "photo" or "photo removed"
    actor: str
    at: datetime
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    id: int | None = None


# -- patch walks (assetmap.walks, docs/walks.md) ------------------------------------------------------
WALK_SOURCES = ("gps", "gpx")
WALK_ACTIONS = ("added", "seen")


@dataclass(frozen=True)
class WalkPoint:
    """One position of a walk's route: when (timezone-aware), where (WGS84) and how sure (metres)."""

    t: datetime
    lon: float
    lat: float
    accuracy: float | None = None


@dataclass(frozen=True)
class Walk:
    """A patch walk by one account: recorded by the capture page (``gps``) or uploaded (``gpx``).

    ``points``, ``assets_added`` and ``assets_seen`` are counts the store fills in when it reads.
    """

    id: str
    username: str
    source: str
    started_at: datetime
    stopped_at: datetime | None = None
    created_at: datetime | None = None
    points: int = 0
    assets_added: int = 0
    assets_seen: int = 0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (datetimes as ISO 8601 strings)."""
        out = dataclasses.asdict(self)
        for key, value in out.items():
            if isinstance(value, datetime):
                out[key] = value.isoformat()
        return out


@dataclass(frozen=True)
class WalkRoute:
    """A walk's points in time order, with when it started (its month is all the map shows)."""

    walk_id: str
    started_at: datetime
    points: tuple[WalkPoint, ...]


@dataclass(frozen=True)
class Photo:
    """A photo of an asset, as stored: a cleaned JPEG (see :mod:`assetmap.photos`) and what the app
    keeps about it on purpose. The bytes themselves travel separately (``Store.photo``)."""

    id: str
    asset_id: str
    client_id: str
    created_by: str
    created_at: datetime
    width: int
    height: int
    size_bytes: int
    content_type: str = "image/jpeg"
    removed_at: datetime | None = None  # set when an officer removed it; its bytes are gone then
    removed_by: str | None = None
