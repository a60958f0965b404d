"""Names written like script injections, entered through the app, stay text on every page and in the PDF.

Issue 5, item 9: a connector submits two places through ``POST /api/submissions`` from a logged-in
Chromium page (name, description, opening times and contact carrying the two payloads below), an
officer verifies both on the moderation page, and then, as the public, Chromium opens the city map
and both popups, each asset's page, the ward page and the ward pack. No dialog may open and no
injected element may appear (``INJECTED`` counts them). The ward pack is a PDF, which Chromium
downloads rather than runs; it is checked for the names as literal text (``pdftotext``) and for
having no JavaScript or automatic actions at all.
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import IMG_NAME, SCRIPT_NAME, TIMEOUT_MS, Watch, open_map_page
from tests.browser.live import load_zoo, serve
from tests.browser.test_escaping import INJECTED

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
WARD = "W1"  # the web zoo's west ward
PLACES = (  # category, name, description, lon, lat: in the west ward, apart from the zoo's assets
    ("cafe", SCRIPT_NAME, IMG_NAME, -1.1380, 52.6280),
    ("library", IMG_NAME, SCRIPT_NAME, -1.1372, 52.6286),
)
PDF_ACTIONS = (b"/JavaScript", b"/JS", b"/OpenAction", b"/AA", b"/Launch")


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """This module's app: the web zoo, a connector and an officer (overrides the Leicester app)."""
    path = tmp_path_factory.mktemp("hostile") / "zoo.sqlite"
    load_zoo(path, {"connie": "connector", "olga": "officer"}, PASSWORD).close()
    with serve(f"sqlite:///{path}") as base:
        yield base


def new_page(browser: Browser, base_url: str, watch: Watch) -> Page:
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    watch.attach(page)
    return page


def log_in(page: Page, username: str) -> None:
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]:text('Log in')")
    expect(page.locator("form.logout, form[action$='/logout']").first).to_be_attached()


def assert_nothing_injected(page: Page, watch: Watch) -> None:
    assert page.evaluate(INJECTED) == 0
    assert watch.dialogs == []
    assert watch.problems() == []


SUBMIT = """async ([body, csrf]) => {
  const response = await fetch("/api/submissions", {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
    body: JSON.stringify(body),
  });
  return [response.status, await response.json()];
}"""


def test_hostile_text_entered_through_the_app_never_runs(browser: Browser, base_url: str, tmp_path):
    watch = Watch(base_url)
    # A connector enters both places through the submissions API, from a logged-in page.
    connector = new_page(browser, base_url, watch)
    log_in(connector, "connie")
    csrf = connector.locator("input[name=csrf_token]").first.get_attribute("value")
    ids = {}
    for category, name, description, lon, lat in PLACES:
        body = {
            "client_id": str(uuid.uuid4()),
            "category": category,
            "name": name,
            "description": description,
            "opening_times": SCRIPT_NAME,
            "contact": IMG_NAME,
            "lon": lon,
            "lat": lat,
            "confirm_new": True,
        }
        status, answer = connector.evaluate(SUBMIT, [body, csrf])
        assert status == 201, answer
        ids[name] = answer["asset"]["id"]
    connector.context.close()

    # An officer sees them in the queue as text and verifies both.
    officer = new_page(browser, base_url, watch)
    log_in(officer, "olga")
    officer.goto("/moderation")
    for name in (SCRIPT_NAME, IMG_NAME):
        expect(officer.get_by_role("link", name=name, exact=True)).to_have_count(1)
    assert_nothing_injected(officer, watch)
    for name in (SCRIPT_NAME, IMG_NAME):
        officer.get_by_role("button", name=f"Verify {name}", exact=True).click()
        expect(officer.get_by_role("button", name=f"Verify {name}", exact=True)).to_have_count(0)
    assert_nothing_injected(officer, watch)
    officer.context.close()

    # The public: the city map and its popups, each asset page, the ward page.
    public = new_page(browser, base_url, watch)
    open_map_page(public, "/")
    public.evaluate(
        "([lat, lon]) => { const s = JSON.parse(document.getElementById('page-data').textContent);"
        " window[s.map].setView([lat, lon], 18, { animate: false }); }",
        [PLACES[0][4], PLACES[0][3]],
    )
    for label, (_, name, *_rest) in zip(("Café", "Library"), PLACES, strict=True):
        public.get_by_title(f"{label}: {name}", exact=True).click()
        popup = public.locator(".leaflet-popup-content")
        expect(popup.locator("h3")).to_have_text(name)
        public.locator(".leaflet-popup-close-button").click()  # it may cover the other marker
    assert_nothing_injected(public, watch)
    for _category, name, description, *_ in PLACES:
        public.goto(f"/assets/{ids[name]}")
        expect(public.locator("h1")).to_have_text(name)
        expect(public.locator("main")).to_contain_text(description)
        assert_nothing_injected(public, watch)
    open_map_page(public, f"/wards/{WARD}")
    assets = public.locator("section[aria-labelledby=assets-heading] td")
    for name in (SCRIPT_NAME, IMG_NAME):
        expect(assets.filter(has_text=name).first).to_be_visible()
    assert_nothing_injected(public, watch)

    # The ward pack: a PDF with both names as text and nothing that could run.
    response = public.request.get(f"/wards/{WARD}/pack.pdf")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    pdf = response.body()
    assert not [action for action in PDF_ACTIONS if action in pdf]
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "pdftotext not found: scripts/setup.sh installs poppler-utils"
    (tmp_path / "pack.pdf").write_bytes(pdf)
    text = subprocess.run(
        [pdftotext, "-layout", str(tmp_path / "pack.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    for name in (SCRIPT_NAME, IMG_NAME):
        assert name in text.replace("\n", " ")
    public.context.close()
