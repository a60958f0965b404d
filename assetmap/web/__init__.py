"""The web shell: the Flask app factory, request parsing and rendering. Only this package imports flask.

``create_app`` takes the defaults, then ``instance/assetmap.json``, then ``ASSETMAP_*``
environment variables, or a test dict; nothing is read or opened at import time. The store is
opened on first use and closed with the app.
"""

from __future__ import annotations

import atexit
from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app
from werkzeug.middleware.proxy_fix import ProxyFix

from assetmap.config import PROJECT_ROOT, load_config
from assetmap.storage import open_store
from assetmap.storage.base import Store


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask app.

    Parameters
    ----------
    test_config
        Overrides for tests (e.g. ``{"DATABASE_URL": "sqlite:///..."}``); they win over the
        instance file and the environment.
    """
    app = Flask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(load_config(test_config))
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_REQUEST_BYTES"]  # larger bodies get 413
    proxies = int(app.config["TRUSTED_PROXIES"])
    if proxies:  # believe that many proxies' X-Forwarded-For/-Proto (client address, https)
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]

    from assetmap.web import api, auth, capture, errors, moderation, pages, planner, reports, search, vendor
    from assetmap.web.bulk import bp as bulk_bp
    from assetmap.web.editing import bp as editing_bp
    from assetmap.web.offline import bp as offline_bp
    from assetmap.web.photos import bp as photos_bp
    from assetmap.web.walks import bp as walks_bp

    errors.register(app)
    csrf = auth.register(app)  # session cookie, CSRF on every POST, logins and their rate limit
    # POST /api/whatif only computes what hypothetical new places would change: it writes nothing
    # and its answer goes to whoever sent it, so a forged cross-site request gains nothing; and it
    # reads a JSON body, which a cross-site form cannot send. So it needs no CSRF token.
    csrf.exempt(planner.api_whatif)
    app.register_blueprint(vendor.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(planner.bp)
    app.register_blueprint(moderation.bp)
    app.register_blueprint(capture.bp)
    app.register_blueprint(bulk_bp)
    app.register_blueprint(offline_bp)
    app.register_blueprint(photos_bp)
    app.register_blueprint(walks_bp)
    app.register_blueprint(editing_bp)
    app.register_blueprint(api.bp, url_prefix="/api")
    app.register_blueprint(search.bp, url_prefix="/api")
    return app


def get_store() -> Store:
    """The app's store, opened (and migrated) on first use."""
    store = current_app.extensions.get("assetmap.store")
    if store is None:
        store = open_store(current_app.config["DATABASE_URL"])
        store.migrate()
        current_app.extensions["assetmap.store"] = store
        atexit.register(store.close)
    return store
