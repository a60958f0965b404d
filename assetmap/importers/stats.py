"""Read small-area statistics: population-weighted points, population by age, deprivation, loneliness.

Each reader returns ``{area code: {field: value}}`` for :meth:`Store.update_area_fields`; the
importers apply it atomically. Rows for areas the store does not hold are skipped with a reason
(a national file loads into a city's store). Columns are found by their published headers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer

from assetmap import geo
from assetmap.errors import DataFileError
from assetmap.importers import ImportSummary
from assetmap.importers.readers import read_csv_rows, read_vector
from assetmap.storage.base import Store

Values = dict[str, dict[str, Any]]


def _column(header: list[str], *patterns: str, path: Path, what: str) -> str:
    for pattern in patterns:
        for name in header:
            if re.fullmatch(pattern, name.strip(), flags=re.IGNORECASE):
                return name
    raise DataFileError(str(path), f"no {what} column (looked for {', '.join(patterns)})")


def _number(raw: str, *, path: Path, row: int, column: str) -> float:
    try:
        value = float(raw.replace(",", "").strip())
    except (ValueError, AttributeError):
        raise DataFileError(str(path), f"{column!r} is not a number: {raw!r}", row=row) from None
    if not math.isfinite(value):
        raise DataFileError(str(path), f"{column!r} is not a finite number: {raw!r}", row=row)
    return value


def _rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    rows = list(read_csv_rows(path))
    if not rows:
        raise DataFileError(str(path), "no data rows")
    return list(rows[0][1].keys()), rows


def _check_unique(path: Path, code_col: str, rows: list[tuple[int, dict[str, str]]]) -> None:
    seen: dict[str, int] = {}
    for number, row in rows:
        code = row[code_col].strip()
        if not code:
            raise DataFileError(str(path), f"missing {code_col!r}", row=number)
        if code in seen:
            raise DataFileError(
                str(path), f"duplicate {code_col} {code!r} (also row {seen[code]})", row=number
            )
        seen[code] = number


CODE_COLUMNS = {"lsoa11": (r"lsoa11cd", r"lsoa code.*"), "oa11": (r"oa11cd", r"oa code.*")}


def _code_column(header: list[str], kind: str, *, path: Path) -> str:
    if kind not in CODE_COLUMNS:
        raise DataFileError(
            str(path), f"unknown small-area kind {kind!r}; expected {', '.join(CODE_COLUMNS)}"
        )
    return _column(header, *CODE_COLUMNS[kind], r"code", r"area code", path=path, what=f"{kind} code")


def read_centroids(path: Path, *, kind: str = "lsoa11", bounds: geo.Bounds = geo.UK) -> Values:
    """Population-weighted points: a code column and lon/lat (or BNG easting/northing)."""
    header, rows = _rows(path)
    code = _code_column(header, kind, path=path)
    _check_unique(path, code, rows)
    try:
        x_col = _column(header, r"longitude", r"lon", r"long", path=path, what="longitude")
        y_col = _column(header, r"latitude", r"lat", path=path, what="latitude")
        to_wgs84 = None
    except DataFileError:
        x_col = _column(header, r"easting", r"x", path=path, what="longitude or easting")
        y_col = _column(header, r"northing", r"y", path=path, what="latitude or northing")
        to_wgs84 = Transformer.from_crs(geo.BNG, geo.WGS84, always_xy=True)
    xs = np.array([_number(r[x_col], path=path, row=n, column=x_col) for n, r in rows])
    ys = np.array([_number(r[y_col], path=path, row=n, column=y_col) for n, r in rows])
    if to_wgs84 is not None:
        xs, ys = to_wgs84.transform(xs, ys)
    problems = geo.check_points(xs, ys, bounds=bounds)
    if problems:
        index, problem = problems[0]
        raise DataFileError(str(path), problem, row=rows[index][0])
    return {
        r[code].strip(): {"pw_point": shapely.Point(x, y)} for (_, r), x, y in zip(rows, xs, ys, strict=True)
    }


def read_population(path: Path, *, kind: str = "lsoa11") -> Values:
    """ONS single-year-of-age estimates: ``All Ages``, ``0`` ... ``89``, ``90+`` per area.

    The 50+, 65+ and 75+ totals are summed from the single years here; a row whose single years
    do not add up to ``All Ages`` is refused.
    """
    header, rows = _rows(path)
    code = _code_column(header, kind, path=path)
    total = _column(header, r"all ages", path=path, what="'All Ages'")
    years = {int(h): h for h in header if h.strip().isdigit()}
    top = next((h for h in header if h.strip() == "90+"), None)
    if sorted(years) != list(range(90)) or top is None:
        raise DataFileError(str(path), "expected single-year columns 0 to 89 and 90+")
    _check_unique(path, code, rows)
    out: Values = {}
    for number, row in rows:
        ages = np.array(
            [_number(row[years[a]], path=path, row=number, column=years[a]) for a in range(90)]
            + [_number(row[top], path=path, row=number, column="90+")]
        )
        all_ages = _number(row[total], path=path, row=number, column=total)
        if (ages < 0).any():
            raise DataFileError(str(path), "negative population count", row=number)
        if abs(ages.sum() - all_ages) > 0.5:
            raise DataFileError(
                str(path), f"single years add up to {ages.sum():g}, not All Ages {all_ages:g}", row=number
            )
        out[row[code].strip()] = {
            "residents_total": all_ages,
            "residents_50plus": float(ages[50:].sum()),
            "residents_65plus": float(ages[65:].sum()),
            "residents_75plus": float(ages[75:].sum()),
        }
    return out


def read_census_ages(path: Path, *, kind: str = "oa11") -> Values:
    """2011 Census age bands per Output Area (the 2011 OAC input variables, ``u007``-``u019``).

    65+ and 75+ are exact band sums. The census band 45-59 straddles 50, so 50+ is
    estimated as two thirds of that band plus everyone aged 60 and over.
    """
    header, rows = _rows(path)
    code = _code_column(header, kind, path=path)
    total = _column(header, r"total_population", path=path, what="Total_Population")
    bands = {
        b: _column(header, b, path=path, what=f"age band {b}")
        for b in ("u014", "u015", "u016", "u017", "u018", "u019")
    }
    _check_unique(path, code, rows)
    out: Values = {}
    for number, row in rows:
        n = {b: _number(row[c], path=path, row=number, column=c) for b, c in bands.items()}
        aged_65 = n["u016"] + n["u017"] + n["u018"] + n["u019"]
        out[row[code].strip()] = {
            "residents_total": _number(row[total], path=path, row=number, column=total),
            "residents_50plus": n["u014"] * 10 / 15 + n["u015"] + aged_65,
            "residents_65plus": aged_65,
            "residents_75plus": n["u017"] + n["u018"] + n["u019"],
        }
    return out


def read_deprivation(path: Path, *, kind: str = "lsoa11") -> Values:
    """Indices of Deprivation 2019 (File 7 layout): IMD score and decile, IDAOPI score."""
    if kind != "lsoa11":
        raise DataFileError(str(path), "the Indices of Deprivation are published for LSOAs only")
    header, rows = _rows(path)
    code = _column(header, r"lsoa code \(2011\)", r"lsoa code", path=path, what="LSOA code")
    score = _column(header, r"index of multiple deprivation \(imd\) score", path=path, what="IMD score")
    decile = _column(header, r"index of multiple deprivation \(imd\) decile.*", path=path, what="IMD decile")
    idaopi = _column(
        header,
        r"income deprivation affecting older people \(idaopi\) score.*",
        path=path,
        what="IDAOPI score",
    )
    _check_unique(path, code, rows)
    out: Values = {}
    for number, row in rows:
        d = _number(row[decile], path=path, row=number, column=decile)
        if d not in range(1, 11):
            raise DataFileError(str(path), f"IMD decile must be 1 to 10, got {row[decile]!r}", row=number)
        ida = _number(row[idaopi], path=path, row=number, column=idaopi)
        if not 0 <= ida <= 1:
            raise DataFileError(str(path), f"IDAOPI score must be a rate in [0, 1], got {ida:g}", row=number)
        out[row[code].strip()] = {
            "imd_score": _number(row[score], path=path, row=number, column=score),
            "imd_decile": int(d),
            "idaopi_score": ida,
        }
    return out


def read_loneliness(
    path: Path, *, target: gpd.GeoDataFrame | None = None, source_boundaries: Path | None = None
) -> Values:
    """Modelled loneliness (% of adults often/sometimes lonely) per LSOA.

    Rows whose code matches a target area are used directly. When the file is on another
    geography (LSOA 2021 for LSOA 2011 areas) and ``source_boundaries`` are given, each
    unmatched target area gets the area-weighted mean of the source areas it overlaps.
    """
    header, rows = _rows(path)
    code = _column(
        header, r"lsoa21_code", r"lsoa21cd", r"lsoa11cd", r"lsoa code", path=path, what="LSOA code"
    )
    perc = _column(header, r"perc", r"percent.*", r"loneliness.*", path=path, what="loneliness %")
    _check_unique(path, code, rows)
    values = {}
    for number, row in rows:
        v = _number(row[perc], path=path, row=number, column=perc)
        if not 0 <= v <= 100:
            raise DataFileError(str(path), f"loneliness must be a percentage, got {v:g}", row=number)
        values[row[code].strip()] = v
    out: Values = {c: {"loneliness": v} for c, v in values.items()}
    if target is None or source_boundaries is None:
        return out
    missing = target[~target["code"].isin(list(values))]
    if missing.empty:
        return out
    out.update(_area_weighted(missing, read_vector(source_boundaries), values, source_boundaries))
    return out


def _area_weighted(
    target: gpd.GeoDataFrame, source: gpd.GeoDataFrame, values: dict[str, float], path: Path
) -> Values:
    code_col = next((c for c in source.columns if re.fullmatch(r"lsoa\d{2}cd", str(c), re.IGNORECASE)), None)
    if code_col is None:
        raise DataFileError(str(path), "no LSOA code column to interpolate from")
    crs = geo.measuring_crs(target)
    t = target.to_crs(crs).geometry.values
    s = source.to_crs(crs)
    s_val = s[code_col].map(values).to_numpy(dtype=float)
    tree = shapely.STRtree(s.geometry.values)
    t_idx, s_idx = tree.query(t, predicate="intersects")
    area = shapely.area(shapely.intersection(t[t_idx], s.geometry.values[s_idx]))
    ok = np.isfinite(s_val[s_idx]) & (area > 0)
    num = np.bincount(t_idx[ok], weights=area[ok] * s_val[s_idx][ok], minlength=len(t))
    den = np.bincount(t_idx[ok], weights=area[ok], minlength=len(t))
    codes = target["code"].to_numpy()
    return {codes[i]: {"loneliness": float(num[i] / den[i])} for i in np.flatnonzero(den > 0)}


def import_values(store: Store, path: Path, values: Values, *, kind: str = "lsoa11") -> ImportSummary:
    """Apply per-area values to the areas the store holds; others are skipped with a reason."""
    known = {a.code for a in store.areas(kind=kind)}
    use = {c: v for c, v in values.items() if c in known}
    summary = ImportSummary(path.name)
    if len(values) > len(use):
        summary.skipped[f"areas not in the store ({kind})"] = len(values) - len(use)
    counts = store.update_area_fields(use)
    summary.updated, summary.unchanged = counts.updated, counts.unchanged
    return summary


def import_stats(
    store: Store, path: Path, reader: Callable[..., Values], *, kind: str = "lsoa11"
) -> ImportSummary:
    """Read ``path`` with ``reader`` (for areas of ``kind``) and apply it."""
    return import_values(store, path, reader(path, kind=kind), kind=kind)
