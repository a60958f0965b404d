"""Query parameters of the API, parsed and checked in one place.

Each function takes the query string (``request.args``) and returns plain values, or raises
:class:`~assetmap.errors.InvalidInput` with a message that names the parameter. An empty value
counts as not given; list parameters take comma-separated values (or the parameter repeated).
Nothing here reads the store: whether a ward exists is the store's answer
(:class:`~assetmap.errors.NotFound`).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import MultiDict

from assetmap import taxonomy
from assetmap.coverage import CoverageParams
from assetmap.errors import InvalidInput
from assetmap.importers.boundaries import AREA_KINDS
from assetmap.models import Status
from assetmap.storage.base import AssetQuery, BBox
from assetmap.web.coverage import CoverageOptions

Args = MultiDict[str, str]

PER_PAGE_DEFAULT = 1000
PER_PAGE_MAX = 5000
MINUTES_MAX = 60.0
LIMIT_DEFAULT = 20
LIMIT_MAX = 1000
LEVELS = ("area", "ward")
COVERAGE_PARAMETERS = ("minutes", "category", "need_weights", "gap_weights", "kind")
WEIGHTS_EXAMPLE = {
    "need_weights": "idaopi:0.4,loneliness:0.3,imd:0.2,age75_share:0.1",
    "gap_weights": "need:0.5,distance:0.25,catchment:0.25",
}


@dataclass(frozen=True)
class Page:
    """One page of a listing: its 1-based number and size."""

    number: int
    size: int

    @property
    def offset(self) -> int:
        """How many items come before this page.

        >>> Page(3, 10).offset
        20
        """
        return (self.number - 1) * self.size


def only(args: Args, names: Collection[str]) -> None:
    """Raise :class:`InvalidInput` if ``args`` holds a parameter not in ``names``.

    >>> only(MultiDict({"page": "1"}), ["page"])
    >>> only(MultiDict({"pgae": "1"}), ["page", "per_page"])
    Traceback (most recent call last):
    ...
    assetmap.errors.InvalidInput: unknown parameter 'pgae'; expected page, per_page
    """
    unknown = [name for name in args if name not in names]
    if unknown:
        expected = f"expected {', '.join(names)}" if names else "this endpoint takes no parameters"
        raise InvalidInput(f"unknown parameter {_shown(unknown[0])}; {expected}")


def bbox(args: Args) -> BBox | None:
    """``bbox=min_lon,min_lat,max_lon,max_lat`` in WGS84 degrees, each minimum below its maximum.

    >>> bbox(MultiDict({"bbox": "-1.2,52.6,-1.1,52.7"}))
    (-1.2, 52.6, -1.1, 52.7)
    """
    raw = _one(args, "bbox")
    if raw is None:
        return None
    shape = "bbox must be four numbers: min_lon,min_lat,max_lon,max_lat"
    parts = raw.split(",")
    if len(parts) != 4:
        raise InvalidInput(f"{shape}; got {len(parts)} value{'s' if len(parts) != 1 else ''}")
    try:
        min_lon, min_lat, max_lon, max_lat = (float(p) for p in parts)
    except ValueError:
        raise InvalidInput(f"{shape}; got {_shown(raw)}") from None
    if not all(map(math.isfinite, (min_lon, min_lat, max_lon, max_lat))):
        raise InvalidInput(f"{shape}, all finite; got {_shown(raw)}")
    if not (
        -180 <= min_lon <= 180 and -180 <= max_lon <= 180 and -90 <= min_lat <= 90 and -90 <= max_lat <= 90
    ):
        raise InvalidInput("bbox: longitudes must lie in -180..180 and latitudes in -90..90")
    if min_lon >= max_lon or min_lat >= max_lat:
        raise InvalidInput("bbox: min_lon must be less than max_lon and min_lat less than max_lat")
    return min_lon, min_lat, max_lon, max_lat


def categories(args: Args, *, counted_only: bool = False) -> tuple[str, ...] | None:
    """``category=a,b``: taxonomy category ids, or only those coverage counts (layer ``asset``)."""
    names = _many(args, "category")
    if names is None:
        return None
    known = taxonomy.asset_categories() if counted_only else list(taxonomy.categories())
    for name in names:
        if name not in known:
            what = "a context layer, not counted by coverage" if name in taxonomy.categories() else "unknown"
            raise InvalidInput(f"category {_shown(name)} is {what}; expected one of {', '.join(known)}")
    return names


def statuses(args: Args) -> tuple[str, ...] | None:
    """``status=verified,stale``: asset statuses."""
    names = _many(args, "status")
    known = [s.value for s in Status]
    for name in names or ():
        if name not in known:
            raise InvalidInput(f"status {_shown(name)} is unknown; expected one of {', '.join(known)}")
    return names


def page(args: Args) -> Page:
    """``page`` (from 1, default 1) and ``per_page`` (1 to 5000, default 1000)."""
    return Page(
        whole(args, "page", default=1, least=1),
        whole(args, "per_page", default=PER_PAGE_DEFAULT, least=1, most=PER_PAGE_MAX),
    )


def asset_query(args: Args) -> tuple[AssetQuery, Page]:
    """The asset filters (``bbox``, ``ward``, ``category``, ``status``) and the page asked for."""
    where = page(args)
    query = AssetQuery(
        bbox=bbox(args),
        ward=ward(args),
        categories=categories(args),
        statuses=statuses(args),
        limit=where.size,
        offset=where.offset,
    )
    return query, where


def ward(args: Args) -> str | None:
    """``ward=CODE``: a ward code (the store says whether it exists)."""
    return _one(args, "ward")


def level(args: Args) -> str:
    """``level=area|ward`` (default ``area``)."""
    return _choice(args, "level", LEVELS, default="area")


def limit(args: Args) -> int:
    """``limit``: how many rows, 1 to 1000 (default 20)."""
    return whole(args, "limit", default=LIMIT_DEFAULT, least=1, most=LIMIT_MAX)


def coverage_options(args: Args, config: Mapping[str, Any]) -> CoverageOptions:
    """``minutes``, ``category``, ``need_weights``, ``gap_weights`` and ``kind`` over the app's config.

    Weights replace the configured ones as a whole: a factor left out weighs 0.
    """
    overrides = {
        name: value
        for name, value in (
            ("minutes", minutes(args)),
            ("need_weights", weights(args, "need_weights")),
            ("gap_weights", weights(args, "gap_weights")),
        )
        if value is not None
    }
    return CoverageOptions(
        CoverageParams.from_config(config, **overrides),
        categories(args, counted_only=True),
        _choice(args, "kind", tuple(AREA_KINDS), default="lsoa11"),
    )


def minutes(args: Args) -> float | None:
    """``minutes``: the walk that counts as within reach, more than 0 and at most 60."""
    raw = _one(args, "minutes")
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not 0 < value <= MINUTES_MAX:
        raise InvalidInput(f"minutes must be a number more than 0 and at most 60; got {_shown(raw)}")
    return value


def weights(args: Args, name: str) -> dict[str, float] | None:
    """``name=factor:weight,...`` as a dict; the factors are checked by ``CoverageParams``.

    >>> weights(MultiDict({"gap_weights": "need:1, distance:0.5"}), "gap_weights")
    {'need': 1.0, 'distance': 0.5}
    """
    raw = _one(args, name)
    if raw is None:
        return None
    out: dict[str, float] = {}
    for part in raw.split(","):
        factor, colon, number = (s.strip() for s in part.partition(":"))
        try:
            value = float(number) if factor and colon else math.nan
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise InvalidInput(
                f"{name} must be factor:weight pairs separated by commas, e.g. {WEIGHTS_EXAMPLE[name]}; "
                f"got {_shown(part)}"
            )
        if factor in out:
            raise InvalidInput(f"{name}: {_shown(factor)} is given twice")
        out[factor] = value
    return out


def _one(args: Args, name: str) -> str | None:
    values = [v.strip() for v in args.getlist(name)]
    if len(values) > 1:
        raise InvalidInput(f"{name} may be given once, not {len(values)} times")
    return values[0] if values and values[0] else None


def _many(args: Args, name: str) -> tuple[str, ...] | None:
    parts = (p.strip() for value in args.getlist(name) for p in value.split(","))
    unique = tuple(dict.fromkeys(p for p in parts if p))
    return unique or None


def whole(args: Args, name: str, *, default: int, least: int, most: int | None = None) -> int:
    """The argument ``name`` as a whole number (ASCII digits only) from ``least`` to ``most``, or
    ``default`` when absent; :class:`InvalidInput` otherwise."""
    raw = _one(args, name)
    if raw is None:
        return default
    try:
        value = int(raw) if raw.isascii() and raw.isdigit() else None
    except ValueError:  # more digits than Python will convert
        value = None
    if value is None or value < least or (most is not None and value > most):
        bounds = f"from {least} to {most}" if most is not None else f"of {least} or more"
        raise InvalidInput(f"{name} must be a whole number {bounds}; got {_shown(raw)}")
    return value


MAX_REASON = 500  # characters of the reason an officer may give for a decision or a removal


def reason(form: Mapping[str, str]) -> str:
    """The form's optional ``reason``, its white space collapsed ("" for none); :class:`InvalidInput`
    when it is longer than :data:`MAX_REASON` characters."""
    text = " ".join((form.get("reason") or "").split())
    if len(text) > MAX_REASON:
        raise InvalidInput(f"reason: too long (at most {MAX_REASON} characters)")
    return text


def uuid4(raw: Any, name: str) -> str:
    """``raw`` as a canonical UUID v4 string (an id the page or phone made); :class:`InvalidInput`
    naming ``name`` for anything else."""
    try:
        value = uuid.UUID(raw) if isinstance(raw, str) else None
    except ValueError:
        value = None
    if value is None or value.version != 4:  # noqa: PLR2004 - UUID version 4
        raise InvalidInput(f"{name}: expected a UUID v4 string made by the page")
    return str(value)


def _choice(args: Args, name: str, choices: tuple[str, ...], *, default: str) -> str:
    raw = _one(args, name)
    if raw is None:
        return default
    if raw not in choices:
        raise InvalidInput(f"{name} must be one of {', '.join(choices)}; got {_shown(raw)}")
    return raw


def _shown(raw: str, *, width: int = 40) -> str:
    """``raw`` quoted for a message, cut short when long.

    >>> _shown("x" * 50)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'"
    """
    return repr(raw if len(raw) <= width else raw[:width] + "...")
