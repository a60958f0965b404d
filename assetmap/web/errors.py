"""One error handler: JSON under ``/api/``, an HTML page elsewhere, and no internal text to users."""

from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from assetmap.errors import AssetmapError


def _respond(status: int, message: str) -> tuple[Response | str, int]:
    if request.path.startswith("/api/"):
        return jsonify({"status": status, "message": message}), status
    return render_template("error.html", status=status, message=message), status


def register(app: Flask) -> None:
    """Attach the handlers to ``app``."""

    @app.errorhandler(AssetmapError)
    def _assetmap_error(exc: AssetmapError) -> tuple[Response | str, int]:
        return _respond(exc.status, exc.message)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> tuple[Response | str, int]:
        return _respond(exc.code or 500, exc.description or exc.name)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> tuple[Response | str, int]:
        app.logger.exception("unhandled error on %s", request.path)
        return _respond(500, "Something went wrong on our side; the error has been logged.")
