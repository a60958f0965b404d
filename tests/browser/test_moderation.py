"""Reported assets on the map (dashed outline, legend) and axe-core on the moderation pages.

These tests serve their own small store (the web zoo, one reported bench and an officer) instead of
the Leicester pack, whose assets are all verified.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import open_map_page
from tests.browser.live import serve
from tests.browser.test_accessibility import no_blocking_violations
from tests.conftest import load_web_zoo

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
REPORTED = "Reported <b>bench</b>"


@pytest.fixture(scope="module")
def reported_id(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    from assetmap.models import Asset
    from assetmap.storage import open_store

    url = f"sqlite:///{tmp_path_factory.mktemp('moderation') / 'zoo.sqlite'}"
    store = open_store(url)
    store.migrate()
    load_web_zoo(store)
    asset = store.add_asset(Asset("bench", REPORTED, -1.1362, 52.6262), actor="olga")
    store.create_user("olga", PASSWORD, role="officer")
    store.close()
    with serve(url) as base:
        yield base, str(asset.id)


@pytest.fixture(scope="module")
def base_url(reported_id: tuple[str, str]) -> str:
    """This module's app (overrides the Leicester one for the ``page`` and ``watch`` fixtures)."""
    return reported_id[0]


def test_a_reported_asset_has_a_dashed_outline_and_says_so(page: Page, watch):
    open_map_page(page, "/")
    page.evaluate(
        """() => {
          const settings = JSON.parse(document.getElementById("page-data").textContent);
          window[settings.map].setView([52.6262, -1.1362], 18, { animate: false });
        }"""
    )
    marker = page.locator(".asset-icon .sym-reported")
    expect(marker).to_have_count(1)
    expect(marker).to_contain_text(f"Bench: {REPORTED} (reported, not yet verified)")
    assert page.locator(".asset-icon .sym-marker:not(.sym-reported)").count() >= 1  # the verified ones
    expect(page.locator(".legend")).to_contain_text("Dashed outline: reported, not yet verified")
    no_blocking_violations(page)
    assert watch.problems() == []


def test_the_asset_page_and_the_queue_pass_axe(page: Page, watch, reported_id):
    page.goto(f"/assets/{reported_id[1]}")
    expect(page.locator("h1")).to_have_text(REPORTED)
    no_blocking_violations(page)
    page.goto("/login?next=/moderation")
    page.fill("input[name=username]", "olga")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]:text('Log in')")
    expect(page.locator("h1")).to_have_text("Reported assets to check")
    expect(page.locator("table.queue")).to_contain_text(REPORTED)
    no_blocking_violations(page)
    page.click(f"button[aria-label='Verify {REPORTED}']")
    expect(page.locator(".notices")).to_contain_text(f"{REPORTED}: verified")
    assert watch.problems() == []
