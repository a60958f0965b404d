"""JSON API under ``/api/``: health, wards and coverage per ward."""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from assetmap.storage.base import AssetQuery
from assetmap.web import get_store
from assetmap.web.coverage import current_coverage

bp = Blueprint("api", __name__)


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return _clean(value.item())
    return value


@bp.get("/health")
def health() -> ResponseReturnValue:
    store = get_store()
    return jsonify({"status": "ok", "wards": len(store.wards()), "assets": store.count_assets(AssetQuery())})


@bp.get("/coverage/wards")
def coverage_wards() -> ResponseReturnValue:
    wards = current_coverage().wards.drop(columns="geometry")
    rows = [{k: _clean(v) for k, v in row.items()} for row in wards.to_dict("records")]
    return jsonify({"wards": rows})
