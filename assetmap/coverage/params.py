"""Tunable numbers of the coverage engine, with the defaults the commissioners agreed to start from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from assetmap.errors import InvalidInput

NEED_FACTORS = ("idaopi", "loneliness", "imd", "age75_share")
GAP_PARTS = ("need", "distance", "catchment")


def _default_need() -> dict[str, float]:
    return {"idaopi": 0.35, "loneliness": 0.25, "imd": 0.25, "age75_share": 0.15}


def _default_gap() -> dict[str, float]:
    return {"need": 0.5, "distance": 0.25, "catchment": 0.25}


@dataclass(frozen=True)
class CoverageParams:
    """Walking model and weights.

    Attributes
    ----------
    speed_mps
        Older-adult walking speed in metres per second (default 1.0).
    detour_factor
        Network distance ÷ straight-line distance, used until a walk network exists (default 1.3).
    minutes
        The walk that counts as "within reach" (default 10).
    need_weights
        Weight of each need factor (``idaopi``, ``loneliness``, ``imd``, ``age75_share``).
    gap_weights
        Weight of need, distance deficit and catchment deficit in the gap score.
    """

    speed_mps: float = 1.0
    detour_factor: float = 1.3
    minutes: float = 10.0
    need_weights: Mapping[str, float] = field(default_factory=_default_need)
    gap_weights: Mapping[str, float] = field(default_factory=_default_gap)

    def __post_init__(self) -> None:
        for name in ("speed_mps", "detour_factor", "minutes"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not value > 0:
                raise InvalidInput(f"{name} must be a positive number, got {value!r}")
        _check_weights("need_weights", self.need_weights, NEED_FACTORS)
        _check_weights("gap_weights", self.gap_weights, GAP_PARTS)

    @property
    def radius_m(self) -> float:
        """Straight-line radius reached in ``minutes`` at ``speed_mps`` with the detour factor."""
        return self.minutes * 60.0 * self.speed_mps / self.detour_factor

    @property
    def reach_m(self) -> float:
        """The straight-line distance that counts as within reach: ``radius_m`` and a relative 1e-9 more.

        The hair keeps an asset exactly ``minutes`` away in reach despite float rounding (lon/lat to
        metres, and ``walk_minutes(radius_m)`` can come out a hair above ``minutes``). Counts and
        2SFCA both use this one test, on metres.
        """
        return self.radius_m * (1 + 1e-9)

    def walk_minutes(self, metres: Any) -> Any:
        """Walking minutes for straight-line metres (scalar or array)."""
        return metres * self.detour_factor / self.speed_mps / 60.0

    @classmethod
    def from_config(cls, config: Mapping[str, Any], **overrides: Any) -> CoverageParams:
        """Build from the app config dict (keys ``WALK_SPEED_MPS`` etc.), then ``overrides``."""
        values: dict[str, Any] = {
            "speed_mps": config["WALK_SPEED_MPS"],
            "detour_factor": config["DETOUR_FACTOR"],
            "minutes": config["WALK_MINUTES"],
            "need_weights": dict(config["NEED_WEIGHTS"]),
            "gap_weights": dict(config["GAP_WEIGHTS"]),
        }
        values.update(overrides)
        return cls(**values)


def _check_weights(name: str, weights: Mapping[str, float], allowed: tuple[str, ...]) -> None:
    unknown = set(weights) - set(allowed)
    if unknown:
        raise InvalidInput(f"{name}: unknown factor {sorted(unknown)[0]!r}; expected {', '.join(allowed)}")
    if any(not isinstance(w, int | float) or w < 0 for w in weights.values()):
        raise InvalidInput(f"{name}: weights must be non-negative numbers")
    if sum(weights.values()) <= 0:
        raise InvalidInput(f"{name}: at least one weight must be positive")
