"""The pilot planner page (``/planner``), its CSV and PDF, and the planner API.

``/planner`` chooses k pilot wards or small areas with :func:`assetmap.planner.select_pilots` for
the rules in the query string (a GET form, so a plan can be shared as a link) and shows the best
portfolio and its alternatives on a map and in tables; ``/planner.csv`` and ``/planner.pdf``
export the same plan. On the same page, the what-if panel posts hypothetical places to
``/api/whatif`` and "suggest sites" asks ``/api/sites``; ``/api/planner`` is the plan as JSON.
Plans for the stored data are cached per store revision (:mod:`assetmap.web.cache`).
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import urlencode

import geopandas as gpd
import pandas as pd
from flask import Blueprint, Response, current_app, jsonify, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from assetmap import mapimage, taxonomy
from assetmap.coverage import CoverageParams, CoverageResult
from assetmap.errors import InvalidInput
from assetmap.frames import ASSET_WARD_COLUMN, coverage_inputs
from assetmap.network import stored_walk_graph
from assetmap.pdf import html_to_pdf
from assetmap.planner import (
    PilotParams,
    PilotPlan,
    PlanInfeasible,
    SiteParams,
    SiteSuggestion,
    WhatIf,
    select_pilots,
    suggest_sites,
    what_if,
)
from assetmap.planner.params import (
    LEVELS,
    MAX_PILOTS,
    MAX_SEPARATION_M,
    MAX_SITES,
    PROGRAMME_MODES,
    SITE_CANDIDATES,
)
from assetmap.web import get_store, maps, pages
from assetmap.web.cache import cached
from assetmap.web.coverage import current_coverage

bp = Blueprint("planner", __name__)

PLAN_PARAMETERS = ("level", "k", "separation_km", "no_adjacent", "programme")
SITE_PARAMETERS = ("category", "k", "candidates")
DEFAULT_FORM = {"level": "area", "k": "5", "separation_km": "2", "no_adjacent": "", "programme": "exclude"}
MAX_WHATIF_BYTES = 64_000  # 50 points as JSON take about 4 kB
YES = ("on", "true", "1", "yes")
NO = ("", "off", "false", "0", "no")
PROGRAMME_LABELS = {
    "exclude": "Leave them out: choose elsewhere",
    "fixed": "Keep them as pilots and choose k more",
    "ignore": "Treat them like any other",
}


# -- reading a request ----------------------------------------------------------------------------


def plan_params(args: MultiDict[str, str], config: Mapping[str, Any]) -> PilotParams:
    """A pilot request from the query string (defaults as :data:`DEFAULT_FORM`), or InvalidInput.

    >>> p = plan_params(MultiDict({"k": "3", "separation_km": "1.5"}), {"PLANNER_REACH_M": 900.0,
    ...     "PLANNER_TIME_LIMIT_S": 5.0, "PLANNER_ALTERNATIVES": 3})
    >>> p.k, p.min_separation_m, p.programme_mode
    (3, 1500.0, 'exclude')
    """
    _only(args, PLAN_PARAMETERS)
    form = _form(args, DEFAULT_FORM)
    return PilotParams.from_config(
        config,
        level=_choice(form, "level", LEVELS),
        k=_whole(form, "k", 1, MAX_PILOTS),
        min_separation_m=_kilometres(form, "separation_km", MAX_SEPARATION_M / 1000.0) * 1000.0,
        no_adjacent=_yes_no(form, "no_adjacent"),
        programme_mode=_choice(form, "programme", PROGRAMME_MODES),
    )


def site_params(args: MultiDict[str, str], config: Mapping[str, Any]) -> SiteParams:
    """A "best k new sites" request from the query string, or InvalidInput."""
    _only(args, SITE_PARAMETERS)
    form = _form(args, {"category": "", "k": "3", "candidates": "buildings"})
    if not form["category"]:
        raise InvalidInput(f"category is required; one of {', '.join(taxonomy.asset_categories())}")
    return SiteParams.from_config(
        config,
        category=form["category"],
        k=_whole(form, "k", 1, MAX_SITES),
        candidates=_choice(form, "candidates", SITE_CANDIDATES),
    )


def _only(args: MultiDict[str, str], names: tuple[str, ...]) -> None:
    unknown = sorted(set(args) - set(names))
    if unknown:
        raise InvalidInput(f"unknown parameter {unknown[0][:40]!r}; expected {', '.join(names)}")


def _form(args: MultiDict[str, str], defaults: Mapping[str, str]) -> dict[str, str]:
    """Each parameter once (stripped), the default where it is missing."""
    form = dict(defaults)
    for name in defaults:
        values = args.getlist(name)
        if len(values) > 1:
            raise InvalidInput(f"{name} may be given once, not {len(values)} times")
        if values:
            form[name] = values[0].strip()[:100]
    return form


def _choice(form: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str:
    if form[name] not in allowed:
        raise InvalidInput(f"{name} must be one of {', '.join(allowed)}; got {form[name][:40]!r}")
    return form[name]


def _whole(form: Mapping[str, str], name: str, low: int, high: int) -> int:
    raw = form[name]
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise InvalidInput(f"{name} must be a whole number from {low} to {high}; got {raw[:40]!r}")
    return int(raw)


def _kilometres(form: Mapping[str, str], name: str, high: float) -> float:
    raw = form[name]
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not 0.0 <= value <= high:
        raise InvalidInput(f"{name} must be a distance in km from 0 to {high:g}; got {raw[:40]!r}")
    return value


def _yes_no(form: Mapping[str, str], name: str) -> bool:
    raw = form[name].lower()
    if raw not in YES + NO:
        raise InvalidInput(f"{name} must be on or off; got {form[name][:40]!r}")
    return raw in YES


# -- computing -----------------------------------------------------------------------------------


def _inputs() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The stored areas, counted assets and wards, as the coverage engine took them."""
    statuses = tuple(current_app.config["COVERAGE_STATUSES"])
    return cached("coverage.inputs", statuses, lambda: coverage_inputs(get_store(), statuses=list(statuses)))


def current_plan(params: PilotParams) -> PilotPlan:
    """The plan for ``params`` on the stored data (cached per store revision and programme file).

    The Connectors' wards are those of the programme file that are stored, as the maps show them.
    """
    wards = tuple(w["code"] for w in pages.connector_wards(current_coverage()))

    def compute() -> PilotPlan:
        areas, _, _ = _inputs()
        return select_pilots(current_coverage(), areas, params, programme_wards=wards)

    return cached("planner.plan", (params, wards), compute)


def _coverage_params() -> CoverageParams:
    return CoverageParams.from_config(current_app.config)


# -- the page ------------------------------------------------------------------------------------


@bp.get("/planner")
def planner_page() -> ResponseReturnValue:
    result = current_coverage()
    form = {**DEFAULT_FORM, **{k: v[:100] for k, v in request.args.items() if k in DEFAULT_FORM}}
    plan: PilotPlan | None = None
    error: InvalidInput | None = None
    try:
        plan = current_plan(plan_params(request.args, current_app.config))
    except InvalidInput as exc:
        error = exc
    parts = pages.leaflet_map(maps.reach_bbox(result.wards, pages.MAP_MARGIN_M))
    html = render_template(
        "planner.html",
        map=parts,
        form=form,
        plan=plan,
        plan_view=_plan_view(plan, result) if plan is not None else None,
        error=error,
        relax=_relaxations(error, form) if isinstance(error, PlanInfeasible) else [],
        query=request.query_string.decode("ascii", "replace"),
        levels=[("area", "Small areas (LSOAs)"), ("ward", "Wards")],
        programme_modes=[(m, PROGRAMME_LABELS[m]) for m in ("exclude", "fixed", "ignore")],
        categories=_category_options(result),
        minutes=_coverage_params().minutes,
        data=_page_data(parts, plan, result),
    )
    return html, 400 if error is not None else 200


def _category_options(result: CoverageResult) -> list[tuple[str, str]]:
    labels = taxonomy.categories()
    return [(c, labels[c].label) for c in result.categories]


def _plan_view(plan: PilotPlan, result: CoverageResult) -> dict[str, Any]:
    """Figures the template shows beside the plan: the city's totals to compare with."""
    areas = result.areas
    total = float(areas["residents_50plus"].fillna(0).sum())
    names = dict(zip(result.wards["code"], result.wards["name"], strict=True))
    return {
        "residents_50plus": total,
        "excluded": [names.get(code, code) for code in plan.excluded] if plan.params.level == "ward" else [],
        "n_excluded": len(plan.excluded),
    }


def _relaxations(error: PlanInfeasible, form: Mapping[str, str]) -> list[tuple[str, str]]:
    """Links to the same plan with the rules relaxed as the solver found would work."""

    def link(text: str, **change: str) -> tuple[str, str]:
        return text, f"{url_for('planner.planner_page')}?{urlencode({**form, **change})}"

    links = []
    if error.max_k >= 1:
        links.append(
            link(f"Choose {error.max_k} pilot{'' if error.max_k == 1 else 's'} instead", k=str(error.max_k))
        )
    if error.max_separation_m is not None:
        # Rounded down to 0.1 km: the exact separation works, and any smaller one does too.
        km = math.floor(error.max_separation_m / 100.0) / 10.0
        links.append(link(f"Keep pilots at least {km:g} km apart instead", separation_km=f"{km:g}"))
    if error.allow_adjacent:
        links.append(link("Allow neighbouring pilots", no_adjacent=""))
    return links


def _page_data(parts: maps.MapParts, plan: PilotPlan | None, result: CoverageResult) -> dict[str, Any]:
    """Settings for the map scripts: the layers of the city map, and the plan's pilots."""
    portfolios = []
    if plan is not None:
        for portfolio in plan.portfolios:
            portfolios.append(
                {
                    "rank": portfolio.rank,
                    "picks": [
                        {"code": p.code, "name": p.name, "areas": list(p.areas)} for p in portfolio.picks
                    ],
                }
            )
    connector = pages.connector_wards(result)
    return pages.page_data(
        parts,
        page="planner",
        metrics=[],
        area_scale=pages.area_scale(),
        highlight=[],
        connector=connector,
        extra={
            "level": plan.params.level if plan is not None else "area",
            "portfolios": portfolios,
            "fixed": [{"code": p.code, "name": p.name, "areas": list(p.areas)} for p in plan.fixed]
            if plan
            else [],
            "planner": {"whatif": url_for("planner.api_whatif"), "sites": url_for("planner.api_sites")},
            "search": url_for("search.search"),
            "categories": [{"key": c, "label": label} for c, label in _category_options(result)],
        },
    )


@bp.get("/planner.csv")
def planner_csv() -> ResponseReturnValue:
    plan = current_plan(plan_params(request.args, current_app.config))
    buffer = io.StringIO()
    pd.DataFrame(plan.to_rows()).to_csv(buffer, index=False, lineterminator="\n")
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="pilot-plan-{date.today().isoformat()}.csv"'},
    )


@bp.get("/planner.pdf")
def planner_pdf() -> ResponseReturnValue:
    params = plan_params(request.args, current_app.config)
    plan = current_plan(params)
    result = current_coverage()
    best = plan.best
    png = mapimage.plan_map_png(
        result,
        level=params.level,
        picks=[p.code for p in best.picks],
        reached=[a for p in (*best.picks, *plan.fixed) for a in p.areas],
        fixed=[p.code for p in plan.fixed],
    )
    html = render_template(
        "plannerpack.html",
        plan=plan,
        plan_view=_plan_view(plan, result),
        map_uri="data:image/png;base64," + base64.b64encode(png).decode("ascii"),
        generated=date.today(),
        minutes=_coverage_params().minutes,
        programme_label=PROGRAMME_LABELS[params.programme_mode],
    )
    return send_file(
        io.BytesIO(html_to_pdf(html)),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"pilot-plan-{date.today().isoformat()}.pdf",
        max_age=0,
    )


# -- the API -------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """JSON-ready: NaN and infinities as None, numpy scalars as Python ones."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def plan_json(plan: PilotPlan) -> dict[str, Any]:
    """A plan as plain JSON values."""

    def pick(p: Any) -> dict[str, Any]:
        return {k: _plain(v) if not isinstance(v, tuple) else list(v) for k, v in vars(p).items()}

    p = plan.params
    return {
        "parameters": {
            "level": p.level,
            "k": p.k,
            "min_separation_m": p.min_separation_m,
            "no_adjacent": p.no_adjacent,
            "programme_mode": p.programme_mode,
            "alternatives": p.alternatives,
            "reach_m": p.reach_m,
            "time_limit_s": p.time_limit_s,
        },
        "n_candidates": plan.n_candidates,
        "excluded": list(plan.excluded),
        "fixed": [pick(x) for x in plan.fixed],
        "portfolios": [
            {
                "rank": f.rank,
                "status": f.status,
                "optimal": f.optimal,
                "gap": _plain(f.gap),
                "objective": _plain(f.objective),
                "residents_50plus": _plain(f.residents_50plus),
                "seconds": f.seconds,
                "picks": [pick(x) for x in f.picks],
            }
            for f in plan.portfolios
        ],
    }


@bp.get("/api/planner")
def api_planner() -> ResponseReturnValue:
    try:
        plan = current_plan(plan_params(request.args, current_app.config))
    except PlanInfeasible as exc:
        body = {
            "status": 400,
            "message": exc.message,
            "max_k": exc.max_k,
            "max_separation_m": exc.max_separation_m,
            "allow_adjacent": exc.allow_adjacent,
        }
        return jsonify(body), 400
    return jsonify(plan_json(plan))


GAP_SHOWN = 0.005  # gap scores are shown to two decimals: smaller changes are not listed


def whatif_json(change: WhatIf) -> dict[str, Any]:
    """A what-if result as plain JSON values, listing the wards and areas that change visibly.

    Gap scores are percentile ranks, so one new place nudges every area's score a little; an area
    or ward is listed when residents aged 50+ come newly within reach or its gap score moves by
    at least :data:`GAP_SHOWN`.
    """

    def changed(frame: pd.DataFrame) -> pd.DataFrame:
        new = [c for c in frame.columns if c.startswith("new_50plus_")]
        moved = (frame[new].fillna(0) > 0).any(axis=1) | (frame["gap_change"].abs() >= GAP_SHOWN)
        return frame[moved].sort_values(["new_50plus_any", "code"], ascending=[False, True], kind="stable")

    return {
        "minutes": change.minutes,
        "categories": list(change.categories),
        "points": [{k: _plain(v) for k, v in p.items()} for p in change.points],
        "city": {k: _plain(v) for k, v in change.city.items()},
        "wards": _records(changed(change.wards)),
        "areas": _records(changed(change.areas)),
    }


@bp.post("/api/whatif")
def api_whatif() -> ResponseReturnValue:
    """Body ``{"points": [{"lon": .., "lat": .., "category": ..}, ...]}``: the change they make."""
    if (request.content_length or 0) > MAX_WHATIF_BYTES:
        raise InvalidInput(
            f"the request body is larger than {MAX_WHATIF_BYTES:,} bytes; send at most 50 points"
        )
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("points"), list):
        raise InvalidInput(
            'expected a JSON body {"points": [{"lon": ..., "lat": ..., "category": ...}, ...]}'
        )
    unknown = sorted(set(body) - {"points"})
    if unknown:
        raise InvalidInput(f"unknown member {str(unknown[0])[:40]!r}; expected points")
    points = []
    for i, point in enumerate(body["points"]):
        if not isinstance(point, dict) or set(point) != {"lon", "lat", "category"}:
            raise InvalidInput(f"points[{i}]: expected an object with lon, lat and category")
        points.append((point["lon"], point["lat"], point["category"]))
    areas, assets, wards = _inputs()
    change = what_if(
        areas,
        assets,
        wards,
        _coverage_params(),
        points,
        baseline=current_coverage(),
        asset_ward_column=ASSET_WARD_COLUMN,
        network=stored_walk_graph(current_app.config["WALK_NETWORK"]),
    )
    return jsonify(whatif_json(change))


def sites_json(suggestion: SiteSuggestion) -> dict[str, Any]:
    return {
        "category": suggestion.params.category,
        "k": suggestion.params.k,
        "candidates": suggestion.params.candidates,
        "n_candidates": suggestion.n_candidates,
        "minutes": suggestion.minutes,
        "status": suggestion.status,
        "optimal": suggestion.optimal,
        "residents_50plus": _plain(suggestion.residents_50plus),
        "residents_without": _plain(suggestion.residents_without),
        "areas_without": suggestion.areas_without,
        "sites": [
            {k: _plain(v) if not isinstance(v, tuple) else list(v) for k, v in vars(s).items()}
            for s in suggestion.sites
        ],
    }


@bp.get("/api/sites")
def api_sites() -> ResponseReturnValue:
    params = site_params(request.args, current_app.config)

    def compute() -> SiteSuggestion:
        areas, assets, _ = _inputs()
        return suggest_sites(current_coverage(), areas, assets, _coverage_params(), params)

    return jsonify(sites_json(cached("planner.sites", params, compute)))
