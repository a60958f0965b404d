"""What a planner request may ask for, checked when it is built, with defaults from the app config.

:class:`PilotParams` describes a pilot selection, :class:`SiteParams` a "best k new sites" search.
Both refuse a bad value with :class:`~assetmap.errors.InvalidInput` naming the parameter and the
allowed range, so the web layer can pass request values straight in. ``from_config`` fills what the
request leaves out from the ``PLANNER_*`` keys of :mod:`assetmap.config`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assetmap import taxonomy
from assetmap.errors import ConfigError, InvalidInput

MAX_PILOTS = 10
MAX_SITES = 10
MAX_ALTERNATIVES = 10
MAX_SEPARATION_M = 20_000.0
MAX_REACH_M = 10_000.0
MAX_TIME_LIMIT_S = 600.0
LEVELS = ("area", "ward")
PROGRAMME_MODES = ("ignore", "exclude", "fixed")
SITE_CANDIDATES = ("buildings", "areas")


@dataclass(frozen=True)
class PilotParams:
    """A pilot selection request.

    Attributes
    ----------
    k
        New pilots to choose, 1 to 10 (programme wards kept as fixed pilots come on top).
    level
        ``"area"`` (small areas) or ``"ward"``.
    min_separation_m
        No two pilots closer than this, in metres between their centres (0 to 20,000).
    no_adjacent
        Also refuse two pilots whose polygons touch.
    programme_mode
        What to do with the wards where Connectors already work: ``"ignore"`` them, ``"exclude"``
        them (neither chosen nor counted) or keep them as ``"fixed"`` pilots.
    alternatives
        Further portfolios to offer after the best one, 0 to 10.
    reach_m
        A small-area pilot reaches the areas whose population-weighted points are within this
        straight-line distance of its own (up to 10,000 m); a ward pilot reaches its own areas.
    time_limit_s
        Time the solver may spend on each portfolio (up to 600 s).
    """

    k: int = 5
    level: str = "area"
    min_separation_m: float = 0.0
    no_adjacent: bool = False
    programme_mode: str = "ignore"
    alternatives: int = 3
    reach_m: float = 1000.0
    time_limit_s: float = 10.0

    def __post_init__(self) -> None:
        _whole("k", self.k, 1, MAX_PILOTS)
        _choice("level", self.level, LEVELS)
        _number("min_separation_m", self.min_separation_m, 0.0, MAX_SEPARATION_M, unit="metres")
        if not isinstance(self.no_adjacent, bool):
            raise InvalidInput(f"no_adjacent: expected true or false, got {self.no_adjacent!r}")
        _choice("programme_mode", self.programme_mode, PROGRAMME_MODES)
        _whole("alternatives", self.alternatives, 0, MAX_ALTERNATIVES)
        _number("reach_m", self.reach_m, 0.0, MAX_REACH_M, unit="metres", open_low=True)
        _number("time_limit_s", self.time_limit_s, 0.0, MAX_TIME_LIMIT_S, unit="seconds", open_low=True)

    @classmethod
    def from_config(cls, config: Mapping[str, Any], **request: Any) -> PilotParams:
        """Reach, time limit and number of alternatives from the config, the rest from ``request``."""
        values: dict[str, Any] = {
            "reach_m": config["PLANNER_REACH_M"],
            "time_limit_s": config["PLANNER_TIME_LIMIT_S"],
            "alternatives": config["PLANNER_ALTERNATIVES"],
        }
        values.update(request)
        return cls(**values)


@dataclass(frozen=True)
class SiteParams:
    """A "suggest the best k new sites" request.

    Attributes
    ----------
    category
        The kind of asset to place (a taxonomy category counted by coverage).
    k
        Sites to suggest, 1 to 10.
    candidates
        ``"buildings"`` (existing assets of ``building_categories``) or ``"areas"`` (small areas'
        population-weighted points).
    building_categories
        Categories whose assets count as community buildings (config ``PLANNER_SITE_CATEGORIES``).
    time_limit_s
        Time the solver may spend (up to 600 s).
    """

    category: str
    k: int = 3
    candidates: str = "buildings"
    building_categories: tuple[str, ...] = ()
    time_limit_s: float = 10.0

    def __post_init__(self) -> None:
        _asset_category("category", self.category)
        _whole("k", self.k, 1, MAX_SITES)
        _choice("candidates", self.candidates, SITE_CANDIDATES)
        if not isinstance(self.building_categories, list | tuple):
            raise InvalidInput(
                f"building_categories: expected a list of categories, got {self.building_categories!r}"
            )
        object.__setattr__(self, "building_categories", tuple(self.building_categories))  # hashable
        for category in self.building_categories:
            _asset_category("building_categories", category)
        if self.candidates == "buildings" and not self.building_categories:
            raise InvalidInput("building_categories: at least one category is needed to suggest buildings")
        _number("time_limit_s", self.time_limit_s, 0.0, MAX_TIME_LIMIT_S, unit="seconds", open_low=True)

    @classmethod
    def from_config(cls, config: Mapping[str, Any], **request: Any) -> SiteParams:
        """Building categories and time limit from the config, the rest from ``request``."""
        values: dict[str, Any] = {
            "building_categories": tuple(config["PLANNER_SITE_CATEGORIES"]),
            "time_limit_s": config["PLANNER_TIME_LIMIT_S"],
        }
        values.update(request)
        return cls(**values)


_CONFIG_KEYS = {
    "reach_m": "PLANNER_REACH_M",
    "time_limit_s": "PLANNER_TIME_LIMIT_S",
    "alternatives": "PLANNER_ALTERNATIVES",
    "building_categories": "PLANNER_SITE_CATEGORIES",
}


def check_config(config: Mapping[str, Any]) -> None:
    """Raise :class:`~assetmap.errors.ConfigError` naming the ``PLANNER_*`` key that is unusable.

    >>> check_config({"PLANNER_REACH_M": -1, "PLANNER_TIME_LIMIT_S": 10, "PLANNER_ALTERNATIVES": 3,
    ...               "PLANNER_SITE_CATEGORIES": ["library"]})
    Traceback (most recent call last):
    ...
    assetmap.errors.ConfigError: PLANNER_REACH_M: expected a number of metres more than 0 to 10000, got -1
    """
    try:
        PilotParams.from_config(config)
        SiteParams.from_config(config, category=taxonomy.asset_categories()[0])
    except InvalidInput as exc:
        field, _, problem = exc.message.partition(": ")
        raise ConfigError(f"{_CONFIG_KEYS.get(field, field)}: {problem}") from None


def _whole(name: str, value: Any, low: int, high: int) -> None:
    """``value`` is an int (not a bool) from ``low`` to ``high``.

    >>> _whole("k", 11, 1, 10)
    Traceback (most recent call last):
    ...
    assetmap.errors.InvalidInput: k: expected a whole number from 1 to 10, got 11
    """
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"{name}: expected a whole number from {low} to {high}, got {value!r}")


def _number(name: str, value: Any, low: float, high: float, *, unit: str, open_low: bool = False) -> None:
    """``value`` is a finite number in ``[low, high]`` (``(low, high]`` with ``open_low``)."""
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = (low < value if open_low else low <= value) and value <= high
    if not ok:
        above = f"more than {low:g}" if open_low else f"from {low:g}"
        raise InvalidInput(f"{name}: expected a number of {unit} {above} to {high:g}, got {value!r}")


def _choice(name: str, value: Any, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise InvalidInput(f"{name}: expected one of {', '.join(allowed)}, got {value!r}")


def _asset_category(name: str, value: Any) -> None:
    counted = taxonomy.asset_categories()
    if value not in counted:
        raise InvalidInput(
            f"{name}: expected a category counted by coverage ({', '.join(counted)}), got {value!r}"
        )
