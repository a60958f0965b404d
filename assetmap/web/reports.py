"""Reports: the printable ward pack (PDF) and the under-served areas ranking (page and CSV).

``/wards/<code>/pack.pdf`` renders ``wardpack.html`` (the ward's summary from
:mod:`assetmap.web.wardview` and a map drawn by :mod:`assetmap.mapimage`) to an A4 PDF offline.
``/gaps`` and ``/gaps.csv`` rank small areas and wards by gap score for the categories, walk and
need weights in the query string (a GET form, so a ranking can be shared as a link); bad values
re-render the page with the message and status 400.
"""

from __future__ import annotations

import base64
import io
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
from flask import Blueprint, Response, current_app, render_template, request, send_file
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from assetmap import summaries, taxonomy
from assetmap.coverage import CoverageParams, CoverageResult, compute_coverage
from assetmap.coverage.params import NEED_FACTORS
from assetmap.errors import InvalidInput
from assetmap.frames import ASSET_WARD_COLUMN, coverage_inputs
from assetmap.pdf import html_to_pdf
from assetmap.web import get_store, wardview
from assetmap.web.coverage import current_coverage

bp = Blueprint("reports", __name__)

MIN_MINUTES, MAX_MINUTES = 1.0, 60.0
MAX_WEIGHT = 100.0
# Column headings for the contributions; the full words are in the key below each table.
FACTOR_SHORT = {
    "idaopi": "IDAOPI",
    "loneliness": "Loneliness",
    "imd": "IMD",
    "age75_share": "Aged 75+",
    "distance": "Walk",
    "catchment": "Catchment",
}


@bp.app_template_filter("figure")
def figure_filter(value: Any, kind: str) -> str:
    """``{{ value|figure("share") }}``: a number formatted as in the summaries ("–" when missing)."""
    return summaries.format_value(None if value is None else float(value), kind)


# -- ward pack -------------------------------------------------------------------------------------


@bp.get("/wards/<code>/pack.pdf")
def ward_pack(code: str) -> ResponseReturnValue:
    result = current_coverage()
    ward = wardview.ward_context(code, result=result)
    png = wardview.ward_map_png(code, result=result, labels=[a.code for a in ward.underserved])
    html = render_template(
        "wardpack.html",
        ward=ward,
        map_uri="data:image/png;base64," + base64.b64encode(png).decode("ascii"),
        statuses=current_app.config["COVERAGE_STATUSES"],
    )
    return send_file(
        io.BytesIO(html_to_pdf(html)),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=pack_filename(ward.code, ward.name, ward.generated.isoformat()),
        max_age=0,
    )


def pack_filename(code: str, name: str, day: str) -> str:
    """A safe download name: letters, digits and hyphens only.

    >>> pack_filename("E05010458", "Abbey <b>", "2026-01-31")
    'ward-pack-abbey-b-E05010458-2026-01-31.pdf'
    """
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40].strip("-")
    parts = ["ward-pack", slug, re.sub(r"[^A-Za-z0-9]+", "", code), re.sub(r"[^0-9-]", "", day)]
    return "-".join(p for p in parts if p) + ".pdf"


# -- under-served areas ----------------------------------------------------------------------------


@dataclass(frozen=True)
class GapQuery:
    """What to rank by: the categories measured, the walk, and the need weights."""

    categories: tuple[str, ...]
    minutes: float
    need_weights: Mapping[str, float]


def parse_gap_query(args: MultiDict[str, str], config: Mapping[str, Any]) -> GapQuery:
    """Read ``category`` (repeatable), ``minutes`` and ``w_<factor>`` from a query string.

    Missing or empty values take the app's configured defaults; no category means every category
    on the asset layer.

    Raises
    ------
    InvalidInput
        Naming every field that is wrong: an unknown category, minutes outside 1-60, a weight that
        is not a number from 0 to 100, or need weights that are all 0.
    """
    problems: list[str] = []
    allowed = taxonomy.asset_categories()
    chosen = tuple(dict.fromkeys(c for c in args.getlist("category") if c))
    unknown = [c for c in chosen if c not in allowed]
    if unknown:
        labels = ", ".join(taxonomy.categories()[a].label for a in allowed)
        problems.append(f"Unknown category {unknown[0][:40]!r}. Choose from: {labels}.")
    minutes = _number(
        args.get("minutes"),
        default=config["WALK_MINUTES"],
        low=MIN_MINUTES,
        high=MAX_MINUTES,
        what="Walking minutes",
        problems=problems,
    )
    weights = {
        f: _number(
            args.get(f"w_{f}"),
            default=config["NEED_WEIGHTS"].get(f, 0.0),
            low=0.0,
            high=MAX_WEIGHT,
            what=f"The weight for {summaries.factor_label(f)}",
            problems=problems,
        )
        for f in NEED_FACTORS
    }
    if not problems and not any(w > 0 for w in weights.values()):
        problems.append("At least one need weight must be more than 0.")
    if problems:
        raise InvalidInput(" ".join(problems))
    return GapQuery(categories=chosen or tuple(allowed), minutes=minutes, need_weights=weights)


def _number(
    raw: str | None, *, default: float, low: float, high: float, what: str, problems: list[str]
) -> float:
    """``raw`` as a number in ``[low, high]``, ``default`` when blank; a problem is noted, not raised."""
    if raw is None or not raw.strip():
        return float(default)
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not low <= value <= high:
        problems.append(f"{what} must be a number from {low:g} to {high:g}; got {raw.strip()[:40]!r}.")
        return float(default)
    return value


def _coverage(query: GapQuery) -> CoverageResult:
    config = current_app.config
    params = CoverageParams.from_config(config, minutes=query.minutes, need_weights=dict(query.need_weights))
    every = set(query.categories) == set(taxonomy.asset_categories())
    if every and params == CoverageParams.from_config(config):
        return current_coverage()
    areas, assets, wards = coverage_inputs(get_store(), statuses=config["COVERAGE_STATUSES"])
    return compute_coverage(
        areas, assets, wards, params, categories=list(query.categories), asset_ward_column=ASSET_WARD_COLUMN
    )


def _form_values(args: MultiDict[str, str]) -> dict[str, Any]:
    """What the form shows: the values as submitted (even invalid ones), else the defaults."""
    config = current_app.config
    values: dict[str, Any] = {
        "categories": set(args.getlist("category")) or set(taxonomy.asset_categories()),
        "minutes": args.get("minutes") or f"{config['WALK_MINUTES']:g}",
    }
    for f in NEED_FACTORS:
        values[f"w_{f}"] = args.get(f"w_{f}") or f"{config['NEED_WEIGHTS'].get(f, 0.0):g}"
    return values


@bp.get("/gaps")
def gaps() -> ResponseReturnValue:
    page: dict[str, Any] = {
        "form": _form_values(request.args),
        "category_options": [(c, taxonomy.categories()[c].label) for c in taxonomy.asset_categories()],
        "factors": [(f, summaries.factor_label(f)) for f in NEED_FACTORS],
        "contribution_factors": summaries.CONTRIBUTION_FACTORS,
        "factor_short": FACTOR_SHORT,
        "factor_long": {f: summaries.factor_label(f) for f in summaries.CONTRIBUTION_FACTORS},
        "max_weight": MAX_WEIGHT,
    }
    try:
        query = parse_gap_query(request.args, current_app.config)
    except InvalidInput as exc:
        return render_template("gaps.html", error=exc.message, **page), 400
    result = _coverage(query)
    areas = summaries.ranked_areas(result)
    return render_template(
        "gaps.html",
        error=None,
        query=query,
        category_labels=[taxonomy.categories()[c].label for c in query.categories],
        wards=summaries.plain_records(summaries.ranked_wards(result)),
        areas=summaries.area_rows(areas),
        csv_query=request.query_string.decode("ascii", "replace"),
        **page,
    )


@bp.get("/gaps.csv")
def gaps_csv() -> ResponseReturnValue:
    query = parse_gap_query(request.args, current_app.config)
    text = ranked_areas_csv(summaries.ranked_areas(_coverage(query)))
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="underserved-areas.csv"'},
    )


def ranked_areas_csv(frame: pd.DataFrame) -> str:
    """Ranked areas as CSV text; "no asset at all" (an infinite walk) is an empty cell."""
    numeric = frame.select_dtypes("number").columns
    out = frame.assign(**{c: frame[c].replace([math.inf, -math.inf], math.nan) for c in numeric})
    return str(out.to_csv(index=False, lineterminator="\n"))
