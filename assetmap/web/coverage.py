"""Coverage for the web layer: computed from the store with the app's parameters, cached per state.

The cache key is the store's asset count and the newest asset change, so any write invalidates
it; the computation itself is :func:`assetmap.coverage.compute_coverage`.
"""

from __future__ import annotations

from flask import current_app

from assetmap.coverage import CoverageParams, CoverageResult, compute_coverage
from assetmap.frames import coverage_inputs
from assetmap.web import get_store


def current_coverage() -> CoverageResult:
    """Coverage of the stored areas by the stored assets that count (``COVERAGE_STATUSES``)."""
    config = current_app.config
    areas, assets, wards = coverage_inputs(get_store(), statuses=config["COVERAGE_STATUSES"])
    return compute_coverage(areas, assets, wards, CoverageParams.from_config(config))
