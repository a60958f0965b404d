"""Per-app caches of what the web layer derives from the stored data, keyed on the store revision.

Coverage, display polygons, class breaks and whole API responses depend only on the stored wards,
areas and assets (and the app's configuration). :meth:`~assetmap.storage.base.Store.revision` is a
counter in the database that every write of those raises, so an entry is kept under
``(revision, what, params)`` and stays valid exactly as long as the revision does, whichever
process made the change. Each app holds three bounded LRU caches: one for derived data (small, kept
apart so large responses never push the coverage out), one for encoded responses, and one for
encoded items of a response (each asset's GeoJSON feature), so a page the response cache cannot
answer is assembled from parts already encoded. Entries of an older revision are dropped as soon as
a newer revision is seen.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, TypeVar, cast

import orjson
from flask import Response, current_app, request

from assetmap.network import walk_network_version
from assetmap.web import get_store

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)

DATA_ENTRIES = 32
RESPONSE_ENTRIES = 64
RESPONSE_MAX_BYTES = 1_000_000  # larger bodies are not kept: a worker's responses stay under ~64 MB
ITEM_MAX_BYTES = 32_000_000  # encoded items a worker keeps: ~40,000 asset features
_DATA = "assetmap.cache.data"
_NETWORK = "assetmap.cache.network"
_NETWORK_LOCK = threading.Lock()
_RESPONSES = "assetmap.cache.responses"
_ITEMS = "assetmap.cache.items"


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


class RevisionBytesCache:
    """A thread-safe LRU map of keys to bytes for the newest revision seen, up to ``max_bytes`` of them.

    >>> cache = RevisionBytesCache(max_bytes=5)
    >>> cache.put(1, {"a": b"12", "b": b"34"}); cache.get(1, ["a", "b", "c"])
    {'a': b'12', 'b': b'34'}
    >>> cache.put(1, {"c": b"56"}); cache.get(1, ["a", "b", "c"])  # "a" was the least recently used
    {'b': b'34', 'c': b'56'}
    >>> cache.get(2, ["b"]), cache.get(1, ["b"])  # revision 2 drops what revision 1 kept
    ({}, {})
    """

    def __init__(self, *, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, bytes] = OrderedDict()
        self._size = 0
        self._revision = -1
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, revision: int, keys: Sequence[Hashable]) -> dict[Hashable, bytes]:
        """The bytes kept under those of ``keys`` cached for ``revision``."""
        with self._lock:
            self._see(revision)
            if revision != self._revision:
                return {}
            entries = self._entries
            found = {key: value for key in keys if (value := entries.get(key)) is not None}
            for key in found:
                entries.move_to_end(key)
        return found

    def put(self, revision: int, values: Mapping[Hashable, bytes]) -> None:
        """Keep ``values`` for ``revision``, dropping the least recently used beyond ``max_bytes``.

        Values for an older revision than the newest seen are not kept.
        """
        with self._lock:
            self._see(revision)
            if revision != self._revision:
                return
            for key, value in values.items():
                old = self._entries.pop(key, None)
                self._size -= 0 if old is None else len(old)
                if len(value) <= self.max_bytes:
                    self._entries[key] = value
                    self._size += len(value)
            while self._size > self.max_bytes:
                self._size -= len(self._entries.popitem(last=False)[1])

    def _see(self, revision: int) -> None:
        if revision > self._revision:
            self._revision, self._entries, self._size = revision, OrderedDict(), 0


def data_revision() -> int:
    """The store revision, raised as well whenever the walk network file changes.

    Coverage is measured along the stored walk network (``WALK_NETWORK``) when there is one, and
    importing a network writes that file, not the store. Each process notes the file's version
    (modification time and size) and counts how often it has changed: that count is added to the
    store revision shifted left, so the number only ever grows and a new network invalidates
    every cached entry, as a write would. The counts of different processes may differ; each
    process keeps its own caches.
    """
    stamp = walk_network_version(current_app.config.get("WALK_NETWORK"))
    state = current_app.extensions.setdefault(_NETWORK, {"stamp": stamp, "changes": 0})
    if state["stamp"] != stamp:
        with _NETWORK_LOCK:
            if state["stamp"] != stamp:
                state["stamp"], state["changes"] = stamp, state["changes"] + 1
    return (get_store().revision() << 16) + int(state["changes"])


def app_cache(name: str, max_entries: int) -> RevisionCache:
    """The app's :class:`RevisionCache` called ``name`` (made on first use, ``max_entries`` long)."""
    cache = current_app.extensions.get(name)
    if cache is None:
        cache = current_app.extensions.setdefault(name, RevisionCache(max_entries=max_entries))
    return cast(RevisionCache, cache)


def _bytes_cache(name: str) -> RevisionBytesCache:
    cache = current_app.extensions.get(name)
    if cache is None:
        cache = current_app.extensions.setdefault(name, RevisionBytesCache(max_bytes=ITEM_MAX_BYTES))
    return cast(RevisionBytesCache, cache)


def cached(what: str, params: Hashable, compute: Callable[[], T]) -> T:
    """``compute()`` for the current store revision, shared by every request of this app.

    ``what`` names the artifact and ``params`` everything else it depends on; ``compute`` must
    depend on nothing but the stored data, the app's configuration and ``params``.
    """
    revision = data_revision()  # before any read, so an entry is never older than its key
    return app_cache(_DATA, DATA_ENTRIES).get_or_compute(revision, (what, params), compute)


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
    return cached_response(lambda _revision: encode_json(build()))


def cached_response(build: Callable[[int], bytes]) -> Response:
    """:func:`cached_json` for a ``build`` that encodes the body itself, given the store revision."""
    revision = data_revision()  # before any read, so an entry is never older than its key
    key = (request.endpoint, request.url)
    body = app_cache(_RESPONSES, RESPONSE_ENTRIES).get_or_compute(
        revision, key, lambda: build(revision), keep=lambda data: len(data) <= RESPONSE_MAX_BYTES
    )
    return Response(body, mimetype="application/json")


def encoded_items(
    revision: int,
    what: str,
    keys: Sequence[K],
    build: Callable[[list[K]], Mapping[K, Any]],
) -> list[bytes]:
    """:func:`encode_json` of the item under each of ``keys``, cached per revision and key.

    ``what`` names the kind of item; ``build`` takes the keys not cached and returns their
    payloads by key, from data read after ``revision`` was. Keys ``build`` does not return are
    left out. Each kind keeps up to :data:`ITEM_MAX_BYTES` of encoded items per app, the least
    recently used dropped first.
    """
    cache = _bytes_cache(f"{_ITEMS}.{what}")
    found = cache.get(revision, keys)
    missing = [key for key in keys if key not in found]
    if missing:
        made: dict[Hashable, bytes] = {key: encode_json(item) for key, item in build(missing).items()}
        cache.put(revision, made)
        found |= made
    return [found[key] for key in keys if key in found]


def json_feature_collection(features: Sequence[bytes], members: Mapping[str, Any]) -> bytes:
    """``encode_json({"type": "FeatureCollection", "features": [...], **members})``, features encoded.

    Byte for byte the same as encoding the whole payload when orjson encodes all of it.

    >>> json_feature_collection([b'{"id":1}', b'{"id":2}'], {"total": 2})
    b'{"type":"FeatureCollection","features":[{"id":1},{"id":2}],"total":2}'
    """
    rest = encode_json(dict(members))  # "{...}": its members continue the object after the features
    tail = b"]}" if rest == b"{}" else b"]," + rest[1:]
    return b"".join((b'{"type":"FeatureCollection","features":[', b",".join(features), tail))
