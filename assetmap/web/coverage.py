"""Coverage for the web layer: computed from the store with the app's parameters, cached per revision.

A request may change the walk, the categories counted, the weights and the kind of small area
(:class:`CoverageOptions`); the computation itself is :func:`assetmap.coverage.compute_coverage`.
The result for the app's own parameters, and its polygons simplified for display, are cached under
the store revision (:mod:`assetmap.web.cache`): any write of an asset, area or ward, by this app
or another process, raises the revision and so invalidates them, and a hit reads nothing but the
revision.

After a write that changed only some assets (an asset verified, edited, added or closed), the app's
own coverage is not computed again from everything: each app keeps the state of its last result
(:class:`Tracked`) and brings it up to date with :func:`assetmap.coverage.update_coverage`, reading
only the changed assets (:meth:`~assetmap.storage.base.Store.changes_since`), so the work follows
the size of the change. A write of wards or small areas, a change of more than
:data:`TRACKED_MAX_CHANGES` assets, or a stored walk network (which updates do not support yet)
recomputes in full.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from flask import current_app

from assetmap import geo
from assetmap.coverage import (
    CoverageParams,
    CoverageResult,
    CoverageState,
    compute_coverage,
    start_coverage,
    update_coverage,
)
from assetmap.errors import NotFound
from assetmap.frames import ASSET_WARD_COLUMN, assets_frame, coverage_inputs
from assetmap.network import stored_walk_graph
from assetmap.storage.base import Store
from assetmap.web import get_store
from assetmap.web.cache import cached

DISPLAY_TOLERANCE_M = 10.0
TRACKED_MAX_CHANGES = 200  # a write changing more assets than this is followed by a full recompute
_TRACKED = "assetmap.coverage.tracked"
_TRACKED_LOCK = threading.Lock()


@dataclass(frozen=True)
class CoverageOptions:
    """How to compute coverage for one request.

    Attributes
    ----------
    params
        Walking model and weights.
    categories
        Categories to measure; ``None`` for every category on the asset layer.
    kind
        Kind of small area (``lsoa11`` or ``oa11``).
    """

    params: CoverageParams
    categories: tuple[str, ...] | None = None
    kind: str = "lsoa11"

    @classmethod
    def from_config(cls, config: Mapping[str, Any], **params: Any) -> CoverageOptions:
        """The app's own options, with ``params`` overriding :class:`CoverageParams` fields."""
        return cls(CoverageParams.from_config(config, **params))


def current_coverage(options: CoverageOptions | None = None) -> CoverageResult:
    """Coverage of the stored areas by the stored assets that count (``COVERAGE_STATUSES``).

    Parameters
    ----------
    options
        What the request changes; ``None`` for the app's configuration. Only the app's own
        options are cached.
    """
    default = CoverageOptions.from_config(current_app.config)
    options = options or default
    if options != default:
        return _computed(options)
    return cached("coverage", None, lambda: _followed(options))


def display_coverage(options: CoverageOptions | None = None) -> CoverageResult:
    """:func:`current_coverage` with area and ward polygons simplified for display."""
    default = CoverageOptions.from_config(current_app.config)
    options = options or default
    if options != default:
        return _for_display(current_coverage(options))
    return cached("coverage.display", None, lambda: _display_followed(options))


def _display_followed(options: CoverageOptions) -> CoverageResult:
    """The app's own coverage for display, reusing simplified polygons while areas and wards stand.

    Simplifying the polygons costs more than updating the coverage after an asset change, and it
    depends only on the areas and wards, so each :class:`Tracked` keeps the simplified ones made
    since its last full recompute.
    """
    result = current_coverage(options)
    last = tracked()
    if last is None or last.state.result is not result:  # computed in full, not followed
        return _for_display(result)
    kept = last.display  # a followed result keeps the areas and wards of the full one it follows
    if not kept:
        kept.update(areas=simplified(result.areas).geometry, wards=simplified(result.wards).geometry)
    return dataclasses.replace(
        result, areas=result.areas.set_geometry(kept["areas"]), wards=result.wards.set_geometry(kept["wards"])
    )


def _computed(options: CoverageOptions) -> CoverageResult:
    statuses = current_app.config["COVERAGE_STATUSES"]
    inputs = coverage_inputs(get_store(), statuses=statuses, kind=options.kind)
    return compute_coverage(
        *inputs,
        options.params,
        categories=options.categories,
        asset_ward_column=ASSET_WARD_COLUMN,
        network=stored_walk_graph(current_app.config["WALK_NETWORK"]),
    )


@dataclass(frozen=True)
class Tracked:
    """The app's own coverage as of a store revision, with the inputs it was computed from."""

    revision: int
    state: CoverageState
    areas: gpd.GeoDataFrame
    assets: gpd.GeoDataFrame  # the assets that count, as coverage_inputs gives them
    wards: gpd.GeoDataFrame
    updates: int = 0  # how many updates followed the last full recompute
    display: dict[str, gpd.GeoSeries] = dataclasses.field(default_factory=dict)  # see display_coverage


def tracked() -> Tracked | None:
    """What this app's coverage was last computed or updated from (None before the first time)."""
    value: Tracked | None = current_app.extensions.get(_TRACKED)
    return value


def _followed(options: CoverageOptions) -> CoverageResult:
    """The app's own coverage: its last result updated by the assets changed since, else in full."""
    if stored_walk_graph(current_app.config["WALK_NETWORK"]) is not None:
        return _computed(options)  # updates measure straight lines only
    store = get_store()
    statuses = current_app.config["COVERAGE_STATUSES"]
    with _TRACKED_LOCK:
        last = tracked()
        changes = None if last is None else store.changes_since(last.revision)
        if last is not None and changes is not None and len(changes.asset_ids) <= TRACKED_MAX_CHANGES:
            if changes.asset_ids:
                ids = sorted(changes.asset_ids)
                assets = _assets_after(store, last.assets, ids, statuses)
                state = update_coverage(
                    last.state, last.areas, assets, last.wards, options.params, changed=ids
                )
                last = dataclasses.replace(
                    last, revision=changes.revision, state=state, assets=assets, updates=last.updates + 1
                )
        else:
            revision = store.revision()  # before reading: a write in between is applied again next time
            areas, assets, wards = coverage_inputs(store, statuses=statuses, kind=options.kind)
            state = start_coverage(areas, assets, wards, options.params, asset_ward_column=ASSET_WARD_COLUMN)
            last = Tracked(revision, state, areas, assets, wards)
        current_app.extensions[_TRACKED] = last
        return last.state.result


def _assets_after(
    store: Store, before: gpd.GeoDataFrame, changed: list[str], statuses: list[str]
) -> gpd.GeoDataFrame:
    """``before`` with the ``changed`` assets as stored now: dropped, replaced or added by status."""
    now = []
    for asset_id in changed:
        try:
            asset = store.get_asset(asset_id)
        except NotFound:
            continue
        if str(asset.status) in statuses:
            now.append(asset)
    kept = before[~before["id"].isin(changed)]
    if not now:
        return kept.reset_index(drop=True)
    return gpd.GeoDataFrame(
        pd.concat([kept, assets_frame(now)], ignore_index=True), geometry="geometry", crs=before.crs
    )


def _for_display(result: CoverageResult) -> CoverageResult:
    return dataclasses.replace(result, areas=simplified(result.areas), wards=simplified(result.wards))


def simplified(frame: gpd.GeoDataFrame, *, tolerance_m: float = DISPLAY_TOLERANCE_M) -> gpd.GeoDataFrame:
    """Polygons simplified by ``tolerance_m`` metres in the measuring CRS, returned in WGS84.

    Polygons that tile the plane (a valid coverage, as ONS boundaries do) are simplified together,
    so neighbours keep sharing their edges; otherwise each is simplified alone, keeping it valid.
    Coordinates are rounded to 6 decimals (about 0.1 m), as RFC 7946 suggests for GeoJSON.

    >>> simplified(gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")).empty
    True
    """
    if frame.empty:
        return frame
    projected = frame.geometry.to_crs(geo.measuring_crs(frame))
    if shapely.coverage_is_valid(projected.values):
        simple = projected.simplify_coverage(tolerance_m)
    else:
        simple = projected.simplify(tolerance_m, preserve_topology=True)
    rounded = shapely.transform(simple.to_crs(frame.crs).values, lambda xy: np.round(xy, 6))
    return frame.set_geometry(gpd.GeoSeries(rounded, index=frame.index, crs=frame.crs))
