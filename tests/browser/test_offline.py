"""The capture page without signal (issue 5, items 3 and 10), in Chromium on the Leicester pack.

A connector adds a place online, goes offline and adds two more (the page lists them as still
queued), comes back online and exactly two arrive; a retry of a request the server already stored
(its answer lost) makes nothing twice; an officer verifies one and it shows on the city's asset
layer and in its ward's figures. The page reopens from the service worker's cache with the server
gone, and the outbox survives the reload. A 400 answer leaves the item listed with its message.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, FilePayload, Page, Route, ViewportSize, expect

from assetmap.models import Asset
from assetmap.storage import open_store
from assetmap.storage.base import AssetQuery
from tests.browser.conftest import TIMEOUT_MS, Watch, open_map_page
from tests.browser.live import load_leicester, serve
from tests.browser.test_accessibility import no_blocking_violations

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
CONNECTOR, OFFICER = "cora", "olly"
TROON = "E05010475"  # Troon ward: the point below is about 300 m from any asset in the pack
LON, LAT = -1.08824, 52.65846
NEAR = (LON - 0.008, LAT - 0.004, LON + 0.008, LAT + 0.004)
PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The Leicester pack with one connector and one officer, in a SQLite file."""
    path = tmp_path_factory.mktemp("offline") / "leicester.sqlite"
    store = load_leicester(path)
    try:
        store.create_user(CONNECTOR, PASSWORD, role="connector")
        store.create_user(OFFICER, PASSWORD, role="officer")
    finally:
        store.close()
    return f"sqlite:///{path}"


@pytest.fixture(scope="module")
def base_url(database: str) -> Iterator[str]:
    """This module's app (overrides the session's Leicester one for ``page`` and ``watch``)."""
    with serve(database) as url:
        yield url


def captured(database: str) -> list[Asset]:
    """The places the connector has added near the test point, as the store holds them."""
    store = open_store(database)
    try:
        found = store.assets(AssetQuery(bbox=NEAR))
    finally:
        store.close()
    return sorted((a for a in found if a.created_by == CONNECTOR), key=lambda a: a.name)


def phone_context(
    browser: Browser, base_url: str, *, lon: float = LON, lat: float = LAT, workers: bool = True
) -> BrowserContext:
    """A phone-size context with a mocked GPS position.

    ``workers=False`` blocks service workers: Playwright's request routing cannot see requests
    that pass through a worker, so the tests that fake an answer use the page's own retries only.
    """
    context = browser.new_context(
        base_url=base_url,
        viewport=PHONE,
        service_workers="allow" if workers else "block",
        geolocation={"latitude": lat, "longitude": lon, "accuracy": 8},
        permissions=["geolocation"],
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context


def log_in(page: Page, username: str, then: str) -> None:
    page.goto(f"/login?next={then}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]:text('Log in')")
    page.wait_for_url(f"**{then}")  # landed: nothing below races the log-in's navigation


def add_place(page: Page, category: str, name: str) -> None:
    """Locate with the (mocked) GPS, describe the place and press Save."""
    page.click("#locate")
    expect(page.locator("#locate-status")).to_have_text("Located to within 8 m.")
    page.select_option("#category", category)
    page.fill("#name", name)
    page.click("#save")


def queued(page: Page, n: int) -> None:
    expect(page.locator("#outbox-heading")).to_have_text(f"Still queued ({n})")
    expect(page.locator("#outbox-list li")).to_have_count(n)


def worker_ready(page: Page) -> None:
    """Wait until the service worker is installed and controls the page."""
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")


def ward_assets(page: Page) -> int:
    answer = page.request.get(f"/api/wards/{TROON}")
    assert answer.ok, answer.status
    count: int = answer.json()["properties"]["n_assets"]
    return count


def test_offline_places_arrive_once_and_an_officer_verifies_one(
    browser: Browser, base_url: str, database: str, page: Page, watch: Watch
):
    before = ward_assets(page)
    context = phone_context(browser, base_url, workers=False)
    phone = context.new_page()
    watch.attach(phone)
    log_in(phone, CONNECTOR, "/capture")
    expect(phone.locator("h1")).to_have_text("Add a place")
    queued(phone, 0)

    add_place(phone, "social_club", "Troon knit and natter")
    expect(phone.locator("#result")).to_contain_text("Saved as a new place")
    assert [a.name for a in captured(database)] == ["Troon knit and natter"]

    context.set_offline(True)
    add_place(phone, "cafe", "Hamilton lunch table")
    expect(phone.locator("#result")).to_contain_text("No connection: the place is kept on this phone")
    add_place(phone, "community_centre", "Scraptoft Lane hall")
    queued(phone, 2)
    expect(phone.locator("#outbox-list li").first).to_contain_text("Hamilton lunch table (Café")
    expect(phone.locator("#outbox-list li").first).to_contain_text("waiting to be sent")
    assert len(captured(database)) == 1
    no_blocking_violations(phone)

    context.set_offline(False)
    queued(phone, 0)
    # The last one made with the form is answered in #result, the one before in the sent list.
    expect(phone.locator("#result")).to_contain_text("See Scraptoft Lane hall")
    expect(phone.locator("#sent-list li")).to_have_text(
        ["Hamilton lunch table: Saved as a new place, to be checked by an officer. See Hamilton lunch table"]
    )
    arrived = captured(database)
    assert [a.name for a in arrived] == [
        "Hamilton lunch table",
        "Scraptoft Lane hall",
        "Troon knit and natter",
    ]
    assert {str(a.status) for a in arrived} == {"reported"}
    assert {a.source_dataset for a in arrived} == {"capture"}

    # The server stores the next one but its answer is lost: the page keeps it and sends it again
    # with the same client id, and the server answers that repeat without a second place.
    answers: list[tuple[int, Any]] = []
    phone.on(
        "response",
        lambda r: answers.append((r.status, r.json())) if r.url.endswith("/api/submissions") else None,
    )

    def lose_the_answer(route: Route) -> None:
        route.fetch()  # the request reaches the server, which stores the place
        route.abort("internetdisconnected")

    phone.route("**/api/submissions", lose_the_answer, times=1)
    add_place(phone, "library", "Troon book swap")
    expect(phone.locator("#result")).to_contain_text("Saved as a new place")
    queued(phone, 0)
    assert [a.name for a in captured(database)].count("Troon book swap") == 1
    assert len(captured(database)) == 4  # noqa: PLR2004 - the first, the two queued, the book swap
    assert [(status, body["repeat"]) for status, body in answers] == [(200, True)]
    context.close()

    # An officer verifies one: it is on the city's asset layer and counts in Troon's figures.
    log_in(page, OFFICER, "/moderation")
    page.click("button[aria-label='Verify Hamilton lunch table']")
    expect(page.locator("body")).to_contain_text("Hamilton lunch table")
    layer = page.request.get("/api/assets?status=verified&bbox=" + ",".join(map(str, NEAR))).json()
    names = [f["properties"]["name"] for f in layer["features"]]
    assert "Hamilton lunch table" in names
    assert "Scraptoft Lane hall" not in names
    assert ward_assets(page) == before + 1
    # As people see it: a verified marker on the city map (not the dashed "reported" one), and the
    # ward page's headline figure.
    [lon, lat] = next(
        f["geometry"]["coordinates"]
        for f in layer["features"]
        if f["properties"]["name"] == "Hamilton lunch table"
    )
    open_map_page(page, "/")
    page.evaluate(
        "([lat, lon]) => { const s = JSON.parse(document.getElementById('page-data').textContent);"
        " window[s.map].setView([lat, lon], 18, { animate: false }); }",
        [lat, lon],
    )
    expect(page.get_by_title("Café: Hamilton lunch table", exact=True)).to_have_count(1)
    open_map_page(page, f"/wards/{TROON}")
    row = page.locator("tr").filter(has=page.get_by_text("Assets that count", exact=True))
    expect(row.locator("td").first).to_have_text(f"{before + 1:,}")
    problems = [p for p in watch.problems() if "internetdisconnected" not in p and "ERR_INTERNET" not in p]
    assert problems == []


def test_the_page_reopens_from_the_worker_cache_and_keeps_its_queue(
    browser: Browser, database: str, tmp_path: Path
):
    with serve(database) as url:
        context = phone_context(browser, url, lon=LON + 0.002)
        phone = context.new_page()
        # Caches of an older version of the worker go when it takes over; other caches stay.
        phone.goto("/login")
        phone.evaluate("() => Promise.all([caches.open('assetmap-capture-v0'), caches.open('another-app')])")
        worker = phone.request.get("/capture-sw.js")
        assert worker.status == 200  # noqa: PLR2004
        assert worker.headers["content-type"].startswith("text/javascript")
        assert worker.headers["cache-control"] == "no-cache"
        log_in(phone, CONNECTOR, "/capture")
        expect(phone.locator("h1")).to_have_text("Add a place")
        worker_ready(phone)
        names = phone.evaluate("() => caches.keys()")
        assert sorted(names) == ["another-app", "assetmap-capture-v1"]
    # The server is gone as well as the signal: only the worker's cache can answer.
    context.set_offline(True)
    phone.reload()
    expect(phone.locator("h1")).to_have_text("Add a place")
    expect(phone.locator("#outbox-heading")).to_have_text("Still queued (0)")
    assert phone.evaluate("() => typeof L === 'object' && typeof AssetmapQueue === 'object'")
    add_place(phone, "bench", "Offline bench by the shops")
    queued(phone, 1)
    phone.reload()
    queued(phone, 1)
    expect(phone.locator("#outbox-list li")).to_contain_text("Offline bench by the shops (Bench")
    phone.screenshot(path=str(tmp_path / "capture-offline-phone.png"), full_page=True)
    context.close()


def test_a_refused_item_stays_listed_with_its_message(browser: Browser, base_url: str, database: str):
    context = phone_context(browser, base_url, lon=LON - 0.002, workers=False)
    # Routed on the context before any page opens, so no navigation can race the routing.
    context.route(
        "**/api/submissions",
        lambda route: route.fulfill(
            status=400,
            content_type="application/json",
            body='{"status": 400, "message": "name: too long (at most 200 characters)"}',
        ),
    )
    phone = context.new_page()
    log_in(phone, CONNECTOR, "/capture")
    add_place(phone, "cafe", "Refused cafe")
    expect(phone.locator("#result")).to_contain_text("Not saved: name: too long (at most 200 characters)")
    queued(phone, 1)
    item = phone.locator("#outbox-list li")
    expect(item).to_contain_text("needs attention: name: too long (at most 200 characters)")
    phone.reload()
    queued(phone, 1)  # still there after a reload: never silently dropped
    context.unroute("**/api/submissions")
    phone.click("button[aria-label='Try again: Refused cafe']")
    queued(phone, 0)
    assert "Refused cafe" in [a.name for a in captured(database)]
    context.close()


def test_an_ended_session_keeps_the_item_until_the_person_logs_in_again(
    browser: Browser, base_url: str, database: str
):
    context = phone_context(browser, base_url, lon=LON + 0.004)
    phone = context.new_page()
    log_in(phone, CONNECTOR, "/capture")
    context.clear_cookies()  # the session ends while the page is open
    add_place(phone, "care", "Session ended care home")
    expect(phone.locator("#result")).to_contain_text("your session has ended")
    queued(phone, 1)
    expect(phone.locator("#outbox-list li")).to_contain_text("waiting for you to log in again")
    log_in(phone, CONNECTOR, "/capture")
    expect(phone.locator("#sent-list li")).to_contain_text("Session ended care home: Saved as a new place")
    queued(phone, 0)
    assert [a.name for a in captured(database)].count("Session ended care home") == 1
    context.close()


def jpeg(path: Path) -> Path:
    """A small real JPEG photo made with Pillow."""
    from PIL import Image

    Image.new("RGB", (64, 48), (200, 120, 40)).save(path, "JPEG")
    return path


def test_a_walk_with_a_place_and_its_photo_is_kept(
    browser: Browser, base_url: str, database: str, tmp_path: Path
):
    start = (LON + 0.006, LAT - 0.002)
    context = phone_context(browser, base_url, lon=start[0], lat=start[1])
    phone = context.new_page()
    log_in(phone, CONNECTOR, "/capture")
    expect(phone.locator("#walk-status")).to_have_text("Not walking.")

    phone.click("#walk-start")
    expect(phone.locator("#walk-stop")).to_be_visible()
    expect(phone.locator("#walk-status")).to_contain_text("1 position recorded")
    context.set_geolocation({"longitude": start[0] + 0.001, "latitude": start[1], "accuracy": 8})
    expect(phone.locator("#walk-status")).to_contain_text("2 positions recorded, 0.07 km.")
    phone.reload()  # the walk goes on after a reload, with what it had recorded
    expect(phone.locator("#walk-status")).to_contain_text(
        re.compile(r"Walking since \d\d:\d\d: [23] positions")
    )
    context.set_geolocation({"longitude": start[0] + 0.002, "latitude": start[1], "accuracy": 8})
    expect(phone.locator("#walk-status")).to_contain_text(re.compile(r"[34] positions recorded, 0.13 km"))

    # A photo over the limit is refused before anything is queued; a good one is previewed.
    too_big: FilePayload = {
        "name": "big.jpg",
        "mimeType": "image/jpeg",
        "buffer": b"\xff" * (11 * 1024 * 1024),
    }
    phone.set_input_files("#photo", files=[too_big])
    expect(phone.locator("#photo-status")).to_have_text(
        "That photo is 11 MB; at most 10 MB can be sent. Choose a smaller one."
    )
    expect(phone.locator("#photo-preview")).to_be_hidden()
    phone.set_input_files("#photo", str(jpeg(tmp_path / "bench.jpg")))
    expect(phone.locator("#photo-preview")).to_be_visible()
    add_place(phone, "bench", "Walk bench with photo")
    expect(phone.locator("#result")).to_contain_text("Saved as a new place")
    queued(phone, 0)  # the place, then its photo

    phone.click("#walk-stop")
    expect(phone.locator("#walk-status")).to_contain_text("Walk stopped:")
    queued(phone, 0)
    expect(phone.locator("#walk-start")).to_be_visible()
    stopped = re.search(r"(\d+) positions", phone.locator("#walk-status").inner_text())
    assert stopped is not None
    recorded = int(stopped.group(1))

    store = open_store(database)
    try:
        (walk,) = [w for w in store.walks(username=CONNECTOR) if w.source == "gps"]
        (bench,) = [a for a in store.assets(AssetQuery(bbox=NEAR)) if a.name == "Walk bench with photo"]
        assert walk.stopped_at is not None
        assert len(store.walk_points(walk.id)) == recorded
        assert store.walk_assets(walk.id) == [(bench.id, "added")]
        assert len(store.photos(str(bench.id))) == 1
    finally:
        store.close()
    context.close()


CACHED_PAGE = (
    "() => caches.open('assetmap-capture-v1').then(c => c.match('/capture')).then(r => r ? r.text() : null)"
)


def test_logging_out_forgets_the_cached_page(browser: Browser, base_url: str):
    context = phone_context(browser, base_url)
    phone = context.new_page()
    log_in(phone, CONNECTOR, "/capture")
    worker_ready(phone)
    phone.wait_for_function(f"() => ({CACHED_PAGE})().then(text => text !== null)")
    assert f"{CONNECTOR} (connector)" in phone.evaluate(CACHED_PAGE)
    phone.click("button:text('Log out')")
    expect(phone.locator("header .account")).to_contain_text("Log in")
    assert phone.evaluate(CACHED_PAGE) is None
    context.close()


def test_a_place_queued_offline_that_may_be_on_the_map_is_offered_when_online(
    browser: Browser, base_url: str, database: str
):
    context = phone_context(browser, base_url, lon=LON - 0.006, lat=LAT + 0.002, workers=False)
    phone = context.new_page()
    log_in(phone, CONNECTOR, "/capture")
    add_place(phone, "faith", "Troon chapel coffee")
    expect(phone.locator("#result")).to_contain_text("Saved as a new place")
    context.set_offline(True)
    add_place(phone, "faith", "Troon chapel")
    queued(phone, 1)
    context.set_offline(False)
    phone.reload()  # a fresh page sends it: the answer is shown on the queued item, not the form's
    item = phone.locator("#outbox-list li")
    expect(item).to_contain_text("Troon chapel (Faith")
    expect(item).to_contain_text("may already be on the map")
    phone.click("button[aria-label='Choose for Troon chapel']")
    expect(phone.locator("#candidate-list li")).to_contain_text(
        "Troon chapel coffee (faith, reported, 0 m away)"
    )
    phone.click("button[aria-label='This is the same place as Troon chapel coffee']")
    expect(phone.locator("#result")).to_contain_text("Recorded that you saw this place.")
    queued(phone, 0)
    names = [a.name for a in captured(database)]
    assert names.count("Troon chapel coffee") == 1
    assert "Troon chapel" not in names
    context.close()
