"""One ward's view for the web layer: the store and the app's coverage in, a WardSummary out.

A thin adapter over :func:`assetmap.summaries.ward_summary`: it looks the ward up (unknown code ->
:class:`~assetmap.errors.NotFound`, a 404), fetches the ward's assets and the city's coverage, and
leaves all picking and summarising to the pure core. The ward page and the ward pack PDF both
render what :func:`ward_context` returns; :func:`ward_map_png` draws the pack's static map.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from flask import current_app

from assetmap import mapimage
from assetmap.coverage import CoverageParams, CoverageResult
from assetmap.frames import assets_frame
from assetmap.storage.base import AssetQuery
from assetmap.summaries import WardSummary, ward_summary
from assetmap.web import get_store
from assetmap.web.coverage import current_coverage


def ward_context(code: str, *, result: CoverageResult | None = None) -> WardSummary:
    """The ward's figures, categories, most under-served areas, assets and sources.

    Parameters
    ----------
    code
        Ward code, e.g. ``E05010458``.
    result
        City-wide coverage to summarise; default :func:`~assetmap.web.coverage.current_coverage`.
        Pass it when the caller needs the same result for something else (the pack's map).

    Raises
    ------
    NotFound
        For an unknown ward code.
    """
    store = get_store()
    store.ward(code)  # NotFound before any work
    return ward_summary(
        result if result is not None else current_coverage(),
        code,
        assets=store.assets(AssetQuery(ward=code)),
        params=CoverageParams.from_config(current_app.config),
        generated=date.today(),
    )


def ward_map_png(code: str, *, result: CoverageResult, labels: Sequence[str] = ()) -> bytes:
    """The ward's map (see :func:`assetmap.mapimage.ward_map_png`) with the counted assets in view.

    Assets just outside the ward are included (drawn faded): they serve residents at its edge.
    """
    store = get_store()
    min_lon, min_lat, max_lon, max_lat = store.ward(code).geometry.bounds
    pad = 0.6 * max(max_lon - min_lon, max_lat - min_lat)  # the map widens its view to fit its frame
    nearby = store.assets(
        AssetQuery(
            bbox=(min_lon - pad, min_lat - pad, max_lon + pad, max_lat + pad),
            categories=list(result.categories),
            statuses=list(current_app.config["COVERAGE_STATUSES"]),
        )
    )
    return mapimage.ward_map_png(result, code, assets_frame(nearby), labels=labels)
