"""Coverage for the web layer: computed from the store with the app's parameters, cached per revision.

A request may change the walk, the categories counted, the weights and the kind of small area
(:class:`CoverageOptions`); the computation itself is :func:`assetmap.coverage.compute_coverage`.
The result for the app's own parameters, and its polygons simplified for display, are cached under
the store revision (:mod:`assetmap.web.cache`): any write of an asset, area or ward, by this app
or another process, raises the revision and so invalidates them, and a hit reads nothing but the
revision.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from flask import current_app

from assetmap import geo
from assetmap.coverage import CoverageParams, CoverageResult, compute_coverage
from assetmap.frames import ASSET_WARD_COLUMN, coverage_inputs
from assetmap.network import stored_walk_graph
from assetmap.web import get_store
from assetmap.web.cache import cached

DISPLAY_TOLERANCE_M = 10.0


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
    return cached("coverage", None, lambda: _computed(options))


def display_coverage(options: CoverageOptions | None = None) -> CoverageResult:
    """:func:`current_coverage` with area and ward polygons simplified for display."""
    default = CoverageOptions.from_config(current_app.config)
    options = options or default
    if options != default:
        return _for_display(current_coverage(options))
    return cached("coverage.display", None, lambda: _for_display(current_coverage(options)))


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
