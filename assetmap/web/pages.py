"""HTML pages. For now the city overview table; maps come with the coverage-maps work."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from assetmap.web.coverage import current_coverage

bp = Blueprint("pages", __name__)


@bp.get("/")
def index() -> str:
    result = current_coverage()
    wards = result.wards.drop(columns="geometry").sort_values(["gap_score", "code"], ascending=[False, True])
    return render_template(
        "index.html",
        wards=wards.to_dict("records"),
        minutes=current_app.config["WALK_MINUTES"],
        n_areas=len(result.areas),
    )
