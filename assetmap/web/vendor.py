"""Serve the front-end libraries installed from the npm registry (``node_modules``), never a CDN.

Only the files named in :data:`VENDOR_FILES` are reachable, under ``/vendor/<name>``; pages work
offline. ``scripts/setup.sh`` installs them with ``npm ci`` from ``package-lock.json``.
"""

from __future__ import annotations

from flask import Blueprint, abort, send_from_directory
from flask.typing import ResponseReturnValue

from assetmap.config import PROJECT_ROOT

NODE_MODULES = PROJECT_ROOT / "node_modules"

# URL name -> path inside node_modules.
VENDOR_FILES = {
    "leaflet.js": "leaflet/dist/leaflet.js",
    "leaflet.css": "leaflet/dist/leaflet.css",
    "images/layers.png": "leaflet/dist/images/layers.png",
    "images/layers-2x.png": "leaflet/dist/images/layers-2x.png",
    "images/marker-icon.png": "leaflet/dist/images/marker-icon.png",
    "images/marker-icon-2x.png": "leaflet/dist/images/marker-icon-2x.png",
    "images/marker-shadow.png": "leaflet/dist/images/marker-shadow.png",
    "leaflet.markercluster.js": "leaflet.markercluster/dist/leaflet.markercluster.js",
    "MarkerCluster.css": "leaflet.markercluster/dist/MarkerCluster.css",
    "MarkerCluster.Default.css": "leaflet.markercluster/dist/MarkerCluster.Default.css",
}

bp = Blueprint("vendor", __name__)


@bp.get("/vendor/<path:name>")
def vendor(name: str) -> ResponseReturnValue:
    target = VENDOR_FILES.get(name)
    if target is None:
        abort(404)
    return send_from_directory(NODE_MODULES, target, max_age=7 * 24 * 3600)
