"""Read community assets from an OpenStreetMap ``.osm.pbf`` extract.

pyrosm reads the nodes, ways and relations that carry a ``key=value`` named in
``data/osm_tags.csv``; each then takes the most specific rule of that table that matches its tags
(see :func:`match_rules` and ``docs/osm.md``). Ways and relations become one point inside their
shape. Assets keep OSM's own ids (``osm:node/123``), so importing a newer extract updates them, and
are marked *reported*, not verified: OpenStreetMap is crowd-sourced. A file that is empty, corrupt,
truncated mid-block or holds no mapped features is refused before anything is written.
"""

from __future__ import annotations

import csv
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyrosm
import shapely
from google.protobuf.message import DecodeError
from pyrosm.exceptions import PBFException

from assetmap import geo, taxonomy
from assetmap.errors import ConfigError, DataFileError, InvalidInput
from assetmap.importers import ImportSummary, readers
from assetmap.importers.assets import normalise_postcode, write_assets
from assetmap.models import Asset
from assetmap.storage.base import Store

LICENCE = "ODbL 1.0, © OpenStreetMap contributors"
DEFAULT_DATASET = "openstreetmap"
NO_MAPPING = "no mapping for tags"
NO_GEOMETRY = "no geometry in the extract"

# Tags copied to asset fields. yes/no tags set a flag; ``fee=no`` means free to use.
_FLAG_TAGS = {
    "step_free": "wheelchair",
    "toilets": "toilets",
    "seating": "bench",
    "hearing_loop": "hearing_loop",
}
_TEXT_TAGS = {"opening_times": "opening_hours", "description": "description"}
_ADDRESS_TAGS = ("addr:housenumber", "addr:street", "addr:city")
_CONTACT_TAGS = ("phone", "contact:phone", "website", "contact:website")
_OTHER_TAGS = (
    "name",
    "fee",
    "addr:postcode",
    *_FLAG_TAGS.values(),
    *_TEXT_TAGS.values(),
    *_ADDRESS_TAGS,
    *_CONTACT_TAGS,
)
_YES_NO = {"yes": True, "no": False}


@dataclass(frozen=True)
class TagRule:
    """One row of ``osm_tags.csv``: tags to match and the category they give, or why to skip."""

    row: int
    key: str
    value: str
    conditions: tuple[tuple[str, str], ...]
    category: str | None
    subcategory: str | None
    skip_reason: str | None


def _rule(row: int, record: Mapping[str, str]) -> TagRule:
    field = {name: (value or "").strip() for name, value in record.items()}
    if not (field["key"] and field["value"]):
        raise InvalidInput("key and value are required")
    conditions = []
    for part in filter(None, (p.strip() for p in field["condition"].split(";"))):
        key, sep, value = (s.strip() for s in part.partition("="))
        if not (sep and key and value):
            raise InvalidInput(f"condition {part!r} is not key=value")
        conditions.append((key, value))
    skip = field["skip_reason"] or None
    category = subcategory = None
    if skip is None:
        category, subcategory = taxonomy.check(field["category"], field["subcategory"] or None)
    elif field["category"]:
        raise InvalidInput("give a category or a skip_reason, not both")
    return TagRule(row, field["key"], field["value"], tuple(conditions), category, subcategory, skip)


def parse_rules(text: str, *, source: str = "osm_tags.csv") -> tuple[TagRule, ...]:
    """Rules from the CSV text of a mapping table, most specific first (most conditions, then row).

    Raises
    ------
    ConfigError
        Naming ``source`` and the row, on an unknown category or subcategory, a condition that is
        not ``key=value``, both a category and a skip reason, or the same tags as an earlier row.
    """
    rules: list[TagRule] = []
    seen: dict[tuple[str, str, frozenset[tuple[str, str]]], int] = {}
    for row, record in enumerate(csv.DictReader(text.splitlines()), start=1):
        try:
            rule = _rule(row, record)
        except InvalidInput as exc:
            raise ConfigError(f"{source}, row {row}: {exc.message}") from None
        key = (rule.key, rule.value, frozenset(rule.conditions))
        if key in seen:
            raise ConfigError(f"{source}, row {row}: same tags as row {seen[key]}")
        seen[key] = row
        rules.append(rule)
    return tuple(sorted(rules, key=lambda r: (-len(r.conditions), r.row)))


@cache
def tag_rules() -> tuple[TagRule, ...]:
    """The rules of ``data/osm_tags.csv`` (see :func:`parse_rules`)."""
    return parse_rules(resources.files("assetmap.data").joinpath("osm_tags.csv").read_text("utf-8"))


def _has(tags: pd.DataFrame, key: str, value: str) -> np.ndarray:
    if key not in tags.columns:
        return np.zeros(len(tags), dtype=bool)
    return tags[key].eq(value).to_numpy(dtype=bool, na_value=False)


def match_rules(tags: pd.DataFrame, rules: Sequence[TagRule] | None = None) -> list[TagRule | None]:
    """The rule each feature takes: one column per OSM key, one row per feature.

    ``rules`` must be ordered most specific first, as :func:`tag_rules` returns them; a
    feature takes the first rule whose key, value and every condition match exactly, or None.

    >>> [r.subcategory for r in match_rules(pd.DataFrame({"amenity": ["place_of_worship"],
    ...                                                     "religion": ["sikh"]}))]
    ['gurdwara']
    >>> match_rules(pd.DataFrame({"amenity": []}))
    []
    """
    rules = tag_rules() if rules is None else rules
    chosen = np.full(len(tags), -1)
    for i, rule in enumerate(rules):
        hit = _has(tags, rule.key, rule.value)
        for key, value in rule.conditions:
            hit = hit & _has(tags, key, value)
        chosen[(chosen < 0) & hit] = i
    return [rules[i] if i >= 0 else None for i in chosen]


def _check_file(path: Path) -> None:
    if not path.name.lower().endswith(".osm.pbf"):
        raise DataFileError(str(path), "expected an OpenStreetMap extract named *.osm.pbf")
    if path.is_file() and path.stat().st_size == 0:
        raise DataFileError(str(path), "empty file (0 bytes), not an OpenStreetMap extract")
    try:
        readers.sniff(path)
    except DataFileError:
        if not path.is_file() or path.stat().st_size > readers.MAX_BYTES:
            raise
        raise DataFileError(
            str(path), "corrupt, or not an OpenStreetMap .osm.pbf: it does not start with an OSMHeader block"
        ) from None


def _read_features(path: Path, rules: Sequence[TagRule]) -> gpd.GeoDataFrame:
    wanted: dict[str, set[str]] = {}
    for rule in rules:
        wanted.setdefault(rule.key, set()).add(rule.value)
    columns = sorted({key for rule in rules for key, _ in rule.conditions} | set(_OTHER_TAGS))
    try:
        with warnings.catch_warnings():  # pyrosm warns, then returns None, when nothing matches
            warnings.simplefilter("ignore", UserWarning)
            frame = pyrosm.OSM(str(path), keep_metadata=False, progress=False).get_data_by_custom_criteria(
                custom_filter={key: sorted(values) for key, values in wanted.items()},
                tags_as_columns=columns,
                keep_other_tags=False,
            )
    except (PBFException, DecodeError):
        raise DataFileError(
            str(path), "corrupt or truncated .osm.pbf: its data blocks cannot be decoded"
        ) from None
    if frame is None or frame.empty:
        raise DataFileError(
            str(path),
            "empty extract: no OpenStreetMap features with the tags in osm_tags.csv; is it the right area?",
        )
    return frame.sort_values(["osm_type", "id"], kind="stable").reset_index(drop=True)


def _unnamed(category: str, subcategory: str) -> str:
    label = taxonomy.categories()[category].subcategories[subcategory]
    return f"Unnamed {label if label[:2].isupper() else label[0].lower() + label[1:]}"


def asset_from_tags(tags: Mapping[str, Any], rule: TagRule, lon: float, lat: float, *, dataset: str) -> Asset:
    """The asset for one feature: its tags (plus ``osm_type`` and ``id``), the rule it took, its point."""
    assert rule.category is not None and rule.subcategory is not None, "a skip rule gives no asset"
    street = " ".join(tags[k] for k in _ADDRESS_TAGS[:2] if tags.get(k))
    postcode = (tags.get("addr:postcode") or "").strip()
    texts: dict[str, Any] = {f: (tags.get(k) or "").strip() for f, k in _TEXT_TAGS.items()}
    flags: dict[str, Any] = {f: _YES_NO.get(tags.get(k) or "") for f, k in _FLAG_TAGS.items()}
    return Asset(
        category=rule.category,
        subcategory=rule.subcategory,
        name=(tags.get("name") or "").strip() or _unnamed(rule.category, rule.subcategory),
        lon=lon,
        lat=lat,
        address=", ".join(filter(None, (street, tags.get("addr:city")))),
        postcode=normalise_postcode(postcode) or postcode,
        contact="; ".join(dict.fromkeys(tags[k] for k in _CONTACT_TAGS if tags.get(k))),
        free_to_use={"no": True, "yes": False}.get(tags.get("fee") or ""),
        source_dataset=dataset,
        source_id=f"osm:{tags['osm_type']}/{tags['id']}",
        licence=LICENCE,
        **texts,
        **flags,
    ).validated()


def read_osm_assets(
    path: Path, *, dataset: str | None = None, bounds: geo.Bounds = geo.UK
) -> tuple[list[tuple[int, Asset]], Counter[str]]:
    """Assets from an ``.osm.pbf`` extract, numbered by feature, and the skipped features by reason.

    Features are numbered from 1 in (type, id) order. ``dataset`` defaults to ``openstreetmap``,
    the same for every extract, so a newer extract updates the assets of an older one.

    Raises
    ------
    DataFileError
        Naming the file, when it is empty, corrupt or truncated, holds no feature with a mapped
        key=value, or has a point outside ``bounds``.
    """
    path = Path(path)
    _check_file(path)
    rules = tag_rules()
    frame = _read_features(path, rules)
    points = shapely.point_on_surface(shapely.make_valid(frame.geometry.to_numpy()))
    lon, lat = shapely.get_x(points), shapely.get_y(points)
    tags = frame.drop(columns=frame.geometry.name).astype(object)
    records = tags.where(tags.notna(), None).to_dict("records")
    dataset = dataset or DEFAULT_DATASET
    numbered: list[tuple[int, Asset]] = []
    skipped: Counter[str] = Counter()
    found = zip(match_rules(tags, rules), records, lon, lat, strict=True)
    for number, (rule, record, x, y) in enumerate(found, start=1):
        if rule is None:
            skipped[NO_MAPPING] += 1
        elif rule.skip_reason:
            skipped[rule.skip_reason] += 1
        elif not (np.isfinite(x) and np.isfinite(y)):
            skipped[NO_GEOMETRY] += 1
        else:
            numbered.append((number, asset_from_tags(record, rule, float(x), float(y), dataset=dataset)))
    kept = [asset for _, asset in numbered]
    problems = geo.check_points(
        np.array([a.lon for a in kept]), np.array([a.lat for a in kept]), bounds=bounds
    )
    if problems:
        index, problem = problems[0]
        number, asset = numbered[index]
        raise DataFileError(str(path), f"{asset.source_id}: {problem}", row=number)
    return numbered, skipped


def import_osm(
    store: Store,
    path: Path,
    *,
    dataset: str | None = None,
    actor: str = "import",
    bounds: geo.Bounds = geo.UK,
) -> ImportSummary:
    """Import the assets of an ``.osm.pbf`` extract in one atomic write (see :func:`read_osm_assets`).

    Re-importing updates assets by their OSM id and never duplicates them; assets of features
    no longer in the extract are left as they are.
    """
    numbered, skipped = read_osm_assets(path, dataset=dataset, bounds=bounds)
    return write_assets(store, Path(path), numbered, skipped, actor=actor, bounds=bounds)
