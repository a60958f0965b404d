"""Summaries of a coverage result for pages and printed reports: a ward's figures against the city,
its assets by category, its most under-served small areas, and the city-wide rankings.

Pure functions over a :class:`~assetmap.coverage.CoverageResult` and lists of
:class:`~assetmap.models.Asset`: no I/O, no Flask. The web layer (``assetmap.web.wardview`` and
``assetmap.web.reports``) fetches the inputs and renders what these return; the numbers themselves
are defined in ``docs/coverage.md``.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from assetmap import taxonomy
from assetmap.coverage import CoverageParams, CoverageResult
from assetmap.coverage.need import FACTOR_LABELS
from assetmap.coverage.params import NEED_FACTORS
from assetmap.errors import NotFound
from assetmap.models import Asset, Status

CONTRIBUTION_FACTORS = (*NEED_FACTORS, "distance", "catchment")

# The published data behind every figure other than the assets (which carry their own licence).
SOURCES = (
    (
        "Ward boundaries",
        "ONS, Wards (December 2019) Boundaries EW BGC",
        "Open Government Licence v3.0; contains OS data © Crown copyright and database right 2019",
    ),
    (
        "Small areas (LSOA 2011) and population-weighted centroids",
        "ONS, LSOA (December 2011) boundaries and population-weighted centroids",
        "Open Government Licence v3.0; contains OS data © Crown copyright and database right",
    ),
    (
        "Residents by age",
        "ONS, LSOA population estimates by single year of age, mid-2020",
        "Open Government Licence v3.0",
    ),
    (
        "Deprivation (IMD and IDAOPI)",
        "MHCLG, English Indices of Deprivation 2019",
        "Open Government Licence v3.0",
    ),
    (
        "Modelled loneliness",
        "British Red Cross loneliness model from the DCMS Community Life Survey 2020/21 and "
        "ONS 2011 Area Classification (a synthetic estimate for all adults, not only the over-50s)",
        "MIT (model); underlying data Open Government Licence v3.0",
    ),
)


@dataclass(frozen=True)
class Figure:
    """One headline figure: the ward's value beside the city's.

    ``kind`` says how to read and format the numbers: ``people``, ``count``, ``rate`` (per 1,000
    aged 50+), ``share`` (0-1), ``minutes`` or ``score`` (0-1). ``city_basis`` says what the city
    value is: ``average ward`` (counts) or ``whole city`` (rates, shares and means over residents).
    """

    key: str
    label: str
    kind: str
    ward: float | None
    city: float | None
    city_basis: str

    @property
    def ward_text(self) -> str:
        return format_value(self.ward, self.kind)

    @property
    def city_text(self) -> str:
        return format_value(self.city, self.kind)


@dataclass(frozen=True)
class CategoryRow:
    """Assets of one category in a ward (only those that count), with the city for comparison."""

    category: str
    label: str
    count: int
    per_1000: float | None
    city_per_1000: float | None
    share_within: float | None  # of the ward's residents aged 50+ within reach of one


@dataclass(frozen=True)
class AreaRow:
    """One small area with its gap score and the reasons for it."""

    code: str
    name: str
    ward_code: str
    ward_name: str
    residents_50plus: float | None
    need_index: float | None
    walk_min_any: float | None  # None when there is no asset at all
    n_within_any: int
    gap_score: float | None
    gap_rank: int | None
    why: str
    contributions: dict[str, float | None]


@dataclass(frozen=True)
class AssetRow:
    """One asset as listed in a ward's table."""

    id: str | None
    name: str
    category: str
    category_label: str
    subcategory_label: str
    status: str
    last_verified: date | None
    licence: str
    source_dataset: str
    licence_key: str = ""  # the licence's key in WardSummary.licences ("L1", ...)


@dataclass(frozen=True)
class LicenceNote:
    """A licence carried by some of the listed assets, keyed so a table can refer to it briefly."""

    key: str
    text: str
    count: int


@dataclass(frozen=True)
class WardSummary:
    """Everything the ward page and the ward pack show, ready to render."""

    code: str
    name: str
    minutes: float
    n_wards: int
    n_areas: int  # the ward's small areas
    n_city_areas: int
    gap_rank: int | None
    why: str
    figures: tuple[Figure, ...]
    categories: tuple[CategoryRow, ...]
    underserved: tuple[AreaRow, ...]
    assets: tuple[AssetRow, ...]
    licences: tuple[LicenceNote, ...]  # the listed assets' licences, most common first
    data_as_of: date | None  # newest change to the listed assets' records
    verified: tuple[date, date] | None  # oldest and newest last verification among them
    generated: date
    speed_mps: float
    detour_factor: float
    sources: tuple[tuple[str, str, str], ...] = SOURCES


def format_value(value: float | None, kind: str) -> str:
    """A figure as text for its ``kind``; "–" when missing or not finite.

    >>> format_value(0.914, "share"), format_value(12345.4, "people"), format_value(None, "rate")
    ('91%', '12,345', '–')
    """
    if value is None or not math.isfinite(value):
        return "–"
    formats = {
        "people": "{:,.0f}",
        "count": "{:,.0f}",
        "rate": "{:.1f}",
        "minutes": "{:.1f}",
        "score": "{:.2f}",
        "share": "{:.0%}",
    }
    return formats[kind].format(value)


def _num(value: Any) -> float | None:
    """A frame cell as a float, or None when missing or infinite."""
    if value is None or value is pd.NA:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _rank(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _weighted_mean(values: pd.Series, weights: pd.Series) -> float | None:
    """Mean of the finite values weighted by ``weights`` (missing weight = 0); None when no weight."""
    v = values.astype(float).replace([np.inf, -np.inf], np.nan)
    w = weights.astype(float).fillna(0.0).where(v.notna(), 0.0)
    total = float(w.sum())
    return float((v.fillna(0.0) * w).sum() / total) if total > 0 else None


def city_figures(result: CoverageResult) -> dict[str, float | None]:
    """The city's value of each headline figure, defined as the ward values are.

    Counts are the average ward; rates, shares and means are over all residents aged 50+.
    """
    wards, areas = result.wards, result.areas
    pop = areas["residents_50plus"].fillna(0.0)
    total = float(pop.sum())
    reached = float(pop.where(areas["n_within_any"] > 0, 0.0).sum())
    return {
        "residents_50plus": _num(wards["residents_50plus"].mean()) if len(wards) else None,
        "n_assets": _num(wards["n_assets"].mean()) if len(wards) else None,
        "assets_per_1000_50plus": float(wards["n_assets"].sum()) * 1000 / total if total > 0 else None,
        "share_50plus_within_any": reached / total if total > 0 else None,
        "walk_min_any": _weighted_mean(areas["walk_min_any"], pop),
        "need_index": _weighted_mean(areas["need_index"], pop),
        "gap_score": _weighted_mean(areas["gap_score"], pop),
    }


def headline_figures(result: CoverageResult, code: str, *, minutes: float) -> tuple[Figure, ...]:
    """The ward's headline figures beside the city's (see :func:`city_figures`)."""
    ward = _ward_row(result, code)
    city = city_figures(result)
    within = f"Aged 50+ within {minutes:g} minutes' walk of an asset"
    rows = (
        ("residents_50plus", "Residents aged 50+", "people", "average ward"),
        ("n_assets", "Assets that count", "count", "average ward"),
        ("assets_per_1000_50plus", "Assets per 1,000 aged 50+", "rate", "whole city"),
        ("share_50plus_within_any", within, "share", "whole city"),
        ("walk_min_any", "Mean walk to the nearest asset (minutes)", "minutes", "whole city"),
        ("need_index", "Need index (0-1, higher = more need)", "score", "whole city"),
        ("gap_score", "Gap score (0-1, higher = more under-served)", "score", "whole city"),
    )
    return tuple(
        Figure(key, label, kind, _num(ward[key]), city[key], basis) for key, label, kind, basis in rows
    )


def category_rows(result: CoverageResult, code: str) -> tuple[CategoryRow, ...]:
    """The ward's counted assets per measured category, in taxonomy order, with the city's rate."""
    ward = _ward_row(result, code)
    labels = taxonomy.categories()
    city_pop = float(result.wards["residents_50plus"].sum())
    rows = []
    for c in result.categories:
        city_count = float(result.wards[f"n_assets_{c}"].sum())
        rows.append(
            CategoryRow(
                category=c,
                label=labels[c].label if c in labels else c,
                count=int(ward[f"n_assets_{c}"]),
                per_1000=_num(ward[f"assets_per_1000_50plus_{c}"]),
                city_per_1000=city_count * 1000 / city_pop if city_pop > 0 else None,
                share_within=_num(ward[f"share_50plus_within_{c}"]),
            )
        )
    return tuple(rows)


def ranked_areas(result: CoverageResult) -> pd.DataFrame:
    """Every small area, most under-served first, with its ward's name and every explanation column.

    Areas without a gap score come last; ties are broken by code. The same frame feeds the page and
    the CSV download, so the two always agree.
    """
    names = result.wards.set_index("code")["name"]
    areas = pd.DataFrame(result.areas.drop(columns="geometry"))
    areas.insert(3, "ward_name", areas["ward_code"].map(names))
    columns = [
        "gap_rank",
        "code",
        "name",
        "ward_code",
        "ward_name",
        "residents_50plus",
        "gap_score",
        "why",
        "need_index",
        *(f"s_{f}" for f in NEED_FACTORS),
        "walk_min_any",
        "n_within_any",
        "fca_per_1000",
        "deficit_distance",
        "deficit_catchment",
        *(f"c_{f}" for f in CONTRIBUTION_FACTORS),
    ]
    return _most_underserved_first(areas, columns)


def ranked_wards(result: CoverageResult) -> pd.DataFrame:
    """Every ward, most under-served first, with its figures and explanation columns."""
    wards = pd.DataFrame(result.wards.drop(columns="geometry"))
    columns = [
        "gap_rank",
        "code",
        "name",
        "residents_50plus",
        "n_assets",
        "share_50plus_within_any",
        "walk_min_any",
        "need_index",
        "gap_score",
        "why",
        *(f"c_{f}" for f in CONTRIBUTION_FACTORS),
    ]
    return _most_underserved_first(wards, columns)


def _most_underserved_first(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``columns`` of ``frame`` by gap score, largest first (ties by code, missing scores last)."""
    ordered = frame.sort_values(["gap_score", "code"], ascending=[False, True], na_position="last")
    return ordered[columns].reset_index(drop=True)


def plain_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python values; missing and infinite numbers become None.

    >>> plain_records(pd.DataFrame({"a": [1.5, float("inf")], "b": pd.array([1, None], dtype="Int64")}))
    [{'a': 1.5, 'b': 1}, {'a': None, 'b': None}]
    """
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def area_rows(frame: pd.DataFrame) -> tuple[AreaRow, ...]:
    """Rows of :func:`ranked_areas` (or a slice of it) as :class:`AreaRow`."""
    return tuple(
        AreaRow(
            code=str(r["code"]),
            name=str(r["name"]),
            ward_code=str(r["ward_code"]),
            ward_name="" if pd.isna(r["ward_name"]) else str(r["ward_name"]),
            residents_50plus=_num(r["residents_50plus"]),
            need_index=_num(r["need_index"]),
            walk_min_any=_num(r["walk_min_any"]),
            n_within_any=int(r["n_within_any"]),
            gap_score=_num(r["gap_score"]),
            gap_rank=_rank(r["gap_rank"]),
            why=str(r["why"]),
            contributions={f: _num(r[f"c_{f}"]) for f in CONTRIBUTION_FACTORS},
        )
        for r in frame.to_dict("records")
    )


def underserved_areas(result: CoverageResult, code: str, *, top: int = 5) -> tuple[AreaRow, ...]:
    """The ward's ``top`` small areas with the largest gap scores (ranks are city-wide)."""
    _ward_row(result, code)
    ranked = ranked_areas(result)
    mine = ranked[(ranked["ward_code"] == code) & ranked["gap_score"].notna()]
    return area_rows(mine.head(top))


def asset_rows(assets: Iterable[Asset], *, layers: Sequence[str] = ("asset",)) -> tuple[AssetRow, ...]:
    """Assets as table rows, in taxonomy order then by name; merged duplicates and other layers left out."""
    cats = taxonomy.categories()
    order = {c: i for i, c in enumerate(cats)}
    keep = [a for a in assets if a.category in cats and cats[a.category].layer in layers]
    keep = [a for a in keep if a.status != Status.MERGED]
    keep.sort(key=lambda a: (order[a.category], a.name.casefold(), a.id or ""))
    return tuple(
        AssetRow(
            id=a.id,
            name=a.name,
            category=a.category,
            category_label=cats[a.category].label,
            subcategory_label=cats[a.category].subcategories.get(a.subcategory or "", a.subcategory or ""),
            status=str(a.status),
            last_verified=a.last_verified_at.date() if a.last_verified_at else None,
            licence=a.licence,
            source_dataset=a.source_dataset,
        )
        for a in keep
    )


def _licence_text(row: AssetRow) -> str:
    return row.licence.strip() or "not recorded"


def licence_notes(rows: Sequence[AssetRow]) -> tuple[tuple[AssetRow, ...], tuple[LicenceNote, ...]]:
    """Key the licences among ``rows`` L1, L2, ... (most common first, then by text).

    Returns the rows with ``licence_key`` set, and the notes; a blank licence is "not recorded".

    >>> licence_notes([])
    ((), ())
    """
    counts = Counter(_licence_text(r) for r in rows)
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    notes = tuple(LicenceNote(f"L{i}", text, n) for i, (text, n) in enumerate(ordered, start=1))
    keys = {n.text: n.key for n in notes}
    return tuple(dataclasses.replace(r, licence_key=keys[_licence_text(r)]) for r in rows), notes


def data_as_of(assets: Iterable[Asset]) -> date | None:
    """The newest change (creation or update) to ``assets``' records; None when there is none.

    >>> data_as_of([]) is None
    True
    """
    stamps = [t for a in assets for t in (a.updated_at, a.created_at) if t is not None]
    return max(stamps).date() if stamps else None


def verified_range(rows: Iterable[AssetRow]) -> tuple[date, date] | None:
    """The oldest and newest last verification among ``rows``; None when none was ever verified.

    >>> verified_range([]) is None
    True
    """
    days = [r.last_verified for r in rows if r.last_verified is not None]
    return (min(days), max(days)) if days else None


def ward_summary(
    result: CoverageResult,
    code: str,
    *,
    assets: Sequence[Asset],
    params: CoverageParams,
    generated: date,
    top: int = 5,
) -> WardSummary:
    """Everything the ward page and pack show for ward ``code``.

    Parameters
    ----------
    result
        City-wide coverage (every ward and area, so the city figures and ranks are city-wide).
    code
        The ward's code.
    assets
        The ward's assets, any status; merged duplicates and context layers are left out of the list.
    params
        The walking model and weights ``result`` was computed with.
    generated
        The date to print as the date of the report.
    top
        How many under-served small areas to list.

    Raises
    ------
    NotFound
        When ``result`` has no ward ``code``.
    """
    ward = _ward_row(result, code)
    listed, licences = licence_notes(asset_rows(assets))
    return WardSummary(
        code=code,
        name=str(ward["name"]),
        minutes=params.minutes,
        n_wards=len(result.wards),
        n_areas=int(ward["n_areas"]),
        n_city_areas=len(result.areas),
        gap_rank=_rank(ward["gap_rank"]),
        why=str(ward["why"]),
        figures=headline_figures(result, code, minutes=params.minutes),
        categories=category_rows(result, code),
        underserved=underserved_areas(result, code, top=top),
        assets=listed,
        licences=licences,
        data_as_of=data_as_of(a for a in assets if a.status != Status.MERGED),
        verified=verified_range(listed),
        generated=generated,
        speed_mps=params.speed_mps,
        detour_factor=params.detour_factor,
    )


def factor_label(factor: str) -> str:
    """The words for a contribution factor, as in the ``why`` texts."""
    return FACTOR_LABELS[factor]


def _ward_row(result: CoverageResult, code: str) -> dict[str, Any]:
    match = result.wards[result.wards["code"] == code]
    if match.empty:
        raise NotFound(f"There is no ward with code {code!r}.")
    row: dict[str, Any] = match.iloc[0].to_dict()
    return row
