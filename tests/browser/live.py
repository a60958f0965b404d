"""A live assetmap for browser tests: the Leicester pack in a SQLite file, the app on loopback, Chromium.

Shared by the browser test fixtures (``conftest.py``) and the screenshot script
(``screenshots.py``). The app runs in a thread of this process (werkzeug, threaded) on
127.0.0.1 with a free port; Chromium is Debian's (``/usr/bin/chromium``), driven by Playwright
without any browser download. With no basemap configured the pages need no network beyond the
app itself.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright
from werkzeug.serving import make_server

from assetmap.config import load_config
from assetmap.importers.pack import load_pack
from assetmap.storage import SqlStore, open_store
from assetmap.web import create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def load_leicester(path: Path) -> SqlStore:
    """A migrated SQLite store at ``path`` holding the whole Leicester data pack (left open)."""
    store = open_store(f"sqlite:///{path}")
    store.migrate()
    for _step, _summary in load_pack(store, Path(load_config()["DATA_PACK"])):
        pass
    return store


def load_zoo(path: Path, accounts: Mapping[str, str], password: str) -> SqlStore:
    """A migrated SQLite store at ``path`` holding the web zoo (``tests/conftest.py``) and
    ``accounts`` (username -> role, each with ``password``); left open."""
    from tests.conftest import load_web_zoo

    store = open_store(f"sqlite:///{path}")
    store.migrate()
    load_web_zoo(store)
    for username, role in accounts.items():
        store.create_user(username, password, role=role)
    return store


@contextmanager
def serve(database_url: str) -> Iterator[str]:
    """Run the app on 127.0.0.1 (a free port) in a background thread; yield its base URL."""
    app = create_app({"DATABASE_URL": database_url, "BASEMAP_TILES": None})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="assetmap-live", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        store = app.extensions.get("assetmap.store")
        if store is not None:
            store.close()


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless, under Playwright. Raises if it is not installed."""
    if not CHROMIUM.is_file():
        raise RuntimeError(f"{CHROMIUM} not found: install Debian's chromium (scripts/setup.sh does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
