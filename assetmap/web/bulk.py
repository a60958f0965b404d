"""Bulk upload: officers add or update many assets at once from a CSV or GeoJSON file.

``/bulk`` (officers and admins) takes a file, the name of its source dataset and its licence.
``POST /bulk/preview`` reads the file with the generic importers' own checks
(:func:`assetmap.importers.assets.check_assets`) and shows every row as new, an update of a stored
asset, unchanged, or its problems; it never writes the store. A file without problems is kept,
parsed, in ``BULK_DIR`` under a random token bound to the account, for an hour; ``POST
/bulk/commit`` carries only the token and writes exactly those assets in one
:meth:`~assetmap.storage.base.Store.import_assets` call (all or none, matched by source id, so a
re-upload updates instead of duplicating). A token commits once. See ``docs/bulk.md``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from assetmap import taxonomy
from assetmap.accounts import User, can_edit_in_ward
from assetmap.errors import Conflict, DataFileError, Forbidden, NotFound
from assetmap.importers.assets import CheckedRow, check_assets
from assetmap.models import Asset, Status
from assetmap.storage.base import Store
from assetmap.storage.rows import editable, ward_codes_at
from assetmap.web import get_store
from assetmap.web.auth import required_account, roles_required
from assetmap.web.capture import CAPTURE_DATASET
from assetmap.web.errors import megabytes
from assetmap.web.moderation import MODERATORS
from assetmap.web.search import postcode_index

bp = Blueprint("bulk", __name__)

FORMATS = {".csv": "CSV", ".txt": "CSV", ".geojson": "GeoJSON", ".json": "GeoJSON"}
PENDING_FOR = timedelta(hours=1)  # a preview may be committed this long
KEPT_FOR = timedelta(days=1)  # then its folder (and a commit's result) is removed
MAX_DATASET, MAX_LICENCE, MAX_FILENAME = 100, 200, 100
SHOWN_ROWS = 1000  # rows listed on the preview and result pages; the counts cover all
PREVIEW_OUTCOMES = ("new", "updates", "unchanged", "error")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class PreviewRow:
    """One row of the file as the preview shows it."""

    row: int
    name: str
    category: str
    location: str
    ward: str | None
    outcome: str  # "new", "updates", "unchanged" or "error"
    existing: Asset | None
    problems: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Upload:
    """What the form says about a file: its name as uploaded, dataset, licence and content."""

    filename: str
    kind: str
    dataset: str
    licence: str
    data: bytes


# -- pages ---------------------------------------------------------------------------------------
@bp.get("/bulk")
@roles_required(*MODERATORS)
def bulk_page() -> ResponseReturnValue:
    return _form_page()


@bp.post("/bulk/preview")
@roles_required(*MODERATORS)
def preview() -> ResponseReturnValue:
    """Check the file and show every row; nothing is written to the store."""
    user = required_account()
    try:
        upload = _upload()
        checked = _check(upload)
    except _Refused as refused:
        return _form_page(error=refused.message, status=refused.status)
    store = get_store()
    rows = _preview_rows(store, user, checked)
    counts = {outcome: sum(r.outcome == outcome for r in rows) for outcome in PREVIEW_OUTCOMES}
    token = None
    if not counts["error"]:
        token = _save(upload, user, [c.asset for c in checked if c.asset is not None])
    return render_template(
        "bulk_preview.html",
        upload=upload,
        rows=_shown(rows),
        total=len(rows),
        counts=counts,
        token=token,
        minutes=int(PENDING_FOR.total_seconds() // 60),
    )


@bp.post("/bulk/commit")
@roles_required(*MODERATORS)
def commit() -> ResponseReturnValue:
    """Write the previewed assets of a token, all or none, once."""
    user = required_account()
    folder, meta = _pending(request.form.get("token"), user)
    claimed = folder / "assets.claimed.json"
    try:
        (folder / "assets.json").rename(claimed)  # atomic: of two commits at once, one wins
    except FileNotFoundError:
        raise Conflict(
            "This upload is being committed or has been committed already; nothing was written again."
        ) from None
    try:
        assets = [_asset_from_json(item) for item in json.loads(claimed.read_text(encoding="utf-8"))]
        counts = get_store().import_assets(assets, actor=user.username)
    except BaseException:
        claimed.rename(folder / "assets.json")  # nothing was written: the token may be committed again
        raise
    result = {
        **meta,
        "committed_at": _now().isoformat(),
        "added": counts.added,
        "updated": counts.updated,
        "unchanged": counts.unchanged,
        "source_ids": [a.source_id for a in assets],
    }
    _write_json(folder / "result.json", result)
    claimed.unlink()
    return redirect(url_for("bulk.result", token=folder.name), code=303)


@bp.get("/bulk/result/<token>")
@roles_required(*MODERATORS)
def result(token: str) -> ResponseReturnValue:
    """What a commit did, with links to the assets it wrote."""
    user = required_account()
    folder = _folder(token)
    path = folder / "result.json"
    if not path.is_file():
        raise NotFound("No committed upload has this token; it may have expired.")
    done = json.loads(path.read_text(encoding="utf-8"))
    if done["user_id"] != user.id:
        raise Forbidden("This upload was committed by another account.")
    wanted = set(done["source_ids"])
    assets = [
        a for a in get_store().assets() if a.source_dataset == done["dataset"] and a.source_id in wanted
    ]
    assets.sort(key=lambda a: a.name.casefold())
    return render_template("bulk_result.html", done=done, assets=assets[:SHOWN_ROWS], total=len(assets))


# -- reading the form and the file ---------------------------------------------------------------
class _Refused(Exception):
    """The upload cannot be previewed; the form is shown again with the message."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _form_page(*, error: str | None = None, status: int = 200) -> ResponseReturnValue:
    config = current_app.config
    return (
        render_template(
            "bulk.html",
            error=error,
            dataset=(request.form.get("dataset") or "")[:MAX_DATASET],
            licence=(request.form.get("licence") or "")[:MAX_LICENCE],
            max_size=megabytes(config["MAX_BULK_BYTES"]),
            max_rows=config["MAX_BULK_ROWS"],
            categories=sorted(taxonomy.categories()),
        ),
        status,
    )


def _text(name: str, label: str, limit: int) -> str:
    value = " ".join((request.form.get(name) or "").split())
    if not value:
        raise _Refused(f"Give the {label}.")
    if len(value) > limit or _CONTROL.search(value):
        raise _Refused(f"The {label} must be at most {limit} characters of plain text.")
    return value


def _upload() -> Upload:
    """The form's file, dataset and licence, each checked; :class:`_Refused` says what is wrong."""
    dataset = _text("dataset", "source dataset name", MAX_DATASET)
    if dataset.casefold() == CAPTURE_DATASET:
        raise _Refused(f"The dataset name {CAPTURE_DATASET!r} is kept for places added on the capture page.")
    licence = _text("licence", "licence", MAX_LICENCE)
    file = request.files.get("file")
    if file is None or not file.filename:
        raise _Refused("Choose a CSV or GeoJSON file to upload.")
    filename = _CONTROL.sub("", Path(file.filename.replace("\\", "/")).name)[:MAX_FILENAME]
    kind = FORMATS.get(Path(filename).suffix.lower())
    if kind is None:
        raise _Refused(f"{filename}: expected a .csv or .geojson file.")
    limit = int(current_app.config["MAX_BULK_BYTES"])
    data = file.stream.read(limit + 1)
    if len(data) > limit:
        raise _Refused(f"{filename}: the file is larger than {megabytes(limit)}; split it.", 413)
    if not data.strip():
        raise _Refused(f"{filename}: the file is empty.")
    return Upload(filename, kind, dataset, licence, data)


def _check(upload: Upload) -> list[CheckedRow]:
    """Every row of the upload checked by the importers, from a private temporary copy."""
    with tempfile.TemporaryDirectory(prefix="assetmap-bulk-") as scratch:
        path = Path(scratch) / ("upload.csv" if upload.kind == "CSV" else "upload.geojson")
        path.write_bytes(upload.data)
        try:
            return check_assets(
                path,
                dataset=upload.dataset,
                licence=upload.licence,
                postcodes=postcode_index(),
                max_rows=int(current_app.config["MAX_BULK_ROWS"]),
            )
        except DataFileError as exc:  # its message names the scratch path: say it again with ours
            unit = "row" if upload.kind == "CSV" else "feature"
            where = f"{upload.filename}, {unit} {exc.row}" if exc.row is not None else upload.filename
            raise _Refused(f"{where}: {exc.problem}") from None


# -- the preview ----------------------------------------------------------------------------------


def _preview_rows(store: Store, user: User, checked: Sequence[CheckedRow]) -> list[PreviewRow]:
    """Each checked row with its ward and what a commit would do to it."""
    parsed = [c.asset for c in checked if c.asset is not None]
    wards = store.wards()
    names = {w.code: w.name for w in wards}
    codes = iter(
        ward_codes_at(wards, np.array([a.lon for a in parsed]), np.array([a.lat for a in parsed]))
        if parsed
        else []
    )
    dataset = parsed[0].source_dataset if parsed else None
    stored = {a.source_id: a for a in store.assets() if a.source_dataset == dataset} if parsed else {}
    rows = []
    for c in checked:
        asset = c.asset
        if asset is None:
            name, category = str(c.record.get("name") or ""), str(c.record.get("category") or "")
            rows.append(PreviewRow(c.row, name[:200], category[:100], "", None, "error", None, c.problems))
            continue
        code = next(codes)
        old = stored.get(asset.source_id)
        problems = _scope_problems(user, code, old)
        outcome = "error" if problems else "new" if old is None else "updates"
        if old is not None and not problems and editable(old) == editable(asset):
            outcome = "unchanged"
        rows.append(
            PreviewRow(
                c.row,
                asset.name,
                asset.category,
                f"{asset.lat:.5f}, {asset.lon:.5f}",
                names.get(code or "") if code else None,
                outcome,
                old,
                problems,
            )
        )
    return rows


def _scope_problems(user: User, code: str | None, old: Asset | None) -> tuple[tuple[str, str], ...]:
    """An account limited to some wards may add and change assets only in those wards."""
    if not can_edit_in_ward(user, code):
        return (("location", "outside the wards your account may edit"),)
    if old is not None and not can_edit_in_ward(user, old.ward_code):
        return (("source_id", "updates an asset outside the wards your account may edit"),)
    return ()


def _shown(rows: list[PreviewRow]) -> list[PreviewRow]:
    """Rows with problems first, then the others, at most :data:`SHOWN_ROWS`, in file order."""
    if len(rows) <= SHOWN_ROWS:
        return rows
    bad = [r for r in rows if r.outcome == "error"][:SHOWN_ROWS]
    good = [r for r in rows if r.outcome != "error"][: SHOWN_ROWS - len(bad)]
    return sorted(bad + good, key=lambda r: r.row)


# -- pending uploads ------------------------------------------------------------------------------
def _bulk_dir() -> Path:
    return Path(current_app.config["BULK_DIR"])


def _now() -> datetime:
    return datetime.now(UTC)


def _write_json(path: Path, value: Any) -> None:
    """Write ``value`` so that no reader ever sees half a file."""
    scratch = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    scratch.write_text(json.dumps(value), encoding="utf-8")
    os.replace(scratch, path)


def _save(upload: Upload, user: User, assets: list[Asset]) -> str:
    """Keep the parsed assets under a new token for :func:`commit`; returns the token."""
    _remove_old()
    token = secrets.token_urlsafe(24)
    scratch = _bulk_dir() / f".{token}"
    scratch.mkdir(parents=True, mode=0o700)
    meta = {
        "user_id": user.id,
        "username": user.username,
        "created_at": _now().isoformat(),
        "filename": upload.filename,
        "dataset": upload.dataset,
        "licence": upload.licence,
        "rows": len(assets),
    }
    _write_json(scratch / "meta.json", meta)
    _write_json(scratch / "assets.json", [a.to_dict() for a in assets])
    scratch.rename(_bulk_dir() / token)  # whole or not at all
    return token


def _remove_old() -> None:
    """Remove pending uploads and results older than :data:`KEPT_FOR`."""
    if not _bulk_dir().is_dir():
        return
    cutoff = (_now() - KEPT_FOR).timestamp()
    for folder in _bulk_dir().iterdir():
        with contextlib.suppress(OSError):  # another request may be removing it too
            if folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder)


def _folder(token: str | None) -> Path:
    if not token or not _TOKEN.match(token):
        raise NotFound("No upload has this token; upload the file again.")
    return _bulk_dir() / token


def _pending(token: str | None, user: User) -> tuple[Path, dict[str, Any]]:
    """The folder and description of a pending upload of ``user``, or a clear refusal."""
    folder = _folder(token)
    try:
        meta: dict[str, Any] = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotFound("No upload has this token; it may have expired. Upload the file again.") from None
    if meta["user_id"] != user.id:
        raise Forbidden(
            "This upload was previewed by another account; upload the file yourself to commit it."
        )
    if (folder / "result.json").is_file():
        raise Conflict("This upload has been committed already; nothing was written again.")
    if datetime.fromisoformat(meta["created_at"]) + PENDING_FOR < _now():
        shutil.rmtree(folder, ignore_errors=True)
        raise NotFound("This preview has expired (after an hour); upload the file again.")
    return folder, meta


def _asset_from_json(item: dict[str, Any]) -> Asset:
    """An asset as :meth:`Asset.to_dict` wrote it (a parsed upload has no timestamps)."""
    return Asset(**{**item, "status": Status(item["status"])})
