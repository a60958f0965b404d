"""Read community assets: the city's combined registers, generic CSV and generic GeoJSON.

Rows become :class:`~assetmap.models.Asset` records keyed by ``(source_dataset, source_id)`` so a
re-run updates instead of duplicating. Register kinds are mapped to the taxonomy through
``data/source_mapping.csv``; a kind missing from it is an error (so nothing is silently dropped),
while kinds mapped to a skip reason are counted as skipped. Coordinates may be lon/lat,
British National Grid easting/northing, or a postcode placed with the pack's postcode file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from assetmap import geo, taxonomy
from assetmap.errors import DataFileError, InvalidInput
from assetmap.importers import ImportSummary
from assetmap.importers.readers import read_csv_rows, read_json, sniff
from assetmap.models import ACCESS_ATTRIBUTES, Asset, Status
from assetmap.storage.base import Store

TEXT_FIELDS = ("description", "address", "postcode", "opening_times", "contact", "licence")
_TRUE = {"yes", "y", "true", "1"}
_FALSE = {"no", "n", "false", "0"}
_POSTCODE = re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?)\s*(\d[A-Z]{2})$")
T = TypeVar("T")


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


class RowProblems(InvalidInput):
    """Everything wrong with one row, as ``(field, message)`` pairs; the message joins them."""

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        super().__init__("; ".join(message for _, message in problems))
        self.problems = list(problems)


def _location(record: Mapping[str, Any], postcodes: PostcodeIndex | None) -> tuple[float, float]:
    """``(lon, lat)`` from lon/lat, else easting/northing (British National Grid), else a postcode."""
    lon = _number(record.get("lon", record.get("longitude")), "longitude")
    lat = _number(record.get("lat", record.get("latitude")), "latitude")
    if lon is not None and lat is not None:
        return lon, lat
    east, north = _number(record.get("easting"), "easting"), _number(record.get("northing"), "northing")
    if east is not None and north is not None:
        x, y = geo.transformer(geo.BNG, geo.WGS84).transform(east, north)
        return float(x), float(y)
    if record.get("postcode") and postcodes is not None:
        point = postcodes.lookup(str(record["postcode"]))
        if point is None:
            raise InvalidInput(f"postcode {record['postcode']!r} not found in {postcodes.path.name}")
        return point
    raise InvalidInput("no location: give lat/lon, easting/northing, or a postcode")


def asset_from_record(
    record: Mapping[str, Any], *, dataset: str, licence: str, postcodes: PostcodeIndex | None
) -> Asset:
    """An asset from one generic row (CSV or GeoJSON properties).

    Raises :class:`RowProblems` listing every bad field (location, category, name, yes/no
    attributes), with a message the caller prefixes with file and row.
    """
    problems: list[tuple[str, str]] = []

    def attempt(field: str, check: Callable[[], T]) -> T | None:
        try:
            return check()
        except InvalidInput as exc:
            problems.append((field, exc.message))
            return None

    point = attempt("location", lambda: _location(record, postcodes))
    category = str(record.get("category") or "").strip()
    subcategory = (str(record.get("subcategory")).strip() or None) if record.get("subcategory") else None
    if not category:
        problems.append(("category", "missing category"))
    else:
        attempt("category", lambda: taxonomy.check(category, subcategory))
    if not str(record.get("name") or "").strip():
        problems.append(("name", "an asset needs a name"))
    flags: dict[str, Any] = {}
    for name in ACCESS_ATTRIBUTES:
        raw = record.get(name)
        flags[name] = attempt(name, partial(_bool, raw, field=name))
    if problems or point is None:
        raise RowProblems(problems)
    lon, lat = point
    source_id = str(record.get("source_id") or record.get("id") or "").strip()
    if not source_id:  # stable id from content, so a re-run finds the same row
        key = f"{record.get('name')}|{record.get('category')}|{lon:.5f}|{lat:.5f}"
        source_id = "sha1:" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]
    languages = record.get("languages") or []
    if isinstance(languages, str):
        languages = [s.strip() for s in re.split(r"[;,]", languages) if s.strip()]
    if not isinstance(languages, list):
        raise RowProblems([("languages", "languages must be text separated by ; or a list")])
    texts: dict[str, Any] = {f: str(record.get(f) or "").strip() for f in TEXT_FIELDS}
    asset = Asset(
        category=category,
        subcategory=subcategory,
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
    return asset.validated()


def file_problems(numbered: Sequence[tuple[int, Asset]], *, bounds: geo.Bounds) -> list[tuple[int, str, str]]:
    """``(row, field, problem)`` for points outside ``bounds`` (or swapped) and repeated source ids.

    Coordinate problems come first, then duplicates, each in row order; empty when all is well.
    """
    lon = np.array([a.lon for _, a in numbered], dtype=float)
    lat = np.array([a.lat for _, a in numbered], dtype=float)
    problems = []
    for index, problem in geo.check_points(lon, lat, bounds=bounds):
        metres = abs(lon[index]) > 1000 or abs(lat[index]) > 1000
        hint = "; the numbers look like projected metres, so say which CRS the file is in" if metres else ""
        problems.append((numbered[index][0], "location", problem + hint))
    seen: dict[tuple[str, str], int] = {}
    for row, asset in numbered:
        key = (asset.source_dataset, asset.source_id)
        if key in seen:
            problems.append((row, "source_id", f"duplicate id {asset.source_id!r} (also row {seen[key]})"))
        else:
            seen[key] = row
    return problems


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
    problems = file_problems(numbered, bounds=bounds)
    if problems:
        row, _, problem = problems[0]
        raise DataFileError(str(path), problem, row=row)
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


def _transformer(path: Path, member: Any) -> Transformer | None:
    """The transformer to WGS84 for a GeoJSON ``crs`` member, None for none or lon/lat already."""
    if member is None:
        return None
    properties = member.get("properties") if isinstance(member, dict) else None
    name = properties.get("name") if isinstance(properties, dict) else None
    if not isinstance(name, str) or not name:
        raise DataFileError(
            str(path), 'the crs member must be {"type": "name", "properties": {"name": "EPSG:..."}}'
        )
    try:
        crs = CRS.from_user_input(name)
    except CRSError:
        raise DataFileError(str(path), f"unknown coordinate reference system {name[:80]!r}") from None
    if crs.equals(CRS.from_user_input("OGC:CRS84")) or crs.equals(CRS.from_user_input(geo.WGS84)):
        return None
    return Transformer.from_crs(crs, geo.WGS84, always_xy=True)


def _features(path: Path) -> list[dict[str, Any]]:
    doc = read_json(path)
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise DataFileError(str(path), "expected a GeoJSON FeatureCollection")
    features = doc.get("features")
    if not isinstance(features, list) or not features:
        raise DataFileError(str(path), "holds no features")
    to_wgs84 = _transformer(path, doc.get("crs"))
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


def _geojson_records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(feature_number, properties with lon and lat)`` for each point of a generic GeoJSON file."""
    for number, feature in enumerate(_features(path), start=1):
        lon, lat = feature["geometry"]["coordinates"][:2]
        yield number, {**feature["properties"], "lon": lon, "lat": lat}


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
    numbered = _generic_assets(path, _geojson_records(path), dataset=dataset, licence=licence, postcodes=None)
    return write_assets(store, path, numbered, Counter(), actor=actor, bounds=bounds)


@dataclass(frozen=True)
class CheckedRow:
    """One row of a generic file as checked without writing: its asset, or what is wrong with it."""

    row: int
    record: Mapping[str, Any]
    asset: Asset | None
    problems: tuple[tuple[str, str], ...] = ()


def check_assets(
    path: Path,
    *,
    dataset: str,
    licence: str = "",
    postcodes: PostcodeIndex | None = None,
    bounds: geo.Bounds = geo.UK,
    max_rows: int | None = None,
) -> list[CheckedRow]:
    """Every row of a generic CSV or GeoJSON file checked as :func:`import_csv` and
    :func:`import_geojson` check it, collecting each row's problems instead of stopping at the first.

    Writes nothing. A file that cannot be read as a whole (wrong type, not UTF-8, malformed CSV,
    not a FeatureCollection, unknown CRS, no rows, more than ``max_rows``) raises
    :class:`DataFileError`; so does a row with the wrong number of fields or a non-point geometry.
    """
    fmt = sniff(path)
    if fmt not in ("csv", "geojson"):
        raise DataFileError(str(path), "expected a CSV or GeoJSON file")
    records = read_csv_rows(path) if fmt == "csv" else _geojson_records(path)
    checked: list[CheckedRow] = []
    for row, record in records:
        if max_rows is not None and len(checked) >= max_rows:
            raise DataFileError(str(path), f"more than {max_rows:,} rows; split the file")
        try:
            asset = asset_from_record(record, dataset=dataset, licence=licence, postcodes=postcodes)
        except RowProblems as exc:
            checked.append(CheckedRow(row, record, None, tuple(exc.problems)))
        except InvalidInput as exc:
            checked.append(CheckedRow(row, record, None, (("", exc.message),)))
        else:
            checked.append(CheckedRow(row, record, asset))
    if not checked:
        raise DataFileError(str(path), "no data rows")
    parsed = [(c.row, c.asset) for c in checked if c.asset is not None]
    extra: dict[int, list[tuple[str, str]]] = {}
    for row, field, problem in file_problems(parsed, bounds=bounds):
        extra.setdefault(row, []).append((field, problem))
    return [
        dataclasses.replace(c, asset=None, problems=(*c.problems, *extra[c.row])) if c.row in extra else c
        for c in checked
    ]


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
