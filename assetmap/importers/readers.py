"""Open data files safely: check that a file is what its extension says, then read it.

Every failure is a :class:`~assetmap.errors.DataFileError` naming the file (and row where one is
to blame), never a library traceback.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio

from assetmap import geo
from assetmap.errors import DataFileError

MAX_BYTES = 512 * 1024 * 1024


def _head(path: Path, n: int = 64) -> bytes:
    if not path.is_file():
        raise DataFileError(str(path), "no such file")
    if path.stat().st_size > MAX_BYTES:
        raise DataFileError(str(path), f"file is larger than {MAX_BYTES // 2**20} MiB")
    with path.open("rb") as fh:
        return fh.read(n)


def sniff(path: Path) -> str:
    """The format a file really has, checked against its extension.

    Returns one of ``csv``, ``geojson``, ``gpkg``, ``zip``, ``pbf``.
    """
    name = path.name.lower()
    head = _head(path)
    if name.endswith(".osm.pbf") or name.endswith(".pbf"):
        fmt = "pbf" if b"OSMHeader" in head else ""
    elif name.endswith((".geojson", ".json")):
        fmt = "geojson" if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{") else ""
    elif name.endswith(".gpkg"):
        fmt = "gpkg" if head.startswith(b"SQLite format 3\x00") else ""
    elif name.endswith(".zip"):
        fmt = "zip" if head.startswith(b"PK\x03\x04") else ""
    elif name.endswith((".csv", ".txt")):
        fmt = (
            "csv" if head and b"\x00" not in head and not head.startswith((b"PK\x03\x04", b"SQLite")) else ""
        )
    else:
        raise DataFileError(
            str(path), "unsupported file type; expected .csv, .geojson, .gpkg, .zip or .osm.pbf"
        )
    if not fmt:
        raise DataFileError(str(path), f"the content is not what the extension {path.suffix!r} says")
    return fmt


def read_csv_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(row_number, row)`` for each data row (row 1 is the first after the header).

    Raises on a row with more or fewer fields than the header, or text that is not UTF-8.
    """
    sniff(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataFileError(str(path), f"not UTF-8 text (byte {exc.start})") from None
    reader = csv.DictReader(io.StringIO(text, newline=""), restkey="\x00extra")
    if not reader.fieldnames:
        raise DataFileError(str(path), "empty file: no header row")
    width = len(reader.fieldnames)
    try:
        for number, row in enumerate(reader, start=1):
            if "\x00extra" in row or any(v is None for v in row.values()):
                got = width + len(row.get("\x00extra", [])) - sum(v is None for v in row.values())
                raise DataFileError(str(path), f"expected {width} fields, found {got}", row=number)
            yield number, row
    except csv.Error as exc:
        raise DataFileError(str(path), f"malformed CSV ({exc})", row=reader.line_num) from None


def read_json(path: Path) -> Any:
    """Parse a JSON/GeoJSON file."""
    sniff(path)
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataFileError(str(path), f"not valid JSON ({exc})") from None


def read_vector(path: Path, *, bounds: geo.Bounds = geo.UK) -> gpd.GeoDataFrame:
    """Read polygons from GeoJSON, GeoPackage or a zipped shapefile, reprojected to WGS84.

    Raises when the file declares no CRS, holds no features, or has empty or invalid geometry
    that cannot be repaired without changing its area.
    """
    fmt = sniff(path)
    if fmt == "zip":
        with zipfile.ZipFile(path) as zf:
            shps = [n for n in zf.namelist() if n.lower().endswith(".shp")]
        if not shps:
            raise DataFileError(str(path), "zip holds no .shp shapefile")
        source = f"/vsizip/{path}/{shps[0]}"
    elif fmt in ("geojson", "gpkg"):
        source = str(path)
    else:
        raise DataFileError(str(path), "expected GeoJSON, GeoPackage or a zipped shapefile")
    try:
        frame = gpd.read_file(source, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError) as exc:
        raise DataFileError(str(path), f"cannot read as vector data ({exc})") from None
    if frame.empty:
        raise DataFileError(str(path), "holds no features")
    if frame.crs is None:
        raise DataFileError(str(path), "no coordinate reference system; add a .prj or a crs member")
    frame = geo.to_wgs84(frame, source=str(path))
    _check_polygons(path, frame, bounds)
    return frame


def _check_polygons(path: Path, frame: gpd.GeoDataFrame, bounds: geo.Bounds) -> None:
    for i, geom in enumerate(frame.geometry, start=1):
        if geom is None or geom.is_empty:
            raise DataFileError(str(path), "empty geometry", row=i)
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            raise DataFileError(str(path), f"expected a polygon, found {geom.geom_type}", row=i)
        if not geom.is_valid:
            from shapely.validation import explain_validity

            raise DataFileError(str(path), f"invalid polygon ({explain_validity(geom)})", row=i)
    minx, miny, maxx, maxy = frame.total_bounds
    inside = bounds.contains(np.array([minx, maxx]), np.array([miny, maxy]))
    if not inside.all():
        raise DataFileError(
            str(path),
            f"extent ({minx:g}, {miny:g}, {maxx:g}, {maxy:g}) is outside {bounds.name}; check the CRS",
        )
