"""Read community assets: the city's combined registers, generic CSV and generic GeoJSON.

Rows become :class:`~assetmap.models.Asset` records keyed by ``(source_dataset, source_id)`` so a
re-run updates instead of duplicating. Register kinds are mapped to the taxonomy through
``data/source_mapping.csv``; a kind missing from it is an error (so nothing is silently dropped),
while kinds mapped to a skip reason are counted as skipped. Coordinates may be lon/lat,
British National Grid easting/northing, or a postcode placed with the pack's postcode file.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from pyproj import CRS, Transformer

from assetmap import geo, taxonomy
from assetmap.errors import DataFileError, InvalidInput
from assetmap.importers import ImportSummary
from assetmap.importers.readers import read_csv_rows, read_json
from assetmap.models import ACCESS_ATTRIBUTES, Asset, Status
from assetmap.storage.base import Store

TEXT_FIELDS = ("description", "address", "postcode", "opening_times", "contact", "licence")
_TRUE = {"yes", "y", "true", "1"}
_FALSE = {"no", "n", "false", "0"}
_POSTCODE = re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?)\s*(\d[A-Z]{2})$")


def normalise_postcode(raw: str) -> str | None:
    """``"le1 1aa"`` -> ``"LE1 1AA"``; None if it is not a UK postcode."""
    m = _POSTCODE.match(raw.strip().upper())
    return f"{m.group(1)} {m.group(2)}" if m else None


class PostcodeIndex:
    """Postcode -> (lon, lat), from a CSV with ``Postcode``, ``lat`` and ``long`` columns (ONS NSPL)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._points: dict[str, tuple[float, float]] | None = None

    def lookup(self, postcode: str) -> tuple[float, float] | None:
        if self._points is None:
            points = {}
            for _, row in read_csv_rows(self.path):
                code = normalise_postcode(row.get("Postcode") or row.get("pcds") or "")
                if code and row.get("lat") and row.get("long"):
                    points[code] = (float(row["long"]), float(row["lat"]))
            self._points = points
        code = normalise_postcode(postcode)
        return self._points.get(code) if code else None


def _bool(raw: Any, *, field: str) -> bool | None:
    if raw is None or isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if text in ("", "unknown", "?"):
        return None
    raise InvalidInput(f"{field} must be yes or no, got {raw!r}")


def _number(raw: Any, field: str) -> float | None:
    if raw is None or str(raw).strip() == "":
        return None
    try:
        return float(str(raw).strip())
    except ValueError:
        raise InvalidInput(f"{field} is not a number: {raw!r}") from None


def _source_date(raw: Any) -> datetime | None:
    m = re.match(r"(\d{4})-(\d{2})(?:-(\d{2}))?", str(raw or ""))
    if not m:
        return None
    return datetime(int(m.group(1)), int(m.group(2)), int(m.group(3) or 1), tzinfo=UTC)


def asset_from_record(
    record: Mapping[str, Any], *, dataset: str, licence: str, postcodes: PostcodeIndex | None
) -> Asset:
    """An asset from one generic row (CSV or GeoJSON properties).

    Raises :class:`InvalidInput` with a message the caller prefixes with file and row.
    """
    lon = _number(record.get("lon", record.get("longitude")), "longitude")
    lat = _number(record.get("lat", record.get("latitude")), "latitude")
    if lon is None or lat is None:
        east, north = _number(record.get("easting"), "easting"), _number(record.get("northing"), "northing")
        if east is not None and north is not None:
            lon, lat = Transformer.from_crs(geo.BNG, geo.WGS84, always_xy=True).transform(east, north)
        elif record.get("postcode") and postcodes is not None:
            point = postcodes.lookup(str(record["postcode"]))
            if point is None:
                raise InvalidInput(f"postcode {record['postcode']!r} not found in {postcodes.path.name}")
            lon, lat = point
        else:
            raise InvalidInput("no location: give lat/lon, easting/northing, or a postcode")
    source_id = str(record.get("source_id") or record.get("id") or "").strip()
    if not source_id:  # stable id from content, so a re-run finds the same row
        key = f"{record.get('name')}|{record.get('category')}|{lon:.5f}|{lat:.5f}"
        source_id = "sha1:" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]
    languages = record.get("languages") or []
    if isinstance(languages, str):
        languages = [s.strip() for s in re.split(r"[;,]", languages) if s.strip()]
    texts: dict[str, Any] = {f: str(record.get(f) or "").strip() for f in TEXT_FIELDS}
    flags: dict[str, Any] = {f: _bool(record.get(f), field=f) for f in ACCESS_ATTRIBUTES}
    asset = Asset(
        category=str(record.get("category") or "").strip(),
        subcategory=(str(record.get("subcategory")).strip() or None) if record.get("subcategory") else None,
        name=str(record.get("name") or ""),
        lon=lon,
        lat=lat,
        languages=list(languages),
        source_dataset=dataset,
        source_id=source_id,
        **texts,
        **flags,
    )
    if not asset.licence:
        asset.licence = licence
    if not asset.category:
        raise InvalidInput("missing category")
    return asset.validated()


def write_assets(
    store: Store,
    path: Path,
    numbered: list[tuple[int, Asset]],
    skipped: Counter[str],
    *,
    actor: str,
    bounds: geo.Bounds,
) -> ImportSummary:
    """Check coordinates and duplicate ids over the whole file, then write atomically."""
    lon = np.array([a.lon for _, a in numbered], dtype=float)
    lat = np.array([a.lat for _, a in numbered], dtype=float)
    problems = geo.check_points(lon, lat, bounds=bounds)
    if problems:
        index, problem = problems[0]
        if np.all(np.abs(lon[index]) > 1000) or abs(lat[index]) > 1000:
            problem += "; the numbers look like projected metres, so say which CRS the file is in"
        raise DataFileError(str(path), problem, row=numbered[index][0])
    seen: dict[tuple[str, str], int] = {}
    for row, asset in numbered:
        key = (asset.source_dataset, asset.source_id)
        if key in seen:
            raise DataFileError(
                str(path), f"duplicate id {asset.source_id!r} (also row {seen[key]})", row=row
            )
        seen[key] = row
    counts = store.import_assets([a for _, a in numbered], actor=actor)
    return ImportSummary(path.name, counts.added, counts.updated, counts.unchanged, skipped)


def _generic_assets(
    path: Path,
    records: Iterable[tuple[int, Mapping[str, Any]]],
    *,
    dataset: str | None,
    licence: str,
    postcodes: PostcodeIndex | None,
) -> list[tuple[int, Asset]]:
    """Numbered assets from generic records, a bad one raising with the file and row."""
    numbered = []
    for row, record in records:
        try:
            asset = asset_from_record(
                record, dataset=dataset or path.name, licence=licence, postcodes=postcodes
            )
        except InvalidInput as exc:
            raise DataFileError(str(path), exc.message, row=row) from None
        numbered.append((row, asset))
    if not numbered:
        raise DataFileError(str(path), "no data rows")
    return numbered


def import_csv(
    store: Store,
    path: Path,
    *,
    dataset: str | None = None,
    licence: str = "",
    postcodes: PostcodeIndex | None = None,
    actor: str = "import",
    bounds: geo.Bounds = geo.UK,
) -> ImportSummary:
    """Import a generic asset CSV.

    Columns: ``name``, ``category`` (required), ``subcategory``, ``lat``/``lon`` or
    ``easting``/``northing`` or ``postcode``, ``source_id`` (or ``id``), the text fields,
    access attributes as yes/no, ``languages`` separated by ``;``.
    """
    numbered = _generic_assets(
        path, read_csv_rows(path), dataset=dataset, licence=licence, postcodes=postcodes
    )
    return write_assets(store, path, numbered, Counter(), actor=actor, bounds=bounds)


def _features(path: Path) -> list[dict[str, Any]]:
    doc = read_json(path)
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise DataFileError(str(path), "expected a GeoJSON FeatureCollection")
    features = doc.get("features")
    if not isinstance(features, list) or not features:
        raise DataFileError(str(path), "holds no features")
    crs = (doc.get("crs") or {}).get("properties", {}).get("name")
    if (
        crs
        and not CRS.from_user_input(crs).equals(CRS.from_user_input("OGC:CRS84"))
        and not CRS.from_user_input(crs).equals(CRS.from_user_input(geo.WGS84))
    ):
        to_wgs84 = Transformer.from_crs(crs, geo.WGS84, always_xy=True)
    else:
        to_wgs84 = None
    for number, feature in enumerate(features, start=1):
        geom = feature.get("geometry") if isinstance(feature, dict) else None
        if not geom or geom.get("type") != "Point":
            kind = geom.get("type") if isinstance(geom, dict) else "no geometry"
            raise DataFileError(str(path), f"expected a Point, found {kind}", row=number)
        coords = geom.get("coordinates")
        if (
            not isinstance(coords, list)
            or len(coords) < 2
            or not all(isinstance(c, int | float) for c in coords[:2])
        ):
            raise DataFileError(str(path), f"invalid coordinates {coords!r}", row=number)
        if to_wgs84 is not None:
            geom["coordinates"] = list(to_wgs84.transform(coords[0], coords[1]))
        feature.setdefault("properties", {})
        if not isinstance(feature["properties"], dict):
            raise DataFileError(str(path), "properties must be an object", row=number)
    return features


def import_geojson(
    store: Store,
    path: Path,
    *,
    dataset: str | None = None,
    licence: str = "",
    actor: str = "import",
    bounds: geo.Bounds = geo.UK,
) -> ImportSummary:
    """Import a generic GeoJSON FeatureCollection of asset points (properties as the CSV columns)."""
    records = (
        (
            n,
            {
                **f["properties"],
                "lon": f["geometry"]["coordinates"][0],
                "lat": f["geometry"]["coordinates"][1],
            },
        )
        for n, f in enumerate(_features(path), start=1)
    )
    numbered = _generic_assets(path, records, dataset=dataset, licence=licence, postcodes=None)
    return write_assets(store, path, numbered, Counter(), actor=actor, bounds=bounds)


def register_assets(
    features: Iterable[dict[str, Any]], *, path: Path, mapping: str, dataset: str
) -> tuple[list[tuple[int, Asset]], Counter[str]]:
    """Assets from the pack's combined register points, mapped through ``source_mapping.csv``."""
    table = taxonomy.source_mapping()
    numbered: list[tuple[int, Asset]] = []
    skipped: Counter[str] = Counter()
    for number, feature in enumerate(features, start=1):
        props = feature["properties"]
        key = (mapping, str(props.get("kind")), str(props.get("subkind")))
        target = table.get(key)
        if target is None:
            raise DataFileError(
                str(path),
                f"unknown source category {key[1]}/{key[2]}; add it to source_mapping.csv",
                row=number,
            )
        if target.skip_reason:
            skipped[target.skip_reason] += 1
            continue
        if props.get("possible_duplicate_of"):
            skipped["possible duplicate of an OpenStreetMap place of worship within 100 m"] += 1
            continue
        lon, lat = feature["geometry"]["coordinates"][:2]
        verified = _source_date(props.get("source_date"))
        try:
            asset = Asset(
                category=target.category or "",
                subcategory=target.subcategory,
                name=str(props.get("name") or "").strip() or f"Unnamed {target.subcategory}",
                lon=float(lon),
                lat=float(lat),
                address=str(props.get("address") or ""),
                postcode=str(props.get("postcode") or ""),
                opening_times=str(props.get("opening_hours") or ""),
                source_dataset=dataset,
                source_id=str(props.get("uid") or props.get("source_id") or ""),
                licence=str(props.get("licence") or ""),
                status=Status.VERIFIED,
                last_verified_at=verified,
                last_verified_by=f"import:{dataset}" if verified else None,
            ).validated()
        except InvalidInput as exc:
            raise DataFileError(str(path), exc.message, row=number) from None
        if not asset.source_id:
            raise DataFileError(str(path), "missing uid/source_id", row=number)
        numbered.append((number, asset))
    return numbered, skipped


def import_register(
    store: Store,
    path: Path,
    *,
    mapping: str,
    dataset: str | None = None,
    actor: str = "import",
    bounds: geo.Bounds = geo.UK,
) -> ImportSummary:
    """Import one of the pack's combined register files (``registers`` or ``community_assets`` mapping)."""
    numbered, skipped = register_assets(
        _features(path), path=path, mapping=mapping, dataset=dataset or path.name
    )
    return write_assets(store, path, numbered, skipped, actor=actor, bounds=bounds)
