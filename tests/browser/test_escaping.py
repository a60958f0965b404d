"""Hostile names from the data stay text in Chromium: no dialog opens, no injected element appears.

The session store holds two verified assets in Castle ward named ``<script>alert(1)</script>`` and
``"><img src=x onerror=alert(1)>`` (also their licence), and Castle ward renamed to carry both
(see ``conftest.py``).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    HOSTILE_LAT,
    HOSTILE_LON,
    HOSTILE_WARD,
    HOSTILE_WARD_NAME,
    IMG_NAME,
    SCRIPT_NAME,
    Watch,
    open_map_page,
)

pytestmark = pytest.mark.browser

INJECTED = """() => document.querySelectorAll("img[src='x']").length
  + [...document.scripts].filter(s => s.textContent.trim() === "alert(1)").length"""


def assert_nothing_injected(page: Page, watch: Watch) -> None:
    assert page.evaluate(INJECTED) == 0
    assert watch.dialogs == []
    assert watch.problems() == []


def test_city_page_popup_and_labels_keep_names_as_text(page: Page, watch: Watch):
    open_map_page(page, "/")
    expect(page.locator(".ward-label").filter(has_text=HOSTILE_WARD_NAME)).to_have_count(1)
    # Zoom in past clustering so the asset's own marker is on the map, then open its popup.
    page.evaluate(
        "([lat, lon]) => { const s = JSON.parse(document.getElementById('page-data').textContent);"
        " window[s.map].setView([lat, lon], 18, { animate: false }); }",
        [HOSTILE_LAT, HOSTILE_LON],
    )
    for title, name in ((f"Café: {SCRIPT_NAME}", SCRIPT_NAME), (f"Library: {IMG_NAME}", IMG_NAME)):
        page.get_by_title(title, exact=True).click()
        popup = page.locator(".leaflet-popup-content").filter(
            has=page.get_by_role("heading", name=name, exact=True)
        )
        expect(popup.locator("h3")).to_have_text(name)
        expect(popup.locator("dd").last).to_have_text(IMG_NAME)  # the licence
    assert_nothing_injected(page, watch)
    # The popup links to the asset's own page, where the name is text too.
    popup.get_by_role("link", name="Details and history").click()
    expect(page.locator("h1")).to_have_text(IMG_NAME)
    assert page.url.split("?")[0].rsplit("/", 2)[-2] == "assets"
    assert_nothing_injected(page, watch)


def test_ward_page_keeps_names_as_text(page: Page, watch: Watch):
    open_map_page(page, f"/wards/{HOSTILE_WARD}")
    expect(page.locator("h1")).to_contain_text(HOSTILE_WARD_NAME)
    expect(page).to_have_title(f"{HOSTILE_WARD_NAME}: somewhere to go for people aged 50+ · assetmap")
    assets = page.locator("section[aria-labelledby=assets-heading] td")
    expect(assets.filter(has_text=SCRIPT_NAME)).to_have_count(1)
    expect(assets.filter(has_text=IMG_NAME).first).to_be_visible()
    expect(page.locator(".ward-label").filter(has_text=HOSTILE_WARD_NAME)).to_have_count(1)
    assert_nothing_injected(page, watch)


def test_gaps_page_keeps_ward_name_as_text(page: Page, watch: Watch):
    page.goto("/gaps")
    expect(page.get_by_role("link", name=HOSTILE_WARD_NAME, exact=True)).to_have_count(1)
    assert_nothing_injected(page, watch)
