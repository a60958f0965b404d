"""One error handler: JSON under ``/api/``, an HTML page elsewhere, and no internal text to users."""

from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from assetmap.errors import AssetmapError


def _respond(status: int, message: str) -> tuple[Response | str, int]:
    if request.path.startswith("/api/"):
        return jsonify({"status": status, "message": message}), status
    return render_template("error.html", status=status, message=message), status


def megabytes(size: int) -> str:
    """A byte count for people, e.g. ``"25 MB"`` (1 MB = 2**20 bytes), ``"0.5 MB"``.

    >>> megabytes(25 * 2**20), megabytes(2**19)
    ('25 MB', '0.5 MB')
    """
    return f"{size / 2**20:g} MB"


def register(app: Flask) -> None:
    """Attach the handlers to ``app``."""

    @app.errorhandler(AssetmapError)
    def _assetmap_error(exc: AssetmapError) -> tuple[Response | str, int]:
        return _respond(exc.status, exc.message)

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(exc: RequestEntityTooLarge) -> tuple[Response | str, int]:
        limit = app.config["MAX_CONTENT_LENGTH"]
        return _respond(413, f"The request is too large: at most {megabytes(limit)} is accepted.")

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> tuple[Response | str, int]:
        return _respond(exc.code or 500, exc.description or exc.name)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> tuple[Response | str, int]:
        app.logger.exception("unhandled error on %s", request.path)
        return _respond(500, "Something went wrong on our side; the error has been logged.")
