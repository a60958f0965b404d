"""One error tree for the whole service.

Every error a user can cause is an :class:`AssetmapError` subclass carrying an HTTP status and a
message that is safe to show. The web layer maps them to JSON under ``/api/`` and to an HTML page
elsewhere; the CLI prints the message and exits non-zero. Internal exception text never reaches a
user: anything that is not an ``AssetmapError`` is reported as a generic 500.
"""

from __future__ import annotations


class AssetmapError(Exception):
    """Base class: an error whose message may be shown to the user."""

    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(AssetmapError):
    """The request or file is malformed or violates a rule (HTTP 400)."""

    status = 400


class Forbidden(AssetmapError):
    """The user may not do this (HTTP 403)."""

    status = 403


class NotFound(AssetmapError):
    """The thing asked for does not exist (HTTP 404)."""

    status = 404


class TooLarge(AssetmapError):
    """An upload has more bytes than its limit (HTTP 413)."""

    status = 413


class Conflict(AssetmapError):
    """The change clashes with the stored state, e.g. a stale version (HTTP 409)."""

    status = 409


class DataFileError(InvalidInput):
    """A data file, or one row of it, cannot be used.

    The message always names the file and, where one is to blame, the row (1-based data row for
    tables, feature number for GeoJSON).
    """

    def __init__(self, path: str, problem: str, *, row: int | None = None) -> None:
        where = f"{path}, row {row}" if row is not None else str(path)
        super().__init__(f"{where}: {problem}")
        self.path = str(path)
        self.row = row
        self.problem = problem


class ConfigError(AssetmapError):
    """The service is configured wrongly (bad weight, unknown backend, missing data pack)."""

    status = 500
