"""Fixtures for the browser tests: one Leicester store, one live app and one Chromium per session.

The store is the real Leicester data pack plus hostile names for the escaping tests: two verified
assets in Castle ward named like script injections, and Castle ward renamed to carry both. Each
test gets a fresh browser context and page, watched by :class:`Watch` for console errors, page
errors, failed requests, error responses, requests to any host but the app, and dialogs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, Request, Response, expect

from assetmap.models import Asset, Status
from assetmap.storage import SqlStore
from tests.browser.live import chromium, load_leicester, serve

SCRIPT_NAME = "<script>alert(1)</script>"
IMG_NAME = '"><img src=x onerror=alert(1)>'
HOSTILE_WARD = "E05010463"  # Castle: holds the point below
HOSTILE_WARD_NAME = f"Castle {IMG_NAME} {SCRIPT_NAME}"
HOSTILE_LON, HOSTILE_LAT = -1.135, 52.635
TIMEOUT_MS = 20_000


@dataclass
class Watch:
    """What went wrong on a page, as readable lines; ``problems()`` is empty on a clean page."""

    origin: str
    console_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.console_errors.append(f"page error: {error}"))
        page.on("request", self._request)
        page.on("requestfailed", lambda r: self.failed.append(f"{r.method} {r.url}: {r.failure}"))
        page.on("response", self._response)
        page.on("dialog", self._dialog)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(f"console: {message.text} ({message.location})")

    def _request(self, request: Request) -> None:
        self.requests.append(request.url)
        parts = urlsplit(request.url)
        if parts.scheme not in ("data", "blob") and f"{parts.scheme}://{parts.netloc}" != self.origin:
            self.foreign.append(request.url)

    def _response(self, response: Response) -> None:
        if response.status >= 400:
            self.failed.append(f"{response.request.method} {response.url}: HTTP {response.status}")

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def problems(self) -> list[str]:
        return (
            self.console_errors
            + self.failed
            + [f"request off loopback: {url}" for url in self.foreign]
            + [f"dialog opened: {text}" for text in self.dialogs]
        )


def add_hostile_names(store: SqlStore) -> None:
    """Two verified assets named like injections in Castle ward, and the ward renamed to match."""
    castle = store.ward(HOSTILE_WARD)
    store.upsert_wards([replace(castle, name=HOSTILE_WARD_NAME)])
    common = {"source_dataset": "browser-test", "status": Status.VERIFIED, "licence": IMG_NAME}
    store.import_assets(
        [
            Asset("cafe", SCRIPT_NAME, HOSTILE_LON, HOSTILE_LAT, source_id="1", **common),
            Asset("library", IMG_NAME, HOSTILE_LON + 0.0004, HOSTILE_LAT, source_id="2", **common),
        ],
        actor="browser-test",
    )


@pytest.fixture(scope="session")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app, serving the Leicester pack (plus hostile names) on 127.0.0.1."""
    path = tmp_path_factory.mktemp("browser") / "leicester.sqlite"
    store = load_leicester(path)
    try:
        add_hostile_names(store)
    finally:
        store.close()
    with serve(f"sqlite:///{path}") as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def watch(base_url: str) -> Watch:
    return Watch(base_url)


@pytest.fixture
def page(browser: Browser, base_url: str, watch: Watch) -> Iterator[Page]:
    """A page in a fresh context (1280×900, downloads allowed), watched by ``watch``."""
    context = browser.new_context(
        base_url=base_url, viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    watch.attach(page)
    yield page
    context.close()


def open_map_page(page: Page, path: str) -> None:
    """Open a map page and wait until every layer request has settled (the status line says so)."""
    page.goto(path)
    expect(page.locator("#map-status")).to_have_text(re.compile(r"^Showing \d+ wards"), timeout=TIMEOUT_MS)
