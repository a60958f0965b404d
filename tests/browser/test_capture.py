"""The capture page on a phone-size screen: GPS (mocked) puts the pin, the form saves a place once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import TIMEOUT_MS, Watch
from tests.browser.live import load_zoo, serve
from tests.browser.test_accessibility import no_blocking_violations

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
HERE = {"latitude": 52.628, "longitude": -1.138, "accuracy": 12}  # west ward, far from the zoo's assets
NAME = "Corner <b>café</b>"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """This module's app: the web zoo and one connector."""
    path = tmp_path_factory.mktemp("capture") / "zoo.sqlite"
    load_zoo(path, {"ann": "connector"}, PASSWORD).close()
    with serve(f"sqlite:///{path}") as base:
        yield base


@pytest.fixture
def phone(browser: Browser, base_url: str, watch: Watch) -> Iterator[Page]:
    """A phone-size page that may use a (mocked) GPS position."""
    context = browser.new_context(
        base_url=base_url,
        viewport={"width": 390, "height": 844},
        geolocation=HERE,
        permissions=["geolocation"],
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    watch.attach(page)
    yield page
    context.close()


def test_a_connector_locates_describes_and_saves_a_place(phone: Page, watch: Watch):
    phone.goto("/login?next=/capture")
    phone.fill("input[name=username]", "ann")
    phone.fill("input[name=password]", PASSWORD)
    phone.click("button[type=submit]:text('Log in')")
    expect(phone.locator("h1")).to_have_text("Add a place")
    no_blocking_violations(phone)

    phone.click("#locate")
    expect(phone.locator("#locate-status")).to_have_text("Located to within 12 m.")
    expect(phone.locator("#pin-status")).to_have_text("Pin at 52.62800, -1.13800.")
    phone.select_option("#category", "cafe")
    phone.fill("#name", NAME)
    phone.fill("#languages", "English, Gujarati")
    phone.check("#step_free-yes")
    phone.click("#save")
    expect(phone.locator("#result")).to_contain_text("Saved as a new place")
    link = phone.locator("#result a")
    expect(link).to_have_text(f"See {NAME}")
    no_blocking_violations(phone)
    link.click()
    expect(phone.locator("h1")).to_have_text(NAME)

    # The same place again: it is offered, and choosing it records a sighting, not a second place.
    phone.goto("/capture")
    phone.click("#locate")
    expect(phone.locator("#locate-status")).to_have_text("Located to within 12 m.")
    phone.select_option("#category", "cafe")
    phone.fill("#name", "corner cafe")
    phone.click("#save")
    offered = phone.locator("#candidate-list li")
    expect(offered).to_have_count(1)
    expect(offered).to_contain_text(f"{NAME} (cafe, reported, 0 m away)")
    no_blocking_violations(phone)
    phone.click(f"button[aria-label='This is the same place as {NAME}']")
    expect(phone.locator("#result")).to_contain_text("Recorded that you saw this place.")
    expect(phone.locator("#candidates")).to_be_hidden()
    # The one expected error response is the 409 that offered the candidates.
    problems = [p for p in watch.problems() if "409" not in p or "/api/submissions" not in p]
    assert problems == []
    assert len(watch.problems()) == 2  # noqa: PLR2004 - the 409 as a failed response and as console text
