"""The coverage report: a per-ward table for the terminal and CSV/GeoJSON files of every column.

Formatting is pure; :func:`write_report` is the only function here that touches the disk.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from assetmap.coverage import CoverageResult

TABLE_COLUMNS = (
    ("gap_rank", "rank", "{:d}"),
    ("name", "ward", "{}"),
    ("residents_50plus", "aged 50+", "{:,.0f}"),
    ("n_assets", "assets", "{:d}"),
    ("assets_per_1000_50plus", "per 1,000 50+", "{:.1f}"),
    ("share_50plus_within_any", "50+ within reach", "{:.0%}"),
    ("walk_min_any", "mean walk min", "{:.1f}"),
    ("need_index", "need", "{:.2f}"),
    ("gap_score", "gap", "{:.2f}"),
    ("why", "main reasons", "{}"),
)


def ward_table(result: CoverageResult, *, minutes: float) -> str:
    """The wards sorted by gap score (most under-served first) as aligned text."""
    wards = result.wards.sort_values(["gap_score", "code"], ascending=[False, True])
    header = [label for _, label, _ in TABLE_COLUMNS]
    rows = [[_fmt(fmt, row[col]) for col, _, fmt in TABLE_COLUMNS] for row in wards.to_dict("records")]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in rows]
    lines.append(f"(within reach = {minutes:g} minutes' walk; measured in {result.crs})")
    return "\n".join(lines)


def _fmt(fmt: str, value: Any) -> str:  # a frame cell: number, numpy scalar, text, None or NA
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return "-"
    return fmt.format(int(value) if fmt == "{:d}" else value)


def _for_files(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = frame.copy()
    numeric = out.select_dtypes("number").columns
    out[numeric] = out[numeric].replace([np.inf, -np.inf], np.nan)  # "no asset at all" -> empty
    return out


def write_report(result: CoverageResult, out_dir: Path) -> list[Path]:
    """Write ``areas.csv``, ``areas.geojson``, ``wards.csv`` and ``wards.geojson`` to ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in (("areas", result.areas), ("wards", result.wards)):
        clean = _for_files(frame)
        csv_path, geo_path = out_dir / f"{name}.csv", out_dir / f"{name}.geojson"
        clean.drop(columns="geometry").to_csv(csv_path, index=False)
        clean.to_file(geo_path, driver="GeoJSON", engine="pyogrio")
        written += [csv_path, geo_path]
    return written
