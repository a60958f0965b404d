"""Lifecycle rules (assetmap.lifecycle), the mark-stale command and the moderation settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from pyproj import Transformer

from assetmap.cli import main
from assetmap.config import load_config
from assetmap.errors import ConfigError, InvalidInput
from assetmap.lifecycle import STALE_ACTOR, due_for_stale, merge_candidates, search_box, stale_cutoff
from assetmap.models import Asset, Status
from assetmap.storage import open_store
from assetmap.storage.base import AssetQuery

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
TO_WGS84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
ORIGIN = (458_000.0, 304_000.0)  # British National Grid, central Leicester


def verified(name: str, at: datetime | None, status: Status = Status.VERIFIED) -> Asset:
    return Asset("bench", name, -1.13, 52.63, id=name, status=status, last_verified_at=at)


def at_offset(name: str, east: float, north: float, **fields) -> Asset:
    """An asset ``east`` and ``north`` metres from ORIGIN."""
    lon, lat = TO_WGS84.transform(ORIGIN[0] + east, ORIGIN[1] + north)
    return Asset(fields.pop("category", "bench"), name, lon, lat, id=name, **fields)


# -- stale -----------------------------------------------------------------------------------------
def test_due_for_stale_takes_verified_assets_checked_before_the_cutoff():
    assets = [
        verified("old", NOW - timedelta(days=366)),
        verified("exactly", NOW - timedelta(days=365)),  # on the cutoff: not yet stale
        verified("recent", NOW - timedelta(days=10)),
        verified("unstamped", None),
        verified("already", NOW - timedelta(days=900), Status.STALE),
        verified("reported", NOW - timedelta(days=900), Status.REPORTED),
        verified("closed", NOW - timedelta(days=900), Status.CLOSED),
    ]
    due = due_for_stale(assets, now=NOW, after_days=365)
    assert [a.name for a in due] == ["old", "unstamped"]
    assert [a.name for a in due_for_stale(assets, now=NOW, after_days=5)] == [
        "old",
        "exactly",
        "recent",
        "unstamped",
    ]


def test_due_for_stale_of_nothing_is_nothing():
    assert due_for_stale([], now=NOW, after_days=1) == []


def test_stale_cutoff_is_whole_days_before_now():
    assert stale_cutoff(NOW, after_days=30) == datetime(2026, 5, 31, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("days", [0, -1, 1.5, "365", True, None])
def test_a_bad_number_of_days_is_refused(days):
    with pytest.raises(InvalidInput, match="days until stale"):
        due_for_stale([], now=NOW, after_days=days)


def test_a_clock_without_a_time_zone_is_refused():
    with pytest.raises(InvalidInput, match="time zone"):
        stale_cutoff(datetime(2026, 6, 30), after_days=1)


# -- merge candidates ------------------------------------------------------------------------------
def test_merge_candidates_are_same_category_on_the_map_within_150_m_nearest_first():
    me = at_offset("me", 0, 0)
    others = [
        me,
        at_offset("edge", 0, 149.9, status=Status.VERIFIED),
        at_offset("near", 100, 0, status=Status.STALE),
        at_offset("twin", 0, 100),  # reported, same distance as "near": by name
        at_offset("beyond", 150.5, 0, status=Status.VERIFIED),
        at_offset("cafe", 10, 0, category="cafe", status=Status.VERIFIED),
        at_offset("closed", 10, 0, status=Status.CLOSED),
        at_offset("merged", 10, 0, status=Status.MERGED),
    ]
    found = merge_candidates(me, others)
    assert [a.name for a, _ in found] == ["near", "twin", "edge"]
    assert [round(m, 2) for _, m in found] == [100.0, 100.0, 149.9]
    assert [a.name for a, _ in merge_candidates(me, others, radius_m=151)][-1] == "beyond"


def test_merge_candidates_of_nothing_is_nothing():
    assert merge_candidates(at_offset("me", 0, 0), []) == []


def test_the_search_box_holds_every_point_within_the_radius():
    min_lon, min_lat, max_lon, max_lat = search_box(at_offset("me", 0, 0), radius_m=150)
    for east, north in [(150, 0), (-150, 0), (0, 150), (0, -150), (106, 106), (-106, -106)]:
        point = at_offset("p", east, north)
        assert min_lon <= point.lon <= max_lon and min_lat <= point.lat <= max_lat


# -- the command -----------------------------------------------------------------------------------
@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'stale.sqlite'}"
    store = open_store(url)
    store.migrate()
    long_ago = datetime(2000, 1, 1, tzinfo=UTC)
    store.import_assets(
        [
            Asset(
                "bench",
                "Old",
                -1.13,
                52.63,
                source_dataset="t",
                source_id="1",
                status=Status.VERIFIED,
                last_verified_at=long_ago,
            ),
            Asset("bench", "Fresh", -1.13, 52.63, source_dataset="t", source_id="2", status=Status.VERIFIED),
            Asset("bench", "Reported", -1.13, 52.63, source_dataset="t", source_id="3"),
        ],
        actor="import",
    )
    yield store
    store.close()


def run(db, *args, days="365"):
    env = {"ASSETMAP_DATABASE_URL": str(db.engine.url), "ASSETMAP_STALE_AFTER_DAYS": days}
    return CliRunner(env=env).invoke(main, ["mark-stale", *args])


def statuses(db):
    return {a.name: a.status for a in db.assets()}


def test_mark_stale_dry_run_lists_and_writes_nothing(db):
    result = run(db, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Old  (last verified 2000-01-01)" in result.output
    assert "would mark 1 of 2 verified assets stale" in result.output
    assert statuses(db) == {"Old": Status.VERIFIED, "Fresh": Status.VERIFIED, "Reported": Status.REPORTED}


def test_mark_stale_marks_and_audits_as_the_system(db):
    result = run(db)
    assert result.exit_code == 0, result.output
    assert "marked 1 of 2 verified assets stale" in result.output
    assert statuses(db) == {"Old": Status.STALE, "Fresh": Status.VERIFIED, "Reported": Status.REPORTED}
    [old] = db.assets(AssetQuery(statuses=["stale"]))
    event = db.audit(str(old.id))[-1]
    assert (event.actor, event.before["status"], event.after["status"]) == (STALE_ACTOR, "verified", "stale")
    assert event.after["note"] == {"reason": "not verified for more than 365 days"}
    assert "marked 0 of 1 verified assets stale" in run(db).output  # again: nothing left to do


def test_mark_stale_with_a_bad_setting_fails_before_touching_anything(db):
    result = run(db, days="0")
    assert result.exit_code != 0
    assert statuses(db)["Old"] is Status.VERIFIED


# -- settings --------------------------------------------------------------------------------------
def test_moderation_settings_defaults_and_environment(tmp_path):
    missing = tmp_path / "missing.json"
    config = load_config(environ={}, instance_path=missing)
    assert (config["STALE_AFTER_DAYS"], config["SHOW_UNVERIFIED"]) == (365, "distinct")
    env = {"ASSETMAP_STALE_AFTER_DAYS": "30", "ASSETMAP_SHOW_UNVERIFIED": "hidden"}
    config = load_config(environ=env, instance_path=missing)
    assert (config["STALE_AFTER_DAYS"], config["SHOW_UNVERIFIED"]) == (30, "hidden")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"STALE_AFTER_DAYS": 0}, "STALE_AFTER_DAYS: expected a whole number of days >= 1"),
        ({"STALE_AFTER_DAYS": 2.5}, "STALE_AFTER_DAYS"),
        ({"SHOW_UNVERIFIED": "faded"}, "SHOW_UNVERIFIED: expected one of distinct, hidden"),
    ],
)
def test_bad_moderation_settings_are_refused(tmp_path, overrides, message):
    with pytest.raises(ConfigError, match=message):
        load_config(overrides, environ={}, instance_path=tmp_path / "missing.json")
