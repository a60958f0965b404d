"""Rules of an asset's lifecycle: when a verified asset goes stale, and what it may be merged into.

Pure functions over :class:`~assetmap.models.Asset` lists, with no storage and no clock: the caller
passes "now". The CLI's ``mark-stale`` and the moderation pages (``assetmap.web.moderation``) do the
reading and writing. Distances are measured in British National Grid (EPSG:27700), never degrees.
See ``docs/moderation.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np
from pyproj import Transformer

from assetmap.errors import InvalidInput
from assetmap.geo import BNG, WGS84, transformer
from assetmap.models import Asset, Status

STALE_ACTOR = "system:stale"
MERGE_RADIUS_M = 150.0
# A reported asset may be merged into any asset that is still on the map.
MERGE_TARGET_STATUSES = frozenset({Status.REPORTED, Status.VERIFIED, Status.STALE})


def stale_cutoff(now: datetime, *, after_days: int) -> datetime:
    """The moment before which a verification is too old: ``now`` less ``after_days`` days.

    >>> from datetime import UTC
    >>> stale_cutoff(datetime(2026, 1, 31, tzinfo=UTC), after_days=30).date().isoformat()
    '2026-01-01'
    """
    if now.tzinfo is None:
        raise InvalidInput("now must carry a time zone")
    if isinstance(after_days, bool) or not isinstance(after_days, int) or after_days < 1:
        raise InvalidInput(f"days until stale: expected a whole number >= 1, got {after_days!r}")
    return now - timedelta(days=after_days)


def due_for_stale(assets: Sequence[Asset], *, now: datetime, after_days: int) -> list[Asset]:
    """The verified assets whose last verification is older than ``after_days`` days before ``now``.

    A verification exactly ``after_days`` old is not yet stale. A verified asset with no
    verification time (none is stored that way, but data may be hand-edited) is due: nothing
    says it was ever checked. Other statuses are never due. Order is kept.

    >>> from datetime import UTC
    >>> due_for_stale([], now=datetime(2026, 1, 1, tzinfo=UTC), after_days=365)
    []
    """
    cutoff = stale_cutoff(now, after_days=after_days)
    return [
        a
        for a in assets
        if a.status is Status.VERIFIED and (a.last_verified_at is None or a.last_verified_at < cutoff)
    ]


def _to_bng() -> Transformer:
    return transformer(WGS84, BNG)


def search_box(asset: Asset, *, radius_m: float = MERGE_RADIUS_M) -> tuple[float, float, float, float]:
    """A WGS84 box holding every point within ``radius_m`` metres of ``asset`` (for an index search).

    The square of side ``2 * radius_m`` around the asset is drawn in British National Grid and its
    bounds taken back to lon/lat, so the box is never too small.
    """
    x, y = _to_bng().transform(asset.lon, asset.lat)
    back = transformer(BNG, WGS84)
    return back.transform_bounds(x - radius_m, y - radius_m, x + radius_m, y + radius_m)


def merge_candidates(
    asset: Asset, others: Sequence[Asset], *, radius_m: float = MERGE_RADIUS_M
) -> list[tuple[Asset, float]]:
    """What ``asset`` may be merged into: others of its category, still on the map, within ``radius_m``.

    Returns ``(asset, metres)`` pairs, nearest first (ties by name then id). ``asset`` itself and
    closed or merged assets are never candidates.
    """
    keep = [
        o
        for o in others
        if o.id != asset.id and o.category == asset.category and o.status in MERGE_TARGET_STATUSES
    ]
    if not keep:
        return []
    to_bng = _to_bng()
    x0, y0 = to_bng.transform(asset.lon, asset.lat)
    xs, ys = to_bng.transform(np.array([o.lon for o in keep]), np.array([o.lat for o in keep]))
    metres = np.hypot(np.asarray(xs) - x0, np.asarray(ys) - y0)
    near = [(o, float(m)) for o, m in zip(keep, metres, strict=True) if m <= radius_m]
    return sorted(near, key=lambda pair: (pair[1], pair[0].name, pair[0].id or ""))
