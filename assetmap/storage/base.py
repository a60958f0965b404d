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
from typing import Any

from assetmap.accounts import Role, User
from assetmap.models import Asset, AuditEvent, SmallArea, Status, Ward

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
