"""The connector's walks page in Chromium: upload a GPX file, see the walk, delete it for good.

These tests serve their own small store (the web zoo and a connector) instead of the Leicester pack.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import FilePayload, Page, expect

from tests.browser.live import load_zoo, serve
from tests.browser.test_accessibility import no_blocking_violations

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """This module's app (overrides the Leicester one for the ``page`` and ``watch`` fixtures)."""
    path = tmp_path_factory.mktemp("walks-page") / "zoo.sqlite"
    load_zoo(path, {"ann": "connector"}, PASSWORD).close()
    with serve(f"sqlite:///{path}") as base:
        yield base


def gpx(n: int) -> bytes:
    """A GPX track of ``n`` points heading east in the zoo's west ward, about 14 m and 15 s apart."""
    points = "".join(
        f"<trkpt lat='52.628' lon='{-1.138 + 0.0002 * i:.4f}'>"
        f"<time>2026-11-24T10:{i // 4:02d}:{i % 4 * 15:02d}Z</time></trkpt>"
        for i in range(n)
    )
    return (
        "<?xml version='1.0' encoding='UTF-8'?><gpx version='1.1' xmlns='http://www.topografix.com/GPX/1/1'>"
        f"<trk><trkseg>{points}</trkseg></trk></gpx>"
    ).encode()


def test_a_connector_uploads_a_walk_and_deletes_it(page: Page, watch, tmp_path: Path):
    page.goto("/login?next=/walks")
    page.fill("input[name=username]", "ann")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]:text('Log in')")
    expect(page.locator("h1")).to_have_text("Your patch walks")
    payload: FilePayload = {"name": "walk.gpx", "mimeType": "application/gpx+xml", "buffer": gpx(40)}
    page.set_input_files("#gpx", payload)
    page.click("button[type=submit]:text('Upload walk')")
    expect(page.locator(".notices")).to_contain_text("Walk uploaded: 40 points, 0.5 km of streets walked.")
    expect(page.locator("#list-heading")).to_have_text("Walks (1)")
    no_blocking_violations(page)
    page.get_by_text("Delete…").click()
    delete = page.get_by_role("button", name="Delete the walk started 2026-11-24 10:00 for good")
    expect(delete).to_be_visible()
    page.screenshot(path=str(tmp_path / "walks-delete-open.png"), full_page=True)
    delete.click()
    expect(page.locator(".notices")).to_contain_text(
        "Walk started 2026-11-24 10:00 UTC deleted, with its 40 points"
    )
    expect(page.locator("#list-heading")).to_have_text("Walks (0)")
    expect(page.get_by_text("No walks yet.")).to_be_visible()
    no_blocking_violations(page)  # with the notice showing
    page.screenshot(path=str(tmp_path / "walks-deleted.png"), full_page=True)
    assert watch.problems() == []
