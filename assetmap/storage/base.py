"""The storage contract every backend implements.

A :class:`Store` keeps wards, small areas, assets, the audit trail and user accounts. Backends (SQLite file,
PostgreSQL + PostGIS) differ only in how they build and index geometry; the contract test suite in
``tests/storage/`` runs unchanged against each. All writes of one call are atomic: a failure
leaves the store as it was. Geometries cross this boundary as shapely objects in WGS84.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from assetmap.accounts import Role, User
from assetmap.models import Asset, AuditEvent, Photo, SmallArea, Status, Walk, WalkPoint, WalkRoute, Ward

BBox = tuple[float, float, float, float]  # min_lon, min_lat, max_lon, max_lat


@dataclass(frozen=True)
class UpsertCounts:
    """What a bulk write did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class AssetQuery:
    """Filters for listing assets; every field is optional and they combine with AND."""

    bbox: BBox | None = None
    ward: str | None = None
    categories: Sequence[str] | None = None
    statuses: Sequence[str] | None = None
    limit: int | None = None
    offset: int = 0


@dataclass(frozen=True)
class AssetIds:
    """The ids of one page of the assets matching a query, and how many match in all."""

    ids: list[str]
    total: int


@dataclass(frozen=True)
class Changes:
    """What the writes after a revision changed, when only assets changed (:meth:`Store.changes_since`)."""

    revision: int  # the newest revision they reach
    asset_ids: frozenset[str]


class Store(ABC):
    """Persistence for assetmap. Open with :func:`assetmap.storage.open_store`."""

    # -- lifecycle -------------------------------------------------------------------------
    @abstractmethod
    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision (idempotent)."""

    @abstractmethod
    def close(self) -> None:
        """Release connections."""

    @abstractmethod
    def revision(self) -> int:
        """A counter that grows with every committed write that changes wards, areas or assets.

        It lives in the database, so every process sharing the store sees the same value: equal
        revisions mean unchanged data, and anything derived from the data can be cached under it.
        Reads, writes that change nothing and failed writes leave it as it was.
        """

    @abstractmethod
    def changes_since(self, revision: int) -> Changes | None:
        """The assets changed by the writes after ``revision``, for updating derived data in step.

        Returns the ids of every asset those writes created or changed (a status change included)
        and the revision they reach; no writes since give an empty set at ``revision``. Returns
        ``None`` when that cannot be told by assets alone, so everything must be derived again: a
        write changed wards or small areas (which can move assets between wards), one changed
        more assets than are listed, or the log no longer reaches back to ``revision``.
        """

    # -- wards -----------------------------------------------------------------------------
    @abstractmethod
    def upsert_wards(self, wards: Sequence[Ward]) -> UpsertCounts:
        """Insert or update wards by code, atomically."""

    @abstractmethod
    def wards(self, *, bbox: BBox | None = None) -> list[Ward]:
        """Wards ordered by name, optionally only those whose geometry meets ``bbox``."""

    @abstractmethod
    def ward(self, code: str) -> Ward:
        """One ward; raises :class:`~assetmap.errors.NotFound`."""

    # -- small areas -----------------------------------------------------------------------
    @abstractmethod
    def upsert_areas(self, areas: Sequence[SmallArea]) -> UpsertCounts:
        """Insert or update small areas by code, atomically (all fields replaced)."""

    @abstractmethod
    def update_area_fields(self, values: Mapping[str, Mapping[str, Any]]) -> UpsertCounts:
        """Set some attribute fields (not geometry) of existing areas, keyed by code, atomically.

        Raises :class:`~assetmap.errors.NotFound` naming the first unknown code, writing nothing.
        """

    @abstractmethod
    def areas(
        self, *, kind: str = "lsoa11", ward: str | None = None, bbox: BBox | None = None
    ) -> list[SmallArea]:
        """Small areas of one kind ordered by code, filtered by ward code and/or bbox."""

    # -- assets ----------------------------------------------------------------------------
    @abstractmethod
    def import_assets(self, assets: Sequence[Asset], *, actor: str) -> UpsertCounts:
        """Insert or update assets by ``(source_dataset, source_id)``, atomically.

        New assets get an id and version 1; changed ones a new version; unchanged ones are left
        alone. Each create or update writes an audit event by ``actor``.
        """

    @abstractmethod
    def add_asset(self, asset: Asset, *, actor: str) -> Asset:
        """Create one asset (validated), returning it with id, ward, timestamps and version 1."""

    @abstractmethod
    def get_asset(self, asset_id: str) -> Asset:
        """One asset; raises :class:`~assetmap.errors.NotFound`."""

    @abstractmethod
    def asset_by_source(self, source_dataset: str, source_id: str) -> Asset:
        """The asset stored under ``(source_dataset, source_id)``; raises :class:`~assetmap.errors.NotFound`.

        The pair is unique (an empty ``source_id`` never matches), so the capture page keeps a
        submission's client id there and finds a retried submission by it.
        """

    @abstractmethod
    def update_asset(
        self, asset_id: str, changes: Mapping[str, Any], *, expected_version: int, actor: str
    ) -> Asset:
        """Change content fields of an asset.

        Raises :class:`~assetmap.errors.Conflict` when the stored version is not
        ``expected_version`` (nothing is written), :class:`~assetmap.errors.InvalidInput` for
        unknown fields or invalid values.
        """

    @abstractmethod
    def set_status(
        self,
        asset_id: str,
        status: Status,
        *,
        expected_version: int,
        actor: str,
        note: Mapping[str, str] | None = None,
    ) -> Asset:
        """Change an asset's status (verified also stamps last verified at/by); audited.

        ``note`` (e.g. ``{"outcome": "rejected", "reason": "..."}`` or ``{"merged_into": id}``) is
        kept with the audit event, under the key ``"note"`` of its after-values. Raises
        :class:`~assetmap.errors.Conflict` when the stored version is not ``expected_version``.
        """

    @abstractmethod
    def assets(self, query: AssetQuery | None = None) -> list[Asset]:
        """Assets matching ``query`` ordered by id; bbox and ward use the spatial index."""

    @abstractmethod
    def asset_records_by_id(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        """The assets with these ids as JSON-ready dicts (:meth:`Asset.to_dict`), ordered by id.

        For serving many assets: no :class:`Asset` objects are built. Ids that are not stored
        are left out; an id given twice comes back once.
        """

    @abstractmethod
    def count_assets(self, query: AssetQuery | None = None) -> int:
        """How many assets match ``query`` (ignoring limit and offset)."""

    @abstractmethod
    def asset_ids(self, query: AssetQuery | None = None) -> AssetIds:
        """The ids of ``assets(query)`` and ``count_assets(query)``, reading no other column.

        For serving a page of assets by id (see :meth:`asset_records_by_id`).
        """

    @abstractmethod
    def audit(self, asset_id: str) -> list[AuditEvent]:
        """Audit events of an asset, oldest first."""

    # -- photos ----------------------------------------------------------------------------
    @abstractmethod
    def add_photo(
        self, asset_id: str, data: bytes, *, width: int, height: int, client_id: str, actor: str
    ) -> Photo:
        """Store a cleaned JPEG of an asset (:func:`assetmap.photos.clean_photo` makes one).

        Audited as the action ``"photo"``, but the store's :meth:`revision` is unchanged (coverage
        does not depend on photos). Raises :class:`~assetmap.errors.NotFound` for an unknown
        asset, :class:`~assetmap.errors.Conflict` when ``client_id`` was used before, and
        :class:`~assetmap.errors.InvalidInput` for empty data or sizes that are not positive.
        """

    @abstractmethod
    def photos(self, asset_id: str) -> list[Photo]:
        """The photos of an asset that are not removed, oldest first, without their bytes (an
        empty list for none).

        Raises :class:`~assetmap.errors.NotFound` for an unknown asset.
        """

    @abstractmethod
    def photo(self, photo_id: str) -> tuple[Photo, bytes]:
        """One photo and its JPEG bytes; raises :class:`~assetmap.errors.NotFound` for an unknown
        or removed photo."""

    @abstractmethod
    def photo_by_client_id(self, client_id: str) -> Photo:
        """The photo uploaded under ``client_id``, removed or not (so a retried upload of a removed
        photo is recognised, not stored again); raises :class:`~assetmap.errors.NotFound`."""

    @abstractmethod
    def remove_photo(
        self, asset_id: str, photo_id: str, *, actor: str, reason: str | None = None
    ) -> tuple[Photo, bool]:
        """Remove a photo: its bytes are erased, its row stays marked with who removed it and when.

        Audited as the action ``"photo removed"`` on its asset (with ``reason`` in the event's note
        when given); the store's :meth:`revision` is unchanged. Returns the photo and whether this
        call removed it: removing a removed photo changes nothing and returns ``False``. Raises
        :class:`~assetmap.errors.NotFound` for an unknown photo or one of another asset.
        """

    # -- users -----------------------------------------------------------------------------
    @abstractmethod
    def create_user(
        self, username: str, password: str, *, role: Role | str, wards: Sequence[str] = ()
    ) -> User:
        """Create an active account, keeping only a hash of ``password``.

        Raises :class:`~assetmap.errors.InvalidInput` for a bad username, a short password, an
        unknown role or a ward code that is not stored, and :class:`~assetmap.errors.Conflict`
        when the name is taken (ignoring case).
        """

    @abstractmethod
    def get_user(self, user_id: int) -> User:
        """One account by id; raises :class:`~assetmap.errors.NotFound`."""

    @abstractmethod
    def user_by_name(self, username: str) -> User:
        """One account by name, ignoring case; raises :class:`~assetmap.errors.NotFound`."""

    @abstractmethod
    def users(self) -> list[User]:
        """All accounts ordered by name (ignoring case)."""

    @abstractmethod
    def set_password(self, username: str, password: str) -> User:
        """Replace an account's password (validated like :meth:`create_user`'s)."""

    @abstractmethod
    def set_active(self, username: str, active: bool) -> User:
        """Enable or disable an account; a disabled account cannot log in."""

    # -- patch walks (docs/walks.md) -------------------------------------------------------------
    @abstractmethod
    def walk_revision(self) -> int:
        """Like :meth:`revision`, for walks: it grows with every committed write that changes a route.

        Walk writes leave :meth:`revision` alone, so recording a walk never invalidates what is
        derived from wards, areas and assets; the streets-walked layer is cached under this one.
        """

    @abstractmethod
    def start_walk(
        self,
        walk_id: str,
        *,
        username: str,
        started_at: datetime,
        source: str = "gps",
        stopped_at: datetime | None = None,
        points: Sequence[WalkPoint] = (),
    ) -> tuple[Walk, bool]:
        """Start a walk (or store a whole uploaded one, with its points), atomically.

        Returns the walk and whether it is new. Starting a walk the same account already started
        changes nothing (the first start time is kept); an id used by another account raises
        :class:`~assetmap.errors.Conflict`. Bad points, an unknown source or a stop before the
        start raise :class:`~assetmap.errors.InvalidInput` and nothing is written.
        """

    @abstractmethod
    def add_walk_points(self, walk_id: str, points: Sequence[WalkPoint]) -> int:
        """Store points of a walk (stopped or not), returning how many were new.

        A point whose time is already stored for the walk is ignored (also within one call: the
        first wins), so a retried batch never doubles one. Invalid points raise
        :class:`~assetmap.errors.InvalidInput` naming the first and nothing is stored; an unknown
        walk raises :class:`~assetmap.errors.NotFound`.
        """

    @abstractmethod
    def stop_walk(self, walk_id: str, *, stopped_at: datetime) -> Walk:
        """Stop a walk; stopping it again changes nothing (the first stop time is kept).

        A stop before the start raises :class:`~assetmap.errors.InvalidInput`.
        """

    @abstractmethod
    def delete_walk(self, walk_id: str) -> Walk:
        """Delete a walk with its points and its links to places, in one transaction; the places
        themselves stay. Returns the walk as it was. Raises :class:`~assetmap.errors.NotFound`.

        Raises :meth:`walk_revision` (the streets-walked layer changes), not :meth:`revision`.
        """

    @abstractmethod
    def walk(self, walk_id: str) -> Walk:
        """One walk with its counts; raises :class:`~assetmap.errors.NotFound`."""

    @abstractmethod
    def walks(self, *, username: str | None = None) -> list[Walk]:
        """Walks (only ``username``'s when given), newest start first, with their counts."""

    @abstractmethod
    def walk_points(self, walk_id: str) -> list[WalkPoint]:
        """A walk's points in time order; raises :class:`~assetmap.errors.NotFound`."""

    @abstractmethod
    def link_walk_asset(self, walk_id: str, asset_id: str, *, action: str) -> bool:
        """Record that ``asset_id`` was ``"added"`` or ``"seen"`` on a walk; True if newly recorded.

        An asset is linked to a walk once: a second link of the same pair changes nothing.
        Unknown walk or asset: :class:`~assetmap.errors.NotFound`.
        """

    @abstractmethod
    def walk_assets(self, walk_id: str) -> list[tuple[str, str]]:
        """``(asset_id, action)`` of the assets linked to a walk, in the order they were linked."""

    @abstractmethod
    def walk_routes(self, *, bbox: BBox | None = None) -> list[WalkRoute]:
        """Every walk with two or more points (only those whose points' box meets ``bbox``), with
        its points in time order; oldest start first."""
