"""Per-app caches of what the web layer derives from the stored data, keyed on the store revision.

Coverage, display polygons, class breaks and whole API responses depend only on the stored wards,
areas and assets (and the app's configuration). :meth:`~assetmap.storage.base.Store.revision` is a
counter in the database that every write of those raises, so an entry is kept under
``(revision, what, params)`` and stays valid exactly as long as the revision does, whichever
process made the change. Each app holds two bounded LRU caches: one for derived data (small, kept
apart so large responses never push the coverage out) and one for encoded responses. Entries of an
older revision are dropped as soon as a newer revision is seen.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

import orjson
from flask import Response, current_app, request

from assetmap.web import get_store

T = TypeVar("T")

DATA_ENTRIES = 32
RESPONSE_ENTRIES = 64
RESPONSE_MAX_BYTES = 1_000_000  # larger bodies are not kept: a worker's responses stay under ~64 MB
_DATA = "assetmap.cache.data"
_RESPONSES = "assetmap.cache.responses"


class RevisionCache:
    """A thread-safe LRU map of ``(revision, key)`` to values, holding at most ``max_entries``.

    >>> cache = RevisionCache(max_entries=2)
    >>> cache.get_or_compute(1, "a", lambda: "first"), cache.get_or_compute(1, "a", lambda: "again")
    ('first', 'first')
    >>> cache.get_or_compute(2, "a", lambda: "new"), len(cache)
    ('new', 1)
    """

    def __init__(self, *, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[int, Hashable], Any] = OrderedDict()
        self._newest = -1
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get_or_compute(
        self,
        revision: int,
        key: Hashable,
        compute: Callable[[], T],
        *,
        keep: Callable[[T], bool] | None = None,
    ) -> T:
        """The value cached under ``(revision, key)``, else ``compute()``, kept for next time.

        A computed value is kept only if ``keep`` (when given) accepts it. Two threads missing at
        once both compute (the work is pure); the later result is kept.
        """
        entry = (revision, key)
        with self._lock:
            if entry in self._entries:
                self._entries.move_to_end(entry)
                return cast(T, self._entries[entry])
        value = compute()
        if keep is not None and not keep(value):
            return value
        with self._lock:
            if revision > self._newest:
                self._newest = revision
                for old in [e for e in self._entries if e[0] < revision]:
                    del self._entries[old]
            if revision == self._newest:
                self._entries[entry] = value
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
        return value


def _app_cache(name: str, max_entries: int) -> RevisionCache:
    cache = current_app.extensions.get(name)
    if cache is None:
        cache = current_app.extensions.setdefault(name, RevisionCache(max_entries=max_entries))
    return cast(RevisionCache, cache)


def cached(what: str, params: Hashable, compute: Callable[[], T]) -> T:
    """``compute()`` for the current store revision, shared by every request of this app.

    ``what`` names the artifact and ``params`` everything else it depends on; ``compute`` must
    depend on nothing but the stored data, the app's configuration and ``params``.
    """
    revision = get_store().revision()  # before any read, so an entry is never older than its key
    return _app_cache(_DATA, DATA_ENTRIES).get_or_compute(revision, (what, params), compute)


def encode_json(payload: Any) -> bytes:
    """``payload`` as JSON: by orjson (numpy scalars allowed), else by the app's JSON provider.

    orjson is several times faster on large GeoJSON; it refuses what it cannot represent exactly
    (an integer beyond 64 bits, say), which the app's provider then encodes.
    """
    try:
        return orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY)
    except TypeError:
        return current_app.json.dumps(payload).encode()


def cached_json(build: Callable[[], Any]) -> Response:
    """The JSON response to this GET request, cached for the store revision under its full URL.

    ``build`` returns the payload; it may raise (an error is never cached). The body is kept as
    encoded bytes (up to :data:`RESPONSE_MAX_BYTES`), so a hit costs one revision query.
    """
    revision = get_store().revision()
    key = (request.endpoint, request.url)

    def encode() -> bytes:
        return encode_json(build())

    body = _app_cache(_RESPONSES, RESPONSE_ENTRIES).get_or_compute(
        revision, key, encode, keep=lambda data: len(data) <= RESPONSE_MAX_BYTES
    )
    return Response(body, mimetype="application/json")
