"""One error handler: JSON under ``/api/``, an HTML page elsewhere, and no internal text to users."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Response, current_app, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from assetmap.errors import AssetmapError

# Room in an upload's body, besides the file, for the multipart framing and the other fields.
UPLOAD_SLACK = 64 * 1024


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


def cap_upload(max_bytes: int, too_large: Callable[[], AssetmapError]) -> None:
    """Cap this request's body at an upload limit before anything reads it.

    Call it from a ``url_value_preprocessor``: those run before the app's ``before_request``
    handlers, and CSRF protection, the first of them, reads the whole form, so without the cap an
    upload would be received up to the app-wide ``MAX_CONTENT_LENGTH`` before its own limit was
    checked. A ``Content-Length`` over ``max_bytes`` (plus :data:`UPLOAD_SLACK` for the form) raises
    ``too_large()`` at once; a body without one that runs past the cap gets the same error (413).
    """
    most = max_bytes + UPLOAD_SLACK
    if request.content_length is not None and request.content_length > most:
        raise too_large()
    app_most = current_app.config.get("MAX_CONTENT_LENGTH")
    request.max_content_length = most if app_most is None else min(most, int(app_most))
    g.upload_too_large = too_large


def register(app: Flask) -> None:
    """Attach the handlers to ``app``."""

    @app.errorhandler(AssetmapError)
    def _assetmap_error(exc: AssetmapError) -> tuple[Response | str, int]:
        return _respond(exc.status, exc.message)

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(exc: RequestEntityTooLarge) -> tuple[Response | str, int]:
        upload = g.get("upload_too_large")
        if upload is not None:  # ran past an upload's own cap (cap_upload)
            error = upload()
            return _respond(error.status, error.message)
        limit = app.config["MAX_CONTENT_LENGTH"]
        return _respond(413, f"The request is too large: at most {megabytes(limit)} is accepted.")

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> tuple[Response | str, int]:
        return _respond(exc.code or 500, exc.description or exc.name)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> tuple[Response | str, int]:
        app.logger.exception("unhandled error on %s", request.path)
        return _respond(500, "Something went wrong on our side; the error has been logged.")
