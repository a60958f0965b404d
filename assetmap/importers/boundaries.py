"""Read ward and small-area boundaries from ONS files (GeoJSON, GeoPackage or zipped shapefile).

Code and name columns are detected (``WD19CD``/``WD19NM``, ``WD23CD``/``WD23NM``, ``LSOA11CD``,
``OA11CD`` ..., any case); any CRS is reprojected to WGS84.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from assetmap import geo
from assetmap.errors import DataFileError
from assetmap.importers import ImportSummary
from assetmap.importers.readers import read_vector
from assetmap.models import AREA_MEASURES, SmallArea, Ward
from assetmap.storage.base import Store

AREA_KINDS = {"lsoa11": "lsoa11", "oa11": "oa11"}
_WARD_CODE = re.compile(r"^wd(\d{2})cd$", re.IGNORECASE)


def detect_column(frame: gpd.GeoDataFrame, pattern: re.Pattern[str], *, path: Path, what: str) -> str:
    """The matching column with the newest two-digit year (``WD23CD`` over ``WD19CD``)."""
    found = sorted((m.group(1), c) for c in frame.columns if (m := pattern.match(str(c))))
    if not found:
        raise DataFileError(str(path), f"no {what} column (expected one like {pattern.pattern})")
    return found[-1][1]


def _codes(frame: gpd.GeoDataFrame, column: str, *, path: Path) -> np.ndarray:
    codes = frame[column].astype("string").str.strip()
    blank = (codes.isna() | (codes == "")).to_numpy()
    if blank.any():
        raise DataFileError(str(path), f"missing {column}", row=int(np.flatnonzero(blank)[0]) + 1)
    dup = codes.duplicated(keep=False).to_numpy()
    if dup.any():
        rows = np.flatnonzero(dup) + 1
        raise DataFileError(
            str(path),
            f"duplicate {column} {codes.iloc[rows[0] - 1]!r} (rows {', '.join(map(str, rows[:5]))})",
            row=int(rows[-1]),
        )
    return codes.to_numpy(dtype=object)


def read_wards(path: Path, *, bounds: geo.Bounds = geo.UK) -> list[Ward]:
    """Wards from an ONS boundary file."""
    frame = read_vector(path, bounds=bounds)
    code_col = detect_column(frame, _WARD_CODE, path=path, what="ward code")
    name_col = code_col[:-2] + ("NM" if code_col[-2:].isupper() else "nm")
    if name_col not in frame:
        raise DataFileError(str(path), f"no ward name column {name_col!r} beside {code_col!r}")
    codes = _codes(frame, code_col, path=path)
    return [
        Ward(code=str(c), name=str(n).strip(), geometry=g)
        for c, n, g in zip(codes, frame[name_col], frame.geometry, strict=True)
    ]


def read_small_areas(
    path: Path, *, kind: str = "lsoa11", wards: list[Ward] | None = None, bounds: geo.Bounds = geo.UK
) -> list[SmallArea]:
    """Small areas (``lsoa11`` or ``oa11``) from a boundary file.

    The ward is taken from a ward-code column when the file has one (``wd19cd``,
    ``wd19cd_areafit``), else it is the ward the area overlaps most (measured in metres).
    """
    if kind not in AREA_KINDS:
        raise DataFileError(str(path), f"unknown small-area kind {kind!r}; expected lsoa11 or oa11")
    frame = read_vector(path, bounds=bounds)
    prefix = "lsoa11" if kind == "lsoa11" else "oa11"
    code_col = detect_column(
        frame, re.compile(rf"^{prefix}()cd$", re.IGNORECASE), path=path, what=f"{prefix} code"
    )
    name_col = next((c for c in frame.columns if str(c).lower() == f"{prefix}nm"), None)
    codes = _codes(frame, code_col, path=path)
    names = frame[name_col].astype(str).to_numpy() if name_col else codes
    ward_codes = _ward_of_areas(frame, wards, path=path)
    return [
        SmallArea(code=str(c), name=str(n), kind=kind, ward_code=w, geometry=g)
        for c, n, w, g in zip(codes, names, ward_codes, frame.geometry, strict=True)
    ]


def _ward_of_areas(frame: gpd.GeoDataFrame, wards: list[Ward] | None, *, path: Path) -> list[str | None]:
    column = next(
        (c for c in frame.columns if re.match(r"^wd\d{2}cd(_areafit)?$", str(c), re.IGNORECASE)), None
    )
    if column is not None:
        return [str(v) if v else None for v in frame[column]]
    if not wards:
        return [None] * len(frame)
    crs = geo.measuring_crs(frame)
    areas_m = frame.to_crs(crs).geometry.values
    wards_m = gpd.GeoSeries([w.geometry for w in wards], crs=geo.WGS84).to_crs(crs).values
    tree = shapely.STRtree(wards_m)
    a_idx, w_idx = tree.query(areas_m, predicate="intersects")
    overlap = shapely.area(shapely.intersection(areas_m[a_idx], wards_m[w_idx]))
    best: list[str | None] = [None] * len(frame)
    best_area = np.zeros(len(frame))
    for a, w, area in zip(a_idx, w_idx, overlap, strict=True):
        if area > best_area[a]:
            best_area[a], best[a] = area, wards[w].code
    return best


def import_wards(store: Store, path: Path, *, bounds: geo.Bounds = geo.UK) -> ImportSummary:
    """Read wards from ``path`` and upsert them by code."""
    counts = store.upsert_wards(read_wards(path, bounds=bounds))
    return ImportSummary(path.name, counts.added, counts.updated, counts.unchanged)


def import_small_areas(
    store: Store, path: Path, *, kind: str = "lsoa11", bounds: geo.Bounds = geo.UK
) -> ImportSummary:
    """Read small-area polygons from ``path`` and upsert them by code (attributes kept)."""
    areas = read_small_areas(path, kind=kind, wards=store.wards(), bounds=bounds)
    existing = {a.code: a for a in store.areas(kind=kind)}
    # Keep what the statistics files loaded; only the boundary and its names are replaced.
    kept = [
        dataclasses.replace(a, pw_point=old.pw_point, **{f: getattr(old, f) for f in AREA_MEASURES})
        if (old := existing.get(a.code))
        else a
        for a in areas
    ]
    counts = store.upsert_areas(kept)
    return ImportSummary(path.name, counts.added, counts.updated, counts.unchanged)
