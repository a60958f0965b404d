"""Walking model and weights (assetmap.coverage.params)."""

from __future__ import annotations

import pytest

from assetmap.config import DEFAULTS
from assetmap.coverage import CoverageParams
from assetmap.errors import InvalidInput


def test_defaults_reach_about_460_metres_in_ten_minutes():
    params = CoverageParams()
    # 10 min * 60 s * 1.0 m/s / 1.3 detour.
    assert params.radius_m == pytest.approx(6000 / 13)
    assert params.walk_minutes(params.radius_m) == pytest.approx(10.0)
    assert params.walk_minutes(600.0) == pytest.approx(13.0)


def test_from_config_takes_the_app_defaults_then_overrides():
    params = CoverageParams.from_config(DEFAULTS, minutes=15.0)
    assert (params.speed_mps, params.detour_factor, params.minutes) == (1.0, 1.3, 15.0)
    assert params.need_weights == DEFAULTS["NEED_WEIGHTS"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"speed_mps": 0}, "speed_mps must be a positive number, got 0"),
        ({"minutes": "10"}, "minutes must be a positive number, got '10'"),
        ({"detour_factor": -1.3}, "detour_factor must be a positive number, got -1.3"),
        (
            {"need_weights": {"income": 1.0}},
            "need_weights: unknown factor 'income'; expected idaopi, loneliness, imd, age75_share",
        ),
        ({"gap_weights": {"need": -1.0}}, "gap_weights: weights must be non-negative numbers"),
        (
            {"gap_weights": {"need": 0.0, "distance": 0.0}},
            "gap_weights: at least one weight must be positive",
        ),
    ],
)
def test_bad_params_are_refused_with_a_message(kwargs, message):
    with pytest.raises(InvalidInput) as info:
        CoverageParams(**kwargs)
    assert info.value.message == message
    assert info.value.status == 400
