"""The asset taxonomy and the source-to-taxonomy mapping, both kept as data files.

``data/taxonomy.json`` lists categories and subcategories (and whether a category is an asset
counted by coverage or a context layer such as bus stops). ``data/source_mapping.csv`` says how
each public register's own kind/subkind becomes a category/subcategory, or why its rows are
skipped. Code elsewhere never spells out category names.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from assetmap.errors import InvalidInput


@dataclass(frozen=True)
class Category:
    id: str
    label: str
    layer: str
    subcategories: dict[str, str]


@dataclass(frozen=True)
class Mapping:
    """Where one source kind/subkind goes: a category/subcategory, or a reason to skip."""

    category: str | None
    subcategory: str | None
    skip_reason: str | None


@cache
def categories() -> dict[str, Category]:
    """All categories by id, in taxonomy order."""
    raw = json.loads(resources.files("assetmap.data").joinpath("taxonomy.json").read_text("utf-8"))
    return {
        c["id"]: Category(c["id"], c["label"], c["layer"], dict(c["subcategories"]))
        for c in raw["categories"]
    }


def asset_categories() -> list[str]:
    """Ids of the categories counted by coverage (layer ``asset``)."""
    return [c.id for c in categories().values() if c.layer == "asset"]


def check(category: str, subcategory: str | None = None) -> tuple[str, str]:
    """Validate a category/subcategory pair, returning it with the default subcategory filled in.

    Raises
    ------
    InvalidInput
        If the category is unknown, or the subcategory is not one of the category's.
    """
    cats = categories()
    if category not in cats:
        raise InvalidInput(f"unknown category {category!r}; expected one of {', '.join(cats)}")
    subs = cats[category].subcategories
    sub = subcategory or next(iter(subs))
    if sub not in subs:
        raise InvalidInput(
            f"unknown subcategory {sub!r} for category {category!r}; expected one of {', '.join(subs)}"
        )
    return category, sub


@cache
def source_mapping() -> dict[tuple[str, str, str], Mapping]:
    """The source mapping keyed by ``(dataset, kind, subkind)``; every target is checked."""
    text = resources.files("assetmap.data").joinpath("source_mapping.csv").read_text("utf-8")
    table: dict[tuple[str, str, str], Mapping] = {}
    for row in csv.DictReader(text.splitlines()):
        skip = row["skip_reason"] or None
        if skip is None:
            check(row["category"], row["subcategory"])
        table[(row["dataset"], row["kind"], row["subkind"])] = Mapping(
            row["category"] or None, row["subcategory"] or None, skip
        )
    return table
