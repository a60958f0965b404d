"""Photos as officers see them in Chromium: small in the moderation queue, and taken down from an
asset's page, after which the public no longer sees them.

These tests serve their own small store (the web zoo, a connector's photo of the café and an
officer) instead of the Leicester pack.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from assetmap.models import Asset
from tests.browser.live import load_zoo, serve
from tests.browser.test_accessibility import no_blocking_violations

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Served:
    base: str
    cafe: str
    photo: str
    reported: str


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    from assetmap.photos import clean_photo

    path = tmp_path_factory.mktemp("photo-removal") / "zoo.sqlite"
    store = load_zoo(path, {"olga": "officer"}, PASSWORD)
    cafe = next(a for a in store.assets() if a.name == "Café")
    assert cafe.id is not None
    raw = BytesIO()
    Image.new("RGB", (320, 200), (40, 120, 200)).save(raw, "JPEG")
    clean = clean_photo(raw.getvalue(), max_bytes=10_000_000, max_pixels=40_000_000)
    photo = store.add_photo(
        cafe.id, clean.data, width=clean.width, height=clean.height, client_id="browser-1", actor="ann"
    )
    reported = store.add_asset(Asset("cafe", "Pop-in café", -1.1372, 52.6286), actor="ann")
    assert reported.id is not None
    store.add_photo(
        reported.id, clean.data, width=clean.width, height=clean.height, client_id="browser-2", actor="ann"
    )
    store.close()
    with serve(f"sqlite:///{path}") as base:
        yield Served(base, cafe.id, photo.id, reported.id)


@pytest.fixture(scope="module")
def base_url(served: Served) -> str:
    """This module's app (overrides the Leicester one for the ``page`` and ``watch`` fixtures)."""
    return served.base


def log_in(page: Page, then: str) -> None:
    page.goto(f"/login?next={then}")
    page.fill("input[name=username]", "olga")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]:text('Log in')")
    page.wait_for_url(f"**{then}")


def test_the_queue_shows_a_reported_places_photo_small(page: Page, watch, served: Served, tmp_path: Path):
    log_in(page, "/moderation")
    photo = page.get_by_role("img", name="Photo 1 of Pop-in café")
    expect(photo).to_be_visible()
    assert photo.evaluate("img => img.complete && img.naturalWidth") == 320  # noqa: PLR2004
    box = photo.bounding_box()
    assert box is not None and box["width"] <= 160 and box["height"] <= 128  # noqa: PLR2004 - 10rem, 8rem
    expect(page.get_by_role("link", name="Take a photo down on the place's page")).to_have_attribute(
        "href", f"/assets/{served.reported}"
    )
    no_blocking_violations(page)
    page.screenshot(path=str(tmp_path / "queue-photo.png"), full_page=True)
    assert watch.problems() == []


def test_an_officer_takes_a_photo_down(page: Page, watch, served: Served, tmp_path: Path):
    page.goto(f"/assets/{served.cafe}")
    photo = page.get_by_role("img", name="Photo of Café")
    expect(photo).to_be_visible()
    assert photo.evaluate("img => img.complete && img.naturalWidth") == 320  # noqa: PLR2004
    expect(page.get_by_role("button", name="Remove this photo")).to_have_count(0)  # not for the public

    log_in(page, f"/assets/{served.cafe}")
    remove = page.get_by_role("button", name="Remove this photo")
    expect(remove).to_have_count(1)
    no_blocking_violations(page)
    page.screenshot(path=str(tmp_path / "asset-photo-officer.png"), full_page=True)
    page.get_by_label("Reason (optional)").fill("a face is recognisable")
    remove.click()
    expect(page.locator(".notices")).to_contain_text("Photo removed.")
    expect(page.get_by_role("img", name="Photo of Café")).to_have_count(0)
    expect(page.locator("table.history")).to_contain_text("photo removed")
    expect(page.locator("table.history")).to_contain_text("Reason: a face is recognisable")
    assert page.request.get(f"/photos/{served.photo}.jpg").status == 404  # noqa: PLR2004
    page.screenshot(path=str(tmp_path / "asset-photo-removed.png"), full_page=True)
    assert watch.problems() == []
