"""The coverage engine: how far older residents are from somewhere to go, and how much that matters.

Pure functions over frames and arrays, no I/O. ``params`` holds the tunable numbers;
``distance`` finds nearest assets and assets within a walk; ``catchment`` computes the
two-step floating catchment (2SFCA); ``need`` turns deprivation, loneliness and access into a need
index and a gap score with per-factor contributions; ``engine`` puts them together per small area
and per ward; ``incremental`` updates a result after a few assets change, measuring only near them.
"""

from __future__ import annotations

from assetmap.coverage.engine import CoverageResult, compute_coverage
from assetmap.coverage.incremental import CoverageState, start_coverage, update_coverage
from assetmap.coverage.params import CoverageParams

__all__ = [
    "CoverageParams",
    "CoverageResult",
    "CoverageState",
    "compute_coverage",
    "start_coverage",
    "update_coverage",
]
