"""Moderation: the officers' queue of reported assets, their decisions, and each asset's public page.

``/moderation`` (officers and admins) lists reported assets, oldest first, each with forms to
verify, reject, close, or merge it into a nearby asset of the same category
(:func:`assetmap.lifecycle.merge_candidates`). Every form carries the asset's version, so a
decision on an asset someone else has changed since the page was loaded is refused with 409 and
changes nothing. ``/assets/<id>`` shows an asset with its history; the public sees who acted only
as a role ("an officer"), logged-in officers and admins see usernames. See ``docs/moderation.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from assetmap import lifecycle, taxonomy
from assetmap.accounts import Role, User, can_edit_in_ward, username_key
from assetmap.errors import Conflict, Forbidden, InvalidInput, NotFound
from assetmap.models import ACCESS_ATTRIBUTES, Asset, AuditEvent, Photo, Status
from assetmap.storage.base import AssetQuery, Store
from assetmap.web import get_store, params
from assetmap.web.auth import current_account, required_account, roles_required
from assetmap.web.photos import may_remove, shown_photos

bp = Blueprint("moderation", __name__)

MODERATORS = (Role.OFFICER, Role.ADMIN)
QUEUE_PAGE_SIZE = 50  # reported assets per page of the queue, oldest first
# action -> (new status, the statuses it may be taken from, the outcome recorded in the audit note)
ACTIONS: dict[str, tuple[Status, frozenset[Status], str]] = {
    "verify": (Status.VERIFIED, frozenset({Status.REPORTED, Status.STALE}), "verified"),
    "reject": (Status.CLOSED, frozenset({Status.REPORTED}), "rejected"),
    "close": (Status.CLOSED, frozenset({Status.REPORTED, Status.VERIFIED, Status.STALE}), "closed"),
    "merge": (Status.MERGED, frozenset({Status.REPORTED}), "merged"),
}
ROLE_WORDS = {Role.CONNECTOR: "a connector", Role.OFFICER: "an officer", Role.ADMIN: "an administrator"}
# Fields an edit may change that are bookkeeping, not content, so not listed as "changed".
_BOOKKEEPING = {"version", "updated_at", "updated_by", "note"}


@dataclass(frozen=True)
class QueueItem:
    asset: Asset
    ward: str | None
    candidates: list[tuple[Asset, float]]
    photos: list[Photo]  # shown small, so a photo is checked with its place


@dataclass(frozen=True)
class HistoryRow:
    at: str
    who: str
    what: str
    reason: str | None
    merged_into: str | None


# -- the queue and its decisions ---------------------------------------------------------------
@bp.get("/moderation")
@roles_required(*MODERATORS)
def queue() -> ResponseReturnValue:
    store = get_store()
    user = current_account()
    reported = [
        a
        for a in store.assets(AssetQuery(statuses=[Status.REPORTED.value]))
        if can_edit_in_ward(user, a.ward_code)
    ]
    reported.sort(key=lambda a: (a.created_at is None, a.created_at, a.id))
    pages = max(1, -(-len(reported) // QUEUE_PAGE_SIZE))
    page = params.whole(request.args, "page", default=1, least=1, most=pages)
    first = (page - 1) * QUEUE_PAGE_SIZE
    shown = reported[first : first + QUEUE_PAGE_SIZE]  # merge candidates are looked up for these only
    names = _ward_names(store)
    items = [
        QueueItem(a, names.get(a.ward_code or ""), _candidates(store, a), store.photos(str(a.id)))
        for a in shown
    ]
    return render_template(
        "moderation.html",
        items=items,
        total=len(reported),
        first=first + 1,
        page=page,
        pages=pages,
        labels=_labels(),
        radius=lifecycle.MERGE_RADIUS_M,
    )


@bp.post("/moderation/<asset_id>/<action>")
@roles_required(*MODERATORS)
def decide(asset_id: str, action: str) -> ResponseReturnValue:
    """Apply one decision; 409 with nothing changed when the asset moved on since the form was shown."""
    if action not in ACTIONS:
        raise NotFound(f"no moderation action {action[:40]!r}")
    status, allowed_from, outcome = ACTIONS[action]
    store = get_store()
    user = required_account()
    version = _version(request.form.get("version"))
    asset = store.get_asset(asset_id)
    if not can_edit_in_ward(user, asset.ward_code):
        raise Forbidden("this asset is outside the wards your account may moderate")
    if asset.version != version:
        return _conflict(asset)
    if asset.status not in allowed_from:
        raise InvalidInput(f"a {asset.status} asset cannot be given the action {action!r}")
    note = _note(store, asset, action, outcome)
    try:
        store.set_status(asset_id, status, expected_version=version, actor=user.username, note=note)
    except Conflict:  # changed between the read above and the write
        return _conflict(store.get_asset(asset_id))
    flash(f"{asset.name}: {outcome}")
    if request.form.get("back") == "asset":
        return redirect(url_for("moderation.asset_page", asset_id=asset_id))
    return redirect(url_for("moderation.queue"))


def _version(raw: str | None) -> int:
    try:
        return int(raw or "")
    except ValueError:
        raise InvalidInput("the form has no valid asset version; reload the page") from None


def _note(store: Store, asset: Asset, action: str, outcome: str) -> dict[str, str]:
    note = {"outcome": outcome}
    reason = params.reason(request.form)
    if reason:
        note["reason"] = reason
    if action == "merge":
        target = request.form.get("target") or ""
        allowed = {str(c.id) for c, _ in _candidates(store, asset)}
        if target not in allowed:
            raise InvalidInput(
                f"choose an asset to merge into: one of the same category within "
                f"{lifecycle.MERGE_RADIUS_M:.0f} m that is still on the map"
            )
        note["merged_into"] = target
    return note


def _conflict(asset: Asset) -> ResponseReturnValue:
    return render_template("moderation_conflict.html", asset=asset), 409


def _candidates(store: Store, asset: Asset) -> list[tuple[Asset, float]]:
    box = lifecycle.search_box(asset)
    nearby = store.assets(AssetQuery(bbox=box, categories=[asset.category]))
    return lifecycle.merge_candidates(asset, nearby)


# -- an asset's page -------------------------------------------------------------------------------
@bp.get("/assets/<asset_id>")
def asset_page(asset_id: str) -> ResponseReturnValue:
    store = get_store()
    asset = store.get_asset(asset_id)  # NotFound -> 404 page
    viewer = current_account()
    insider = viewer is not None and viewer.role in MODERATORS
    history = _history(store, store.audit(asset_id), insider=insider)
    photos = shown_photos(store, asset)
    merged = next((row.merged_into for row in reversed(history) if row.merged_into), None)
    target = _maybe_asset(store, merged) if asset.status is Status.MERGED and merged else None
    return render_template(
        "asset.html",
        asset=asset,
        category=_category_words(asset),
        ward=_ward_names(store).get(asset.ward_code or ""),
        access=[(name.replace("_", " ").capitalize(), getattr(asset, name)) for name in ACCESS_ATTRIBUTES],
        history=history,
        insider=insider,
        merged_into=target,
        actions=[a for a in ("verify", "close") if asset.status in ACTIONS[a][1]] if insider else [],
        photos=photos,
        removable=_removable(viewer, asset, photos),
    )


def _removable(viewer: User | None, asset: Asset, photos: list[Photo]) -> set[str]:
    """The ids of the photos ``viewer`` may take down (the page shows a form under each)."""
    if viewer is None or not can_edit_in_ward(viewer, asset.ward_code):
        return set()
    return {p.id for p in photos if may_remove(viewer, p)}


def _history(store: Store, events: list[AuditEvent], *, insider: bool) -> list[HistoryRow]:
    roles = {username_key(u.username): u.role for u in store.users()} if not insider else {}
    rows = []
    for event in events:
        note: Mapping[str, Any] = (event.after or {}).get("note") or {}
        rows.append(
            HistoryRow(
                at=event.at.strftime("%Y-%m-%d %H:%M UTC"),
                who=event.actor if insider else _public_actor(event.actor, roles),
                what=_what(event, note),
                reason=note.get("reason") if insider else None,
                merged_into=note.get("merged_into"),
            )
        )
    return rows


def _public_actor(actor: str, roles: Mapping[str, Role]) -> str:
    """Who acted, as the public sees it: a role, never a name."""
    if actor == lifecycle.STALE_ACTOR:
        return "the automatic re-verification rule"
    role = roles.get(username_key(actor))
    return ROLE_WORDS[role] if role is not None else "a data import"


def _what(event: AuditEvent, note: Mapping[str, Any]) -> str:
    before, after = event.before or {}, event.after or {}
    if event.action == "create":
        return f"added ({after.get('status', 'reported')})"
    if event.action == "photo":
        return "photo added"
    if event.action == "photo removed":
        return "photo removed"
    if event.action == "status":
        outcome = note.get("outcome")
        change = f"status {before.get('status')} → {after.get('status')}"
        return f"{change} ({outcome})" if outcome and outcome != after.get("status") else change
    changed = sorted(k for k in after if k not in _BOOKKEEPING and before.get(k) != after.get(k))
    return "edited: " + ", ".join(k.replace("_", " ") for k in changed) if changed else "edited"


def _maybe_asset(store: Store, asset_id: str) -> Asset | None:
    try:
        return store.get_asset(asset_id)
    except NotFound:
        return None


def _ward_names(store: Store) -> dict[str, str]:
    return {w.code: w.name for w in store.wards()}


def _category_words(asset: Asset) -> str:
    """ "Category: subcategory" in the taxonomy's words, the subcategory only when it says more."""
    category = taxonomy.categories().get(asset.category)
    if category is None:
        return asset.category
    sub = category.subcategories.get(asset.subcategory or "")
    return f"{category.label}: {sub}" if sub and sub != category.label else category.label


def _labels() -> dict[str, str]:
    return {c.id: c.label for c in taxonomy.categories().values()}
