"""HTML pages: the city map (``/``) and a ward's page (``/wards/<code>``).

Each handler takes the app's coverage, summarises it (:mod:`assetmap.summaries`,
:mod:`assetmap.web.wardview`), builds the map scaffolding and class breaks (:mod:`assetmap.web.maps`)
and renders. The layers themselves (wards, small areas, assets) are fetched by the page from the
API and drawn by ``static/js/assetmap.js``, which both pages share; the HTML carries only the
figures, the legend and a small JSON block of settings.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from flask import Blueprint, current_app, render_template, request, url_for

from assetmap import geo, summaries
from assetmap.coverage import CoverageParams, CoverageResult
from assetmap.errors import DataFileError, InvalidInput
from assetmap.models import ACCESS_ATTRIBUTES, Status
from assetmap.web import maps, programme, wardview
from assetmap.web.cache import cached
from assetmap.web.coverage import current_coverage

bp = Blueprint("pages", __name__)

TOP_WARDS = 5  # most under-served wards in the city's side panel
TOP_AREAS = 10  # most under-served small areas outlined on the city map
MAP_MARGIN_M = 300.0
ATTRIBUTION = "Boundaries © ONS, OS (OGL v3) · asset licences in popups"
# Closed assets and merged duplicates are not drawn; reported ones are, with their status and a
# dashed outline, unless SHOW_UNVERIFIED is "hidden" (docs/moderation.md).
ASSET_STATUSES = ",".join(s.value for s in Status if s not in (Status.CLOSED, Status.MERGED))
VERIFIED_STATUSES = ",".join(s for s in ASSET_STATUSES.split(",") if s != Status.REPORTED)


def asset_statuses() -> str:
    """The statuses the map pages ask ``/api/assets`` for, following ``SHOW_UNVERIFIED``."""
    hidden = current_app.config.get("SHOW_UNVERIFIED") == "hidden"
    return VERIFIED_STATUSES if hidden else ASSET_STATUSES


@bp.get("/")
def index() -> str:
    result = current_coverage()
    minutes = float(current_app.config["WALK_MINUTES"])
    wards = result.wards
    uk = (geo.UK.min_lon, geo.UK.min_lat, geo.UK.max_lon, geo.UK.max_lat)
    bbox = maps.reach_bbox(wards, MAP_MARGIN_M) if len(wards) else uk
    city = summaries.city_figures(result)
    metrics = _ward_metric_scales(minutes)
    chosen = _chosen_metric(request.args.get("metric"), [m["key"] for m in metrics])
    top_areas = summaries.ranked_areas(result).head(TOP_AREAS)
    connector = connector_wards(result)
    gap_scale = area_scale()
    parts = leaflet_map(bbox)
    return render_template(
        "city.html",
        map=parts,
        minutes=minutes,
        headline={
            "residents_50plus": float(wards["residents_50plus"].sum()),
            "n_assets": int(wards["n_assets"].sum()),
            "share_50plus_within_any": city["share_50plus_within_any"],
            "n_wards": len(wards),
            "n_areas": len(result.areas),
        },
        metrics=metrics,
        chosen=chosen,
        area_scale=gap_scale,
        ranked=_ranked_wards(result),
        top_wards=TOP_WARDS,
        top_areas=summaries.area_rows(top_areas),
        connector=connector,
        data=page_data(
            parts,
            page="city",
            metrics=metrics,
            area_scale=gap_scale,
            highlight=list(top_areas["code"]),
            connector=connector,
            extra={"search": url_for("search.search")},
        ),
    )


@bp.get("/wards/<code>")
def ward(code: str) -> str:
    result = current_coverage()
    # NotFound -> the HTML 404 page
    summary = cached("ward_summary", (code, date.today()), lambda: wardview.ward_context(code))
    params = CoverageParams.from_config(current_app.config)
    mine = result.wards[result.wards["code"] == code]
    # The map shows the ward and what its residents can walk to, across the boundary too.
    reach = maps.reach_bbox(mine, params.radius_m)
    parts = leaflet_map(maps.reach_bbox(mine, MAP_MARGIN_M))
    connector = connector_wards(result)
    gap_scale = area_scale()
    return render_template(
        "ward.html",
        map=parts,
        ward=summary,
        area_scale=gap_scale,
        is_connector=any(w["code"] == code for w in connector),
        data=page_data(
            parts,
            page="ward",
            metrics=[],
            area_scale=gap_scale,
            highlight=[a.code for a in summary.underserved],
            connector=connector,
            extra={"ward": code, "assetsBbox": ",".join(f"{v:.5f}" for v in reach)},
        ),
    )


def _chosen_metric(raw: str | None, keys: list[str]) -> str:
    """``?metric=`` of the city page (a link can open it on any measure); the first by default."""
    if not raw:
        return keys[0]
    if raw not in keys:
        raise InvalidInput(f"unknown metric {raw[:40]!r}; expected one of {', '.join(keys)}")
    return raw


def leaflet_map(bbox: tuple[float, float, float, float]) -> maps.MapParts:
    """The folium map, loading Leaflet and Leaflet.markercluster from ``/vendor/``."""

    def vendor(name: str) -> str:
        return url_for("vendor.vendor", name=name)

    return maps.page_map(
        bbox=bbox,
        js=[("leaflet", vendor("leaflet.js")), ("markercluster", vendor("leaflet.markercluster.js"))],
        css=[
            ("leaflet_css", vendor("leaflet.css")),
            ("markercluster_css", vendor("MarkerCluster.css")),
            ("markercluster_default_css", vendor("MarkerCluster.Default.css")),
        ],
        tiles=current_app.config["BASEMAP_TILES"],
    )


def _ranked_wards(result: CoverageResult) -> list[dict[str, Any]]:
    """Every ward, most under-served first, with its rate of assets; rank None when missing."""
    rates = result.wards[["code", "assets_per_1000_50plus"]]
    rows: list[dict[str, Any]] = summaries.ranked_wards(result).merge(rates, on="code").to_dict("records")
    for row in rows:
        row["gap_rank"] = None if pd.isna(row["gap_rank"]) else int(row["gap_rank"])
    return rows


# What is cached per store revision reads the coverage inside its computation, after the revision,
# so an entry is never older than the revision it is kept under.
def area_scale() -> dict[str, Any]:
    """Gap-score classes over every small area of the city, so ward pages compare with the city."""
    return cached("area_scale", None, lambda: maps.scale(current_coverage().areas["gap_score"], worse="high"))


def _ward_metric_scales(minutes: float) -> list[dict[str, Any]]:
    """The city map's metrics with their class breaks over the wards."""
    return cached(
        "ward_metric_scales",
        minutes,
        lambda: maps.metric_scales(current_coverage().wards, maps.ward_metrics(minutes)),
    )


def connector_wards(result: CoverageResult) -> list[dict[str, str]]:
    """The programme-reach wards that are stored, with their stored names (file order)."""
    path = current_app.config.get("PROGRAMME_WARDS")
    if not path:
        return []
    try:
        codes = programme.connector_wards(Path(path))
    except DataFileError as exc:  # a broken file must not take the maps down
        current_app.logger.warning("programme reach not shown: %s", exc.message)
        return []
    names = dict(zip(result.wards["code"], result.wards["name"], strict=True))
    return [{"code": c, "name": names[c]} for c in codes if c in names]


def page_data(
    parts: maps.MapParts,
    *,
    page: str,
    metrics: list[dict[str, Any]],
    area_scale: dict[str, Any],
    highlight: list[str],
    connector: list[dict[str, str]],
    extra: dict[str, Any],
) -> dict[str, Any]:
    """Settings for ``static/js/assetmap.js``, embedded in the page as JSON (escaped by ``tojson``)."""
    return {
        "page": page,
        "map": parts.name,
        "api": {
            "wards": url_for("api.wards"),
            "areas": url_for("api.areas"),
            "assets": url_for("api.assets"),
            "walkStreets": url_for("walks.streets"),
        },
        "wardUrl": url_for("pages.ward", code="CODE"),
        "assetUrl": url_for("moderation.asset_page", asset_id="ID"),
        "statuses": asset_statuses(),
        "minutes": float(current_app.config["WALK_MINUTES"]),
        "metrics": metrics,
        "areaScale": area_scale,
        "symbols": maps.category_symbols(),
        "access": list(ACCESS_ATTRIBUTES),  # yes/no attributes shown in asset popups
        "highlight": highlight,
        "connector": [w["code"] for w in connector],
        "attribution": ATTRIBUTION,
        **extra,
    }
