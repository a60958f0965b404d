"""The storage contract on SQLAlchemy Core, shared by the SQLite and PostGIS backends.

:class:`SqlStore` does everything that is the same in both databases: validation, versioning, the
audit trail, upserts and filters on plain columns. A backend subclass supplies only the spatial
part: an index-backed SQL condition for "geometry meets this box" and "point lies in this
polygon", and whether that condition is exact. SQLite's R*Tree only narrows the candidates, so
the exact geometric test then runs in shapely; PostGIS answers exactly in SQL. Every statement is
built from the tables in :mod:`assetmap.storage.schema` with bound parameters; the asset queries
are built once per combination of filters and reused.
"""

from __future__ import annotations

import dataclasses
import uuid
from abc import abstractmethod
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from operator import itemgetter
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import shapely
from alembic import command
from alembic.config import Config
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Float, Select, Table, bindparam, case, delete, func, insert, select, update
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import BindParameter, ClauseElement, ColumnElement
from sqlalchemy.sql.expression import Executable

from assetmap.accounts import (
    Role,
    User,
    checked_role,
    checked_username,
    hash_password,
    username_key,
)
from assetmap.errors import Conflict, InvalidInput, NotFound
from assetmap.models import (
    ASSET_FIELDS,
    WALK_ACTIONS,
    WALK_SOURCES,
    Asset,
    AuditEvent,
    Photo,
    SmallArea,
    Status,
    Walk,
    WalkPoint,
    WalkRoute,
    Ward,
)
from assetmap.storage.base import AssetIds, AssetQuery, BBox, Changes, Store, UpsertCounts
from assetmap.storage.rows import (
    AREA_VALUE_COLUMNS,
    EDITABLE_FIELDS,
    area_from_row,
    area_row,
    area_values,
    asset_from_row,
    asset_row,
    bbox_shape,
    check_import_keys,
    checked_assets,
    checked_bbox,
    checked_query,
    checked_status,
    editable,
    ward_codes_at,
    ward_from_row,
    ward_row,
)
from assetmap.storage.schema import (
    assets,
    audit_events,
    photos,
    revision_log,
    small_areas,
    store_revision,
    users,
    walk_assets,
    walk_points,
    walk_revision,
    walks,
    wards,
)
from assetmap.walks import check_walk_points

MIGRATIONS = Path(__file__).with_name("migrations")
LOGGED_IDS_MAX = 1_000  # a write changing more assets is logged without their ids
LOGGED_REVISIONS = 10_000  # how many revisions the log keeps

_ASSET_COLUMNS = [assets.c[name] for name in ASSET_FIELDS]
_PHOTO_COLUMNS = [photos.c[f.name] for f in dataclasses.fields(Photo)]  # all but the bytes
_TIME_FIELDS = tuple(name for name in ASSET_FIELDS if name.endswith("_at"))
_CHUNK = 1000  # keys per IN list, well under the drivers' parameter limits
# The bound parameters of the asset statements, which are built once per shape of query and reused.
_BOX_NAMES = ("min_lon", "min_lat", "max_lon", "max_lat")
_BOX = tuple(bindparam(name, type_=Float()) for name in _BOX_NAMES)
_CATEGORIES: BindParameter[str] = bindparam("categories", expanding=True)
_STATUSES: BindParameter[str] = bindparam("statuses", expanding=True)


def _now() -> datetime:
    return datetime.now(UTC)


def _first_verification(asset: Asset, *, at: datetime, actor: str) -> Asset:
    """``asset``, stamped last verified at/by if it arrives verified without a stamp."""
    if asset.status is Status.VERIFIED and asset.last_verified_at is None:
        return dataclasses.replace(asset, last_verified_at=at, last_verified_by=actor)
    return asset


def _chunks(keys: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(keys), _CHUNK):
        yield keys[start : start + _CHUNK]


def _count(conn: Connection, stmt: Select[Any], params: Mapping[str, Any]) -> int:
    """How many rows ``stmt`` gives with ``params``."""
    counted = select(func.count()).select_from(stmt.order_by(None).subquery())
    return int(conn.execute(counted, params).scalar_one())


def _records(rows: Sequence[Row[*tuple[Any, ...]]]) -> list[dict[str, Any]]:
    """Asset rows as :meth:`~assetmap.models.Asset.to_dict` gives them (times as ISO 8601)."""
    records = [row._asdict() for row in rows]
    for record in records:
        for name in _TIME_FIELDS:
            if record[name] is not None:
                record[name] = record[name].isoformat()
    return records


class _Explain(Executable, ClauseElement):
    """``<prefix> <select>``: a query plan request that keeps the select's bound parameters."""

    inherit_cache = False

    def __init__(self, statement: Select[Any], prefix: str) -> None:
        self.statement = statement
        self.prefix = prefix


@compiles(_Explain)
def _compile_explain(element: _Explain, compiler: Any, **kw: Any) -> str:
    return f"{element.prefix} {compiler.process(element.statement, **kw)}"


# -- the store -------------------------------------------------------------------------------------
class SqlStore(Store):
    """The contract on one SQLAlchemy engine; backends add the spatial conditions.

    Parameters
    ----------
    engine
        An engine for the database. Writes run on a copy of it with the execution option
        ``assetmap_write=True`` (SQLite takes its write lock at BEGIN for those).
    """

    #: Whether the backend's spatial conditions are exact (else shapely refines the candidates).
    exact: ClassVar[bool] = True
    #: What the backend puts before a SELECT to get its plan.
    explain_prefix: ClassVar[str] = "EXPLAIN"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._writer = engine.execution_options(assetmap_write=True)
        self._asset_selects: dict[tuple[Any, ...], Select[Any]] = {}  # see _asset_select

    # -- what a backend supplies ---------------------------------------------------------------
    @abstractmethod
    def _within_box(self, table: Table, bbox: BBox) -> ColumnElement[bool]:
        """Rows of a spatial table whose geometry meets ``bbox``, by the spatial index."""

    @abstractmethod
    def _asset_near_box(self, box: Sequence[ColumnElement[float]]) -> ColumnElement[bool]:
        """Assets whose point may lie in the box of four SQL values (min lon, min lat, max lon,
        max lat), by the spatial index; the caller adds the exact test on ``lon`` and ``lat``."""

    @abstractmethod
    def _within_polygon(self, polygon: BaseGeometry) -> ColumnElement[bool]:
        """Assets whose point may lie in ``polygon``, by the spatial index."""

    def _explain(self, conn: Connection, *, prefer_index: bool) -> None:
        """Prepare ``conn`` before EXPLAIN runs (its transaction is rolled back afterwards)."""

    # -- lifecycle -----------------------------------------------------------------------------
    def migrate(self) -> None:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")

    def close(self) -> None:
        self.engine.dispose()

    def revision(self) -> int:
        stmt = select(func.coalesce(func.max(store_revision.c.revision), 0))
        with self.engine.connect() as conn:
            return int(conn.execute(stmt).scalar_one())

    @staticmethod
    def _bump(conn: Connection, asset_ids: Sequence[str] | None = None) -> None:
        """Raise the store revision inside the write's transaction (it commits or rolls back with it).

        The new revision is logged with the ids of the assets the write changed (``asset_ids``), or
        with none when it changed something else or more than :data:`LOGGED_IDS_MAX` assets: see
        :meth:`changes_since`. The counter's row stays locked until the transaction ends, so
        revisions are handed out, and become visible, in order.
        """
        stmt = update(store_revision).where(store_revision.c.id == 1)
        if conn.execute(stmt.values(revision=store_revision.c.revision + 1)).rowcount == 0:
            conn.execute(insert(store_revision).values(id=1, revision=1))  # the row was deleted
        now = conn.execute(select(store_revision.c.revision).where(store_revision.c.id == 1)).scalar_one()
        listed = None if asset_ids is None or len(asset_ids) > LOGGED_IDS_MAX else sorted(set(asset_ids))
        conn.execute(insert(revision_log).values(revision=now, asset_ids=listed))
        conn.execute(delete(revision_log).where(revision_log.c.revision <= now - LOGGED_REVISIONS))

    def changes_since(self, revision: int) -> Changes | None:
        stmt = (
            select(revision_log.c.revision, revision_log.c.asset_ids)
            .where(revision_log.c.revision > revision)
            .order_by(revision_log.c.revision)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        if not rows:
            return Changes(revision=revision, asset_ids=frozenset()) if revision == self.revision() else None
        newest = int(rows[-1].revision)
        if newest - revision != len(rows) or any(row.asset_ids is None for row in rows):
            return None  # a write changed more than assets, or the log no longer reaches back
        return Changes(revision=newest, asset_ids=frozenset(i for row in rows for i in row.asset_ids))

    # -- wards ---------------------------------------------------------------------------------
    def upsert_wards(self, wards_in: Sequence[Ward]) -> UpsertCounts:
        rows = [ward_row(w) for w in wards_in]
        with self._writer.begin() as conn:
            counts = self._upsert_by_code(conn, wards, rows)
            if counts.added or counts.updated:
                self._reassign_wards(conn)
                self._bump(conn)
        return counts

    def wards(self, *, bbox: BBox | None = None) -> list[Ward]:
        with self.engine.connect() as conn:
            return self._wards(conn, bbox=bbox)

    def ward(self, code: str) -> Ward:
        with self.engine.connect() as conn:
            return self._ward(conn, code)

    def _wards(self, conn: Connection, *, bbox: BBox | None) -> list[Ward]:
        stmt = select(wards).order_by(wards.c.name, wards.c.code)
        found = [ward_from_row(row) for row in conn.execute(self._in_bbox(stmt, wards, bbox))]
        return self._refined(found, bbox)

    def _ward(self, conn: Connection, code: str) -> Ward:
        row = conn.execute(select(wards).where(wards.c.code == code)).first()
        if row is None:
            raise NotFound(f"no ward with code {code!r}")
        return ward_from_row(row)

    def _reassign_wards(self, conn: Connection) -> None:
        """Point every asset at the ward now covering it (wards may arrive after assets)."""
        rows = conn.execute(select(assets.c.pk, assets.c.lon, assets.c.lat, assets.c.ward_code)).all()
        codes = self._ward_codes(conn, np.array([r.lon for r in rows]), np.array([r.lat for r in rows]))
        changed = [
            {"_pk": r.pk, "ward_code": c} for r, c in zip(rows, codes, strict=True) if c != r.ward_code
        ]
        if changed:
            conn.execute(update(assets).where(assets.c.pk == bindparam("_pk")), changed)

    def _ward_codes(self, conn: Connection, lon: np.ndarray, lat: np.ndarray) -> list[str | None]:
        if len(lon) == 0:
            return []
        nearby = self._wards(conn, bbox=(lon.min(), lat.min(), lon.max(), lat.max()))
        return ward_codes_at(nearby, lon, lat)

    # -- small areas ---------------------------------------------------------------------------
    def upsert_areas(self, areas_in: Sequence[SmallArea]) -> UpsertCounts:
        rows = [area_row(a) for a in areas_in]
        with self._writer.begin() as conn:
            counts = self._upsert_by_code(conn, small_areas, rows)
            if counts.added or counts.updated:
                self._bump(conn)
        return counts

    def update_area_fields(self, values: Mapping[str, Mapping[str, Any]]) -> UpsertCounts:
        wanted = {code: area_values(code, fields) for code, fields in values.items()}
        columns = ["code", *AREA_VALUE_COLUMNS]
        with self._writer.begin() as conn:
            stored = self._rows_by_code(conn, small_areas, list(wanted), columns)
            missing = [code for code in wanted if code not in stored]
            if missing:
                raise NotFound(f"no small area with code {missing[0]!r}")
            merged = [{**stored[code], **fields} for code, fields in wanted.items()]
            changed = [{**row, "_code": row["code"]} for row in merged if row != stored[row["code"]]]
            if changed:
                conn.execute(update(small_areas).where(small_areas.c.code == bindparam("_code")), changed)
                self._bump(conn)
        return UpsertCounts(updated=len(changed), unchanged=len(wanted) - len(changed))

    def areas(
        self, *, kind: str = "lsoa11", ward: str | None = None, bbox: BBox | None = None
    ) -> list[SmallArea]:
        stmt = select(small_areas).where(small_areas.c.kind == kind).order_by(small_areas.c.code)
        if ward is not None:
            stmt = stmt.where(small_areas.c.ward_code == ward)
        with self.engine.connect() as conn:
            found = [area_from_row(row) for row in conn.execute(self._in_bbox(stmt, small_areas, bbox))]
        return self._refined(found, bbox)

    # -- shared by wards and small areas -------------------------------------------------------
    def _in_bbox(self, stmt: Select[Any], table: Table, bbox: BBox | None) -> Select[Any]:
        return stmt if bbox is None else stmt.where(self._within_box(table, checked_bbox(bbox)))

    def _refined(self, found: list[Any], bbox: BBox | None) -> list[Any]:
        """Drop index candidates whose geometry misses ``bbox`` (only for inexact backends)."""
        if bbox is None or self.exact or not found:
            return found
        keep = shapely.intersects([f.geometry for f in found], bbox_shape(bbox))
        return [f for f, k in zip(found, keep, strict=True) if k]

    def _rows_by_code(
        self, conn: Connection, table: Table, codes: Sequence[str], columns: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for part in _chunks(codes):
            stmt = select(*[table.c[name] for name in columns]).where(table.c.code.in_(part))
            found.update({row.code: row._asdict() for row in conn.execute(stmt)})
        return found

    def _upsert_by_code(self, conn: Connection, table: Table, rows: list[dict[str, Any]]) -> UpsertCounts:
        repeated = [code for code, n in Counter(r["code"] for r in rows).items() if n > 1]
        if repeated:
            raise InvalidInput(f"code {repeated[0]!r} appears more than once")
        stored = self._rows_by_code(conn, table, [r["code"] for r in rows], list(rows[0]) if rows else [])
        new = [r for r in rows if r["code"] not in stored]
        changed = [{**r, "_code": r["code"]} for r in rows if r["code"] in stored and r != stored[r["code"]]]
        if new:
            conn.execute(insert(table), new)
        if changed:
            conn.execute(update(table).where(table.c.code == bindparam("_code")), changed)
        return UpsertCounts(
            added=len(new), updated=len(changed), unchanged=len(rows) - len(new) - len(changed)
        )

    # -- assets: writing -----------------------------------------------------------------------
    def import_assets(self, assets_in: Sequence[Asset], *, actor: str) -> UpsertCounts:
        """Insert or update assets by ``(source_dataset, source_id)``, atomically.

        Only :data:`EDITABLE_FIELDS` are compared and replaced, so a re-import never undoes a
        status change or a verification. Every asset needs a source dataset and id, unique within
        the call; otherwise :class:`InvalidInput` and nothing is written.
        """
        incoming = checked_assets(assets_in)
        check_import_keys(incoming)
        at = _now()
        with self._writer.begin() as conn:
            stored = self._assets_by_source(conn, sorted({a.source_dataset for a in incoming}))
            new, changed = [], []
            for asset in incoming:
                old = stored.get((asset.source_dataset, asset.source_id))
                if old is None:
                    new.append(asset)
                elif editable(old) != editable(asset):
                    changed.append((old, dataclasses.replace(old, **editable(asset))))
            created = self._insert_assets(conn, new, actor=actor, at=at)
            rewritten = [
                self._rewrite(conn, old, asset, actor=actor, action="update", at=at) for old, asset in changed
            ]
            if created or rewritten:  # one revision for the whole import
                self._bump(conn, [str(a.id) for a in created + rewritten])
        return UpsertCounts(
            added=len(new), updated=len(changed), unchanged=len(incoming) - len(new) - len(changed)
        )

    def add_asset(self, asset: Asset, *, actor: str) -> Asset:
        """Create one asset (validated); any ``id`` given is replaced by a new one."""
        [checked] = checked_assets([asset])
        with self._writer.begin() as conn:
            [created] = self._insert_assets(conn, [checked], actor=actor, at=_now())
            self._bump(conn, [str(created.id)])
        return created

    def update_asset(
        self, asset_id: str, changes: Mapping[str, Any], *, expected_version: int, actor: str
    ) -> Asset:
        """Change :data:`EDITABLE_FIELDS` of an asset; a change to nothing writes nothing."""
        unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
        if unknown:
            raise InvalidInput(
                f"cannot change {', '.join(unknown)}; changeable fields: {', '.join(EDITABLE_FIELDS)}"
            )
        with self._writer.begin() as conn:
            old = self._current(conn, asset_id, expected_version)
            [new] = checked_assets([dataclasses.replace(old, **changes)])
            if editable(new) == editable(old):
                return old
            changed = self._rewrite(conn, old, new, actor=actor, action="update", at=_now())
            self._bump(conn, [asset_id])
            return changed

    def set_status(
        self,
        asset_id: str,
        status: Status,
        *,
        expected_version: int,
        actor: str,
        note: Mapping[str, str] | None = None,
    ) -> Asset:
        """Change an asset's status; ``verified`` also stamps last verified at/by (again if repeated)."""
        status = checked_status(status)
        extra = {"note": {str(k): str(v) for k, v in note.items()}} if note else None
        at = _now()
        with self._writer.begin() as conn:
            old = self._current(conn, asset_id, expected_version)
            new = dataclasses.replace(old, status=status)
            if status is Status.VERIFIED:
                new = dataclasses.replace(new, last_verified_at=at, last_verified_by=actor)
            changed = self._rewrite(conn, old, new, actor=actor, action="status", at=at, extra=extra)
            self._bump(conn, [asset_id])
            return changed

    def _insert_assets(self, conn: Connection, new: list[Asset], *, actor: str, at: datetime) -> list[Asset]:
        """Insert new assets with their "create" events; the caller raises the revision."""
        codes = self._ward_codes(conn, np.array([a.lon for a in new]), np.array([a.lat for a in new]))
        created = [
            dataclasses.replace(
                _first_verification(asset, at=at, actor=actor),
                id=uuid.uuid4().hex,
                ward_code=code,
                version=1,
                created_at=at,
                created_by=actor,
                updated_at=at,
                updated_by=actor,
            )
            for asset, code in zip(new, codes, strict=True)
        ]
        if not created:
            return []
        try:
            conn.execute(insert(assets), [asset_row(a) for a in created])
        except IntegrityError:
            raise Conflict("an asset with the same source dataset and source id is already stored") from None
        self._record(conn, [(None, a) for a in created], action="create", actor=actor, at=at)
        return created

    def _rewrite(
        self,
        conn: Connection,
        old: Asset,
        new: Asset,
        *,
        actor: str,
        action: str,
        at: datetime,
        extra: Mapping[str, Any] | None = None,
    ) -> Asset:
        """Store ``new`` over ``old`` as the next version, audited (``extra`` joins the event's
        after-values); :class:`Conflict` if ``old`` is stale. The caller raises the revision."""
        moved = (new.lon, new.lat) != (old.lon, old.lat)
        ward_code = (
            self._ward_codes(conn, np.array([new.lon]), np.array([new.lat]))[0] if moved else old.ward_code
        )
        new = dataclasses.replace(
            new, version=old.version + 1, updated_at=at, updated_by=actor, ward_code=ward_code
        )
        stmt = update(assets).where(assets.c.id == old.id, assets.c.version == old.version)
        if conn.execute(stmt.values(asset_row(new))).rowcount != 1:
            raise Conflict(f"asset {old.id} was changed by someone else; reload it and try again")
        self._record(conn, [(old, new)], action=action, actor=actor, at=at, extra=extra)
        return new

    def _record(
        self,
        conn: Connection,
        pairs: list[tuple[Asset | None, Asset]],
        *,
        action: str,
        actor: str,
        at: datetime,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        rows = [
            {
                "asset_id": new.id,
                "action": action,
                "actor": actor,
                "at": at,
                "before": None if old is None else old.to_dict(),
                "after": {**new.to_dict(), **(extra or {})},
            }
            for old, new in pairs
        ]
        conn.execute(insert(audit_events), rows)

    def _current(self, conn: Connection, asset_id: str, expected_version: int) -> Asset:
        asset = self._get_asset(conn, asset_id)
        if asset.version != expected_version:
            raise Conflict(
                f"asset {asset_id} is at version {asset.version}, not {expected_version}: "
                "it has changed since it was loaded; reload it and try again"
            )
        return asset

    def _assets_by_source(self, conn: Connection, datasets: Sequence[str]) -> dict[tuple[str, str], Asset]:
        stmt = select(*_ASSET_COLUMNS).where(assets.c.source_dataset.in_(datasets), assets.c.source_id != "")
        return {(a.source_dataset, a.source_id): a for a in map(asset_from_row, conn.execute(stmt))}

    # -- assets: reading -----------------------------------------------------------------------
    def get_asset(self, asset_id: str) -> Asset:
        with self.engine.connect() as conn:
            return self._get_asset(conn, asset_id)

    def asset_by_source(self, source_dataset: str, source_id: str) -> Asset:
        stmt = select(*_ASSET_COLUMNS).where(
            assets.c.source_dataset == source_dataset,
            assets.c.source_id == source_id,
            assets.c.source_id != "",
        )
        with self.engine.connect() as conn:
            row = conn.execute(stmt).first()
        if row is None:
            raise NotFound(f"no asset from {source_dataset!r} with source id {source_id!r}")
        return asset_from_row(row)

    def _get_asset(self, conn: Connection, asset_id: str) -> Asset:
        row = conn.execute(select(*_ASSET_COLUMNS).where(assets.c.id == asset_id)).first()
        if row is None:
            raise NotFound(f"no asset with id {asset_id!r}")
        return asset_from_row(row)

    def assets(self, query: AssetQuery | None = None) -> list[Asset]:
        return [asset_from_row(row) for row in self._asset_rows(query)]

    def asset_records_by_id(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        rows: list[Row[*tuple[Any, ...]]] = []
        with self.engine.connect() as conn:
            for part in _chunks(sorted(set(ids))):
                rows += conn.execute(select(*_ASSET_COLUMNS).where(assets.c.id.in_(part))).all()
        return sorted(_records(rows), key=itemgetter("id"))

    def _asset_rows(self, query: AssetQuery | None) -> Sequence[Row[*tuple[Any, ...]]]:
        query = checked_query(query or AssetQuery())
        stop = None if query.limit is None else query.offset + query.limit
        with self.engine.connect() as conn:
            stmt, params, region = self._asset_select(conn, query, ASSET_FIELDS)
            if region is None:
                return conn.execute(stmt.offset(query.offset).limit(query.limit), params).all()
            rows = conn.execute(stmt, params).all()
        return self._covered(rows, region)[query.offset : stop]

    def count_assets(self, query: AssetQuery | None = None) -> int:
        query = checked_query(query or AssetQuery())
        with self.engine.connect() as conn:
            stmt, params, region = self._asset_select(conn, query, ["lon", "lat"])
            if region is None:
                return _count(conn, stmt, params)
            rows = conn.execute(stmt, params).all()
        return len(self._covered(rows, region))

    def asset_ids(self, query: AssetQuery | None = None) -> AssetIds:
        """One page of ids and the total.

        A bbox or ward limits the matches to a map's worth: one query reads all their ids (and,
        on inexact backends, points to test against the ward), and the page is a slice of them.
        Without one the matches may be the whole table, so they are counted and only the page
        is read.
        """
        query = checked_query(query or AssetQuery())
        stop = None if query.limit is None else query.offset + query.limit
        refine = query.ward is not None and not self.exact
        columns = ["id", "lon", "lat"] if refine else ["id"]
        with self.engine.connect() as conn:
            stmt, params, region = self._asset_select(conn, query, columns)
            if region is not None:
                ids = [row.id for row in self._covered(conn.execute(stmt, params).all(), region)]
            elif query.bbox is not None or query.ward is not None:
                ids = list(conn.execute(stmt, params).scalars().all())
            else:
                total = _count(conn, stmt, params)
                if query.offset >= total:  # also never sends an offset the database would refuse
                    return AssetIds([], total)
                page = stmt.offset(query.offset).limit(query.limit)
                return AssetIds(list(conn.execute(page, params).scalars().all()), total)
        return AssetIds(ids[query.offset : stop], len(ids))

    def explain_assets(self, query: AssetQuery | None = None, *, prefer_index: bool = False) -> str:
        """The database's plan for the SQL part of :meth:`assets`, one line per plan row.

        With ``prefer_index`` PostgreSQL plans with sequential scans disabled, so a small table
        still shows whether the query *can* use the GIST index; SQLite ignores it.
        """
        query = checked_query(query or AssetQuery())
        with self.engine.connect() as conn:  # closing rolls back whatever _explain set
            stmt, params, _ = self._asset_select(conn, query, ASSET_FIELDS)
            self._explain(conn, prefer_index=prefer_index)
            plan = [str(row[-1]) for row in conn.execute(_Explain(stmt, self.explain_prefix), params)]
        return "\n".join(plan)

    def _asset_select(
        self, conn: Connection, query: AssetQuery, columns: Sequence[str]
    ) -> tuple[Select[Any], dict[str, Any], BaseGeometry | None]:
        """The SQL for ``query`` giving the asset ``columns``, its parameters, and the ward polygon
        still to test in shapely (inexact backends).

        The statement is built once for each set of columns and filters given, then reused with
        new parameters: building and hashing it anew took 0.3 ms of the 1 ms that reading the
        ids of ~700 assets in a bbox took on SQLite.
        """
        shape = (
            tuple(columns),
            query.bbox is not None,
            query.categories is not None,
            query.statuses is not None,
        )
        stmt = self._asset_selects.get(shape)
        if stmt is None:
            stmt = self._asset_selects.setdefault(shape, self._new_asset_select(*shape))
        params: dict[str, Any] = {}
        if query.categories is not None:
            params["categories"] = list(query.categories)
        if query.statuses is not None:
            params["statuses"] = [str(checked_status(s)) for s in query.statuses]
        if query.bbox is not None:
            params |= dict(zip(_BOX_NAMES, checked_bbox(query.bbox), strict=True))
        if query.ward is None:
            return stmt, params, None
        polygon = self._ward(conn, query.ward).geometry
        return stmt.where(self._within_polygon(polygon)), params, None if self.exact else polygon

    def _new_asset_select(
        self, columns: tuple[str, ...], bbox: bool, categories: bool, statuses: bool
    ) -> Select[Any]:
        """Assets in id order, filtered by the bound parameters of the filters that are given."""
        stmt = select(*[assets.c[name] for name in columns]).order_by(assets.c.id)
        if categories:
            stmt = stmt.where(assets.c.category.in_(_CATEGORIES))
        if statuses:
            stmt = stmt.where(assets.c.status.in_(_STATUSES))
        if bbox:
            min_lon, min_lat, max_lon, max_lat = _BOX
            stmt = stmt.where(
                self._asset_near_box(_BOX),
                assets.c.lon.between(min_lon, max_lon),
                assets.c.lat.between(min_lat, max_lat),
            )
        return stmt

    @staticmethod
    def _covered(rows: Sequence[Row[*tuple[Any, ...]]], region: BaseGeometry) -> list[Row[*tuple[Any, ...]]]:
        lon = np.array([r.lon for r in rows], dtype=float)
        lat = np.array([r.lat for r in rows], dtype=float)
        keep = shapely.intersects_xy(region, lon, lat)  # for a point, the same as covered by
        return [row for row, k in zip(rows, keep, strict=True) if k]

    def audit(self, asset_id: str) -> list[AuditEvent]:
        stmt = select(audit_events).where(audit_events.c.asset_id == asset_id).order_by(audit_events.c.id)
        with self.engine.connect() as conn:
            self._get_asset(conn, asset_id)
            return [AuditEvent(**row._asdict()) for row in conn.execute(stmt)]

    # -- photos --------------------------------------------------------------------------------
    def add_photo(
        self, asset_id: str, data: bytes, *, width: int, height: int, client_id: str, actor: str
    ) -> Photo:
        """Store a photo with its audit event; the revision stays (coverage does not use photos)."""
        if not isinstance(data, bytes) or not data:
            raise InvalidInput("a photo needs its image bytes")
        if any(isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in (width, height)):
            raise InvalidInput("a photo's width and height must be whole numbers of pixels, at least 1")
        if not isinstance(client_id, str) or not client_id:
            raise InvalidInput("a photo needs the client id it was uploaded under")
        photo = Photo(
            id=uuid.uuid4().hex,
            asset_id=asset_id,
            client_id=client_id,
            created_by=actor,
            created_at=_now(),
            width=width,
            height=height,
            size_bytes=len(data),
        )
        kept = {"id": photo.id, "width": width, "height": height, "bytes": photo.size_bytes}
        with self._writer.begin() as conn:
            self._get_asset(conn, asset_id)
            try:
                conn.execute(insert(photos).values(**dataclasses.asdict(photo), data=data))
            except IntegrityError:  # the unique client_id, perhaps taken since the caller looked
                raise Conflict(f"a photo with the client id {client_id[:40]!r} is already stored") from None
            event = {"asset_id": asset_id, "action": "photo", "actor": actor, "at": photo.created_at}
            conn.execute(insert(audit_events).values(**event, before=None, after={"photo": kept}))
        return photo

    def photos(self, asset_id: str) -> list[Photo]:
        stmt = (
            select(*_PHOTO_COLUMNS)
            .where(photos.c.asset_id == asset_id, photos.c.removed_at.is_(None))
            .order_by(photos.c.created_at, photos.c.id)
        )
        with self.engine.connect() as conn:
            self._get_asset(conn, asset_id)
            return [Photo(**row._asdict()) for row in conn.execute(stmt)]

    def photo(self, photo_id: str) -> tuple[Photo, bytes]:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(*_PHOTO_COLUMNS, photos.c.data).where(
                    photos.c.id == photo_id, photos.c.removed_at.is_(None)
                )
            ).first()
        if row is None:
            raise NotFound(f"no photo with id {photo_id[:40]!r}")
        fields = row._asdict()
        data = bytes(fields.pop("data"))
        return Photo(**fields), data

    def photo_by_client_id(self, client_id: str) -> Photo:
        with self.engine.connect() as conn:
            row = conn.execute(select(*_PHOTO_COLUMNS).where(photos.c.client_id == client_id)).first()
        if row is None:
            raise NotFound(f"no photo with the client id {client_id[:40]!r}")
        return Photo(**row._asdict())

    def remove_photo(
        self, asset_id: str, photo_id: str, *, actor: str, reason: str | None = None
    ) -> tuple[Photo, bool]:
        with self._writer.begin() as conn:
            row = conn.execute(
                select(*_PHOTO_COLUMNS).where(photos.c.id == photo_id, photos.c.asset_id == asset_id)
            ).first()
            if row is None:
                raise NotFound(f"no photo with id {photo_id[:40]!r} of asset {asset_id[:40]!r}")
            photo = Photo(**row._asdict())
            if photo.removed_at is not None:
                return photo, False
            removed = dataclasses.replace(photo, removed_at=_now(), removed_by=actor)
            done = conn.execute(
                update(photos)
                .where(photos.c.id == photo_id, photos.c.removed_at.is_(None))  # not if removed since
                .values(data=b"", removed_at=removed.removed_at, removed_by=actor)
            )
            if done.rowcount != 1:  # another request removed it since the read above
                return Photo(
                    **conn.execute(select(*_PHOTO_COLUMNS).where(photos.c.id == photo_id)).one()._asdict()
                ), False
            after: dict[str, Any] = {"photo": {"id": photo.id, "removed": True}}
            if reason:
                after["note"] = {"reason": reason}
            event = {
                "asset_id": photo.asset_id,
                "action": "photo removed",
                "actor": actor,
                "at": removed.removed_at,
            }
            conn.execute(
                insert(audit_events).values(**event, before={"photo": {"id": photo.id}}, after=after)
            )
        return removed, True

    # -- users ---------------------------------------------------------------------------------
    def create_user(
        self, username: str, password: str, *, role: Role | str, wards: Sequence[str] = ()
    ) -> User:
        name = checked_username(username)
        row = {
            "username": name,
            "username_key": username_key(name),
            "password_hash": hash_password(password),
            "role": str(checked_role(role)),
            "active": True,
            "created_at": _now(),
        }
        with self._writer.begin() as conn:
            row["wards"] = self._checked_wards(conn, wards)
            if self._user_row(conn, name) is not None:
                raise Conflict(f"a user named {name!r} already exists")
            try:
                conn.execute(insert(users).values(row))
            except IntegrityError:  # created by someone else since the check
                raise Conflict(f"a user named {name!r} already exists") from None
            return self._named_user(conn, name)

    def get_user(self, user_id: int) -> User:
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.id == user_id)).first()
        if row is None:
            raise NotFound(f"no user with id {user_id!r}")
        return _user(row)

    def user_by_name(self, username: str) -> User:
        with self.engine.connect() as conn:
            return self._named_user(conn, username)

    def users(self) -> list[User]:
        with self.engine.connect() as conn:
            return [_user(row) for row in conn.execute(select(users).order_by(users.c.username_key))]

    def set_password(self, username: str, password: str) -> User:
        return self._update_user(username, password_hash=hash_password(password))

    def set_active(self, username: str, active: bool) -> User:
        return self._update_user(username, active=bool(active))

    def _update_user(self, username: str, **values: Any) -> User:
        with self._writer.begin() as conn:
            user = self._named_user(conn, username)
            conn.execute(update(users).where(users.c.id == user.id).values(values))
            return self._named_user(conn, username)

    @staticmethod
    def _user_row(conn: Connection, username: str) -> Row[Any] | None:
        return conn.execute(select(users).where(users.c.username_key == username_key(username))).first()

    def _named_user(self, conn: Connection, username: str) -> User:
        row = self._user_row(conn, username)
        if row is None:
            raise NotFound(f"no user named {username[:40]!r}")
        return _user(row)

    def _checked_wards(self, conn: Connection, codes: Sequence[str]) -> list[str]:
        """``codes`` without repeats, sorted; :class:`InvalidInput` naming the first not stored."""
        wanted = sorted({str(code).strip() for code in codes})
        stored = self._rows_by_code(conn, wards, wanted, ["code"])
        missing = [code for code in wanted if code not in stored]
        if missing:
            raise InvalidInput(f"unknown ward code {missing[0][:40]!r}")
        return wanted

    # -- patch walks ---------------------------------------------------------------------------
    def walk_revision(self) -> int:
        stmt = select(func.coalesce(func.max(walk_revision.c.revision), 0))
        with self.engine.connect() as conn:
            return int(conn.execute(stmt).scalar_one())

    @staticmethod
    def _bump_walks(conn: Connection) -> None:
        """Raise the walk revision inside the write's transaction."""
        stmt = update(walk_revision).where(walk_revision.c.id == 1)
        if conn.execute(stmt.values(revision=walk_revision.c.revision + 1)).rowcount == 0:
            conn.execute(insert(walk_revision).values(id=1, revision=1))  # the row was deleted

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
        if source not in WALK_SOURCES:
            raise InvalidInput(f"source: expected one of {', '.join(WALK_SOURCES)}, got {source[:20]!r}")
        _check_aware(started_at, "started_at")
        if stopped_at is not None:
            _check_stop(started_at, stopped_at)
        check_walk_points(points)
        with self._writer.begin() as conn:
            row = conn.execute(select(walks.c.username).where(walks.c.id == walk_id)).first()
            if row is not None:
                if row.username != username:
                    raise Conflict("this walk id is already used by another account")
                return self._walk(conn, walk_id), False
            values = {
                "id": walk_id,
                "username": username,
                "source": source,
                "started_at": started_at,
                "stopped_at": stopped_at,
                "created_at": _now(),
            }
            try:
                conn.execute(insert(walks).values(values))
            except IntegrityError:  # started by another request since the check
                raise Conflict("this walk was being started at the same time; try again") from None
            self._insert_walk_points(conn, walk_id, points)
            return self._walk(conn, walk_id), True

    def add_walk_points(self, walk_id: str, points: Sequence[WalkPoint]) -> int:
        check_walk_points(points)
        with self._writer.begin() as conn:
            self._walk_row(conn, walk_id)
            return self._insert_walk_points(conn, walk_id, points)

    def stop_walk(self, walk_id: str, *, stopped_at: datetime) -> Walk:
        _check_aware(stopped_at, "stopped_at")
        with self._writer.begin() as conn:
            row = self._walk_row(conn, walk_id)
            if row.stopped_at is None:
                _check_stop(row.started_at, stopped_at)
                conn.execute(update(walks).where(walks.c.id == walk_id).values(stopped_at=stopped_at))
            return self._walk(conn, walk_id)

    def delete_walk(self, walk_id: str) -> Walk:
        with self._writer.begin() as conn:
            gone = self._walk(conn, walk_id)  # NotFound for an unknown walk
            conn.execute(delete(walk_assets).where(walk_assets.c.walk_id == walk_id))
            conn.execute(delete(walk_points).where(walk_points.c.walk_id == walk_id))
            conn.execute(delete(walks).where(walks.c.id == walk_id))
            self._bump_walks(conn)
        return gone

    def walk(self, walk_id: str) -> Walk:
        with self.engine.connect() as conn:
            return self._walk(conn, walk_id)

    def walks(self, *, username: str | None = None) -> list[Walk]:
        stmt = self._walk_select().order_by(walks.c.started_at.desc(), walks.c.id)
        if username is not None:
            stmt = stmt.where(walks.c.username == username)
        with self.engine.connect() as conn:
            return [_walk(row) for row in conn.execute(stmt)]

    def walk_points(self, walk_id: str) -> list[WalkPoint]:
        stmt = select(walk_points.c.t, walk_points.c.lon, walk_points.c.lat, walk_points.c.accuracy)
        stmt = stmt.where(walk_points.c.walk_id == walk_id).order_by(walk_points.c.t)
        with self.engine.connect() as conn:
            self._walk_row(conn, walk_id)
            return [WalkPoint(*row) for row in conn.execute(stmt)]

    def link_walk_asset(self, walk_id: str, asset_id: str, *, action: str) -> bool:
        if action not in WALK_ACTIONS:
            raise InvalidInput(f"action: expected one of {', '.join(WALK_ACTIONS)}, got {action[:20]!r}")
        pair = (walk_assets.c.walk_id == walk_id, walk_assets.c.asset_id == asset_id)
        with self._writer.begin() as conn:
            self._walk_row(conn, walk_id)
            self._get_asset(conn, asset_id)
            if conn.execute(select(walk_assets.c.id).where(*pair)).first() is not None:
                return False
            try:
                conn.execute(insert(walk_assets).values(walk_id=walk_id, asset_id=asset_id, action=action))
            except IntegrityError:  # linked by another request since the check
                return False
            return True

    def walk_assets(self, walk_id: str) -> list[tuple[str, str]]:
        stmt = select(walk_assets.c.asset_id, walk_assets.c.action).where(walk_assets.c.walk_id == walk_id)
        with self.engine.connect() as conn:
            self._walk_row(conn, walk_id)
            return [(row.asset_id, row.action) for row in conn.execute(stmt.order_by(walk_assets.c.id))]

    def walk_routes(self, *, bbox: BBox | None = None) -> list[WalkRoute]:
        stmt = select(walks.c.id, walks.c.started_at).where(walks.c.min_lon.is_not(None))
        if bbox is not None:
            min_lon, min_lat, max_lon, max_lat = checked_bbox(bbox)
            stmt = stmt.where(
                walks.c.min_lon <= max_lon,
                walks.c.max_lon >= min_lon,
                walks.c.min_lat <= max_lat,
                walks.c.max_lat >= min_lat,
            )
        columns = (walk_points.c.t, walk_points.c.lon, walk_points.c.lat, walk_points.c.accuracy)
        routes = []
        with self.engine.connect() as conn:
            found = conn.execute(stmt.order_by(walks.c.started_at, walks.c.id)).all()
            by_walk: dict[str, list[WalkPoint]] = {row.id: [] for row in found}
            for part in _chunks(list(by_walk)):
                points = select(walk_points.c.walk_id, *columns).where(walk_points.c.walk_id.in_(part))
                for walk_id, t, lon, lat, accuracy in conn.execute(
                    points.order_by(walk_points.c.walk_id, walk_points.c.t)
                ):
                    by_walk[walk_id].append(WalkPoint(t, lon, lat, accuracy))
        for row in found:
            if len(by_walk[row.id]) >= 2:  # noqa: PLR2004 - a route needs two points
                routes.append(WalkRoute(row.id, row.started_at, tuple(by_walk[row.id])))
        return routes

    def _walk_row(self, conn: Connection, walk_id: str) -> Row[Any]:
        row = conn.execute(select(walks).where(walks.c.id == walk_id)).first()
        if row is None:
            raise NotFound(f"no walk with id {walk_id[:40]!r}")
        return row

    def _walk(self, conn: Connection, walk_id: str) -> Walk:
        row = conn.execute(self._walk_select().where(walks.c.id == walk_id)).first()
        if row is None:
            raise NotFound(f"no walk with id {walk_id[:40]!r}")
        return _walk(row)

    @staticmethod
    def _walk_select() -> Select[Any]:
        """Walks with how many points they have and how many assets were added and seen on them."""
        counted = (
            select(walk_points.c.walk_id, func.count().label("n")).group_by(walk_points.c.walk_id).subquery()
        )
        linked = (
            select(
                walk_assets.c.walk_id,
                func.sum(case((walk_assets.c.action == "added", 1), else_=0)).label("added"),
                func.sum(case((walk_assets.c.action == "seen", 1), else_=0)).label("seen"),
            )
            .group_by(walk_assets.c.walk_id)
            .subquery()
        )
        joined = walks.outerjoin(counted, counted.c.walk_id == walks.c.id).outerjoin(
            linked, linked.c.walk_id == walks.c.id
        )
        return select(
            *[
                walks.c[name]
                for name in ("id", "username", "source", "started_at", "stopped_at", "created_at")
            ],
            func.coalesce(counted.c.n, 0).label("points"),
            func.coalesce(linked.c.added, 0).label("assets_added"),
            func.coalesce(linked.c.seen, 0).label("assets_seen"),
        ).select_from(joined)

    def _insert_walk_points(self, conn: Connection, walk_id: str, points: Sequence[WalkPoint]) -> int:
        """Store the points whose time is not yet stored for the walk (first of a time wins)."""
        if not points:
            return 0
        first: dict[datetime, WalkPoint] = {}
        for point in points:
            first.setdefault(point.t, point)
        span = walk_points.c.t.between(min(first), max(first))
        stored = set(
            conn.execute(select(walk_points.c.t).where(walk_points.c.walk_id == walk_id, span)).scalars()
        )
        new = [p for t, p in first.items() if t not in stored]
        if not new:
            return 0
        rows = [
            {"walk_id": walk_id, "t": p.t, "lon": p.lon, "lat": p.lat, "accuracy": p.accuracy} for p in new
        ]
        try:
            conn.execute(insert(walk_points), rows)
        except IntegrityError:  # the same batch was being stored at the same time
            raise Conflict("these points were being stored at the same time; send them again") from None
        box = self._walk_row(conn, walk_id)
        lons, lats = [p.lon for p in new], [p.lat for p in new]
        grown = {
            "min_lon": min(lons + ([] if box.min_lon is None else [box.min_lon])),
            "min_lat": min(lats + ([] if box.min_lat is None else [box.min_lat])),
            "max_lon": max(lons + ([] if box.max_lon is None else [box.max_lon])),
            "max_lat": max(lats + ([] if box.max_lat is None else [box.max_lat])),
        }
        conn.execute(update(walks).where(walks.c.id == walk_id).values(grown))
        self._bump_walks(conn)
        return len(new)


def _user(row: Row[Any]) -> User:
    return User(
        id=row.id,
        username=row.username,
        role=Role(row.role),
        wards=tuple(row.wards),
        active=bool(row.active),
        created_at=row.created_at,
        password_hash=row.password_hash,
    )


def _walk(row: Row[Any]) -> Walk:
    return Walk(
        id=row.id,
        username=row.username,
        source=row.source,
        started_at=row.started_at,
        stopped_at=row.stopped_at,
        created_at=row.created_at,
        points=int(row.points),
        assets_added=int(row.assets_added),
        assets_seen=int(row.assets_seen),
    )


def _check_aware(at: datetime, name: str) -> None:
    if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise InvalidInput(f"{name}: expected a time with a time zone (e.g. Z for UTC)")


def _check_stop(started_at: datetime, stopped_at: datetime) -> None:
    _check_aware(stopped_at, "stopped_at")
    if stopped_at < started_at:
        raise InvalidInput("stopped_at: a walk cannot stop before it started")
