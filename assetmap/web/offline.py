"""Offline capture: serve the capture page's service worker from the site root.

The worker (``static/js/capture-sw.js``) keeps the capture page and the files it needs in a
versioned cache so ``/capture`` opens without signal, and sends the page's outbox (IndexedDB, see
``static/js/queue.js``) by Background Sync. It is served at ``/capture-sw.js`` rather than under
``/static/``: a worker's scope can be no wider than its own folder, and from the root it covers
``/capture`` and sees the log-out and log-in forms, so it can forget the cached page there. It is
always revalidated (``no-cache``), so a new version is picked up on the next visit. See
``docs/offline.md``.
"""

from __future__ import annotations

from flask import Blueprint, send_from_directory
from flask.typing import ResponseReturnValue

from assetmap.config import PROJECT_ROOT

bp = Blueprint("offline", __name__)

WORKER_DIR = PROJECT_ROOT / "static" / "js"
WORKER_FILE = "capture-sw.js"


@bp.get("/capture-sw.js")
def service_worker() -> ResponseReturnValue:
    """The capture page's service worker, as JavaScript, revalidated on every use."""
    response = send_from_directory(WORKER_DIR, WORKER_FILE, mimetype="text/javascript", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
