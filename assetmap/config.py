"""Configuration: defaults, then an instance file, then ``ASSETMAP_*`` environment variables.

Nothing here runs at import time. :func:`load_config` builds a plain dict that the web app, the
CLI and the benchmarks share, so the three agree on the database, the data pack and the coverage
parameters. The instance file is a JSON object at ``instance/assetmap.json`` (or the path in
``ASSETMAP_CONFIG``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from assetmap.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": f"sqlite:///{PROJECT_ROOT / 'instance' / 'assetmap.sqlite'}",
    "DATA_PACK": str((PROJECT_ROOT.parent / "shared" / "data" / "leicester").resolve()),
    # Coverage engine.
    "WALK_SPEED_MPS": 1.0,
    "DETOUR_FACTOR": 1.3,
    "WALK_MINUTES": 10.0,
    "NEED_WEIGHTS": {"idaopi": 0.35, "loneliness": 0.25, "imd": 0.25, "age75_share": 0.15},
    "GAP_WEIGHTS": {"need": 0.5, "distance": 0.25, "catchment": 0.25},
    # Walk network saved by `import-network`; while no file is there (or this is ""), distances
    # are straight lines × DETOUR_FACTOR.
    "WALK_NETWORK": str(PROJECT_ROOT / "instance" / "walk_network.npz"),
    # Asset statuses that count as somewhere to go.
    "COVERAGE_STATUSES": ["verified", "stale"],
    # Maps: a basemap ({"url": "https://.../{z}/{x}/{y}.png", "attribution": "..."}) or None for
    # none (the pages then need no network at all), and the programme-reach file.
    "BASEMAP_TILES": None,
    "PROGRAMME_WARDS": str(PROJECT_ROOT / "data" / "programme" / "connector_wards.csv"),
    # Pilot planner and what-if (docs/planner.md): a small-area pilot reaches the areas whose
    # population-weighted points are within PLANNER_REACH_M metres (straight line); the solver gets
    # PLANNER_TIME_LIMIT_S seconds per portfolio; PLANNER_ALTERNATIVES portfolios follow the best;
    # "suggest sites" looks among existing assets of PLANNER_SITE_CATEGORIES.
    "PLANNER_REACH_M": 1000.0,
    "PLANNER_TIME_LIMIT_S": 10.0,
    "PLANNER_ALTERNATIVES": 3,
    "PLANNER_SITE_CATEGORIES": ["community_centre", "faith", "library"],
    # Accounts (docs/accounts.md). SECRET_KEY signs the session cookie; None: the web app makes one
    # in instance/secret_key on first run and keeps it. SESSION_COOKIE_SECURE sends the cookie over
    # HTTPS only (turn it on behind TLS). Failed logins are limited to LOGIN_RATE_LIMIT per client
    # address and per username, counted in RATELIMIT_STORAGE_URI (a Flask-Limiter storage URI;
    # "memory://" counts per worker process, "redis://host:6379" across workers). TRUSTED_PROXIES is
    # how many reverse proxies stand in front of the app: their X-Forwarded-For and
    # X-Forwarded-Proto headers are believed (0: none are, the client address is the connection's).
    "SECRET_KEY": None,
    "TRUSTED_PROXIES": 0,
    "SESSION_COOKIE_SECURE": False,
    "LOGIN_RATE_LIMIT": "5 per minute",
    "RATELIMIT_STORAGE_URI": "memory://",
    # Moderation (docs/moderation.md): `mark-stale` marks verified assets stale once their last
    # verification is more than STALE_AFTER_DAYS days old. The public maps show reported (not yet
    # verified) assets with a dashed outline ("distinct") or leave them out ("hidden").
    "STALE_AFTER_DAYS": 365,
    "SHOW_UNVERIFIED": "distinct",
    # Patch walks (docs/walks.md): an uploaded GPX file may have at most MAX_GPX_BYTES bytes. The
    # public "streets walked" layer leaves out a circle of WALK_PRIVATE_ENDS_M metres near each
    # walk's start and end (at least half that around the true points; 0 draws whole walks).
    "MAX_GPX_BYTES": 5 * 1024 * 1024,
    "WALK_PRIVATE_ENDS_M": 150,
    # Photos (docs/photos.md): an upload may have at most MAX_PHOTO_BYTES bytes (413 beyond) and
    # MAX_PHOTO_PIXELS pixels (a guard against decompression bombs; at most Pillow's own limit).
    "MAX_PHOTO_BYTES": 10 * 1024 * 1024,
    "MAX_PHOTO_PIXELS": 40_000_000,
    # Uploads (docs/bulk.md): no request body may be larger than MAX_REQUEST_BYTES (Flask's
    # MAX_CONTENT_LENGTH; 413 beyond it); a bulk upload file at most MAX_BULK_BYTES and
    # MAX_BULK_ROWS rows. A previewed upload waits for its commit in BULK_DIR.
    "MAX_REQUEST_BYTES": 25 * 1024 * 1024,
    "MAX_BULK_BYTES": 20 * 1024 * 1024,
    "MAX_BULK_ROWS": 50_000,
    "BULK_DIR": str(PROJECT_ROOT / "instance" / "bulk"),
}

SHOW_UNVERIFIED_CHOICES = ("distinct", "hidden")
MAX_PRIVATE_ENDS_M = 1000
MAX_TRUSTED_PROXIES = 5

_JSON_KEYS = {
    "NEED_WEIGHTS",
    "GAP_WEIGHTS",
    "COVERAGE_STATUSES",
    "BASEMAP_TILES",
    "PLANNER_ALTERNATIVES",
    "PLANNER_SITE_CATEGORIES",
    "STALE_AFTER_DAYS",
    "TRUSTED_PROXIES",
    "MAX_GPX_BYTES",
    "WALK_PRIVATE_ENDS_M",
    "MAX_PHOTO_BYTES",
    "MAX_PHOTO_PIXELS",
    "MAX_REQUEST_BYTES",
    "MAX_BULK_BYTES",
    "MAX_BULK_ROWS",
}
_BOOL_KEYS = {"SESSION_COOKIE_SECURE"}
_FLOAT_KEYS = {"WALK_SPEED_MPS", "DETOUR_FACTOR", "WALK_MINUTES", "PLANNER_REACH_M", "PLANNER_TIME_LIMIT_S"}


def load_config(
    overrides: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    instance_path: Path | None = None,
) -> dict[str, Any]:
    """Build the configuration dict.

    Parameters
    ----------
    overrides
        Values that win over everything else (a test config).
    environ
        Environment to read ``ASSETMAP_*`` from; defaults to ``os.environ``.
    instance_path
        Instance JSON file; defaults to ``ASSETMAP_CONFIG`` or ``instance/assetmap.json``.
    """
    env = os.environ if environ is None else environ
    config = dict(DEFAULTS)
    path = instance_path or Path(env.get("ASSETMAP_CONFIG", PROJECT_ROOT / "instance" / "assetmap.json"))
    if path.is_file():
        try:
            config.update(json.loads(path.read_text(encoding="utf-8")))
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
    for key in DEFAULTS:
        raw = env.get(f"ASSETMAP_{key}")
        if raw is not None:
            config[key] = _parse_env(key, raw)
    if overrides:
        config.update(overrides)
    validate_config(config)
    return config


def _parse_env(key: str, raw: str) -> Any:
    try:
        if key in _JSON_KEYS:
            return json.loads(raw)
        if key in _FLOAT_KEYS:
            return float(raw)
        if key in _BOOL_KEYS:
            return {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}[
                raw.strip().lower()
            ]
    except (ValueError, KeyError):
        raise ConfigError(f"ASSETMAP_{key}: cannot read {raw!r}") from None
    return raw


def validate_config(config: Mapping[str, Any]) -> None:
    """Raise :class:`ConfigError` for values the coverage engine, the planner or the maps cannot use."""
    from assetmap.coverage.params import CoverageParams
    from assetmap.errors import InvalidInput
    from assetmap.planner.params import check_config as check_planner

    try:
        CoverageParams.from_config(config)
    except InvalidInput as exc:
        raise ConfigError(exc.message) from None
    check_planner(config)
    _check_tiles(config.get("BASEMAP_TILES"))
    _check_moderation(config)
    _whole_setting(config, "TRUSTED_PROXIES", least=0, most=MAX_TRUSTED_PROXIES)
    _check_walks(config)
    _check_photos(config)
    _check_uploads(config)


def _whole_setting(
    config: Mapping[str, Any], key: str, *, least: int, most: int | None = None, unit: str = ""
) -> int:
    """The setting ``key`` (or its default), checked to be a whole number (not a bool) from ``least``
    to ``most``; ``unit`` names what it counts in the message ("of days")."""
    value = config.get(key, DEFAULTS[key])
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value < least
        or (most is not None and value > most)
    ):
        span = f">= {least}" if most is None else f"from {least} to {most}"
        raise ConfigError(f"{key}: expected a whole number{unit} {span}, got {value!r}")
    return value


def _check_uploads(config: Mapping[str, Any]) -> None:
    """Upload limits whole numbers >= 1, a bulk file no larger than a request may be."""
    request_bytes = _whole_setting(config, "MAX_REQUEST_BYTES", least=1)
    bulk_bytes = _whole_setting(config, "MAX_BULK_BYTES", least=1)
    _whole_setting(config, "MAX_BULK_ROWS", least=1)
    if bulk_bytes > request_bytes:
        raise ConfigError(
            f"MAX_BULK_BYTES ({bulk_bytes}) is larger than MAX_REQUEST_BYTES ({request_bytes}): "
            "a bulk file must fit in a request"
        )
    folder = config.get("BULK_DIR", DEFAULTS["BULK_DIR"])
    if not isinstance(folder, str) or not folder.strip():
        raise ConfigError("BULK_DIR: expected a folder path")


# Pillow's own decompression-bomb limit (PIL.Image.MAX_IMAGE_PIXELS), above which it warns.
PILLOW_MAX_PIXELS = 89_478_485


def _check_photos(config: Mapping[str, Any]) -> None:
    """``MAX_PHOTO_BYTES`` a whole number >= 1; ``MAX_PHOTO_PIXELS`` one from 1 to Pillow's limit."""
    _whole_setting(config, "MAX_PHOTO_BYTES", least=1)
    _whole_setting(config, "MAX_PHOTO_PIXELS", least=1, most=PILLOW_MAX_PIXELS)


def _check_walks(config: Mapping[str, Any]) -> None:
    """``MAX_GPX_BYTES`` a whole number >= 1; ``WALK_PRIVATE_ENDS_M`` a number of metres, 0 to 1000."""
    _whole_setting(config, "MAX_GPX_BYTES", least=1, unit=" of bytes")
    ends = config.get("WALK_PRIVATE_ENDS_M", DEFAULTS["WALK_PRIVATE_ENDS_M"])
    if isinstance(ends, bool) or not isinstance(ends, int | float) or not 0 <= ends <= MAX_PRIVATE_ENDS_M:
        raise ConfigError(
            f"WALK_PRIVATE_ENDS_M: expected metres from 0 to {MAX_PRIVATE_ENDS_M}, got {ends!r}"
        )


def _check_moderation(config: Mapping[str, Any]) -> None:
    """``STALE_AFTER_DAYS`` a whole number >= 1; ``SHOW_UNVERIFIED`` one of the choices."""
    _whole_setting(config, "STALE_AFTER_DAYS", least=1, unit=" of days")
    show = config.get("SHOW_UNVERIFIED", DEFAULTS["SHOW_UNVERIFIED"])
    if show not in SHOW_UNVERIFIED_CHOICES:
        raise ConfigError(
            f"SHOW_UNVERIFIED: expected one of {', '.join(SHOW_UNVERIFIED_CHOICES)}, got {show!r}"
        )


def _check_tiles(tiles: Any) -> None:
    """``BASEMAP_TILES`` is None or ``{"url": <template with {z}, {x}, {y}>, "attribution": <text>}``."""
    if tiles is None:
        return
    url = tiles.get("url") if isinstance(tiles, dict) else None
    attribution = tiles.get("attribution") if isinstance(tiles, dict) else None
    if not isinstance(url, str) or not all(part in url for part in ("{z}", "{x}", "{y}")):
        raise ConfigError(
            'BASEMAP_TILES: expected {"url": "https://.../{z}/{x}/{y}.png", "attribution": "..."}'
        )
    if not url.startswith(("https://", "http://", "/")):
        raise ConfigError("BASEMAP_TILES: the url must start with https://, http:// or /")
    if not isinstance(attribution, str) or not attribution.strip():
        raise ConfigError("BASEMAP_TILES: an attribution is required (the tile provider's licence)")
