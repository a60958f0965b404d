"""Coverage for the web layer: computed from the store with the app's parameters, cached per state.

A request may change the walk, the categories counted, the weights and the kind of small area
(:class:`CoverageOptions`); the computation itself is :func:`assetmap.coverage.compute_coverage`.
The store offers no cheap "last changed" marker, so every call reads the inputs (small areas,
counted assets, wards) and the result for the app's own parameters is cached under a hash of
them: any change to an asset, area or ward, by this app or another process, invalidates it. A hit
saves the computation and the simplification for display, not the reads.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from flask import current_app

from assetmap import geo
from assetmap.coverage import CoverageParams, CoverageResult, compute_coverage
from assetmap.frames import coverage_inputs
from assetmap.web import get_store

DISPLAY_TOLERANCE_M = 10.0
_RESULT = "assetmap.coverage"
_DISPLAY = "assetmap.coverage.display"


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
    config = current_app.config
    default = CoverageOptions.from_config(config)
    options = options or default
    inputs = coverage_inputs(get_store(), statuses=config["COVERAGE_STATUSES"], kind=options.kind)
    if options != default:
        return compute_coverage(*inputs, options.params, categories=options.categories)
    key = inputs_fingerprint(*inputs)
    cached = current_app.extensions.get(_RESULT)
    if cached is not None and cached[0] == key:
        return cached[1]
    result = compute_coverage(*inputs, options.params, categories=options.categories)
    current_app.extensions[_RESULT] = (key, result)
    return result


def display_coverage(options: CoverageOptions | None = None) -> CoverageResult:
    """:func:`current_coverage` with area and ward polygons simplified for display."""
    result = current_coverage(options)
    cached = current_app.extensions.get(_DISPLAY)
    if cached is not None and cached[0] is result:
        return cached[1]
    display = dataclasses.replace(result, areas=simplified(result.areas), wards=simplified(result.wards))
    if result is current_app.extensions.get(_RESULT, (None, None))[1]:
        current_app.extensions[_DISPLAY] = (result, display)
    return display


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


def inputs_fingerprint(*frames: gpd.GeoDataFrame) -> str:
    """A hash of the frames' columns, values and geometries, in row order.

    >>> a = gpd.GeoDataFrame({"id": ["x"]}, geometry=gpd.points_from_xy([1.0], [2.0]), crs="EPSG:4326")
    >>> inputs_fingerprint(a) == inputs_fingerprint(a.copy())
    True
    >>> inputs_fingerprint(a) == inputs_fingerprint(a.assign(id=["y"]))
    False
    """
    digest = hashlib.blake2b(digest_size=16)
    for frame in frames:
        values = pd.DataFrame(frame.drop(columns=frame.geometry.name))
        digest.update(repr((list(frame.columns), len(frame))).encode())
        digest.update(pd.util.hash_pandas_object(values, index=False).to_numpy().tobytes())
        digest.update(b"".join(wkb or b"\0" for wkb in shapely.to_wkb(frame.geometry.values)))
    return digest.hexdigest()
