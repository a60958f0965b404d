"""Configuration precedence and validation."""

from __future__ import annotations

import json

import pytest

from assetmap.config import DEFAULTS, load_config
from assetmap.errors import ConfigError


def test_defaults(tmp_path):
    config = load_config(environ={}, instance_path=tmp_path / "missing.json")
    assert config["WALK_SPEED_MPS"] == 1.0 and config["DETOUR_FACTOR"] == 1.3 and config["WALK_MINUTES"] == 10
    assert config["DATABASE_URL"] == DEFAULTS["DATABASE_URL"]


def test_instance_file_then_environment_then_overrides(tmp_path):
    instance = tmp_path / "assetmap.json"
    instance.write_text(
        json.dumps({"WALK_MINUTES": 12, "DETOUR_FACTOR": 1.5, "DATABASE_URL": "sqlite:///file"})
    )
    env = {"ASSETMAP_WALK_MINUTES": "15", "ASSETMAP_NEED_WEIGHTS": '{"idaopi": 1}'}
    config = load_config({"DATABASE_URL": "sqlite:///test"}, environ=env, instance_path=instance)
    assert config["DETOUR_FACTOR"] == 1.5  # instance file
    assert config["WALK_MINUTES"] == 15.0  # environment beats the instance file
    assert config["NEED_WEIGHTS"] == {"idaopi": 1}
    assert config["DATABASE_URL"] == "sqlite:///test"  # test config beats both


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ASSETMAP_WALK_SPEED_MPS": "fast"}, "ASSETMAP_WALK_SPEED_MPS: cannot read 'fast'"),
        ({"ASSETMAP_WALK_MINUTES": "-3"}, "minutes must be a positive number"),
        (
            {"ASSETMAP_GAP_WEIGHTS": '{"need": 0, "distance": 0, "catchment": 0}'},
            "at least one weight must be positive",
        ),
        ({"ASSETMAP_NEED_WEIGHTS": '{"astrology": 1}'}, "unknown factor 'astrology'"),
    ],
)
def test_bad_settings_are_refused(tmp_path, env, message):
    with pytest.raises(ConfigError, match=message):
        load_config(environ=env, instance_path=tmp_path / "none.json")


def test_broken_instance_file(tmp_path):
    instance = tmp_path / "assetmap.json"
    instance.write_text("{oops")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_config(environ={}, instance_path=instance)


def test_an_unusable_planner_setting_is_refused_naming_it(monkeypatch):
    monkeypatch.setenv("ASSETMAP_PLANNER_REACH_M", "0")
    with pytest.raises(ConfigError, match="PLANNER_REACH_M"):
        load_config()
