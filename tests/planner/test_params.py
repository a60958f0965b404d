"""Planner settings from the app config (assetmap.planner.params)."""

from __future__ import annotations

import pytest

from assetmap.config import DEFAULTS, load_config
from assetmap.errors import ConfigError
from assetmap.planner import PilotParams, SiteParams
from assetmap.planner.params import check_config


def test_defaults_come_from_the_config(tmp_path):
    config = load_config(environ={}, instance_path=tmp_path / "none.json")
    pilots = PilotParams.from_config(config, k=4)
    assert (pilots.k, pilots.reach_m, pilots.time_limit_s, pilots.alternatives) == (4, 1000.0, 10.0, 3)
    sites = SiteParams.from_config(config, category="library")
    assert sites.building_categories == ("community_centre", "faith", "library")
    check_config(config)


def test_environment_overrides(tmp_path):
    env = {
        "ASSETMAP_PLANNER_REACH_M": "800",
        "ASSETMAP_PLANNER_ALTERNATIVES": "5",
        "ASSETMAP_PLANNER_SITE_CATEGORIES": '["library"]',
    }
    config = load_config(environ=env, instance_path=tmp_path / "none.json")
    assert PilotParams.from_config(config).reach_m == 800.0
    assert PilotParams.from_config(config).alternatives == 5
    assert SiteParams.from_config(config, category="cafe").building_categories == ("library",)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("PLANNER_REACH_M", 0, "PLANNER_REACH_M: expected a number of metres more than 0 to 10000, got 0"),
        ("PLANNER_TIME_LIMIT_S", "soon", "PLANNER_TIME_LIMIT_S: expected a number of seconds"),
        ("PLANNER_ALTERNATIVES", 2.5, "PLANNER_ALTERNATIVES: expected a whole number from 0 to 10, got 2.5"),
        ("PLANNER_SITE_CATEGORIES", ["castle"], "PLANNER_SITE_CATEGORIES: expected a category counted"),
    ],
)
def test_bad_settings_name_the_key(key, value, message):
    with pytest.raises(ConfigError) as caught:
        check_config({**DEFAULTS, key: value})
    assert caught.value.message.startswith(message)


def test_params_are_hashable_for_caches():
    assert hash(SiteParams(category="cafe", building_categories=["faith"])) == hash(
        SiteParams(category="cafe", building_categories=("faith",))
    )
    assert hash(PilotParams(k=2)) == hash(PilotParams(k=2))
